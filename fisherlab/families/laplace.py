"""Laplace distribution with fixed location μ: p(x) = e^(−|x − μ|/b) / (2b) for real x.

Exponential-family form (μ fixed): T(x) = |x − μ|, h(x) = 1, η = −1/b < 0,
A(η) = log 2 − log(−η).

Dimensions: ``loc`` μ, any finite real (default 0); ``fl.family("laplace", loc=1.5)``. Kernels are
generated ahead of time for loc = 0, compiled on first use for other locations.

Parametrizations: ``natural``; ``scale`` (b > 0). Fisher information 1/b²; Fisher–Rao distance
|log b₁ − log b₂|.

Valid range: b from 1e-6 to 1e6 (closed forms). The density has a kink at x = μ: quadrature
oracles should split the integral there.
"""

from ._dims import exact, fixed_real
from ._spec import (NEGATIVE, POSITIVE, REALS, Constraint, ExponentialFamily, Param,
                    Parametrization)

DIMS = {"loc": 0}


def make(loc=0) -> ExponentialFamily:
    """The Laplace family with fixed location, parametrized by its scale."""
    loc = fixed_real("loc", loc)
    return ExponentialFamily(
        name="laplace",
        title="Laplace (fixed location)",
        density=r"p(x) = \frac{1}{2b} e^{-|x - \mu|/b},\quad x \in \mathbb{R}",
        support=REALS,
        statistics=lambda sp, x: [sp.Abs(x - exact(sp, loc))],
        log_base_measure=lambda sp, x: 0,
        natural=[Param("eta", NEGATIVE, (-1e3, -1e-3), "η = −1/b < 0", r"\eta")],
        log_partition=lambda sp, e: sp.log(2) - sp.log(-e),
        parametrizations=[
            Parametrization("scale", [Param("scale", POSITIVE, (1e-2, 1e2), "b > 0, the scale", "b")],
                            to_natural=lambda sp, b: [-1 / b],
                            from_natural=lambda sp, e: [-1 / e],
                            doc=f"b > 0, the scale: E|x − μ| = b (the location is fixed at "
                                f"μ = {loc})."),
        ],
        natural_from_mean=lambda sp, mu: [-1 / mu],
        mean_space=Constraint(lambda t: ~(t[..., 0] > 0),
                              "the MLE needs a positive mean absolute deviation from the location"),
        sampler=("scale", lambda rng, b, size: rng.laplace(loc, b, size=size)),
        scipy=("scale", lambda st, b: st.laplace(loc=loc, scale=b)),
        fisher_rao=("scale", lambda sp, b1, b2: sp.Abs(sp.log(b1) - sp.log(b2))),
        dims={"loc": loc},
    )
