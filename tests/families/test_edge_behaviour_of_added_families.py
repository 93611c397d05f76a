"""The inverse gamma, chi, logarithmic, continuous Bernoulli and generalized Dirichlet families.

Their special functions against mpmath where the elementary forms cancel (the continuous
Bernoulli at η = 0 and |η| < 1e-8, the log-series as p → 0), scipy.stats agreement, the
samplers, bad observations and parameters, the textbook Fisher forms of the derivations, and
the families these generalize (chi k = 1, 2: half-normal, Rayleigh; generalized Dirichlet
k = 2: beta, and with b_i = a_(i+1) + b_(i+1): Dirichlet). The generic identities and the
50-digit textbook comparisons of the kernels run over these families with the rest of the
catalog (tests/verify/test_identities.py, tests/kernels/test_accuracy.py,
tests/families/test_textbook.py).
"""

from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
import scipy.stats
import sympy as sp

import fisherlab as fl
from fisherlab.errors import DomainError, SupportError
from fisherlab.kernels import special

DPS = 50


def _rel(got, exact) -> float:
    got = mp.mpf(float(got))
    return float(abs(got - exact) / abs(exact)) if exact else float(abs(got))


# -- continuous Bernoulli: A(η) = log((e^η − 1)/η), its derivatives and A − ηA′ -------------------


def _mp_A(eta):
    return mp.log(mp.expm1(eta) / eta)


def _mp_exprel(n, eta):
    """dⁿA/dηⁿ (n = 0..3) and, for n = "H", A − ηA′, at η ≠ 0, in mpmath at a precision raised
    by the digits the elementary forms cancel near 0 (about 3·log10(1/|η|))."""
    lost = int(3 * max(0.0, -math.log10(abs(eta)))) + 20
    with mp.workdps(DPS + lost):
        e = mp.mpf(eta)
        if n == "H":
            value = _mp_A(e) - e * mp.diff(_mp_A, e, 1)
        elif n == 0:
            value = _mp_A(e)
        else:
            value = mp.diff(_mp_A, e, n)
        return +value


#: Across the series' switch at |η| = 2, through the tiny |η| where every closed form cancels,
#: out to |η| = 1e6 (beyond, η² and η³ leave float64 before A″ and A‴ do).
EXPREL_GRID = sorted({s * v for s in (-1.0, 1.0) for v in np.concatenate(
    [np.geomspace(1e-12, 1e6, 37), [1e-300, 1.999999, 2.0, 2.000001, 700.0, 710.0]])})


@pytest.mark.parametrize("n", [0, 1, 2, 3, "H"])
def test_log_exprel_functions_match_mpmath(n):
    fn = ((lambda e: special.log_exprel_intercept(e)) if n == "H"
          else (lambda e: special.log_exprel_deriv(n, e)))
    grid = np.array(EXPREL_GRID)
    if n in (2, 3, "H"):
        grid = grid[np.abs(grid) >= 1e-150]  # A″ − 1/12, A‴, H ~ η² underflow relative to mpmath
    with mp.workdps(DPS):
        worst = max((_rel(fn(e), _mp_exprel(n, e)), e) for e in grid if
                    _mp_exprel(n, e) != 0)
        batch = fn(grid)
        # the array path (both branches in one call) equals the 0-d path point by point
        assert np.array_equal(batch, np.array([fn(np.float64(e)) for e in grid]))
    assert worst[0] <= 1e-14, f"order {n}: relative error {worst[0]:.3g} at η = {worst[1]}"


def test_log_exprel_at_zero_is_exact():
    assert [float(special.log_exprel_deriv(n, 0.0)) for n in range(4)] == [0.0, 0.5, 1 / 12, 0.0]
    assert float(special.log_exprel_intercept(0.0)) == 0.0
    with pytest.raises(NotImplementedError, match="order 4"):
        special.log_exprel_deriv(4, 0.0)


def test_continuous_bernoulli_kernels_through_zero_and_far_out():
    """The natural kernels at η = 0, |η| < 1e-8 and |η| up to 1e5, against the textbook
    C(λ) λ^x (1 − λ)^(1−x) (mean λ/(2λ − 1) + 1/(2 artanh(1 − 2λ)), entropy −log C − μ log λ −
    (1 − μ) log(1 − λ)) at 60 digits plus those the textbook forms cancel near λ = 1/2."""
    k = fl.kernels("continuous_bernoulli", "natural")
    # (|η| > 700 is covered by test_log_exprel_functions_match_mpmath: the textbook λ-forms need
    # |η|/2.3 digits more there)
    etas = [0.0, 1e-300, -1e-12, 3e-10, -7e-9, 1e-8, 2e-5, -0.3, 1.7, -2.2, 25.0, -700.0, 650.0]
    got = {q: getattr(k, q)(np.array(etas)[:, None]) for q in
           ("log_partition", "mean", "natural_fisher", "entropy", "skewness")}
    for i, eta in enumerate(etas):
        if eta == 0 or abs(eta) < 1e-100:
            exact = {"log_partition": eta / 2, "mean": 0.5 + eta / 12, "natural_fisher": 1 / 12,
                     "entropy": -eta**2 / 24, "skewness": -eta / 120}
            for q, v in exact.items():
                assert abs(float(np.ravel(got[q][i])[0]) - v) <= 1e-16 * max(abs(v), 1e-300), q
            continue
        lost = int(3 * max(0.0, -math.log10(abs(eta))) + abs(eta) / 2.3) + 60
        with mp.workdps(lost):
            e = mp.mpf(eta)
            lam = 1 / (1 + mp.exp(-e))
            C = 2 * mp.atanh(1 - 2 * lam) / (1 - 2 * lam)
            mu = lam / (2 * lam - 1) + 1 / (2 * mp.atanh(1 - 2 * lam))
            exact = {
                "log_partition": -mp.log(C * (1 - lam)),
                "mean": mu,
                "entropy": -mp.log(C) - mu * mp.log(lam) - (1 - mu) * mp.log1p(-lam),
                # variance and third cumulant from their closed forms in η
                "natural_fisher": 1 / e**2 - 1 / (4 * mp.sinh(e / 2) ** 2),
                "skewness": -2 / e**3 + mp.cosh(e / 2) / (4 * mp.sinh(e / 2) ** 3),
            }
            for q, v in exact.items():
                err = _rel(np.ravel(got[q][i])[0], v)
                assert err <= 1e-14, f"{q} at η = {eta}: relative error {err:.3g}"


def test_continuous_bernoulli_symmetry():
    # x ↦ 1 − x maps η to −η: A(−η) = A(η) − η, the mean to 1 − mean, the entropy is even.
    k = fl.kernels("continuous_bernoulli", "natural")
    eta = np.array([[1e-9], [0.4], [3.0], [40.0]])
    np.testing.assert_allclose(k.log_partition(-eta), k.log_partition(eta) - eta[:, 0],
                               rtol=1e-15, atol=1e-24)
    np.testing.assert_allclose(k.mean(-eta)[:, 0], 1 - k.mean(eta)[:, 0], rtol=1e-15)
    np.testing.assert_array_equal(k.entropy(-eta), k.entropy(eta))


def test_logit_keeps_its_digits_at_one_half():
    ps = np.concatenate([0.5 + np.geomspace(1e-16, 0.49, 40), 0.5 - np.geomspace(1e-16, 0.49, 40),
                         [1e-300, 0.25, 0.75, 1 - 1e-16]])
    with mp.workdps(DPS):
        for p in ps:
            exact = mp.log(mp.mpf(p) / (1 - mp.mpf(p)))
            assert _rel(special.logit(p), exact) <= 1e-15, p


# -- log-series ----------------------------------------------------------------------------------


def _mp_log_series(name, eta):
    with mp.workdps(DPS + int(abs(eta) / 2.3)):
        e = mp.mpf(eta)
        u = mp.exp(e)
        lm = mp.log1p(-u)
        return +{"log1mexp": lm, "log_series_excess": -lm / u - 1,
                 "log_series_log_partition": mp.log(-lm),
                 "log_series_mean": u / (-mp.expm1(e) * -lm)}[name]


@pytest.mark.parametrize("name", ["log1mexp", "log_series_excess", "log_series_log_partition",
                                  "log_series_mean"])
def test_log_series_functions_match_mpmath(name):
    fn = getattr(special, name)
    grid = -np.concatenate([np.geomspace(1e-14, 700.0, 60), [math.log(2), math.log(4)]])
    # A crosses zero at p = 1 − 1/e: there it keeps an absolute ulp, not a relative one.
    zero = math.log(1 - math.exp(-1))
    worst = max(_rel(fn(e), _mp_log_series(name, e)) * (
        min(1.0, abs(e - zero)) if name == "log_series_log_partition" else 1.0) for e in grid)
    assert worst <= 1e-14
    np.testing.assert_array_equal(fn(grid), [fn(np.float64(e)) for e in grid])


def test_logarithmic_variance_keeps_its_digits_as_p_vanishes():
    # Var x = μ² s ≈ p/2: the difference A′(1/(1 − p) − A′) of the elementary form loses
    # log10(2/p) digits; the kernels keep them down to p = 1e-300.
    k = fl.kernels("logarithmic", "natural")
    for p in [1e-300, 1e-40, 1e-8, 1e-3, 0.5]:
        eta = math.log(p)
        with mp.workdps(DPS + int(abs(eta) / 2.3)):
            q = mp.exp(mp.mpf(eta))  # p as the kernels see it, through the float η
            lm = mp.log1p(-q)
            mu = -q / ((1 - q) * lm)
            var = -q * (q + lm) / ((1 - q) ** 2 * lm**2)
            assert _rel(k.natural_fisher([eta])[0, 0], var) <= 1e-14, p
            assert _rel(k.mean([eta])[0], mu) <= 1e-15, p


# -- scipy.stats, samplers, support, domains -------------------------------------------------------


SCIPY_CASES = [
    # (family, dims, parametrization of the scipy declaration, points, observations, E[T]_0 from
    #  scipy where T_0 is a moment of x)
    ("inverse_gamma", {}, [[0.05, 3.0], [2.5, 1e-2], [28.0, 700.0]], [1e-3, 0.3, 2.0, 50.0],
     None),
    ("chi", {}, [[0.02], [1.0], [60.0]], [1e-3, 0.3, 1.0, 2.5, 10.0], lambda d: d.moment(2)),
    ("chi", {"k": 0.7}, [[0.5], [20.0]], [1e-3, 0.3, 1.0, 2.5, 10.0], lambda d: d.moment(2)),
    ("logarithmic", {}, [[0.06], [0.5], [0.9]], [1.0, 2.0, 7.0, 60.0], lambda d: d.mean()),
]


@pytest.mark.parametrize("name,dims,thetas,x,moment", SCIPY_CASES,
                         ids=[f"{c[0]}{''.join(f'-{k}{v}' for k, v in c[1].items())}"
                              for c in SCIPY_CASES])
def test_scipy_agreement(name, dims, thetas, x, moment):
    fam = fl.family(name, **dims)
    home, make = fam.spec.scipy
    x = np.array(x)
    for theta in np.array(thetas):
        dist = make(scipy.stats, *theta)
        ref = dist.logpmf(x) if fam.support.discrete else dist.logpdf(x)
        for pz in fam.parametrizations:
            k = fam.kernels(pz)
            th = fam.convert(theta, home, pz)
            np.testing.assert_allclose(k.log_density(x, th), ref, rtol=1e-13, atol=1e-13,
                                       err_msg=f"{pz} log density at {theta}")
            if name != "logarithmic":  # scipy's logser entropy is a truncated sum (verify's
                # scipy oracle replaces it with a textbook sum); the textbook test covers it
                np.testing.assert_allclose(k.entropy(th), dist.entropy(), rtol=1e-13,
                                           atol=1e-14, err_msg=f"{pz} entropy at {theta}")
            if moment is not None:
                np.testing.assert_allclose(k.mean(th)[0], moment(dist), rtol=1e-13)


def test_inverse_gamma_mean_of_reciprocal_and_log_by_quadrature():
    # E[1/x] = α/β and E[log x] from scipy's density by quadrature in y = log x
    fam = fl.family("inverse_gamma")
    k = fam.kernels("shape_scale")
    import scipy.integrate

    for a, b in [(0.7, 2.0), (6.0, 0.05)]:
        dist = scipy.stats.invgamma(a, scale=b)
        lo, hi = math.log(dist.ppf(1e-30)), math.log(dist.isf(1e-30))
        mid = math.log(dist.median())
        for j, f in enumerate([lambda y: y, lambda y: math.exp(-y)]):
            total = sum(scipy.integrate.quad(
                lambda y, f=f: f(y) * math.exp(dist.logpdf(math.exp(y)) + y), u, v,
                epsabs=0, epsrel=1e-13, limit=400)[0] for u, v in [(lo, mid), (mid, hi)])
            np.testing.assert_allclose(k.mean([a, b])[j], total, rtol=1e-10)


SAMPLER_CASES = [
    ("inverse_gamma", {}, [0.02, 1.5]), ("inverse_gamma", {}, [8.0, 0.3]),
    ("chi", {}, [2.0]), ("chi", {"k": 0.6}, [0.4]),
    ("logarithmic", {}, [0.05]), ("logarithmic", {}, [0.97]),
    ("continuous_bernoulli", {}, [1e-9]), ("continuous_bernoulli", {}, [0.5]),
    ("continuous_bernoulli", {}, [0.5 + 1e-9]), ("continuous_bernoulli", {}, [0.93]),
    ("generalized_dirichlet", {}, [0.3, 4.0, 2.0, 0.5]),
]


@pytest.mark.parametrize("name,dims,theta", SAMPLER_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in SAMPLER_CASES])
def test_sampler_mean_of_T(name, dims, theta):
    fam = fl.family(name, **dims)
    home = fam.spec.sampler[0]
    n = 20000
    x = fam.sample(np.array(theta), home, size=n, seed=3)
    assert x.shape == (n, *fam.support.event_shape)
    if name == "inverse_gamma":
        x = x[np.isfinite(x)]  # draws beyond the largest float64 (α = 0.02: e^(−709α) ~ 1e-6)
        assert x.size >= n - 5
    fam.support.check(x)
    T = fam.statistics(x)
    k = fam.kernels(home)
    se = np.sqrt(np.diagonal(k.natural_fisher(theta)) / len(T))
    assert np.all(np.abs(T.mean(axis=0) - k.mean(theta)) <= 6 * se), (T.mean(axis=0),
                                                                       k.mean(theta))


def test_continuous_bernoulli_sampler_matches_its_cdf():
    # F(x) = (e^(ηx) − 1)/(e^η − 1): a Kolmogorov–Smirnov test at the 1e-6 level (seeded)
    fam = fl.family("continuous_bernoulli")
    for lam in [0.02, 0.5, 0.7, 1 - 1e-6]:
        eta = math.log(lam / (1 - lam))
        x = fam.sample(np.array([lam]), "lam", size=5000, seed=11)

        def cdf(v, eta=eta):
            return v if eta == 0 else np.expm1(eta * v) / np.expm1(eta)
        assert scipy.stats.kstest(x, cdf).pvalue > 1e-6


@pytest.mark.parametrize("name,dims,x", [
    ("inverse_gamma", {}, 0.0), ("inverse_gamma", {}, -1.0), ("chi", {}, -0.5),
    ("logarithmic", {}, 0.0), ("logarithmic", {}, 2.5), ("continuous_bernoulli", {}, 1.0 + 1e-12),
    ("continuous_bernoulli", {}, -1e-300), ("continuous_bernoulli", {}, np.nan),
    ("generalized_dirichlet", {}, [0.5, 0.5, 0.1]), ("generalized_dirichlet", {}, [1.0, 0.0, 0.0]),
])
def test_observation_outside_support(name, dims, x):
    fam = fl.family(name, **dims)
    k = fam.kernels(fam.parametrizations[1])
    theta = _interior(fam, fam.parametrizations[1])
    with pytest.raises(SupportError, match="support"):
        k.log_density(x, theta)


def _interior(fam, param):
    from fisherlab.verify.points import draw_points

    return draw_points(fam.spec, param, 1, np.random.default_rng(0))[0]


def test_continuous_bernoulli_accepts_both_ends():
    k = fl.kernels("continuous_bernoulli", "lam")
    lam = 0.8
    C = 2 * math.atanh(1 - 2 * lam) / (1 - 2 * lam)
    np.testing.assert_allclose(k.log_density(np.array([0.0, 1.0]), [lam]),
                               [math.log(C * (1 - lam)), math.log(C * lam)], rtol=1e-14)


@pytest.mark.parametrize("name,param,theta,what", [
    ("continuous_bernoulli", "lam", [1.0], "lam"), ("logarithmic", "p", [1.0], "p"),
    ("logarithmic", "natural", [0.0], "eta"), ("inverse_gamma", "shape_scale", [1.0, -2.0],
                                               "scale"),
    ("chi", "scale", [np.nan], "scale"),
    # b_1 = η_3 + a_2 + b_2 = −5 + 1 + 1 < 0
    ("generalized_dirichlet", "natural", [1.0, 1.0, -5.0, 1.0], "b_i"),
])
def test_parameter_outside_domain(name, param, theta, what):
    k = fl.kernels(name, param)
    with pytest.raises(DomainError, match=what):
        k.fisher(theta)


def test_chi_fixed_degrees_of_freedom_are_checked_and_broadcast():
    with pytest.raises(DomainError, match="k"):
        fl.family("chi", k=0.0)
    fam = fl.family("chi", k=np.array([1.0, 2.0, 7.5]))
    F = fam.kernels("scale").fisher(np.array([[0.5], [2.0], [3.0]]))
    np.testing.assert_allclose(F[:, 0, 0], 2 * np.array([1.0, 2.0, 7.5])
                               / np.array([0.5, 2.0, 3.0]) ** 2, rtol=1e-15)


@pytest.mark.parametrize("k,other", [(1, "half_normal"), (2, "rayleigh")])
def test_chi_at_one_and_two_degrees_is_half_normal_and_rayleigh(k, other):
    a, b = fl.kernels("chi", "scale", k=k), fl.kernels(other, "scale")
    theta, theta_q, x = np.array([[0.3], [4.0]]), np.array([[1.1], [0.2]]), np.array([0.05, 7.0])
    # (A differs by the constant the two declarations put in h instead)
    for q in ("fisher", "entropy", "mean"):
        np.testing.assert_allclose(getattr(a, q)(theta), getattr(b, q)(theta), rtol=1e-14)
    np.testing.assert_allclose(a.kl(theta, theta_q), b.kl(theta, theta_q), rtol=1e-14)
    np.testing.assert_allclose(a.log_density(x, theta), b.log_density(x, theta), rtol=1e-14)
    np.testing.assert_allclose(a.fisher_rao_distance(theta, theta_q),
                               b.fisher_rao_distance(theta, theta_q), rtol=1e-14)


# -- generalized Dirichlet -----------------------------------------------------------------------


def test_generalized_dirichlet_with_dirichlet_shapes_is_the_dirichlet():
    # b_i = a_(i+1) + b_(i+1): Dirichlet(a_1, a_2, b_2) (γ_1 = 0, the S_1 term drops)
    gd, d = fl.kernels("generalized_dirichlet", "a_b"), fl.kernels("dirichlet", "alpha")
    a1, a2, b2 = 0.7, 3.0, 1.6
    theta, alpha = [a1, a2, a2 + b2, b2], [a1, a2, b2]
    x = np.array([[0.2, 0.3, 0.5], [0.01, 0.98, 0.01]])
    np.testing.assert_allclose(gd.log_density(x, theta), d.log_density(x, alpha), rtol=1e-14)
    np.testing.assert_allclose(gd.entropy(theta), d.entropy(alpha), rtol=1e-14)
    np.testing.assert_allclose(gd.log_partition(theta), d.log_partition(alpha), rtol=1e-14)


def test_generalized_dirichlet_k2_is_the_beta():
    # compiled in memory (the k = 2 module is not shipped): also shows small k other than the
    # default derive and compile
    gd, b = fl.kernels("generalized_dirichlet", "a_b", k=2), fl.kernels("beta", "alpha_beta")
    theta, theta_q = np.array([[0.4, 7.0], [30.0, 2.5]]), np.array([[1.0, 1.0], [3.0, 0.3]])
    x = np.array([0.3, 0.01])
    for q in ("fisher", "entropy", "mean", "log_partition", "skewness"):
        np.testing.assert_allclose(getattr(gd, q)(theta), getattr(b, q)(theta), rtol=1e-13,
                                   err_msg=q)
    np.testing.assert_allclose(gd.kl(theta, theta_q), b.kl(theta, theta_q), rtol=1e-13)
    np.testing.assert_allclose(gd.log_density(np.stack([x, 1 - x], axis=-1), theta),
                               b.log_density(x, theta), rtol=1e-13)


# -- the derivations' textbook forms ---------------------------------------------------------------


def test_textbook_fishers():
    d = fl.family("inverse_gamma").derive("shape_scale")
    a, b = d.params
    expected = sp.Matrix([[sp.polygamma(1, a), -1 / b], [-1 / b, a / b**2]])
    assert (d.fisher - expected).applyfunc(sp.simplify) == sp.zeros(2, 2)
    d = fl.family("chi", k=5).derive("scale")
    assert sp.simplify(d.fisher[0, 0] - 10 / d.params[0] ** 2) == 0
    d = fl.family("continuous_bernoulli").derive("natural")
    eta = d.params[0]
    var = (1 / eta**2 - sp.exp(eta) / (sp.exp(eta) - 1) ** 2)
    assert abs(sp.N((d.fisher[0, 0] - var).subs(eta, sp.Rational(7, 3)), 40)) < 1e-35
    assert sp.N(d.entropy.subs(eta, 0)) == 0
