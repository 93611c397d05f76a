"""kl-trust: does a KL-budgeted natural-gradient step move the model by its budget.

At each iterate θ_t of a natural-gradient run, the step is scaled to the budget ε,

    d = −√(2ε / gᵀF⁺g) · F⁺g,

(F⁺ the pseudo-inverse of the Fisher: the Fisher of a softmax network is singular along the
logit shift, which the gradient never has a component on), so that ½ dᵀFd = ε: to second order
the step moves the model by KL = ε. Against it, the gradient step of the same Euclidean length,
−(‖d‖/‖g‖)·g, from the same θ_t. For both, the realized KL(p_θt ‖ p_θt+d) is measured exactly
(the family's KL kernel; for regressions the mean over rows of the per-row KL), and its ratio to ε
reported. A step that leaves the parameter domain has no KL; it is counted as such (a
natural-gradient step leaving it ends that trace).

Problems: the normal MLE (n = 500 draws of N(3, 2²), start N(0, 1)) in the mean_std,
mean_logstd and natural parametrizations; L2-free logistic regression on the breast-cancer data
(standardized features, from zero); and an MLP 64-8-10 (tanh) with a softmax head on 300 digits.
"""

from __future__ import annotations

import time

import numpy as np

from ._common import (
    blas_threads,
    build_problem,
    finish_figure,
    mle_spec,
    parallel_map,
    pyplot,
    save,
)

PROBLEMS = ("normal mean_std", "normal mean_logstd", "normal natural", "logistic breast cancer",
            "digits MLP")


def pinv_solve(F: np.ndarray, g: np.ndarray, rcond: float = 1e-12) -> np.ndarray:
    """F⁺g for a symmetric positive semi-definite F (eigenvalues below rcond·max dropped)."""
    lam, V = np.linalg.eigh(F)
    keep = lam > rcond * lam.max()
    return V[:, keep] @ ((V[:, keep].T @ g) / lam[keep])


def make(name: str, seed: int = 0):
    """(problem, θ0, kl(θa, θb)) of a problem name."""
    if name.startswith("normal"):
        import fisherlab as fl

        param = name.split()[1]
        prob = build_problem(mle_spec("normal", param, "mean_std", (3.0, 2.0), 500, seed))
        theta0 = fl.family("normal").convert(np.array([0.0, 1.0]), "mean_std", param)
        return prob, theta0, lambda a, b: float(prob.k.kl(a, b))
    from ..models import GLM, MLP, Head

    if name == "logistic breast cancer":
        from ._common import breast_cancer_design

        X, y = breast_cancer_design()
        # standardized: on the raw features (up to 4000) any step of useful length pushes some
        # predicted probability to 0 or 1 in float64, where the KL is not finite
        X[:, :-1] = (X[:, :-1] - X[:, :-1].mean(0)) / X[:, :-1].std(0)
        prob = GLM(Head("bernoulli")).problem(X, y)
        return prob, np.zeros(prob.dim), prob.divergence
    if name == "digits MLP":
        X, y = digits(300, seed)
        m = MLP([64, 8, 10], Head("categorical", link="softmax", k=10), activation="tanh")
        prob = m.problem(X, y)
        return prob, m.init(seed), prob.divergence
    raise KeyError(name)


def digits(n: int, seed: int = 0):
    """Rows of scikit-learn's digits (a seeded shuffle), pixels scaled to [0, 1], labels 0-9.

    Returns (X (n, 64), y (n,)).
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    idx = np.random.default_rng(seed).permutation(len(d.target))[:n]
    return d.data[idx] / 16.0, d.target[idx].astype(float)


def trace(task: dict) -> dict:
    """Realized KL/ε of every natural-gradient step and of its same-length gradient step."""
    with blas_threads(1):
        return _trace(task)


def _trace(task: dict) -> dict:
    prob, theta, kl = make(task["problem"], task["seed"])
    eps = task["eps"]
    ngd, gd, gd_out, stopped, reason = [], [], 0, None, None
    t0 = time.perf_counter()
    for it in range(task["steps"]):
        g = prob.grad(theta)
        v = pinv_solve(np.asarray(prob.fisher(theta)), g)
        gv = float(g @ v)
        if not gv > 0.0:
            # gᵀF⁺g is 0 when the gradient vanished to round-off (an optimum) and NaN when an
            # earlier step overflowed the model: no direction to scale either way
            stopped, reason = it, "gᵀF⁺g not positive (gradient vanished or not finite)"
            break
        d = -np.sqrt(2.0 * eps / gv) * v
        e = -(np.linalg.norm(d) / np.linalg.norm(g)) * g
        if not prob.contains(theta + d):
            # large budgets drive the logistic fit toward separation, where fitted
            # probabilities round to 0 or 1: the trace ends there, and says so
            stopped, reason = it, "step left the domain"
            break
        ngd.append(kl(theta, theta + d) / eps)
        if prob.contains(theta + e):
            gd.append(kl(theta, theta + e) / eps)
        else:
            gd.append(np.nan)
            gd_out += 1
        theta = theta + d
    return {"problem": task["problem"], "eps": eps, "ngd_ratio": ngd, "gd_ratio": gd,
            "gd_left_domain": gd_out, "ngd_stopped_at_step": stopped, "ngd_stop_reason": reason,
            "final_loss": float(prob.loss(theta)),
            "seconds": time.perf_counter() - t0}


def run_kl_trust(out_dir=None, *, eps=(1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1), steps: int = 30,
                 problems=PROBLEMS, seed: int = 0, workers: int = 1, scheduler=None,
                 progress=None, quick: bool = False, **_) -> dict:
    """Trace the realized KL of KL-budgeted steps; writes kl-trust.json / .png.

    Parameters
    ----------
    eps : sequence of float
        KL budgets.
    steps : int
        Natural-gradient steps per (problem, ε).
    """
    if quick:
        eps, steps = (1e-6, 1e-2), 8
    t0 = time.perf_counter()
    tasks = [{"problem": p, "eps": float(e), "steps": steps, "seed": seed}
             for p in problems for e in eps]
    rows = parallel_map(trace, tasks, workers=workers, scheduler=scheduler, progress=progress,
                        label="kl-trust")
    for r in rows:
        a, b = np.array(r["ngd_ratio"]), np.array(r["gd_ratio"])
        r["ngd_max_abs_dev"] = float(np.max(np.abs(a - 1.0)))
        fin = b[np.isfinite(b)]
        r["gd_ratio_min"] = float(fin.min()) if fin.size else None
        r["gd_ratio_max"] = float(fin.max()) if fin.size else None
        r["gd_ratio_median"] = float(np.median(fin)) if fin.size else None
    numbers = {"experiment": "kl-trust", "quick": quick, "seed": seed, "eps": list(map(float, eps)),
               "steps": steps, "problems": list(problems), "rows": rows,
               "run_seconds": time.perf_counter() - t0}
    fig = _figure(numbers)
    numbers["files"] = save(out_dir, "kl-trust", numbers, fig)
    return numbers


def _figure(nb):
    plt = pyplot()
    probs = nb["problems"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, p in enumerate(probs):
        rs = [r for r in nb["rows"] if r["problem"] == p]
        e = [r["eps"] for r in rs]
        axes[0].loglog(e, [r["ngd_max_abs_dev"] for r in rs], "o-", color=colors[i], label=p)
        lo = [r["gd_ratio_min"] if r["gd_ratio_min"] is not None else np.nan for r in rs]
        hi = [r["gd_ratio_max"] if r["gd_ratio_max"] is not None else np.nan for r in rs]
        axes[1].fill_between(e, lo, hi, color=colors[i], alpha=0.25)
        axes[1].loglog(e, [r["gd_ratio_median"] or np.nan for r in rs], "s--", color=colors[i],
                       label=f"{p}: GD median, min–max band")
        axes[1].loglog(e, [np.median(r["ngd_ratio"]) for r in rs], "o-", color=colors[i], lw=0.8)
    axes[0].set_xlabel("KL budget ε")
    axes[0].set_ylabel("max over steps |realized KL / ε − 1|")
    axes[0].set_title("natural gradient: realized KL / ε → 1 as ε → 0", fontsize=10)
    axes[0].legend(fontsize=7)
    axes[1].axhline(1.0, color="k", lw=0.8)
    axes[1].set_xlabel("KL budget ε")
    axes[1].set_ylabel("realized KL / ε")
    axes[1].set_title("GD step of the same Euclidean length (NGD: solid, ≈ 1)", fontsize=10)
    axes[1].legend(fontsize=6)
    return finish_figure(fig, f"kl-trust: {nb['steps']} steps per budget",
                         nb["quick"])
