"""The Wishart, inverse Wishart and normal-Wishart families derived once, for symbolic d.

Each family is declared here in matrix form, from three things only:

- its log-partition A in natural blocks (symmetric matrices, vectors, scalars):

  - Wishart, blocks (P, e) with P = V⁻¹ and e = (n − d − 1)/2, a = n/2 = e + (d + 1)/2:
    A = −a log det P + a d log 2 + log Γ_d(a);
  - inverse Wishart, blocks (Ψ, e), e = −(ν + d + 1)/2, a = ν/2 = −e − (d + 1)/2: the same A in
    (Ψ, a);
  - normal-Wishart, blocks (h, e_κ, M, e) with κ = −2e_κ, a = ν/2 = e + d/2 and
    E = M − hhᵀ/κ = W⁻¹: A = −(d/2) log κ − a log det E + a d log 2 + log Γ_d(a);

- the pairing ⟨η, T⟩ of the natural blocks with the statistic's blocks (a matrix block P pairs
  as −½ tr(P X), the convention of the catalog's η entries −½P_ii, −P_ij), and log h;
- each parametrization's map θ ↦ natural blocks (V ↦ V⁻¹, (μ₀, κ, W) ↦ (κμ₀, −κ/2,
  W⁻¹ + κμ₀μ₀ᵀ), …).

Everything else is derived by :mod:`fisherlab.symbolic.matrix_calculus` (traces, Jacobi's
formula for log det, the inverse rule d(E⁻¹) = −E⁻¹dE E⁻¹, scalar derivatives of the
coefficients) and by :mod:`fisherlab.symbolic.multigamma` (log Γ_d and ψ_d^(n) for symbolic d):

- the mean E[T] = ∇A read through the pairing, at each parametrization's point;
- log p(x) = log h + ⟨η(θ), T⟩ − A(η(θ)) with the statistic's blocks as symbols, its gradient
  (the score) and its second derivative applied to a direction (the observed Hessian);
- the Fisher information in θ applied to a direction: minus the observed Hessian with the
  statistic's blocks replaced by their means (log p is linear in them, so this is exactly
  E[−∇² log p]);
- ∇²A and ∇³A applied to natural directions, at each parametrization's point;
- the entropy A − ⟨η, E[T]⟩ − log h; the derivative of θ ↦ η (the Jacobian applied).

The normal-Wishart's natural parametrization is derived with E⁻¹ = W as a placeholder (the
kernels factor E once), so no inverse of a difference is ever printed; its other
parametrization carries W itself and never forms M − hhᵀ/κ.

:func:`derive_all` returns, per family, the :class:`~fisherlab.symbolic.mvn_structured.Printed`
functions that :mod:`fisherlab.compile.matrix_printer` turns into
``fisherlab/kernels/<family>.py``; :mod:`fisherlab.kernels._wishart_runtime` assembles them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from .matrix_calculus import MatrixCalculus
from .multigamma import LogMultigamma
from .mvn_structured import Printed

__all__ = ["MatrixForm", "derive_all", "FAMILIES"]

#: Block kinds: a symmetric matrix stored by its plain lower triangle (``sym``), one stored as
#: the natural entries −½P_ii, −P_ij (``natsym``), a column vector (``vec``), a scalar.
SYM, NATSYM, VEC, SCALAR = "sym", "natsym", "vec", "scalar"


@dataclass
class MatrixForm:
    """One family in matrix form: blocks, A, pairing, parametrizations (see the module)."""

    name: str
    mc: MatrixCalculus
    natural: list  # (symbol, kind, code name)
    log_partition: object
    stats: list  # (symbol, kind, code name)
    pairing_coeffs: list  # per natural block: the constant c with ⟨η_b, T_b⟩ = c·tr(η_b T_b)
    log_h: object
    placeholders: dict  # natural pz: placeholder symbol -> code name
    parametrizations: dict = field(default_factory=dict)
    # pz -> (params [(symbol, kind, code)], substitutions {natural symbol or placeholder: expr},
    #        placeholders {symbol: code})


def _inner(mc, a, b):
    if isinstance(a, sp.MatrixExpr):
        return mc.inner(a, b)
    return a * b


def _d(mc, f, x):
    """∂f/∂x for a scalar f in the normal form: a matrix for a matrix x, a scalar for a scalar."""
    if isinstance(x, sp.MatrixExpr):
        return mc.grad(f, x)
    return mc.diff(f, x)


def _dir(mc, f, x, u):
    """The derivative of the scalar f along u in block x."""
    if isinstance(x, sp.MatrixExpr):
        return mc.directional(f, x, u)
    return mc.diff(f, x) * u


def _finish(mc, e):
    if isinstance(e, sp.MatrixExpr):
        return mc.simp(e)
    return mc.normal(e)


def _fresh(mc, kind, name):
    if kind in (SYM, NATSYM):
        return mc.matrix(name, symmetric=True)
    if kind == VEC:
        return mc.vector(name)
    return sp.Symbol(name, real=True)


def pairing(form, nat_values, stat_values):
    """⟨η, T⟩ for natural block values and statistic block values."""
    mc = form.mc
    total = sp.Integer(0)
    for c, eta, t in zip(form.pairing_coeffs, nat_values, stat_values):
        total += c * _inner(mc, eta, t)
    return mc.normal(total)


def _at(form, pz, e):
    """A natural-side expression at parametrization pz's point."""
    mc = form.mc
    _, reps, _ = form.parametrizations[pz]
    if not reps:
        return _finish(mc, e)
    return _finish(mc, mc.subs(e, reps))


def derive(form: MatrixForm) -> list[Printed]:
    """Every printed function of one family."""
    mc, d = form.mc, form.mc.d
    out: list[Printed] = []
    nat_syms = [s for s, _, _ in form.natural]
    A = form.log_partition
    # E[T] block by block: ∂A/∂η_b = c_b E[T_b] (the pairing's constant)
    means = [_finish(mc, _d(mc, A, s) / c) for s, c in zip(nat_syms, form.pairing_coeffs)]
    # ∇²A and ∇³A applied to natural directions
    v = [_fresh(mc, k, f"v_{code}") for _, k, code in form.natural]
    w = [_fresh(mc, k, f"w_{code}") for _, k, code in form.natural]
    first = mc.normal(sum((_dir(mc, A, s, vs) for s, vs in zip(nat_syms, v)), sp.Integer(0)))
    fisher_nat = [_finish(mc, _d(mc, first, s)) for s in nat_syms]
    second = mc.normal(sum((_inner(mc, f, ws) for f, ws in zip(fisher_nat, w)), sp.Integer(0)))
    skew_nat = [_finish(mc, _d(mc, second, s)) for s in nat_syms]
    stat_syms = [s for s, _, _ in form.stats]
    stat_args = [(s, code) for s, _, code in form.stats]
    nat_dirs = [(s, f"v{i}") for i, s in enumerate(v)]
    nat_dirs2 = [(s, f"w{i}") for i, s in enumerate(w)]
    for pz, (params, reps, holders) in form.parametrizations.items():
        state = [(s, code) for s, _, code in params] + list(holders.items()) + [(d, "d")]

        def at(e, pz=pz):
            return _at(form, pz, e)

        nat_at = [at(s) for s in nat_syms]
        A_at = at(A)
        logp = mc.normal(form.log_h + pairing(form, nat_at, stat_syms) - A_at)
        psyms = [s for s, _, _ in params]
        u = [_fresh(mc, k, f"u_{code}") for _, k, code in params]
        dirs = [(s, f"u{i}") for i, s in enumerate(u)]
        mean_at = [at(m) for m in means]
        out.append(Printed(f"{pz}_log_partition", state, [A_at], "A at θ"))
        out.append(Printed(f"{pz}_mean", state, mean_at, "E[T] block by block at θ"))
        out.append(Printed(f"{pz}_log_density", state + stat_args, [logp],
                           "log p(x) from the statistic's blocks"))
        score = [_finish(mc, _d(mc, logp, s)) for s in psyms]
        out.append(Printed(f"{pz}_score", state + stat_args, score,
                           "∇_θ log p(x), block by block (symmetric gradients for matrices)"))
        first_p = mc.normal(sum((_dir(mc, logp, s, us) for s, us in zip(psyms, u)),
                                sp.Integer(0)))
        hess = [_finish(mc, _d(mc, first_p, s)) for s in psyms]
        out.append(Printed(f"{pz}_hessian_apply", state + stat_args + dirs, hess,
                           "∇²_θ log p(x) applied to a direction of θ"))
        to_mean = dict(zip(stat_syms, mean_at))
        fisher = [_finish(mc, -(mc.subs(h, to_mean) if isinstance(h, sp.MatrixExpr)
                                else mc.subs(h, to_mean))) for h in hess]
        out.append(Printed(f"{pz}_fisher_apply", state + dirs, fisher,
                           "the Fisher information in θ applied to a direction: E[−∇² log p]"))
        out.append(Printed(f"{pz}_natural_fisher_apply", state + nat_dirs,
                           [at(f) for f in fisher_nat],
                           "∇²A at η(θ) applied to a natural direction"))
        out.append(Printed(f"{pz}_natural_skewness_apply", state + nat_dirs + nat_dirs2,
                           [at(f) for f in skew_nat],
                           "∇³A at η(θ) applied to two natural directions"))
        ent = mc.normal(A_at - pairing(form, nat_at, mean_at) - form.log_h)
        out.append(Printed(f"{pz}_entropy", state, [ent], "the entropy A − ⟨η, E[T]⟩ − log h"))
        # the Jacobian of θ ↦ η applied to a direction, block by block
        jv = []
        for e_b, (_, kind, code) in zip(nat_at, form.natural):
            if isinstance(e_b, sp.MatrixExpr):
                dual = _fresh(mc, kind, f"_dual_{code}")
                pair = _inner(mc, e_b, dual)
                t = mc.normal(sum((_dir(mc, pair, s, us) for s, us in zip(psyms, u)),
                                  sp.Integer(0)))
                jv.append(mc.grad(t, dual) if t != 0 else sp.ZeroMatrix(*e_b.shape))
            else:
                jv.append(mc.normal(sum((_dir(mc, e_b, s, us) for s, us in zip(psyms, u)),
                                        sp.Integer(0))))
        out.append(Printed(f"{pz}_jvp", state + dirs, jv,
                           "∂η/∂θ applied to a direction of θ, block by block"))
    return out


def _wishart_like(name: str) -> MatrixForm:
    """The Wishart (``wishart``) or inverse Wishart (``inverse_wishart``) in matrix form."""
    d = sp.Symbol("d", integer=True, positive=True)
    mc = MatrixCalculus(d)
    inv = name == "inverse_wishart"
    S = mc.matrix("Psi" if inv else "P", symmetric=True)  # Ψ, or P = V⁻¹
    e = sp.Symbol("e", real=True)
    half = sp.Rational(1, 2)
    a = -e - (d + 1) * half if inv else e + (d + 1) * half
    S_inv = mc.inverse(S, "Psi_inv" if inv else "V")
    ldS = mc.logdet(S)
    A = mc.normal(-a * ldS + a * d * sp.log(2) + LogMultigamma(a, d))
    X = mc.matrix("Y" if inv else "X", symmetric=True)  # the statistic: X⁻¹ or X
    lX = sp.Symbol("logdet_X", real=True)
    form = MatrixForm(
        name=name, mc=mc,
        natural=[(S, NATSYM, "S"), (e, SCALAR, "e")],
        log_partition=A,
        stats=[(X, SYM, "Y" if inv else "X"), (lX, SCALAR, "logdet_X")],
        pairing_coeffs=[-half, sp.Integer(1)],
        log_h=sp.Integer(0),
        placeholders={S_inv: "S_inv", ldS: "logdet_S"},
    )
    form.parametrizations["natural"] = ([(S, NATSYM, "S"), (e, SCALAR, "e")], {},
                                        {S_inv: "S_inv", ldS: "logdet_S"})
    n = sp.Symbol("n", positive=True)
    if inv:
        # df_scale: (ν, Ψ): e = −(ν + d + 1)/2, Ψ itself
        form.parametrizations["df_scale"] = (
            [(n, SCALAR, "n"), (S, SYM, "T")], {e: -(n + d + 1) * half},
            {S_inv: "T_inv", ldS: "logdet_T"})
        return form
    V = mc.matrix("Vs", symmetric=True)
    V_inv = mc.inverse(V, "Vs_inv")
    ldV = mc.logdet(V)
    e_of_n = (n - d - 1) * half
    form.parametrizations["df_scale"] = (
        [(n, SCALAR, "n"), (V, SYM, "T")], {S: V_inv, S_inv: V, e: e_of_n},
        {V_inv: "T_inv", ldV: "logdet_T"})
    form.parametrizations["df_precision"] = (
        [(n, SCALAR, "n"), (S, SYM, "T")], {e: e_of_n}, {S_inv: "T_inv", ldS: "logdet_T"})
    return form


def _normal_wishart() -> MatrixForm:
    d = sp.Symbol("d", integer=True, positive=True)
    mc = MatrixCalculus(d)
    half = sp.Rational(1, 2)
    h = mc.vector("h")
    ek = sp.Symbol("ek", negative=True)
    M = mc.matrix("M", symmetric=True)
    e = sp.Symbol("e", real=True)
    kappa = -2 * ek
    a = e + d * half
    E = M - h * h.T / kappa  # W⁻¹
    Wn = mc.inverse(E, "Wn")
    ldE = mc.logdet(E)
    A = mc.normal(-d * half * sp.log(kappa) - a * ldE + a * d * sp.log(2) + LogMultigamma(a, d))
    t1, q = mc.vector("t"), sp.Symbol("q", real=True)
    Lam, lL = mc.matrix("Lam", symmetric=True), sp.Symbol("logdet_Lam", real=True)
    form = MatrixForm(
        name="normal_wishart", mc=mc,
        natural=[(h, VEC, "h"), (ek, SCALAR, "ek"), (M, NATSYM, "M"), (e, SCALAR, "e")],
        log_partition=A,
        stats=[(t1, VEC, "t"), (q, SCALAR, "q"), (Lam, SYM, "Lam"), (lL, SCALAR, "logdet_Lam")],
        pairing_coeffs=[sp.Integer(1), sp.Integer(1), -half, sp.Integer(1)],
        log_h=-d * half * sp.log(2 * sp.pi),
        placeholders={Wn: "W", ldE: "logdet_Winv"},
    )
    form.parametrizations["natural"] = (
        [(h, VEC, "h"), (ek, SCALAR, "ek"), (M, NATSYM, "M"), (e, SCALAR, "e")], {},
        {Wn: "W", ldE: "logdet_Winv"})
    m0 = mc.vector("m0")
    k = sp.Symbol("k", positive=True)
    nu = sp.Symbol("nu", positive=True)
    W = mc.matrix("Ws", symmetric=True)
    W_inv = mc.inverse(W, "Ws_inv")
    ldW = mc.logdet(W)
    form.parametrizations["mu0_kappa_nu_scale"] = (
        [(m0, VEC, "m0"), (k, SCALAR, "k"), (nu, SCALAR, "nu"), (W, SYM, "T")],
        {h: k * m0, ek: -k * half, M: W_inv + k * m0 * m0.T, e: (nu - d) * half, Wn: W},
        {W_inv: "T_inv", ldW: "logdet_T"})
    return form


#: family -> its matrix form, built on first use.
FAMILIES = {"wishart": lambda: _wishart_like("wishart"),
            "inverse_wishart": lambda: _wishart_like("inverse_wishart"),
            "normal_wishart": _normal_wishart}


def derive_all(name: str) -> tuple[MatrixForm, list[Printed]]:
    """The matrix form of family ``name`` and its printed functions."""
    form = FAMILIES[name]()
    return form, derive(form)
