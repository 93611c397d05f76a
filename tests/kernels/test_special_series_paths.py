"""The batch-size paths of the gamma and Bessel special functions against mpmath at 50 digits.

Their power series are summed three ways, chosen by the size of the batch (:func:`_series_rows`):
by Estrin's scheme on small batches, by Horner's rule on large ones, and on Python floats for a
single point; trigamma works through large arrays in blocks. Each path is forced here on a grid
that covers the series' whole range, and each must meet the function's stated tolerance.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from fisherlab.kernels import _special as special

mp.mp.dps = 50


def _ratio(z):
    return mp.besseli(1, z) / mp.besseli(0, z)


def _ratio_deriv(z):
    r = _ratio(z)
    return 1 - r / z - r * r


def _log_i0_sq_deriv2(s):
    if s == 0:
        return mp.mpf(-1) / 32
    with mp.workdps(60):
        # near s = 0 the stencil reaches s < 0, where log I₀(√s) continues as log J₀(√|s|)
        return mp.re(mp.diff(lambda t: mp.log(mp.besseli(0, mp.sqrt(t))), s, 2))


_RNG = np.random.default_rng(20)
# (function, reference, grid, relative tolerance): each grid spans the branch of its series and
# crosses into the neighbouring one
CASES = {
    "log_besseli0": (special.log_besseli0, lambda z: mp.log(mp.besseli(0, z)),
                     np.concatenate([np.geomspace(1e-8, 2.0, 40), _RNG.uniform(0, 2, 60),
                                     [2.0, 2.5, 40.0]]), 1e-14),
    "besseli_ratio": (special.besseli_ratio, _ratio,
                      np.concatenate([np.geomspace(1e-300, 1e300, 60), _RNG.uniform(0, 60, 40),
                                      -_RNG.uniform(0, 300, 20)]), 1e-14),
    # L″(s) = d²/ds² log I₀(√s): the quotient of two series below s = 900, one asymptotic
    # series above; the
    # reference differentiates log I₀(√s) itself (mpmath's diff), a route shared with neither
    "log_besseli0_sq_deriv2": (
        lambda s: special.log_besseli0_sq_deriv(2, s), _log_i0_sq_deriv2,
        np.concatenate([[0.0, 1e-300, 1e-20], np.geomspace(1e-8, 900, 25),
                        _RNG.uniform(0, 900, 25), [899.99, 900.0, 900.01],
                        _RNG.uniform(900, 2500, 15), np.geomspace(900, 1e12, 15)]), 1e-14),
    "besseli_ratio_deriv": (special.besseli_ratio_deriv, _ratio_deriv,
                            np.concatenate([np.geomspace(1e-8, 30, 40), _RNG.uniform(0, 30, 60),
                                            np.linspace(29.9, 30.1, 9),
                                            np.geomspace(30, 1e6, 30)]), 1e-14),
    "trigamma": (special.trigamma, lambda x: mp.polygamma(1, x),
                 np.concatenate([np.geomspace(1e-6, 1e8, 60), _RNG.uniform(0, 20, 60)]), 1e-14),
    "trigamma_minus_reciprocal": (
        special.trigamma_minus_reciprocal, lambda x: mp.polygamma(1, x) - 1 / x,
        np.concatenate([np.geomspace(1e-6, 1e12, 60), _RNG.uniform(0, 20, 60)]), 1e-14),
    # within 0.1 of its zeros (the series) to a few ulps of log Γ itself; 1 ± 0.1 and 2 ± 0.1
    # round to just outside, where scipy's gammaln is 1e-15 off
    "gammaln": (special.gammaln, mp.loggamma,
                np.concatenate([c + s * np.geomspace(1e-15, 0.0999, 15)
                                for c in (1.0, 2.0) for s in (1.0, -1.0)]
                               + [_RNG.uniform(0.9, 1.1, 40), _RNG.uniform(1.9, 2.1, 40),
                                  [0.5, 3.0, 25.0]]), 4e-16),
}


def _check(name, got, grid):
    _, ref, _, tol = CASES[name]
    got = np.asarray(got, dtype=np.float64)
    exact = np.array([float(ref(mp.mpf(float(z)))) for z in grid])
    err = np.abs(got - exact) / np.abs(exact)
    worst = int(np.argmax(err))
    assert err[worst] <= tol, f"{name}: relative error {err[worst]:.3g} at {grid[worst]!r}"


@pytest.mark.parametrize("path", ["estrin", "horner"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_each_series_path_matches_mpmath(name, path, monkeypatch):
    # Estrin's scheme for any size, or Horner's rule from the first point on
    monkeypatch.setattr(special, "_ESTRIN_MAX_SIZE", 10**9 if path == "estrin" else 0)
    fn, _, grid, _ = CASES[name]
    _check(name, fn(grid), grid)


@pytest.mark.parametrize("name", sorted(CASES))
def test_single_points_match_mpmath(name):
    fn, _, grid, _ = CASES[name]
    points = grid[::3]
    got = [fn(np.float64(z)) for z in points]
    assert all(np.shape(g) == () for g in got)
    _check(name, got, points)


@pytest.mark.parametrize("name", ["log_besseli0", "besseli_ratio_deriv", "gammaln",
                                  "log_besseli0_sq_deriv2"])
def test_single_point_equals_small_batch(name):
    # the single-point sums repeat Estrin's operations on Python floats: the same value, not
    # merely a close one
    fn, _, grid, _ = CASES[name]
    batch = fn(grid)
    single = np.array([fn(np.float64(z)) for z in grid])
    np.testing.assert_array_equal(single, batch)


def test_trigamma_blocks(monkeypatch):
    # large arrays go through the shifted recurrence in blocks; a block size that leaves a
    # remainder, on a batch of two dimensions with non-positive entries (NaN there)
    monkeypatch.setattr(special, "_TRIGAMMA_BLOCK", 7)
    _, _, grid, _ = CASES["trigamma"]
    batch = np.concatenate([grid, [0.0, -1.0]]).reshape(2, -1)
    # 1/(x + j)² at x = 0 and −1 divides by zero before those points are set to NaN
    with np.errstate(divide="ignore"):
        got = special.trigamma(batch).reshape(-1)
        assert np.isnan(got[-2:]).all()
        _check("trigamma", got[:-2], grid)
        got = special.trigamma_minus_reciprocal(batch).reshape(-1)
    assert np.isnan(got[-2:]).all()


def test_gammaln_keeps_the_memory_order_of_its_input():
    # scipy returns the result in the input's memory order; the points near the zeros are
    # written into it by flat index, so a Fortran-ordered batch must come back right
    x = np.asfortranarray(np.array([[1.05, 2.0], [3.0, 1.95], [0.95, 7.5]]))
    got = special.gammaln(x)
    exact = np.array([[float(mp.loggamma(mp.mpf(float(v)))) for v in row] for row in x])
    np.testing.assert_allclose(got, exact, rtol=4e-16, atol=1e-300)


@pytest.mark.parametrize("path", ["estrin", "horner"])
def test_gammaln_near_both_zeros_one_zero_at_a_time(path, monkeypatch):
    # many points near the zeros take each zero's series on its own points, few take both as
    # one series with per-point coefficients (the first test): the same tolerance
    monkeypatch.setattr(special, "_ESTRIN_MAX_SIZE", 10**9 if path == "estrin" else 0)
    monkeypatch.setattr(special, "_LGAMMA_NEAR_TOGETHER", 0)
    _, _, grid, _ = CASES["gammaln"]
    _check("gammaln", special.gammaln(grid), grid)
    # a batch with points near one zero only
    near_one = grid[np.abs(grid - 1.0) < 0.1]
    _check("gammaln", special.gammaln(near_one), near_one)
