"""Array helpers shared by the argument checks of declarations and of compiled kernels.

Checking an argument is on every kernel call's path, so these are written for speed: a handful of
numbers is compared as Python floats (cheaper than a ufunc call each), and sums along a short last
axis are a matrix-vector product.
"""

from __future__ import annotations

import numpy as np

#: Up to this many numbers, argument checks compare Python floats (cheaper than ufunc calls).
FEW_NUMBERS = 16


def row_sums(a: np.ndarray) -> np.ndarray:
    """Σ over the last axis of ``a`` (..., k) -> (...), as one matrix-vector product: ~3× faster
    than ``a.sum(axis=-1)``, whose reduction along a short last axis is strided."""
    if a.ndim == 1:  # one point: a Python-level sum of a few numbers beats building the vector
        return a.sum()
    return a @ np.ones(a.shape[-1])


def off_open_simplex(theta: np.ndarray) -> np.ndarray:
    """Where free probabilities (..., k − 1) leave no mass for the last class: ~(Σ p_i < 1)."""
    return ~(row_sums(theta) < 1.0)


__all__ = ["FEW_NUMBERS", "row_sums", "off_open_simplex"]
