"""The declaration of an exponential family: the one class every family file fills in.

A family is p(x | η) = h(x) exp(⟨η, T(x)⟩ − A(η)). A declaration names T, log h, the natural
parameters η with their domains, the log-partition A and any number of parametrizations θ ↦ η.
Nothing here imports sympy: the symbolic parts are functions ``f(sp, *symbols)`` that receive the
sympy module when (and only when) a derivation is made, so the catalog, its domains and its
compiled kernels load without sympy.

Everything else (score, Fisher, Hessian, KL, entropy, mean) is derived in :mod:`fisherlab.symbolic`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import SpecError, SupportError, describe

# ----------------------------------------------------------------------------------------------
# Domains of parameters


@dataclass(frozen=True)
class Domain:
    """A set a scalar parameter lives in: an interval (lo, hi), open or closed at each end.

    ``assumptions`` are the sympy assumptions the symbol of such a parameter gets.
    """

    lo: float = -math.inf
    hi: float = math.inf
    lo_closed: bool = False
    hi_closed: bool = False

    @property
    def text(self) -> str:
        if self.lo == -math.inf and self.hi == math.inf:
            return "finite real"
        if self.hi == math.inf:
            return f"{'>=' if self.lo_closed else '>'} {_num(self.lo)}"
        if self.lo == -math.inf:
            return f"{'<=' if self.hi_closed else '<'} {_num(self.hi)}"
        left = "[" if self.lo_closed else "("
        right = "]" if self.hi_closed else ")"
        return f"in {left}{_num(self.lo)}, {_num(self.hi)}{right}"

    @property
    def assumptions(self) -> dict[str, bool]:
        if self.lo >= 0 and not (self.lo == 0 and self.lo_closed):
            return {"positive": True}
        if self.lo >= 0:
            return {"nonnegative": True}
        if self.hi <= 0 and not (self.hi == 0 and self.hi_closed):
            return {"negative": True}
        return {"real": True}

    def violations(self, values: np.ndarray) -> np.ndarray:
        """Boolean mask of the entries of ``values`` outside the domain (NaN counts as outside)."""
        ok = np.isfinite(values)
        if self.lo != -math.inf:
            ok &= (values >= self.lo) if self.lo_closed else (values > self.lo)
        if self.hi != math.inf:
            ok &= (values <= self.hi) if self.hi_closed else (values < self.hi)
        return ~ok


def _num(v: float) -> str:
    return repr(int(v)) if float(v).is_integer() else repr(v)


REAL = Domain()
POSITIVE = Domain(lo=0.0)
NEGATIVE = Domain(hi=0.0)
UNIT_INTERVAL = Domain(0.0, 1.0)


def greater_than(c: float) -> Domain:
    """The open half-line (c, ∞)."""
    return Domain(lo=float(c))


def less_than(c: float) -> Domain:
    """The open half-line (−∞, c)."""
    return Domain(hi=float(c))


def interval(lo: float, hi: float) -> Domain:
    """The open interval (lo, hi)."""
    return Domain(float(lo), float(hi))


@dataclass(frozen=True)
class Param:
    """One scalar parameter.

    Attributes
    ----------
    name : str
        Identifier used in ``Kernels.params`` and as the sympy symbol's name.
    domain : Domain
        Where the parameter lives; checked by every kernel.
    test_range : (float, float)
        The range tests and the verifier draw from (log-uniform when both ends are positive,
        negative-log-uniform when both are negative). Must lie inside ``domain``.
    doc : str
        What the symbol means, e.g. ``"α > 0, the shape"``.
    latex : str
        How the symbol is typeset in derivations.
    """

    name: str
    domain: Domain = REAL
    test_range: tuple[float, float] = (-3.0, 3.0)
    doc: str = ""
    latex: str | None = None


#: Up to this many numbers, argument checks compare Python floats (cheaper than ufunc calls).
_FEW = 16


def row_sums(a: np.ndarray) -> np.ndarray:
    """Σ over the last axis of ``a`` (..., k) -> (...), as one matrix-vector product: ~3× faster
    than ``a.sum(axis=-1)``, whose reduction along a short last axis is strided."""
    if a.ndim == 1:  # one point: a Python-level sum of a few numbers beats building the vector
        return a.sum()
    return a @ np.ones(a.shape[-1])


def off_open_simplex(theta: np.ndarray) -> np.ndarray:
    """Where free probabilities (..., k − 1) leave no mass for the last class: ~(Σ p_i < 1)."""
    return ~(row_sums(theta) < 1.0)


@dataclass(frozen=True)
class Constraint:
    """A joint constraint on a parameter vector that per-entry domains cannot express.

    ``violations(theta)`` takes the (..., p) array and returns a boolean mask of shape (...)
    that is True where θ breaks the constraint; ``text`` is how an error message names it.
    """

    violations: Callable[[np.ndarray], np.ndarray]
    text: str


@dataclass(frozen=True)
class Parametrization:
    """A parametrization θ ↦ η of a family.

    Attributes
    ----------
    name : str
        Named after its parameters in order, e.g. ``"shape_rate"``.
    params : sequence of Param
        The entries of θ, in order.
    to_natural : callable ``(sp, *theta) -> list``
        η(θ) as sympy expressions.
    from_natural : callable ``(sp, *eta) -> list``, optional
        The closed-form inverse θ(η), where one exists.
    constraint : Constraint, optional
        A joint constraint beyond the per-entry domains.
    doc : str
        What the parametrization is and what each symbol means.
    """

    name: str
    params: Sequence[Param]
    to_natural: Callable[..., list]
    from_natural: Callable[..., list] | None = None
    constraint: Constraint | None = None
    doc: str = ""

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)


# ----------------------------------------------------------------------------------------------
# Supports


@dataclass(frozen=True)
class Support:
    """Where observations live.

    Attributes
    ----------
    kind : str
        One of ``"reals"``, ``"positive_reals"``, ``"unit_interval"``, ``"circle"``,
        ``"nonnegative_integers"``, ``"integer_range"``, ``"binary"``, ``"simplex"``,
        ``"one_hot"``, ``"counts_summing"``, ``"greater_than"`` and ``"real_vectors"``.
    text : str
        How an error message names it, e.g. ``"x > 0"``.
    low, high : float
        Bounds of a scalar support (integers included); for ``greater_than`` the bound is ``low``.
    size : int
        The event size of vector supports (0 for scalar observations).
    total : int
        For ``counts_summing``: the count vectors sum to this.
    """

    kind: str
    text: str
    low: float = -math.inf
    high: float = math.inf
    size: int = 0
    total: int = 0

    KINDS = (
        "reals", "positive_reals", "unit_interval", "circle", "nonnegative_integers",
        "integer_range", "binary", "simplex", "one_hot", "counts_summing", "greater_than",
        "real_vectors",
    )

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise SpecError(f"unknown support {self.kind!r}; expected one of {', '.join(self.KINDS)}")

    @property
    def discrete(self) -> bool:
        return self.kind in ("nonnegative_integers", "integer_range", "binary", "one_hot",
                             "counts_summing")

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.size,) if self.size else ()

    def violations(self, x: np.ndarray) -> np.ndarray:
        """Boolean mask of shape ``x.shape[:-1]`` (vector supports) or ``x.shape`` (scalar)."""
        finite = np.isfinite(x)
        k = self.kind
        if k == "reals":
            bad = ~finite
        elif k in ("positive_reals",):
            bad = ~(finite & (x > 0))
        elif k == "greater_than":
            bad = ~(finite & (x > self.low))
        elif k == "unit_interval":
            bad = ~(finite & (x > 0) & (x < 1))
        elif k == "circle":
            bad = ~(finite & (x >= -math.pi) & (x <= math.pi))
        elif k in ("nonnegative_integers", "integer_range", "binary"):
            bad = ~(finite & (x >= self.low) & (x <= self.high) & (x == np.floor(x)))
        elif k == "real_vectors":
            bad = ~finite.all(axis=-1)
        elif k == "simplex":
            inside = finite & (x > 0)
            bad = ~(inside.all(axis=-1) & (np.abs(x.sum(axis=-1) - 1.0) <= 1e-9 * self.size))
        elif k == "one_hot":
            bad = ~((finite & ((x == 0) | (x == 1))).all(axis=-1) & (x.sum(axis=-1) == 1))
        else:  # counts_summing
            whole = finite & (x >= 0) & (x == np.floor(x))
            bad = ~(whole.all(axis=-1) & (x.sum(axis=-1) == self.total))
        return bad

    def _entry_bounds(self) -> tuple[float, float, bool, bool]:
        """(lo, hi, closed, integer): every entry v of an observation satisfies lo < v < hi (or
        lo ≤ v ≤ hi when ``closed``), is finite, and is a whole number when ``integer``. For
        simplex, one-hot and count vectors the rows must also pass :meth:`_row_sums_ok`."""
        k, inf = self.kind, math.inf
        if k in ("reals", "real_vectors"):
            return -inf, inf, False, False
        if k in ("positive_reals", "simplex"):
            return 0.0, inf, False, False
        if k == "greater_than":
            return self.low, inf, False, False
        if k == "unit_interval":
            return 0.0, 1.0, False, False
        if k == "circle":
            return -math.pi, math.pi, True, False
        if k == "one_hot":
            return 0.0, 1.0, True, True
        if k == "counts_summing":
            return 0.0, inf, True, True
        return self.low, self.high, True, True  # the integer kinds

    def _row_sums_ok(self, sums):
        """Whether row sums (an array, or one float) are what the vector kind requires."""
        if self.kind == "simplex":
            return abs(sums - 1.0) <= 1e-9 * self.size
        return sums == (1 if self.kind == "one_hot" else self.total)

    def surely_inside(self, x: np.ndarray) -> bool:
        """True only if every observation in ``x`` lies in the support: a few whole-array
        reductions instead of :meth:`violations`' masks (3–10× cheaper on large batches), or
        Python comparisons for a handful of numbers.

        False means "look closer": :meth:`violations` then decides and words the error. NaN fails
        every comparison (and propagates through the extremes and row sums), so it never passes.
        """
        if x.size == 0:
            return True
        lo, hi, closed, integer = self._entry_bounds()
        vector = self.kind in ("simplex", "one_hot", "counts_summing")  # rows with a sum to check
        if x.size <= _FEW:
            values = x.ravel().tolist()
            inside = all((lo <= v <= hi if closed else lo < v < hi) and -math.inf < v < math.inf
                         and (not integer or v == math.floor(v)) for v in values)
            if not (inside and vector):
                return inside
            n = self.size
            return all(self._row_sums_ok(sum(values[i:i + n])) for i in range(0, len(values), n))
        if self.kind == "one_hot":
            # Every row summing to 1 has a nonzero entry (NaN and ±inf make the sum NaN or ±inf);
            # n nonzero entries in n rows then leave exactly one per row, which is the row's
            # sum: 1. The extremes are not needed.
            rows = row_sums(x)
            return bool(np.all(rows == 1) and np.count_nonzero(x) == rows.size)
        low, high = x.min(), x.max()
        inside = ((lo <= low and high <= hi) if closed else (lo < low and high < hi)) and (
            -math.inf < low and high < math.inf)
        if inside and integer:
            inside = np.array_equal(np.floor(x), x)
        if inside and vector:
            # Row sums by one matrix-vector product (exact for whole-number entries).
            inside = np.all(self._row_sums_ok(row_sums(x)))
        return bool(inside)

    def check(self, x) -> np.ndarray:
        """Return ``x`` as a float64 array, raising SupportError if any entry is outside."""
        arr = np.asarray(x, dtype=np.float64)
        if self.size:
            if arr.ndim == 0 or arr.shape[-1] != self.size:
                from ..errors import ShapeError

                raise ShapeError(
                    f"observation x must have last axis of length {self.size}, got shape {arr.shape}")
        if self.surely_inside(arr):
            return arr
        bad = self.violations(arr)
        if np.any(bad):
            where = arr[bad]
            raise SupportError(
                f"observation x outside the support ({self.text}): {describe(where)}")
        return arr


REALS = Support("reals", "x finite real")
POSITIVE_REALS = Support("positive_reals", "x > 0", low=0.0)
UNIT = Support("unit_interval", "0 < x < 1", low=0.0, high=1.0)
CIRCLE = Support("circle", "-pi <= x <= pi", low=-math.pi, high=math.pi)
COUNTS = Support("nonnegative_integers", "x a non-negative integer", low=0.0)
BINARY = Support("binary", "x in {0, 1}", low=0.0, high=1.0)


def integer_range(lo: int, hi: int) -> Support:
    """The integers lo, lo+1, …, hi."""
    return Support("integer_range", f"x an integer in [{lo}, {hi}]", low=float(lo), high=float(hi))


def greater_than_support(c: float) -> Support:
    """The half-line x > c."""
    return Support("greater_than", f"x > {_num(c)}", low=float(c))


def simplex(k: int) -> Support:
    """Vectors of k positive entries summing to 1."""
    return Support("simplex", f"x in the open {k}-simplex", low=0.0, high=1.0, size=k)


def one_hot(k: int) -> Support:
    """One-hot vectors of length k."""
    return Support("one_hot", f"x a one-hot vector of length {k}", low=0.0, high=1.0, size=k)


def counts_summing(k: int, n: int) -> Support:
    """Vectors of k non-negative integers summing to n."""
    return Support("counts_summing", f"x {k} non-negative integers summing to {n}",
                   low=0.0, high=float(n), size=k, total=n)


def real_vectors(d: int) -> Support:
    """Vectors of d finite reals."""
    return Support("real_vectors", f"x a finite real {d}-vector", size=d)


# ----------------------------------------------------------------------------------------------
# The family


@dataclass(frozen=True, eq=False)
class ExponentialFamily:
    """Declaration of an exponential family p(x | η) = h(x) exp(⟨η, T(x)⟩ − A(η)).

    Attributes
    ----------
    name : str
        Catalog name, e.g. ``"gamma"``; with dimensions, the dimensions are in ``dims``.
    title : str
        Human name.
    density : str
        The density in LaTeX, in the family's most common parametrization.
    support : Support
        Where x lives; its ``event_shape`` is the shape of one observation.
    statistics : callable ``(sp, x) -> list``
        T(x), the sufficient statistics; ``x`` is a symbol, or a list of symbols for vector
        observations.
    log_base_measure : callable ``(sp, x) -> expr``
        log h(x).
    natural : sequence of Param
        The natural parameters η with their domains (the domain of A).
    log_partition : callable ``(sp, *eta) -> expr``
        A(η).
    parametrizations : sequence of Parametrization
        Every parametrization but ``"natural"``, which is built from ``natural``.
    natural_constraint : Constraint, optional
        A joint constraint on η beyond the per-entry domains.
    natural_from_mean : callable ``(sp, *mu) -> list``, optional
        The closed-form inverse of μ = ∇A(η), used by the MLE; Newton's method otherwise.
    mean_space : Constraint, optional
        On mean vectors t̄ (..., m): True where t̄ is not in the interior of the convex hull of
        T(support), i.e. where no MLE exists. ``text`` says why in words.
    expected_log_base_measure : callable ``(sp, *eta) -> expr``, optional
        E[log h(x)] in closed form, for the entropy. When log h is constant it is derived; when
        neither, the entropy kernel sums over the (discrete) support.
    sampler : (str, callable ``(rng, *theta, size) -> array``)
        A parametrization name and a numpy sampler in it.
    scipy : (str, callable ``(stats, *theta) -> frozen distribution``), optional
        The same distribution in scipy.stats, an independent oracle for the tests.
    fisher_rao : (str, callable ``(sp, *theta_p, *theta_q) -> expr``), optional
        A closed-form Fisher–Rao distance in the named parametrization.
    dims : dict
        The dimensions the family was built with, e.g. ``{"k": 3}``.
    """

    name: str
    title: str
    density: str
    support: Support
    statistics: Callable[..., list]
    log_base_measure: Callable[..., Any]
    natural: Sequence[Param]
    log_partition: Callable[..., Any]
    parametrizations: Sequence[Parametrization] = ()
    natural_constraint: Constraint | None = None
    natural_from_mean: Callable[..., list] | None = None
    mean_space: Constraint | None = None
    expected_log_base_measure: Callable[..., Any] | None = None
    sampler: tuple[str, Callable[..., np.ndarray]] | None = None
    scipy: tuple[str, Callable[..., Any]] | None = None
    fisher_rao: tuple[str, Callable[..., Any]] | None = None
    dims: dict = field(default_factory=dict)
    doc: str = ""

    def __post_init__(self):
        names = [p.name for p in self.parametrizations]
        if "natural" in names:
            raise SpecError(f"family {self.name!r}: 'natural' is built from `natural`; do not declare it")
        if len(set(names)) != len(names):
            raise SpecError(f"family {self.name!r}: two parametrizations share a name")
        if not self.natural:
            raise SpecError(f"family {self.name!r}: no natural parameters declared")
        if not isinstance(self.support, Support):
            raise SpecError(f"family {self.name!r}: support must be a Support, got {self.support!r}")
        for pz in self.all_parametrizations:
            if not pz.params:
                raise SpecError(f"family {self.name!r}: parametrization {pz.name!r} has no parameters")
            for p in pz.params:
                lo, hi = p.test_range
                if p.domain.violations(np.array([lo, hi], dtype=float)).any():
                    raise SpecError(
                        f"family {self.name!r}, parametrization {pz.name!r}: test range of "
                        f"{p.name!r} {p.test_range} leaves its domain ({p.domain.text})")
        for attr in ("sampler", "scipy", "fisher_rao"):
            decl = getattr(self, attr)
            if decl is not None and decl[0] not in self.parametrization_names:
                raise SpecError(f"family {self.name!r}: {attr} names unknown parametrization {decl[0]!r}")

    @property
    def key(self) -> str:
        """Name with dimensions, e.g. ``dirichlet_k3``; a Python identifier."""
        # A real dimension (a fixed scale 1.5, a location -2) spells '.' as 'p' and '-' as 'm'.
        return self.name + "".join(
            f"_{k}{str(v).replace('.', 'p').replace('-', 'm').replace('+', '')}"
            for k, v in sorted(self.dims.items()))

    @property
    def all_parametrizations(self) -> tuple[Parametrization, ...]:
        natural = Parametrization(
            name="natural",
            params=tuple(self.natural),
            to_natural=lambda sp, *eta: list(eta),
            from_natural=lambda sp, *eta: list(eta),
            constraint=self.natural_constraint,
            doc="The natural parameters η of p(x) = h(x) exp(⟨η, T(x)⟩ − A(η)).",
        )
        return (natural, *self.parametrizations)

    @property
    def parametrization_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.all_parametrizations)

    def parametrization(self, name: str) -> Parametrization:
        for p in self.all_parametrizations:
            if p.name == name:
                return p
        from ..errors import UnknownFamilyError

        raise UnknownFamilyError(
            f"family {self.name!r} has no parametrization {name!r}; "
            f"known: {', '.join(self.parametrization_names)}")


def require_int(name: str, value, minimum: int) -> int:
    """Validate a dimension argument: an integer at least ``minimum``; DomainError otherwise."""
    from ..errors import DomainError

    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise DomainError(f"dimension {name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def require_positive(name: str, value) -> float:
    """Validate a fixed scalar of a family (a fixed shape or scale): finite and > 0."""
    from ..errors import DomainError

    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DomainError(f"{name} must be a finite number > 0, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise DomainError(f"{name} must be a finite number > 0, got {value!r}")
    return v


__all__ = [
    "Domain", "REAL", "POSITIVE", "NEGATIVE", "UNIT_INTERVAL", "greater_than", "less_than",
    "interval", "Param", "Constraint", "Parametrization", "Support", "REALS", "POSITIVE_REALS",
    "UNIT", "CIRCLE", "COUNTS", "BINARY", "integer_range", "greater_than_support", "simplex",
    "one_hot", "counts_summing", "real_vectors", "ExponentialFamily", "require_int",
    "require_positive",
]
_ = SupportError  # re-exported for family files that raise it
