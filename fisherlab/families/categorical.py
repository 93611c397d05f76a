"""Categorical distribution on k classes: p(x) = Π_i p_i^{x_i} for one-hot x of length k.

Observations are one-hot vectors x of shape (..., k). The last class is the reference:
exponential-family form T(x) = (x_1, …, x_{k−1}), h(x) = 1, η_i = log(p_i / p_k) for i < k,
A(η) = log(1 + Σ_{i<k} e^{η_i}).

Dimensions: ``k`` ≥ 2 classes (default 3); ``fl.family("categorical", k=10)``. One kernel
module serves every k: it is derived once for symbolic k from :func:`indexed`, the same family
written with sums over the classes (see :mod:`fisherlab.families.indexed`), and its Fisher
information is diag(p) − ppᵀ, also as a structured matrix (``structured=True``).

Parametrizations: ``natural`` (the k − 1 logits against class k) and ``probs`` (the first k − 1
probabilities p_1, …, p_{k−1}; p_k = 1 − Σ_{i<k} p_i must stay positive: θ off the open simplex
raises DomainError).

Valid range. Natural: any finite logits (tested from −700 to 700). The log-partition, mean, Fisher
information, Hessian and skewness are evaluated through overflow-free softmax functions
(:mod:`fisherlab.families.special.softmax`) and are accurate to a few ulps relative to each entry;
the log-density, KL and entropy are differences of O(max|η|) terms, accurate to ~1e-16·max|η|
absolutely. Probs: any point of the open simplex; quantities involving p_k = 1 − Σ p_i carry the
rounding of that difference.

The Fisher–Rao distance is 2 arccos Σ_i √(p_i q_i) (the sphere of √p of radius 2), evaluated as
4 arcsin(‖√p − √q‖ / 2) so that nearby points keep their digits.
"""

import numpy as np

from ._spec import (
    REAL,
    UNIT_INTERVAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
    off_open_simplex,
    one_hot,
    require_int,
)

DIMS = {"k": 3}


def _no_mle(t):
    # t̄ = observed frequencies of classes 1..k−1: the MLE needs every class, the last included.
    return ~((t > 0).all(axis=-1) & (t.sum(axis=-1) < 1.0))


def _log_partition(sp, *eta):
    from .special.softmax import LogSumExp0

    return LogSumExp0(*eta)


def _probs(sp, *eta):
    from .special.softmax import softmax_all

    return softmax_all(eta)[:-1]


def _sample(rng, *theta_size):
    *p, size = theta_size
    probs = np.array([*p, 1.0 - sum(p)], dtype=float)
    idx = rng.choice(probs.size, p=probs, size=size)
    return np.eye(probs.size)[idx]


def _fisher_rao(sp, *pq):
    # 2 arccos(BC) with BC = Σ √(p_i q_i) = 1 − ‖√p − √q‖²/2, i.e. 4 arcsin(‖√p − √q‖/2).
    m = len(pq) // 2
    p, q = list(pq[:m]), list(pq[m:])
    p.append(1 - sum(p))
    q.append(1 - sum(q))
    from .special.elementary import hellinger_sq

    return 4 * sp.asin(sp.sqrt(hellinger_sq(p, q)) / 2)


def make(k: int = 3) -> ExponentialFamily:
    """The categorical family on k classes, observations one-hot of shape (..., k)."""
    k = require_int("k", k, 2)
    m = k - 1
    hi = 0.95 / m  # test ranges keep Σ p_i < 1 whatever each entry draws
    probs = [Param(f"p{i}", UNIT_INTERVAL, (0.02, hi), f"p_{i} ∈ (0, 1), P(class {i})",
                   rf"p_{{{i}}}") for i in range(1, k)]
    return ExponentialFamily(
        name="categorical",
        title="Categorical",
        density=(r"p(x) = \prod_{i=1}^{k} p_i^{x_i},\quad x \in \{0, 1\}^k,\ \sum_i x_i = 1,"
                 r"\quad p_k = 1 - \sum_{i<k} p_i"),
        support=one_hot(k),
        statistics=lambda sp, x: list(x[:-1]),
        log_base_measure=lambda sp, x: 0,
        natural=[Param(f"eta{i}", REAL, (-4.0, 4.0), f"η_{i} = log(p_{i}/p_{k}), a logit",
                       rf"\eta_{{{i}}}") for i in range(1, k)],
        log_partition=_log_partition,
        parametrizations=[
            Parametrization(
                "probs", probs,
                to_natural=lambda sp, *p: [sp.log(pi) - sp.log(1 - sum(p)) for pi in p],
                from_natural=_probs,
                constraint=Constraint(off_open_simplex, f"p1 + ... + p{m} < 1 (the open simplex; "
                                                    "the last probability is 1 minus their sum)"
                                      ),
                doc=f"p_1, …, p_{m}: the probabilities of the first {m} classes; "
                    f"p_{k} = 1 − Σ p_i > 0."),
        ],
        natural_from_mean=lambda sp, *mu: [sp.log(u / (1 - sum(mu))) for u in mu],
        mean_space=Constraint(_no_mle, "the MLE needs every class observed at least once "
                                       "(an absent class puts its probability on the boundary, 0)"),
        sampler=("probs", _sample),
        scipy=("probs", lambda st, *p: st.multinomial(1, [*p, 1.0 - sum(p)])),
        fisher_rao=("probs", _fisher_rao),
        dims={"k": k},
    )


def _probs_to_natural(sp, p, i, s, m):
    return sp.log(p[i]) - sp.log(1 - sp.Sum(p[s], (s, 1, m)))


def _probs_from_natural(sp, eta, i, s, m):
    return sp.exp(eta[i]) / (1 + sp.Sum(sp.exp(eta[s]), (s, 1, m)))


def _indexed_fisher_rao(sp, p, q, s, m, scale=1):
    from .special.elementary import SqrtDiff

    last_p, last_q = 1 - sp.Sum(p[s], (s, 1, m)), 1 - sp.Sum(q[s], (s, 1, m))
    total = sp.Sum(SqrtDiff(p[s], q[s]) ** 2, (s, 1, m)) + SqrtDiff(last_p, last_q) ** 2
    return 4 * scale * sp.asin(sp.sqrt(total) / 2)


def indexed():
    """The categorical for every k at once (see :mod:`fisherlab.families.indexed`)."""
    from .indexed import IndexedFamily, IndexedParametrization

    return IndexedFamily(
        name="categorical", offset=-1,
        statistics=lambda sp, x, i: x[i],
        log_base_measure=lambda sp, x, s, k: sp.Integer(0),
        log_partition=lambda sp, eta, s, m: sp.log(1 + sp.Sum(sp.exp(eta[s]), (s, 1, m))),
        expected_log_base_measure=lambda sp, mean, i, s, m: sp.Integer(0),
        parametrizations=(IndexedParametrization("probs", _probs_to_natural,
                                                 _probs_from_natural),),
        natural_from_mean=lambda sp, mu, i, s, m: sp.log(mu[i] / (1 - sp.Sum(mu[s], (s, 1, m)))),
        fisher_rao=("probs", _indexed_fisher_rao),
        softmax=True)
