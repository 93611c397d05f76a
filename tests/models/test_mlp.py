"""The hand-written MLP predictor against a dense reference built by autograd.

The reference is a separate forward pass written in autograd.numpy here (its own unpacking of
the documented weight layout and its own activations); autograd's ``jacobian`` and ``hessian``
of it give J and the residual Hessian, and every predictor quantity is compared to 1e-10 relative.
"""

import itertools
from types import SimpleNamespace

import autograd
import autograd.numpy as anp
import autograd.scipy.special as asp
import mpmath
import numpy as np
import pytest
from autograd.scipy.special import gammaln

from fisherlab import models as flm
from fisherlab.errors import ShapeError, SpecError, UnknownNameError
from fisherlab.models.mlp import ACTIVATIONS, MLP, MLPPredictor

REF_ACT = {
    "tanh": anp.tanh,
    "relu": lambda z: anp.maximum(z, 0.0),
    "softplus": lambda z: anp.logaddexp(0.0, z),
    "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
    "erf": asp.erf,
    "identity": lambda z: z,
}


def ref_forward(sizes, act, w, X):
    """The network of the documented layout: per layer W (in, out) row-major, then b."""
    a, k = X, 0
    for layer, (i, o) in enumerate(itertools.pairwise(sizes)):
        W = anp.reshape(w[k:k + i * o], (i, o))
        k += i * o
        b = w[k:k + o]
        k += o
        z = anp.dot(a, W) + b
        a = z if layer == len(sizes) - 2 else REF_ACT[act](z)
    assert k == w.shape[0]
    return a


def rel(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


CASES = [
    ([3, 4], "tanh"),
    ([3, 5, 2], "tanh"),
    ([2, 4, 3, 3], "softplus"),
    ([4, 6, 2], "sigmoid"),
    ([3, 5, 4, 2], "erf"),
    ([3, 7, 2], "relu"),
    ([3, 4, 4, 2], "identity"),
    ([2, 3, 3, 3, 1], "tanh"),
]


def setup(sizes, act, seed=0):
    rng = np.random.default_rng(seed)
    pred = MLPPredictor(sizes, act)
    w = pred.init(seed) + 0.3 * rng.standard_normal(pred.n_weights)   # nonzero biases too
    X = rng.standard_normal((6, sizes[0]))
    return pred, w, X, rng


@pytest.mark.parametrize("sizes,act", CASES)
def test_first_order_against_autograd(sizes, act):
    pred, w, X, rng = setup(sizes, act)
    n, r = X.shape[0], sizes[-1]
    def f(w_):
        return ref_forward(sizes, act, w_, X)
    raw_ref = f(w)
    J_ref = autograd.jacobian(f)(w)                         # (n, r, P)
    assert rel(pred.forward(w, X), raw_ref) < 1e-13
    assert rel(pred.jacobian(w, X), J_ref) < 1e-10
    v = rng.standard_normal(pred.n_weights)
    u = rng.standard_normal((n, r))
    assert rel(pred.jvp(w, X, v), np.einsum("nrp,p->nr", J_ref, v)) < 1e-10
    assert rel(pred.vjp(w, X, u), np.einsum("nrp,nr->p", J_ref, u)) < 1e-10
    assert rel(pred.per_row_vjp(w, X, u), np.einsum("nrp,nr->np", J_ref, u)) < 1e-10


@pytest.mark.parametrize("sizes,act", CASES)
def test_residual_hessian_against_autograd(sizes, act):
    pred, w, X, rng = setup(sizes, act, seed=1)
    u = rng.standard_normal((X.shape[0], sizes[-1]))
    def phi(w_):
        return anp.sum(u * ref_forward(sizes, act, w_, X))
    H_ref = autograd.hessian(phi)(w)
    v = rng.standard_normal(pred.n_weights)
    scale = max(np.max(np.abs(H_ref)), 1.0)
    if len(sizes) == 2:                    # one affine layer is linear in w: no residual term
        assert np.max(np.abs(H_ref)) == 0.0
    else:
        assert np.max(np.abs(H_ref)) > 1e-3
    assert (
        np.max(np.abs(pred.residual_hvp(w, X, u, v) - H_ref @ v)) < 1e-10 * scale * np.abs(v).max()
    )
    assert np.max(np.abs(pred.residual_hessian(w, X, u) - H_ref)) < 1e-10 * scale


def test_memo_does_not_serve_stale_weights():
    pred, w, X, _rng = setup([3, 5, 2], "tanh")
    first = pred.forward(w, X).copy()
    w2 = w.copy()
    w2[0] += 1.0
    assert not np.allclose(pred.forward(w2, X), first)
    w[0] += 1.0                                            # mutating the caller's vector in place
    assert rel(pred.forward(w, X), ref_forward([3, 5, 2], "tanh", w, X)) < 1e-13


MP_ACT = {
    "tanh": mpmath.tanh,
    "relu": lambda z: z if z > 0 else mpmath.mpf(0),
    "softplus": lambda z: mpmath.log1p(mpmath.exp(z)),
    "sigmoid": lambda z: 1 / (1 + mpmath.exp(-z)),
    "erf": mpmath.erf,
    "identity": lambda z: z,
}


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_activation_derivatives_keep_digits(act):
    """σ, σ', σ'' against mpmath at 400 digits, including saturated arguments (|z| up to 40)."""
    f, f_dd = ACTIVATIONS[act]
    z = np.array([-40.0, -19.0, -3.0, -0.7, -1e-9, 1e-9, 0.3, 2.5, 19.0, 40.0])
    s, d = f(z)
    dd = f_dd(z, s, d)
    with mpmath.workdps(400):  # erf(19) = 1 − 1e-159: finite differences need the digits
        exact = np.array(
            [[float(mpmath.diff(MP_ACT[act], mpmath.mpf(x), k)) for x in z] for k in range(3)]
        )
    np.testing.assert_allclose(s, exact[0], rtol=4e-16, atol=0)
    np.testing.assert_allclose(d, exact[1], rtol=1e-14, atol=0)
    np.testing.assert_allclose(dd, exact[2], rtol=1e-14, atol=0)


def test_tanh_derivative_relative_accuracy_in_the_tail():
    """sech²(20) ≈ 1.7e-17: 1 − tanh² would give 0 or 2.2e-16; the written form keeps every
    digit."""
    _, d = ACTIVATIONS["tanh"][0](np.array([20.0, -20.0]))
    exact = 4.0 / (np.exp(20.0) + np.exp(-20.0)) ** 2
    np.testing.assert_allclose(d, exact, rtol=1e-14)


def test_layout_and_init():
    pred = MLPPredictor([64, 32, 10])
    assert pred.n_weights == 64 * 32 + 32 + 32 * 10 + 10
    w = pred.init(3)
    (W1, b1), (_W2, b2) = pred.unpack(w)
    assert W1.shape == (64, 32) and b2.shape == (10,)
    assert np.all(b1 == 0) and np.all(b2 == 0)
    a = np.sqrt(6.0 / (64 + 32))
    assert np.abs(W1).max() <= a and np.abs(W1).max() > 0.9 * a       # Glorot uniform bound
    assert np.array_equal(w, pred.init(3)) and not np.array_equal(w, pred.init(4))
    # row-major W: w[k] is W[k // out, k % out]
    assert W1[1, 2] == w[1 * 32 + 2]


class _Head:
    def __init__(self, width):
        self.width = width


def test_errors():
    with pytest.raises(UnknownNameError, match="tanh, relu, softplus, sigmoid, erf"):
        MLPPredictor([2, 3, 1], "swish")
    with pytest.raises(SpecError, match=r"output size 3.*head's width 2"):
        MLP([4, 5, 3], _Head(2))
    with pytest.raises(SpecError, match="sizes"):
        MLPPredictor([4])
    pred = MLPPredictor([3, 4, 2])
    w = pred.init()
    with pytest.raises(ShapeError, match=r"\(n, 3\)"):
        pred.forward(w, np.zeros((5, 4)))
    with pytest.raises(ShapeError, match=str(pred.n_weights)):
        pred.forward(w[:-1], np.zeros((5, 3)))
    with pytest.raises(ShapeError, match="cotangent"):
        pred.vjp(w, np.zeros((5, 3)), np.zeros((5, 3)))


# --------------------------------------------------------------------------- model curvature
# MLP × head: every curvature of the problem against autograd. The reference loss is written
# here (its own log-densities); the GGN is Σ_i a_i J_iᵀ F_θ,i J_i / n with J = autograd's full
# Jacobian of θ(w) (links written again here) and F_θ the family kernels' Fisher.

def _log_softmax_last_ref(r):
    # categorical(k) natural parameters: class k is the reference with η_k = 0
    return r - anp.log(1.0 + anp.sum(anp.exp(r), axis=1, keepdims=True))


HEADS = {
    "categorical": (lambda: flm.Head("categorical", k=4),
                    lambda r: [r[:, 0], r[:, 1], r[:, 2]],
                    lambda r, y: (anp.sum(y[:, :3] * r, axis=1)
                                  - anp.log(1.0 + anp.sum(anp.exp(r), axis=1))),
                    lambda rng, n: np.eye(4)[rng.integers(0, 4, n)]),
    "normal-mean-logstd": (lambda: flm.Head("normal", "mean_logstd"),
                           lambda r: [r[:, 0], r[:, 1]],
                           lambda r, y: (-r[:, 1] - 0.5 * np.log(2 * np.pi)
                                         - (y - r[:, 0]) ** 2 * anp.exp(-2 * r[:, 1]) / 2),
                           lambda rng, n: rng.normal(0.5, 1.5, n)),
    "poisson-exp": (lambda: flm.Head("poisson"),
                    lambda r: [anp.exp(r[:, 0])],
                    lambda r, y: y * r[:, 0] - anp.exp(r[:, 0]) - gammaln(y + 1),
                    lambda rng, n: rng.poisson(2.0, n).astype(float)),
}


def _model_case(head_name, act, hidden=(5, 4), seed=0, n=20):
    make, theta_fn, logp, draw = HEADS[head_name]
    head = make()
    sizes = [3, *hidden, head.width]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    y = draw(rng, n)
    a = rng.uniform(0.5, 2.0, n)
    l2 = 0.02
    model = flm.MLP(sizes, head, activation=act, seed=seed)
    w = model.init() + 0.2 * rng.standard_normal(model.n_weights)
    prob = model.problem(X, y, weights=a, l2=l2)

    def loss(w_):
        return anp.sum(a * -logp(ref_forward(sizes, act, w_, X), y)) / n + 0.5 * l2 * anp.sum(
            w_ * w_
        )

    def theta(w_):
        return anp.stack(theta_fn(ref_forward(sizes, act, w_, X)), axis=1)

    return SimpleNamespace(
        head=head, prob=prob, w=w, loss=loss, theta=theta, a=a, l2=l2, n=n, rng=rng
    )


def _close(got, want, rtol=1e-10):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    assert np.max(np.abs(got - want)) <= rtol * np.max(np.abs(want))


@pytest.mark.parametrize("act", ["tanh", "softplus"])
@pytest.mark.parametrize("head_name", sorted(HEADS))
def test_mlp_curvature_against_autograd(head_name, act):
    c = _model_case(head_name, act)
    prob, w, head = c.prob, c.w, c.head
    _close(prob.loss(w), c.loss(w), 1e-13)
    _close(prob.grad(w), autograd.grad(c.loss)(w))
    H = autograd.hessian(c.loss)(w)
    _close(prob.hessian(w), H)
    J = autograd.jacobian(c.theta)(w)                                 # (n, q, P)
    F_theta = head.kernels.fisher(head.theta(prob.raw(w)))
    idx = [head.params.index(p) for p in head.predicted]
    F_theta = F_theta[:, idx][:, :, idx]
    G = np.einsum("n,nap,nab,nbq->pq", c.a, J, F_theta, J) / c.n + c.l2 * np.eye(prob.dim)
    _close(prob.fisher(w), G)
    v = c.rng.standard_normal(prob.dim)
    _close(prob.fisher_vp(w, v), G @ v)
    _close(prob.hessian_vp(w, v), H @ v)
    _close(prob.fisher_diag(w), np.diag(G))
    assert np.max(np.abs(H - G)) > 1e-3 * np.max(np.abs(G))         # a network: GGN ≠ Hessian


def test_function_model_curvature_against_autograd():
    """Model(f) with a two-layer network written by the user: the same references."""
    make, _, logp, draw = HEADS["normal-mean-logstd"]
    head, sizes = make(), [3, 4, 2]

    def f(w, X):
        return ref_forward(sizes, "erf", w, X)

    rng = np.random.default_rng(5)
    X, n = rng.standard_normal((15, 3)), 15
    y = draw(rng, n)
    model = flm.Model(f, head, n_weights=MLPPredictor(sizes).n_weights)
    prob = model.problem(X, y, l2=0.0)
    w = model.init(1)

    def loss(w_):
        return anp.sum(-logp(f(w_, X), y)) / n

    _close(prob.grad(w), autograd.grad(loss)(w))
    _close(prob.hessian(w), autograd.hessian(loss)(w))
    J = autograd.jacobian(lambda w_: f(w_, X))(w)
    F = head.kernels.fisher(head.theta(prob.raw(w)))
    G = np.einsum("nap,nab,nbq->pq", J, F, J) / n
    _close(prob.fisher(w), G)
    assert not model.function.forward_mode     # autograd has no forward rule for erf
    v = rng.standard_normal(prob.dim)
    _close(prob.fisher_vp(w, v), G @ v)
    # the MLP predictor with the same weights gives the same problem
    prob2 = flm.MLP(sizes, head, activation="erf").problem(X, y)
    _close(prob2.hessian(w), prob.hessian(w), 1e-12)
    _close(prob2.fisher(w), prob.fisher(w), 1e-12)


def test_gram_against_the_jacobian_einsum():
    """The Kronecker-structured gram (with tiny row blocks too, so several are summed) equals
    Σ_i J_iᵀ M_i J_i formed from autograd's Jacobian."""
    sizes, act = [3, 5, 4, 3], "tanh"
    pred, w, X, rng = setup(sizes, act, seed=4)
    B = rng.standard_normal((X.shape[0], 3, 3))
    J = autograd.jacobian(lambda w_: ref_forward(sizes, act, w_, X))(w)
    for M in (B @ np.swapaxes(B, 1, 2), B + np.swapaxes(B, 1, 2)):     # PSD (a Fisher), indefinite
        want = np.einsum("nap,nab,nbq->pq", J, M, J)
        for block in (1, 60, 1 << 22):
            _close(pred.gram(w, X, M, max_block=block), want)


def test_cotangent_grams_against_the_jacobian():
    """Σ_k g_lkᵀ g_lk per layer, in chunks of any size (one column at a time, several, all),
    equals Σ_i,k (∂raw_i/∂z_l,i)ᵀ U_ki U_kiᵀ (∂raw_i/∂z_l,i) from autograd's Jacobian in the
    pre-activations."""
    sizes, act = [3, 5, 4, 3], "tanh"
    pred, w, X, rng = setup(sizes, act, seed=5)
    U = rng.standard_normal((4, X.shape[0], 3))
    L = len(sizes) - 1
    want = []
    for layer in range(L):
        # raw as a function of layer l's pre-activations z_l (n, out_l), the rest fixed
        z = X
        for j, (i, o) in enumerate(itertools.pairwise(sizes)):
            k = sum(a * b + b for a, b in itertools.pairwise(sizes[:j + 1]))
            z = z @ w[k:k + i * o].reshape(i, o) + w[k + i * o:k + i * o + o]
            if j == layer:
                break
            z = np.tanh(z)

        def tail(zl, layer=layer):
            a = zl
            for j in range(layer, L):
                if j > layer:
                    i, o = sizes[j], sizes[j + 1]
                    k = sum(a_ * b + b for a_, b in itertools.pairwise(sizes[:j + 1]))
                    a = anp.dot(a, w[k:k + i * o].reshape(i, o)) + w[k + i * o:k + i * o + o]
                if j < L - 1:
                    a = anp.tanh(a)
            return a
        Jz = autograd.jacobian(tail)(z)                       # (n, r, n, out_l)
        Jz = np.einsum("nrno->nro", Jz)                       # row i depends on row i only
        g = np.einsum("kir,iro->kio", U, Jz)
        want.append(np.einsum("kio,kip->op", g, g))
    for block in (1, 2 * X.shape[0] * 5, 1 << 17):
        for got, ref in zip(pred.cotangent_grams(w, X, U, block=block), want, strict=True):
            _close(got, ref)


@pytest.mark.parametrize("head_name", sorted(HEADS))
def test_mlp_fisher_is_the_curvature_of_the_kl(head_name):
    """2·KL(p_w ‖ p_{w+εv})/ε² → vᵀ F v (F the GGN) from the head family's KL kernel, a check
    independent of the Jacobian: Richardson-extrapolated at ε = 1e-3, 5e-4 (error O(ε²))."""
    c = _model_case(head_name, "tanh")
    prob, w = c.prob, c.w
    v = c.rng.standard_normal(prob.dim)
    vFv = v @ prob.fisher_vp(w, v) - c.l2 * (v @ v)        # the GGN without the penalty
    q = [2.0 * prob.divergence(w, w + e * v) / e ** 2 for e in (1e-3, 5e-4)]
    extrapolated = 2.0 * q[1] - q[0]
    assert abs(extrapolated - vFv) <= 1e-5 * abs(vFv)
    assert abs(q[0] - vFv) > abs(extrapolated - vFv)        # the extrapolation did something
