"""Negative binomial distribution with fixed r > 0: failures before the r-th success.

p(x) = Γ(x + r) / (Γ(r) x!) · p^r (1 − p)^x for x = 0, 1, 2, … (mean r(1 − p)/p); r may be any
positive real (the Pólya form). This is scipy's ``nbinom(r, p)`` and numpy's
``negative_binomial(r, p)``.

Exponential-family form: T(x) = x, log h(x) = log Γ(x + r) − log Γ(r) − log x!,
η = log(1 − p) < 0, A(η) = −r log(1 − e^η).

Fixed parameter: ``r`` > 0 (default 3), a symbol of the derivation and an argument of the one
compiled kernel module (see :mod:`fisherlab.families.fixed`): ``fl.family("negative_binomial",
r=2.5)``, or per-row values as an array broadcast against θ's batch shape (...) and x's shape.

Parametrizations: ``natural``; ``p`` (success probability); ``mean`` (m = r(1 − p)/p > 0).

Valid range: p in (0, 1) (η < 0), as for the geometric; the entropy's E[log h(x)] has no closed form
and is summed over the support until the tail is below 1e-17 of the total, which takes O(mean +
40·sd) terms: slow for means beyond ~1e6. The test ranges stop at p = 0.05 (mean 57 for r = 3)
because scipy's nbinom.entropy, an oracle of the verifier, stops its sum after 1000 terms and is
wrong by O(1) for wider distributions (tests/families/test_discrete_and_one_parameter.py sums it
directly).

Fisher–Rao distance: √r times the geometric's, 2√r |artanh √(1−p₁) − artanh √(1−p₂)|.
"""

from ._spec import (
    COUNTS,
    NEGATIVE,
    POSITIVE,
    UNIT_INTERVAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
)
from .geometric import _neg_expm1

DIMS = {"r": 3}


def fisher_rao(sp, p, q, *, r):
    """Fisher–Rao distance between NegativeBinomial(r, p) and NegativeBinomial(r, q) (closed
    form)."""
    return 2 * sp.sqrt(r) * sp.Abs(
        sp.log((1 + sp.sqrt(1 - p)) / (1 + sp.sqrt(1 - q))) - sp.log(p / q) / 2)


SPEC = ExponentialFamily(
    name="negative_binomial",
    title="Negative binomial (failures before the r-th success)",
    density=(r"p(x) = \frac{\Gamma(x + r)}{\Gamma(r)\, x!} p^r (1-p)^x,\quad "
             r"x \in \{0, 1, 2, \dots\}"),
    support=COUNTS,
    fixed=[Param("r", POSITIVE, (0.5, 20.0), "r > 0, the number of successes", "r")],
    statistics=lambda sp, x, *, r: [x],
    log_base_measure=lambda sp, x, *, r: (sp.loggamma(x + r) - sp.loggamma(r)
                                          - sp.loggamma(x + 1)),
    natural=[Param("eta", NEGATIVE, (-5.0, -0.05), "η = log(1 − p) < 0", r"\eta")],
    log_partition=lambda sp, e, *, r: -r * sp.log(_neg_expm1(e)),
    parametrizations=[
        Parametrization("p", [Param("p", UNIT_INTERVAL, (0.05, 0.99),
                                    "p ∈ (0, 1), the success probability", "p")],
                        to_natural=lambda sp, p, *, r: [sp.log(1 - p)],
                        from_natural=lambda sp, e, *, r: [_neg_expm1(e)],
                        doc="p ∈ (0, 1), the success probability; x counts the failures "
                            "before the r-th success (mean r(1−p)/p)."),
        Parametrization("mean", [Param("mean", POSITIVE, (1e-2, 50.0),
                                       "m = r(1−p)/p > 0, the mean", "m")],
                        to_natural=lambda sp, mu, *, r: [sp.log(mu / (r + mu))],
                        from_natural=lambda sp, e, *, r: [r * sp.exp(e) / _neg_expm1(e)],
                        doc="m > 0, the mean number of failures, r(1 − p)/p; "
                            "the variance is m + m²/r."),
    ],
    natural_from_mean=lambda sp, mu, *, r: [sp.log(mu / (r + mu))],
    mean_space=Constraint(lambda t, *, r: ~(t[..., 0] > 0),
                          "the MLE needs a positive sample mean (an all-zero sample puts p "
                          "on the boundary, 1)"),
    sampler=("p", lambda rng, p, size, *, r: rng.negative_binomial(r, p, size=size).astype(float)),
    scipy=("p", lambda st, p, *, r: st.nbinom(r, p)),
    fisher_rao=("p", fisher_rao),
)
