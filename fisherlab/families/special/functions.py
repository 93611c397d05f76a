"""Special functions some families' log-partitions need, as sympy functions built on demand.

Declaring A(η) of the von Mises family as log I₀(r) lets sympy differentiate it, but every
derivative is then a ratio of Bessel functions that overflow for r ≳ 700. These functions keep
the derivation in overflow-free quantities instead:

- ``log_besseli0(z)`` = log I₀(z), with derivative ``besseli_ratio(z)``;
- ``besseli_ratio(z)`` = R(z) = I₁(z)/I₀(z), with derivative ``besseli_ratio_deriv(z)`` =
  1 − R/z − R², kept as one function because that difference cancels for large z;
- ``exp_expint1(z)`` = e^z E₁(z) (z > 0), the scaled exponential integral in E[log x] of the
  inverse Gaussian, with derivative e^z E₁(z) − 1/z;
- ``log_beta(a, b)`` = log B(a, b), with derivatives ``digamma_diff(a, b)`` = ψ(a) − ψ(a + b)
  and ``digamma_diff(b, a)``, whose derivatives are ``trigamma_diff(a, b)`` = ψ'(a) − ψ'(a + b)
  and −ψ'(a + b): the beta and Dirichlet log-partitions. Written as differences of log Γ and
  polygamma values these lose every digit when b ≪ a (1e6 and 1e-3); the kernels evaluate
  them with scipy's betaln and a Taylor series in b/a instead.

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
    from sympy.printing.pretty.stringpict import prettyForm

    class _Shown:
        """Terminal (pretty) printing through the textbook form, e.g. ψ'(a) − ψ'(a + b)."""

        def _pretty(self, printer, *args):
            return prettyForm(*printer._print(self._shown()).parens())

    class log_besseli0(_Shown, sp.Function):  # noqa: N801 -- the name is what printers dispatch on
        """log I₀(z), the log of the modified Bessel function of the first kind, order 0."""

        nargs = 1

        def _shown(self):
            return sp.log(sp.besseli(0, self.args[0]))

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

    class besseli_ratio(_Shown, sp.Function):  # noqa: N801
        """I₁(z)/I₀(z), the ratio of modified Bessel functions (the mean resultant length)."""

        nargs = 1

        def _shown(self):
            return sp.besseli(1, self.args[0]) / sp.besseli(0, self.args[0])

        @classmethod
        def eval(cls, z):
            if z.is_zero:
                return sp.S.Zero
            if z.could_extract_minus_sign():
                return -cls(-z)  # I₁ is odd, I₀ even

        def fdiff(self, argindex=1):
            return besseli_ratio_deriv(self.args[0])

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

    class besseli_ratio_deriv(_Shown, sp.Function):  # noqa: N801
        """R'(z) = 1 − R(z)/z − R(z)², R = I₁/I₀: the variance of cos(x − μ) at concentration z.

        A function of its own because the difference cancels for large z (R' ≈ 1/(2z²)).
        """

        nargs = 1

        def _shown(self):
            return self._eval_rewrite_as_besseli(self.args[0])

        @classmethod
        def eval(cls, z):
            if z.is_zero:
                return sp.S.Half
            if z.could_extract_minus_sign():
                return cls(-z)  # R is odd, so R' is even

        def fdiff(self, argindex=1):
            z = self.args[0]
            r, dr = besseli_ratio(z), besseli_ratio_deriv(z)
            return -dr / z + r / z**2 - 2 * r * dr

        def _eval_is_real(self):
            return self.args[0].is_real

        def _eval_is_positive(self):
            return True if self.args[0].is_real else None

        def _eval_rewrite_as_besseli(self, z, **kwargs):
            r = sp.besseli(1, z) / sp.besseli(0, z)
            return 1 - r / z - r**2

        def _eval_evalf(self, prec):
            return self._eval_rewrite_as_besseli(self.args[0]).evalf(prec_to_dps(prec))

        def _latex(self, printer, exp=None):
            tex = rf"R'\left({printer._print(self.args[0])}\right)"
            return rf"{tex}^{{{exp}}}" if exp else tex

    def _root_of_square(s):
        """z when ``s`` is z² with z known positive (a parametrization's κ²), else None."""
        if s.is_Pow and s.exp == 2 and s.base.is_positive:
            return s.base
        return None

    class log_besseli0_sq(_Shown, sp.Function):  # noqa: N801
        """L(s) = log I₀(√s) for s ≥ 0: the von Mises log-partition as a function of ‖η‖².

        Analytic at s = 0, unlike log I₀(‖η‖) as a function of η, whose derivatives divide by
        powers of ‖η‖ and cancel as η → 0. At s = z² with z positive it is log I₀(z).
        """

        nargs = 1

        def _shown(self):
            return sp.log(sp.besseli(0, sp.sqrt(self.args[0])))

        @classmethod
        def eval(cls, s):
            if s.is_zero:
                return sp.S.Zero
            z = _root_of_square(s)
            if z is not None:
                return log_besseli0(z)

        def fdiff(self, argindex=1):
            return log_besseli0_sq_deriv(1, self.args[0])

        def _eval_is_real(self):
            return True if self.args[0].is_nonnegative else None

        def _eval_rewrite_as_besseli(self, s, **kwargs):
            return sp.log(sp.besseli(0, sp.sqrt(s)))

        def _eval_evalf(self, prec):
            return self._eval_rewrite_as_besseli(self.args[0]).evalf(prec_to_dps(prec))

        def _latex(self, printer, exp=None):
            tex = rf"\log I_0\left(\sqrt{{{printer._print(self.args[0])}}}\right)"
            return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    class log_besseli0_sq_deriv(_Shown, sp.Function):  # noqa: N801
        """L⁽ⁿ⁾(s) = dⁿ/dsⁿ log I₀(√s), n ≥ 1, s ≥ 0: analytic at s = 0 (L′(0) = 1/4).

        At s = z² with z positive, L′ is R(z)/(2z) and L″ is (R′(z) − R(z)/z)/(4z²), so that a
        parametrization by κ keeps its textbook forms (the Fisher information κR, R′). L‴ stays
        itself: its form in R and R′ cancels as z → 0, and kernels evaluate it by its series.
        """

        nargs = 2

        def _shown(self):
            n, s = self.args
            t = sp.Dummy("s")
            return sp.Subs(sp.Derivative(sp.log(sp.besseli(0, sp.sqrt(t))), (t, n)), t, s)

        @classmethod
        def eval(cls, n, s):
            z = _root_of_square(s)
            if z is None or not n.is_Integer:
                return None
            if n == 1:
                return besseli_ratio(z) / (2 * z)
            if n == 2:
                return (besseli_ratio_deriv(z) - besseli_ratio(z) / z) / (4 * z**2)
            return None

        def fdiff(self, argindex=2):
            if argindex != 2:
                raise sp.ArgumentIndexError(self, argindex)
            n, s = self.args
            return log_besseli0_sq_deriv(n + 1, s)

        def _eval_is_real(self):
            return True if self.args[1].is_nonnegative else None

        def _eval_evalf(self, prec):
            n, s = self.args
            if not n.is_Integer:
                return None
            import mpmath

            value = mp_log_besseli0_sq_deriv(int(n), mpmath.mpf(s.evalf(prec_to_dps(prec) + 20)),
                                             prec_to_dps(prec))
            return sp.Float(value, prec_to_dps(prec))

        def _latex(self, printer, exp=None):
            n, s = self.args
            tex = (rf"\frac{{d^{{{printer._print(n)}}}}}{{ds^{{{printer._print(n)}}}}}"
                   rf"\log I_0(\sqrt{{s}})\Big|_{{s = {printer._print(s)}}}")
            return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    class exp_expint1(_Shown, sp.Function):  # noqa: N801
        """e^z E₁(z) for z > 0, the exponentially scaled exponential integral."""

        nargs = 1

        def _shown(self):
            return sp.exp(self.args[0]) * sp.expint(1, self.args[0])

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

    class log_beta(_Shown, sp.Function):  # noqa: N801
        """log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b), for a, b > 0."""

        nargs = 2

        def _shown(self):
            return (
                sp.loggamma(self.args[0])
                + sp.loggamma(self.args[1])
                - sp.loggamma(self.args[0] + self.args[1])
            )

        def fdiff(self, argindex=1):
            a, b = self.args
            return digamma_diff(a, b) if argindex == 1 else digamma_diff(b, a)

        def _eval_is_real(self):
            return True if all(v.is_positive for v in self.args) else None

        def _eval_rewrite_as_loggamma(self, a, b, **kwargs):
            return sp.loggamma(a) + sp.loggamma(b) - sp.loggamma(a + b)

        def _eval_evalf(self, prec):
            return self._eval_rewrite_as_loggamma(*self.args).evalf(prec_to_dps(prec))

        def _latex(self, printer, exp=None):
            a, b = (printer._print(v) for v in self.args)
            tex = rf"\log B\left({a}, {b}\right)"
            return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    class digamma_diff(_Shown, sp.Function):  # noqa: N801
        """ψ(a) − ψ(a + b) for a, b > 0 (negative), without cancellation when b ≪ a."""

        nargs = 2

        def _shown(self):
            return sp.polygamma(0, self.args[0]) - sp.polygamma(0, self.args[0] + self.args[1])

        def fdiff(self, argindex=1):
            a, b = self.args
            return trigamma_diff(a, b) if argindex == 1 else -sp.polygamma(1, a + b)

        def _eval_is_real(self):
            return True if all(v.is_positive for v in self.args) else None

        def _eval_is_negative(self):
            return True if all(v.is_positive for v in self.args) else None

        def _eval_rewrite_as_polygamma(self, a, b, **kwargs):
            return sp.polygamma(0, a) - sp.polygamma(0, a + b)

        def _eval_evalf(self, prec):
            return self._eval_rewrite_as_polygamma(*self.args).evalf(prec_to_dps(prec))

        def _latex(self, printer, exp=None):
            a, b = (printer._print(v) for v in self.args)
            tex = rf"\left(\psi\left({a}\right) - \psi\left({a} + {b}\right)\right)"
            return rf"{tex}^{{{exp}}}" if exp else tex

    class trigamma_diff(_Shown, sp.Function):  # noqa: N801
        """ψ'(a) − ψ'(a + b) for a, b > 0 (positive), without cancellation when b ≪ a."""

        nargs = 2

        def _shown(self):
            return sp.polygamma(1, self.args[0]) - sp.polygamma(1, self.args[0] + self.args[1])

        def fdiff(self, argindex=1):
            a, b = self.args
            if argindex == 1:
                return sp.polygamma(2, a) - sp.polygamma(2, a + b)
            return -sp.polygamma(2, a + b)

        def _eval_is_real(self):
            return True if all(v.is_positive for v in self.args) else None

        def _eval_is_positive(self):
            return True if all(v.is_positive for v in self.args) else None

        def _eval_rewrite_as_polygamma(self, a, b, **kwargs):
            return sp.polygamma(1, a) - sp.polygamma(1, a + b)

        def _eval_evalf(self, prec):
            return self._eval_rewrite_as_polygamma(*self.args).evalf(prec_to_dps(prec))

        def _latex(self, printer, exp=None):
            a, b = (printer._print(v) for v in self.args)
            tex = rf"\left(\psi'\left({a}\right) - \psi'\left({a} + {b}\right)\right)"
            return rf"{tex}^{{{exp}}}" if exp else tex

    return {"log_besseli0": log_besseli0, "besseli_ratio": besseli_ratio,
            "besseli_ratio_deriv": besseli_ratio_deriv, "log_besseli0_sq": log_besseli0_sq,
            "log_besseli0_sq_deriv": log_besseli0_sq_deriv,
            "exp_expint1": exp_expint1, "log_beta": log_beta, "digamma_diff": digamma_diff,
            "trigamma_diff": trigamma_diff}


def mp_log_besseli0_sq_deriv(n: int, s, dps: int = 50):
    """dⁿ/dsⁿ log I₀(√s) for n = 1, 2, 3 and s ≥ 0, in mpmath, to ``dps`` digits (an oracle).

    By the closed forms L′ = I₁(√s)/(2√s I₀(√s)), L″ = (1 − 4L′)/(4s) − L′² and
    L‴ = −(2L″ + L′²)/s − 2L′L″ (from the Bessel equation 4sy″ + 4y′ − y = 0 of y = I₀(√s)),
    at a working precision raised by the 2·log₁₀(1/s) digits their cancellations cost at
    small s; at s = 0 the Taylor coefficients 1/4, −1/32, 1/96.
    """
    import mpmath

    if n not in (1, 2, 3):
        raise NotImplementedError(f"order {n}: orders 1, 2, 3 exist")
    s = mpmath.mpf(s)
    if s == 0:
        return [mpmath.mpf(1) / 4, -mpmath.mpf(1) / 32, mpmath.mpf(1) / 96][n - 1]
    with mpmath.workdps(dps + 20 + int(2 * max(0, -mpmath.log10(s)))):
        z = mpmath.sqrt(s)
        d1 = mpmath.besseli(1, z) / (2 * z * mpmath.besseli(0, z))
        d2 = (1 - 4 * d1) / (4 * s) - d1**2
        d3 = -(2 * d2 + d1**2) / s - 2 * d1 * d2
        return +[d1, d2, d3][n - 1]
