"""Conjugate priors: posteriors against textbook closed forms, evidence against quadrature, Monte
Carlo and the Dirichlet–multinomial formula, predictives against scipy.stats, sequential against
batch updates, the maps against their derivation from the declarations, and bad input.

Each check computes its two sides independently: the expected posteriors are the textbook
updates written out here (Gelman et al., "Bayesian Data Analysis", ch. 2–3; Murphy 2007,
"Conjugate Bayesian analysis of the Gaussian distribution", eqs. 85–89 for the normal-gamma), the
evidence is integrated numerically from scipy.stats densities, and the predictives are scipy's
betabinom, nbinom, t and norm at parameters computed here from the textbook posterior.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import scipy.integrate as integrate
import scipy.stats as st
from scipy.special import gammaln

import fisherlab as fl
from fisherlab.errors import DomainError, NotAvailableError, ShapeError, SupportError
from fisherlab.priors import PAIRS
from fisherlab.priors.pairs import NORMAL, NORMAL_KNOWN_VAR

RNG = np.random.default_rng(20261205)


def _x(name):
    """A fixed sample of each likelihood (seeded)."""
    rng = np.random.default_rng(7)
    return {
        "bernoulli": rng.integers(0, 2, 12).astype(float),
        "binomial": np.array([3.0, 7.0, 0.0, 10.0, 5.0]),
        "geometric": rng.geometric(0.3, 9) - 1.0,
        "negative_binomial": rng.negative_binomial(3, 0.4, 8).astype(float),
        "poisson": rng.poisson(2.5, 10).astype(float),
        "exponential": rng.exponential(0.7, 10),
        "gamma": rng.gamma(2.5, 0.5, 10),
        "pareto": 1.5 * (1 + rng.pareto(3.0, 10)),
        "weibull": 2.0 * rng.weibull(1.5, 10),
        "categorical": np.eye(3)[rng.integers(0, 3, 15)],
        "multinomial": rng.multinomial(5, [0.2, 0.5, 0.3], 6).astype(float),
        "normal": rng.normal(1.2, 0.8, 11),
        "rayleigh": rng.rayleigh(1.3, 10),
        "half_normal": np.abs(rng.normal(0.0, 0.9, 10)),
        "laplace": rng.laplace(0.5, 1.7, 10),
    }[name]


# (likelihood family, family kwargs, known, θ₀, textbook posterior of (x, θ₀))
TEXTBOOK = [
    ("bernoulli", {}, {}, [2.0, 3.0],
     lambda x, t: [t[0] + x.sum(), t[1] + len(x) - x.sum()]),
    ("binomial", {"n": 10}, {}, [0.5, 1.5],
     lambda x, t: [t[0] + x.sum(), t[1] + (10 - x).sum()]),
    ("geometric", {}, {}, [1.5, 2.0],
     lambda x, t: [t[0] + len(x), t[1] + x.sum()]),
    ("negative_binomial", {"r": 3}, {}, [2.0, 2.0],
     lambda x, t: [t[0] + 3 * len(x), t[1] + x.sum()]),
    ("poisson", {}, {}, [2.0, 0.5],
     lambda x, t: [t[0] + x.sum(), t[1] + len(x)]),
    ("exponential", {}, {}, [3.0, 2.0],
     lambda x, t: [t[0] + len(x), t[1] + x.sum()]),
    ("gamma", {}, {"shape": 2.5}, [1.0, 1.0],
     lambda x, t: [t[0] + 2.5 * len(x), t[1] + x.sum()]),
    ("pareto", {"x_m": 1.5}, {}, [2.0, 1.0],
     lambda x, t: [t[0] + len(x), t[1] + np.log(x / 1.5).sum()]),
    ("weibull", {"k": 1.5}, {}, [2.0, 1.0],
     lambda x, t: [t[0] + len(x), t[1] + (x**1.5).sum()]),
    ("categorical", {}, {}, [1.0, 2.0, 0.5],
     lambda x, t: list(np.asarray(t) + x.sum(axis=0))),
    ("multinomial", {"n": 5}, {}, [0.5, 0.5, 3.0],
     lambda x, t: list(np.asarray(t) + x.sum(axis=0))),
    ("normal", {}, {"var": 0.64}, [0.0, 4.0],
     lambda x, t: [(t[0] / t[1] + x.sum() / 0.64) / (1 / t[1] + len(x) / 0.64),
                   1 / (1 / t[1] + len(x) / 0.64)]),
    ("normal", {}, {}, [0.5, 2.0, 3.0, 1.5], lambda x, t: _murphy(x, *t)),
    ("rayleigh", {}, {}, [2.0, 1.5],
     lambda x, t: [t[0] + len(x), t[1] + (x**2).sum() / 2]),
    ("half_normal", {}, {}, [2.0, 1.5],
     lambda x, t: [t[0] + len(x) / 2, t[1] + (x**2).sum() / 2]),
    ("laplace", {"loc": 0.5}, {}, [3.0, 2.0],
     lambda x, t: [t[0] + len(x), t[1] + np.abs(x - 0.5).sum()]),
]
IDS = [f"{c[0]}{'-known' if c[2] else ''}" for c in TEXTBOOK]


def _murphy(x, m0, k0, a0, b0):
    # Murphy (2007) eqs. 86–89.
    n, xbar = len(x), x.mean()
    kn = k0 + n
    return [(k0 * m0 + n * xbar) / kn, kn, a0 + n / 2,
            b0 + ((x - xbar) ** 2).sum() / 2 + k0 * n * (xbar - m0) ** 2 / (2 * kn)]


def _prior(name, kw, known):
    return fl.family(name, **kw).conjugate_prior(**known)


@pytest.mark.parametrize("name, kw, known, theta0, expected", TEXTBOOK, ids=IDS)
def test_posterior_is_the_textbook_update(name, kw, known, theta0, expected):
    x = _x(name)
    got = _prior(name, kw, known).posterior(theta0, x)
    np.testing.assert_allclose(got, expected(x, np.asarray(theta0)), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("name, kw, known, theta0, expected", TEXTBOOK, ids=IDS)
def test_sequential_update_equals_batch(name, kw, known, theta0, expected):
    x = _x(name)
    prior = _prior(name, kw, known)
    k = len(x) // 3
    step = prior.posterior(prior.posterior(theta0, x[:k]), x[k:])
    np.testing.assert_allclose(step, prior.posterior(theta0, x), rtol=1e-13, atol=1e-14)
    # The evidence chains the same way: p(x) = p(x₁) p(x₂ | x₁).
    chained = (prior.log_marginal_likelihood(theta0, x[:k])
               + prior.log_marginal_likelihood(prior.posterior(theta0, x[:k]), x[k:]))
    assert chained == pytest.approx(prior.log_marginal_likelihood(theta0, x), rel=1e-12)


def test_update_keeps_a_small_shape_next_to_a_large_one():
    # Through (χ, ν) = (a, a + b) and back, b = 1e-3 next to a = 1e6 would keep 7 digits; the
    # update adds B (Σt, n) to η directly and keeps them all.
    x = np.array([1.0, 0.0, 0.0, 1.0, 0.0])
    got = fl.family("bernoulli").conjugate_prior().posterior([1e6, 1e-3], x)
    assert got[0] == 1e6 + 2 and got[1] == pytest.approx(1e-3 + 3, rel=1e-15)


def test_normal_data_far_from_zero_keep_their_digits():
    # x̄/s = 1000: the normal-gamma's β formed from η unshifted would lose 6 digits.
    x = 1000 + np.random.default_rng(3).normal(0.0, 1.0, 20)
    prior = fl.family("normal").conjugate_prior()
    got = prior.posterior([1000.0, 1.0, 2.0, 1.0], x)
    np.testing.assert_allclose(got, _murphy(x, 1000.0, 1.0, 2.0, 1.0), rtol=1e-14)
    known = fl.family("normal").conjugate_prior(var=0.5)
    v = 1 / (1 / 3.0 + len(x) / 0.5)
    np.testing.assert_allclose(known.posterior([990.0, 3.0], x),
                               [v * (990.0 / 3.0 + x.sum() / 0.5), v], rtol=1e-14)
    pred = prior.posterior_predictive([1000.0, 1.0, 2.0, 1.0], x)
    mn, kn, an, bn = _murphy(x, 1000.0, 1.0, 2.0, 1.0)
    y = np.array([998.0, 1000.5, 1003.0])
    np.testing.assert_allclose(
        pred.log_density(y), st.t(2 * an, mn, math.sqrt(bn * (kn + 1) / (an * kn))).logpdf(y),
        rtol=1e-12)


def test_prior_families_and_maps():
    expect = {"bernoulli": "beta", "binomial": "beta", "geometric": "beta",
              "negative_binomial": "beta", "poisson": "gamma", "exponential": "gamma",
              "pareto": "gamma", "weibull": "gamma", "categorical": "dirichlet",
              "multinomial": "dirichlet", "rayleigh": "inverse_gamma",
              "half_normal": "gamma", "laplace": "inverse_gamma"}
    for name, prior in expect.items():
        assert fl.family(name).conjugate_prior().family.name == prior
    assert fl.family("gamma").conjugate_prior(shape=2.0).family.name == "gamma"
    assert fl.family("normal").conjugate_prior().family.name == "normal_gamma"
    p = fl.family("normal").conjugate_prior(var=1.0)
    assert p.family.name == "normal" and p.param == "mean_var"
    assert fl.family("categorical", k=5).conjugate_prior().family.key == "dirichlet_k5"
    # (χ, ν) and back: the beta prior Beta(a, b) is χ = a, ν = a + b.
    prior = fl.family("bernoulli").conjugate_prior()
    chi, nu = prior.hyperparameters([2.0, 3.0])
    assert (chi[0], nu[0]) == (2.0, 5.0)
    np.testing.assert_array_equal(prior.to_prior_natural(chi, nu), [2.0, 3.0])


# -- evidence ---------------------------------------------------------------------------------


def _log_quad(logf, lo, hi, peak):
    """log ∫ exp(logf) over (lo, hi), scaled by exp(logf(peak)) for range, by adaptive quad."""
    c = logf(peak)
    val, err = integrate.quad(lambda u: math.exp(logf(u) - c), lo, hi, epsabs=0, epsrel=1e-11,
                              limit=500, points=[peak] if lo < peak < hi else None)
    assert err < 1e-9 * val
    return c + math.log(val)


def test_evidence_poisson_gamma_by_quadrature_over_eta():
    x, (a, b) = _x("poisson"), (2.0, 0.5)

    def logf(eta):  # η = log λ; the gamma density of λ times dλ/dη = λ
        lam = math.exp(eta)
        return (st.poisson.logpmf(x, lam).sum() + st.gamma.logpdf(lam, a, scale=1 / b) + eta)

    peak = math.log((a + x.sum()) / (b + len(x)))
    ref = _log_quad(logf, peak - 30, peak + 30, peak)
    got = fl.family("poisson").conjugate_prior().log_marginal_likelihood([a, b], x)
    assert got == pytest.approx(ref, abs=1e-9)


def test_evidence_bernoulli_beta_by_quadrature_over_eta():
    x, (a, b) = _x("bernoulli"), (2.0, 3.0)

    def logf(eta):  # η = logit p; dp/dη = p(1 − p)
        p = 1 / (1 + math.exp(-eta))
        return (st.bernoulli.logpmf(x, p).sum() + st.beta.logpdf(p, a, b)
                + math.log(p) + math.log1p(-p))

    s = x.sum()
    peak = math.log((a + s) / (b + len(x) - s))
    ref = _log_quad(logf, peak - 25, peak + 25, peak)  # the integrand falls like e^(−|η|·a)
    got = fl.family("bernoulli").conjugate_prior().log_marginal_likelihood([a, b], x)
    assert got == pytest.approx(ref, abs=1e-9)


def test_evidence_exponential_gamma_by_quadrature_over_eta():
    x, (a, b) = _x("exponential"), (3.0, 2.0)

    def logf(eta):  # η = −λ; |dλ/dη| = 1
        lam = -eta
        return st.expon.logpdf(x, scale=1 / lam).sum() + st.gamma.logpdf(lam, a, scale=1 / b)

    mode = (a + len(x) - 1) / (b + x.sum())
    ref = _log_quad(logf, -60 * mode, -1e-300, -mode)
    got = fl.family("exponential").conjugate_prior().log_marginal_likelihood([a, b], x)
    assert got == pytest.approx(ref, abs=1e-9)


def test_evidence_rayleigh_inverse_gamma_by_quadrature_over_eta():
    x, (a, b) = _x("rayleigh"), (2.0, 1.5)

    def logf(eta):  # η = −1/(2σ²); dσ²/dη = 1/(2η²)
        s2 = -1 / (2 * eta)
        return (st.rayleigh.logpdf(x, scale=math.sqrt(s2)).sum()
                + st.invgamma.logpdf(s2, a, scale=b) - math.log(2 * eta * eta))

    peak = -1 / (2 * (b + (x**2).sum() / 2) / (a + len(x) + 1))
    ref = _log_quad(logf, 60 * peak, -1e-300, peak)
    got = fl.family("rayleigh").conjugate_prior().log_marginal_likelihood([a, b], x)
    assert got == pytest.approx(ref, abs=1e-9)


def test_evidence_half_normal_gamma_by_quadrature_over_eta():
    x, (a, b) = _x("half_normal"), (2.0, 1.5)

    def logf(eta):  # η = −τ/2; |dτ/dη| = 2
        tau = -2 * eta
        return (st.halfnorm.logpdf(x, scale=1 / math.sqrt(tau)).sum()
                + st.gamma.logpdf(tau, a, scale=1 / b) + math.log(2))

    peak = -(a + len(x) / 2 - 1) / (b + (x**2).sum() / 2) / 2
    ref = _log_quad(logf, 60 * peak, -1e-300, peak)
    got = fl.family("half_normal").conjugate_prior().log_marginal_likelihood([a, b], x)
    assert got == pytest.approx(ref, abs=1e-9)


def test_evidence_laplace_inverse_gamma_by_quadrature_over_eta():
    x, (a, b) = _x("laplace"), (3.0, 2.0)

    def logf(eta):  # η = −1/scale; |d scale/dη| = 1/η²
        scale = -1 / eta
        return (st.laplace.logpdf(x, 0.5, scale).sum() + st.invgamma.logpdf(scale, a, scale=b)
                - 2 * math.log(-eta))

    peak = -(a + len(x) + 1) / (b + np.abs(x - 0.5).sum())
    ref = _log_quad(logf, 60 * peak, -1e-300, peak)
    got = fl.family("laplace", loc=0.5).conjugate_prior().log_marginal_likelihood([a, b], x)
    assert got == pytest.approx(ref, abs=1e-9)


def _gauss_legendre(lo, hi, panels, nodes=20):
    """Nodes and weights of a composite Gauss–Legendre rule on [lo, hi]."""
    u, w = np.polynomial.legendre.leggauss(nodes)
    edges = np.linspace(lo, hi, panels + 1)
    half = np.diff(edges)[:, None] / 2
    return ((edges[:-1, None] + half * (u + 1)).ravel(), (half * w).ravel())


def test_evidence_normal_normal_gamma_by_2d_quadrature():
    # ∫∫ Π N(x_i; μ, 1/τ) Gamma(τ; α₀, β₀) N(μ; μ₀, 1/(κ₀τ)) dμ dτ over (μ, s = log τ), on a
    # 1200 × 800 composite Gauss–Legendre grid around the posterior mode (the integrand is
    # smooth and falls below e⁻⁴⁰ of its peak inside the box).
    x, (m0, k0, a0, b0) = _x("normal"), (0.5, 2.0, 3.0, 1.5)
    mn, kn, an, bn = _murphy(x, m0, k0, a0, b0)
    sd_mu = math.sqrt(bn / (an * kn))
    mu, wmu = _gauss_legendre(mn - 60 * sd_mu, mn + 60 * sd_mu, 60)
    s, ws = _gauss_legendre(math.log(an / bn) - 12, math.log(an / bn) + 8, 40)
    M, S = np.meshgrid(mu, s, indexing="ij")
    tau = np.exp(S)
    logf = (st.norm.logpdf(x[:, None, None], M, 1 / np.sqrt(tau)).sum(axis=0)
            + st.gamma.logpdf(tau, a0, scale=1 / b0) + S  # dτ = τ ds
            + st.norm.logpdf(M, m0, 1 / np.sqrt(k0 * tau)))
    c = logf.max()
    ref = c + math.log(wmu @ np.exp(logf - c) @ ws)
    got = fl.family("normal").conjugate_prior().log_marginal_likelihood([m0, k0, a0, b0], x)
    assert got == pytest.approx(ref, abs=1e-10)


def test_evidence_normal_known_variance_is_a_multivariate_normal():
    # x ~ N(m 1, σ² I + s² 11ᵀ) marginally (the mean integrated out).
    x, (m, s2), v = _x("normal"), (0.3, 2.0), 0.64
    n = len(x)
    ref = st.multivariate_normal(np.full(n, m), v * np.eye(n) + s2).logpdf(x)
    got = fl.family("normal").conjugate_prior(var=v).log_marginal_likelihood([m, s2], x)
    assert got == pytest.approx(ref, rel=1e-12)


@pytest.mark.parametrize("name, kw", [("categorical", {"k": 3}), ("multinomial", {"n": 5})])
def test_evidence_dirichlet_multinomial_hand_formula(name, kw):
    x, alpha = _x(name), np.array([0.5, 1.5, 2.0])
    counts, N = x.sum(axis=0), x.sum()
    # log p = log Γ(α₀) − log Γ(α₀ + N) + Σ_j [log Γ(α_j + c_j) − log Γ(α_j)], times the
    # multinomial coefficients Π_i n_i!/Π_j x_ij! of count rows (1 for one-hot rows).
    ref = (gammaln(alpha.sum()) - gammaln(alpha.sum() + N)
           + (gammaln(alpha + counts) - gammaln(alpha)).sum()
           + (gammaln(x.sum(axis=1) + 1) - gammaln(x + 1).sum(axis=1)).sum())
    got = fl.family(name, **kw).conjugate_prior().log_marginal_likelihood(alpha, x)
    assert got == pytest.approx(ref, rel=1e-13)


@pytest.mark.parametrize("name, kw, theta0", [
    ("negative_binomial", {"r": 3}, [2.0, 2.0]), ("geometric", {}, [1.5, 2.0]),
    ("pareto", {"x_m": 1.5}, [2.0, 1.0])])
def test_evidence_by_monte_carlo_within_six_standard_errors(name, kw, theta0):
    # p(x) = E_prior[Π p(x_i | θ)]: draws of the prior, the likelihood from scipy.stats.
    x = _x(name)[:5]
    rng = np.random.default_rng(11)
    m = 200_000
    if name == "pareto":
        alpha = rng.gamma(theta0[0], 1 / theta0[1], m)
        like = st.pareto.logpdf(x[:, None], alpha, scale=1.5).sum(axis=0)
    else:
        p = rng.beta(*theta0, m)
        r = kw.get("r", 1)
        like = st.nbinom.logpmf(x[:, None], r, p).sum(axis=0)
    c = like.max()
    w = np.exp(like - c)
    est, se = w.mean(), w.std(ddof=1) / math.sqrt(m)
    got = fl.family(name, **kw).conjugate_prior().log_marginal_likelihood(theta0, x)
    assert abs(math.exp(got - c) - est) <= 6 * se


# -- predictives ------------------------------------------------------------------------------


def test_predictive_beta_binomial_against_scipy():
    x = _x("binomial")
    pred = fl.family("binomial", n=10).conjugate_prior().posterior_predictive([0.5, 1.5], x)
    a, b = 0.5 + x.sum(), 1.5 + (10 - x).sum()
    assert pred.name == "beta_binomial"
    assert pred.params == pytest.approx({"n": 10, "a": a, "b": b})
    k = np.arange(11.0)
    np.testing.assert_allclose(pred.log_density(k), st.betabinom(10, a, b).logpmf(k),
                               rtol=1e-12)


def test_predictive_negative_binomial_from_gamma_poisson_against_scipy():
    x = _x("poisson")
    pred = fl.family("poisson").conjugate_prior().posterior_predictive([2.0, 0.5], x)
    a, b = 2.0 + x.sum(), 0.5 + len(x)
    assert pred.name == "negative_binomial"
    assert pred.params == pytest.approx({"r": a, "p": b / (1 + b)})
    k = np.arange(30.0)
    np.testing.assert_allclose(pred.log_density(k), st.nbinom(a, b / (1 + b)).logpmf(k),
                               rtol=1e-12)


def test_predictive_student_t_from_normal_gamma_against_scipy():
    x = _x("normal")
    pred = fl.family("normal").conjugate_prior().posterior_predictive([0.5, 2.0, 3.0, 1.5], x)
    mn, kn, an, bn = _murphy(x, 0.5, 2.0, 3.0, 1.5)
    scale = math.sqrt(bn * (kn + 1) / (an * kn))  # Murphy (2007), eq. 100
    assert pred.name == "student_t"
    assert pred.params == pytest.approx({"df": 2 * an, "loc": mn, "scale": scale})
    y = np.linspace(-4, 6, 21)
    np.testing.assert_allclose(pred.log_density(y), st.t(2 * an, mn, scale).logpdf(y),
                               rtol=1e-12)


def test_predictive_normal_known_variance_against_scipy():
    x, v = _x("normal"), 0.64
    pred = fl.family("normal").conjugate_prior(var=v).posterior_predictive([0.0, 4.0], x)
    pv = 1 / (1 / 4.0 + len(x) / v)
    pm = pv * x.sum() / v
    y = np.linspace(-3, 4, 15)
    np.testing.assert_allclose(pred.log_density(y), st.norm(pm, math.sqrt(pv + v)).logpdf(y),
                               rtol=1e-12)


@pytest.mark.parametrize("name, kw, theta0", [
    ("geometric", {}, [3.0, 2.0]), ("negative_binomial", {"r": 2}, [4.0, 2.0]),
    ("categorical", {}, [1.0, 2.0, 0.5]), ("multinomial", {"n": 5}, [1.0, 2.0, 0.5])])
def test_predictive_without_a_named_form_sums_to_one(name, kw, theta0):
    fam = fl.family(name, **kw)
    pred = fam.conjugate_prior().posterior_predictive(theta0, _x(name)[:4])
    if name == "categorical":
        support = np.eye(3)
    elif name == "multinomial":
        support = np.array([[i, j, 5 - i - j] for i in range(6) for j in range(6 - i)], float)
    else:
        support = np.arange(4000.0)
    total = math.fsum(np.exp(pred.log_density(support)))
    assert total == pytest.approx(1.0, abs=1e-12)


# -- the maps, derived and checked -----------------------------------------------------------

ALL_PAIRS = [*PAIRS.values(), NORMAL, NORMAL_KNOWN_VAR]
PAIR_IDS = [f"{p.likelihood}-{p.prior}" for p in ALL_PAIRS]
#: The multinomial's map is the categorical's, written for every k: derived here at k = 2 while
#: the categorical's is derived at its default k = 3.
PAIR_DIMS = {"multinomial": {"k": 2}}


def _specs(pair):
    lik = fl.family(pair.likelihood, **PAIR_DIMS.get(pair.likelihood, {}))
    return lik.spec, fl.family(pair.prior, **pair.prior_dims(lik.dims)).spec


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=PAIR_IDS)
def test_map_derived_from_the_declarations(pair):
    from fisherlab.priors.derivation import (
        conjugacy_residuals,
        derive_affine,
        numeric_residuals,
    )

    lik, pri = _specs(pair)
    B, b = derive_affine(pair, lik, pri)
    declared_B, declared_b = pair.affine(len(pair.psi_params(lik)))
    np.testing.assert_array_equal(np.array(B, dtype=float), declared_B)
    np.testing.assert_array_equal(np.array(b, dtype=float), declared_b)
    assert conjugacy_residuals(pair, lik, pri, declared_B, declared_b) == [0] * len(
        pair.psi_params(lik))
    assert numeric_residuals(pair, lik, pri, declared_B, declared_b) < 1e-12


@pytest.mark.parametrize("pair", ALL_PAIRS, ids=PAIR_IDS)
def test_a_wrong_map_leaves_residuals(pair):
    from fisherlab.priors.derivation import numeric_residuals

    lik, pri = _specs(pair)
    B, b = pair.affine(len(pair.psi_params(lik)))
    assert numeric_residuals(pair, lik, pri, B, b + 0.5) > 1e-3
    # A part of A off by a constant has the right ψ-derivatives, and the wrong evidence.
    shifted = dataclasses.replace(pair, parts=lambda sp, *e: [a + 1 for a in pair.parts(sp, *e)])
    assert numeric_residuals(shifted, lik, pri, B, b) > 1e-3


@pytest.mark.parametrize("name, kw, known, theta0, expected", TEXTBOOK, ids=IDS)
def test_observations_enter_as_the_likelihood_density_says(name, kw, known, theta0, expected):
    # log p(x | ψ) = log h + ⟨ψ, t⟩ − w Σ a_c(ψ), against the likelihood's own kernels.
    import sympy as sp

    prior = _prior(name, kw, known)
    pair, fam, x = prior.pair, prior.likelihood, _x(name)
    params = pair.psi_params(fam.spec)
    syms = [sp.Symbol(p.name) for p in params]
    parts = sp.lambdify(syms, pair.parts(sp, *syms), "numpy")
    t, w, log_h = prior.statistics(x)
    for _ in range(3):
        psi = np.array([RNG.uniform(*p.test_range) for p in params])
        ours = log_h + t @ psi - w * np.sum(parts(*psi))
        if pair is NORMAL_KNOWN_VAR:
            ref = fam.kernels("mean_var").log_density(x, [psi[0], known["var"]])
        elif name == "gamma":
            ref = fam.kernels("shape_rate").log_density(x, [known["shape"], -psi[0]])
        else:
            ref = fam.kernels("natural").log_density(x, psi)
        np.testing.assert_allclose(ours, ref, rtol=1e-12, atol=1e-12)


# -- bad input --------------------------------------------------------------------------------


def test_prior_outside_its_domain_is_a_domain_error():
    with pytest.raises(DomainError, match="alpha"):
        fl.family("bernoulli").conjugate_prior().posterior([-1.0, 2.0], [1, 0])
    with pytest.raises(DomainError, match="kappa"):
        fl.family("normal").conjugate_prior().log_marginal_likelihood([0, 0.0, 1, 1], [1.0, 2.0])
    with pytest.raises(DomainError, match="var"):
        fl.family("normal").conjugate_prior(var=1.0).posterior([0.0, np.nan], [1.0])
    with pytest.raises(ShapeError, match=r"shape \(2,\)"):
        fl.family("poisson").conjugate_prior().posterior([1.0, 1.0, 1.0], [1])


def test_data_outside_the_support_names_the_value():
    with pytest.raises(SupportError, match="-1.0"):
        fl.family("poisson").conjugate_prior().posterior([1.0, 1.0], [2, -1, 3])
    with pytest.raises(SupportError, match="0.5"):
        fl.family("bernoulli").conjugate_prior().log_marginal_likelihood([1.0, 1.0], [0, 0.5])
    with pytest.raises(SupportError, match="11.0"):
        fl.family("binomial", n=10).conjugate_prior().posterior([1.0, 1.0], [3, 11])
    with pytest.raises(SupportError, match="1.0"):
        fl.family("pareto", x_m=1.5).conjugate_prior().posterior([1.0, 1.0], [2.0, 1.0])
    with pytest.raises(ShapeError, match=r"\(n, 3\)"):
        fl.family("categorical").conjugate_prior().posterior([1.0, 1.0, 1.0], [0, 1, 0])


def test_improper_prior_is_refused_unless_asked_for():
    prior, x = fl.family("bernoulli").conjugate_prior(), np.array([1.0, 0.0, 1.0])
    with pytest.raises(DomainError, match="alpha"):
        prior.posterior([0.0, 0.0], x)
    # Haldane's Beta(0, 0): the posterior is Beta(Σx, n − Σx).
    np.testing.assert_array_equal(prior.posterior([0.0, 0.0], x, improper=True), [2.0, 1.0])
    with pytest.raises(DomainError, match="improper"):
        prior.posterior([0.0, 0.0], [1.0, 1.0], improper=True)  # Beta(2, 0)
    with pytest.raises(DomainError, match="beta"):
        prior.posterior([-1.0, 0.0], x, improper=True)
    # A flat prior on the normal mean: the posterior is N(x̄, σ²/n).
    got = fl.family("normal").conjugate_prior(var=2.0).posterior([0.0, np.inf], x, improper=True)
    np.testing.assert_allclose(got, [x.mean(), 2.0 / 3], rtol=1e-15)
    # The evidence of an improper prior is not defined.
    with pytest.raises(DomainError):
        prior.log_marginal_likelihood([0.0, 0.0], x)


def test_families_without_a_conjugate_prior_and_bad_known_parameters():
    with pytest.raises(NotAvailableError, match="no closed-form conjugate prior"):
        fl.family("von_mises").conjugate_prior()
    with pytest.raises(DomainError, match="missing shape"):
        fl.family("gamma").conjugate_prior()
    with pytest.raises(DomainError, match="unknown shape"):
        fl.family("normal").conjugate_prior(shape=1.0)
    with pytest.raises(DomainError, match="var"):
        fl.family("normal").conjugate_prior(var=-1.0)
    with pytest.raises(ShapeError, match=r"one value per observation, shape \(2,\)"):
        fl.family("normal").conjugate_prior(var=[1.0, 2.0, 4.0]).posterior([0.0, 1.0], [1.0, 2.0])


def test_known_variance_per_observation():
    # Weighted by precision: posterior precision 1/s² + Σ1/σ_i², mean (m/s² + Σx_i/σ_i²)/that.
    x, v = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])
    prec = 1 / 10.0 + (1 / v).sum()
    got = fl.family("normal").conjugate_prior(var=v).posterior([0.0, 10.0], x)
    np.testing.assert_allclose(got, [(x / v).sum() / prec, 1 / prec], rtol=1e-14)
