"""The cancellation-free forms the code generator substitutes, against mpmath at high precision.

Each replaces a derived sum whose terms cancel (the Bernoulli entropy and KL at large log-odds,
the gamma entropy at a large shape, the normal's KL with μ ≈ μq ≫ σ, the log-normal's
m₂ − m₁²): the special functions of :mod:`fisherlab.kernels._special` on their whole range,
and the generated kernels at the points where the Bregman or expanded forms failed. The
references are the textbook formulas evaluated with enough digits to survive the cancellation
(a 300-digit working precision: the Bernoulli entropy at u = 700 cancels 300 digits).
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pytest

import fisherlab as fl
from fisherlab.kernels import special

DPS = 400
TOL = 1e-14


def _softplus(x):
    return mp.log(1 + mp.exp(x))


def _relative(got, exact):
    return float(abs((mp.mpf(float(got)) - exact) / exact))


def test_logistic_entropy_against_mpmath():
    us = np.concatenate([np.linspace(-700.0, 700.0, 281), np.geomspace(1e-8, 60.0, 60),
                         -np.geomspace(1e-8, 60.0, 60), [0.0, 14.0, 27.0]])
    got = special.logistic_entropy(us)
    with mp.workdps(DPS):
        for u, g in zip(us, got):
            U = mp.mpf(float(u))
            exact = _softplus(U) - U * mp.exp(U) / (1 + mp.exp(U))
            assert _relative(g, exact) < TOL, (u, g)


def test_logistic_kl_against_mpmath_away_from_coincidence():
    rng = np.random.default_rng(14)
    pairs = rng.uniform(-40.0, 160.0, size=(200, 2))
    pairs = pairs[np.abs(pairs[:, 0] - pairs[:, 1]) > 0.5]
    pairs = np.vstack([pairs, [[25.13, 149.25], [30.0, -30.0], [-30.0, 30.0]]])
    got = special.logistic_kl(pairs[:, 0], pairs[:, 1])
    with mp.workdps(DPS):
        for (u, v), g in zip(pairs, got):
            U, V = mp.mpf(float(u)), mp.mpf(float(v))
            exact = _softplus(V) - _softplus(U) - (V - U) * mp.exp(U) / (1 + mp.exp(U))
            assert _relative(g, exact) < TOL, (u, v, g)


def test_gamma_unit_entropy_against_mpmath():
    a = np.concatenate([np.geomspace(1e-3, 1e8, 300), [9.999999, 10.0, 10.000001, 224.6]])
    a = a[np.abs(a - 0.4717) > 0.01]  # its zero, where the relative error is unbounded
    got = special.gamma_unit_entropy(a)
    with mp.workdps(50):
        for x, g in zip(a, got):
            X = mp.mpf(float(x))
            exact = X + mp.loggamma(X) - (X - 1) * mp.digamma(X)
            assert _relative(g, exact) < 5e-15, (x, g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN outside the domain, without a RuntimeWarning
        assert np.isnan(special.gamma_unit_entropy(np.array([0.0, -1.0, np.nan]))).all()


@pytest.mark.parametrize("eta,eta_q", [(25.13, 149.25), (14.0, 40.0), (36.0, -2.0)])
def test_bernoulli_natural_kl_at_large_log_odds(eta, eta_q):
    k = fl.family("bernoulli").kernels("natural")
    with mp.workdps(DPS):
        U, V = mp.mpf(eta), mp.mpf(eta_q)
        exact = _softplus(V) - _softplus(U) - (V - U) * mp.exp(U) / (1 + mp.exp(U))
        assert _relative(k.kl(np.array([eta]), np.array([eta_q])), exact) < 1e-13


@pytest.mark.parametrize("eta", [14.0, 27.0, 36.0])
def test_bernoulli_natural_entropy_at_large_log_odds(eta):
    k = fl.family("bernoulli").kernels("natural")
    with mp.workdps(DPS):
        U = mp.mpf(eta)
        exact = _softplus(U) - U * mp.exp(U) / (1 + mp.exp(U))
        assert _relative(k.entropy(np.array([eta])), exact) < 1e-14


@pytest.mark.parametrize("eta", [-700.0, -30.0, -6.0, 0.0, 6.0, 14.0, 30.0, 100.0, 700.0])
@pytest.mark.parametrize("x", [0.0, 1.0])
def test_bernoulli_natural_log_density_and_score_at_large_log_odds(eta, x):
    """x·η − log(1 + e^η) and x − σ(η) at x = 1 cancel to −log(1 + e^−η) and σ(−η) (2 digits
    left at η = 30 as written; e^η overflows past 709): the kernels' forms keep every digit."""
    k = fl.family("bernoulli").kernels("natural")
    with mp.workdps(DPS):
        U = mp.mpf(eta)
        sigma = 1 / (1 + mp.exp(-U))
        log_p = U * x - _softplus(U)
        score = x - sigma
    assert _relative(k.log_density(np.array(x), np.array([eta])), log_p) < TOL
    assert _relative(k.score(np.array(x), np.array([eta]))[0], score) < TOL


def test_bernoulli_natural_score_where_e_eta_overflows():
    # as x − e^η/(1 + e^η) the score was inf/inf = NaN past η = 709
    k = fl.family("bernoulli").kernels("natural")
    eta = np.array([[800.0], [-800.0]])
    np.testing.assert_array_equal(k.score(np.array([0.0, 1.0]), eta), [[-1.0], [1.0]])
    np.testing.assert_array_equal(k.log_density(np.array([0.0, 1.0]), eta), [-800.0, -800.0])


@pytest.mark.parametrize("shape,rate", [(224.6, 3.0), (1e3, 2.0), (1e5, 0.5)])
def test_gamma_entropy_at_a_large_shape(shape, rate):
    k = fl.family("gamma").kernels("shape_rate")
    with mp.workdps(50):
        a, b = mp.mpf(shape), mp.mpf(rate)
        exact = a - mp.log(b) + mp.loggamma(a) + (1 - a) * mp.digamma(a)
        assert _relative(k.entropy(np.array([shape, rate])), exact) < 1e-14


def test_normal_mean_var_kl_with_close_means_and_distant_variances():
    """The exhaustive mode's failing point (4.9e-12): μ ≈ μq ≫ σ, the variances 4× apart."""
    k = fl.family("normal").kernels("mean_var")
    p = (-759.8356433555773, 0.11890228302041787)
    q = (-768.4839547220574, 0.02694352145050423)
    with mp.workdps(50):
        m, v = (mp.mpf(t) for t in p)
        mq, vq = (mp.mpf(t) for t in q)
        exact = ((m - mq) ** 2 + v - vq - vq * mp.log(v / vq)) / (2 * vq)
        got = k.kl(np.array(p), np.array(q))
        assert _relative(got, exact) < 1e-13


def test_lognormal_natural_from_mean_with_a_small_sigma():
    """m₂ − m₁² at μ = −5.75, σ = 0.052 (1.3e-12 when formed as written)."""
    m1 = -5.75
    m2 = float(mp.mpf(0.052) ** 2 + mp.mpf(m1) ** 2)
    got = fl.family("lognormal").natural_from_mean(np.array([m1, m2]))
    with mp.workdps(50):
        # the exact natural parameters of the float moments the kernel is given
        var = mp.mpf(m2) - mp.mpf(m1) ** 2
        exact = [mp.mpf(m1) / var, -1 / (2 * var)]
        for g, e in zip(np.ravel(got), exact):
            assert _relative(g, e) < 1e-14


def test_log_beta_and_digamma_diff_with_a_large_argument():
    """x ≥ 10 and y/x in (1/100, 1) (and the mirror): Stirling's series with the cancelling
    terms removed, where scipy's betaln lost up to 7e-12 and ψ(x) − ψ(x + y) 3e-13 (the beta
    mean_precision KL: 1.2e-12 at (0.00644, 439.1) to (0.00999, 675.9)). Points where log B is
    within 0.1 of zero, whose relative error is unbounded, are left out."""
    rng = np.random.default_rng(10)
    x = 10 ** rng.uniform(1.0, 7.0, 400)
    y = x * 10 ** rng.uniform(-2.0, 0.0, 400)
    x, y = np.concatenate([x, [669.1, 903.0]]), np.concatenate([y, [6.75, 43.0]])
    lb = special.log_beta(np.concatenate([x, y]), np.concatenate([y, x]))
    dd = special.digamma_diff(x, y)
    with mp.workdps(50):
        for i, (a, b) in enumerate(zip(x, y)):
            A, B = mp.mpf(float(a)), mp.mpf(float(b))
            exact = mp.loggamma(A) + mp.loggamma(B) - mp.loggamma(A + B)
            if abs(exact) > 0.1:
                assert _relative(lb[i], exact) < 1e-14, (a, b)
                assert _relative(lb[i + len(x)], exact) < 1e-14, (b, a)
            assert _relative(dd[i], mp.digamma(A) - mp.digamma(A + B)) < 1e-14, (a, b)


def test_beta_mean_precision_kl_where_log_beta_lost_digits():
    k = fl.family("beta").kernels("mean_precision")
    p, q = (0.006444251508532036, 439.08717290708285), (0.009991950088164244, 675.8512647909969)
    with mp.workdps(60):
        m, s, mq, sq = (mp.mpf(t) for t in p + q)
        a, b, aq, bq = m * s, s * (1 - m), mq * sq, sq * (1 - mq)

        def log_beta(u, v):
            return mp.loggamma(u) + mp.loggamma(v) - mp.loggamma(u + v)

        exact = (log_beta(aq, bq) - log_beta(a, b) + (a - aq) * (mp.digamma(a) - mp.digamma(a + b))
                 + (b - bq) * (mp.digamma(b) - mp.digamma(a + b)))
        assert _relative(k.kl(np.array(p), np.array(q)), exact) < 1e-13


@pytest.mark.parametrize("param,theta,theta_q", [
    ("mean_std", (3.0, 1e-3), (-2.0, 1e3)),   # σq/σ = 1e6: 1 + Δ(σ²)/σq² is 1e-12
    ("mean_std", (3.0, 1e3), (3.0, 1e-3)),
    ("mean_std", (900.0, 0.5), (900.0 * (1 + 1e-13), 0.5 * (1 + 3e-12))),
    ("mean_var", (-5.0, 1e-4), (7.0, 1e4)),
    ("mean_logstd", (1e3, -6.0), (-1e3, 6.5)),
    ("mean_logstd", (0.0, 0.25), (1e-9, 0.25 + 1e-11)),
    ("natural", (3.0, -1e3), (-3.0, -1e-3)),
    ("mean", (30.0, 900.01), (30.0 * (1 + 1e-12), 900.01 * (1 + 2e-12))),
])
def test_normal_kl_as_a_remainder_near_and_far(param, theta, theta_q):
    """The normal KL printed as Δμ²/(2σq²) + ½(e^L − 1 − L), L = Δlog(1/σ²): with the variances
    a factor 1e12 apart (where 1 + Δ(σ²)/σq², formed from a difference, would keep only its
    absolute ε) and 1e-11 apart (where the Bregman form cancels), against the textbook KL of
    (μ, σ²)."""
    to_mv = {"natural": lambda a, b: (-a / (2 * b), -1 / (2 * b)),
             "mean": lambda a, b: (a, b - a * a), "mean_std": lambda a, b: (a, b * b),
             "mean_var": lambda a, b: (a, b), "mean_logstd": lambda a, b: (a, mp.exp(2 * b))}
    got = fl.kernels("normal", param).kl(np.array(theta), np.array(theta_q))
    with mp.workdps(DPS):
        (m1, v1), (m2, v2) = (to_mv[param](*[mp.mpf(float(t)) for t in th])
                              for th in (theta, theta_q))
        exact = (mp.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1) / 2
        assert _relative(got, exact) <= TOL
