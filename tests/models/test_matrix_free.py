"""Matrix-free steppers on model problems: CG against the dense solves, and the memory bound."""

import tracemalloc

import numpy as np
import pytest

from fisherlab import models as flm
from fisherlab.optim import (
    CGNaturalGradient,
    HessianFreeNewton,
    Minibatch,
    NaturalGradient,
    Newton,
)


def small(head, seed=0, hidden=6, n=30):
    rng = np.random.default_rng(seed)
    model = flm.MLP([3, hidden, head.width], head, activation="tanh")
    X = rng.standard_normal((n, 3))
    y = head.sample(0.2 * rng.standard_normal((n, head.width)), seed=seed)
    prob = model.problem(X, y, l2=1e-3)
    return model, prob, model.init() + 0.2 * rng.standard_normal(model.n_weights)


HEADS = {"categorical": flm.Head("categorical", k=3), "poisson": flm.Head("poisson"),
         "normal-mean-logstd": flm.Head("normal", "mean_logstd")}


@pytest.mark.parametrize("name", sorted(HEADS))
def test_cg_natural_gradient_equals_the_dense_solve(name):
    _, prob, w = small(HEADS[name])
    for damping in (0.0, 1e-2):
        dense = NaturalGradient(lr=0.5, damping=damping).step(prob, w)
        opt = CGNaturalGradient(lr=0.5, damping=damping, rtol=1e-13)
        got = opt.step(prob, w)
        assert opt.info["reason"] == "residual"
        np.testing.assert_allclose(got, dense, rtol=1e-9, atol=1e-12 * np.abs(dense).max())


@pytest.mark.parametrize("name", sorted(HEADS))
def test_hessian_free_equals_the_dense_damped_newton_step(name):
    _, prob, w = small(HEADS[name])
    H = prob.hessian(w)
    damping = max(0.0, -np.linalg.eigvalsh(H).min()) + 0.1     # H + λI positive definite
    dense = Newton(damping=damping).step(prob, w)
    opt = HessianFreeNewton(damping=damping, rtol=1e-13)
    got = opt.step(prob, w)
    assert opt.info["reason"] == "residual"
    np.testing.assert_allclose(got, dense, rtol=1e-9, atol=1e-12 * np.abs(dense).max())


def test_cg_natural_gradient_memory_is_a_few_parameter_vectors():
    """P ≈ 1e5: a CG step allocates at most 20 parameter vectors at its peak (measured with
    tracemalloc; a P × P array would be 1e5 of them), and so does one GGN-vector product."""
    head = flm.Head("categorical", k=10)
    model = flm.MLP([200, 400, 50, 9], head)
    P = model.n_weights
    assert 9e4 < P < 1.1e5
    rng = np.random.default_rng(0)
    prob = model.problem(rng.standard_normal((64, 200)), rng.integers(0, 10, 64))
    w = model.init()
    v = rng.standard_normal(P)
    vector = 8 * P
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        prob.fisher_vp(w, v)                       # first call: forward pass and head cached
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        prob.fisher_vp(w, v)
        product_peak = (tracemalloc.get_traced_memory()[1] - base) / vector
        opt = CGNaturalGradient(damping=1e-3, max_iter=8)
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        opt.step(prob, w)
        step_peak = (tracemalloc.get_traced_memory()[1] - base) / vector
    finally:
        tracemalloc.stop()
    assert opt.info["iterations"] == 8
    assert product_peak <= 20 and step_peak <= 20, (product_peak, step_peak)


def test_minibatch_step_is_the_step_on_the_subset():
    _, prob, w = small(HEADS["poisson"], n=40)
    opt = CGNaturalGradient(damping=1e-2, batch_size=10, seed=3, rtol=1e-13)
    got = opt.step(prob, w)
    rows = np.sort(np.random.default_rng(3).choice(40, size=10, replace=False))
    sub = prob.subset(rows)
    np.testing.assert_allclose(got, NaturalGradient(damping=1e-2).step(sub, w), rtol=1e-9)
    wrapped = Minibatch(NaturalGradient(damping=1e-2), batch_size=10, seed=3)
    np.testing.assert_allclose(wrapped.step(prob, w), got, rtol=1e-9)


def test_runs_on_an_mlp_reach_the_dense_steppers_minimum():
    """CG natural gradient takes the dense NaturalGradient run's path to the minimizer (gradient
    norm 1e-9); Hessian-free Newton from 30 steps in reaches the same point."""
    from fisherlab.optim import run

    head = flm.Head("poisson")
    rng = np.random.default_rng(7)
    X = rng.standard_normal((80, 2))
    y = rng.poisson(np.exp(0.5 * np.tanh(X[:, 0]) - 0.3 * X[:, 1])).astype(float)
    model = flm.MLP([2, 3, 1], head)
    prob = model.problem(X, y, l2=0.05)
    w0 = model.init()
    dense = run(prob, NaturalGradient(lr=0.5), w0, gtol=1e-9, max_iter=500, record_kl=False)
    cg = run(prob, CGNaturalGradient(lr=0.5), w0, gtol=1e-9, max_iter=500, record_kl=False)
    assert dense.converged and cg.converged and cg.iterations == dense.iterations
    np.testing.assert_allclose(cg.theta, dense.theta, rtol=1e-8, atol=1e-10)
    assert np.linalg.eigvalsh(prob.hessian(dense.theta)).min() > 0        # a strict local minimum
    near = run(prob, NaturalGradient(lr=0.5), w0, max_iter=30, record_kl=False).theta
    hf = run(prob, HessianFreeNewton(), near, gtol=1e-9, max_iter=20, record_kl=False)
    assert hf.converged
    np.testing.assert_allclose(hf.theta, dense.theta, rtol=1e-6, atol=1e-8)
