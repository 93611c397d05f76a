"""The multivariate normal derived once, for symbolic dimension d, in matrix form.

The declaration is the log-partition in natural coordinates (h, Λ), with the pairing
⟨(h, Λ), (t, M)⟩ = hᵀt + tr(ΛM) and the statistic T(x) = (x, −½xxᵀ):

    A(h, Λ) = ½ hᵀΛ⁻¹h − ½ log det Λ,        log base measure −(d/2) log 2π.

Everything else is derived from it by :mod:`fisherlab.symbolic.matrix_calculus` (gradients of
traces, Jacobi's formula for log det) and kept as matrix expressions of d × d and d × 1 symbols:

- the mean ∇A, the Fisher information ∇²A and the skewness ∇³A as operators (a direction in,
  a dual out), never as p × p arrays;
- the inverse Fisher information as the Hessian of the convex conjugate
  A*(m, P) = −½ log det(−2P − mmᵀ) (+ const) at the mean (m, P) = ∇A;
- the KL divergence as the Bregman divergence of A, the entropy A − ⟨η, ∇A⟩ − E log h;
- each parametrization θ ↦ (μ, Σ) (the "base" coordinates, ``mean_cov``) with its first and
  second derivatives, so the Fisher information in θ is Jᵀ B J with B the block-diagonal base
  Fisher information Σ⁻¹ ⊕ ½ Σ⁻¹ ⊗ Σ⁻¹.

Numerical rewrites, each exact: quantities that hold μ only through differences (log-density,
score, observed Hessian, KL) are derived at the translated point, x = μ + r (and μ_p = 0, μ_q = δ
for the KL), so that |μ| up to 1e3 does not cancel digits; inverses stand for Cholesky-based
solves in the printed code (Σ = Λ⁻¹ computed once per call).

:func:`derive_mvn` returns the list of :class:`Printed` functions that
:mod:`fisherlab.compile.matrix_printer` turns into the module
``fisherlab/kernels/multivariate_normal.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .matrix_calculus import MatrixCalculus


@dataclass
class Printed:
    """One function to print: ``name(*args) -> outputs``.

    ``args`` are (sympy symbol or expression, code name) pairs: every ``Inverse`` and log-det
    placeholder in the outputs must be among them. ``outputs`` are matrix expressions (or
    scalars); ``doc`` is the docstring's first line.
    """

    name: str
    args: list
    outputs: list
    doc: str


def derive_mvn() -> list[Printed]:
    """Every matrix-form quantity of the multivariate normal, for symbolic d."""
    d = sp.Symbol("d", integer=True, positive=True)
    mc = MatrixCalculus(d)
    out: list[Printed] = []

    # -- natural coordinates (h, Λ); Σ = Λ⁻¹
    h, L = mc.vector("h"), mc.matrix("Lam", symmetric=True)
    S = sp.Inverse(L)
    ldL = mc.logdet(L)
    A0 = mc.trace(h.T * S * h) / 2 - ldL / 2
    mean_h, mean_L = mc.grad(A0, h), mc.grad(A0, L)
    v, V = mc.vector("v"), mc.matrix("V", symmetric=True)
    u, U = mc.vector("u"), mc.matrix("U", symmetric=True)
    g, G = mc.vector("g"), mc.matrix("G", symmetric=True)

    def apply2(f, xs, dirs):
        """The second derivative of f applied to ``dirs``: ∇ of ⟨∇f, dirs⟩, one dual per x."""
        first = sum((mc.inner(mc.grad(f, x), w) for x, w in zip(xs, dirs)), sp.Integer(0))
        return [mc.grad(first, x) for x in xs]

    nat = [(h, "h"), (S, "Sig")]
    out.append(Printed("natural_log_partition", nat + [(ldL, "logdet_lam")], [A0],
                       "A(h, Λ) = ½ hᵀΣh − ½ log det Λ"))
    out.append(Printed("natural_mean", nat, [mean_h, mean_L], "∇A = (∂A/∂h, ∂A/∂Λ)"))
    fisher_nat = apply2(A0, [h, L], [v, V])
    out.append(Printed("natural_fisher_apply", nat + [(v, "v"), (V, "V")], fisher_nat,
                       "∇²A applied to a direction (v, V): a dual (∂/∂h, ∂/∂Λ)"))
    third = mc.inner(fisher_nat[0], u) + mc.inner(fisher_nat[1], U)
    out.append(Printed("natural_skewness_apply", nat + [(v, "v"), (V, "V"), (u, "u"), (U, "U")],
                       [mc.grad(third, x) for x in (h, L)],
                       "∇³A applied to two directions (v, V), (u, U): a dual"))

    # the inverse Fisher information: the Hessian of the conjugate A*(m, P) = −½ log det(−2P −
    # mmᵀ) + const at the mean (m, P) = ∇A, where −2P − mmᵀ = Σ
    m, P = mc.vector("m"), mc.matrix("P", symmetric=True)
    E = -2 * P - m * m.T
    finv = [mc.simp(f.xreplace({sp.Inverse(E): L}))
            for f in apply2(-mc.logdet(E) / 2, [m, P], [g, G])]
    out.append(Printed("natural_fisher_inverse_apply",
                       [(m, "m"), (L, "Lam"), (g, "g"), (G, "G")], finv,
                       "(∇²A)⁻¹ = ∇²A* applied to a dual (g, G): a direction (δh, δΛ)"))

    # -- base coordinates (μ, Σ): η = (Σ⁻¹μ, Σ⁻¹)
    a, B = mc.vector("mu"), mc.matrix("Sigma", symmetric=True)
    Bi = sp.Inverse(B)
    ldB = mc.logdet(B)
    to_nat = {h: Bi * a, L: Bi}

    def at_base(expr):
        return mc.simp(expr.xreplace(to_nat))

    def scalar_at_base(f):
        return _retrace(mc, sp.expand(mc.subs(f, to_nat)))

    x, r = mc.vector("x"), mc.vector("r")
    logp = mc.inner(h, x) - mc.trace(L * x * x.T) / 2 - A0 - d * sp.log(2 * sp.pi) / 2
    logp_base = scalar_at_base(logp)

    def translate(expr):
        return mc.simp(expr.xreplace({x: a + r}))

    out.append(Printed("base_log_density", [(r, "r"), (Bi, "Sig_inv"), (ldB, "logdet_sig"),
                                            (d, "d")],
                       [_retrace(mc, logp_base.xreplace({x: a + r}))], "log p(x) at x = μ + r"))
    score = [mc.grad(logp_base, a), mc.grad(logp_base, B)]
    out.append(Printed("base_score", [(r, "r"), (Bi, "Sig_inv")], [translate(t) for t in score],
                       "∇ log p(x) in (μ, Σ) at x = μ + r: (∂/∂μ, ∂/∂Σ)"))
    out.append(Printed("base_hessian_apply", [(r, "r"), (Bi, "Sig_inv"), (u, "u"), (U, "U")],
                       [translate(t) for t in apply2(logp_base, [a, B], [u, U])],
                       "∇² log p(x) in (μ, Σ) at x = μ + r applied to (u, U)"))
    nat_of_base = [(h, Bi * a), (L, Bi)]
    ju = jvp(mc, nat_of_base, [(a, u), (B, U)])
    fj = [f.xreplace({v: ju[0], V: ju[1]}) for f in fisher_nat]
    fisher_base = [at_base(f) for f in vjp(mc, nat_of_base, [a, B], fj)]
    out.append(Printed("base_fisher_apply", [(Bi, "Sig_inv"), (u, "u"), (U, "U")], fisher_base,
                       "the Fisher information in (μ, Σ), Jᵀ∇²A J, applied to (u, U): a dual"))
    # its inverse J⁻¹ (∇²A)⁻¹ J⁻ᵀ, with J⁻¹ the derivative of (h, Λ) ↦ (Λ⁻¹h, Λ⁻¹)
    base_of_nat = [(a, S * h), (B, S)]
    gt = vjp(mc, base_of_nat, [h, L], [g, G])
    fi = [f.xreplace({g: gt[0], G: gt[1]}).xreplace({m: S * h}) for f in finv]
    back = jvp(mc, base_of_nat, [(h, fi[0]), (L, fi[1])])
    out.append(Printed("base_fisher_inverse_apply",
                       [(a, "mu"), (B, "Sigma"), (g, "g"), (G, "G")],
                       [at_base(t) for t in back],
                       "the inverse Fisher information in (μ, Σ) applied to a dual (g, G)"))
    out.append(Printed("base_mean", [(a, "mu"), (B, "Sigma")],
                       [at_base(mean_h), at_base(mean_L)], "∇A at η(μ, Σ)"))
    out.append(Printed("base_log_partition", [(a, "mu"), (Bi, "Sig_inv"), (ldB, "logdet_sig")],
                       [scalar_at_base(A0)], "A at η(μ, Σ)"))

    # KL(p ‖ q), the Bregman divergence of A, at μ_p = 0, μ_q = δ (it is translation invariant)
    B1, B2 = mc.matrix("Sigma_p", symmetric=True), mc.matrix("Sigma_q", symmetric=True)
    dl = mc.vector("delta")
    hq, Lp, Lq = sp.Inverse(B2) * dl, sp.Inverse(B1), sp.Inverse(B2)
    gp = [mc.simp(t.xreplace({h: sp.ZeroMatrix(d, 1), L: Lp})) for t in (mean_h, mean_L)]
    a_q = mc.trace(hq.T * B2 * hq) / 2 + mc.logdet(B2) / 2
    a_p = mc.logdet(B1) / 2
    kl = _retrace(mc, a_q - a_p - mc.inner(gp[0], hq) - mc.inner(gp[1], Lq - Lp))
    out.append(Printed("base_kl", [(dl, "delta"), (B1, "Sigma_p"), (Lq, "Sig_inv_q"),
                                   (mc.logdet(B1), "logdet_p"), (mc.logdet(B2), "logdet_q"),
                                   (d, "d")],
                       [kl], "KL(p ‖ q) at μ_p = 0, μ_q = δ"))
    ent = A0 - mc.inner(h, mean_h) - mc.inner(L, mean_L) + d * sp.log(2 * sp.pi) / 2
    out.append(Printed("base_entropy", [(ldB, "logdet_sig"), (d, "d")], [scalar_at_base(ent)],
                       "the entropy"))

    # -- parametrizations θ = (t0, T1) ↦ (μ, Σ), with their inverses where sympy writes them
    C = mc.matrix("Chol")
    maps = {
        "natural": ([h, L], [(a, S * h), (B, S)], [(h, Bi * a), (L, Bi)], {S: "T1_inv"}),
        "mean_precision": ([a, L], [(a, a), (B, S)], [(a, a), (L, Bi)], {S: "T1_inv"}),
        "mean_chol": ([a, C], [(a, a), (B, C * C.T)], None, {}),
    }
    for name, (params, fwd, inv, extra) in maps.items():
        arg_list = [(params[0], "t0"), (params[1], "T1")] + list(extra.items())
        out.append(Printed(f"{name}_jvp", arg_list + [(u, "u"), (U if name != "mean_chol"
                                                                else mc.matrix("W"), "U")],
                           jvp(mc, fwd, list(zip(params, [u, U if name != "mean_chol"
                                                          else mc.matrix("W")]))),
                           "J u: a direction of θ to one of (μ, Σ)"))
        out.append(Printed(f"{name}_vjp", arg_list + [(g, "g"), (G, "G")],
                           vjp(mc, fwd, params, [g, G]),
                           "Jᵀ g: a dual of (μ, Σ) to one of θ"))
        dirs = [u, U if name != "mean_chol" else mc.matrix("W")]
        out.append(Printed(f"{name}_hess_apply",
                           arg_list + [(g, "g"), (G, "G"), (dirs[0], "u"), (dirs[1], "U")],
                           hess_term(mc, fwd, params, [g, G], dirs),
                           "∇_θ ⟨g, D²(μ, Σ)[u, ·]⟩: the second-order term of the Hessian"))
        if inv is not None:
            # J⁻¹ and J⁻ᵀ: the derivatives of the inverse map (μ, Σ) ↦ θ
            base_args = [(a, "mu"), (B, "Sigma"), (Bi, "Sig_inv")]
            out.append(Printed(f"{name}_inverse_jvp", base_args + [(u, "u"), (U, "U")],
                               jvp(mc, inv, [(a, u), (B, U)]),
                               "J⁻¹ u: a direction of (μ, Σ) to one of θ"))
            out.append(Printed(f"{name}_inverse_vjp", base_args + [(g, "g"), (G, "G")],
                               vjp(mc, inv, [a, B], [g, G]),
                               "J⁻ᵀ g: a dual of θ to one of (μ, Σ)"))
    return out


def _retrace(mc, f):
    """A scalar rebuilt into the normal form (each trace re-expanded and canonicalized)."""
    total = sp.Integer(0)
    for t in sp.Add.make_args(sp.expand(f)):
        traces = [fac for fac in sp.Mul.make_args(t) if isinstance(fac, sp.Trace)]
        c = sp.Mul(*[fac for fac in sp.Mul.make_args(t) if not isinstance(fac, sp.Trace)])
        if len(traces) > 1:
            raise NotImplementedError(f"a product of traces: {t}")
        total += c * mc.trace(traces[0].arg) if traces else c
    return sp.expand(total)


def _dual_symbol(mc, x, name):
    """A fresh symbol of x's shape (symmetric when x is a symmetric matrix)."""
    if x.shape[1] == 1:
        return mc.vector(name)
    return mc.matrix(name, symmetric=x in mc.symmetric)


def jvp(mc, outputs, params):
    """J u of the map params ↦ outputs: ``outputs`` (out symbol, expression of the params),
    ``params`` (param symbol, its direction): one tangent per output."""
    res = []
    for i, (x, expr) in enumerate(outputs):
        w = _dual_symbol(mc, x, f"_w{i}")
        pair = mc.inner(expr, w)
        jx = sum((mc.directional(pair, p, dp) for p, dp in params), sp.Integer(0))
        res.append(mc.grad(jx, w))
    return res


def vjp(mc, outputs, params, duals):
    """Jᵀ g of the map params ↦ outputs for duals g of the outputs (expressions that may
    depend on the params: they are held fixed): one dual per param."""
    frozen = [_dual_symbol(mc, x, f"_g{i}") for i, (x, _) in enumerate(outputs)]
    pairing = sum((mc.inner(f, e) for f, (_, e) in zip(frozen, outputs)), sp.Integer(0))
    back = dict(zip(frozen, duals))
    return [mc.simp(mc.grad(pairing, p).xreplace(back)) for p in params]


def hess_term(mc, outputs, params, duals, dirs):
    """∇ over the params of ⟨g, D outputs[u]⟩ with the duals g held fixed: the second-order
    term Σ_k g_k ∇²x_k u of an observed Hessian."""
    frozen = [_dual_symbol(mc, x, f"_g{i}") for i, (x, _) in enumerate(outputs)]
    first = sum((mc.directional(mc.inner(f, e), p, dp)
                 for f, (_, e) in zip(frozen, outputs) for p, dp in zip(params, dirs)),
                sp.Integer(0))
    back = dict(zip(frozen, duals))
    return [mc.simp(mc.grad(first, p).xreplace(back)) for p in params]
