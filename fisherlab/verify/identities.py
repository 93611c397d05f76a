"""The identities, one function each, every one computed independently of the formula it checks.

Each function has the signature ``check(family, param, points=None, seed=0, n_points=None)``:
``family`` is a catalog name, a declaration or a :class:`~fisherlab.Family`; ``param`` a
parametrization; ``points`` an (n, p) array of parameter points (drawn over the test ranges
from ``seed`` when omitted). Each returns a :class:`CheckResult`. The test suite calls these
same functions, so ``pytest`` and ``fisherlab verify`` cannot disagree.

Errors are normalized so one tolerance fits every family and every scale:

* a matrix M against the Fisher information F: |ΔM_ij| / sqrt(F_ii F_jj) (scale-free: the same
  number in any units of θ; the diagonal is a relative error);
* a vector v of θ-space (a score): |Δv_i| / max(sqrt(F_ii), |v_i|);
* a scalar: relative, with an absolute floor of 1000 ulp of the largest term its closed form
  adds up (what its own rounding can reach);
* a Monte Carlo estimate: in units of its own standard error, passing at 6.

Two rules keep float64 itself from deciding a check:

* where a float *oracle* (autograd, the float pullback Jᵀ F_φ J, the mapped natural gradient,
  scipy's entropy) disagrees with a kernel, the oracle is recomputed in 40 digits from the
  declaration (:mod:`fisherlab.verify._mp`) and the kernel must agree with that; the
  explanation counts such comparisons. The kernel is never given the benefit of the doubt:
  if it is the inaccurate side, the check fails;
* a point whose draws float64 cannot represent inside the support (a beta with α = 1e-3 puts
  half its mass below 1e-308) is not used by sample-based checks whose result would be biased
  by dropping draws; it is reported, and the check is "not applicable" only when no point is
  left. Identities that hold for any sample (the MLE identity) or compare pointwise use the
  representable draws.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import FisherlabError, NoMLEError
from . import _mp
from ._expect import NotApplicable, QuadratureError, expectation, route
from ._points import draw_points, valid

EPS = np.finfo(np.float64).eps

#: Tolerances. The issue fixes quadrature at 1e-8, the MLE and autograd identities at 1e-10 and
#: scipy.stats at 1e-12; the others are exact identities held to the autograd level.
TOL_QUADRATURE = 1e-8
TOL_EXACT = 1e-10
TOL_SCIPY = 1e-12
SIGMAS = 6.0
#: Local KL: the relative error of ½δᵀFδ must shrink at least like t (fitted slope ≥ 1 − 0.1);
#: the cubic remainder like |δ|⁴ (slope ≥ 4 − 0.4).
TOL_SLOPE_KL = 0.1
TOL_SLOPE_CUBIC = 0.4


@dataclass
class CheckResult:
    """The outcome of one identity on one parametrization of one family.

    Attributes
    ----------
    name : str
        The identity (a key of :data:`IDENTITIES`).
    passed : bool
    worst_error : float
        The largest normalized error over the points tried (see the module docstring).
    tolerance : float
        The bound ``worst_error`` must not exceed.
    n_points : int
        Parameter points tried.
    explanation : str
        One line: what was compared, and where the worst error occurred.
    family, parametrization : str
    applicable : bool
        False when the identity's route does not exist for this family (e.g. quadrature over
        a continuous vector support; scipy.stats without the distribution). Such a result
        passes and says why; the Monte Carlo route then covers the same identity.
    seconds : float
        Wall time.
    """

    name: str
    passed: bool
    worst_error: float
    tolerance: float
    n_points: int
    explanation: str
    family: str = ""
    parametrization: str = ""
    applicable: bool = True
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.passed)

    @property
    def status(self) -> str:
        return "n/a" if not self.applicable else ("pass" if self.passed else "FAIL")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["worst_error"] = _json_float(self.worst_error)
        d["status"] = self.status
        return d


def _json_float(v):
    v = float(v)
    return v if math.isfinite(v) else repr(v)


# ----------------------------------------------------------------------------------------------
# Plumbing shared by every check


@dataclass
class _Ctx:
    fam: object
    param: str
    points: np.ndarray
    rng: np.random.Generator
    seed: int
    worst: float = 0.0
    where: str = ""
    notes: list = field(default_factory=list)

    mp_used: int = 0

    def note_mp(self):
        if self.mp_used:
            self.notes.append(f"{self.mp_used} comparison(s) where the float oracle cancels were "
                              "adjudicated by the 40-digit oracle")
            self.mp_used = 0

    def record(self, err, where: str):
        err = float(err)
        if not (err <= self.worst) and not (math.isnan(self.worst)):
            self.worst = err if not math.isnan(err) else math.inf
            self.where = where

    @property
    def k(self):
        return self.fam.kernels(self.param)

    @property
    def spec(self):
        return self.fam.spec


def _fmt(theta) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in np.atleast_1d(theta)) + ")"


def _run(name, tol, default_n, family, param, points, seed, n_points, body, what: str):
    from .._api import as_family

    fam = as_family(family)
    fam.spec.parametrization(param)  # unknown names fail loudly, not as a failed check
    t0 = time.perf_counter()
    rng = np.random.default_rng([seed, _stable_hash(fam.spec.key), _stable_hash(param),
                                 _stable_hash(name)])
    if points is None:
        points = draw_points(fam.spec, param, n_points or default_n, rng)
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    ctx = _Ctx(fam, param, points, rng, seed)
    base = dict(name=name, tolerance=tol, n_points=len(points), family=fam.spec.key,
                parametrization=param)
    try:
        body(ctx)
    except NotApplicable as exc:
        return CheckResult(passed=True, worst_error=0.0, explanation=f"not applicable: {exc}",
                           applicable=False, seconds=time.perf_counter() - t0, **base)
    except (FisherlabError, np.linalg.LinAlgError, FloatingPointError) as exc:
        return CheckResult(passed=False, worst_error=math.inf,
                           explanation=f"{what}: raised {type(exc).__name__}: {exc}",
                           seconds=time.perf_counter() - t0, **base)
    ctx.note_mp()
    passed = bool(ctx.worst <= tol)
    extra = ("; " + "; ".join(ctx.notes)) if ctx.notes else ""
    expl = f"{what}; worst {ctx.worst:.3g} (tolerance {tol:g}) {ctx.where}".rstrip() + extra
    return CheckResult(passed=passed, worst_error=ctx.worst, explanation=expl,
                       seconds=time.perf_counter() - t0, **base)


def _stable_hash(s: str) -> int:
    h = 0
    for ch in s.encode():
        h = (h * 131 + ch) % (2**31 - 1)
    return h


def _fisher_scale(F):
    d = np.sqrt(np.abs(np.diagonal(F, axis1=-2, axis2=-1)))
    return d[..., :, None] * d[..., None, :]


def _matrix_err(M, ref, F):
    """max |M − ref| / sqrt(F_ii F_jj); NaN counts as infinite."""
    e = np.abs(np.asarray(M) - np.asarray(ref)) / _fisher_scale(F)
    e = np.where(np.isnan(e), np.inf, e)
    return float(np.max(e)) if e.size else 0.0


def _nanmax(e):
    e = np.asarray(e, dtype=np.float64)
    e = np.where(np.isnan(e), np.inf, e)
    return float(np.max(e)) if e.size else 0.0


def _kl_terms(k, t1, t2):
    """The magnitude of the terms the Bregman KL adds up: |A(η2)| + |A(η1)| + |⟨μ1, η2 − η1⟩|."""
    A1, A2 = k.log_partition(t1), k.log_partition(t2)
    mu1 = k.mean(t1)
    d = k.to_natural(t2) - k.to_natural(t1)
    return np.abs(A1) + np.abs(A2) + np.sum(np.abs(mu1 * d), axis=-1)


def _sample(ctx, theta, n, seed_offset=0):
    spec = ctx.spec
    if spec.sampler is None:
        raise NotApplicable(f"{spec.key} declares no sampler")
    return ctx.fam.sample(theta, ctx.param, size=n, seed=ctx.rng.integers(2**63) + seed_offset)


def _unrepresentable(ctx, x) -> bool:
    """Whether a sample holds draws float64 cannot represent inside the support."""
    return bool(np.any(ctx.spec.support.violations(np.asarray(x, dtype=np.float64))))


def _note_unrepresentable(ctx, points, why="Monte Carlo means of the rest would be biased"):
    """Report points skipped because their samples leave float64; n/a when none was compared."""
    if not points:
        return
    msg = (f"{len(points)} point(s) not compared: their draws leave float64 inside the support "
           f"({why}): {', '.join(points[:3])}")
    if len(points) == len(ctx.points):
        raise NotApplicable(msg)
    ctx.notes.append(msg)


def _representable_sample(ctx, theta, n):
    """n draws at θ, keeping only those float64 represents inside the support.

    Returns the sample (None when fewer than 1 in 1000 draws are representable) and how many
    draws were dropped. Only for identities that hold for any sample (the MLE identity) or
    compare pointwise (autograd, scipy log density).
    """
    kept, dropped = [], 0
    want = n
    for _ in range(40):
        x = np.asarray(_sample(ctx, theta, want), dtype=np.float64)
        bad = ctx.spec.support.violations(x)
        dropped += int(np.count_nonzero(bad))
        kept.append(x[~bad])
        have = sum(len(k) for k in kept)
        if have >= n:
            return np.concatenate(kept)[:n], dropped
        want = min(4 * want, 1000 * n)
    return None, dropped


# ----------------------------------------------------------------------------------------------
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


def _statistics(fam, x):
    """T(x) without the support check (quadrature nodes may sit on the edge of float64)."""
    ns = fam._ns()
    arr = np.asarray(x, dtype=np.float64)
    cols = [arr[..., i] for i in range(arr.shape[-1])] if fam.spec.support.size else [arr]
    out = ns["statistics"](*cols)
    return np.broadcast_to(out, arr.shape[: arr.ndim - (1 if fam.spec.support.size else 0)]
                           + out.shape[-1:])


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


# ----------------------------------------------------------------------------------------------
# 2. The MLE identity


def mle_information(family, param, points=None, seed=0, n_points=None, n: int = 50) -> CheckResult:
    """At the MLE θ̂ of a sample of n = 50, −(1/n)Σ∇² log p(x_i; θ̂) = F(θ̂); in natural
    parameters the observed Hessian does not depend on x at all. Tolerance 1e-10.

    A sample without an MLE is redrawn (up to 20 times), then the sample size doubled (up to
    16384); a point where even that finds no MLE is reported and not compared (n/a when no
    point is left). The explanation says so. Draws that float64 cannot represent inside the support (a gamma draw
    with shape 1e-2 below 1e-308 rounds to 0.0, a beta draw near 1 rounds to 1.0) are dropped
    and replaced by further draws: the identity holds for *every* sample, so which sample is
    used does not matter, and dropping draws is no selection bias here (it would be for
    Monte Carlo, which does not do it).
    """
    def body(ctx):
        k = ctx.k
        grown = 0
        redrawn = 0
        unrepresentable = []
        no_mle = []
        for th in ctx.points:
            size = n
            for attempt in range(60):
                x, dropped = _representable_sample(ctx, th, size)
                redrawn += dropped
                if x is None:
                    break
                try:
                    that = ctx.fam.mle(x, ctx.param)
                    break
                except NoMLEError:
                    if attempt >= 20 and size < 1 << 14:
                        size *= 2
                        grown = max(grown, size)
            else:
                # No sample of up to 16384 draws had an MLE (Bernoulli at η = −30 needs ~1e13
                # draws to see a success): the identity cannot be exercised at this point.
                no_mle.append(_fmt(th))
                continue
            if x is None:
                unrepresentable.append(_fmt(th))
                continue
            obs = -k.hessian(x, that).mean(axis=0)
            F = k.fisher(that)
            ctx.record(_matrix_err(obs, F, F), f"at θ̂={_fmt(that)}")
            if ctx.param == "natural":
                H = k.hessian(x, th)
                Fth = k.fisher(th)
                ctx.record(_matrix_err(H, -Fth[None], Fth), f"∇² log p varies with x at η={_fmt(th)}")
        if grown:
            ctx.notes.append(f"samples of n = {n} had no MLE at some points; grew n to {grown}")
        _note_unrepresentable(ctx, unrepresentable, "not even 1 draw in 1000 is representable")
        if no_mle:
            msg = (f"{len(no_mle)} point(s) not compared: no sample of up to {1 << 14} draws had "
                   f"an MLE there: {', '.join(no_mle[:3])}")
            if len(no_mle) + len(unrepresentable) == len(ctx.points):
                raise NotApplicable(msg)
            ctx.notes.append(msg)
        if redrawn:
            ctx.notes.append(f"{redrawn} draw(s) not representable in float64 inside the "
                             "support were replaced")

    return _run("mle_information", TOL_EXACT, 3, family, param, points, seed, n_points, body,
                "observed information at the MLE vs F(θ̂)"
                + ("; natural-parameter Hessian independent of x"))


# ----------------------------------------------------------------------------------------------
# 3. Between parametrizations


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
            ctx.record(_nanmax(np.abs(back - th) / scale), f"θ={_fmt(th)} came back as {_fmt(back)}")

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
    in 40 digits from the declaration (:mod:`fisherlab.verify._mp`; at η = (1e9, −5e5) the
    float product adds terms of 1e18 to get 1e6) and the point passes only if F_θ agrees with
    that; the explanation counts such points.
    """
    def body(ctx):
        from ..compile.autograd import map_jacobian

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
                    ref = _mp.pullback(ctx.spec, ctx.param, q, th)
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


#: How far scipy may be off the 40-digit value of the declaration and still be judged the
#: inaccurate side (its entropies lose up to ~1e-10 at large parameters; a wrong declaration is
#: off by far more).
SCIPY_SANITY = 1e-7


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
    Where the float comparison disagrees, both directions are compared with F_φ⁻¹g computed in
    40 digits from the declaration (:mod:`fisherlab.verify._mp`), and both must agree.
    """
    def body(ctx):
        from ..compile.autograd import map_jacobian

        k = ctx.k
        for q in _others(ctx, square=True):
            kq = ctx.fam.kernels(q)
            phi = ctx.fam.convert(ctx.points, ctx.param, q)
            J = map_jacobian(ctx.spec, ctx.param, q, ctx.points, phi)
            g = ctx.rng.standard_normal(phi.shape)
            d_phi = kq.natural_gradient(phi, g)
            d_theta = k.natural_gradient(ctx.points, (np.swapaxes(J, -1, -2) @ g[..., None])[..., 0])
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
                ctx.notes.append(
                    f"{int(outside.sum())} point(s) whose image in {q} lies outside {q}'s documented "
                    f"range were not compared there: {', '.join(_fmt(t) for t in ctx.points[outside][:3])}")
            for i, th in enumerate(ctx.points):
                if outside[i]:
                    continue
                e = _nanmax(err[i])
                where = f"vs {q} at θ={_fmt(th)}"
                if not e <= TOL_EXACT:
                    # Adjudicate: J and the Fisher norm in float may cancel; both kernels'
                    # directions must then agree with the 40-digit F_φ⁻¹g.
                    ref = _mp.natural_gradient_errors(ctx.spec, ctx.param, q, th, g[i],
                                                      d_theta[i], d_phi[i])
                    if ref is not None:
                        e = ref
                        where += " (40-digit oracle)"
                        ctx.mp_used += 1
                ctx.record(e, where)

    return _run("natural_gradient_map", TOL_EXACT, 3, family, param, points, seed, n_points,
                body, "natural-gradient directions related by J = ∂φ/∂θ")


# ----------------------------------------------------------------------------------------------
# 4. Local behaviour of the KL


def _fisher_unit_direction(ctx, k, th, F):
    """A random direction with δᵀFδ = 1, and the largest t ≤ 1 keeping θ ± tδ valid."""
    pz = ctx.spec.parametrization(k.parametrization)
    d = ctx.rng.standard_normal(len(th))
    d = d / math.sqrt(float(d @ F @ d))
    t = 1.0
    for _ in range(200):
        if all(valid(pz, th + sign * f * t * d) for sign in (1, -1) for f in (1.0, 0.5)):
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
                kl = k.kl(b, q)
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
                    kl = kn.kl(b, q)
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
                outcome = (max(0.0, 4.0 - slope), f"slope {slope:.3f} at η={_fmt(eta)}, t ≤ {top:.3g}")
                break
            ctx.record(*outcome)

    return _run("local_kl_cubic", TOL_SLOPE_CUBIC, 3, family, param, points, seed, n_points,
                body, "KL − ½δᵀFδ − ⅙∂³A[δ,δ,δ] = O(|δ|⁴) in η: 4 − fitted slope")


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


# ----------------------------------------------------------------------------------------------
# 5. External oracles


def scipy_oracle(family, param, points=None, seed=0, n_points=None) -> CheckResult:
    """log density, entropy and mean against the family's scipy.stats distribution, to 1e-12.

    Log density at draws from the distribution: relative to max(1, |log p|, |A|) (the size of
    the terms both sides add up). Entropy relative to max(1, |H|). Each mean statistic that is
    x_j, x_j² or x_j x_l is compared with scipy's mean and covariance, in units of
    max(|μ_i|, sd(T_i)). Where the log densities or entropies disagree, both are compared with
    the 40-digit value from the declaration (:func:`fisherlab.verify._mp.entropy` for
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
                ref_mp = _mp.mp_oracle(spec, ctx.param).log_density(x, th)
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
    """The 40-digit entropy at θ from the declaration (see :func:`_mp.entropy`), or None."""
    spec = ctx.spec
    o = _mp.mp_oracle(spec, ctx.param)
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
            H = _mp.entropy(spec, None, lambda x: o._logp(mpmath.mpf(x), *t), (lo, hi))
            if H is not None:
                return H
            hi = lo + 3 * (hi - lo)
        return None
    import mpmath

    with mpmath.workdps(_mp.DPS):
        eta = o._to_nat(*[mpmath.mpf(float(v)) for v in theta])
    return _mp.entropy(spec, eta)


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
    40 digits (:mod:`fisherlab.verify._mp`) and the kernel must agree with those; the
    explanation counts such comparisons. Observations float64 cannot represent inside the
    support are not used (these are pointwise comparisons; any observation will do).
    """
    def body(ctx):
        from ..compile.autograd import oracle

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
                    err = err_of(mp_refs[what](_mp.mp_oracle(ctx.spec, ctx.param)))
                    where += " (40-digit oracle)"
                    ctx.mp_used += 1
                ctx.record(err, where)
        _note_unrepresentable(ctx, unrepresentable, "not even 1 draw in 1000 is representable")

    return _run("autograd", TOL_EXACT, 3, family, param, points, seed, n_points, body,
                "score, Hessian, Fisher, log density vs autograd of the declaration")


#: name -> check function, in the order reports list them.
IDENTITIES = {
    "fisher_quadrature": fisher_quadrature,
    "fisher_monte_carlo": fisher_monte_carlo,
    "moments_quadrature": moments_quadrature,
    "mle_information": mle_information,
    "roundtrip": roundtrip,
    "pullback": pullback,
    "kl_invariance": kl_invariance,
    "natural_gradient_map": natural_gradient_map,
    "local_kl": local_kl,
    "local_kl_cubic": local_kl_cubic,
    "bregman_kl": bregman_kl,
    "scipy": scipy_oracle,
    "autograd": autograd_oracle,
}

_ = QuadratureError
