"""Invariance: whether natural gradient, or gradient descent, depends on the parametrization.

GD and natural gradient run from the same starting distribution on the same normal sample in
three parametrizations (mean_std, mean_logstd, natural), for a fixed flow time τ with step s
(τ/s iterations). Every iterate is mapped to (μ, σ). Natural gradient discretizes one
parametrization-free flow, so its trajectories approach each other as s → 0 (distance O(s));
gradient descent follows a different flow in each parametrization and its trajectories do not.
"""

from __future__ import annotations

import numpy as np

import fisherlab as fl

from ..errors import ConvergenceError
from ..optim import GD, MLE, NaturalGradient, run
from ._common import pyplot, save

PARAMS = ("mean_std", "mean_logstd", "natural")


def run_invariance(out_dir=None, *, n: int = 200, steps=(0.1, 0.05, 0.025, 0.0125, 0.00625),
                   tau: float = 1.0, truth=(1.0, 1.5), start=(0.0, 1.0), seed: int = 0,
                   progress=None, **_) -> dict:
    """Trajectory spread across parametrizations against the step; writes invariance.json/.png.

    Returns
    -------
    dict
        ``spread[stepper][i]``: the largest distance in (μ, σ), over matched iterates and pairs
        of parametrizations, at step ``steps[i]``; ``slope[stepper]``: the log-log slope of the
        spread against the step (≈ 1 for natural gradient: O(s)).
    """
    fam = fl.family("normal")
    x = fam.sample(np.array(truth), "mean_std", size=n, seed=seed)
    problems = {p: MLE(fam, p, x) for p in PARAMS}
    spread = {"GD": [], "NaturalGradient": []}
    paths = {}
    for s in steps:
        iters = int(round(tau / s))
        for name, cls in (("GD", GD), ("NaturalGradient", NaturalGradient)):
            mapped = []
            for p, prob in problems.items():
                theta0 = fam.convert(np.array(start), "mean_std", p)
                res = run(prob, cls(lr=s), theta0, max_iter=iters, keep_path=True, record_kl=False)
                if res.status != "max_iter":
                    raise ConvergenceError(f"invariance: {name} in {p} with step {s} ended "
                                       f"{res.status}: {res.message}")
                mapped.append(fam.convert(np.array(res.path), p, "mean_std"))
            d = max(float(np.max(np.linalg.norm(a - b, axis=1)))
                    for i, a in enumerate(mapped) for b in mapped[i + 1:])
            spread[name].append(d)
            paths[(name, s)] = mapped
    logs = np.log(np.array(steps))
    slope = {k: float(np.polyfit(logs, np.log(np.array(v)), 1)[0]) for k, v in spread.items()}
    numbers = {"experiment": "invariance", "n": n, "tau": tau, "truth_mean_std": list(truth),
               "start_mean_std": list(start), "parametrizations": list(PARAMS),
               "steps": list(steps), "spread": spread, "slope": slope,
               "mle_mean_std": fam.mle(x, "mean_std").tolist()}
    fig = _figure(steps, spread, paths, fam.mle(x, "mean_std"))
    numbers["files"] = save(out_dir, "invariance", numbers, fig)
    return numbers


def _figure(steps, spread, paths, mle):
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    s = steps[-1]
    styles = ["-", "--", ":"]
    for ax, name in zip(axes[:2], ("GD", "NaturalGradient")):
        for path, p, ls in zip(paths[(name, s)], PARAMS, styles):
            ax.plot(path[:, 0], path[:, 1], ls, lw=1.8, label=p)
        ax.plot(*mle, "k*", ms=10, label="MLE")
        ax.set_xlabel("μ")
        ax.set_ylabel("σ")
        ax.set_title(f"{name}, step {s:g}, {len(paths[(name, s)][0]) - 1} iterations, in (μ, σ)",
                     fontsize=9)
        ax.legend(fontsize=8)
    ax = axes[2]
    for name, v in spread.items():
        ax.loglog(steps, v, "o-", label=name)
    ref = np.array(steps)
    ax.loglog(ref, spread["NaturalGradient"][0] * ref / ref[0], "k:", label="slope 1 (O(step))")
    ax.set_xlabel("step size")
    ax.set_ylabel("max distance between parametrizations in (μ, σ)")
    ax.set_title("trajectory spread across 3 parametrizations", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
