"""Expectations over x by quadrature (continuous scalar x) or exact summation (discrete x).

The verifier's independent route to E[s sᵀ], −E[∇² log p], E[T], entropy and KL: integrate the
per-observation kernels against the density, with no use of any closed-form expectation.

Continuous scalar supports are mapped to the real line (x = eᵘ on x > 0, x = c + eᵘ on x > c,
the logistic map on (0, 1), the identity on ℝ and on the circle) so that densities with
integrable singularities or long tails (a gamma with shape 1e-2 puts its mass at x ~ 1e-100)
become smooth bumps in u. The mode and the width of the bump are found from the log density;
the line is cut into segments at mode ± width·{½, 1, 1½, 2, 3, 4, 6, ...} until the integrand
envelope has dropped by ``DROP`` nats, and each segment is integrated by Gauss–Legendre rules
of two orders, bisected until the two agree (an adaptive composite quadrature, vectorized over
all segments at once).

Discrete supports are summed term by term: finite ones completely, infinite ones over a window
around the mode that grows until the terms (times the integrand) have dropped by ``DROP`` nats
on both sides; for the log-concave or geometric tails of exponential families the neglected tail
is then below e^-DROP of the sum.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.optimize
import scipy.special

from ...errors import FisherlabError

#: How far (in nats) the integrand must fall below its peak before the tail is neglected.
DROP = 80.0
_GL = {n: np.polynomial.legendre.leggauss(n) for n in (20, 40)}


class QuadratureError(FisherlabError):
    """The quadrature or summation could not reach the requested accuracy."""


#: Supports on [0, 1], open or closed: integrated through x = expit(u) (the ends carry no mass).
UNIT_KINDS = ("unit_interval", "closed_unit_interval")


class NotApplicable(Exception):
    """The route to an expectation does not apply to the family (e.g. quadrature over R^d)."""


def route(spec) -> str:
    """``"quadrature"``, ``"sum"``, ``"enumerate"`` (finite vector support) or ``"none"``."""
    s = spec.support
    if s.size:
        if s.kind in ("one_hot", "counts_summing") and _support_count(s) <= 200_000:
            return "enumerate"
        return "none"
    return "sum" if s.discrete else "quadrature"


def _support_count(s) -> int:
    if s.kind == "one_hot":
        return s.size
    return math.comb(s.total + s.size - 1, s.size - 1)


def enumerate_support(s) -> np.ndarray:
    """Every point of a finite vector support: one-hot vectors, or count vectors summing to n."""
    k = s.size
    if s.kind == "one_hot":
        return np.eye(k)
    n = s.total
    rows = []
    # Stars and bars: choose k−1 bar positions among n+k−1 slots.
    for bars in itertools.combinations(range(n + k - 1), k - 1):
        edges = (-1,) + bars + (n + k - 1,)
        rows.append([edges[i + 1] - edges[i] - 1 for i in range(k)])
    return np.array(rows, dtype=np.float64)


# ----------------------------------------------------------------------------------------------
# Changes of variable for continuous scalar supports: u -> (x, log |dx/du|)


def _transform(support):
    kind = support.kind
    if kind == "reals":
        return ((lambda u: u, lambda u: np.zeros_like(u)), np.sinh(np.linspace(-700, 700, 28001)),
                (-np.inf, np.inf))
    if kind == "positive_reals":
        return (np.exp, lambda u: u), np.linspace(-744, 709, 29061), (-np.inf, np.inf)
    if kind == "greater_than":
        c = support.low
        return ((lambda u: c + np.exp(u), lambda u: u), np.linspace(-744, 709, 29061),
                (-np.inf, np.inf))
    if kind in UNIT_KINDS:
        return ((scipy.special.expit,
                 lambda u: -np.logaddexp(0, -u) - np.logaddexp(0, u)),
                np.linspace(-744, 40, 15681), (-np.inf, np.inf))
    if kind == "circle":
        return ((lambda u: u, lambda u: np.zeros_like(u)), np.linspace(-math.pi, math.pi, 20001),
                (-math.pi, math.pi))
    raise NotApplicable(f"no quadrature for support {support.kind!r}")


def expectation(spec, log_density, integrand, *, atol: float = 1e-12, noise_limit: float = 2.5e-9,
                degree: int = 2):
    """E[g(x)] under the density exp(log_density(x)), for a scalar or finite support.

    Parameters
    ----------
    spec : ExponentialFamily
        Gives the support.
    log_density : callable x (n,) or (n, k) -> (n,)
        log p(x) at one parameter point (x outside the support may give -inf or NaN).
    integrand : callable (x, logp) -> (n, c)
        The function to average; its components should be normalized to order 1, since
        ``atol`` is the absolute accuracy asked of every component.
    noise_limit : float
        Segments where bisection no longer shrinks the error estimate (the integrand's own
        rounding noise dominates) are accepted with their estimate; the sum of all estimates
        must still be at most ``noise_limit`` (a quarter of the checks' 1e-8 tolerance, so
        the quadrature's own error can never account for a failure or a pass), else
        QuadratureError.
    degree : int
        The integrand's degree as a polynomial in the features (1, T(x), log h(x)): 2 for the
        checks' integrands (s sᵀ, p log(p/q)), 4 for their squares (variances). Where x leaves
        float64 the integrand is extrapolated by a polynomial of this degree (see ``_Beyond``).

    Returns
    -------
    value : (c,) array
    error : float
        The quadrature's own error estimate (0 for sums, whose tails are below e^-DROP).
    """
    r = route(spec)
    if r == "none":
        raise NotApplicable(f"{spec.key}: no quadrature over a continuous vector support "
                            f"({spec.support.text}); Monte Carlo is the route there")
    if r == "enumerate":
        x = enumerate_support(spec.support)
        lp = log_density(x)
        w = np.exp(lp)
        return (w[:, None] * integrand(x, lp)).sum(axis=0), 0.0
    if r == "sum":
        return _sum(spec.support, log_density, integrand)
    return _quadrature(spec, log_density, integrand, atol, noise_limit, degree)


def _finite(v):
    v = np.asarray(v, dtype=np.float64)
    return np.where(np.isnan(v), -np.inf, v)


def _envelope(integrand, x, lp):
    with np.errstate(all="ignore"):
        g = integrand(x, lp)
        mag = np.max(np.abs(g), axis=-1)
        # An integrand that overflows far in a tail (x² at x = 1e200) sits where log p is
        # hugely negative; cap its magnitude at the largest float so the sum stays informative.
        mag = np.where(np.isnan(mag), np.inf, np.minimum(mag, np.finfo(float).max))
        return _finite(lp + np.log1p(mag))


# -- discrete


def _sum(support, log_density, integrand):
    lo, hi = support.low, support.high
    if hi - lo <= 2_000_000:
        x = np.arange(lo, hi + 1, dtype=np.float64)
        return _sum_window(x, log_density, integrand), 0.0
    # Infinite (or huge) support: coarse search for the mode, then grow a window around it.
    coarse = np.unique(np.concatenate([np.arange(lo, lo + 200),
                                       lo + np.floor(np.geomspace(1, 1e15, 3000))]))
    coarse = coarse[coarse <= hi]
    with np.errstate(all="ignore"):
        lpc = _finite(log_density(coarse))
    i = int(np.argmax(lpc))
    peak = lpc[i]
    if not np.isfinite(peak):
        raise QuadratureError("the log density is not finite anywhere on the support")
    mode = coarse[i]
    with np.errstate(all="ignore"):
        left, right = mode, mode
        for step in 2.0 ** np.arange(0, 60):
            cand = mode - step
            if cand <= lo:
                left = lo
                break
            xs = np.array([cand])
            if _envelope(integrand, xs, _finite(log_density(xs)))[0] < peak - DROP:
                left = cand
                break
        else:
            raise QuadratureError("the sum's left tail does not decay")
        for step in 2.0 ** np.arange(0, 60):
            cand = mode + step
            if cand >= hi:
                right = hi
                break
            xs = np.array([cand, cand + 1])
            env = _envelope(integrand, xs, _finite(log_density(xs)))
            if env[0] < peak - DROP and env[1] <= env[0]:
                right = cand
                break
        else:
            raise QuadratureError("the sum's right tail does not decay")
    if right - left > 20_000_000:
        raise QuadratureError(f"summing would take {right - left:.3g} terms")
    total = None
    start = left
    while start <= right:
        stop = min(start + 1_000_000, right + 1)
        part = _sum_window(np.arange(start, stop, dtype=np.float64), log_density, integrand)
        total = part if total is None else total + part
        start = stop
    return total, 0.0


def _sum_window(x, log_density, integrand):
    with np.errstate(all="ignore"):
        lp = _finite(log_density(x))
    keep = np.isfinite(lp)
    x, lp = x[keep], lp[keep]
    return (np.exp(lp)[:, None] * integrand(x, lp)).sum(axis=0)


# -- continuous


def _quadrature(spec, log_density, integrand, atol, noise_limit, degree=2):
    support = spec.support
    (to_x, log_jac), grid, (ulo, uhi) = _transform(support)
    beyond = _Beyond(spec, to_x, log_density, integrand, degree)

    def evaluate(u):
        """log p and the integrand at x(u); past the end of float64, by affine extrapolation."""
        u = np.asarray(u, dtype=np.float64)
        with np.errstate(over="ignore"):
            # x = e^u overflows to inf past the end of float64; those points are the ones
            # ``beyond`` extrapolates below, so the overflow is expected, not an error.
            x = to_x(u)
        with np.errstate(all="ignore"):
            lp = _finite(log_density(x))
            vals = integrand(x, lp)
        out = beyond.mask(x)
        if out.any():
            lp = lp.copy()
            vals = np.array(vals, dtype=np.float64)
            lp[out], vals[out] = beyond(u[out])
        return lp, vals

    def ell(u):
        with np.errstate(all="ignore"):
            return _finite(evaluate(u)[0] + log_jac(np.asarray(u, dtype=np.float64)))

    def g(u):
        lp, vals = evaluate(u)
        with np.errstate(all="ignore"):
            w = np.exp(lp + log_jac(u))
        vals = np.where(w[:, None] == 0.0, 0.0, vals)
        return w[:, None] * vals

    def env(u):
        lp, vals = evaluate(u)
        with np.errstate(all="ignore"):
            mag = np.max(np.abs(vals), axis=-1)
            mag = np.where(np.isnan(mag), np.inf, np.minimum(mag, np.finfo(float).max))
            return _finite(lp + np.log1p(mag)) + log_jac(u)

    # 1. The mode of the density in u: the best grid point, then a bounded 1-d search.
    lg = ell(grid)
    i = int(np.argmax(lg))
    if not np.isfinite(lg[i]):
        raise QuadratureError("the log density is not finite anywhere on the search grid")
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    res = scipy.optimize.minimize_scalar(lambda u: -ell(np.array([u]))[0], bounds=(a, b),
                                         method="bounded",
                                         options={"xatol": 1e-14 * max(1.0, abs(grid[i]))})
    mode = float(res.x) if -res.fun >= lg[i] else float(grid[i])
    peak = float(ell(np.array([mode]))[0])
    # 2. The half-widths where the log density has dropped by ½ on each side.
    scales = max(1.0, abs(mode)) * 2.0 ** np.arange(-60, 12)
    widths = []
    for sign in (1, -1):
        drop = peak - ell(mode + sign * scales)
        over = np.nonzero(drop > 0.5)[0]
        widths.append(scales[max(over[0] - 1, 0)] if over.size else scales[-1])
    # 3. Breakpoints out to where the integrand envelope has fallen by DROP nats.
    mults = np.concatenate([[0.5, 1.0, 1.5], 2.0 ** np.arange(1, 60, 0.5)])
    points = [mode]
    for sign, w in zip((1, -1), widths):
        cand = mode + sign * w * mults
        inside = (cand > ulo) & (cand < uhi)
        cand = cand[inside]
        e = env(cand) if cand.size else np.array([])
        low = np.nonzero(e < peak - DROP)[0]
        if low.size:
            j = low[0]
            finite_before = e[:j][np.isfinite(e[:j])]
            if not np.isfinite(e[j]) and (finite_before.size == 0
                                          or finite_before[-1] > peak - DROP / 2):
                raise QuadratureError(
                    "the density still has mass where x is no longer representable in float64")
            points.extend(cand[: j + 1])
        elif cand.size < mults.size:  # reached a finite end of the support
            points.extend(cand)
            points.append(uhi if sign > 0 else ulo)
        else:
            raise QuadratureError("the integrand's tail does not decay")
    # On a bounded support (the circle) the whole range is covered: a peak near one end wraps
    # around to the other.
    points += [b for b in (ulo, uhi) if np.isfinite(b)]
    edges = np.unique(np.asarray(points, dtype=np.float64))
    # 4. Adaptive composite Gauss–Legendre on the segments, all at once.
    segs = np.stack([edges[:-1], edges[1:]], axis=-1)
    done_val = 0.0
    done_err = 0.0
    parent_err = np.full(len(segs), np.inf)
    noise_diff = 0.0
    for _ in range(50):
        vals, errs, diffs = _gauss(g, segs, signed=True)
        total_err = done_err + errs.sum()
        if total_err <= atol:
            return done_val + vals.sum(axis=0), float(total_err)
        # Keep segments whose error is small enough for their share; bisect the rest. A smooth
        # integrand's 20-vs-40-point difference falls by orders of magnitude per bisection;
        # a segment whose halves together differ by more than a quarter of its own is at
        # the rounding noise of the integrand itself (x ~ 1e3 with σ ~ 1e-3 leaves (x − μ)/σ
        # about 1e-10 of relative noise): bisecting further cannot help, so it is accepted
        # with its error estimate, which still counts against ``noise_limit``.
        share = atol / (2.0 * max(len(segs), 1))
        pair_err = errs.reshape(-1, 2).sum(axis=1) if len(segs) % 2 == 0 else None
        stalled = np.zeros(len(segs), dtype=bool)
        if pair_err is not None and np.all(np.isfinite(parent_err)):
            stalled = np.repeat(pair_err >= 0.25 * parent_err[::2], 2)
        # A stalled segment still bisects while its estimate exceeds the noise limit: early
        # on, 20 vs 40 points can stall because both rules are still far off.
        ok = (errs <= share) | (stalled & (errs <= noise_limit / 4))
        done_val = done_val + vals[ok].sum(axis=0)
        # Converged segments count their error bound in full; stalled (noise-dominated) ones
        # by the signed difference of the two rules, summed before taking its size, since
        # rounding noise from segment to segment is independent and partly cancels.
        conv = errs <= share
        done_err += errs[conv].sum()
        noise_diff = noise_diff + diffs[ok & ~conv].sum(axis=0)
        if ok.all():
            total = done_err + float(np.max(np.abs(noise_diff), initial=0.0))
            if total <= noise_limit:
                return done_val, total
            done_err = total
            break
        bad = segs[~ok]
        mid = 0.5 * (bad[:, 0] + bad[:, 1])
        # Children are laid out pairwise (left, right of each parent) so stalls can be found.
        segs = np.stack([np.stack([bad[:, 0], mid], -1), np.stack([mid, bad[:, 1]], -1)],
                        axis=1).reshape(-1, 2)
        parent_err = np.repeat(errs[~ok], 2)
        if len(segs) > 20_000:
            break
    raise QuadratureError(f"the quadrature did not reach an absolute accuracy of {atol:g} "
                          f"(error estimate {float(done_err):.3g} at rounding-noise limit "
                          f"{noise_limit:g})")


class _Beyond:
    """Evaluation where x(u) is no longer a float64 (x = eᵘ below 1e-308, expit(u) rounding to
    0 or 1), for supports with such ends.

    Every kernel of an exponential family depends on x only through the features
    (1, T(x), log h(x)): the log density is affine in them, the score and Hessian affine in T,
    and the integrands of the checks (s sᵀ, p log(p/q), ...) at most quadratic. That quadratic
    map is fitted on representable points near the same end (and must reproduce them to 1e-9,
    or the extrapolation is refused); the features come from the declaration with x(u)
    substituted symbolically (log eᵘ = u), so they are exact at any u.
    """

    def __init__(self, spec, to_x, log_density, integrand, degree=2):
        self.spec, self.to_x, self.degree = spec, to_x, degree
        self.log_density, self.integrand = log_density, integrand
        self.kind = spec.support.kind
        self._fits = {}

    def mask(self, x):
        if self.kind == "positive_reals":
            # Below 1e-300 x = eᵘ nears the subnormals, where it keeps fewer digits than u.
            return (x < 1e-300) | ~(x < 1e300)
        if self.kind == "greater_than":
            # x = c + eᵘ: only the upper end leaves float64 (the lower one is the float c).
            return ~(x < 1e300)
        if self.kind in UNIT_KINDS:
            # Near 1, x = expit(u) is quantized in steps of 1.1e-16, so 1 − x (and log(1 − x))
            # is a staircase in u with relative steps of 1e-16/(1 − x): integrated, the stairs
            # cost digits once 1 − x < 1e-4. There the exact features in u take over.
            return (x == 0.0) | ~(x < 1.0 - 1e-4)
        return np.zeros(np.shape(x), dtype=bool)

    def __call__(self, u):
        lp = np.full(u.shape, -np.inf)
        vals = None
        for side, sel in (("low", u < 0), ("high", u >= 0)):
            if not sel.any():
                continue
            if side not in self._fits:
                self._fits[side] = self._build(side)
            feats, B = self._fits[side]
            with np.errstate(all="ignore"):
                out = feats(u[sel]) @ B
            if vals is None:
                vals = np.zeros(u.shape + (B.shape[1] - 1,))
            lp[sel], vals[sel] = out[:, 0], out[:, 1:]
        return lp, vals

    def _build(self, side):
        base = _features_of_u(self.spec)
        if side == "low":
            anchors = np.linspace(-690.0, -600.0, 81)
        elif self.kind in ("positive_reals", "greater_than"):
            anchors = np.linspace(600.0, 690.0, 81)
        else:
            anchors = np.linspace(3.0, 9.2, 81)  # 1 − x from 0.05 down to the mask's 1e-4

        def feats(uu):
            F = base(uu)
            n = F.shape[-1]
            if self.degree == 2:
                iu = np.triu_indices(n)
                return (F[..., :, None] * F[..., None, :])[..., iu[0], iu[1]]
            # Every monomial of degree ≤ ``degree`` (F holds the constant 1 among its columns).
            combos = itertools.combinations_with_replacement(range(n), self.degree)
            return np.stack([np.prod(F[..., list(c)], axis=-1) for c in combos], axis=-1)

        x = self.to_x(anchors)
        keep = ~self.mask(x)
        anchors, x = anchors[keep], x[keep]
        with np.errstate(all="ignore"):
            lp = np.asarray(self.log_density(x), dtype=np.float64)
            Y = np.concatenate([lp[:, None], self.integrand(x, lp)], axis=1)
            Phi = feats(anchors)
        ok = np.all(np.isfinite(Y), axis=1) & np.all(np.isfinite(Phi), axis=1)
        if not ok.any() and np.all(np.exp(lp) == 0.0):
            # The density already underflows to 0 at this end of float64 (and is unimodal):
            # nothing lies beyond.
            width = Y.shape[1]
            return ((lambda uu: np.zeros(np.shape(uu) + (1,))),
                    np.array([[-np.inf] + [0.0] * (width - 1)]))
        if not ok.any():
            raise QuadratureError(f"no finite evaluation near the {side} end of float64 to "
                                  "extrapolate the integrand from")
        Phi, Y = Phi[ok], Y[ok]
        norm = np.maximum(np.max(np.abs(Phi), axis=0), 1e-300)
        B = np.linalg.lstsq(Phi / norm, Y, rcond=None)[0] / norm[:, None]
        scale = np.maximum(np.max(np.abs(Y), axis=0), 1e-300)
        resid = np.max(np.abs(Phi @ B - Y) / scale) if len(Y) else np.inf
        if not resid <= 1e-9 or Phi.shape[0] < 8:
            raise QuadratureError(
                "the density has mass where x is not a float64 and the integrand is not of "
                f"degree {self.degree} in (T(x), log h(x)) there (residual {resid:.2g}); "
                "cannot extrapolate")
        return feats, B


_FEATURES: dict = {}


def _features_of_u(spec):
    """u -> (1, T(x(u)), log h(x(u))) from the declaration, exact for any float u."""
    if spec in _FEATURES:
        return _FEATURES[spec]
    import sympy as sp

    from ...symbolic.derive import natural_form

    nat = natural_form(spec)
    x = nat.x[0]
    u = sp.Symbol("u", real=True)
    softplus = sp.Function("softplus")
    if spec.support.kind == "positive_reals":
        xu = sp.exp(u)
    elif spec.support.kind == "greater_than":
        xu = sp.nsimplify(spec.support.low) + sp.exp(u)
    else:
        xu = 1 / (1 + sp.exp(-u))
    exprs = []
    for e in list(nat.statistics) + [nat.log_base_measure]:
        e = sp.expand_log(sp.simplify(sp.sympify(e).subs(x, xu)), force=True)
        if spec.support.kind in UNIT_KINDS:
            # log x = −log(1 + e^−u), log(1 − x) = −log(1 + e^u): keep them finite for any u.
            e = sp.expand_log(sp.simplify(e.subs(sp.log(1 - xu), -sp.log(1 + sp.exp(u)))),
                              force=True)
            e = e.replace(lambda a: isinstance(a, sp.log) and a.args[0].is_Add
                          and len(a.args[0].args) == 2 and sp.S.One in a.args[0].args
                          and any(isinstance(b, sp.exp) for b in a.args[0].args),
                          lambda a: softplus([b for b in a.args[0].args
                                              if isinstance(b, sp.exp)][0].args[0]))
        if spec.support.kind == "greater_than":
            # log(c + eᵘ) = u + log(1 + c e⁻ᵘ): finite for any u (the features are needed at
            # u > 709, where eᵘ overflows).
            e = e.replace(lambda a: isinstance(a, sp.log) and a.args[0] == xu,
                          lambda a: u + sp.log(1 + (xu - sp.exp(u)) * sp.exp(-u)))
        exprs.append(e)
    fn = sp.lambdify(u, exprs, modules=[{"softplus": lambda w: np.logaddexp(0.0, w)}, "numpy",
                                        "scipy"])

    def feats(uu):
        uu = np.asarray(uu, dtype=np.float64)
        cols = [np.broadcast_to(np.asarray(c, dtype=np.float64), uu.shape) for c in fn(uu)]
        return np.stack([np.ones_like(uu)] + cols, axis=-1)

    _FEATURES[spec] = feats
    return feats


def _gauss(g, segs, signed=False):
    """Gauss–Legendre 20 and 40 on each segment: values (s, c) from the 40-point rule, errors
    (s,)."""
    out = []
    for n in (20, 40):
        nodes, weights = _GL[n]
        half = 0.5 * (segs[:, 1] - segs[:, 0])
        mid = 0.5 * (segs[:, 1] + segs[:, 0])
        u = (mid[:, None] + half[:, None] * nodes[None, :]).ravel()
        vals = g(u).reshape(len(segs), n, -1)
        out.append(np.einsum("snc,n->sc", vals, weights) * half[:, None])
    coarse, fine = out
    err = np.max(np.abs(fine - coarse), axis=-1)
    err = np.where(np.isfinite(err), err, np.inf)
    if signed:
        return fine, err, fine - coarse
    return fine, err
