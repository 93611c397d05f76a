"""heteroscedastic: Gaussian NLL, β-NLL and natural gradient on a 1-D regression with
input-dependent noise (Seitzer et al. 2022, "On the pitfalls of heteroscedastic uncertainty
estimation with probabilistic neural networks").

Data: the 1-D toy of Detlefsen et al. (2019), x ~ U(0, 10), y = x sin x + 0.3 ε₁ + 0.3 x ε₂, so
the mean is sinusoidal and σ(x) = 0.3 √(1 + x²) grows with x. The network is an MLP
1-H-H-2 (tanh) with a normal (mean, log std) head, input scaled to (x − 5)/5.

Methods, each from the same initial weights per seed:

- Adam on the NLL;
- Adam on β-NLL (β = 0.5, 1): the row gradients of the NLL multiplied by the stop-gradient
  weight σ_i^{2β} (Seitzer et al., eq. 6);
- natural gradient with the exact output Fisher: the GGN Σ_i J_iᵀ diag(1/σ_i², 2) J_i / n,
  damped, with a fixed step size.

Reported per method and seed: RMSE of the predicted mean against the true mean x sin x on a test
grid, the test NLL (on fresh draws), the RMSE in the noisy half (x > 5) and the wall time.
"""

from __future__ import annotations

import time

import numpy as np

from ._common import finish_figure, parallel_map, pyplot, save

METHODS = ("Adam NLL", "Adam β-NLL β=0.5", "Adam β-NLL β=1", "natural gradient")


def draw(n: int, seed) -> tuple[np.ndarray, np.ndarray]:
    """(x, y): n draws of the toy regression."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 10.0, n)
    y = x * np.sin(x) + 0.3 * rng.standard_normal(n) + 0.3 * x * rng.standard_normal(n)
    return x, y


def true_mean(x):
    """E[y | x] = x sin x."""
    return x * np.sin(x)


def true_std(x):
    """sd(y | x) = 0.3 √(1 + x²)."""
    return 0.3 * np.sqrt(1.0 + x * x)


def features(x) -> np.ndarray:
    """The network's input (x − 5)/5, shape (n, 1)."""
    return ((np.asarray(x) - 5.0) / 5.0)[:, None]


def model(hidden: int):
    """The MLP 1-hidden-hidden-2 (tanh) with the normal (mean, log σ) head."""
    from ..models import MLP, Head

    return MLP([1, hidden, hidden, 2], Head("normal", "mean_logstd", link="identity", fixed={}),
               activation="tanh")


class BetaNLL:
    """The NLL problem with the β-NLL gradient: row gradients scaled by sg(σ_i^{2β}).

    ``loss`` stays the mean NLL (what is reported); ``grad`` is the gradient of
    Σ_i sg(σ_i^{2β}) ℓ_i / n, the β-NLL of Seitzer et al.
    """

    def __init__(self, problem, beta: float):
        self.problem, self.beta = problem, float(beta)
        self.name = f"beta-NLL {beta}"

    def loss(self, w):
        """The mean NLL (not β-weighted)."""
        return self.problem.loss(w)

    def contains(self, w):
        """Whether w is in the model's domain."""
        return self.problem.contains(w)

    def grad(self, w):
        """Σ_i σ_i^{2β} ∇ℓ_i / n, the weights held constant: (P,)."""
        p = self.problem
        raw = p.raw(w)
        u = p.point(w).grad(p.y) * (np.exp(2.0 * self.beta * raw[:, 1]) / p.n)[:, None]
        return p.predictor.vjp(w, p.X, u)


def run_one(task: dict) -> dict:
    """One (seed, method) run; returns the fitted curve and its numbers."""
    from ..optim import Adam, NaturalGradient, run

    x, y = draw(task["n"], task["seed"])
    m = model(task["hidden"])
    prob = m.problem(features(x), y)
    w0 = m.init(seed=task["seed"])
    method = task["method"]
    if method == "natural gradient":
        stepper = NaturalGradient(lr=task["ngd_lr"], damping=task["ngd_damping"])
        target, iters = prob, task["ngd_iter"]
    else:
        beta = 0.0 if method == "Adam NLL" else float(method.split("=")[1])
        target = prob if beta == 0.0 else BetaNLL(prob, beta)
        stepper, iters = Adam(lr=task["adam_lr"]), task["adam_iter"]
    t0 = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore"):
        res = run(target, stepper, w0, max_iter=iters, record_kl=False)
    seconds = time.perf_counter() - t0
    w = res.theta
    grid = np.linspace(0.0, 10.0, 201)
    raw = m.predictor(features(grid)).forward(w, features(grid))
    xt, yt = draw(2000, task["seed"] + 10_000)
    test = m.problem(features(xt), yt)
    mu_t = test.raw(w)[:, 0]
    mu_g = raw[:, 0]
    err = mu_g - true_mean(grid)
    return {"seed": task["seed"], "method": method, "status": res.status,
            "iterations": res.iterations, "seconds": seconds,
            "train_nll": float(prob.loss(w)), "test_nll": float(test.loss(w)),
            "rmse_mean": float(np.sqrt(np.mean(err ** 2))),
            "rmse_mean_noisy_half": float(np.sqrt(np.mean(err[grid > 5] ** 2))),
            "rmse_test_vs_truth": float(np.sqrt(np.mean((mu_t - true_mean(xt)) ** 2))),
            "grid_mean": mu_g.tolist(), "grid_std": np.exp(raw[:, 1]).tolist(),
            "loss_curve": res.loss[:: max(1, len(res.loss) // 200)]}


def run_heteroscedastic(out_dir=None, *, seeds: int = 10, n: int = 500, hidden: int = 16,
                        adam_iter: int = 4000, adam_lr: float = 3e-3, ngd_iter: int = 300,
                        ngd_lr: float = 0.1, ngd_damping: float = 1e-2, seed: int = 0,
                        workers: int = 1, scheduler=None, progress=None, quick: bool = False,
                        **_) -> dict:
    """Run every method on ``seeds`` seeds; writes heteroscedastic.json / .png.

    Parameters
    ----------
    seeds : int
        Seeds seed, seed + 1, ...: each draws its own data and initial weights.
    n : int
        Training rows.
    hidden : int
        Width of both hidden layers.
    adam_iter, adam_lr : Adam's full-batch iterations and step size (all three losses).
    ngd_iter, ngd_lr, ngd_damping : natural gradient's iterations, step size, and damping.
    """
    if quick:
        seeds, n, adam_iter, ngd_iter = 3, 300, 4000, 300
    t0 = time.perf_counter()
    tasks = [{"seed": seed + s, "method": meth, "n": n, "hidden": hidden, "adam_iter": adam_iter,
              "adam_lr": adam_lr, "ngd_iter": ngd_iter, "ngd_lr": ngd_lr,
              "ngd_damping": ngd_damping} for s in range(seeds) for meth in METHODS]
    runs = parallel_map(run_one, tasks, workers=workers, scheduler=scheduler, progress=progress,
                        label="heteroscedastic")
    summary = {}
    for meth in METHODS:
        rs = [r for r in runs if r["method"] == meth]
        summary[meth] = {k: {"median": float(np.median([r[k] for r in rs])),
                             "min": float(np.min([r[k] for r in rs])),
                             "max": float(np.max([r[k] for r in rs]))}
                         for k in ("rmse_mean", "rmse_mean_noisy_half", "test_nll", "train_nll",
                                   "seconds")}
        summary[meth]["iterations"] = rs[0]["iterations"]
    numbers = {"experiment": "heteroscedastic", "quick": quick, "seeds": seeds, "seed": seed,
               "n": n, "hidden": hidden, "adam_iter": adam_iter, "adam_lr": adam_lr,
               "ngd_iter": ngd_iter, "ngd_lr": ngd_lr, "ngd_damping": ngd_damping,
               "methods": list(METHODS), "summary": summary,
               "runs": [{k: v for k, v in r.items() if not k.startswith("grid")} for r in runs],
               "noise_floor_test_nll": float(np.mean(np.log(true_std(np.linspace(0, 10, 2001)))
                                                     + 0.5 * np.log(2 * np.pi) + 0.5))}
    fig = _figure(numbers, [r for r in runs if r["seed"] == seed], seed)
    numbers["run_seconds"] = time.perf_counter() - t0
    numbers["files"] = save(out_dir, "heteroscedastic", numbers, fig)
    return numbers


def _figure(nb, runs, seed):
    plt = pyplot()
    grid = np.linspace(0.0, 10.0, 201)
    x, y = draw(nb["n"], seed)
    fig, grid_axes = plt.subplots(2, 3, figsize=(12, 7.2))
    axes = list(grid_axes.ravel())
    axes = axes[:len(runs)] + [axes[-1]]
    for ax in grid_axes.ravel()[len(runs):-1]:
        ax.axis("off")
    for ax, r in zip(axes, runs):
        mu, sd = np.array(r["grid_mean"]), np.array(r["grid_std"])
        ax.plot(x, y, ".", ms=2, color="0.7", label="training data")
        ax.plot(grid, true_mean(grid), "k--", lw=1, label="true mean x sin x")
        ax.plot(grid, mu, color="tab:blue", label="predicted mean")
        ax.fill_between(grid, mu - 2 * sd, mu + 2 * sd, color="tab:blue", alpha=0.2,
                        label="± 2 predicted σ")
        ax.set_title(f"{r['method']}\nRMSE(mean) {r['rmse_mean']:.2f}, "
                     f"test NLL {r['test_nll']:.2f}", fontsize=9)
        ax.set_xlabel("x")
        ax.set_ylim(-15, 15)
    axes[0].set_ylabel("y")
    axes[3].set_ylabel("y")
    axes[0].legend(fontsize=7, loc="lower left")
    ax = axes[-1]
    meths = nb["methods"]
    rm = [[r["rmse_mean"] for r in nb["runs"] if r["method"] == m] for m in meths]
    short = [m.replace("Adam ", "").replace("natural gradient", "NGD") for m in meths]
    ax.boxplot(rm, tick_labels=short)
    ax.set_ylabel("RMSE of the mean vs x sin x")
    ax.set_title(f"{nb['seeds']} seeds", fontsize=9)
    ax.tick_params(axis="x", labelsize=7, rotation=20)
    return finish_figure(fig, f"heteroscedastic regression, seed {seed}, "
                              f"MLP 1-{nb['hidden']}-{nb['hidden']}-2", nb["quick"])
