"""The Monte Carlo checks' chunked moments equal the moments of the whole sample at once."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fisherlab.verify import expectations


@pytest.mark.parametrize("chunk_numbers", [1, 8 * 9 + 64, 50 * (8 * 9 + 64), 10**9])
def test_chunked_moments_equal_whole_sample(monkeypatch, chunk_numbers):
    """Chunks of 1 draw, of 1 draw at p = 3 rounding, of 50 (uneven: 1003 draws) and one chunk;
    columns of very different means and spreads, one constant."""
    monkeypatch.setattr(expectations, "CHUNK_NUMBERS", chunk_numbers)
    rng = np.random.default_rng(0)
    n = 1003
    t = np.stack([rng.normal(1e3, 1e-2, n), rng.exponential(5.0, n), np.full(n, 0.3),
                  rng.standard_t(3, n) * 1e-8], axis=1)
    calls = []

    def terms(a, b):
        calls.append(b - a)
        return t[a:b]

    mean, var, m2 = expectations.chunked_moments(terms, n, 3)
    assert sum(calls) == n and max(calls) <= max(1, chunk_numbers // (8 * 9 + 64))
    # references correctly rounded (math.fsum), not numpy's one-by-one column sums
    ref = np.array([math.fsum(c) / n for c in t.T])
    dev = t - ref
    np.testing.assert_allclose(mean, ref, rtol=1e-14)
    varied = [0, 1, 3]
    np.testing.assert_allclose(var[varied], [math.fsum(c) / (n - 1) for c in (dev**2).T[varied]],
                               rtol=1e-9)
    np.testing.assert_allclose(m2, [math.fsum(c) / n for c in (t**2).T], rtol=1e-12)
    assert var[2] < 1e-28  # the constant column


@pytest.mark.parametrize("n", [1, 127, 128, 129, 1000])
def test_column_sums_correctly_rounded_scale(n):
    """Down the columns, to a few ulps of the correctly rounded sums (math.fsum), for lengths
    around the block of rows summed one by one."""
    t = np.random.default_rng(n).normal(3.0, 1.0, (n, 5))
    got = expectations.column_sums(t)
    np.testing.assert_allclose(got, [math.fsum(c) for c in t.T], rtol=8 * np.finfo(float).eps)


def test_weighted_moments_equal_the_written_out_sample():
    """Distinct rows with multiplicities give the moments of the sample written out in full,
    as chunked_moments computes them, to rounding."""
    rng = np.random.default_rng(3)
    u = np.stack([rng.normal(1e3, 1e-2, 7), rng.exponential(5.0, 7), np.full(7, 0.3)], axis=1)
    counts = np.array([1, 5, 2, 40, 3, 1, 11])
    full = np.repeat(u, counts, axis=0)
    ref = expectations.chunked_moments(lambda a, b: full[a:b], len(full), 3)
    got = expectations.weighted_moments(u, counts)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g[:2], r[:2], rtol=1e-12)
    np.testing.assert_allclose(got[0][2], 0.3, rtol=1e-15)
    assert got[1][2] < 1e-28
    np.testing.assert_allclose(got[2][2], 0.09, rtol=1e-14)
