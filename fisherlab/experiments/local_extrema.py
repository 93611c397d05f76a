"""local-extrema: where the steppers end on a small network, and how fast they get there.

An MLP 64-H-10 (tanh) with a categorical (softmax) head on scikit-learn's digits, pixels scaled
to [0, 1]: ``n_train`` images for training (a seeded split), every other image held out for the
test accuracy, a small L2 penalty ``L2`` (so that minima exist: without it the softmax loss
keeps falling along growing weights). Every seed draws its own Glorot initial weights (the same
for every stepper) and runs each stepper, full batch, for its iteration budget.

Steppers: GD, Adam, NaturalGradient (exact GGN = Fisher of the softmax head), K-FAC,
EmpiricalFisher, damped Newton (exact Hessian, LU solve: the Hessian is indefinite away from a
minimum) and saddle-free Newton (|H| from the eigendecomposition). Each has a grid of step size
and damping; its best point (the lowest median final training loss) is chosen on the pilot
seeds, at each width separately or (``pilot_per_width=False``, the default: a pilot of the
dense steppers at H = 32 costs as much as a sixth of the reported runs) at the smallest width
and used at every width; the JSON's ``pilot_note`` says which. The reported seeds are others.

At each run's end: the training loss, the test accuracy, the gradient norm and the smallest
eigenvalue of the exact Hessian (LAPACK's eigenvalue subset of the dense Hessian). A run ends
*at a minimum* when its gradient norm is below ``gtol_min`` and λ_min ≥ −``eig_tol``, *at a
saddle* when the gradient norm is below ``gtol_min`` and λ_min < −``eig_tol``, else *not
converged*; how many runs end with negative curvature at all is counted too.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ._common import (
    blas_threads,
    cached_map,
    finish_figure,
    load_average,
    pyplot,
    save,
    timed_step,
)

STEPPERS = ("GD", "Adam", "NaturalGradient", "KFAC", "EmpiricalFisher", "Newton",
            "SaddleFreeNewton")
#: steppers that build or factor a dense P × P curvature matrix every step
DENSE = ("NaturalGradient", "EmpiricalFisher", "Newton", "SaddleFreeNewton")
L2 = 1e-4
THRESHOLDS = (1.0, 0.3, 0.1, 0.05)


def split(n_train: int, seed: int):
    """(X_train, y_train, X_test, y_test): a seeded permutation of digits' 1797 images."""
    from sklearn.datasets import load_digits

    d = load_digits()
    idx = np.random.default_rng(seed).permutation(len(d.target))
    X, y = d.data[idx] / 16.0, d.target[idx].astype(float)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def model(hidden: int):
    """The MLP 64-hidden-10, tanh, categorical head with 10 logits (softmax link)."""
    from ..models import MLP, Head

    return MLP([64, hidden, 10], Head("categorical", link="softmax", k=10), activation="tanh")


@functools.lru_cache(maxsize=8)
def setup(hidden: int, n_train: int, split_seed: int):
    """(model, training problem, X_test, y_test), cached per process."""
    Xtr, ytr, Xte, yte = split(n_train, split_seed)
    m = model(hidden)
    return m, m.problem(Xtr, ytr, l2=L2), Xte, yte


def smallest_hessian_eigenvalue(prob, w) -> float:
    """λ_min of the exact Hessian at w (dense; LAPACK computes only that eigenvalue)."""
    from scipy.linalg import eigh

    return float(eigh(np.asarray(prob.hessian(w)), eigvals_only=True,
                      subset_by_index=[0, 0])[0])


def run_one(task: dict) -> dict:
    """One (width, stepper, hyperparameters, seed) run: loss per iteration and the end state."""
    from ..optim import make_stepper

    with blas_threads(1):
        m, prob, Xte, yte = setup(task["hidden"], task["n_train"], task["split_seed"])
        st = make_stepper(task["stepper"], **task["hyper"])
        st.reset()
        w = m.init(task["seed"])
        loss = [float(prob.loss(w))]
        clock = [0.0]
        status = "max_iter"
        dense = task["stepper"] in DENSE
        for _ in range(task["max_iter"]):
            new, seconds = timed_step(st, prob, w)
            if new is None:
                status = "singular"
                break
            clock.append(clock[-1] + seconds)
            f = float(prob.loss(new)) if np.all(np.isfinite(new)) else np.inf
            if not np.isfinite(f) or f > 10 * loss[0]:
                clock.pop()
                status = "diverged"
                break
            w = new
            loss.append(f)
            # the curvature steppers stop once converged (their gradient is cheap next to the
            # step); the first-order ones run their whole budget
            if dense and np.linalg.norm(prob.grad(w)) < task["gtol"]:
                status = "converged"
                break
        gnorm = float(np.linalg.norm(prob.grad(w)))
        lam = smallest_hessian_eigenvalue(prob, w)
        acc = float(np.mean(np.argmax(m.predictor(Xte).forward(w, Xte), axis=1) == yte))
    hit = {}
    for thr in task["thresholds"]:
        k = next((i for i, v in enumerate(loss) if v < thr), None)
        hit[str(thr)] = None if k is None else {"iterations": k, "seconds": clock[k]}
    if gnorm >= task["gtol_min"]:
        end = "not converged"
    elif lam >= -task["eig_tol"]:
        end = "minimum"
    else:
        end = "saddle"
    keep = max(1, len(loss) // 200)
    return {"hidden": task["hidden"], "stepper": task["stepper"], "hyper": task["hyper"],
            "seed": task["seed"], "status": status, "iterations": len(loss) - 1,
            "final_loss": loss[-1], "test_accuracy": acc, "grad_norm": gnorm,
            "lambda_min": lam, "end": end, "seconds": clock[-1], "thresholds": hit,
            "loss_trace": loss[::keep], "trace_every": keep}


def grid(quick: bool = False) -> dict:
    """(lr, damping) points per stepper; ``quick`` keeps two per stepper."""
    g = {"GD": [{"lr": v} for v in (0.3, 1.0, 3.0)],
         "Adam": [{"lr": v} for v in (3e-3, 1e-2, 3e-2)]}
    for s, lrs, damps in (("NaturalGradient", (0.5, 1.0), (1e-3, 1e-2, 1e-1)),
                          ("KFAC", (0.1, 0.3, 1.0), (1e-4, 1e-3)),
                          ("EmpiricalFisher", (0.03, 0.1, 0.3), (1e-3, 1e-2)),
                          ("Newton", (0.5, 1.0), (0.1, 1.0, 10.0)),
                          ("SaddleFreeNewton", (0.5, 1.0), (1e-3, 1e-2, 1e-1))):
        g[s] = [{"lr": lr, "damping": d} for lr in lrs for d in damps]
    if quick:
        g = {k: v[:2] for k, v in g.items()}
    return g


def budgets(quick: bool = False) -> dict:
    """Iterations per stepper: first-order steps are cheap, dense curvature steps are not."""
    if quick:
        first, kfac, dense = 200, 40, 10
    else:
        # the dense steppers' budget is set by their price: one saddle-free Newton step at
        # H = 32 (P = 2410) is an eigendecomposition of ~3 s on one idle core
        first, kfac, dense = 600, 60, 12
    return {s: first if s in ("GD", "Adam") else kfac if s == "KFAC" else dense for s in STEPPERS}


def _costliest_first(tasks, **kw):
    """``cached_map(run_one, tasks)`` with the widest, densest runs handed out first and one
    at a time, so that no worker is left alone with the slowest ones at the end; results in the
    order of ``tasks``, and how many came from the cache."""
    rank = {s: i for i, s in enumerate(("SaddleFreeNewton", "Newton", "NaturalGradient",
                                        "EmpiricalFisher"))}
    order = sorted(range(len(tasks)),
                   key=lambda i: (-tasks[i]["hidden"], rank.get(tasks[i]["stepper"], 9), i))
    done, reused = cached_map(run_one, [tasks[i] for i in order], chunksize=1, **kw)
    out = [None] * len(tasks)
    for i, r in zip(order, done):
        out[i] = r
    return out, reused


def _stats(v):
    v = np.asarray([x for x in v if x is not None], dtype=float)
    if not v.size:
        return None
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return {"median": float(med), "q1": float(q1), "q3": float(q3), "min": float(v.min()),
            "max": float(v.max()), "count": int(v.size)}


def run_local_extrema(out_dir=None, *, hidden=(16, 32), seeds: int = 30, pilot_seeds: int = 5,
                      wide_seeds: int | None = None, n_train: int = 150, steppers=STEPPERS,
                      thresholds=THRESHOLDS,
                      gtol: float = 1e-8, gtol_min: float = 1e-4, eig_tol: float = 1e-6,
                      max_iter: dict | None = None, small_grid: bool = False,
                      pilot_per_width: bool = False, cache_dir=None, seed: int = 0,
                      workers: int = 1,
                      scheduler=None, progress=None, quick: bool = False, **_) -> dict:
    """Pilot grid, then every stepper on ``seeds`` seeds at each width.

    Parameters
    ----------
    hidden : sequence of int
        Hidden widths H of the MLP 64-H-10.
    seeds, pilot_seeds : int
        Reported runs use initial-weight seeds seed + 1000 + s; the pilot uses seed + s. Five
        pilot seeds by default: with one, a grid point that happened to converge on the pilot
        seed (natural gradient at lr 1, damping 0.01) diverged on 28 of the 30 reported seeds.
    wide_seeds : int, optional
        Seeds at the widths above the smallest (default ``seeds``).
    n_train : int
        Training images; the other 1797 − n_train are the test set (split seeded by ``seed``).
    thresholds : sequence of float
        Training-loss levels whose first crossing is timed (iterations and seconds).
    gtol : float
        The curvature steppers stop once the gradient norm is below it.
    gtol_min, eig_tol : float
        A run ends at a minimum when ‖g‖ < gtol_min and λ_min(H) ≥ −eig_tol.
    max_iter : dict, optional
        Iterations per stepper (default :func:`budgets`).
    small_grid : bool
        Search the two-point grids of the quick run (:func:`grid`) only.
    pilot_per_width : bool
        Choose each stepper's grid point at every width (True), or at the smallest width and
        use it at every width (False).
    cache_dir : str, optional
        Keep every run's result there and reuse those found (a long run cut short resumes);
        the JSON counts the reused runs, whose seconds are those of the run that made them.
    """
    t0, load0 = time.perf_counter(), load_average()
    if quick:
        hidden, seeds, pilot_seeds, n_train = (8,), 4, 1, 150
    hidden = tuple(int(h) for h in hidden)
    wide_seeds = seeds if wide_seeds is None else wide_seeds
    its = dict(budgets(quick), **(max_iter or {}))
    g = grid(quick or small_grid)
    base = {"n_train": n_train, "split_seed": seed, "thresholds": list(thresholds),
            "gtol": gtol, "gtol_min": gtol_min, "eig_tol": eig_tol}
    h0 = min(hidden)
    pilot_widths = hidden if pilot_per_width else (h0,)
    pilot = _costliest_first([{**base, "hidden": hd, "stepper": s, "hyper": h,
                               "max_iter": its[s], "seed": seed + p}
                              for hd in pilot_widths for s in steppers for h in g[s]
                              for p in range(pilot_seeds)],
                             workers=workers, scheduler=scheduler, progress=progress,
                             label="local-extrema pilot", cache_dir=cache_dir)
    pilot, reused = pilot
    best = {}
    for hd in pilot_widths:
        for s in steppers:
            def score(i_h, s=s, hd=hd):
                rs = [r for r in pilot if r["hidden"] == hd and r["stepper"] == s
                      and r["hyper"] == i_h[1]]
                ok = [r["final_loss"] for r in rs if r["status"] not in ("diverged", "singular")]
                return (len(rs) - len(ok), float(np.median(ok)) if ok else np.inf, i_h[0])
            best[(hd, s)] = min(enumerate(g[s]), key=score)[1]
    for hd in hidden:
        for s in steppers:
            best.setdefault((hd, s), best[(h0, s)])
    runs = _costliest_first([{**base, "hidden": hd, "stepper": s, "hyper": best[(hd, s)],
                              "max_iter": its[s], "seed": seed + 1000 + k}
                             for hd in hidden for s in steppers
                             for k in range(seeds if hd == h0 else wide_seeds)],
                            workers=workers, scheduler=scheduler, progress=progress,
                            label="local-extrema", cache_dir=cache_dir)
    runs, reused_runs = runs
    reused += reused_runs
    summary = {}
    for hd in hidden:
        at = [r for r in runs if r["hidden"] == hd]
        best_loss = min(r["final_loss"] for r in at)
        rows = {}
        for s in steppers:
            rs = [r for r in at if r["stepper"] == s]
            ok = [r for r in rs if r["status"] not in ("diverged", "singular")]
            rows[s] = {
                "hyper": best[(hd, s)], "seeds": len(rs), "max_iter": its[s],
                "failed": len(rs) - len(ok),
                "final_loss": _stats(r["final_loss"] for r in ok),
                "fraction_within_1e-3_of_best": sum(r["final_loss"] - best_loss <= 1e-3
                                                     for r in ok) / len(rs),
                "test_accuracy": _stats(r["test_accuracy"] for r in ok),
                "grad_norm": _stats(r["grad_norm"] for r in ok),
                "lambda_min": _stats(r["lambda_min"] for r in ok),
                "ends": {e: sum(r["end"] == e for r in ok)
                         for e in ("minimum", "saddle", "not converged")},
                "negative_curvature": sum(r["lambda_min"] < -eig_tol for r in ok),
                "seconds_per_iteration": float(np.median([r["seconds"] / max(r["iterations"], 1)
                                                          for r in ok])) if ok else None,
                "to_threshold": {str(t): {
                    "reached": sum(r["thresholds"][str(t)] is not None for r in ok),
                    "iterations": _stats(r["thresholds"][str(t)]["iterations"] for r in ok
                                         if r["thresholds"][str(t)] is not None),
                    "seconds": _stats(r["thresholds"][str(t)]["seconds"] for r in ok
                                      if r["thresholds"][str(t)] is not None)}
                    for t in thresholds},
            }
        summary[str(hd)] = {"n_weights": model(hd).n_weights, "best_loss": best_loss,
                            "steppers": rows}
    numbers = {"experiment": "local-extrema", "quick": quick, "seed": seed,
               "hidden": list(hidden), "n_train": n_train, "n_test": 1797 - n_train, "l2": L2,
               "seeds": seeds, "wide_seeds": wide_seeds,
               "pilot_seeds": pilot_seeds,
               "pilot_per_width": pilot_per_width,
               "pilot_note": (("each stepper's grid point chosen at each width separately"
                               if pilot_per_width else
                               f"each stepper's grid point chosen at H = {h0} only and used at "
                               f"every width") +
                              f", on {pilot_seeds} pilot seed(s) (initial weights other than "
                              f"the reported seeds'; lowest median final training loss)"),
               "steppers": list(steppers), "grid": g,
               "chosen": {str(hd): {s: best[(hd, s)] for s in steppers} for hd in hidden},
               "max_iter": its,
               "thresholds": list(thresholds), "gtol": gtol, "gtol_min": gtol_min,
               "eig_tol": eig_tol, "summary": summary,
               "runs": runs, "pilot": [{k: v for k, v in r.items() if k != "loss_trace"}
                                       for r in pilot],
               "workers": workers}
    numbers["run_seconds"] = time.perf_counter() - t0
    if cache_dir is not None:
        numbers["runs_reused_from_cache"] = reused
    numbers["load_average_start"], numbers["load_average_end"] = load0, load_average()
    fig = _figure(numbers)
    numbers["files"] = save(out_dir, "local-extrema", numbers, fig)
    return numbers


def _figure(nb):
    plt = pyplot()
    hidden = nb["hidden"]
    fig, axes = plt.subplots(len(hidden), 3, figsize=(14, 3.9 * len(hidden)), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    names = nb["steppers"]
    for row, hd in zip(axes, hidden):
        su = nb["summary"][str(hd)]
        rs = [r for r in nb["runs"] if r["hidden"] == hd]
        ax = row[0]
        for i, s in enumerate(names):
            first = True
            for r in rs:
                if r["stepper"] != s or r["status"] in ("diverged", "singular"):
                    continue
                x = np.arange(len(r["loss_trace"])) * r["trace_every"] + 1
                ax.loglog(x, r["loss_trace"], color=colors[i % len(colors)], lw=0.5, alpha=0.5,
                          label=s if first else None)
                first = False
        ax.set_xlabel("iteration + 1")
        ax.set_ylabel("training loss (mean NLL + L2)")
        ax.set_title(f"64-{hd}-10 ({su['n_weights']} weights), "
                     f"{su['steppers'][names[0]]['seeds']} seeds", fontsize=10)
        ax.legend(fontsize=6)
        ax = row[1]
        data = [[r["final_loss"] - su["best_loss"] + 1e-6 for r in rs if r["stepper"] == s
                 and r["status"] not in ("diverged", "singular")] for s in names]
        ax.boxplot([d if d else [np.nan] for d in data], whis=(0, 100))
        ax.set_yscale("log")
        ax.axhline(1e-3 + 1e-6, color="k", ls=":", lw=1, label="best + 1e-3")
        ax.set_xticks(np.arange(1, len(names) + 1))
        ax.set_xticklabels(names, rotation=30, fontsize=7)
        ax.set_ylabel("final loss − best loss found (+1e-6)")
        ax.legend(fontsize=7)
        ax = row[2]
        for i, s in enumerate(names):
            pts = [(r["thresholds"][str(t)]["seconds"], t) for r in rs if r["stepper"] == s
                   for t in nb["thresholds"] if r["thresholds"][str(t)] is not None]
            med = []
            for t in nb["thresholds"]:
                v = [p for p, tt in pts if tt == t]
                med.append(np.median(v) if len(v) * 2 > sum(r["stepper"] == s for r in rs)
                           else np.nan)
            ax.loglog(np.maximum(med, 1e-4), nb["thresholds"], "o-",
                      color=colors[i % len(colors)], label=s)
        ax.set_xlabel("median wall time to reach the loss (s, log)")
        ax.set_ylabel("training-loss threshold")
        ax.set_title("reached by more than half of the seeds", fontsize=9)
        ax.legend(fontsize=6)
    return finish_figure(fig, "local-extrema: MLP on digits, best grid point per stepper",
                         nb["quick"])
