"""Validation of real-valued family arguments (a fixed shape, scale or location).

The value is kept as given but an integral float becomes an int, so ``k=2`` and ``k=2.0`` name
the same family (and the same generated kernel module). Symbolic code turns it into an exact
sympy rational with :func:`exact`.
"""

from __future__ import annotations

import math

from ..errors import DomainError
from ._spec import require_positive


def _tidy(v: float):
    return int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v)


def fixed_positive(name: str, value):
    """A fixed shape or scale: finite and > 0 (DomainError naming ``name`` otherwise)."""
    return _tidy(require_positive(name, value))


def fixed_real(name: str, value):
    """A fixed location: any finite real (DomainError naming ``name`` otherwise)."""
    if isinstance(value, bool):
        raise DomainError(f"{name} must be a finite real number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DomainError(f"{name} must be a finite real number, got {value!r}") from None
    if not math.isfinite(v):
        raise DomainError(f"{name} must be a finite real number, got {value!r}")
    return _tidy(v)


def exact(sp, value):
    """The fixed value as an exact sympy number: 1.5 -> 3/2, 0.1 -> 1/10 (its shortest repr)."""
    return sp.Rational(repr(value)) if isinstance(value, float) else sp.Integer(value)
