"""Generalized linear models: a linear predictor and an output head.

The raw outputs are X W for a weight matrix W of shape (d, r) (r the head's width), flattened
row-major into w = W.ravel(): coefficient (a, k) of input column a on raw output k is
w[a·r + k]. No intercept is added: put a column of ones in X (as statsmodels' add_constant).
The curvature comes as Xᵀ diag(m) X blocks, one per pair of raw outputs.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from .heads import Head
from .problem import ModelBase, Predictor


class LinearPredictor(Predictor):
    """raw = X W, W (d, r) stored row-major in w (d·r,)."""

    def __init__(self, d: int, r: int):
        self.d, self.width = int(d), int(r)
        self.n_weights = self.d * self.width

    def __repr__(self) -> str:
        return f"<LinearPredictor d={self.d}, r={self.width}>"

    def _W(self, w) -> np.ndarray:
        return np.asarray(w, dtype=np.float64).reshape(self.d, self.width)

    def init(self, seed=0) -> np.ndarray:
        """Zeros (a GLM's usual start is chosen by the fit, not here)."""
        return np.zeros(self.n_weights)

    def forward(self, w, X) -> np.ndarray:
        """The raw outputs X W: (n, r)."""
        if self.width == 1:  # a matrix-vector product (gemv) is cheaper than an (n, d)·(d, 1) one
            return (X @ np.asarray(w, dtype=np.float64))[:, None]
        return X @ self._W(w)

    def jvp(self, w, X, v) -> np.ndarray:
        """The Jacobian-vector product X V: (n, r), V the direction ``v`` (P,) as a (d, r)
        matrix."""
        return X @ self._W(v)

    def vjp(self, w, X, u) -> np.ndarray:
        """The vector-Jacobian product vec(Xᵀ U): (P,), for ``u`` (n, r)."""
        if self.width == 1:  # gemv, as in forward
            return X.T @ u[:, 0]
        return (X.T @ u).ravel()

    def per_row_vjp(self, w, X, u) -> np.ndarray:
        """The per-row vector-Jacobian products x_i ⊗ u_i: (n, P)."""
        return (X[:, :, None] * u[:, None, :]).reshape(X.shape[0], self.n_weights)

    def jacobian(self, w, X) -> np.ndarray:
        """The Jacobian of the raw outputs in the weights: (n, r, d, r)."""
        n = X.shape[0]
        J = np.zeros((n, self.width, self.d, self.width))
        for k in range(self.width):
            J[:, k, :, k] = X
        return J.reshape(n, self.width, self.n_weights)

    def residual_hvp(self, w, X, u, v) -> np.ndarray:
        """Σ_i u_iᵀ ∇²raw_i v, zero: (P,) (the raw outputs are linear in the weights)."""
        return np.zeros(self.n_weights)  # raw is linear in w

    def residual_hessian(self, w, X, u) -> np.ndarray:
        """Σ_i u_iᵀ ∇²raw_i, zero: (P, P) (the raw outputs are linear in the weights)."""
        return np.zeros((self.n_weights, self.n_weights))

    def gram(self, w, X, M) -> np.ndarray:
        """Σ_i J_iᵀ M_i J_i = the (d, r, d, r) blocks Xᵀ diag(M[:, k, l]) X, as (P, P)."""
        r = self.width
        if r == 1:
            return _weighted_gram(X, M[:, 0, 0])
        G = np.empty((self.d, r, self.d, r))
        for k in range(r):
            for kk in range(k, r):
                block = _weighted_gram(X, M[:, k, kk])
                G[:, k, :, kk] = block
                G[:, kk, :, k] = block.T
        return G.reshape(self.n_weights, self.n_weights)


#: Bytes of one block of rows of the weighted Gram product. A block of X·√m this size stays in
#: the cache between its scaling and its BLAS product, so X is read from memory once; scaling the
#: whole of X first writes an n × d copy and reads it back (three passes over 8·n·d bytes, and
#: about twice the time at n = 1e5, d = 20).
GRAM_BLOCK_BYTES = 1 << 19


def _weighted_gram(X: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Xᵀ diag(m) X, (d, d), summed over blocks of rows of X (n, d), for weights m (n,).

    For m ≥ 0 each block is one symmetric BLAS product (syrk) of X_b·√m_b with itself.
    """
    n, d = X.shape
    rows = max(256, GRAM_BLOCK_BYTES // (8 * max(d, 1)))
    buf = np.empty((min(rows, n), d))
    G = np.zeros((d, d))
    nonnegative = bool(np.all(m >= 0))
    scale = np.sqrt(m) if nonnegative else m
    for i in range(0, n, rows):
        xb = X[i:i + rows]
        zb = np.multiply(xb, scale[i:i + rows, None], out=buf[:len(xb)])
        G += zb.T @ zb if nonnegative else xb.T @ zb
    return G


class GLM(ModelBase):
    """A generalized linear model: raw = X W (+ offset on the first output), then ``head``.

    Parameters
    ----------
    head : Head or str
        The output head; a family name builds ``Head(name)`` with its defaults.

    Examples
    --------
    >>> import fisherlab.models as flm                                # doctest: +SKIP
    >>> prob = flm.GLM(flm.Head("poisson")).problem(X, y)
    >>> prob.fisher(w)   # Xᵀ diag(λ) X / n
    """

    def __init__(self, head):
        self.head = head if isinstance(head, Head) else Head(head)

    def __repr__(self) -> str:
        return f"GLM({self.head!r})"

    def predictor(self, X) -> LinearPredictor:
        """The linear predictor for inputs X (n, d): only d is read (X's entries are checked by
        the problem)."""
        shape = np.shape(X)
        if len(shape) != 2:
            raise ShapeError(f"X must have shape (n, d), got {shape}")
        return LinearPredictor(shape[1], self.head.width)
