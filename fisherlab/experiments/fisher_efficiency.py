"""fisher-efficiency (Amari 1998): online natural gradient with step 1/t is Fisher-efficient.

One observation per step, θ_t = θ_{t−1} − (1/t)·F(θ_{t−1})⁻¹ ∇ℓ(x_t; θ_{t−1}), run over many
independent seeds at once (the kernels are batched over the seed axis). Amari's theorem:
t·Var(θ_t) → 1/F(θ*), the Cramér–Rao bound of t observations, so the ratio
t·Var(θ_t)·F(θ*) → 1.
"""

from __future__ import annotations

import numpy as np

import fisherlab as fl

from ..errors import DomainError
from ._common import Progress, pyplot, save


def run_fisher_efficiency(out_dir=None, *, family: str = "poisson", param: str = "natural",
                          truth_param: str = "rate", truth=(3.0,), start=None, T: int = 4000,
                          seeds: int = 4000, seed: int = 0, progress=None, **_) -> dict:
    """Run the online natural gradient; writes fisher-efficiency.json / .png.

    Parameters
    ----------
    family, param : str
        A one-parameter family and the parametrization the stepper runs in.
    truth_param, truth : str, tuple
        θ* in the sampler's terms.
    start : tuple, optional
        θ₀ in ``param`` (default: θ* shifted by 0.5 in ``param``).
    T : int
        Steps (one observation each).
    seeds : int
        Independent runs.

    Returns
    -------
    dict
        ``ratio[i]`` = t·Var(θ_t)·F(θ*) at ``checkpoints[i]`` with its standard error.
    """
    fam = fl.family(family)
    k = fam.kernels(param).unchecked()  # θ stays inside the (unconstrained) domain by design
    if len(k.params) != 1:
        raise DomainError(f"fisher-efficiency needs a one-parameter family, {family} {param} "
                               f"has {len(k.params)}")
    star = fam.convert(np.array(truth, dtype=float), truth_param, param)
    theta = np.full((seeds, 1), (star + 0.5) if start is None else np.array(start, dtype=float))
    fam.kernels(param).check_theta(theta[:1])  # the start must be a valid point
    F_star = float(fam.kernels(param).fisher(star)[0, 0])
    rng = np.random.default_rng(seed)
    checkpoints = sorted({int(c) for c in np.unique(np.geomspace(10, T, 12).astype(int))})
    out = {"t": [], "ratio": [], "ratio_se": [], "bias": []}
    bar = Progress(T, "fisher-efficiency", progress)
    star_home = fam.convert(star, param, truth_param)
    for t in range(1, T + 1):
        x = fam.sample(star_home, truth_param, size=seeds, seed=rng)
        g = -k.score(x, theta)                      # gradient of −log p(x_t | θ)
        theta = theta - k.natural_gradient(theta, g) / t
        bar.update()
        if t in checkpoints:
            d = theta[:, 0] - star[0]
            dc = d - d.mean()
            var = float(np.mean(dc ** 2) * seeds / (seeds - 1))
            # standard error of the sample variance from the fourth central moment
            m4 = float(np.mean(dc ** 4))
            se_var = np.sqrt(max(m4 - var ** 2 * (seeds - 3) / (seeds - 1), 0.0) / seeds)
            out["t"].append(t)
            out["ratio"].append(t * var * F_star)
            out["ratio_se"].append(t * se_var * F_star)
            out["bias"].append(float(d.mean()))
    bar.close()
    numbers = {
        "experiment": "fisher-efficiency",
        "family": family,
        "param": param,
        "theta_star": star.tolist(),
        "fisher_star": F_star,
        "cramer_rao_1_over_F": 1 / F_star,
        "T": T,
        "seeds": seeds,
        "seed": seed,
        **out,
    }
    fig = _figure(numbers)
    numbers["files"] = save(out_dir, "fisher-efficiency", numbers, fig)
    return numbers


def _figure(nb):
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    t, r, se = np.array(nb["t"]), np.array(nb["ratio"]), np.array(nb["ratio_se"])
    ax.errorbar(t, r, yerr=2 * se, fmt="o-", capsize=3, label="t · Var(θ_t) · F(θ*)  (±2 s.e.)")
    ax.axhline(1.0, color="k", ls=":", label="Cramér–Rao: 1")
    ax.set_xscale("log")
    ax.set_xlabel("t (observations)")
    ax.set_ylabel("t · Var(θ_t) · F(θ*)")
    ax.set_title(f"online natural gradient, step 1/t: {nb['family']} {nb['param']}, "
                 f"{nb['seeds']} seeds", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
