"""The KL divergence as a Bregman remainder written without first-order cancellation.

KL(p_θ ‖ p_θq) = R_A(η_p, δ), with R_f(x, d) = f(x + d) − f(x) − f′(x)·d the Bregman remainder
of the log-partition A and δ = η_q − η_p. Printed as A(η_q) − A(η_p) − ⟨∇A(η_p), δ⟩ its terms
are of the size of A while their sum is of the size of |δ|²: the sum keeps 16 − 2 log10(1/|δ|)
digits near coincidence. Here the remainder is built from rules that are exact identities and
whose terms are themselves of second order:

- linear functions have no remainder, and R is additive: R_{u+v} = R_u + R_v, R_{c·u} = c·R_u;
- products: R_{uv} = u·R_v + v·R_u + Δu·Δv;
- the perspective c·u²/v: R = c·(v + Δv)·(Δ(u/v))² + c·(2u/v)·R_u − c·(u/v)²·R_v, a square
  (the normal's −η₁²/(4η₂));
- composition: R_{f∘g}(η, δ) = R_f(g, Δg) + f′(g)·R_g(η, δ), with the leaves
  R_log(x, d) = −(e^L − 1 − L), L = Δlog x (:class:`Expm1MinusX`), and for an integer power
  R_{x^n}(x, d) = x^n·((1 + y)^n − 1 − n·y), the polynomial divided by y² exactly.

The first differences Δg = g(η_q) − g(η_p) are not formed by subtracting either: g(η(θ)) is
simplified in θ (the normal's η₁/η₂ is −2μ in every parametrization), then differenced by rules
in Δθ = θ_q − θ_p, which is exact in floating point when θ_q ≈ θ_p (Sterbenz):
Δ(uv) = Δu·v_q + u·Δv, Δ(u^n) = Δu·Σ_k u_q^k u^(n−1−k), Δ(1/u) = −Δu/(u·u_q),
Δlog u = log1p(Δu/u) near u_q = u and log(u_q/u) apart (:class:`LogRatio`),
Δe^u = e^u·expm1(Δu), Δ(m₂ − m₁²) = Δm₂ − Δm₁·(m₁ + m₁q).

A function or a shape the rules do not cover raises :class:`NoStableForm`, and so does a form
whose terms have mixed signs (the product rule's cross term, a concave piece of A): that
parametrization keeps the Bregman form and its refinement by quadrature.
"""

from __future__ import annotations

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from ..families.special.elementary import Expm1MinusX, LogRatio, MomentVariance
from .derive import Derivation, simplify


class NoStableForm(Exception):
    """The rules do not cover an expression of the log-partition or of η(θ)."""


class _Remainder:
    """The rules, for one parametrization: A and g(η) in η; differences in θ, θ_q and Δθ."""

    def __init__(self, d: Derivation):
        self.eta = list(d.natural)
        self.theta = list(d.params)
        self.theta_q = list(d.params_q)
        self.delta = [sp.Symbol(f"_d_{t.name}", real=True) for t in self.theta]
        self.eta_of_theta = dict(zip(self.eta, d.to_natural))
        self.to_q = dict(zip(self.theta, self.theta_q))
        self.to_delta = dict(zip(self.theta, self.delta))
        self._at: dict = {}

    # -- values and first differences of functions of η, through θ
    def at_p(self, g):
        """g(η(θ_p)), simplified in θ."""
        if g not in self._at:
            self._at[g] = simplify(g.xreplace(self.eta_of_theta))
        return self._at[g]

    def at_q(self, g):
        """g(η(θ_q))."""
        return self.at_p(g).xreplace(self.to_q)

    def diff(self, g):
        """g(η_q) − g(η_p), by the first-difference rules in θ."""
        return self._fd(self.at_p(g))

    def _fd(self, h):
        if not h.has(*self.theta):
            return sp.Integer(0)
        if h in self.to_delta:
            return self.to_delta[h]
        if h.is_Add:
            return sp.Add(*[self._fd(a) for a in h.args])
        if h.is_Mul:
            const = [a for a in h.args if not a.has(*self.theta)]
            if const:
                return sp.Mul(*const) * self._fd(sp.Mul(*[a for a in h.args if a.has(*self.theta)]))
            u, v = h.args[0], sp.Mul(*h.args[1:])
            return self._fd(u) * v.xreplace(self.to_q) + u * self._fd(v)
        if isinstance(h, sp.exp):
            return h * expm1(self._fd(h.args[0]))
        if isinstance(h, sp.log):
            # The arguments of A's logarithms are positive, and each factor keeps one sign over
            # the domain: log of a product is the sum of the logs of its factors' magnitudes,
            # whose differences are log(u_q/u) of one-signed u.
            split = sp.expand_log(h, force=True)
            if split != h:
                return self._fd(split)
            u = h.args[0]
            return LogRatio(self._fd(u), u, u.xreplace(self.to_q))
        if isinstance(h, MomentVariance):
            m1, m2 = h.args
            return self._fd(m2) - self._fd(m1) * (m1 + m1.xreplace(self.to_q))
        if h.is_Pow:
            u, n = h.args
            if n.has(*self.theta):
                raise NoStableForm(f"power with a varying exponent: {h}")
            uq, du = u.xreplace(self.to_q), self._fd(u)
            if n.is_Integer and n > 0:
                return du * sp.Add(*[uq**k * u**(n - 1 - k) for k in range(int(n))])
            if n.is_Integer and n < 0:
                m = -n
                return -self._fd(u**m) / (u**m * uq**m)
            if n == sp.Rational(1, 2):
                return du / (sp.sqrt(u) + sp.sqrt(uq))
            return h * expm1(n * log1p(du / u))
        raise NoStableForm(f"no first-difference rule for {h.func}: {h}")

    # -- the remainder of a function of η
    def remainder(self, f):
        """R_f(η_p, δ) in θ, θ_q and Δθ."""
        if not f.has(*self.eta):
            return sp.Integer(0)
        if all(sp.diff(f, a, b) == 0 for a in self.eta for b in self.eta):
            return sp.Integer(0)  # affine in η
        if f.is_Add:
            return sp.Add(*[self.remainder(a) for a in f.args])
        if f.is_Mul:
            const = [a for a in f.args if not a.has(*self.eta)]
            if const:
                rest = sp.Mul(*[a for a in f.args if a.has(*self.eta)])
                return sp.Mul(*const) * self.remainder(rest)
            persp = self._perspective(f)
            if persp is not None:
                return persp
            u, v = f.args[0], sp.Mul(*f.args[1:])
            return (self.at_p(u) * self.remainder(v) + self.at_p(v) * self.remainder(u)
                    + self.diff(u) * self.diff(v))
        if isinstance(f, sp.log):
            # R_log(x, d) = log(1 + y) − y with y = d/x; in L = Δlog x = log(1 + y) that is
            # −(e^L − 1 − L), exact both near coincidence and where y ≈ −1.
            g = f.args[0]
            return -Expm1MinusX(self.diff(f)) + self.remainder(g) / self.at_p(g)
        if f.is_Pow:
            g, n = f.args
            if not n.is_Integer:
                raise NoStableForm(f"no remainder rule for the power {f}")
            gp = self.at_p(g)
            y = self.diff(g) / gp
            t = sp.Dummy("y")
            poly = sp.cancel(((1 + t)**n - 1 - n * t) / t**2)
            leaf = gp**n * y**2 * poly.xreplace({t: y})
            return leaf + n * gp**(n - 1) * self.remainder(g)
        raise NoStableForm(f"no remainder rule for {f.func}: {f}")

    def _perspective(self, f):
        """c·u²/v's remainder, (v + Δv)·(Δ(u/v))² + (2u/v)·R_u − (u/v)²·R_v, or None."""
        if len(f.args) != 2:
            return None
        sq = [a for a in f.args if a.is_Pow and a.exp == 2]
        inv = [a for a in f.args if a.is_Pow and a.exp == -1]
        if len(sq) != 1 or len(inv) != 1:
            return None
        u, v = sq[0].base, inv[0].base
        r = u / v
        rp = self.at_p(r)
        return (self.at_q(v) * self.diff(r)**2 + 2 * rp * self.remainder(u)
                - rp**2 * self.remainder(v))


def stable_kl(d: Derivation):
    """The KL of ``d`` as R_A(η_p, δ) by the rules of this module.

    Returns
    -------
    (expr, deltas) : (sympy expression, list of (Symbol, Symbol, Symbol))
        The KL in the symbols θ, θ_q and Δθ, and for each Δθ_i the triple (Δθ_i, θ_i, θq_i):
        the kernel computes Δθ_i = θq_i − θ_i first.

    Raises
    ------
    NoStableForm
        Where a rule is missing, where the form disagrees with the Bregman KL of
        :attr:`Derivation.kl` at 50 digits (a guard against a rule or a simplification that
        silently lost a term), or where its terms have mixed signs (see
        :func:`check_against_bregman`).
    """
    if d.fixed:
        # Not yet: the check below would need values for them (binomial n, Weibull k).
        raise NoStableForm("a family with fixed parameters")
    rules = _Remainder(d)
    expr = rules.remainder(d.nat.log_partition)
    if expr == 0:
        raise NoStableForm("the remainder came out 0")
    check_against_bregman(d, expr)
    return expr, list(zip(rules.delta, rules.theta, rules.theta_q))


def check_against_bregman(d: Derivation, expr) -> None:
    """Raise :class:`NoStableForm` unless ``expr`` (in θ, θ_q and Δθ, as :func:`stable_kl`
    returns it) is the Bregman KL of ``d`` to 1e-30 relative at 50 digits, on three pairs of
    seeded points inside the test ranges and the joint constraint, apart (where the Bregman
    form is accurate at that precision), and unless each of its terms is ≥ 0 there and at the
    same pairs brought close (a sum of non-negative terms, each formed to a few ulps, cannot
    cancel)."""
    import numpy as np

    rules = _Remainder(d)
    pz = d.parametrization
    rng = np.random.default_rng(20261205)
    unit = rng.random((256, 2, len(pz.params)))
    cols = []
    for i, q in enumerate(pz.params):
        lo, hi = q.test_range
        u = unit[..., i]
        # Log-spaced over a positive range of wide span, as the test ranges are sampled.
        cols.append(lo * (hi / lo) ** u if lo > 0 and hi / lo > 100 else lo + (hi - lo) * u)
    pts = np.stack(cols, -1)
    pairs = pts[pz.inside(pts[:, 0]) & pz.inside(pts[:, 1])][:3]
    if len(pairs) < 3:
        raise NoStableForm(f"fewer than three valid test points to check {d!r} on")
    # The same pairs brought within 1e-3 of each other, for the sign test of the terms.
    near = pairs.copy()
    near[:, 1] = pairs[:, 0] + 1e-3 * (pairs[:, 1] - pairs[:, 0])
    terms = _summands(expr)
    for k, (p, q) in enumerate(np.concatenate([pairs, near])):
        point = {s: sp.Float(float(v), 50) for s, v in zip(rules.theta, p)}
        point.update({s: sp.Float(float(v), 50) for s, v in zip(rules.theta_q, q)})
        sub = {t: point[tq] - point[tp] for t, tp, tq in
               zip(rules.delta, rules.theta, rules.theta_q)}
        values = [_explicit(t.xreplace(sub).xreplace(point)).evalf(50) for t in terms]
        if not all(v.is_real for v in values):
            raise NoStableForm(f"a term of the stable form is not real at {point} ({d!r})")
        if any(v < 0 for v in values):
            # A sum of terms of mixed sign cancels where they are large next to the KL (the
            # half-normal's two remainders, far apart): the Bregman form and its refinement
            # stay.
            raise NoStableForm(f"terms of mixed sign at {point} ({d!r})")
        if k >= len(pairs):
            continue  # near pairs: signs only (the Bregman form at 50 digits has lost digits)
        want = d.kl.xreplace(point).evalf(50)
        got = sp.Add(*values)
        if not want.is_real or abs(got - want) > 1e-30 * abs(want):
            raise NoStableForm(f"the stable form gives {got} against the Bregman KL {want} "
                               f"at {point} ({d!r}, pair {k})")


def _explicit(expr):
    """``expr`` with the opaque functions of the remainders written out (for evalf)."""
    return expr.replace(lambda e: isinstance(e, (Expm1MinusX, LogRatio)),
                        lambda e: e.explicit()).rewrite(sp.log)


def _summands(expr) -> list:
    """The terms of ``expr``, a constant factor distributed over a sum."""
    if expr.is_Mul:
        const = [a for a in expr.args if a.is_number]
        sums = [a for a in expr.args if a.is_Add]
        if len(sums) == 1 and len(const) + 1 == len(expr.args):
            return [t for a in sums[0].args for t in _summands(sp.Mul(*const) * a)]
    if expr.is_Add:
        return [t for a in expr.args for t in _summands(a)]
    return [expr]
