"""External oracles: scipy.stats and autograd of the declaration."""

from __future__ import annotations

import numpy as np

from .check import (
    TOL_EXACT,
    TOL_SCIPY,
    CheckResult,
    _fisher_scale,
    _fmt,
    _matrix_err,
    _nanmax,
    _run,
)
from .oracles import mp, textbook
from .oracles.quadrature import NotApplicable
from .samples import _note_unrepresentable, _representable_sample, _statistics

#: (family name, quantity) -> (scipy's defect, the textbook mpmath formula compared instead, which
#: takes the frozen scipy distribution's ``args``). Measured in the family's test range.
SCIPY_DEFECTS = {
    ("negative_binomial", "entropy"): (
        "scipy.stats.nbinom has no closed-form entropy; the generic rv_discrete.entropy sums "
        "-p log p over a truncated range: off by 1.6e-10 relative at p = 0.05, r = 3, and by "
        "half at p = 0.005 ('expect(): sum did not converge')",
        textbook.negative_binomial_entropy),
    ("logarithmic", "entropy"): (
        "scipy.stats.logser has no closed-form entropy; the generic rv_discrete.entropy sums "
        "-p log p over a truncated range: off by 2.8e-11 relative at p = 0.932, and by 28% at "
        "p = 0.99 ('expect(): sum did not converge')",
        textbook.logarithmic_entropy),
    ("inverse_wishart", "entropy"): (
        "scipy.stats.invwishart.entropy (scipy 1.17) is off by ((d + 1)/2) log 2 at every scale "
        "and ν (1.0397 at d = 2) from the entropy of its own logpdf, as Monte Carlo of "
        "−logpdf over its own rvs shows",
        textbook.inverse_wishart_entropy),
}


def scipy_oracle(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """log density, entropy and mean against the family's scipy.stats distribution, to 1e-12.

    Log density at draws from the distribution: relative to max(1, |log p|, |A|) (the size of
    the terms both sides add up). Entropy relative to max(1, |H|). Each mean statistic that is
    x_j, x_j² or x_j x_l is compared with scipy's mean and covariance, in units of
    max(|μ_i|, sd(T_i)).

    scipy is the reference as it is: a declaration never overrules it. Where scipy is known
    to be inaccurate for a quantity (:data:`SCIPY_DEFECTS`, each defect named), that quantity
    is compared at every point with a textbook mpmath formula written independently of the
    declaration (:mod:`fisherlab.verify.oracles.textbook`) instead, and the explanation says so.
    """
    def body(ctx):
        import scipy.stats

        spec = ctx.spec
        if spec.scipy is None:
            raise NotApplicable(f"{spec.key} declares no scipy.stats counterpart")
        home, make = spec.scipy
        k = ctx.k
        theta_home = (ctx.fam.convert(ctx.points, ctx.param, home) if home != ctx.param
                      else ctx.points)
        unrepresentable = []
        replaced = set()
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
            ctx.record(err, where)
            H = float(k.entropy(th))
            defect = SCIPY_DEFECTS.get((spec.name, "entropy"))
            if defect is None:
                Href = float(dist.entropy())
                where = f"entropy {H!r} vs {Href!r} at θ={_fmt(th)}"
            else:
                Href = defect[1](*dist.args)
                where = f"entropy {H!r} vs textbook {Href!r} at θ={_fmt(th)}"
                replaced.add(f"entropy: {defect[0]}")
            ctx.record(abs(H - Href) / max(1.0, abs(Href)), where)
            mu = k.mean(th)
            sd = np.sqrt(np.abs(np.diagonal(k.natural_fisher(th))))
            for i, ref_mean in _scipy_means(ctx.fam, dist, x):
                ctx.record(abs(mu[i] - ref_mean) / max(abs(ref_mean), sd[i]),
                           f"E[T_{i + 1}] {mu[i]!r} vs {ref_mean!r} at θ={_fmt(th)}")
        _note_unrepresentable(ctx, unrepresentable, "not even 1 draw in 1000 is representable")
        for note in sorted(replaced):
            ctx.notes.append(f"compared with a textbook mpmath formula instead of scipy for {note}")

    return _run("scipy", TOL_SCIPY, 3, family, param, points, seed, n_points, body,
                "log density, entropy, mean vs scipy.stats")


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

    if not hasattr(dist, "mean"):
        return []  # scipy.stats.vonmises_fisher has no mean: nothing to compare
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
                for kk in range(j, k):
                    if np.allclose(t, cols[:, j] * cols[:, kk], rtol=1e-15, atol=0):
                        out.append((i, float(cov[j, kk] + mean[j] * mean[kk])))
                        break
                else:
                    continue
                break
    return out


def autograd_oracle(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """Score, observed Hessian, Fisher, log density, mean and natural Fisher against autograd on
    the declaration.

    See :mod:`fisherlab.compile.autograd`. Errors: score |Δs_i| / max(sqrt(F_ii), |s_i|),
    Hessian |ΔH_ij| / max(sqrt(F_ii F_jj), |H_ij|), Fisher |ΔF_ij| / sqrt(F_ii F_jj), log density
    relative to max(1, |log p|, |A|), natural Fisher ∇²A like the Fisher, mean ∇A as
    |Δμ_i| / (|μ_i| + sqrt(∇²A_ii)). Tolerance 1e-10. Where autograd's float evaluation
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
            Fn, mu = k.natural_fisher(th), k.mean(th)
            sdn = np.sqrt(np.abs(np.diagonal(Fn)))
            errs = {
                "score": lambda ref: _nanmax(np.abs(s - ref) / np.maximum(sd, np.abs(ref))),
                "Hessian": lambda ref: _nanmax(np.abs(H - ref) / np.maximum(_fisher_scale(F),
                                                                            np.abs(ref))),
                "Fisher": lambda ref: _matrix_err(F, ref, F),
                "natural Fisher": lambda ref: _matrix_err(Fn, ref, Fn),
                "mean": lambda ref: _nanmax(np.abs(mu - ref) / (np.abs(ref) + sdn)),
                "log density": lambda ref: _nanmax(np.abs(lp - ref) / np.maximum(
                    np.maximum(1.0, np.abs(ref)), A)),
            }
            refs = {"score": lambda: ag.score(x, tb), "Hessian": lambda: ag.hessian(x, tb),
                    "Fisher": lambda: ag.fisher(th[None])[0],
                    "natural Fisher": lambda: ag.natural_fisher(th[None])[0],
                    "mean": lambda: ag.mean(th[None])[0],
                    "log density": lambda: np.asarray(ag.log_density(x, tb))}
            mp_refs = {"score": lambda o: o.score(x, th), "Hessian": lambda o: o.hessian(x, th),
                       "Fisher": lambda o: o.fisher(th),
                       "log density": lambda o: o.log_density(x, th),
                       "natural Fisher": lambda o: o.natural_fisher(th),
                       "mean": lambda o: o.mean(th)}
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
                "score, Hessian, Fisher, log density, mean, ∇²A vs autograd of the declaration")
