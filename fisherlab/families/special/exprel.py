"""log((e^η − 1)/η) and its derivatives: the continuous Bernoulli's log-partition (imports sympy).

A(η) = log((e^η − 1)/η) is analytic at η = 0 (A(0) = 0), but every elementary form of it and of
its derivatives cancels there: (e^η − 1)/η loses nothing with expm1, but A′ = 1/(1 − e^(−η)) − 1/η
loses log10(2/|η|) digits and A″ = 1/η² − 1/(4 sinh²(η/2)) all of them by |η| ~ 1e-8. They are
kept opaque here:

- ``LogExprelDeriv(n, η)`` = dⁿ/dηⁿ A(η), n ≥ 0, differentiating to order n + 1;
- ``LogExprelIntercept(η)`` = A(η) − ηA′(η) (≈ −η²/24 at 0), the entropy of the continuous
  Bernoulli, with derivative −ηA″(η).

The log-partition is declared as ηA′(η) + (A(η) − ηA′(η)) (an identity), so that the derived
entropy A − ηA′ is the second function itself, not a difference of two values of size η/2.
The kernels (:mod:`fisherlab.kernels._special`: ``log_exprel_deriv``, ``log_exprel_intercept``)
sum Taylor series near 0 and closed forms in e^(−|η|) elsewhere; sympy's evalf (the mpmath
oracles) evaluates the elementary forms at a precision raised by the digits they cancel.
"""

from __future__ import annotations

import functools

import sympy as sp
from sympy.core.evalf import prec_to_dps

from .kernel_function import KernelFunctionBase


def _explicit_log_exprel(eta):
    return sp.log((sp.exp(eta) - 1) / eta)


@functools.cache
def _explicit_log_exprel_deriv(n: int) -> sp.Lambda:
    """η ↦ dⁿ/dηⁿ log((e^η − 1)/η), differentiated once per order: the mpmath oracles evaluate
    it at every point, and sympy's diff of the third derivative takes a large fraction of a
    second."""
    t = sp.Dummy("t")
    return sp.Lambda(t, sp.diff(_explicit_log_exprel(t), t, n))


def _evalf_cancelling(expr, eta, prec):
    """``expr`` (an elementary form in η that cancels about 2·log2(1/|η|) bits near η = 0)
    evaluated to ``prec`` bits."""
    if not eta.is_number:
        return None
    v = abs(float(sp.N(eta, 15)))
    if v == 0:
        return None
    import math

    lost = int(3 * max(0.0, -math.log2(v))) + 64
    return sp.Float(expr.evalf(prec_to_dps(prec + lost)), prec_to_dps(prec))


class LogExprelDeriv(KernelFunctionBase):
    """dⁿ/dηⁿ log((e^η − 1)/η) for an integer n ≥ 0 and real η (η = 0 included)."""

    kernel_name = "log_exprel_deriv"
    nargs = 2

    @classmethod
    def eval(cls, n, eta):
        """The values at η = 0 (0, 1/2, 1/12, 0 for n = 0..3); None keeps it opaque."""
        if eta.is_zero and n.is_Integer and int(n) <= 3:
            return [sp.S.Zero, sp.S.Half, sp.Rational(1, 12), sp.S.Zero][int(n)]
        return None

    def explicit(self):
        """The elementary form: the n-th derivative of log((e^η − 1)/η)."""
        n, eta = self.args
        return _explicit_log_exprel_deriv(int(n))(eta)

    def fdiff(self, argindex=2):
        """The derivative in η: the next order."""
        if argindex != 2:
            raise sp.ArgumentIndexError(self, argindex)
        n, eta = self.args
        return LogExprelDeriv(n + 1, eta)

    def _eval_evalf(self, prec):
        return _evalf_cancelling(self.explicit(), self.args[1], prec)

    def _eval_is_real(self):
        return True if self.args[1].is_real else None

    def _latex(self, printer, exp=None):
        n, eta = self.args
        primes = "'" * int(n) if n.is_Integer and int(n) <= 3 else rf"^{{({printer._print(n)})}}"
        tex = rf"A_{{\mathrm{{CB}}}}{primes}\left({printer._print(eta)}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _sympystr(self, printer):
        n, eta = self.args
        return f"log_exprel_deriv({printer._print(n)}, {printer._print(eta)})"


class LogExprelIntercept(KernelFunctionBase):
    """A(η) − ηA′(η) for A = log((e^η − 1)/η): the entropy of the continuous Bernoulli (≤ 0)."""

    kernel_name = "log_exprel_intercept"
    nargs = 1

    @classmethod
    def eval(cls, eta):
        """0 at η = 0; None keeps it opaque."""
        if eta.is_zero:
            return sp.S.Zero
        return None

    def explicit(self):
        """The elementary form log((e^η − 1)/η) − η(e^η/(e^η − 1) − 1/η)."""
        eta = self.args[0]
        return _explicit_log_exprel(eta) - eta * (sp.exp(eta) / (sp.exp(eta) - 1) - 1 / eta)

    def fdiff(self, argindex=1):
        """The derivative −ηA″(η)."""
        eta = self.args[0]
        return -eta * LogExprelDeriv(2, eta)

    def _eval_evalf(self, prec):
        return _evalf_cancelling(self.explicit(), self.args[0], prec)

    def _eval_is_real(self):
        return True if self.args[0].is_real else None

    def _latex(self, printer, exp=None):
        tex = rf"H_{{\mathrm{{CB}}}}\left({printer._print(self.args[0])}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _sympystr(self, printer):
        return f"log_exprel_intercept({printer._print(self.args[0])})"


def log_partition(eta):
    """A(η) = log((e^η − 1)/η) written ηA′(η) + (A(η) − ηA′(η)) (see the module notes)."""
    return eta * LogExprelDeriv(1, eta) + LogExprelIntercept(eta)
