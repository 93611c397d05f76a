"""Matrix-free steppers: conjugate gradients against dense solves, stopping rules, minibatches."""

import numpy as np
import pytest

from fisherlab.errors import DomainError, SpecError
from fisherlab.optim import GLM, NaturalGradient, Newton, run
from fisherlab.optim.matrix_free import CGNaturalGradient, HessianFreeNewton, Minibatch, cg
from fisherlab.optim.steppers import STEPPERS, make_stepper


class Products:
    """A dense problem seen through products only (fisher_vp / hessian_vp), counting them."""

    def __init__(self, problem):
        self.p = problem
        self.dim, self.name, self.calls = problem.dim, "products", 0

    def loss(self, w):
        return self.p.loss(w)

    def grad(self, w):
        return self.p.grad(w)

    def contains(self, w):
        return True

    def kl(self, w):
        return 0.0

    def fisher_vp(self, w, v):
        self.calls += 1
        return self.p.fisher(w) @ v

    def hessian_vp(self, w, v):
        self.calls += 1
        return self.p.hessian(w) @ v


def probit_glm(n=200, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = (X @ rng.standard_normal(d) + 0.5 * rng.standard_normal(n) > 0).astype(float)
    return GLM(X, y, "bernoulli", link="probit", l2=0.0)


def test_cg_solves_spd_systems():
    rng = np.random.default_rng(1)
    B = rng.standard_normal((30, 30))
    A = B @ B.T + 0.1 * np.eye(30)
    b = rng.standard_normal(30)
    x, info = cg(lambda v: A @ v, b, rtol=1e-12)
    np.testing.assert_allclose(x, np.linalg.solve(A, b), rtol=1e-8)
    assert info["reason"] == "residual" and info["residual"] <= 1e-12
    # the true residual, computed independently of CG's recursion
    assert np.linalg.norm(A @ x - b) <= 1e-10 * np.linalg.norm(b)


def test_cg_progress_rule_stops_early_on_an_ill_conditioned_system():
    rng = np.random.default_rng(2)
    Q, _ = np.linalg.qr(rng.standard_normal((200, 200)))
    A = (Q * np.logspace(0, 8, 200)) @ Q.T
    b = rng.standard_normal(200)
    _, full = cg(lambda v: A @ v, b, rtol=1e-14, max_iter=2000)
    x, info = cg(lambda v: A @ v, b, rtol=1e-14, max_iter=2000, progress_tol=5e-4)
    assert info["reason"] == "progress" and info["iterations"] < full["iterations"]
    def phi(z):
        return 0.5 * z @ A @ z - b @ z
    assert phi(x) < 0.9 * phi(np.zeros(200)) + 0.1 * phi(np.linalg.solve(A, b))


def test_cg_natural_gradient_equals_the_dense_solve():
    prob = probit_glm()
    w = np.full(prob.dim, 0.3)
    for damping in (0.0, 0.1):
        dense = NaturalGradient(lr=0.7, damping=damping).step(prob, w)
        mf = CGNaturalGradient(lr=0.7, damping=damping, rtol=1e-13)
        got = mf.step(Products(prob), w)
        np.testing.assert_allclose(got, dense, rtol=1e-10, atol=1e-13)
        assert mf.info["reason"] == "residual" and mf.info["iterations"] <= 2 * prob.dim


def test_hessian_free_equals_the_dense_newton_step_where_the_hessian_is_positive():
    prob = probit_glm()
    w = np.full(prob.dim, 0.1)
    assert np.linalg.eigvalsh(prob.hessian(w)).min() > 0
    dense = Newton(lr=1.0).step(prob, w)
    got = HessianFreeNewton(rtol=1e-13).step(Products(prob), w)
    np.testing.assert_allclose(got, dense, rtol=1e-10, atol=1e-13)


class Indefinite(Products):
    def __init__(self, H, g):
        self.H, self.g, self.dim, self.name, self.calls = H, g, len(g), "indefinite", 0

    def grad(self, w):
        return self.g

    def hessian_vp(self, w, v):
        return self.H @ v

    fisher_vp = hessian_vp


def test_negative_curvature():
    H = np.diag([1.0, 2.0, -1.0])
    # gᵀHg > 0 but the second CG direction has negative curvature: truncated at the first iterate
    g = np.array([1.0, 1.0, 0.5])
    hf = HessianFreeNewton()
    step = hf.step(Indefinite(H, g), np.zeros(3))
    assert hf.info["reason"] == "negative_curvature" and hf.info["iterations"] == 1
    alpha = (g @ g) / (g @ H @ g)
    np.testing.assert_allclose(step, -alpha * g, rtol=1e-14)
    # the Fisher is PSD by construction: the same system is reported as singular
    with pytest.raises(np.linalg.LinAlgError, match="increase damping"):
        CGNaturalGradient().step(Indefinite(H, g), np.zeros(3))
    with pytest.raises(np.linalg.LinAlgError, match="gᵀ"):
        HessianFreeNewton().step(Indefinite(H, np.array([0.0, 0.0, 1.0])), np.zeros(3))


def test_runs_converge_like_the_dense_steppers():
    prob = probit_glm()
    a = run(prob, NaturalGradient(), np.zeros(prob.dim), gtol=1e-10, record_kl=False)
    b = run(Products(prob), CGNaturalGradient(), np.zeros(prob.dim), gtol=1e-10, record_kl=False)
    assert a.converged and b.converged and a.iterations == b.iterations
    np.testing.assert_allclose(b.theta, a.theta, rtol=1e-9)


def test_registered():
    for name in ("CGNaturalGradient", "HessianFreeNewton", "Minibatch"):
        assert name in STEPPERS
    s = make_stepper("CGNaturalGradient", lr=0.5, damping=1e-3)
    assert s.config() == {"lr": 0.5, "damping": 1e-3}


class Rows:
    """A least-squares problem on rows, with subset(): loss = mean_i ½(x_iᵀw − y_i)²."""

    def __init__(self, X, y):
        self.X, self.y, self.n, self.dim, self.name = X, y, len(y), X.shape[1], "rows"
        self.seen = []

    def subset(self, rows):
        self.seen.append(rows)
        return Rows(self.X[rows], self.y[rows])

    def grad(self, w):
        return self.X.T @ (self.X @ w - self.y) / self.n

    def fisher_vp(self, w, v):
        return self.X.T @ (self.X @ v) / self.n

    hessian_vp = fisher_vp


def test_minibatch_uses_one_batch_for_gradient_and_curvature():
    rng = np.random.default_rng(3)
    X, y = rng.standard_normal((50, 4)), rng.standard_normal(50)
    prob = Rows(X, y)
    mf = CGNaturalGradient(batch_size=10, seed=7, rtol=1e-13)
    w = mf.step(prob, np.zeros(4))
    rows = prob.seen[-1]
    assert len(set(rows.tolist())) == 10
    # one natural-gradient step on a batch's least squares is that batch's least-squares fit
    np.testing.assert_allclose(w, np.linalg.lstsq(X[rows], y[rows], rcond=None)[0], rtol=1e-9)
    # reset restarts the stream: the same rows again
    mf.reset()
    mf.step(prob, np.zeros(4))
    assert np.array_equal(prob.seen[-1], rows)
    # the wrapper draws the same rows for the same seed
    wrapped = Minibatch("CGNaturalGradient", batch_size=10, seed=7, rtol=1e-13)
    np.testing.assert_allclose(wrapped.step(prob, np.zeros(4)), w, rtol=1e-12)
    assert wrapped.config() == {"lr": 1.0, "damping": 0.0, "batch_size": 10}


def test_minibatch_errors():
    with pytest.raises(DomainError, match="batch_size"):
        CGNaturalGradient(batch_size=0)
    with pytest.raises(DomainError, match="number of rows 50"):
        CGNaturalGradient(batch_size=60).step(Rows(np.ones((50, 2)), np.ones(50)), np.zeros(2))
    with pytest.raises(SpecError, match="subset"):
        CGNaturalGradient(batch_size=5).step(probit_glm(), np.zeros(5))
