"""Kernels of the multivariate normal's subfamilies in any dimension d: diagonal covariance,
isotropic covariance, unit covariance, zero mean.

Each subfamily is the full multivariate normal restricted to an affine subspace, in two ways:

- its parameters θ (..., p) are an affine image θ_full = E θ + c of the full family's parameters
  in one of its parametrizations (the *base*): the diagonal's ``mean_var`` is ``mean_cov`` with
  the off-diagonal covariances at 0, the isotropic ``mean_var`` is ``mean_cov`` with every
  variance equal, the centered ``cov`` is ``mean_cov`` with μ = 0, …;
- its natural parameters η (..., m) likewise, η_full = E_η η + c_η, with T(x) = E_ηᵀ T_full(x)
  and log h(x) = log h_full(x) + ⟨c_η, T_full(x)⟩.

So every quantity is the full family's, derived in matrix form for symbolic d
(:mod:`fisherlab.symbolic.mvn_structured`), taken at the embedded point and pulled back by the
constant Jacobian: the log-density, A, the KL and the entropy are the full family's; the mean is
E_ηᵀ E[T_full]; the score is Eᵀ s_full; the observed Hessian and the Fisher information are
Eᵀ H E and Eᵀ F E (no second-order term: the embedding is affine); the Fisher information in
natural coordinates and the skewness are E_η's pullbacks of ∇²A and ∇³A. Nothing is written
per subfamily but the embeddings (:data:`EMBEDDINGS`), which are the definitions of the
subfamilies, and the closed-form Fisher–Rao distances (:func:`fisher_rao`), which the full
family does not have.

Imports numpy only.
"""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, ShapeError, describe
from ..structure import Dense
from ._mvn_runtime import MVNKernels
from ._runtime import Kernels

#: subfamily -> parametrization -> the full family's parametrization it embeds into. The
#: embedding matrices themselves are built by :func:`embedding`.
BASES = {
    "multivariate_normal_diagonal": {"natural": "natural", "mean_var": "mean_cov",
                                     "mean_precision": "mean_precision",
                                     "mean_logstd": "mean_chol"},
    "multivariate_normal_isotropic": {"natural": "natural", "mean_var": "mean_cov",
                                      "mean_precision": "mean_precision",
                                      "mean_logstd": "mean_chol"},
    "multivariate_normal_unit_variance": {"natural": "natural", "mean": "mean_cov"},
    "multivariate_normal_centered": {"natural": "natural", "cov": "mean_cov",
                                     "precision": "mean_precision", "chol": "mean_chol"},
}


def embedding(family: str, parametrization: str, d: int) -> tuple[np.ndarray, np.ndarray]:
    """E (p_full, p) and c (p_full,) with θ_full = E θ + c, θ_full in the base parametrization
    (:data:`BASES`), whose matrix entries are the lower triangle row by row."""
    il = np.tril_indices(d)
    n = len(il[0])
    diag = d + np.flatnonzero(il[0] == il[1])  # rows of the diagonal entries in θ_full
    p_full = d + n
    c = np.zeros(p_full)
    if family == "multivariate_normal_centered":
        E = np.zeros((p_full, n))
        E[d:, :] = np.eye(n)
        return E, c
    if family == "multivariate_normal_unit_variance":
        E = np.zeros((p_full, d))
        E[:d, :] = np.eye(d)
        # Σ = I: −½Λ_ii = −½ in natural coordinates, Σ_ii = 1 in mean_cov
        c[diag] = -0.5 if parametrization == "natural" else 1.0
        return E, c
    if family == "multivariate_normal_diagonal":
        E = np.zeros((p_full, 2 * d))
        E[:d, :d] = np.eye(d)
        E[diag, d + np.arange(d)] = 1.0
        return E, c
    if family == "multivariate_normal_isotropic":
        E = np.zeros((p_full, d + 1))
        E[:d, :d] = np.eye(d)
        E[diag, d] = 1.0
        return E, c
    raise KeyError(family)


class SubfamilyKernels(Kernels):
    """:class:`~fisherlab.kernels._runtime.Kernels` of a subfamily of the multivariate normal
    (see the module docstring), for any d.

    Same methods and shapes as every family's kernels, plus :meth:`fisher_rao_distance` in
    closed form. ``fisher(theta, structured=True)`` returns
    :class:`~fisherlab.structure.Dense`: the matrix is small (p ≤ d(d+1)/2) and, for the
    diagonal and isotropic variants outside natural coordinates, exactly diagonal.
    """

    def __init__(self, spec, parametrization: str, namespace: dict, validate: bool = True):
        super().__init__(spec, parametrization, namespace, validate)
        self._d = d = int(namespace["d"])
        name = spec.name
        self._full_spec = namespace["FULL_SPEC"]
        full_ns = namespace["FULL_NAMESPACE"]
        base = BASES[name][parametrization]
        self._full = MVNKernels(self._full_spec, base, full_ns, validate=False)
        self._full_nat = MVNKernels(self._full_spec, "natural", full_ns, validate=False)
        self._E, self._c = embedding(name, parametrization, d)
        self._En, self._cn = embedding(name, "natural", d)
        # the left inverses: θ_j is the first entry of θ_full that E copies it to
        self._sel = np.argmax(self._E != 0, axis=0)
        self._sel_n = np.argmax(self._En != 0, axis=0)
        self._nat_checker = None  # the natural parametrization's kernels, to check η
        self._f = {q: getattr(self, q) for q in (
            "to_natural", "from_natural", "jacobian", "log_partition", "mean", "log_density",
            "score", "hessian", "fisher", "natural_fisher", "skewness", "kl", "entropy",
            "fisher_rao")}

    def __repr__(self) -> str:
        return f"<Kernels {self.family} {self.parametrization} (d = {self._d}, p = {self._p})>"

    def unchecked(self):
        """A copy that skips argument checking (documented opt-out for hot loops)."""
        return SubfamilyKernels(self.spec, self.parametrization, self._ns, validate=False)

    @property
    def dimension(self) -> int:
        """d, the dimension of the observations."""
        return self._d

    # -- θ -> the full family's θ
    def _embed(self, theta, name: str = "theta") -> np.ndarray:
        """θ (..., p), checked, as the full family's θ_full (..., p_full) in the base."""
        arr = self.check_theta(theta, name)
        return arr @ self._E.T + self._c

    def _embed_natural(self, eta, name: str = "eta") -> np.ndarray:
        arr = np.asarray(eta, dtype=np.float64)
        if self.parametrization == "natural":
            arr = self.check_theta(arr, name)
        else:
            if self._nat_checker is None:
                self._nat_checker = SubfamilyKernels(self.spec, "natural", self._ns,
                                                     self.validate)
            arr = self._nat_checker.check_theta(arr, name)
        return arr @ self._En.T + self._cn

    def _pullback(self, apply, st, E, p):
        """The matrix (..., p, p) Eᵀ M E of the full operator ``apply(st, u_full)``."""
        def sub(st, u):
            return apply(st, u @ E.T) @ E
        M = self._full._dense(sub, st, p)
        return 0.5 * (M + M.swapaxes(-1, -2))

    # -- the kernels
    def to_natural(self, theta):
        """η(θ): (..., p) -> (..., m)."""
        return self._full.to_natural(self._embed(theta))[..., self._sel_n]

    def from_natural(self, eta):
        """θ(η): (..., m) -> (..., p)."""
        return self._full.from_natural(self._embed_natural(eta))[..., self._sel]

    def jacobian(self, theta):
        """J = ∂η/∂θ: (..., p) -> (..., m, p)."""
        return self._full.jacobian(self._embed(theta))[..., self._sel_n, :] @ self._E

    def log_partition(self, theta):
        """A(η(θ)): (..., p) -> (...)."""
        return self._full.log_partition(self._embed(theta))

    def mean(self, theta):
        """E[T(x)] = E_ηᵀ E[T_full(x)]: (..., p) -> (..., m)."""
        return self._full.mean(self._embed(theta)) @ self._En

    def log_density(self, x, theta):
        """log p(x | θ): x (..., d), θ (..., p) -> (...)."""
        x = self.check_observations(x) if self.validate else x
        return self._full.log_density(x, self._embed(theta))

    def score(self, x, theta):
        """∇_θ log p(x | θ) = Eᵀ s_full: -> (..., p)."""
        x = self.check_observations(x) if self.validate else x
        return self._full.score(x, self._embed(theta)) @ self._E

    def hessian(self, x, theta):
        """∇²_θ log p(x | θ) = Eᵀ H_full E: -> (..., p, p), exactly symmetric."""
        x = self.check_observations(x) if self.validate else x
        H = self._E.T @ self._full.hessian(x, self._embed(theta)) @ self._E
        return 0.5 * (H + H.swapaxes(-1, -2))

    def fisher(self, theta, structured: bool = False):
        """F(θ) = Eᵀ F_full E: (..., p) -> (..., p, p), exactly symmetric (``structured=True``:
        as :class:`~fisherlab.structure.Dense`)."""
        st = self._full._state(self._embed(theta))
        F = self._pullback(self._full.fisher_apply, st, self._E, self._p)
        return Dense(F) if structured else F

    def natural_fisher(self, theta):
        """∇²A at η(θ) = E_ηᵀ ∇²A_full E_η: -> (..., m, m)."""
        eta = self._full.to_natural(self._embed(theta))
        st = self._full_nat._state(eta)
        return self._pullback(self._full_nat.fisher_apply, st, self._En, self._m)

    def skewness(self, theta):
        """∂³A at η(θ), E_η's pullback of the full family's: -> (..., m, m, m)."""
        T = self._full.skewness(self._embed(theta))
        E = self._En
        return np.einsum("...abc,ai,bj,ck->...ijk", T, E, E, E, optimize=True)

    def kl(self, theta_p, theta_q, refine: bool = True):
        """KL(p_θp ‖ p_θq), the full family's: (..., p), (..., p) -> (...). ``refine`` is
        accepted for the common interface (the full family's closed form needs none)."""
        return self._full.kl(self._embed(theta_p, "theta_p"), self._embed(theta_q, "theta_q"))

    def entropy(self, theta):
        """½ log det(2πeΣ): -> (...)."""
        return self._full.entropy(self._embed(theta))

    def fisher_rao(self, theta1, theta2):
        """The closed-form Fisher–Rao distance (see :func:`fisher_rao`)."""
        return self.fisher_rao_distance(theta1, theta2)

    def fisher_rao_distance(self, theta1, theta2):
        """The Fisher–Rao geodesic distance between θ1 and θ2: (..., p), (..., p) -> (...).

        In closed form for every subfamily (docs/multivariate_normal.md): the zero-mean normal's
        √(½ Σ log² λ_i(Σ₁⁻¹Σ₂)) (Atkinson & Mitchell 1981), the unit-covariance normal's
        ‖μ₁ − μ₂‖, and the diagonal and isotropic normals' hyperbolic distances.
        """
        a = self.check_theta(theta1, "theta1")
        b = self.check_theta(theta2, "theta2")
        return fisher_rao(self.spec.name, self.parametrization, self._d, a, b)


# -- Fisher–Rao distances ------------------------------------------------------------------------


def fisher_rao(family: str, parametrization: str, d: int, a: np.ndarray, b: np.ndarray):
    """The Fisher–Rao distance between θ = a and θ = b (..., p) of a subfamily, in closed form.

    Every difference of the two points is formed from the difference of their parameters, so
    that nearby points keep their relative accuracy:

    - zero mean: √(½ Σ_i log² λ_i) with λ_i the eigenvalues of Σ_a⁻¹Σ_b, as 1 + ε_i with ε_i the
      eigenvalues of C⁻¹(Σ_b − Σ_a)C⁻ᵀ (Σ_a = CCᵀ; the same with Λ, whose eigenvalues are the
      reciprocals, in precision and natural coordinates), and log λ_i = log1p(ε_i);
    - unit covariance: ‖μ_a − μ_b‖;
    - diagonal: √(Σ_i δ_i²) with δ_i = 2√2 arcsinh √(((μ_a − μ_b)²/2 + (σ_a − σ_b)²)/(4σ_aσ_b)),
      the univariate normal's distance in the metric (dμ² + 2dσ²)/σ² of each coordinate;
    - isotropic: 2√(2d) arcsinh √((‖μ_a − μ_b‖²/(2d) + (σ_a − σ_b)²)/(4σ_aσ_b)), the metric
      (‖dμ‖² + 2d dσ²)/σ² being 2d times the hyperbolic one of (μ/√(2d), σ).

    arccosh(1 + u) is written 2 arcsinh √(u/2): the rounding of 1 + u would cost a small u half
    its digits.
    """
    if family == "multivariate_normal_unit_variance":
        return np.sqrt(((a - b) ** 2).sum(-1))
    if family == "multivariate_normal_centered":
        return _centered(parametrization, d, a, b)
    dmu, s_a, s_b, ds = _mean_and_std(parametrization, d, a, b)
    if family == "multivariate_normal_diagonal":
        z = (0.5 * dmu ** 2 + ds ** 2) / (4.0 * s_a * s_b)
        delta = 2.0 * np.sqrt(2.0) * np.arcsinh(np.sqrt(z))
        return np.sqrt((delta ** 2).sum(-1))
    if family == "multivariate_normal_isotropic":
        z = ((dmu ** 2).sum(-1) / (2.0 * d) + ds[..., 0] ** 2) / (4.0 * s_a[..., 0] * s_b[..., 0])
        return 2.0 * np.sqrt(2.0 * d) * np.arcsinh(np.sqrt(z))
    raise KeyError(family)


def _mean_and_std(parametrization, d, a, b):
    """μ_a − μ_b (..., d), σ_a, σ_b and σ_a − σ_b (..., k) of two points of the diagonal (k = d)
    or isotropic (k = 1) normal, each difference from the parameters' differences."""
    ta, tb = a[..., d:], b[..., d:]
    if parametrization == "natural":
        la, lb = -2.0 * ta, -2.0 * tb  # the precisions
        dl = -2.0 * (ta - tb)
        # μ = h/λ: μ_a − μ_b = ((h_a − h_b)λ_b − h_b(λ_a − λ_b))/(λ_aλ_b)
        dmu = ((a[..., :d] - b[..., :d]) * lb - b[..., :d] * dl) / (la * lb)
    else:
        dmu = a[..., :d] - b[..., :d]
    if parametrization == "mean_var":
        s_a, s_b = np.sqrt(ta), np.sqrt(tb)
        ds = (ta - tb) / (s_a + s_b)
    elif parametrization in ("mean_precision", "natural"):
        la, lb = (ta, tb) if parametrization == "mean_precision" else (-2.0 * ta, -2.0 * tb)
        dl = (ta - tb) if parametrization == "mean_precision" else -2.0 * (ta - tb)
        ra, rb = np.sqrt(la), np.sqrt(lb)
        s_a, s_b = 1.0 / ra, 1.0 / rb
        ds = -dl / (ra * rb * (ra + rb))
    elif parametrization == "mean_logstd":
        s_a, s_b = np.exp(ta), np.exp(tb)
        ds = s_b * np.expm1(ta - tb)
    else:
        raise KeyError(parametrization)
    return dmu, s_a, s_b, ds


def _centered(parametrization, d, a, b):
    il = np.tril_indices(d)
    is_diag = il[0] == il[1]

    def sym(v):
        out = np.zeros(v.shape[:-1] + (d, d))
        out[..., il[0], il[1]] = v
        out[..., il[1], il[0]] = v
        return out

    a, b = np.broadcast_arrays(a, b)
    if parametrization == "chol":
        def lower(v):
            out = np.zeros(v.shape[:-1] + (d, d))
            out[..., il[0], il[1]] = v
            return out
        # only the diagonal entries are logarithms (exp of the others could overflow)
        ga, gb = np.exp(np.where(is_diag, a, 0.0)), np.exp(np.where(is_diag, b, 0.0))
        La, Lb = lower(np.where(is_diag, ga, a)), lower(np.where(is_diag, gb, b))
        # L_b − L_a, its diagonal e^{l_a} expm1(l_b − l_a); Σ_b − Σ_a = dL L_bᵀ + L_a dLᵀ
        dL = lower(np.where(is_diag, ga * np.expm1(np.where(is_diag, b - a, 0.0)), b - a))
        M = La @ La.swapaxes(-1, -2)
        dM = dL @ Lb.swapaxes(-1, -2) + La @ dL.swapaxes(-1, -2)
    else:
        w = np.where(is_diag, -2.0, -1.0) if parametrization == "natural" else 1.0
        M, dM = sym(a * w), sym((b - a) * w)  # Σ (cov) or Λ (precision, natural), and b − a
    C = np.linalg.cholesky(M)
    X = np.linalg.solve(C, np.linalg.solve(C, dM).swapaxes(-1, -2))
    eps = np.linalg.eigvalsh(0.5 * (X + X.swapaxes(-1, -2)))
    if not (eps > -1.0).all():
        raise DomainError(f"multivariate_normal_centered: the eigenvalues of Σ_a⁻¹Σ_b must be "
                          f"positive, got 1 + {describe(eps[~(eps > -1.0)])} (rounding: a "
                          "condition number of Σ beyond 1/ε)")
    return np.sqrt(0.5 * (np.log1p(eps) ** 2).sum(-1))


def assemble(family: str, d: int) -> dict:
    """The kernel namespace of subfamily ``family`` in dimension d."""
    from ..families import load
    from . import multivariate_normal as full_module

    d = int(d)
    if d < 1:
        raise ShapeError(f"{family}: the dimension d must be >= 1, got {d}")
    full_ns = full_module.namespace(d)
    E_n, c_n = embedding(family, "natural", d)
    full_stat, full_logh = full_ns["statistics"], full_ns["log_base_measure"]
    sel_n = np.argmax(E_n != 0, axis=0)

    def statistics(*x):
        return full_stat(*x) @ E_n

    def log_base_measure(*x):
        # log h_full + ⟨c_η, T_full(x)⟩
        return full_logh(*x) + full_stat(*x) @ c_n

    def natural_from_mean(*mu):
        """η(μ) from the columns of the mean μ = E[T]: through the full family's, at the mean
        the subfamily's μ stands for (its moments spread over the full statistic)."""
        mu = np.stack(np.broadcast_arrays(*mu), -1)
        return full_ns["natural_from_mean"](*np.moveaxis(_full_mean(family, d, mu), -1, 0)
                                            )[..., sel_n]

    kernels = {pz: {"from_natural": None} for pz in BASES[family]}
    return {"KERNELS": kernels, "KERNELS_CLASS": SubfamilyKernels, "d": d,
            "FULL_SPEC": load("multivariate_normal", d=d), "FULL_NAMESPACE": full_ns,
            "statistics": statistics, "log_base_measure": log_base_measure,
            "natural_from_mean": natural_from_mean, "DIMS": {"d": d}}


def _full_mean(family, d, mu):
    """The full family's mean (μ, E[x_i x_j]) at the subfamily's mean ``mu`` (..., m)."""
    il = np.tril_indices(d)
    is_diag = il[0] == il[1]
    if family == "multivariate_normal_centered":
        return np.concatenate([np.zeros(mu.shape[:-1] + (d,)), mu], -1)
    m = mu[..., :d]
    outer = m[..., il[0]] * m[..., il[1]]
    if family == "multivariate_normal_unit_variance":
        return np.concatenate([m, outer + is_diag], -1)
    if family == "multivariate_normal_diagonal":
        second = np.array(outer)
        second[..., is_diag] = mu[..., d:]
        return np.concatenate([m, second], -1)
    # isotropic: E‖x‖² = Σμ_i² + dσ² spread as E[x_i²] = μ_i² + σ²
    var = (mu[..., d] - (m ** 2).sum(-1)) / d
    second = np.array(outer)
    second[..., is_diag] += var[..., None]
    return np.concatenate([m, second], -1)
