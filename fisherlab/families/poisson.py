"""Poisson distribution: p(x) = λ^x e^(−λ) / x! on the non-negative integers.

Exponential-family form: T(x) = x, log h(x) = −log x!, η = log λ, A(η) = e^η.
"""


from ._spec import COUNTS, POSITIVE, REAL, Constraint, ExponentialFamily, Param, Parametrization

SPEC = ExponentialFamily(
    name="poisson",
    title="Poisson",
    density=r"p(x) = \frac{\lambda^x e^{-\lambda}}{x!},\quad x \in \{0, 1, 2, \dots\}",
    support=COUNTS,
    statistics=lambda sp, x: [x],
    log_base_measure=lambda sp, x: -sp.loggamma(x + 1),
    natural=[Param("eta", REAL, (-6.0, 6.0), "η = log λ", r"\eta")],
    log_partition=lambda sp, e: sp.exp(e),
    parametrizations=[
        Parametrization(
            "rate",
            [Param("rate", POSITIVE, (1e-2, 300.0), "λ > 0, the rate (mean)", r"\lambda")],
            to_natural=lambda sp, lam: [sp.log(lam)],
            from_natural=lambda sp, e: [sp.exp(e)],
            doc="λ > 0, the rate: mean and variance of x.",
        ),
    ],
    natural_from_mean=lambda sp, m: [sp.log(m)],
    mean_space=Constraint(
        lambda t: ~(t[..., 0] > 0),
        "the MLE needs a positive sample mean (an all-zero sample puts the "
        "rate on the boundary, 0)",
    ),
    sampler=("rate", lambda rng, lam, size: rng.poisson(lam, size=size).astype(float)),
    scipy=("rate", lambda st, lam: st.poisson(lam)),
    fisher_rao=("rate", lambda sp, l1, l2: 2 * sp.Abs(sp.sqrt(l1) - sp.sqrt(l2))),
)
