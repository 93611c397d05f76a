"""race: iterations and wall time to a tolerance, for every stepper, on MLE problems.

Each problem is the maximum-likelihood fit of a sample drawn at a true parameter, started from
the same distribution in every parametrization. The learning rate is grid-searched per stepper
(the best converged configuration wins: fewest iterations, then smallest loss gap). A run converges
when its loss is within ``ftol`` of the exact MLE's loss.
"""

from __future__ import annotations

import numpy as np

import fisherlab as fl

from ._common import build_problem, mle_spec, parallel_map, pyplot, run_task, save

#: (family, parametrization, dims, home parametrization, truth, start) in the home parametrization
PROBLEMS = [
    ("normal", "mean_std", {}, "mean_std", (3.0, 2.0), (0.0, 1.0)),
    ("normal", "mean_logstd", {}, "mean_std", (3.0, 2.0), (0.0, 1.0)),
    ("normal", "natural", {}, "mean_std", (3.0, 2.0), (0.0, 1.0)),
    ("gamma", "shape_rate", {}, "shape_rate", (2.0, 3.0), (1.0, 1.0)),
    ("beta", "alpha_beta", {}, "alpha_beta", (2.0, 5.0), (1.0, 1.0)),
    ("dirichlet", "alpha", {"k": 5}, "alpha", (0.5, 1.0, 1.5, 2.0, 3.0), (1.0,) * 5),
]

FIRST_ORDER = ("GD", "Momentum", "RMSProp", "Adam", "DiagonalFisher")
SECOND_ORDER = ("Newton", "NaturalGradient", "EmpiricalFisher", "MirrorDescent")
STEPPERS = FIRST_ORDER + SECOND_ORDER


def grids(quick: bool = False) -> dict:
    """Hyperparameter grid of every stepper."""
    lrs = [1e-3, 1e-2, 1e-1] if quick else list(10.0 ** np.arange(-4.0, 0.51, 0.5))
    second = [0.25, 1.0] if quick else [0.03, 0.1, 0.25, 0.5, 1.0]
    out = {name: [{"lr": float(lr)} for lr in lrs] for name in FIRST_ORDER}
    out.update({name: [{"lr": lr} for lr in second] for name in SECOND_ORDER})
    return out


def available_problems(problems=None):
    """The race problems whose family is in the catalog (beta and dirichlet arrived later)."""
    names = set(fl.families())
    return [p for p in (problems or PROBLEMS) if p[0] in names]


def label(prob) -> str:
    """The display label of a race problem: ``family [dims] parametrization``."""
    family, param, dims = prob[:3]
    d = "".join(f" {k}={v}" for k, v in dims.items())
    return f"{family}{d} {param}"


def run_race(out_dir=None, *, workers: int = 1, scheduler: str | None = None,
             progress: bool | None = None, quick: bool = False, n: int | None = None,
             max_iter: int | None = None, ftol: float = 1e-9, seed: int = 0,
             problems=None, steppers=STEPPERS) -> dict:
    """Run the race; returns the numbers (and writes race.json / race.png into ``out_dir``).

    Parameters
    ----------
    out_dir : str, optional
    workers, scheduler : see :func:`fisherlab.experiments._common.parallel_map`
    quick : bool
        Small grid, sample and iteration cap (tests).
    n : int
        Sample size (default 500, quick 100).
    max_iter : int
        Iteration cap per run (default 2000, quick 300).
    ftol : float
        Converged when loss − optimal loss ≤ ftol.
    """
    n = n or (100 if quick else 500)
    max_iter = max_iter or (300 if quick else 2000)
    grid = grids(quick)
    tasks, meta = [], []
    for prob in available_problems(problems):
        family, param, dims, home, truth, start = prob
        fam = fl.family(family, **dims)
        spec = mle_spec(family, param, home, truth, n, seed, dims)
        problem = build_problem(spec)
        opt_loss = problem.loss(problem.optimum())
        theta0 = fam.convert(np.array(start), home, param)
        meta.append({"problem": label(prob), "optimal_loss": opt_loss, "start": theta0.tolist(),
                     "mle": problem.optimum().tolist()})
        for name in steppers:
            for hyper in grid[name]:
                tasks.append({"problem": spec, "stepper": name, "hyper": hyper,
                              "theta0": theta0.tolist(), "label": label(prob),
                              "run": {"max_iter": max_iter, "ftol": ftol, "target_loss": opt_loss,
                                      "record_kl": False}})
    results = parallel_map(run_task, tasks, workers=workers, scheduler=scheduler,
                           progress=progress, label="race")
    opt_loss_of = {m["problem"]: m["optimal_loss"] for m in meta}
    best = {}
    for r in results:
        key = (r["label"], r["stepper"])
        # deterministic ranking (so --workers and --scheduler pick the same runs): converged
        # first, by iterations, then by the loss gap; failed runs by their best loss gap
        gap = (r["loss"][-1] - opt_loss_of[r["label"]]) if r["loss"] else np.inf
        score = ((0, r["iterations"], gap) if r["status"] == "converged" else (1, gap, 0))
        if key not in best or score < best[key][0]:
            best[key] = (score, r)
    rows = []
    for m in meta:
        row = {"problem": m["problem"], "optimal_loss": m["optimal_loss"]}
        for name in steppers:
            r = best[(m["problem"], name)][1]
            row[name] = {"converged": r["status"] == "converged", "iterations": r["iterations"],
                         "seconds": r["time"][-1] if r["time"] else None, "hyper": r["hyper"],
                         "status": r["status"],
                         "gap": (r["loss"][-1] - m["optimal_loss"]) if r["loss"] else None}
        rows.append(row)
    numbers = {"experiment": "race", "n": n, "max_iter": max_iter, "ftol": ftol, "seed": seed,
               "grid": grid, "problems": meta, "rows": rows, "steppers": list(steppers),
               "table_md": table_markdown(rows, steppers, max_iter)}
    fig = _figure(meta, steppers, best)
    numbers["files"] = save(out_dir, "race", numbers, fig)
    return numbers


def table_markdown(rows, steppers, max_iter) -> str:
    """Markdown table: iterations (wall ms) to the tolerance; — when no grid point converged."""
    head = "| problem | " + " | ".join(steppers) + " |"
    sep = "|---|" + "---:|" * len(steppers)
    lines = [head, sep]
    for row in rows:
        cells = []
        for name in steppers:
            c = row[name]
            if c["converged"]:
                cells.append(f"{c['iterations']} ({1e3 * c['seconds']:.1f} ms)")
            else:
                cells.append(
                    f"— (>{max_iter})" if c["status"] == "max_iter" else f"— ({c['status']})"
                )
        lines.append(f"| {row['problem']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _figure(meta, steppers, best):
    plt = pyplot()
    k = len(meta)
    cols = min(3, k)
    rows = -(-k // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5 * cols, 3.6 * rows), squeeze=False)
    for ax, m in zip(axes.ravel(), meta):
        for name in steppers:
            r = best[(m["problem"], name)][1]
            gap = np.maximum(np.array(r["loss"]) - m["optimal_loss"], 1e-16)
            ax.semilogy(np.arange(len(gap)), gap, label=name)
        ax.set_title(m["problem"])
        ax.set_xlabel("iteration")
        ax.set_ylabel("loss − optimal loss")
        ax.set_xscale("symlog", linthresh=10)
    for ax in axes.ravel()[k:]:
        ax.axis("off")
    axes.ravel()[0].legend(fontsize=7)
    fig.suptitle("race: best grid point per stepper")
    fig.tight_layout()
    return fig
