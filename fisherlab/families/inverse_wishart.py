"""Inverse Wishart distribution of order d: the law of X when X⁻¹ is Wishart.

The density of a symmetric positive-definite d × d matrix X is

    p(X) = det(Ψ)^(ν/2) det(X)^(−(ν + d + 1)/2) e^(−tr(ΨX⁻¹)/2) / (2^(νd/2) Γ_d(ν/2)),

with scale Ψ (positive definite) and degrees of freedom ν > d − 1 (Gelman et al., "Bayesian
Data Analysis", 3rd ed., 2013, Table A.1; Wikipedia, "Inverse-Wishart distribution"): X⁻¹ is
Wishart with scale Ψ⁻¹ and ν degrees of freedom. Observations are X's lower triangle row by row
(shape (..., d(d+1)/2)), as for the Wishart.

Exponential-family form:

- T(X) = ((X⁻¹)_ij for i ≥ j in lower-triangle order, then log det X);
- η = (−½Ψ_ii on the diagonal and −Ψ_ij off it, then −(ν + d + 1)/2), so that ⟨η, T(X)⟩ is
  exactly −½ tr(ΨX⁻¹) − ((ν + d + 1)/2) log det X;
- log h(X) = 0, and with Ψ read off η (Ψ_ii = −2η_ii, Ψ_ij = −η_ij) and
  ν/2 = −η_last − (d + 1)/2,

      A(η) = −(ν/2) log det(Ψ/2) + log Γ_d(ν/2).

  Mean parameters: E[X⁻¹] = νΨ⁻¹ and E[log det X] = log det Ψ − d log 2 − ψ_d(ν/2); the mean
  of X itself is Ψ/(ν − d − 1) for ν > d + 1.

Parametrizations:

- ``natural``: η as above; Ψ positive definite and η_last < −d (ν > d − 1);
- ``df_scale``: (ν, then Ψ's lower triangle row by row: scale11, scale21, …), the textbook and
  scipy.stats.invwishart(df=ν, scale=Ψ) parameters.

Valid range: the test ranges keep ν ≥ d + 1, for the reason the Wishart's do (X⁻¹ close to
singular makes log det X ill-conditioned in the entries of X).

At d = 1 the inverse Wishart W⁻¹(Ψ, ν) is the inverse gamma with shape ν/2 and scale Ψ/2.

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
    less_than,
    positive_definite,
    require_int,
)
from .wishart import (
    bartlett,
    logdet_numeric,
    matrix_of_eta,
    matrix_of_eta_numeric,
    natural_matrix,
    scipy_matrix_law,
)

DIMS = {"d": 2}


def make(d: int = 2) -> ExponentialFamily:
    """The inverse Wishart family of order d, observations of shape (..., d(d+1)/2)."""
    from .special.multivariate_gamma import log_multigamma

    d = require_int("d", d, 1)
    pairs = mx.pairs(d)
    k = len(pairs)
    off = 0.45 / max(d - 1, 1)

    scale = [
        Param(f"scale{mx.entry_suffix(i, j, d)}", POSITIVE, (0.5, 5.0), f"Ψ_{i + 1}{i + 1} > 0",
              rf"\Psi_{{{i + 1}{j + 1}}}")
        if i == j else
        Param(f"scale{mx.entry_suffix(i, j, d)}", REAL, (-0.25 * off, 0.25 * off),
              f"Ψ_{i + 1}{j + 1}",
              rf"\Psi_{{{i + 1}{j + 1}}}")
        for i, j in pairs
    ]
    df = Param("df", greater_than(d - 1), (d + 1.0, d + 20.0),
               f"ν > {d - 1}, the degrees of freedom", r"\nu")
    natural = [
        Param(f"eta{mx.entry_suffix(i, j, d)}", NEGATIVE, (-2.5, -0.25),
              f"η_{i + 1}{i + 1} = −½Ψ_{i + 1}{i + 1}", rf"\eta_{{{i + 1}{j + 1}}}")
        if i == j else
        Param(f"eta{mx.entry_suffix(i, j, d)}", REAL, (-0.25 * off, 0.25 * off),
              f"η_{i + 1}{j + 1} = −Ψ_{i + 1}{j + 1}", rf"\eta_{{{i + 1}{j + 1}}}")
        for i, j in pairs
    ]
    natural.append(Param("eta_logdet", less_than(-float(d)), (-d - 10.0, -d - 1.0),
                         "η_last = −(ν + d + 1)/2", r"\eta_{\log}"))

    def statistics(sp, x):
        X = mx.sym_matrix(sp, d, x)
        det = X.det(method="berkowitz")
        adj = X.adjugate(method="berkowitz")
        return [adj[i, j] / det for i, j in pairs] + [sp.log(det)]

    def log_partition(sp, *eta):
        Psi = matrix_of_eta(sp, d, eta[:k])
        half_nu = -eta[k] - sp.Rational(d + 1, 2)
        return (-half_nu * (sp.log(Psi.det(method="berkowitz")) - d * sp.log(2))
                + log_multigamma(sp, half_nu, d))

    def to_natural(sp, nu, *s):
        return natural_matrix(sp, d, mx.sym_matrix(sp, d, s)) + [-(nu + d + 1) / 2]

    def from_natural(sp, *eta):
        Psi = matrix_of_eta(sp, d, eta[:k])
        return [-2 * eta[k] - d - 1] + [Psi[i, j] for i, j in pairs]

    def no_mle(t):
        # Y = X⁻¹ has statistics (Y, −log det Y): the Wishart's hull condition on (Y, log det Y).
        M = mx.symmetric(d, t[..., :k])
        bad = mx.not_positive_definite(M)
        safe = np.where(bad[..., None, None], np.eye(d), M)
        with np.errstate(invalid="ignore"):
            return bad | ~(-t[..., k] < logdet_numeric(safe))

    def sample(rng, nu, *s_size):
        *s, size = s_size
        psi = mx.symmetric(d, np.array(s, dtype=np.float64))
        Y = bartlett(rng, float(nu), np.linalg.cholesky(np.linalg.inv(psi)), size)
        X = np.linalg.inv(Y)
        X = (X + np.swapaxes(X, -1, -2)) / 2  # exactly symmetric
        return X[..., np.tril_indices(d)[0], np.tril_indices(d)[1]]

    return ExponentialFamily(
        name="inverse_wishart",
        title="Inverse Wishart",
        density=(r"p(X) = \frac{\det(\Psi)^{\nu/2} \det(X)^{-(\nu+d+1)/2}"
                 r" e^{-\frac12 \operatorname{tr}(\Psi X^{-1})}}{2^{\nu d/2} \Gamma_d(\nu/2)},"
                 r"\quad X \succ 0"),
        support=positive_definite(d),
        statistics=statistics,
        log_base_measure=lambda sp, x: sp.Integer(0),
        natural=natural,
        natural_constraint=Constraint(
            lambda t: mx.not_positive_definite(matrix_of_eta_numeric(d, t[..., :k])),
            "the scale Ψ (Ψ_ii = -2 eta_ii, Ψ_ij = -eta_ij) positive definite"),
        log_partition=log_partition,
        parametrizations=[
            Parametrization(
                "df_scale", [df] + scale,
                to_natural=to_natural, from_natural=from_natural,
                constraint=Constraint(lambda t: mx.not_positive_definite_vech(d, t[..., 1:]),
                                      "the scale Ψ positive definite"),
                doc=f"ν > {d - 1} the degrees of freedom, then the lower triangle of the scale "
                    "Ψ row by row (positive definite): E[X] = Ψ/(ν − d − 1) for ν > d + 1."),
        ],
        mean_space=Constraint(no_mle, "the MLE needs a positive definite mean of X⁻¹ with "
                                      "mean(log det X) > −log det mean(X⁻¹): at least two "
                                      "distinct observations"),
        sampler=("df_scale", sample),
        scipy=("df_scale", lambda st, nu, *s: scipy_matrix_law(st.invwishart, nu, s)),
        dims={"d": d},
    )
