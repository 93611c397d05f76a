"""The Kernels object: argument checking and batching around a family's generated functions.

Imports numpy and scipy only, never sympy.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import (
    DomainError,
    FisherlabError,
    NotAvailableError,
    ShapeError,
    SpecError,
    SupportError,
    describe,
)
from ..families.arrays import FEW_NUMBERS
from ..families.declaration import ExponentialFamily
from ..structure import Dense
from . import _special

#: Batches larger than this many output numbers are evaluated in slices along their first axis,
#: each small enough that a kernel's temporaries stay in the CPU cache (≈ 3× faster at 1e6
#: points than whole-array evaluation, which streams every temporary through memory).
_CHUNK = 1 << 15
#: ... but never fewer than this many points per slice: a kernel makes one numpy call per output
#: entry (81 for a 9 × 9 Fisher matrix), and on a few hundred points those calls' fixed cost
#: (~1 µs each) outweighs what the cache saves.
_CHUNK_ROWS_MIN = 1 << 13


#: Rows folded into one when taking columnwise extremes (see _column_extremes) ...
_FOLD = 64
#: ... for θ of at least this many numbers; below, one min and one max per column is cheaper.
_FOLD_FROM = 1 << 14


def _column_extremes(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The minimum and maximum of each column of ``rows`` (n, p): two arrays (p,).

    A reduction along axis 0, or one per strided column, runs at ~5 ns per entry; folding
    ``_FOLD`` rows into one long row first makes the bulk of the work an elementwise minimum of
    contiguous rows (~0.4 ns per entry). NaN propagates into both results.
    """
    n, p = rows.shape
    bulk = (n // _FOLD) * _FOLD
    parts_lo, parts_hi = [], []
    if bulk:
        wide = rows[:bulk].reshape(-1, _FOLD * p)
        parts_lo.append(wide.min(axis=0).reshape(_FOLD, p).min(axis=0))
        parts_hi.append(wide.max(axis=0).reshape(_FOLD, p).max(axis=0))
    if bulk < n:
        parts_lo.append(rows[bulk:].min(axis=0))
        parts_hi.append(rows[bulk:].max(axis=0))
    if len(parts_lo) == 1:
        return parts_lo[0], parts_hi[0]
    return np.minimum(*parts_lo), np.maximum(*parts_hi)


def _one_slice(shape: tuple, tail: tuple) -> bool:
    """Whether :func:`_evaluate` makes one call of the kernel for this batch (no slicing)."""
    return not shape or shape[0] == 1 or math.prod(shape) * math.prod(tail) <= _CHUNK


def _evaluate(fn, cols: list, shape: tuple, tail: tuple) -> np.ndarray:
    """``fn(*cols, _out=out)`` for a new array ``out`` of shape ``shape + tail``: its result.

    ``cols`` are arrays broadcastable to ``shape``. A large batch is cut along its first axis
    into slices of about ``_CHUNK`` output numbers (at least ``_CHUNK_ROWS_MIN`` points); columns
    that do not extend along that axis (fewer dimensions, or length 1 there) are passed whole
    and broadcast inside ``fn``.
    """
    if all(n == 1 for n in shape):
        # One point (θ of shape (p,), or (1, p) behind batch axes of length 1): evaluated on
        # Python floats, whose arithmetic costs a third of numpy scalars', and which the
        # special functions' single-point paths serve ~5× faster than arrays.
        point = [c.item() if isinstance(c, np.ndarray) else float(c) for c in cols]
        try:
            return np.reshape(fn(*point, _out=np.empty(tail)), shape + tail)
        except (ZeroDivisionError, OverflowError):
            # Python floats raise where IEEE arithmetic gives ±inf (x/0, 1e200**2): the same
            # point on numpy scalars returns what an array of points would.
            point = [np.float64(v) for v in point]
            return np.reshape(fn(*point, _out=np.empty(tail)), shape + tail)
    out = np.empty(shape + tail)
    size = out.size
    if _one_slice(shape, tail):
        return fn(*cols, _out=out)
    step = max(1, (_CHUNK * shape[0]) // size,
               # rows of the first axis that hold _CHUNK_ROWS_MIN points
               -(-_CHUNK_ROWS_MIN * shape[0] * math.prod(tail) // size))
    n, nd = shape[0], len(shape)
    sliced = [np.ndim(c) == nd and np.shape(c)[0] == n for c in cols]
    for a in range(0, n, step):
        b = a + step
        part = out[a:b]
        result = fn(*[c[a:b] if cut else c for c, cut in zip(cols, sliced)], _out=part)
        if result is not part:  # a kernel that returns a new array (a user's wrapper)
            part[...] = result
    return out


class Kernels:
    """Batched numpy kernels of one family in one parametrization.

    Parameter vectors θ are float64 arrays of shape (..., p) with the parameters (``params``,
    in order) on the last axis; batch axes broadcast like numpy ufuncs. Observations x have
    shape (...) for scalar families and (..., k) for vector ones (``event_shape``).

    Every method checks its arguments (shape, finiteness, domain, support) and raises
    :class:`~fisherlab.errors.ShapeError`, :class:`~fisherlab.errors.DomainError` or
    :class:`~fisherlab.errors.SupportError` naming the parameter, the constraint and the
    offending value. ``validate=False`` (the constructor argument, or :meth:`unchecked`) skips
    those checks for hot loops whose inputs are known to be valid: a wrong input then gives a
    wrong number or NaN, not an error.

    Attributes
    ----------
    family : str
        The family's key (its name, with dimensions when it has any).
    parametrization : str
        Name of the parametrization.
    params : tuple of str
        Names of the entries of θ.
    natural_params : tuple of str
        Names of the entries of η.
    event_shape : tuple of int
        Shape of one observation.
    fixed : dict
        The values of the family's fixed parameters (binomial n, ...; empty for most families),
        scalars or arrays. They are the last arguments of every generated function; an array
        broadcasts like one more column of θ, against θ's batch shape (...) and x's shape, so a
        batch of rows can carry one n per row. They were checked when the family was bound
        (:mod:`fisherlab.families.fixed`); observations are checked against them per row.
    """

    def __init__(self, spec: ExponentialFamily, parametrization: str, namespace: dict,
                 validate: bool = True):
        pz = spec.parametrization(parametrization)
        if spec.fixed:
            raise SpecError(f"family {spec.name!r} has fixed parameters "
                            f"({', '.join(p.name for p in spec.fixed)}): bind values first, "
                            "spec.bind(...) or fl.family(name, ...=value)")
        self.spec = spec
        self.fixed = dict(spec.fixed_values)
        # Scalars stay Python numbers (the one-point path evaluates on floats); arrays float64.
        self._fx = [v if isinstance(v, np.ndarray) else float(v)
                    for v in (spec.fixed_values[n] for n in spec.fixed_names)]
        self._fx_shape = np.broadcast_shapes(*(np.shape(v) for v in self._fx)) if self._fx else ()
        self._support_rows = (spec.template.support_constraint
                              if spec.template is not None and self._fx_shape else None)
        self.family = spec.key
        self.parametrization = parametrization
        self.params = pz.param_names
        self.natural_params = tuple(p.name for p in spec.natural)
        self.event_shape = spec.support.event_shape
        self.validate = validate
        self._pz = pz
        self._ns = namespace
        table = namespace["KERNELS"][parametrization]
        self._f = dict(table)  # quantity -> generated function
        self._p = len(self.params)
        self._m = len(self.natural_params)
        self._domains = [(p.name, p.domain) for p in pz.params]
        # All per-parameter domains as one open box lo < θ < hi (a closed end moved out by one
        # ulp): a min and a max per column check every entry, NaN and ±inf included; only when
        # that fails does _check_domain look at each parameter to word the error.
        self._lo_list = [float(np.nextafter(d.lo, -np.inf)) if d.lo_closed else float(d.lo)
                         for _, d in self._domains]
        self._hi_list = [float(np.nextafter(d.hi, np.inf)) if d.hi_closed else float(d.hi)
                         for _, d in self._domains]
        self._lo, self._hi = np.array(self._lo_list), np.array(self._hi_list)
        self._constraint = pz.constraint

    def __repr__(self) -> str:
        return f"<Kernels {self.family} {self.parametrization} {self.params}>"

    def unchecked(self) -> Kernels:
        """A copy that skips argument checking (documented opt-out for hot loops)."""
        return Kernels(self.spec, self.parametrization, self._ns, validate=False)

    def in_domain(self, theta) -> np.ndarray:
        """Where θ (..., p) lies in the parametrization's domain and constraint: a mask (...).

        The test itself, without raising: NaN and ±inf count as outside.
        """
        return self._pz.inside(theta)

    @property
    def quantities(self) -> frozenset[str]:
        """The names of the quantities generated for this parametrization (``"fisher"``,
        ``"kl"``, ``"from_natural"`` where a closed-form inverse is declared, ...)."""
        return frozenset(self._f)

    @property
    def fixed_shape(self) -> tuple[int, ...]:
        """The common shape of the fixed parameters' values: () for scalars (and for families
        without fixed parameters), (r,) for one value per row."""
        return self._fx_shape

    # -- argument checking
    def check_theta(self, theta, name: str = "theta") -> np.ndarray:
        """θ as a float64 array (..., p), checked as every method checks it.

        Raises :class:`~fisherlab.errors.ShapeError` when the last axis is not p long and
        :class:`~fisherlab.errors.DomainError` naming ``name``, the parameter and the value when
        an entry lies outside its domain or the joint constraint (an :meth:`unchecked` copy
        checks the shape only).
        """
        self._cols(theta, name)
        return np.asarray(theta, dtype=np.float64)

    def _theta(self, theta, name: str = "theta") -> list[np.ndarray]:
        return self._cols(theta, name)[0]

    def _cols(self, theta, name: str = "theta") -> tuple[list[np.ndarray], tuple]:
        """The columns of θ (checked unless ``validate`` is off) and their common batch shape."""
        arr = np.asarray(theta, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != self._p:
            raise ShapeError(
                f"{name} must have last axis of length {self._p} ({', '.join(self.params)}) for "
                f"{self.family} {self.parametrization}, got shape {arr.shape}")
        cols = [arr[..., i] for i in range(self._p)]
        if self.validate:
            lo, hi = self._lo_list, self._hi_list
            if arr.size <= FEW_NUMBERS:
                # A handful of numbers: Python comparisons beat three ufunc calls. NaN fails
                # both comparisons, ±inf fails one.
                inside = all(lo[i] < v < hi[i] for row in arr.reshape(-1, self._p).tolist()
                             for i, v in enumerate(row))
            elif arr.size >= _FOLD_FROM:
                # The extremes of each column propagate NaN (which then fails the comparison).
                low, high = _column_extremes(arr.reshape(-1, self._p))
                inside = bool((self._lo < low).all() and (high < self._hi).all())
            else:
                inside = all(lo[i] < c.min() and c.max() < hi[i] for i, c in enumerate(cols))
            if not inside:
                self._check_domain(arr, cols, name)
            elif self._constraint is not None:
                self._check_constraint(arr, name)
        return cols, arr.shape[:-1]

    def _check_domain(self, arr, cols, name):
        for (pname, dom), col in zip(self._domains, cols):
            bad = dom.violations(col)
            if bad.any():
                values = col[bad]
                what = ("finite and " if not np.isfinite(values).all()
                        and "finite" not in dom.text else "")
                raise DomainError(
                    f"{self.family} {self.parametrization}: parameter {pname!r} in {name} must be "
                    f"{what}{dom.text}, got {describe(values)}")
        if self._constraint is not None:
            self._check_constraint(arr, name)

    def _check_constraint(self, arr, name):
        c = self._constraint
        bad = c.violations(arr)
        if bad.any() if isinstance(bad, np.ndarray) else bad:
            raise DomainError(
                f"{self.family} {self.parametrization}: {name} must satisfy {c.text}, got "
                f"{describe(arr[bad] if np.ndim(bad) else arr)}")

    def _x(self, x) -> list[np.ndarray]:
        if self.validate:
            arr = self.spec.support.check(x)
            if self._support_rows is not None:
                self._check_support_rows(arr)
        else:
            arr = np.asarray(x, dtype=np.float64)
        if self.event_shape:
            return [arr[..., i] for i in range(self.event_shape[0])]
        return [arr]

    def check_observations(self, x) -> np.ndarray:
        """x as a float64 array, checked against the support, per row against the fixed
        parameters' values where they bound it (binomial x <= n): SupportError otherwise."""
        arr = self.spec.support.check(x)
        if self._support_rows is not None:
            self._check_support_rows(arr)
        return arr

    def _check_support_rows(self, arr):
        """Observations against per-row fixed values (binomial: x <= n for each row)."""
        c = self._support_rows
        bad = c.violations(arr, **self.fixed)
        if np.any(bad):
            shape = np.shape(bad)
            at = "; ".join(f"{k} = {describe(np.broadcast_to(v, shape)[bad])}"
                           for k, v in self.fixed.items())
            rows = np.broadcast_to(arr, shape + self.event_shape)[bad]
            shown = (describe(rows) if not self.event_shape else
                     ", ".join(repr(r) for r in rows[:3].tolist())
                     + (f" (and {len(rows) - 3} more)" if len(rows) > 3 else ""))
            raise SupportError(f"{self.family}: observation x outside the support ({c.text}): "
                               f"x = {shown} where {at}")

    def _run(self, quantity: str, cols: list, shape: tuple, tail: tuple) -> np.ndarray:
        """The generated function ``quantity`` on ``cols`` and then the fixed parameters, with
        the batch shape widened to theirs."""
        if self._fx:
            if self._fx_shape and self._fx_shape != shape:
                shape = np.broadcast_shapes(shape, self._fx_shape)
            cols = cols + self._fx
        return _evaluate(self._f[quantity], cols, shape, tail)

    def _natural_cols(self, eta, name: str = "eta") -> tuple[list[np.ndarray], tuple]:
        nat = Kernels(self.spec, "natural", self._ns, self.validate)
        return nat._cols(eta, name)

    def _with_x(self, quantity: str, x, theta, tail: tuple) -> np.ndarray:
        """A kernel of (x, θ): columns of both, broadcast together."""
        xc = self._x(x)
        cols, shape = self._cols(theta)
        xshape = xc[0].shape
        if xshape != shape:
            shape = np.broadcast_shapes(xshape, shape)
        return self._run(quantity, xc + cols, shape, tail)

    # -- the kernels
    def to_natural(self, theta) -> np.ndarray:
        """η(θ): (..., p) -> (..., m)."""
        cols, shape = self._cols(theta)
        return self._run("to_natural", cols, shape, (self._m,))

    def from_natural(self, eta) -> np.ndarray:
        """θ(η): (..., m) -> (..., p), the closed-form inverse of :meth:`to_natural`."""
        if "from_natural" not in self._f:
            raise NotAvailableError(
                f"{self.family} {self.parametrization} declares no closed-form inverse of η(θ); "
                "use Family.convert, which solves for it")
        cols, shape = self._natural_cols(eta)
        return self._run("from_natural", cols, shape, (self._p,))

    def jacobian(self, theta) -> np.ndarray:
        """J = ∂η/∂θ: (..., p) -> (..., m, p)."""
        cols, shape = self._cols(theta)
        return self._run("jacobian", cols, shape, (self._m, self._p))

    def log_partition(self, theta) -> np.ndarray:
        """A(η(θ)): (..., p) -> (...)."""
        cols, shape = self._cols(theta)
        return self._run("log_partition", cols, shape, ())

    def mean(self, theta) -> np.ndarray:
        """Mean parameters μ = E[T(x)] = ∇A(η(θ)): (..., p) -> (..., m)."""
        cols, shape = self._cols(theta)
        return self._run("mean", cols, shape, (self._m,))

    def log_density(self, x, theta) -> np.ndarray:
        """log p(x | θ): x (...) or (..., k), θ (..., p) -> (...)."""
        return self._with_x("log_density", x, theta, ())

    def score(self, x, theta) -> np.ndarray:
        """∇_θ log p(x | θ): -> (..., p)."""
        return self._with_x("score", x, theta, (self._p,))

    def hessian(self, x, theta) -> np.ndarray:
        """Observed Hessian ∇²_θ log p(x | θ): -> (..., p, p), exactly symmetric."""
        return self._with_x("hessian", x, theta, (self._p, self._p))

    def fisher(self, theta, structured: bool = False):
        """Fisher information F(θ) = Jᵀ ∇²A J: (..., p) -> (..., p, p), exactly symmetric.

        ``structured=True`` returns it as a :class:`~fisherlab.structure.Structured` matrix
        (here :class:`~fisherlab.structure.Dense`; families derived for symbolic dimension give
        their own structure), with ``matvec``, ``solve``, ``logdet`` and ``dense``.
        """
        cols, shape = self._cols(theta)
        F = self._run("fisher", cols, shape, (self._p, self._p))
        return Dense(F) if structured else F

    def fisher_vp(self, theta, v) -> np.ndarray:
        """F(θ) v: θ (..., p), v (..., p) -> (..., p)."""
        v = np.asarray(v, dtype=np.float64)
        if v.ndim == 0 or v.shape[-1] != self._p:
            raise ShapeError(f"v must have last axis of length {self._p}, got shape {v.shape}")
        if not np.isfinite(v).all():
            raise DomainError(f"v must be finite, got {describe(v[~np.isfinite(v)])}")
        return self.fisher(theta, structured=True).matvec(v)

    def natural_fisher(self, theta) -> np.ndarray:
        """∇²A at η(θ), the Fisher information in natural coordinates: -> (..., m, m)."""
        cols, shape = self._cols(theta)
        return self._run("natural_fisher", cols, shape, (self._m, self._m))

    def skewness(self, theta) -> np.ndarray:
        """∂³A at η(θ), the skewness tensor in natural coordinates: -> (..., m, m, m)."""
        cols, shape = self._cols(theta)
        return self._run("skewness", cols, shape, (self._m,) * 3)

    def kl(self, theta_p, theta_q, refine: bool = True) -> np.ndarray:
        """KL(p_θp ‖ p_θq): (..., p), (..., p) -> (...).

        The closed form is the Bregman divergence A(η_q) − A(η_p) − ⟨∇A(η_p), η_q − η_p⟩, which
        cancels when the two points nearly coincide; there it is replaced by the integral
        ∫₀¹ (1 − t) δᵀ∇²A(η_p + tδ)δ dt (see ``fisherlab.kernels._special.kl_refine``).
        ``refine=False`` returns the closed form everywhere, unrefined: for the verifier, which
        tests the closed form and the refinement separately.
        """
        if not refine:
            with _special.kl_unrefined():
                return self.kl(theta_p, theta_q)
        cp, shape_p = self._cols(theta_p, "theta_p")
        cq, shape_q = self._cols(theta_q, "theta_q")
        shape = shape_p if shape_p == shape_q else np.broadcast_shapes(shape_p, shape_q)
        if _one_slice(shape, ()):
            return self._run("kl", cp + cq, shape, ())
        # The slices' near-coincident points are refined together, after the last slice.
        with _special.kl_refine_pending():
            return self._run("kl", cp + cq, shape, ())

    def entropy(self, theta) -> np.ndarray:
        """Differential (or Shannon, for discrete families) entropy in nats: -> (...)."""
        cols, shape = self._cols(theta)
        if not self._sums_support:
            return self._run("entropy", cols, shape, ())
        # No closed form for E[log h]: sum −Σ p log p term by term. Every term is ≥ 0, whereas
        # the closed part minus a summed E[log h] cancels (Poisson λ = 170: −698 + 702 = 3.98).
        return expected_over_support(self.spec, None, self._f["log_density"], cols + self._fx)

    def natural_gradient(self, theta, grad, damping: float = 0.0) -> np.ndarray:
        """(F(θ) + damping·I)⁻¹ grad: θ (..., p), grad (..., p) -> (..., p), batched solve.

        ``damping`` (≥ 0) is explicit Tikhonov damping; it defaults to none.
        """
        F = self.fisher(theta)
        g = np.asarray(grad, dtype=np.float64)
        if g.ndim == 0 or g.shape[-1] != self._p:
            raise ShapeError(f"grad must have last axis of length {self._p}, got shape {g.shape}")
        if not np.isfinite(g).all():
            raise DomainError(f"grad must be finite, got {describe(g[~np.isfinite(g)])}")
        if not (np.isfinite(damping) and damping >= 0):
            raise DomainError(f"damping must be finite and >= 0, got {damping!r}")
        if damping:
            F = F + damping * np.eye(self._p)
        F, g = np.broadcast_arrays(F, g[..., None])
        return np.linalg.solve(F, g)[..., 0]

    def fisher_rao_distance(self, theta1, theta2) -> np.ndarray:
        """Closed-form Fisher–Rao geodesic distance: (..., p), (..., p) -> (...).

        Computed in the parametrization the family declares it in, after mapping both points
        there through η, so every parametrization gives the same number.
        """
        decl = self.spec.fisher_rao
        if decl is None:
            raise NotAvailableError(f"{self.family} has no closed-form Fisher–Rao distance")
        a, b = self._theta(theta1, "theta1"), self._theta(theta2, "theta2")
        home = decl[0]
        fx = self._fx
        if home == self.parametrization:
            return self._f["fisher_rao"](*a, *b, *fx)
        table = self._ns["KERNELS"][home]
        to_home = table["from_natural"]
        ha = to_home(*np.moveaxis(self._f["to_natural"](*a, *fx), -1, 0), *fx)
        hb = to_home(*np.moveaxis(self._f["to_natural"](*b, *fx), -1, 0), *fx)
        return table["fisher_rao"](*np.moveaxis(ha, -1, 0), *np.moveaxis(hb, -1, 0), *fx)

    # -- entropy of discrete families whose E[log h(x)] has no closed form
    @property
    def _sums_support(self) -> bool:
        return bool(self._ns.get("ENTROPY_SUMS_SUPPORT", {}).get(self.parametrization, False))


def expected_over_support(spec: ExponentialFamily, fn, log_density, cols,
                          block: int = 512, max_terms: int = 10_000_000) -> np.ndarray:
    """E[fn(x)] under p(x | θ) for a scalar discrete support, summed until the tail is negligible.

    ``fn=None`` sums −log p(x | θ) itself, i.e. the entropy.

    The sum runs over x = low, low+1, … in blocks; it stops once a block's largest term is below
    1e-17 of the running sum's magnitude while the probabilities decrease, and raises if
    ``max_terms`` are reached first.
    """
    support = spec.support
    if not support.discrete or support.size:
        raise NotAvailableError(f"{spec.key}: summing over x needs a scalar discrete support")
    shape = np.broadcast_shapes(*(np.shape(c) for c in cols))
    cols = [np.broadcast_to(c, shape)[..., None] for c in cols]
    total = np.zeros(shape)
    start = support.low
    while True:
        stop = min(start + block, support.high + 1)
        x = np.arange(start, stop, dtype=np.float64)
        # p(x) = 0 (log p = −inf) past a per-row bound of the support (binomial x > n): its
        # term 0 · inf is NaN, replaced by 0 below.
        with np.errstate(invalid="ignore"):
            logp = log_density(x, *cols)
            terms = np.exp(logp) * (-logp if fn is None else fn(x))
        terms = np.where(np.exp(logp) == 0.0, 0.0, terms)
        total += terms.sum(axis=-1)
        if stop > support.high:
            return total
        tail = np.abs(terms[..., -1])
        decreasing = logp[..., -1] <= logp[..., -2] if x.size > 1 else True
        if np.all((tail <= 1e-17 * np.maximum(np.abs(total), 1e-300)) & decreasing):
            return total
        start = stop
        if start - support.low > max_terms:
            raise FisherlabError(f"{spec.key}: the sum over the support did not converge")
