"""Special functions the generated kernels call, in one place so each can be made fast and exact.

Every function takes and returns float64 arrays and broadcasts like a ufunc.
"""

from __future__ import annotations

import numpy
import scipy.special

gammaln = scipy.special.gammaln
digamma = scipy.special.digamma
polygamma = scipy.special.polygamma


def trigamma(x):
    """ψ'(x) = ζ(2, x), the Hurwitz zeta function; valid for x > 0."""
    return scipy.special.zeta(2.0, x)


__all__ = ["gammaln", "digamma", "polygamma", "trigamma", "numpy"]
