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

Scalar variables (sympy ``Symbol``s such as degrees of freedom) may appear in the coefficients:
a term is then ``c · Trace(P)`` or ``c · logdet(X)`` with ``c`` any scalar expression free of
matrices (ν/2, 1/κ, log Γ_d(ν/2) of :mod:`fisherlab.symbolic.multigamma`), and the arguments
of traces and log-determinants may carry such coefficients too (log det(M − hhᵀ/κ)).
:meth:`MatrixCalculus.diff` differentiates by a scalar: the coefficients by sympy (no matrices
in them, so no silent zero), the log-determinants by Jacobi's formula again. A matrix inverse
that is itself differentiated (E⁻¹ for E = M − hhᵀ/κ) is a placeholder symbol
(:meth:`MatrixCalculus.inverse`) with the rule d(E⁻¹) = −E⁻¹ dE E⁻¹.
Every structured derivation built on this is checked against finite differences and 50-digit
mpmath in the tests (tests/kernels/test_multivariate_normal.py,
tests/kernels/test_wishart_matrix_form.py, tests/symbolic/test_matrix_calculus.py).
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
        self._inverses: dict = {}  # placeholder matrix symbol S -> E, S standing for E⁻¹

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

    def inverse(self, E, name: str, symmetric: bool = True):
        """A d × d placeholder symbol standing for E⁻¹, differentiated by d(E⁻¹) = −E⁻¹ dE E⁻¹
        (symmetric when E is). The kernels receive it as an argument, computed once."""
        S = self.matrix(name, symmetric=symmetric)
        self._inverses[S] = self.simp(E)
        return S

    def inverse_argument(self, S):
        """The matrix E whose inverse the placeholder ``S`` stands for (None if none)."""
        return self._inverses.get(S)

    def logdet(self, X):
        """log det X as a placeholder scalar symbol (sympy's own ``log(Determinant(X))``
        differentiates to a silent 0); log det X⁻¹ is −log det X."""
        if isinstance(X, sp.Inverse):
            return -self.logdet(X.arg)
        if X in self._inverses:
            return -self.logdet(self._inverses[X])
        if self._inverses or self._has_scalars(X):
            X = self.simp(X)
            if X in self._inverses or isinstance(X, sp.Inverse):
                return self.logdet(X)
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

    def _has_scalars(self, X) -> bool:
        """Whether X holds scalar symbols other than the dimension."""
        return any(not isinstance(a, sp.MatrixSymbol) and a != self.d for a in X.free_symbols)

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
            if self._inverses:
                M = self._cancel(M)
        return M

    def _cancel(self, M):
        """M with each adjacent pair S·E or E·S of a placeholder S = E⁻¹ and E removed."""
        def walk(e):
            if isinstance(e, sp.MatMul):
                c, P = e.as_coeff_mmul()
                f = [walk(a) for a in (P.args if isinstance(P, sp.MatMul) else (P,))]
                i = 0
                while i < len(f) - 1:
                    a, b = f[i], f[i + 1]
                    if self._inverses.get(a) == b or self._inverses.get(b) == a:
                        del f[i:i + 2]
                        i = max(i - 1, 0)
                    else:
                        i += 1
                if not f:
                    return c * sp.Identity(self.d)
                return c * sp.MatMul(*f) if len(f) > 1 else c * f[0]
            if isinstance(e, (sp.MatAdd, sp.Transpose)):
                return e.func(*[walk(a) for a in e.args])
            return e

        return sp.expand(walk(M).doit())

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

    def _split(self, term):
        """A term as (scalar coefficient free of matrices, its one Trace or log-det factor or
        None)."""
        coeff, factors = sp.Integer(1), []
        for a in (term.args if isinstance(term, sp.Mul) else (term,)):
            if isinstance(a, sp.Trace) or a in self._logdets:
                factors.append(a)
            elif a.is_number or not (a.atoms(sp.Trace) or a.atoms(sp.MatrixSymbol)
                                     or a.free_symbols & set(self._logdets)):
                coeff *= a
            else:
                raise NotImplementedError(f"not in the normal form: {a!r} in {term}")
        if len(factors) > 1:
            raise NotImplementedError(f"a product of traces or log-determinants: {term}")
        return coeff, (factors[0] if factors else None)

    def _inverse_of(self, E):
        """E⁻¹: its placeholder when one was declared, else sympy's ``Inverse``."""
        for S, arg in self._inverses.items():
            if arg == E:
                return S
        return sp.Inverse(E)

    def _through(self, K_value, E, X):
        """∂/∂X tr(K E) with K = ``K_value`` held fixed: a matrix for a matrix X, a scalar for a
        scalar X."""
        K = sp.MatrixSymbol(f"_K{len(self._logdets)}_{len(self._inverses)}", *E.shape)
        inner = self.trace(K * E)
        if isinstance(X, sp.MatrixExpr):
            g = sp.ZeroMatrix(*X.shape)
            for t in sp.Add.make_args(inner):
                g = g + self._grad_term(t, X)
            return g.xreplace({K: K_value})
        return self.normal(self.diff(inner, X).xreplace({K: K_value}))

    def _grad_term(self, term, X):
        coeff, a = self._split(term)
        if a is None:
            return sp.ZeroMatrix(*X.shape)
        if isinstance(a, sp.Trace):
            total = sp.ZeroMatrix(*X.shape)
            if X in a.free_symbols:
                g = a.diff(X)
                if g == 0 or isinstance(g, sp.ZeroMatrix):
                    raise SilentZeroError(f"sympy gave ∂/∂{X} {a} = 0")
                total = total + g
            total = total + self._chain_inverses(a, X)
            return coeff * total if total != sp.ZeroMatrix(*X.shape) else total
        arg = self.logdet_argument(a)
        if arg is not None:
            if not self._depends(arg, X):
                return sp.ZeroMatrix(*X.shape)
            if not self._inverses and not self._has_scalars(arg):
                # Jacobi: d log det E = tr(E⁻¹ dE); differentiate tr(K E) with K = E⁻¹ fixed
                K = sp.MatrixSymbol(f"_K{len(self._logdets)}", *arg.shape)
                g = sp.ZeroMatrix(*X.shape)
                for t in sp.Add.make_args(self.trace(K * arg)):
                    g = g + self._grad_term(t, X)
                return coeff * g.xreplace({K: sp.Inverse(arg)})
            g = self._through(self._inverse_of(arg), arg, X)
            if g == sp.ZeroMatrix(*X.shape):
                raise SilentZeroError(f"∂/∂{X} log det({arg}) came out 0")
            return coeff * g
        raise NotImplementedError(f"not in the normal form: {a!r}")

    def _depends(self, M, X) -> bool:
        """Whether the matrix expression M depends on X, through inverse placeholders too."""
        if X in M.free_symbols:
            return True
        return any(self._depends(self._inverses[S], X)
                   for S in M.free_symbols if S in self._inverses)

    def _chain_inverses(self, a, X):
        """The part of ∂/∂X Trace(F) (matrix X) or d/dX (scalar X) that goes through the
        inverse placeholders S = E⁻¹ in F: d tr F = tr(Gᵀ dS) = −tr(S Gᵀ S dE), G = ∂ tr F/∂S."""
        zero = sp.ZeroMatrix(*X.shape) if isinstance(X, sp.MatrixExpr) else sp.Integer(0)
        total = zero
        for S in sorted(a.free_symbols & set(self._inverses), key=str):
            E = self._inverses[S]
            if not self._depends(E, X):
                continue
            G = a.diff(S)
            if G == 0 or isinstance(G, sp.ZeroMatrix):
                raise SilentZeroError(f"sympy gave ∂/∂{S} {a} = 0")
            total = total - self._through(self.simp(S * sp.Transpose(G) * S), E, X)
        return total

    def diff(self, f, s):
        """df/ds of a scalar f in the normal form by a scalar symbol s, in the normal form."""
        total = sp.Integer(0)
        for term in sp.Add.make_args(sp.expand(f)):
            coeff, a = self._split(term)
            if a is None:
                total += sp.diff(coeff, s)
                continue
            total += sp.diff(coeff, s) * a
            if isinstance(a, sp.Trace):
                if s in a.free_symbols:
                    raise NotImplementedError(f"a scalar inside a trace: {a}")
                total += coeff * self._chain_inverses(a, s)
                continue
            arg = self.logdet_argument(a)
            if self._depends(arg, s):
                total += coeff * self._through(self._inverse_of(arg), arg, s)
        return self.normal(total)

    def normal(self, f):
        """A scalar rebuilt into the normal form (each trace re-expanded and canonicalized)."""
        total = sp.Integer(0)
        for t in sp.Add.make_args(sp.expand(f)):
            traces = [fac for fac in sp.Mul.make_args(t) if isinstance(fac, sp.Trace)]
            c = sp.Mul(*[fac for fac in sp.Mul.make_args(t) if not isinstance(fac, sp.Trace)])
            if len(traces) > 1:
                raise NotImplementedError(f"a product of traces: {t}")
            total += c * self.trace(traces[0].arg) if traces else c
        return sp.expand(total)

    def directional(self, f, X, U):
        """⟨∂f/∂X, U⟩: the derivative of the scalar f along direction U (same shape as X)."""
        return self.inner(self.grad(f, X), U)
