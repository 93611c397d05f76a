"""Laplace distribution with fixed location μ: p(x) = e^(−|x − μ|/b) / (2b) for real x.

Exponential-family form (μ fixed): T(x) = |x − μ|, h(x) = 1, η = −1/b < 0,
A(η) = log 2 − log(−η).

Fixed parameter: ``loc`` μ, any finite real (default 0), a symbol of the derivation and an
argument of the one compiled kernel module (see :mod:`fisherlab.families.fixed`):
``fl.family("laplace", loc=1.5)``, or per-row locations as an array broadcast against θ's batch
shape (...) and x's shape.

Parametrizations: ``natural``; ``scale`` (b > 0). Fisher information 1/b²; Fisher–Rao distance
|log b₁ − log b₂|.

Valid range: b from 1e-6 to 1e6 (closed forms). The density has a kink at x = μ: quadrature
oracles should split the integral there.
"""

from ._spec import (
                    NEGATIVE,
                    POSITIVE,
                    REAL,
                    REALS,
                    Constraint,
                    ExponentialFamily,
                    Param,
                    Parametrization,
)

DIMS = {"loc": 0}

SPEC = ExponentialFamily(
    name="laplace",
    title="Laplace (fixed location)",
    density=r"p(x) = \frac{1}{2b} e^{-|x - \mu|/b},\quad x \in \mathbb{R}",
    support=REALS,
    fixed=[Param("loc", REAL, (-5.0, 5.0), "μ, the location (the median)", r"\mu")],
    statistics=lambda sp, x, *, loc: [sp.Abs(x - loc)],
    log_base_measure=lambda sp, x, *, loc: 0,
    natural=[Param("eta", NEGATIVE, (-1e3, -1e-3), "η = −1/b < 0", r"\eta")],
    log_partition=lambda sp, e, *, loc: sp.log(2) - sp.log(-e),
    parametrizations=[
        Parametrization("scale", [Param("scale", POSITIVE, (1e-2, 1e2), "b > 0, the scale", "b")],
                        to_natural=lambda sp, b, *, loc: [-1 / b],
                        from_natural=lambda sp, e, *, loc: [-1 / e],
                        doc="b > 0, the scale: E|x − μ| = b (the location μ is fixed)."),
    ],
    natural_from_mean=lambda sp, mu, *, loc: [-1 / mu],
    mean_space=Constraint(lambda t, *, loc: ~(t[..., 0] > 0),
                          "the MLE needs a positive mean absolute deviation from the location"),
    sampler=("scale", lambda rng, b, size, *, loc: rng.laplace(loc, b, size=size)),
    scipy=("scale", lambda st, b, *, loc: st.laplace(loc=loc, scale=b)),
    fisher_rao=("scale", lambda sp, b1, b2, *, loc: sp.Abs(sp.log(b1) - sp.log(b2))),
)
