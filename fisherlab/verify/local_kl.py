"""Local behaviour of the KL: KL(θ ‖ θ + tδ) = ½t²δᵀFδ + O(t³), with the cubic term ⅙∂³A."""

from __future__ import annotations

import math

import numpy as np

from ..errors import FisherlabError
from .check import EPS, TOL_EXACT, TOL_SLOPE_CUBIC, TOL_SLOPE_KL, CheckResult, _fmt, _kl_terms, _run
from .oracles.quadrature import NotApplicable


def _fisher_unit_direction(ctx, k, th, F):
    """A random direction with δᵀFδ = 1, and the largest t ≤ 1 keeping θ ± tδ valid."""
    pz = ctx.spec.parametrization(k.parametrization)
    d = ctx.rng.standard_normal(len(th))
    d = d / math.sqrt(float(d @ F @ d))
    t = 1.0
    for _ in range(200):
        if all(pz.inside(th + sign * f * t * d) for sign in (1, -1) for f in (1.0, 0.5)):
            return d, t
        t /= 2
    raise FisherlabError(f"no step along a direction stays inside the domain at θ={_fmt(th)}")


def _slope(ts, errs):
    lt, le = np.log(ts), np.log(errs)
    A = np.stack([lt, np.ones_like(lt)], -1)
    return float(np.linalg.lstsq(A, le, rcond=None)[0][0])


def _pm_errors(k, base, d, ts, model):
    """Errors of ``model`` along +δ and −δ; their max is |odd part| + |even part| of the
    error's expansion in t, so a leading term cannot cancel against the next one."""
    out = []
    for sign in (1.0, -1.0):
        q = base[None] + sign * ts[:, None] * d[None]
        b = np.broadcast_to(base, q.shape)
        out.append(model(b, q, sign))
    errs, noises = zip(*out)
    return np.maximum(*errs), np.maximum(*noises)


#: Tops of the two-decade windows of t that local_kl tries, in order: the issue's 1e-1 … 1e-3
#: first, then larger steps (when rounding noise swamps the small ones), then smaller ones (when
#: a unit Fisher step is far outside the quadratic regime, as at Bernoulli η = 29 where
#: F = 3e-13 makes δ = 2e6 in η).
_LOCAL_KL_WINDOWS = (1e-1, 3e-1, 1.0, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8)


def local_kl(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """KL(θ ‖ θ + tδ) / (½t²δᵀFδ) → 1, with |ratio − 1| shrinking like t.

    The KL is the closed-form Bregman divergence with the kernels' near-coincidence refinement
    off (``Kernels.kl(..., refine=False)``): the refinement integrates δᵀ∇²A δ, the same
    ∇²A as F, and would hide an error in the closed form (:func:`kl_refinement` tests it).
    A wrong term in the closed form is seen here once it changes the quadratic form by ≳ 1e-3
    relative (below that the O(t) remainder over t = 1e-1 … 1e-3 hides it); kl_refinement, to
    1e-10 near coincidence, sees far smaller ones (tests/verify/test_mutants.py).
    δ is a random direction of unit Fisher norm; t runs over 1e-1 … 1e-3 (scaled down if the
    domain requires); the error at t is the larger of those along +δ and −δ (which is
    |c₁|t + |c₂|t² + …: the linear and quadratic terms cannot cancel). The fitted slope of
    log error against log t must be at least 1 − 0.1 (a vanishing cubic term gives a steeper
    slope, which passes). Errors at the level of the KL formula's own rounding (1000 ulp of its
    terms) are left out of the fit; if every error is at that level the quadratic form is exact
    to rounding and the check passes with error 0. When the window 1e-1 … 1e-3 is not usable
    (|ratio − 1| > 0.1 at its top: not yet local; or fewer than 3 errors above rounding), the
    same two-decade window is moved (see ``_LOCAL_KL_WINDOWS``); a wrong F never gets the ratio
    near 1 in any window and fails.
    """
    def body(ctx):
        k = ctx.k
        for th in ctx.points:
            F = k.fisher(th)
            d, tmax = _fisher_unit_direction(ctx, k, th, F)
            quad_unit = float(d @ F @ d)

            def model(b, q, sign, quad):
                kl = k.kl(b, q, refine=False)
                return np.abs(kl / quad - 1.0), 1000 * EPS * _kl_terms(k, b, q) / quad

            outcome = None
            for top in _LOCAL_KL_WINDOWS:
                top = min(top, tmax)
                ts = np.geomspace(top, top / 100, 9)
                quad = 0.5 * ts**2 * quad_unit
                err, noise = _pm_errors(k, th, d, ts,
                                        lambda b, q, sign, quad=quad: model(b, q, sign, quad))
                if not np.all(np.isfinite(err)):
                    outcome = (math.inf, f"non-finite KL at θ={_fmt(th)}, t ≤ {top:.3g}")
                    continue
                if err[0] > 0.1 and not err[0] <= 10 * noise[0]:
                    outcome = (math.inf, f"|ratio−1| = {err[0]:.3g} > 0.1 at t = {top:.3g} for "
                                         f"every window tried, θ={_fmt(th)}")
                    continue  # not yet local: move the window down
                use = err > 10 * noise
                if np.all(~use):
                    outcome = (0.0, f"ratio exact to rounding at θ={_fmt(th)}")
                    break
                if use.sum() < 3:
                    outcome = (math.inf, f"fewer than 3 values of t above the rounding noise "
                                         f"at θ={_fmt(th)}")
                    continue
                slope = _slope(ts[use], err[use])
                outcome = (max(0.0, 1.0 - slope),
                           f"slope {slope:.3f}, |ratio−1| = {err[use][-1]:.3g} at t = "
                           f"{ts[use][-1]:.3g}, θ={_fmt(th)}")
                break
            ctx.record(*outcome)

    return _run("local_kl", TOL_SLOPE_KL, 3, family, param, points, seed, n_points, body,
                "KL/(½t²δᵀFδ) → 1 with error O(t): 1 − fitted slope")


def local_kl_cubic(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """In natural coordinates KL(η ‖ η+δ) − ½δᵀFδ − (1/6)∂³A[δ,δ,δ] shrinks like |δ|⁴.

    The KL is the unrefined closed form, as in :func:`local_kl`.
    The points of ``param`` are mapped to η; δ = ±tu with u of unit Fisher norm and t from the
    largest valid step ≤ 1 down thirtyfold (the larger remainder of ±u is used, as in
    :func:`local_kl`). The fitted slope of log|remainder| against log t must be at least
    4 − 0.4 (a vanishing quartic term gives a steeper slope and passes).
    """
    def body(ctx):
        kn = ctx.fam.kernels("natural")
        etas = ctx.k.to_natural(ctx.points)
        for eta in etas:
            F = kn.fisher(eta)
            S = kn.skewness(eta)
            u, tmax = _fisher_unit_direction(ctx, kn, eta, F)
            cubic = float(np.einsum("ijk,i,j,k->", S, u, u, u))
            quad = float(u @ F @ u)
            outcome = None
            # From the largest valid step down: the first window (30-fold in t) where the
            # remainder at its top is at most a tenth of the quadratic term (the Taylor regime;
            # at Bernoulli η = −30 a unit Fisher step is 3e6 in η) and at least 3 remainders
            # clear the rounding noise. A wrong ∂³A leaves an O(t³) remainder in every window.
            for top in tmax * 10.0 ** -np.arange(0, 9):
                ts = np.geomspace(top, top / 30, 8)

                def model(b, q, sign, ts=ts):
                    kl = kn.kl(b, q, refine=False)
                    approx = 0.5 * ts**2 * quad + sign * ts**3 * cubic / 6
                    noise = 1000 * EPS * (_kl_terms(kn, b, q) + np.abs(approx))
                    return np.abs(kl - approx), noise

                rem, noise = _pm_errors(kn, eta, u, ts, model)
                if not np.all(np.isfinite(rem)):
                    outcome = (math.inf, f"non-finite remainder at η={_fmt(eta)}")
                    continue
                use = rem > 10 * noise
                if np.all(~use):
                    # Exact to rounding: A is a polynomial of degree ≤ 3 along u.
                    outcome = (0.0, f"remainder at rounding level at η={_fmt(eta)}")
                    break
                if rem[0] > 0.1 * 0.5 * ts[0] ** 2 * quad:
                    outcome = (math.inf, f"remainder above a tenth of ½t²δᵀFδ in every window, "
                                         f"η={_fmt(eta)}")
                    continue
                if use.sum() < 3:
                    outcome = (math.inf, f"fewer than 3 remainders above rounding at η={_fmt(eta)}")
                    continue
                slope = _slope(ts[use], rem[use])
                outcome = (max(0.0, 4.0 - slope),
                           f"slope {slope:.3f} at η={_fmt(eta)}, t ≤ {top:.3g}")
                break
            ctx.record(*outcome)

    return _run("local_kl_cubic", TOL_SLOPE_CUBIC, 3, family, param, points, seed, n_points,
                body, "KL − ½δᵀFδ − ⅙∂³A[δ,δ,δ] = O(|δ|⁴) in η: 4 − fitted slope")


#: Relative steps of kl_refinement: from the edge of the kernels' near-coincidence band down to
#: where the closed form has lost all but a few of its digits.
_REFINE_STEPS = (3e-2, 1e-3, 1e-5, 1e-7, 1e-9)


def kl_refinement(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """The kernels' KL between nearly coincident points against the 40-digit Bregman divergence
    of the declared A (:func:`fisherlab.verify.oracles.mp.kl`), to 1e-10 relative.

    Near coincidence the closed form cancels (its error is ε·|A|/KL) and the kernels replace it
    by the integral of δᵀ∇²A δ along the segment; :func:`local_kl` tests the closed form with
    that refinement off, this check tests the refinement itself. θ_q = θ + t·u·|θ| entry by
    entry (t·u/√F_ii where θ_i = 0), u uniform on [−1, 1]^p, for t in ``_REFINE_STEPS``
    (relative steps from 3e-2 down to 1e-9: all inside the kernels' band of ~6%, where the
    unrefined closed form is off by up to 1e-4 relative). The 40-digit side loses the same
    ~2·log₁₀(1/t) digits to cancellation and keeps more than 20. Pairs whose θ_q leaves the
    domain are not compared.
    """
    def body(ctx):
        from .oracles.mp import kl as kl_mp

        k = ctx.k
        pz = ctx.spec.parametrization(ctx.param)
        compared = 0
        for th in ctx.points:
            # Relative steps (a step of the statistical resolution 1/√F_ii would leave the
            # band where F is tiny: Bernoulli η = 25 has 1/√F = 3e5). A zero entry steps by
            # its resolution instead.
            sd = 1.0 / np.sqrt(np.abs(np.diagonal(k.fisher(th))))
            scale = np.where(th != 0, np.abs(th), sd)
            u = ctx.rng.uniform(-1.0, 1.0, size=th.shape)
            qs = np.array([th + t * u * scale for t in _REFINE_STEPS])
            qs = qs[pz.inside(qs) & np.any(qs != th, axis=-1)]
            if not len(qs):
                continue
            kl = k.kl(np.broadcast_to(th, qs.shape), qs)
            for q, v in zip(qs, kl):
                ref = kl_mp(ctx.spec, ctx.param, th, q)
                compared += 1
                err = abs(v - ref) / abs(ref) if ref != 0 else (0.0 if v == 0 else math.inf)
                ctx.record(err, f"KL {v!r} vs 40-digit {ref!r} at θ_p={_fmt(th)}, "
                                f"θ_q={_fmt(q)}")
        if compared == 0:
            raise NotApplicable("no nearly coincident pair stayed inside the domain")
        ctx.notes.append(f"{compared} pairs compared")

    return _run("kl_refinement", TOL_EXACT, 3, family, param, points, seed, n_points, body,
                "KL near coincidence (the refined closed form) vs the 40-digit Bregman "
                "divergence of the declared A")
