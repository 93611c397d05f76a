"""The predictor of Model(f): autograd's products against dense references, and its spec errors.

The references are independent of the code under test: closed-form Jacobian and Hessian of a
small function written out by hand, plus autograd's ``jacobian``/``hessian`` of the function.
"""

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from fisherlab.errors import ShapeError, SpecError
from fisherlab.models.function import FunctionPredictor, Model


def f_quad(w, X):
    """raw_i = (x_i·a + c·(x_i·a)², exp(b)·x_i0), w = (a (d,), c, b); closed-form derivatives
    below."""
    d = X.shape[1]
    s = anp.dot(X, w[:d])
    return anp.stack([s + w[d] * s ** 2, anp.exp(w[d + 1]) * X[:, 0]], axis=1)


def closed_forms(w, X, u):
    d = X.shape[1]
    a, c, b = w[:d], w[d], w[d + 1]
    s = X @ a
    n, P = X.shape[0], d + 2
    J = np.zeros((n, 2, P))
    J[:, 0, :d] = (1 + 2 * c * s)[:, None] * X
    J[:, 0, d] = s ** 2
    J[:, 1, d + 1] = np.exp(b) * X[:, 0]
    H = np.zeros((P, P))
    H[:d, :d] = 2 * c * np.einsum("n,ni,nj->ij", u[:, 0], X, X)
    H[:d, d] = H[d, :d] = 2 * np.einsum("n,n,ni->i", u[:, 0], s, X)
    H[d + 1, d + 1] = np.sum(u[:, 1] * np.exp(b) * X[:, 0])
    return J, H


@pytest.mark.parametrize("n", [3, 9])   # both Jacobian routes: P ≤ n·r and P > n·r
def test_products_against_closed_forms(n):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 4))
    pred = FunctionPredictor(f_quad, 2, n_weights=6)
    w = rng.standard_normal(6)
    u, v = rng.standard_normal((n, 2)), rng.standard_normal(6)
    J, H = closed_forms(w, X, u)
    pred.check(X, w)
    np.testing.assert_allclose(pred.jacobian(w, X), J, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(pred.jvp(w, X, v), np.einsum("nrp,p->nr", J, v), rtol=1e-12)
    np.testing.assert_allclose(pred.vjp(w, X, u), np.einsum("nrp,nr->p", J, u), rtol=1e-12)
    np.testing.assert_allclose(pred.per_row_vjp(w, X, u), np.einsum("nrp,nr->np", J, u), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(pred.residual_hessian(w, X, u), H, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(pred.residual_hvp(w, X, u, v), H @ v, rtol=1e-12, atol=1e-13)


def test_init():
    pred = FunctionPredictor(f_quad, 2, n_weights=6)
    assert np.array_equal(pred.init(1), pred.init(1)) and not np.array_equal(
        pred.init(1), pred.init(2)
    )
    w0 = np.arange(6.0)
    assert np.array_equal(FunctionPredictor(f_quad, 2, w0=w0).init(5), w0)
    with pytest.raises(SpecError, match="n_weights=5 but w0 has 6"):
        FunctionPredictor(f_quad, 2, n_weights=5, w0=w0)
    with pytest.raises(SpecError, match="n_weights"):
        FunctionPredictor(f_quad, 2)


class _Head:
    width = 2


X = np.random.default_rng(1).standard_normal((5, 4))


def test_wrong_width_is_a_spec_error():
    m = Model(lambda w, X: anp.dot(X, anp.reshape(w, (4, 3))), _Head(), n_weights=12)
    with pytest.raises(SpecError, match=r"shape \(n, 2\).*got shape \(5, 3\)"):
        m.predictor(X)


def test_python_math_on_w_is_not_differentiable():
    import math

    m = Model(lambda w, X: anp.stack([X @ w * math.exp(w[0])] * 2, axis=1), _Head(), n_weights=4)
    m.function.forward(np.ones(4), X)     # the plain forward pass works
    with pytest.raises(SpecError, match="autograd cannot differentiate f"):
        m.predictor(X)


def test_output_outside_the_trace_is_a_spec_error():
    # np.einsum drops autograd's box: the gradient would silently be zero
    m = Model(lambda w, X: np.stack([np.einsum("ij,j->i", X, w)] * 2, axis=1), _Head(), n_weights=4)
    with pytest.raises(SpecError, match="does not depend on w"):
        m.predictor(X)


def test_part_of_f_outside_the_trace_is_a_spec_error():
    # the second column loses the trace, the first keeps it: caught by the finite difference
    def f(w, X):
        return anp.stack([anp.dot(X, w), np.einsum("ij,j->i", X, w)], axis=1)

    with pytest.raises(SpecError, match="disagrees with a finite difference"):
        Model(f, _Head(), n_weights=4).predictor(X)


def test_assignment_into_an_array_is_not_differentiable():
    def f(w, X):
        out = np.zeros((X.shape[0], 2))
        out[:, 0] = X @ w
        return out

    with pytest.raises(SpecError, match="autograd cannot differentiate f"):
        Model(f, _Head(), n_weights=4).predictor(X)


def test_failing_f_is_a_spec_error():
    def f(w, X):
        return anp.dot(X, w[:3])         # X has 4 columns

    with pytest.raises(SpecError, match=r"f\(w, X\) raised ValueError"):
        Model(f, _Head(), n_weights=3).predictor(X)


def test_shapes():
    pred = FunctionPredictor(f_quad, 2, n_weights=6)
    with pytest.raises(ShapeError, match=r"\(6,\)"):
        pred.forward(np.ones(5), X)
    with pytest.raises(ShapeError, match="cotangent"):
        pred.vjp(np.ones(6), X, np.ones((5, 3)))


def test_autograd_reference_agrees():
    """The closed forms above are themselves checked against autograd's dense derivatives."""
    rng = np.random.default_rng(2)
    w, u = rng.standard_normal(6), rng.standard_normal((5, 2))
    J, H = closed_forms(w, X, u)
    np.testing.assert_allclose(
        autograd.jacobian(lambda w_: f_quad(w_, X))(w), J, rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(autograd.hessian(lambda w_: anp.sum(u * f_quad(w_, X)))(w), H,
                               rtol=1e-12, atol=1e-13)
