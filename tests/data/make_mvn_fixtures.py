"""Write tests/data/mvn_fixtures.npz: outputs of the element-wise multivariate normal modules.

Run once, at the last commit that had the generated modules multivariate_normal_d2 and
multivariate_normal_d3 (derived entry by entry), before they were replaced by one
dimension-generic module. tests/kernels/test_multivariate_normal.py compares the new kernels
with these numbers.
Seeded, so rerunning it at that commit gives the same file.
"""

import sys
from pathlib import Path

import numpy as np

import fisherlab as fl

QUANTITIES = ("to_natural", "log_partition", "mean", "entropy", "fisher", "natural_fisher")


def _points(rng, d, n):
    """n (μ, Σ) pairs: |μ_i| ≤ 2, Σ = AAᵀ/d + 0.5 I."""
    mu = rng.uniform(-2, 2, (n, d))
    a = rng.normal(size=(n, d, d))
    return mu, a @ np.swapaxes(a, -1, -2) / d + 0.5 * np.eye(d)


def main(filename):
    out = {}
    for d in (2, 3):
        fam = fl.family("multivariate_normal", d=d)
        assert fam.kernels()._ns["__name__"] == f"fisherlab.kernels.multivariate_normal_d{d}"
        rng = np.random.default_rng([16, d])
        mu, sigma = _points(rng, d, 6)
        mu_q, sigma_q = _points(rng, d, 6)
        # lower triangle row by row: (1,1), (2,1), (2,2), ...
        rows = [(i, j) for i in range(d) for j in range(i + 1)]
        vech = np.stack([sigma[:, i, j] for i, j in rows], -1)
        vech_q = np.stack([sigma_q[:, i, j] for i, j in rows], -1)
        cov = np.concatenate([mu, vech], -1)
        cov_q = np.concatenate([mu_q, vech_q], -1)
        x = np.stack([rng.multivariate_normal(m, s) for m, s in zip(mu, sigma)])
        for param in fam.parametrizations:
            k = fam.kernels(param)
            theta = fam.convert(cov, "mean_cov", param)
            theta_q = fam.convert(cov_q, "mean_cov", param)
            pre = f"d{d}/{param}/"
            out[pre + "theta"], out[pre + "theta_q"], out[pre + "x"] = theta, theta_q, x
            for q in QUANTITIES:
                out[pre + q] = getattr(k, q)(theta)
            out[pre + "log_density"] = k.log_density(x, theta)
            out[pre + "score"] = k.score(x, theta)
            out[pre + "hessian"] = k.hessian(x, theta)
            out[pre + "kl"] = k.kl(theta, theta_q)
            g = rng.normal(size=theta.shape)
            out[pre + "grad"] = g
            out[pre + "natural_gradient"] = k.natural_gradient(theta, g)
            if d == 2:
                out[pre + "skewness"] = k.skewness(theta)
    np.savez_compressed(filename, **out)
    print(f"wrote {filename}: {len(out)} arrays")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "mvn_fixtures.npz")
