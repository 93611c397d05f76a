"""Catalog B: beta, dirichlet(k), inverse_gaussian, von_mises, lognormal, multivariate_normal(d).

Known values, agreement with scipy.stats (log density, entropy, mean), accuracy across each
family's documented numerical range against mpmath at 50 digits (an independent oracle written
here from textbook formulas, not from the derivation), bad dimensions and non-positive-definite
covariances. The generic identities (quadrature Fisher, MLE, pullbacks, KL, autograd) run over
every family in tests/verify/test_identities.py.
"""

import math

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st

import fisherlab as fl
from fisherlab.errors import DomainError

mp.mp.dps = 50
EPS = np.finfo(float).eps


def rel(a, b):
    b = float(b)
    return abs(float(a) - b) / abs(b)


# -- known value ---------------------------------------------------------------------------------


def test_beta_fisher_at_one_one():
    # ψ'(1) = π²/6 and ψ'(2) = π²/6 − 1, so F = [[1, −(π²/6 − 1)], [−(π²/6 − 1), 1]].
    c = math.pi ** 2 / 6 - 1
    F = fl.kernels("beta", "alpha_beta").fisher([1.0, 1.0])
    np.testing.assert_allclose(F, [[1.0, -c], [-c, 1.0]], rtol=1e-14, atol=0)
    assert abs(c - 0.644934066848) < 1e-12


# -- scipy.stats agreement -----------------------------------------------------------------------
#
# (family, dims, parametrization, θ, observations, E[T] from an independent source or None)

def _beta_mean(a, b):
    return [
        mp.quad(lambda x: mp.log(x) * x ** (a - 1) * (1 - x) ** (b - 1), [0, 0.5, 1])
        / mp.beta(a, b),
        mp.quad(lambda x: mp.log(1 - x) * x ** (a - 1) * (1 - x) ** (b - 1), [0, 0.5, 1])
        / mp.beta(a, b),
    ]


CASES = [
    ("beta", {}, "alpha_beta", [2.5, 3.5], np.array([0.05, 0.5, 0.93])),
    ("beta", {}, "mean_precision", [0.3, 7.0], np.array([0.05, 0.5, 0.93])),
    ("beta", {}, "natural", [0.7, 1.9], np.array([0.05, 0.5, 0.93])),
    (
        "dirichlet",
        {"k": 3},
        "alpha",
        [1.5, 2.5, 4.0],
        np.array([[0.2, 0.3, 0.5], [0.01, 0.9, 0.09]]),
    ),
    (
        "dirichlet",
        {"k": 5},
        "alpha",
        [1.5, 2.5, 4.0, 0.7, 3.0],
        np.array([[0.2, 0.3, 0.1, 0.15, 0.25], [0.01, 0.6, 0.09, 0.2, 0.1]]),
    ),
    ("inverse_gaussian", {}, "mean_shape", [1.7, 2.3], np.array([0.1, 1.0, 7.5])),
    ("inverse_gaussian", {}, "natural", [-0.4, -1.1], np.array([0.1, 1.0, 7.5])),
    ("von_mises", {}, "loc_concentration", [0.4, 2.5], np.array([-3.0, 0.1, 1.0, 3.1])),
    ("von_mises", {}, "natural", [-1.2, 0.8], np.array([-3.0, 0.1, 1.0, 3.1])),
    ("lognormal", {}, "mu_sigma", [0.3, 0.8], np.array([0.1, 1.0, 9.0])),
    ("lognormal", {}, "natural", [0.5, -0.7], np.array([0.1, 1.0, 9.0])),
    (
        "multivariate_normal",
        {"d": 2},
        "mean_cov",
        [0.5, -1.0, 2.0, 0.3, 1.5],
        np.array([[0.0, 0.0], [1.0, -2.0], [3.0, 1.0]]),
    ),
    (
        "multivariate_normal",
        {"d": 2},
        "mean_chol",
        [0.5, -1.0, 0.2, 0.3, -0.4],
        np.array([[0.0, 0.0], [1.0, -2.0], [3.0, 1.0]]),
    ),
    (
        "multivariate_normal",
        {"d": 2},
        "natural",
        [0.5, -1.0, -0.8, 0.3, -1.1],
        np.array([[0.0, 0.0], [1.0, -2.0], [3.0, 1.0]]),
    ),
]


def _scipy(fam, param, theta):
    home, make = fam.spec.scipy
    t = fam.convert(np.asarray(theta, dtype=float), param, home)
    return make(st, *t)


def _mean_oracle(name, fam, param, theta):
    """E[T(x)] from scipy's moments or mpmath quadrature: never from the kernels' ∇A."""
    home = fam.spec.scipy[0]
    t = fam.convert(np.asarray(theta, dtype=float), param, home)
    dist = _scipy(fam, param, theta)
    if name == "beta":
        return [float(v) for v in _beta_mean(mp.mpf(t[0]), mp.mpf(t[1]))]
    if name == "dirichlet":
        # The marginal of x_i is Beta(α_i, Σα − α_i).
        total = float(np.sum(t))
        return [float(_beta_mean(mp.mpf(a), mp.mpf(total) - mp.mpf(a))[0]) for a in t]
    if name == "inverse_gaussian":
        m, lam = (mp.mpf(v) for v in t)
        def pdf(x):
            return mp.sqrt(lam / (2 * mp.pi * x**3)) * mp.exp(-lam * (x - m) ** 2 / (2 * m**2 * x))

        return [dist.mean(), float(mp.quad(lambda x: pdf(x) / x, [0, m, mp.inf]))]
    if name == "von_mises":
        # E[(cos x, sin x)] = (I₁(κ)/I₀(κ)) (cos μ, sin μ), by mpmath quadrature of the density.
        loc, kap = (mp.mpf(v) for v in t)
        def w(u):
            return mp.exp(kap * mp.cos(u - loc))
        z = mp.quad(w, [-mp.pi, loc, mp.pi])
        return [float(mp.quad(lambda u: mp.cos(u) * w(u), [-mp.pi, loc, mp.pi]) / z),
                float(mp.quad(lambda u: mp.sin(u) * w(u), [-mp.pi, loc, mp.pi]) / z)]
    if name == "lognormal":
        normal = st.norm(t[0], t[1])
        return [normal.mean(), normal.moment(2)]
    if name == "multivariate_normal":
        d = fam.dims["d"]
        mean = dist.mean
        second = dist.cov + np.outer(mean, mean)
        return list(mean) + [second[i, j] for i in range(d) for j in range(i + 1)]
    raise AssertionError(name)


@pytest.mark.parametrize("name,dims,param,theta,x", CASES,
                         ids=[f"{c[0]}{c[1] or ''}-{c[2]}" for c in CASES])
def test_against_scipy(name, dims, param, theta, x):
    fam = fl.family(name, **dims)
    k = fam.kernels(param)
    dist = _scipy(fam, param, theta)
    expected = np.array([dist.logpdf(xi) for xi in x]) if x.ndim == 2 else dist.logpdf(x)
    np.testing.assert_allclose(k.log_density(x, theta), expected, rtol=1e-12, atol=0)
    if name == "von_mises":
        # scipy's vonmises.entropy integrates numerically (about 1e-10); use its closed form
        # log(2π I₀(κ)) − κ I₁(κ)/I₀(κ) evaluated by mpmath instead.
        kap = mp.mpf(fam.convert(np.asarray(theta, float), param, "loc_concentration")[1])
        ent = float(
            mp.log(2 * mp.pi * mp.besseli(0, kap)) - kap * mp.besseli(1, kap) / mp.besseli(0, kap)
        )
    elif name == "inverse_gaussian":
        # scipy integrates the invgauss entropy numerically; integrate −log p with mpmath.
        m, lam = (mp.mpf(v) for v in fam.convert(np.asarray(theta, float), param, "mean_shape"))
        def logpdf(u):
            return (mp.log(lam / (2 * mp.pi * u ** 3)) / 2 - lam * (u - m) ** 2 / (2 * m ** 2 * u))
        ent = float(mp.quad(lambda u: -mp.exp(logpdf(u)) * logpdf(u), [0, m / 4, m, 4 * m, mp.inf]))
    else:
        ent = float(dist.entropy())
    assert rel(k.entropy(theta), ent) < 1e-12
    np.testing.assert_allclose(k.mean(theta), _mean_oracle(name, fam, param, theta),
                               rtol=1e-12, atol=1e-13)


# -- numerical range against mpmath --------------------------------------------------------------


@pytest.mark.parametrize("a,b", [(1e-3, 1e-3), (1e6, 1e6), (1e-3, 1e6), (1e6, 1e-3), (1.0, 1e6),
                                 (1e3, 2e-3)])
def test_beta_range(a, b):
    # The kernels evaluate A, E[T], the entropy and F as the textbook sums of log Γ and polygamma
    # values. Their rounding error is bounded by a few ulps of the sum of the magnitudes of the
    # terms (each term is accurate to a few ulps); that is the bound asserted, with the
    # conditioning it implies stated in the family's docstring. Fisher entries are checked
    # against the matrix scale, every diagonal entry of ∇²A to a relative 1e-12 where no
    # cancellation happens.
    k = fl.kernels("beta", "alpha_beta")
    th = np.array([a, b])
    A = mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b)
    A_scale = abs(mp.loggamma(a)) + abs(mp.loggamma(b)) + abs(mp.loggamma(a + b))
    m = [mp.psi(0, a) - mp.psi(0, a + b), mp.psi(0, b) - mp.psi(0, a + b)]
    m_scale = [abs(mp.psi(0, a)) + abs(mp.psi(0, a + b)), abs(mp.psi(0, b)) + abs(mp.psi(0, a + b))]
    F = mp.matrix([[mp.psi(1, a) - mp.psi(1, a + b), -mp.psi(1, a + b)],
                   [-mp.psi(1, a + b), mp.psi(1, b) - mp.psi(1, a + b)]])
    H = A - (a - 1) * m[0] - (b - 1) * m[1]
    H_scale = A_scale + abs(a - 1) * m_scale[0] + abs(b - 1) * m_scale[1]
    assert abs(k.log_partition(th) - float(A)) <= 8 * EPS * float(A_scale)
    mean = k.mean(th)
    for i in range(2):
        assert abs(mean[i] - float(m[i])) <= 8 * EPS * float(m_scale[i])
    assert abs(k.entropy(th) - float(H)) <= 16 * EPS * float(H_scale)
    Fk = k.fisher(th)
    assert np.all(np.isfinite(Fk))
    scale = max(abs(float(F[i, j])) for i in range(2) for j in range(2))
    assert (
        max(abs(Fk[i, j] - float(F[i, j])) for i in range(2) for j in range(2)) <= 8 * EPS * scale
    )
    # mean_precision (m, κ) at the same point: the pullback Jᵀ F J of the exact alpha_beta
    # matrix through α = mκ, β = (1 − m)κ, J = [[κ, m], [−κ, 1 − m]], evaluated in mpmath at the
    # float64 (m, κ) the kernel is given. Each entry to a few ulps of the sum of the magnitudes of
    # its terms (F_κκ = m²ψ'(α) + (1 − m)²ψ'(β) − ψ'(κ) cancels to O(1/κ²) at large κ).
    kp = fl.kernels("beta", "mean_precision")
    mf, kf = a / (a + b), a + b
    m_, k_ = mp.mpf(mf), mp.mpf(kf)
    al, be = m_ * k_, (1 - m_) * k_
    t_a, t_b, t_s = mp.psi(1, al), mp.psi(1, be), mp.psi(1, k_)
    Fab = mp.matrix([[t_a - t_s, -t_s], [-t_s, t_b - t_s]])
    Fab_abs = mp.matrix([[t_a + t_s, t_s], [t_s, t_b + t_s]])
    J = mp.matrix([[k_, m_], [-k_, 1 - m_]])
    Jabs = mp.matrix([[abs(J[i, j]) for j in range(2)] for i in range(2)])
    want, bound = J.T * Fab * J, Jabs.T * Fab_abs * Jabs
    Fp = kp.fisher([mf, kf])
    for i in range(2):
        for j in range(2):
            assert abs(Fp[i, j] - want[i, j]) <= 16 * EPS * bound[i, j], (
                i,
                j,
                Fp[i, j],
                want[i, j],
            )
    assert abs(Fp[1, 1] - want[1, 1]) <= 1e-10 * abs(want[1, 1])


@pytest.mark.parametrize("alpha", [(1e-3, 1e-3, 1e-3, 1e-3, 1e-3), (1e6, 1e6, 1e6, 1e6, 1e6),
                                   (1e-3, 1e6, 1.0, 3e2, 2e-2)])
def test_dirichlet_range(alpha):
    k = fl.kernels("dirichlet", "alpha", k=5)
    a = [mp.mpf(v) for v in alpha]
    s = sum(a)
    A = sum(mp.loggamma(v) for v in a) - mp.loggamma(s)
    A_scale = sum(abs(mp.loggamma(v)) for v in a) + abs(mp.loggamma(s))
    assert abs(k.log_partition(np.array(alpha)) - float(A)) <= 8 * EPS * float(A_scale)
    mean = k.mean(np.array(alpha))
    for i, v in enumerate(a):
        assert abs(mean[i] - float(mp.psi(0, v) - mp.psi(0, s))) <= 8 * EPS * float(
            abs(mp.psi(0, v)) + abs(mp.psi(0, s)))
    F = k.fisher(np.array(alpha))
    exact = np.array([[float((mp.psi(1, a[i]) if i == j else 0) - mp.psi(1, s)) for j in range(5)]
                      for i in range(5)])
    assert np.all(np.isfinite(F))
    assert np.max(np.abs(F - exact)) <= 8 * EPS * np.max(np.abs(exact))


@pytest.mark.parametrize("kappa", [1e-3, 0.5, 3.0, 1e2, 1e3, 1e4])
def test_von_mises_range(kappa):
    k = fl.kernels("von_mises", "loc_concentration")
    th = np.array([0.7, kappa])
    kap = mp.mpf(kappa)
    R = mp.besseli(1, kap) / mp.besseli(0, kap)
    logI0 = mp.log(mp.besseli(0, kap))
    assert rel(k.log_partition(th), logI0) < 1e-13
    assert rel(k.entropy(th), mp.log(2 * mp.pi) + logI0 - kap * R) < 1e-12
    F = k.fisher(th)
    assert np.all(np.isfinite(F))
    assert rel(F[0, 0], kap * R) < 1e-13
    assert F[0, 1] == 0 and F[1, 0] == 0
    # Var[cos(x − μ)] = 1 − R/κ − R² ≈ 1/(2κ²) for large κ: exact to a relative 1e-12 all the same.
    assert rel(F[1, 1], 1 - R / kap - R ** 2) < 1e-12
    np.testing.assert_allclose(k.mean(th), [float(R * mp.cos(0.7)), float(R * mp.sin(0.7))],
                               rtol=1e-13, atol=0)
    # The density at its mode and a KL between two concentrated laws stay finite and exact.
    assert rel(k.log_density(np.array(0.7), th), kap - logI0 - mp.log(2 * mp.pi)) < 1e-12
    q = np.array([0.6, 0.5 * kappa])
    kl = (logI0 * 0 + mp.log(mp.besseli(0, kap / 2)) - logI0 + R * (kap - kap / 2 * mp.cos(0.1)))
    assert rel(k.kl(th, q), kl) < 1e-10


@pytest.mark.parametrize(
    "mean,shape", [(1e-3, 1e-3), (1e-3, 1e3), (1e3, 1e-3), (1e3, 1e3), (1.0, 1.0)]
)
def test_inverse_gaussian_range(mean, shape):
    k = fl.kernels("inverse_gaussian", "mean_shape")
    th = np.array([mean, shape])
    m, lam = mp.mpf(mean), mp.mpf(shape)
    # F = diag(λ/μ³, 1/(2λ²)); A = −λ/μ − ½ log λ; H = ½ log(2πeμ³/λ) − (3/2) e^{2λ/μ} E₁(2λ/μ).
    np.testing.assert_allclose(
        k.fisher(th), [[float(lam / m**3), 0.0], [0.0, float(1 / (2 * lam**2))]], rtol=1e-13, atol=0
    )
    assert rel(k.log_partition(th), -lam / m - mp.log(lam) / 2) < 1e-13
    z = 2 * lam / m
    H = mp.log(2 * mp.pi * mp.e * m ** 3 / lam) / 2 - mp.mpf(3) / 2 * mp.exp(z) * mp.e1(z)
    assert rel(k.entropy(th), H) < 1e-12
    np.testing.assert_allclose(k.mean(th), [mean, float(1 / m + 1 / lam)], rtol=1e-13)


@pytest.mark.parametrize(
    "mu,sigma", [(-7.0, 1e-3), (7.0, 10.0), (0.0, 1e-3), (5.0, 1e3), (-1e3, 1e-3), (1e-3, 1.0)]
)
def test_lognormal_range(mu, sigma):
    k = fl.kernels("lognormal", "mu_sigma")
    th = np.array([mu, sigma])
    m, s = mp.mpf(mu), mp.mpf(sigma)
    np.testing.assert_allclose(k.fisher(th), [[float(1 / s ** 2), 0.0], [0.0, float(2 / s ** 2)]],
                               rtol=1e-13, atol=0)
    assert rel(k.entropy(th), m + mp.log(s * mp.sqrt(2 * mp.pi * mp.e))) < 1e-12
    np.testing.assert_allclose(k.mean(th), [mu, float(m ** 2 + s ** 2)], rtol=1e-13)
    x = 2.0  # e^μ itself overflows at the ends of the range
    lp = -(mp.log(mp.mpf(x)) - m) ** 2 / (2 * s ** 2) - mp.log(mp.mpf(x) * s * mp.sqrt(2 * mp.pi))
    assert rel(k.log_density(x, th), lp) < 1e-12


# -- the multivariate normal ---------------------------------------------------------------------


MVN_DIMS = [2, 3]


@pytest.mark.parametrize("d", MVN_DIMS)
def test_mvn_parametrizations_agree(d):
    fam = fl.family("multivariate_normal", d=d)
    rng = np.random.default_rng(7)
    B = rng.normal(size=(d, d))
    sigma = B @ B.T + 0.5 * np.eye(d)
    mean = rng.normal(size=d)
    tri = [(i, j) for i in range(d) for j in range(i + 1)]
    theta_cov = np.concatenate([mean, [sigma[i, j] for i, j in tri]])
    L = np.linalg.cholesky(sigma)
    theta_chol = np.concatenate([mean, [np.log(L[i, j]) if i == j else L[i, j] for i, j in tri]])
    np.testing.assert_allclose(fam.convert(theta_cov, "mean_cov", "mean_chol"), theta_chol,
                               rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fam.convert(theta_chol, "mean_chol", "mean_cov"), theta_cov,
                               rtol=1e-12, atol=1e-13)
    # η = (Λμ, −½Λ_ii, −Λ_ij) so that ⟨η, T(x)⟩ = (Λμ)ᵀx − ½xᵀΛx.
    lam = np.linalg.inv(sigma)
    eta = np.concatenate([lam @ mean, [-lam[i, j] / 2 if i == j else -lam[i, j] for i, j in tri]])
    np.testing.assert_allclose(
        fam.kernels("mean_cov").to_natural(theta_cov), eta, rtol=1e-12, atol=1e-13
    )
    x = rng.normal(size=(4, d))
    expected = st.multivariate_normal(mean, sigma).logpdf(x)
    for param, th in (("mean_cov", theta_cov), ("mean_chol", theta_chol), ("natural", eta)):
        np.testing.assert_allclose(fam.kernels(param).log_density(x, th), expected, rtol=1e-12)
    # The Fisher information of the mean block is Σ⁻¹ (and the mean block is decoupled from Σ).
    F = fam.kernels("mean_cov").fisher(theta_cov)
    np.testing.assert_allclose(F[:d, :d], lam, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(F[:d, d:], 0.0, atol=1e-13)
    # Σ block: F[(ij),(kl)] = ½ tr(Σ⁻¹ ∂_ij Σ Σ⁻¹ ∂_kl Σ), computed here from the definition.
    E = []
    for i, j in tri:
        M = np.zeros((d, d))
        M[i, j] = M[j, i] = 1.0
        E.append(M)
    Fs = np.array([[0.5 * np.trace(lam @ Ea @ lam @ Eb) for Eb in E] for Ea in E])
    np.testing.assert_allclose(F[d:, d:], Fs, rtol=1e-11, atol=1e-13)


def test_mvn_rejects_non_positive_definite():
    k = fl.kernels("multivariate_normal", "mean_cov", d=2)
    with pytest.raises(DomainError, match="positive definite"):
        k.fisher([0.0, 0.0, 1.0, 2.0, 1.0])  # Σ = [[1, 2], [2, 1]], eigenvalues 3 and −1
    with pytest.raises(DomainError, match="cov11"):
        k.fisher([0.0, 0.0, -1.0, 0.0, 1.0])
    nat = fl.kernels("multivariate_normal", "natural", d=2)
    with pytest.raises(DomainError, match="positive definite"):
        nat.log_partition([0.0, 0.0, -0.5, 3.0, -0.5])  # Λ = [[1, −3], [−3, 1]]
    with pytest.raises(DomainError):
        fl.family("multivariate_normal", d=2).sample([0.0, 0.0, 1.0, 2.0, 1.0], "mean_cov", size=3)
    # mean_chol is unconstrained: any real entries give a valid covariance.
    assert np.all(np.isfinite(fl.kernels("multivariate_normal", "mean_chol", d=2).fisher(
        [0.0, 0.0, -3.0, 40.0, 2.0])))


def test_mvn_sample_shape():
    x = fl.family("multivariate_normal", d=2).sample(
        [0.0, 1.0, 2.0, 0.1, 1.0], "mean_cov", size=(4, 5), seed=1)
    assert x.shape == (4, 5, 2)


@pytest.mark.parametrize("name,dims,arg", [
    ("dirichlet", {"k": 1}, "k"), ("dirichlet", {"k": 2.5}, "k"), ("dirichlet", {"k": "3"}, "k"),
    ("dirichlet", {"k": True}, "k"), ("multivariate_normal", {"d": 0}, "d"),
    ("multivariate_normal", {"d": -2}, "d"), ("multivariate_normal", {"d": 1.5}, "d"),
])
def test_bad_dimensions(name, dims, arg):
    with pytest.raises(DomainError, match=rf"\b{arg}\b"):
        fl.family(name, **dims)


def test_dirichlet_observation_must_be_on_simplex():
    k = fl.kernels("dirichlet", "alpha", k=3)
    with pytest.raises(DomainError):
        k.log_density([0.2, 0.2, 0.2], [1.0, 2.0, 3.0])
    from fisherlab.errors import ShapeError

    with pytest.raises(ShapeError):
        k.log_density([0.5, 0.5], [1.0, 2.0, 3.0])
