"""The conjugate pairs of the catalog: for each likelihood, its prior family and the affine map.

A likelihood p(x | ψ) = h(x) exp(⟨ψ, t(x)⟩ − w(x) Σ_c a_c(ψ)) over a parameter ψ (its natural
parameter η, or a natural coordinate left free when others are known) has the conjugate prior

    π(ψ | χ, ν) ∝ exp(⟨ψ, χ⟩ − Σ_c ν_c a_c(ψ))

(Diaconis & Ylvisaker, "Conjugate priors for exponential families", 1979). Usually A = a_1 and ν
is one number; the normal splits its A into a part in μ²τ and a part in log τ, each with its own
ν, so that the prior is the full four-parameter normal-gamma rather than its three-parameter
slice. Observing x adds t(x) to χ and w(x) to every ν_c (w is 1, or the binomial's trials n, the
negative binomial's r, the gamma's known shape, the normal's known precision 1/σ²).

Pushed forward to the variable y of a catalog family (a probability, a rate, (μ, τ)), the prior
is that family with natural parameters η_prior = B (χ, ν) + b: :class:`Pair` declares B and b, and
:mod:`.derivation` re-derives them from the two declarations with sympy (tests check the two
agree and that the identity holds symbolically and numerically). The prior's normalizer is then
the catalog family's log-partition: log Z(χ, ν) = A_prior(B (χ, ν) + b) + a constant that cancels
from every posterior and evidence.

Each pair also says how one observation enters: :attr:`Pair.effective` maps the likelihood family
and a sample to (t (n, m), w (n,), log h (n,)), so that log p(x_i | ψ) = log h_i + ⟨ψ, t_i⟩ −
w_i Σ_c a_c(ψ) exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..errors import DomainError, ShapeError
from ..families.declaration import Param
from ..families.domain import NEGATIVE, REAL


@dataclass(frozen=True)
class Pair:
    """One conjugate pair: a likelihood family, its prior family and the map between them.

    Attributes
    ----------
    likelihood : str
        The likelihood's catalog name.
    prior : str
        The prior's catalog name.
    param : str
        The prior's parametrization of the hyperparameters θ₀ and of the posterior.
    affine : callable ``(m) -> (B, b)``
        B (q, m + c) and b (q,): η_prior = B (χ, ν) + b, for m likelihood statistics (c = the
        number of parts of A); q = m + c, B invertible.
    effective : callable ``(fam, x, known) -> (t, w, log_h)``
        How a sample x (n,) or (n, k) of the likelihood family ``fam`` enters: its statistics
        t (n, m), weights w (n,) and log base measure (n,), given the known parameters.
    psi : tuple of Param, optional
        The entries of ψ with their domains and test ranges, where ψ is not the likelihood's
        natural parameter η (a known parameter leaves one natural coordinate free).
    variable : callable ``(sp, *psi, **known) -> list``
        The prior family's observation y(ψ) as sympy expressions (all its entries; the Jacobian
        of the change of variables uses the first len(ψ)).
    parts : callable ``(sp, *psi) -> list``
        The parts a_c(ψ) of the log-partition, as sympy expressions.
    known : tuple of str
        Names of the likelihood parameters the caller must give as known (``var``, ``shape``).
    prior_dims : callable ``(likelihood dims) -> dict``
        The prior family's dimensions.
    predictive : callable ``(posterior θ, fam, known) -> (name, dict)``, optional
        The closed-form posterior predictive, named, with its parameters.
    doc : str
        The pair in words, with the textbook posterior.
    location : int, optional
        For a location family (the normal, the multivariate normal): the index in θ₀ of the
        prior's location (its first entry, for a vector location), which moves with the data.
        Updates are then made on data and prior shifted by the sample mean, where no digits
        cancel; the results are shifted back.
    """

    likelihood: str
    prior: str
    param: str
    affine: Callable[[int], tuple[np.ndarray, np.ndarray]]
    effective: Callable
    variable: Callable
    parts: Callable
    psi: tuple[Param, ...] | None = None
    known: tuple[str, ...] = ()
    prior_dims: Callable[[dict], dict] = field(default=lambda dims: {})
    predictive: Callable | None = None
    doc: str = ""
    location: int | None = None

    def psi_params(self, likelihood_spec) -> tuple[Param, ...]:
        """The entries of ψ: :attr:`psi`, or the likelihood's natural parameters."""
        return tuple(self.psi) if self.psi is not None else tuple(likelihood_spec.natural)


# -- the maps B, b (derived in the docstrings; re-derived by .derivation) -----------------------


def _logit_to_beta(m):
    # ψ = log(p/(1 − p)), a = log(1 + e^ψ) = −log(1 − p), dψ = dp/(p(1 − p)):
    # p^χ (1 − p)^(ν − χ) dp/(p(1 − p)) is Beta(χ, ν − χ); beta's η is (α, β).
    return np.array([[1.0, 0.0], [-1.0, 1.0]]), np.zeros(2)


def _log_failure_to_beta(m):
    # ψ = log(1 − p), a = −log p, |dψ| = dp/(1 − p): (1 − p)^(χ − 1) p^ν is Beta(ν + 1, χ).
    return np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1.0, 0.0])


def _log_rate_to_gamma(m):
    # ψ = log λ, a = λ, dψ = dλ/λ: λ^(χ − 1) e^(−νλ) is Gamma(χ, rate ν); gamma's η is (α, −β).
    return np.array([[1.0, 0.0], [0.0, -1.0]]), np.zeros(2)


def _negative_rate_to_gamma(m):
    # ψ = −λ, a = −log λ, |dψ| = dλ: e^(−χλ) λ^ν is Gamma(ν + 1, rate χ).
    return np.array([[0.0, 1.0], [-1.0, 0.0]]), np.array([1.0, 0.0])


def _half_precision_to_inverse_gamma(m):
    # ψ = −1/(2σ²), a = −log(−2ψ), |dψ/dσ²| = 1/(2σ⁴) (Rayleigh, T = x²):
    # e^(χψ) (−2ψ)^ν dψ ∝ (σ²)^(−ν−2) e^(−(χ/2)/σ²) is InvGamma(ν + 1, χ/2) on σ²;
    # inverse_gamma's η is (−α, −β).
    return np.array([[0.0, -1.0], [-0.5, 0.0]]), np.array([-1.0, 0.0])


def _half_precision_to_gamma(m):
    # ψ = −τ/2, a = −½ log(−2ψ) (A = a + ½ log(π/2)), |dψ/dτ| = 1/2 (half-normal, T = x²):
    # e^(χψ) (−2ψ)^(ν/2) dψ ∝ τ^(ν/2) e^(−(χ/2)τ) is Gamma(ν/2 + 1, rate χ/2) on τ = 1/σ².
    return np.array([[0.0, 0.5], [-0.5, 0.0]]), np.array([1.0, 0.0])


def _negative_inverse_scale_to_inverse_gamma(m):
    # ψ = −1/b, a = −log(−ψ) (A = a + log 2), |dψ/db| = 1/b² (Laplace with fixed location,
    # T = |x − μ|):
    # e^(χψ) (−ψ)^ν dψ ∝ b^(−ν−2) e^(−χ/b) is InvGamma(ν + 1, χ) on the scale b.
    return np.array([[0.0, -1.0], [-1.0, 0.0]]), np.array([-1.0, 0.0])


def _logits_to_dirichlet(m):
    # ψ_j = log(p_j/p_k), a = log(1 + Σ e^ψ) = −log p_k, |∂ψ/∂p| = 1/(p_1 ⋯ p_k):
    # Π_{j<k} p_j^(χ_j − 1) · p_k^(ν − Σχ − 1) is Dirichlet(χ_1, …, χ_{k−1}, ν − Σχ).
    B = np.zeros((m + 1, m + 1))
    B[:m, :m] = np.eye(m)
    B[m, :m] = -1.0
    B[m, m] = 1.0
    return B, np.zeros(m + 1)


def _mean_to_normal(m):
    # ψ = μ, a = μ²/2: e^(χμ − νμ²/2) is N(χ/ν, 1/ν); normal's η is (mean/var, −1/(2 var)).
    return np.array([[1.0, 0.0], [0.0, -0.5]]), np.zeros(2)


def _normal_to_normal_gamma(m):
    # ψ = (μτ, −τ/2), a = (μ²τ/2, −½ log τ), dψ₁ dψ₂ = (τ/2) dμ dτ:
    # exp(χ₁μτ − χ₂τ/2 − ν₁μ²τ/2) τ^(ν₂/2 + 1) is normal-gamma with
    # η = (χ₁, −ν₁/2, −χ₂/2, ν₂/2 + 1), i.e. κ = ν₁, μ₀ = χ₁/ν₁, α = (ν₂ + 3)/2,
    # β = (χ₂ − χ₁²/ν₁)/2.
    B = np.array([[1.0, 0.0, 0.0, 0.0],
                  [0.0, 0.0, -0.5, 0.0],
                  [0.0, -0.5, 0.0, 0.0],
                  [0.0, 0.0, 0.0, 0.5]])
    return B, np.array([0.0, 0.0, 0.0, 1.0])


def _mvn_to_normal_wishart(m):
    # ψ = (h, q) with h = Λμ, q_ii = −½Λ_ii, q_ij = −Λ_ij (i > j), a = (½μᵀΛμ, −½ log det Λ),
    # |∂ψ/∂(μ, Λ)| ∝ det Λ (∂h/∂μ = Λ, q linear in Λ): exp(χ_hᵀΛμ + Σ χ_q,ij q_ij
    # − ν₁μᵀΛμ/2) det(Λ)^(ν₂/2 + 1) is normal-Wishart with η = (χ_h, −ν₁/2, −½χ_q,ii / −χ_q,ij,
    # ν₂/2 + 1), i.e. κ = ν₁, μ₀ = χ_h/ν₁, ν = ν₂ + d + 2, W⁻¹ = −2 Q(χ_q) − χ_hχ_hᵀ/ν₁ with
    # Q(χ_q) the normal's matrix of quadratic natural entries.
    d = int(round((np.sqrt(8 * m + 9) - 3) / 2))  # m = d + d(d+1)/2
    k = m - d
    diag = np.array([i == j for i in range(d) for j in range(i + 1)])
    B = np.zeros((m + 2, m + 2))
    B[:d, :d] = np.eye(d)
    B[d, m] = -0.5
    B[d + 1:d + 1 + k, d:m] = np.diag(np.where(diag, -0.5, -1.0))
    B[m + 1, m + 1] = 0.5
    b = np.zeros(m + 2)
    b[m + 1] = 1.0
    return B, b


# -- how observations enter ---------------------------------------------------------------------


def _as_family_sample(fam, x):
    """The sample checked against the likelihood's support (per row against its fixed values),
    with its statistics T (n, m) and log base measure (n,)."""
    arr = fam.kernels("natural").check_observations(x)
    return arr, fam.statistics(arr), fam.log_base_measure(arr)


def _natural(weight=None):
    """t = T(x), log h from the family; w = 1 or the fixed parameter named ``weight``."""
    def effective(fam, x, known):
        arr, T, log_h = _as_family_sample(fam, x)
        n = T.shape[0]
        w = np.ones(n) if weight is None else np.broadcast_to(
            np.asarray(fam.fixed[weight], dtype=np.float64), (n,))
        return T, np.asarray(w, dtype=np.float64), log_h
    return effective


def _natural_less(constant):
    """t = T(x), w = 1, and log h − ``constant``: A(ψ) = a(ψ) + constant, whose constant part
    goes into each observation's base measure (the prior's normalizer must be the prior
    family's log-partition exactly, and a constant in a would enter it times ν)."""
    def effective(fam, x, known):
        arr, T, log_h = _as_family_sample(fam, x)
        return T, np.ones(T.shape[0]), log_h - constant
    return effective


def _mvn_sample(fam, x, known):
    """t = T(x), w = 1 and log h = −(d/2) log 2π of a multivariate normal sample, x checked
    against the support declaration directly (the matrix-form kernels have no per-row support
    check for ``fam.log_base_measure`` to go through)."""
    arr = fam.spec.support.check(x)
    n, d = arr.shape
    return fam.statistics(arr), np.ones(n), np.full(n, -d / 2 * np.log(2 * np.pi))


def _pareto(fam, x, known):
    # A = −log α + η log x_m: the η log x_m moves into t = log(x/x_m).
    arr, T, log_h = _as_family_sample(fam, x)
    x_m = np.broadcast_to(np.asarray(fam.fixed["x_m"], dtype=np.float64), arr.shape)
    return T - np.log(x_m)[:, None], np.ones(arr.shape[0]), log_h


def _per_observation(known, name, n) -> np.ndarray:
    """A known parameter as one value per observation (n,): a scalar, or an array of n."""
    v = np.asarray(known[name], dtype=np.float64)
    if v.ndim and v.shape != (n,):
        raise ShapeError(f"known {name} must be a scalar or one value per observation, shape "
                         f"({n},), got shape {v.shape}")
    return np.broadcast_to(v, (n,))


def _gamma_known_shape(fam, x, known):
    # Gamma(α, β) with α known, in ψ = −β: p = x^(α−1)/Γ(α) · e^(ψx) · (−ψ)^α.
    from scipy.special import gammaln

    arr, _, _ = _as_family_sample(fam, x)
    a = _per_observation(known, "shape", arr.shape[0])
    return arr[:, None], a.copy(), (a - 1) * np.log(arr) - gammaln(a)


def _normal_known_var(fam, x, known):
    # N(μ, σ²) with σ² known, in ψ = μ: p = N(x; 0, σ²) · e^(μx/σ² − (1/σ²) μ²/2).
    arr, _, _ = _as_family_sample(fam, x)
    v = _per_observation(known, "var", arr.shape[0])
    return (arr / v)[:, None], 1.0 / v, -arr**2 / (2 * v) - np.log(2 * np.pi * v) / 2


# -- closed-form predictives --------------------------------------------------------------------


def _beta_binomial(theta, fam, known):
    n = fam.fixed.get("n", 1)
    return "beta_binomial", {"n": n, "a": theta[0], "b": theta[1]}


def _gamma_poisson(theta, fam, known):
    # Gamma(α, rate β) mixing Poisson(λ): negative binomial with r = α, success probability
    # β/(1 + β) (failures before the r-th success).
    return "negative_binomial", {"r": theta[0], "p": theta[1] / (1 + theta[1])}


def _normal_normal(theta, fam, known):
    return "normal", {"mean": theta[0], "var": theta[1] + known["var"]}


def _student_t(theta, fam, known):
    # Murphy (2007), eq. 100: t_{2α}(μ₀, β(κ + 1)/(ακ)).
    m0, k, a, b = theta
    return "student_t", {"df": 2 * a, "loc": m0, "scale": float(np.sqrt(b * (k + 1) / (a * k)))}


def _multivariate_t(theta, fam, known):
    # Murphy (2007), eq. 232; Bishop (2006), eq. (10.81): t_{ν−d+1}(μ₀, (κ + 1)/(κ(ν − d + 1)) W⁻¹).
    d = fam.dims["d"]
    m0, k, nu = np.asarray(theta[:d]), theta[d], theta[d + 1]
    il = np.tril_indices(d)
    W = np.zeros((d, d))
    W[il] = theta[d + 2:]
    W[il[1], il[0]] = theta[d + 2:]
    df = nu - d + 1
    return "multivariate_t", {"df": df, "loc": m0,
                              "shape": (k + 1) / (k * df) * np.linalg.inv(W)}


def _mvn_variable(sp, *psi, **known):
    # y(ψ) = (μ = Λ⁻¹h, Λ's lower triangle), Λ from the quadratic natural entries
    m = len(psi)
    d = int(round((np.sqrt(8 * m + 9) - 3) / 2))
    pairs = [(i, j) for i in range(d) for j in range(i + 1)]
    lam = sp.zeros(d, d)
    for (i, j), q in zip(pairs, psi[d:]):
        lam[i, j] = lam[j, i] = -2 * q if i == j else -q
    mu = lam.inv(method="ADJ") * sp.Matrix(psi[:d])
    return list(mu) + [lam[i, j] for i, j in pairs]


def _mvn_parts(sp, *psi):
    m = len(psi)
    d = int(round((np.sqrt(8 * m + 9) - 3) / 2))
    pairs = [(i, j) for i in range(d) for j in range(i + 1)]
    lam = sp.zeros(d, d)
    for (i, j), q in zip(pairs, psi[d:]):
        lam[i, j] = lam[j, i] = -2 * q if i == j else -q
    h = sp.Matrix(psi[:d])
    det = lam.det(method="berkowitz")
    return [(h.T * lam.adjugate(method="berkowitz") * h)[0, 0] / (2 * det), -sp.log(det) / 2]


# -- the table ----------------------------------------------------------------------------------

_SIGMOID = lambda sp, e: [sp.exp(e) / (1 + sp.exp(e))]  # noqa: E731
_SOFTPLUS = lambda sp, e: [sp.log(1 + sp.exp(e))]  # noqa: E731
_ONE_MINUS_EXP = lambda sp, e: [1 - sp.exp(e)]  # noqa: E731
_MINUS_LOG_P = lambda sp, e: [-sp.log(1 - sp.exp(e))]  # noqa: E731
_NEG = lambda sp, e: [-e]  # noqa: E731
_MINUS_LOG_NEG = lambda sp, e: [-sp.log(-e)]  # noqa: E731


def _softmax(sp, *e):
    z = 1 + sum(sp.exp(v) for v in e)
    return [sp.exp(v) / z for v in e] + [1 / z]


PAIRS: dict[str, Pair] = {p.likelihood: p for p in (
    Pair("bernoulli", "beta", "alpha_beta", _logit_to_beta, _natural(), _SIGMOID, _SOFTPLUS,
         predictive=_beta_binomial,
         doc="Beta(a, b) on p; posterior Beta(a + Σx, b + n − Σx)."),
    Pair("binomial", "beta", "alpha_beta", _logit_to_beta, _natural("n"), _SIGMOID, _SOFTPLUS,
         predictive=_beta_binomial,
         doc="Beta(a, b) on p; posterior Beta(a + Σx, b + Σ(n_i − x_i)) (n per row allowed)."),
    Pair("geometric", "beta", "alpha_beta", _log_failure_to_beta, _natural(), _ONE_MINUS_EXP,
         _MINUS_LOG_P,
         doc="Beta(a, b) on the success probability p; posterior Beta(a + n, b + Σx)."),
    Pair("negative_binomial", "beta", "alpha_beta", _log_failure_to_beta, _natural("r"),
         _ONE_MINUS_EXP, _MINUS_LOG_P,
         doc="Beta(a, b) on p, r known; posterior Beta(a + Σr_i, b + Σx)."),
    Pair("poisson", "gamma", "shape_rate", _log_rate_to_gamma, _natural(),
         lambda sp, e: [sp.exp(e)], lambda sp, e: [sp.exp(e)], predictive=_gamma_poisson,
         doc="Gamma(α, rate β) on λ; posterior Gamma(α + Σx, β + n)."),
    Pair("exponential", "gamma", "shape_rate", _negative_rate_to_gamma, _natural(), _NEG,
         _MINUS_LOG_NEG, doc="Gamma(α, rate β) on the rate λ; posterior Gamma(α + n, β + Σx)."),
    Pair("gamma", "gamma", "shape_rate", _negative_rate_to_gamma, _gamma_known_shape, _NEG,
         _MINUS_LOG_NEG, psi=(Param("psi", NEGATIVE, (-10.0, -0.1), "ψ = −β, minus the rate"),),
         known=("shape",),
         doc="Shape a known: Gamma(α, rate β) on the rate; posterior Gamma(α + n a, β + Σx)."),
    Pair("pareto", "gamma", "shape_rate", _negative_rate_to_gamma, _pareto, _NEG,
         _MINUS_LOG_NEG,
         doc="x_m known (the family's fixed parameter): Gamma(α, rate β) on the shape; "
             "posterior Gamma(α + n, β + Σ log(x/x_m))."),
    Pair("weibull", "gamma", "shape_rate", _negative_rate_to_gamma, _natural(), _NEG,
         _MINUS_LOG_NEG,
         doc="Shape k known (the family's fixed parameter): Gamma(α, rate β) on θ = λ^(−k), "
             "the rate of x^k; posterior Gamma(α + n, β + Σx^k)."),
    Pair("rayleigh", "inverse_gamma", "shape_scale", _half_precision_to_inverse_gamma,
         _natural(), lambda sp, e: [-1 / (2 * e)], lambda sp, e: [-sp.log(-2 * e)],
         doc="InvGamma(α, β) on σ²; posterior InvGamma(α + n, β + Σx²/2)."),
    Pair("half_normal", "gamma", "shape_rate", _half_precision_to_gamma,
         _natural_less(0.5 * np.log(np.pi / 2)), lambda sp, e: [-2 * e],
         lambda sp, e: [-sp.log(-2 * e) / 2],
         doc="Gamma(α, rate β) on the precision τ = 1/σ²; posterior Gamma(α + n/2, "
             "β + Σx²/2)."),
    Pair("laplace", "inverse_gamma", "shape_scale", _negative_inverse_scale_to_inverse_gamma,
         _natural_less(np.log(2.0)), lambda sp, e: [-1 / e], lambda sp, e: [-sp.log(-e)],
         doc="Location μ known (the family's fixed parameter): InvGamma(α, β) on the scale b; "
             "posterior InvGamma(α + n, β + Σ|x − μ|)."),
    Pair("categorical", "dirichlet", "alpha", _logits_to_dirichlet, _natural(), _softmax,
         lambda sp, *e: [sp.log(1 + sum(sp.exp(v) for v in e))],
         prior_dims=lambda dims: {"k": dims["k"]},
         doc="Dirichlet(α) on p; posterior Dirichlet(α + Σx) (x one-hot)."),
    Pair("multinomial", "dirichlet", "alpha", _logits_to_dirichlet, _natural("n"), _softmax,
         lambda sp, *e: [sp.log(1 + sum(sp.exp(v) for v in e))],
         prior_dims=lambda dims: {"k": dims["k"]},
         doc="Dirichlet(α) on p; posterior Dirichlet(α + Σx) (x counts)."),
    Pair("multivariate_normal", "normal_wishart", "mu0_kappa_nu_scale", _mvn_to_normal_wishart,
         _mvn_sample, _mvn_variable, _mvn_parts, prior_dims=lambda dims: {"d": dims["d"]},
         predictive=_multivariate_t, location=0,
         doc="NW(μ₀, κ, ν, W) on (μ, Λ = Σ⁻¹); posterior κ + n, (κμ₀ + Σx)/(κ + n), ν + n, "
             "W⁻¹ + S + κn/(κ + n)(x̄ − μ₀)(x̄ − μ₀)ᵀ with S = Σ(x − x̄)(x − x̄)ᵀ."),
)}

#: The normal's two conjugate priors: with the variance known (``var=``), the prior on the mean.
NORMAL_KNOWN_VAR = Pair(
    "normal", "normal", "mean_var", _mean_to_normal, _normal_known_var,
    lambda sp, m: [m], lambda sp, m: [m**2 / 2],
    psi=(Param("mu", REAL, (-3.0, 3.0), "ψ = μ, the mean"),),
    known=("var",), predictive=_normal_normal, location=0,
    doc="Variance σ² known: N(m, s²) on μ; posterior precision 1/s² + Σ1/σ², mean "
        "(m/s² + Σx/σ²) over it.")
NORMAL = Pair(
    "normal", "normal_gamma", "mu0_kappa_alpha_beta", _normal_to_normal_gamma, _natural(),
    lambda sp, e1, e2: [-e1 / (2 * e2), -2 * e2],
    lambda sp, e1, e2: [-e1**2 / (4 * e2), -sp.log(-2 * e2) / 2], predictive=_student_t,
    location=0,
    doc="NG(μ₀, κ, α, β) on (μ, τ = 1/σ²); posterior κ + n, (κμ₀ + Σx)/(κ + n), α + n/2, "
        "β + ½Σ(x − x̄)² + κn(x̄ − μ₀)²/(2(κ + n)).")


def pair_for(family, known: dict) -> Pair:
    """The conjugate pair of likelihood ``family`` (a Family) with parameters ``known``."""
    from ..errors import NotAvailableError

    name = family.name
    if name == "normal":
        pair = NORMAL_KNOWN_VAR if "var" in known else NORMAL
    elif name in PAIRS:
        pair = PAIRS[name]
    else:
        have = sorted({*PAIRS, "normal"})
        raise NotAvailableError(
            f"{family.key} has no closed-form conjugate prior in fisherlab (its log-partition "
            f"is not matched by a catalog family); families with one: {', '.join(have)}")
    missing = [k for k in pair.known if k not in known]
    extra = [k for k in known if k not in pair.known]
    if missing or extra:
        takes = ", ".join(pair.known) or "none"
        raise DomainError(
            f"conjugate_prior of {family.key} takes known parameters {takes}; "
            + (f"missing {', '.join(missing)}" if missing else f"got unknown {', '.join(extra)}"))
    return pair


__all__ = ["Pair", "PAIRS", "NORMAL", "NORMAL_KNOWN_VAR", "pair_for"]
