"""Optimization problems on the exact kernels: maximum likelihood of a family, and GLMs.

Every problem exposes the same numpy interface to the steppers (θ is a flat vector of shape (p,)):

    loss(θ)              the objective, a mean negative log-likelihood (plus an explicit penalty)
    grad(θ)              (p,)
    hessian(θ)           (p, p), the exact Hessian of ``loss``
    fisher(θ)            (p, p), the Fisher information of one observation (plus the penalty's curvature)
    per_sample_grads(θ)  (n, p), gradients of the per-observation losses (no penalty)
    kl(θ)                KL(p_target ‖ p_θ), averaged over the rows for a GLM
    contains(θ)          whether θ lies in the parameter domain

MLE problems also expose the mirror map of their family's log-partition (``dual``, ``dual_grad``,
``from_dual``) for :class:`~fisherlab.optim.steppers.MirrorDescent`.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from .._api import Family, as_family
from ..errors import (DomainError, NotAvailableError, ShapeError, SupportError, UnknownFamilyError,
                      UnknownLinkError, describe)
from ..newton import damped_newton


class Problem:
    """Base class of the problems: the interface every stepper relies on."""

    name = "problem"
    dim: int

    def loss(self, theta) -> float:
        raise NotImplementedError

    def grad(self, theta) -> np.ndarray:
        raise NotImplementedError

    def hessian(self, theta) -> np.ndarray:
        raise NotImplementedError

    def fisher(self, theta) -> np.ndarray:
        raise NotImplementedError

    def per_sample_grads(self, theta) -> np.ndarray:
        raise NotImplementedError

    def empirical_fisher(self, theta) -> np.ndarray:
        """Mean outer product of the per-sample gradients: (p, p). No penalty term."""
        G = self.per_sample_grads(theta)
        return G.T @ G / G.shape[0]

    def kl(self, theta) -> float:
        raise NotAvailableError(f"{self.name}: no KL to a target is defined")

    def contains(self, theta) -> bool:
        return bool(np.all(np.isfinite(theta)))

    def optimum(self) -> np.ndarray:
        raise NotAvailableError(f"{self.name}: no exact optimum is known")

    # mirror map (MLE problems)
    def dual(self, theta) -> np.ndarray:
        raise NotAvailableError(f"{self.name}: no mirror map (log-partition) is available")

    dual_grad = dual
    from_dual = dual

    def _vector(self, theta, name: str = "theta") -> np.ndarray:
        arr = np.asarray(theta, dtype=np.float64)
        if arr.shape != (self.dim,):
            raise ShapeError(f"{self.name}: {name} must have shape ({self.dim},), got {arr.shape}")
        return arr


class MLE(Problem):
    """Maximum likelihood of a family in one parametrization: loss = −mean log p(x_i | θ).

    Parameters
    ----------
    family : str, ExponentialFamily or Family
        The family (catalog name, declaration or handle).
    param : str
        The parametrization of θ.
    data : array, shape (n,) or (n, k)
        The sample; checked against the support.
    target : array, shape (p,), optional
        The point KL is measured to; defaults to the MLE of ``data`` (when it exists).
    **dims
        Dimensions of a catalog family (``k=5``).

    Notes
    -----
    Loss, gradient, Hessian and per-sample scores are means of the kernels' ``log_density``,
    ``score`` and ``hessian`` over the sample; ``fisher`` is the kernels' exact F(θ).
    """

    def __init__(self, family, param: str, data, target=None, **dims):
        fam = as_family(family, **dims)
        self.family: Family = fam
        self.param = param
        self.k = fam.kernels(param)
        self._nat = fam.kernels("natural")
        x = fam.spec.support.check(data)
        if x.ndim != 1 + len(fam.spec.support.event_shape) or x.shape[0] == 0:
            raise ShapeError(f"{fam.key}: data must have shape (n,{' k' if x.ndim > 1 else ''}) "
                             f"with n >= 1, got {x.shape}")
        self.x = x
        self.n = x.shape[0]
        self.dim = len(self.k.params)
        self.name = f"{fam.key} {param}"
        self._target = None if target is None else self._vector(target, "target")
        self._tbar = fam.statistics(x).mean(axis=0)

    def __reduce__(self):
        # Kernels hold module namespaces, which do not pickle: rebuild from the catalog name.
        if not self.family.builtin:
            raise TypeError("only MLE problems of catalog families can be pickled")
        return (_rebuild_mle, (self.family.name, self.family.dims, self.param, self.x, self._target))

    def _checked(self, theta) -> np.ndarray:
        arr = self._vector(theta)
        self.k._theta(arr)  # raises DomainError naming the parameter
        return arr

    def loss(self, theta) -> float:
        return float(-np.mean(self.k.log_density(self.x, self._checked(theta))))

    def grad(self, theta) -> np.ndarray:
        return -np.mean(self.k.score(self.x, self._checked(theta)), axis=0)

    def hessian(self, theta) -> np.ndarray:
        return -np.mean(self.k.hessian(self.x, self._checked(theta)), axis=0)

    def fisher(self, theta) -> np.ndarray:
        return self.k.fisher(self._checked(theta))

    def per_sample_grads(self, theta) -> np.ndarray:
        return -self.k.score(self.x, self._checked(theta))

    def optimum(self) -> np.ndarray:
        """The exact MLE of the sample (``Family.mle``), in this parametrization."""
        return self.family.mle(self.x, self.param)

    @property
    def target(self) -> np.ndarray:
        if self._target is None:
            self._target = self.optimum()
        return self._target

    def kl(self, theta) -> float:
        """KL(p_target ‖ p_θ); the target defaults to the MLE."""
        return float(self.k.kl(self.target, self._checked(theta)))

    def contains(self, theta) -> bool:
        arr = np.asarray(theta, dtype=np.float64)
        return bool(np.all(np.isfinite(arr)) and self.k.in_domain(arr))

    # -- mirror map: ψ(η) = A(η), whose gradient is the mean map μ = ∇A(η)
    def dual(self, theta) -> np.ndarray:
        """Mean parameters μ = ∇A(η(θ)) = E[T]: (m,)."""
        return self.k.mean(self._checked(theta))

    def dual_grad(self, theta) -> np.ndarray:
        """Gradient of the loss in natural coordinates η (the mirror map's primal variable): (m,)."""
        eta = self.k.to_natural(self._checked(theta))
        return -np.mean(self._nat.score(self.x, eta), axis=0)

    def from_dual(self, mu) -> np.ndarray:
        """θ whose mean parameters are μ: inverts ∇A (closed form where declared, else Newton).

        Raises
        ------
        DomainError
            When μ lies outside the mean space (no η has ∇A(η) = μ).
        """
        mu = np.asarray(mu, dtype=np.float64)
        fam = self.family
        space = fam.spec.mean_space
        if not np.all(np.isfinite(mu)) or (space is not None and np.any(space.violations(mu))):
            raise DomainError(f"{fam.key}: mean parameters {describe(mu)} lie outside the mean "
                              f"space ({space.text if space is not None else 'finite'})")
        return fam.from_natural(fam.natural_from_mean(mu), self.param)


def _rebuild_mle(name, dims, param, x, target):
    return MLE(name, param, x, target=target, **dims)


# ----------------------------------------------------------------------------- GLMs

#: family -> (default link, available links). The gamma GLM has the log link only, which is
#: not its canonical (inverse) link; the others default to their canonical link.
GLM_FAMILIES = {
    "bernoulli": ("logit", ("logit", "probit")),
    "poisson": ("log", ("log",)),
    "normal": ("identity", ("identity",)),
    "gamma": ("log", ("log",)),
    "categorical": ("softmax", ("softmax",)),
}
_CANONICAL = {("bernoulli", "logit"), ("poisson", "log"), ("normal", "identity"),
              ("categorical", "softmax")}


def _log_phi_ratio(eta):
    """r₊ = φ(η)/Φ(η) and r₋ = φ(η)/Φ(−η), in log space so the tails do not give 0/0."""
    log_phi = -0.5 * eta * eta - 0.5 * np.log(2 * np.pi)
    return np.exp(log_phi - special.log_ndtr(eta)), np.exp(log_phi - special.log_ndtr(-eta))


class GLM(Problem):
    """A generalized linear model: loss = mean_i ℓ(y_i, x_iᵀθ) + (l2/2)‖θ‖².

    ℓ is the negative log-likelihood of y given the linear predictor through the link.

    Parameters
    ----------
    X : array, shape (n, d)
        Design matrix (add a column of ones yourself for an intercept).
    y : array, shape (n,)
        Responses: 0/1 for bernoulli, counts for poisson, reals for normal, positive reals for
        gamma, class labels 0..K−1 (or one-hot rows, shape (n, K)) for categorical.
    family : {"bernoulli", "poisson", "normal", "gamma", "categorical"}
    link : str, optional
        Canonical by default: logit, log, identity, softmax. Non-canonical: ``probit``
        (bernoulli) and ``log`` (gamma's only link here; its canonical link, the inverse, is
        not implemented).
    l2 : float
        Ridge penalty λ ≥ 0 (explicit, part of the objective).
    scale : float
        The known variance σ² (normal) or shape α (gamma); ignored otherwise.
    n_classes : int, optional
        K for categorical with labels (default: max label + 1).
    target : array, optional
        The point KL is measured to (default: the optimum, found by Newton).

    Notes
    -----
    θ has p = d entries, or d·(K−1) for categorical: a (d, K−1) matrix, row-major, with class 0
    as the reference (its linear predictor is 0). Per row, ℓ'' (Hessian weight) and the Fisher
    weight E[ℓ''] are closed forms; for canonical links they coincide, for probit and gamma-log
    they differ by a term proportional to the residual y − μ.
    """

    def __init__(self, X, y, family: str = "bernoulli", link: str | None = None, l2: float = 0.0,
                 scale: float = 1.0, n_classes: int | None = None, target=None):
        if family not in GLM_FAMILIES:
            raise UnknownFamilyError(f"unknown GLM family {family!r}; known: {', '.join(GLM_FAMILIES)}")
        default, allowed = GLM_FAMILIES[family]
        link = default if link is None else link
        if link not in allowed:
            raise UnknownLinkError(f"GLM family {family!r} has no link {link!r}; "
                                   f"known: {', '.join(allowed)}")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ShapeError(f"X must have shape (n, d), got {X.shape}")
        if not np.isfinite(X).all():
            raise DomainError(f"X must be finite, got {describe(X[~np.isfinite(X)])}")
        if not (np.isfinite(l2) and l2 >= 0):
            raise DomainError(f"l2 must be finite and >= 0, got {l2!r}")
        if not (np.isfinite(scale) and scale > 0):
            raise DomainError(f"scale must be finite and > 0, got {scale!r}")
        self.X = np.ascontiguousarray(X)
        self.n, self.d = X.shape
        self.family, self.link, self.l2, self.scale = family, link, float(l2), float(scale)
        self.canonical = (family, link) in _CANONICAL
        self.y = self._check_y(y, n_classes)
        self.K = self.y.shape[1] if family == "categorical" else 1
        self.dim = self.d * (self.K - 1) if family == "categorical" else self.d
        self.name = f"GLM {family}-{link}"
        self._target = None if target is None else self._vector(target, "target")
        self._cache_theta = None
        self._cache = {}
        self._zbuf = None

    def _check_y(self, y, n_classes):
        y = np.asarray(y, dtype=np.float64)
        fam = self.family
        if fam == "categorical":
            if y.ndim == 1:
                if not np.all((y >= 0) & (y == np.round(y))):
                    raise SupportError(f"categorical labels must be integers >= 0, got {describe(y[(y < 0) | (y != np.round(y))])}")
                K = int(y.max()) + 1 if n_classes is None else int(n_classes)
                if y.max() >= K:
                    raise SupportError(f"labels must be < n_classes={K}, got {describe(y[y >= K])}")
                y = np.eye(K)[y.astype(int)]
            if y.ndim != 2 or y.shape[1] < 2:
                raise ShapeError(f"categorical y must be labels (n,) or one-hot (n, K>=2), got {y.shape}")
            if not np.all((y == 0) | (y == 1)) or not np.all(y.sum(1) == 1):
                raise SupportError("categorical one-hot rows must hold a single 1")
        else:
            if y.ndim != 1:
                raise ShapeError(f"y must have shape (n,), got {y.shape}")
            if not np.isfinite(y).all():
                raise SupportError(f"y must be finite, got {describe(y[~np.isfinite(y)])}")
            bad = {"bernoulli": (y != 0) & (y != 1),
                   "poisson": (y < 0) | (y != np.round(y)),
                   "gamma": ~(y > 0),
                   "normal": np.zeros(y.shape, bool)}[fam]
            if bad.any():
                what = {"bernoulli": "0 or 1", "poisson": "a count (integer >= 0)",
                        "gamma": "> 0"}[fam]
                raise SupportError(f"GLM {fam}: y must be {what}, got {describe(y[bad])}")
        if y.shape[0] != self.n:
            raise ShapeError(f"y has {y.shape[0]} rows but X has {self.n}")
        return y

    def __repr__(self):
        return f"<{self.name} n={self.n} p={self.dim} l2={self.l2}>"

    # -- per-row quantities, cached for the last θ (grad, Hessian and Fisher share η = Xθ)
    def _rows(self, theta) -> dict:
        theta = self._vector(theta)
        if self._cache_theta is not None and np.array_equal(theta, self._cache_theta):
            return self._cache
        if not np.isfinite(theta).all():
            raise DomainError(f"{self.name}: theta must be finite, got {describe(theta[~np.isfinite(theta)])}")
        self._cache_theta = theta.copy()
        if self.family == "categorical":
            eta = self.X @ theta.reshape(self.d, self.K - 1)
        else:
            eta = self.X @ theta
        self._cache = {"eta": eta}
        return self._cache

    def _row_terms(self, theta, which: str):
        """Per-row loss ("l"), first derivative ("d1"), Hessian weight ("d2") or Fisher weight ("w")."""
        c = self._rows(theta)
        if which in c:
            return c[which]
        eta, y, fam, link = c["eta"], self.y, self.family, self.link
        if fam == "categorical":
            full = np.concatenate([np.zeros((self.n, 1)), eta], axis=1)
            lse = special.logsumexp(full, axis=1)
            c["l"] = lse - np.sum(y[:, 1:] * eta, axis=1)
            c["pi"] = np.exp(full - lse[:, None])
            c["d1"] = c["pi"][:, 1:] - y[:, 1:]
            return c[which] if which in c else c["pi"]
        if (fam, link) == ("bernoulli", "logit"):
            # softplus(η) = max(η, 0) − log(max(μ, 1 − μ)): the argument of the log is in
            # [½, 1], so each row's loss is exact to ~1e-16 absolute (all the mean needs), and
            # one expit pass serves the loss, the gradient and the weights (the hot loop).
            mu = special.expit(eta)
            q = 1.0 - mu
            c["l_mean"] = (eta.sum(where=eta > 0) - np.log(np.maximum(mu, q)).sum()
                           - y @ eta) / self.n
            c["d1"] = mu - y
            c["w"] = c["d2"] = mu * q
        elif (fam, link) == ("bernoulli", "probit"):
            rp, rm = _log_phi_ratio(eta)
            c["l"] = -(y * special.log_ndtr(eta) + (1.0 - y) * special.log_ndtr(-eta))
            c["d1"] = -y * rp + (1.0 - y) * rm
            c["d2"] = y * rp * (eta + rp) + (1.0 - y) * rm * (rm - eta)
            c["w"] = rp * rm  # φ² / (Φ(η) Φ(−η))
        elif fam == "poisson":
            mu = np.exp(eta)
            c["l"] = mu - y * eta + special.gammaln(y + 1.0)
            c["d1"] = mu - y
            c["w"] = c["d2"] = mu
        elif fam == "normal":
            s2 = self.scale
            c["l"] = (y - eta) ** 2 / (2 * s2) + 0.5 * np.log(2 * np.pi * s2)
            c["d1"] = (eta - y) / s2
            c["w"] = c["d2"] = np.full(self.n, 1.0 / s2)
        elif fam == "gamma":  # log link: μ = e^η, shape α = scale
            a = self.scale
            ye = y * np.exp(-eta)
            c["l"] = (a * (eta + ye) - a * np.log(a) - (a - 1.0) * np.log(y) + special.gammaln(a))
            c["d1"] = a * (1.0 - ye)
            c["d2"] = a * ye
            c["w"] = np.full(self.n, a)
        return c[which]

    def _penalized(self, theta, M):
        return M + self.l2 * np.eye(self.dim) if self.l2 else M

    def loss(self, theta) -> float:
        c = self._rows(theta)
        if "l_mean" not in c and "l" not in c:
            self._row_terms(theta, "d1")
        val = float(c["l_mean"] if "l_mean" in c else np.mean(c["l"]))
        if self.l2:
            t = self._vector(theta)
            val += 0.5 * self.l2 * float(t @ t)
        return val

    def grad(self, theta) -> np.ndarray:
        c = self._rows(theta)
        if "grad" not in c:
            d1 = self._row_terms(theta, "d1")
            g = (self.X.T @ d1) / self.n
            g = g.ravel()
            if self.l2:
                g = g + self.l2 * self._vector(theta)
            c["grad"] = g
        return c["grad"]

    def _weighted_gram(self, w) -> np.ndarray:
        """Xᵀ diag(w) X / n; with w ≥ 0 as one BLAS product of X·√w with itself."""
        if np.all(w >= 0):
            # reuse one (n, d) buffer: a fresh 8·n·d-byte array per call costs page faults
            if getattr(self, "_zbuf", None) is None:
                self._zbuf = np.empty_like(self.X)
            Z = np.multiply(self.X, np.sqrt(w)[:, None], out=self._zbuf)
            return (Z.T @ Z) / self.n
        return (self.X.T @ (self.X * w[:, None])) / self.n

    def _categorical_curvature(self, theta) -> np.ndarray:
        pi = self._row_terms(theta, "pi")[:, 1:]
        d, K1 = self.d, self.K - 1
        H = np.empty((d, K1, d, K1))
        for k in range(K1):
            for l in range(k, K1):
                w = pi[:, k] * ((k == l) - pi[:, l])
                block = (self.X.T @ (self.X * w[:, None])) / self.n
                H[:, k, :, l] = block
                H[:, l, :, k] = block.T
        return H.reshape(self.dim, self.dim)

    def hessian(self, theta) -> np.ndarray:
        c = self._rows(theta)
        if "hessian" not in c:
            if self.family == "categorical":
                H = self._categorical_curvature(theta)
            else:
                H = self._weighted_gram(self._row_terms(theta, "d2"))
            c["hessian"] = self._penalized(theta, H)
        return c["hessian"]

    def fisher(self, theta) -> np.ndarray:
        """E_y[Hessian] at θ: Xᵀ W X / n (+ λI), W the Fisher weight of each row."""
        c = self._rows(theta)
        if "fisher" not in c:
            if self.family == "categorical":
                F = self._categorical_curvature(theta)
            else:
                F = self._weighted_gram(self._row_terms(theta, "w"))
            c["fisher"] = self._penalized(theta, F)
        return c["fisher"]

    def per_sample_grads(self, theta) -> np.ndarray:
        d1 = self._row_terms(theta, "d1")
        if self.family == "categorical":
            return np.einsum("ia,ik->iak", self.X, d1).reshape(self.n, self.dim)
        return self.X * d1[:, None]

    def optimum(self, max_iter: int = 200) -> np.ndarray:
        """The minimizer, by Newton's method with step halving from θ = 0, to round-off.

        Raises
        ------
        ConvergenceError
            When no minimizer is reached (e.g. separable data without a penalty).
        """
        from scipy.linalg import cho_factor, cho_solve

        return damped_newton(
            np.zeros(self.dim), self.loss,
            lambda theta: cho_solve(cho_factor(self.hessian(theta)), self.grad(theta)),
            max_iter=max_iter, what=f"{self.name}: Newton's method for the optimum",
            hint=" (is the data separable without a penalty?)")

    @property
    def target(self) -> np.ndarray:
        if self._target is None:
            self._target = self.optimum()
        return self._target

    def kl(self, theta) -> float:
        """mean_i KL(p(y | x_i, θ_target) ‖ p(y | x_i, θ)), in closed form."""
        t = self.target
        if self.family == "categorical":
            e1 = self.X @ t.reshape(self.d, self.K - 1)
            e2 = self._rows(theta)["eta"]
            f1 = np.concatenate([np.zeros((self.n, 1)), e1], 1)
            f2 = np.concatenate([np.zeros((self.n, 1)), e2], 1)
            l1 = f1 - special.logsumexp(f1, 1)[:, None]
            l2 = f2 - special.logsumexp(f2, 1)[:, None]
            return float(np.mean(np.sum(np.exp(l1) * (l1 - l2), 1)))
        e1 = self.X @ t
        e2 = self._rows(theta)["eta"]
        fam, link = self.family, self.link
        if fam == "bernoulli":
            if link == "logit":
                lp1, lq1, lp2, lq2 = (-np.logaddexp(0, -e1), -np.logaddexp(0, e1),
                                      -np.logaddexp(0, -e2), -np.logaddexp(0, e2))
            else:
                lp1, lq1 = special.log_ndtr(e1), special.log_ndtr(-e1)
                lp2, lq2 = special.log_ndtr(e2), special.log_ndtr(-e2)
            kl = np.exp(lp1) * (lp1 - lp2) + np.exp(lq1) * (lq1 - lq2)
        elif fam == "poisson":
            kl = np.exp(e1) * (e1 - e2) - np.exp(e1) + np.exp(e2)
        elif fam == "normal":
            kl = (e1 - e2) ** 2 / (2 * self.scale)
        else:  # gamma, fixed shape α, means e^e1 and e^e2
            r = e1 - e2
            kl = self.scale * (np.expm1(r) - r)
        return float(np.mean(kl))

