"""Symbolic softmax functions that compile to overflow-free kernels (imports sympy).

The categorical, multinomial and binomial families have the log-partition
A(η) = c · log(1 + Σ_i e^{η_i}). Written out with ``exp`` the derived kernels overflow for logits
beyond ~355 (the Fisher information e^{η}/(1 + e^{η})² squares e^{η}) and lose every digit of
1 − σ_i when σ_i is near 1. Here A and its derivatives are kept as opaque sympy functions whose
derivatives are again such functions:

    LogSumExp0(η)       = log(1 + Σ_j e^{η_j})
    Softmax0(i, η)      = σ_i = e^{η_i} / (1 + Σ_j e^{η_j}), with σ_0 = 1 / (1 + Σ_j e^{η_j})
    CoSoftmax0(i, η)    = 1 − σ_i, computed as a sum of the other terms, never as a difference
    ∂ LogSumExp0 / ∂η_j = σ_j
    ∂ σ_i / ∂η_j        = σ_i (δ_ij − σ_j)   (σ_i · CoSoftmax0(i) on the diagonal)

so every derived quantity is a polynomial in σ's and (1 − σ)'s. The code generator prints each as
a call into :mod:`fisherlab.kernels._special` (through ``KernelPrinter._print_KernelFunctionBase``),
where they are evaluated from exp(η − max(0, η)) and accurate to a few ulps for any finite
logits. When their arguments are not plain symbols (a parametrization substituted η = η(θ), as
η_i = log(p_i / p_k) for the probabilities), they expand to the explicit formula, which sympy then
simplifies to the textbook rational form in θ.

This module is imported only inside the symbolic lambdas of family declarations, so loading the
catalog or its compiled kernels never imports sympy.
"""

from __future__ import annotations

import sympy as sp


class KernelFunctionBase(sp.Function):
    """A function the kernel printer emits as ``_special.<kernel_name>(args...)``.

    ``explicit()`` is the same function written with exp and log (for evalf, mpmath or autograd
    printers that do not know ``_special``).
    """

    kernel_name = ""

    def explicit(self):
        raise NotImplementedError

    def _eval_rewrite_as_exp(self, *args, **kwargs):
        return self.explicit()

    def _eval_evalf(self, prec):
        return self.explicit()._eval_evalf(prec)

    def _pythoncode(self, printer, **kwargs):
        # The kernel printer prints the overflow-free _special call; any other Python printer
        # (lambdify, the autograd oracle) gets the explicit exp/log formula it can evaluate.
        hook = getattr(printer, "_print_KernelFunctionBase", None)
        if hook is not None:
            return hook(self)
        return printer._print(self.explicit())


def _plain(args) -> bool:
    # Expand to the explicit formula only when the logits carry logarithms (η = log(p_i/p_k) of
    # the probabilities): exp(log(·)) then cancels and sympy's cancel() (fast, unlike simplify)
    # reaches the rational form, e.g. σ_i(η(p)) = p_i. Logits
    # that are symbols, numbers or sums and products of them (subs' placeholders included) stay
    # opaque and print as the overflow-free kernels.
    return not any(sp.sympify(a).has(sp.log) for a in args)


def _explicit_terms(eta):
    return [sp.exp(e) for e in eta]


class LogSumExp0(KernelFunctionBase):
    """log(1 + Σ_j e^{η_j}): the log-partition of a categorical with the last class as reference."""

    kernel_name = "logsumexp0"

    @classmethod
    def eval(cls, *eta):
        if not eta:
            raise TypeError("LogSumExp0 needs at least one argument")
        if not _plain(eta):
            return sp.log(sp.cancel(1 + sum(_explicit_terms(eta))))
        return None

    def explicit(self):
        return sp.log(1 + sum(_explicit_terms(self.args)))

    def fdiff(self, argindex=1):
        return Softmax0(sp.Integer(argindex), *self.args)

    def _latex(self, printer):
        return printer._print(self.explicit())

    def _pretty(self, printer):
        return printer._print(self.explicit())

    def _sympystr(self, printer):
        return printer._print(self.explicit())


def _class(args) -> int:
    """The class number of a (Co)Softmax0: i, or k = m + 1 for the reference class 0."""
    i = int(args[0])
    return i if i else len(args)


def _index(i) -> int:
    if not (isinstance(i, sp.Integer) and i >= 0):
        raise TypeError(f"softmax index must be a non-negative integer, got {i!r}")
    return int(i)


class Softmax0(KernelFunctionBase):
    """σ_i(η) = e^{η_i} / (1 + Σ_j e^{η_j}) for i ≥ 1; σ_0 = 1 / (1 + Σ_j e^{η_j})."""

    kernel_name = "softmax0"

    @classmethod
    def eval(cls, i, *eta):
        i = _index(i)
        if i > len(eta):
            raise TypeError(f"softmax index {i} exceeds the {len(eta)} logits")
        if not _plain(eta):
            terms = _explicit_terms(eta)
            return sp.cancel((terms[i - 1] if i else 1) / (1 + sum(terms)))
        return None

    def explicit(self):
        i, terms = int(self.args[0]), _explicit_terms(self.args[1:])
        return (terms[i - 1] if i else 1) / (1 + sum(terms))

    def fdiff(self, argindex=1):
        if argindex == 1:
            raise sp.ArgumentIndexError(self, argindex)
        i, eta = int(self.args[0]), self.args[1:]
        j = argindex - 1
        if i == j:
            return Softmax0(i, *eta) * CoSoftmax0(i, *eta)
        return -Softmax0(i, *eta) * Softmax0(j, *eta)

    def _latex(self, printer):
        return r"\sigma_{%s}(\eta)" % _class(self.args)

    def _pretty(self, printer):
        return printer._print(sp.Function(f"σ_{_class(self.args)}")(sp.Symbol("η")))

    def _sympystr(self, printer):
        return f"sigma{self.args[0]}({', '.join(printer._print(a) for a in self.args[1:])})"


class CoSoftmax0(KernelFunctionBase):
    """1 − σ_i(η), evaluated as the sum of the other classes' probabilities (no cancellation)."""

    kernel_name = "cosoftmax0"

    @classmethod
    def eval(cls, i, *eta):
        i = _index(i)
        if i > len(eta):
            raise TypeError(f"softmax index {i} exceeds the {len(eta)} logits")
        if not _plain(eta):
            terms = _explicit_terms(eta)
            total = 1 + sum(terms)
            return sp.cancel((total - (terms[i - 1] if i else 1)) / total)
        return None

    def explicit(self):
        i, terms = int(self.args[0]), _explicit_terms(self.args[1:])
        total = 1 + sum(terms)
        return (total - (terms[i - 1] if i else 1)) / total

    def fdiff(self, argindex=1):
        if argindex == 1:
            raise sp.ArgumentIndexError(self, argindex)
        i, eta = int(self.args[0]), self.args[1:]
        j = argindex - 1
        if i == j:
            return -Softmax0(i, *eta) * CoSoftmax0(i, *eta)
        return Softmax0(i, *eta) * Softmax0(j, *eta)

    def _latex(self, printer):
        return r"\left(1 - \sigma_{%s}(\eta)\right)" % _class(self.args)

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm

        sub = str(_class(self.args)).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
        return prettyForm(f"(1 - σ{sub}(η))")

    def _sympystr(self, printer):
        return f"(1 - sigma{self.args[0]}({', '.join(printer._print(a) for a in self.args[1:])}))"


class BinomialExpectedLogFactorial(KernelFunctionBase):
    """E[log X!] for X ~ Binomial(n, p), given p and q = 1 − p separately (both exact).

    A finite sum over X = 0, …, n; it is the part of a binomial or multinomial entropy that
    has no closed form. Not differentiated by the derivation (only entropies use it).
    """

    kernel_name = "binomial_expected_lgamma"

    @classmethod
    def eval(cls, n, p, q):
        return None

    def explicit(self):
        n, p, q = self.args
        return sum(sp.binomial(n, j) * p**j * q**(n - j) * sp.log(sp.factorial(j))
                   for j in range(int(n) + 1))

    def _latex(self, printer):
        n, p, _ = self.args
        return r"\mathbb{E}_{X \sim \mathrm{Bin}(%s, %s)}[\log X!]" % (printer._print(n),
                                                                       printer._print(p))


def softmax_all(eta):
    """[σ_1, …, σ_m, σ_0]: the k class probabilities of logits η (reference class last)."""
    m = len(eta)
    return [Softmax0(i, *eta) for i in range(1, m + 1)] + [Softmax0(0, *eta)]


def cosoftmax_all(eta):
    """[1 − σ_1, …, 1 − σ_m, 1 − σ_0], each without cancellation."""
    m = len(eta)
    return [CoSoftmax0(i, *eta) for i in range(1, m + 1)] + [CoSoftmax0(0, *eta)]


class NegExpm1(KernelFunctionBase):
    """1 − e^η (= −expm1(η)): the success probability p of a geometric or negative binomial.

    Kept opaque so the derivatives of A(η) = −r log(1 − e^η) stay products of e^η and 1 − e^η
    (sympy's simplify otherwise writes e^η/(1 − e^η)² as 1/(2(cosh η − 1)), which cancels
    catastrophically as η → 0). Expands when η carries a logarithm (η = log(1 − p)).
    """

    kernel_name = "neg_expm1"

    @classmethod
    def eval(cls, eta):
        if not _plain([eta]):
            return 1 - sp.exp(eta)
        return None

    def explicit(self):
        return 1 - sp.exp(self.args[0])

    def fdiff(self, argindex=1):
        return -sp.exp(self.args[0])

    def _latex(self, printer):
        return r"\left(1 - e^{%s}\right)" % printer._print(self.args[0])

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
        return None

    def explicit(self):
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
        return None

    def explicit(self):
        m1, m2 = self.args
        return m2 - m1**2

    def fdiff(self, argindex=1):
        return -2 * self.args[0] if argindex == 1 else sp.Integer(1)

    def _sympystr(self, printer):
        return f"({printer._print(self.explicit())})"

    def _latex(self, printer):
        return r"\left(%s\right)" % printer._print(self.explicit())

    def _pretty(self, printer):
        return printer._print(self.explicit()).parens()
