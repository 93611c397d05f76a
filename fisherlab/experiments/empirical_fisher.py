"""empirical-fisher: Kunstner, Balles & Hennig (2019), Figure 1, on exact quantities.

Linear regression with a Gaussian prior: x = [1, lognormal(0, 0.75)], θ_true = (2, 2),
y = xᵀθ + N(0, 1), N = 1000; loss = mean((xᵀθ − y)²)/2 + ‖θ‖²/(2·0.1·N). The vector fields
−g/3 (GD), −(F + 1e-8 I)⁻¹g (natural gradient; F is the Fisher of the loss, prior included) and
−3(EF + 1e-8 I)⁻¹g (empirical Fisher, without the prior term) on a 15×15 grid over [−1, 5]², and
trajectories of the three steppers from four starts. Natural-gradient paths run straight to the
minimum (F is the Hessian here); empirical-Fisher paths bend away.
"""

from __future__ import annotations

import numpy as np

from ..optim import GD, GLM, EmpiricalFisher, NaturalGradient, run
from ._common import pyplot, save

STARTS = [(2.0, 4.5), (1.0, 0.0), (4.5, 3.0), (-0.5, 3.0)]


def make_problem(N: int = 1000, seed: int = 0) -> GLM:
    """The regression problem of the figure (Gaussian GLM with unit variance and the prior as
    l2)."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(N), rng.lognormal(0.0, 0.75, size=N)])
    y = X @ np.array([2.0, 2.0]) + rng.normal(size=N)
    # (y − xᵀθ)²/2 per row plus a constant ½ log 2π that moves no gradient
    return GLM(X, y, "normal", l2=1.0 / (0.1 * N))


def _deviation(path, end):
    """Largest distance of a path from the straight segment between its start and ``end``."""
    a, b = path[0], end
    u = (b - a) / np.linalg.norm(b - a)
    rel = path - a
    perp = rel - np.outer(rel @ u, u)
    return float(np.max(np.linalg.norm(perp, axis=1)))


def run_empirical_fisher(
    out_dir=None,
    *,
    N: int = 1000,
    grid: int = 15,
    steps: int = 100,
    h: float = 0.1,
    seed: int = 0,
    contour: int = 120,
    progress=None,
    **_,
) -> dict:
    """Vector fields and trajectories; returns the numbers (writes empirical-fisher.json/.png).

    Parameters
    ----------
    N : int
        Sample size.
    grid : int
        Vector-field grid points per axis over [−1, 5].
    steps : int
        Iterations of each trajectory.
    h : float
        Step factor of the trajectories: GD lr h/3, NGD lr h, EF lr 3h (the fields' scalings).
    contour : int
        Resolution of the loss contours in the figure.
    """
    prob = make_problem(N, seed)
    opt = prob.optimum()
    eye = 1e-8 * np.eye(2)
    ticks = np.linspace(-1.0, 5.0, grid)
    P = np.array([(a, b) for b in ticks for a in ticks])
    fields = {"GD": [], "NGD": [], "EF": []}
    for th in P:
        g = prob.grad(th)
        fields["GD"].append(-g / 3)
        fields["NGD"].append(-np.linalg.solve(prob.fisher(th) + eye, g))
        fields["EF"].append(-3 * np.linalg.solve(prob.empirical_fisher(th) + eye, g))
    fields = {k: np.array(v) for k, v in fields.items()}
    steppers = {"GD": GD(lr=h / 3), "NGD": NaturalGradient(lr=h, damping=1e-8),
                "EF": EmpiricalFisher(lr=3 * h, damping=1e-8)}
    paths, summary = {}, {}
    for name, st in steppers.items():
        paths[name] = []
        for s in STARTS:
            res = run(prob, st, np.array(s), max_iter=steps, keep_path=True, record_kl=False)
            path = np.array(res.path)
            paths[name].append(path)
            summary.setdefault(name, []).append({
                "start": s, "status": res.status, "end": path[-1].tolist(),
                "distance_to_optimum": float(np.linalg.norm(path[-1] - opt)),
                "max_deviation_from_straight_line": _deviation(path, opt),
                "start_distance": float(np.linalg.norm(np.array(s) - opt))})
    numbers = {"experiment": "empirical-fisher", "N": N, "seed": seed, "optimum": opt.tolist(),
               "optimal_loss": prob.loss(opt), "steps": steps, "h": h,
               "trajectories": summary,
               "field_grid": P.tolist(), "fields": {k: v.tolist() for k, v in fields.items()},
               "fisher_at_optimum": prob.fisher(opt).tolist(),
               "empirical_fisher_at_optimum": prob.empirical_fisher(opt).tolist()}
    fig = _figure(prob, opt, P, fields, paths, contour)
    numbers["files"] = save(out_dir, "empirical-fisher", numbers, fig)
    return numbers


def _figure(prob, opt, P, fields, paths, contour):
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), sharey=True)
    g = np.linspace(-1, 5, contour)
    A, B = np.meshgrid(g, g)
    L = np.array([[prob.loss(np.array([a, b])) for a in g] for b in g])
    titles = {"GD": "gradient descent: −g/3", "NGD": "natural gradient: −(F + 10⁻⁸I)⁻¹g",
              "EF": "empirical Fisher: −3(EF + 10⁻⁸I)⁻¹g"}
    colors = ["tab:red", "tab:green", "tab:purple", "tab:orange"]
    for ax, name in zip(axes, ("GD", "NGD", "EF")):
        ax.contour(A, B, np.log(L - L.min() + 1e-3), levels=15, colors="0.8", linewidths=0.6)
        V = fields[name]
        norm = np.linalg.norm(V, axis=1, keepdims=True)
        U = V / np.maximum(norm, 1e-300)  # direction only; the length is shown by colour
        q = ax.quiver(P[:, 0], P[:, 1], U[:, 0], U[:, 1], np.log10(norm[:, 0] + 1e-300),
                      cmap="Blues", scale=25, width=0.004)
        for i, path in enumerate(paths[name]):
            ax.plot(path[:, 0], path[:, 1], "-", color=colors[i], lw=1.5,
                    label=f"start ({path[0, 0]:g}, {path[0, 1]:g})")
            ax.plot(*path[0], "o", color=colors[i], ms=4)
        ax.plot(*opt, "k*", ms=12, label="minimum")
        ax.set_title(titles[name], fontsize=10)
        ax.set_xlabel("θ₁ (intercept)")
        ax.set_xlim(-1.3, 5.3)
        ax.set_ylim(-1.3, 5.3)
        fig.colorbar(q, ax=ax, label="log₁₀ ‖step‖", shrink=0.8)
    axes[0].set_ylabel("θ₂ (slope)")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle("Kunstner, Balles & Hennig (2019) Fig. 1: linear regression, N = 1000")
    fig.tight_layout()
    return fig
