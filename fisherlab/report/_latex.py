r"""LaTeX of sympy expressions as a textbook prints them: ψ(α), ψ'(α), log Γ(α).

sympy's own printer writes ``\operatorname{polygamma}{\left(0,\alpha \right)}`` and
``\operatorname{loggamma}``; a reader expects the digamma and trigamma symbols.
"""

from __future__ import annotations

import inspect

import sympy as sp
from sympy.printing.latex import LatexPrinter


def _takes_exp(cls) -> bool:
    try:
        return "exp" in inspect.signature(cls._latex).parameters
    except (TypeError, ValueError):
        return False


def _one_group(tex: str) -> bool:
    r"""True when ``tex`` is one \left( … \right) group (so a power needs no more brackets)."""
    if not (tex.startswith(r"\left(") and tex.endswith(r"\right)")):
        return False
    depth = 0
    for i in range(len(tex)):
        if tex.startswith(r"\left", i):
            depth += 1
        elif tex.startswith(r"\right", i):
            depth -= 1
            if depth == 0 and i != len(tex) - len(r"\right)"):
                return False
    return True


class ReportLatexPrinter(LatexPrinter):
    def _print_Pow(self, expr):
        # sympy prints f(x)**n by asking f's own _latex for an ``exp`` argument; a family's
        # custom function whose _latex takes none is printed as (f(x))^n instead.
        b, e = expr.base, expr.exp
        if (isinstance(b, sp.Function) and "_latex" in vars(type(b)) and not _takes_exp(type(b))
                and not (e.is_number and e.is_negative)):
            tex = self._print(b)
            if not _one_group(tex):
                tex = rf"\left({tex}\right)"
            return rf"{tex}^{{{self._print(e)}}}"
        return super()._print_Pow(expr)

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
