"""The oracles keep their digits: the mpmath oracle's KL where the Bregman form cancels (the
reference of kl_refinement), the autograd oracle's von Mises–Fisher where I_ν(κ) overflows and
its negative binomial where x! does."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import fisherlab as fl
from fisherlab.verify.oracles.autograd import oracle
from fisherlab.verify.oracles.mp import kl


@pytest.mark.parametrize("eta,step", [(30.0, 3e-8), (30.0, 3e-2), (-20.0, 1e-9), (2.0, 1e-9)])
def test_bernoulli_kl_near_coincidence_against_the_textbook(eta, step):
    """At η = 30 and η_q − η = 3e-8 the Bregman form cancels 32 digits (A ≈ 30, KL ≈ 4e-29):
    at a fixed 40 digits it kept 8. The textbook KL p log(p/q) + (1 − p) log((1 − p)/(1 − q)) at
    200 digits is the reference."""
    spec = fl.family("bernoulli").spec
    eta_q = eta + step  # the float both sides take
    got = kl(spec, "natural", np.array([eta]), np.array([eta_q]))
    with mp.workdps(200):
        p = 1 / (1 + mp.exp(-mp.mpf(eta)))
        q = 1 / (1 + mp.exp(-mp.mpf(eta_q)))
        exact = p * mp.log(p / q) + (1 - p) * mp.log((1 - p) / (1 - q))
    assert abs(got - float(exact)) <= 1e-15 * float(exact)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("kappa", [2.0, 700.0, 1e4])
def test_autograd_von_mises_fisher_past_the_overflow_of_bessel_i(kappa):
    """The declaration's explicit Φ_3, Ψ_3 hold I_ν(κ), inf past κ ≈ 713: autograd's gradient
    of iv was then inf·0 (NaN, RuntimeWarnings) and every comparison fell to the 40-digit
    oracle. Written with the scaled ive, the oracle's log density, mean and Fisher information in
    (angles, κ) match the d = 3 closed forms: A₃ = coth κ − 1/κ, F = diag(κA₃, κA₃ sin²φ₁,
    A₃′), A₃′ = 1/κ² − 1/sinh²κ (autograd forms A₃′ from terms of size 1: absolutely)."""
    spec = fl.family("von_mises_fisher", d=3).spec
    ag = oracle(spec, "angles_concentration")
    phi1, phi2 = 1.1, -0.4
    th = np.array([[phi1, phi2, kappa]])
    x = np.array([[0.6, 0.0, 0.8]])
    mu = np.array([np.cos(phi1), np.sin(phi1) * np.cos(phi2), np.sin(phi1) * np.sin(phi2)])
    with mp.workdps(50):
        K = mp.mpf(kappa)
        r = mp.coth(K) - 1 / K
        dr = 1 / K**2 - 1 / mp.sinh(K) ** 2
        logp = mp.log(K / (4 * mp.pi * mp.sinh(K))) + K * mp.mpf(float(mu @ x[0]))
    F = ag.fisher(th)[0]
    assert float(ag.log_density(x, th)[0]) == pytest.approx(float(logp), rel=4e-15)
    np.testing.assert_allclose(ag.mean(th)[0], float(r) * mu, rtol=0, atol=4e-16)
    assert F[0, 0] == pytest.approx(float(K * r), rel=4e-15)
    assert F[1, 1] == pytest.approx(float(K * r) * np.sin(phi1) ** 2, rel=4e-15)
    assert abs(F[2, 2] - float(dr)) <= 4e-16


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_autograd_negative_binomial_past_the_overflow_of_the_factorial():
    """log h(x) = log Γ(x + r) − log Γ(r) − log x! at r = 3 reaches the autograd oracle as
    log(Γ(x + 3)) − log(Γ(x + 1)) (sympy's form for an integer x): Γ overflows past x ≈ 170 and
    the log density was inf − inf (NaN, a RuntimeWarning). Against 50-digit log Γ, and the
    score against its closed form r/p − x/(1 − p)."""
    spec = fl.family("negative_binomial").spec
    ag = oracle(spec, "p")
    x = np.array([0.0, 7.0, 170.0, 500.0, 1e5])
    p = np.full((x.size, 1), 0.01)
    with mp.workdps(50):
        exact = [mp.loggamma(mp.mpf(v) + 3) - mp.loggamma(3) - mp.loggamma(mp.mpf(v) + 1)
                 + 3 * mp.log(mp.mpf(0.01)) + mp.mpf(v) * mp.log1p(-mp.mpf(0.01)) for v in x]
    # The oracle evaluates the declaration as written, a sum of terms of the size of log Γ(x + 3):
    # a few ulps of those (2.6e3 at x = 500, where the density is −7.1).
    terms = [float(mp.loggamma(mp.mpf(v) + 3) + mp.loggamma(mp.mpf(v) + 1)) + 14 + 0.011 * v
             for v in x]
    got = ag.log_density(x, p)
    for g, e, t in zip(got, exact, terms):
        assert abs(g - float(e)) <= 4 * np.finfo(float).eps * t
    np.testing.assert_allclose(ag.score(x, p)[:, 0], 3 / 0.01 - x / 0.99, rtol=1e-13)
