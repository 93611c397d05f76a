"""LaTeX of sympy expressions as a textbook prints them: ψ(α), ψ'(α), log Γ(α).

sympy's own printer writes ``\\operatorname{polygamma}{\\left(0,\\alpha \\right)}`` and
``\\operatorname{loggamma}``; a reader expects the digamma and trigamma symbols.
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter


class ReportLatexPrinter(LatexPrinter):
    def _print_polygamma(self, expr, exp=None):
        n, arg = expr.args
        if n.is_Integer and 0 <= int(n) <= 3:
            name = r"\psi" + "'" * int(n)
        else:
            name = rf"\psi^{{({self._print(n)})}}"
        tex = rf"{name}\left({self._print(arg)}\right)"
        return rf"{tex}^{{{exp}}}" if exp is not None else tex

    def _print_loggamma(self, expr, exp=None):
        tex = rf"\log\Gamma\left({self._print(expr.args[0])}\right)"
        return rf"\left({tex}\right)^{{{exp}}}" if exp is not None else tex


def latex(expr, names: dict | None = None) -> str:
    """LaTeX of ``expr`` with the symbol names ``names`` (sympy symbol -> LaTeX)."""
    return ReportLatexPrinter({"symbol_names": names or {}}).doprint(sp.sympify(expr))
