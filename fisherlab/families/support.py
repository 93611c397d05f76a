"""Supports: where a family's observations live, one small class per kind of set.

Every support says what its entries may be (an interval, open or closed, of reals or of whole
numbers) and, for vector observations whose rows must add up to something (a simplex, one-hot
vectors, counts with a fixed total), what the row sums must be. From those facts the base class
derives the two checks every observation goes through: :meth:`Support.surely_inside`, a few
whole-array reductions that clear a valid batch, and :meth:`Support.violations`, the elementwise
mask that words the error when the fast check does not clear it.

``Support(kind, text, ...)`` with a kind string builds the matching class (the spelling
declarations written before the classes existed use); new code names the class or calls one of
the factories at the bottom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ..errors import ShapeError, SpecError, SupportError, describe
from .arrays import FEW_NUMBERS, row_sums
from .domain import number_text

_INF = math.inf
#: kind string -> Support subclass, filled as the classes below are defined.
_KINDS: dict[str, type] = {}


class _ByKind(type):
    """Lets ``Support("integer_range", text, low=1)`` build an :class:`IntegerRange`."""

    def __call__(cls, *args, **kwargs):
        if cls is not Support:
            return super().__call__(*args, **kwargs)
        if not args:
            raise SpecError("Support(kind, text, ...) needs a kind; "
                            f"expected one of {', '.join(_KINDS)}")
        kind, *rest = args
        try:
            sub = _KINDS[kind]
        except (KeyError, TypeError):
            raise SpecError(
                f"unknown support {kind!r}; expected one of {', '.join(_KINDS)}") from None
        return sub(*rest, **kwargs)


@dataclass(frozen=True)
class Support(metaclass=_ByKind):
    """Where observations live (the base of one class per kind of set).

    Attributes
    ----------
    text : str
        How an error message names the set, e.g. ``"x > 0"``.
    low, high : float
        Bounds of a scalar support (integers included); for :class:`GreaterThan` the bound is
        ``low``.
    size : int
        The event size of vector supports (0 for scalar observations).
    total : int
        For :class:`CountsSumming`: the count vectors sum to this.
    kind : str (class attribute)
        The kind's name, e.g. ``"positive_reals"``.
    discrete : bool (class attribute)
        Whether observations are whole numbers (sums over x replace integrals).
    """

    text: str
    low: float = -_INF
    high: float = _INF
    size: int = 0
    total: int = 0

    kind: ClassVar[str] = ""
    discrete: ClassVar[bool] = False
    #: Entries may equal the ends of :meth:`entry_range` ...
    closed: ClassVar[bool] = False
    #: ... and must be whole numbers.
    integer: ClassVar[bool] = False
    #: Rows (vector observations) must have the sum :meth:`row_sums_ok` accepts.
    checks_rows: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.kind:
            _KINDS[cls.kind] = cls

    @property
    def event_shape(self) -> tuple[int, ...]:
        """Shape of one observation: () for a scalar support, (k,) for a vector one."""
        return (self.size,) if self.size else ()

    def entry_range(self) -> tuple[float, float]:
        """(lo, hi): every entry v of an observation is finite and lo < v < hi (lo ≤ v ≤ hi when
        the class is ``closed``)."""
        return -_INF, _INF

    def row_sums_ok(self, sums):
        """Whether row sums (an array, or one float) are what the kind requires."""
        return True

    def _entries_ok(self, x: np.ndarray) -> np.ndarray:
        lo, hi = self.entry_range()
        ok = np.isfinite(x)
        if lo != -_INF:
            ok &= (x >= lo) if self.closed else (x > lo)
        if hi != _INF:
            ok &= (x <= hi) if self.closed else (x < hi)
        if self.integer:
            ok &= x == np.floor(x)
        return ok

    def violations(self, x: np.ndarray) -> np.ndarray:
        """Boolean mask of shape ``x.shape[:-1]`` (vector supports) or ``x.shape`` (scalar)."""
        ok = self._entries_ok(x)
        if self.size:
            ok = ok.all(axis=-1)
            if self.checks_rows:
                ok &= self.row_sums_ok(x.sum(axis=-1))
        return ~ok

    def surely_inside(self, x: np.ndarray) -> bool:
        """True only if every observation in ``x`` lies in the support: a few whole-array
        reductions instead of :meth:`violations`' masks (3–10× cheaper on large batches), or
        Python comparisons for a handful of numbers.

        False means "look closer": :meth:`violations` then decides and words the error. NaN fails
        every comparison (and propagates through the extremes and row sums), so it never passes.
        """
        if x.size == 0:
            return True
        lo, hi = self.entry_range()
        closed, integer = self.closed, self.integer
        if x.size <= FEW_NUMBERS:
            values = x.ravel().tolist()
            inside = all((lo <= v <= hi if closed else lo < v < hi) and -_INF < v < _INF
                         and (not integer or v == math.floor(v)) for v in values)
            if not (inside and self.checks_rows):
                return inside
            n = self.size
            return all(self.row_sums_ok(sum(values[i:i + n])) for i in range(0, len(values), n))
        return self._batch_inside(x, lo, hi)

    def _batch_inside(self, x: np.ndarray, lo: float, hi: float) -> bool:
        """:meth:`surely_inside` for more than a few numbers: the extremes, then row sums."""
        low, high = x.min(), x.max()
        inside = ((lo <= low and high <= hi) if self.closed else (lo < low and high < hi)) and (
            -_INF < low and high < _INF)
        if inside and self.integer:
            inside = np.array_equal(np.floor(x), x)
        if inside and self.checks_rows:
            # Row sums by one matrix-vector product (exact for whole-number entries).
            inside = np.all(self.row_sums_ok(row_sums(x)))
        return bool(inside)

    def check(self, x) -> np.ndarray:
        """Return ``x`` as a float64 array, raising SupportError if any entry is outside."""
        arr = np.asarray(x, dtype=np.float64)
        if self.size:
            if arr.ndim == 0 or arr.shape[-1] != self.size:
                raise ShapeError(f"observation x must have last axis of length {self.size}, "
                                 f"got shape {arr.shape}")
        if self.surely_inside(arr):
            return arr
        bad = self.violations(arr)
        if np.any(bad):
            where = arr[bad]
            raise SupportError(
                f"observation x outside the support ({self.text}): {describe(where)}")
        return arr


# -- scalar observations


@dataclass(frozen=True)
class Reals(Support):
    """Every finite real x."""

    kind: ClassVar[str] = "reals"


@dataclass(frozen=True)
class PositiveReals(Support):
    """x > 0."""

    low: float = 0.0
    kind: ClassVar[str] = "positive_reals"

    def entry_range(self):
        """(0, inf): every entry is positive."""
        return 0.0, _INF


@dataclass(frozen=True)
class GreaterThan(Support):
    """x > ``low``."""

    kind: ClassVar[str] = "greater_than"

    def entry_range(self):
        """(low, inf): every entry is at least ``low``."""
        return self.low, _INF


@dataclass(frozen=True)
class UnitInterval(Support):
    """0 < x < 1."""

    low: float = 0.0
    high: float = 1.0
    kind: ClassVar[str] = "unit_interval"

    def entry_range(self):
        """(0, 1): every entry is 0 or 1."""
        return 0.0, 1.0


@dataclass(frozen=True)
class ClosedUnitInterval(Support):
    """0 ≤ x ≤ 1 (the continuous Bernoulli's pixel intensities include both ends)."""

    low: float = 0.0
    high: float = 1.0
    kind: ClassVar[str] = "closed_unit_interval"
    closed: ClassVar[bool] = True

    def entry_range(self):
        """(0, 1): every entry is 0, 1 or in between."""
        return 0.0, 1.0


@dataclass(frozen=True)
class Circle(Support):
    """Angles −π ≤ x ≤ π."""

    low: float = -math.pi
    high: float = math.pi
    kind: ClassVar[str] = "circle"
    closed: ClassVar[bool] = True

    def entry_range(self):
        """(−π, π): an angle."""
        return -math.pi, math.pi


@dataclass(frozen=True)
class IntegerRange(Support):
    """The whole numbers ``low``, ``low`` + 1, …, ``high`` (``high`` may be ∞)."""

    kind: ClassVar[str] = "integer_range"
    discrete: ClassVar[bool] = True
    closed: ClassVar[bool] = True
    integer: ClassVar[bool] = True

    def entry_range(self):
        """(low, high): the bounds of the interval."""
        return self.low, self.high


@dataclass(frozen=True)
class NonnegativeIntegers(IntegerRange):
    """The non-negative integers x = 0, 1, 2, …."""

    low: float = 0.0
    kind: ClassVar[str] = "nonnegative_integers"


@dataclass(frozen=True)
class Binary(IntegerRange):
    """x ∈ {0, 1}."""

    low: float = 0.0
    high: float = 1.0
    kind: ClassVar[str] = "binary"


# -- vector observations (``size`` entries each)


@dataclass(frozen=True)
class RealVectors(Support):
    """Vectors of ``size`` finite reals."""

    kind: ClassVar[str] = "real_vectors"


@dataclass(frozen=True)
class Simplex(Support):
    """Vectors of ``size`` positive entries summing to 1 (to 1e-9 per entry)."""

    low: float = 0.0
    high: float = 1.0
    kind: ClassVar[str] = "simplex"
    checks_rows: ClassVar[bool] = True

    def entry_range(self):
        """(0, inf): every entry of a point of the simplex is positive."""
        return 0.0, _INF

    def row_sums_ok(self, sums):
        """Mask (n,) of the row sums equal to 1 up to round-off."""
        return abs(sums - 1.0) <= 1e-9 * self.size


@dataclass(frozen=True)
class OneHot(Support):
    """One-hot vectors of length ``size``."""

    low: float = 0.0
    high: float = 1.0
    kind: ClassVar[str] = "one_hot"
    discrete: ClassVar[bool] = True
    closed: ClassVar[bool] = True
    integer: ClassVar[bool] = True
    checks_rows: ClassVar[bool] = True

    def entry_range(self):
        """(0, 1): a one-hot row holds zeros and a single one."""
        return 0.0, 1.0

    def row_sums_ok(self, sums):
        """Mask (n,) of the row sums equal to 1 exactly."""
        return sums == 1

    def _batch_inside(self, x, lo, hi):
        # Every row summing to 1 has a nonzero entry (NaN and ±inf make the sum NaN or ±inf);
        # n nonzero entries in n rows then leave exactly one per row, which is the row's sum: 1.
        # The extremes are not needed.
        rows = row_sums(x)
        return bool(np.all(rows == 1) and np.count_nonzero(x) == rows.size)


@dataclass(frozen=True)
class CountsSumming(Support):
    """Vectors of ``size`` non-negative whole numbers summing to ``total``."""

    low: float = 0.0
    kind: ClassVar[str] = "counts_summing"
    discrete: ClassVar[bool] = True
    closed: ClassVar[bool] = True
    integer: ClassVar[bool] = True
    checks_rows: ClassVar[bool] = True

    def entry_range(self):
        """(0, inf): counts are non-negative."""
        return 0.0, _INF

    def row_sums_ok(self, sums):
        """Mask (n,) of the row sums equal to the number of trials."""
        return sums == self.total


@dataclass(frozen=True)
class CountVectors(Support):
    """Vectors of ``size`` non-negative whole numbers, any sum (the multinomial for every n; the
    sum is checked against n by the family, per row)."""

    low: float = 0.0
    kind: ClassVar[str] = "count_vectors"
    discrete: ClassVar[bool] = True
    closed: ClassVar[bool] = True
    integer: ClassVar[bool] = True

    def entry_range(self):
        return 0.0, _INF


@dataclass(frozen=True)
class MeanPrecisionPairs(Support):
    """Pairs (μ, τ) of a finite real μ and a positive τ (a mean and a precision)."""

    size: int = 2
    kind: ClassVar[str] = "mean_precision_pairs"

    def _entries_ok(self, x):
        ok = np.isfinite(x)
        ok[..., 1] &= x[..., 1] > 0
        return ok

    def surely_inside(self, x):
        """True only if every pair has a finite μ and a finite τ > 0 (NaN fails)."""
        if x.size == 0:
            return True
        tau = x[..., 1]
        return bool(np.isfinite(x).all() and tau.min() > 0)


@dataclass(frozen=True)
class UnitSphere(Support):
    """Unit vectors of ``size`` entries: the sphere S^(size−1), |‖x‖ − 1| ≤ ``SPHERE_TOLERANCE``."""

    kind: ClassVar[str] = "unit_sphere"

    def _entries_ok(self, x):
        ok = np.isfinite(x)
        with np.errstate(invalid="ignore", over="ignore"):
            norm = np.sqrt((np.where(ok, x, 0.0) ** 2).sum(axis=-1))
        return ok & (np.abs(norm - 1.0) <= SPHERE_TOLERANCE)[..., None]

    def surely_inside(self, x):
        """True only if every row is finite with |‖x‖ − 1| ≤ SPHERE_TOLERANCE (NaN fails)."""
        if x.size == 0:
            return True
        with np.errstate(invalid="ignore", over="ignore"):
            norm = np.sqrt((x * x).sum(axis=-1))
            return bool(np.all(np.abs(norm - 1.0) <= SPHERE_TOLERANCE))


#: How far from 1 the norm of an observation on the sphere may be: far above the rounding a
#: normalization x/‖x‖ leaves in float64 (about √d · 1e-16), far below float32's (6e-8), so
#: vectors normalized in single precision are refused rather than silently treated as unit.
SPHERE_TOLERANCE = 1e-10


@dataclass(frozen=True)
class PositiveDefinite(Support):
    """Vectors of ``size`` finite reals whose entries from ``start`` on are the lower triangle,
    row by row, of a symmetric positive-definite d × d matrix (the entries before ``start`` are
    free: the mean of a normal-Wishart draw)."""

    start: int = 0
    kind: ClassVar[str] = "positive_definite"

    @property
    def dimension(self) -> int:
        """d, the order of the matrix."""
        n = self.size - self.start
        return int(round((math.isqrt(8 * n + 1) - 1) / 2))

    def violations(self, x: np.ndarray) -> np.ndarray:
        """Mask ``x.shape[:-1]`` of the rows with a non-finite entry or a matrix that is not
        positive definite (its smallest eigenvalue not > 0)."""
        x = np.asarray(x, dtype=np.float64)
        finite = np.isfinite(x).all(axis=-1)
        d = self.dimension
        il = np.tril_indices(d)
        mats = np.zeros(x.shape[:-1] + (d, d))
        tri = np.where(finite[..., None], x[..., self.start:], 0.0)
        mats[..., il[0], il[1]] = tri
        mats[..., il[1], il[0]] = tri
        return ~finite | ~(np.linalg.eigvalsh(mats)[..., 0] > 0)

    def surely_inside(self, x: np.ndarray) -> bool:
        """True only if every row holds a positive-definite matrix (the exact check)."""
        return x.size == 0 or not bool(self.violations(x).any())


#: The kinds ``Support(kind, ...)`` accepts.
KINDS = tuple(_KINDS)

REALS = Reals("x finite real")
POSITIVE_REALS = PositiveReals("x > 0")
UNIT = UnitInterval("0 < x < 1")
CLOSED_UNIT = ClosedUnitInterval("0 <= x <= 1")
CIRCLE = Circle("-pi <= x <= pi")
COUNTS = NonnegativeIntegers("x a non-negative integer")
BINARY = Binary("x in {0, 1}")


def integer_range(lo: int, hi: int) -> Support:
    """The integers lo, lo+1, …, hi."""
    return IntegerRange(f"x an integer in [{lo}, {hi}]", low=float(lo), high=float(hi))


def greater_than_support(c: float) -> Support:
    """The half-line x > c."""
    return GreaterThan(f"x > {number_text(c)}", low=float(c))


def simplex(k: int) -> Support:
    """Vectors of k positive entries summing to 1."""
    return Simplex(f"x in the open {k}-simplex", size=k)


def one_hot(k: int) -> Support:
    """One-hot vectors of length k."""
    return OneHot(f"x a one-hot vector of length {k}", size=k)


def counts_summing(k: int, n: int) -> Support:
    """Vectors of k non-negative integers summing to n."""
    return CountsSumming(f"x {k} non-negative integers summing to {n}", high=float(n), size=k,
                         total=n)


def count_vectors(k: int) -> Support:
    """Vectors of k non-negative integers (any sum)."""
    return CountVectors(f"x {k} non-negative integers", size=k)


def real_vectors(d: int) -> Support:
    """Vectors of d finite reals."""
    return RealVectors(f"x a finite real {d}-vector", size=d)


def unit_sphere(d: int) -> Support:
    """Unit vectors in ℝ^d: the sphere S^(d−1)."""
    return UnitSphere(f"x a unit vector in R^{d} (|norm - 1| <= {SPHERE_TOLERANCE:g})", size=d)


def mean_precision_pairs() -> Support:
    """Pairs x = (μ, τ) with μ finite real and τ > 0."""
    return MeanPrecisionPairs("x = (mu, tau) with mu finite real and tau > 0")


def positive_definite(d: int, start: int = 0) -> Support:
    """Rows of ``start`` free reals followed by the lower triangle (row by row) of a symmetric
    positive-definite d × d matrix."""
    what = "X" if not start else "the matrix part of x"
    return PositiveDefinite(f"{what} symmetric positive definite (lower triangle row by row)",
                            size=start + d * (d + 1) // 2, start=start)


__all__ = [
    "Support", "Reals", "PositiveReals", "GreaterThan", "UnitInterval", "ClosedUnitInterval",
    "Circle", "IntegerRange",
    "NonnegativeIntegers", "Binary", "RealVectors", "Simplex", "OneHot", "CountsSumming", "KINDS",
    "REALS", "POSITIVE_REALS", "UNIT", "CLOSED_UNIT", "CIRCLE", "COUNTS", "BINARY", "integer_range",
    "greater_than_support", "simplex", "one_hot", "counts_summing", "real_vectors",
    "MeanPrecisionPairs", "mean_precision_pairs", "UnitSphere", "unit_sphere", "SPHERE_TOLERANCE",
    "PositiveDefinite", "positive_definite",
]
