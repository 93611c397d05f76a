"""The Fisher information of the multivariate normal as Kronecker blocks.

In the base coordinates (μ, Σ) the Fisher information is block diagonal,

    B = Σ⁻¹  ⊕  ½ Σ⁻¹ ⊗ Σ⁻¹   (the second block acting on symmetric directions U as ½Σ⁻¹UΣ⁻¹),

and in any parametrization θ it is F = Jᵀ B J with J = ∂(μ, Σ)/∂θ, a map that costs O(d³) to
apply (and to invert) per point. So are F v, F⁻¹ g and log det F, without the p × p matrix
(p = d + d(d+1)/2): O(d³) instead of O(d⁶). Every operator comes from the derivation
(fisherlab/kernels/multivariate_normal.py, printed from fisherlab/symbolic/mvn_structured.py).
"""

from __future__ import annotations

import numpy as np

from ..errors import NotAvailableError
from .base import Structured

#: The damped solve forms the dense matrices: at most this many numbers (1 GB) at once.
DENSE_NUMBERS_MAX = 1 << 27


class KroneckerBlocks(Structured):
    """F(θ) = Jᵀ (Σ⁻¹ ⊕ ½ Σ⁻¹ ⊗ Σ⁻¹) J for a batch of multivariate normals.

    Built by ``k.fisher(theta, structured=True)`` of the multivariate normal's kernels, which it
    keeps with the point's matrices (μ, Σ, Σ⁻¹ and the parametrization's own).

    Attributes
    ----------
    d : int
        The dimension; ``p = d + d(d+1)/2``.
    """

    def __init__(self, kernels, state):
        self._k = kernels
        self._st = state
        self.batch_shape = tuple(state.shape)
        self.d = kernels.dimension
        self.p = kernels.size

    @property
    def sigma(self) -> np.ndarray:
        """The covariance matrices Σ (..., d, d) (formed on first use in the coordinates that
        hold Λ)."""
        return self._st.Sigma

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        return self._k.fisher_apply(self._st, v)

    def _solve(self, g: np.ndarray, damping: float) -> np.ndarray:
        if damping:
            # F + damping·I has no Kronecker form: solve the dense system
            size = int(np.prod(np.broadcast_shapes(self.batch_shape, g.shape[:-1]),
                               dtype=np.int64)) * self.p * self.p
            if size > DENSE_NUMBERS_MAX:
                raise NotAvailableError(
                    f"solve with damping: F + damping·I has no Kronecker form, and its dense "
                    f"matrices (p = {self.p}, {size} numbers) would exceed {DENSE_NUMBERS_MAX}; "
                    "solve without damping (O(d³) per point) or on fewer points at a time")
            F = self.dense() + damping * np.eye(self.p)
            F, g = np.broadcast_arrays(F, g[..., None])
            return np.linalg.solve(F, g)[..., 0]
        return self._k.fisher_solve(self._st, g)

    def logdet(self) -> np.ndarray:
        """log det F = log det B + 2 log |det J|, with log det B = −(d + 2) log det Σ − d log 2
        (the block ½Σ⁻¹⊗Σ⁻¹ on the d(d+1)/2 lower-triangle coordinates has determinant
        2^(−d) det(Σ)^(−(d+1)), Magnus & Neudecker's det Dᵀ(A⊗A)D = 2^(d(d−1)/2) det(A)^(d+1))."""
        d, ld = self.d, self._st.logdet
        base = -(d + 2) * ld - d * np.log(2.0)
        return base + 2.0 * self._k.log_abs_det_jacobian(self._st)

    def dense(self) -> np.ndarray:
        """The matrices (..., p, p), applied to each basis direction; exactly symmetric."""
        F = self._k.fisher_dense(self._st)
        return 0.5 * (F + F.swapaxes(-1, -2))
