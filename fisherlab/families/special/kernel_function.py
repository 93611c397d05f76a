"""The base of the sympy functions that the code generator prints as ``_special`` calls.

A :class:`KernelFunctionBase` is a sympy function with a derivative, a LaTeX form and an explicit
formula in exp and log; the kernel printer emits it as a call to the numpy function of the same
``kernel_name`` in :mod:`fisherlab.kernels._special`, and every other printer (lambdify, the
autograd and mpmath oracles) gets the explicit formula. Imports sympy: only the symbolic lambdas
of family declarations and the code generator import it.
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
        """The elementary sympy expression the function stands for (each subclass defines it)."""
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


def plain(args) -> bool:
    """Whether the arguments carry no logarithm (and the function should stay opaque)."""
    # Expand to the explicit formula only when the logits carry logarithms (η = log(p_i/p_k) of
    # the probabilities): exp(log(·)) then cancels and sympy's cancel() (fast, unlike simplify)
    # reaches the rational form, e.g. σ_i(η(p)) = p_i. Logits
    # that are symbols, numbers or sums and products of them (subs' placeholders included) stay
    # opaque and print as the overflow-free kernels.
    return not any(sp.sympify(a).has(sp.log) for a in args)
