"""plateau: the symmetric plateau of a teacher–student soft committee machine (Saad & Solla 1995;
Park, Amari & Fukumizu 2000).

Teacher: y = Σ_m g(b_mᵀx) + N(0, σ²), g(u) = erf(u/√2), M = 2 orthonormal rows b_m in N = 20
dimensions, x ~ N(0, I). Student: the MLP N-2-1 with the erf activation, erf(z) with
z = wᵀx + c; the teacher is that network with weights b_m/√2 (so erf(z) = g(b_mᵀx)), zero
biases and output weights 1. Students start with first-layer weights N(0, s²) (s small), zero
biases and output weights 1 (the committee), and learn every weight. The head is normal with
the known noise σ, so the loss is the mean squared error over 2σ² (plus a constant), and the
Fisher (the GGN) is JᵀJ/(nσ²): natural gradient is Gauss–Newton.

The generalization error ε_g = ½ E[(f_student(x) − f_teacher(x))²] is measured on a fixed test
sample. A run *leaves the plateau* when ε_g falls below ``exit_fraction`` × the plateau level
(the error of the best symmetric student, see :func:`plateau_level`), *arrives at it* when
ε_g first falls below twice that level, and *succeeds* when
ε_g < ``target``. Each stepper's step size is chosen on pilot seeds (the grid and the pick are in
the JSON); the reported seeds are different from the pilot's.
"""

from __future__ import annotations

import time

import numpy as np

from ._common import blas_threads, finish_figure, parallel_map, pyplot, save, timed_step

N, K = 20, 2
SIGMA = 0.1
STEPPERS = ("GD", "Adam", "NaturalGradient", "KFAC", "EmpiricalFisher", "Newton",
            "SaddleFreeNewton")


def model():
    """The student (and teacher) network N-2-1, erf activation, normal head with σ = SIGMA."""
    from ..models import MLP, Head

    return MLP([N, K, 1], Head("normal", "mean_std", fixed={"std": SIGMA}), activation="erf")


def teacher_weights(seed) -> np.ndarray:
    """Weights of the teacher network: orthonormal rows b_m (a random rotation) scaled by 1/√2."""
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((N, K)))        # (N, K), orthonormal columns
    w = np.zeros(model().n_weights)
    w[: N * K] = (Q / np.sqrt(2.0)).ravel()                 # W_1 is (N, K) row-major
    w[N * K + K: N * K + 2 * K] = 1.0                        # output weights
    return w


def student_weights(seed, scale: float) -> np.ndarray:
    """First-layer weights N(0, scale²), zero biases, output weights 1."""
    rng = np.random.default_rng(seed)
    w = np.zeros(model().n_weights)
    w[: N * K] = scale * rng.standard_normal(N * K)
    w[N * K + K: N * K + 2 * K] = 1.0
    return w


def data(n: int, seed, wt):
    """The rows: n draws x ~ N(0, I) and y from the teacher with noise σ."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, N))
    f = model().predictor(X).forward(wt, X)[:, 0]
    return X, f + SIGMA * rng.standard_normal(n)


def plateau_level(wt, Xt) -> float:
    """ε_g of the best symmetric student (both hidden units equal), on the test rows Xt.

    Minimized over (w, c, v, d) with both hidden units sharing (w, c) and output weights v
    by scipy's BFGS from the teacher's mean direction.
    """
    from scipy.optimize import minimize

    net = model().predictor(Xt)
    ft = net.forward(wt, Xt)[:, 0]
    mean_dir = wt[: N * K].reshape(N, K).mean(1)

    def eg(z):
        w = np.zeros(model().n_weights)
        W = np.repeat(z[:N, None], K, axis=1)
        w[: N * K] = W.ravel()
        w[N * K: N * K + K] = z[N]
        w[N * K + K: N * K + 2 * K] = z[N + 1]
        w[-1] = z[N + 2]
        return 0.5 * np.mean((net.forward(w, Xt)[:, 0] - ft) ** 2)

    z0 = np.concatenate([mean_dir, [0.0, 1.0, 0.0]])
    return float(minimize(eg, z0, method="BFGS").fun)


def run_one(task: dict) -> dict:
    """One (stepper, step size, seed): ε_g per iteration until the target or the budget."""
    from ..optim import make_stepper

    with blas_threads(1):
        wt = teacher_weights(task["seed"])
        X, y = data(task["n"], task["seed"] + 1, wt)
        Xt = np.random.default_rng(task["seed"] + 2).standard_normal((task["n_test"], N))
        m = model()
        prob = m.problem(X, y)
        net = m.predictor(Xt)
        ft = net.forward(wt, Xt)[:, 0]
        name, hyper = task["stepper"], task["hyper"]
        st = make_stepper(name, **hyper)
        st.reset()
        w = student_weights(task["seed"] + 3, task["init_scale"])
        eg, clock, status = [], [0.0], "max_iter"
        arrived, left, reached = None, None, None
        for it in range(task["max_iter"] + 1):
            e = 0.5 * float(np.mean((net.forward(w, Xt)[:, 0] - ft) ** 2))
            eg.append(e)
            if arrived is None and e < task["arrive_level"]:
                arrived = it
            if left is None and e < task["exit_level"]:
                left = it
            if e < task["target"]:
                reached, status = it, "reached"
                break
            if it == task["max_iter"]:
                break
            new, seconds = timed_step(st, prob, w)
            if new is None:
                status = "singular"
                break
            clock.append(clock[-1] + seconds)
            if not np.all(np.isfinite(new)) or prob.loss(new) > 1e6:
                status = "diverged"
                break
            w = new
    return {"stepper": name, "hyper": hyper, "seed": task["seed"], "status": status,
            "arrived_at_plateau": arrived, "left_plateau": left, "reached": reached,
            "seconds_to_leave": None if left is None else clock[left],
            "seconds_to_target": None if reached is None else clock[reached],
            "final_eg": eg[-1], "eg": eg}


def grid(quick: bool = False) -> dict:
    """Step sizes per stepper (dampings fixed: 10⁻³ for the curvature methods)."""
    first = [1e-3, 3e-3, 1e-2]
    second = [0.1, 0.3, 1.0]
    g = {"GD": [{"lr": v} for v in first], "Adam": [{"lr": v} for v in first]}
    for s in STEPPERS[2:]:
        g[s] = [{"lr": v, "damping": 1e-3} for v in second]
    if quick:
        g = {k: v[1:] for k, v in g.items()}
    return g


def run_plateau(out_dir=None, *, seeds: int = 20, pilot_seeds: int = 1, n: int = 400,
                n_test: int = 2000, max_iter: int = 1000, init_scale: float = 1e-3,
                exit_fraction: float = 0.5, target: float = 2e-3, steppers=STEPPERS,
                seed: int = 0, workers: int = 1, scheduler=None, progress=None,
                quick: bool = False, **_) -> dict:
    """Pilot grid, then every stepper on ``seeds`` seeds; writes plateau.json / .png.

    Parameters
    ----------
    seeds : int
        Seeds of the reported runs: seed + 1000 + s (teacher, data, test sample, student).
    pilot_seeds : int
        Seeds seed + s of the step-size pilot.
    n, n_test : int
        Training and test rows.
    max_iter : int
        Iteration budget of every run.
    init_scale : float
        Standard deviation of the students' first-layer weights.
    exit_fraction : float
        Left the plateau: ε_g < exit_fraction × plateau level.
    target : float
        Success: ε_g < target.
    """
    t0 = time.perf_counter()
    if quick:
        seeds, pilot_seeds, n, n_test, max_iter = 3, 1, 300, 1000, 600
    wt0 = teacher_weights(seed)
    level = plateau_level(wt0, np.random.default_rng(seed + 2).standard_normal((n_test, N)))
    base = {"n": n, "n_test": n_test, "max_iter": max_iter, "init_scale": init_scale,
            "exit_level": exit_fraction * level, "arrive_level": 2.0 * level, "target": target}
    g = grid(quick)
    pilot = parallel_map(run_one, [{**base, "stepper": s, "hyper": h, "seed": seed + p}
                                   for s in steppers for h in g[s] for p in range(pilot_seeds)],
                         workers=workers, scheduler=scheduler, progress=progress,
                         label="plateau pilot")

    def score(rs):
        # most pilot seeds reaching the target, then fewest iterations, then lowest final error
        its = [r["reached"] if r["reached"] is not None else max_iter + 1 for r in rs]
        return (-sum(r["reached"] is not None for r in rs), float(np.median(its)),
                float(np.median([r["final_eg"] for r in rs])))

    best = {}
    for s in steppers:
        cands = [(score([r for r in pilot if r["stepper"] == s and r["hyper"] == h]), i, h)
                 for i, h in enumerate(g[s])]
        best[s] = min(cands)[2]
    runs = parallel_map(run_one, [{**base, "stepper": s, "hyper": best[s], "seed": seed + 1000 + k}
                                  for s in steppers for k in range(seeds)],
                        workers=workers, scheduler=scheduler, progress=progress, label="plateau")
    summary = {}
    for s in steppers:
        rs = [r for r in runs if r["stepper"] == s]
        lv = [r["left_plateau"] for r in rs if r["left_plateau"] is not None]
        ar = [r["arrived_at_plateau"] for r in rs if r["arrived_at_plateau"] is not None]
        rc = [r["reached"] for r in rs if r["reached"] is not None]
        sl = [r["seconds_to_leave"] for r in rs if r["seconds_to_leave"] is not None]
        sr = [r["seconds_to_target"] for r in rs if r["seconds_to_target"] is not None]
        summary[s] = {"hyper": best[s], "seeds": len(rs),
                      "never_arrived": len(rs) - len(ar),
                      "median_iterations_to_arrive": float(np.median(ar)) if ar else None,
                      "never_left": len(rs) - len(lv), "never_reached": len(rs) - len(rc),
                      "diverged": sum(r["status"] in ("diverged", "singular") for r in rs),
                      "median_iterations_to_leave": float(np.median(lv)) if lv else None,
                      "median_iterations_to_target": float(np.median(rc)) if rc else None,
                      "median_seconds_to_leave": float(np.median(sl)) if sl else None,
                      "median_seconds_to_target": float(np.median(sr)) if sr else None}
    numbers = {"experiment": "plateau", "quick": quick, "seed": seed, "N": N, "K": K, "M": K,
               "sigma": SIGMA, "seeds": seeds, "pilot_seeds": pilot_seeds, "n": n,
               "n_test": n_test, "max_iter": max_iter, "init_scale": init_scale,
               "plateau_level": level, "exit_fraction": exit_fraction, "target": target,
               "initial_eg": runs[0]["eg"][0], "grid": g, "steppers": list(steppers),
               "summary": summary,
               "runs": [{**{k: v for k, v in r.items() if k != "eg"},
                         "eg": r["eg"][:: max(1, len(r["eg"]) // 300)]} for r in runs],
               "pilot": [{k: v for k, v in r.items() if k != "eg"} for r in pilot]}
    numbers["run_seconds"] = time.perf_counter() - t0
    fig = _figure(numbers, runs)
    numbers["files"] = save(out_dir, "plateau", numbers, fig)
    return numbers


def _figure(nb, runs):
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, s in enumerate(nb["steppers"]):
        first = True
        for r in runs:
            if r["stepper"] != s:
                continue
            axes[0].loglog(np.arange(1, len(r["eg"]) + 1), r["eg"], color=colors[i], lw=0.6,
                           alpha=0.5, label=s if first else None)
            first = False
    for ax in axes[:1]:
        ax.axhline(nb["plateau_level"], color="k", ls=":", lw=1, label="symmetric plateau")
        ax.axhline(nb["target"], color="k", ls="--", lw=1, label="target")
        ax.set_xlabel("iteration + 1")
        ax.set_ylabel("generalization error ε_g")
        ax.legend(fontsize=7)
        ax.set_title(f"{nb['seeds']} seeds, K = M = {nb['K']}, N = {nb['N']}", fontsize=10)
    ax = axes[1]
    names = nb["steppers"]
    su = nb["summary"]
    x = np.arange(len(names))
    to_leave = [su[s]["median_iterations_to_leave"] or np.nan for s in names]
    to_target = [su[s]["median_iterations_to_target"] or np.nan for s in names]
    ax.bar(x - 0.2, to_leave, 0.4, label="median iterations to leave the plateau")
    ax.bar(x + 0.2, to_target, 0.4, label="median iterations to ε_g < target")
    for j, s in enumerate(names):
        ax.text(j, 1.2, f"{su[s]['never_reached']}/{su[s]['seeds']}\nfail", ha="center", fontsize=6)
    ax.set_yscale("log")
    ax.set_xticks(x)
    ax.set_xticklabels(names, rotation=25, fontsize=7)
    ax.set_ylabel("iterations (log)")
    ax.legend(fontsize=7)
    return finish_figure(fig, "plateau: soft committee machine teacher–student",
                         nb["quick"])
