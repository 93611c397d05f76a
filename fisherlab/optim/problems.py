"""Optimization problems on the exact kernels: maximum likelihood of a family, and GLMs.

Every problem exposes the same numpy interface to the steppers (θ is a flat vector of shape (p,)):

    loss(θ)              the objective, a mean negative log-likelihood (plus an explicit penalty)
    grad(θ)              (p,)
    hessian(θ)           (p, p), the exact Hessian of ``loss``
    fisher(θ)            (p, p), the per-observation Fisher information (+ the penalty's curvature)
    per_sample_grads(θ)  (n, p), gradients of the per-observation losses (no penalty)
    kl(θ)                KL(p_target ‖ p_θ), averaged over the rows for a GLM
    contains(θ)          whether θ lies in the parameter domain

MLE problems also expose the mirror map of their family's log-partition (``dual``, ``dual_grad``,
``from_dual``) for :class:`~fisherlab.optim.steppers.MirrorDescent`.
"""

from __future__ import annotations

import numpy as np

from .. import Family, as_family
from ..errors import (
    DomainError,
    NotAvailableError,
    ShapeError,
    SupportError,
    UnknownFamilyError,
    UnknownLinkError,
    describe,
)
from ..models.fit import minimize_newton
from ..models.glm import GLM as LinearModel
from ..models.heads import Head


class Problem:
    """Base class of the problems: the interface every stepper relies on."""

    name = "problem"
    dim: int

    def loss(self, theta) -> float:
        """The loss at ``theta`` (p,): a float."""
        raise NotImplementedError

    def grad(self, theta) -> np.ndarray:
        """The gradient of the loss at ``theta``: (p,)."""
        raise NotImplementedError

    def hessian(self, theta) -> np.ndarray:
        """The Hessian of the loss at ``theta``: (p, p)."""
        raise NotImplementedError

    def fisher(self, theta) -> np.ndarray:
        """The Fisher information (expected Hessian) at ``theta``: (p, p)."""
        raise NotImplementedError

    def per_sample_grads(self, theta) -> np.ndarray:
        """The gradients of the per-sample losses at ``theta``: (n, p)."""
        raise NotImplementedError

    def empirical_fisher(self, theta) -> np.ndarray:
        """Mean outer product of the per-sample gradients: (p, p). No penalty term."""
        G = self.per_sample_grads(theta)
        return G.T @ G / G.shape[0]

    def kl(self, theta) -> float:
        """KL from the target distribution to the one at ``theta``: a float."""
        raise NotAvailableError(f"{self.name}: no KL to a target is defined")

    def contains(self, theta) -> bool:
        """Whether ``theta`` is a point where the loss is defined (finite, inside the domain)."""
        return bool(np.all(np.isfinite(theta)))

    def optimum(self) -> np.ndarray:
        """The exact minimizer of the loss: (p,)."""
        raise NotAvailableError(f"{self.name}: no exact optimum is known")

    #: The point KL is measured to, when given; None: :meth:`optimum`, computed on first use.
    _target: np.ndarray | None = None

    @property
    def target(self) -> np.ndarray:
        """The point KL is measured to: (p,) (the exact optimum, the MLE or the minimizer,
        unless one was given)."""
        if self._target is None:
            self._target = self.optimum()
        return self._target

    # mirror map (MLE problems)
    def dual(self, theta) -> np.ndarray:
        """The mirror-map point of ``theta`` (MLE problems only): (m,)."""
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
        return (
            _rebuild_mle,
            (self.family.name, self.family.dims, self.param, self.x, self._target),
        )

    def _checked(self, theta) -> np.ndarray:
        arr = self._vector(theta)
        self.k.check_theta(arr)  # raises DomainError naming the parameter
        return arr

    def loss(self, theta) -> float:
        """−mean_i log p(x_i | θ): a float."""
        return float(-np.mean(self.k.log_density(self.x, self._checked(theta))))

    def grad(self, theta) -> np.ndarray:
        """−mean_i score(x_i, θ): (p,)."""
        return -np.mean(self.k.score(self.x, self._checked(theta)), axis=0)

    def hessian(self, theta) -> np.ndarray:
        """−mean_i ∇²log p(x_i | θ): (p, p)."""
        return -np.mean(self.k.hessian(self.x, self._checked(theta)), axis=0)

    def fisher(self, theta) -> np.ndarray:
        """The exact Fisher information F(θ) of the kernels: (p, p)."""
        return self.k.fisher(self._checked(theta))

    def per_sample_grads(self, theta) -> np.ndarray:
        """The per-sample loss gradients −score(x_i, θ): (n, p)."""
        return -self.k.score(self.x, self._checked(theta))

    def optimum(self) -> np.ndarray:
        """The exact MLE of the sample (``Family.mle``), in this parametrization."""
        return self.family.mle(self.x, self.param)

    def kl(self, theta) -> float:
        """KL(p_target ‖ p_θ); the target defaults to the MLE."""
        return float(self.k.kl(self.target, self._checked(theta)))

    def contains(self, theta) -> bool:
        """Whether ``theta`` is finite and inside the parametrization's domain."""
        arr = np.asarray(theta, dtype=np.float64)
        return bool(np.all(np.isfinite(arr)) and self.k.in_domain(arr))

    # -- mirror map: ψ(η) = A(η), whose gradient is the mean map μ = ∇A(η)
    def dual(self, theta) -> np.ndarray:
        """Mean parameters μ = ∇A(η(θ)) = E[T]: (m,)."""
        return self.k.mean(self._checked(theta))

    def dual_grad(self, theta) -> np.ndarray:
        """Gradient of the loss in natural coordinates η (the mirror map's primal variable):
        (m,)."""
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


def _glm_head(family: str, link: str, scale: float, K: int) -> Head:
    """The head behind each family/link pair: natural parameters where the link is canonical
    (η = Xθ, so no link saturates: a logistic p would round to 1 beyond η ≈ 37) and for the
    probit, as the log-odds of Φ (Φ rounds to 1 beyond 8.3), the mean through exp for the
    gamma's log link, the known variance or shape held fixed."""
    if family == "bernoulli":
        link_name = "identity" if link == "logit" else "probit_logodds"
        return Head("bernoulli", "natural", link=link_name)
    if family == "poisson":
        return Head("poisson", "natural")
    if family == "normal":
        return Head("normal", "mean_var", link="identity", fixed={"var": scale})
    if family == "gamma":
        return Head("gamma", "mean_shape", link="exp", fixed={"shape": scale})
    return Head("categorical", "natural", k=K)


class GLM(Problem):
    """A generalized linear model: loss = mean_i ℓ(y_i, x_iᵀθ) + (l2/2)‖θ‖².

    ℓ is the negative log-likelihood of y given the linear predictor through the link. This is
    the linear predictor plus a head of :mod:`fisherlab.models` (:class:`fisherlab.models.GLM`):
    every quantity comes from the head family's kernels; ``model_problem`` is that problem.

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
        (bernoulli) and ``log`` (gamma's only link here; for its canonical inverse link use
        ``fisherlab.models.Head("gamma")``).
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
    as the reference (its linear predictor is 0). The categorical head takes the last class as
    its reference: class c here is class (c − 1) mod K there, whose natural parameters
    η_c−1 = log(π_c/π_0) are this θ's columns in the same order, so only the labels move.
    """

    def __init__(self, X, y, family: str = "bernoulli", link: str | None = None, l2: float = 0.0,
                 scale: float = 1.0, n_classes: int | None = None, target=None):
        if family not in GLM_FAMILIES:
            raise UnknownFamilyError(f"unknown GLM family {family!r}; "
                                     f"known: {', '.join(GLM_FAMILIES)}")
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
        self.y = self._check_y(y, n_classes)
        self.K = self.y.shape[1] if family == "categorical" else 1
        self.head = _glm_head(family, link, self.scale, self.K)
        self.canonical = self.head.canonical
        # class 0 (the reference here) is the head's last class: one-hot columns rotate by one
        y_head = np.roll(self.y, -1, axis=1) if family == "categorical" else self.y
        self.model_problem = LinearModel(self.head).problem(self.X, y_head, l2=self.l2)
        self.dim = self.model_problem.dim
        self.name = f"GLM {family}-{link}"
        self._target = None if target is None else self._vector(target, "target")

    def _check_y(self, y, n_classes):
        y = np.asarray(y, dtype=np.float64)
        fam = self.family
        if fam == "categorical":
            if y.ndim == 1:
                if not np.all((y >= 0) & (y == np.round(y))):
                    bad = y[(y < 0) | (y != np.round(y))]
                    raise SupportError(f"categorical labels must be integers >= 0, "
                                       f"got {describe(bad)}")
                K = int(y.max()) + 1 if n_classes is None else int(n_classes)
                if y.max() >= K:
                    raise SupportError(f"labels must be < n_classes={K}, got {describe(y[y >= K])}")
                y = np.eye(K)[y.astype(int)]
            if y.ndim != 2 or y.shape[1] < 2:
                raise ShapeError(f"categorical y must be labels (n,) or one-hot (n, K>=2), "
                                 f"got {y.shape}")
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

    def _theta(self, theta) -> np.ndarray:
        theta = self._vector(theta)
        if not np.isfinite(theta).all():
            raise DomainError(f"{self.name}: theta must be finite, got "
                              f"{describe(theta[~np.isfinite(theta)])}")
        return theta

    def loss(self, theta) -> float:
        """The penalized mean negative log-likelihood of the GLM at ``theta``: a float."""
        return self.model_problem.loss(self._theta(theta))

    def grad(self, theta) -> np.ndarray:
        """The gradient of the loss at ``theta``: (p,)."""
        return self.model_problem.grad(self._theta(theta))

    def hessian(self, theta) -> np.ndarray:
        """The Hessian of the loss at ``theta`` (penalty included): (p, p)."""
        return self.model_problem.hessian(self._theta(theta))

    def fisher(self, theta) -> np.ndarray:
        """E_y[Hessian] at θ: Xᵀ W X / n (+ λI), W the Fisher weight of each row."""
        return self.model_problem.fisher(self._theta(theta))

    def per_sample_grads(self, theta) -> np.ndarray:
        """The per-row gradients of the unpenalized loss: (n, p)."""
        return self.model_problem.per_sample_grads(self._theta(theta))

    def empirical_fisher(self, theta) -> np.ndarray:
        """Mean outer product of the per-sample gradients: (p, p). No penalty term."""
        return self.model_problem.empirical_fisher(self._theta(theta))

    def contains(self, theta) -> bool:
        """Whether ``theta`` is finite and every row's parameters are in the head's domain."""
        return self.model_problem.contains(theta)

    def optimum(self, max_iter: int = 200) -> np.ndarray:
        """The minimizer, by Newton's method with step halving from θ = 0, to round-off
        (:func:`fisherlab.models.fit.minimize_newton`).

        Raises
        ------
        ConvergenceError
            When no minimizer is reached (e.g. separable data without a penalty).
        """
        return minimize_newton(self.model_problem, np.zeros(self.dim), max_iter=max_iter)[0]

    def kl(self, theta) -> float:
        """mean_i KL(p(y | x_i, θ_target) ‖ p(y | x_i, θ)), from the head family's KL kernel."""
        return self.model_problem.divergence(self.target, self._theta(theta))
