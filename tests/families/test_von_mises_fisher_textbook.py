"""The von Mises–Fisher family against independent references.

- 50-digit mpmath (mpmath.besseli) textbook formulas for A = log(Γ(ν + 1)(2/κ)^ν I_ν(κ)),
  log h = −log |S^(d−1)|, the log-density log C_d(κ) + κμᵀx with the normalizer
  C_d(κ) = κ^ν/((2π)^(d/2) I_ν(κ)), the mean A_d(κ)μ, the Fisher information
  (A_d/κ)(I − μμᵀ) + A_d′μμᵀ, the KL divergence log C_d(κ) − log C_d(κ₂) + A_d(κ)(κ − κ₂μᵀμ₂)
  and the entropy −log C_d(κ) − κA_d(κ) (the last three through C_d, not through A and h), at
  d ∈ {2, 3, 5, 10, 50, 1000} and κ ∈ {1e-8, 1e-3, 1, 20.7, 50, 1e4} (and κ = 300 at d = 50 and
  1000, past the Taylor branch there), and at η = 0 exactly;
- d = 2 is the catalog's von Mises family (same η, same A and h);
- d = 3 closed forms in sinh and coth, with no Bessel function;
- scipy.stats.vonmises_fisher's logpdf and entropy;
- the sampler's mean against the exact one within 6 standard errors;
- the structured Fisher information and its solve against the dense matrix at d = 1000;
- the dimension-generic module against the element-wise d = 3 module, and observations off
  the sphere refused.

CI runs the fixed grids above (their ends are the corners of the valid range: κ = 0, 1e-8 and
1e4, d = 2 and 1000) and two seeded interior points per dimension; FISHERLAB_EXHAUSTIVE=1 runs
twenty seeded points (κ log-uniform over the valid range, random directions) per dimension and
per closed-form check.
"""

from __future__ import annotations

import importlib
import math

import mpmath as mp
import numpy as np
import pytest
import scipy.stats

import fisherlab as fl
from fisherlab.errors import SupportError
from fisherlab.kernels import GenericKernels
from tests.conftest import EXHAUSTIVE

DIMS = (2, 3, 5, 10, 50, 1000)
KAPPAS = (1e-8, 1e-3, 1.0, 20.7, 50.0, 300.0, 1e4)
#: The valid range of κ (the family's docstring), sampled log-uniformly by the seeded checks.
KAPPA_RANGE = (1e-8, 1e4)
N_SEEDED = 20 if EXHAUSTIVE else 2


def _direction(d, seed):
    v = np.random.default_rng(seed).standard_normal(d)
    return v / np.linalg.norm(v)


def _seeded_kappas(n, seed, lo=KAPPA_RANGE[0], hi=KAPPA_RANGE[1]):
    """``n`` seeded concentrations, log-uniform over [lo, hi]."""
    u = np.random.default_rng(seed).random(n)
    return np.exp(math.log(lo) + u * (math.log(hi) - math.log(lo)))


def _mp_A(d, kappa):
    """A = log(Γ(ν + 1)(2/κ)^ν I_ν(κ)) (0 at κ = 0, the uniform law)."""
    nu = mp.mpf(d) / 2 - 1
    if kappa == 0:
        return mp.mpf(0)
    k = mp.mpf(kappa)
    return mp.loggamma(nu + 1) + nu * mp.log(2 / k) + mp.log(mp.besseli(nu, k))


def _mp_log_area(d):
    """log |S^(d−1)| = log(2π^(d/2)/Γ(d/2)), so log h = −log |S^(d−1)|."""
    return mp.log(2 * mp.pi ** (mp.mpf(d) / 2) / mp.gamma(mp.mpf(d) / 2))


def _mp_log_normalizer(d, kappa):
    """log C_d(κ) = ν log κ − (d/2) log 2π − log I_ν(κ), the textbook normalizer of
    C_d(κ) e^(κμᵀx) with respect to the surface measure (no A, no h)."""
    nu = mp.mpf(d) / 2 - 1
    k = mp.mpf(kappa)
    return nu * mp.log(k) - mp.mpf(d) / 2 * mp.log(2 * mp.pi) - mp.log(mp.besseli(nu, k))


def _mp_ratio(d, kappa):
    """(A_d(κ), A_d′(κ)) by the textbook formulas."""
    nu = mp.mpf(d) / 2 - 1
    k = mp.mpf(kappa)
    r = mp.besseli(nu + 1, k) / mp.besseli(nu, k)
    return r, 1 - r * r - (d - 1) * r / k


@pytest.fixture(scope="module")
def kernels():
    return {d: fl.family("von_mises_fisher", d=d).kernels("natural") for d in DIMS}


def _check_against_mpmath(k, d, kappa, mu, kappa2, mu2):
    """A, log-density, mean, Fisher, entropy at κμ and the KL to κ₂μ₂ against the 50-digit
    formulas."""
    eta = kappa * mu
    x = np.stack([mu, mu2, -mu])
    with mp.workdps(50):
        A = _mp_A(d, kappa)
        r, dr = _mp_ratio(d, kappa)
        logc, logc2 = _mp_log_normalizer(d, kappa), _mp_log_normalizer(d, kappa2)
        H = -logc - mp.mpf(kappa) * r
        cos = mp.fsum(mp.mpf(a) * mp.mpf(b) for a, b in zip(mu, mu2))
        kl = logc - logc2 + r * (mp.mpf(kappa) - mp.mpf(kappa2) * cos)
        logp = [logc + mp.mpf(kappa) * mp.fsum(mp.mpf(a) * mp.mpf(b) for a, b in zip(mu, xi))
                for xi in x]
    # A is of the size of κ²/(2d) (small κ) to κ (large): relative to itself, no constant
    assert float(k.log_partition(eta)) == pytest.approx(float(A), rel=4e-15)
    # log p = κμᵀx − A − log |S^(d−1)|: terms of size κ and of the log-area, a few ulps of them
    scale = max(1.0, kappa, abs(float(_mp_log_area(d))))
    np.testing.assert_allclose(k.log_density(x, eta), [float(v) for v in logp], rtol=0,
                               atol=4e-15 * scale)
    np.testing.assert_allclose(k.mean(eta), float(r) * mu, rtol=0, atol=4e-15 * float(r))
    F = k.fisher(eta)
    ref = float(r / kappa) * (np.eye(d) - np.outer(mu, mu)) + float(dr) * np.outer(mu, mu)
    # entrywise to a few ulps of the largest entry A_d/κ (along μ the small A_d′ is a sum of
    # terms of that size: see the family's notes)
    assert np.max(np.abs(F - ref)) <= 8e-15 * float(r / kappa)
    # the entropy is Ψ_d + log |S^(d−1)|, both of one sign (≤ 0 and, for d ≥ 7, < 0)
    assert float(k.entropy(eta)) == pytest.approx(float(H), rel=4e-15, abs=4e-15)
    got_kl = float(k.kl(eta, kappa2 * mu2))
    # the KL's terms A(η_q), −Ψ_d(η) and −⟨∇A(η), η_q⟩ are of the size of κ₂ and of the KL
    # itself (A holds no constant of the size of the log-area, and no term holds κA_d(κ)):
    # a few ulps of them
    err = abs(got_kl - float(kl))
    assert err <= 8e-15 * max(1.0, kappa2) + 4e-15 * float(kl), (kappa, kappa2, err)


@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("kappa", KAPPAS)
def test_against_mpmath(kernels, d, kappa):
    # KL to a second point: another direction, κ₂ = 1.3κ + 0.5
    _check_against_mpmath(kernels[d], d, kappa, _direction(d, 7), 1.3 * kappa + 0.5,
                          _direction(d, 11))


@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("i", range(N_SEEDED))
def test_against_mpmath_seeded(kernels, d, i):
    """Seeded interior points: κ and κ₂ log-uniform over the valid range, independent random
    directions (so the KL runs from near-uniform laws to concentrated ones and back)."""
    kappa, kappa2 = _seeded_kappas(2, 1000 * d + i)
    _check_against_mpmath(kernels[d], d, float(kappa), _direction(d, 2000 * d + i),
                          float(kappa2), _direction(d, 3000 * d + i))


@pytest.mark.parametrize("d", DIMS)
def test_uniform_law_at_eta_zero(kernels, d):
    k = kernels[d]
    eta = np.zeros(d)
    with mp.workdps(50):
        area = float(_mp_log_area(d))
    assert float(k.log_partition(eta)) == 0.0
    assert float(k.entropy(eta)) == pytest.approx(area, rel=1e-15)
    x = np.eye(d)[:2]
    fam = fl.family("von_mises_fisher", d=d)
    np.testing.assert_allclose(fam.log_base_measure(x), -area, rtol=1e-15)
    assert float(k.kl(eta, eta)) == 0.0
    np.testing.assert_array_equal(k.mean(eta), np.zeros(d))
    np.testing.assert_allclose(k.fisher(eta), np.eye(d) / d, rtol=1e-15, atol=0)
    np.testing.assert_allclose(k.log_density(x, eta), -area, rtol=1e-15)


@pytest.mark.parametrize("kappa", (1e-3, 0.7, 30.0, 1e4)
                         + tuple(float(v) for v in _seeded_kappas(N_SEEDED, 22, 1e-3, 1e4)))
def test_d2_is_the_von_mises_family(kappa):
    vm = fl.family("von_mises")
    vmf = fl.family("von_mises_fisher", d=2)
    theta = np.array([0.4, kappa])
    eta = vm.kernels("loc_concentration").to_natural(theta)
    eta_q = vm.kernels("loc_concentration").to_natural(np.array([-1.2, 1.7 * kappa]))
    a, b = vm.kernels("natural"), vmf.kernels("natural")
    # the same density, the same A = log I₀(κ) and log h = −log 2π
    assert float(b.log_partition(eta)) == pytest.approx(float(a.log_partition(eta)), rel=1e-14)
    np.testing.assert_allclose(vmf.log_base_measure(np.array([[1.0, 0.0]])), -math.log(2 * math.pi),
                               rtol=1e-15)
    x = np.stack([np.cos([0.1, 2.0, -2.9]), np.sin([0.1, 2.0, -2.9])], -1)
    angles = np.array([0.1, 2.0, -2.9])
    np.testing.assert_allclose(b.log_density(x, eta), a.log_density(angles, eta),
                               rtol=1e-13, atol=1e-13 * kappa)
    np.testing.assert_allclose(b.mean(eta), a.mean(eta), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(b.fisher(eta), a.fisher(eta), rtol=1e-13,
                               atol=1e-14 * np.abs(a.fisher(eta)).max())
    # the von Mises kernel's entropy is a difference of terms of size κ (its stated 1e-12;
    # 2e-13 off mpmath at κ = 1e4, where this family's is within an ulp)
    assert float(b.entropy(eta)) == pytest.approx(float(a.entropy(eta)), rel=1e-12, abs=1e-12)
    assert float(b.kl(eta, eta_q)) == pytest.approx(float(a.kl(eta, eta_q)), rel=1e-12)
    # the (angle, κ) parametrization is the von Mises (loc, κ)
    fa = vm.kernels("loc_concentration").fisher(theta)
    fb = vmf.kernels("angles_concentration").fisher(theta)
    np.testing.assert_allclose(fb, fa, rtol=1e-14, atol=0)


#: (φ₁, φ₂, κ) of the d = 3 closed-form check: a fixed direction at concentrations across the
#: valid range, then seeded points (angles uniform over their test ranges, κ log-uniform over
#: the parametrization's range (1e-3, 1e4) and below, to 1e-6).
D3_POINTS = [(1.1, -0.4, kappa) for kappa in (1e-6, 0.3, 2.0, 40.0, 700.0, 1e4)] + [
    (float(a), float(b), float(c)) for a, b, c in zip(
        np.random.default_rng(33).uniform(0.2, 2.9, N_SEEDED),
        np.random.default_rng(34).uniform(-3.1, 3.1, N_SEEDED),
        _seeded_kappas(N_SEEDED, 35, 1e-6, 1e4))]


@pytest.mark.parametrize(("phi1", "phi2", "kappa"), D3_POINTS)
def test_d3_closed_forms(phi1, phi2, kappa):
    """A = log(sinh κ/κ), log h = −log 4π, A₃ = coth κ − 1/κ, A₃′ = 1/κ² − 1/sinh²κ, the
    entropy log(4π sinh κ/κ) − κA₃, in (angles, κ)."""
    k = fl.family("von_mises_fisher", d=3).kernels("angles_concentration")
    theta = np.array([phi1, phi2, kappa])
    with mp.workdps(50):
        K = mp.mpf(kappa)
        A = mp.log(mp.sinh(K) / K)
        r = mp.coth(K) - 1 / K
        dr = 1 / K**2 - 1 / mp.sinh(K) ** 2
        H = mp.log(4 * mp.pi * mp.sinh(K) / K) - K * r
    assert float(k.log_partition(theta)) == pytest.approx(float(A), rel=4e-15)
    assert float(fl.family("von_mises_fisher", d=3).log_base_measure(np.array([0.0, 0.6, 0.8]))
                 ) == pytest.approx(-math.log(4 * math.pi), rel=1e-15)
    F = k.fisher(theta)
    assert F[2, 2] == pytest.approx(float(dr), rel=4e-15)
    assert F[0, 0] == pytest.approx(float(K * r), rel=4e-15)
    assert F[1, 1] == pytest.approx(float(K * r) * math.sin(phi1) ** 2, rel=4e-15)
    assert F[0, 1] == F[0, 2] == F[1, 2] == 0.0
    assert float(k.entropy(theta)) == pytest.approx(float(H), rel=4e-15, abs=4e-15)
    mu = np.array([math.cos(phi1), math.sin(phi1) * math.cos(phi2),
                   math.sin(phi1) * math.sin(phi2)])
    np.testing.assert_allclose(k.mean(theta), float(r) * mu, rtol=4e-15)


@pytest.mark.parametrize("d", (3, 10))
@pytest.mark.parametrize("kappa", (0.5, 20.0, 900.0))
def test_against_scipy(d, kappa):
    fam = fl.family("von_mises_fisher", d=d)
    k = fam.kernels("natural")
    mu = _direction(d, 3)
    eta = kappa * mu
    dist = scipy.stats.vonmises_fisher(mu, kappa)
    x = dist.rvs(6, random_state=np.random.default_rng(5))
    x = x / np.linalg.norm(x, axis=-1, keepdims=True)
    # log densities are differences of terms of size κ: relative to max(1, κ)
    np.testing.assert_allclose(k.log_density(x, eta), dist.logpdf(x), rtol=0,
                               atol=2e-13 * max(1.0, kappa))
    assert float(k.entropy(eta)) == pytest.approx(float(dist.entropy()), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("d", "kappa"), [(2, 0.5), (3, 0.0), (3, 2.0), (10, 5.0),
                                         (50, 300.0), (3, 1e4)])
def test_sampler_mean_within_six_standard_errors(d, kappa):
    fam = fl.family("von_mises_fisher", d=d)
    k = fam.kernels("natural")
    mu = _direction(d, 19)
    eta = kappa * mu
    n = 200_000
    x = fam.sample(eta, size=n, seed=2026)
    assert x.shape == (n, d)
    np.testing.assert_allclose(np.linalg.norm(x, axis=-1), 1.0, rtol=0, atol=1e-14)
    # Cov(x) = ∇²A exactly: the standard error of each coordinate of the mean
    se = np.sqrt(np.diagonal(k.fisher(eta)) / n)
    z = np.abs(x.mean(axis=0) - k.mean(eta)) / se
    assert z.max() < 6.0, f"coordinate {z.argmax()} off by {z.max():.2f} standard errors"
    # and the variance along μ, A_d′, within 6 of its standard errors (fourth moment from x)
    t = x @ mu
    var = t.var()
    se_var = math.sqrt(((t - t.mean()) ** 4).mean() / n)
    assert abs(var - float(mu @ k.fisher(eta) @ mu)) < 6 * se_var


def test_sampler_is_seeded():
    fam = fl.family("von_mises_fisher", d=4)
    eta = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_array_equal(fam.sample(eta, size=7, seed=3), fam.sample(eta, size=7, seed=3))


def test_structured_fisher_at_d_1000():
    k = fl.family("von_mises_fisher", d=1000).kernels("natural")
    eta = 40.0 * _direction(1000, 23)
    F = k.fisher(eta)
    S = k.fisher(eta, structured=True)
    g = np.random.default_rng(1).standard_normal(1000)
    np.testing.assert_allclose(S.dense(), F, rtol=0, atol=1e-15 * np.abs(F).max())
    np.testing.assert_allclose(F @ k.natural_gradient(eta, g), g, rtol=1e-11, atol=1e-11)


def test_generic_module_matches_the_elementwise_one():
    """At d = 3 the element-wise declaration's module and the symbolic-d module are two
    derivations of the same kernels."""
    generic = importlib.import_module("fisherlab.kernels.von_mises_fisher")
    fam = fl.family("von_mises_fisher", d=3)
    elem = fam.kernels("natural")
    gen = GenericKernels(fam.spec, "natural", vars(generic))
    eta = np.array([[0.3, -1.2, 2.0], [0.0, 0.0, 0.0], [50.0, -20.0, 3.0]])
    x = np.array([0.6, 0.0, 0.8])
    for name in ("log_partition", "mean", "fisher", "entropy", "skewness"):
        np.testing.assert_allclose(getattr(gen, name)(eta), getattr(elem, name)(eta),
                                   rtol=1e-13, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(gen.log_density(x, eta), elem.log_density(x, eta), rtol=1e-13)
    np.testing.assert_allclose(gen.score(x, eta), elem.score(x, eta), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gen.kl(eta, eta[::-1]), elem.kl(eta, eta[::-1]), rtol=1e-12)


@pytest.mark.parametrize("d", (3, 10))
def test_observations_off_the_sphere_are_refused(d):
    k = fl.family("von_mises_fisher", d=d).kernels("natural")
    eta = np.ones(d)
    x = np.zeros(d)
    x[0] = 1.0 + 1e-6
    with pytest.raises(SupportError, match="unit vector"):
        k.log_density(x, eta)
    x[0] = np.nan
    with pytest.raises(SupportError):
        k.score(x, eta)
    x[0] = 1.0 + 1e-13  # within the stated tolerance 1e-10
    assert np.isfinite(k.log_density(x, eta))


def test_angles_exist_for_d_2_and_3_only():
    assert fl.family("von_mises_fisher", d=3).parametrizations == ("natural",
                                                                   "angles_concentration")
    assert fl.family("von_mises_fisher", d=4).parametrizations == ("natural",)
