"""Pareto distribution with fixed scale x_m > 0: p(x) = α x_m^α / x^(α+1) for x > x_m.

Exponential-family form (x_m fixed): T(x) = log x, log h(x) = −log x, η = −α < 0,
A(η) = −log(−η) + η log x_m. E[log x] = log x_m + 1/α.

Dimensions: ``x_m`` > 0, the fixed scale (default 1); ``fl.family("pareto", x_m=2.5)``.
Kernels are generated ahead of time for x_m = 1, compiled on first use for other x_m.

Parametrizations: ``natural``; ``alpha`` (α > 0, the tail index). Fisher information 1/α²;
Fisher–Rao distance |log α₁ − log α₂|.

Valid range: α from 1e-6 to 1e6 (every kernel is a closed form in α and log x). The test ranges
start at α = 0.2: below it the quantiles that quadrature oracles integrate to (x_m ε^(−1/α))
leave float64.
"""

import math

from ._dims import exact, fixed_positive
from ._spec import (NEGATIVE, POSITIVE, Constraint, ExponentialFamily, Param, Parametrization,
                    greater_than_support)

DIMS = {"x_m": 1}


def make(x_m=1) -> ExponentialFamily:
    """The Pareto family with fixed scale x_m, parametrized by its tail index α."""
    x_m = fixed_positive("x_m", x_m)
    log_xm = math.log(x_m)

    def log_scale(sp):
        return sp.log(exact(sp, x_m))

    return ExponentialFamily(
        name="pareto",
        title="Pareto (fixed scale)",
        density=r"p(x) = \frac{\alpha x_m^\alpha}{x^{\alpha + 1}},\quad x > x_m",
        support=greater_than_support(x_m),
        statistics=lambda sp, x: [sp.log(x)],
        log_base_measure=lambda sp, x: -sp.log(x),
        natural=[Param("eta", NEGATIVE, (-1e2, -0.2), "η = −α < 0", r"\eta")],
        log_partition=lambda sp, e: -sp.log(-e) + e * log_scale(sp),
        parametrizations=[
            Parametrization("alpha", [Param("alpha", POSITIVE, (0.2, 1e2),
                                            "α > 0, the tail index (shape)", r"\alpha")],
                            to_natural=lambda sp, a: [-a],
                            from_natural=lambda sp, e: [-e],
                            doc=f"α > 0, the tail index (the scale is fixed at x_m = {x_m})."),
        ],
        natural_from_mean=lambda sp, mu: [-1 / (mu - log_scale(sp))],
        mean_space=Constraint(lambda t: ~(t[..., 0] > log_xm),
                              "the MLE needs mean log x > log x_m (some x above x_m)"),
        sampler=("alpha", lambda rng, a, size: x_m * (1.0 + rng.pareto(a, size=size))),
        scipy=("alpha", lambda st, a: st.pareto(a, scale=x_m)),
        fisher_rao=("alpha", lambda sp, a1, a2: sp.Abs(sp.log(a1) - sp.log(a2))),
        dims={"x_m": x_m},
    )
