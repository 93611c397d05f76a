"""fisherlab.optim.GLM (the linear predictor plus a head of fisherlab.models) against the
closed-form per-row formulas the hand-coded GLM used to carry, written out here as the
independent side: loss, gradient, Hessian and Fisher weights of each family/link pair.

The categorical GLM keeps class 0 as its reference; it is also checked against a
fisherlab.models GLM on relabelled data (the head's reference is the last class).
"""

import numpy as np
import pytest
from scipy import special

from fisherlab import models as flm
from fisherlab.optim import GLM

N = 50
SCALE = 1.7


def _log_phi_ratio(eta):
    log_phi = -0.5 * eta * eta - 0.5 * np.log(2 * np.pi)
    return np.exp(log_phi - special.log_ndtr(eta)), np.exp(log_phi - special.log_ndtr(-eta))


def _rows(family, link, eta, y, s):
    """Per-row loss ℓ, ℓ′ (d1), ℓ″ (d2) and Fisher weight E[ℓ″] (w) in the linear predictor."""
    if (family, link) == ("bernoulli", "logit"):
        mu = special.expit(eta)
        return np.logaddexp(0, eta) - y * eta, mu - y, mu * (1 - mu), mu * (1 - mu)
    if (family, link) == ("bernoulli", "probit"):
        rp, rm = _log_phi_ratio(eta)
        return (-(y * special.log_ndtr(eta) + (1 - y) * special.log_ndtr(-eta)),
                -y * rp + (1 - y) * rm, y * rp * (eta + rp) + (1 - y) * rm * (rm - eta), rp * rm)
    if family == "poisson":
        mu = np.exp(eta)
        return mu - y * eta + special.gammaln(y + 1), mu - y, mu, mu
    if family == "normal":
        one = np.ones_like(eta)
        return ((y - eta) ** 2 / (2 * s) + 0.5 * np.log(2 * np.pi * s), (eta - y) / s, one / s,
                one / s)
    ye = y * np.exp(-eta)  # gamma, log link, shape α = s
    return (s * (eta + ye) - s * np.log(s) - (s - 1) * np.log(y) + special.gammaln(s),
            s * (1 - ye), s * ye, np.full_like(eta, s))


DRAWS = {"bernoulli": lambda r: r.integers(0, 2, N), "poisson": lambda r: r.poisson(2.0, N),
         "normal": lambda r: r.normal(0.0, 1.3, N), "gamma": lambda r: r.gamma(1.7, 1.0, N)}
PAIRS = [("bernoulli", "logit"), ("bernoulli", "probit"), ("poisson", "log"),
         ("normal", "identity"), ("gamma", "log")]


def _rel(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("family,link", PAIRS)
def test_scalar_families_match_the_closed_forms(family, link):
    rng = np.random.default_rng(0)
    X = np.c_[np.ones(N), rng.uniform(-1, 1, (N, 3))]
    y = DRAWS[family](rng).astype(float)
    l2 = 0.05
    glm = GLM(X, y, family=family, link=link, l2=l2, scale=SCALE)
    for seed in range(3):
        w = 0.4 * np.random.default_rng(seed).standard_normal(4)
        ell, d1, d2, wf = _rows(family, link, X @ w, y, SCALE)
        assert _rel(glm.loss(w), ell.mean() + 0.5 * l2 * w @ w) < 1e-14
        assert _rel(glm.grad(w), X.T @ d1 / N + l2 * w) < 1e-13
        assert _rel(glm.per_sample_grads(w), X * d1[:, None]) < 1e-13
        assert _rel(glm.hessian(w), X.T @ (X * d2[:, None]) / N + l2 * np.eye(4)) < 1e-13
        assert _rel(glm.fisher(w), X.T @ (X * wf[:, None]) / N + l2 * np.eye(4)) < 1e-13


def test_categorical_keeps_class_zero_as_reference():
    K = 4
    rng = np.random.default_rng(1)
    X = np.c_[np.ones(N), rng.uniform(-1, 1, (N, 2))]
    labels = rng.integers(0, K, N)
    glm = GLM(X, labels, family="categorical", l2=0.05, n_classes=K)
    w = 0.4 * rng.standard_normal(glm.dim)
    # closed form with class 0 as the reference: logits [0, X Θ], Θ (d, K − 1) row-major
    logits = np.c_[np.zeros(N), X @ w.reshape(3, K - 1)]
    logp = logits - special.logsumexp(logits, axis=1, keepdims=True)
    Y = np.eye(K)[labels]
    assert _rel(glm.loss(w), -np.mean(np.sum(Y * logp, 1)) + 0.025 * w @ w) < 1e-14
    assert _rel(glm.grad(w), (X.T @ (np.exp(logp) - Y)[:, 1:] / N).ravel() + 0.05 * w) < 1e-13
    # and the models GLM on labels relabelled to the last class as the reference
    new = flm.GLM(flm.Head("categorical", k=K)).problem(X, (labels - 1) % K, l2=0.05)
    for name in ("loss", "grad", "hessian", "fisher"):
        assert _rel(getattr(new, name)(w), getattr(glm, name)(w)) < 1e-13, name
