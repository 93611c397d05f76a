"""The closed-form Fisher–Rao distances of the multivariate normal's subfamilies.

- against the length of a numerically minimized path in the textbook metric (the univariate
  normal's (dμ² + 2dσ²)/σ², its d-dimensional isotropic form, the zero-mean normal's
  ½ tr(Σ⁻¹dΣ Σ⁻¹dΣ)): the constants (√2, √(2d)) are checked, not assumed;
- against facts stated elsewhere: the univariate normal's distance (the ``normal`` family's
  kernel, from its own declaration), the generalized eigenvalues of (Σ₂, Σ₁) from
  scipy.linalg.eigh, the invariances of the affine-invariant metric on SPD matrices (geomstats'
  ``SPDAffineMetric``, of which the zero-mean normal's metric is half: congruence and inversion);
- the same number in every parametrization, 0 at coincidence, and the relative accuracy of
  nearby points against the same closed form at 50 digits;
- the general multivariate normal says it has no closed form (tests/kernels/
  test_multivariate_normal.py::test_errors).
"""

from __future__ import annotations

import autograd.numpy as anp
import mpmath as mp
import numpy as np
import pytest
import scipy.linalg
from autograd import grad
from scipy.optimize import minimize

import fisherlab as fl

DIAG, ISO = "multivariate_normal_diagonal", "multivariate_normal_isotropic"
UNIT, CENT = "multivariate_normal_unit_variance", "multivariate_normal_centered"


# -- numerical geodesics ----------------------------------------------------------------------


def _geodesic_length(start, end, sq_norm, n=24):
    """The length of the shortest path from ``start`` to ``end`` found by minimizing the
    discrete energy n Σ_k |Δ_k|²_{G(midpoint_k)} over the n − 1 interior points, starting
    from the straight line; ``sq_norm(mid, delta)`` is |delta|²_G(mid) for arrays of rows."""
    start, end = np.asarray(start, float), np.asarray(end, float)
    t = np.linspace(0, 1, n + 1)[1:-1, None]
    x0 = (start + t * (end - start)).ravel()
    dim = start.size

    def path(z):
        return anp.concatenate([start[None], anp.reshape(z, (n - 1, dim)), end[None]], 0)

    def energy(z):
        P = path(z)
        return n * anp.sum(sq_norm(0.5 * (P[1:] + P[:-1]), P[1:] - P[:-1]))

    res = minimize(energy, x0, jac=grad(energy), method="L-BFGS-B",
                   options={"maxiter": 20000, "gtol": 1e-12, "ftol": 1e-15})
    P = path(res.x)
    return float(np.sum(np.sqrt(sq_norm(0.5 * (P[1:] + P[:-1]), P[1:] - P[:-1]))))


def _hyperbolic_sq(d_mean):
    """(μ_1..μ_k, log σ): e^{−2 log σ}‖dμ‖² + 2k (d log σ)², the isotropic normal's metric
    (k = d_mean; k = 1 is the univariate normal's (dμ² + 2dσ²)/σ² with σ = e^{log σ})."""
    def sq(mid, delta):
        return (anp.exp(-2 * mid[:, -1]) * anp.sum(delta[:, :-1] ** 2, 1)
                + 2 * d_mean * delta[:, -1] ** 2)
    return sq


# The discrete path's length approaches the geodesic's as O(1/n²) from above: 24 segments leave
# 3e-5 to 2e-4 of it (4e-5 to 1e-5 at 48); the tolerance is 1e-3, and a wrong constant (√2 for
# 2, d for 2d) is off by 10-40 %.
GEO_RTOL = 1e-3


@pytest.mark.parametrize("a,b", [((0.0, 0.0), (1.0, 0.0)), ((-1.0, -0.5), (2.0, 0.7)),
                                 ((0.3, 0.2), (0.3, 1.5))])
def test_univariate_against_numerical_geodesic(a, b):
    """The diagonal variant at d = 1 (μ, log σ)."""
    k = fl.kernels(DIAG, "mean_logstd", d=1)
    num = _geodesic_length(a, b, _hyperbolic_sq(1))
    np.testing.assert_allclose(k.fisher_rao_distance(a, b), num, rtol=GEO_RTOL)


@pytest.mark.parametrize("d", [2, 3])
def test_isotropic_against_numerical_geodesic(d):
    rng = np.random.default_rng(d)
    a = np.r_[rng.uniform(-1, 1, d), -0.3]
    b = np.r_[rng.uniform(-1, 1, d), 0.4]
    num = _geodesic_length(a, b, _hyperbolic_sq(d))
    k = fl.kernels(ISO, "mean_logstd", d=d)
    np.testing.assert_allclose(k.fisher_rao_distance(a, b), num, rtol=GEO_RTOL)


def test_diagonal_against_numerical_geodesic():
    """d = 2: a path in the product of two planes, metric Σ_i e^{−2l_i}dμ_i² + 2dl_i²."""
    def sq(mid, delta):
        return (anp.sum(anp.exp(-2 * mid[:, 2:]) * delta[:, :2] ** 2, 1)
                + 2 * anp.sum(delta[:, 2:] ** 2, 1))
    a, b = np.array([0.0, 0.5, -0.2, 0.3]), np.array([1.2, -0.5, 0.4, -0.1])
    num = _geodesic_length(a, b, sq)
    k = fl.kernels(DIAG, "mean_logstd", d=2)
    np.testing.assert_allclose(k.fisher_rao_distance(a, b), num, rtol=GEO_RTOL)


def test_centered_against_numerical_geodesic():
    """d = 2 in (log L11, L21, log L22), Σ = LLᵀ, metric ½ tr(Σ⁻¹dΣ Σ⁻¹dΣ) with dΣ the
    segment's difference of Σ."""
    def sigma(P):
        l11, l21, l22 = anp.exp(P[:, 0]), P[:, 1], anp.exp(P[:, 2])
        return l11 ** 2, l11 * l21, l21 ** 2 + l22 ** 2  # Σ11, Σ21, Σ22

    def sq(mid, delta):
        # Σ(mid) and dΣ ≈ Σ(mid + δ/2) − Σ(mid − δ/2)
        s11, s21, s22 = sigma(mid)
        u11, u21, u22 = sigma(mid + delta / 2)
        w11, w21, w22 = sigma(mid - delta / 2)
        d11, d21, d22 = u11 - w11, u21 - w21, u22 - w22
        det = s11 * s22 - s21 ** 2
        i11, i21, i22 = s22 / det, -s21 / det, s11 / det
        # X = Σ⁻¹dΣ; tr(X²) = Σ_ij X_ij X_ji
        x11 = i11 * d11 + i21 * d21
        x12 = i11 * d21 + i21 * d22
        x21 = i21 * d11 + i22 * d21
        x22 = i21 * d21 + i22 * d22
        return 0.5 * (x11 ** 2 + 2 * x12 * x21 + x22 ** 2)

    a, b = np.array([0.2, 0.5, -0.3]), np.array([-0.4, -0.8, 0.5])
    num = _geodesic_length(a, b, sq)
    k = fl.kernels(CENT, "chol", d=2)
    np.testing.assert_allclose(k.fisher_rao_distance(a, b), num, rtol=GEO_RTOL)


# -- facts stated elsewhere -------------------------------------------------------------------


def test_univariate_normal_family():
    """The diagonal variant is the product of univariate normals: √(Σ_i δ_i²) with δ_i the
    ``normal`` family's own distance; the isotropic one at d = 1 is the univariate one too."""
    rng = np.random.default_rng(4)
    d = 5
    mu_a, mu_b = rng.uniform(-3, 3, (2, d))
    s_a, s_b = rng.uniform(0.1, 4, (2, d))
    normal = fl.kernels("normal", "mean_std")
    each = normal.fisher_rao_distance(np.stack([mu_a, s_a], -1), np.stack([mu_b, s_b], -1))
    k = fl.kernels(DIAG, "mean_var", d=d)
    np.testing.assert_allclose(k.fisher_rao_distance(np.r_[mu_a, s_a ** 2], np.r_[mu_b, s_b ** 2]),
                               np.sqrt((each ** 2).sum()), rtol=1e-13)
    iso = fl.kernels(ISO, "mean_var", d=1)
    np.testing.assert_allclose(iso.fisher_rao_distance([mu_a[0], s_a[0] ** 2],
                                                       [mu_b[0], s_b[0] ** 2]), each[0],
                               rtol=1e-13)


def _spd(rng, d, cond=10.0):
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    S = (Q * np.geomspace(1, 1 / cond, d)) @ Q.T
    return 0.5 * (S + S.T)


def _vech(S):
    return S[np.tril_indices(S.shape[-1])]


@pytest.mark.parametrize("d", [1, 2, 5])
def test_centered_generalized_eigenvalues_and_invariances(d):
    rng = np.random.default_rng(d)
    S1, S2 = _spd(rng, d), _spd(rng, d, cond=100.0)
    k = fl.kernels(CENT, "cov", d=d)
    lam = scipy.linalg.eigh(S2, S1, eigvals_only=True)
    expected = np.sqrt(0.5 * (np.log(lam) ** 2).sum())
    got = k.fisher_rao_distance(_vech(S1), _vech(S2))
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    # congruence Σ ↦ AΣAᵀ and inversion Σ ↦ Σ⁻¹ leave it unchanged
    A = rng.normal(size=(d, d)) + 2 * np.eye(d)
    np.testing.assert_allclose(k.fisher_rao_distance(_vech(A @ S1 @ A.T), _vech(A @ S2 @ A.T)),
                               got, rtol=1e-10)
    np.testing.assert_allclose(k.fisher_rao_distance(_vech(np.linalg.inv(S1)),
                                                     _vech(np.linalg.inv(S2))), got, rtol=1e-11)
    if d == 1:  # σ₁², σ₂²: √2 |log σ₂/σ₁|
        np.testing.assert_allclose(got, np.sqrt(2) * abs(np.log(np.sqrt(S2[0, 0] / S1[0, 0]))),
                                   rtol=1e-13)


def test_unit_variance_is_mahalanobis():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 4)) * 1e3
    k = fl.kernels(UNIT, "mean", d=4)
    np.testing.assert_allclose(k.fisher_rao_distance(a, b), scipy.spatial.distance.mahalanobis(
        a, b, np.eye(4)), rtol=1e-14)


# -- every parametrization, coincidence, nearby points -----------------------------------------


def _points(name, d, seed):
    fam = fl.family(name, d=d)
    home = fam.parametrizations[1]
    rng = np.random.default_rng(seed)
    th = np.array([[rng.uniform(*p.test_range) for p in fam.spec.parametrization(home).params]
                   for _ in range(2)])
    return fam, home, th


@pytest.mark.parametrize("name", [DIAG, ISO, UNIT, CENT])
def test_same_in_every_parametrization(name):
    d = 3
    fam, home, th = _points(name, d, 0)
    ref = fam.kernels(home).fisher_rao_distance(th[0], th[1])
    assert ref > 0.1
    for pz in fam.parametrizations:
        t = fam.convert(th, home, pz)
        k = fam.kernels(pz)
        np.testing.assert_allclose(k.fisher_rao_distance(t[0], t[1]), ref, rtol=1e-12)
        np.testing.assert_allclose(k.fisher_rao_distance(t[1], t[0]), ref, rtol=1e-12)
        assert k.fisher_rao_distance(t[0], t[0]) == 0.0


def _mp_distance(name, d, mu_a, S_a, mu_b, S_b):
    """The closed forms at 50 digits from (μ, Σ) given as mpmath numbers."""
    if name == CENT:
        C = mp.cholesky(S_a)
        Ci = C ** -1
        ev, _ = mp.eigsy(Ci * S_b * Ci.T)
        return mp.sqrt(sum(mp.log(e) ** 2 for e in ev) / 2)
    dmu = [mu_a[i] - mu_b[i] for i in range(d)]
    if name == DIAG:
        total = 0
        for i in range(d):
            sa, sb = mp.sqrt(S_a[i, i]), mp.sqrt(S_b[i, i])
            total += 2 * mp.acosh(1 + (dmu[i] ** 2 / 2 + (sa - sb) ** 2) / (2 * sa * sb)) ** 2
        return mp.sqrt(total)
    sa, sb = mp.sqrt(S_a[0, 0]), mp.sqrt(S_b[0, 0])
    z = (sum(v ** 2 for v in dmu) / (2 * d) + (sa - sb) ** 2) / (2 * sa * sb)
    return mp.sqrt(2 * d) * mp.acosh(1 + z)


@pytest.mark.parametrize("name", [DIAG, ISO, CENT])
@pytest.mark.parametrize("gap", [1e-9, 1e-4, 1.0])
def test_nearby_points_keep_their_digits(name, gap):
    """θ_b = θ_a + gap·v in each parametrization: relative error ≤ 1e-10 against the closed
    form at 50 digits, evaluated at the same two float points (arccosh(1 + u) alone would
    lose half the digits at gap 1e-9)."""
    from tests.families.test_multivariate_normal_variants_textbook import _mu_sigma

    d = 3
    fam, home, th = _points(name, d, 1)
    v = np.random.default_rng(9).uniform(-1, 1, th.shape[-1])
    for pz in fam.parametrizations:
        a = fam.convert(th[0], home, pz)
        b = a + gap * v * np.abs(a).clip(0.1)
        got = fam.kernels(pz).fisher_rao_distance(a, b)
        with mp.workdps(50):
            ma, Sa = _mu_sigma(name, pz, d, [mp.mpf(float(t)) for t in a])
            mb, Sb = _mu_sigma(name, pz, d, [mp.mpf(float(t)) for t in b])
            exact = _mp_distance(name, d, ma, Sa, mb, Sb)
        assert abs(got - exact) <= 1e-10 * exact, (pz, got, exact)


@pytest.mark.parametrize("name", [DIAG, ISO, UNIT, CENT])
def test_local_form_is_the_fisher_information(name):
    """d(θ, θ + δ)² = δᵀF(θ)δ (1 + O(|δ|)), F the kernels' Fisher information (itself checked
    against 50-digit textbook formulas): at |δ| ~ 1e-6 the relative gap is ≤ 1e-4."""
    d = 3
    fam, home, th = _points(name, d, 2)
    v = np.random.default_rng(3).uniform(-1, 1, th.shape[-1])
    for pz in fam.parametrizations:
        k = fam.kernels(pz)
        a = fam.convert(th[0], home, pz)
        delta = 1e-6 * v * np.abs(a).clip(0.1)
        quad = delta @ k.fisher(a) @ delta
        np.testing.assert_allclose(k.fisher_rao_distance(a, a + delta) ** 2, quad, rtol=1e-4)


def test_errors():
    k = fl.kernels(CENT, "cov", d=2)
    with pytest.raises(fl.DomainError, match="positive definite"):
        k.fisher_rao_distance([1, 2, 1], [1, 0, 1])
    with pytest.raises(fl.ShapeError):
        fl.kernels(DIAG, "mean_var", d=2).fisher_rao_distance([0, 0, 1, 1], [0, 0, 1])
