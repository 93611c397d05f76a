"""The whole-batch fast paths of argument checking (columnwise extremes of θ, Support.surely_inside
for observations) never let a bad entry through: one bad number in a large batch is still found
and reported, for every kind of support and every way an entry can be bad."""

from __future__ import annotations

import numpy as np
import pytest

import fisherlab as fl
from fisherlab.families.arrays import FEW_NUMBERS, off_open_simplex
from fisherlab.kernels._runtime import _FOLD, _FOLD_FROM, _column_extremes

BATCH = 5 * _FOLD + 7  # a folded bulk and a remainder


@pytest.mark.parametrize("n", [1, _FOLD - 1, _FOLD, _FOLD + 1, BATCH])
@pytest.mark.parametrize("p", [1, 2, 9])
def test_column_extremes_match_per_column_reductions(n, p):
    rng = np.random.default_rng(n * 10 + p)
    rows = rng.normal(size=(n, p)) * 10.0 ** rng.integers(-3, 4, size=(n, p))
    low, high = _column_extremes(rows)
    assert np.array_equal(low, rows.min(axis=0)) and np.array_equal(high, rows.max(axis=0))
    for i in {0, n // 2, n - 1}:  # NaN in the folded bulk and in the remainder
        bad = rows.copy()
        bad[i, p - 1] = np.nan
        low, high = _column_extremes(bad)
        assert np.isnan(low[p - 1]) and np.isnan(high[p - 1])
        assert np.array_equal(low[:-1], rows.min(axis=0)[:-1])


def _samples():
    """(name, dims, a large batch of observations drawn from the family) for every support kind."""
    cases = {}
    for name in fl.families():
        fam = fl.family(name)
        spec = fam.spec
        if spec.support.kind in cases or spec.sampler is None:
            continue
        param = spec.sampler[0]
        theta = np.array([np.mean(p.test_range) for p in spec.parametrization(param).params])
        cases[spec.support.kind] = (name, fam.sample(theta, param, size=BATCH, seed=1))
    return sorted(cases.items())


SAMPLES = _samples()


def _corruptions(kind, x):
    """Ways one entry (or one row) of a valid batch x can be bad for this support kind."""
    bad = [np.nan, np.inf, -np.inf]
    if kind in ("positive_reals", "greater_than", "unit_interval", "closed_unit_interval",
                "nonnegative_integers",
                "integer_range", "binary", "simplex", "one_hot", "counts_summing"):
        bad += [-1.0]
    if kind in ("nonnegative_integers", "integer_range", "binary", "counts_summing", "one_hot"):
        bad += [0.5]
    if kind in ("unit_interval", "closed_unit_interval", "binary", "integer_range"):
        bad += [1e6]
    if kind == "circle":
        bad += [3.2, -3.2]
    for value in bad:
        y = x.copy()
        y.flat[y.size // 2 + 1] = value
        yield f"entry {value}", y
    if x.ndim == 2:  # vector supports: rows that are wrong only as a whole
        y = x.copy()
        row = y[len(y) // 2]
        if kind == "one_hot":
            row[:] = 0.0
            row[:2] = 0.5  # sums to 1, entries in [0, 1], but not one-hot
            yield "two halves", y.copy()
            z = x.copy()
            z[0] = 0.0
            z[1, :] = 0.0
            z[1, :2] = 1.0  # a row with no 1 and one with two: the count of nonzeros still holds
            yield "empty row and double row", z
        elif kind == "simplex":
            row *= 1.001
            yield "off the simplex", y
        elif kind == "counts_summing":
            row[0] += 1.0
            yield "wrong total", y


@pytest.mark.parametrize("few", [False, True], ids=["batch", "few"])
@pytest.mark.parametrize("kind,case", SAMPLES, ids=[k for k, _ in SAMPLES])
def test_surely_inside_passes_valid_batches_and_no_bad_entry(kind, case, few):
    name, x = case
    if few:  # the Python-float path for a handful of numbers
        x = x[:max(2, FEW_NUMBERS // max(1, x[0].size))]
        assert x.size <= FEW_NUMBERS
    support = fl.family(name).spec.support
    assert support.surely_inside(x), f"{name}: a valid batch should take the fast path"
    assert not support.violations(x).any()
    seen = 0
    for what, y in _corruptions(kind, x):
        seen += 1
        assert not support.surely_inside(y), f"{name} ({kind}): {what} passed the fast path"
        with pytest.raises(fl.SupportError):
            support.check(y)
    assert seen >= 3


@pytest.mark.parametrize("rows", [BATCH, _FOLD_FROM // 2 + 7], ids=["per-column", "folded"])
def test_one_bad_parameter_in_a_large_batch_is_reported(rows):
    k = fl.kernels("gamma", "shape_rate")
    theta = np.tile([2.0, 3.0], (rows, 1))
    for row, col, value, words in [(rows - 3, 1, -7.0, "rate"), (100, 0, np.nan, "shape"),
                                   (0, 1, np.inf, "rate")]:
        bad = theta.copy()
        bad[row, col] = value
        with pytest.raises(fl.DomainError, match=words):
            k.fisher(bad)


def test_a_nonfinite_entry_of_an_unbounded_parameter_is_worded_once():
    """A mean of NaN or ±inf is outside "finite real"; the message says so once ("must be finite
    real, got nan"), and a bounded parameter's adds "finite and" to its bound."""
    k = fl.kernels("normal", "mean_std")
    for bad, words in [([np.nan, 1.0], r"'mean' in theta must be finite real, got nan"),
                       ([-np.inf, 1.0], r"'mean' in theta must be finite real, got -inf"),
                       ([0.0, np.inf], r"'std' in theta must be finite and > 0, got inf")]:
        with pytest.raises(fl.DomainError, match=words):
            k.fisher(np.tile(bad, (BATCH, 1)))


def test_simplex_constraint_in_a_large_batch_is_reported():
    k = fl.kernels("categorical", "probs", k=4)
    theta = np.tile([0.2, 0.3, 0.1], (BATCH, 1))
    bad = theta.copy()
    bad[BATCH - 2] = [0.5, 0.3, 0.3]  # each entry in (0, 1), the sum not
    with pytest.raises(fl.DomainError, match="open simplex"):
        k.fisher(bad)
    assert np.array_equal(off_open_simplex(bad), bad.sum(axis=-1) >= 1.0)


def test_non_contiguous_theta_is_checked_and_evaluated_like_a_contiguous_one():
    # A slice p[:, :9] (the benchmark's categorical θ) or a Fortran-ordered θ, large enough for
    # the folded extremes: the same numbers and the same errors as a C-ordered copy.
    k = fl.kernels("categorical", "probs", k=10)
    rng = np.random.default_rng(11)
    full = rng.dirichlet(np.ones(10), size=20_000)
    sliced, fortran = full[:, :9], np.asfortranarray(full[:, :9])
    assert not sliced.flags.c_contiguous and not fortran.flags.c_contiguous
    expected = k.fisher(np.ascontiguousarray(sliced))
    for theta in (sliced, fortran):
        np.testing.assert_array_equal(k.fisher(theta), expected)
    bad = full.copy()
    bad[321, :9] = [0.5, 0.5] + [0.0] * 7  # p3 = 0: outside (0, 1)
    with pytest.raises(fl.DomainError, match="p3"):
        k.fisher(bad[:, :9])
    over = full.copy()
    over[5, :9] = 0.2  # Σ p = 1.8: off the open simplex
    with pytest.raises(fl.DomainError, match="simplex"):
        k.fisher(np.asfortranarray(over[:, :9]))
