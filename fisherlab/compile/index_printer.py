"""Index-to-axis printing: indexed sympy expressions as batched numpy code for every k.

An expression of :mod:`fisherlab.symbolic.indexed` has free indices among j, l, r and sums over
s. Printed in a *context*, a tuple of indices mapped in order to the last axes of the result,
every sub-expression becomes an array of shape ``(...,) + (m or 1 per context index)``:

- ``eta[j]`` in context (j, l) is ``eta[..., :, None]``; a base one longer than m (the
  categorical's observation x, with its reference class) is sliced ``[..., :-1]``;
- ``KroneckerDelta(j, l)`` is ``_eye[:, :, None]`` in context (j, l, r), ``_eye = numpy.eye(m)``;
- ``Sum(body, (s, 1, hi))`` is ``numpy.add.reduce(body, axis=-1)`` with ``body`` printed in context
  (s,), then given a length-1 axis per context index; its body may not depend on j, l or r;
- a scalar quantity (``lse``, the fixed ``n``, a shared sub-expression) gets a length-1 axis per
  context index it does not carry.

Shared sub-expressions (sympy ``cse``, never inside a sum's body) are assigned once with the
axes of their own free indices.
"""

from __future__ import annotations

import sympy as sp

from ..errors import SpecError
from ..families.special.kernel_function import KernelFunctionBase
from ..symbolic.indexed import FREE, S_, M

_FUNCTIONS = {
    sp.log: "numpy.log", sp.exp: "numpy.exp", sp.asin: "numpy.arcsin",
    sp.loggamma: "_special.gammaln",
}
_POLYGAMMA = {0: "_special.digamma", 1: "_special.trigamma"}


class IndexPrinter:
    """Prints expressions of one kernel function.

    Parameters
    ----------
    lengths : dict
        ``IndexedBase -> length`` as an expression in m (``M`` or ``M + 1``).
    scalars : dict
        ``Symbol -> name`` of the runtime scalars (lse, fixed parameters), shape (...).
    """

    def __init__(self, lengths: dict, scalars: dict):
        self.lengths = lengths
        self.scalars = dict(scalars)
        self.temps: dict = {}  # cse Symbol -> its axes
        self.uses_eye = False
        self.uses_m = False

    # -- helpers
    def axes_of(self, expr) -> tuple:
        """The free indices of ``expr`` among j, l, r, in that order (those of the shared
        sub-expressions it uses included)."""
        free = set(expr.free_symbols)
        for sym in list(free):
            free.update(self.temps.get(sym, ()))
        return tuple(ix for ix in FREE if ix in free)

    @staticmethod
    def _expand(name: str, own: tuple, context: tuple) -> str:
        """``name`` (axes ``own``) given a length-1 axis for each context index it lacks."""
        if own == context:
            return name
        missing = [ix for ix in own if ix not in context]
        if missing:
            raise SpecError(f"index {missing} of {name} is not in the context {context}")
        return f"{name}[..., {', '.join(':' if ix in own else 'None' for ix in context)}]"

    def _slice(self, base, hi) -> str:
        n = self.lengths.get(base)
        if n is None:
            raise SpecError(f"unknown indexed base {base}")
        if sp.simplify(n - hi) == 0:
            return ":"
        if sp.simplify(n - hi) == 1:
            return ":-1"
        raise SpecError(f"{base} has length {n}, indexed up to {hi}")

    # -- printing
    def print(self, expr, context: tuple, hi=M) -> str:
        """``expr`` as numpy code with the context indices on its last axes; ``hi`` is the
        upper limit of the sum whose body this is (context (s,))."""
        e = expr
        if e.is_Integer:
            return str(int(e))
        if e.is_Rational or e.is_Float:
            return repr(float(e))
        if e is sp.pi:
            return "numpy.pi"
        if isinstance(e, sp.Symbol):
            if e == M:
                self.uses_m = True
                return "m"
            if e in self.temps:
                return self._expand(e.name, self.temps[e], context)
            if e in self.scalars:
                return self._expand(self.scalars[e], (), context)
            raise SpecError(f"unknown symbol {e} in an indexed kernel")
        if isinstance(e, sp.Indexed):
            base, (ix,) = e.base, e.indices
            if ix == S_:
                if context != (S_,):
                    raise SpecError(f"{e}: the summation index outside its sum")
                cut = self._slice(base, hi)
                return base.name if cut == ":" else f"{base.name}[..., {cut}]"
            if ix not in context:
                raise SpecError(f"{e}: index {ix} not in the context {context}")
            cut = self._slice(base, M)
            if context == (ix,) and cut == ":":
                return base.name
            return f"{base.name}[..., {', '.join(cut if c == ix else 'None' for c in context)}]"
        if isinstance(e, sp.KroneckerDelta):
            a, b = e.args
            if a not in context or b not in context:
                raise SpecError(f"{e}: index not in the context {context}")
            self.uses_eye = True
            self.uses_m = True
            pos = [c for c in context]
            ia, ib = pos.index(a), pos.index(b)
            if ia > ib:
                ia, ib = ib, ia
            # eye(m) on the axes of a and b (in context order), length 1 elsewhere
            idx = ", ".join(":" if k in (ia, ib) else "None" for k in range(len(context)))
            return f"_eye[{idx}]" if len(context) > 2 else "_eye"
        if isinstance(e, sp.Sum):
            body, (ix, lo, hi_) = e.function, e.limits[0]
            if ix != S_ or lo != 1:
                raise SpecError(f"sums run over s from 1: {e}")
            if self.axes_of(body):
                raise SpecError(f"the body of {e} depends on a free index")
            if not body.has(S_):
                return self.print((hi_ - lo + 1) * body, context, hi)
            inner = self.print(body, (S_,), hi_)
            # numpy.add.reduce: numpy.sum's own reduction, minus its ~1 µs Python wrapper
            return self._expand(f"numpy.add.reduce({inner}, axis=-1)", (), context)
        if isinstance(e, sp.Add):
            return "(" + " + ".join(self.print(a, context, hi) for a in e.args) + ")"
        if isinstance(e, sp.Mul):
            if e.args[0] == -1:
                return f"(-{self._factor(sp.Mul(*e.args[1:]), context, hi)})"
            num, den = [], []
            for a in e.args:
                b, x = a.as_base_exp()
                if x.is_Number and x < 0:
                    den.append(b if x == -1 else b ** (-x))
                else:
                    num.append(a)
            top = "*".join(self._factor(a, context, hi) for a in num) if num else "1"
            if not den:
                return top
            return f"({top})/({'*'.join(self._factor(a, context, hi) for a in den)})"
        if isinstance(e, sp.Pow):
            b, x = e.args
            if x == sp.Rational(1, 2):
                return f"numpy.sqrt({self.print(b, context, hi)})"
            if x == -1:
                return f"(1/{self._factor(b, context, hi)})"
            return f"{self._factor(b, context, hi)}**{self._factor(x, context, hi)}"
        if isinstance(e, sp.polygamma):
            order, arg = e.args
            fn = _POLYGAMMA.get(int(order))
            inner = self.print(arg, context, hi)
            return f"{fn}({inner})" if fn else f"_special.polygamma({int(order)}, {inner})"
        if e.func in _FUNCTIONS:
            return f"{_FUNCTIONS[e.func]}({self.print(e.args[0], context, hi)})"
        if isinstance(e, KernelFunctionBase):
            # an opaque special function (families/special): its _special counterpart, the
            # arguments printed in the same context (a scalar such as m prints as itself)
            args = ", ".join(self.print(a, context, hi) for a in e.args)
            return f"_special.{e.kernel_name}({args})"
        name = type(e).__name__
        if name == "SqrtDiff":
            a, b = (self.print(a, context, hi) for a in e.args)
            return f"_special.sqrt_diff({a}, {b})"
        if name == "MultinomialExpectedLogBase":
            n, lam, last = e.args
            (var,), body = lam.args
            return self._expand(
                f"_special.multinomial_expected_log_base({self.print(n, (), hi)}, "
                f"{self.print(body.subs(var, FREE[0]), (FREE[0],), hi)}, "
                f"{self.print(last, (), hi)})", (), context)
        raise SpecError(f"no indexed printing for {e} ({name})")

    def _factor(self, e, context, hi) -> str:
        text = self.print(e, context, hi)
        if isinstance(e, (sp.Add,)) or (isinstance(e, sp.Number) and e < 0):
            return f"({text})"
        return text


def function_source(name: str, args: list, outputs: list, printer: IndexPrinter,
                    prelude: list, doc: str, shape_of: str, layout: list | None = None) -> str:
    """A kernel function: ``outputs`` is a list of (expression, context, kind) with kind
    ``"vector"`` (shape (..., m)), ``"scalar"`` (shape (...)) or ``"tensor"`` (context shape);
    the result is one array or a tuple of them, in the order of ``layout`` (indices into
    ``outputs``, None for a None) when it is given."""
    exprs = [o[0] for o in outputs]
    replacements, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("_c"), ignore=(S_,),
                                   optimizations="basic")
    lines = [f"def {name}({', '.join(args)}):", f'    """{doc}"""']
    body = []
    for sym, sub in replacements:
        axes = printer.axes_of(sub)
        printer.temps[sym] = axes
        body.append(f"    {sym.name} = {printer.print(sub, axes)}")
    results = []
    for (expr, context, kind), red in zip(outputs, reduced):
        text = printer.print(red, context)
        if kind == "vector":
            text = f"_special.full({text}, {shape_of})"
        elif kind == "scalar":
            text = f"_special.full({text}, {shape_of}[:-1])"
        elif kind == "tensor":
            text = f"_special.full({text}, {shape_of}[:-1] + (m,) * {len(context)})"
            printer.uses_m = True
        results.append(text)
    if layout is not None:
        results = ["None" if i is None else results[i] for i in layout]
    head = []
    if printer.uses_m:
        head.append(f"    m = {shape_of}[-1]")
    if printer.uses_eye:
        head.append("    _eye = numpy.eye(m)")
    # the batch shape first (m is its last entry), then what needs m
    lines += [f"    {p}" for p in prelude[:1]] + head + [f"    {p}" for p in prelude[1:]] + body
    lines.append(f"    return {results[0]}" if len(results) == 1 and layout is None
                 else f"    return ({', '.join(results)})")
    return "\n".join(lines) + "\n"


__all__ = ["IndexPrinter", "function_source"]
