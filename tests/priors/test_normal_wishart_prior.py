"""The multivariate normal's conjugate prior, the normal-Wishart: posterior against the textbook
update, evidence against Monte Carlo (draws of the prior by scipy.stats) within six standard
errors, the predictive against scipy.stats.multivariate_t, sequential against batch updates, and
d = 1 against the normal's normal-gamma pair (α = ν/2, β = 1/(2W))."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st

import fisherlab as fl
from fisherlab.errors import DomainError, ShapeError, SupportError


def _sample(d, n, seed=3):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d)) * 0.3 + np.eye(d)
    return rng.multivariate_normal(np.linspace(-0.5, 1.0, d), A @ A.T, size=n)


def _theta0(d):
    W = np.eye(d) * 0.8 + 0.1 * (np.ones((d, d)) - np.eye(d))
    return np.concatenate([np.linspace(0.2, -0.3, d), [0.7, d + 2.5],
                           W[np.tril_indices(d)]])


def _full(d, vech):
    M = np.zeros((d, d))
    il = np.tril_indices(d)
    M[il] = vech
    M[il[1], il[0]] = vech
    return M


def _textbook_posterior(x, theta0):
    # Murphy, "Conjugate Bayesian analysis of the Gaussian distribution" (2007), eqs. 250–254;
    # Bishop (2006), exercise 2.45 / eqs. (10.60)–(10.63) with the expectations replaced by data.
    n, d = x.shape
    m0, k0, nu0 = theta0[:d], theta0[d], theta0[d + 1]
    W0 = _full(d, theta0[d + 2:])
    xbar = x.mean(axis=0)
    S = (x - xbar).T @ (x - xbar)
    kn = k0 + n
    Wn_inv = np.linalg.inv(W0) + S + k0 * n / kn * np.outer(xbar - m0, xbar - m0)
    Wn = np.linalg.inv(Wn_inv)
    return np.concatenate([(k0 * m0 + n * xbar) / kn, [kn, nu0 + n], Wn[np.tril_indices(d)]])


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_posterior_is_the_textbook_update_and_sequential_equals_batch(d):
    prior = fl.family("multivariate_normal", d=d).conjugate_prior()
    assert prior.family.name == "normal_wishart" and prior.param == "mu0_kappa_nu_scale"
    x, theta0 = _sample(d, 9), _theta0(d)
    post = prior.posterior(theta0, x)
    np.testing.assert_allclose(post, _textbook_posterior(x, theta0), rtol=1e-12, atol=1e-14)
    first = prior.posterior(theta0, x[:4])
    np.testing.assert_allclose(prior.posterior(first, x[4:]), post, rtol=1e-12, atol=1e-14)
    chained = (prior.log_marginal_likelihood(theta0, x[:4])
               + prior.log_marginal_likelihood(first, x[4:]))
    assert chained == pytest.approx(prior.log_marginal_likelihood(theta0, x), rel=1e-12)


def test_evidence_by_monte_carlo_within_six_standard_errors():
    # p(x) = E_prior[Π N(x_i | μ, Λ⁻¹)]: (μ, Λ) drawn by scipy.stats (Λ ~ wishart, then
    # μ | Λ ~ multivariate normal), the likelihood written out from the normal density.
    d = 2
    x, theta0 = _sample(d, 4, seed=5), _theta0(d)
    m0, k0, nu0, W0 = theta0[:d], theta0[d], theta0[d + 1], _full(d, theta0[d + 2:])
    rng = np.random.default_rng(17)
    m = 200_000
    lam = st.wishart(df=nu0, scale=W0).rvs(size=m, random_state=rng)
    cov = np.linalg.inv(k0 * lam)
    mu = m0 + np.einsum("mij,mj->mi", np.linalg.cholesky(cov), rng.standard_normal((m, d)))
    r = x[None, :, :] - mu[:, None, :]
    quad = np.einsum("mni,mij,mnj->mn", r, lam, r).sum(axis=1)
    like = (len(x) / 2 * np.linalg.slogdet(lam)[1] - len(x) * d / 2 * math.log(2 * math.pi)
            - quad / 2)
    c = like.max()
    w = np.exp(like - c)
    est, se = w.mean(), w.std(ddof=1) / math.sqrt(m)
    got = fl.family("multivariate_normal", d=d).conjugate_prior().log_marginal_likelihood(
        theta0, x)
    assert abs(math.exp(got - c) - est) <= 6 * se
    assert se < 0.05 * est  # the comparison has teeth


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_predictive_is_scipys_multivariate_t(d):
    prior = fl.family("multivariate_normal", d=d).conjugate_prior()
    x, theta0 = _sample(d, 6), _theta0(d)
    pred = prior.posterior_predictive(theta0, x)
    assert pred.name == "multivariate_t"
    post = prior.posterior(theta0, x)
    nu_n, k_n = post[d + 1], post[d]
    # the textbook t's parameters, from the textbook posterior (Murphy 2007, eq. 258)
    assert pred.params["df"] == pytest.approx(nu_n - d + 1, rel=1e-14)
    shape = (k_n + 1) / (k_n * (nu_n - d + 1)) * np.linalg.inv(_full(d, post[d + 2:]))
    np.testing.assert_allclose(pred.params["shape"], shape, rtol=1e-12)
    t = st.multivariate_t(loc=pred.params["loc"], shape=pred.params["shape"],
                          df=pred.params["df"])
    grid = np.random.default_rng(2).normal(size=(7, d)) * 1.5
    np.testing.assert_allclose(pred.log_density(grid), t.logpdf(grid), rtol=1e-12)


def test_d1_is_the_normal_gamma_pair():
    # NW(μ₀, κ, ν, W) at d = 1 is NG(μ₀, κ, α = ν/2, β = 1/(2W)) on (μ, τ = Λ)
    y = _sample(1, 8)
    nw = fl.family("multivariate_normal", d=1).conjugate_prior()
    ng = fl.family("normal").conjugate_prior()
    th = np.array([0.3, 0.7, 3.5, 0.8])
    tg = np.array([0.3, 0.7, 1.75, 1 / 1.6])
    post_w, post_g = nw.posterior(th, y), ng.posterior(tg, y[:, 0])
    np.testing.assert_allclose(post_w[:2], post_g[:2], rtol=1e-12)
    assert post_w[2] / 2 == pytest.approx(post_g[2], rel=1e-14)
    assert 1 / (2 * post_w[3]) == pytest.approx(post_g[3], rel=1e-12)
    assert nw.log_marginal_likelihood(th, y) == pytest.approx(
        ng.log_marginal_likelihood(tg, y[:, 0]), rel=1e-12)
    grid = np.linspace(-2.0, 3.0, 6)
    np.testing.assert_allclose(nw.posterior_predictive(th, y).log_density(grid[:, None]),
                               ng.posterior_predictive(tg, y[:, 0]).log_density(grid),
                               rtol=1e-12)


def test_bad_input():
    prior = fl.family("multivariate_normal", d=2).conjugate_prior()
    theta0 = _theta0(2)
    x = _sample(2, 5)
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(SupportError, match="nan"):
        prior.posterior(theta0, bad)
    with pytest.raises(ShapeError):
        prior.posterior(theta0, x[:, :1])
    not_pd = theta0.copy()
    not_pd[-3:] = [1.0, 2.0, 1.0]  # W = [[1, 2], [2, 1]]
    with pytest.raises(DomainError, match="positive definite"):
        prior.posterior(not_pd, x)
    low_nu = theta0.copy()
    low_nu[3] = 0.5  # ν ≤ d − 1
    with pytest.raises(DomainError, match="nu"):
        prior.log_marginal_likelihood(low_nu, x)


def test_data_far_from_zero_keep_their_digits():
    # The same data and prior mean moved by 1000 (x̄/s ~ 1000): the posterior moves with them,
    # W and the evidence do not change (the textbook update is centered: it only sees x − x̄).
    d = 2
    prior = fl.family("multivariate_normal", d=d).conjugate_prior()
    x, theta0 = _sample(d, 9), _theta0(d)
    far0 = theta0.copy()
    far0[:d] += 1000.0
    post, far = prior.posterior(theta0, x), prior.posterior(far0, x + 1000.0)
    np.testing.assert_allclose(far[:d] - 1000.0, post[:d], rtol=0, atol=1e-12)
    np.testing.assert_allclose(far[d:], post[d:], rtol=1e-13)
    np.testing.assert_allclose(far, _textbook_posterior(x + 1000.0, far0), rtol=1e-12)
    assert prior.log_marginal_likelihood(far0, x + 1000.0) == pytest.approx(
        prior.log_marginal_likelihood(theta0, x), rel=1e-13)
    grid = _sample(d, 3, seed=9)
    np.testing.assert_allclose(
        prior.posterior_predictive(far0, x + 1000.0).log_density(grid + 1000.0),
        prior.posterior_predictive(theta0, x).log_density(grid), rtol=1e-12)
