"""The figures of a derivation report (matplotlib, Agg backend, PNG).

Three pictures per family:

``kl``        KL(θ ‖ θ + tδ) and its quadratic model ½t²δᵀF(θ)δ against t on log-log axes, with
              the error |KL − ½t²δᵀFδ| and the slope fitted to it (3 when the cubic term
              (1/6)∂³A[δ,δ,δ] is non-zero).
``ellipses``  two-parameter families: Fisher ellipses {θ' : ½(θ'−θ)ᵀF(θ)(θ'−θ) = ε} on a grid
              of distributions, drawn in two parametrizations side by side, with the exact KL
              ball {θ' : KL(θ ‖ θ') = ε} dashed over each ellipse.
``descent``   gradient descent against natural gradient on the maximum-likelihood problem of a
              sample: trajectories over the loss contours in two parametrizations (two-parameter
              families), otherwise the loss gap per iteration.

Which figures a family gets is decided by :func:`plan` without drawing anything, so the
Markdown of a report does not depend on whether its figures were (re)drawn. Every random choice
uses a fixed seed: the pictures are reproducible.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np

from .. import Family
from ..families.domain import Domain

SEED = 20261125
_STYLE = {
    "font.size": 11, "axes.titlesize": 12, "axes.labelsize": 12, "legend.fontsize": 10,
    "xtick.labelsize": 10, "ytick.labelsize": 10, "figure.dpi": 110, "savefig.dpi": 110,
    "axes.grid": True, "grid.alpha": 0.3, "svg.hashsalt": "fisherlab",
}


@dataclass(frozen=True)
class FigurePlan:
    """One figure of a report: its kind, the parametrization(s) drawn and the caption."""

    kind: str                 # "kl", "ellipses" or "descent"
    params: tuple[str, ...]   # the parametrization(s) drawn
    caption: str


# ---------------------------------------------------------------------------------------------
# choosing what to draw


def home_parametrization(fam: Family, params) -> str:
    """The parametrization people use: the sampler's, if selected; else the first non-natural."""
    params = list(params)
    if fam.spec.sampler is not None and fam.spec.sampler[0] in params:
        return fam.spec.sampler[0]
    rest = [p for p in params if p != "natural"]
    return rest[0] if rest else params[0]


def _partner(fam: Family, home: str, params) -> str | None:
    """The second parametrization of the side-by-side figures.

    The last other non-natural one of the selection (catalogs list log-coordinates last, the
    most telling contrast), else the natural one, else any other of the same dimension.
    """
    p = len(fam.params(home))
    candidates = ([q for q in reversed(list(params)) if q != "natural"] + ["natural"]
                  + list(fam.parametrizations))
    for q in candidates:
        if q != home and len(fam.params(q)) == p:
            return q
    return None


def plan(fam: Family, params) -> list[FigurePlan]:
    """The figures a report of ``fam`` restricted to ``params`` contains, in order."""
    home = home_parametrization(fam, params)
    partner = _partner(fam, home, params)
    out = [FigurePlan("kl", (home,),
                      "Local KL in the `" + home + "` parametrization: the exact divergence "
                      "KL(θ ‖ θ + tδ) (solid), its quadratic model ½t²δᵀF(θ)δ (dashed) and their "
                      "difference (dotted), along a fixed random direction δ. The difference "
                      "shrinks like t³ (slope 3 on log-log axes, fitted in the legend), the cubic "
                      "term being (1/6)∂³A[δ,δ,δ] in natural coordinates; where that term "
                      "vanishes the slope is 4.")]
    if len(fam.params(home)) == 2 and partner is not None:
        out.append(FigurePlan(
            "ellipses", (home, partner),
            f"Fisher ellipses (solid) and exact KL balls KL(θ ‖ θ') = ε (dashed) around the same "
            f"grid of distributions, drawn in the `{home}` (left) and `{partner}` (right) "
            f"parametrizations. Grey lines: the `{home}` coordinate grid mapped into "
            f"`{partner}`. The same distributions, the same divergence: only the coordinates "
            f"differ, which is why raw parameters live on different scales."))
    pair = (home,) if partner is None else (home, partner)
    if fam.spec.sampler is None:
        return out  # the descent figure fits a sample: no sampler, no figure
    if len(fam.params(home)) == 2 and partner is not None:
        cap = (
            f"Maximum likelihood of a sample (n = {_N_SAMPLE}): gradient descent (GD) and "
            f"natural gradient (NG) from the same starting distribution, over the contours of "
            f"the negative mean log-likelihood, in the `{home}` (left) and `{partner}` (right) "
            "parametrizations. The natural-gradient step is the same in both "
            "to first order in the "
            f"step size (finite steps differ slightly); the gradient step depends on the "
            f"coordinates, and so does the step size GD can take."
        )
    else:
        cap = (
            f"Maximum likelihood of a sample (n = {_N_SAMPLE}): loss gap L(θ) − L(θ̂) per "
            f"iteration for gradient descent (GD, step 1/largest curvature) and natural "
            f"gradient (NG, full Fisher-scoring step), each run in "
            + " and ".join(f"`{q}`" for q in pair)
            + "; gaps at round-off are drawn at the dotted line."
        )
    out.append(FigurePlan("descent", pair, cap))
    return out


# ---------------------------------------------------------------------------------------------
# the point the pictures are drawn at


def _typical(lo: float, hi: float) -> float:
    """A moderate value inside the test range (lo, hi): its centre, pulled towards ±1..4."""
    if lo > 0:
        c = math.sqrt(lo * hi)
        return min(max(c, max(lo, 0.5)), min(hi, 4.0)) if hi > 0.5 else c
    if hi < 0:
        c = -math.sqrt(lo * hi)
        return max(min(c, min(hi, -0.5)), max(lo, -4.0)) if lo < -0.5 else c
    # Off-centre on purpose: at a symmetric point (p = ½, η = 0) the cubic term of the local
    # KL can vanish, and the figures should show the generic case.
    if math.isfinite(lo) and math.isfinite(hi) and hi - lo <= 2.0:
        return lo + 0.3 * (hi - lo)
    c = (lo + hi) / 2 + 0.5
    return min(max(c, max(lo, -1.0)), min(hi, 1.0))


def base_point(fam: Family, param: str) -> np.ndarray:
    """A moderate point of the family, in parametrization ``param``.

    Taken in the sampler's parametrization (or natural) from the parameters' test ranges, then
    converted; raises DomainError if the point violates a joint constraint.
    """
    src = fam.spec.sampler[0] if fam.spec.sampler is not None else "natural"
    pz = fam.spec.parametrization(src)
    theta = np.array([_typical(*p.test_range) for p in pz.params])
    fam.kernels(src).to_natural(theta)  # checks domains and joint constraints, loudly
    return theta if src == param else fam.convert(theta, src, param)


# ---------------------------------------------------------------------------------------------
# drawing


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        from ..errors import FisherlabError

        raise FisherlabError("report figures need matplotlib: pip install 'fisherlab[report]', "
                             "or pass --no-figures") from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    # No metadata: the bytes depend on the picture only (no software version or date).
    fig.savefig(buf, format="png", metadata={"Software": None}, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def _label(fam: Family, param: str, i: int) -> str:
    p = fam.spec.parametrization(param).params[i]
    return f"${p.latex}$" if p.latex else p.name


def _fmt_point(theta) -> str:
    return "(" + ", ".join(f"{v:.3g}" for v in theta) + ")"


def kl_data(fam: Family, param: str):
    """t, KL(θ‖θ+tδ), ½t²δᵀFδ, θ and δ of the local-KL figure, and the fitted error slope."""
    k = fam.kernels(param)
    theta = base_point(fam, param)
    rng = np.random.default_rng(SEED)
    u = rng.standard_normal(theta.shape[0])
    # Perturb every coordinate on its own scale, so no parameter dominates the direction.
    delta = u / np.linalg.norm(u) * np.maximum(np.abs(theta), 1.0) * 0.5
    t_max = 1.0
    while not np.all(k.in_domain(theta + np.linspace(0, t_max, 64)[:, None] * delta)):
        t_max /= 2
    t = t_max * np.logspace(-4, 0, 41)
    kl = k.kl(theta, theta + t[:, None] * delta)
    quad = 0.5 * t**2 * (delta @ k.fisher(theta) @ delta)
    err = np.abs(kl - quad)
    # Fit where the cubic term dominates both round-off (small t) and higher orders (large t).
    fit = (t >= t_max * 1e-2) & (t <= t_max * 1e-1) & (err > 0)
    slope = (
        float(np.polyfit(np.log(t[fit]), np.log(err[fit]), 1)[0]) if fit.sum() >= 2 else math.nan
    )
    return t, kl, quad, err, theta, delta, slope


def draw_kl(fam: Family, param: str) -> bytes:
    """PNG bytes of KL(θ ‖ θ + tδ) against its quadratic Fisher approximation along a line."""
    plt = _pyplot()
    t, kl, quad, err, theta, delta, slope = kl_data(fam, param)
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(6.8, 4.6))
        ax.loglog(t, kl, "-", lw=2.2, color="C0", label=r"KL$(\theta \,\|\, \theta + t\delta)$")
        ax.loglog(t, quad, "--", lw=1.8, color="C1",
                  label=r"$\frac{1}{2} t^2 \delta^\top F(\theta)\, \delta$")
        pos = err > 0
        ax.loglog(t[pos], err[pos], ":", marker=".", lw=1.6, color="C3",
                  label=f"|difference|  (fitted slope {slope:.2f})")
        ref = err[pos][-1] * (t[pos] / t[pos][-1]) ** 3
        ax.loglog(t[pos], ref, "-", lw=0.8, color="0.55", label=r"reference slope 3: $\propto t^3$")
        ax.set_xlabel("step size $t$")
        ax.set_ylabel("divergence (nats)")
        ax.set_title(f"{fam.spec.title} ({param}): local KL at θ = {_fmt_point(theta)}")
        ax.legend(loc="upper left")
        return _png(fig)


def _grid(fam: Family, param: str, theta: np.ndarray, n: int = 4):
    """An n × n grid of points around θ, each axis spaced on its own scale."""
    axes = []
    for p, v in zip(fam.spec.parametrization(param).params, theta):
        d: Domain = p.domain
        if math.isfinite(d.lo) and math.isfinite(d.hi):
            axes.append(d.lo + (d.hi - d.lo) * np.linspace(0.2, 0.8, n))
        elif d.lo >= 0 or d.hi <= 0:  # a half-line: multiplicative spacing around θ
            axes.append(v * np.linspace(0.5, 1.8, n))
        else:
            half = max(1.0, abs(v))
            axes.append(v + half * np.linspace(-1, 1, n))
    g1, g2 = np.meshgrid(*axes, indexing="ij")
    pts = np.stack([g1.ravel(), g2.ravel()], -1)
    return pts[fam.kernels(param).in_domain(pts)], axes


def _ellipse(F: np.ndarray, eps: float, m: int = 120) -> np.ndarray:
    """Points δ with ½δᵀFδ = eps: (m, 2)."""
    L = np.linalg.cholesky(F)
    ang = np.linspace(0, 2 * np.pi, m)
    circle = np.stack([np.cos(ang), np.sin(ang)])
    return (np.sqrt(2 * eps) * np.linalg.solve(L.T, circle)).T


def _kl_ball(k, theta: np.ndarray, F: np.ndarray, eps: float, m: int = 120) -> np.ndarray:
    """Points θ' with KL(θ ‖ θ') = eps on the rays through the Fisher ellipse (bisection)."""
    dirs = _ellipse(F, eps, m)
    raw = k.unchecked()
    lo = np.zeros(m)
    hi = np.ones(m)
    # Grow each ray until it is outside the ball or would leave the domain.
    for _ in range(20):
        cand = theta + hi[:, None] * dirs
        ok = k.in_domain(cand)
        kl = np.where(
            ok,
            raw.kl(np.broadcast_to(theta, cand.shape), np.where(ok[:, None], cand, theta)),
            np.inf,
        )
        grow = kl < eps
        if not grow.any():
            break
        lo = np.where(grow, hi, lo)
        hi = np.where(grow, hi * 2, hi)
    for _ in range(50):
        mid = (lo + hi) / 2
        cand = theta + mid[:, None] * dirs
        ok = k.in_domain(cand)
        kl = np.where(
            ok,
            raw.kl(np.broadcast_to(theta, cand.shape), np.where(ok[:, None], cand, theta)),
            np.inf,
        )
        inside = kl < eps
        lo = np.where(inside, mid, lo)
        hi = np.where(inside, hi, mid)
    return theta + ((lo + hi) / 2)[:, None] * dirs


def draw_ellipses(fam: Family, home: str, partner: str) -> bytes:
    """PNG bytes of Fisher ellipses over a grid in ``home``, with their images in ``partner``."""
    plt = _pyplot()
    ka, kb = fam.kernels(home), fam.kernels(partner)
    theta0 = base_point(fam, home)
    pts, axes = _grid(fam, home, theta0)
    FA = ka.fisher(pts)
    # ε: the largest KL ball whose ellipse stays within 45% of the grid spacing everywhere.
    spacing = np.array([np.min(np.diff(a)) for a in axes])
    cov = np.linalg.inv(FA)
    eps = float(np.min((0.45 * spacing) ** 2 / (2 * np.diagonal(cov, axis1=-2, axis2=-1))))
    pts_b = fam.convert(pts, home, partner)
    FB = kb.fisher(pts_b)
    with plt.rc_context(_STYLE):
        fig, axs = plt.subplots(1, 2, figsize=(12, 5.2))
        for ax, k, P, F, name in ((axs[0], ka, pts, FA, home), (axs[1], kb, pts_b, FB, partner)):
            if name == partner:
                # the home coordinate lines, mapped into the partner coordinates
                for i in range(2):
                    for v in axes[i]:
                        line = np.empty((200, 2))
                        line[:, i] = v
                        other = axes[1 - i]
                        line[:, 1 - i] = np.linspace(other[0], other[-1], 200)
                        line = line[ka.in_domain(line)]
                        if len(line) > 1:
                            mapped = fam.convert(line, home, partner)
                            ax.plot(mapped[:, 0], mapped[:, 1], color="0.8", lw=0.8, zorder=0)
            drawn = []
            for j, (p, Fj) in enumerate(zip(P, F)):
                e = p + _ellipse(Fj, eps)
                ball = _kl_ball(k, p, Fj, eps)
                drawn += [e, ball]
                ax.plot(e[:, 0], e[:, 1], "-", color="C0", lw=1.6,
                        label="Fisher ellipse ½δᵀF(θ)δ = ε" if j == 0 else None)
                ax.plot(ball[:, 0], ball[:, 1], "--", color="C3", lw=1.2,
                        label="exact KL(θ ‖ θ') = ε" if j == 0 else None)
                ax.plot(*p, ".", color="k", ms=3)
            ax.set_xlabel(_label(fam, name, 0) + f"   ({fam.params(name)[0]})")
            ax.set_ylabel(_label(fam, name, 1) + f"   ({fam.params(name)[1]})")
            ax.set_title(f"{name} parametrization")
            # Frame the balls, not the (possibly far-reaching) mapped coordinate lines.
            pts_all = np.concatenate(drawn)
            lo, hi = pts_all.min(0), pts_all.max(0)
            pad = 0.08 * (hi - lo)
            ax.set_xlim(lo[0] - pad[0], hi[0] + pad[0])
            ax.set_ylim(lo[1] - pad[1], hi[1] + pad[1])
        fig.suptitle(f"{fam.spec.title}: KL balls of radius ε = {eps:.2g} nats", fontsize=13)
        fig.tight_layout(rect=(0, 0.07, 1, 1))
        fig.legend(*axs[0].get_legend_handles_labels(), loc="lower center", ncol=2, frameon=False)
        return _png(fig)


_N_SAMPLE = 200


def _mle_problem(fam: Family, param: str, x):
    # The optimizer subsystem's MLE problem: loss −mean log p(x_i | θ) from the kernels.
    from ..optim import MLE

    return MLE(fam, param, x)


def _descend(problem, method: str, theta0, lr: float, steps: int):
    """One run of GD or natural gradient with the optim steppers; returns (path, losses, status)."""
    from ..optim import GD, NaturalGradient, run

    stepper = GD(lr=lr) if method == "GD" else NaturalGradient(lr=lr)
    res = run(problem, stepper, theta0, max_iter=steps, gtol=1e-12, record_kl=False,
              keep_path=True)
    return np.array(res.path), np.array(res.loss), res.status


#: Natural-gradient step sizes: a quarter step where the path is drawn over contours (so the
#: curve is visible), the full Fisher-scoring step where only the loss gap is plotted.
NG_LR_PATH = 0.25
NG_LR_GAP = 1.0


def descent_data(fam: Family, params, steps: int = 60):
    """Sample, problems, start point and GD / NG runs of the descent figure, per parametrization."""
    home = params[0]
    theta_star = base_point(fam, home)
    x = fam.sample(theta_star, home, size=_N_SAMPLE, seed=SEED)
    # Start from a distribution well away from the MLE: the grid corner of the ellipse figure,
    # or, for other families, θ* moved along a fixed direction.
    if len(theta_star) == 2:
        pts, _ = _grid(fam, home, theta_star)
        start_home = pts[0]
    else:
        start_home = theta_star * np.where(np.arange(len(theta_star)) % 2 == 0, 0.5, 1.6)
        if not fam.kernels(home).in_domain(start_home):
            start_home = theta_star * 0.7
    runs = {}
    for q in params:
        prob = _mle_problem(fam, q, x)
        start = start_home if q == home else fam.convert(start_home, home, q)
        opt = prob.optimum()
        # GD's step: 1/(largest curvature) between the start and the optimum, the classical
        # stable choice for a smooth loss; NG needs no such tuning (a quarter step, to show the
        # path).
        curv = max(
            np.linalg.eigvalsh(prob.hessian(start)).max(),
            np.linalg.eigvalsh(prob.hessian(opt)).max(),
        )
        lr_ng = NG_LR_PATH if len(start) == 2 and len(params) == 2 else NG_LR_GAP
        gd = _descend(prob, "GD", start, 1.0 / curv, steps)
        ng = _descend(prob, "NG", start, lr_ng, steps)
        runs[q] = dict(problem=prob, start=start, opt=opt, gd=gd, ng=ng, lr_gd=1.0 / curv,
                       lr_ng=lr_ng, opt_loss=prob.loss(opt))
    return runs


def _outcome(run, opt_loss: float) -> str:
    path, losses, status = run
    steps = len(path) - 1
    gap = f"final loss gap {max(losses[-1] - opt_loss, 0.0):.1e}"
    if status in ("converged", "max_iter"):
        return f"{steps} steps, {gap}"
    return f"{status.replace('_', ' ')} after {steps} steps"


def draw_descent(fam: Family, params) -> bytes:
    """PNG bytes of the descent paths of the steppers in each parametrization of ``params``."""
    plt = _pyplot()
    runs = descent_data(fam, params)
    two_d = len(fam.params(params[0])) == 2 and len(params) == 2
    with plt.rc_context(_STYLE):
        if two_d:
            fig, axs = plt.subplots(1, 2, figsize=(12, 5.2))
            for ax, q in zip(axs, params):
                r = runs[q]
                paths = [r["gd"][0], r["ng"][0], r["opt"][None]]
                allp = np.concatenate(paths)
                lo, hi = allp.min(0), allp.max(0)
                pad = 0.15 * np.maximum(hi - lo, 1e-3 * np.maximum(np.abs(hi), 1.0))
                g1, g2 = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], 120),
                                     np.linspace(lo[1] - pad[1], hi[1] + pad[1], 120))
                grid = np.stack([g1, g2], -1)
                ok = r["problem"].k.in_domain(grid)
                loss = np.full(g1.shape, np.nan)
                loss[ok] = -np.mean(r["problem"].k.log_density(r["problem"].x[:, None],
                                                               grid[ok][None, :, :]), axis=0)
                gap = loss - r["opt_loss"]
                levels = (
                    r["opt_loss"] + np.quantile(gap[ok & (gap > 0)], np.linspace(0.02, 0.95, 14))
                    if np.any(ok & (gap > 0))
                    else 14
                )
                cs = ax.contour(
                    g1,
                    g2,
                    loss,
                    levels=np.unique(levels) if np.ndim(levels) else levels,
                    cmap="viridis",
                    linewidths=0.8,
                )
                ax.clabel(cs, fontsize=7, fmt="%.3g")
                gdp, ngp = r["gd"][0], r["ng"][0]
                ax.plot(gdp[:, 0], gdp[:, 1], "o-", ms=3, lw=1.4, color="C3",
                        label=f"GD, lr = {r['lr_gd']:.2g} ({_outcome(r['gd'], r['opt_loss'])})")
                ax.plot(ngp[:, 0], ngp[:, 1], "s-", ms=3, lw=1.4, color="C0",
                        label=f"NG, lr = {r['lr_ng']:g} ({_outcome(r['ng'], r['opt_loss'])})")
                ax.plot(*r["start"], "k^", ms=8, label="start")
                ax.plot(*r["opt"], "k*", ms=12, label="MLE")
                ax.set_xlabel(_label(fam, q, 0) + f"   ({fam.params(q)[0]})")
                ax.set_ylabel(_label(fam, q, 1) + f"   ({fam.params(q)[1]})")
                ax.set_title(f"{q} parametrization")
                ax.legend(loc="best", fontsize=8.5, framealpha=0.9)
            fig.suptitle(
                f"{fam.spec.title}: maximum likelihood, GD vs natural gradient", fontsize=13
            )
        else:
            fig, ax = plt.subplots(figsize=(6.8, 4.6))
            styles = {"GD": ("C3", "o"), "NG": ("C0", "s")}
            floors = []
            for qi, q in enumerate(params):
                r = runs[q]
                for method, key in (("GD", "gd"), ("NG", "ng")):
                    losses = r[key][1]
                    # Below a few ulps of the loss the gap is round-off: drawn at that level.
                    floor = 8 * np.finfo(float).eps * max(abs(r["opt_loss"]), 1.0)
                    floors.append(floor)
                    gap = np.maximum(losses - r["opt_loss"], floor)
                    color, marker = styles[method]
                    lr = r["lr_gd"] if method == "GD" else r["lr_ng"]
                    status = r[key][2]
                    note = "" if status in ("converged", "max_iter") else \
                        f", {status.replace('_', ' ')} at step {len(losses)}"
                    ax.semilogy(np.arange(len(gap)), gap, marker=marker, ms=3,
                                ls="-" if qi == 0 else "--", color=color,
                                label=f"{method} in {q} (lr = {lr:.2g}{note})")
            ax.axhline(max(floors), color="0.5", ls=":", lw=1, label="round-off level")
            ax.set_xlabel("iteration")
            ax.set_ylabel(r"loss gap $L(\theta) - L(\hat\theta)$")
            ax.set_title(f"{fam.spec.title}: maximum likelihood, GD vs natural gradient")
            ax.legend(loc="best")
        fig.tight_layout()
        return _png(fig)


def _failure(fam: Family, fig: FigurePlan, exc: Exception) -> bytes:
    """A figure that says why it could not be drawn (shown in the report, not hidden)."""
    import textwrap

    plt = _pyplot()
    with plt.rc_context(_STYLE):
        f, ax = plt.subplots(figsize=(8, 2.6))
        ax.axis("off")
        msg = "\n".join(textwrap.wrap(f"{type(exc).__name__}: {exc}", 90))
        ax.text(0.0, 0.95, f"{fam.spec.title}: the {fig.kind} figure could not be drawn",
                fontsize=13, weight="bold", va="top", transform=ax.transAxes)
        ax.text(0.0, 0.7, msg, fontsize=10, va="top", family="monospace", transform=ax.transAxes)
        return _png(f)


def draw(fam: Family, fig: FigurePlan) -> bytes:
    """The PNG bytes of one planned figure.

    A library error while computing it (an MLE that does not converge, a point outside a
    domain) is drawn as the figure instead: the report shows the failure, and the other
    figures and the derivation are still written.
    """
    from ..errors import FisherlabError

    makers = {"kl": lambda: draw_kl(fam, fig.params[0]),
              "ellipses": lambda: draw_ellipses(fam, *fig.params),
              "descent": lambda: draw_descent(fam, list(fig.params))}
    if fig.kind not in makers:
        raise ValueError(f"unknown figure kind {fig.kind!r}")
    try:
        return makers[fig.kind]()
    except FisherlabError as exc:
        return _failure(fam, fig, exc)
