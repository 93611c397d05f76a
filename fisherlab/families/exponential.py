"""Exponential distribution: p(x) = λ e^(−λx) for x > 0.

Exponential-family form: T(x) = x, h(x) = 1, η = −λ, A(η) = −log(−η).
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
    name="exponential",
    title="Exponential",
    density=r"p(x) = \lambda e^{-\lambda x},\quad x > 0",
    support=POSITIVE_REALS,
    statistics=lambda sp, x: [x],
    log_base_measure=lambda sp, x: 0,
    natural=[Param("eta", NEGATIVE, (-1e3, -1e-3), "η = −λ", r"\eta")],
    log_partition=lambda sp, e: -sp.log(-e),
    parametrizations=[
        Parametrization(
            "rate",
            [Param("rate", POSITIVE, (1e-3, 1e3), "λ > 0, the rate", r"\lambda")],
            to_natural=lambda sp, lam: [-lam],
            from_natural=lambda sp, e: [-e],
            doc="λ > 0, the rate: mean 1/λ.",
        ),
        Parametrization(
            "scale",
            [Param("scale", POSITIVE, (1e-3, 1e3), "s = 1/λ > 0, the scale (mean)", "s")],
            to_natural=lambda sp, s: [-1 / s],
            from_natural=lambda sp, e: [-1 / e],
            doc="s > 0, the scale: the mean, 1/λ. This is the mean parametrization.",
        ),
    ],
    natural_from_mean=lambda sp, m: [-1 / m],
    mean_space=Constraint(lambda t: ~(t[..., 0] > 0), "the MLE needs a positive sample mean"),
    sampler=("rate", lambda rng, lam, size: rng.exponential(1.0 / lam, size=size)),
    scipy=("rate", lambda st, lam: st.expon(scale=1.0 / lam)),
    fisher_rao=("rate", lambda sp, l1, l2: sp.Abs(sp.log(l1) - sp.log(l2))),
)
