"""Kernels of a dimension-generic module: whole θ arrays, structured matrices, any k.

A module written by :mod:`fisherlab.compile.generic_codegen` (``GENERIC = True``) serves every
dimension of its family: its functions take θ as one array (..., m) instead of m columns, and a
matrix quantity comes back as the parts (d, u, c, capacitance) of δ_jl·d_j + c·u_j·u_l.
:class:`GenericKernels` keeps the public behaviour of :class:`~fisherlab.kernels._runtime.Kernels`
(argument checks and their errors, dense (..., p, p) results by default) and adds the structure:
``fisher(theta, structured=True)`` is a :class:`~fisherlab.structure.DiagPlusLowRank`, and
``natural_gradient`` and ``fisher_vp`` go through it in O(k) per point.

Imports numpy and scipy only, never sympy.
"""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, NotAvailableError, ShapeError, describe
from ..structure import DiagPlusLowRank
from ..structure.kronecker import DENSE_NUMBERS_MAX
from . import _special
from ._runtime import Kernels

#: Numbers per slice when a large batch is evaluated piecewise along its first axis: a slice's
#: temporaries stay in the CPU cache (a whole-array evaluation streams each through memory).
_SLICE_NUMBERS = 1 << 15


def _c_order(arr: np.ndarray) -> np.ndarray:
    """``arr`` in C order (a copy only when it is not; a 0-d array stays 0-d)."""
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)


def _finite(arr: np.ndarray) -> bool:
    """Whether every entry is finite: one sum (NaN and ±inf propagate into it), then the exact
    test only when the sum is not finite (which an overflow of finite entries can cause)."""
    if arr.size > 64 and np.isfinite(np.add.reduce(arr, axis=None)):
        return True
    return bool(np.isfinite(arr).all())


class GenericKernels(Kernels):
    """:class:`~fisherlab.kernels._runtime.Kernels` over a dimension-generic module.

    Same methods, arguments and errors; in addition ``fisher`` and ``natural_fisher`` take
    ``structured=True``, and :meth:`fisher_vp` multiplies by the Fisher information without
    forming it.
    """

    def __init__(self, spec, parametrization, namespace, validate=True):
        super().__init__(spec, parametrization, namespace, validate)
        self._fxa = [np.asarray(v, dtype=np.float64) for v in self._fx]
        self._all_real = bool(np.all(np.isinf(self._lo)) and np.all(np.isinf(self._hi))
                              and self._constraint is None)

    def unchecked(self) -> GenericKernels:
        """A copy that skips argument checking (documented opt-out for hot loops)."""
        return GenericKernels(self.spec, self.parametrization, self._ns, validate=False)

    # -- argument checking, on the whole array
    def _array(self, theta, name: str = "theta") -> np.ndarray:
        # C order: numpy's sums along the last axis then add in the same order for a slice, a
        # Fortran-ordered array and a copy, so every layout gives the same numbers
        arr = _c_order(np.asarray(theta, dtype=np.float64))
        if arr.ndim == 0 or arr.shape[-1] != self._p:
            raise ShapeError(
                f"{name} must have last axis of length {self._p} ({self._names_text()}) for "
                f"{self.family} {self.parametrization}, got shape {arr.shape}")
        if self.validate:
            if self._all_real:
                if not _finite(arr):
                    self._check_domain(arr, [arr[..., i] for i in range(self._p)], name)
            # NaN fails both comparisons, ±inf one of them
            elif not ((arr > self._lo) & (arr < self._hi)).all():
                self._check_domain(arr, [arr[..., i] for i in range(self._p)], name)
            elif self._constraint is not None:
                self._check_constraint(arr, name)
        return arr

    def _names_text(self) -> str:
        names = self.params
        if len(names) > 6:
            return f"{', '.join(names[:3])}, ..., {names[-1]}"
        return ", ".join(names)

    def _xarr(self, x) -> np.ndarray:
        if self.validate:
            arr = self.spec.support.check(x)
            if self._support_rows is not None:
                self._check_support_rows(arr)
            return _c_order(arr)
        return _c_order(np.asarray(x, dtype=np.float64))

    def _call(self, quantity: str, *arrays, then=None, in_place=False):
        """The generated function on ``arrays`` and the fixed parameters, then ``then`` on its
        result (one array, or a tuple of them); a large batch in cache-sized slices of its first
        axis, written into one output array.

        With ``in_place``, ``then(result, out)`` writes each slice's result after the first into
        its part of the output itself (no temporary to copy from); ``out`` None: a new array."""
        fn = self._f[quantity]

        def one(*args, out=None):
            res = fn(*args, *self._fxa)
            if then is None:
                return res
            return then(res, out) if in_place else then(res)
        first = arrays[0]
        if first.ndim == 1 and all(a.ndim == 1 for a in arrays):
            return one(*arrays)  # one point: none of the slicing below
        if all(a.size == a.shape[-1] for a in arrays) and not any(f.ndim for f in self._fxa):
            # One point behind batch axes of length 1, (1, p): the one-point paths of the
            # special functions (floats), then the batch axes put back.
            batch = np.broadcast_shapes(*(a.shape[:-1] for a in arrays))
            res = one(*[a.reshape(-1) for a in arrays])
            return np.reshape(res, batch + np.shape(res))
        shape = first.shape[:-1]
        if len(arrays) > 1:
            shape = np.broadcast_shapes(*(a.shape[:-1] for a in arrays))
        width = max(a.shape[-1] for a in arrays)
        if len(shape) < 1 or shape[0] < 2 or shape[0] * width * 4 <= _SLICE_NUMBERS or any(
                f.ndim for f in self._fxa):
            return one(*arrays)
        n = shape[0]
        step = max(1, _SLICE_NUMBERS * n // (np.prod(shape) * width))
        if step >= n:
            # one slice would hold the whole batch: no output array to copy it into
            return one(*arrays)
        arrays = [np.broadcast_to(a, shape + a.shape[-1:]) for a in arrays]
        first = one(*[a[:step] for a in arrays])
        if in_place:
            out = np.empty((n,) + first.shape[1:])
            out[:step] = first
            for i in range(step, n, step):
                one(*[a[i:i + step] for a in arrays], out=out[i:i + step])
            return out
        out = np.empty((n,) + first.shape[1:])
        out[:step] = first
        for i in range(step, n, step):
            out[i:i + step] = one(*[a[i:i + step] for a in arrays])
        return out

    # -- the kernels
    def to_natural(self, theta) -> np.ndarray:
        """η(θ): (..., p) -> (..., m)."""
        return self._call("to_natural", self._array(theta))

    def from_natural(self, eta) -> np.ndarray:
        """θ(η): (..., m) -> (..., p), the closed-form inverse of :meth:`to_natural`."""
        nat = GenericKernels(self.spec, "natural", self._ns, self.validate)
        return self._call("from_natural", nat._array(eta, "eta"))

    def _structure(self, parts) -> DiagPlusLowRank:
        d, u, c, cap, diagonal = parts
        if d is None:  # a dense-form tuple: d from the exact diagonal
            d = diagonal - c[..., None] * u * u
        if cap is not None:
            cap = cap[..., None, None]
        return DiagPlusLowRank(d, u[..., None], c[..., None, None], capacitance=cap,
                               diagonal=diagonal)

    def _parts(self, quantity: str) -> str:
        """The generated function of a matrix's parts for solves and products (with its
        capacitance, without the exact diagonal)."""
        return quantity + "_parts" if quantity + "_parts" in self._f else quantity

    def _dense(self, quantity: str, *arrays) -> np.ndarray:
        """A matrix quantity, assembled dense slice by slice: c (u_i u_j) (the same either way
        round: exactly symmetric), the diagonal the exact one where the module derives it."""
        def dense(parts, full=None):
            d, u, c, _, diagonal = parts
            m = u.shape[-1]
            if full is None:
                full = np.empty(np.broadcast_shapes(u.shape[:-1], c.shape) + (m, m))
            np.multiply(u[..., :, None], u[..., None, :], out=full)
            full *= c[..., None, None]
            # the diagonal through a flat strided view: one pass, no index arrays
            full.reshape(full.shape[:-2] + (m * m,))[..., ::m + 1] = (
                diagonal if diagonal is not None else d + c[..., None] * u * u)
            return full
        return self._call(quantity, *arrays, then=dense, in_place=True)

    def _structured(self, quantity: str, *arrays) -> DiagPlusLowRank:
        """A matrix quantity as a DiagPlusLowRank (whole arrays: its parts are O(p) each)."""
        return self._structure(self._f[self._parts(quantity)](*arrays, *self._fxa))

    def jacobian(self, theta, structured: bool = False):
        """J = ∂η/∂θ: (..., p) -> (..., m, p); ``structured=True``: a DiagPlusLowRank."""
        if structured:
            return self._structured("jacobian", self._array(theta))
        return self._dense("jacobian", self._array(theta))

    def log_partition(self, theta) -> np.ndarray:
        """A(η(θ)): (..., p) -> (...)."""
        return self._call("log_partition", self._array(theta))

    def mean(self, theta) -> np.ndarray:
        """Mean parameters μ = E[T(x)] = ∇A(η(θ)): (..., p) -> (..., m)."""
        return self._call("mean", self._array(theta))

    def log_density(self, x, theta) -> np.ndarray:
        """log p(x | θ): x (..., k), θ (..., p) -> (...)."""
        return self._call("log_density", self._xarr(x), self._array(theta))

    def score(self, x, theta) -> np.ndarray:
        """∇_θ log p(x | θ): -> (..., p)."""
        return self._call("score", self._xarr(x), self._array(theta))

    def hessian(self, x, theta) -> np.ndarray:
        """Observed Hessian ∇²_θ log p(x | θ): -> (..., p, p), exactly symmetric."""
        return self._dense("hessian", self._xarr(x), self._array(theta))

    def fisher(self, theta, structured: bool = False):
        """Fisher information F(θ): (..., p) -> (..., p, p), exactly symmetric.

        ``structured=True`` returns it as a :class:`~fisherlab.structure.DiagPlusLowRank`
        (diag(d) + c u uᵀ, with its Woodbury capacitance in closed form): nothing p × p formed.
        """
        if structured:
            return self._structured("fisher", self._array(theta))
        return self._dense("fisher", self._array(theta))

    def natural_fisher(self, theta, structured: bool = False):
        """∇²A at η(θ): -> (..., m, m); ``structured=True``: a DiagPlusLowRank."""
        if structured:
            return self._structured("natural_fisher", self._array(theta))
        return self._dense("natural_fisher", self._array(theta))

    def skewness(self, theta) -> np.ndarray:
        """∂³A at η(θ), the skewness tensor in natural coordinates: -> (..., m, m, m).

        NotAvailableError, before anything is allocated, when the dense tensor would hold more
        than ``DENSE_NUMBERS_MAX`` numbers (k = 1000: 10⁹ per point, 8 GB).
        """
        arr = self._array(theta)
        size = int(np.prod(arr.shape[:-1], dtype=np.int64)) * self._m ** 3
        if size > DENSE_NUMBERS_MAX:
            raise NotAvailableError(
                f"{self.family}: the skewness tensor would hold {self._m}³ numbers per point "
                f"({size} in all, above {DENSE_NUMBERS_MAX}); use it for small k, or on fewer "
                "points at a time")
        return self._call("skewness", arr)

    def entropy(self, theta) -> np.ndarray:
        """Entropy in nats: -> (...)."""
        return self._call("entropy", self._array(theta))

    def _grad(self, grad, name: str = "grad") -> np.ndarray:
        g = _c_order(np.asarray(grad, dtype=np.float64))
        if g.ndim == 0 or g.shape[-1] != self._p:
            raise ShapeError(f"{name} must have last axis of length {self._p}, got shape "
                             f"{g.shape}")
        if not _finite(g):
            raise DomainError(f"{name} must be finite, got {describe(g[~np.isfinite(g)])}")
        return g

    def natural_gradient(self, theta, grad, damping: float = 0.0) -> np.ndarray:
        """(F(θ) + damping·I)⁻¹ grad: θ (..., p), grad (..., p) -> (..., p).

        Through the diagonal-plus-rank-one structure (Sherman–Morrison): O(p) per point.
        ``damping`` (≥ 0) is explicit Tikhonov damping; it defaults to none.
        """
        arr, g = self._array(theta), self._grad(grad)
        if not (np.isfinite(damping) and damping >= 0):
            raise DomainError(f"damping must be finite and >= 0, got {damping!r}")
        damping = float(damping)
        parts = self._parts("fisher")
        return self._pair(parts, arr, g, lambda S, v: S.solve(v, damping))

    def fisher_vp(self, theta, v) -> np.ndarray:
        """F(θ) v without forming F: θ (..., p), v (..., p) -> (..., p), O(p) per point."""
        arr, v = self._array(theta), self._grad(v, "v")
        return self._pair(self._parts("fisher"), arr, v, lambda S, u: S.matvec(u))

    def _pair(self, quantity: str, arr: np.ndarray, v: np.ndarray, op) -> np.ndarray:
        """``op(structure of quantity at θ, v)`` slice by slice: (..., p)."""
        fn = self._f[quantity]
        shape = np.broadcast_shapes(arr.shape, v.shape)
        arr, v = np.broadcast_to(arr, shape), np.broadcast_to(v, shape)
        if len(shape) < 2 or arr.size * 4 <= _SLICE_NUMBERS or any(f.ndim for f in self._fxa):
            return op(self._structure(fn(arr, *self._fxa)), v)
        n = shape[0]
        step = max(1, _SLICE_NUMBERS * n // arr.size)
        out = np.empty(shape)
        for i in range(0, n, step):
            S = self._structure(fn(arr[i:i + step], *self._fxa))
            out[i:i + step] = op(S, v[i:i + step])
        return out

    def kl(self, theta_p, theta_q, refine: bool = True) -> np.ndarray:
        """KL(p_θp ‖ p_θq): (..., p), (..., p) -> (...).

        The Bregman form A(η_q) − A(η_p) − ⟨∇A(η_p), η_q − η_p⟩, replaced where it cancels by
        the integral of its curvature along the segment (``fisherlab.kernels._special
        .kl_refine``); ``refine=False`` returns the closed form everywhere.
        """
        ap, aq = self._array(theta_p, "theta_p"), self._array(theta_q, "theta_q")
        m = self._p
        f = self._f
        if ap.size == m and aq.size == m and (ap.ndim > 1 or aq.ndim > 1):
            # one point behind batch axes of length 1: as a point, then those axes put back
            batch = np.broadcast_shapes(ap.shape[:-1], aq.shape[:-1])
            return np.reshape(self.kl(ap.reshape(m), aq.reshape(m), refine), batch)
        if ap.ndim == 1 and aq.ndim == 1:
            # one point: the closed form, refined (decided on Python floats) only if needed
            a, b, c = f["kl_terms"](ap, aq, *self._fxa)
            out = np.array(a + b + c)
            if refine:
                _special.kl_refine(out, abs(a) + abs(b) + abs(c), self._col_natural,
                                   None if self.parametrization == "natural" else
                                   self._col_jacobian, self._ns["_kl_curvature"], ap.tolist(),
                                   aq.tolist(), self._fxa)
            return out
        shape = np.broadcast_shapes(ap.shape, aq.shape)
        ap, aq = np.broadcast_to(ap, shape), np.broadcast_to(aq, shape)
        both = self._call("kl_terms", ap, aq,
                          then=lambda t: np.stack([sum(t), sum(np.abs(x) for x in t)], -1))
        out, mag = np.array(both[..., 0]), both[..., 1]
        if not refine:
            return out

        to_natural, jacobian = self._col_natural, self._col_jacobian
        cols_p = [ap[..., i] for i in range(m)]
        cols_q = [aq[..., i] for i in range(m)]
        fixed = [np.broadcast_to(v, shape[:-1]) for v in self._fxa]
        with _special.kl_refine_pending():
            _special.kl_refine(out, mag, to_natural,
                               None if self.parametrization == "natural" else jacobian,
                               self._ns["_kl_curvature"], cols_p, cols_q, fixed)
        return out

    def _col_natural(self, *cols):
        """η(θ) from θ's columns (then the fixed parameters): the refinement's interface."""
        m = self._p
        return self._f["to_natural"](np.stack(np.broadcast_arrays(*cols[:m]), -1), *cols[m:])

    def _col_jacobian(self, *cols):
        """J(θ), dense, from θ's columns (then the fixed parameters)."""
        m = self._p
        arr = np.stack(np.broadcast_arrays(*cols[:m]), -1)
        return self._structure(self._f["jacobian"](arr, *cols[m:])).dense()

    def fisher_rao_distance(self, theta1, theta2) -> np.ndarray:
        """Closed-form Fisher–Rao geodesic distance: (..., p), (..., p) -> (...)."""
        decl = self.spec.fisher_rao
        if decl is None:
            raise NotAvailableError(f"{self.family} has no closed-form Fisher–Rao distance")
        a, b = self._array(theta1, "theta1"), self._array(theta2, "theta2")
        home = decl[0]
        table = self._ns["KERNELS"][home]
        if home != self.parametrization:
            a = table["from_natural"](self._f["to_natural"](a, *self._fxa), *self._fxa)
            b = table["from_natural"](self._f["to_natural"](b, *self._fxa), *self._fxa)
        return table["fisher_rao"](a, b, *self._fxa)

    @property
    def _sums_support(self) -> bool:
        return False
