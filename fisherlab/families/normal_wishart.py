"""Normal-Wishart distribution of order d: the joint law of a mean μ ∈ ℝ^d and a precision Λ.

Λ ~ Wishart(W, ν) and μ | Λ ~ Normal(μ₀, (κΛ)⁻¹), so that

    p(μ, Λ) = N(μ | μ₀, (κΛ)⁻¹) · W(Λ | W, ν)

(Bishop, "Pattern Recognition and Machine Learning", 2006, eq. (2.157) and (B.78); Murphy,
"Conjugate Bayesian analysis of the Gaussian distribution", 2007, section 8). It is the
conjugate prior of the multivariate normal with unknown mean and precision. An observation is
(μ₁, …, μ_d, then Λ's lower triangle row by row), shape (..., d + d(d+1)/2).

Exponential-family form:

- T(μ, Λ) = (Λμ, μᵀΛμ, Λ_ij for i ≥ j in lower-triangle order, log det Λ);
- η = (κμ₀, −κ/2, the entries of −½M with M = W⁻¹ + κμ₀μ₀ᵀ in the normal's convention
  (−½M_ii on the diagonal, −M_ij off it), (ν − d)/2);
- log h = −(d/2) log 2π, and with κ = −2η_κ, M read off η, W⁻¹ = M − η₁η₁ᵀ/κ and
  ν = 2η_last + d,

      A(η) = −(d/2) log κ − (ν/2) log det(W⁻¹/2) + log Γ_d(ν/2).

At d = 1 it is the normal-gamma with α = ν/2 and rate β = 1/(2W).

Parametrizations:

- ``natural``: η as above; κ > 0, ν > d − 1 and W⁻¹ positive definite;
- ``mu0_kappa_nu_scale``: (μ₀ (mu0_1, …), κ > 0, ν > d − 1, then W's lower triangle row by row:
  scale11, scale21, …), E[μ] = μ₀, E[Λ] = νW.

Valid range: in natural parameters W⁻¹ = M − η₁η₁ᵀ/κ is a difference, as the normal-gamma's
β, which loses about log10(κ|μ₀|²‖W‖) digits; the natural test ranges keep it small. The
``mu0_kappa_nu_scale`` kernels carry W itself and never form that difference (the KL is written
over the parameters' differences, fisherlab/kernels/_wishart_runtime.py): at μ₀ = (1, 1), ν = 6,
κ = 50, W = 5I (a ratio of 500) the KL between points 3%, 1e-4 and 1e-8 apart was measured
within 2e-16 of 50 digits (it was 2e-10 off at a ratio of 100 when the kernels formed the
difference). Their test ranges are |μ₀_i| ≤ 1, κ from 0.1 to 20, W_ii from 0.2 to 5, and ν ≥ d + 1
as the Wishart's. The conjugate-prior update shifts the data to keep μ₀ near 0 (docs/priors.md).

Dimensions: ``d`` ≥ 1 (default 2). This declaration is element-wise (one sympy symbol per entry),
the reference of the tests at small d. The kernels of every d come from one module derived in
matrix form for symbolic d (fisherlab/symbolic/wishart_structured.py, assembled by
fisherlab/kernels/_wishart_runtime.py): ready in well under a second at d = 50, without sympy.
"""

from __future__ import annotations

import numpy as np

from . import matrices as mx
from ._spec import (
    NEGATIVE,
    POSITIVE,
    REAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
    greater_than,
    positive_definite,
    require_int,
)
from .wishart import bartlett, logdet_numeric, matrix_of_eta, matrix_of_eta_numeric, natural_matrix

DIMS = {"d": 2}


def _inverse_scale_numeric(d: int, t) -> np.ndarray:
    """W⁻¹ = M − η₁η₁ᵀ/κ (..., d, d) from natural parameters (..., m)."""
    k = d * (d + 1) // 2
    h = t[..., :d]
    M = matrix_of_eta_numeric(d, t[..., d + 1:d + 1 + k])
    with np.errstate(all="ignore"):
        return M + h[..., :, None] * h[..., None, :] / (2 * t[..., d, None, None])


class ScipyNormalWishart:
    """The normal-Wishart built from scipy.stats' wishart and multivariate_normal (scipy has no
    normal-Wishart): the oracle of the verification's scipy check, independent of the
    declaration above. Entropy by the chain rule H(μ, Λ) = H(Λ) + E_Λ[H(μ | Λ)], with
    H(μ | Λ) = (d/2) log(2πe/κ) − ½ log det Λ and E[log det Λ] = ψ_d(ν/2) + d log 2 + log det W
    (Bishop (B.81))."""

    def __init__(self, st, *theta):
        self.args = theta
        n = len(theta)
        d = int(round((np.sqrt(8 * n - 7) - 3) / 2))  # n = d + 2 + d(d+1)/2
        self._d = d
        self._st = st
        self._mu0 = np.array(theta[:d], dtype=np.float64)
        self._kappa, self._nu = float(theta[d]), float(theta[d + 1])
        self._W = mx.symmetric(d, np.array(theta[d + 2:], dtype=np.float64))
        self._lam = st.wishart(df=self._nu, scale=self._W)

    def logpdf(self, x):
        """log p of one observation (μ, vech Λ)."""
        x = np.asarray(x, dtype=np.float64)
        d = self._d
        lam = mx.symmetric(d, x[d:])
        cov = np.linalg.inv(self._kappa * lam)
        return float(self._lam.logpdf(lam)
                     + self._st.multivariate_normal(self._mu0, cov).logpdf(x[:d]))

    def entropy(self):
        """H(Λ) + E[H(μ | Λ)]."""
        from scipy.special import digamma

        d = self._d
        e_logdet = (sum(digamma((self._nu - j) / 2) for j in range(d)) + d * np.log(2)
                    + np.linalg.slogdet(self._W)[1])
        return (float(self._lam.entropy()) + d / 2 * np.log(2 * np.pi * np.e / self._kappa)
                - e_logdet / 2)

    def mean(self):
        """E[(μ, vech Λ)] = (μ₀, vech νW)."""
        return np.concatenate([self._mu0, self._nu * self._W[np.tril_indices(self._d)]])


def make(d: int = 2) -> ExponentialFamily:
    """The normal-Wishart family of order d, observations of shape (..., d + d(d+1)/2)."""
    from .special.multivariate_gamma import log_multigamma

    d = require_int("d", d, 1)
    pairs = mx.pairs(d)
    k = len(pairs)
    off = 0.45 / max(d - 1, 1)

    mu0 = [Param(f"mu0_{i + 1}", REAL, (-1.0, 1.0), f"μ₀_{i + 1}, the mean of μ_{i + 1}",
                 rf"\mu_{{0,{i + 1}}}") for i in range(d)]
    kappa = Param("kappa", POSITIVE, (0.1, 20.0), "κ > 0, the precision of μ in units of Λ",
                  r"\kappa")
    nu = Param("nu", greater_than(d - 1), (d + 1.0, d + 20.0),
               f"ν > {d - 1}, the degrees of freedom of Λ", r"\nu")
    scale = [
        Param(f"scale{mx.entry_suffix(i, j, d)}", POSITIVE, (0.2, 5.0), f"W_{i + 1}{i + 1} > 0",
              rf"W_{{{i + 1}{j + 1}}}")
        if i == j else
        Param(f"scale{mx.entry_suffix(i, j, d)}", REAL, (-0.1 * off, 0.1 * off),
              f"W_{i + 1}{j + 1}",
              rf"W_{{{i + 1}{j + 1}}}")
        for i, j in pairs
    ]
    natural = [Param(f"eta{i + 1}", REAL, (-1.0, 1.0), f"η_{i + 1} = κμ₀_{i + 1}",
                     rf"\eta_{{{i + 1}}}") for i in range(d)]
    natural.append(Param("eta_kappa", NEGATIVE, (-5.0, -0.5), "η_κ = −κ/2", r"\eta_\kappa"))
    natural += [
        Param(f"eta{mx.entry_suffix(i, j, d)}", NEGATIVE, (-5.0, -1.0),
              f"η_{i + 1}{i + 1} = −½M_{i + 1}{i + 1}, M = W⁻¹ + κμ₀μ₀ᵀ",
              rf"\eta_{{{i + 1}{j + 1}}}")
        if i == j else
        Param(f"eta{mx.entry_suffix(i, j, d)}", REAL, (-0.1 * off, 0.1 * off),
              f"η_{i + 1}{j + 1} = −M_{i + 1}{j + 1}", rf"\eta_{{{i + 1}{j + 1}}}")
        for i, j in pairs
    ]
    natural.append(Param("eta_logdet", greater_than(-0.5), (0.5, 10.0),
                         "η_last = (ν − d)/2", r"\eta_{\log}"))

    def statistics(sp, x):
        mu = sp.Matrix(x[:d])
        lam = mx.sym_matrix(sp, d, x[d:])
        lm = lam * mu
        return (list(lm) + [(mu.T * lm)[0, 0]] + list(x[d:])
                + [sp.log(lam.det(method="berkowitz"))])

    def log_partition(sp, *eta):
        h = sp.Matrix(eta[:d])
        kap = -2 * eta[d]
        w_inv = matrix_of_eta(sp, d, eta[d + 1:d + 1 + k]) - h * h.T / kap
        half_nu = eta[-1] + sp.Rational(d, 2)
        return (-sp.Rational(d, 2) * sp.log(kap)
                - half_nu * (sp.log(w_inv.det(method="berkowitz")) - d * sp.log(2))
                + log_multigamma(sp, half_nu, d))

    def to_natural(sp, *theta):
        m0 = sp.Matrix(theta[:d])
        kap, n = theta[d], theta[d + 1]
        M = mx.inverse(sp, mx.sym_matrix(sp, d, theta[d + 2:])) + kap * m0 * m0.T
        return list(kap * m0) + [-kap / 2] + natural_matrix(sp, d, M) + [(n - d) / 2]

    def from_natural(sp, *eta):
        h = sp.Matrix(eta[:d])
        kap = -2 * eta[d]
        W = mx.inverse(sp, matrix_of_eta(sp, d, eta[d + 1:d + 1 + k]) - h * h.T / kap)
        return list(h / kap) + [kap, 2 * eta[-1] + d] + [W[i, j] for i, j in pairs]

    def no_mle(t):
        # With v = Λμ: E[μᵀΛμ] = E[vᵀΛ⁻¹v] > E[v]ᵀE[Λ]⁻¹E[v] (vᵀM⁻¹v is jointly convex) unless
        # every μ is the same, and E[log det Λ] < log det E[Λ] unless every Λ is (Jensen).
        v, q, lam_bar, l_bar = t[..., :d], t[..., d], mx.symmetric(d, t[..., d + 1:d + 1 + k]), \
            t[..., -1]
        bad = mx.not_positive_definite(lam_bar)
        safe = np.where(bad[..., None, None], np.eye(d), lam_bar)
        with np.errstate(invalid="ignore"):
            quad = (v[..., None, :] @ np.linalg.solve(safe, v[..., :, None]))[..., 0, 0]
            return bad | ~(q > quad) | ~(l_bar < logdet_numeric(safe))

    def sample(rng, *theta_size):
        *theta, size = theta_size
        theta = [float(t) for t in theta]
        m0 = np.array(theta[:d])
        kap, n = theta[d], theta[d + 1]
        W = mx.symmetric(d, np.array(theta[d + 2:]))
        lam = bartlett(rng, n, np.linalg.cholesky(W), size)
        L = np.linalg.cholesky(lam)
        z = rng.standard_normal(lam.shape[:-1] + (1,))
        # μ − μ₀ = L⁻ᵀ z / √κ has covariance (κΛ)⁻¹ when Λ = LLᵀ
        mu = m0 + np.linalg.solve(np.swapaxes(L, -1, -2), z)[..., 0] / np.sqrt(kap)
        il = np.tril_indices(d)
        return np.concatenate([mu, lam[..., il[0], il[1]]], axis=-1)

    return ExponentialFamily(
        name="normal_wishart",
        title="Normal-Wishart",
        density=(r"p(\mu, \Lambda) = \mathcal{N}(\mu \mid \mu_0, (\kappa\Lambda)^{-1})\,"
                 r"\mathcal{W}(\Lambda \mid W, \nu),\quad \mu \in \mathbb{R}^d,\ \Lambda \succ 0"),
        support=positive_definite(d, start=d),
        statistics=statistics,
        log_base_measure=lambda sp, x: -sp.Rational(d, 2) * sp.log(2 * sp.pi),
        natural=natural,
        natural_constraint=Constraint(
            lambda t: mx.not_positive_definite(_inverse_scale_numeric(d, t)),
            "W⁻¹ = M − eta·etaᵀ/κ positive definite (M_ii = -2 eta_ii, M_ij = -eta_ij, "
            "κ = -2 eta_kappa)"),
        log_partition=log_partition,
        parametrizations=[
            Parametrization(
                "mu0_kappa_nu_scale", mu0 + [kappa, nu] + scale,
                to_natural=to_natural, from_natural=from_natural,
                constraint=Constraint(
                    lambda t: mx.not_positive_definite_vech(d, t[..., d + 2:]),
                    "the scale W positive definite"),
                doc=f"μ₀ the mean of μ, κ > 0, ν > {d - 1}, then the lower triangle of the "
                    "scale W row by row: Λ ~ Wishart(W, ν), μ | Λ ~ N(μ₀, (κΛ)⁻¹)."),
        ],
        mean_space=Constraint(
            no_mle, "the MLE needs mean(μᵀΛμ) > mean(Λμ)ᵀ mean(Λ)⁻¹ mean(Λμ) and "
                    "mean(log det Λ) < log det mean(Λ): distinct μ and distinct Λ"),
        sampler=("mu0_kappa_nu_scale", sample),
        scipy=("mu0_kappa_nu_scale", ScipyNormalWishart),
        dims={"d": d},
    )
