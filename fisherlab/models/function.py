"""Models from any user function ``f(w, X) -> (n, r)`` that autograd differentiates.

The predictor's derivatives come from autograd: ``jvp`` by ``make_jvp`` (forward mode, or reverse
over reverse when autograd lacks a forward rule for a primitive f uses), ``vjp`` by ``make_vjp``
(reverse mode), the residual Hessian-vector product by
``hessian_vector_product`` and the residual Hessian by ``hessian``. Per-row quantities and the
dense Jacobian are built from the full Jacobian (``min(n·r, P)`` passes), so this generic path
is for small models; write a dedicated predictor (like :class:`~fisherlab.models.mlp.MLPPredictor`)
for speed.

``f`` must be written with ``autograd.numpy`` (``import autograd.numpy as np``) and must not
assign into arrays. :meth:`FunctionPredictor.check` runs ``f`` and its reverse derivative once
on the data and raises :class:`~fisherlab.errors.SpecError` saying what went wrong: ``f`` failed,
autograd could not differentiate it, or it returned the wrong shape.
"""

from __future__ import annotations

import warnings

import numpy as np
from autograd import hessian, hessian_vector_product, make_jvp, make_vjp

from ..errors import ShapeError, SpecError
from .problem import ModelBase, Predictor


class FunctionPredictor(Predictor):
    """The predictor ``w -> f(w, X)``, differentiated by autograd.

    Parameters
    ----------
    f : callable
        ``f(w, X)`` with w of shape (P,) and X of shape (n, d), returning shape (n, width).
    width : int
        Raw outputs per row (the head's width).
    n_weights : int, optional
        P; needed when ``w0`` is not given.
    w0 : array, shape (P,), optional
        The initial weights :meth:`init` returns.
    """

    def __init__(self, f, width: int, n_weights: int | None = None, w0=None):
        if not callable(f):
            raise SpecError(
                f"Model: f must be a callable f(w, X) -> (n, {width}), got {type(f).__name__}"
            )
        if w0 is not None:
            w0 = np.array(w0, dtype=np.float64)
            if w0.ndim != 1 or not np.all(np.isfinite(w0)):
                raise SpecError(
                    f"Model: w0 must be a finite vector of shape (P,), got shape {w0.shape}"
                )
            if n_weights is not None and int(n_weights) != w0.shape[0]:
                raise SpecError(f"Model: n_weights={n_weights} but w0 has {w0.shape[0]} entries")
            n_weights = w0.shape[0]
        if n_weights is None or int(n_weights) < 1:
            raise SpecError(f"Model: give n_weights (>= 1) or w0, got n_weights={n_weights!r}")
        self.f = f
        self.width = int(width)
        self.n_weights = int(n_weights)
        self.w0 = w0
        #: whether autograd has forward-mode rules for every primitive f uses (set by check())
        self.forward_mode = True

    def init(self, seed=0) -> np.ndarray:
        """``w0`` when given; otherwise seeded N(0, 0.1²) weights (not zeros: a network at w = 0
        often sits on a saddle where every gradient vanishes). Shape (P,)."""
        if self.w0 is not None:
            return self.w0.copy()
        return 0.1 * np.random.default_rng(seed).standard_normal(self.n_weights)

    # ------------------------------------------------------------------ checks
    def _weights(self, w) -> np.ndarray:
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (self.n_weights,):
            raise ShapeError(f"Model: w must have shape ({self.n_weights},), got {w.shape}")
        return w

    def _output(self, out, n):
        out = np.asarray(out)
        if out.shape != (n, self.width):
            raise SpecError(
                f"Model: f(w, X) must return shape (n, {self.width}) = ({n}, {self.width}) "
                f"(the head's width is {self.width}), got shape {out.shape}"
            )
        return out

    def check(self, X, w=None) -> None:
        """Run f and autograd's reverse pass once on the data (``w`` defaults to :meth:`init`).

        Raises
        ------
        SpecError
            When f raises, returns the wrong shape or a non-float array, or autograd cannot
            differentiate it (the message says which and quotes the original error).
        """
        w = self.init() if w is None else self._weights(w)
        n = X.shape[0]
        try:
            out = self.f(w, X)
        except Exception as exc:  # the user's code: re-raised as a spec error, never swallowed
            raise SpecError(f"Model: f(w, X) raised {type(exc).__name__}: {exc}") from exc
        out = self._output(out, n)
        if not np.issubdtype(out.dtype, np.floating):
            raise SpecError(f"Model: f(w, X) must return floats, got dtype {out.dtype}")
        u = np.random.default_rng(1).standard_normal((n, self.width))
        v = np.random.default_rng(2).standard_normal(self.n_weights)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                vjp, _ = make_vjp(lambda w_: self.f(w_, X))(w)
                g = vjp(u)
        # autograd's tracing errors are TypeError/ValueError/...; all re-raised
        except Exception as exc:
            raise SpecError(
                f"Model: autograd cannot differentiate f ({type(exc).__name__}: {exc}); "
                "write f with autograd.numpy and without assignments into arrays"
            ) from exc
        if any("independent of input" in str(c.message) for c in caught):
            raise SpecError(
                "Model: autograd cannot differentiate f: its output does not depend on w "
                "through autograd's trace (a plain numpy or scipy call on w, np.einsum, "
                "np.asarray, ... drops it); write f with autograd.numpy"
            )
        if np.shape(g) != (self.n_weights,):
            raise SpecError(
                f"Model: autograd's gradient of f has shape {np.shape(g)}, expected "
                f"({self.n_weights},): f does not use w as a vector of {self.n_weights} weights"
            )
        try:
            make_jvp(lambda w_: self.f(w_, X))(w)(v)
            self.forward_mode = True
        except NotImplementedError:      # autograd: "JVP of <primitive> ... not defined"
            self.forward_mode = False
        # A call that leaves autograd's trace for part of f differentiates silently wrong; a central
        # difference along one direction catches it (error O(h²) ≈ 1e-10 for smooth f, far below
        # 1e-4).
        h = 1e-5 * max(1.0, float(np.max(np.abs(w))))
        terms = u * (np.asarray(self.f(w + h * v, X)) - np.asarray(self.f(w - h * v, X))) / (2 * h)
        fd, scale, ad = float(np.sum(terms)), float(np.sum(np.abs(terms))), float(g @ v)
        if not abs(fd - ad) <= 1e-4 * max(scale, abs(ad), 1e-12):
            raise SpecError(
                f"Model: autograd's derivative of f disagrees with a finite difference "
                f"(directional derivative {ad!r} vs {fd!r}): part of f is outside autograd's "
                "trace (a plain numpy or scipy call on w?); write f with autograd.numpy"
            )

    # ------------------------------------------------------------------ predictor interface
    def forward(self, w, X) -> np.ndarray:
        """f(w, X), shape (n, r)."""
        return self._output(self.f(self._weights(w), X), X.shape[0]).astype(np.float64, copy=False)

    def jvp(self, w, X, v) -> np.ndarray:
        """J v, shape (n, r): by forward mode, or, where autograd lacks a forward rule (its erf,
        for one; found by :meth:`check`), as the derivative in u of the linear map u ↦ (Jᵀu)·v
        (reverse over reverse, exact too)."""
        w, v = self._weights(w), self._weights(v)
        if self.forward_mode:
            _, out = make_jvp(lambda w_: self.f(w_, X))(w)(v)
        else:
            vjp, _ = make_vjp(lambda w_: self.f(w_, X))(w)
            u0 = np.zeros((X.shape[0], self.width))
            out = make_vjp(lambda u: np.dot(vjp(u), v))(u0)[0](1.0)
        return np.asarray(out, dtype=np.float64)

    def vjp(self, w, X, u) -> np.ndarray:
        """Jᵀ u by reverse mode, shape (P,)."""
        vjp, _ = make_vjp(lambda w_: self.f(w_, X))(self._weights(w))
        return np.asarray(vjp(self._cotangent(u, X)), dtype=np.float64)

    def _cotangent(self, u, X):
        u = np.asarray(u, dtype=np.float64)
        if u.shape != (X.shape[0], self.width):
            raise ShapeError(
                f"Model: the output cotangent must have shape ({X.shape[0]}, {self.width}), "
                f"got {u.shape}"
            )
        return u

    def jacobian(self, w, X) -> np.ndarray:
        """∂f/∂w, shape (n, r, P): P forward passes or n·r reverse passes, whichever is fewer."""
        w = self._weights(w)
        n, r, P = X.shape[0], self.width, self.n_weights
        J = np.empty((n, r, P))
        if P <= n * r and self.forward_mode:
            jvp = make_jvp(lambda w_: self.f(w_, X))(w)
            e = np.zeros(P)
            for j in range(P):
                e[j] = 1.0
                J[:, :, j] = jvp(e)[1]
                e[j] = 0.0
        else:
            vjp, _ = make_vjp(lambda w_: self.f(w_, X))(w)
            u = np.zeros((n, r))
            for i in range(n):
                for k in range(r):
                    u[i, k] = 1.0
                    J[i, k] = vjp(u)
                    u[i, k] = 0.0
        return J

    def per_row_vjp(self, w, X, u) -> np.ndarray:
        """Row i is J_iᵀ u_i: shape (n, P), from the full Jacobian."""
        return np.einsum("nrp,nr->np", self.jacobian(w, X), self._cotangent(u, X))

    def residual_hvp(self, w, X, u, v) -> np.ndarray:
        """∇²_w(Σ_i u_i·f_i(w)) v by autograd's hessian_vector_product, shape (P,)."""
        u = self._cotangent(u, X)
        hvp = hessian_vector_product(lambda w_: np.sum(u * self.f(w_, X)))
        return np.asarray(hvp(self._weights(w), self._weights(v)), dtype=np.float64)

    def residual_hessian(self, w, X, u) -> np.ndarray:
        """∇²_w(Σ_i u_i·f_i(w)) by autograd's hessian, shape (P, P)."""
        u = self._cotangent(u, X)
        H = hessian(lambda w_: np.sum(u * self.f(w_, X)))(self._weights(w))
        return np.asarray(H, dtype=np.float64)

    def __repr__(self) -> str:
        name = getattr(self.f, "__name__", "f")
        return f"FunctionPredictor({name}, P={self.n_weights}, width={self.width})"


class Model(ModelBase):
    """A model from a user function ``f(w, X) -> (n, r)`` and an output head.

    Parameters
    ----------
    f : callable
        Written with ``autograd.numpy``; ``r`` must equal ``head.width``.
    head : Head
    n_weights : int, optional
        The length P of w (or give ``w0``).
    w0 : array, shape (P,), optional
        Initial weights.

    Examples
    --------
    >>> import autograd.numpy as anp                                          # doctest: +SKIP
    >>> f = lambda w, X: anp.stack([X @ w[:3], w[3] + 0 * X[:, 0]], axis=1)   # doctest: +SKIP
    >>> m = Model(f, Head("normal", "mean_logstd"), n_weights=4)              # doctest: +SKIP
    """

    def __init__(self, f, head, n_weights: int | None = None, w0=None):
        width = getattr(head, "width", None)
        if width is None:
            raise SpecError(f"Model: head must be a Head (with a width), got {type(head).__name__}")
        self.function = FunctionPredictor(f, width, n_weights=n_weights, w0=w0)
        self.head = head

    @property
    def n_weights(self) -> int:
        """The number P of weights."""
        return self.function.n_weights

    def init(self, seed=0) -> np.ndarray:
        """Initial weights, shape (P,) (see :meth:`FunctionPredictor.init`)."""
        return self.function.init(seed)

    def predictor(self, X) -> FunctionPredictor:
        """The predictor, after running f and its derivative once on X (SpecError otherwise)."""
        self.function.check(X)
        return self.function

    def __repr__(self) -> str:
        return f"Model({self.function!r}, {self.head!r})"
