"""The verifier at k = 50 (categorical, Dirichlet) and d = 5 (multivariate normal).

CI: the Monte Carlo Fisher information at k = 50 on one point (p = 49: its per-draw terms are
2.4e3 numbers, formed in chunks whatever the sample size) with 20 000 draws, and the autograd and
MLE identities (the slowest of a full run before their oracle traced each Hessian once) on one
default point each. FISHERLAB_EXHAUSTIVE=1: ``fl.verify`` with every identity, on its default
points (minutes each on the shared machine)."""

from __future__ import annotations

import numpy as np
import pytest

import fisherlab as fl
from fisherlab.verify.expectations import fisher_monte_carlo
from fisherlab.verify.identities import IDENTITIES
from tests.conftest import EXHAUSTIVE


@pytest.mark.parametrize("name, param", [("categorical", "probs"), ("categorical", "natural"),
                                         ("dirichlet", "alpha")])
def test_monte_carlo_fisher_k50(name, param):
    fam = fl.family(name, k=50)
    rng = np.random.default_rng(5)
    if name == "dirichlet":  # concentrations whose draws float64 represents
        theta = rng.uniform(0.5, 5.0, (1, 50))
    else:
        probs = rng.dirichlet(np.full(50, 5.0), 1)[:, :-1]
        theta = fam.convert(probs, "probs", param)
    result = fisher_monte_carlo(fam, param, points=theta, n_samples=20_000)
    assert result.status == "pass", result.explanation


@pytest.mark.parametrize("name, dims, param, identity", [
    ("multivariate_normal", {"d": 5}, "natural", "autograd"),
    ("multivariate_normal", {"d": 5}, "natural", "mle_information"),
    ("categorical", {"k": 50}, "probs", "autograd"),
    ("dirichlet", {"k": 50}, "alpha", "mle_information")])
def test_identity_on_one_default_point(name, dims, param, identity):
    result = IDENTITIES[identity](fl.family(name, **dims), param, n_points=1)
    assert result.status == "pass", result.explanation


def test_monte_carlo_fisher_d5():
    """The multivariate normal's Monte Carlo check at d = 5 on one default point (20 000 draws):
    per-draw Hessians of the mean_chol parametrization, which depend on x."""
    result = fisher_monte_carlo(fl.family("multivariate_normal", d=5), "mean_chol", n_points=1,
                                n_samples=20_000)
    assert result.status == "pass", result.explanation


@pytest.mark.slow
@pytest.mark.skipif(not EXHAUSTIVE, reason="minutes each: FISHERLAB_EXHAUSTIVE=1")
@pytest.mark.parametrize("name, dims", [("categorical", {"k": 50}), ("dirichlet", {"k": 50}),
                                        ("multivariate_normal", {"d": 5})])
def test_verify_every_identity(name, dims):
    report = fl.verify(name, **dims)
    assert report.ok, report.table(explain=True)
