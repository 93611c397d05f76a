"""Multinomial distribution: n trials over k classes, p(x) = n! / Π_i x_i! · Π_i p_i^{x_i}.

Observations are count vectors x of shape (..., k) of non-negative integers summing to n. The last
class is the reference: T(x) = (x_1, …, x_{k−1}), log h(x) = log n! − Σ_i log x_i!,
η_i = log(p_i / p_k) for i < k, A(η) = n log(1 + Σ_{i<k} e^{η_i}).

Dimensions: ``k`` ≥ 2 classes (default 3), a structural dimension; one kernel module serves
every k, derived once for symbolic k from :func:`indexed`. Fixed parameter:
``n`` ≥ 1 trials, a whole number (default 5), a symbol of the derivation and an argument of the
kernels (see :mod:`fisherlab.families.fixed`): ``fl.family("multinomial", n=10, k=4)``, or per-row
trials as an array broadcast against θ's batch shape (...) and x's batch shape (x is
(..., k)). Observations are checked per row: the counts sum to n.

Parametrizations: ``natural`` (the k − 1 logits against class k) and ``probs`` (the first k − 1
class probabilities; p_k = 1 − Σ p_i must stay positive: θ off the open simplex raises
DomainError).

Valid range. Natural: any finite logits (tested from −700 to 700), through the same overflow-free
softmax functions as the categorical (:mod:`fisherlab.families.special.softmax`): mean, Fisher,
Hessian and skewness accurate to a few ulps per entry; log-density, KL and entropy accurate to
~1e-16·n·max|η| absolutely. The entropy's E[log h(x)] is the exact finite sum log n! − Σ_i E[log
x_i!] over the binomial marginals x_i ~ Bin(n, p_i), O(max n · k) work per point. Probs: any point
of the open simplex.

The Fisher–Rao distance is √n times the categorical's: 4√n arcsin(‖√p − √q‖ / 2).
"""

import numpy as np

from ._spec import (
    REAL,
    UNIT_INTERVAL,
    Constraint,
    Domain,
    ExponentialFamily,
    Param,
    Parametrization,
    count_vectors,
    counts_summing,
    off_open_simplex,
    require_int,
)

DIMS = {"n": 5, "k": 3}
#: Of DIMS, the fixed parameters (bound at run time; the others are structural, passed to make).
FIXED = ("n",)


def make(k: int = 3) -> ExponentialFamily:
    """The multinomial family over k classes, n trials fixed; observations of shape (..., k)."""
    k = require_int("k", k, 2)
    m = k - 1
    hi = 0.95 / m

    def log_partition(sp, *eta, n):
        from .special.softmax import LogSumExp0

        return n * LogSumExp0(*eta)

    def expected_log_h(sp, *eta, n):
        from .special.softmax import BinomialExpectedLogFactorial, cosoftmax_all, softmax_all

        p, q = softmax_all(eta), cosoftmax_all(eta)
        return sp.loggamma(n + 1) - sum(BinomialExpectedLogFactorial(n, pi, qi)
                                        for pi, qi in zip(p, q))

    def probs(sp, *eta, n):
        from .special.softmax import softmax_all

        return softmax_all(eta)[:-1]

    def no_mle(t, *, n):
        # t̄ = mean counts of classes 1..k−1: every class must be seen, so 0 < t̄_i, Σ t̄_i < n.
        return ~((t > 0).all(axis=-1) & (t.sum(axis=-1) < n))

    def sample(rng, *theta_size, n):
        *p, size = theta_size
        # numpy takes whole-number n as integers (per-row n arrives as float64), and the class
        # probabilities on the last axis
        pvals = np.stack(np.broadcast_arrays(*p, 1.0 - sum(p)), axis=-1)
        return rng.multinomial(np.asarray(n, dtype=np.int64), pvals, size=size).astype(float)

    def fisher_rao(sp, *pq, n):
        p, q = list(pq[:m]), list(pq[m:])
        p.append(1 - sum(p))
        q.append(1 - sum(q))
        from .special.elementary import hellinger_sq

        return 4 * sp.sqrt(n) * sp.asin(sp.sqrt(hellinger_sq(p, q)) / 2)

    return ExponentialFamily(
        name="multinomial",
        title="Multinomial",
        density=(
            r"p(x) = \frac{n!}{\prod_{i=1}^k x_i!} \prod_{i=1}^{k} p_i^{x_i},\quad "
            r"x_i \in \{0, \dots, n\},\ \sum_i x_i = n"
        ),
        support=count_vectors(k),
        fixed=[
            Param(
                "n",
                Domain(lo=1.0, lo_closed=True),
                (1.0, 40.0),
                "n ≥ 1, the number of trials (a whole number)",
                "n",
                integer=True,
            )
        ],
        fixed_support=lambda n: counts_summing(k, n),
        support_constraint=Constraint(lambda x, n: x.sum(axis=-1) != n, "the counts sum to n"),
        statistics=lambda sp, x, *, n: list(x[:-1]),
        log_base_measure=lambda sp, x, *, n: (
            sp.loggamma(n + 1) - sum(sp.loggamma(xi + 1) for xi in x)
        ),
        natural=[
            Param(
                f"eta{i}", REAL, (-4.0, 4.0), f"η_{i} = log(p_{i}/p_{k}), a logit", rf"\eta_{{{i}}}"
            )
            for i in range(1, k)
        ],
        log_partition=log_partition,
        parametrizations=[
            Parametrization(
                "probs",
                [
                    Param(
                        f"p{i}",
                        UNIT_INTERVAL,
                        (0.02, hi),
                        f"p_{i} ∈ (0, 1), P(class {i})",
                        rf"p_{{{i}}}",
                    )
                    for i in range(1, k)
                ],
                to_natural=lambda sp, *p, n: [sp.log(pi) - sp.log(1 - sum(p)) for pi in p],
                from_natural=probs,
                constraint=Constraint(
                    off_open_simplex,
                    f"p1 + ... + p{m} < 1 (the open simplex; the "
                    "last probability is 1 minus their sum)",
                ),
                doc=f"p_1, …, p_{m}: the probabilities of the first {m} classes; "
                f"p_{k} = 1 − Σ p_i > 0.",
            ),
        ],
        natural_from_mean=lambda sp, *mu, n: [sp.log(u / (n - sum(mu))) for u in mu],
        mean_space=Constraint(
            no_mle,
            "the MLE needs every class counted at least once "
            "(an absent class puts its probability on the boundary, 0)",
        ),
        expected_log_base_measure=expected_log_h,
        sampler=("probs", sample),
        scipy=("probs", lambda st, *p, n: st.multinomial(n, [*p, 1.0 - sum(p)])),
        fisher_rao=("probs", fisher_rao),
        dims={"k": k},
    )


def indexed():
    """The multinomial for every k at once (see :mod:`fisherlab.families.indexed`)."""
    from .categorical import _indexed_fisher_rao, _probs_from_natural, _probs_to_natural
    from .indexed import IndexedFamily, IndexedParametrization

    def expected_log_h(sp, mean, i, s, m, n):
        from .special.softmax import MultinomialExpectedLogBase

        return MultinomialExpectedLogBase(n, sp.Lambda(i, mean(i) / n),
                                          1 - sp.Sum(mean(s) / n, (s, 1, m)))

    return IndexedFamily(
        name="multinomial", offset=-1, fixed=("n",),
        statistics=lambda sp, x, i: x[i],
        log_base_measure=lambda sp, x, s, k, n: (sp.loggamma(n + 1)
                                                 - sp.Sum(sp.loggamma(x[s] + 1), (s, 1, k))),
        log_partition=lambda sp, eta, s, m, n: n * sp.log(1 + sp.Sum(sp.exp(eta[s]), (s, 1, m))),
        expected_log_base_measure=expected_log_h,
        parametrizations=(IndexedParametrization(
            "probs", lambda sp, p, i, s, m, n: _probs_to_natural(sp, p, i, s, m),
            lambda sp, eta, i, s, m, n: _probs_from_natural(sp, eta, i, s, m)),),
        natural_from_mean=lambda sp, mu, i, s, m, n: sp.log(mu[i] / (n - sp.Sum(mu[s], (s, 1, m)))),
        fisher_rao=("probs", lambda sp, p, q, s, m, n: _indexed_fisher_rao(sp, p, q, s, m,
                                                                            sp.sqrt(n))),
        softmax=True)
