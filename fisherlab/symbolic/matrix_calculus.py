"""Matrix calculus on sympy ``MatrixSymbol`` expressions of symbolic size, with guards.

sympy 1.14 differentiates a ``Trace`` of a plain matrix product by a ``MatrixSymbol`` correctly,
but returns **0 without an error** for several other forms: a trace whose argument carries a
scalar factor or a sum, a sum or logarithm of traces, ``log(Determinant(X))``, ``M[0, 0]``.
Every scalar here is therefore kept in one normal form, a sum of

- ``c · Trace(P)`` with ``c`` a rational number and ``P`` a product of matrices, rotated to a
  canonical cyclic order so that equal traces cancel, and
- ``c · logdet(X)``, a placeholder symbol standing for log det X (see :func:`logdet`),

and :func:`grad` differentiates term by term: each trace by sympy's own rule (raising
:class:`SilentZeroError` when sympy answers 0 for a term that does depend on the variable), each
log-determinant by Jacobi's formula d log det X = tr(X⁻¹ dX), the one rule supplied here.
Every structured derivation built on this is checked against finite differences and 50-digit
mpmath in the tests (tests/kernels/test_multivariate_normal.py).
"""

from __future__ import annotations

import sympy as sp

__all__ = ["SilentZeroError", "MatrixCalculus"]


class SilentZeroError(ArithmeticError):
    """sympy differentiated a term that depends on the variable to 0."""


class MatrixCalculus:
    """Symbols of one derivation: their symmetry, the log-determinants in use, the rules.

    Parameters
    ----------
    d : sympy.Symbol
        The (symbolic) dimension.
    """

    def __init__(self, d):
        self.d = d
        self.symmetric: set = set()
        self._logdets: dict = {}  # placeholder symbol -> its matrix argument

    # -- symbols
    def matrix(self, name: str, symmetric: bool = False):
        """A d × d ``MatrixSymbol``; ``symmetric`` ones lose their transposes in :meth:`simp`."""
        X = sp.MatrixSymbol(name, self.d, self.d)
        if symmetric:
            self.symmetric.add(X)
        return X

    def vector(self, name: str):
        """A d × 1 ``MatrixSymbol`` (a column vector)."""
        return sp.MatrixSymbol(name, self.d, 1)

    def logdet(self, X):
        """log det X as a placeholder scalar symbol (sympy's own ``log(Determinant(X))``
        differentiates to a silent 0); log det X⁻¹ is −log det X."""
        if isinstance(X, sp.Inverse):
            return -self.logdet(X.arg)
        for s, arg in self._logdets.items():
            if arg == X:
                return s
        s = sp.Symbol(f"logdet_{len(self._logdets)}")
        self._logdets[s] = X
        return s

    def subs(self, f, reps: dict):
        """f with the matrix symbols replaced by ``reps``, inside the log-determinants too."""
        moved = {}
        for s, arg in list(self._logdets.items()):
            new = arg.xreplace(reps)
            if new != arg:
                moved[s] = self.logdet(new)
        return f.xreplace(reps).xreplace(moved)

    def logdet_argument(self, s):
        """The matrix whose log-determinant the placeholder ``s`` stands for (None if none)."""
        return self._logdets.get(s)

    # -- normal forms
    def simp(self, M):
        """A matrix expression with the transposes of symmetric symbols (and of their
        inverses) removed, expanded into a sum of products."""
        reps = {}
        for X in self.symmetric:
            reps[sp.Transpose(X)] = X
            reps[sp.Inverse(sp.Transpose(X))] = sp.Inverse(X)
            reps[sp.Transpose(sp.Inverse(X))] = sp.Inverse(X)
        prev = None
        while prev != M:
            prev = M
            M = sp.expand(M.xreplace(reps).doit())
        return M

    def products(self, M) -> list:
        """M as a list of (rational coefficient, product of matrices)."""
        M = self.simp(M)
        out = []
        for term in (M.args if isinstance(M, sp.MatAdd) else (M,)):
            if isinstance(term, sp.ZeroMatrix):
                continue
            c, P = term.as_coeff_mmul()
            out.append((sp.sympify(c), P.doit() if isinstance(P, sp.MatMul) else P))
        return out

    def _canonical(self, P):
        """The product P (inside a trace) in its smallest cyclic rotation, of P or of Pᵀ."""
        def rotations(Q):
            f = list(Q.args) if isinstance(Q, sp.MatMul) else [Q]
            return [f[i:] + f[:i] for i in range(len(f))]

        Pt = self.simp(sp.Transpose(P))
        cands = rotations(P)
        if not isinstance(Pt, sp.MatAdd):
            cands += rotations(Pt.as_coeff_mmul()[1])
        best = min(cands, key=lambda f: str(sp.MatMul(*f)))
        return sp.MatMul(*best) if len(best) > 1 else best[0]

    def trace(self, M):
        """tr M in the normal form: a sum of c · Trace(product)."""
        total = sp.Integer(0)
        for c, P in self.products(M):
            if isinstance(P, sp.Identity):
                total += c * P.shape[0]
                continue
            total += c * sp.Trace(self._canonical(P))
        return total

    def inner(self, A, B):
        """⟨A, B⟩ = tr(AᵀB), for matrices or column vectors of one shape."""
        return self.trace(sp.Transpose(A) * B)

    # -- derivatives
    def grad(self, f, X):
        """∂f/∂X of a scalar in the normal form, as a matrix expression the shape of X.

        For a symmetric X the result is the symmetric gradient G = (∂f/∂X + (∂f/∂X)ᵀ)/2,
        the dual matrix of the pairing tr(G U) over symmetric directions U.
        """
        f = sp.expand(f)
        total = sp.ZeroMatrix(*X.shape)
        for term in (f.args if isinstance(f, sp.Add) else (f,)):
            total = total + self._grad_term(term, X)
        if X in self.symmetric:
            total = (total + sp.Transpose(total)) / 2
        return self.simp(total)

    def _grad_term(self, term, X):
        coeff, factors = sp.Integer(1), []
        for a in (term.args if isinstance(term, sp.Mul) else (term,)):
            if a.is_number:
                coeff *= a
            else:
                factors.append(a)
        if not factors:
            return sp.ZeroMatrix(*X.shape)
        if len(factors) != 1:
            raise NotImplementedError(f"a product of non-constant scalars: {term}")
        (a,) = factors
        if isinstance(a, sp.Trace):
            if X not in a.free_symbols:
                return sp.ZeroMatrix(*X.shape)
            g = a.diff(X)
            if g == 0 or isinstance(g, sp.ZeroMatrix):
                raise SilentZeroError(f"sympy gave ∂/∂{X} {a} = 0")
            return coeff * g
        arg = self.logdet_argument(a)
        if arg is not None:
            if X not in arg.free_symbols:
                return sp.ZeroMatrix(*X.shape)
            # Jacobi: d log det E = tr(E⁻¹ dE); differentiate tr(K E) with K = E⁻¹ held fixed
            K = sp.MatrixSymbol(f"_K{len(self._logdets)}", *arg.shape)
            g = sp.ZeroMatrix(*X.shape)
            for t in sp.Add.make_args(self.trace(K * arg)):
                g = g + self._grad_term(t, X)
            return coeff * g.xreplace({K: sp.Inverse(arg)})
        if isinstance(a, sp.Symbol) or a.is_number:
            return sp.ZeroMatrix(*X.shape)
        raise NotImplementedError(f"not in the normal form: {a!r}")

    def directional(self, f, X, U):
        """⟨∂f/∂X, U⟩: the derivative of the scalar f along direction U (same shape as X)."""
        return self.inner(self.grad(f, X), U)
