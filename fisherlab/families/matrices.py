"""Symmetric-matrix parameters and observations as flat vectors: the lower triangle, row by row.

A symmetric d × d matrix S is stored as its d(d+1)/2 entries S_ij with i ≥ j in the order
(1,1), (2,1), (2,2), (3,1), (3,2), (3,3), … (docs/multivariate_normal.md states how such a vector
is differentiated). The helpers here convert between that vector and matrices, numerically
(numpy, batched on the leading axes) and symbolically (sympy ``Matrix``), and name the entries.
The families with matrix parameters or observations (the multivariate normal and its variants,
the Wishart, inverse Wishart and normal-Wishart) share them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["entry_suffix", "pairs", "symmetric", "not_positive_definite",
           "not_positive_definite_vech", "lower",
           "sym_matrix", "inverse"]


def entry_suffix(i: int, j: int, d: int) -> str:
    """The name suffix of entry (i, j), 0-based: "21" for d < 10, "2_1" from d = 10 on."""
    return f"{i + 1}{j + 1}" if d < 10 else f"{i + 1}_{j + 1}"


def pairs(d: int) -> list[tuple[int, int]]:
    """The lower triangle (i ≥ j), row by row, 0-based."""
    return [(i, j) for i in range(d) for j in range(i + 1)]


def symmetric(d: int, entries) -> np.ndarray:
    """(..., d(d+1)/2) lower-triangle entries -> (..., d, d) symmetric matrices."""
    entries = np.asarray(entries, dtype=np.float64)
    out = np.zeros(entries.shape[:-1] + (d, d))
    for n, (i, j) in enumerate(pairs(d)):
        out[..., i, j] = out[..., j, i] = entries[..., n]
    return out


def not_positive_definite(mats: np.ndarray) -> np.ndarray:
    """Mask (...) of the symmetric matrices (..., d, d) that are not positive definite."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(mats).all(axis=(-2, -1))
        safe = np.where(bad[..., None, None], np.eye(mats.shape[-1]), mats)
        return bad | ~(np.linalg.eigvalsh(safe)[..., 0] > 0)


def not_positive_definite_vech(d: int, entries) -> np.ndarray:
    """Mask (...) of the lower-triangle vectors (..., d(d+1)/2) whose symmetric matrix is not
    positive definite."""
    return not_positive_definite(symmetric(d, entries))


def lower(sp, d: int, entries, diag=lambda sp, v: v):
    """A lower-triangular sympy Matrix from row-by-row entries, diag mapped by ``diag``."""
    L = sp.zeros(d, d)
    for (i, j), v in zip(pairs(d), entries):
        L[i, j] = diag(sp, v) if i == j else v
    return L


def sym_matrix(sp, d: int, entries):
    """A symmetric sympy Matrix from its lower-triangle entries, row by row."""
    S = sp.zeros(d, d)
    for (i, j), v in zip(pairs(d), entries):
        S[i, j] = S[j, i] = v
    return S


def inverse(sp, M):
    """M⁻¹ as adj(M)/det(M), entrywise: rational functions sympy simplifies well."""
    det = M.det(method="berkowitz")
    return M.adjugate(method="berkowitz") / det
