"""The batched Cholesky solves and inverses against numpy's general ones, on both sides of the
dimension where they switch to per-point LAPACK calls, with broadcast batch axes."""

from __future__ import annotations

import numpy as np
import pytest

from fisherlab.kernels._cholesky import LAPACK_FROM_D, cho_inverse, cho_solve, cholesky, tri_solve


def _spd(d, batch, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=batch + (d, d))
    return a @ a.swapaxes(-1, -2) / d + 0.5 * np.eye(d)


@pytest.mark.parametrize("d", [1, 3, LAPACK_FROM_D - 1, LAPACK_FROM_D, 40])
def test_solve_and_inverse_against_numpy(d):
    M = _spd(d, (4, 3), d)
    C = np.linalg.cholesky(M)
    b = np.random.default_rng(1).normal(size=(3, d, 2))  # broadcast against (4, 3)
    x = cho_solve(C, b)
    assert x.shape == (4, 3, d, 2)
    np.testing.assert_allclose(M @ x, np.broadcast_to(b, x.shape), rtol=1e-12, atol=1e-12)
    inv = cho_inverse(C)
    np.testing.assert_array_equal(inv, inv.swapaxes(-1, -2))
    np.testing.assert_allclose(inv, np.linalg.inv(M), rtol=1e-11, atol=1e-13)
    for transpose in (False, True):
        T = C.swapaxes(-1, -2) if transpose else C
        y = tri_solve(C, b, transpose)
        np.testing.assert_allclose(T @ y, np.broadcast_to(b, y.shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("d", [3, LAPACK_FROM_D, 40])
def test_cholesky_against_numpy(d):
    """The factor (upper triangle zero) against numpy's, and numpy's error where one matrix of
    the batch is not positive definite. (A NaN passes LAPACK's factorization, numpy's too: the
    kernels check finiteness before.)"""
    M = _spd(d, (4, 3), d)
    C = cholesky(M)
    assert C.shape == M.shape
    np.testing.assert_array_equal(np.triu(C, 1), 0.0)
    np.testing.assert_allclose(C, np.linalg.cholesky(M), rtol=1e-12, atol=1e-14)
    N = M.copy()
    N[2, 1, d - 1, d - 1] = -1.0
    with pytest.raises(np.linalg.LinAlgError):
        cholesky(N)
