"""The interface every structured matrix offers."""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError


class Structured:
    """A batch of symmetric positive-definite p × p matrices M held in a structured form.

    Attributes
    ----------
    batch_shape : tuple
        The leading (batch) axes ``...``.
    p : int
        The size of each matrix.

    Methods (each batched over ``...``, broadcasting like numpy):

    - ``matvec(v)``: M v, (..., p) -> (..., p);
    - ``solve(g, damping=0.0)``: (M + damping·I)⁻¹ g, (..., p) -> (..., p);
    - ``logdet()``: log det M, -> (...);
    - ``dense()``: the full matrices, (..., p, p), exactly symmetric.

    Subclasses implement ``_matvec``, ``_solve``, ``logdet`` and ``dense``; the public
    ``matvec``/``solve`` check shapes here, once.
    """

    batch_shape: tuple = ()
    p: int = 0

    @property
    def shape(self) -> tuple:
        """``batch_shape + (p, p)``, the shape :meth:`dense` returns."""
        return (*self.batch_shape, self.p, self.p)

    def _vector(self, v, name: str) -> np.ndarray:
        v = np.asarray(v, dtype=np.float64)
        if v.ndim == 0 or v.shape[-1] != self.p:
            raise ShapeError(f"{name} must have last axis of length {self.p}, got shape {v.shape}")
        return v

    def matvec(self, v) -> np.ndarray:
        """M v: (..., p) -> (..., p)."""
        return self._matvec(self._vector(v, "v"))

    def solve(self, g, damping: float = 0.0) -> np.ndarray:
        """(M + damping·I)⁻¹ g: (..., p) -> (..., p); ``damping`` ≥ 0 is explicit Tikhonov."""
        from ..errors import DomainError

        if not (np.isfinite(damping) and damping >= 0):
            raise DomainError(f"damping must be finite and >= 0, got {damping!r}")
        return self._solve(self._vector(g, "g"), float(damping))

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _solve(self, g: np.ndarray, damping: float) -> np.ndarray:
        raise NotImplementedError

    def logdet(self) -> np.ndarray:
        """log det M: -> (...)."""
        raise NotImplementedError

    def dense(self) -> np.ndarray:
        """The matrices themselves: (..., p, p)."""
        raise NotImplementedError
