"""Multivariate normal with isotropic covariance σ²I, dimension d:
p(x) = (2πσ²)^(−d/2) exp(−‖x − μ‖²/(2σ²)) for x in ℝ^d.

Exponential-family form: T(x) = (x_1, …, x_d, ‖x‖²), m = d + 1; η = (μ/σ², −1/(2σ²));
log h(x) = −(d/2) log 2π; A(η) = −‖η_{1..d}‖²/(4η_sq) − (d/2) log(−2η_sq).

It is the multivariate normal restricted to Σ = σ²I: the full family's natural parameters with
every −½Λ_ii equal to η_sq and every −Λ_ij zero (docs/multivariate_normal.md); its kernels are
the full family's at that point (fisherlab/kernels/_mvn_subfamily.py).

Parametrizations (θ lists the d means first, then the one scale entry):

- ``natural``: (eta1, …, etad, eta_sq) = (μ/σ², −1/(2σ²));
- ``mean_var``: (mean1, …, meand, var), σ² > 0;
- ``mean_precision``: (mean1, …, meand, prec), 1/σ² > 0;
- ``mean_logstd``: (mean1, …, meand, log_std), every entry unconstrained.

The same family is efax's ``IsotropicNormal``; the element-wise declaration below is the
reference of the tests at small d.
"""

from __future__ import annotations

import numpy as np

from ._spec import (
    NEGATIVE,
    POSITIVE,
    REAL,
    ExponentialFamily,
    Param,
    Parametrization,
    real_vectors,
    require_int,
)
from .multivariate_normal_diagonal import mean_params

DIMS = {"d": 2}


def make(d: int = 2) -> ExponentialFamily:
    """The d-dimensional normal with covariance σ²I, observations of shape (..., d)."""
    d = require_int("d", d, 1)
    means = mean_params(d)
    natural = [Param(f"eta{i + 1}", REAL, (-1.0, 1.0), f"η_{i + 1} = μ_{i + 1}/σ²",
                     rf"\eta_{{{i + 1}}}") for i in range(d)]
    natural.append(Param("eta_sq", NEGATIVE, (-5.0, -0.1), "η_sq = −1/(2σ²), the coefficient "
                         "of ‖x‖²", r"\eta_{\mathrm{sq}}"))
    var = Param("var", POSITIVE, (0.1, 5.0), "σ² > 0, the variance of each x_i", r"\sigma^2")
    prec = Param("prec", POSITIVE, (0.2, 10.0), "1/σ² > 0, the precision of each x_i",
                 r"\lambda")
    logstd = Param("log_std", REAL, (-1.0, 1.0), "log σ, the log standard deviation",
                   r"\log\sigma")

    def log_partition(sp, *eta):
        e = eta[d]
        return -sum(h ** 2 for h in eta[:d]) / (4 * e) - sp.Rational(d, 2) * sp.log(-2 * e)

    def natural_from_mean(sp, *mu):
        v = (mu[d] - sum(m ** 2 for m in mu[:d])) / d
        return [m / v for m in mu[:d]] + [-1 / (2 * v)]

    def fisher_rao(sp, *ab):
        # √(2d) arccosh(1 + u) written 2√(2d) arcsinh √(u/2) (docs/multivariate_normal.md)
        s1, s2 = sp.sqrt(ab[d]), sp.sqrt(ab[2 * d + 1])
        dmu2 = sum((ab[i] - ab[d + 1 + i]) ** 2 for i in range(d))
        u = (dmu2 / (2 * d) + (s1 - s2) ** 2) / (4 * s1 * s2)
        return 2 * sp.sqrt(2 * d) * sp.asinh(sp.sqrt(u))

    def sample(rng, *theta_size):
        *theta, size = theta_size
        shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        return rng.normal(np.array(theta[:d]), np.sqrt(theta[d]), size=shape + (d,))

    return ExponentialFamily(
        name="multivariate_normal_isotropic",
        title="Multivariate normal, isotropic covariance",
        density=(r"p(x) = (2\pi\sigma^2)^{-d/2} e^{-\|x-\mu\|^2/(2\sigma^2)},"
                 r"\quad x \in \mathbb{R}^d"),
        support=real_vectors(d),
        statistics=lambda sp, x: list(x) + [sum(xi ** 2 for xi in x)],
        log_base_measure=lambda sp, x: -sp.Rational(d, 2) * sp.log(2 * sp.pi),
        natural=natural,
        log_partition=log_partition,
        parametrizations=[
            Parametrization(
                "mean_var", means + [var],
                to_natural=lambda sp, *t: [m / t[d] for m in t[:d]] + [-1 / (2 * t[d])],
                from_natural=lambda sp, *e: [-h / (2 * e[d]) for h in e[:d]] + [-1 / (2 * e[d])],
                doc="μ the mean, then the common variance σ² > 0."),
            Parametrization(
                "mean_precision", means + [prec],
                to_natural=lambda sp, *t: [m * t[d] for m in t[:d]] + [-t[d] / 2],
                from_natural=lambda sp, *e: [-h / (2 * e[d]) for h in e[:d]] + [-2 * e[d]],
                doc="μ the mean, then the common precision 1/σ² > 0."),
            Parametrization(
                "mean_logstd", means + [logstd],
                to_natural=lambda sp, *t: ([m * sp.exp(-2 * t[d]) for m in t[:d]]
                                           + [-sp.exp(-2 * t[d]) / 2]),
                from_natural=lambda sp, *e: ([-h / (2 * e[d]) for h in e[:d]]
                                             + [-sp.log(-2 * e[d]) / 2]),
                doc="μ the mean, then log σ (unconstrained)."),
        ],
        natural_from_mean=natural_from_mean,
        sampler=("mean_var", sample),
        scipy=("mean_var", lambda st, *theta: st.multivariate_normal(
            np.array(theta[:d]), theta[d] * np.eye(d))),
        fisher_rao=("mean_var", fisher_rao),
        dims={"d": d},
    )
