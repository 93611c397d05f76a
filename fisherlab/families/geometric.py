"""Geometric distribution on x = 0, 1, 2, …: the number of FAILURES before the first success.

p(x) = p (1 − p)^x for x = 0, 1, 2, … (mean (1 − p)/p). This is scipy's ``geom(p, loc=-1)`` and
numpy's ``geometric(p) − 1``; the other convention (trials up to and including the first success,
x = 1, 2, …) is this one shifted by 1 and has the same Fisher information and Fisher–Rao distance.

Exponential-family form: T(x) = x, h(x) = 1, η = log(1 − p) < 0, A(η) = −log(1 − e^η).

Valid range: η < 0 (p in (0, 1)); kernels are evaluated with expm1/log1p forms where sympy's
printer finds them, so they stay finite and accurate from p = 1e-12 to p = 1 − 1e-12 (η from
about −27.6 to −1e-12).

The Fisher–Rao distance (F(p) = 1/(p²(1−p))) is 2 |artanh √(1−p₁) − artanh √(1−p₂)|, evaluated
as 2 |log((1 + √(1−p₁))/(1 + √(1−p₂))) − ½ log(p₁/p₂)| to keep its digits as p → 0.
"""

from ._spec import (
    COUNTS,
    NEGATIVE,
    UNIT_INTERVAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
)


def _neg_expm1(e):
    # 1 − e^η as an opaque function: derivatives stay products of e^η and 1 − e^η.
    from .special.elementary import NegExpm1

    return NegExpm1(e)


def _fisher_rao(sp, p, q):
    # artanh √(1−p) = log(1 + √(1−p)) − ½ log p.
    return 2 * sp.Abs(sp.log((1 + sp.sqrt(1 - p)) / (1 + sp.sqrt(1 - q))) - sp.log(p / q) / 2)


SPEC = ExponentialFamily(
    name="geometric",
    title="Geometric (failures before the first success)",
    density=r"p(x) = p (1-p)^x,\quad x \in \{0, 1, 2, \dots\}",
    support=COUNTS,
    statistics=lambda sp, x: [x],
    log_base_measure=lambda sp, x: 0,
    natural=[Param("eta", NEGATIVE, (-5.0, -1e-2), "η = log(1 − p) < 0", r"\eta")],
    log_partition=lambda sp, e: -sp.log(_neg_expm1(e)),
    parametrizations=[
        Parametrization("p", [Param("p", UNIT_INTERVAL, (1e-2, 0.99),
                                    "p ∈ (0, 1), the success probability", "p")],
                        to_natural=lambda sp, p: [sp.log(1 - p)],
                        from_natural=lambda sp, e: [_neg_expm1(e)],
                        doc="p ∈ (0, 1), the probability of success in each trial; "
                            "x counts the failures before the first success (mean (1−p)/p)."),
    ],
    natural_from_mean=lambda sp, mu: [sp.log(mu / (1 + mu))],
    mean_space=Constraint(lambda t: ~(t[..., 0] > 0),
                          "the MLE needs a positive sample mean (an all-zero sample puts p on "
                          "the boundary, 1)"),
    sampler=("p", lambda rng, p, size: rng.geometric(p, size=size).astype(float) - 1.0),
    scipy=("p", lambda st, p: st.geom(p, loc=-1)),
    fisher_rao=("p", _fisher_rao),
)
