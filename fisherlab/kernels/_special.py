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


# -- von Mises and inverse Gaussian (fisherlab.families._functions) ----------------------------


def log_besseli0(z):
    """log I₀(z) for real z, through the exponentially scaled i0e: finite for any finite z.

    I₀(z) overflows for |z| > 713; log I₀(z) = log(i0e(z)) + |z| does not.
    """
    z = numpy.asarray(z, dtype=numpy.float64)
    return numpy.log(scipy.special.i0e(z)) + numpy.abs(z)


def besseli_ratio(z):
    """I₁(z)/I₀(z) for real z, as i1e(z)/i0e(z) (the exponential scalings cancel)."""
    return scipy.special.i1e(z) / scipy.special.i0e(z)


#: Below this argument e^z and E₁(z) are both normal floats and their product is exact to an ulp.
_EXP_EXPINT1_SWITCH = 500.0


def exp_expint1(z):
    """e^z E₁(z) for z > 0, the scaled exponential integral, finite for any finite z > 0.

    For z ≤ 500 it is the product of e^z and scipy's E₁; beyond, E₁ nears the underflow
    threshold and the asymptotic series Σ (−1)ⁿ n!/z^(n+1) is used: its 16th term is below
    1e-30 of the sum there.
    """
    z = numpy.asarray(z, dtype=numpy.float64)
    small = z <= _EXP_EXPINT1_SWITCH
    zs = numpy.where(small, z, 1.0)
    direct = numpy.exp(zs) * scipy.special.exp1(zs)
    zl = numpy.where(small, 2 * _EXP_EXPINT1_SWITCH, z)
    term = 1.0 / zl
    series = term.copy()
    for n in range(1, 16):
        term = term * (-n / zl)
        series = series + term
    return numpy.where(small, direct, series)


__all__ += ["log_besseli0", "besseli_ratio", "exp_expint1"]
