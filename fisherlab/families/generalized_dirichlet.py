"""Generalized Dirichlet distribution (Connor & Mosimann 1969) of dimension k on the simplex.

Observations are x of shape (..., k), positive entries summing to 1. With S_i = x_{i+1} + … + x_k
= 1 − (x_1 + … + x_i), the stick-breaking fractions z_i = x_i/S_{i−1} (S_0 = 1) are independent,
z_i ~ Beta(a_i, b_i) for i = 1, …, k − 1 (Connor & Mosimann, "Concepts of independence for
proportions with a generalization of the Dirichlet distribution", JASA 64 (1969) 194–206;
Wong, "Generalized Dirichlet distribution in Bayesian analysis", Appl. Math. Comput. 97 (1998)
165–181). The density is

    p(x) = Π_{i<k} x_i^(a_i − 1) S_i^(γ_i) / B(a_i, b_i),
    γ_i = b_i − a_{i+1} − b_{i+1} (i < k − 1),  γ_{k−1} = b_{k−1} − 1,

and b_i = a_{i+1} + b_{i+1} for every i < k − 1 is the Dirichlet(a_1, …, a_{k−1}, b_{k−1}).

Exponential-family form (2(k − 1) parameters; the Dirichlet's convention, η the shapes
themselves): T(x) = (log x_1, …, log x_{k−1}, log S_1, …, log S_{k−1}) (S_{k−1} = x_k, and each
S_i is summed from the entries, not formed as 1 − x_1 − … − x_i), log h(x) = −Σ_{i≤k} log x_i,
η = (a_1, …, a_{k−1}, γ_1, …, γ_{k−2}, b_{k−1}), A(η) = Σ_i log B(a_i, b_i) with
b_i = η_{k−1+i} + a_{i+1} + b_{i+1} (linear in η), declared through ``log_beta`` (see
:mod:`fisherlab.families.special.functions`) like the beta and the Dirichlet. The domain of η:
a_i > 0, b_{k−1} > 0, and the joint constraint b_i(η) > 0 for i < k − 1 (γ_i itself may have
either sign). The derivation is made entry by entry for the given k.

Dimensions: ``k`` ≥ 2 (default 3); ``fl.family("generalized_dirichlet", k=4)``; k = 2 is the
beta family in (log x_1, log x_2). Kernels are generated ahead of time for k = 3 and compiled on
first use for other k. scipy.stats has no counterpart; the verification's scipy oracle is
:class:`StickBreakingBetas`, the product of scipy.stats.beta over the stick-breaking fractions.

Parametrizations: ``natural``; ``a_b`` (a_1, …, a_{k−1}, b_1, …, b_{k−1} > 0, the Beta
parameters of the stick-breaking fractions). No closed-form Fisher–Rao distance.

Valid range: as the beta's and the Dirichlet's, every a_i and b_i from 1e-3 to 1e6 for A, E[T] and
the Fisher information (sums of ``log_beta``, ``digamma_diff`` and ``trigamma_diff``); the entropy
and KL lose digits past a_i, b_i ≈ 1e3. Test ranges: a_i and b_i from 0.2 to 50 (a sample of
Beta(a, b) with a or b below 0.2 puts mass within an ulp of 0 or 1, where float64 rounds x_i or
S_i to the boundary of the simplex); in η, a_i and b_{k−1} from 0.2 to 50 and γ_i from −20 to 20,
under the joint constraint.
"""

import numpy as np

from ._spec import (
    POSITIVE,
    REAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
    require_int,
    simplex,
)
from .special.functions import functions

DIMS = {"k": 3}


def _b_from_eta(eta, m):
    """b_1, …, b_m from η = (a_1..a_m, γ_1..γ_{m−1}, b_m): b_i = γ_i + a_{i+1} + b_{i+1}. Works on
    sympy symbols and on numpy columns alike."""
    a, g = eta[:m], eta[m:]
    b = [None] * m
    b[m - 1] = g[m - 1]
    for i in range(m - 2, -1, -1):
        b[i] = g[i] + a[i + 1] + b[i + 1]
    return b


def _eta_from_ab(a, b):
    m = len(a)
    return list(a) + [b[i] - a[i + 1] - b[i + 1] for i in range(m - 1)] + [b[m - 1]]


def _tails(x):
    """S_1, …, S_{k−1}: S_i = x_{i+1} + … + x_k."""
    return [sum(x[i + 1:]) for i in range(len(x) - 1)]


def _natural_violations(m):
    def violations(t):
        cols = [t[..., j] for j in range(2 * m)]
        b = _b_from_eta(cols, m)
        bad = np.zeros(t.shape[:-1], dtype=bool)
        for bi in b[:-1]:
            bad |= ~(bi > 0)
        return bad
    return violations


def _no_mle(m):
    def violations(t):
        # T lies on Σ_i x_i = 1 with S_i the tails: the MLE exists when the mean of T is in the
        # interior of the convex hull, which holds when every stick-breaking fraction's Beta MLE
        # exists: E[log z_i] = t_i − t_{S,i−1} and E[log(1 − z_i)] = t_{S,i} − t_{S,i−1} with
        # exp(E log z) + exp(E log(1 − z)) < 1 (Jensen; two distinct fractions).
        ok = np.ones(t.shape[:-1], dtype=bool)
        for i in range(m):
            prev = t[..., m + i - 1] if i else 0.0
            ok &= np.exp(t[..., i] - prev) + np.exp(t[..., m + i] - prev) < 1.0
        return ~ok
    return violations


def _sample(m):
    def sampler(rng, *ab_size):
        *ab, size = ab_size
        a, b = ab[:m], ab[m:]
        shape = np.broadcast_shapes(*(np.shape(v) for v in ab))
        if size is not None:
            shape = np.broadcast_shapes(shape, size if isinstance(size, tuple) else (size,))
        rest = np.ones(shape)
        out = []
        for i in range(m):
            z = rng.beta(a[i], b[i], size=shape)
            out.append(rest * z)
            rest = rest * (1.0 - z)
        out.append(rest)
        return np.stack(out, axis=-1)
    return sampler


class StickBreakingBetas:
    """The generalized Dirichlet built from scipy.stats.beta, as an oracle independent of the
    declaration: the fractions z_i = x_i/S_{i−1} are independent Beta(a_i, b_i), and
    x ↦ (x_1, …, x_{k−1}) has the triangular Jacobian ∂x_i/∂z_i = S_{i−1} in z. Hence
    log p(x) = Σ_i log Beta(z_i; a_i, b_i) − Σ_i log S_{i−1}, and the entropy is
    Σ_i H(Beta(a_i, b_i)) + Σ_i E[log S_{i−1}], E[log S_i] = Σ_{j≤i} (ψ(b_j) − ψ(a_j + b_j));
    E[x_i] = a_i/(a_i + b_i) Π_{j<i} b_j/(a_j + b_j) (Wong 1998, eq. 2.4).

    Parameters
    ----------
    a, b : sequences of k − 1 floats
        The shapes of the fractions.
    """

    def __init__(self, a, b):
        import scipy.stats

        self.a = np.asarray(a, dtype=np.float64)
        self.b = np.asarray(b, dtype=np.float64)
        self.args = (*self.a, *self.b)
        self._betas = [scipy.stats.beta(ai, bi) for ai, bi in zip(self.a, self.b)]

    def logpdf(self, x):
        """log p(x) for x of shape (..., k) on the simplex -> (...)."""
        import scipy.stats

        x = np.asarray(x, dtype=np.float64)
        total = np.zeros(x.shape[:-1])
        rest = np.sum(x, axis=-1)  # S_0 = 1, summed like the tails
        for i, beta in enumerate(self._betas):
            tail = np.sum(x[..., i + 1:], axis=-1)
            # z_i = x_i/S_(i−1) and 1 − z_i = S_i/S_(i−1), each from the entries: where z_i > 1/2
            # Beta(b_i, a_i) at 1 − z_i, since 1 − z_i formed from a rounded z_i loses digits.
            z, w = x[..., i] / rest, tail / rest
            flipped = scipy.stats.beta(self.b[i], self.a[i])
            total = total + np.where(z <= 0.5, beta.logpdf(z), flipped.logpdf(w)) - np.log(rest)
            rest = tail
        return total

    def entropy(self):
        """Σ H(Beta(a_i, b_i)) + Σ E[log S_{i−1}]."""
        import scipy.special as sc

        log_tail = np.cumsum(sc.digamma(self.b) - sc.digamma(self.a + self.b))
        return float(sum(beta.entropy() for beta in self._betas) + np.sum(log_tail[:-1]))

    def mean(self):
        """E[x], (k,)."""
        frac = self.a / (self.a + self.b)
        stay = np.concatenate([[1.0], np.cumprod(self.b / (self.a + self.b))])
        return np.concatenate([frac * stay[:-1], stay[-1:]])


def make(k: int = 3) -> ExponentialFamily:
    """The generalized Dirichlet family on the (k−1)-simplex, observations of shape (..., k)."""
    k = require_int("k", k, 2)
    m = k - 1
    a_params = [Param(f"a{i}", POSITIVE, (0.2, 50.0), f"a_{i} > 0, the first Beta shape of "
                      f"fraction {i}", rf"a_{{{i}}}") for i in range(1, m + 1)]
    b_params = [Param(f"b{i}", POSITIVE, (0.2, 50.0), f"b_{i} > 0, the second Beta shape of "
                      f"fraction {i}", rf"b_{{{i}}}") for i in range(1, m + 1)]
    natural = [Param(f"eta{i}", POSITIVE, (0.2, 50.0), f"η_{i} = a_{i}", rf"\eta_{{{i}}}")
               for i in range(1, m + 1)]
    natural += [Param(f"eta{m + i}", REAL, (-20.0, 20.0),
                      f"η_{m + i} = γ_{i} = b_{i} − a_{i + 1} − b_{i + 1}", rf"\eta_{{{m + i}}}")
                for i in range(1, m)]
    natural += [Param(f"eta{2 * m}", POSITIVE, (0.2, 50.0), f"η_{2 * m} = b_{m}",
                      rf"\eta_{{{2 * m}}}")]

    def log_partition(sp, *e):
        log_beta = functions(sp)["log_beta"]
        b = _b_from_eta(list(e), m)
        return sum(log_beta(e[i], b[i]) for i in range(m))

    return ExponentialFamily(
        name="generalized_dirichlet",
        title="Generalized Dirichlet (Connor–Mosimann)",
        density=(r"p(x) = \prod_{i<k} \frac{x_i^{a_i - 1} S_i^{\gamma_i}}{B(a_i, b_i)},\quad "
                 r"S_i = \sum_{j > i} x_j,\ \gamma_i = b_i - a_{i+1} - b_{i+1},\ "
                 r"\gamma_{k-1} = b_{k-1} - 1,\quad x \in \Delta^{k-1}"),
        support=simplex(k),
        statistics=lambda sp, x: [sp.log(xi) for xi in x[:-1]] + [sp.log(s) for s in _tails(x)],
        log_base_measure=lambda sp, x: -sum(sp.log(xi) for xi in x),
        natural=natural,
        natural_constraint=Constraint(_natural_violations(m),
                                      "b_i = η_(k−1+i) + a_(i+1) + b_(i+1) > 0 for every i"),
        log_partition=log_partition,
        parametrizations=[
            Parametrization(
                "a_b", a_params + b_params,
                to_natural=lambda sp, *ab: _eta_from_ab(ab[:m], ab[m:]),
                from_natural=lambda sp, *e: list(e[:m]) + _b_from_eta(list(e), m),
                doc="a_1, …, a_{k−1} and b_1, …, b_{k−1} > 0: the stick-breaking fraction "
                    "z_i = x_i/(x_i + … + x_k) is Beta(a_i, b_i), independently."),
        ],
        mean_space=Constraint(_no_mle(m), "the MLE needs, for every stick-breaking fraction "
                                          "z_i, exp(mean log z_i) + exp(mean log(1 - z_i)) < 1: "
                                          "at least two distinct observations"),
        sampler=("a_b", _sample(m)),
        scipy=("a_b", lambda st, *ab: StickBreakingBetas(ab[:m], ab[m:])),
        dims={"k": k},
    )
