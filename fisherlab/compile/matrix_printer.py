"""Print matrix expressions of symbolic size as batched numpy code on the last two axes.

A column vector is an array (..., d, 1), a matrix (..., d, d), a scalar (...). Products become
``@`` chains in the cheapest order (matrix-chain ordering with d large: a vector is multiplied
in as early as it can be, so Σ⁻¹VΣ⁻¹h costs d² per factor, not d³), transposes
``.swapaxes(-1, -2)``, traces ``einsum('...ij,...ji->...')`` of the product split in two (or the
single entry of a 1 × 1 product). Every inverse and log-determinant placeholder must be an
argument of the printed function: the kernels compute them once, from a Cholesky factorization.
"""

from __future__ import annotations

import sympy as sp

#: sympy functions of symbolic d (fisherlab/symbolic/multigamma.py) -> the numeric function
#: the generated module imports (fisherlab/kernels/_wishart_runtime.py).
_FUNCTIONS = {"LogMultigamma": "log_multigamma", "MultiPolygamma": "multi_polygamma"}

#: The dimension used to cost products when ordering a chain (only the ordering depends on it).
_D_COST = 100


def _shape(M) -> tuple[int, int]:
    r, c = M.shape
    return (1 if r == 1 else _D_COST, 1 if c == 1 else _D_COST)


class MatrixPrinter:
    """Prints one function's expressions, given the code names of its arguments."""

    def __init__(self, names: dict):
        self.names = names

    # -- matrices
    def matrix(self, M) -> str:
        """Code of a matrix expression."""
        if M in self.names:
            return self.names[M]
        if isinstance(M, sp.MatAdd):
            return "(" + " + ".join(self.matrix(t) for t in M.args) + ")"
        if isinstance(M, sp.MatMul):
            c, P = M.as_coeff_mmul()
            factors = list(P.args) if isinstance(P, sp.MatMul) else [P]
            chain = self.chain(factors)
            if c == 1:
                return chain
            if not c.is_number:  # a scalar array (...) multiplies matrices (..., r, c)
                return f"(numpy.expand_dims({self.scalar(c)}, (-1, -2)) * {chain})"
            return f"({self.scalar(c)} * {chain})"
        if isinstance(M, sp.Transpose):
            return f"{self.matrix(M.arg)}.swapaxes(-1, -2)"
        if isinstance(M, sp.ZeroMatrix):
            return "0.0"
        if isinstance(M, sp.Identity):
            return f"numpy.eye({self.scalar(M.shape[0])})"
        raise NotImplementedError(f"cannot print {M!r}: give it a name among the arguments")

    def chain(self, factors) -> str:
        """Code of a product, in the matrix-chain order of least cost."""
        n = len(factors)
        if n == 1:
            return self.matrix(factors[0])
        shapes = [_shape(f) for f in factors]
        cost = {(i, i): 0 for i in range(n)}
        split = {}
        for span in range(1, n):
            for i in range(n - span):
                j = i + span
                best = None
                for k in range(i, j):
                    c = (cost[i, k] + cost[k + 1, j]
                         + shapes[i][0] * shapes[k][1] * shapes[j][1])
                    if best is None or c < best:
                        best, split[i, j] = c, k
                cost[i, j] = best

        def build(i, j):
            if i == j:
                return self.matrix(factors[i])
            k = split[i, j]
            return f"({build(i, k)} @ {build(k + 1, j)})"

        return build(0, n - 1)

    # -- scalars
    def trace(self, P) -> str:
        """Code of tr P for a product P."""
        factors = list(P.args) if isinstance(P, sp.MatMul) else [P]
        for i in range(len(factors)):
            rot = factors[i:] + factors[:i]
            if rot[0].shape[0] == 1:  # a 1 × 1 product: its one entry
                return f"{self.chain(rot)}[..., 0, 0]"
        if len(factors) == 1:
            return f"numpy.trace({self.matrix(factors[0])}, axis1=-2, axis2=-1)"
        return (f"numpy.einsum('...ij,...ji->...', {self.matrix(factors[0])}, "
                f"{self.chain(factors[1:])})")

    def scalar(self, e) -> str:
        """Code of a scalar expression."""
        if e in self.names:
            return self.names[e]
        if isinstance(e, sp.Trace):
            return self.trace(e.arg)
        if isinstance(e, sp.Add):
            return "(" + " + ".join(self.scalar(t) for t in e.args) + ")"
        if isinstance(e, sp.Mul):
            return "(" + " * ".join(self.scalar(t) for t in e.args) + ")"
        if isinstance(e, sp.Rational) and not isinstance(e, sp.Integer):
            return f"({e.p}/{e.q})"
        if isinstance(e, sp.Integer):
            return str(int(e))
        if e == sp.pi:
            return "numpy.pi"
        if isinstance(e, sp.log):
            return f"numpy.log({self.scalar(e.args[0])})"
        if isinstance(e, sp.Pow):
            return f"({self.scalar(e.base)} ** {self.scalar(e.exp)})"
        if isinstance(e, sp.Function) and type(e).__name__ in _FUNCTIONS:
            args = ", ".join(self.scalar(a) for a in e.args)
            return f"{_FUNCTIONS[type(e).__name__]}({args})"
        raise NotImplementedError(f"cannot print the scalar {e!r}")

    def expr(self, e) -> str:
        """Code of a matrix or scalar expression."""
        return self.matrix(e) if isinstance(e, sp.MatrixExpr) else self.scalar(e)


def print_function(printed) -> str:
    """Source of ``def name(args): return outputs`` for one
    :class:`~fisherlab.symbolic.mvn_structured.Printed`."""
    names = {sym: code for sym, code in printed.args}
    p = MatrixPrinter(names)
    outs = [p.expr(o) for o in printed.outputs]
    args = ", ".join(code for _, code in printed.args)
    body = outs[0] if len(outs) == 1 else "(" + ", ".join(outs) + ")"
    lines = [f"def {printed.name}({args}):", f'    """{printed.doc}."""']
    lines.append(f"    return {body}")
    return "\n".join(lines) + "\n"


def mvn_module_source() -> str:
    """Source of ``fisherlab/kernels/multivariate_normal.py``: every function of
    :func:`fisherlab.symbolic.mvn_structured.derive_mvn`, for any d."""
    from ..symbolic.mvn_structured import derive_mvn

    parts = [
        "# Generated by scripts/generate_kernels.py from fisherlab/symbolic/mvn_structured.py "
        "(the declaration\n# in fisherlab/families/multivariate_normal.py). Do not edit.",
        '"""Matrix-form kernels of the multivariate normal, one module for every dimension d.\n\n'
        "Vectors are arrays (..., d, 1), matrices (..., d, d). ``namespace(d)`` assembles the\n"
        "Kernels of dimension d (fisherlab/kernels/_mvn_runtime.py). Valid range: condition\n"
        "numbers of Σ up to 1e8 and |μ| up to 1e3 (tests/kernels/test_multivariate_normal.py).\n"
        '"""',
        "import numpy",
        "FAMILY = 'multivariate_normal'",
    ]
    parts += [print_function(p) for p in derive_mvn()]
    parts.append('def namespace(d):\n    """The kernel namespace of dimension d."""\n'
                 "    import sys\n\n    from fisherlab.kernels._mvn_runtime import assemble\n\n"
                 "    return assemble(sys.modules[__name__], d)\n")
    return "\n\n".join(parts)


#: The subfamilies of the multivariate normal: the full family restricted to an affine subspace
#: (fisherlab/kernels/_mvn_subfamily.py), each with its declaration in fisherlab/families/.
MVN_SUBFAMILIES = ("multivariate_normal_diagonal", "multivariate_normal_isotropic",
                   "multivariate_normal_unit_variance", "multivariate_normal_centered")


def mvn_subfamily_module_source(name: str) -> str:
    """Source of ``fisherlab/kernels/<name>.py`` for a subfamily of the multivariate normal: the
    matrix-form module of the full family, restricted (one module for every d)."""
    return "\n\n".join([
        "# Generated by scripts/generate_kernels.py (the declaration in "
        f"fisherlab/families/{name}.py).\n# Do not edit.",
        f'"""Kernels of {name} for every dimension d: the multivariate normal\'s matrix-form\n'
        "kernels (fisherlab/kernels/multivariate_normal.py) at the embedded point, pulled back\n"
        "by the embedding's constant Jacobian (fisherlab/kernels/_mvn_subfamily.py).\n"
        '"""',
        f"FAMILY = {name!r}",
        'def namespace(d):\n    """The kernel namespace of dimension d."""\n'
        "    from fisherlab.kernels._mvn_subfamily import assemble\n\n"
        "    return assemble(FAMILY, d)\n",
    ])


#: Families derived in matrix form by :mod:`fisherlab.symbolic.wishart_structured`, one module
#: each for every d, assembled by fisherlab/kernels/_wishart_runtime.py.
WISHART_FAMILIES = ("wishart", "inverse_wishart", "normal_wishart")


def wishart_module_source(name: str) -> str:
    """Source of ``fisherlab/kernels/<name>.py`` for a family of :data:`WISHART_FAMILIES`:
    every function of its matrix-form derivation, for any d, and ``ARGS``, each function's
    argument names (the keys of the runtime's state)."""
    from ..symbolic.wishart_structured import derive_all

    form, printed = derive_all(name)
    blocks = {pz: tuple(kind for _, kind, _ in params)
              for pz, (params, _, _) in form.parametrizations.items()}
    stats = tuple(kind for _, kind, _ in form.stats)
    parts = [
        "# Generated by scripts/generate_kernels.py from fisherlab/symbolic/wishart_structured.py "
        f"(the\n# declaration in fisherlab/families/{name}.py). Do not edit.",
        f'"""Matrix-form kernels of {name}, one module for every dimension d.\n\n'
        "Vectors are arrays (..., d, 1), matrices (..., d, d), scalars (...). ``namespace(d)``\n"
        "assembles the Kernels of dimension d (fisherlab/kernels/_wishart_runtime.py).\n"
        '"""',
        "import numpy\n\nfrom fisherlab.kernels._wishart_runtime import log_multigamma, "
        "multi_polygamma  # noqa: F401",
        f"FAMILY = {name!r}",
    ]
    parts += [print_function(p) for p in printed]
    args = "".join(f"    {p.name!r}: {tuple(code for _, code in p.args)!r},\n" for p in printed)
    parts.append("#: each function's argument names\nARGS = {\n" + args + "}\n")
    parts.append("#: the blocks of θ per parametrization, and of the statistic T: scalar, vec "
                 "(d), sym (a\n#: lower triangle), natsym (the natural entries −½P_ii, −P_ij)\n"
                 f"BLOCKS = {blocks!r}\nSTATISTICS = {stats!r}\n")
    parts.append('def namespace(d):\n    """The kernel namespace of dimension d."""\n'
                 "    import sys\n\n    from fisherlab.kernels._wishart_runtime import assemble\n\n"
                 "    return assemble(sys.modules[__name__], d)\n")
    return "\n\n".join(parts)
