"""kunstner-real: the protocol of Kunstner, Balles & Hennig (2019), Fig. 3, on real data.

"Limitations of the empirical Fisher approximation for natural gradient descent": gradient
descent, natural gradient and empirical-Fisher descent, each for 100 iterations from the same
start, with the step size searched over a grid spanning many decades and (for the two
preconditioned methods) the damping over a grid as well; the best grid point per method (lowest
loss after 100 iterations; runs that diverged or left the domain excluded) is compared.

Problems (all with a small L2 penalty, so that the optimum exists):

- breast cancer, logistic regression (569 × 30 features, standardized, plus an intercept);
- wine, 3-class softmax regression (178 × 13, standardized, plus an intercept);
- cpunish, Poisson regression (statsmodels' data, INCOME in thousands, as in docs/models.md);
- digits, an MLP 64-8-10 (tanh) with a softmax head on 300 images (a network: from Glorot
  initial weights, since zero weights give zero hidden-layer gradients).

Linear models start from zero, as in the paper. The optimum of each convex problem is found by
Newton's method to round-off; for the network the reference is the lowest loss any run reached.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ._common import blas_threads, finish_figure, parallel_map, pyplot, save

PROBLEMS = ("breast cancer (logistic)", "wine (softmax)", "cpunish (Poisson)", "digits MLP")
METHODS = ("GD", "NaturalGradient", "EmpiricalFisher")
L2 = 1e-4


def _standardize(X):
    return np.column_stack([(X - X.mean(0)) / X.std(0), np.ones(X.shape[0])])


@functools.lru_cache(maxsize=8)
def make(name: str, seed: int = 0):
    """(problem, w0) of a problem name (cached per process)."""
    from ..models import GLM, MLP, Head

    if name.startswith("breast"):
        from sklearn.datasets import load_breast_cancer

        d = load_breast_cancer()
        prob = GLM(Head("bernoulli")).problem(_standardize(d.data), d.target.astype(float), l2=L2)
        return prob, np.zeros(prob.dim)
    if name.startswith("wine"):
        from sklearn.datasets import load_wine

        d = load_wine()
        prob = GLM(Head("categorical", link="softmax", k=3)).problem(
            _standardize(d.data), d.target.astype(float), l2=L2)
        return prob, np.zeros(prob.dim)
    if name.startswith("cpunish"):
        import statsmodels.api as sm

        data = sm.datasets.cpunish.load_pandas()
        X = data.exog.copy()
        X["INCOME"] /= 1000
        X = np.column_stack([X.to_numpy(float), np.ones(len(X))])
        prob = GLM(Head("poisson")).problem(X, data.endog.to_numpy(float), l2=L2)
        return prob, np.zeros(prob.dim)
    if name == "digits MLP":
        from .kl_trust import digits

        X, y = digits(300, seed)
        m = MLP([64, 8, 10], Head("categorical", link="softmax", k=10), activation="tanh")
        return m.problem(X, y, l2=L2), m.init(seed)
    raise KeyError(name)


def optimal_loss(name: str, seed: int = 0):
    """The minimum of a convex problem (Newton's method to round-off); None for the network."""
    if name == "digits MLP":
        return None
    from ..models import minimize_newton

    prob, w0 = make(name, seed)
    return float(prob.loss(minimize_newton(prob, w0)[0]))


def run_one(task: dict) -> dict:
    """100 iterations of one (problem, method, step size, damping)."""
    from ..optim import make_stepper, run

    with blas_threads(1):
        prob, w0 = make(task["problem"], task["seed"])
        st = make_stepper(task["method"], **task["hyper"])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                res = run(prob, st, w0, max_iter=task["iters"], record_kl=False)
            except np.linalg.LinAlgError as err:  # an undamped singular curvature
                return {**task, "status": "singular", "message": str(err), "loss": [],
                        "time": []}
    return {**task, "status": res.status, "loss": res.loss, "time": res.time}


def grids(quick: bool = False, network: bool = False) -> dict:
    """Step sizes and dampings per method.

    The network's grid is narrower (its curvature costs a dense P × P solve per iteration, P =
    610): step sizes 10^-1 … 10^0.5 and dampings 10^-3 … 1, where the convex problems' wider
    grid put every method's best point.
    """
    if quick:
        lrs = [float(v) for v in 10.0 ** np.arange(-3.0, 0.01, 1.0)]
        damp = [1e-4, 1e-1]
    elif network:
        lrs = [float(v) for v in 10.0 ** np.arange(-1.0, 0.51, 0.5)]
        damp = [1e-3, 1e-2, 1e-1, 1.0]
    else:
        lrs = [float(v) for v in 10.0 ** np.arange(-6.0, 1.01, 0.5)]
        damp = [1e-6, 1e-4, 1e-2, 1.0]
    gd_lrs = lrs if not network or quick else [float(v) for v in 10.0 ** np.arange(-3.0, 1.01, 0.5)]
    return {"GD": [{"lr": lr} for lr in gd_lrs],
            "NaturalGradient": [{"lr": lr, "damping": d} for lr in lrs for d in damp],
            "EmpiricalFisher": [{"lr": lr, "damping": d} for lr in lrs for d in damp]}


def run_kunstner_real(out_dir=None, *, iters: int = 100, problems=PROBLEMS, seed: int = 0,
                      workers: int = 1, scheduler=None, progress=None, quick: bool = False,
                      **_) -> dict:
    """Grid-search every method on every problem; writes kunstner-real.json / .png.

    Parameters
    ----------
    iters : int
        Iterations per run (100 in the paper).
    problems : sequence of str
        Names from ``PROBLEMS``.
    """
    t0 = time.perf_counter()
    grid = {p: grids(quick, network=(p == "digits MLP")) for p in problems}
    if quick:
        iters = min(iters, 30)
    tasks = [{"problem": p, "method": m, "hyper": h, "iters": iters, "seed": seed}
             for p in problems for m in METHODS for h in grid[p][m]]
    runs = parallel_map(run_one, tasks, workers=workers, scheduler=scheduler, progress=progress,
                        label="kunstner-real")
    failed = ("diverged", "left_domain", "singular")
    results = {}
    for p in problems:
        opt = optimal_loss(p, seed)
        found = [r["loss"][-1] for r in runs if r["problem"] == p and r["loss"]
                 and r["status"] not in failed]
        ref = opt if opt is not None else min(found)
        start = next(r["loss"][0] for r in runs if r["problem"] == p and r["loss"])
        row = {"optimal_loss": opt, "reference_loss": ref, "start_loss": start, "best": {}}
        for m in METHODS:
            ok = [r for r in runs if r["problem"] == p and r["method"] == m and r["loss"]
                  and r["status"] not in failed]
            best = min(ok, key=lambda r: (r["loss"][-1], r["hyper"]["lr"])) if ok else None
            row["best"][m] = None if best is None else {
                "hyper": best["hyper"], "final_loss": best["loss"][-1],
                "gap": best["loss"][-1] - ref, "status": best["status"],
                "seconds": best["time"][-1], "loss": best["loss"],
                "failed_grid_points": sum(r["status"] in failed for r in runs
                                          if r["problem"] == p and r["method"] == m)}
        results[p] = row
    numbers = {"experiment": "kunstner-real", "quick": quick, "seed": seed, "iters": iters,
               "l2": L2, "grid": grid, "problems": list(problems), "methods": list(METHODS),
               "results": results, "run_seconds": time.perf_counter() - t0}
    fig = _figure(numbers)
    numbers["files"] = save(out_dir, "kunstner-real", numbers, fig)
    return numbers


def _figure(nb):
    plt = pyplot()
    k = len(nb["problems"])
    fig, axes = plt.subplots(1, k, figsize=(4.2 * k, 3.6), squeeze=False)
    for ax, p in zip(axes[0], nb["problems"]):
        row = nb["results"][p]
        for m in nb["methods"]:
            b = row["best"][m]
            if b is None:
                continue
            gap = np.maximum(np.array(b["loss"]) - row["reference_loss"], 1e-16)
            h = b["hyper"]
            lab = m + f" (lr {h['lr']:.0e}" + (f", damping {h['damping']:.0e})" if "damping" in h
                                               else ")")
            ax.semilogy(gap, label=lab)
        ax.set_title(p, fontsize=10)
        ax.set_xlabel("iteration")
        ax.set_ylabel("loss − optimal loss" if row["optimal_loss"] is not None
                      else "loss − lowest loss found")
        ax.legend(fontsize=6)
    return finish_figure(fig, "Kunstner et al. (2019) Fig. 3 protocol: best grid point per method",
                         nb["quick"])
