"""Declaration -> Derivation: every quantity of a parametrized exponential family, exactly.

With θ the parameters of a parametrization, η = η(θ), J = ∂η/∂θ and A the log-partition:

    mean        μ(θ) = ∇A(η)
    score       s(x; θ) = Jᵀ (T(x) − μ)
    fisher      F(θ) = Jᵀ ∇²A(η) J
    hessian     ∇²_θ log p = Σ_k ∂²η_k/∂θ² (T_k(x) − μ_k) − F(θ)
    kl          KL(θp ‖ θq) = A(ηq) − A(ηp) − ⟨μ(θp), ηq − ηp⟩
    entropy     A(η) − ⟨η, μ⟩ − E[log h(x)]
    skewness    ∂³A(η) in natural coordinates

Each is simplified once, when first asked for, and cached with the Derivation.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import importlib
import signal
import threading
import time
from dataclasses import dataclass
from functools import cached_property

import mpmath
import sympy as sp

from ..errors import SpecError
from ..families.declaration import ExponentialFamily, Parametrization

#: Placeholder in entropies whose E[log h(x)] has no closed form (the kernel sums over x).
EXPECTED_LOG_BASE_MEASURE = sp.Symbol(r"\mathbb{E}[\log h(x)]")


#: Expressions with more operations than this are not simplified (see :func:`simplify`).
SIMPLIFY_MAX_OPS = 150
#: ... when they also have at least this many free symbols.
SIMPLIFY_GUARD_SYMBOLS = 5
#: A declared power u**(p/q) must have q at most this, and |p| at most :data:`MAX_EXPONENT`.
MAX_EXPONENT_DENOMINATOR = 12
MAX_EXPONENT = 100
#: A numeric base m raised to a symbolic power c·θ (or e^(c·θ·log m)) needs |p| of the
#: rational c = p/q at most this.
MAX_SYMBOLIC_EXPONENT = 1000
#: Logarithms combine into log(u**c) only for a rational c whose numerator and denominator are
#: at most this in size (see :func:`guarded_logcombine`).
LOGCOMBINE_MAX_POWER = 3
#: A quantity rewritten around the mean of x (:meth:`Derivation._centered`) is kept when at most
#: this many times as costly as the form it replaces.
CENTERED_MAX_GROWTH = 2
#: ... and for a user declaration, whose printed forms must stay within a few times the
#: declaration's size (a float map of the normal made the centered Hessian 4.2 times it).
USER_CENTERED_MAX_GROWTH = 1
#: CPU seconds that simplifying one derivation of a user declaration may take in all (every
#: quantity, across calls), and that one simplification within it may take. Past either, the
#: expression is kept as derived: exact, only not in its shortest form. Catalog declarations
#: have no budget, so their kernels never depend on the machine's speed.
DERIVATION_CPU_SECONDS = 6.0
SIMPLIFY_CPU_SECONDS = 1.5


class SimplificationBudget:
    """The CPU time left for simplifying one derivation, and how often it ran out.

    Attributes
    ----------
    remaining : float
        CPU seconds left for the derivation's quantities not yet computed.
    skipped : int
        Simplifications cut short (their expression kept as derived).
    """

    def __init__(self, seconds: float | None = None):
        self.remaining = float(DERIVATION_CPU_SECONDS if seconds is None else seconds)
        self.skipped = 0
        self._deadline: float | None = None


#: The budget of the derivation whose quantity is being computed, if it has one.
_ACTIVE_BUDGET: contextvars.ContextVar = contextvars.ContextVar("budget", default=None)


class _OutOfTime(BaseException):
    """Raised by the CPU timer inside sympy: a BaseException, so that sympy's own
    ``except Exception`` clauses cannot swallow it."""


def _budgeted(method):
    """A Derivation quantity computed under the derivation's budget (when it has one): the
    outermost quantity being computed charges its CPU time to the budget."""

    @functools.wraps(method)
    def wrapper(self):
        budget = self.budget
        if budget is None or _ACTIVE_BUDGET.get() is not None:
            return method(self)
        token = _ACTIVE_BUDGET.set(budget)
        start = time.process_time()
        budget._deadline = start + budget.remaining
        try:
            return method(self)
        finally:
            budget.remaining -= time.process_time() - start
            _ACTIVE_BUDGET.reset(token)

    return wrapper


def _simplify_in_budget(expr, floats: set):
    """:func:`_simplify` stopped by a CPU timer at the active budget's limit (expr itself
    then). Unlimited without a budget, and outside the main thread (where no signal can stop it:
    user declarations derived there have no time limit)."""
    budget = _ACTIVE_BUDGET.get()
    if budget is None or threading.current_thread() is not threading.main_thread():
        return _simplify(expr, floats)
    left = min(SIMPLIFY_CPU_SECONDS, budget._deadline - time.process_time())
    if left <= 0:
        budget.skipped += 1
        return expr

    def out_of_time(signum, frame):
        raise _OutOfTime

    previous = signal.signal(signal.SIGPROF, out_of_time)
    try:
        try:
            signal.setitimer(signal.ITIMER_PROF, left)
            return _simplify(expr, floats)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            signal.signal(signal.SIGPROF, previous)
    except _OutOfTime:
        budget.skipped += 1
        return expr


def catalog_declaration(spec: ExponentialFamily) -> bool:
    """Whether every symbolic callable of ``spec`` is written in the catalog's modules (a
    built-in family, whose derivation has no time budget)."""
    callables = [spec.statistics, spec.log_base_measure, spec.log_partition]
    callables += [p.to_natural for p in spec.parametrizations]
    return all(getattr(f, "__module__", "").startswith("fisherlab.families.") for f in callables)


def simplify(expr):
    """Simplify to a textbook form that also evaluates well in floating point; matrices entrywise.

    Among the expression, sympy's ``simplify`` of it, that with its logarithms expanded and the
    factored form, keep the cheapest, where a power with a symbolic exponent (``(a/b)**a``, born
    of combining logarithms) costs extra: it overflows where the expanded logarithms do not.
    """
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(simplify)
    expr = sp.sympify(expr)
    if expr.is_number or expr.is_Symbol:
        return expr
    floats = [f for f in expr.atoms(sp.Float) if f != 0]
    # A declared float is an opaque number: sympy's simplify would turn 4.9e-188 into a
    # rational of 188 digits (nsimplify), whose gcds and factorizations take minutes, and
    # 0.1 into 1/10 in some quantities but not in others.
    opaque = {f: sp.Dummy("float", positive=bool(f > 0), negative=bool(f < 0)) for f in floats}
    expr = expr.xreplace(opaque)
    # So is e^u with a rational p/q in u of large p or q: sympy's polynomial algebra takes
    # e^(θ/q) as its variable and e^u as its p-th power (e^(134217728θ/244375): gigabytes).
    exps = {e: sp.Dummy("exp", positive=True) for e in expr.atoms(sp.exp)
            if _large_rational_in(e.args[0])}
    simple = _simplify_in_budget(expr.xreplace(exps), set(opaque.values()))
    back = {d: e for e, d in exps.items()}
    back.update({d: f for f, d in opaque.items()})
    return simple.xreplace(back).xreplace(back)


def _large_rational_in(u) -> bool:
    """Whether a term of ``u`` has a rational coefficient p/q beyond the limits of
    :func:`declared` (|p| > MAX_EXPONENT or q > MAX_EXPONENT_DENOMINATOR)."""
    for t in sp.Add.make_args(sp.expand(u)):
        c = t.as_coeff_Mul()[0]
        if c.is_Rational and (abs(c.p) > MAX_EXPONENT or c.q > MAX_EXPONENT_DENOMINATOR):
            return True
    return False


#: With declared floats or logarithms of numbers, expressions in more generators than this
#: (symbols, floats, log m) are not factored (see :func:`_simplify`).
FACTOR_MAX_GENERATORS = 6


def _simplify(expr, floats: set):
    """:func:`simplify` of a scalar expression whose declared floats are the symbols ``floats``."""
    if _past_guard(expr):
        # Size guard: sympy's simplify takes minutes on the large rational functions of many
        # variables of the multivariate normal (its multivariate factorization, randomized, from
        # seconds to many minutes on the same input). Such an expression is only cancelled as a
        # rational function (polynomial gcds: seconds), or else kept as derived; CSE in the code
        # generator still shares its subexpressions. Expressions in few variables are always
        # simplified: that is where textbook forms (and exact zeros) come from.
        return reduce_large(expr)
    with _logs_combined_guardedly():
        simple = sp.simplify(expr)
    candidates = [expr, simple]
    # Factoring is multivariate (Wang's algorithm, randomized): with user constants as extra
    # generators (floats, log 470, log 510511) a KL of two points took minutes. The catalog
    # declares neither, and is always factored.
    numeric_logs = {q for q in expr.atoms(sp.log) if q.args[0].is_number}
    factor = not ((floats or numeric_logs) and len(expr.free_symbols | numeric_logs)
                  > FACTOR_MAX_GENERATORS)
    for expanded in (sp.expand_log(simple), sp.expand_log(simple, force=True)):
        if expanded.has(sp.I):
            # log(−u) forced into log(u) + iπ: refused below. Factoring it first would work
            # over ℚ(i), minutes for the categorical's log-density at k = 10.
            continue
        candidates += [expanded, sp.factor_terms(expanded)]
        if factor:
            candidates.append(sp.factor(expanded))
    # Forced expansion can split log(a/b) into log(a) − log(b) with a, b < 0 (NaN in floats) or
    # into log(a) + iπ: keep only candidates whose every log has an argument known positive or
    # already present in the unexpanded forms.
    trusted = {q.args[0] for e in (expr, simple) for q in e.atoms(sp.log)}
    safe = [c for c in candidates if not c.has(sp.I) and all(
        q.args[0].is_positive or q.args[0] in trusted for q in c.atoms(sp.log))]
    return min(safe or [expr], key=_cost)


def guarded_logcombine(expr, force: bool = False):
    """``sympy.logcombine``, except that a term c·log(u) whose rational coefficient c has a
    numerator or denominator larger than :data:`LOGCOMBINE_MAX_POWER` is left as it is, and so
    is c·(… + log u + …) with c beyond the limits of a declared power (:data:`MAX_EXPONENT`,
    :data:`MAX_EXPONENT_DENOMINATOR`).

    ``sympy.simplify`` puts an expression over a common denominator before combining its logs,
    so a declared constant 1/q makes every log's coefficient a multiple of q, and logcombine
    then raises each argument to that power: −½ log 2π + 1/10⁶ became log(2^500000 π^500000 …)
    (a 150,000-digit integer, and for 1/10¹⁰ more memory than the machine has). Refusing such
    powers means no base is ever raised to a power larger than the declaration wrote.
    """
    hidden: dict = {}

    def large(term) -> bool:
        if not term.is_Mul:
            return False
        c = term.as_coeff_Mul()[0]
        if not c.is_Rational:
            return False
        if any(isinstance(f, sp.log) for f in term.args):
            return abs(c.p) > LOGCOMBINE_MAX_POWER or c.q > LOGCOMBINE_MAX_POWER
        # c·(log u + log v − ψ(w)): logcombine combines the sum's logs, then raises the
        # argument to the power c (97/29000 made a 70,977-digit integer in the score of a gamma
        # declared with η = 97θ/29000). Only beyond the limits of a declared power: the
        # catalog's ¼(…) keep their combined forms.
        return any(f.is_Add and f.has(sp.log) for f in term.args) and (
            abs(c.p) > MAX_EXPONENT or c.q > MAX_EXPONENT_DENOMINATOR)

    def hide(term):
        return hidden.setdefault(term, sp.Dummy("hidden_log"))

    protected = sp.sympify(expr).replace(large, hide)
    back = {d: term for term, d in hidden.items()}
    out = _SYMPY_LOGCOMBINE(protected, force=force)
    # A hidden term can hold another (c·exp(c'·log u)·log v): restore until none is left.
    while out.has(*back):
        out = out.xreplace(back)
    return out


_SIMPLIFY_MODULE = importlib.import_module("sympy.simplify.simplify")
_SYMPY_LOGCOMBINE = _SIMPLIFY_MODULE.logcombine


@contextlib.contextmanager
def _logs_combined_guardedly():
    """Within the block, ``sympy.simplify`` combines logs with :func:`guarded_logcombine`.

    ``sympy.simplify`` has no option to restrict its logcombine step, and it looks that name up
    in its module at each call: replacing it there for the duration of one call is the only
    way short of copying sympy's simplify.
    """
    saved = _SIMPLIFY_MODULE.logcombine
    _SIMPLIFY_MODULE.logcombine = guarded_logcombine
    try:
        yield
    finally:
        _SIMPLIFY_MODULE.logcombine = saved


def _past_guard(expr) -> bool:
    return (len(expr.free_symbols) >= SIMPLIFY_GUARD_SYMBOLS
            and sp.count_ops(expr) > SIMPLIFY_MAX_OPS)


def _exp_rational(expr):
    """``expr`` as a rational function of its symbols and of fresh positive symbols E standing
    for e^s (one per symbol s found in an exponent), with the map E -> e^s back; None when it is
    not one: it holds a logarithm or another function, a non-integer power, or an e^u whose u is
    not an integer combination of symbols."""
    gens: dict = {}

    def power_product(e):
        out = sp.Integer(1)
        for s, k in sp.expand(e.args[0]).as_coefficients_dict().items():
            if not (s.is_Symbol and k.is_Integer):
                raise _NotRational
            if s not in gens:
                gens[s] = sp.Dummy(f"E_{s.name}", positive=True)
            out *= gens[s] ** k
        return out

    try:
        rational = expr.replace(lambda e: isinstance(e, sp.exp), power_product)
    except _NotRational:
        return None
    if rational.atoms(sp.Function) or any(not q.exp.is_Integer for q in rational.atoms(sp.Pow)):
        return None
    return rational, {E: sp.exp(s) for s, E in gens.items()}


class _NotRational(Exception):
    pass


def reduce_large(expr):
    """For an expression past the size guard of :func:`simplify` that is a rational function of
    its symbols and of exponentials e^s (the multivariate normal in every parametrization): the
    cheaper of it and its cancelled form p/q, p expanded and q a product of powers of expanded
    polynomials, without common factor.
    Anything else is returned unchanged.

    ``sympy.cancel`` needs only polynomial gcds, so it takes seconds where ``simplify`` takes
    minutes, and it is exact: e^s is a fresh variable, and an identity between polynomials in
    independent variables stays one after substituting e^s back. It is what makes the terms in
    μ of the multivariate normal's pulled-back Fisher information cancel exactly, instead of
    cancelling in floating point.
    """
    return _cancelled(expr) if _past_guard(expr) else expr


def large_rational(expr) -> bool:
    """Whether ``expr`` is past the size guard of :func:`simplify` and a rational function of
    its symbols and exponentials (what :func:`reduce_large` cancels)."""
    return _past_guard(expr) and _exp_rational(expr) is not None


def _cancelled(expr):
    """The cheaper of ``expr`` and its cancelled form (see :func:`reduce_large`); ``expr``
    itself when it is not a rational function of its symbols and exponentials."""
    found = _exp_rational(expr)
    if found is None:
        return expr
    rational, back = found
    num, den = sp.fraction(sp.cancel(rational))
    # The denominator as a product of powers (square-free factorization: gcds only, unlike
    # factor's randomized search): det(Σ)² rather than its expansion, which cancels in floats.
    reduced = (num / sp.sqf(den)).xreplace(back)
    return reduced if _cost(reduced) < _cost(expr) else expr


def _collected(expr, over=()):
    """``expr`` with the terms sharing a special-function value (or one of the expressions
    ``over``) collected over it: ψ(a)·(1 − a) rather than ψ(a) − a·ψ(a).

    The entropy −⟨η, μ⟩ holds (η_k − c)·μ_k products that simplify expands, and the log-density
    ⟨η, T(x)⟩ + log h(x) pairs like α log x − log x; near a uniform law (the beta's α = 1) the
    expanded pair cancels to the last digits of ψ or log x, while 1 − α is exact (Sterbenz) and
    keeps them. Elementary functions (log, exp) are collected over only when passed in ``over``.
    """
    special = [f for f in expr.atoms(sp.Function) if not isinstance(f, (sp.log, sp.exp))]
    special += [t for t in over if t not in special]
    if not special or not expr.is_Add:
        return expr
    collected = sp.collect(expr, sorted(special, key=sp.default_sort_key))
    return collected if _cost(collected) <= _cost(expr) else expr


def _cost(expr) -> int:
    symbolic_powers = sum(1 for q in expr.atoms(sp.Pow) if not q.exp.is_number)
    return sp.count_ops(expr) + 10 * symbolic_powers


def _symbols(params, suffix: str = ""):
    return tuple(sp.Symbol(p.name + suffix, **p.domain.assumptions,
                           **({"integer": True} if getattr(p, "integer", False) else {}))
                 for p in params)


def _as_list(value, what: str, family: str, n: int | None = None):
    seq = list(value) if isinstance(value, (list, tuple)) else [value]
    if n is not None and len(seq) != n:
        raise SpecError(f"family {family!r}: {what} returns {len(seq)} entries, expected {n}")
    return [declared(v, what, family) for v in seq]


def declared(value, what: str, family: str):
    """A declared expression as sympy, refused (SpecError) where exact algebra cannot handle it.

    A power u**(p/q) with a large q or |p| is refused: sympy's polynomial algebra (cancel,
    factor, together, all inside simplify) takes u**(1/q) as its variable, so the power becomes
    a polynomial of degree |p| (and its square in a log-partition, degree 2|p|). An exponent
    1123/93450 took minutes and gigabytes. A float exponent is not refused: :func:`simplify`
    keeps every float an opaque number.
    """
    expr = sp.sympify(value)
    for power in expr.atoms(sp.Pow, sp.exp):
        base, e = (sp.E, power.args[0]) if isinstance(power, sp.exp) else power.args
        if e.is_number:
            if base is sp.E:
                continue  # e^c is a constant sympy never expands
            coefficients = [(e, False)]
        else:
            # m**(c·θ), or exp(c·θ·log m), which powsimp turns into it: sympy evaluates m**p
            # exactly along the way (its q-th root is cheap), so only p is limited.
            logs = [q for q in e.atoms(sp.log) if q.args[0].is_number]
            numeric_base = base.is_number and base is not sp.E
            coefficients = [(sp.Integer(t.as_coeff_Mul()[0].p), True) for t in sp.Add.make_args(
                sp.expand(e)) if (numeric_base and t.free_symbols) or (logs and t.has(*logs)
                                                                        and t.free_symbols)]
            # A constant term c·log m of the exponent makes a factor m**c: a numeric power,
            # limited like one (m**(659/8355) factors a 3,700-digit integer for minutes).
            coefficients += [(t.as_coeff_Mul()[0], False) for t in sp.Add.make_args(sp.expand(e))
                             if logs and t.has(*logs) and not t.free_symbols]
        for exact, symbolic in coefficients:
            if exact.is_Rational and (exact.q > MAX_EXPONENT_DENOMINATOR
                                      or abs(exact.p) > (MAX_SYMBOLIC_EXPONENT if symbolic else
                                                         MAX_EXPONENT)):
                raise SpecError(
                    f"family {family!r}: {what} raises {base} to the power {e}; the exact "
                    f"derivation handles rational powers p/q with q <= "
                    f"{MAX_EXPONENT_DENOMINATOR} and |p| <= {MAX_EXPONENT}, and a number m "
                    f"raised to (p/q)·θ, or e^((p/q)·θ·log m), with |p| <= "
                    f"{MAX_SYMBOLIC_EXPONENT}")
    return expr


@dataclass(frozen=True)
class NaturalForm:
    """The parametrization-free part of a family: T, log h, A and its derivatives in η."""

    spec: ExponentialFamily

    @cached_property
    def x(self) -> tuple[sp.Symbol, ...]:
        """The observation's symbols: one x, or x1..xd for a vector support; positive or
        non-negative integer where the support says so."""
        s = self.spec.support
        real = {"real": True}
        if s.kind in ("positive_reals",):
            real = {"positive": True}
        elif s.kind in ("nonnegative_integers", "integer_range", "binary"):
            real = {"integer": True, "nonnegative": True}
        if s.size:
            return tuple(sp.Symbol(f"x{i + 1}", **real) for i in range(s.size))
        return (sp.Symbol("x", **real),)

    @cached_property
    def fixed(self) -> tuple[sp.Symbol, ...]:
        """The symbols of the fixed parameters (binomial n, ...), passed to every symbolic
        callable of the declaration as keyword arguments; empty for most families."""
        return _symbols(self.spec.fixed)

    @cached_property
    def fixed_kw(self) -> dict:
        """The fixed parameters' symbols by name: the keyword arguments of the declaration's
        callables."""
        return {s.name: s for s in self.fixed}

    @cached_property
    def _x_arg(self):
        return list(self.x) if self.spec.support.size else self.x[0]

    @cached_property
    def eta(self) -> tuple[sp.Symbol, ...]:
        """The natural parameter symbols η, with the domains' sign assumptions."""
        return _symbols(self.spec.natural)

    @cached_property
    def statistics(self) -> sp.Matrix:
        """T(x), an (m, 1) matrix."""
        stats = _as_list(self.spec.statistics(sp, self._x_arg, **self.fixed_kw), "statistics",
                         self.spec.name, len(self.eta))
        return sp.Matrix(stats)

    @cached_property
    def log_base_measure(self):
        """log h(x) as declared."""
        return declared(self.spec.log_base_measure(sp, self._x_arg, **self.fixed_kw),
                        "log_base_measure", self.spec.name)

    @cached_property
    def log_partition(self):
        """A(η) as declared; SpecError when a natural parameter does not appear in it."""
        A = declared(self.spec.log_partition(sp, *self.eta, **self.fixed_kw), "log_partition",
                     self.spec.name)
        missing = [e for e in self.eta if e not in A.free_symbols]
        if missing:
            raise SpecError(
                f"family {self.spec.name!r}: natural parameter(s) "
                f"{', '.join(str(e) for e in missing)} do not appear in the log-partition A")
        return A

    @cached_property
    def gradient(self) -> sp.Matrix:
        """∇A(η) = E[T(x)], an (m, 1) matrix."""
        return simplify(sp.Matrix([sp.diff(self.log_partition, e) for e in self.eta]))

    @cached_property
    def hessian(self) -> sp.Matrix:
        """∇²A(η) = Cov[T(x)], an (m, m) matrix."""
        g = self.gradient
        m = len(self.eta)
        H = sp.zeros(m, m)
        for i in range(m):
            for j in range(i, m):
                H[i, j] = H[j, i] = simplify(sp.diff(g[i], self.eta[j]))
        return H

    @cached_property
    def skewness(self) -> sp.Array:
        """∂³A/∂η_i∂η_j∂η_k, an (m, m, m) array."""
        m = len(self.eta)
        H = self.hessian
        # Symmetric in its three indices: each of the (m + 2 choose 3) distinct entries is
        # derived and simplified once (84 instead of 343 at m = 7, where simplifying took 2 min).
        distinct = {(i, j, k): simplify(sp.diff(H[i, j], self.eta[k]))
                    for i in range(m) for j in range(i, m) for k in range(j, m)}
        return sp.Array([[[distinct[tuple(sorted((i, j, k)))] for k in range(m)]
                          for j in range(m)] for i in range(m)])

    @cached_property
    def expected_log_base_measure(self):
        """E[log h(x)] as an expression in η, or None when it has no closed form here."""
        logh = self.log_base_measure
        if not (logh.free_symbols & set(self.x)):
            return logh
        if self.spec.expected_log_base_measure is not None:
            return sp.sympify(self.spec.expected_log_base_measure(sp, *self.eta, **self.fixed_kw))
        # When log h is affine in the statistics, E[log h] is that affine map of μ = ∇A.
        taus = sp.symbols(f"tau0:{len(self.eta)}")
        replaced = logh
        for t, tau in zip(self.statistics, taus):
            if not t.is_Symbol or t in self.x:
                replaced = replaced.subs(t, tau)
        if not (replaced.free_symbols & set(self.x)) and all(
                sp.diff(replaced, a, 2) == 0 for a in taus):
            return simplify(replaced.subs(dict(zip(taus, self.gradient))))
        return None


@functools.cache
def natural_form(spec: ExponentialFamily) -> NaturalForm:
    """The (cached) :class:`NaturalForm` of ``spec``."""
    return NaturalForm(spec)


def _singular(J: sp.Matrix, symbols, params) -> bool:
    """Whether the square Jacobian J(θ) is singular at a generic interior point of the test ranges.

    Numeric on purpose: sympy's exact determinant (Bareiss) of a 9 × 9 symbolic Jacobian takes
    many minutes (categorical k = 10), while the determinant of the analytic maps declared here
    vanishes at an arbitrary interior point only when it vanishes identically. The second point
    serves when the first breaks a joint constraint; with neither usable, the exact test runs.
    """
    import numpy as np

    for u in (0.3141592653589793, 0.7182818284590452):
        point = {}
        for s, p in zip(symbols, params):
            lo, hi = p.test_range
            if lo > 0:
                v = float(np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo))))
            elif hi < 0:
                v = -float(np.exp(np.log(-lo) + u * (np.log(-hi) - np.log(-lo))))
            else:
                v = lo + u * (hi - lo)
            point[s] = sp.Float(v, 30)
        entries = J.xreplace(point).evalf(30)
        if not all(v.is_real and v.is_finite for v in entries):
            continue  # outside a joint constraint (no real η there): try the other point
        # In mpmath, not float64: a declared exp(c θ) can exceed the float range at a test point.
        with mpmath.workdps(30):
            # Rows and columns scaled to unit norm first: a singular matrix stays singular, and
            # parameters of very different scales (θ₁ ~ 1e-3, θ₂ ~ e^100) do not look singular.
            A = mpmath.matrix(entries.tolist())
            for _ in range(2):
                for i in range(A.rows):
                    r = mpmath.norm(A[i, :])
                    if r:
                        A[i, :] = A[i, :] / r
                for j in range(A.cols):
                    c = mpmath.norm(A[:, j])
                    if c:
                        A[:, j] = A[:, j] / c
            sv = mpmath.svd_r(A, compute_uv=False)
            sv = sorted((abs(v) for v in sv), reverse=True)
            return not sv[-1] > mpmath.mpf("1e-10") * sv[0]
    return J.det() == 0  # neither point is usable: the exact (slow) test


class Derivation:
    """Every quantity of one family in one parametrization, as exact sympy expressions.

    Attributes (all computed on first access, then cached)
    ----------
    params : tuple of Symbol
        θ, in order.
    params_q : tuple of Symbol
        A second copy of θ (suffix ``_q``), the second argument of ``kl``.
    x : tuple of Symbol
        The observation (one symbol, or the entries of a vector observation).
    natural : tuple of Symbol
        The natural parameter symbols η.
    fixed : tuple of Symbol
        The fixed parameters' symbols (binomial n, ...), free symbols of every expression; empty
        when the family has none or is bound to values (which are then exact numbers in them).
    to_natural : Matrix (m, 1)
        η(θ).
    from_natural : Matrix (p, 1) or None
        θ(η), where a closed form is declared.
    jacobian : Matrix (m, p)
        J = ∂η/∂θ.
    log_partition : expr
        A(η(θ)).
    mean : Matrix (m, 1)
        μ = E[T(x)] = ∇A(η(θ)).
    log_density, score (p, 1), hessian (p, p), fisher (p, p), kl, entropy : expr / Matrix
        As in the module docstring.
    entropy_sums_support : bool
        True when E[log h(x)] has no closed form; ``entropy`` then holds the placeholder
        :data:`EXPECTED_LOG_BASE_MEASURE` and the kernel sums over the support.
    fisher_rao : expr or None
        The closed-form Fisher–Rao distance between θ and θq, where the family declares one.
    budget : SimplificationBudget or None
        The CPU time left for simplifying a user declaration's quantities (None for the
        catalog's): a quantity whose simplification runs out of it is kept as derived.
    """

    def __init__(self, spec: ExponentialFamily, parametrization: Parametrization):
        self.spec = spec
        self.parametrization = parametrization
        self.nat = natural_form(spec)
        self.params = _symbols(parametrization.params)
        self.params_q = _symbols(parametrization.params, "_q")
        self.x = self.nat.x
        self.fixed = self.nat.fixed
        self.natural = self.nat.eta
        self.statistics = self.nat.statistics
        self.log_base_measure = self.nat.log_base_measure
        self.budget = None if catalog_declaration(spec) else SimplificationBudget()

    def __repr__(self) -> str:
        return f"Derivation({self.spec.key!r}, {self.parametrization.name!r})"

    # -- the map to η
    @cached_property
    @_budgeted
    def to_natural(self) -> sp.Matrix:
        """η(θ), an (m, 1) matrix; SpecError for powers the exact derivation refuses."""
        eta = _as_list(self.parametrization.to_natural(sp, *self.params, **self.nat.fixed_kw),
                       f"parametrization {self.parametrization.name!r} to_natural",
                       self.spec.name, len(self.natural))
        # The powers declared separately in A and in η(θ) meet in A(η(θ)): e^η with
        # η = c·log(m)·θ^r is m^(c·θ^r), refused like a declared one.
        # Substituted unevaluated: evaluating e^η at η = a log θ + c log m computes m**c, which
        # for c = 659/8355, m = 390460 factors a 3,700-digit integer (minutes) before the check
        # could refuse the power.
        A = self.nat.log_partition  # built (evaluated) outside the unevaluated block
        with sp.evaluate(False):
            composed = A.xreplace(dict(zip(self.natural, eta)))
        declared(composed, f"log_partition at parametrization {self.parametrization.name!r}",
                 self.spec.name)
        return simplify(sp.Matrix(eta))

    def _to_natural_q(self) -> sp.Matrix:
        return self.to_natural.subs(dict(zip(self.params, self.params_q)), simultaneous=True)

    @cached_property
    @_budgeted
    def from_natural(self) -> sp.Matrix | None:
        """θ(η), a (p, 1) matrix, where the parametrization declares it; else None."""
        f = self.parametrization.from_natural
        if f is None:
            return None
        theta = _as_list(f(sp, *self.natural, **self.nat.fixed_kw),
                         f"parametrization {self.parametrization.name!r} from_natural",
                         self.spec.name, len(self.params))
        return simplify(sp.Matrix(theta))

    @cached_property
    @_budgeted
    def jacobian(self) -> sp.Matrix:
        """J = ∂η/∂θ, an (m, p) matrix; SpecError when it is square and singular, or has
        more columns than rows."""
        J = simplify(self.to_natural.jacobian(sp.Matrix(self.params)))
        if J.shape[0] == J.shape[1] and _singular(J, self.params + self.fixed,
                                                           [*self.parametrization.params,
                                                            *self.spec.fixed]):
            raise SpecError(f"family {self.spec.name!r}: parametrization "
                            f"{self.parametrization.name!r} has a singular Jacobian ∂η/∂θ")
        if J.shape[1] > J.shape[0]:
            raise SpecError(f"family {self.spec.name!r}: parametrization "
                            f"{self.parametrization.name!r} has more parameters than η")
        return J

    def at_theta(self, expr):
        """Substitute η = η(θ) into an expression in the natural symbols."""
        return expr.subs(dict(zip(self.natural, self.to_natural)), simultaneous=True)

    def _at_q(self, expr):
        return expr.subs(dict(zip(self.natural, self._to_natural_q())), simultaneous=True)

    # -- derived quantities
    @cached_property
    @_budgeted
    def log_partition(self):
        """A(η(θ))."""
        return simplify(self.at_theta(self.nat.log_partition))

    @cached_property
    @_budgeted
    def mean(self) -> sp.Matrix:
        """μ(θ) = E[T(x)] = ∇A(η(θ)), an (m, 1) matrix."""
        return simplify(self.at_theta(self.nat.gradient))

    @cached_property
    @_budgeted
    def _centering(self) -> list[tuple]:
        """(statistic, its mean, placeholder) for each statistic that is x or log x itself.

        Quantities polynomial of degree ≥ 2 in such a statistic are rewritten around its mean:
        −(x − μ)²/(2σ²) instead of (−x² + 2μx − μ²)/(2σ²), which cancels catastrophically when
        |μ| ≫ σ (and is not the textbook form either).
        """
        if len(self.x) != 1:
            return []
        x = self.x[0]
        out = []
        for k, t in enumerate(self.statistics):
            if t == x or t == sp.log(x):
                out.append((t, self.mean[k], sp.Dummy(f"u{k}", real=True)))
        return out

    def _centered(self, expr):
        """``expr`` rewritten in T_k − E[T_k] where that removes a cancelling polynomial."""
        if not self._centering or expr.is_number:
            return expr
        degree = 0
        for t, _, _ in self._centering:
            u = sp.Dummy("t")
            poly_in = expr.subs(t, u)
            if u in poly_in.free_symbols and poly_in.is_polynomial(u):
                degree = max(degree, sp.degree(poly_in, u))
        if degree < 2:
            return expr
        shifted = expr
        for t, mean, u in self._centering:
            shifted = shifted.subs(t, mean + u)
        # expand first so the powers of the mean cancel exactly, then look for a short form
        shifted = simplify(sp.expand(shifted))
        back = {u: sp.Add(t, -mean, evaluate=False) for t, mean, u in self._centering}
        centered = shifted.xreplace(back)
        # Each x − μ repeats μ: with a long mean (a user's rational constants, 15-digit
        # numerators) the centered form can be twice the expanded one, past which it is not
        # kept (CENTERED_MAX_GROWTH).
        growth = CENTERED_MAX_GROWTH if self.budget is None else USER_CENTERED_MAX_GROWTH
        if _cost(centered) > growth * _cost(expr):
            return expr
        return centered

    @cached_property
    @_budgeted
    def log_density(self):
        """log p(x; θ) = log h(x) + ⟨η(θ), T(x)⟩ − A(η(θ))."""
        eta = self.to_natural
        # Statistics that are functions of x (log x, log(1 − x), cos x) are collected over:
        # (α − 1) log x, not α log x − log x.
        functions_of_x = [t for t in self.statistics if t.atoms(sp.Function)]
        return self._centered(_collected(simplify(
            self.log_base_measure + (eta.T * self.statistics)[0, 0] - self.log_partition),
            functions_of_x))

    @cached_property
    @_budgeted
    def score(self) -> sp.Matrix:
        """∇_θ log p(x; θ) = Jᵀ (T(x) − μ), a (p, 1) matrix."""
        return simplify(self.jacobian.T * (self.statistics - self.mean)).applyfunc(self._centered)

    @cached_property
    @_budgeted
    def natural_fisher(self) -> sp.Matrix:
        """∇²A at η(θ): the Fisher information in natural coordinates, as a function of θ."""
        return self.at_theta(self.nat.hessian)

    @cached_property
    @_budgeted
    def fisher(self) -> sp.Matrix:
        """F(θ) = Jᵀ ∇²A(η(θ)) J, a (p, p) matrix."""
        J = self.jacobian
        H = self.natural_fisher
        p, m = J.shape[1], H.shape[0]
        # Past the size guard, Jᵀ ∇²A(η(θ)) J is computed as Jᵀ ∂μ/∂θ (the chain rule on
        # μ(θ) = ∇A(η(θ))) wherever that is a rational function: a product of two simplified
        # matrices, where the first form substitutes η(θ) into ∇²A (past the guard) or sums m²
        # products per entry (the entry past the guard). Both are exact. For the multivariate
        # normal (d = 3) cancelling the first takes many minutes, the second seconds; for the
        # categorical (k = 10) in probabilities ∂μ/∂θ is the identity, the entry is J_ji, and
        # cancelling Σ_kl J_ki H_kl J_lj had not ended after two hours.
        large = any(_past_guard(H[k, j]) for k in range(m) for j in range(k, m))
        dmu = F = None
        out = sp.zeros(p, p)
        for i in range(p):
            for j in range(i, p):
                entry = None
                if not large:
                    F = J.T * H * J if F is None else F
                    entry = F[i, j]
                if large or _past_guard(entry):
                    dmu = self.mean.jacobian(self.params) if dmu is None else dmu
                    chained = (J[:, i].T * dmu[:, j])[0, 0]
                    if _exp_rational(chained) is not None:
                        entry = chained
                    elif entry is None:
                        F = J.T * H * J if F is None else F
                        entry = F[i, j]
                out[i, j] = out[j, i] = simplify(entry)
        return out

    @cached_property
    @_budgeted
    def hessian(self) -> sp.Matrix:
        """∇²_θ log p(x; θ) = Σ_k ∂²η_k/∂θ² (T_k(x) − μ_k) − F(θ), a (p, p) matrix."""
        p = len(self.params)
        resid = self.statistics - self.mean
        H = -self.fisher
        second = []
        for k, eta_k in enumerate(self.to_natural):
            d2 = sp.hessian(eta_k, self.params)
            if d2 != sp.zeros(p, p):
                H = H + d2 * resid[k]
                second.append((d2, resid[k]))
        out = sp.zeros(p, p)
        for i in range(p):
            for j in range(i, p):
                entry = H[i, j]
                if _past_guard(entry) and _exp_rational(entry) is not None:
                    # Past the size guard (the multivariate normal): −F_ij + Σ_k ∂²η_k (T_k − μ_k)
                    # with each ∂²η_k cancelled on its own, kept as a sum. Cancelling the whole
                    # over one denominator takes many minutes for d = 3 (polynomial gcds in θ
                    # and x together), and its expanded numerator would mix the residuals.
                    entry = -self.fisher[i, j] + sp.Add(*[_cancelled(d2[i, j]) * r
                                                          for d2, r in second])
                    out[i, j] = out[j, i] = entry
                    continue
                out[i, j] = out[j, i] = self._centered(simplify(entry))
        return out

    @cached_property
    @_budgeted
    def kl(self):
        """KL(p_θ ‖ p_θq) as a Bregman divergence of A."""
        A = self.nat.log_partition
        eta_p, eta_q = self.to_natural, self._to_natural_q()
        expr = self._at_q(A) - self.at_theta(A) - (self.mean.T * (eta_q - eta_p))[0, 0]
        return simplify(expr)

    @cached_property
    def entropy_sums_support(self) -> bool:
        """Whether E[log h(x)] has no closed form (``entropy`` then holds
        :data:`EXPECTED_LOG_BASE_MEASURE`, and the kernel sums over the support)."""
        return self.nat.expected_log_base_measure is None

    @cached_property
    @_budgeted
    def entropy(self):
        """H(θ) = A − ⟨η, μ⟩ − E[log h(x)]."""
        elogh = self.nat.expected_log_base_measure
        elogh = EXPECTED_LOG_BASE_MEASURE if elogh is None else self.at_theta(elogh)
        return _collected(simplify(self.log_partition - (self.to_natural.T * self.mean)[0, 0]
                                   - elogh))

    @cached_property
    @_budgeted
    def skewness(self) -> sp.Array:
        """∂³A in natural coordinates, at η(θ): the cubic term of the local KL."""
        return self.at_theta(self.nat.skewness)

    @cached_property
    @_budgeted
    def fisher_rao(self):
        """The declared closed-form Fisher–Rao distance between θ and θq, in the parametrization
        that declares it; None otherwise."""
        decl = self.spec.fisher_rao
        if decl is None:
            return None
        if decl[0] == self.parametrization.name:
            return simplify(decl[1](sp, *self.params, *self.params_q, **self.nat.fixed_kw))
        return None  # available numerically through the declaring parametrization

    def quantities(self) -> dict[str, object]:
        """Name -> expression of every derived quantity (for printing and reports)."""
        return {
            "log_partition": self.log_partition, "to_natural": self.to_natural,
            "jacobian": self.jacobian, "mean": self.mean, "log_density": self.log_density,
            "score": self.score, "hessian": self.hessian, "fisher": self.fisher,
            "kl": self.kl, "entropy": self.entropy,
        }


@functools.cache
def derive(spec: ExponentialFamily, param: str) -> Derivation:
    """The (cached) Derivation of ``spec`` in parametrization ``param``."""
    return Derivation(spec, spec.parametrization(param))
