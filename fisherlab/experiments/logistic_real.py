"""logistic-real: L2-regularized logistic regression on scikit-learn's bundled breast-cancer data.

569 × 30 features, unscaled, plus a bias column; start at 0; loss = mean log-loss + (λ/2)‖θ‖²
with λ = 1e-3 (without the penalty the data is separable and no optimum exists). The Hessian at
the optimum has condition number ≈ 3e7, which is where the steppers part ways. Learning rate and
damping are grid-searched per stepper; the optimum is checked against scikit-learn's
``LogisticRegression(C=1/(n·λ), fit_intercept=False, solver='newton-cholesky')`` (L2 penalty)
on the same matrix.
"""

from __future__ import annotations

import numpy as np

from ._common import (
    breast_cancer_design,
    breast_cancer_spec,
    build_problem,
    parallel_map,
    pyplot,
    run_task,
    save,
)

STEPPERS = ("GD", "Momentum", "RMSProp", "Adam", "DiagonalFisher", "Newton", "NaturalGradient",
            "EmpiricalFisher")


def grids(quick: bool = False) -> dict:
    """Hyperparameter grid of every stepper (unscaled features need tiny GD steps)."""
    if quick:
        lrs = [1e-6, 1e-4, 1e-2]
        return {"GD": [{"lr": 1e-7}, {"lr": 1e-6}], "Momentum": [{"lr": 1e-7}],
                "RMSProp": [{"lr": lr} for lr in lrs], "Adam": [{"lr": lr} for lr in lrs],
                "DiagonalFisher": [{"lr": 0.1}, {"lr": 1.0}],
                "Newton": [{"lr": 1.0, "damping": 0.0}],
                "NaturalGradient": [{"lr": 1.0, "damping": 0.0}],
                "EmpiricalFisher": [{"lr": 1.0, "damping": d} for d in (1e-6, 1e-3)]}
    first = [float(v) for v in 10.0 ** np.arange(-9.0, 0.1, 1.0)]
    second = [{"lr": lr, "damping": d} for lr in (0.5, 1.0) for d in (0.0, 1e-6, 1e-4)]
    return {"GD": [{"lr": lr} for lr in first], "Momentum": [{"lr": lr} for lr in first],
            "RMSProp": [{"lr": lr} for lr in first], "Adam": [{"lr": lr} for lr in first],
            "DiagonalFisher": [{"lr": lr, "damping": d} for lr in (0.01, 0.1, 0.5, 1.0)
                               for d in (0.0, 1e-4)],
            "Newton": second, "NaturalGradient": second,
            "EmpiricalFisher": [{"lr": lr, "damping": d} for lr in (0.5, 1.0)
                                for d in (1e-8, 1e-6, 1e-4, 1e-2)]}


def sklearn_optimum(l2: float = 1e-3) -> dict:
    """scikit-learn's newton-cholesky solution of the same objective, and our loss at it."""
    from sklearn.linear_model import LogisticRegression

    X, y = breast_cancer_design()
    n = X.shape[0]
    # sklearn minimizes C·Σ log-loss + ½‖w‖² (L2 is the default penalty); C = 1/(nλ) makes that
    # nC times our mean log-loss + (λ/2)‖w‖².
    model = LogisticRegression(C=1.0 / (n * l2), fit_intercept=False, solver="newton-cholesky",
                               tol=1e-12, max_iter=1000).fit(X, y)
    coef = model.coef_[0]
    return {"theta": coef, "loss": build_problem(breast_cancer_spec(l2)).loss(coef),
            "n_iter": int(model.n_iter_[0])}


def run_logistic_real(out_dir=None, *, l2: float = 1e-3, max_iter: int | None = None,
                      workers: int = 1, scheduler: str | None = None, progress=None,
                      quick: bool = False, compare_sklearn: bool = True, grid: dict | None = None,
                      **_) -> dict:
    """Grid-searched race on the real data; writes logistic-real.json / logistic-real.png.

    ``grid`` (stepper name -> list of hyperparameter dicts) replaces the default grids.
    """
    max_iter = max_iter or (50 if quick else 500)
    spec = breast_cancer_spec(l2)
    prob = build_problem(spec)
    opt = prob.optimum()
    opt_loss = prob.loss(opt)
    H = prob.hessian(opt)
    cond = float(np.linalg.cond(H))
    grid = grids(quick) if grid is None else grid
    tasks = [{"problem": spec, "stepper": name, "hyper": hyper, "theta0": [0.0] * prob.dim,
              "label": "breast_cancer",
              "run": {"max_iter": max_iter, "ftol": 1e-10, "target_loss": opt_loss,
                      "record_kl": False}}
             for name in grid for hyper in grid[name]]
    results = parallel_map(run_task, tasks, workers=workers, scheduler=scheduler,
                           progress=progress, label="logistic-real")
    best = {}
    for r in results:
        gap = (r["loss"][-1] - opt_loss) if r["loss"] else np.inf
        score = (0, r["iterations"], gap) if r["status"] == "converged" else (1, gap, 0)
        if r["stepper"] not in best or score < best[r["stepper"]][0]:
            best[r["stepper"]] = (score, r)
    summary = {name: {"hyper": r["hyper"], "status": r["status"], "iterations": r["iterations"],
                      "final_gap": r["loss"][-1] - opt_loss if r["loss"] else None,
                      "seconds": r["time"][-1] if r["time"] else None,
                      "gap_trace": (np.array(r["loss"]) - opt_loss).tolist()}
               for name, (_, r) in best.items()}
    numbers = {"experiment": "logistic-real", "n": prob.n, "d": prob.dim, "l2": l2,
               "optimal_loss": opt_loss, "optimum": opt, "hessian_condition_number": cond,
               "max_iter": max_iter, "grid": grid, "best": summary}
    if compare_sklearn:
        sk = sklearn_optimum(l2)
        numbers["sklearn"] = {"loss": sk["loss"], "n_iter": sk["n_iter"], "theta": sk["theta"],
                              "loss_difference": sk["loss"] - opt_loss,
                              "max_abs_theta_difference": float(np.max(np.abs(sk["theta"] - opt)))}
    fig = _figure(summary, opt_loss, cond)
    numbers["files"] = save(out_dir, "logistic-real", numbers, fig)
    return numbers


def _figure(summary, opt_loss, cond):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for name, s in summary.items():
        gap = np.maximum(np.array(s["gap_trace"]), 1e-17)
        hyper = ", ".join(f"{k}={v:g}" for k, v in s["hyper"].items())
        ax.semilogy(np.arange(len(gap)), gap, label=f"{name} ({hyper})")
    ax.set_xscale("symlog", linthresh=10)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss − optimal loss")
    ax.set_title(f"breast cancer, L2 logistic regression (λ = 1e-3, cond(H*) ≈ {cond:.1e}); "
                 f"L* = {opt_loss:.13f}", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
