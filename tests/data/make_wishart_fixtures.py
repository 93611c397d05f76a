"""Write tests/data/wishart_fixtures.npz: outputs of the element-wise d = 2 modules of the
Wishart, inverse Wishart and normal-Wishart (derived entry by entry).

Run once with those modules, fisherlab/kernels/{wishart,inverse_wishart,normal_wishart}_d2.py
of commit 5c94f7b (the last that had them), copied out with ``git show`` into /tmp/oldk/,
before the matrix-form modules replaced them. tests/kernels/test_wishart_matrix_form.py compares
the new kernels with these numbers. Seeded, so rerunning it gives the same file.
"""
import importlib.util

import numpy as np

from fisherlab._api import Family
from fisherlab.families import load
from fisherlab.verify.points import draw_points

out = {}
for name in ["wishart", "inverse_wishart", "normal_wishart"]:
    spec = load(name, d=2)
    sp_ = importlib.util.spec_from_file_location(f"old_{name}", f"/tmp/oldk/{name}_d2.py")
    mod = importlib.util.module_from_spec(sp_)
    sp_.loader.exec_module(mod)
    fam = Family(spec, namespace=vars(mod))
    for pz in fam.parametrizations:
        k = fam.kernels(pz)
        th = draw_points(spec, pz, 3, np.random.default_rng(7))
        thq = draw_points(spec, pz, 3, np.random.default_rng(8))
        base = fam.parametrizations[1]
        x = fam.sample(fam.convert(th[0], pz, base), base, size=3, seed=9)
        g = np.random.default_rng(10).normal(size=th.shape)
        res = dict(theta=th, theta_q=thq, x=x, grad=g,
                   to_natural=k.to_natural(th), log_partition=k.log_partition(th), mean=k.mean(th),
                   entropy=k.entropy(th), fisher=k.fisher(th), natural_fisher=k.natural_fisher(th),
                   log_density=k.log_density(x, th[0]), score=k.score(x, th[0]),
                   hessian=k.hessian(x, th[0]), kl=k.kl(th, thq), jacobian=k.jacobian(th),
                   natural_gradient=k.natural_gradient(th, g), skewness=k.skewness(th))
        for q, v in res.items():
            out[f"{name}/{pz}/{q}"] = np.asarray(v)
        print(name, pz, "ok")
np.savez_compressed("tests/data/wishart_fixtures.npz", **out)
