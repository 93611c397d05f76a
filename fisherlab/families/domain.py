"""Domains of scalar parameters: the intervals a parameter of a declaration lives in."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


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
        """The domain in words for error messages, e.g. ``> 0`` or ``finite real``."""
        if self.lo == -math.inf and self.hi == math.inf:
            return "finite real"
        if self.hi == math.inf:
            return f"{'>=' if self.lo_closed else '>'} {number_text(self.lo)}"
        if self.lo == -math.inf:
            return f"{'<=' if self.hi_closed else '<'} {number_text(self.hi)}"
        left = "[" if self.lo_closed else "("
        right = "]" if self.hi_closed else ")"
        return f"in {left}{number_text(self.lo)}, {number_text(self.hi)}{right}"

    @property
    def assumptions(self) -> dict[str, bool]:
        """The sympy assumptions the domain implies (``positive``, ``nonnegative``, ``real``)."""
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


def number_text(v: float) -> str:
    """A bound as an error message writes it: ``0``, ``1.5``, ``-inf``."""
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


__all__ = ["Domain", "REAL", "POSITIVE", "NEGATIVE", "UNIT_INTERVAL", "greater_than", "less_than",
           "interval", "number_text"]
