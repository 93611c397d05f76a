"""Inverse gamma distribution: p(x) = β^α x^(−α−1) e^(−β/x) / Γ(α) for x > 0.

If y ~ Gamma(α, rate β) then x = 1/y ~ InverseGamma(α, β); this is scipy's ``invgamma(α,
scale=β)`` (β is a scale of x and the rate of 1/x).

Exponential-family form (the convention of the gamma family, with h(x) = 1/x): T(x) =
(log x, 1/x), log h(x) = −log x, η = (−α, −β), A(η) = log Γ(−η₁) + η₁ log(−η₂)
= log Γ(α) − α log β. E[T] = (log β − ψ(α), α/β).

Parametrizations: ``natural``; ``shape_scale`` (α, β); ``log_shape_log_scale`` (log α, log β).
Fisher information in (α, β): [[ψ'(α), −1/β], [−1/β, α/β²]], as for the gamma in (α, rate).
No closed-form Fisher–Rao distance.

Valid range: as for the gamma (the two families are the same exponential family with T₁ and
η₁ negated, through x ↦ 1/x): α (−η₁) from 1e-2 to 30, β (−η₂) from 1e-3 to 1e3 (log α from −4
to 3.4, log β from −6.5 to 6.5). Above α ≈ 30 the entropy α + log β + log Γ(α) − (1 + α)ψ(α) is a
sum of terms of size α log α that cancel to O(log α) and keeps only about
16 − log10(α log α / |H|) digits.
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
SCALE = Param("scale", POSITIVE, (1e-3, 1e3), "β > 0, the scale (the rate of 1/x)", r"\beta")


def _no_mle(t):
    # Jensen for 1/x: log(mean(1/x)) > mean(log(1/x)) = −mean(log x), unless every observation
    # is the same value.
    with np.errstate(divide="ignore", invalid="ignore"):
        return ~(np.log(t[..., 1]) > -t[..., 0])


def _sample(rng, a, b, size):
    # x = β/y with y ~ Gamma(α, 1) written y = g·u^(1/α), g ~ Gamma(α + 1, 1), u ~ U(0, 1)
    # (Marsaglia–Tsang's boost): y itself underflows to 0 for α ≲ 0.01, its logarithm does not.
    # A draw beyond the largest float64 (probability ~e^(−709α) β^α) is inf.
    g = rng.gamma(a + 1.0, 1.0, size=size)
    log_y = np.log(g) + np.log(rng.random(size=np.shape(g))) / a
    with np.errstate(over="ignore"):
        return b * np.exp(-log_y)


SPEC = ExponentialFamily(
    name="inverse_gamma",
    title="Inverse gamma",
    density=r"p(x) = \frac{\beta^\alpha}{\Gamma(\alpha)} x^{-\alpha-1} e^{-\beta/x},\quad x > 0",
    support=POSITIVE_REALS,
    statistics=lambda sp, x: [sp.log(x), 1 / x],
    log_base_measure=lambda sp, x: -sp.log(x),
    natural=[
        Param("eta1", NEGATIVE, (-30.0, -1e-2), "η₁ = −α", r"\eta_1"),
        Param("eta2", NEGATIVE, (-1e3, -1e-3), "η₂ = −β", r"\eta_2"),
    ],
    log_partition=lambda sp, e1, e2: sp.loggamma(-e1) + e1 * sp.log(-e2),
    parametrizations=[
        Parametrization(
            "shape_scale",
            [SHAPE, SCALE],
            to_natural=lambda sp, a, b: [-a, -b],
            from_natural=lambda sp, e1, e2: [-e1, -e2],
            doc="α > 0 the shape, β > 0 the scale (scipy's invgamma(α, scale=β)): mean "
            "β/(α − 1) for α > 1, mode β/(α + 1).",
        ),
        Parametrization(
            "log_shape_log_scale",
            [
                Param("log_shape", REAL, (-4.0, 3.4), "log α", r"\log\alpha"),
                Param("log_scale", REAL, (-6.5, 6.5), "log β", r"\log\beta"),
            ],
            to_natural=lambda sp, la, lb: [-sp.exp(la), -sp.exp(lb)],
            from_natural=lambda sp, e1, e2: [sp.log(-e1), sp.log(-e2)],
            doc="log α and log β: both unconstrained.",
        ),
    ],
    mean_space=Constraint(
        _no_mle,
        "the MLE needs log(mean 1/x) > -mean(log x): at least two distinct observations",
    ),
    sampler=("shape_scale", _sample),
    scipy=("shape_scale", lambda st, a, b: st.invgamma(a, scale=b)),
)
