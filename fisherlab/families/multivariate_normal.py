"""Multivariate normal distribution of dimension d:
p(x) = (2π)^(−d/2) det(Σ)^(−1/2) exp(−½ (x − μ)ᵀ Σ⁻¹ (x − μ)) for x in ℝ^d.

Observations have shape (..., d). Write Λ = Σ⁻¹ (the precision) and index the lower triangle
row by row: (1,1), (2,1), (2,2), (3,1), (3,2), (3,3), …

Exponential-family form, with the convention fisherlab uses for the vector η:

- T(x) = (x₁, …, x_d, then x_i x_j for i ≥ j in lower-triangle order), so m = d + d(d+1)/2;
- η = (Λμ, then for the same pairs: −½ Λ_ii on the diagonal and −Λ_ij off it): the off-diagonal
  entries carry weight 2 because x_i x_j appears twice in xᵀΛx, so that
  ⟨η, T(x)⟩ = (Λμ)ᵀx − ½ xᵀΛx exactly;
- log h(x) = −(d/2) log 2π, and A(η) = ½ hᵀΛ⁻¹h − ½ log det Λ with h = Λμ the first d entries,
  written as ½ hᵀ adj(Λ) h / det Λ − ½ log det Λ so sympy differentiates a rational function.

Parametrizations:

- ``natural``: η as above; Λ must be positive definite (the quadratic part of η negative
  definite), which the kernels check;
- ``mean_cov``: (μ₁, …, μ_d, then Σ's lower triangle row by row: cov11, cov21, cov22, …);
  Σ must be positive definite;
- ``mean_precision``: (μ, then Λ's lower triangle row by row: prec11, prec21, …); Λ positive
  definite;
- ``mean_chol``: (μ₁, …, μ_d, then the lower Cholesky factor L of Σ = LLᵀ row by row, with its
  diagonal on the log scale: log_chol11, chol21, log_chol22, …); every entry is unconstrained.

From d = 10 on, entry names separate the indices: cov10_1.

Dimensions: ``d`` ≥ 1 (default 2). This declaration is element-wise (one sympy symbol per
entry), the reference of the tests at small d. The kernels of every d come from one module
derived in matrix form for symbolic d (fisherlab/symbolic/mvn_structured.py,
docs/multivariate_normal.md, which also states how a symmetric matrix is flattened and
differentiated and the valid range).
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
    real_vectors,
    require_int,
)

DIMS = {"d": 2}










def _precision(d: int, quad) -> np.ndarray:
    """Λ from the quadratic natural entries (−½Λ_ii, −Λ_ij)."""
    lam = -np.asarray(quad, dtype=np.float64)
    for n, (i, j) in enumerate(mx.pairs(d)):
        if i == j:
            lam[..., n] *= 2.0
    return mx.symmetric(d, lam)






def _natural_of(sp, d: int, mean, precision):
    """η = (Λμ, then −½Λ_ii / −Λ_ij) for sympy μ (list) and Λ (Matrix)."""
    h = precision * sp.Matrix(mean)
    quad = [-precision[i, j] / 2 if i == j else -precision[i, j] for i, j in mx.pairs(d)]
    return list(h) + quad


def _precision_of_eta(sp, d: int, quad):
    """Λ from the quadratic natural entries, as a sympy Matrix."""
    return mx.sym_matrix(sp, d, [-2 * q if i == j else -q for (i, j), q in zip(mx.pairs(d), quad)])




def make(d: int = 2) -> ExponentialFamily:
    """The d-dimensional normal family, observations of shape (..., d)."""
    d = require_int("d", d, 1)
    pairs = mx.pairs(d)
    m = d + len(pairs)
    # off-diagonal test ranges keep every drawn matrix diagonally dominant
    off = 0.45 / max(d - 1, 1)

    mean_params = [Param(f"mean{i + 1}", REAL, (-1.0, 1.0), f"μ_{i + 1}, the mean of x_{i + 1}",
                         rf"\mu_{{{i + 1}}}") for i in range(d)]
    cov_params = [
        Param(
            f"cov{mx.entry_suffix(i, j, d)}",
            POSITIVE,
            (0.5, 5.0),
            f"Σ_{i + 1}{i + 1} > 0, the variance of x_{i + 1}",
            rf"\Sigma_{{{i + 1}{j + 1}}}",
        )
        if i == j
        else Param(
            f"cov{mx.entry_suffix(i, j, d)}",
            REAL,
            (-off * 0.5, off * 0.5),
            f"Σ_{i + 1}{j + 1}, the covariance of x_{i + 1} and x_{j + 1}",
            rf"\Sigma_{{{i + 1}{j + 1}}}",
        )
        for i, j in pairs
    ]
    prec_params = [
        Param(
            f"prec{mx.entry_suffix(i, j, d)}",
            POSITIVE,
            (0.5, 5.0),
            f"Λ_{i + 1}{i + 1} > 0, a diagonal entry of the precision Λ = Σ⁻¹",
            rf"\Lambda_{{{i + 1}{j + 1}}}",
        )
        if i == j
        else Param(
            f"prec{mx.entry_suffix(i, j, d)}",
            REAL,
            (-off * 0.5, off * 0.5),
            f"Λ_{i + 1}{j + 1}, an off-diagonal entry of the precision Λ = Σ⁻¹",
            rf"\Lambda_{{{i + 1}{j + 1}}}",
        )
        for i, j in pairs
    ]
    chol_params = [
        Param(
            f"log_chol{mx.entry_suffix(i, j, d)}",
            REAL,
            (-1.0, 1.0),
            f"log L_{i + 1}{i + 1}, a log diagonal entry of L",
            rf"\log L_{{{i + 1}{j + 1}}}",
        )
        if i == j
        else Param(
            f"chol{mx.entry_suffix(i, j, d)}",
            REAL,
            (-off, off),
            f"L_{i + 1}{j + 1}, an entry of the Cholesky factor L",
            rf"L_{{{i + 1}{j + 1}}}",
        )
        for i, j in pairs
    ]
    natural = [
        Param(f"eta{i + 1}", REAL, (-1.0, 1.0), f"η_{i + 1} = (Λμ)_{i + 1}", rf"\eta_{{{i + 1}}}")
        for i in range(d)
    ]
    natural += [
        Param(
            f"eta{mx.entry_suffix(i, j, d)}",
            NEGATIVE,
            (-5.0, -0.5),
            f"η_{i + 1}{i + 1} = −½Λ_{i + 1}{i + 1}",
            rf"\eta_{{{i + 1}{j + 1}}}",
        )
        if i == j
        else Param(
            f"eta{mx.entry_suffix(i, j, d)}",
            REAL,
            (-off, off),
            f"η_{i + 1}{j + 1} = −Λ_{i + 1}{j + 1}",
            rf"\eta_{{{i + 1}{j + 1}}}",
        )
        for i, j in pairs
    ]

    def statistics(sp, x):
        return list(x) + [x[i] * x[j] for i, j in pairs]

    def log_partition(sp, *eta):
        h = sp.Matrix(eta[:d])
        lam = _precision_of_eta(sp, d, eta[d:])
        det = lam.det(method="berkowitz")
        quad = (h.T * lam.adjugate(method="berkowitz") * h)[0, 0]
        return quad / (2 * det) - sp.log(det) / 2

    def cov_to_natural(sp, *theta):
        sigma = mx.sym_matrix(sp, d, theta[d:])
        return _natural_of(sp, d, theta[:d], mx.inverse(sp, sigma))

    def cov_from_natural(sp, *eta):
        sigma = mx.inverse(sp, _precision_of_eta(sp, d, eta[d:]))
        mean = sigma * sp.Matrix(eta[:d])
        return list(mean) + [sigma[i, j] for i, j in pairs]

    def prec_to_natural(sp, *theta):
        return _natural_of(sp, d, theta[:d], mx.sym_matrix(sp, d, theta[d:]))

    def prec_from_natural(sp, *eta):
        lam = _precision_of_eta(sp, d, eta[d:])
        mean = mx.inverse(sp, lam) * sp.Matrix(eta[:d])
        return list(mean) + [lam[i, j] for i, j in pairs]

    def chol_to_natural(sp, *theta):
        L = mx.lower(sp, d, theta[d:], diag=lambda sp, v: sp.exp(v))
        Linv = mx.inverse(sp, L)
        return _natural_of(sp, d, theta[:d], Linv.T * Linv)

    def chol_from_natural(sp, *eta):
        sigma = mx.inverse(sp, _precision_of_eta(sp, d, eta[d:]))
        mean = sigma * sp.Matrix(eta[:d])
        L = sigma.cholesky(hermitian=False)
        return list(mean) + [sp.log(L[i, j]) if i == j else L[i, j] for i, j in pairs]

    def natural_from_mean(sp, *mu):
        M = mx.sym_matrix(sp, d, mu[d:])
        sigma = M - sp.Matrix(mu[:d]) * sp.Matrix(mu[:d]).T
        return _natural_of(sp, d, mu[:d], mx.inverse(sp, sigma))

    def no_mle(t):
        mean = t[..., :d]
        second = mx.symmetric(d, t[..., d:])
        return mx.not_positive_definite(second - mean[..., :, None] * mean[..., None, :])

    def sample(rng, *theta_size):
        *theta, size = theta_size
        return rng.multivariate_normal(np.array(theta[:d]), mx.symmetric(d, theta[d:]), size=size)

    return ExponentialFamily(
        name="multivariate_normal",
        title="Multivariate normal",
        density=(r"p(x) = (2\pi)^{-d/2} \det(\Sigma)^{-1/2}"
                 r" e^{-\frac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)},\quad x \in \mathbb{R}^d"),
        support=real_vectors(d),
        statistics=statistics,
        log_base_measure=lambda sp, x: -sp.Rational(d, 2) * sp.log(2 * sp.pi),
        natural=natural,
        natural_constraint=Constraint(
            lambda t: mx.not_positive_definite(_precision(d, t[..., d:])),
            "the precision Λ (Λ_ii = -2 eta_ii, Λ_ij = -eta_ij) positive definite"),
        log_partition=log_partition,
        parametrizations=[
            Parametrization(
                "mean_cov", mean_params + cov_params,
                to_natural=cov_to_natural, from_natural=cov_from_natural,
                constraint=Constraint(lambda t: mx.not_positive_definite_vech(d, t[..., d:]),
                                      "the covariance Σ positive definite"),
                doc="μ the mean, then the lower triangle of the covariance Σ row by row "
                    "(Σ positive definite)."),
            Parametrization(
                "mean_precision", mean_params + prec_params,
                to_natural=prec_to_natural, from_natural=prec_from_natural,
                constraint=Constraint(lambda t: mx.not_positive_definite_vech(d, t[..., d:]),
                                      "the precision Λ positive definite"),
                doc="μ the mean, then the lower triangle of the precision Λ = Σ⁻¹ row by row "
                    "(Λ positive definite)."),
            Parametrization(
                "mean_chol", mean_params + chol_params,
                to_natural=chol_to_natural, from_natural=chol_from_natural,
                doc="μ the mean, then the lower Cholesky factor L of Σ = LLᵀ row by row, its "
                    "diagonal as log L_ii (every entry unconstrained)."),
        ],
        natural_from_mean=natural_from_mean,
        mean_space=Constraint(no_mle, "the MLE needs a positive definite sample covariance: "
                                      "at least d + 1 observations in general position"),
        sampler=("mean_cov", sample),
        scipy=("mean_cov", lambda st, *theta: st.multivariate_normal(
            np.array(theta[:m - len(pairs)]), mx.symmetric(d, theta[m - len(pairs):]))),
        dims={"d": d},
    )
