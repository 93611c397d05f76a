"""mixture: EM, GD, Newton and natural gradient on mixtures from random starts (Jin et al. 2016).

Jin, Zhang, Balakrishnan, Wainwright & Jordan (2016), "Local maxima in the likelihood of
Gaussian mixture models": with M ≥ 3 well-separated spherical components, the likelihood has
bad local maxima, and EM from random starts reaches them with high probability.

Problems: bivariate normal mixtures with M = 3, 5, 10 components, identity covariances, equal
weights, means drawn uniformly in a square with every pair at least ``separation`` apart, and
``n_per`` points per component; and a Poisson mixture with three rates (so that the model is not
Gaussian-only). The mixture is :class:`fisherlab.models.mixture.Mixture` over the catalog
family (``multivariate_normal`` with d = 2, ``poisson``): every weight, mean *and covariance* is
learned (Jin et al. learn the means alone), in the coordinates θ = (mixing logits, natural
parameters of each component).

Starts: the component means at M distinct data points drawn at random, unit covariances, equal
weights (the Poisson rates at data points + 1/2). Steppers: EM (through ``Family.mle`` with the
responsibilities as weights), gradient descent, Newton (exact Hessian, LU solve) and natural
gradient with the complete-data Fisher, the last three on the mean negative log-likelihood in
θ; their step sizes are chosen on pilot starts (the highest success rate), and the reported
starts are others. A step that leaves the domain (a covariance no longer positive definite) is
halved until it is inside, for every stepper (the halvings are counted). A run stops when the
gradient norm is below ``gtol``, at its iteration budget, or on a non-finite loss.

The global optimum: EM from the true parameters to convergence, polished by Newton; a run
*succeeds* when its final mean log-likelihood is within ``success_tol`` of it (no run may exceed
it by more than that: the JSON records the largest excess). On every EM iterate the
natural-gradient step with the complete-data Fisher, taken with step 1 in the complete-data
expectation parameters, is computed too, and its largest distance to the EM iterate recorded
(Sato 2001; Xu & Jordan 1996: EM is that step); an EM iterate outside the domain (a component
whose weighted covariance is singular) is not compared, and its step is halved as any other.

The two routes agree to rounding (~1e-14) except where a component has collapsed onto fewer
weighted points n·π_k than its m natural parameters (about two points of the plane, for the
bivariate normal): its weighted covariance is then nearly singular, η_k and ∇²A(η_k) are
extreme, and both routes (the weighted MLE; the solve with F_c) lose digits; a step or two
later EM's M-step has no MLE at all (the likelihood of a Gaussian mixture with free covariances
is unbounded as a component shrinks onto a point). The JSON records, per EM run, the largest
difference, the smallest n·π_k at that step, and the largest difference over the steps where
every component holds at least m weighted points.
"""

from __future__ import annotations

import functools
import time

import numpy as np

from ..errors import FisherlabError
from ._common import blas_threads, cached_map, finish_figure, load_average, pyplot, save

PROBLEMS = ("gaussian M=3", "gaussian M=5", "gaussian M=10", "poisson M=3")
STEPPERS = ("EM", "NaturalGradient", "Newton", "GD")
POISSON_RATES = (3.0, 15.0, 40.0)


def _components(name: str) -> int:
    return int(name.split("M=")[1])


@functools.lru_cache(maxsize=16)
def setup(name: str, n_per: int, separation: float, seed: int):
    """(mixture, problem, true θ) of a problem name, cached per process."""
    from ..models.mixture import Mixture

    M = _components(name)
    rng = np.random.default_rng([seed, M, 7 if name.startswith("poisson") else 0])
    if name.startswith("gaussian"):
        side = separation * np.sqrt(M) * 1.5
        means = []
        while len(means) < M:
            c = rng.uniform(0, side, 2)
            if all(np.linalg.norm(c - q) >= separation for q in means):
                means.append(c)
        means = np.array(means)
        x = np.concatenate([m + rng.standard_normal((n_per, 2)) for m in means])
        mx = Mixture("multivariate_normal", M, d=2)
        eta = np.column_stack([means, np.full(M, -0.5), np.zeros(M), np.full(M, -0.5)])
    else:
        rates = np.array(POISSON_RATES[:M])
        x = np.concatenate([rng.poisson(r, n_per) for r in rates]).astype(float)
        mx = Mixture("poisson", M)
        eta = np.log(rates)[:, None]
    truth = mx.pack(np.full(M, 1.0 / M), eta)
    return mx, mx.problem(x), truth


def start(name: str, mx, prob, seed: int) -> np.ndarray:
    """A random start: means (rates) at M distinct data points, unit covariances, equal weights."""
    M = mx.M
    rng = np.random.default_rng([seed, M, 11])
    pts = prob.x[rng.choice(prob.n, M, replace=False)]
    if name.startswith("gaussian"):
        eta = np.column_stack([pts, np.full(M, -0.5), np.zeros(M), np.full(M, -0.5)])
    else:
        eta = np.log(pts + 0.5)[:, None]
    return mx.pack(np.full(M, 1.0 / M), eta)


def run_one(task: dict) -> dict:
    """One (problem, stepper, hyperparameters, start): log-likelihood until the stop."""
    from ..optim import make_stepper

    with blas_threads(1):
        mx, prob, _ = setup(task["problem"], task["n_per"], task["separation"],
                            task["data_seed"])
        st = make_stepper(task["stepper"], **task["hyper"])
        st.reset()
        th = start(task["problem"], mx, prob, task["seed"])
        ll = [prob.loglik(th)]
        status, identity, halvings, checked = "max_iter", 0.0, 0, 0
        # the smallest component's weighted number of points n·π_k at the worst comparison,
        # and the largest difference over the steps where no component is degenerate
        # (module docstring)
        identity_points, identity_well = None, 0.0
        t0 = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(task["max_iter"]):
                if np.linalg.norm(prob.grad(th)) < task["gtol"]:
                    status = "converged"
                    break
                try:
                    new = st.step(prob, th)
                except np.linalg.LinAlgError:
                    status = "singular"
                    break
                except FisherlabError as err:     # EM's M-step without an MLE, and the like
                    status = f"failed ({type(err).__name__})"
                    break
                if task["stepper"] == "EM" and task.get("check_identity") and mx.contains(new):
                    # compared in the expectation parameters ν, where both routes are
                    # well-conditioned (θ of a component with little weight is not)
                    nu_ng = prob.natural_step_expectation(th, lr=1.0)
                    nu_em = mx.expectation(new)
                    diff = float(np.max(np.abs(nu_ng - nu_em))
                                 / max(1.0, float(np.max(np.abs(nu_em)))))
                    points = float(prob.n * np.min(mx.unpack(th)[0]))
                    if diff >= identity:
                        identity, identity_points = diff, points
                    if points >= mx.m:
                        identity_well = max(identity_well, diff)
                    checked += 1
                # a step leaving the domain (a covariance no longer positive definite) is
                # halved until it is inside, the same rule for every stepper; counted
                d, k = new - th, 0
                while not mx.contains(th + d) and k < 50:
                    d, k = d / 2, k + 1
                if k == 50:
                    status = "left domain"
                    break
                halvings += k
                new = th + d if k else new
                f = prob.loglik(new)
                if not np.isfinite(f):
                    status = "diverged"
                    break
                th = new
                ll.append(f)
        seconds = time.perf_counter() - t0
    keep = max(1, len(ll) // 150)
    return {"problem": task["problem"], "stepper": task["stepper"], "hyper": task["hyper"],
            "seed": task["seed"], "status": status, "iterations": len(ll) - 1,
            "final_loglik": ll[-1], "seconds": seconds, "identity_max_rel_diff": identity,
            "identity_smallest_component_points": identity_points,
            "identity_max_rel_diff_nondegenerate": identity_well,
            "domain_halvings": halvings, "identity_checked_steps": checked,
            "loglik_trace": ll[::keep], "trace_every": keep}


def global_optimum(name: str, n_per: int, separation: float, seed: int) -> float:
    """The log-likelihood of EM from the truth run to convergence, then Newton-polished."""
    mx, prob, th = setup(name, n_per, separation, seed)
    for _ in range(2000):
        th = prob.em_step(th)
        if np.linalg.norm(prob.grad(th)) < 1e-10:
            break
    for _ in range(5):
        cand = th - np.linalg.solve(prob.hessian(th), prob.grad(th))
        if mx.contains(cand) and prob.loglik(cand) >= prob.loglik(th):
            th = cand
    return prob.loglik(th)


def grid(quick: bool = False) -> dict:
    """Step sizes per stepper (Newton undamped, natural gradient undamped: F_c is PD)."""
    return {"EM": [{}],
            "NaturalGradient": [{"lr": v, "damping": 0.0} for v in (0.3, 1.0)],
            "Newton": [{"lr": v, "damping": 0.0} for v in (0.3, 1.0)],
            "GD": [{"lr": v} for v in ((1e-2, 1e-1) if quick else (1e-3, 1e-2, 1e-1))]}


def budgets(quick: bool = False) -> dict:
    """Iterations per stepper."""
    if quick:
        return {"EM": 200, "NaturalGradient": 200, "Newton": 50, "GD": 300}
    # a run still short of the gradient tolerance at its budget counts as a failure unless it
    # is within success_tol of the optimum already (the JSON's statuses say how many stopped so)
    return {"EM": 60, "NaturalGradient": 60, "Newton": 30, "GD": 60}


def run_mixture(out_dir=None, *, problems=PROBLEMS, starts: int = 100, pilot_starts: int = 2,
                n_per: int = 30, separation: float = 8.0, steppers=STEPPERS, gtol: float = 1e-7,
                success_tol: float = 1e-6, max_iter: dict | None = None,
                starts_per_problem: dict | None = None, cache_dir=None, seed: int = 0,
                workers: int = 1, scheduler=None, progress=None, quick: bool = False,
                **_) -> dict:
    """Pilot step sizes, then every stepper from ``starts`` random starts on every problem.

    Parameters
    ----------
    problems : sequence of str
        Names from ``PROBLEMS``.
    starts, pilot_starts : int
        Reported starts use seeds seed + 1000 + s, the pilot seed + s.
    n_per : int
        Points per component.
    separation : float
        Smallest distance between two true means (in standard deviations).
    gtol : float
        A run stops when the gradient norm of the mean log-likelihood is below it.
    success_tol : float
        Success: final mean log-likelihood within this of the global optimum's.
    starts_per_problem : dict, optional
        Problem name -> number of starts, overriding ``starts`` for that problem.
    cache_dir : str, optional
        Keep every run's result there and reuse those found (a long run cut short resumes);
        the JSON counts the reused runs, whose seconds are those of the run that made them.
    """
    t0, load0 = time.perf_counter(), load_average()
    if quick:
        problems, starts, pilot_starts, n_per = ("gaussian M=5", "poisson M=3"), 12, 3, 30
    its = dict(budgets(quick), **(max_iter or {}))
    n_starts = {p: int((starts_per_problem or {}).get(p, starts)) for p in problems}
    g = grid(quick)
    base = {"n_per": n_per, "separation": separation, "data_seed": seed, "gtol": gtol}
    pilot_tasks = [{**base, "problem": p, "stepper": s, "hyper": h, "max_iter": its[s],
                    "seed": seed + k}
                   for p in problems for s in steppers for h in g[s] if len(g[s]) > 1
                   for k in range(pilot_starts)]
    pilot, reused = cached_map(run_one, pilot_tasks, workers=workers, scheduler=scheduler,
                               progress=progress, label="mixture pilot", chunksize=1,
                               cache_dir=cache_dir)
    optimum = {p: global_optimum(p, n_per, separation, seed) for p in problems}
    best = {}
    for p in problems:
        for s in steppers:
            def score(ih, p=p, s=s):
                rs = [r for r in pilot if r["problem"] == p and r["stepper"] == s
                      and r["hyper"] == ih[1]]
                ok = sum(r["final_loglik"] >= optimum[p] - success_tol for r in rs)
                return (-ok, float(np.median([r["iterations"] for r in rs])) if rs else 0.0,
                        ih[0])
            best[(p, s)] = min(enumerate(g[s]), key=score)[1]
    tasks = [{**base, "problem": p, "stepper": s, "hyper": best[(p, s)], "max_iter": its[s],
              "seed": seed + 1000 + k, "check_identity": True}
             for p in problems for s in steppers for k in range(n_starts[p])]
    runs, reused_runs = cached_map(run_one, tasks, workers=workers, scheduler=scheduler,
                                   progress=progress, label="mixture", chunksize=1,
                                   cache_dir=cache_dir)
    results = {}
    for p in problems:
        rs_p = [r for r in runs if r["problem"] == p]
        excess = max(r["final_loglik"] for r in rs_p) - optimum[p]
        rows = {}
        for s in steppers:
            rs = [r for r in rs_p if r["stepper"] == s]
            win = [r for r in rs if r["final_loglik"] >= optimum[p] - success_tol]
            rows[s] = {
                "hyper": best[(p, s)], "starts": len(rs), "successes": len(win),
                "success_rate": len(win) / len(rs),
                "statuses": {st: sum(r["status"] == st for r in rs)
                             for st in sorted({r["status"] for r in rs})},
                "median_iterations": float(np.median([r["iterations"] for r in rs])),
                "median_iterations_successful": (float(np.median([r["iterations"] for r in win]))
                                                 if win else None),
                "median_seconds": float(np.median([r["seconds"] for r in rs])),
                "median_gap": float(np.median([optimum[p] - r["final_loglik"] for r in rs])),
            }
        rows_id = [r["identity_max_rel_diff"] for r in rs_p if r["stepper"] == "EM"]
        rows_well = [r["identity_max_rel_diff_nondegenerate"] for r in rs_p
                     if r["stepper"] == "EM"]
        n_checked = sum(r["identity_checked_steps"] for r in rs_p if r["stepper"] == "EM")
        results[p] = {"components": _components(p), "n": _components(p) * n_per,
                      "optimum_loglik": optimum[p], "largest_excess_over_optimum": excess,
                      "em_vs_natural_step_max_rel_diff": max(rows_id) if rows_id else None,
                      "em_vs_natural_step_max_rel_diff_nondegenerate": (
                          max(rows_well) if rows_well else None),
                      "em_steps_checked": n_checked,
                      "steppers": rows}
    numbers = {"experiment": "mixture", "quick": quick, "seed": seed, "problems": list(problems),
               "steppers": list(steppers), "starts": starts, "starts_per_problem": n_starts,
               "pilot_starts": pilot_starts,
               "n_per": n_per, "separation": separation, "poisson_rates": list(POISSON_RATES),
               "gtol": gtol, "success_tol": success_tol, "grid": g, "max_iter": its,
               "pilot_note": (f"step sizes chosen per problem on {pilot_starts} pilot starts "
                              f"(highest success rate, then fewest iterations)"),
               "results": results, "workers": workers,
               "runs": runs, "pilot": [{k: v for k, v in r.items() if k != "loglik_trace"}
                                       for r in pilot]}
    numbers["run_seconds"] = time.perf_counter() - t0
    if cache_dir is not None:
        numbers["runs_reused_from_cache"] = reused + reused_runs
    numbers["load_average_start"], numbers["load_average_end"] = load0, load_average()
    fig = _figure(numbers)
    numbers["files"] = save(out_dir, "mixture", numbers, fig)
    return numbers


def _figure(nb):
    plt = pyplot()
    probs = nb["problems"]
    cols = 3 if len(probs) > 2 else len(probs) + 1
    rows = -(-(len(probs) + 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 3.8 * rows), squeeze=False)
    axes = axes.ravel()
    for ax in axes[len(probs) + 1:]:
        ax.set_visible(False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, p in zip(axes, probs):
        opt = nb["results"][p]["optimum_loglik"]
        for i, s in enumerate(nb["steppers"]):
            first = True
            for r in nb["runs"]:
                if r["problem"] != p or r["stepper"] != s:
                    continue
                gap = np.maximum(opt - np.array(r["loglik_trace"]), 1e-12)
                x = np.arange(len(gap)) * r["trace_every"] + 1
                ax.loglog(x, gap, color=colors[i], lw=0.5, alpha=0.35,
                          label=s if first else None)
                first = False
        ax.axhline(nb["success_tol"], color="k", ls=":", lw=1, label="success")
        ax.set_ylim(1e-13, 1e4)      # runs that diverge leave the top of the panel
        ax.set_xlabel("iteration + 1")
        ax.set_ylabel("optimum − mean log-likelihood")
        ax.set_title(p, fontsize=10)
        ax.legend(fontsize=6)
    ax = axes[len(probs)]
    width = 0.8 / len(nb["steppers"])
    xs = np.arange(len(probs))
    for i, s in enumerate(nb["steppers"]):
        ax.bar(xs + (i - (len(nb["steppers"]) - 1) / 2) * width,
               [nb["results"][p]["steppers"][s]["success_rate"] for p in probs], width,
               color=colors[i], label=s)
    ax.set_xticks(xs)
    ax.set_xticklabels(probs, rotation=20, fontsize=7)
    ax.set_ylim(0, 1)
    ax.set_ylabel("success rate over the random starts")
    ax.legend(fontsize=6)
    return finish_figure(fig, "mixture: reaching the global optimum from random starts",
                         nb["quick"])
