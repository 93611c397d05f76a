"""Batched Cholesky factorizations, and solves and inverses from the factors, for the
matrix-form kernels.

numpy has no triangular solve: ``np.linalg.solve`` on a Cholesky factor pays an LU
factorization, O(d³), even for one right-hand side, where the triangular solve is O(d²). From
d = :data:`LAPACK_FROM_D` on, the factor's own LAPACK routines (``potrs``, ``potri``), called once
per point, are faster than numpy's batched general routines (measured at d = 10 to 100: 1.2× to
9× for a solve with one right-hand side, 1.8× to 4× for the inverse, single-threaded); below it
the per-call overhead (a few µs) dominates and numpy's batched loop is kept. A solve with a
triangular factor itself (``trtrs``) likewise skips the LU factorization numpy would pay, and
the factorization (``potrf``) skips the copies in and out of numpy's batched one.
"""

from __future__ import annotations

import numpy as np

#: The dimension from which the per-point LAPACK calls are used.
LAPACK_FROM_D = 16


def cholesky(M: np.ndarray) -> np.ndarray:
    """The lower Cholesky factors (..., d, d) of symmetric M (..., d, d), the upper triangle
    zero; ``np.linalg.LinAlgError`` where one is not positive definite (as numpy's)."""
    d = M.shape[-1]
    if d < LAPACK_FROM_D or M.size == 0:
        return np.linalg.cholesky(M)
    from scipy.linalg.lapack import dpotrf

    Ms = np.ascontiguousarray(M).reshape((-1, d, d))
    out = np.empty(Ms.shape)
    for i in range(len(Ms)):
        # M symmetric: Ms[i].T, Fortran-ordered, is M itself without a copy; its upper factor
        # U = Lᵀ, read back through .T, is L in C order (numpy's batched routine copies each
        # matrix in and out column by column: 15 % slower at d = 100)
        c, info = dpotrf(Ms[i].T, lower=0, clean=1)
        if info:
            raise np.linalg.LinAlgError("Matrix is not positive definite")
        out[i] = c.T
    return out.reshape(M.shape)


def cho_solve(C: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(C Cᵀ)⁻¹ b for lower-triangular factors C (..., d, d) and right-hand sides b (..., d, k)."""
    d = C.shape[-1]
    if d < LAPACK_FROM_D:
        return np.linalg.solve(C.swapaxes(-1, -2), np.linalg.solve(C, b))
    from scipy.linalg.lapack import dpotrs

    batch = np.broadcast_shapes(C.shape[:-2], b.shape[:-2])
    Cs = np.broadcast_to(C, batch + C.shape[-2:]).reshape((-1, d, d))
    bs = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    out = np.empty(bs.shape)
    for i in range(len(Cs)):
        # Cᵀ seen in Fortran order is C's memory: the upper factor, without a copy
        out[i], _ = dpotrs(Cs[i].T, bs[i], lower=0)
    return out.reshape(batch + b.shape[-2:])


def tri_solve(C: np.ndarray, b: np.ndarray, transpose: bool = False) -> np.ndarray:
    """C⁻¹ b (or C⁻ᵀ b) for lower-triangular C (..., d, d) and b (..., d, k)."""
    d = C.shape[-1]
    if d < LAPACK_FROM_D:
        return np.linalg.solve(C.swapaxes(-1, -2) if transpose else C, b)
    from scipy.linalg.lapack import dtrtrs

    batch = np.broadcast_shapes(C.shape[:-2], b.shape[:-2])
    Cs = np.broadcast_to(C, batch + C.shape[-2:]).reshape((-1, d, d))
    bs = np.broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    out = np.empty(bs.shape)
    # Cs[i].T is Cᵀ (upper) in Fortran order: C x = b is its transposed system
    trans = 0 if transpose else 1
    for i in range(len(Cs)):
        out[i], _ = dtrtrs(Cs[i].T, bs[i], lower=0, trans=trans)
    return out.reshape(batch + b.shape[-2:])


def cho_inverse(C: np.ndarray) -> np.ndarray:
    """(C Cᵀ)⁻¹ for lower-triangular factors C (..., d, d), exactly symmetric."""
    d = C.shape[-1]
    if d < LAPACK_FROM_D:
        Ci = np.linalg.solve(C, np.eye(d))
        return Ci.swapaxes(-1, -2) @ Ci
    from scipy.linalg.lapack import dpotri

    Cs = C.reshape((-1, d, d))
    out = np.empty(Cs.shape)
    for i in range(len(Cs)):
        inv, _ = dpotri(Cs[i].T, lower=0)
        out[i] = inv.T  # its lower triangle holds the inverse's
    iu = np.triu_indices(d, 1)
    out[:, iu[0], iu[1]] = out[:, iu[1], iu[0]]
    return out.reshape(C.shape)
