"""Derivation for symbolic dimension: every quantity of an indexed declaration, derived once.

The declaration (:class:`~fisherlab.families.indexed.IndexedFamily`) writes A(η), η(θ) and T(x)
with sympy ``IndexedBase`` objects and ``Sum(..., (s, 1, m))`` for a symbolic m. Differentiating
by θ[j] and θ[l] gives ``KroneckerDelta`` forms inside the sums; ``doit`` turns them into
``Piecewise`` over the index range (the free indices are in range by construction, so the first
branch is taken), constants are pulled out of every sum, and a second derivative splits into

    H_jl = δ_jl · d_j + c · u_j · u_l

by the coefficient of δ_jl (the diagonal part) and the factors of the rest (a rank-one
remainder, checked to separate into a function of j times the same function of l). The Fisher
information, the Jacobian ∂η/∂θ and the observed Hessian of the categorical, multinomial and
Dirichlet have this form; :func:`derive` returns them so, and the capacitance 1 + c Σ u_s²/d_s
that a Woodbury solve needs, simplified in closed form (the categorical's is p_k exactly).

For softmax families (A = c·log(1 + Σ e^{η_s})) the sum Σ e^{η_s} is rewritten as e^L − 1 with
L the log-partition's log-sum-exp, evaluated once without overflow: e^{η_j}/(1 + Σ e^η) becomes
e^{η_j − L}, 1/(1 + Σ e^η) becomes e^{−L}.

sympy 1.14 returns 0 without an error for some derivatives of such forms (see the tests): every
quantity derived here is checked against finite differences, 50-digit mpmath and the
element-wise derivation in tests/kernels/test_simplex_generic.py.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import sympy as sp

from ..errors import SpecError
from ..families.indexed import IndexedFamily

#: The number of natural parameters (and of θ's entries).
M = sp.Symbol("m", integer=True, positive=True)
#: The index of one component in a declaration, and the summation index of every sum.
I_, S_ = sp.symbols("i s", integer=True)
#: The free indices of vectors (j), matrices (j, l) and third-order tensors (j, l, r).
J, L, R = sp.symbols("j l r", integer=True)
FREE = (J, L, R)
#: The log-sum-exp log(1 + Σ e^{η_s}) of θ and of θ_q (softmax families).
LSE, LSE_Q = sp.symbols("lse lse_q", real=True)
#: The class probabilities e^{η_j − L} and the reference class's e^{−L}, evaluated as
#: e^{η_j − M} / Σ (M the largest logit) so that the subtraction η_j − L of two large numbers
#: does not cost digits; the same of θ_q.
PROBS, P_REF = sp.IndexedBase("probs"), sp.Symbol("p_ref", positive=True)
PROBS_Q, P_REF_Q = sp.IndexedBase("probs_q"), sp.Symbol("p_ref_q", positive=True)
#: 1 − p_j, evaluated as the sum of the other classes' probabilities (softmax families).
COSOFTMAX = sp.IndexedBase("cosoftmax")
#: Gamma-sum families: ψ(θ_j) − ψ(Σθ), ψ′(θ_j) − ψ′(Σθ) (each a shift of θ_j by the sum of the
#: others) and Σ log Γ(θ_i) − log Γ(Σθ) (the log multivariate beta), of θ and of θ_q.
DIGAMMA_REST, TRIGAMMA_REST = sp.IndexedBase("digamma_rest"), sp.IndexedBase("trigamma_rest")
DIGAMMA_REST_Q = sp.IndexedBase("digamma_rest_q")
LOG_MULTIBETA, LOG_MULTIBETA_Q = sp.symbols("log_multibeta log_multibeta_q", real=True)


@dataclass(frozen=True)
class RankOne:
    """δ_jl · diag + c · u_j · u_l (expressions in j; c free of indices), with the capacitance
    ``1 + c Σ_s u_s² / diag_s`` of its Woodbury solve (None when c is 0)."""

    diag: sp.Expr
    u: sp.Expr
    c: sp.Expr
    capacitance: sp.Expr | None
    #: the diagonal d_j + c u_j² where it has a form without cancellation (softmax families:
    #: p_j (1 − p_j) with 1 − p_j the sum of the other classes' probabilities), else None
    diagonal: sp.Expr | None = None

    def entry(self, a, b) -> sp.Expr:
        """The (a, b) entry, for the checks."""
        return (sp.KroneckerDelta(a, b) * self.diag.subs(J, a)
                + self.c * self.u.subs(J, a) * self.u.subs(J, b))


@dataclass(frozen=True)
class IndexedDerivation:
    """Every quantity of one family in one parametrization, for symbolic m.

    Bases: ``theta``, ``theta_q`` (the KL's second point), ``x`` (observation, length m − offset),
    ``eta`` (natural parameters where a function of η is printed). Scalars are expressions free of
    j, l, r; vectors depend on j; :class:`RankOne` matrices; the skewness on (j, l, r).
    """

    family: IndexedFamily
    parametrization: str
    theta: sp.IndexedBase
    theta_q: sp.IndexedBase
    x: sp.IndexedBase
    fixed: tuple
    quantities: dict


def resolve(expr: sp.Expr) -> sp.Expr:
    """The expression with every ``Piecewise`` over an index range replaced by its first branch:
    the free indices j, l, r run over 1..m by construction."""
    def first(pw):
        (value, cond), rest = pw.args[0], pw.args[1:]
        allowed = set(FREE) | {M}
        if not (cond.free_symbols <= allowed and len(rest) == 1
                and sp.sympify(rest[0].args[0]).doit() == 0):
            raise SpecError(f"unexpected condition in an indexed derivative: {pw}")
        return value
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), first)


def pull(expr: sp.Expr) -> sp.Expr:
    """Sums split over their terms, with the factors free of the summation index pulled out."""
    def one(s):
        body, (ix, lo, hi) = s.function, s.limits[0]
        out = sp.Integer(0)
        for term in sp.Add.make_args(sp.expand(pull(body), power_exp=True)):
            dep, ind = [], []
            for f in sp.Mul.make_args(term):
                (dep if ix in f.free_symbols else ind).append(f)
            out += sp.Mul(*ind) * (sp.Sum(sp.Mul(*dep), (ix, lo, hi)) if dep else hi - lo + 1)
        return out
    return expr.replace(lambda e: isinstance(e, sp.Sum), one)


def _exp_logs(expr: sp.Expr) -> sp.Expr:
    """exp(log a − log b) as a/b: the form a composition η(θ) inside A(η) leaves behind."""
    return expr.replace(lambda e: isinstance(e, sp.exp),
                        lambda e: sp.powsimp(sp.exp(sp.expand_log(e.args[0], force=True))))


def tidy(expr: sp.Expr) -> sp.Expr:
    """resolve, pull, simplify: the normal form every derived quantity is kept in."""
    return sp.simplify(pull(_exp_logs(resolve(sp.sympify(expr).doit()))))


def _substitute(expr: sp.Expr, base: sp.IndexedBase, value) -> sp.Expr:
    """Every base[k] replaced by value(k)."""
    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == base,
                        lambda e: value(e.indices[0]))


def _exp_into_sums(expr: sp.Expr) -> sp.Expr:
    """e^c · Σ_s e^{a_s} b_s as Σ_s e^{a_s + c} b_s: the softmax weights e^{η_s − L} stay one
    exponential (e^{η_s} alone overflows past η ≈ 709)."""
    def is_target(e):
        if not isinstance(e, sp.Mul):
            return False
        sums = [f for f in e.args if isinstance(f, sp.Sum)]
        return len(sums) == 1 and any(isinstance(f, sp.exp) for f in e.args) and sums[0].has(
            sp.exp)

    def push(e):
        sums = [f for f in e.args if isinstance(f, sp.Sum)][0]
        outside = [f for f in e.args if isinstance(f, sp.exp)]
        rest = [f for f in e.args if f is not sums and f not in outside]
        body = sp.powsimp(sp.Mul(sums.function, *outside), combine="exp")
        return sp.Mul(*rest) * sp.Sum(body, *sums.limits)
    return expr.replace(is_target, push)


def _replace_pairs(expr, base, pairs):
    """In every sum of terms, a + b replaced by its name: ``pairs`` of (a, b, name, indexed);
    an indexed pair has a = ψ⁽ⁿ⁾(base[x]) for any index x (given as the order n) and names
    name[x]. ``subs`` cannot do this inside a sum, whose index it will not touch."""
    def is_add(e):
        return isinstance(e, sp.Add)

    def rewrite(e):
        terms = list(e.args)
        for a, b, name, indexed in pairs:
            if not indexed and -a in terms and -b in terms:
                # −(a + b), distributed by sympy
                terms.remove(-a)
                terms.remove(-b)
                terms.append(-name(None))
                continue
            if indexed and -b in terms:
                # −(ψ(θ_x) − ψ(Σθ)), distributed by sympy (the score's −μ)
                hits = [t for t in terms if isinstance(-t, sp.polygamma) and (-t).args[0] == a
                        and isinstance((-t).args[1], sp.Indexed) and (-t).args[1].base == base]
                if hits:
                    terms.remove(hits[0])
                    terms.remove(-b)
                    terms.append(-name[(-hits[0]).args[1].indices[0]])
                    continue
            if b not in terms:
                continue
            if indexed:
                hits = [t for t in terms if isinstance(t, sp.polygamma) and t.args[0] == a
                        and isinstance(t.args[1], sp.Indexed) and t.args[1].base == base]
                if not hits:
                    continue
                hit = hits[0]
                terms.remove(hit)
                terms.remove(b)
                terms.append(name[hit.args[1].indices[0]])
            elif a in terms:
                terms.remove(a)
                terms.remove(b)
                terms.append(name(None))
        return sp.Add(*terms)
    return expr.replace(is_add, rewrite)


def _as_probabilities(expr, base, lse, probs, ref):
    """e^{−nL + η_a + η_b + …} (at most n logits) as p_a p_b … p_ref^{n − #logits}."""
    def is_target(x):
        return isinstance(x, sp.exp) and x.args[0].has(lse)

    def convert(x):
        arg = sp.expand(x.args[0])
        n = -arg.coeff(lse)
        rest = sp.expand(arg + n * lse)
        terms = sp.Add.make_args(rest) if rest != 0 else ()
        if not (n.is_Integer and n > 0 and len(terms) <= n and all(
                isinstance(t, sp.Indexed) and t.base == base for t in terms)):
            raise SpecError(f"e^({arg}) is not a product of class probabilities")
        return sp.Mul(*[probs[t.indices[0]] for t in terms]) * ref ** (n - len(terms))
    return expr.replace(is_target, convert)


def split(expr: sp.Expr, what: str) -> RankOne:
    """δ_jl·d_j + c·u_j·u_l from an expression in j and l (SpecError when it is not of that
    form)."""
    e = sp.expand(expr)
    delta = sp.KroneckerDelta(J, L)
    diag = sp.simplify(e.coeff(delta).subs(L, J))
    rest = sp.factor(sp.together(sp.expand(e - delta * e.coeff(delta))))
    if rest == 0:
        return RankOne(diag, sp.Integer(0), sp.Integer(0), None)
    u, v, c = [], [], []
    for f in sp.Mul.make_args(rest):
        has_j, has_l = J in f.free_symbols, L in f.free_symbols
        if has_j and has_l:
            raise SpecError(f"{what}: the off-diagonal part {rest} is not rank one")
        (u if has_j else v if has_l else c).append(f)
    u, v, c = sp.Mul(*u), sp.Mul(*v), sp.Mul(*c)
    if sp.simplify(u.subs(J, L) - v) != 0:
        raise SpecError(f"{what}: the off-diagonal part {rest} is not symmetric rank one")
    # c's squared factors go into u (c = −e^{−2L} becomes −1 with u = e^{η_j − L})
    keep = []
    for f in sp.Mul.make_args(c):
        base, ex = f.as_base_exp()
        if isinstance(f, sp.exp):
            u *= sp.exp(f.args[0] / 2)
        elif ex.is_integer and ex.is_even:
            u *= base ** (ex / 2)
        else:
            keep.append(f)
    return RankOne(diag, u, sp.Mul(*keep), None)


class _Deriver:
    """The derivation of one family and parametrization (see :func:`derive`)."""

    def __init__(self, fam: IndexedFamily, param: str):
        self.fam, self.param = fam, param
        self.pz = fam.parametrization(param)
        self.fx = {n: sp.Symbol(n, positive=True) for n in fam.fixed}
        names = {"natural": "eta", "probs": "p"}
        base = names.get(param, param)
        self.theta = sp.IndexedBase(base)
        self.theta_q = sp.IndexedBase(base + "_q")
        self.eta = sp.IndexedBase("eta")
        self.eta_q = sp.IndexedBase("eta_q")
        self.x = sp.IndexedBase("x")
        self.t = sp.IndexedBase("t")  # T(x), substituted by the statistics when printed

    # -- the maps
    def eta_of(self, theta, i):
        """η_i(θ) (θ an IndexedBase)."""
        if self.pz is None:
            return theta[i]
        return self.pz.to_natural(sp, theta, i, S_, M, **self.fx)

    def A_natural(self, eta):
        return self.fam.log_partition(sp, eta, S_, M, **self.fx)

    def A_theta(self, theta):
        if self.pz is None:
            return self.A_natural(theta)
        return tidy(_substitute(self.A_natural(self.eta), self.eta,
                                lambda k: self.eta_of(theta, k)))

    def stabilize(self, expr, bases=None):
        """The softmax rewrite (module docstring) of sums over ``bases`` (default θ and θq in
        natural parameters); other families unchanged."""
        if self.fam.gamma_sums:
            return self._gamma_rewrite(expr)
        if bases is None:
            bases = (self.theta, self.theta_q) if self.pz is None else ()
        if not self.fam.softmax or not bases:
            return expr
        rules = {}
        for base, lse in zip(bases, (LSE, LSE_Q)):
            rules[sp.Sum(sp.exp(base[S_]), (S_, 1, M))] = sp.exp(lse) - 1
        e = sp.expand(pull(expr).subs(rules), power_exp=True)
        e = _exp_into_sums(sp.powsimp(sp.expand(e), combine="exp"))
        if e.has(sp.Sum) and any(e.has(s) for s in rules):
            raise SpecError(f"{self.fam.name}: a sum of exponentials survived the softmax "
                            f"rewrite in {e}")
        for base, lse, probs, ref in zip(bases, (LSE, LSE_Q), (PROBS, PROBS_Q),
                                         (P_REF, P_REF_Q)):
            e = _as_probabilities(e, base, lse, probs, ref)
        return e

    def _gamma_rewrite(self, expr):
        """The gamma-sum rewrite (see ``IndexedFamily.gamma_sums``), on the unexpanded forms."""
        e = expr
        for base, dig, lmb in ((self.theta, DIGAMMA_REST, LOG_MULTIBETA),
                               (self.theta_q, DIGAMMA_REST_Q, LOG_MULTIBETA_Q)):
            total = sp.Sum(base[S_], (S_, 1, M))
            pairs = [(sp.Sum(sp.loggamma(base[S_]), (S_, 1, M)), -sp.loggamma(total),
                      lambda x, lmb=lmb: lmb, False)]
            for order, name in ((0, dig), (1, TRIGAMMA_REST if base is self.theta else None)):
                if name is not None:
                    pairs.append((order, -sp.polygamma(order, total), name, True))
            e = _replace_pairs(e, base, pairs)
        return e

    def derive(self) -> IndexedDerivation:
        th, thq, t = self.theta, self.theta_q, self.t
        out = {}
        A = self.A_theta(th)
        out["log_partition"] = A
        eta_j = tidy(self.eta_of(th, J))
        out["to_natural"] = eta_j
        # μ = ∇A in natural coordinates, then at η(θ)
        A_eta = self.A_natural(self.eta)
        mu_eta = tidy(sp.diff(A_eta, self.eta[J]))
        mean = mu_eta if self.pz is None else tidy(_substitute(mu_eta, self.eta,
                                                               lambda k: self.eta_of(th, k)))
        out["mean"] = mean
        # θ(η)
        if self.pz is None:
            out["from_natural"] = self.eta[J]
        else:
            out["from_natural"] = self.stabilize(
                tidy(self.pz.from_natural(sp, self.eta, J, S_, M, **self.fx)), (self.eta,))
        # log p(x | θ) = Σ t_s η_s(θ) − A(θ) (+ log h(x), printed separately)
        ell = sp.Sum(t[S_] * self.eta_of(th, S_), (S_, 1, M)) - A
        score = tidy(sp.diff(ell, th[J]))
        out["log_density_core"] = tidy(ell)
        out["score"] = score
        hess = resolve(sp.diff(score, th[L]).doit())
        hess = pull(hess)
        out["hessian"] = split(hess, "hessian")

        def at_mean(expr, k=None):
            # T replaced by its expectation: t_k -> μ_k(θ)
            return _substitute(expr, t, lambda k: mean.subs(J, k))

        fisher = tidy(-at_mean(hess))
        out["fisher"] = split(fisher, "fisher")
        nat = tidy(sp.diff(mu_eta, self.eta[L]))
        if self.pz is not None:
            nat = tidy(_substitute(nat, self.eta, lambda k: self.eta_of(th, k)))
        else:
            nat = _substitute(nat, self.eta, lambda k: th[k])
        out["natural_fisher"] = split(nat, "natural_fisher")
        out["jacobian"] = split(tidy(sp.diff(eta_j, th[L])), "jacobian")
        # entropy = A − ⟨η, μ⟩ − E[log h]
        elh = self.fam.expected_log_base_measure(sp, lambda k: mean.subs(J, k), J, S_, M,
                                                 **self.fx)
        entropy = A - sp.Sum(self.eta_of(th, S_) * mean.subs(J, S_), (S_, 1, M))
        if self.fam.pull_entropy:
            # ⟨η, μ⟩ = Σ η_s·2Φ′(‖η‖²)η_s with the factor free of s pulled out, so that it
            # cancels against the same term of A symbolically (von Mises–Fisher)
            entropy = sp.expand(pull(entropy))
        out["entropy"] = (entropy, elh)
        # KL(θ ‖ θq): the Bregman form A(θq) − A(θ) − ⟨μ(θ), η(θq) − η(θ)⟩
        kl = (self.A_theta(thq) - A - sp.Sum(mean.subs(J, S_) * (self.eta_of(thq, S_)
                                                                  - self.eta_of(th, S_)),
                                             (S_, 1, M)))
        out["kl_terms"] = [self.A_theta(thq), -A,
                           -sp.Sum(mean.subs(J, S_) * (self.eta_of(thq, S_)
                                                       - self.eta_of(th, S_)), (S_, 1, M))]
        if self.fam.pull_entropy:
            # A(θq), −(A − ⟨η, μ⟩) and −⟨μ, η_q⟩, the same sum: ⟨η, μ⟩ cancels against A inside
            # the entropy's form, where −A and ⟨μ, η − η_q⟩ would each carry it (terms of size
            # κ for a KL of size κ_q: the von Mises–Fisher from a concentrated to a flat law)
            out["kl_terms"] = [self.A_theta(thq), -entropy,
                               -sp.Sum(mean.subs(J, S_) * self.eta_of(thq, S_), (S_, 1, M))]
        del kl
        # ∂³A in natural coordinates
        skew = tidy(sp.diff(nat if self.pz is None else tidy(sp.diff(mu_eta, self.eta[L])),
                            (th if self.pz is None else self.eta)[R]))
        if self.pz is not None:
            skew = tidy(_substitute(skew, self.eta, lambda k: self.eta_of(th, k)))
        out["skewness"] = sp.expand(skew)
        if self.fam.natural_from_mean is not None:
            mu = sp.IndexedBase("mu")
            out["natural_from_mean"] = (mu, self.fam.natural_from_mean(sp, mu, J, S_, M,
                                                                        **self.fx))
        if self.fam.fisher_rao is not None and self.fam.fisher_rao[0] == self.param:
            out["fisher_rao"] = self.fam.fisher_rao[1](sp, th, thq, S_, M, **self.fx)
        # the stability rewrite, and each rank-one matrix's capacitance in closed form
        final = {}
        for name, q in out.items():
            if isinstance(q, RankOne):
                final[name] = self._rank_one(q)
            elif name == "entropy":
                final[name] = (self.stabilize(q[0]), self.stabilize(q[1]))
            elif name == "kl_terms":
                final[name] = [pull(self.stabilize(e)) for e in q]
            elif name in ("natural_from_mean", "fisher_rao", "from_natural"):
                final[name] = q
            else:
                final[name] = self.stabilize(q)
        return IndexedDerivation(self.fam, self.param, th, thq, self.x,
                                 tuple(self.fx.values()), final)

    def _rank_one(self, q: RankOne) -> RankOne:
        diag, u, c = self.stabilize(q.diag), self.stabilize(q.u), self.stabilize(q.c)
        if c == 0:
            return RankOne(diag, u, c, None)
        # formed before the rewrite, which then sees Σ e^{η_s} (the categorical's is p_ref)
        cap = 1 + q.c * sp.Sum(q.u.subs(J, S_) ** 2 / q.diag.subs(J, S_), (S_, 1, M))
        cap = self.stabilize(sp.simplify(pull(sp.powsimp(cap.doit()))))
        exact = None
        if self.fam.gamma_sums:
            full = sp.simplify(q.diag + q.c * q.u ** 2)
            total = sp.Sum(self.theta[S_], (S_, 1, M))
            rest = sp.polygamma(1, self.theta[J]) - sp.polygamma(1, total)
            # the Fisher's diagonal, or minus it (the observed Hessian's)
            sign = 1 if sp.simplify(full - rest) == 0 else -1
            if sp.simplify(full - sign * rest) != 0:
                raise SpecError(f"{self.fam.name}: the diagonal is not ±(ψ′(θ_j) − ψ′(Σθ)): "
                                f"{full}")
            exact = sign * TRIGAMMA_REST[J]
        if self.fam.softmax and self.pz is None:
            # d_j + c u_j² = p_j − p_j² (times n): the factor 1 − p_j, formed as a difference,
            # loses every digit when class j dominates
            ratio = sp.powsimp(sp.expand(sp.simplify((diag + c * u ** 2) / diag)),
                               combine="exp")
            one_minus = 1 - PROBS[J]
            if sp.simplify(ratio - one_minus) != 0:
                raise SpecError(f"{self.fam.name}: the diagonal is not d_j (1 − p_j): {ratio}")
            exact = diag * COSOFTMAX[J]
        return RankOne(diag, u, c, cap, exact)


@functools.cache
def derive(fam: IndexedFamily, param: str) -> IndexedDerivation:
    """Every quantity of ``fam`` in parametrization ``param``, for symbolic m (cached)."""
    return _Deriver(fam, param).derive()


__all__ = ["IndexedDerivation", "RankOne", "derive", "pull", "resolve", "split", "tidy",
           "M", "J", "L", "R", "S_", "LSE", "LSE_Q", "COSOFTMAX",
           "PROBS", "PROBS_Q", "P_REF", "P_REF_Q", "DIGAMMA_REST", "DIGAMMA_REST_Q",
           "TRIGAMMA_REST", "LOG_MULTIBETA", "LOG_MULTIBETA_Q"]
