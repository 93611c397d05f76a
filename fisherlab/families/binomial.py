"""Binomial distribution: p(x) = C(n, x) p^x (1 − p)^(n−x) for x = 0, 1, …, n (n fixed).

Exponential-family form: T(x) = x, log h(x) = log C(n, x), η = log(p/(1−p)),
A(η) = n log(1 + e^η).

Fixed parameter: ``n``, the number of trials, a whole number ≥ 1 (default 10). It is a symbol of
the derivation and an argument of the one compiled kernel module (see
:mod:`fisherlab.families.fixed`): ``fl.family("binomial", n=7)``, or per-row trials
``fl.family("binomial", n=np.array([3, 5, 10]))``, whose kernels broadcast n against θ's batch
shape (...) and against x's shape. Observations are checked per row: x ∈ {0, …, n}.

Valid range. Natural: any finite η (tested from −700 to 700): A and its derivatives go through
the overflow-free softmax functions of :mod:`fisherlab.families.special.softmax` (σ(η) and 1 − σ(η)
without cancellation), so mean, Fisher, Hessian and skewness are accurate to a few ulps.
p: any p in (0, 1). The entropy is the finite sum −Σ p(x) log p(x) over x = 0..n, made by the
runtime (no E[log h] is declared): every term is ≥ 0, while A − ⟨η, μ⟩ − E[log h] with
E[log h] = log n! − E[log X!] − E[log (n−X)!] cancels O(n) terms down to ½ log(2πe np(1−p)) and
was measured 2e-12 off at n = 100 (its weights' log C(n, x) carry an absolute error of ε log n!,
which the large log X! multiply). Per-row n: the sum over x runs past each row's n, where p(x) = 0.

The Fisher–Rao distance is 2√n arccos(√(p q) + √((1−p)(1−q))), evaluated as
4√n arcsin(h/2) with h² = (√p − √q)² + (√(1−p) − √(1−q))² so nearby points keep their digits.
"""

import numpy as np

from ._spec import (
    COUNTS,
    REAL,
    UNIT_INTERVAL,
    Constraint,
    Domain,
    ExponentialFamily,
    Param,
    Parametrization,
    integer_range,
)

DIMS = {"n": 10}


def log_partition(sp, e, *, n):
    """A(η) = n log(1 + e^η), through the stable LogSumExp0."""
    from .special.softmax import LogSumExp0

    return n * LogSumExp0(e)


def p_of_eta(sp, e, *, n):
    """The success probability p = σ(η), through Softmax0."""
    from .special.softmax import Softmax0

    return [Softmax0(1, e)]


def fisher_rao(sp, p, q, *, n):
    """The Fisher–Rao distance between Binomial(n, p) and Binomial(n, q), from their Hellinger
    distance."""
    from .special.elementary import hellinger_sq

    return 4 * sp.sqrt(n) * sp.asin(sp.sqrt(hellinger_sq([p, 1 - p], [q, 1 - q])) / 2)


def no_mle(t, *, n):
    """Mask (...,) of the mean statistics t with no MLE: t = 0 or t = n (the MLE is on the
    boundary)."""
    return ~((t[..., 0] > 0) & (t[..., 0] < n))


SPEC = ExponentialFamily(
    name="binomial",
    title="Binomial",
    density=r"p(x) = \binom{n}{x} p^x (1-p)^{n-x},\quad x \in \{0, 1, \dots, n\}",
    support=COUNTS,
    fixed=[Param("n", Domain(lo=1.0, lo_closed=True), (1.0, 100.0),
                 "n ≥ 1, the number of trials (a whole number)", "n", integer=True)],
    fixed_support=lambda n: integer_range(0, n),
    support_constraint=Constraint(lambda x, n: x > n, "x <= n"),
    statistics=lambda sp, x, *, n: [x],
    log_base_measure=lambda sp, x, *, n: sp.log(sp.binomial(n, x)),
    natural=[Param("eta", REAL, (-6.0, 6.0), "η = log(p/(1−p)), the log-odds", r"\eta")],
    log_partition=log_partition,
    parametrizations=[
        Parametrization("p", [Param("p", UNIT_INTERVAL, (1e-2, 0.99),
                                    "p ∈ (0, 1), the success probability", "p")],
                        to_natural=lambda sp, p, *, n: [sp.log(p / (1 - p))],
                        from_natural=p_of_eta,
                        doc="p ∈ (0, 1), the probability of success in each of the n trials."),
    ],
    natural_from_mean=lambda sp, mu, *, n: [sp.log(mu / (n - mu))],
    mean_space=Constraint(no_mle, "the MLE needs a sample mean strictly between 0 and n (all "
                                  "failures or all successes put p on the boundary)"),
    # numpy's binomial takes whole-number n as integers (per-row n arrives as float64)
    sampler=("p", lambda rng, p, size, *, n: rng.binomial(np.asarray(n, dtype=np.int64), p,
                                                          size=size).astype(float)),
    scipy=("p", lambda st, p, *, n: st.binom(n, p)),
    fisher_rao=("p", fisher_rao),
)
