"""The multivariate normal's subfamilies (diagonal, isotropic, unit covariance, zero mean)
against 50-digit mpmath textbook formulas at d = 1, 2, 5, and against the full family.

The oracle is written from the textbook, not from the derivation: each parametrization's map
θ ↦ (μ, Σ) in mpmath; then for N(μ, Σ)

- log p(x) = −½(d log 2π + log det Σ + (x − μ)ᵀΣ⁻¹(x − μ));
- A = ½ μᵀΣ⁻¹μ + ½ log det Σ (the same number in each subfamily's natural coordinates);
- E[T]: (μ, μ_i² + Σ_ii) diagonal, (μ, ‖μ‖² + tr Σ) isotropic, μ unit, Σ_ij centered;
- the Fisher information F_ab = ∂_aμᵀΣ⁻¹∂_bμ + ½ tr(Σ⁻¹∂_aΣ Σ⁻¹∂_bΣ) (Kay, *Fundamentals of
  Statistical Signal Processing* I, eq. 3.31), with ∂μ, ∂Σ by 50-digit central differences of
  the map;
- KL = ½(tr Σ_q⁻¹Σ_p + δᵀΣ_q⁻¹δ − d + log det Σ_q − log det Σ_p); entropy ½ log det(2πeΣ);
- the score, by 50-digit central differences of log p; the natural gradient F⁻¹g.

The second half checks that each subfamily *is* the full family restricted: its KL, entropy,
log-density equal those of ``multivariate_normal`` at the matrices built here from (μ, Σ), and
its Fisher information is the full one's pullback by the embedding written out here.

CI runs one seeded pair of points per (subfamily, parametrization, d) and, at d = 1 and 2, the
corners of the test ranges (see tests/conftest.py); FISHERLAB_EXHAUSTIVE=1 runs twenty seeded
interior points per case and the corners at every d, against the textbook and against the full
family.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import fisherlab as fl
from tests.conftest import EXHAUSTIVE, corner_points, sample_points

DPS = 50
#: Interior points per case of the sampled tests (each also takes the corners of the ranges).
N_INTERIOR = 20 if EXHAUSTIVE else 0
#: The dimensions whose corners CI checks (d = 5's up to 17 corners cost seconds each in mpmath).
CI_CORNER_DIMS = (1, 2)
VARIANTS = {
    "multivariate_normal_diagonal": ("natural", "mean_var", "mean_precision", "mean_logstd"),
    "multivariate_normal_isotropic": ("natural", "mean_var", "mean_precision", "mean_logstd"),
    "multivariate_normal_unit_variance": ("natural", "mean"),
    "multivariate_normal_centered": ("natural", "cov", "precision", "chol"),
}
CASES = [(n, pz, d) for n, pzs in VARIANTS.items() for pz in pzs for d in (1, 2, 5)]


def _pairs(d):
    return [(i, j) for i in range(d) for j in range(i + 1)]


def _sym(d, v):
    M = mp.matrix(d, d)
    for (i, j), t in zip(_pairs(d), v):
        M[i, j] = M[j, i] = t
    return M


def _mu_sigma(name, pz, d, t):
    """The textbook map θ ↦ (μ (d × 1), Σ (d × d)) in mpmath."""
    if name == "multivariate_normal_unit_variance":
        return mp.matrix(t), mp.eye(d)
    if name == "multivariate_normal_centered":
        if pz == "cov":
            S = _sym(d, t)
        elif pz == "precision":
            S = _sym(d, t) ** -1
        elif pz == "natural":
            S = _sym(d, [-2 * v if i == j else -v for (i, j), v in zip(_pairs(d), t)]) ** -1
        else:
            L = mp.matrix(d, d)
            for (i, j), v in zip(_pairs(d), t):
                L[i, j] = mp.exp(v) if i == j else v
            S = L * L.T
        return mp.matrix(d, 1), S
    scale = t[d:] if name == "multivariate_normal_diagonal" else [t[d]] * d
    var = {"mean_var": lambda s: s, "mean_precision": lambda s: 1 / s,
           "mean_logstd": lambda s: mp.exp(2 * s), "natural": lambda s: -1 / (2 * s)}[pz]
    S = mp.diag([var(s) for s in scale])
    mu = [t[i] * S[i, i] for i in range(d)] if pz == "natural" else list(t[:d])
    return mp.matrix(mu), S


def _log_density(name, pz, d, x, t):
    mu, S = _mu_sigma(name, pz, d, t)
    r = mp.matrix(x) - mu
    return -(d * mp.log(2 * mp.pi) + mp.log(mp.det(S)) + (r.T * S ** -1 * r)[0]) / 2


def _log_partition(name, pz, d, t):
    mu, S = _mu_sigma(name, pz, d, t)
    return ((mu.T * S ** -1 * mu)[0] + mp.log(mp.det(S))) / 2


def _mean(name, pz, d, t):
    mu, S = _mu_sigma(name, pz, d, t)
    if name == "multivariate_normal_unit_variance":
        return list(mu)
    if name == "multivariate_normal_centered":
        return [S[i, j] for i, j in _pairs(d)]
    if name == "multivariate_normal_diagonal":
        return list(mu) + [mu[i] ** 2 + S[i, i] for i in range(d)]
    return list(mu) + [sum(mu[i] ** 2 + S[i, i] for i in range(d))]


def _kl(name, pz, d, tp, tq):
    mp_, Sp = _mu_sigma(name, pz, d, tp)
    mq, Sq = _mu_sigma(name, pz, d, tq)
    Sqi = Sq ** -1
    dl = mq - mp_
    return (sum((Sqi * Sp)[i, i] for i in range(d)) + (dl.T * Sqi * dl)[0] - d
            + mp.log(mp.det(Sq)) - mp.log(mp.det(Sp))) / 2


def _diff(f, t, a, h=mp.mpf("1e-20")):
    """∂f/∂θ_a by a central difference at 50 digits (error ~h² ≈ 1e-40)."""
    up, dn = list(t), list(t)
    up[a] += h
    dn[a] -= h
    return (f(up) - f(dn)) / (2 * h)


def _fisher(name, pz, d, t):
    p = len(t)
    _, S = _mu_sigma(name, pz, d, t)
    Si = S ** -1
    dmu = [_diff(lambda u: _mu_sigma(name, pz, d, u)[0], t, a) for a in range(p)]
    dS = [_diff(lambda u: _mu_sigma(name, pz, d, u)[1], t, a) for a in range(p)]
    F = mp.matrix(p, p)
    for a in range(p):
        for b in range(p):
            P = Si * dS[a] * Si * dS[b]
            F[a, b] = (dmu[a].T * Si * dmu[b])[0] + sum(P[i, i] for i in range(d)) / 2
    return F


def _point(fam, pz, seed):
    rng = np.random.default_rng(seed)
    return np.array([rng.uniform(*p.test_range) for p in fam.spec.parametrization(pz).params])


def _mp(v):
    return [mp.mpf(float(x)) for x in np.ravel(v)]


def _rel(got, exact):
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    exact = list(exact)
    assert len(got) == len(exact)
    num = mp.sqrt(mp.fsum((mp.mpf(float(g)) - e) ** 2 for g, e in zip(got, exact)))
    den = mp.sqrt(mp.fsum(e ** 2 for e in exact))
    return float(num / den)


#: The absolute floor of the scalar log-quantities, in units of ε times the sum of their terms'
#: magnitudes (see :func:`_close`).
FLOOR_ULPS = 8


def _close(got, exact, terms):
    """A log-quantity (log p, A, entropy: sums of logarithms and quadratic forms) to 1e-12
    relative, or, near its zeros, to FLOOR_ULPS ulps of ``terms``, the sum of its terms'
    magnitudes: a float64 log det formed from a Cholesky factor is off by ~ε per eigenvalue's
    log whatever its sum (A = ½ log det Σ is exactly 0 at the ``chol`` corner log L₁₁ = −1,
    log L₂₂ = 1; at Λ = 1 + 2ε, √Λ rounds to 1)."""
    err = abs(mp.mpf(float(np.asarray(got).reshape(-1)[0])) - exact)
    return err <= 1e-12 * abs(exact) or err <= FLOOR_ULPS * np.finfo(float).eps * terms


def _check_textbook(name, param, d, k, th, tq, x, g):
    """log p, A, E[T], score, Fisher, natural gradient, KL and entropy at 1e-12 relative (the
    scalar log-quantities near their zeros: see :func:`_close`)."""
    with mp.workdps(DPS):
        t, u = _mp(th), _mp(tq)
        mu, S = _mu_sigma(name, param, d, t)
        at = f"at θ={th.tolist()}"
        eig = mp.eigsy(S, eigvals_only=True)
        log_eig = mp.fsum(abs(mp.log(v)) for v in eig) / 2
        quad = (mu.T * S ** -1 * mu)[0] / 2
        r = mp.matrix(_mp(x)) - mu
        assert _close(k.log_density(x, th), _log_density(name, param, d, _mp(x), t),
                      1 + log_eig + (r.T * S ** -1 * r)[0] / 2 + d * mp.log(2 * mp.pi) / 2), (
            f"log_density {at}, x={x.tolist()}")
        assert _close(k.log_partition(th), _log_partition(name, param, d, t),
                      1 + log_eig + quad), f"log_partition {at}"
        assert _rel(k.mean(th), _mean(name, param, d, t)) < 1e-12, f"mean {at}"
        score = [_diff(lambda v: _log_density(name, param, d, _mp(x), v), t, a)
                 for a in range(len(t))]
        assert _rel(k.score(x, th), score) < 1e-12, f"score {at}, x={x.tolist()}"
        F = _fisher(name, param, d, t)
        assert _rel(k.fisher(th), list(F)) < 1e-12, f"fisher {at}"
        assert _rel(k.natural_gradient(th, g),
                    list(mp.lu_solve(F, mp.matrix(_mp(g))))) < 1e-11, f"natural_gradient {at}"
        assert _rel([k.kl(th, tq)], [_kl(name, param, d, t, u)]) < 1e-12, (
            f"kl {at}, θq={tq.tolist()}")
        assert _close(k.entropy(th), mp.log(mp.det(2 * mp.pi * mp.e * S)) / 2,
                      1 + mp.fsum(abs(mp.log(2 * mp.pi * mp.e * v)) for v in eig) / 2), (
            f"entropy {at}")


@pytest.mark.parametrize("name,param,d", CASES)
def test_textbook(name, param, d):
    fam = fl.family(name, d=d)
    th, tq = _point(fam, param, 10 * d), _point(fam, param, 10 * d + 1)
    x = np.random.default_rng(d).normal(size=d)
    g = np.random.default_rng(d + 7).normal(size=len(th))
    _check_textbook(name, param, d, fam.kernels(param), th, tq, x, g)


def _sampled(fam, param, d):
    """Seeded interior points and the corners of the test ranges (conftest.sample_points), each
    paired with the next (the last with the first) as θq; CI: the corners at small d only."""
    if not EXHAUSTIVE and d not in CI_CORNER_DIMS:
        return np.empty((0, len(fam.spec.parametrization(param).params)))
    if not N_INTERIOR:
        return corner_points(fam, param)
    return sample_points(fam, param, N_INTERIOR, stream="variants-textbook")


@pytest.mark.parametrize("name,param,d", CASES)
def test_textbook_sampled(name, param, d):
    fam = fl.family(name, d=d)
    k = fam.kernels(param)
    pts = _sampled(fam, param, d)
    rng = np.random.default_rng(d + 100)
    for th, tq in zip(pts, np.roll(pts, -1, axis=0)):
        # an observation a few standard deviations out, in a random direction
        x = rng.normal(size=d) * 3
        g = rng.normal(size=len(th))
        _check_textbook(name, param, d, k, th, tq, x, g)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_diagonal_structure(name):
    """Outside natural coordinates the diagonal variant's Fisher information is exactly
    diagonal, the isotropic one's exactly zero between μ and the scale, the unit one the
    identity; in natural coordinates the diagonal variant's couples μ_i with σ_i only."""
    d = 4
    fam = fl.family(name, d=d)
    for param in VARIANTS[name]:
        F = fam.kernels(param).fisher(_point(fam, param, 3))
        if name == "multivariate_normal_unit_variance":
            np.testing.assert_array_equal(F, np.eye(d))
        elif name == "multivariate_normal_diagonal":
            blocks = np.eye(2 * d) + np.eye(2 * d, k=d) + np.eye(2 * d, k=-d)
            allowed = np.eye(2 * d) if param != "natural" else blocks
            assert (F[allowed == 0] == 0).all() and (np.diagonal(F) > 0).all()
        elif name == "multivariate_normal_isotropic" and param != "natural":
            off = F.copy()
            off[np.diag_indices(d + 1)] = 0
            assert (off == 0).all()


# -- each subfamily is the full family restricted -------------------------------------------------


def _full_theta(name, param, d, th):
    """(μ, Σ) of a subfamily point as the full family's mean_cov θ, built here in numpy."""
    with mp.workdps(30):
        mu, S = _mu_sigma(name, param, d, _mp(th))
        mu = [float(v) for v in mu]
        tri = [float(S[i, j]) for i, j in _pairs(d)]
    return np.array(mu + tri)


@pytest.mark.parametrize("name,param,d", [c for c in CASES if c[2] in (2, 5)])
def test_equals_full_family_restricted(name, param, d):
    fam = fl.family(name, d=d)
    pts = [_point(fam, param, 5), _point(fam, param, 6)]
    if EXHAUSTIVE:
        pts += list(sample_points(fam, param, N_INTERIOR, stream="variants-restricted"))
    for th, tq in zip(pts, pts[1:] + pts[:1]):
        _check_restricted(name, param, d, fam, th, tq)


def _check_restricted(name, param, d, fam, th, tq):
    full = fl.family("multivariate_normal", d=d).kernels("mean_cov")
    k = fam.kernels(param)
    fp, fq = _full_theta(name, param, d, th), _full_theta(name, param, d, tq)
    x = np.random.default_rng(2).normal(size=d)
    np.testing.assert_allclose(k.kl(th, tq), full.kl(fp, fq), rtol=1e-12)
    np.testing.assert_allclose(k.entropy(th), full.entropy(fp), rtol=1e-12)
    np.testing.assert_allclose(k.log_density(x, th), full.log_density(x, fp), rtol=1e-12)
    # the Fisher information is the full one's pullback Jᵀ F J, J = ∂θ_full/∂θ by differences
    h = 1e-6
    J = np.stack([(_full_theta(name, param, d, th + h * e)
                   - _full_theta(name, param, d, th - h * e)) / (2 * h)
                  for e in np.eye(len(th))], -1)
    np.testing.assert_allclose(k.fisher(th), J.T @ full.fisher(fp) @ J, rtol=1e-7,
                               atol=1e-7 * np.abs(k.fisher(th)).max())


def test_errors_name_the_subfamily_parameter():
    k = fl.kernels("multivariate_normal_diagonal", "mean_var", d=3)
    with pytest.raises(fl.DomainError, match="var2"):
        k.fisher([0, 0, 0, 1, -1, 1])
    with pytest.raises(fl.ShapeError):
        k.fisher(np.zeros(5))
    c = fl.kernels("multivariate_normal_centered", "cov", d=2)
    with pytest.raises(fl.DomainError, match="positive definite"):
        c.kl([1, 2, 1], [1, 0, 1])
    with pytest.raises(fl.SupportError):
        fl.kernels("multivariate_normal_isotropic", "mean_var", d=2).log_density(
            [np.nan, 0], [0, 0, 1])
