"""Between parametrizations: θ(η(θ)) = θ, F_θ = Jᵀ F_φ J, the KL unchanged, and
natural-gradient directions related by J."""

from __future__ import annotations

import numpy as np

from .check import EPS, TOL_EXACT, CheckResult, _fmt, _kl_terms, _matrix_err, _nanmax, _run
from .oracles import mp
from .oracles.quadrature import NotApplicable
from .points import draw_points


def roundtrip(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """θ(η(θ)) = θ: the declared inverse (or the solved one) undoes the declared map.

    Error |Δθ_i| / (|θ_i| + 1/sqrt(F_ii)): relative, or in units of the parameter's statistical
    resolution near zero. Tolerance 1e-10.
    """
    def body(ctx):
        k = ctx.k
        for th in ctx.points:
            back = ctx.fam.from_natural(k.to_natural(th), ctx.param)
            F = k.fisher(th)
            scale = np.abs(th) + 1.0 / np.sqrt(np.abs(np.diagonal(F)))
            ctx.record(_nanmax(np.abs(back - th) / scale),
                       f"θ={_fmt(th)} came back as {_fmt(back)}")

    return _run("roundtrip", TOL_EXACT, 5, family, param, points, seed, n_points, body,
                "θ(η(θ)) = θ")


def _others(ctx, square: bool):
    """The other parametrizations to compare with, with the points mapped into each."""
    spec = ctx.spec
    p = len(spec.parametrization(ctx.param).params)
    out = []
    for q in spec.parametrization_names:
        if q == ctx.param:
            continue
        nq = len(spec.parametrization(q).params)
        if nq != p if square else not (nq == p or q == "natural"):
            continue
        out.append(q)
    if not out:
        raise NotApplicable(f"{spec.key} has no other parametrization of the same dimension")
    return out


def pullback(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """F_θ = Jᵀ F_φ J for every other parametrization φ, with J = ∂φ/∂θ by autograd.

    J is autograd's derivative of the declared maps (φ = θ_φ(η_θ(θ)), or J_φ⁺J_θ when φ has
    no closed-form inverse), not the kernels' Jacobian that built F. Tolerance 1e-10 in units
    of sqrt(F_ii F_jj). At a point where the float product disagrees, Jᵀ F_φ J is recomputed
    in 40 digits from the declaration (:mod:`fisherlab.verify.oracles.mp`; at η = (1e9, −5e5) the
    float product adds terms of 1e18 to get 1e6) and the point passes only if F_θ agrees with
    that; the explanation counts such points.
    """
    def body(ctx):
        from .oracles.autograd import map_jacobian

        for q in _others(ctx, square=False):
            kq = ctx.fam.kernels(q)
            phi = ctx.fam.convert(ctx.points, ctx.param, q)
            J = map_jacobian(ctx.spec, ctx.param, q, ctx.points, phi)
            Fp = ctx.k.fisher(ctx.points)
            pulled = np.swapaxes(J, -1, -2) @ kq.fisher(phi) @ J
            for i, th in enumerate(ctx.points):
                err = _matrix_err(pulled[i], Fp[i], Fp[i])
                where = f"vs {q} at θ={_fmt(th)}"
                if not err <= TOL_EXACT:
                    # Adjudicate with the 40-digit pullback (the float one may cancel).
                    ref = mp.pullback(ctx.spec, ctx.param, q, th)
                    if ref is not None:
                        err = _matrix_err(ref, Fp[i], Fp[i])
                        where += " (40-digit oracle)"
                        ctx.mp_used += 1
                ctx.record(err, where)

    return _run("pullback", TOL_EXACT, 3, family, param, points, seed, n_points, body,
                "F_θ = Jᵀ F_φ J for every other φ (J by autograd)")


def kl_invariance(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """KL(θ1 ‖ θ2) gives the same number in every parametrization.

    θ2 is a second point of the test ranges. Relative error with the floor of 1000 ulp of the
    Bregman terms; tolerance 1e-10. Compared both ways (θ points converted to φ, and those φ
    points converted back), and the better of the two counts: a float64 point of a lossy
    parametrization is a slightly different distribution (see the comment in the code).
    """
    def body(ctx):
        k = ctx.k
        other = draw_points(ctx.spec, ctx.param, len(ctx.points), ctx.rng)
        kl = k.kl(ctx.points, other)
        floor = 1000 * EPS * _kl_terms(k, ctx.points, other) / TOL_EXACT
        for q in _others(ctx, square=False):
            kq = ctx.fam.kernels(q)
            a = ctx.fam.convert(ctx.points, ctx.param, q)
            b = ctx.fam.convert(other, ctx.param, q)
            klq = kq.kl(a, b)
            fq = 1000 * EPS * _kl_terms(kq, a, b) / TOL_EXACT
            err = np.abs(klq - kl) / np.maximum(np.abs(kl), np.maximum(floor, fq))
            # The other direction: the φ points, rounded to float64, converted back to θ. One
            # of the two conversions can be lossy (E[x²] = 2e5 holds σ² = 5e-3 to 8 digits
            # only; p = 1 − 1e-10 holds 1 − p to 6): the rounded point is then another
            # distribution. The conversion back from the rounded φ describes that same
            # distribution, so one of the two directions compares like with like; a KL formula
            # that is wrong fails both.
            a2, b2 = ctx.fam.convert(a, q, ctx.param), ctx.fam.convert(b, q, ctx.param)
            kl2 = k.kl(a2, b2)
            f2 = 1000 * EPS * _kl_terms(k, a2, b2) / TOL_EXACT
            err2 = np.abs(klq - kl2) / np.maximum(np.abs(klq), np.maximum(f2, fq))
            # ... but only where the way back lands next to the original points (a lossy
            # conversion moves them by up to ~1e-4: the normal's (μ, σ) = (−1000, 1e-3) holds
            # σ² in E[x²] = 1e6 to 4 digits; maps that disagree move them by O(1)).
            sd = 1.0 / np.sqrt(np.abs(np.diagonal(k.fisher(ctx.points), axis1=-2, axis2=-1)))
            sd2 = 1.0 / np.sqrt(np.abs(np.diagonal(k.fisher(other), axis1=-2, axis2=-1)))
            near = (np.all(np.abs(a2 - ctx.points) <= 1e-3 * (np.abs(ctx.points) + sd), axis=-1)
                    & np.all(np.abs(b2 - other) <= 1e-3 * (np.abs(other) + sd2), axis=-1))
            err = np.where(near, np.fmin(err, err2), err)
            i = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
            ctx.record(_nanmax(err), f"vs {q}: KL {kl[i]:.10g} vs {klq[i]:.10g} at "
                                     f"θ1={_fmt(ctx.points[i])}, θ2={_fmt(other[i])}")

    return _run("kl_invariance", TOL_EXACT, 3, family, param, points, seed, n_points, body,
                "KL the same in every parametrization")


def _within_test_range(pz, theta) -> np.ndarray:
    """(n,) mask: every entry of θ inside its parameter's documented range (test_range)."""
    ok = np.ones(theta.shape[:-1], dtype=bool)
    for i, p in enumerate(pz.params):
        lo, hi = p.test_range
        ok &= (theta[..., i] >= lo) & (theta[..., i] <= hi)
    return ok


def natural_gradient_map(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """The natural-gradient direction maps by J: J F_θ⁻¹ (Jᵀ g) = F_φ⁻¹ g for a gradient g in φ.

    Error in the Fisher norm of φ, relative to the direction's own norm; tolerance 1e-10.
    A point whose image leaves φ's documented range is not compared there (the φ kernel promises
    nothing outside it); the explanation says how many (point, φ) pairs were compared, and the
    check is not applicable when none was. A consistency check: both directions come from
    kernels of one derivation.
    Where the float comparison disagrees, both directions are compared with F_φ⁻¹g computed in
    40 digits from the declaration (:mod:`fisherlab.verify.oracles.mp`), and both must agree.
    """
    def body(ctx):
        from .oracles.autograd import map_jacobian

        k = ctx.k
        others = _others(ctx, square=True)
        compared, skipped = [0], []
        for q in others:
            kq = ctx.fam.kernels(q)
            phi = ctx.fam.convert(ctx.points, ctx.param, q)
            J = map_jacobian(ctx.spec, ctx.param, q, ctx.points, phi)
            g = ctx.rng.standard_normal(phi.shape)
            d_phi = kq.natural_gradient(phi, g)
            grad_theta = (np.swapaxes(J, -1, -2) @ g[..., None])[..., 0]
            d_theta = k.natural_gradient(ctx.points, grad_theta)
            diff = (J @ d_theta[..., None])[..., 0] - d_phi
            Fq = kq.fisher(phi)
            num = np.einsum("ni,nij,nj->n", diff, Fq, diff)
            den = np.einsum("ni,nij,nj->n", d_phi, Fq, d_phi)
            err = np.sqrt(np.abs(num) / den)
            # natural_gradient is a float solve of F: its accuracy is eps·cond(F), stated for
            # the documented range of each parametrization. A point whose image in φ leaves
            # φ's documented range (normal mean_std (−1000, 1e-3) is η₁ = −1e9 in natural
            # coordinates, cond(F) ~ 1e13) is outside what the φ kernel promises: not compared.
            outside = ~_within_test_range(ctx.spec.parametrization(q), phi)
            if outside.any():
                skipped.append(f"{int(outside.sum())} of {len(phi)} in {q} (e.g. θ="
                               f"{_fmt(ctx.points[outside][0])})")
            for i, th in enumerate(ctx.points):
                if outside[i]:
                    continue
                compared[0] += 1
                e = _nanmax(err[i])
                where = f"vs {q} at θ={_fmt(th)}"
                if not e <= TOL_EXACT:
                    # Adjudicate: J and the Fisher norm in float may cancel; both kernels'
                    # directions must then agree with the 40-digit F_φ⁻¹g.
                    ref = mp.natural_gradient_errors(ctx.spec, ctx.param, q, th, g[i],
                                                     d_theta[i], d_phi[i])
                    if ref is not None:
                        e = ref
                        where += " (40-digit oracle)"
                        ctx.mp_used += 1
                ctx.record(e, where)
        total = len(ctx.points) * len(others)
        if skipped:
            msg = (f"point images outside the other parametrization's documented range, not "
                   f"compared: {'; '.join(skipped)}")
            if compared[0] == 0:
                raise NotApplicable(f"no point compared: {msg}")
            ctx.notes.append(msg)
        ctx.notes.append(f"compared {compared[0]} of {total} (point, parametrization) pairs")

    return _run("natural_gradient_map", TOL_EXACT, 3, family, param, points, seed, n_points,
                body, "natural-gradient directions related by J = ∂φ/∂θ")
