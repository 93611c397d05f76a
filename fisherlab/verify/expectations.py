"""Expectations over x: F = E[s sᵀ] = −E[∇² log p], ∫p = 1, E[T] = μ, entropy and the KL,
by quadrature or summation (:mod:`fisherlab.verify.oracles.quadrature`) and by Monte Carlo."""

from __future__ import annotations

import math

import numpy as np

from ._points import draw_points
from .check import (EPS, SIGMAS, TOL_QUADRATURE, CheckResult, _fisher_scale, _fmt, _kl_terms,
                    _nanmax, _run)
from .oracles.quadrature import NotApplicable, expectation, route
from .samples import _note_unrepresentable, _sample, _statistics, _unrepresentable

# 1. Fisher information against expectations over x


def fisher_quadrature(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """F = E[s sᵀ] = −E[∇² log p], by quadrature over x (continuous) or summation (discrete).

    Relative error (normalized by sqrt(F_ii F_jj)) at most 1e-8. The expectations use only the
    per-observation score and Hessian kernels and the density; F is the closed form.
    """
    def body(ctx):
        if route(ctx.spec) == "none":
            raise NotApplicable(f"{ctx.spec.support.text}: quadrature over a continuous vector "
                                "support is impractical; see fisher_monte_carlo")
        k = ctx.k.unchecked()
        p = len(k.params)
        iu = np.triu_indices(p)
        for th in ctx.points:
            F = ctx.k.fisher(th)
            S = _fisher_scale(F)

            def integrand(x, lp, th=th, S=S):
                s = k.score(x, th)
                H = k.hessian(x, th)
                ss = s[:, :, None] * s[:, None, :] / S
                return np.concatenate([ss[:, iu[0], iu[1]], (-H / S)[:, iu[0], iu[1]]], axis=1)

            val, _ = expectation(ctx.spec, lambda x, th=th: k.log_density(x, th), integrand)
            Fn = (F / S)[iu]
            n = len(Fn)
            e1 = _nanmax(np.abs(val[:n] - Fn))
            e2 = _nanmax(np.abs(val[n:] - Fn))
            ctx.record(e1, f"E[s sᵀ] at θ={_fmt(th)}")
            ctx.record(e2, f"−E[∇² log p] at θ={_fmt(th)}")

    return _run("fisher_quadrature", TOL_QUADRATURE, 3, family, param, points, seed, n_points,
                body, "F vs E[s sᵀ] and −E[∇² log p] by quadrature/summation over x")


def moments_quadrature(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """∫p = 1, E[T] = μ and −E[log p] = entropy, by quadrature over x or summation.

    Errors: |∫p − 1|; |ΔE[T_i]| / (|μ_i| + sqrt(∇²A_ii)); |ΔH| / max(1, |H|). Tolerance 1e-8.
    A wrong base measure or log-partition leaves the density unnormalized and fails here.
    """
    def body(ctx):
        if route(ctx.spec) == "none":
            raise NotApplicable(f"{ctx.spec.support.text}: quadrature over a continuous vector "
                                "support is impractical; see fisher_monte_carlo")
        k = ctx.k.unchecked()
        stats = ctx.fam.statistics
        for th in ctx.points:
            mu = ctx.k.mean(th)
            sd = np.sqrt(np.abs(np.diagonal(ctx.k.natural_fisher(th))))
            tscale = np.abs(mu) + sd
            H = float(ctx.k.entropy(th))
            hscale = max(1.0, abs(H))

            def integrand(x, lp, tscale=tscale, hscale=hscale):
                with np.errstate(all="ignore"):
                    T = _statistics(ctx.fam, x)
                ent = np.where(np.isfinite(lp), -lp, 0.0)
                return np.concatenate([np.ones((len(lp), 1)), T / tscale, ent[:, None] / hscale],
                                      axis=1)

            val, _ = expectation(ctx.spec, lambda x, th=th: k.log_density(x, th), integrand)
            ctx.record(abs(val[0] - 1.0), f"∫p = {val[0]:.17g} at θ={_fmt(th)}")
            ctx.record(_nanmax(np.abs(val[1:-1] - mu / tscale)), f"E[T] at θ={_fmt(th)}")
            ctx.record(abs(val[-1] - H / hscale), f"entropy at θ={_fmt(th)}")
        _ = stats

    return _run("moments_quadrature", TOL_QUADRATURE, 3, family, param, points, seed, n_points,
                body, "∫p = 1, E[T] = ∇A and entropy by quadrature/summation over x")


def fisher_monte_carlo(family, param, points=None, seed=0, n_points=None,
                       n_samples: int = 40_000) -> CheckResult:
    """F = E[s sᵀ] = −E[∇² log p] and μ = E[T] by Monte Carlo, within 6 standard errors.

    The standard error of each entry is the sample standard deviation of its per-draw terms over
    √n (a floor of 1e-12·sqrt(F_ii F_jj) covers entries that are constant in x, such as the
    Hessian in natural parameters). Works for every family, multivariate ones included. A sample
    with no MLE (e.g. no success in a Bernoulli sample at p = 1e-6) has not seen the events
    that carry E[s sᵀ]; such points are counted and reported, not compared. So are points
    whose sample holds draws float64 cannot represent inside the support (a beta with
    α = 1e-3 puts half its mass below 1e-308, which rounds to 0.0): dropping those draws would
    bias the means, so the point is not compared (the quadrature route, which integrates past
    the end of float64, covers scalar families there). When no point is left the check
    reports itself not applicable, saying why.
    """
    def body(ctx):
        k = ctx.k
        p = len(k.params)
        iu = np.triu_indices(p)
        compared = 0
        skipped = []
        unrepresentable = []
        for th in ctx.points:
            x = _sample(ctx, th, n_samples)
            if _unrepresentable(ctx, x):
                unrepresentable.append(_fmt(th))
                continue
            T = ctx.fam.statistics(x)
            tbar = T.mean(axis=0)
            ms = ctx.spec.mean_space
            if ms is not None and np.any(ms.violations(tbar)):
                skipped.append(_fmt(th))
                continue
            compared += 1
            F = k.fisher(th)
            scale = _fisher_scale(F)[iu]
            s = k.score(x, th)
            H = k.hessian(x, th)
            for label, terms in (("E[s sᵀ]", (s[:, :, None] * s[:, None, :])[:, iu[0], iu[1]]),
                                 ("−E[∇² log p]", -H[:, iu[0], iu[1]])):
                est = terms.mean(axis=0)
                se = terms.std(axis=0, ddof=1) / math.sqrt(len(terms))
                se = np.maximum(se, 1e-12 * scale / SIGMAS)
                ctx.record(_nanmax(np.abs(est - F[iu]) / se), f"{label} at θ={_fmt(th)}")
            mu = k.mean(th)
            se = np.maximum(T.std(axis=0, ddof=1) / math.sqrt(len(T)),
                            1e-12 * (np.abs(mu) + 1e-300) / SIGMAS)
            ctx.record(_nanmax(np.abs(tbar - mu) / se), f"E[T] at θ={_fmt(th)}")
        if skipped:
            ctx.notes.append(f"{len(skipped)} point(s) whose sample has no MLE were not compared "
                             f"(too few rare events for Monte Carlo): {', '.join(skipped[:3])}")
        _note_unrepresentable(ctx, unrepresentable)
        if compared == 0 and not unrepresentable:
            if skipped and route(ctx.spec) != "none":
                # E.g. Bernoulli at η = −30: P(x = 1) = 1e-13 is never drawn; the exact
                # summation route (fisher_quadrature) covers the same identity there.
                raise NotApplicable(f"no sample of {n_samples} draws had an MLE (events too rare "
                                    f"for Monte Carlo) at {', '.join(skipped[:3])}; "
                                    "fisher_quadrature covers these points")
            ctx.record(math.inf, "no point had an informative sample")

    return _run("fisher_monte_carlo", SIGMAS, 3, family, param, points, seed, n_points, body,
                f"F and μ vs Monte Carlo means (n={n_samples}), in standard errors")


def bregman_kl(family, param, points=None, seed=0, n_points=None,
               n_samples: int = 40_000) -> CheckResult:
    """The Bregman KL against ∫ p log(p/q): quadrature or summation over x (tolerance 1e-8,
    relative with the floor of the Bregman terms' rounding); for continuous vector supports,
    Monte Carlo within 6 standard errors (reported in units of the tolerance, so ≤ 1 passes).
    """
    def body(ctx):
        k = ctx.k
        ku = k.unchecked()
        other = draw_points(ctx.spec, ctx.param, len(ctx.points), ctx.rng)
        kl = k.kl(ctx.points, other)
        terms = _kl_terms(k, ctx.points, other)
        mc = route(ctx.spec) == "none"
        unrepresentable = []
        for th, th2, klv, M in zip(ctx.points, other, kl, terms):
            if mc:
                x = _sample(ctx, th, n_samples)
                if _unrepresentable(ctx, x):
                    unrepresentable.append(_fmt(th))
                    continue
                dlp = k.log_density(x, th) - k.log_density(x, th2)
                se = max(dlp.std(ddof=1) / math.sqrt(len(dlp)), 1e-12 * abs(klv))
                ctx.record(abs(dlp.mean() - klv) / se / SIGMAS * TOL_QUADRATURE,
                           f"Monte Carlo at θ1={_fmt(th)}, θ2={_fmt(th2)}")
                continue
            scale = max(abs(klv), 1e-300)

            def integrand(x, lp, th2=th2, scale=scale):
                with np.errstate(all="ignore"):
                    d = lp - ku.log_density(x, th2)
                return np.where(np.isfinite(lp), d, 0.0)[:, None] / scale

            val, _ = expectation(ctx.spec, lambda x, th=th: ku.log_density(x, th), integrand)
            q = float(val[0]) * scale
            floor = 1000 * EPS * M / TOL_QUADRATURE
            ctx.record(abs(q - klv) / max(abs(q), floor),
                       f"KL {klv:.12g} vs ∫p log(p/q) {q:.12g} at θ1={_fmt(th)}, θ2={_fmt(th2)}")
        _note_unrepresentable(ctx, unrepresentable)

    return _run("bregman_kl", TOL_QUADRATURE, 3, family, param, points, seed, n_points, body,
                "Bregman KL vs ∫ p log(p/q) over x")
