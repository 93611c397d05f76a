"""A softmax head's GGN-vector products go through the categorical's structured Fisher.

With 1000 classes no (K − 1) × (K − 1) matrix per row is formed: the product is checked against
finite differences of the gradient (a softmax head on a linear predictor is canonical, so the
GGN is the Hessian) and, at small K, against the dense per-row Fisher.
"""

import numpy as np

from fisherlab import models as flm


def _problem(K, n=30, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, n)
    head = flm.Head("categorical", "natural", link="softmax", k=K)
    return flm.GLM(head).problem(X, y), rng


def test_fisher_vp_of_a_1000_class_softmax_head_is_the_hessian_vp():
    prob, rng = _problem(1000)
    w = 0.1 * rng.normal(size=prob.dim)
    v = rng.normal(size=prob.dim)
    assert prob.point(w).fisher_structure().p == 999
    h = 1e-6
    fd = (prob.grad(w + h * v) - prob.grad(w - h * v)) / (2 * h)
    got = prob.fisher_vp(w, v)
    assert np.max(np.abs(got - fd)) <= 1e-7 * np.max(np.abs(fd))


def test_structured_products_match_the_dense_rows():
    prob, rng = _problem(6, seed=1)
    w = rng.normal(size=prob.dim)
    v = rng.normal(size=(prob.n, 6))
    point = prob.point(w)
    dense = np.einsum("nab,nb->na", point.fisher(), v)
    np.testing.assert_allclose(point.fisher_vp(v), dense, rtol=1e-12, atol=1e-14)
    u = rng.normal(size=prob.dim)
    np.testing.assert_allclose(prob.fisher_vp(w, u), prob.fisher(w) @ u, rtol=1e-10,
                               atol=1e-12)
