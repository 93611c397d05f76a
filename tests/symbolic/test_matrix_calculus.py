"""The matrix calculus extended for the Wishart families (fisherlab/symbolic/matrix_calculus.py):
scalar coefficients, log det of a matrix with a scalar inside, the inverse placeholder
d(E⁻¹) = −E⁻¹dE E⁻¹ and log Γ_d for symbolic d (fisherlab/symbolic/multigamma.py), each result
printed by the matrix printer and checked against 50-digit mpmath derivatives of the same
function written by hand; and the silent-zero guard on the new path."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from fisherlab.compile.matrix_printer import MatrixPrinter


def _numeric(expr, names, values):
    """Evaluate a printed expression with numpy, the names bound to ``values``."""
    from fisherlab.kernels import special

    code = MatrixPrinter(names).expr(expr)
    env = {"numpy": np, "log_multigamma": special.log_multigamma,
           "multi_polygamma": special.multi_polygamma}
    env.update(values)
    return eval(code, env)  # noqa: S307 (code printed by the library under test)


def _mp_sym(a):
    return mp.matrix([[mp.mpf(float(v)) for v in row] for row in a])


def test_scalar_times_logdet_of_a_difference():
    """f = a·log det(M − hhᵀ/κ) + log Γ_d(a): ∂f/∂M, ∂f/∂h, ∂f/∂κ, ∂f/∂a and a second
    derivative through the inverse placeholder, against mpmath's 50-digit derivatives of f
    written directly (d = 3)."""
    from fisherlab.symbolic.matrix_calculus import MatrixCalculus
    from fisherlab.symbolic.multigamma import LogMultigamma

    d = sp.Symbol("d", integer=True, positive=True)
    mc = MatrixCalculus(d)
    M, h = mc.matrix("M", symmetric=True), mc.vector("h")
    k, a = sp.Symbol("k", positive=True), sp.Symbol("a", positive=True)
    E = M - h * h.T / k
    W = mc.inverse(E, "W")
    ld = mc.logdet(E)
    f = mc.normal(a * ld + LogMultigamma(a, d))
    gM, gh, gk, ga = mc.grad(f, M), mc.grad(f, h), mc.diff(f, k), mc.diff(f, a)
    U = mc.matrix("U", symmetric=True)
    second = mc.grad(mc.inner(gM, U), M)  # ∂/∂M ⟨∂f/∂M, U⟩ = −a W U W

    rng = np.random.default_rng(3)
    n = 3
    Mv = np.array([[3.0, 0.4, -0.2], [0.4, 2.5, 0.3], [-0.2, 0.3, 2.0]])
    hv = rng.normal(size=(n, 1)) * 0.5
    kv, av = 1.7, 2.3
    Ev = Mv - hv @ hv.T / kv
    Uv = np.array([[0.3, -0.1, 0.2], [-0.1, 0.5, 0.0], [0.2, 0.0, -0.4]])
    names = {M: "M", h: "h", k: "k", a: "a", W: "W", ld: "ld", d: "d", U: "U"}
    values = {"M": Mv, "h": hv, "k": kv, "a": av, "W": np.linalg.inv(Ev),
              "ld": np.linalg.slogdet(Ev)[1], "d": n, "U": Uv}

    def f_mp(Mm, hm, km, am):
        Em = Mm - hm * hm.T / km
        return am * mp.log(mp.det(Em)) + n * (n - 1) / mp.mpf(4) * mp.log(mp.pi) + mp.fsum(
            mp.loggamma(am - mp.mpf(j) / 2) for j in range(n))

    with mp.workdps(50):
        M0, h0, k0, a0 = _mp_sym(Mv), _mp_sym(hv), mp.mpf(kv), mp.mpf(av)
        # the symmetric gradient in M: the derivative along the symmetric basis E_ij
        for i in range(n):
            for j in range(i + 1):
                B = mp.zeros(n, n)
                B[i, j] = B[j, i] = 1
                ref = mp.diff(lambda t: f_mp(M0 + t * B, h0, k0, a0), 0)
                G = _numeric(gM, names, values)
                got = G[i, j] * (1 if i == j else 2)
                assert abs(got - float(ref)) < 1e-12 * max(1, abs(float(ref)))
                ref2 = mp.diff(lambda t: mp.diff(lambda s: f_mp(M0 + s * _mp_sym(Uv) + t * B,
                                                                h0, k0, a0), 0), 0)
                S2 = _numeric(second, names, values)
                got2 = S2[i, j] * (1 if i == j else 2)
                assert abs(got2 - float(ref2)) < 1e-11 * max(1, abs(float(ref2)))
        for i in range(n):
            e = mp.zeros(n, 1)
            e[i] = 1
            ref = mp.diff(lambda t: f_mp(M0, h0 + t * e, k0, a0), 0)
            assert abs(_numeric(gh, names, values)[i, 0] - float(ref)) < 1e-12
        ref_k = mp.diff(lambda t: f_mp(M0, h0, t, a0), k0)
        ref_a = mp.diff(lambda t: f_mp(M0, h0, k0, t), a0)
        assert abs(_numeric(gk, names, values) - float(ref_k)) < 1e-12 * abs(float(ref_k))
        assert abs(_numeric(ga, names, values) - float(ref_a)) < 1e-12 * abs(float(ref_a))


def test_inverse_placeholder_guard_raises(monkeypatch):
    """Should sympy answer 0 for ∂ tr(F)/∂S through an inverse placeholder S, grad raises."""
    from fisherlab.symbolic.matrix_calculus import MatrixCalculus, SilentZeroError

    mc = MatrixCalculus(sp.Symbol("d", integer=True, positive=True))
    X, G = mc.matrix("X", symmetric=True), mc.matrix("G")
    S = mc.inverse(X, "S")
    f = mc.trace(G * S)
    monkeypatch.setattr(sp.Trace, "diff", lambda self, *a, **k: sp.Integer(0))
    with pytest.raises(SilentZeroError):
        mc.grad(f, X)


