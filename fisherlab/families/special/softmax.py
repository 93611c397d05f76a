"""Softmax functions that compile to overflow-free kernels (imports sympy).

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

from .kernel_function import KernelFunctionBase, plain


def _explicit_terms(eta):
    return [sp.exp(e) for e in eta]


class LogSumExp0(KernelFunctionBase):
    """log(1 + Σ_j e^{η_j}): the log-partition of a categorical with the last class as reference."""

    kernel_name = "logsumexp0"

    @classmethod
    def eval(cls, *eta):
        """log(1 + Σ e^η_j) written out when the logits carry logarithms; None keeps it opaque."""
        if not eta:
            raise TypeError("LogSumExp0 needs at least one argument")
        if not plain(eta):
            return sp.log(sp.cancel(1 + sum(_explicit_terms(eta))))
        return None

    def explicit(self):
        """The elementary form log(1 + Σ_j e^η_j)."""
        return sp.log(1 + sum(_explicit_terms(self.args)))

    def fdiff(self, argindex=1):
        """The derivative in η_j: the softmax probability Softmax0(j, η)."""
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
        """The i-th softmax probability written out when the logits carry logarithms; None keeps
        it opaque."""
        i = _index(i)
        if i > len(eta):
            raise TypeError(f"softmax index {i} exceeds the {len(eta)} logits")
        if not plain(eta):
            terms = _explicit_terms(eta)
            return sp.cancel((terms[i - 1] if i else 1) / (1 + sum(terms)))
        return None

    def explicit(self):
        """The elementary form e^η_i / (1 + Σ_j e^η_j) (1 / (1 + Σ_j e^η_j) for i = 0)."""
        i, terms = int(self.args[0]), _explicit_terms(self.args[1:])
        return (terms[i - 1] if i else 1) / (1 + sum(terms))

    def fdiff(self, argindex=1):
        """The derivative in η_j: p_i (δ_ij − p_j), written with Softmax0."""
        if argindex == 1:
            raise sp.ArgumentIndexError(self, argindex)
        i, eta = int(self.args[0]), self.args[1:]
        j = argindex - 1
        if i == j:
            return Softmax0(i, *eta) * CoSoftmax0(i, *eta)
        return -Softmax0(i, *eta) * Softmax0(j, *eta)

    def _latex(self, printer):
        return rf"\sigma_{{{_class(self.args)}}}(\eta)"

    def _pretty(self, printer):
        return printer._print(sp.Function(f"σ_{_class(self.args)}")(sp.Symbol("η")))

    def _sympystr(self, printer):
        return f"sigma{self.args[0]}({', '.join(printer._print(a) for a in self.args[1:])})"


class CoSoftmax0(KernelFunctionBase):
    """1 − σ_i(η), evaluated as the sum of the other classes' probabilities (no cancellation)."""

    kernel_name = "cosoftmax0"

    @classmethod
    def eval(cls, i, *eta):
        """1 − p_i written out when the logits carry logarithms; None keeps it opaque."""
        i = _index(i)
        if i > len(eta):
            raise TypeError(f"softmax index {i} exceeds the {len(eta)} logits")
        if not plain(eta):
            terms = _explicit_terms(eta)
            total = 1 + sum(terms)
            return sp.cancel((total - (terms[i - 1] if i else 1)) / total)
        return None

    def explicit(self):
        """The elementary form 1 − p_i = (1 + Σ_j e^η_j − e^η_i) / (1 + Σ_j e^η_j)."""
        i, terms = int(self.args[0]), _explicit_terms(self.args[1:])
        total = 1 + sum(terms)
        return (total - (terms[i - 1] if i else 1)) / total

    def fdiff(self, argindex=1):
        """The derivative in η_j: −p_i (δ_ij − p_j), written with Softmax0."""
        if argindex == 1:
            raise sp.ArgumentIndexError(self, argindex)
        i, eta = int(self.args[0]), self.args[1:]
        j = argindex - 1
        if i == j:
            return -Softmax0(i, *eta) * CoSoftmax0(i, *eta)
        return Softmax0(i, *eta) * Softmax0(j, *eta)

    def _latex(self, printer):
        return rf"\left(1 - \sigma_{{{_class(self.args)}}}(\eta)\right)"

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
        """Never evaluated: the sum stays one function so codegen can write it."""
        return None

    def explicit(self):
        """The elementary form: the finite sum over j = 0..n (an unevaluated Sum when n is a
        symbol)."""
        n, p, q = self.args
        if not n.is_Integer:
            # n a symbol (the template of the binomial, n fixed but unknown): the sum unevaluated
            j = sp.Dummy("j", integer=True, nonnegative=True)
            return sp.Sum(sp.binomial(n, j) * p**j * q**(n - j) * sp.log(sp.factorial(j)),
                          (j, 0, n))
        return sum(sp.binomial(n, j) * p**j * q**(n - j) * sp.log(sp.factorial(j))
                   for j in range(int(n) + 1))

    def _latex(self, printer):
        n, p, _ = self.args
        return (rf"\mathbb{{E}}_{{X \sim \mathrm{{Bin}}"
                rf"({printer._print(n)}, {printer._print(p)})}}[\log X!]")


def softmax_all(eta):
    """[σ_1, …, σ_m, σ_0]: the k class probabilities of logits η (reference class last)."""
    m = len(eta)
    return [Softmax0(i, *eta) for i in range(1, m + 1)] + [Softmax0(0, *eta)]


def cosoftmax_all(eta):
    """[1 − σ_1, …, 1 − σ_m, 1 − σ_0], each without cancellation."""
    m = len(eta)
    return [CoSoftmax0(i, *eta) for i in range(1, m + 1)] + [CoSoftmax0(0, *eta)]


class MultinomialExpectedLogBase(sp.Function):
    """E[log h(x)] = log n! − Σ_{i=1}^{k} E[log x_i!] of a multinomial, each x_i ~ Bin(n, p_i),
    given n, the probabilities p_i of the first k − 1 classes as a ``Lambda`` of the index and
    the last class's: opaque, printed as one call of
    :func:`fisherlab.kernels._special.multinomial_expected_log_base` for every k."""

    @classmethod
    def eval(cls, n, probs, last):
        """Never evaluated: the finite sums stay one function."""
        return None
