"""Special functions some families' log-partitions need, as sympy functions built on demand.

Declaring A(η) of the von Mises family as log I₀(r) lets sympy differentiate it, but every
derivative is then a ratio of Bessel functions that overflow for r ≳ 700. These functions keep
the derivation in overflow-free quantities instead:

- ``log_besseli0(z)`` = log I₀(z), with derivative ``besseli_ratio(z)``;
- ``besseli_ratio(z)`` = I₁(z)/I₀(z), with derivative 1 − R/z − R² (R the ratio itself);
- ``exp_expint1(z)`` = e^z E₁(z) (z > 0), the scaled exponential integral in E[log x] of the
  inverse Gaussian, with derivative e^z E₁(z) − 1/z.

The compiled kernels evaluate them through exponentially scaled Bessel functions and an
asymptotic series (:mod:`fisherlab.kernels._special`); sympy evaluates them (``evalf``, e.g. in
mpmath oracles) by rewriting them into ``besseli`` and ``expint``. Nothing here imports sympy at
import time: the family declarations call :func:`functions` with the sympy module.
"""

from __future__ import annotations

_CACHE: dict = {}


def functions(sp) -> dict:
    """name -> sympy Function class, built once per process (so instances compare equal)."""
    if not _CACHE:
        _CACHE.update(_build(sp))
    return _CACHE


def _build(sp) -> dict:
    from sympy.core.evalf import prec_to_dps

    class log_besseli0(sp.Function):  # noqa: N801 -- the name is what printers dispatch on
        """log I₀(z), the log of the modified Bessel function of the first kind, order 0."""

        nargs = 1

        @classmethod
        def eval(cls, z):
            if z.is_zero:
                return sp.S.Zero
            if z.could_extract_minus_sign():
                return cls(-z)  # I₀ is even

        def fdiff(self, argindex=1):
            return besseli_ratio(self.args[0])

        def _eval_is_real(self):
            return self.args[0].is_real

        def _eval_is_positive(self):
            z = self.args[0]
            return True if (z.is_real and z.is_nonzero) else None

        def _eval_rewrite_as_besseli(self, z, **kwargs):
            return sp.log(sp.besseli(0, z))

        def _eval_evalf(self, prec):
            return sp.log(sp.besseli(0, self.args[0])).evalf(prec_to_dps(prec))

        def _latex(self, printer, exp=None):
            tex = rf"\log I_0\left({printer._print(self.args[0])}\right)"
            return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    class besseli_ratio(sp.Function):  # noqa: N801
        """I₁(z)/I₀(z), the ratio of modified Bessel functions (the mean resultant length)."""

        nargs = 1

        @classmethod
        def eval(cls, z):
            if z.is_zero:
                return sp.S.Zero
            if z.could_extract_minus_sign():
                return -cls(-z)  # I₁ is odd, I₀ even

        def fdiff(self, argindex=1):
            z = self.args[0]
            r = besseli_ratio(z)
            return 1 - r / z - r**2

        def _eval_is_real(self):
            return self.args[0].is_real

        def _eval_is_positive(self):
            return self.args[0].is_positive

        def _eval_rewrite_as_besseli(self, z, **kwargs):
            return sp.besseli(1, z) / sp.besseli(0, z)

        def _eval_evalf(self, prec):
            z = self.args[0]
            return (sp.besseli(1, z) / sp.besseli(0, z)).evalf(prec_to_dps(prec))

        def _latex(self, printer, exp=None):
            z = printer._print(self.args[0])
            tex = rf"\frac{{I_1\left({z}\right)}}{{I_0\left({z}\right)}}"
            return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    class exp_expint1(sp.Function):  # noqa: N801
        """e^z E₁(z) for z > 0, the exponentially scaled exponential integral."""

        nargs = 1

        def fdiff(self, argindex=1):
            z = self.args[0]
            return exp_expint1(z) - 1 / z

        def _eval_is_real(self):
            return True if self.args[0].is_positive else None

        def _eval_is_positive(self):
            return True if self.args[0].is_positive else None

        def _eval_rewrite_as_expint(self, z, **kwargs):
            return sp.exp(z) * sp.expint(1, z)

        def _eval_evalf(self, prec):
            z = self.args[0]
            return (sp.exp(z) * sp.expint(1, z)).evalf(prec_to_dps(prec))

        def _latex(self, printer, exp=None):
            z = printer._print(self.args[0])
            tex = rf"e^{{{z}}} E_1\left({z}\right)"
            return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    return {"log_besseli0": log_besseli0, "besseli_ratio": besseli_ratio,
            "exp_expint1": exp_expint1}
