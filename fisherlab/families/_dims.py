"""Fixed values as numbers: integral floats tidied to ints, and exact sympy numbers.

An integral float becomes an int, so ``k=2`` and ``k=2.0`` name the same bound family (see
:mod:`.fixed`, which validates the values). Symbolic code turns a value into an exact sympy
rational with :func:`exact`.
"""

from __future__ import annotations


def _tidy(v: float):
    return int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v)


def exact(sp, value):
    """The fixed value as an exact sympy number: 1.5 -> 3/2, 0.1 -> 1/10 (its shortest repr)."""
    return sp.Rational(repr(value)) if isinstance(value, float) else sp.Integer(value)
