"""The von Mises–Fisher log-normalizer and the mean resultant length (imports sympy).

On the sphere S^(d−1) ⊂ ℝ^d the von Mises–Fisher log-partition is A(η) = Φ_d(‖η‖²) with

    Φ_d(s) = log(Γ(ν + 1) (2/√s)^ν I_ν(√s)) = log ₀F₁(; ν + 1; s/4),        ν = d/2 − 1

(DLMF 10.25.2), and log h = −log |S^(d−1)| = −log(2π^(d/2)/Γ(d/2)) (:func:`log_sphere_area`).
Φ_d is analytic in s at 0 (Φ_d(0) = 0, Φ_d′(0) = 1/(2d)): declared through s, the derivatives
in η are polynomials in η times Φ_d⁽ⁿ⁾(s), with no power of 1/‖η‖ to cancel or underflow at
η = 0; and A(0) = 0, so A, the KL and the entropy's η-dependent part carry no constant of the
size of the log-area (−2.0e3 at d = 1000). Three opaque functions keep the derivation in
quantities the kernels evaluate without overflow or cancellation
(:mod:`fisherlab.kernels._special`):

- ``VMFLogNormalizerDeriv(n, d, s)`` = Φ_d⁽ⁿ⁾(s), n ≥ 0, differentiating to order n + 1;
- ``VMFRatio(d, κ)`` = A_d(κ) = I_(d/2)(κ)/I_(d/2−1)(κ), the mean resultant length E[μᵀx];
- ``VMFRatioDeriv(d, κ)`` = A_d′(κ) = 1 − A_d² − (d − 1)A_d/κ, the variance of μᵀx, kept as one
  function because that difference cancels for large κ.

At s = κ² with κ known positive (the parametrization by κ), Φ′ and Φ″ are rewritten as
A_d(κ)/(2κ) and (A_d′(κ) − A_d(κ)/κ)/(4κ²), so that the Fisher information in (direction, κ)
comes out in its textbook form κA_d(κ) (on the sphere) ⊕ A_d′(κ), with no cancelling sum.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.evalf import prec_to_dps

from .kernel_function import KernelFunctionBase


def _nu(d):
    return sp.sympify(d) / 2 - 1


def _root_of_square(s):
    """κ when ``s`` is κ² with κ known positive, else None."""
    if s.is_Pow and s.exp == 2 and s.base.is_positive:
        return s.base
    return None


def _phi_explicit(n, d, s):
    """Φ_d⁽ⁿ⁾(s) in Bessel functions."""
    t = sp.Dummy("t", positive=True)
    nu = _nu(d)
    f = (sp.log(sp.besseli(nu, sp.sqrt(t))) - nu / 2 * sp.log(t) + nu * sp.log(2)
         + sp.loggamma(nu + 1))
    return sp.diff(f, t, int(n)).subs(t, s)


def mp_vmf_log_normalizer_deriv(n: int, d: int, s, dps: int = 50):
    """Φ_d⁽ⁿ⁾(s) for n = 0…3, d ≥ 2 and s ≥ 0 in mpmath, to ``dps`` digits (an oracle).

    From mpmath's besseli by the closed forms Φ = log I_ν(κ) − ν log(κ/2) + log Γ(ν + 1),
    Φ′ = R/(2κ),
    Φ″ = R (R_(ν+1) − R)/(4κ²) and the Riccati equation 4sΦ″ = 1 − 4(ν + 1)Φ′ − 4sΦ′² (R_ν =
    I_(ν+1)/I_ν), at a working precision raised by the digits they cancel for small s; at s = 0
    the Taylor values Φ′(0) = 1/(4(ν + 1)), Φ″(0) = −1/(16(ν + 1)²(ν + 2)),
    Φ‴(0) = 1/(16(ν + 1)³(ν + 2)(ν + 3)).
    """
    import mpmath

    if n not in (0, 1, 2, 3):
        raise NotImplementedError(f"order {n}: orders 0-3 exist")
    with mpmath.workdps(dps + 20):
        nu = mpmath.mpf(d) / 2 - 1
        s = mpmath.mpf(s)
        if s == 0:
            x = nu + 1
            return +[mpmath.mpf(0), 1 / (4 * x),
                     -1 / (16 * x**2 * (x + 1)), 1 / (16 * x**3 * (x + 1) * (x + 2))][n]
    with mpmath.workdps(dps + 30 + int(3 * max(0, -mpmath.log10(s)))):
        z = mpmath.sqrt(s)
        i0, i1, i2 = (mpmath.besseli(nu + j, z) for j in range(3))
        g0 = mpmath.log(i0) - nu * mpmath.log(z / 2) + mpmath.loggamma(nu + 1)
        r0, r1 = i1 / i0, i2 / i1
        g1 = r0 / (2 * z)
        g2 = r0 * (r1 - r0) / (4 * s)
        g3 = -((nu + 2) * g2 + g1 * g1 + 2 * s * g1 * g2) / s
        return +[g0, g1, g2, g3][n]


class VMFLogNormalizerDeriv(KernelFunctionBase):
    """Φ_d⁽ⁿ⁾(s), the n-th derivative in s of log(Γ(ν + 1)(2/√s)^ν I_ν(√s)), ν = d/2 − 1
    (s ≥ 0)."""

    kernel_name = "vmf_log_normalizer_deriv"
    nargs = 3

    @classmethod
    def eval(cls, n, d, s):
        """At s = κ² (κ positive): Φ′ = A_d/(2κ), Φ″ = (A_d′ − A_d/κ)/(4κ²); else opaque."""
        kappa = _root_of_square(s)
        if kappa is None or not n.is_Integer:
            return None
        if n == 1:
            return VMFRatio(d, kappa) / (2 * kappa)
        if n == 2:
            return (VMFRatioDeriv(d, kappa) - VMFRatio(d, kappa) / kappa) / (4 * kappa**2)
        return None

    def explicit(self):
        """The elementary form: the n-th derivative of log(Γ(ν + 1)(2/√s)^ν I_ν(√s))."""
        return _phi_explicit(*self.args)

    def fdiff(self, argindex=3):
        """The derivative in s: the next order."""
        if argindex != 3:
            raise sp.ArgumentIndexError(self, argindex)
        n, d, s = self.args
        return VMFLogNormalizerDeriv(n + 1, d, s)

    def _eval_evalf(self, prec):
        n, d, s = self.args
        if not (n.is_Integer and d.is_Integer and s.is_number):
            return None
        dps = prec_to_dps(prec)
        value = mp_vmf_log_normalizer_deriv(int(n), int(d), s.evalf(dps + 30), dps)
        return sp.Float(value, dps)

    def _eval_is_real(self):
        return True if self.args[2].is_nonnegative else None

    def _latex(self, printer, exp=None):
        n, d, s = self.args
        primes = "'" * int(n) if n.is_Integer and int(n) <= 3 else rf"^{{({printer._print(n)})}}"
        tex = rf"\Phi_{{{printer._print(d)}}}{primes}\left({printer._print(s)}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _sympystr(self, printer):
        return "vmf_log_normalizer_deriv({})".format(", ".join(printer._print(a)
                                                               for a in self.args))


class VMFRatio(KernelFunctionBase):
    """A_d(κ) = I_(d/2)(κ)/I_(d/2−1)(κ) for κ ≥ 0: the mean resultant length."""

    kernel_name = "vmf_mean_resultant"
    nargs = 2

    @classmethod
    def eval(cls, d, kappa):
        """0 at κ = 0; None keeps it opaque."""
        if kappa.is_zero:
            return sp.S.Zero
        return None

    def explicit(self):
        """I_(d/2)(κ)/I_(d/2−1)(κ)."""
        d, kappa = self.args
        return sp.besseli(sp.sympify(d) / 2, kappa) / sp.besseli(_nu(d), kappa)

    def fdiff(self, argindex=2):
        """A_d′(κ)."""
        if argindex != 2:
            raise sp.ArgumentIndexError(self, argindex)
        return VMFRatioDeriv(*self.args)

    def _eval_evalf(self, prec):
        d, kappa = self.args
        if not (d.is_Integer and kappa.is_number):
            return None
        dps = prec_to_dps(prec)
        s = (kappa**2).evalf(dps + 30)
        g1 = mp_vmf_log_normalizer_deriv(1, int(d), s, dps)
        return sp.Float(2 * sp.Float(kappa.evalf(dps + 30), dps + 30) * sp.Float(g1, dps + 30),
                        dps)

    def _eval_is_real(self):
        return True if self.args[1].is_nonnegative else None

    def _latex(self, printer, exp=None):
        d, kappa = self.args
        tex = rf"A_{{{printer._print(d)}}}\left({printer._print(kappa)}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _sympystr(self, printer):
        return f"vmf_mean_resultant({printer._print(self.args[0])}, {printer._print(self.args[1])})"


class VMFRatioDeriv(KernelFunctionBase):
    """A_d′(κ) = 1 − A_d(κ)² − (d − 1)A_d(κ)/κ (κ ≥ 0; 1/d at κ = 0): the variance of μᵀx."""

    kernel_name = "vmf_mean_resultant_deriv"
    nargs = 2

    @classmethod
    def eval(cls, d, kappa):
        """1/d at κ = 0; None keeps it opaque."""
        if kappa.is_zero:
            return 1 / sp.sympify(d)
        return None

    def explicit(self):
        """1 − A_d² − (d − 1)A_d/κ with A_d the Bessel ratio."""
        d, kappa = self.args
        r = VMFRatio(d, kappa).explicit()
        return 1 - r**2 - (sp.sympify(d) - 1) * r / kappa

    def fdiff(self, argindex=2):
        """A_d″ = −2A_dA_d′ − (d − 1)(A_d′/κ − A_d/κ²), from the Riccati equation."""
        if argindex != 2:
            raise sp.ArgumentIndexError(self, argindex)
        d, kappa = self.args
        r, dr = VMFRatio(d, kappa), VMFRatioDeriv(d, kappa)
        return -2 * r * dr - (sp.sympify(d) - 1) * (dr / kappa - r / kappa**2)

    def _eval_evalf(self, prec):
        d, kappa = self.args
        if not (d.is_Integer and kappa.is_number):
            return None
        import mpmath

        dps = prec_to_dps(prec)
        with mpmath.workdps(dps + 30):
            k = mpmath.mpf(str(kappa.evalf(dps + 30)))
            s = k * k
            g1 = mp_vmf_log_normalizer_deriv(1, int(d), s, dps + 20)
            g2 = mp_vmf_log_normalizer_deriv(2, int(d), s, dps + 20)
            value = 2 * g1 + 4 * s * g2
        return sp.Float(value, dps)

    def _eval_is_real(self):
        return True if self.args[1].is_nonnegative else None

    def _latex(self, printer, exp=None):
        d, kappa = self.args
        tex = rf"A_{{{printer._print(d)}}}'\left({printer._print(kappa)}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _sympystr(self, printer):
        return (f"vmf_mean_resultant_deriv({printer._print(self.args[0])}, "
                f"{printer._print(self.args[1])})")


class VMFLogNormalizerIntercept(KernelFunctionBase):
    """Ψ_d(s) = Φ_d(s) − 2sΦ_d′(s) (s ≥ 0): at s = κ², log(Γ(ν + 1)(2/κ)^ν I_ν(κ)) − κA_d(κ),
    the entropy less the log-area of the sphere (0 at s = 0); its derivative is
    −Φ_d′ − 2sΦ_d″."""

    kernel_name = "vmf_log_normalizer_intercept"
    nargs = 2

    def explicit(self):
        """Φ_d(s) − 2sΦ_d′(s) in Bessel functions."""
        d, s = self.args
        return _phi_explicit(0, d, s) - 2 * s * _phi_explicit(1, d, s)

    def fdiff(self, argindex=2):
        """−Φ_d′(s) − 2sΦ_d″(s)."""
        if argindex != 2:
            raise sp.ArgumentIndexError(self, argindex)
        d, s = self.args
        return -VMFLogNormalizerDeriv(1, d, s) - 2 * s * VMFLogNormalizerDeriv(2, d, s)

    def _eval_evalf(self, prec):
        d, s = self.args
        if not (d.is_Integer and s.is_number):
            return None
        import mpmath

        dps = prec_to_dps(prec)
        with mpmath.workdps(dps + 30):
            v = mpmath.mpf(str(s.evalf(dps + 30)))
            value = (mp_vmf_log_normalizer_deriv(0, int(d), v, dps + 20)
                     - 2 * v * mp_vmf_log_normalizer_deriv(1, int(d), v, dps + 20))
        return sp.Float(value, dps)

    def _eval_is_real(self):
        return True if self.args[1].is_nonnegative else None

    def _latex(self, printer, exp=None):
        d, s = self.args
        tex = rf"\Psi_{{{printer._print(d)}}}\left({printer._print(s)}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _sympystr(self, printer):
        return (f"vmf_log_normalizer_intercept({printer._print(self.args[0])}, "
                f"{printer._print(self.args[1])})")


def log_partition(d, s):
    """A = Φ_d(s) at s = ‖η‖², written 2sΦ_d′(s) + Ψ_d(s) (an identity): the derived entropy
    A − ⟨η, ∇A⟩ is then Ψ_d itself, not a difference of two numbers of size κ."""
    return 2 * s * VMFLogNormalizerDeriv(1, d, s) + VMFLogNormalizerIntercept(d, s)


class LogSphereArea(KernelFunctionBase):
    """log |S^(d−1)| = log(2π^(d/2)/Γ(d/2)), the log-area of the unit sphere in ℝ^d (d ≥ 2).

    Opaque, so that sympy neither rewrites log Γ(d/2) of a symbolic integer d by the duplication
    formula nor writes log Γ(500) as the logarithm of a 1,100-digit integer."""

    kernel_name = "log_sphere_area"
    nargs = 1

    def explicit(self):
        """log 2 + (d/2) log π − log Γ(d/2), the log-gamma left unevaluated."""
        d = self.args[0]
        return sp.log(2) + d / 2 * sp.log(sp.pi) - sp.loggamma(d / 2, evaluate=False)

    def _eval_evalf(self, prec):
        d = self.args[0]
        if not d.is_number:
            return None
        import mpmath

        dps = prec_to_dps(prec)
        with mpmath.workdps(dps + 10):
            half = mpmath.mpf(str(d.evalf(dps + 10))) / 2
            value = mpmath.log(2) + half * mpmath.log(mpmath.pi) - mpmath.loggamma(half)
        return sp.Float(value, dps)

    def _eval_is_real(self):
        return True if self.args[0].is_positive else None

    def _latex(self, printer, exp=None):
        tex = rf"\log\left|S^{{{printer._print(self.args[0])} - 1}}\right|"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex

    def _sympystr(self, printer):
        return f"log_sphere_area({printer._print(self.args[0])})"


def log_sphere_area(d):
    """log |S^(d−1)| (:class:`LogSphereArea`) for an integer or a symbol d; the von Mises–Fisher
    log h is its negative."""
    return LogSphereArea(sp.sympify(d))


__all__ = ["LogSphereArea", "VMFLogNormalizerDeriv", "VMFLogNormalizerIntercept", "VMFRatio",
           "VMFRatioDeriv", "log_partition", "log_sphere_area", "mp_vmf_log_normalizer_deriv"]
