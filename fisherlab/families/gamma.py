"""Gamma distribution: p(x) = β^α x^(α−1) e^(−βx) / Γ(α) for x > 0.

Exponential-family form: T(x) = (log x, x), h(x) = 1/x, η = (α, −β),
A(η) = log Γ(η₁) − η₁ log(−η₂).

Test ranges: shape α (η₁) from 1e-2 to 30 (log α from −4 to 3.4); rate, scale and −η₂ from 1e-3 to
1e3 (log β from −6.5 to 6.5). Above α ≈ 30 the log density α log β − log Γ(α) + (α − 1) log x − βx
is a sum of terms of size α log α whose result near the mode is O(log α): it keeps only
log10(|log p| / (α log α)) + 16 digits (relative errors up to 1.5e-10 at α = 1e3, measured
against mpmath; none above 1e-12 up to α = 30). The entropy, which cancelled the same way, is
evaluated through the Stirling series of log Γ and ψ with the cancelling terms removed
(``gamma_unit_entropy``), exact to 1e-14 at any shape.
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

SHAPE = Param("shape", POSITIVE, (1e-2, 30.0), "α > 0, the shape", r"\alpha")
RATE = Param("rate", POSITIVE, (1e-3, 1e3), "β > 0, the rate (inverse scale)", r"\beta")


def _no_mle(t):
    # Jensen: log(mean x) > mean(log x) unless every observation is the same value.
    with np.errstate(divide="ignore", invalid="ignore"):
        return ~(np.log(t[..., 1]) > t[..., 0])


SPEC = ExponentialFamily(
    name="gamma",
    title="Gamma",
    density=r"p(x) = \frac{\beta^\alpha}{\Gamma(\alpha)} x^{\alpha-1} e^{-\beta x},\quad x > 0",
    support=POSITIVE_REALS,
    statistics=lambda sp, x: [sp.log(x), x],
    log_base_measure=lambda sp, x: -sp.log(x),
    natural=[
        Param("eta1", POSITIVE, (1e-2, 30.0), "η₁ = α", r"\eta_1"),
        Param("eta2", NEGATIVE, (-1e3, -1e-3), "η₂ = −β", r"\eta_2"),
    ],
    log_partition=lambda sp, e1, e2: sp.loggamma(e1) - e1 * sp.log(-e2),
    parametrizations=[
        Parametrization(
            "shape_rate",
            [SHAPE, RATE],
            to_natural=lambda sp, a, b: [a, -b],
            from_natural=lambda sp, e1, e2: [e1, -e2],
            doc="α > 0 the shape, β > 0 the rate: mean α/β, variance α/β².",
        ),
        Parametrization(
            "shape_scale",
            [SHAPE, Param("scale", POSITIVE, (1e-3, 1e3), "s = 1/β > 0, the scale", "s")],
            to_natural=lambda sp, a, s: [a, -1 / s],
            from_natural=lambda sp, e1, e2: [e1, -1 / e2],
            doc="α > 0 the shape, s > 0 the scale: mean αs, variance αs².",
        ),
        Parametrization(
            "mean_shape",
            [Param("mean", POSITIVE, (1e-3, 1e3), "μ = α/β > 0, the mean", r"\mu"), SHAPE],
            to_natural=lambda sp, m, a: [a, -a / m],
            from_natural=lambda sp, e1, e2: [-e1 / e2, e1],
            doc="μ = α/β > 0 the mean, α > 0 the shape: variance μ²/α (the "
            "parametrization of a gamma GLM, where α is the inverse dispersion).",
        ),
        Parametrization(
            "log_shape_log_rate",
            [
                Param("log_shape", REAL, (-4.0, 3.4), "log α", r"\log\alpha"),
                Param("log_rate", REAL, (-6.5, 6.5), "log β", r"\log\beta"),
            ],
            to_natural=lambda sp, la, lb: [sp.exp(la), -sp.exp(lb)],
            from_natural=lambda sp, e1, e2: [sp.log(e1), sp.log(-e2)],
            doc="log α and log β: both unconstrained.",
        ),
    ],
    mean_space=Constraint(
        _no_mle, "the MLE needs log(mean x) > mean(log x): at least two distinct observations"
    ),
    sampler=("shape_rate", lambda rng, a, b, size: rng.gamma(a, 1.0 / b, size=size)),
    scipy=("shape_rate", lambda st, a, b: st.gamma(a, scale=1.0 / b)),
)
