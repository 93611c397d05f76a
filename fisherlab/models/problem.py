"""The problem of a model on data: loss, gradient and every curvature, from a predictor and a head.

A :class:`Problem` joins a predictor (weights w of shape (P,) → raw outputs (n, r)) and a
:class:`~fisherlab.models.heads.Head` on data (X, y), with optional prior weights per row,
an offset added to the first raw output, and an L2 penalty:

    loss(w) = Σ_i a_i · ℓ_i(w) / n + (l2/2) ‖w‖²,   ℓ_i = −log p(y_i | θ(raw_i(w)))

with a_i the prior weights (1 by default). Every curvature is built from the head's kernels:

- ``fisher(w)`` = the generalized Gauss–Newton Σ_i a_i J_iᵀ F_i J_i / n + l2·I, with F_i the
  head's output Fisher in raw coordinates and J_i = ∂raw_i/∂w;
- ``hessian(w)`` = Σ_i a_i J_iᵀ H_i J_i / n + ∇²_w(Σ_i a_i g_i·raw_i)/n + l2·I, H_i and g_i the
  head's Hessian and gradient in raw coordinates (the second term is the residual term, zero
  for a linear predictor).

Dense matrices are formed only for at most :data:`DENSE_LIMIT` weights; above it ``fisher``
and ``hessian`` return :class:`scipy.sparse.linalg.LinearOperator` s built on
``fisher_vp``/``hessian_vp``, and nothing P × P is allocated.

Predictors implement the interface documented in :class:`Predictor`; a model (a
:class:`ModelBase`) is a head plus a way to build a predictor for an input width.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

from .. import as_family
from ..errors import DomainError, NotAvailableError, ShapeError, describe
from .heads import Head

#: Largest number of weights for which ``fisher``/``hessian``/``empirical_fisher`` return dense
#: arrays (4096² doubles = 128 MiB); beyond, they return LinearOperators.
DENSE_LIMIT = 4096

#: Per-row products held at once by ``fisher_diag`` (2²² doubles = 32 MiB).
_DIAG_BLOCK = 1 << 22


class Predictor:
    """The interface of a predictor: weights w (P,) and inputs X (n, d) → raw outputs (n, r).

    Attributes
    ----------
    n_weights : int
        P.
    width : int
        r, raw outputs per row (equal to the head's width).

    Subclasses implement ``init``, ``forward``, ``jvp``, ``vjp``, ``per_row_vjp``, ``jacobian``,
    ``residual_hvp`` and ``residual_hessian``. They may add ``gram(w, X, M)`` returning
    Σ_i J_iᵀ M_i J_i (P, P) for M (n, r, r), a fast path :class:`Problem` uses when present.
    """

    n_weights: int
    width: int

    def init(self, seed=0) -> np.ndarray:
        """Initial weights, shape (P,), a fixed function of ``seed``."""
        raise NotImplementedError

    def forward(self, w, X) -> np.ndarray:
        """The raw outputs of the rows of X (n, d): (n, r)."""
        raise NotImplementedError

    def jvp(self, w, X, v) -> np.ndarray:
        """The Jacobian-vector product J v of the raw outputs: (n, r), for ``v`` (P,)."""
        raise NotImplementedError

    def vjp(self, w, X, u) -> np.ndarray:
        """The vector-Jacobian product Σ_i J_iᵀ u_i: (P,), for ``u`` (n, r)."""
        raise NotImplementedError

    def per_row_vjp(self, w, X, u) -> np.ndarray:
        """The per-row vector-Jacobian products J_iᵀ u_i: (n, P)."""
        raise NotImplementedError

    def jacobian(self, w, X) -> np.ndarray:
        """The Jacobian of the raw outputs in the weights: (n, r, P) (or a reshaping of it)."""
        raise NotImplementedError

    def residual_hvp(self, w, X, u, v) -> np.ndarray:
        """Σ_i Σ_k u_ik ∇²raw_ik v, the residual Hessian-vector product: (P,)."""
        raise NotImplementedError

    def residual_hessian(self, w, X, u) -> np.ndarray:
        """Σ_i Σ_k u_ik ∇²raw_ik, the residual Hessian: (P, P)."""
        raise NotImplementedError


def check_inputs(X) -> np.ndarray:
    """X as a float (n, d) array; ShapeError for another shape, DomainError naming the first
    row holding NaN or ±inf."""
    arr = np.asarray(X, dtype=np.float64)
    if arr.ndim != 2:
        raise ShapeError(f"X must have shape (n, d), got {arr.shape}")
    # a finite sum proves every entry finite (NaN and ±inf propagate) without an (n, d) mask;
    # a sum that overflows from finite entries falls through to the entry-wise check (silently:
    # those inputs are valid)
    with np.errstate(over="ignore", invalid="ignore"):
        total = arr.sum()
    if not np.isfinite(total) and not np.isfinite(arr).all():
        rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        raise DomainError(f"X must be finite; row {rows[0]} has {arr[rows[0]].tolist()!r} "
                          f"({rows.size} row(s) in all)")
    return arr


def _per_row(values, n: int, name: str, positive: bool = False) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise ShapeError(f"{name} must have shape ({n},) (one per row of X), got {arr.shape}")
    bad = ~np.isfinite(arr) | ((arr < 0) if positive else False)
    if np.any(bad):
        i = int(np.flatnonzero(bad)[0])
        need = "finite and >= 0" if positive else "finite"
        raise DomainError(f"{name} must be {need}; row {i} has {float(arr[i])!r} "
                          f"({describe(arr[bad])})")
    return arr


def _with_trials(head: Head, trials, n: int) -> Head:
    """``head`` with its binomial family bound to per-row trials (n,)."""
    fam = head.family
    if fam.name != "binomial" or fam.spec.template is None:
        raise NotAvailableError(f"trials are the per-row n of a binomial head; {head!r} has none")
    arr = np.asarray(trials, dtype=np.float64)
    if arr.shape != (n,):
        raise ShapeError(f"trials must have shape ({n},) (one per row of X), got {arr.shape}")
    links = {p: lk.name for p, lk in head.links.items()}
    # fl.family checks the trials like a parameter: DomainError naming n and the bad values
    return Head(as_family("binomial", n=arr), head.param, link=links, fixed=head.fixed)


class ModelBase:
    """A model: a head, and a predictor built for the inputs' width.

    Subclasses implement ``predictor(X)`` returning a :class:`Predictor`.
    """

    head: Head

    def predictor(self, X) -> Predictor:
        """The :class:`Predictor` (raw outputs and their derivatives) for inputs X (n, d)."""
        raise NotImplementedError

    def problem(self, X, y, trials=None, weights=None, offset=None, l2: float = 0.0) -> Problem:
        """The :class:`Problem` of this model on (X, y).

        Parameters
        ----------
        X : array (n, d)
        y : array (n,) or (n, k)
        trials : array (n,), optional
            Per-row binomial trials, whole numbers ≥ 1, for a binomial head: the problem's head
            is the same head with its family bound to n = trials row by row (y_i successes out
            of trials_i). Other heads raise NotAvailableError.
        weights : array (n,), optional
            Prior weights a_i ≥ 0 (statsmodels' var_weights).
        offset : array (n,), optional
            Added to the first raw output of each row (log exposure for a log link).
        l2 : float
            Penalty (l2/2)‖w‖².
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ShapeError(f"X must have shape (n, d), got {X.shape}")
        # Problem checks X entry by entry (once: a pass over X costs a Newton step's tenth)
        return Problem(self.predictor(X), self.head, X, y, trials=trials, weights=weights,
                       offset=offset, l2=l2)


class Problem:
    """A model's objective on data, with its exact curvature (see the module docstring).

    Parameters
    ----------
    predictor : Predictor
    head : Head
    X : array (n, d)
    y : array (n,) or (n, k)
    trials, weights, offset, l2
        As in :meth:`ModelBase.problem`.

    Attributes
    ----------
    dim : int
        P, the number of weights.
    n : int
        Rows.
    name : str
    """

    def __init__(self, predictor: Predictor, head: Head, X, y, trials=None, weights=None,
                 offset=None, l2: float = 0.0):
        if trials is not None:
            head = _with_trials(head, trials, check_inputs(X).shape[0])
        if predictor.width != head.width:
            raise ShapeError(f"the predictor outputs {predictor.width} raw values per row; the "
                             f"head {head!r} takes {head.width}")
        self.X = check_inputs(X)
        n = self.X.shape[0]
        if n == 0:
            raise ShapeError("X has no rows")
        self.y = head.check_y(y)
        if self.y.shape[0] != n:
            raise ShapeError(f"y has {self.y.shape[0]} rows, X has {n}")
        self.weights = _per_row(weights, n, "weights", positive=True)
        self.offset = _per_row(offset, n, "offset")
        if not (np.isfinite(l2) and l2 >= 0):
            raise DomainError(f"l2 must be finite and >= 0, got {l2!r}")
        self.l2 = float(l2)
        self.predictor = predictor
        self.head = head
        self.n = n
        self.dim = predictor.n_weights
        self.name = f"{type(predictor).__name__} {head.family.key} {head.param}"
        self.trials = None
        self._a = np.ones(n) if self.weights is None else self.weights
        self._cache_w: np.ndarray | None = None
        self._cache: dict = {}

    def subset(self, rows) -> Problem:
        """The same problem on rows ``rows`` only (a minibatch): same predictor, head and l2,
        with X, y, weights and offset sliced; its loss is the mean over those rows.

        ``rows`` is an integer index array (or a slice); the data is not checked again.
        """
        if isinstance(rows, slice):
            idx = rows
        else:
            idx = np.asarray(rows)
            if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
                raise ShapeError(f"rows must be a non-empty 1-d integer index array, got "
                                 f"{idx.dtype} of shape {idx.shape}")
            if idx.min() < -self.n or idx.max() >= self.n:
                raise ShapeError(f"rows must index the {self.n} rows; got {idx.min()}..{idx.max()}")
        sub = object.__new__(type(self))
        sub.__dict__.update(self.__dict__)
        sub.X, sub.y = self.X[idx], self.y[idx]
        sub.weights = None if self.weights is None else self.weights[idx]
        sub.offset = None if self.offset is None else self.offset[idx]
        sub._a = self._a[idx]
        sub.n = sub.X.shape[0]
        if sub.n == 0:
            raise ShapeError("rows selects no row")
        sub._cache_w, sub._cache, sub._target = None, {}, None
        return sub

    def __repr__(self) -> str:
        return f"<Problem {self.name}: n={self.n}, P={self.dim}>"

    # -- evaluation at w, cached for the last w
    def _vector(self, w, name: str = "w") -> np.ndarray:
        arr = np.asarray(w, dtype=np.float64)
        if arr.shape != (self.dim,):
            raise ShapeError(f"{self.name}: {name} must have shape ({self.dim},), got {arr.shape}")
        return arr

    def _at(self, w) -> dict:
        w = self._vector(w)
        if self._cache_w is None or not np.array_equal(w, self._cache_w):
            self._cache_w = w.copy()
            self._cache = {}
        return self._cache

    def raw(self, w) -> np.ndarray:
        """Raw outputs (n, r), offset included."""
        c = self._at(w)
        if "raw" not in c:
            raw = self.predictor.forward(self._cache_w, self.X)
            if self.offset is not None:
                raw = raw.copy()
                raw[:, 0] += self.offset
            c["raw"] = raw
        return c["raw"]

    def point(self, w):
        """The head at this w's raw outputs (a :class:`~fisherlab.models.heads.HeadPoint`)."""
        c = self._at(w)
        if "point" not in c:
            c["point"] = self.head.at(self.raw(w))
        return c["point"]

    def _row(self, w, what: str) -> np.ndarray:
        c = self._at(w)
        if what not in c:
            p = self.point(w)
            c[what] = {"loss": lambda: p.loss(self.y), "grad": lambda: p.grad(self.y),
                       "fisher": p.fisher, "hessian": lambda: p.hessian(self.y),
                       "fisher_structure": p.fisher_structure}[what]()
        return c[what]

    def contains(self, w) -> bool:
        """Whether w is finite and every row's θ lies in the head's domain."""
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (self.dim,) or not np.isfinite(w).all():
            return False
        try:
            self.point(w)
        except DomainError:
            return False
        return True

    # -- loss and gradient
    def loss(self, w) -> float:
        """Σ_i a_i ℓ_i / n + (l2/2)‖w‖²."""
        c = self._at(w)
        if "f" not in c:
            w = self._cache_w
            c["f"] = float(self._a @ self._row(w, "loss")) / self.n + 0.5 * self.l2 * float(w @ w)
        return c["f"]

    def grad(self, w) -> np.ndarray:
        """(P,)."""
        c = self._at(w)
        if "g" not in c:
            w = self._cache_w
            u = self._row(w, "grad") * (self._a / self.n)[:, None] if self.weights is not None \
                else self._row(w, "grad") / self.n
            c["g"] = self.predictor.vjp(w, self.X, u) + self.l2 * w
        return c["g"]

    def per_sample_grads(self, w) -> np.ndarray:
        """Gradients of a_i ℓ_i, row by row (no penalty): (n, P)."""
        w = self._vector(w)
        u = self._row(w, "grad") * self._a[:, None]
        return self.predictor.per_row_vjp(w, self.X, u)

    # -- dense curvature
    def _dense_ok(self, what: str) -> bool:
        return self.dim <= DENSE_LIMIT

    def _gram(self, w, M) -> np.ndarray:
        """Σ_i J_iᵀ M_i J_i / n for M (n, r, r)."""
        pred = self.predictor
        if hasattr(pred, "gram"):
            return pred.gram(w, self.X, M) / self.n
        J = pred.jacobian(w, self.X)  # (n, r, P)
        return np.einsum("nap,nab,nbq->pq", J, M, J, optimize=True) / self.n

    def _ridge(self, A: np.ndarray) -> np.ndarray:
        if self.l2:
            A = A.copy()
            A[np.diag_indices_from(A)] += self.l2
        return A

    def fisher(self, w):
        """The GGN Σ_i a_i J_iᵀ F_i J_i / n + l2·I: (P, P), or a LinearOperator past DENSE_LIMIT."""
        if not self._dense_ok("fisher"):
            return self.fisher_operator(w)
        c = self._at(w)
        if "F" not in c:
            w = self._cache_w
            M = self._row(w, "fisher")
            if self.weights is not None:
                M = M * self._a[:, None, None]
            c["F"] = self._ridge(self._gram(w, M))
        return c["F"]

    def hessian(self, w):
        """The exact Hessian of ``loss``: (P, P), or a LinearOperator past DENSE_LIMIT."""
        if not self._dense_ok("hessian"):
            return self.hessian_operator(w)
        c = self._at(w)
        if "H" not in c:
            w = self._cache_w
            H = self._gram(w, self._row(w, "hessian") * self._a[:, None, None])
            u = self._row(w, "grad") * (self._a / self.n)[:, None]
            H = H + self.predictor.residual_hessian(w, self.X, u)
            c["H"] = self._ridge(H)
        return c["H"]

    def empirical_fisher(self, w):
        """Σ_i a_i² g_i g_iᵀ / n with g_i = ∇ℓ_i (the gradients of the weighted per-row losses;
        no penalty): (P, P), or a LinearOperator past DENSE_LIMIT."""
        G = self.per_sample_grads(w)
        if not self._dense_ok("empirical_fisher"):
            return LinearOperator((self.dim, self.dim), dtype=np.float64,
                                  matvec=lambda v: G.T @ (G @ np.ravel(v)) / self.n)
        return G.T @ G / self.n

    def mc_fisher(self, w, samples: int = 1, seed=None) -> np.ndarray:
        """Monte Carlo GGN: y drawn ``samples`` times from the head at w, F_i replaced by the mean
        of g gᵀ over the draws (g = the raw gradient at the drawn y), plus l2·I: (P, P).

        Unbiased for :meth:`fisher`; its error falls as 1/√samples.
        """
        if samples < 1:
            raise DomainError(f"samples must be >= 1, got {samples!r}")
        if not self._dense_ok("mc_fisher"):
            raise NotAvailableError(f"mc_fisher is dense; P = {self.dim} > {DENSE_LIMIT}")
        w = self._vector(w)
        p = self.point(w)
        rng = np.random.default_rng(seed)
        M = np.zeros((self.n, self.head.width, self.head.width))
        for _ in range(int(samples)):
            g = p.grad(p.sample(rng))
            M += g[:, :, None] * g[:, None, :]
        M *= self._a[:, None, None] / samples
        return self._ridge(self._gram(w, M))

    def fisher_diag(self, w) -> np.ndarray:
        """Diagonal of the GGN (penalty included): (P,), from per-row products with the factor
        of each row's Fisher, never a P × P array."""
        w = self._vector(w)
        L = self.point(w).fisher_factor() * np.sqrt(self._a)[:, None, None]  # (n, r, q)
        out = np.zeros(self.dim)
        # rows in blocks of at most _DIAG_BLOCK numbers of per-row products (an MLP with 1e5
        # weights on 2e3 rows would otherwise hold 1.6 GB at once)
        step = max(1, _DIAG_BLOCK // self.dim)
        for a in range(0, self.n, step):
            Xa = self.X if step >= self.n else self.X[a:a + step]
            for k in range(L.shape[2]):
                rows = self.predictor.per_row_vjp(w, Xa, L[a:a + step, :, k])  # (block, P)
                out += np.einsum("np,np->p", rows, rows)
        return out / self.n + self.l2

    # -- matrix-free products
    def fisher_vp(self, w, v) -> np.ndarray:
        """GGN times v: Jᵀ (a F (J v)) / n + l2 v, (P,)."""
        w = self._vector(w)
        v = self._vector(v, "v")
        Jv = self.predictor.jvp(w, self.X, v)
        # through each row's structured Fisher (O(K) per row for a softmax head)
        u = self.point(w).fisher_vp(Jv, self._row(w, "fisher_structure"))
        u = u * (self._a / self.n)[:, None]
        return self.predictor.vjp(w, self.X, u) + self.l2 * v

    def hessian_vp(self, w, v) -> np.ndarray:
        """Hessian times v, residual term included: (P,)."""
        w = self._vector(w)
        v = self._vector(v, "v")
        Jv = self.predictor.jvp(w, self.X, v)
        scale = (self._a / self.n)[:, None]
        u = np.einsum("nab,nb->na", self._row(w, "hessian"), Jv) * scale
        g = self._row(w, "grad") * scale
        return (self.predictor.vjp(w, self.X, u)
                + self.predictor.residual_hvp(w, self.X, g, v) + self.l2 * v)

    def fisher_operator(self, w) -> LinearOperator:
        """The GGN at w as a LinearOperator (any size)."""
        w = self._vector(w).copy()
        return LinearOperator((self.dim, self.dim), dtype=np.float64,
                              matvec=lambda v: self.fisher_vp(w, np.ravel(v)))

    def hessian_operator(self, w) -> LinearOperator:
        """The Hessian at w as a LinearOperator (any size)."""
        w = self._vector(w).copy()
        return LinearOperator((self.dim, self.dim), dtype=np.float64,
                              matvec=lambda v: self.hessian_vp(w, np.ravel(v)))

    # -- divergences
    def divergence(self, w_p, w_q) -> float:
        """Σ_i a_i KL(p(y | x_i, w_p) ‖ p(y | x_i, w_q)) / n, from the head family's KL kernel."""
        rp = self.raw(w_p).copy()
        rq = self.raw(w_q)
        return float(self._a @ self.head.kl(rp, rq)) / self.n

    _target: np.ndarray | None = None

    @property
    def target(self) -> np.ndarray:
        """The weights :meth:`kl` measures from: unless set, the minimizer of ``loss`` of a
        linear predictor (found by :func:`fisherlab.models.fit.minimize_newton` on first use);
        other predictors raise NotAvailableError until it is set."""
        if self._target is None:
            from .glm import LinearPredictor  # glm and fit build on this module

            if not isinstance(self.predictor, LinearPredictor):
                # a network's minimizer is neither unique nor found by Newton from any start
                raise NotAvailableError(
                    f"{self.name}: no target to measure KL from; set problem.target = w (e.g. "
                    "a trained network's weights) or run with record_kl=False")
            from .fit import (  # fit builds on this module
                minimize_newton,
                starting_weights,
            )

            self._target = minimize_newton(self, starting_weights(self))[0]
        return self._target

    @target.setter
    def target(self, w) -> None:
        self._target = self._vector(w, "target").copy()

    def kl(self, w) -> float:
        """``divergence(target, w)``: what the runner records with ``record_kl``."""
        return self.divergence(self.target, w)
