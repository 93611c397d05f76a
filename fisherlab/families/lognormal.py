"""Log-normal distribution: p(x) = exp(−(log x − μ)² / (2σ²)) / (x σ √(2π)) for x > 0.

log x is normal with mean μ and standard deviation σ. Exponential-family form:
T(x) = (log x, (log x)²), log h(x) = −log x − ½ log 2π, η = (μ/σ², −1/(2σ²)),
A(η) = −η₁²/(4η₂) − ½ log(−2η₂).

Valid range: the formulas are polynomial and rational in μ, σ (or η) and the kernels are
accurate to a few ulps for any finite values. The test ranges are bounded by what float64
observations can hold: the median e^μ over six decades (|μ| ≤ 7) and σ from 0.05 to 10 (above,
draws of x = e^(μ + σz) overflow or underflow; below, the observed Hessian formed from the
sufficient statistics, a difference mean((log x)²) − μ² of size σ², loses (μ/σ)²·1e-16
relative, 1e-10 at σ = 0.05). In natural parameters η₂ from −200 to −5e-3 and |η₁| ≤ 0.07, so that
μ = −η₁/(2η₂) stays within ±7 whatever the draw.
"""

import numpy as np

from ._spec import (
    NEGATIVE,
    POSITIVE,
    POSITIVE_REALS,
    REAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
)


def _variance(m1, m2):
    # m₂ − m₁² as one opaque function, as in the normal's moment parametrization: the kernels
    # evaluate it with m₁² split exactly (the plain difference loses log10(m₁²/σ²) digits,
    # 1.3e-12 relative at μ = −5.75, σ = 0.052).
    from .special.elementary import MomentVariance

    return MomentVariance(m1, m2)


def _no_mle(t):
    # The sample variance of log x must be positive: at least two distinct observations.
    return ~(t[..., 1] - t[..., 0] ** 2 > 0)


SPEC = ExponentialFamily(
    name="lognormal",
    title="Log-normal",
    density=r"p(x) = \frac{1}{x\sigma\sqrt{2\pi}} e^{-(\log x-\mu)^2/(2\sigma^2)},\quad x > 0",
    support=POSITIVE_REALS,
    statistics=lambda sp, x: [sp.log(x), sp.log(x) ** 2],
    log_base_measure=lambda sp, x: -sp.log(x) - sp.log(2 * sp.pi) / 2,
    natural=[Param("eta1", REAL, (-0.07, 0.07), "η₁ = μ/σ²", r"\eta_1"),
             Param("eta2", NEGATIVE, (-200.0, -5e-3), "η₂ = −1/(2σ²)", r"\eta_2")],
    log_partition=lambda sp, e1, e2: -e1**2 / (4 * e2) - sp.log(-2 * e2) / 2,
    parametrizations=[
        Parametrization(
            "mu_sigma",
            [Param("mu", REAL, (-7.0, 7.0), "μ, the mean of log x", r"\mu"),
             Param("sigma", POSITIVE, (0.05, 10.0), "σ > 0, the standard deviation of log x",
                   r"\sigma")],
            to_natural=lambda sp, m, s: [m / s**2, -1 / (2 * s**2)],
            from_natural=lambda sp, e1, e2: [-e1 / (2 * e2), 1 / sp.sqrt(-2 * e2)],
            doc="μ the mean and σ > 0 the standard deviation of log x (the median is e^μ)."),
    ],
    natural_from_mean=lambda sp, m1, m2: [m1 / _variance(m1, m2), -1 / (2 * _variance(m1, m2))],
    mean_space=Constraint(_no_mle, "the MLE needs a positive sample variance of log x: "
                                   "at least two distinct observations"),
    sampler=("mu_sigma", lambda rng, m, s, size: rng.lognormal(m, s, size=size)),
    scipy=("mu_sigma", lambda st, m, s: st.lognorm(s, scale=np.exp(m))),
)
