"""Family.mle with observation weights: the estimate of the weighted log-likelihood."""

from __future__ import annotations

import numpy as np
import pytest

import fisherlab as fl
from fisherlab.errors import DomainError, ShapeError


@pytest.mark.parametrize("name, param, truth, dims", [
    ("normal", "mean_std", [1.5, 0.7], {}),            # closed-form inverse of the mean map
    ("gamma", "shape_rate", [2.0, 3.0], {}),           # Newton's method in η
    ("poisson", "rate", [4.0], {}),
    ("multivariate_normal", "mean_cov", [1.0, -1.0, 2.0, 0.3, 1.0], {"d": 2}),
])
def test_integer_weights_equal_repeated_observations(name, param, truth, dims):
    fam = fl.family(name, **dims)
    x = fam.sample(truth, param, size=40, seed=1)
    counts = np.random.default_rng(2).integers(0, 4, size=40)
    counts[0] = 1                                     # not all zero
    repeated = fam.mle(np.repeat(x, counts, axis=0), param)
    weighted = fam.mle(x, param, weights=counts)
    assert np.allclose(weighted, repeated, rtol=1e-12, atol=1e-13)
    # only the ratios of the weights matter
    assert np.allclose(fam.mle(x, param, weights=0.25 * counts), weighted, rtol=1e-12, atol=1e-13)


def test_unit_weights_are_the_plain_mle():
    fam = fl.family("gamma")
    x = fam.sample([2.0, 3.0], "shape_rate", size=30, seed=4)
    assert np.array_equal(fam.mle(x, "shape_rate", weights=np.ones(30)), fam.mle(x, "shape_rate"))


def test_weighted_poisson_rate_is_the_weighted_mean():
    x = np.array([0.0, 3.0, 5.0, 2.0])
    a = np.array([0.1, 0.5, 0.2, 0.7])
    rate = fl.family("poisson").mle(x, "rate", weights=a)
    assert rate[0] == pytest.approx((0.5 * 3 + 0.2 * 5 + 0.7 * 2) / 1.5, rel=1e-15)


def test_bad_weights_raise():
    fam = fl.family("poisson")
    x = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ShapeError, match="weights must have shape"):
        fam.mle(x, "rate", weights=[1.0, 2.0])
    with pytest.raises(DomainError, match=r"weights\[1\] = -1"):
        fam.mle(x, "rate", weights=[1.0, -1.0, 1.0])
    with pytest.raises(DomainError, match=r"weights\[2\] = nan"):
        fam.mle(x, "rate", weights=[1.0, 1.0, np.nan])
    with pytest.raises(DomainError, match="not all be 0"):
        fam.mle(x, "rate", weights=np.zeros(3))
