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
from fisherlab.verify.expectations import bregman_kl, fisher_monte_carlo
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


@pytest.mark.parametrize("check", [fisher_monte_carlo, bregman_kl])
@pytest.mark.parametrize("param", ["alpha", "natural"])
def test_dirichlet_k50_monte_carlo_applies_at_default_points(check, param):
    """The Monte Carlo checks draw their default concentrations from the Dirichlet's sample
    range (0.05 to 1e3): over the whole test range (1e-3 to 1e3) some α_i of k = 50 is almost
    surely small enough that draws round to 0.0, and the checks were not applicable at all."""
    fam = fl.family("dirichlet", k=50)
    result = check(fam, param, n_points=1, n_samples=20_000)
    assert result.status == "pass", result.explanation
    assert "not compared" not in result.explanation


def test_dirichlet_sample_range_draws_are_representable():
    """The sample range's reason, independently of the sampler: at its lower end α_i = 0.05 and
    the largest Σα of k = 50 (the other 49 at 1e3) the Beta(α_i, Σα − α_i) marginal puts at most
    2e-16 below 2⁻¹⁰⁷⁴ (so 2e5 draws × 50 coordinates hold a 0.0 with probability < 1e-8), and
    2e5 draws there hold none; at the test range's lower end 1e-3 nearly half do."""
    import mpmath as mp

    from fisherlab.families.dirichlet import SAMPLE_RANGE

    lo = SAMPLE_RANGE[0]
    total = lo + 49 * 1e3
    with mp.workdps(30):
        tail = mp.betainc(lo, total - lo, 0, mp.mpf(2) ** -1074, regularized=True)
    assert tail < 2e-16
    rng = np.random.default_rng(11)
    alpha = np.array([lo] * 25 + [1e3] * 25)
    assert np.all(rng.dirichlet(alpha, 200_000) > 0)
    small = rng.dirichlet(np.array([1e-3] + [1e3] * 49), 2_000)[:, 0]
    assert 0.3 < np.mean(small == 0) < 0.7


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
