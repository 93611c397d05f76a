"""External oracles: scipy.stats and autograd of the declaration."""

from __future__ import annotations

import math

import numpy as np

from .check import (TOL_EXACT, TOL_SCIPY, CheckResult, _fisher_scale, _fmt, _matrix_err, _nanmax,
                    _run)
from .oracles import mp
from .oracles.quadrature import NotApplicable
from .samples import _note_unrepresentable, _representable_sample, _statistics

#: How far scipy may be off the 40-digit value of the declaration and still be judged the
#: inaccurate side (its entropies lose up to ~1e-10 at large parameters; a wrong declaration is
#: off by far more).
SCIPY_SANITY = 1e-7


def scipy_oracle(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """log density, entropy and mean against the family's scipy.stats distribution, to 1e-12.

    Log density at draws from the distribution: relative to max(1, |log p|, |A|) (the size of
    the terms both sides add up). Entropy relative to max(1, |H|). Each mean statistic that is
    x_j, x_j² or x_j x_l is compared with scipy's mean and covariance, in units of
    max(|μ_i|, sd(T_i)). Where the log densities or entropies disagree, both are compared with
    the 40-digit value from the declaration (:func:`fisherlab.verify.oracles.mp.entropy` for
    entropies): when scipy's is the one off by more than 1e-12, the 40-digit value replaces it
    for that point, and the explanation says so. Measured: scipy's Dirichlet log density at
    α = (1e-3, 1e-3, 3e5) is off by 2.5e-12; beta and Dirichlet entropies at large α by 3e-12
    to 9e-11; the negative binomial entropy by 4e-11, and by half at mean 600.
    """
    def body(ctx):
        import scipy.stats

        spec = ctx.spec
        if spec.scipy is None:
            raise NotApplicable(f"{spec.key} declares no scipy.stats counterpart")
        home, make = spec.scipy
        k = ctx.k
        theta_home = ctx.fam.convert(ctx.points, ctx.param, home) if home != ctx.param else ctx.points
        unrepresentable = []
        replaced = []
        for th, tg in zip(ctx.points, theta_home):
            dist = make(scipy.stats, *tg)
            x, _ = _representable_sample(ctx, th, 8)
            if x is None:
                unrepresentable.append(_fmt(th))
                continue
            lp = k.log_density(x, th)
            logf = dist.logpmf if spec.support.discrete and hasattr(dist, "logpmf") else dist.logpdf
            # scipy's multivariate distributions disagree on batch layout: one row at a time.
            ref = np.array([logf(xi) for xi in x]) if spec.support.size else logf(x)
            A = abs(float(k.log_partition(th)))
            err = _nanmax(np.abs(lp - ref) / np.maximum(np.maximum(1.0, np.abs(ref)), A))
            where = f"log density at θ={_fmt(th)}"
            if not err <= TOL_SCIPY:
                # Which side is off? The declaration's log density in 40 digits decides.
                ref_mp = mp.mp_oracle(spec, ctx.param).log_density(x, th)
                scale = np.maximum(np.maximum(1.0, np.abs(ref_mp)), A)
                e_scipy = _nanmax(np.abs(ref - ref_mp) / scale)
                # scipy may be the inaccurate side only by a little: a declaration that differs
                # from scipy by more than SCIPY_SANITY describes another distribution, and the
                # 40-digit value of that declaration cannot vouch for it.
                if TOL_SCIPY < e_scipy <= SCIPY_SANITY:
                    err = _nanmax(np.abs(lp - ref_mp) / scale)
                    where += f" (vs 40-digit; scipy's is itself off by {e_scipy:.2g})"
                    replaced.append(_fmt(th))
            ctx.record(err, where)
            H = float(k.entropy(th))
            Href = float(dist.entropy())
            err = abs(H - Href) / max(1.0, abs(Href))
            where = f"entropy {H!r} vs {Href!r} at θ={_fmt(th)}"
            if not err <= TOL_SCIPY:
                # Which side is off? Ask the 40-digit entropy of the declaration.
                Hmp = _entropy_mp(ctx, th)
                if Hmp is not None:
                    e_scipy = abs(Href - Hmp) / max(1.0, abs(Hmp))
                    if TOL_SCIPY < e_scipy <= SCIPY_SANITY:
                        err = abs(H - Hmp) / max(1.0, abs(Hmp))
                        where = (f"entropy {H!r} vs 40-digit {Hmp!r} at θ={_fmt(th)} (scipy's "
                                 f"{Href!r} is itself off by {e_scipy:.2g})")
                        replaced.append(_fmt(th))
            ctx.record(err, where)
            mu = k.mean(th)
            sd = np.sqrt(np.abs(np.diagonal(k.natural_fisher(th))))
            for i, ref_mean in _scipy_means(ctx.fam, dist, x):
                ctx.record(abs(mu[i] - ref_mean) / max(abs(ref_mean), sd[i]),
                           f"E[T_{i + 1}] {mu[i]!r} vs {ref_mean!r} at θ={_fmt(th)}")
        _note_unrepresentable(ctx, unrepresentable, "not even 1 draw in 1000 is representable")
        if replaced:
            ctx.notes.append(f"{len(replaced)} time(s) scipy's log density or entropy was off by "
                             "more than 1e-12 from the 40-digit value of the declaration, which "
                             f"replaced it there: {', '.join(replaced[:3])}")

    return _run("scipy", TOL_SCIPY, 3, family, param, points, seed, n_points, body,
                "log density, entropy, mean vs scipy.stats")


def _entropy_mp(ctx, theta):
    """The 40-digit entropy at θ from the declaration (see :func:`~fisherlab.verify.oracles.mp.entropy`), or None."""
    spec = ctx.spec
    o = mp.mp_oracle(spec, ctx.param)
    if spec.support.discrete and not spec.support.size:
        import mpmath

        k = ctx.k
        mu = float(k.mean(theta)[0])
        sd = math.sqrt(abs(float(k.natural_fisher(theta)[0, 0])))
        lo = max(spec.support.low, math.floor(mu - 40 * sd - 50))
        hi = min(spec.support.high, math.ceil(mu + 40 * sd + 50))
        t = [mpmath.mpf(float(v)) for v in theta]
        # Widen the window (heavy geometric tails) until both ends are 140 nats down.
        for _ in range(6):
            hi = min(spec.support.high, hi)
            if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo > 200_000:
                return None
            H = mp.entropy(spec, None, lambda x: o._logp(mpmath.mpf(x), *t), (lo, hi))
            if H is not None:
                return H
            hi = lo + 3 * (hi - lo)
        return None
    import mpmath

    with mpmath.workdps(mp.DPS):
        eta = o._to_nat(*[mpmath.mpf(float(v)) for v in theta])
    return mp.entropy(spec, eta)


def _scipy_means(fam, dist, x):
    """(i, E[T_i]) for every statistic scipy's mean/covariance determine: x_j, x_j², x_j x_l.

    Statistics are identified on a generic probe (random values where every statistic is
    defined), not on the sample: eight one-hot draws can make two columns look alike.
    """
    shape = (8,) + tuple(fam.spec.support.event_shape)
    # Signed values where the support has them (|x − loc| must not look like x), positive ones
    # in (0.2, 0.8) elsewhere (log x, log(1 − x) defined); shifted past c for x > c.
    kind = fam.spec.support.kind
    rng = np.random.default_rng(20261125)
    if kind in ("reals", "real_vectors", "circle"):
        xs = rng.uniform(-2.0, 2.0, size=shape)
    else:
        xs = rng.uniform(0.2, 0.8, size=shape)
        if kind == "greater_than":
            xs = xs + fam.spec.support.low
    with np.errstate(all="ignore"):
        T = _statistics(fam, xs)
    cols = xs if fam.spec.support.size else xs[:, None]
    # scipy's frozen univariate distributions have methods mean()/var(); the multivariate ones
    # have attributes .mean/.cov.

    def value(attr):
        return attr() if callable(attr) else attr

    mean = np.atleast_1d(np.asarray(value(dist.mean), dtype=np.float64))
    if fam.spec.support.size:
        cov = np.atleast_2d(value(dist.cov)) if hasattr(dist, "cov") else None
    else:
        cov = np.atleast_2d(dist.var())
    out = []
    k = cols.shape[1]
    for i in range(T.shape[1]):
        t = T[:, i]
        for j in range(k):
            if np.array_equal(t, cols[:, j]):
                out.append((i, float(mean[j])))
                break
        else:
            if cov is None:
                continue
            for j in range(k):
                for l in range(j, k):
                    if np.allclose(t, cols[:, j] * cols[:, l], rtol=1e-15, atol=0):
                        out.append((i, float(cov[j, l] + mean[j] * mean[l])))
                        break
                else:
                    continue
                break
    return out


def autograd_oracle(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """Score, observed Hessian, Fisher and log density against autograd on the declaration.

    See :mod:`fisherlab.compile.autograd`. Errors: score |Δs_i| / max(sqrt(F_ii), |s_i|),
    Hessian |ΔH_ij| / max(sqrt(F_ii F_jj), |H_ij|), Fisher |ΔF_ij| / sqrt(F_ii F_jj), log density
    relative to max(1, |log p|, |A|). Tolerance 1e-10. Where autograd's float evaluation
    disagrees, the same derivatives of the same unsimplified declaration are recomputed in
    40 digits (:mod:`fisherlab.verify.oracles.mp`) and the kernel must agree with those; the
    explanation counts such comparisons. Observations float64 cannot represent inside the
    support are not used (these are pointwise comparisons; any observation will do).
    """
    def body(ctx):
        from .oracles.autograd import oracle

        ag = oracle(ctx.spec, ctx.param)
        k = ctx.k
        unrepresentable = []
        for th in ctx.points:
            x, _ = _representable_sample(ctx, th, 6)
            if x is None:
                unrepresentable.append(_fmt(th))
                continue
            n = len(x)
            tb = np.broadcast_to(th, (n, len(th))).copy()
            F = k.fisher(th)
            sd = np.sqrt(np.abs(np.diagonal(F)))
            A = abs(float(k.log_partition(th)))
            s, H, lp = k.score(x, th), k.hessian(x, th), k.log_density(x, th)
            errs = {
                "score": lambda ref: _nanmax(np.abs(s - ref) / np.maximum(sd, np.abs(ref))),
                "Hessian": lambda ref: _nanmax(np.abs(H - ref) / np.maximum(_fisher_scale(F),
                                                                            np.abs(ref))),
                "Fisher": lambda ref: _matrix_err(F, ref, F),
                "log density": lambda ref: _nanmax(np.abs(lp - ref) / np.maximum(
                    np.maximum(1.0, np.abs(ref)), A)),
            }
            refs = {"score": lambda: ag.score(x, tb), "Hessian": lambda: ag.hessian(x, tb),
                    "Fisher": lambda: ag.fisher(th[None])[0],
                    "log density": lambda: np.asarray(ag.log_density(x, tb))}
            mp_refs = {"score": lambda o: o.score(x, th), "Hessian": lambda o: o.hessian(x, th),
                       "Fisher": lambda o: o.fisher(th), "log density": lambda o: o.log_density(x, th)}
            for what, err_of in errs.items():
                err = err_of(refs[what]())
                where = f"{what} at θ={_fmt(th)}"
                if not err <= TOL_EXACT:
                    # Adjudicate: autograd's float evaluation of the declaration may cancel
                    # (⟨η, T(x)⟩ ≈ 1e12 against A ≈ 5e11); redo it in 40 digits.
                    err = err_of(mp_refs[what](mp.mp_oracle(ctx.spec, ctx.param)))
                    where += " (40-digit oracle)"
                    ctx.mp_used += 1
                ctx.record(err, where)
        _note_unrepresentable(ctx, unrepresentable, "not even 1 draw in 1000 is representable")

    return _run("autograd", TOL_EXACT, 3, family, param, points, seed, n_points, body,
                "score, Hessian, Fisher, log density vs autograd of the declaration")
