"""Finite mixtures of one exponential family, as latent-variable models on the family kernels.

p(x | θ) = Σ_k π_k p(x | η_k), k = 1 … M, with a hidden label z ∈ {1 … M}. The optimizers see
the coordinates

    θ = (α_1 … α_{M−1}, η_1 … η_M),   π = softmax(α_1 … α_{M−1}, 0),

α the mixing logits (the last is 0) and η_k the natural parameters of component k (P = M − 1 +
M·m numbers for a family with m natural parameters). Every family quantity comes from its
kernels in the natural parametrization: log p(x | η), the mean μ = ∇A(η) and ∇²A(η).

The complete-data model p(x, z | θ) is an exponential family with statistics
(1[z = k], 1[z = k] T(x)); in θ its Fisher information (the *complete-data Fisher*) is block
diagonal,

    F_c(θ) = blockdiag( diag(π) − ππᵀ (first M − 1 rows and columns),  π_k ∇²A(η_k) ).

Its expectation parameters are ν = (π_1 … π_{M−1}, π_1 μ_1 … π_M μ_M). A natural-gradient step
on the mean log-likelihood ℓ with the complete-data Fisher, taken with step 1 in ν,
ν ← ν + J F_c⁻¹ ∇ℓ (J = ∂ν/∂θ), lands on ν' = (mean_i r_ik, mean_i r_ik T(x_i)): the EM
iterate (Sato 2001, "Online model selection based on the variational Bayes"; Xu & Jordan 1996
write EM as ∇ℓ premultiplied by a positive-definite matrix). :meth:`MixtureProblem.em_step`
computes EM through ``Family.mle`` with the responsibilities as weights,
:meth:`MixtureProblem.natural_step_in_expectation` through the gradient and F_c.
"""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, NotAvailableError, ShapeError
from ..optim.steppers import Stepper, register_stepper


def _logsumexp(a: np.ndarray) -> np.ndarray:
    """log Σ_k exp(a[..., k]) without overflow: (..., M) -> (...)."""
    top = np.max(a, axis=-1, keepdims=True)
    return (top + np.log(np.sum(np.exp(a - top), axis=-1, keepdims=True)))[..., 0]


class Mixture:
    """A mixture of ``M`` components of one family (module docstring for the coordinates).

    Parameters
    ----------
    family : str or fisherlab.Family
        A catalog name (with ``dims``) or a family.
    M : int
        Number of components, ≥ 2.
    **dims
        Dimensions of a catalog family (``d=2`` for the bivariate normal).
    """

    def __init__(self, family, M: int, **dims):
        from .. import family as make_family

        self.family = make_family(family, **dims) if isinstance(family, str) else family
        if int(M) != M or M < 2:
            raise DomainError(f"a mixture needs M >= 2 components, got M = {M!r}")
        self.M = int(M)
        self.k = self.family.kernels("natural")
        self.m = len(self.family.params("natural"))
        self.dim = self.M - 1 + self.M * self.m

    def __repr__(self) -> str:
        return f"<Mixture of {self.M} {self.family.key}>"

    # -- coordinates
    def unpack(self, theta):
        """(π (M,), η (M, m)) from θ (P,)."""
        theta = np.asarray(theta, dtype=np.float64)
        if theta.shape != (self.dim,):
            raise ShapeError(f"{self!r}: θ must have shape ({self.dim},), got {theta.shape}")
        a = np.append(theta[: self.M - 1], 0.0)
        pi = np.exp(a - _logsumexp(a))
        return pi, theta[self.M - 1:].reshape(self.M, self.m)

    def pack(self, pi, eta) -> np.ndarray:
        """θ (P,) from weights π (M,) (positive, summing to 1) and natural parameters η (M, m)."""
        pi = np.asarray(pi, dtype=np.float64)
        eta = np.asarray(eta, dtype=np.float64)
        if pi.shape != (self.M,) or eta.shape != (self.M, self.m):
            raise ShapeError(f"{self!r}: π must have shape ({self.M},) and η ({self.M}, "
                             f"{self.m}), got {pi.shape} and {eta.shape}")
        if np.any(~(pi > 0)) or abs(pi.sum() - 1.0) > 1e-12:
            raise DomainError(f"{self!r}: weights π must be > 0 and sum to 1, got {pi}")
        return np.concatenate([np.log(pi[:-1] / pi[-1]), eta.ravel()])

    def contains(self, theta) -> bool:
        """Whether every component's η lies in the family's natural domain."""
        theta = np.asarray(theta, dtype=np.float64)
        if not np.all(np.isfinite(theta)):
            return False
        return bool(np.all(self.k.in_domain(self.unpack(theta)[1])))

    def sample(self, theta, n: int, seed=None):
        """(x, z): n draws and their component labels (n,)."""
        pi, eta = self.unpack(theta)
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        z = rng.choice(self.M, size=n, p=pi)
        x = np.empty((n,) + tuple(self.family.spec.support.event_shape))
        for j in range(self.M):
            sel = z == j
            if sel.any():
                x[sel] = self.family.sample(eta[j], "natural", size=int(sel.sum()), seed=rng)
        return x, z

    def expectation(self, theta) -> np.ndarray:
        """ν = (π_1 … π_{M−1}, π_1 μ_1 … π_M μ_M): the complete-data expectation parameters."""
        pi, eta = self.unpack(theta)
        return np.concatenate([pi[:-1], (pi[:, None] * self.k.mean(eta)).ravel()])

    def from_expectation(self, nu) -> np.ndarray:
        """θ from ν (the inverse of :meth:`expectation`), through each family's mean map."""
        nu = np.asarray(nu, dtype=np.float64)
        pi = np.append(nu[: self.M - 1], 1.0 - nu[: self.M - 1].sum())
        if np.any(~(pi > 0)):
            raise DomainError(f"{self!r}: expectation parameters give weights π = {pi}")
        mu = nu[self.M - 1:].reshape(self.M, self.m) / pi[:, None]
        eta = np.stack([self.family.natural_from_mean(mu[j]) for j in range(self.M)])
        return self.pack(pi, eta)

    def expectation_jacobian(self, theta) -> np.ndarray:
        """J = ∂ν/∂θ: (P, P)."""
        pi, eta = self.unpack(theta)
        M, m = self.M, self.m
        mu = self.k.mean(eta)
        # ∂π_j/∂α_l = π_j (δ_jl − π_l) for every j ≤ M and l < M
        dpi = (np.diag(pi) - np.outer(pi, pi))[:, : M - 1]
        J = np.zeros((self.dim, self.dim))
        J[: M - 1, : M - 1] = dpi[: M - 1]
        F = self.k.fisher(eta)                             # ∇²A(η_k) = ∂μ_k/∂η_k
        for j in range(M):
            rows = slice(M - 1 + j * m, M - 1 + (j + 1) * m)
            J[rows, : M - 1] = np.outer(mu[j], dpi[j])
            J[rows, rows] = pi[j] * F[j]
        return J

    def problem(self, x) -> MixtureProblem:
        """The maximum-likelihood problem of the sample x: (n,) or (n, d)."""
        return MixtureProblem(self, x)


class MixtureProblem:
    """Mean negative log-likelihood of a sample under a :class:`Mixture`, with its derivatives.

    Offers what the steppers of ``fisherlab.optim`` ask for: ``loss``, ``grad``, ``hessian``
    (exact), ``fisher`` (the complete-data Fisher F_c), ``contains``; and the EM step.
    """

    def __init__(self, mixture: Mixture, x):
        self.mixture = mixture
        fam = mixture.family
        self.x = np.asarray(fam.spec.support.check(x), dtype=np.float64)
        if self.x.ndim != 1 + len(fam.spec.support.event_shape):
            raise ShapeError(f"{mixture!r}: the sample must have shape (n,"
                             f"{','.join(map(str, fam.spec.support.event_shape))}), got "
                             f"{self.x.shape}")
        self.n = self.x.shape[0]
        self.T = np.asarray(fam.statistics(self.x), dtype=np.float64).reshape(self.n, mixture.m)
        self._raw = mixture.k.unchecked()
        self.dim = mixture.dim

    def log_joint(self, theta) -> np.ndarray:
        """log π_k + log p(x_i | η_k): (n, M)."""
        pi, eta = self.mixture.unpack(theta)
        if not np.all(self.mixture.k.in_domain(eta)):
            raise DomainError(f"{self.mixture!r}: a component's η is outside the natural domain")
        xb = self.x[:, None] if self.x.ndim == 1 else self.x[:, None, :]
        return np.log(pi) + self._raw.log_density(xb, eta[None])

    def responsibilities(self, theta) -> np.ndarray:
        """r_ik = P(z_i = k | x_i, θ): (n, M), rows summing to 1."""
        lj = self.log_joint(theta)
        return np.exp(lj - _logsumexp(lj)[:, None])

    def loglik(self, theta) -> float:
        """Mean log-likelihood (1/n) Σ_i log p(x_i | θ)."""
        return float(np.mean(_logsumexp(self.log_joint(theta))))

    def loss(self, theta) -> float:
        """−:meth:`loglik`."""
        return -self.loglik(theta)

    def contains(self, theta) -> bool:
        """Whether θ is a valid point (every η_k in the natural domain)."""
        return self.mixture.contains(theta)

    def _scores(self, theta):
        """(r (n, M), s (n, M, P)): responsibilities and s_ik = ∇_θ log(π_k p(x_i | η_k))."""
        mx = self.mixture
        M, m = mx.M, mx.m
        pi, eta = mx.unpack(theta)
        r = self.responsibilities(theta)
        mu = mx.k.mean(eta)
        s = np.zeros((self.n, M, self.dim))
        s[:, :, : M - 1] = np.eye(M)[:, : M - 1] - pi[: M - 1]
        for j in range(M):
            s[:, j, M - 1 + j * m: M - 1 + (j + 1) * m] = self.T - mu[j]
        return r, s

    def grad(self, theta) -> np.ndarray:
        """∇ of the loss: −(mean_i (r_ij − π_j), mean_i r_ik (T(x_i) − μ_k)): (P,)."""
        r, s = self._scores(theta)
        return -np.einsum("ik,ikp->p", r, s) / self.n

    def hessian(self, theta) -> np.ndarray:
        """The exact Hessian of the loss (P, P): indefinite away from a maximum.

        ∇² log p(x_i) = Σ_k r_ik (B_k + s_ik s_ikᵀ) − ḡ_i ḡ_iᵀ, ḡ_i = Σ_k r_ik s_ik, with
        B_k = ∇² log(π_k p(x | η_k)) = −blockdiag(diag π − ππᵀ, ∇²A(η_k) in block k).
        """
        mx = self.mixture
        M, m = mx.M, mx.m
        pi, eta = mx.unpack(theta)
        r, s = self._scores(theta)
        gbar = np.einsum("ik,ikp->ip", r, s)
        H = np.einsum("ik,ikp,ikq->pq", r, s, s) - gbar.T @ gbar
        H[: M - 1, : M - 1] -= self.n * (np.diag(pi) - np.outer(pi, pi))[: M - 1, : M - 1]
        F = mx.k.fisher(eta)
        rsum = r.sum(0)
        for j in range(M):
            b = slice(M - 1 + j * m, M - 1 + (j + 1) * m)
            H[b, b] -= rsum[j] * F[j]
        return -H / self.n

    def fisher(self, theta) -> np.ndarray:
        """The complete-data Fisher F_c(θ) (P, P), per observation (module docstring)."""
        mx = self.mixture
        M, m = mx.M, mx.m
        pi, eta = mx.unpack(theta)
        Fc = np.zeros((self.dim, self.dim))
        Fc[: M - 1, : M - 1] = (np.diag(pi) - np.outer(pi, pi))[: M - 1, : M - 1]
        F = mx.k.fisher(eta)
        for j in range(M):
            b = slice(M - 1 + j * m, M - 1 + (j + 1) * m)
            Fc[b, b] = pi[j] * F[j]
        return Fc

    def em_step(self, theta) -> np.ndarray:
        """One EM iteration: π_k ← mean_i r_ik, η_k ← the MLE with weights r_ik (Family.mle)."""
        r = self.responsibilities(theta)
        eta = np.stack([self.mixture.family.mle(self.x, "natural", weights=r[:, j])
                        for j in range(self.mixture.M)])
        pi = r.mean(0)
        return self.mixture.pack(pi / pi.sum(), eta)

    def natural_step_expectation(self, theta, lr: float = 1.0) -> np.ndarray:
        """ν + lr·J F_c⁻¹ ∇ℓ: a natural-gradient step with the complete-data Fisher taken in the
        expectation parameters ν, as ν (P,). With lr = 1 it is EM's ν."""
        d = np.linalg.solve(self.fisher(theta), -self.grad(theta))
        nu = self.mixture.expectation(theta)
        return nu + lr * self.mixture.expectation_jacobian(theta) @ d

    def natural_step_in_expectation(self, theta, lr: float = 1.0) -> np.ndarray:
        """:meth:`natural_step_expectation` mapped back to θ (P,). With lr = 1 it is EM."""
        return self.mixture.from_expectation(self.natural_step_expectation(theta, lr))


@register_stepper
class EM(Stepper):
    """The EM iteration as a stepper: ``step(problem, θ)`` is ``problem.em_step(θ)``.

    ``make_stepper("EM")`` builds it. It has no step size: EM is the natural-gradient step with
    the complete-data Fisher taken with step 1 in the expectation parameters (module docstring);
    ``problem.natural_step_in_expectation(θ, lr)`` takes that step with another ``lr``. It needs
    a latent-variable problem with an ``em_step`` (a :class:`MixtureProblem`).
    """

    name = "EM"
    hyper: tuple[str, ...] = ()

    def __init__(self):
        self.reset()

    def step(self, problem, theta) -> np.ndarray:
        """The EM iterate from θ: (P,)."""
        em_step = getattr(problem, "em_step", None)
        if em_step is None:
            raise NotAvailableError(f"EM needs a latent-variable problem with an E and an M "
                                    f"step (a MixtureProblem), got {type(problem).__name__}")
        return em_step(theta)


__all__ = ["EM", "Mixture", "MixtureProblem"]
