"""The normal-Wishart kernels, d = 1, 2, 3, 5, against textbook formulas in mpmath (50 digits)
and, at d = 1, against the catalog's normal-gamma.

NW(μ₀, κ, ν, W): Λ ~ W(W, ν), μ | Λ ~ N(μ₀, (κΛ)⁻¹) (Bishop, "Pattern Recognition and Machine
Learning", 2006, (2.157), (B.78)–(B.82)). References, written from those definitions:

- log p(μ, Λ) = log N(μ | μ₀, (κΛ)⁻¹) + log W(Λ | W, ν);
- E[Λμ] = νWμ₀, E[μᵀΛμ] = d/κ + ν μ₀ᵀWμ₀, E[Λ] = νW, E[log det Λ] = ψ_d(ν/2) + d log 2 + log det W;
- entropy by the chain rule, H(Λ) + E[H(μ | Λ)] = H_W + (d/2) log(2πe/κ) − ½E[log det Λ];
- KL by the chain rule, KL_W(p ‖ q) + E_p[KL(N_p(· | Λ) ‖ N_q(· | Λ))]
  = KL_W + ½(dκ_q/κ_p − d − d log(κ_q/κ_p) + κ_q ν_p δᵀW_pδ), δ = μ₀p − μ₀q, with the
  Wishart KL of Wikipedia ("Wishart distribution");
- the Fisher information in natural coordinates as the Hessian (mpmath's numerical
  differentiation at 50 digits) of the textbook log-normalizer written in η, and in
  (μ₀, κ, ν, W) as Jᵀ F J with J = ∂η/∂θ of the textbook map, differentiated the same way.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import fisherlab as fl
from fisherlab.verify.points import draw_points
from tests.families.test_wishart_textbook import (
    _hessian,
    _log_multigamma,
    _pairs,
    _sym,
    _vech,
    w_entropy,
    w_kl,
    w_log_pdf,
    w_mean,
)

DPS = 50
TOL = 1e-12
PARAM = "mu0_kappa_nu_scale"


def _split(th, d):
    return ([mp.mpf(v) for v in th[:d]], mp.mpf(th[d]), mp.mpf(th[d + 1]), _sym(d, th[d + 2:]))


def nw_log_pdf(x, th, d):
    m0, k, nu, W = _split(th, d)
    mu = mp.matrix([mp.mpf(v) for v in x[:d]])
    lam = _sym(d, x[d:])
    r = mu - mp.matrix(m0)
    normal = (-d / mp.mpf(2) * mp.log(2 * mp.pi) + d / mp.mpf(2) * mp.log(k)
              + mp.log(mp.det(lam)) / 2 - k * (r.T * lam * r)[0, 0] / 2)
    return normal + w_log_pdf(lam, nu, W)


def nw_log_z(th, d):
    _, k, nu, W = _split(th, d)
    return (-d / mp.mpf(2) * mp.log(k) + nu * d / 2 * mp.log(2) + nu / 2 * mp.log(mp.det(W))
            + _log_multigamma(nu / 2, d))


def nw_mean(th, d):
    m0, k, nu, W = _split(th, d)
    m = mp.matrix(m0)
    wm = W * m
    return ([nu * wm[i] for i in range(d)] + [d / k + nu * (m.T * wm)[0, 0]]
            + [nu * v for v in _vech(W)] + [w_mean(nu, W)[-1]])


def nw_entropy(th, d):
    _, k, nu, W = _split(th, d)
    return (w_entropy(nu, W) + d / mp.mpf(2) * mp.log(2 * mp.pi * mp.e / k)
            - w_mean(nu, W)[-1] / 2)


def nw_kl(tp, tq, d):
    mp_, kp, nup, Wp = _split(tp, d)
    mq, kq, nuq, Wq = _split(tq, d)
    delta = mp.matrix(mp_) - mp.matrix(mq)
    return (w_kl(nup, Wp, nuq, Wq)
            + (d * kq / kp - d - d * mp.log(kq / kp) + kq * nup * (delta.T * Wp * delta)[0, 0])
            / 2)


def nw_natural(th, d):
    """η = (κμ₀, −κ/2, −½M_ii / −M_ij with M = W⁻¹ + κμ₀μ₀ᵀ, (ν − d)/2)."""
    m0, k, nu, W = _split(th, d)
    m = mp.matrix(m0)
    M = W ** -1 + k * m * m.T
    return ([k * v for v in m0] + [-k / 2]
            + [-M[i, j] / 2 if i == j else -M[i, j] for i, j in _pairs(d)] + [(nu - d) / 2])


def nw_log_z_of_eta(eta, d):
    h = mp.matrix(eta[:d])
    k = -2 * eta[d]
    M = _sym(d, [-2 * e if i == j else -e for (i, j), e in zip(_pairs(d), eta[d + 1:-1])])
    W = (M - h * h.T / k) ** -1
    nu = 2 * eta[-1] + d
    return nw_log_z(list(h / k) + [k, nu] + _vech(W), d)


@pytest.mark.parametrize("d", [1, 2, 3])
def test_fisher_is_the_hessian_of_the_textbook_normalizer(d):
    fam = fl.family("normal_wishart", d=d)
    k = fam.kernels(PARAM)
    th = draw_points(fam.spec, PARAM, 1, np.random.default_rng(31 + d))[0]
    with mp.workdps(DPS):
        eta = nw_natural(th, d)
        F_nat = _hessian(lambda e: nw_log_z_of_eta(e, d), eta)
        F_got = fam.kernels("natural").fisher(np.array([float(e) for e in eta]))
        np.testing.assert_allclose(F_got, np.array(F_nat.tolist(), dtype=float), rtol=1e-11,
                                   atol=1e-11)
        p = len(th)
        J = mp.matrix(p, p)
        for b in range(p):
            for a in range(p):
                def f(v, a=a, b=b):
                    w = [mp.mpf(t) for t in th]
                    w[b] = v
                    return nw_natural(w, d)[a]
                J[a, b] = mp.diff(f, mp.mpf(th[b]))
        np.testing.assert_allclose(k.fisher(th), np.array((J.T * F_nat * J).tolist(),
                                                          dtype=float), rtol=1e-11, atol=1e-11)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
def test_against_textbook(d):
    fam = fl.family("normal_wishart", d=d)
    k = fam.kernels(PARAM)
    theta = draw_points(fam.spec, PARAM, 3, np.random.default_rng(21 + d))
    rng = np.random.default_rng(4)
    with mp.workdps(DPS):
        for th in theta:
            assert abs(k.log_partition(th) - float(nw_log_z(th, d))) < TOL * max(
                1.0, abs(float(nw_log_z(th, d))))
            ref = [float(v) for v in nw_mean(th, d)]
            np.testing.assert_allclose(k.mean(th), ref, rtol=TOL, atol=TOL)
            assert k.entropy(th) == pytest.approx(float(nw_entropy(th, d)), rel=TOL, abs=TOL)
            x = fam.sample(th, PARAM, size=4, seed=rng)
            np.testing.assert_allclose(k.log_density(x, th),
                                       [float(nw_log_pdf(xi, th, d)) for xi in x],
                                       rtol=TOL, atol=TOL)
        for tp, tq in zip(theta, theta[::-1]):
            assert k.kl(tp, tq) == pytest.approx(float(nw_kl(tp, tq, d)), rel=TOL, abs=TOL)


def test_d1_is_the_normal_gamma():
    """NW(μ₀, κ, ν, W) at d = 1 is NG(μ₀, κ, α = ν/2, β = 1/(2W)), term by term."""
    k = fl.kernels("normal_wishart", PARAM, d=1)
    g = fl.kernels("normal_gamma", "mu0_kappa_alpha_beta")
    theta = np.array([[0.3, 2.0, 4.5, 0.7], [-0.8, 0.2, 2.5, 3.0], [0.0, 9.0, 20.0, 0.25]])
    gth = np.stack([theta[:, 0], theta[:, 1], theta[:, 2] / 2, 1 / (2 * theta[:, 3])], axis=1)
    x = np.array([[0.1, 0.5], [-1.0, 2.0], [2.0, 0.1]])
    np.testing.assert_allclose(k.log_density(x, theta), g.log_density(x, gth), rtol=1e-13)
    np.testing.assert_allclose(k.mean(theta), g.mean(gth), rtol=1e-13)
    np.testing.assert_allclose(k.entropy(theta), g.entropy(gth), rtol=1e-13)
    np.testing.assert_allclose(k.kl(theta, theta[::-1]), g.kl(gth, gth[::-1]), rtol=1e-12)
    # the Fisher information pulls back through J = ∂(μ₀, κ, α, β)/∂(μ₀, κ, ν, W)
    J = np.zeros((3, 4, 4))
    J[:, 0, 0] = J[:, 1, 1] = 1.0
    J[:, 2, 2] = 0.5
    J[:, 3, 3] = -1 / (2 * theta[:, 3] ** 2)
    np.testing.assert_allclose(k.fisher(theta),
                               np.swapaxes(J, 1, 2) @ g.fisher(gth) @ J, rtol=1e-12)
