"""The heads' square roots of the output Fisher: the closed forms (rank-one structure, diagonal)
against the dense raw Fisher and against the Cholesky route, and K-FAC built on either.

The references are computed independently of the factor: the dense raw Fisher from the kernels'
dense F_θ carried through the links (``HeadPoint.fisher``), the Cholesky route written here from
``np.linalg.cholesky`` of that F_θ, and the categorical's last-class entry from scipy's softmax.
"""

import numpy as np
import pytest
from scipy.special import softmax

from fisherlab import models as flm
from fisherlab.models.heads import HeadPoint
from fisherlab.models.kfac import kfac_factors

HEADS = {
    # rank-one structure diag(d) + c u uᵀ
    "categorical-softmax": lambda: flm.Head("categorical", link="softmax", k=10),
    "categorical-natural": lambda: flm.Head("categorical", k=4),
    "dirichlet-exp": lambda: flm.Head("dirichlet", k=3, link="exp"),
    # diagonal F_θ
    "normal-mean-logstd": lambda: flm.Head("normal", "mean_logstd"),
    "poisson": lambda: flm.Head("poisson"),
    "bernoulli": lambda: flm.Head("bernoulli"),
    "normal-std-fixed": lambda: flm.Head("normal"),
    # a full 2 × 2 F_θ: the Cholesky route
    "gamma-shape-rate": lambda: flm.Head("gamma", "shape_rate", link="softplus"),
    "normal-mean-std": lambda: flm.Head("normal", "mean_std",
                                        link={"mean": "identity", "std": "softplus"}),
}
FAST = ("categorical-softmax", "categorical-natural", "dirichlet-exp", "normal-mean-logstd",
        "poisson", "bernoulli", "normal-std-fixed")


def raw_points(head, n=40, seed=0):
    rng = np.random.default_rng(seed)
    raw = rng.standard_normal((n, head.width))
    if head.family.name == "dirichlet":
        raw = 0.5 * raw      # α = e^raw, moderate
    return raw


def cholesky_route(point):
    """Gᵀ chol(F_θ), (n, r, q), written out here: the raw map of the softmax link is
    [I; −1ᵀ], of elementwise links diag(h′(raw))."""
    head = point.head
    L = np.linalg.cholesky(point.fisher_theta())
    if head.links and all(lk == "softmax" for lk in head.links.values()):
        return np.concatenate([L, -L.sum(axis=1, keepdims=True)], axis=1)
    d1 = np.stack([lk.d1(point.raw[:, j]) for j, lk in enumerate(head.links.values())], axis=1)
    return d1[:, :, None] * L


def gram(L):
    return L @ np.swapaxes(L, 1, 2)


@pytest.mark.parametrize("name", list(HEADS))
def test_factor_squares_to_the_raw_fisher(name):
    head = HEADS[name]()
    point = head.at(raw_points(head))
    L = point.fisher_factor()
    F = point.fisher()
    assert L.shape == (40, head.width, len(head.predicted))
    scale = max(1.0, np.abs(F).max())
    assert np.abs(gram(L) - F).max() <= 1e-13 * scale
    assert np.abs(gram(L) - gram(cholesky_route(point))).max() <= 1e-13 * scale
    cols = point.fisher_factor_columns()
    assert cols.flags.c_contiguous and cols.shape == (len(head.predicted), 40, head.width)
    np.testing.assert_array_equal(np.moveaxis(cols, 0, 2), L)


@pytest.mark.parametrize("name", FAST)
def test_fast_factors_need_no_cholesky(name, monkeypatch):
    head = HEADS[name]()
    point = head.at(raw_points(head))

    def refuse(*args, **kwargs):
        raise AssertionError("a closed-form factor was expected")

    monkeypatch.setattr(np.linalg, "cholesky", refuse)
    point.fisher_factor()


def test_categorical_extremes():
    """A class of probability 0 (the dense F_θ is singular: Cholesky fails) and a reference
    class of probability 1e-30, whose raw Fisher entry p_K (1 − p_K) the factor keeps to a few
    ulps (its extra row is −√p_K sᵀ, not a difference of the other rows)."""
    head = flm.Head("categorical", link="softmax", k=4)
    raw = np.array([[0.0, -800.0, 1.0, 0.5],
                    [3.0, 2.0, 1.0, -69.0],
                    [0.2, 0.1, -0.3, 0.0]])
    point = head.at(raw)
    L = point.fisher_factor()
    p = softmax(raw, axis=1)
    F = np.diag(p[0]) - np.outer(p[0], p[0])
    assert np.abs(gram(L)[0] - F).max() <= 1e-16
    assert np.all(L[0, 1] == 0) and np.all(L[0, :, 1] == 0)
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(point.fisher_theta()[:1])
    last = gram(L)[1, 3, 3]
    want = p[1, 3] * (1.0 - p[1, 3])
    assert 0 < want < 1e-29
    assert abs(last - want) <= 4e-16 * want


@pytest.mark.parametrize("name", ["categorical-softmax", "dirichlet-exp", "poisson",
                                  "normal-mean-logstd"])
def test_kfac_factors_match_the_cholesky_route(name, monkeypatch):
    head = HEADS[name]()
    rng = np.random.default_rng(3)
    model = flm.MLP([3, 5, head.width], head, activation="tanh")
    X = rng.standard_normal((30, 3))
    y = head.sample(0.3 * rng.standard_normal((30, head.width)), seed=4)
    prob = model.problem(X, y, weights=rng.uniform(0.5, 2.0, 30))
    w = model.init() + 0.2 * rng.standard_normal(model.n_weights)
    fast = kfac_factors(prob, w)

    def cholesky_columns(self):
        return np.ascontiguousarray(np.moveaxis(cholesky_route(self), 2, 0))

    monkeypatch.setattr(HeadPoint, "fisher_factor_columns", cholesky_columns)
    slow = kfac_factors(model.problem(X, y, weights=prob.weights), w)
    for (A, G), (A0, G0) in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(A, A0)
        assert np.abs(G - G0).max() <= 1e-13 * np.abs(G0).max()
