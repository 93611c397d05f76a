"""Rayleigh distribution: p(x) = (x/σ²) e^(−x²/(2σ²)) for x > 0.

Exponential-family form: T(x) = x², log h(x) = log x, η = −1/(2σ²) < 0, A(η) = −log(−2η).
E[log h] = E[log x] = ½ (log(2σ²) − γ).

Parametrizations: ``natural``; ``scale`` (σ > 0, the mode). Fisher information 4/σ²;
Fisher–Rao distance 2 |log σ₁ − log σ₂|.

Valid range: σ from 1e-6 to 1e6 (closed forms; x² overflows only beyond x ~ 1e154).
"""

from ._spec import (
                    NEGATIVE,
                    POSITIVE,
                    POSITIVE_REALS,
                    Constraint,
                    ExponentialFamily,
                    Param,
                    Parametrization,
)

SPEC = ExponentialFamily(
    name="rayleigh",
    title="Rayleigh",
    density=r"p(x) = \frac{x}{\sigma^2} e^{-x^2/(2\sigma^2)},\quad x > 0",
    support=POSITIVE_REALS,
    statistics=lambda sp, x: [x**2],
    log_base_measure=lambda sp, x: sp.log(x),
    natural=[Param("eta", NEGATIVE, (-1e3, -1e-3), "η = −1/(2σ²) < 0", r"\eta")],
    log_partition=lambda sp, e: -sp.log(-2 * e),
    parametrizations=[
        Parametrization("scale", [Param("scale", POSITIVE, (1e-2, 1e2), "σ > 0, the scale (mode)",
                                        r"\sigma")],
                        to_natural=lambda sp, s: [-1 / (2 * s**2)],
                        from_natural=lambda sp, e: [1 / sp.sqrt(-2 * e)],
                        doc="σ > 0, the scale: the mode of x; E[x²] = 2σ²."),
    ],
    natural_from_mean=lambda sp, mu: [-1 / mu],
    mean_space=Constraint(lambda t: ~(t[..., 0] > 0), "the MLE needs a positive mean of x²"),
    expected_log_base_measure=lambda sp, e: (-sp.log(-e) - sp.EulerGamma) / 2,
    sampler=("scale", lambda rng, s, size: rng.rayleigh(s, size=size)),
    scipy=("scale", lambda st, s: st.rayleigh(scale=s)),
    fisher_rao=("scale", lambda sp, s1, s2: 2 * sp.Abs(sp.log(s1) - sp.log(s2))),
)
