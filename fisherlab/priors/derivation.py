"""The map from a likelihood to its conjugate prior family, derived from the two declarations.

For a pair (see :mod:`.pairs`), the prior π(ψ | χ, ν) ∝ exp(⟨ψ, χ⟩ − ⟨ν, a(ψ)⟩) dψ, written as a
density of the prior family's observation y = y(ψ), is

    exp(⟨ψ, χ⟩ − ⟨ν, a(ψ)⟩) |det ∂ψ/∂y|.

It is the prior family at natural parameters η_p exactly when

    f(ψ) = ⟨η_p, T_p(y(ψ))⟩ + log h_p(y(ψ)) + log |det ∂y/∂ψ| − ⟨ψ, χ⟩ + ⟨ν, a(ψ)⟩

does not depend on ψ (T_p and h_p are the prior family's declared statistics and base measure).
Every ∂f/∂ψ_i is linear in η_p: :func:`derive_affine` solves those equations at seeded points ψ
for (χ, ν) = 0 and each unit vector, which gives b and the columns of B in η_p = B (χ, ν) + b,
as exact rationals; :func:`conjugacy_residuals` substitutes a map and simplifies each ∂f/∂ψ_i
symbolically (zero when the map is right); :func:`numeric_residuals` evaluates them at points,
and also ∂f/∂(χ, ν) = Bᵀ T_p(y(ψ)) − (ψ, −a(ψ)), which must vanish too so that the prior's
normalizer is the prior family's log-partition up to a constant that cancels.

This module imports sympy; the runtime (:mod:`.prior`) uses the declared maps and needs none.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def _symbols(params):
    import sympy as sp

    return [sp.Symbol(p.name, **p.domain.assumptions) for p in params]


def _exp_symbols(sp, psi) -> dict:
    """e^ψ_i -> a positive symbol: the softmax's derivatives become rational functions."""
    return {sp.exp(v): sp.Symbol(f"exp_{v.name}", positive=True) for v in psi}


def _tidy(sp, psi, expr):
    """``expr`` as one factored rational function of ψ and e^ψ (sympy leaves the determinant of
    the softmax's Jacobian as a sum of products of fractions)."""
    exps = _exp_symbols(sp, psi)
    back = {u: e for e, u in exps.items()}
    return sp.factor(sp.cancel(sp.together(sp.sympify(expr).subs(exps)))).subs(back)


def _setup(pair, likelihood_spec, prior_spec):
    """ψ symbols, the gradient pieces of f: G (d × q) with ∂⟨η_p, T_p⟩/∂ψ_i = Σ_j G_ij η_pj,
    r (d,) = ∂(log h_p + log |det ∂y/∂ψ|)/∂ψ, S (d × c) = ∂a_c/∂ψ_i."""
    import sympy as sp

    params = pair.psi_params(likelihood_spec)
    psi = _symbols(params)
    y = pair.variable(sp, *psi)
    x = y if prior_spec.support.size else y[0]
    T = prior_spec.statistics(sp, x)
    log_h = prior_spec.log_base_measure(sp, x)
    det = _tidy(sp, psi, sp.Matrix(y[:len(psi)]).jacobian(psi).det())
    # ½ log det² = log |det|, whose derivative det'/det needs no sign.
    g = sp.sympify(log_h) + sp.log(det**2) / 2
    parts = pair.parts(sp, *psi)
    G = sp.Matrix([[_tidy(sp, psi, sp.diff(t, v)) for t in T] for v in psi])
    r = sp.Matrix([_tidy(sp, psi, sp.diff(g, v)) for v in psi])
    S = sp.Matrix([[_tidy(sp, psi, sp.diff(a, v)) for a in parts] for v in psi])
    return params, psi, G, r, S


def _values(pair, likelihood_spec, prior_spec):
    """ψ symbols, T_p(y(ψ)) and the parts a(ψ) (for the constant of f)."""
    import sympy as sp

    psi = _symbols(pair.psi_params(likelihood_spec))
    y = pair.variable(sp, *psi)
    T = prior_spec.statistics(sp, y if prior_spec.support.size else y[0])
    return psi, T, pair.parts(sp, *psi)


def derive_affine(pair, likelihood_spec, prior_spec, n_points: int = 12, seed: int = 0):
    """(B, b) of η_p = B (χ, ν) + b derived from the declarations: exact rationals (lists).

    Raises ValueError when the equations have no consistent solution (the prior family does
    not fit the likelihood, or the pair's variable is wrong).
    """
    import sympy as sp

    params, psi, G, r, S = _setup(pair, likelihood_spec, prior_spec)
    d, q, c = G.shape[0], G.shape[1], S.shape[1]
    fG, fr, fS = (sp.lambdify(psi, M, "mpmath") for M in (G, r, S))
    rng = np.random.default_rng(seed)
    pts = []
    for p in params:
        lo, hi = p.test_range
        pts.append(rng.uniform(lo, hi, n_points))
    rows_G, rows_r, rows_S = [], [], []
    for k in range(n_points):
        at = [float(col[k]) for col in pts]
        rows_G.append(np.array(fG(*at).tolist(), dtype=float))
        rows_r.append(np.array(fr(*at).tolist(), dtype=float).ravel())
        rows_S.append(np.array(fS(*at).tolist(), dtype=float))
    Gs, rs, Ss = np.vstack(rows_G), np.concatenate(rows_r), np.vstack(rows_S)
    # G η_p = χ − S ν − r at every point; (χ, ν) = z.
    cols = []
    for z in [np.zeros(d + c)] + list(np.eye(d + c)):
        chi, nu = z[:d], z[d:]
        rhs = np.tile(chi, n_points) - Ss @ nu - rs
        sol, *_ = np.linalg.lstsq(Gs, rhs, rcond=None)
        if np.max(np.abs(Gs @ sol - rhs)) > 1e-8 * max(1.0, np.max(np.abs(rhs))):
            raise ValueError(f"{pair.likelihood} -> {pair.prior}: no affine map makes the "
                             "prior family conjugate")
        cols.append(sol)
    b = cols[0]
    B = np.column_stack([col - b for col in cols[1:]])
    rat = np.vectorize(lambda v: Fraction(float(v)).limit_denominator(1000))
    if B.shape != (q, d + c):
        raise ValueError("the map is not square")
    return rat(B).tolist(), rat(b).tolist()


def conjugacy_residuals(pair, likelihood_spec, prior_spec, B, b) -> list:
    """∂f/∂ψ_i, simplified by sympy, with η_p = B (χ, ν) + b and (χ, ν) symbols: all zero
    exactly when the map makes the prior family conjugate."""
    import sympy as sp

    params, psi, G, r, S = _setup(pair, likelihood_spec, prior_spec)
    d, c = G.shape[0], S.shape[1]
    chi = sp.symbols(f"chi1:{d + 1}", real=True)
    nu = sp.symbols(f"nu1:{c + 1}", real=True)
    z = sp.Matrix([*chi, *nu])
    eta = sp.Matrix(B).applyfunc(sp.nsimplify) * z + sp.Matrix(b).applyfunc(sp.nsimplify)
    grad = G * eta + r - sp.Matrix(chi) + S * sp.Matrix(nu)
    # Each derivative is a rational function of ψ and of e^ψ: naming e^ψ_i as a positive symbol
    # lets cancel() decide it (simplify() takes minutes on the softmax's Jacobian).
    exps = _exp_symbols(sp, psi)
    return [sp.cancel(sp.together(g.subs(exps))) for g in grad]


def _at_40_digits(f):
    """``f`` evaluated in mpmath at 40 digits, its value rounded to a float array."""
    import mpmath

    def at(*args):
        with mpmath.workdps(40):
            v = f(*[mpmath.mpf(float(a)) for a in args])
            if isinstance(v, mpmath.matrix):
                v = v.tolist()
            return np.array(v, dtype=float)
    return at


def numeric_residuals(pair, likelihood_spec, prior_spec, B, b, n_points: int = 8,
                      seed: int = 1) -> float:
    """The largest |∂f/∂ψ_i| and |Bᵀ T_p(y(ψ)) − (ψ, −a(ψ))| over seeded points ψ and random
    (χ, ν), relative to the size of their terms: near 0 when the map is right.

    The second is ∂f/∂(χ, ν): f's constant must not depend on the hyperparameters, or
    Z(χ, ν) would differ from A_prior(B (χ, ν) + b) by more than a constant (a part a_c off by
    a constant passes the ψ-derivatives, not this)."""
    import sympy as sp

    params, psi, G, r, S = _setup(pair, likelihood_spec, prior_spec)
    _, T, parts = _values(pair, likelihood_spec, prior_spec)
    d, c = G.shape[0], S.shape[1]
    # evaluated at 40 digits, then rounded: in floats the declaration's own forms cancel at the
    # ends of its test range (log(1 − σ(η)) at the Bernoulli's η = 30 kept 7 digits)
    fG, fr, fS = (_at_40_digits(sp.lambdify(psi, M, "mpmath")) for M in (G, r, S))
    fT, fa = (_at_40_digits(sp.lambdify(psi, M, "mpmath")) for M in (T, parts))
    rng = np.random.default_rng(seed)
    B, b = np.asarray(B, dtype=float), np.asarray(b, dtype=float)
    worst = 0.0
    for _ in range(n_points):
        at = [rng.uniform(*p.test_range) for p in params]
        z = rng.uniform(0.5, 3.0, d + c)
        eta = B @ z + b
        Gv, rv, Sv = (np.array(f(*at), dtype=float) for f in (fG, fr, fS))
        terms = [Gv @ eta, rv.ravel(), z[:d], Sv @ z[d:]]
        grad = terms[0] + terms[1] - terms[2] + terms[3]
        size = max(np.max(np.abs(t)) for t in terms)
        worst = max(worst, float(np.max(np.abs(grad)) / max(size, 1.0)))
        Tv, target = np.array(fT(*at), dtype=float), np.concatenate([at, -np.array(fa(*at))])
        size = max(float(np.max(np.abs(B.T @ Tv))), float(np.max(np.abs(target))), 1.0)
        worst = max(worst, float(np.max(np.abs(B.T @ Tv - target))) / size)
    return worst


__all__ = ["derive_affine", "conjugacy_residuals", "numeric_residuals"]
