"""Elementary functions kept opaque so their derived forms never cancel (imports sympy).

Each is exact algebra (1 − e^η, √a − √b, m₂ − m₁²) that sympy would happily rewrite into a
form that loses digits in floating point; kept as functions, they print as calls to
:mod:`fisherlab.kernels._special`, which evaluates them without the cancellation.
"""

from __future__ import annotations

import sympy as sp

from .kernel_function import KernelFunctionBase, plain


class NegExpm1(KernelFunctionBase):
    """1 − e^η (= −expm1(η)): the success probability p of a geometric or negative binomial.

    Kept opaque so the derivatives of A(η) = −r log(1 − e^η) stay products of e^η and 1 − e^η
    (sympy's simplify otherwise writes e^η/(1 − e^η)² as 1/(2(cosh η − 1)), which cancels
    catastrophically as η → 0). Expands when η carries a logarithm (η = log(1 − p)).
    """

    kernel_name = "neg_expm1"

    @classmethod
    def eval(cls, eta):
        """1 − e^η written out when η carries a logarithm (so exp(log) cancels); None keeps it
        opaque."""
        if not plain([eta]):
            return 1 - sp.exp(eta)
        return None

    def explicit(self):
        """The elementary form 1 − e^η."""
        return 1 - sp.exp(self.args[0])

    def fdiff(self, argindex=1):
        """The derivative −e^η."""
        return -sp.exp(self.args[0])

    def _latex(self, printer):
        return rf"\left(1 - e^{{{printer._print(self.args[0])}}}\right)"

    def _sympystr(self, printer):
        return f"(1 - exp({printer._print(self.args[0])}))"


class SqrtDiff(KernelFunctionBase):
    """√a − √b for a, b ≥ 0, evaluated as (a − b)/(√a + √b): no cancellation when a ≈ b.

    Opaque so that simplify cannot expand Σ(√p_i − √q_i)² into 2 − 2Σ√(p_i q_i), which loses
    half the digits of a small Fisher–Rao distance.
    """

    kernel_name = "sqrt_diff"

    @classmethod
    def eval(cls, a, b):
        """Never evaluated: the difference stays one function so codegen can write it stably."""
        return None

    def explicit(self):
        """The elementary form √a − √b."""
        a, b = self.args
        return sp.sqrt(a) - sp.sqrt(b)

    def _sympystr(self, printer):
        return printer._print(self.explicit())

    def _latex(self, printer):
        return printer._print(self.explicit())

    def _pretty(self, printer):
        return printer._print(self.explicit())


def hellinger_sq(p, q):
    """Σ_i (√p_i − √q_i)², each difference formed without cancellation."""
    return sum(SqrtDiff(a, b) ** 2 for a, b in zip(p, q))


class MomentVariance(KernelFunctionBase):
    """m₂ − m₁², the variance from the first two raw moments, without losing it to rounding.

    Formed in floating point, m₁² carries an error ε·m₁², a relative ε·m₁²/(m₂ − m₁²) in the
    variance (1e-12 for a normal with |μ| ~ 50σ). Opaque, so that every kernel of the normal's
    (E[x], E[x²]) parametrization is written in terms of it, and evaluated by
    :func:`fisherlab.kernels._special.moment_variance` with m₁² split exactly into two floats.
    """

    kernel_name = "moment_variance"

    @classmethod
    def eval(cls, m1, m2):
        """Never evaluated: the variance stays one function so codegen can write it stably."""
        return None

    def explicit(self):
        """The elementary form m₂ − m₁²."""
        m1, m2 = self.args
        return m2 - m1**2

    def fdiff(self, argindex=1):
        """The derivative in argument ``argindex``: −2m₁ for m₁, 1 for m₂."""
        return -2 * self.args[0] if argindex == 1 else sp.Integer(1)

    def _sympystr(self, printer):
        return f"({printer._print(self.explicit())})"

    def _latex(self, printer):
        return rf"\left({printer._print(self.explicit())}\right)"

    def _pretty(self, printer):
        return printer._print(self.explicit()).parens()


class Logit(KernelFunctionBase):
    """log(p/(1 − p)) for 0 < p < 1, without the cancellation of log p − log(1 − p) at p ≈ 1/2.

    There the two logarithms are both ≈ −log 2 and their difference ≈ 4(p − 1/2) keeps only
    an absolute error of an ulp of log 2; the kernel forms it as log1p((2p − 1)/(1 − p)), whose
    2p − 1 is exact (the continuous Bernoulli's λ ↦ η, whose entropy is ≈ −η²/24).
    """

    kernel_name = "logit"

    @classmethod
    def eval(cls, p):
        """Never evaluated: the logit stays one function so codegen can write it stably."""
        return None

    def explicit(self):
        """The elementary form log p − log(1 − p)."""
        p = self.args[0]
        return sp.log(p) - sp.log(1 - p)

    def fdiff(self, argindex=1):
        """The derivative 1/(p(1 − p))."""
        p = self.args[0]
        return 1 / (p * (1 - p))

    def _eval_is_real(self):
        p = self.args[0]
        return True if (p.is_positive and (1 - p).is_positive) else None

    def _latex(self, printer, exp=None):
        tex = rf"\operatorname{{logit}}\left({printer._print(self.args[0])}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp else tex



class Expm1MinusX(KernelFunctionBase):
    """e^x − 1 − x: the Bregman remainder of exp at 0, and −(remainder of log) at x = Δlog.

    As written it cancels to x²/2 for small x; opaque, it prints as
    :func:`fisherlab.kernels._special.expm1mx`, which keeps every digit.
    """

    kernel_name = "expm1mx"

    @classmethod
    def eval(cls, x):
        """0 at x = 0; otherwise None keeps it opaque."""
        if x == 0:
            return sp.Integer(0)
        return None

    def explicit(self):
        """The elementary form e^x − 1 − x."""
        x = self.args[0]
        return sp.exp(x) - 1 - x

    def fdiff(self, argindex=1):
        """The derivative e^x − 1."""
        return sp.exp(self.args[0]) - 1

    def _sympystr(self, printer):
        return f"({printer._print(self.explicit())})"

    def _latex(self, printer):
        return rf"\left({printer._print(self.explicit())}\right)"


class LogRatio(KernelFunctionBase):
    """log(u_q/u) for u, u_q of one sign, given du = u_q − u formed without cancellation.

    log1p(du/u) near u_q = u (where the rounded quotient would carry an absolute ε), the log of
    the quotient far apart (where du/u ≈ −1 would): :func:`fisherlab.kernels._special.log_ratio`.
    """

    kernel_name = "log_ratio"

    @classmethod
    def eval(cls, du, u, uq):
        """Never evaluated: the ratio stays one function so codegen can write it stably."""
        return None

    def explicit(self):
        """The elementary form log(1 + du/u) (with du, so that a check at high precision
        exercises the difference as the kernel forms it)."""
        du, u, uq = self.args
        return sp.log(1 + du / u)

    def _sympystr(self, printer):
        return printer._print(self.explicit())

    def _latex(self, printer):
        return printer._print(self.explicit())
