"""A structured matrix that is just its dense array: the default, and the reference."""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, ShapeError
from .base import Structured


class Dense(Structured):
    """M given as an array (..., p, p), symmetric positive definite.

    Parameters
    ----------
    matrix : array (..., p, p)
        The matrices; they are used as given (symmetry is the caller's promise).
    """

    def __init__(self, matrix):
        m = np.asarray(matrix, dtype=np.float64)
        if m.ndim < 2 or m.shape[-1] != m.shape[-2]:
            raise ShapeError(f"matrix must have shape (..., p, p), got {m.shape}")
        self._m = m
        self.batch_shape = m.shape[:-2]
        self.p = m.shape[-1]

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        return np.matmul(self._m, v[..., None])[..., 0]

    def _solve(self, g: np.ndarray, damping: float) -> np.ndarray:
        m = self._m + damping * np.eye(self.p) if damping else self._m
        return np.linalg.solve(m, g[..., None])[..., 0]

    def logdet(self) -> np.ndarray:
        """log det M by a batched LU (``numpy.linalg.slogdet``)."""
        sign, logabs = np.linalg.slogdet(self._m)
        if not (sign > 0).all():
            raise DomainError(f"logdet needs positive-definite matrices; {int((sign <= 0).sum())} "
                              "of the batch have a determinant <= 0")
        return logabs

    def dense(self) -> np.ndarray:
        """The array given, (..., p, p)."""
        return self._m
