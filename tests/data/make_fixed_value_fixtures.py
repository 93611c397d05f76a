"""Write tests/data/fixed_value_fixtures.npz: outputs of the per-value kernel modules.

Run once, at the commit that still had the generated modules binomial_n5, binomial_n10,
negative_binomial_r3, weibull_k1p5, pareto_x_m1 and laplace_loc0 (main at 83b7556), before they
were replaced by one module per family taking the fixed parameter at run time; and with
``multinomial`` as argument, writing multinomial_fixtures.npz, at the last commit that had
multinomial_k3_n5 and multinomial_k4_n5. tests/families/test_fixed_params.py compares the new
kernels with these numbers. Seeded, so rerunning it at those commits gives the same files.
"""

import sys
from pathlib import Path

import numpy as np

import fisherlab as fl

MULTINOMIAL = [("multinomial", {"n": 5, "k": 3}), ("multinomial", {"n": 5, "k": 4})]
CASES = [("binomial", {"n": 5}), ("binomial", {"n": 10}), ("negative_binomial", {"r": 3}),
         ("weibull", {"k": 1.5}), ("pareto", {"x_m": 1}), ("laplace", {"loc": 0})]


def _draw(rng, params, n):
    cols = []
    for p in params:
        lo, hi = p.test_range
        if lo > 0:
            cols.append(np.exp(rng.uniform(np.log(lo), np.log(hi), n)))
        elif hi < 0:
            cols.append(-np.exp(rng.uniform(np.log(-hi), np.log(-lo), n)))
        else:
            cols.append(rng.uniform(lo, hi, n))
    return np.stack(cols, -1)


def main(cases, filename):
    out = {}
    for name, dims in cases:
        fam = fl.family(name, **dims)
        tag = fam.key
        assert f"fisherlab.kernels.{tag}" == fam.kernels()._ns["__name__"], "not a generated module"
        for param in fam.parametrizations:
            rng = np.random.default_rng([7, len(tag), len(param)])
            k = fam.kernels(param)
            theta = _draw(rng, k.spec.parametrization(k.parametrization).params, 12)
            theta_q = _draw(rng, k.spec.parametrization(k.parametrization).params, 12)
            x = np.concatenate([fam.sample(t, param, size=1, seed=i) for i, t in enumerate(theta)])
            pre = f"{tag}/{param}/"
            out[pre + "theta"], out[pre + "theta_q"], out[pre + "x"] = theta, theta_q, x
            out[pre + "to_natural"] = k.to_natural(theta)
            out[pre + "log_partition"] = k.log_partition(theta)
            out[pre + "mean"] = k.mean(theta)
            out[pre + "log_density"] = k.log_density(x, theta)
            out[pre + "score"] = k.score(x, theta)
            out[pre + "hessian"] = k.hessian(x, theta)
            out[pre + "fisher"] = k.fisher(theta)
            out[pre + "kl"] = k.kl(theta, theta_q)
            out[pre + "entropy"] = k.entropy(theta)
            out[pre + "skewness"] = k.skewness(theta)
            out[pre + "fisher_rao"] = k.fisher_rao_distance(theta, theta_q)
    np.savez_compressed(Path(__file__).with_name(filename), **out)


if __name__ == "__main__":
    if sys.argv[1:] == ["multinomial"]:
        main(MULTINOMIAL, "multinomial_fixtures.npz")
    else:
        main(CASES, "fixed_value_fixtures.npz")
