"""Half-normal distribution: p(x) = √(2/π)/σ · e^(−x²/(2σ²)) for x > 0 (|N(0, σ²)|).

Exponential-family form: T(x) = x², h(x) = 1, η = −1/(2σ²) < 0, A(η) = ½ log(π/(−4η)).

Parametrizations: ``natural``; ``scale`` (σ > 0). Fisher information 2/σ²; Fisher–Rao distance
√2 |log σ₁ − log σ₂|.

Valid range: σ from 1e-6 to 1e6 (closed forms; x² overflows only beyond x ~ 1e154).
"""

import numpy as np

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
    name="half_normal",
    title="Half-normal",
    density=r"p(x) = \frac{1}{\sigma}\sqrt{\frac{2}{\pi}}\, e^{-x^2/(2\sigma^2)},\quad x > 0",
    support=POSITIVE_REALS,
    statistics=lambda sp, x: [x**2],
    log_base_measure=lambda sp, x: 0,
    natural=[Param("eta", NEGATIVE, (-1e3, -1e-3), "η = −1/(2σ²) < 0", r"\eta")],
    log_partition=lambda sp, e: sp.log(sp.pi / (-4 * e)) / 2,
    parametrizations=[
        Parametrization("scale", [Param("scale", POSITIVE, (1e-2, 1e2),
                                        "σ > 0, the scale of the underlying normal", r"\sigma")],
                        to_natural=lambda sp, s: [-1 / (2 * s**2)],
                        from_natural=lambda sp, e: [1 / sp.sqrt(-2 * e)],
                        doc="σ > 0, the standard deviation of the normal folded at 0; "
                            "E[x²] = σ²."),
    ],
    natural_from_mean=lambda sp, mu: [-1 / (2 * mu)],
    mean_space=Constraint(lambda t: ~(t[..., 0] > 0), "the MLE needs a positive mean of x²"),
    sampler=("scale", lambda rng, s, size: np.abs(rng.normal(0.0, s, size=size))),
    scipy=("scale", lambda st, s: st.halfnorm(scale=s)),
    fisher_rao=("scale", lambda sp, s1, s2: sp.sqrt(2) * sp.Abs(sp.log(s1) - sp.log(s2))),
)
