"""minibatch-noise: at θ*, the covariance of minibatch gradients is F(θ*)/b.

Minibatches of b observations are drawn from the model at θ*; the minibatch gradient is the mean
of −score over the batch. Since E[score] = 0 at θ*, its covariance is E[g gᵀ] = F(θ*)/b exactly.
Measured across batch sizes with ``reps`` minibatches each, entry by entry with standard errors.
"""

from __future__ import annotations

import numpy as np

import fisherlab as fl

from ._common import Progress, pyplot, save


def run_minibatch_noise(out_dir=None, *, family: str = "gamma", param: str = "shape_rate",
                        theta=(2.0, 3.0), dims=None, batch_sizes=(1, 2, 4, 8, 16, 32, 64, 128),
                        reps: int = 20000, seed: int = 0, progress=None, **_) -> dict:
    """Measure b·Cov(g_b) against F(θ*); writes minibatch-noise.json / .png.

    Returns
    -------
    dict
        Per batch size: ``b_cov`` (b times the measured second-moment matrix), its standard
        error ``b_cov_se``, ``max_z`` (largest |b·Cov − F| / s.e. over entries) and
        ``rel_frobenius`` (‖b·Cov − F‖/‖F‖).
    """
    fam = fl.family(family, **(dims or {}))
    k = fam.kernels(param)
    star = np.array(theta, dtype=float)
    F = k.fisher(star)
    home = fam.spec.sampler[0]
    star_home = fam.convert(star, param, home)
    rng = np.random.default_rng(seed)
    rows = []
    bar = Progress(len(batch_sizes), "minibatch-noise", progress)
    for b in batch_sizes:
        x = fam.sample(star_home, home, size=(reps, b), seed=rng)
        g = -k.score(x, star).mean(axis=1)            # (reps, p): one minibatch gradient each
        # known mean 0 at θ*: E[g gᵀ] is the covariance
        prod = g[:, :, None] * g[:, None, :]
        cov = prod.mean(0)
        se = prod.std(0, ddof=1) / np.sqrt(reps)
        z = np.abs(b * cov - F) / (b * se)
        rows.append({"b": int(b), "b_cov": (b * cov).tolist(), "b_cov_se": (b * se).tolist(),
                     "max_z": float(z.max()),
                     "rel_frobenius": float(np.linalg.norm(b * cov - F) / np.linalg.norm(F))})
        bar.update()
    bar.close()
    numbers = {"experiment": "minibatch-noise", "family": fam.key, "param": param,
               "theta_star": star.tolist(), "fisher": F.tolist(), "reps": reps, "seed": seed,
               "params": list(k.params), "rows": rows}
    fig = _figure(numbers)
    numbers["files"] = save(out_dir, "minibatch-noise", numbers, fig)
    return numbers


def _figure(nb):
    plt = pyplot()
    F = np.array(nb["fisher"])
    p = F.shape[0]
    fig, ax = plt.subplots(figsize=(6.8, 4.4))
    b = np.array([r["b"] for r in nb["rows"]])
    for i in range(p):
        for j in range(i, p):
            v = np.array([r["b_cov"][i][j] for r in nb["rows"]])
            se = np.array([r["b_cov_se"][i][j] for r in nb["rows"]])
            name = f"{nb['params'][i]}, {nb['params'][j]}"
            line = ax.errorbar(
                b, v, yerr=2 * se, fmt="o", capsize=3, label=f"b·Cov[{name}] (±2 s.e.)"
            )
            ax.axhline(F[i, j], color=line[0].get_color(), ls=":", lw=1)
    ax.plot([], [], "k:", label="F(θ*) entries")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("batch size b")
    ax.set_ylabel("b × covariance of the minibatch gradient")
    ax.set_title(f"{nb['family']} {nb['param']} at θ* = {tuple(nb['theta_star'])}, "
                 f"{nb['reps']} minibatches per b", fontsize=9)
    ax.legend(fontsize=7, loc="center right")
    fig.tight_layout()
    return fig
