"""The multivariate normal's compiled kernels, d = 2 and d = 3, against textbook formulas in mpmath.

The generic accuracy test (tests/kernels/test_accuracy.py) compares each kernel with the
element-wise sympy derivation of the declaration at the default d = 2. Here the reference is
independent of any derivation, written from textbook formulas and evaluated at 50 digits:

- log p(x) = −½(d log 2π + log det Σ + (x − μ)ᵀΣ⁻¹(x − μ)); entropy ½ log det(2πeΣ);
  A = ½ μᵀΣ⁻¹μ + ½ log det Σ; E[T] = (μ, μ_iμ_j + Σ_ij);
- KL = ½(tr Σq⁻¹Σp + (μq − μp)ᵀΣq⁻¹(μq − μp) − d + log det Σq − log det Σp);
- the Fisher information Jᵀ Cov(T) J, with Cov(T) from Isserlis' theorem and J = ∂η/∂θ of the
  textbook map η = (Σ⁻¹μ, −½(Σ⁻¹)_ii, −(Σ⁻¹)_ij) by mpmath's numerical differentiation at 50
  digits; the score and the Hessian of log p the same way.

Points are drawn over each parameter's documented test range (seeded, fisherlab.verify's draw). CI
runs two points per (d, parametrization); FISHERLAB_EXHAUSTIVE=1 runs twenty.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st

import fisherlab as fl
from fisherlab.verify.points import draw_points
from tests.conftest import EXHAUSTIVE

#: The Hessian by 50-digit numerical differentiation costs p² derivatives: d ≤ 3 here, larger d
#: in tests/kernels/test_multivariate_normal.py (closed forms, sampled entries).
DIMS = [1, 2, 3]

DPS = 50
TOL = 1e-12
N_POINTS = 20 if EXHAUSTIVE else 2
PARAMS = ("mean_cov", "mean_chol", "natural", "mean_precision")


def _pairs(d):
    return [(i, j) for i in range(d) for j in range(i + 1)]


def _mean_sigma(d, param, theta):
    """(μ, Σ) as mpmath matrices from θ of one parametrization (the textbook definitions)."""
    theta = [mp.mpf(t) for t in theta]
    pairs = _pairs(d)
    if param == "natural":
        lam = mp.matrix(d, d)
        for (i, j), e in zip(pairs, theta[d:]):
            lam[i, j] = lam[j, i] = -2 * e if i == j else -e
        sigma = lam ** -1
        return sigma * mp.matrix(theta[:d]), sigma
    mean = mp.matrix(theta[:d])
    if param == "mean_precision":
        lam = mp.matrix(d, d)
        for (i, j), v in zip(pairs, theta[d:]):
            lam[i, j] = lam[j, i] = v
        return mean, lam ** -1
    if param == "mean_cov":
        sigma = mp.matrix(d, d)
        for (i, j), v in zip(pairs, theta[d:]):
            sigma[i, j] = sigma[j, i] = v
        return mean, sigma
    L = mp.matrix(d, d)
    for (i, j), v in zip(pairs, theta[d:]):
        L[i, j] = mp.exp(v) if i == j else v
    return mean, L * L.T


def _eta(d, param, theta):
    mean, sigma = _mean_sigma(d, param, theta)
    lam = sigma ** -1
    h = lam * mean
    return [h[i] for i in range(d)] + [-lam[i, j] / 2 if i == j else -lam[i, j]
                                       for i, j in _pairs(d)]


def _cov_T(mean, sigma, d):
    """Cov(T) for T = (x_i, then x_i x_j, i ≥ j), by Isserlis' theorem."""
    idx = [(i,) for i in range(d)] + _pairs(d)
    S, m = sigma, mean

    def cov(a, b):
        if len(a) == 1 and len(b) == 1:
            return S[a[0], b[0]]
        if len(a) == 1:
            (i,), (k, q) = a, b
            return m[k] * S[i, q] + m[q] * S[i, k]
        if len(b) == 1:
            return cov(b, a)
        (i, j), (k, q) = a, b
        return (S[i, k] * S[j, q] + S[i, q] * S[j, k] + m[i] * m[k] * S[j, q]
                + m[i] * m[q] * S[j, k] + m[j] * m[k] * S[i, q] + m[j] * m[q] * S[i, k])

    return mp.matrix([[cov(a, b) for b in idx] for a in idx])


def _jacobian(f, theta, n_out):
    """∂f/∂θ (n_out × p) by mpmath's numerical differentiation at the working precision."""
    p = len(theta)
    J = mp.matrix(n_out, p)
    for k in range(p):
        orders = tuple(1 if i == k else 0 for i in range(p))
        for r in range(n_out):
            J[r, k] = mp.diff(lambda *t: f(t)[r], theta, orders)
    return J


def _log_density(d, param, x, theta):
    mean, sigma = _mean_sigma(d, param, theta)
    r = mp.matrix([mp.mpf(v) for v in x]) - mean
    return -(d * mp.log(2 * mp.pi) + mp.log(mp.det(sigma)) + (r.T * sigma ** -1 * r)[0]) / 2


def _kl(d, param, tp, tq):
    mp_, sp_ = _mean_sigma(d, param, tp)
    mq, sq = _mean_sigma(d, param, tq)
    iq = sq ** -1
    r = mq - mp_
    tr = sum((iq * sp_)[i, i] for i in range(d))
    return (tr + (r.T * iq * r)[0] - d + mp.log(mp.det(sq)) - mp.log(mp.det(sp_))) / 2


def _rel(got, exact) -> float:
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    exact = list(exact)
    num = mp.sqrt(mp.fsum((mp.mpf(float(g)) - e) ** 2 for g, e in zip(got, exact)))
    den = mp.sqrt(mp.fsum(e ** 2 for e in exact))
    return float(num / den)


def _flat(M):
    return [M[i, j] for i in range(M.rows) for j in range(M.cols)]


def _points(d, param, n, seed):
    spec = fl.family("multivariate_normal", d=d).spec
    return list(draw_points(spec, param, n, np.random.default_rng(seed)))


@pytest.mark.parametrize("param", PARAMS)
@pytest.mark.parametrize("d", DIMS)
def test_kernels_match_textbook(d, param):
    fam = fl.family("multivariate_normal", d=d)
    k = fam.kernels(param)
    m = d + d * (d + 1) // 2
    rng = np.random.default_rng(100 * d + PARAMS.index(param))
    points = _points(d, param, 2 * N_POINTS, seed=d)
    failures = []
    with mp.workdps(DPS):
        for theta, theta_q in zip(points[::2], points[1::2]):
            mean, sigma = _mean_sigma(d, param, theta)
            x = fam.sample(theta, param, size=(1,), seed=int(rng.integers(2**31)))[0]
            th = [mp.mpf(float(t)) for t in theta]
            J = _jacobian(lambda t: _eta(d, param, t), th, m)
            expected = {
                "fisher": _flat(J.T * _cov_T(mean, sigma, d) * J),
                "log_partition": [((mean.T * sigma ** -1 * mean)[0] + mp.log(mp.det(sigma))) / 2],
                "mean": [mean[i] for i in range(d)] + [mean[i] * mean[j] + sigma[i, j]
                                                       for i, j in _pairs(d)],
                "entropy": [mp.log(mp.det(2 * mp.pi * mp.e * sigma)) / 2],
                "kl": [_kl(d, param, th, [mp.mpf(float(t)) for t in theta_q])],
                "log_density": [_log_density(d, param, x, th)],
                "score": _flat(_jacobian(lambda t: [_log_density(d, param, x, t)], th, 1)),
            }
            p = len(th)
            expected["hessian"] = [
                mp.diff(lambda *t: _log_density(d, param, x, t), th,
                        tuple((i == a) + (i == b) for i in range(p)))
                for a in range(p) for b in range(p)]
            got = {
                "fisher": k.fisher(theta), "log_partition": k.log_partition(theta),
                "mean": k.mean(theta), "entropy": k.entropy(theta), "kl": k.kl(theta, theta_q),
                "log_density": k.log_density(x, theta), "score": k.score(x, theta),
                "hessian": k.hessian(x, theta),
            }
            for q, exact in expected.items():
                err = _rel(got[q], exact)
                if not err <= TOL:
                    failures.append(f"{q}: relative error {err:.3g} at θ={theta.tolist()}")
    assert not failures, f"multivariate_normal d={d} {param}:\n" + "\n".join(failures)


@pytest.mark.parametrize("param", PARAMS)
@pytest.mark.parametrize("d", DIMS)
def test_kl_near_coincidence(d, param):
    """θq = θ(1 + 1e-7): the KL is ~1e-14 of its terms and keeps six digits (the series)."""
    k = fl.kernels("multivariate_normal", param, d=d)
    failures = []
    with mp.workdps(DPS):
        for theta in _points(d, param, N_POINTS, seed=10 + d):
            theta_q = theta * (1 + 1e-7)
            exact = _kl(d, param, [mp.mpf(float(t)) for t in theta],
                        [mp.mpf(float(t)) for t in theta_q])
            err = _rel(k.kl(theta, theta_q), [exact])
            if not err <= 1e-6:
                failures.append(f"relative error {err:.3g} at θ={theta.tolist()}")
    assert not failures, "\n".join(failures)


def test_d3_rejects_non_positive_definite():
    # Every diagonal entry and every 2 × 2 principal minor is positive, but vᵀΣv < 0 for
    # v = (1, −1, −1): only the full 3 × 3 check catches it.
    k = fl.kernels("multivariate_normal", "mean_cov", d=3)
    with pytest.raises(fl.DomainError, match="positive definite"):
        k.fisher([0.0, 0.0, 0.0, 1.0, 0.9, 1.0, 0.9, -0.9, 1.0])
    with pytest.raises(fl.DomainError, match="cov33"):
        k.fisher([0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, -1.0])


#: The identities of fl.verify that apply to a vector family without quadrature; d = 2 runs
#: every identity in tests/verify/test_identities.py.
D3_IDENTITIES = ["fisher_monte_carlo", "roundtrip", "pullback", "kl_invariance", "bregman_kl",
                 "local_kl", "scipy"]


def test_verify_d3():
    """fl.verify at d = 3: the Fisher information and the mean by Monte Carlo within 6 standard
    errors, pullbacks between the three parametrizations, KL invariance, scipy's log-density."""
    report = fl.verify("multivariate_normal", d=3, identities=D3_IDENTITIES,
                       n_points=3 if EXHAUSTIVE else 1)
    assert report.ok, report.table(explain=True)
    assert {r.name for r in report} == set(D3_IDENTITIES)


@pytest.mark.parametrize("param,theta", [
    ("mean_cov", [0.5, -1.0, 0.3, 2.0, 0.3, 1.5, -0.2, 0.1, 1.2]),
    ("mean_chol", [0.5, -1.0, 0.3, 0.2, 0.3, -0.4, 0.1, -0.2, 0.3]),
    ("natural", [0.5, -1.0, 0.2, -0.8, 0.3, -1.1, 0.1, -0.2, -0.9]),
])
def test_d3_against_scipy(param, theta):
    """scipy.stats.multivariate_normal's log-density, entropy and moments at d = 3."""
    fam = fl.family("multivariate_normal", d=3)
    k = fam.kernels(param)
    cov = fam.convert(np.asarray(theta, dtype=float), param, "mean_cov")
    mean, sigma = cov[:3], np.array([[cov[3], cov[4], cov[6]], [cov[4], cov[5], cov[7]],
                                     [cov[6], cov[7], cov[8]]])
    dist = st.multivariate_normal(mean, sigma)
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [3.0, 1.0, -1.5]])
    np.testing.assert_allclose(k.log_density(x, theta), dist.logpdf(x), rtol=1e-12, atol=0)
    assert abs(k.entropy(theta) - dist.entropy()) <= 1e-12 * abs(dist.entropy())
    second = dist.cov + np.outer(dist.mean, dist.mean)
    np.testing.assert_allclose(
        k.mean(theta),
        list(dist.mean) + [second[i, j] for i, j in _pairs(3)],
        rtol=1e-12,
        atol=1e-14,
    )
