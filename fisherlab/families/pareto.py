"""Pareto distribution with fixed scale x_m > 0: p(x) = α x_m^α / x^(α+1) for x > x_m.

Exponential-family form (x_m fixed): T(x) = log x, log h(x) = −log x, η = −α < 0,
A(η) = −log(−η) + η log x_m. E[log x] = log x_m + 1/α.

Fixed parameter: ``x_m`` > 0, the scale (default 1), a symbol of the derivation and an argument
of the one compiled kernel module (see :mod:`fisherlab.families.fixed`):
``fl.family("pareto", x_m=2.5)``, or per-row scales as an array broadcast against θ's batch
shape (...) and x's shape. Observations are checked per row: x > x_m.

Parametrizations: ``natural``; ``alpha`` (α > 0, the tail index). Fisher information 1/α²;
Fisher–Rao distance |log α₁ − log α₂|.

Valid range: α from 1e-6 to 1e6 (every kernel is a closed form in α and log x). The test ranges
start at α = 0.2: below it the quantiles that quadrature oracles integrate to (x_m ε^(−1/α))
leave float64.
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
                    greater_than_support,
)

DIMS = {"x_m": 1}

SPEC = ExponentialFamily(
    name="pareto",
    title="Pareto (fixed scale)",
    density=r"p(x) = \frac{\alpha x_m^\alpha}{x^{\alpha + 1}},\quad x > x_m",
    support=POSITIVE_REALS,
    fixed=[Param("x_m", POSITIVE, (0.1, 10.0), "x_m > 0, the scale (the least value of x)",
                 "x_m")],
    fixed_support=lambda x_m: greater_than_support(x_m),
    support_constraint=Constraint(lambda x, *, x_m: ~(x > x_m), "x > x_m"),
    statistics=lambda sp, x, *, x_m: [sp.log(x)],
    log_base_measure=lambda sp, x, *, x_m: -sp.log(x),
    natural=[Param("eta", NEGATIVE, (-1e2, -0.2), "η = −α < 0", r"\eta")],
    log_partition=lambda sp, e, *, x_m: -sp.log(-e) + e * sp.log(x_m),
    parametrizations=[
        Parametrization("alpha", [Param("alpha", POSITIVE, (0.2, 1e2),
                                        "α > 0, the tail index (shape)", r"\alpha")],
                        to_natural=lambda sp, a, *, x_m: [-a],
                        from_natural=lambda sp, e, *, x_m: [-e],
                        doc="α > 0, the tail index (the scale x_m is fixed)."),
    ],
    natural_from_mean=lambda sp, mu, *, x_m: [-1 / (mu - sp.log(x_m))],
    mean_space=Constraint(lambda t, *, x_m: ~(t[..., 0] > np.log(x_m)),
                          "the MLE needs mean log x > log x_m (some x above x_m)"),
    sampler=("alpha", lambda rng, a, size, *, x_m: x_m * (1.0 + rng.pareto(a, size=size))),
    scipy=("alpha", lambda st, a, *, x_m: st.pareto(a, scale=x_m)),
    fisher_rao=("alpha", lambda sp, a1, a2, *, x_m: sp.Abs(sp.log(a1) - sp.log(a2))),
)
