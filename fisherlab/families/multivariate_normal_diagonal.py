"""Multivariate normal with diagonal covariance, dimension d: x_1, …, x_d independent,
x_i ~ N(μ_i, σ_i²), p(x) = Π_i (2πσ_i²)^(−½) exp(−(x_i − μ_i)²/(2σ_i²)) for x in ℝ^d.

Exponential-family form: T(x) = (x_1, …, x_d, x_1², …, x_d²), m = 2d;
η = (μ_1/σ_1², …, μ_d/σ_d², −1/(2σ_1²), …, −1/(2σ_d²)); log h(x) = −(d/2) log 2π;
A(η) = Σ_i (−η_i²/(4η_ii) − ½ log(−2η_ii)).

It is the multivariate normal restricted to diagonal Σ: its natural parameters are those of the
full family with the off-diagonal entries −Λ_ij fixed at 0 (docs/multivariate_normal.md), and its
kernels are the full family's at that point (fisherlab/kernels/_mvn_subfamily.py). The Fisher
information is diagonal in ``mean_var``, ``mean_precision`` and ``mean_logstd`` and has 2 × 2
blocks (μ_i, σ_i) in ``natural``.

Parametrizations (θ lists the d means first, then the d scale entries):

- ``natural``: (eta1, …, etad, eta11, …, etadd) = (μ_i/σ_i², then −1/(2σ_i²));
- ``mean_var``: (mean1, …, meand, var1, …, vard), variances σ_i² > 0;
- ``mean_precision``: (mean1, …, meand, prec1, …, precd), precisions 1/σ_i² > 0;
- ``mean_logstd``: (mean1, …, meand, log_std1, …, log_stdd), every entry unconstrained.

The same family is efax's ``MultivariateDiagonalNormal``; the element-wise declaration below is
the reference of the tests at small d.
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

DIMS = {"d": 2}


def _ii(i: int, d: int) -> str:
    """The suffix of diagonal entry i (0-based), as the full family names it: "22", "10_10"."""
    return f"{i + 1}{i + 1}" if d < 10 else f"{i + 1}_{i + 1}"


def mean_params(d: int) -> list:
    """The d means, as every variant with a free mean names them."""
    return [Param(f"mean{i + 1}", REAL, (-1.0, 1.0), f"μ_{i + 1}, the mean of x_{i + 1}",
                  rf"\mu_{{{i + 1}}}") for i in range(d)]


def make(d: int = 2) -> ExponentialFamily:
    """The d-dimensional normal with diagonal covariance, observations of shape (..., d)."""
    d = require_int("d", d, 1)
    means = mean_params(d)
    natural = [Param(f"eta{i + 1}", REAL, (-1.0, 1.0), f"η_{i + 1} = μ_{i + 1}/σ_{i + 1}²",
                     rf"\eta_{{{i + 1}}}") for i in range(d)]
    natural += [Param(f"eta{_ii(i, d)}", NEGATIVE, (-5.0, -0.1),
                      f"η_{i + 1}{i + 1} = −1/(2σ_{i + 1}²)", rf"\eta_{{{i + 1}{i + 1}}}")
                for i in range(d)]
    var = [Param(f"var{i + 1}", POSITIVE, (0.1, 5.0), f"σ_{i + 1}² > 0, the variance of "
                 f"x_{i + 1}", rf"\sigma_{{{i + 1}}}^2") for i in range(d)]
    prec = [Param(f"prec{i + 1}", POSITIVE, (0.2, 10.0), f"1/σ_{i + 1}² > 0, the precision of "
                  f"x_{i + 1}", rf"\lambda_{{{i + 1}}}") for i in range(d)]
    logstd = [Param(f"log_std{i + 1}", REAL, (-1.0, 1.0), f"log σ_{i + 1}, the log standard "
                    f"deviation of x_{i + 1}", rf"\log\sigma_{{{i + 1}}}") for i in range(d)]

    def log_partition(sp, *eta):
        return sum(-eta[i] ** 2 / (4 * eta[d + i]) - sp.log(-2 * eta[d + i]) / 2
                   for i in range(d))

    def var_to_natural(sp, *t):
        return [t[i] / t[d + i] for i in range(d)] + [-1 / (2 * t[d + i]) for i in range(d)]

    def var_from_natural(sp, *e):
        return ([-e[i] / (2 * e[d + i]) for i in range(d)]
                + [-1 / (2 * e[d + i]) for i in range(d)])

    def prec_to_natural(sp, *t):
        return [t[i] * t[d + i] for i in range(d)] + [-t[d + i] / 2 for i in range(d)]

    def prec_from_natural(sp, *e):
        return [-e[i] / (2 * e[d + i]) for i in range(d)] + [-2 * e[d + i] for i in range(d)]

    def logstd_to_natural(sp, *t):
        return ([t[i] * sp.exp(-2 * t[d + i]) for i in range(d)]
                + [-sp.exp(-2 * t[d + i]) / 2 for i in range(d)])

    def logstd_from_natural(sp, *e):
        return ([-e[i] / (2 * e[d + i]) for i in range(d)]
                + [-sp.log(-2 * e[d + i]) / 2 for i in range(d)])

    def natural_from_mean(sp, *mu):
        v = [mu[d + i] - mu[i] ** 2 for i in range(d)]
        return [mu[i] / v[i] for i in range(d)] + [-1 / (2 * v[i]) for i in range(d)]

    def fisher_rao(sp, *ab):
        # √(Σ_i δ_i²), δ_i the univariate normal's √2 arccosh(1 + u_i) written 2√2 arcsinh √(u_i/2)
        total = 0
        for i in range(d):
            s1, s2 = sp.sqrt(ab[d + i]), sp.sqrt(ab[3 * d + i])
            u = ((ab[i] - ab[2 * d + i]) ** 2 / 2 + (s1 - s2) ** 2) / (4 * s1 * s2)
            total += 8 * sp.asinh(sp.sqrt(u)) ** 2
        return sp.sqrt(total)

    def sample(rng, *theta_size):
        *theta, size = theta_size
        shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        return rng.normal(np.array(theta[:d]), np.sqrt(np.array(theta[d:])), size=shape + (d,))

    return ExponentialFamily(
        name="multivariate_normal_diagonal",
        title="Multivariate normal, diagonal covariance",
        density=(r"p(x) = \prod_{i=1}^d \frac{1}{\sqrt{2\pi\sigma_i^2}}"
                 r" e^{-(x_i-\mu_i)^2/(2\sigma_i^2)},\quad x \in \mathbb{R}^d"),
        support=real_vectors(d),
        statistics=lambda sp, x: list(x) + [x[i] ** 2 for i in range(d)],
        log_base_measure=lambda sp, x: -sp.Rational(d, 2) * sp.log(2 * sp.pi),
        natural=natural,
        log_partition=log_partition,
        parametrizations=[
            Parametrization("mean_var", means + var, to_natural=var_to_natural,
                            from_natural=var_from_natural,
                            doc="μ the mean, then the variances σ_i² > 0."),
            Parametrization("mean_precision", means + prec, to_natural=prec_to_natural,
                            from_natural=prec_from_natural,
                            doc="μ the mean, then the precisions 1/σ_i² > 0."),
            Parametrization("mean_logstd", means + logstd, to_natural=logstd_to_natural,
                            from_natural=logstd_from_natural,
                            doc="μ the mean, then the log standard deviations log σ_i "
                                "(unconstrained)."),
        ],
        natural_from_mean=natural_from_mean,
        sampler=("mean_var", sample),
        scipy=("mean_var", lambda st, *theta: st.multivariate_normal(
            np.array(theta[:d]), np.diag(np.array(theta[d:])))),
        fisher_rao=("mean_var", fisher_rao),
        dims={"d": d},
    )
