"""Mixtures of a family (fisherlab.models.mixture): responsibilities, derivatives, EM."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import multivariate_normal

from fisherlab.errors import DomainError, ShapeError
from fisherlab.models.mixture import Mixture


def _gauss(M=3, n_per=40, seed=0):
    mx = Mixture("multivariate_normal", M, d=2)
    rng = np.random.default_rng(seed)
    means = 6.0 * rng.standard_normal((M, 2))
    x = np.concatenate([means[j] + rng.standard_normal((n_per, 2)) for j in range(M)])
    # a start: weights, means at data points, unit covariances (η = (Σ⁻¹m, −½Σ⁻¹ entries))
    pi = rng.dirichlet(np.full(M, 5.0))
    starts = x[rng.choice(len(x), M, replace=False)]
    eta = np.column_stack([starts, np.full(M, -0.5), np.zeros(M), np.full(M, -0.5)])
    return mx, mx.problem(x), mx.pack(pi, eta), x, pi, starts


def _poisson(M=3, seed=1):
    mx = Mixture("poisson", M)
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.poisson(lam, 50) for lam in (2.0, 9.0, 25.0)[:M]]).astype(float)
    pi = np.full(M, 1.0 / M)
    rates = np.array([1.0, 5.0, 15.0])[:M]
    return mx, mx.problem(x), mx.pack(pi, np.log(rates)[:, None]), x, pi, rates


def test_responsibilities_against_hand_written_log_sum_exp():
    # normal: scipy's density of each component at the mean and covariance of its η
    mx, prob, th, x, pi, means = _gauss()
    lj = np.column_stack([np.log(pi[j]) + multivariate_normal(means[j], np.eye(2)).logpdf(x)
                          for j in range(3)])
    top = lj.max(1, keepdims=True)
    expected = np.exp(lj - top) / np.exp(lj - top).sum(1, keepdims=True)
    assert np.allclose(prob.responsibilities(th), expected, rtol=1e-12, atol=1e-300)
    ll = np.mean(top[:, 0] + np.log(np.exp(lj - top).sum(1)))
    assert prob.loglik(th) == pytest.approx(ll, rel=1e-13)
    # Poisson: x log λ − λ − log x!
    mx, prob, th, x, pi, rates = _poisson()
    lj = np.log(pi) + x[:, None] * np.log(rates) - rates - gammaln(x + 1)[:, None]
    top = lj.max(1, keepdims=True)
    expected = np.exp(lj - top) / np.exp(lj - top).sum(1, keepdims=True)
    assert np.allclose(prob.responsibilities(th), expected, rtol=1e-12, atol=1e-300)


def test_responsibilities_far_in_the_tails_do_not_underflow_to_nan():
    mx = Mixture("poisson", 2)
    prob = mx.problem(np.array([0.0, 5000.0]))
    r = prob.responsibilities(mx.pack([0.5, 0.5], [[np.log(1.0)], [np.log(4000.0)]]))
    assert np.all(np.isfinite(r)) and np.allclose(r.sum(1), 1.0, rtol=1e-15)
    assert r[0, 0] == 1.0 and r[1, 1] == 1.0


@pytest.mark.parametrize("make", [_gauss, _poisson])
def test_em_increases_the_likelihood_monotonically(make):
    mx, prob, th, *_ = make()
    lls = [prob.loglik(th)]
    for _ in range(60):
        th = prob.em_step(th)
        lls.append(prob.loglik(th))
    d = np.diff(lls)
    # each step: the likelihood does not fall beyond the rounding of the mean log-likelihood
    assert np.all(d >= -1e-13 * np.abs(lls[1:])), d.min()
    assert lls[-1] > lls[0] + 0.1


@pytest.mark.parametrize("make", [_gauss, _poisson])
def test_gradient_and_hessian_against_central_differences(make):
    mx, prob, th, *_ = make()
    th = prob.em_step(prob.em_step(th))           # a generic interior point
    g, H = prob.grad(th), prob.hessian(th)
    h = 1e-5
    E = np.eye(mx.dim)
    fd_g = np.array([(prob.loss(th + h * e) - prob.loss(th - h * e)) / (2 * h) for e in E])
    fd_H = np.array([(prob.grad(th + h * e) - prob.grad(th - h * e)) / (2 * h) for e in E])
    # central differences: error O(h²·third derivative) + O(ε·loss/h)
    assert np.allclose(g, fd_g, rtol=1e-6, atol=1e-7)
    assert np.allclose(H, fd_H, rtol=1e-6, atol=1e-7)
    assert np.allclose(H, H.T, rtol=0, atol=1e-14 * np.abs(H).max())


@pytest.mark.parametrize("make", [_gauss, _poisson])
def test_em_is_the_complete_data_natural_gradient_step_of_size_one(make):
    # Sato (2001): EM (via Family.mle with responsibilities as weights) equals the natural-
    # gradient step with the complete-data Fisher taken with step 1 in expectation parameters
    # (via the gradient, F_c and the Jacobian of ν): two independent routes
    mx, prob, th, *_ = make()
    for _ in range(5):
        em = prob.em_step(th)
        ng = prob.natural_step_in_expectation(th, lr=1.0)
        assert np.allclose(mx.expectation(ng), mx.expectation(em), rtol=1e-10, atol=1e-12)
        assert np.allclose(ng, em, rtol=1e-9, atol=1e-10)
        th = em
    # a smaller step is not EM
    half = prob.natural_step_in_expectation(th, lr=0.5)
    assert not np.allclose(half, prob.em_step(th), rtol=1e-6, atol=1e-8)


def test_expectation_round_trip_and_jacobian():
    mx, prob, th, *_ = _gauss()
    assert np.allclose(mx.from_expectation(mx.expectation(th)), th, rtol=1e-12, atol=1e-12)
    h = 1e-6
    fd = np.column_stack([(mx.expectation(th + h * e) - mx.expectation(th - h * e)) / (2 * h)
                          for e in np.eye(mx.dim)])
    assert np.allclose(mx.expectation_jacobian(th), fd, rtol=1e-7, atol=1e-8)


def test_complete_data_fisher_is_the_expected_complete_data_information():
    # Poisson: E over (x, z) of the outer product of the complete-data score
    # s(x, z) = (e_z − π)[:M−1] ⊕ (x − λ_z) in block z; x ~ Poisson(λ_z) summed exactly
    mx, prob, th, x, pi, rates = _poisson()
    k = np.arange(0.0, 200.0)
    F = np.zeros((mx.dim, mx.dim))
    for j in range(3):
        pk = np.exp(k * np.log(rates[j]) - rates[j] - gammaln(k + 1))
        for kk, p in zip(k, pk):
            s = np.zeros(mx.dim)
            s[:2] = np.eye(3)[j, :2] - pi[:2]
            s[2 + j] = kk - rates[j]
            F += pi[j] * p * np.outer(s, s)
    assert np.allclose(prob.fisher(th), F, rtol=1e-12, atol=1e-14)


def test_errors():
    with pytest.raises(DomainError, match="M >= 2"):
        Mixture("poisson", 1)
    mx = Mixture("poisson", 2)
    with pytest.raises(ShapeError, match=r"shape \(3,\)"):
        mx.unpack(np.zeros(4))
    with pytest.raises(DomainError, match="sum to 1"):
        mx.pack([0.5, 0.6], [[0.0], [1.0]])
    prob = mx.problem(np.array([1.0, 2.0]))
    gm = Mixture("multivariate_normal", 2, d=2)
    bad = gm.pack([0.5, 0.5], [[0, 0, -0.5, 0, -0.5], [0, 0, 0.5, 0, 0.5]])   # Σ⁻¹ not PD
    assert not gm.contains(bad) and prob.contains(mx.pack([0.5, 0.5], [[0.0], [1.0]]))
    with pytest.raises(DomainError, match="natural domain"):
        gm.problem(np.zeros((3, 2))).loss(bad)


def test_em_is_a_registered_stepper():
    from fisherlab.errors import NotAvailableError
    from fisherlab.optim import MLE, STEPPERS, make_stepper

    mx, prob, th, *_ = _poisson()
    em = make_stepper("EM")
    assert STEPPERS["EM"] is type(em) and em.config() == {}
    np.testing.assert_array_equal(em.step(prob, th), prob.em_step(th))
    with pytest.raises(NotAvailableError, match="EM needs a latent-variable problem"):
        em.step(MLE("poisson", "rate", np.array([1.0, 2.0, 4.0])), np.array([2.0]))
