"""The Wishart and inverse Wishart kernels, d = 1, 2, 3, 5, against textbook formulas in mpmath.

The references are written from the textbooks, not from the declarations, and evaluated at 50
digits:

- Wishart W(V, n) (Bishop, "Pattern Recognition and Machine Learning", 2006, (B.78)–(B.82)):
  log p(X) = ((n − d − 1)/2) log det X − ½ tr(V⁻¹X) − log Z, with
  log Z = (nd/2) log 2 + (n/2) log det V + log Γ_d(n/2) (which is A, since h = 1);
  E[X] = nV, E[log det X] = Σ_i ψ((n + 1 − i)/2) + d log 2 + log det V; the entropy (B.82);
  KL(p ‖ q) = (n_q/2) log det(V_q V_p⁻¹) + (n_p/2)(tr(V_q⁻¹V_p) − d)
  + log Γ_d(n_q/2) − log Γ_d(n_p/2) + ((n_p − n_q)/2) ψ_d(n_p/2) (Wikipedia, "Wishart
  distribution", KL-divergence section);
- inverse Wishart W⁻¹(Ψ, ν) (Gelman et al., "Bayesian Data Analysis", 2013, Table A.1):
  log p(X) = (ν/2) log det Ψ − ((ν + d + 1)/2) log det X − ½ tr(ΨX⁻¹) − (νd/2) log 2 − log Γ_d(ν/2);
  X⁻¹ ~ W(Ψ⁻¹, ν), so E[X⁻¹] = νΨ⁻¹, E[log det X] = −E[log det X⁻¹], and the KL equals the
  Wisharts' KL at the inverted scales (KL is invariant under the bijection X ↦ X⁻¹);
- the Fisher information in natural coordinates as the Hessian of the textbook log Z written in
  η (mpmath's numerical differentiation at 50 digits), and in (n, V) as Jᵀ F J with J = ∂η/∂θ
  of the textbook map, differentiated the same way.

Points: each parameter's documented test range (seeded, fisherlab.verify's draw). The kernels
are the matrix-form ones, the same module for every d.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st

import fisherlab as fl
from fisherlab.verify.points import draw_points

DIMS = [1, 2, 3, 5]
DPS = 50
TOL = 1e-12


def _pairs(d):
    return [(i, j) for i in range(d) for j in range(i + 1)]


def _sym(d, entries):
    M = mp.matrix(d, d)
    for (i, j), v in zip(_pairs(d), entries):
        M[i, j] = M[j, i] = mp.mpf(v)
    return M


def _vech(M):
    return [M[i, j] for i, j in _pairs(M.rows)]


def _log_multigamma(a, d):
    return d * (d - 1) / mp.mpf(4) * mp.log(mp.pi) + mp.fsum(
        mp.loggamma(a - mp.mpf(j) / 2) for j in range(d))


def _multi_digamma(a, d):
    return mp.fsum(mp.digamma(a - mp.mpf(j) / 2) for j in range(d))


def _tr(M):
    return mp.fsum(M[i, i] for i in range(M.rows))


# -- Wishart, textbook


def w_log_z(n, V):
    d = V.rows
    return n * d / 2 * mp.log(2) + n / 2 * mp.log(mp.det(V)) + _log_multigamma(n / 2, d)


def w_log_pdf(X, n, V):
    d = V.rows
    return ((n - d - 1) / 2 * mp.log(mp.det(X)) - _tr(V ** -1 * X) / 2 - w_log_z(n, V))


def w_mean(n, V):
    d = V.rows
    return [n * v for v in _vech(V)] + [_multi_digamma(n / 2, d) + d * mp.log(2)
                                        + mp.log(mp.det(V))]


def w_entropy(n, V):
    d = V.rows
    e_logdet = w_mean(n, V)[-1]
    return w_log_z(n, V) - (n - d - 1) / 2 * e_logdet + n * d / 2


def w_kl(n_p, Vp, n_q, Vq):
    d = Vp.rows
    return (n_q / 2 * mp.log(mp.det(Vq * Vp ** -1)) + n_p / 2 * (_tr(Vq ** -1 * Vp) - d)
            + _log_multigamma(n_q / 2, d) - _log_multigamma(n_p / 2, d)
            + (n_p - n_q) / 2 * _multi_digamma(n_p / 2, d))


def w_natural(n, V):
    d = V.rows
    P = V ** -1
    return [-P[i, j] / 2 if i == j else -P[i, j] for i, j in _pairs(d)] + [(n - d - 1) / 2]


def w_log_z_of_eta(eta, d):
    P = _sym(d, [-2 * e if i == j else -e for (i, j), e in zip(_pairs(d), eta[:-1])])
    n = 2 * eta[-1] + d + 1
    return w_log_z(n, P ** -1)


# -- inverse Wishart, textbook


def iw_log_pdf(X, nu, Psi):
    d = Psi.rows
    return (nu / 2 * mp.log(mp.det(Psi)) - (nu + d + 1) / 2 * mp.log(mp.det(X))
            - _tr(Psi * X ** -1) / 2 - nu * d / 2 * mp.log(2) - _log_multigamma(nu / 2, d))


def iw_log_z(nu, Psi):
    d = Psi.rows
    return nu * d / 2 * mp.log(2) - nu / 2 * mp.log(mp.det(Psi)) + _log_multigamma(nu / 2, d)


def iw_mean(nu, Psi):
    m = w_mean(nu, Psi ** -1)
    return m[:-1] + [-m[-1]]


def iw_natural(nu, Psi):
    d = Psi.rows
    return ([-Psi[i, j] / 2 if i == j else -Psi[i, j] for i, j in _pairs(d)]
            + [-(nu + d + 1) / 2])


def iw_log_z_of_eta(eta, d):
    Psi = _sym(d, [-2 * e if i == j else -e for (i, j), e in zip(_pairs(d), eta[:-1])])
    return iw_log_z(-2 * eta[-1] - d - 1, Psi)


CASES = {"wishart": (w_log_z, w_log_pdf, w_mean, w_natural, w_log_z_of_eta),
         "inverse_wishart": (iw_log_z, iw_log_pdf, iw_mean, iw_natural, iw_log_z_of_eta)}


def _rel(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray([float(v) for v in np.ravel(b)]).reshape(
        np.shape(a))
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b))))


def _hessian(f, x):
    """The Hessian of f at x by mpmath's numerical differentiation (at the working precision)."""
    p = len(x)
    H = mp.matrix(p, p)
    for a in range(p):
        for b in range(a, p):
            order = [0] * p
            order[a] += 1
            order[b] += 1
            H[a, b] = H[b, a] = mp.diff(lambda *v: f(list(v)), x, tuple(order))
    return H


@pytest.fixture(scope="module", params=[(name, d) for name in CASES for d in DIMS],
                ids=lambda c: f"{c[0]}-d{c[1]}")
def case(request):
    name, d = request.param
    fam = fl.family(name, d=d)
    theta = draw_points(fam.spec, "df_scale", 2, np.random.default_rng(11 + d))
    return name, d, fam, theta


def test_log_partition_log_density_mean_entropy(case):
    name, d, fam, theta = case
    log_z, log_pdf, mean, _, _ = CASES[name]
    k = fam.kernels("df_scale")
    rng = np.random.default_rng(3)
    with mp.workdps(DPS):
        for th in theta:
            n, S = mp.mpf(th[0]), _sym(d, th[1:])
            assert _rel(k.log_partition(th), [log_z(n, S)]) < TOL
            assert _rel(k.mean(th), mean(n, S)) < TOL
            x = fam.sample(th, "df_scale", size=4, seed=rng)
            ref = [log_pdf(_sym(d, xi), n, S) for xi in x]
            assert _rel(k.log_density(x, th), ref) < TOL
            if name == "wishart":
                assert _rel(k.entropy(th), [w_entropy(n, S)]) < TOL


def test_kl(case):
    name, d, fam, theta = case
    k = fam.kernels("df_scale")
    with mp.workdps(DPS):
        for tp, tq in zip(theta, theta[::-1] + 0.0):
            np_, Sp, nq, Sq = mp.mpf(tp[0]), _sym(d, tp[1:]), mp.mpf(tq[0]), _sym(d, tq[1:])
            if name == "wishart":
                ref = w_kl(np_, Sp, nq, Sq)
            else:  # X ↦ X⁻¹ maps W⁻¹(Ψ, ν) to W(Ψ⁻¹, ν) and leaves the KL unchanged
                ref = w_kl(np_, Sp ** -1, nq, Sq ** -1)
            assert _rel(k.kl(tp, tq), [ref]) < TOL


def test_fisher_is_the_hessian_of_the_textbook_normalizer(case):
    name, d, fam, theta = case
    _, _, _, natural, log_z_of_eta = CASES[name]
    k = fam.kernels("df_scale")
    kn = fam.kernels("natural")
    th = theta[0]
    with mp.workdps(DPS):
        eta = natural(mp.mpf(th[0]), _sym(d, th[1:]))
        F_nat = _hessian(lambda e: log_z_of_eta(e, d), eta)
        assert _rel(kn.fisher(np.array([float(e) for e in eta])), F_nat) < 1e-11
        # in (n, V): Jᵀ F J, J = ∂η/∂θ of the textbook map
        p = len(th)
        J = mp.matrix(p, p)
        for b in range(p):
            for a in range(p):
                def f(v, a=a, b=b):
                    w = [mp.mpf(t) for t in th]
                    w[b] = v
                    return natural(w[0], _sym(d, w[1:]))[a]
                J[a, b] = mp.diff(f, mp.mpf(th[b]))
        assert _rel(k.fisher(th), J.T * F_nat * J) < 1e-11


@pytest.mark.parametrize("d", DIMS)
def test_against_scipy(d):
    for name, law in (("wishart", st.wishart), ("inverse_wishart", st.invwishart)):
        fam = fl.family(name, d=d)
        k = fam.kernels("df_scale")
        for th in draw_points(fam.spec, "df_scale", 3, np.random.default_rng(5)):
            S = np.array([[th[1 + _pairs(d).index((max(i, j), min(i, j)))] for j in range(d)]
                          for i in range(d)])
            dist = law(df=th[0], scale=S)
            x = fam.sample(th, "df_scale", size=5, seed=1)
            full = np.stack([[[xi[_pairs(d).index((max(i, j), min(i, j)))] for j in range(d)]
                              for i in range(d)] for xi in x])
            ref = np.array([dist.logpdf(f) for f in full])
            np.testing.assert_allclose(k.log_density(x, th), ref, rtol=1e-12, atol=1e-12)
            if name == "wishart":
                # scipy's invwishart.entropy is off by ((d+1)/2) log 2 (scipy 1.17); the inverse
                # Wishart's entropy is checked against the textbook in the verify table
                np.testing.assert_allclose(k.entropy(th), dist.entropy(), rtol=1e-12)


def test_d1_wishart_is_a_gamma_and_inverse_wishart_an_inverse_gamma():
    """W(V, n) at d = 1 is Gamma(shape n/2, scale 2V); W⁻¹(Ψ, ν) is InvGamma(ν/2, scale Ψ/2)."""
    pairs = (("wishart", "gamma", lambda n, v: [n / 2, 2 * v]),
             ("inverse_wishart", "inverse_gamma", lambda n, v: [n / 2, v / 2]))
    for name, other, to_other in pairs:
        k = fl.kernels(name, "df_scale", d=1)
        g = fl.kernels(other, "shape_scale")
        theta = np.array([[0.7, 0.3], [3.0, 2.5], [12.5, 0.8]])
        gth = np.array([to_other(*t) for t in theta])
        x = np.array([[0.2], [1.7], [5.0]])
        np.testing.assert_allclose(k.log_density(x, theta), g.log_density(x[:, 0], gth),
                                   rtol=1e-13)
        np.testing.assert_allclose(k.entropy(theta), g.entropy(gth), rtol=1e-13)
        np.testing.assert_allclose(k.kl(theta, theta[::-1]), g.kl(gth, gth[::-1]), rtol=1e-12)
        np.testing.assert_allclose(k.log_partition(theta), g.log_partition(gth), rtol=1e-13)
        # T = (x, log x) for the Wishart (1/x, log x for the inverse): the gamma's (log x, x) and
        # the inverse gamma's own statistics, reordered by comparing values at x
        mine = fl.family(name, d=1).statistics(x)
        theirs = fl.family(other).statistics(x[:, 0])
        order = [int(np.argmin(np.abs(theirs - mine[:, [i]]).sum(0))) for i in range(2)]
        np.testing.assert_allclose(theirs[:, order], mine, rtol=1e-14)
        np.testing.assert_allclose(k.mean(theta), g.mean(gth)[:, order], rtol=1e-13)
        # Fisher: θ = (n, V) ↦ (n/2, cV) is linear with J = diag(1/2, c)
        c = 2.0 if name == "wishart" else 0.5
        J = np.diag([0.5, c])
        np.testing.assert_allclose(k.fisher(theta), J.T @ g.fisher(gth) @ J, rtol=1e-12)
