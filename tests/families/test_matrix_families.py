"""The Wishart, inverse Wishart and normal-Wishart declarations: their samplers against textbook
moments (Monte Carlo within six standard errors), and bad input raising the library's errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import digamma

import fisherlab as fl
from fisherlab.errors import DomainError, ShapeError, SupportError
from fisherlab.families.wishart import bartlett

N = 40_000


def _full(vech, d):
    M = np.zeros(vech.shape[:-1] + (d, d))
    il = np.tril_indices(d)
    M[..., il[0], il[1]] = vech
    M[..., il[1], il[0]] = vech
    return M


def _within(draws, expected, label):
    """Each column's sample mean within 6 standard errors of ``expected``."""
    mean = draws.mean(axis=0)
    se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(mean - expected) <= 6 * se), (label, mean, expected, se)


def test_bartlett_sampler_moments():
    # Bishop (2006) (B.80)–(B.81): E[X] = nV, E[log det X] = ψ_d(n/2) + d log 2 + log det V
    d, n = 3, 5.5
    V = np.array([[2.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 0.7]])
    # the sampler itself at d = 3 (the family at d = 3 compiles its kernels first, for minutes)
    X = bartlett(np.random.default_rng(1), n, np.linalg.cholesky(V), (N,))
    assert X.shape == (N, 3, 3)
    x = X[:, np.tril_indices(d)[0], np.tril_indices(d)[1]]
    psi_d = sum(digamma((n - j) / 2) for j in range(d))
    _within(x, n * V[np.tril_indices(d)], "E[X]")
    y = fl.family("wishart", d=2).sample([n, 2.0, 0.3, 1.0], "df_scale", size=N, seed=1)
    _within(y, n * np.array([2.0, 0.3, 1.0]), "E[X], d = 2")
    _within(np.linalg.slogdet(X)[1][:, None], [psi_d + d * np.log(2) + np.linalg.slogdet(V)[1]],
            "E[log det X]")
    # the second moments of the Wishart: Var(X_ij) = n(V_ij² + V_ii V_jj)
    il = np.tril_indices(d)
    var = n * (V[il] ** 2 + V[il[0], il[0]] * V[il[1], il[1]])
    _within((x - n * V[il]) ** 2, var, "Var(X_ij)")


def test_inverse_wishart_sampler_moments():
    # X⁻¹ ~ W(Ψ⁻¹, ν): E[X⁻¹] = νΨ⁻¹; E[X] = Ψ/(ν − d − 1)
    d, nu = 2, 7.0
    Psi = np.array([[1.5, -0.4], [-0.4, 0.9]])
    theta = np.concatenate([[nu], Psi[np.tril_indices(d)]])
    x = fl.family("inverse_wishart", d=d).sample(theta, "df_scale", size=N, seed=2)
    X = _full(x, d)
    il = np.tril_indices(d)
    _within(np.linalg.inv(X)[:, il[0], il[1]], nu * np.linalg.inv(Psi)[il], "E[X⁻¹]")
    _within(x, Psi[il] / (nu - d - 1), "E[X]")


def test_normal_wishart_sampler_moments():
    # E[μ] = μ₀, E[Λ] = νW, E[Λμ] = νWμ₀, E[μᵀΛμ] = d/κ + ν μ₀ᵀWμ₀
    d, m0, k, nu = 2, np.array([0.4, -1.0]), 1.5, 4.5
    W = np.array([[0.8, 0.2], [0.2, 0.5]])
    theta = np.concatenate([m0, [k, nu], W[np.tril_indices(d)]])
    x = fl.family("normal_wishart", d=d).sample(theta, "mu0_kappa_nu_scale", size=N, seed=3)
    mu, lam = x[:, :d], _full(x[:, d:], d)
    _within(mu, m0, "E[μ]")
    _within(x[:, d:], nu * W[np.tril_indices(d)], "E[Λ]")
    lm = np.einsum("nij,nj->ni", lam, mu)
    _within(lm, nu * W @ m0, "E[Λμ]")
    _within(np.einsum("ni,ni->n", mu, lm)[:, None], [d / k + nu * m0 @ W @ m0], "E[μᵀΛμ]")


@pytest.mark.parametrize("name, param, good", [
    ("wishart", "df_scale", [3.5, 2.0, 0.3, 1.0]),
    ("inverse_wishart", "df_scale", [3.5, 2.0, 0.3, 1.0]),
    ("normal_wishart", "mu0_kappa_nu_scale", [0.0, 0.0, 1.0, 3.5, 2.0, 0.3, 1.0]),
])
def test_bad_input(name, param, good):
    fam = fl.family(name)
    k = fam.kernels(param)
    good = np.array(good)
    x = fam.sample(good, param, size=3, seed=0)
    k.log_density(x, good)
    df_at = 0 if name != "normal_wishart" else 3
    low = good.copy()
    low[df_at] = 1.0  # n ≤ d − 1 = 1
    with pytest.raises(DomainError, match="df|nu"):
        k.log_density(x, low)
    not_pd = good.copy()
    not_pd[-3:] = [1.0, 2.0, 1.0]
    with pytest.raises(DomainError, match="positive definite"):
        k.entropy(not_pd)
    nan = good.copy()
    nan[-1] = np.nan
    with pytest.raises(DomainError):
        k.mean(nan)
    bad_x = x.copy()
    bad_x[1, -3:] = [1.0, 2.0, 1.0]  # an indefinite matrix
    with pytest.raises(SupportError, match="positive definite"):
        k.log_density(bad_x, good)
    with pytest.raises(ShapeError):
        k.log_density(x[:, :-1], good)
    with pytest.raises(ShapeError):
        k.fisher(good[:-1])
