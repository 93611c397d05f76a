"""The log-series (logarithmic) distribution's log-partition and its derivatives (imports sympy).

A(η) = log(−log(1 − e^η)), η < 0. Differentiated as written, its variance is
A′(1/(1 − e^η) − A′), a difference that loses log10(2/p) digits as p = e^η → 0 (the two terms
tend to 1 and the variance to p/2). With u = e^η, q = −log(1 − u)/u and the excess s = q − 1
(≈ u/2), the derivatives are products instead:

    A = η + log(1 + s)          A′ = μ = 1/((1 − u)(1 + s))          A″ = μ² s
    s′ = (−log(1 − u) − s)/(1 − u)                                log(1 − u)′ = −u/(1 − u)

Each of A, μ, s and log(1 − u) is an opaque function here, printed as the numpy function of the
same name in :mod:`fisherlab.kernels._special` (s by its series for small u); sympy's evalf (the
mpmath oracles) evaluates the explicit forms at a precision raised by the digits they cancel.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.evalf import prec_to_dps

from .elementary import NegExpm1
from .kernel_function import KernelFunctionBase


class _OfEta(KernelFunctionBase):
    """A function of η < 0 whose explicit form cancels as η → −∞ (by about −η·log10(e) digits):
    evalf evaluates it at that much more precision."""

    nargs = 1

    def _eval_evalf(self, prec):
        eta = self.args[0]
        if not eta.is_number:
            return None
        lost = int(abs(float(sp.N(eta, 15))) * 1.45) + 64  # bits: −η/log 2, and a margin
        value = self.explicit().evalf(prec_to_dps(prec + lost))
        return sp.Float(value, prec_to_dps(prec))

    def _eval_is_real(self):
        return True if self.args[0].is_negative else None


class Log1mexp(_OfEta):
    """log(1 − e^η) for η < 0 (negative), without the rounding of 1 − e^η at either end."""

    kernel_name = "log1mexp"

    def explicit(self):
        """The elementary form log(1 − e^η)."""
        return sp.log(1 - sp.exp(self.args[0]))

    def fdiff(self, argindex=1):
        """The derivative −e^η/(1 − e^η)."""
        return -sp.exp(self.args[0]) / NegExpm1(self.args[0])

    def _latex(self, printer, exp=None):
        tex = rf"\log\left(1 - e^{{{printer._print(self.args[0])}}}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex


class LogSeriesExcess(_OfEta):
    """s(η) = −log(1 − e^η)/e^η − 1 for η < 0 (positive, ≈ e^η/2 as η → −∞)."""

    kernel_name = "log_series_excess"

    def explicit(self):
        """The elementary form −log(1 − e^η) e^(−η) − 1."""
        eta = self.args[0]
        return -sp.log(1 - sp.exp(eta)) * sp.exp(-eta) - 1

    def fdiff(self, argindex=1):
        """The derivative (−log(1 − e^η) − s)/(1 − e^η) (the two terms ≈ e^η and e^η/2)."""
        eta = self.args[0]
        return (-Log1mexp(eta) - LogSeriesExcess(eta)) / NegExpm1(eta)

    def _latex(self, printer, exp=None):
        tex = rf"s\left({printer._print(self.args[0])}\right)"
        return rf"{tex}^{{{exp}}}" if exp else tex


class LogSeriesMean(_OfEta):
    """μ(η) = e^η/((1 − e^η)(−log(1 − e^η))) = 1/((1 − e^η)(1 + s)), the log-series mean."""

    kernel_name = "log_series_mean"

    def explicit(self):
        """The elementary form e^η/((1 − e^η)(−log(1 − e^η)))."""
        eta = self.args[0]
        return sp.exp(eta) / ((1 - sp.exp(eta)) * -sp.log(1 - sp.exp(eta)))

    def fdiff(self, argindex=1):
        """The derivative μ² s (the variance of x)."""
        eta = self.args[0]
        return LogSeriesMean(eta) ** 2 * LogSeriesExcess(eta)

    def _eval_is_positive(self):
        return True if self.args[0].is_negative else None

    def _latex(self, printer, exp=None):
        tex = rf"\mu\left({printer._print(self.args[0])}\right)"
        return rf"{tex}^{{{exp}}}" if exp else tex


class LogSeriesLogPartition(_OfEta):
    """A(η) = log(−log(1 − e^η)) = η + log(1 + s(η)), the log-series log-partition."""

    kernel_name = "log_series_log_partition"

    def explicit(self):
        """The elementary form log(−log(1 − e^η))."""
        return sp.log(-sp.log(1 - sp.exp(self.args[0])))

    def fdiff(self, argindex=1):
        """The derivative μ(η)."""
        return LogSeriesMean(self.args[0])

    def _latex(self, printer, exp=None):
        tex = rf"\log\left(-\log\left(1 - e^{{{printer._print(self.args[0])}}}\right)\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex
