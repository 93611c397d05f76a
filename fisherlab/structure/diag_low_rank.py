"""Diagonal plus low rank: M = diag(d) + U C Uᵀ, solved by Woodbury in O(p r²).

The Fisher information of the categorical (diag(p) − ppᵀ), the multinomial (n times it) and the
Dirichlet (diag(ψ′(α)) − ψ′(Σα) 11ᵀ) has this form with rank r = 1.

Solve and log-determinant go through the capacitance K = I + C Uᵀ D⁻¹ U (r × r):

- (D + U C Uᵀ)⁻¹ g = D⁻¹g − D⁻¹U K⁻¹ C Uᵀ D⁻¹ g (Woodbury, written without C⁻¹, so C may be
  singular);
- det(D + U C Uᵀ) = det(D) det(K) (the matrix determinant lemma).

K is where digits go: for the categorical K = 1 − Σ_{i<k} p_i = p_k, formed in floating point
as one minus a sum close to one when the last class is rare. A caller that knows K in closed
form passes it (``capacitance=``; the categorical's kernels pass p_k computed from the logits),
and likewise the exact diagonal of M (``diagonal=``: p_i(1 − p_i) with 1 − p_i summed from the
other classes) for :meth:`DiagPlusLowRank.dense`, whose d + (U C Uᵀ)_ii cancels when p_i ≈ 1.
"""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, ShapeError
from .base import Structured


class DiagPlusLowRank(Structured):
    """A batch of matrices M = diag(d) + U C Uᵀ.

    Parameters
    ----------
    d : array (..., p)
        The diagonal part; nonzero (positive for :meth:`logdet`).
    U : array (..., p, r)
        The low-rank factor.
    C : array (..., r, r)
        The symmetric middle matrix (may be singular or indefinite: −1 for the categorical).
    capacitance : array (..., r, r), optional
        K = I + C Uᵀ diag(d)⁻¹ U, when the caller has it without cancellation; used by
        :meth:`solve` (without damping) and :meth:`logdet`. Computed from d, U and C otherwise.
    diagonal : array (..., p), optional
        The diagonal of M, when the caller has it without cancellation; used by :meth:`dense`.

    Notes
    -----
    Every operation costs O(p r²) per matrix (plus O(r³) for K), and nothing of size p × p is
    formed except by :meth:`dense`. Batch axes of d, U and C broadcast against each other.
    """

    def __init__(self, d, U, C, capacitance=None, diagonal=None):
        d = np.asarray(d, dtype=np.float64)
        U = np.asarray(U, dtype=np.float64)
        C = np.asarray(C, dtype=np.float64)
        if d.ndim < 1:
            raise ShapeError(f"d must have shape (..., p), got {d.shape}")
        p = d.shape[-1]
        if U.ndim < 2 or U.shape[-2] != p:
            raise ShapeError(f"U must have shape (..., {p}, r), got {U.shape}")
        r = U.shape[-1]
        if C.ndim < 2 or C.shape[-2:] != (r, r):
            raise ShapeError(f"C must have shape (..., {r}, {r}), got {C.shape}")
        if d.shape[:-1] == U.shape[:-2] == C.shape[:-2]:
            self.batch_shape = d.shape[:-1]
        else:
            self.batch_shape = np.broadcast_shapes(d.shape[:-1], U.shape[:-2], C.shape[:-2])
        self.p, self.rank = p, r
        self.d, self.U, self.C = d, U, C
        if capacitance is not None:
            capacitance = np.asarray(capacitance, dtype=np.float64)
            if capacitance.shape[-2:] != (r, r):
                raise ShapeError(f"capacitance must have shape (..., {r}, {r}), "
                                 f"got {capacitance.shape}")
        if diagonal is not None:
            diagonal = np.asarray(diagonal, dtype=np.float64)
            if diagonal.shape[-1:] != (p,):
                raise ShapeError(f"diagonal must have shape (..., {p}), got {diagonal.shape}")
        self._K = capacitance
        self._diagonal = diagonal
        # U = d[..., None] (the categorical's diag(p) − ppᵀ): the same memory, hence the same
        # numbers, so D⁻¹U is exactly 1 and the solve needs no division by d for it
        self._u_is_d = (r == 1 and U.shape[:-1] == d.shape and U.strides[:-1] == d.strides
                        and U.__array_interface__["data"][0] == d.__array_interface__["data"][0])

    def _low_rank(self, v: np.ndarray) -> np.ndarray:
        """U C Uᵀ v: (..., p) -> (..., p)."""
        if self.rank == 1:
            u = self.U[..., 0]
            return u * (self.C[..., 0, 0] * np.sum(u * v, axis=-1))[..., None]
        w = np.einsum("...ir,...i->...r", self.U, v)
        w = np.einsum("...rs,...s->...r", self.C, w)
        return np.einsum("...ir,...r->...i", self.U, w)

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        return self.d * v + self._low_rank(v)

    def capacitance(self, damping: float = 0.0) -> np.ndarray:
        """K = I + C Uᵀ (D + damping·I)⁻¹ U: (..., r, r); the exact one given, if any, when
        ``damping`` is 0."""
        if self._K is not None and not damping:
            return self._K
        dd = self.d + damping if damping else self.d
        G = np.einsum("...ir,...is->...rs", self.U / dd[..., None], self.U)
        return np.eye(self.rank) + np.matmul(self.C, G)

    def _solve(self, g: np.ndarray, damping: float) -> np.ndarray:
        dd = self.d + damping if damping else self.d
        w = g / dd
        K = self.capacitance(damping)
        if self.rank == 1:
            if self._u_is_d and not damping:
                t = self.C[..., 0, 0] * np.sum(g, axis=-1) / K[..., 0, 0]
                return w - t[..., None]
            u = self.U[..., 0]
            t = self.C[..., 0, 0] * np.sum(u * w, axis=-1) / K[..., 0, 0]
            return w - (u / dd) * t[..., None]
        t = np.einsum("...rs,...is,...i->...r", self.C, self.U, w)
        t = np.linalg.solve(np.broadcast_to(K, t.shape[:-1] + K.shape[-2:]), t[..., None])[..., 0]
        return w - np.einsum("...ir,...r->...i", self.U, t) / dd

    def logdet(self) -> np.ndarray:
        """log det M = Σ log d_i + log det K (the matrix determinant lemma): -> (...).

        Raises
        ------
        DomainError
            When some d_i ≤ 0 or det K ≤ 0 (M is not positive definite by this route).
        """
        if not (self.d > 0).all():
            raise DomainError("logdet needs a positive diagonal part d; "
                              f"{int((self.d <= 0).sum())} entries are <= 0")
        K = self.capacitance()
        if self.rank == 1:
            sign, logk = np.sign(K[..., 0, 0]), np.log(np.abs(K[..., 0, 0]))
        else:
            sign, logk = np.linalg.slogdet(K)
        if not (sign > 0).all():
            raise DomainError(f"logdet needs positive-definite matrices; {int((sign <= 0).sum())} "
                              "of the batch have a determinant <= 0")
        return np.sum(np.log(self.d), axis=-1) + logk

    def diagonal(self) -> np.ndarray:
        """The diagonal of M: (..., p); the exact one given, if any."""
        if self._diagonal is not None:
            return np.broadcast_to(self._diagonal, (*self.batch_shape, self.p))
        UC = np.matmul(self.U, self.C)
        return self.d + np.sum(UC * self.U, axis=-1)

    def dense(self) -> np.ndarray:
        """The matrices, (..., p, p), exactly symmetric (the diagonal from :meth:`diagonal`)."""
        if self.rank == 1:
            # c (u_i u_j): u_i u_j = u_j u_i exactly, so the result is exactly symmetric
            u = self.U[..., 0]
            full = self.C[..., 0, 0][..., None, None] * (u[..., :, None] * u[..., None, :])
            if full.shape != self.shape:
                full = np.array(np.broadcast_to(full, self.shape))
        else:
            full = np.matmul(np.matmul(self.U, self.C), np.swapaxes(self.U, -1, -2))
            full = np.array(np.broadcast_to(full, self.shape))
            full = 0.5 * (full + np.swapaxes(full, -1, -2))
        i = np.arange(self.p)
        full[..., i, i] = self.diagonal()
        return full
