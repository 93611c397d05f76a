"""Binomial distribution: p(x) = C(n, x) p^x (1 − p)^(n−x) for x = 0, 1, …, n (n fixed).

Exponential-family form: T(x) = x, log h(x) = log C(n, x), η = log(p/(1−p)),
A(η) = n log(1 + e^η).

Dimensions: ``n`` ≥ 1 trials (default 10); ``fl.family("binomial", n=5)``. Kernels are generated
ahead of time for n = 5 and n = 10, compiled on first use for other n.

Valid range. Natural: any finite η (tested from −700 to 700): A and its derivatives go through
the overflow-free softmax functions of :mod:`fisherlab.families.special.softmax` (σ(η) and 1 − σ(η)
without cancellation), so mean, Fisher, Hessian and skewness are accurate to a few ulps.
p: any p in (0, 1). The entropy's E[log h(x)] is the exact finite sum over x = 0..n, O(n).

The Fisher–Rao distance is 2√n arccos(√(p q) + √((1−p)(1−q))), evaluated as
4√n arcsin(h/2) with h² = (√p − √q)² + (√(1−p) − √(1−q))² so nearby points keep their digits.
"""

from ._spec import (REAL, UNIT_INTERVAL, Constraint, ExponentialFamily, Param, Parametrization,
                    integer_range, require_int)

DIMS = {"n": 10}


def make(n: int = 10) -> ExponentialFamily:
    """The binomial family of n trials, scalar observations in {0, …, n}."""
    n = require_int("n", n, 1)

    def log_partition(sp, e):
        from .special.softmax import LogSumExp0

        return n * LogSumExp0(e)

    def expected_log_h(sp, e):
        from .special.softmax import BinomialExpectedLogFactorial, CoSoftmax0, Softmax0

        p, q = Softmax0(1, e), CoSoftmax0(1, e)
        return (sp.loggamma(n + 1) - BinomialExpectedLogFactorial(n, p, q)
                - BinomialExpectedLogFactorial(n, q, p))

    def p_of_eta(sp, e):
        from .special.softmax import Softmax0

        return [Softmax0(1, e)]

    def fisher_rao(sp, p, q):
        from .special.elementary import hellinger_sq

        return 4 * sp.sqrt(n) * sp.asin(sp.sqrt(hellinger_sq([p, 1 - p], [q, 1 - q])) / 2)

    return ExponentialFamily(
        name="binomial",
        title="Binomial",
        density=r"p(x) = \binom{n}{x} p^x (1-p)^{n-x},\quad x \in \{0, 1, \dots, n\}",
        support=integer_range(0, n),
        statistics=lambda sp, x: [x],
        log_base_measure=lambda sp, x: sp.log(sp.binomial(n, x)),
        natural=[Param("eta", REAL, (-6.0, 6.0), "η = log(p/(1−p)), the log-odds", r"\eta")],
        log_partition=log_partition,
        parametrizations=[
            Parametrization("p", [Param("p", UNIT_INTERVAL, (1e-2, 0.99),
                                        "p ∈ (0, 1), the success probability", "p")],
                            to_natural=lambda sp, p: [sp.log(p / (1 - p))],
                            from_natural=p_of_eta,
                            doc=f"p ∈ (0, 1), the probability of success in each of the {n} trials."),
        ],
        natural_from_mean=lambda sp, mu: [sp.log(mu / (n - mu))],
        mean_space=Constraint(lambda t: ~((t[..., 0] > 0) & (t[..., 0] < n)),
                              f"the MLE needs a sample mean strictly between 0 and {n} (all "
                              "failures or all successes put p on the boundary)"),
        expected_log_base_measure=expected_log_h,
        sampler=("p", lambda rng, p, size: rng.binomial(n, p, size=size).astype(float)),
        scipy=("p", lambda st, p: st.binom(n, p)),
        fisher_rao=("p", fisher_rao),
        dims={"n": n},
    )
