"""Write tests/data/simplex_fixtures.npz: outputs of the per-k kernel modules of the simplex
families (categorical k = 2, 3, 4, 5, 10; dirichlet k = 2, 3, 5; multinomial k = 3, 4).

Run once, with ``PYTHONPATH`` at the last commit that still had the generated modules
categorical_k*, dirichlet_k* and multinomial_k*, before they were replaced by one
dimension-generic module per family; tests/kernels/test_simplex_generic.py compares the new
kernels with these numbers. Seeded, so rerunning it at that commit gives the same file.
"""

from pathlib import Path

import numpy as np

import fisherlab as fl

CASES = [("categorical", {"k": k}) for k in (2, 3, 4, 5, 10)]
CASES += [("dirichlet", {"k": k}) for k in (2, 3, 5)]
CASES += [("multinomial", {"k": k, "n": 5}) for k in (3, 4)]


def _draw(rng, params, n):
    cols = []
    for p in params:
        lo, hi = p.test_range
        if lo > 0:
            cols.append(np.exp(rng.uniform(np.log(lo), np.log(hi), n)))
        else:
            cols.append(rng.uniform(lo, hi, n))
    return np.stack(cols, -1)


def main(filename="simplex_fixtures.npz"):
    out = {}
    for name, dims in CASES:
        fam = fl.family(name, **dims)
        tag = f"{name}_k{dims['k']}"
        modname = fam.kernels()._ns["__name__"]
        assert modname == f"fisherlab.kernels.{tag}", f"not a generated module: {modname}"
        for param in fam.parametrizations:
            rng = np.random.default_rng([11, len(tag), dims["k"], len(param)])
            k = fam.kernels(param)
            theta = _draw(rng, k.spec.parametrization(k.parametrization).params, 12)
            theta_q = _draw(rng, k.spec.parametrization(k.parametrization).params, 12)
            if name == "dirichlet":
                # draws at α ≈ 1e-3 round to the simplex's boundary, outside the support
                x = rng.dirichlet(np.ones(dims["k"]), 12)
            else:
                x = np.concatenate([fam.sample(t, param, size=1, seed=i)
                                    for i, t in enumerate(theta)])
            pre = f"{tag}/{param}/"
            out[pre + "theta"], out[pre + "theta_q"], out[pre + "x"] = theta, theta_q, x
            out[pre + "to_natural"] = k.to_natural(theta)
            out[pre + "log_partition"] = k.log_partition(theta)
            out[pre + "mean"] = k.mean(theta)
            out[pre + "jacobian"] = k.jacobian(theta)
            out[pre + "log_density"] = k.log_density(x, theta)
            out[pre + "score"] = k.score(x, theta)
            out[pre + "hessian"] = k.hessian(x, theta)
            out[pre + "fisher"] = k.fisher(theta)
            out[pre + "natural_fisher"] = k.natural_fisher(theta)
            out[pre + "kl"] = k.kl(theta, theta_q)
            out[pre + "entropy"] = k.entropy(theta)
            out[pre + "skewness"] = k.skewness(theta)
            out[pre + "natural_gradient"] = k.natural_gradient(theta, theta_q)
            if fam.spec.fisher_rao is not None:
                out[pre + "fisher_rao"] = k.fisher_rao_distance(theta, theta_q)
    np.savez_compressed(Path(__file__).with_name(filename), **out)


if __name__ == "__main__":
    main()
