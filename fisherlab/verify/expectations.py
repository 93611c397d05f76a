"""Expectations over x: F = E[s sᵀ] = −E[∇² log p], ∫p = 1, E[T] = μ, entropy and the KL,
by quadrature or summation (:mod:`fisherlab.verify.oracles.quadrature`) and by Monte Carlo."""

from __future__ import annotations

import math

import numpy as np

from .check import (
    EPS,
    SIGMAS,
    TOL_QUADRATURE,
    CheckResult,
    _fisher_scale,
    _fmt,
    _kl_terms,
    _nanmax,
    _run,
)
from .oracles.quadrature import NotApplicable, expectation, route
from .points import draw_points
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
                       n_samples: int = 200_000) -> CheckResult:
    """F = E[s sᵀ] = −E[∇² log p] and μ = E[T] by Monte Carlo, within 6 standard errors.

    The standard error of each entry is sqrt(Var[t]/n) for its per-draw term t(x). The sample
    variance alone fails for heavy tails: a sample that has not met the rare, large terms
    underestimates it (the inverse Gaussian at mean 1000, shape 1e-3 by a factor 5e4). Where
    quadrature or summation over x exists (every scalar and finite support) the exact variance
    E[t²] − E[t]² is computed that way, and the larger of the two standard errors is used;
    every moment of T is finite for an exponential family, so that bound is valid whatever the
    sample saw. For continuous vector supports (the multivariate normal, the Dirichlet: terms
    polynomial in Gaussian draws or in log x, all light-tailed) the sample variance is used.
    A floor of 1e-12·sqrt(F_ii F_jj) covers entries that are constant in x, such as the Hessian
    in natural parameters.

    Detection power: a bias b in the sampler's E[T_i] reaches 6 standard errors, with
    probability ≥ 97.7%, when |b| ≥ 8·se_i; the explanation states that relative bias (the
    worst over points and statistics). With the default n = 200 000 a sampler that scales the
    Rayleigh draws by 1.01 (E[x²] off by 2%) is 9 standard errors out and is caught (tested in
    tests/verify/test_mutants.py). Works for every family, multivariate ones included. A sample
    with no MLE (e.g. no success in a Bernoulli sample at p = 1e-6) has not seen the events
    that carry E[s sᵀ]; such points are counted and reported, not compared. So are points
    whose sample holds draws float64 cannot represent inside the support (a beta with
    α = 1e-3 puts half its mass below 1e-308, which rounds to 0.0): dropping those draws would
    bias the means, so the point is not compared (the quadrature route, which integrates past
    the end of float64, covers scalar families there). When no point is left the check
    reports itself not applicable, saying why. Default points come from the parameters'
    sample ranges where the family declares them (:mod:`fisherlab.verify.points`).
    """
    def body(ctx):
        k = ctx.k
        p = len(k.params)
        iu = np.triu_indices(p)
        iu_flat = iu[0] * p + iu[1]
        compared = 0
        skipped = []
        unrepresentable = []
        power = []
        exact = route(ctx.spec) != "none"
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
            mu = k.mean(th)

            def terms_of(kk, x, th=th, T=None):
                """The per-draw terms (n, c): s sᵀ and −∇² log p (upper triangles), T(x)."""
                s, H = kk.score(x, th), kk.hessian(x, th)
                T = _statistics(ctx.fam, x) if T is None else T
                nf = len(iu[0])
                out = np.empty((len(s), 2 * nf + T.shape[-1]))
                # np.take on flat indices: half the time of indexing by two index arrays
                np.multiply(np.take(s, iu[0], axis=1), np.take(s, iu[1], axis=1),
                            out=out[:, :nf])
                np.negative(np.take(H.reshape(len(H), p * p), iu_flat, axis=1),
                            out=out[:, nf:2 * nf])
                out[:, 2 * nf:] = T
                return out

            if ctx.spec.support.discrete:
                # A discrete sample repeats few values (k = 50 outcomes in 200 000 draws): the
                # same moments from each distinct draw's terms, weighted by its multiplicity.
                xu, counts = np.unique(x, axis=0, return_counts=True)
                est, var, m2 = weighted_moments(terms_of(k, xu), counts)
            else:
                est, var, m2 = chunked_moments(lambda a, b: terms_of(k, x[a:b], T=T[a:b]),
                                               len(x), p)
            se = np.sqrt(var / len(x))
            if exact:
                # Heavy tails: a sample that has not met the rare large terms underestimates
                # their spread (inverse Gaussian (1000, 1e-3): by 5e4). The exact variance,
                # by quadrature/summation, bounds the error whatever the sample saw.
                se = np.maximum(se, _exact_standard_errors(ctx, th, m2, len(x), terms_of))
            floor = 1e-12 * np.concatenate([scale, scale, np.abs(mu) + 1e-300]) / SIGMAS
            se = np.maximum(se, floor)
            ref = np.concatenate([F[iu], F[iu], mu])
            z = np.abs(est - ref) / se
            nf = len(iu[0])
            ctx.record(_nanmax(z[:nf]), f"E[s sᵀ] at θ={_fmt(th)}")
            ctx.record(_nanmax(z[nf:2 * nf]), f"−E[∇² log p] at θ={_fmt(th)}")
            ctx.record(_nanmax(z[2 * nf:]), f"E[T] at θ={_fmt(th)}")
            with np.errstate(divide="ignore", invalid="ignore"):
                power.append(float(np.max(DETECT * se[2 * nf:] / np.abs(mu))))
        if skipped:
            ctx.notes.append(f"{len(skipped)} point(s) whose sample has no MLE were not compared "
                             f"(too few rare events for Monte Carlo): {', '.join(skipped[:3])}")
        _note_unrepresentable(ctx, unrepresentable)
        if power:
            exact_se = "from the exact variance (quadrature/summation) or " if exact else ""
            ctx.notes.append(f"standard errors {exact_se}from the sample, the larger; a relative "
                             f"bias in E[T] of "
                             f"{max(power):.2g} or more is detected (≥ {DETECT:g} standard errors)")
        if compared == 0 and not unrepresentable:
            if skipped and route(ctx.spec) != "none":
                # E.g. Bernoulli at η = −30: P(x = 1) = 1e-13 is never drawn; the exact
                # summation route (fisher_quadrature) covers the same identity there.
                raise NotApplicable(f"no sample of {n_samples} draws had an MLE (events too rare "
                                    f"for Monte Carlo) at {', '.join(skipped[:3])}; "
                                    "fisher_quadrature covers these points")
            ctx.record(math.inf, "no point had an informative sample")

    return _run("fisher_monte_carlo", SIGMAS, 3, family, param, points, seed, n_points, body,
                f"F and μ vs Monte Carlo means (n={n_samples}), in standard errors",
                for_samples=True)


#: A bias of this many standard errors is caught with probability ≥ 97.7% at the 6σ limit.
DETECT = SIGMAS + 2.0


#: The per-draw terms of a Monte Carlo check are formed in chunks of draws holding about this
#: many numbers, counting 8p² per draw (score outer products, the Hessian, their upper
#: triangles, the terms and their deviations): ~200 MB, whatever the sample size.
CHUNK_NUMBERS = 25_000_000


def chunked_moments(terms, n, p):
    """The mean and the sample variance (ddof = 1) of every column of the per-draw terms, and
    the mean of their squares, formed ``terms(a, b)`` (b − a, c) a chunk of draws at a time.

    Sums down the columns are taken in blocks of :data:`SUM_LEAF` rows, then the blocks' sums
    pairwise (:func:`column_sums`): error ~(SUM_LEAF + log n)·ε, where adding one by one down
    a column would give ~n·ε (4e-13 of a constant Hessian at n = 2e5, above the checks' floor
    of 1e-12/6). The variance is the sum of the chunks' squared deviations about their own
    means plus n_c (m_c − m)² each (the exact decomposition about the overall mean m), so it
    equals the formula over the whole sample.
    """
    step = max(1, CHUNK_NUMBERS // (8 * p * p + 64))
    sums, devs, counts, means = [], [], [], []
    for a in range(0, n, step):
        t = terms(a, min(n, a + step))
        s_c = column_sums(t)
        m_c = s_c / len(t)
        sums.append(s_c)
        means.append(m_c)
        dev = t - m_c
        dev *= dev
        devs.append(column_sums(dev))
        counts.append(len(t))
    sums, means, devs = (np.array(v) for v in (sums, means, devs))
    counts = np.array(counts, dtype=np.float64)[:, None]
    mean = column_sums(sums) / n
    ss = column_sums(devs) + column_sums((means - mean) ** 2 * counts)
    return mean, ss / (n - 1), ss / n + mean**2


def weighted_moments(t, counts):
    """The mean and the sample variance (ddof = 1) of every column, and the mean of the squares,
    of a sample holding row t[i] (u, c) counts[i] (u,) times: what :func:`chunked_moments`
    gives for the sample written out row by row (n = Σ counts), without forming it.

    Weighted sums over the u distinct rows round like u·ε, the sample's like (SUM_LEAF + log n)·ε.
    """
    w = np.asarray(counts, dtype=np.float64)
    n = w.sum()
    mean = column_sums(t * w[:, None]) / n
    dev = t - mean
    ss = column_sums(dev * dev * w[:, None])
    return mean, ss / (n - 1), ss / n + mean**2


#: Rows summed one by one before the block sums are added pairwise (numpy's own pairwise
#: summation works along contiguous rows only).
SUM_LEAF = 128


def column_sums(t: np.ndarray) -> np.ndarray:
    """Σ_i t[i, :] for t (n, c), in blocks of :data:`SUM_LEAF` rows, the blocks' sums added
    pairwise (along contiguous rows of their transpose)."""
    n = len(t)
    full = n - n % SUM_LEAF
    parts = t[:full].reshape(-1, SUM_LEAF, t.shape[1]).sum(axis=1)
    if full < n:
        parts = np.concatenate([parts, t[full:].sum(axis=0, keepdims=True)])
    return np.ascontiguousarray(parts.T).sum(axis=1)


def _exact_standard_errors(ctx, th, m2, n, terms_of):
    """sqrt(Var[t_j] / n) for the per-draw terms t_j(x) (c,) of ``terms_of(kernels, x)``, with
    Var[t] = E[t²] − E[t]² by quadrature or summation over x (the scale of each column taken
    from the sample's second moment ``m2`` (c,), so the quadrature sees numbers of order 1)."""
    k = ctx.k.unchecked()
    norm = np.sqrt(np.where(m2 > 0, m2, 1.0))

    def integrand(x, lp):
        with np.errstate(all="ignore"):
            t = terms_of(k, x) / norm
            out = np.concatenate([t, t * t], axis=1)
        return np.where(np.isfinite(lp)[:, None], out, 0.0)

    val, _ = expectation(ctx.spec, lambda x: k.log_density(x, th), integrand, atol=1e-9,
                         noise_limit=1e-6, degree=4)
    c = len(m2)
    var = np.maximum(val[c:] - val[:c] ** 2, 0.0) * norm**2
    return np.sqrt(var / n)


def bregman_kl(family, param, points=None, seed=0, n_points=None,
               n_samples: int = 40_000) -> CheckResult:
    """The Bregman KL against ∫ p log(p/q): quadrature or summation over x (tolerance 1e-8,
    relative with the floor of the Bregman terms' rounding); for continuous vector supports,
    Monte Carlo within 6 standard errors (reported in units of the tolerance, so ≤ 1 passes).
    The Monte Carlo standard error is the sample's: the route serves only the multivariate
    normal and the Dirichlet, whose log p(x; θ1) − log p(x; θ2) is quadratic in Gaussian draws
    or affine in log x, light-tailed (the heavy-tail bound of :func:`fisher_monte_carlo` needs
    the quadrature this route lacks). On that route the default points θ1 come from the
    parameters' sample ranges where declared (:mod:`fisherlab.verify.points`); θ2 from the test
    ranges.
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

    from .. import as_family

    return _run("bregman_kl", TOL_QUADRATURE, 3, family, param, points, seed, n_points, body,
                "Bregman KL vs ∫ p log(p/q) over x",
                for_samples=route(as_family(family).spec) == "none")
