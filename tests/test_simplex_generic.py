"""The dimension-generic simplex kernels (categorical, multinomial, Dirichlet; one module each).

- against the outputs of the per-k modules they replaced (tests/data/simplex_fixtures.npz);
- the structured derivation against the element-wise one, derived in memory, for k ≤ 4;
- the structure (DiagPlusLowRank) against the dense matrices, and natural gradient / Fisher-vector
  products against numpy on them;
- a fresh interpreter builds the k = 1000 kernels without importing sympy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import fisherlab as fl

ROOT = Path(__file__).resolve().parent.parent
TOL = 1e-12


def _quantity(k, quantity, theta, theta_q, x):
    if quantity in ("log_density", "score", "hessian"):
        return getattr(k, quantity)(x, theta)
    if quantity == "kl":
        return k.kl(theta, theta_q)
    if quantity == "fisher_rao":
        return k.fisher_rao_distance(theta, theta_q)
    if quantity == "natural_gradient":
        return k.natural_gradient(theta, theta_q)
    return getattr(k, quantity)(theta)


def _family(tag):
    name, k = tag.rsplit("_k", 1)
    dims = {"k": int(k)}
    if name == "multinomial":
        dims["n"] = 5
    return name, dims


def test_kernels_match_the_replaced_per_k_modules():
    data = np.load(ROOT / "tests" / "data" / "simplex_fixtures.npz")
    failures, seen = [], set()
    for key in data.files:
        tag, param, quantity = key.split("/")
        if quantity in ("theta", "theta_q", "x"):
            continue
        seen.add(tag)
        name, dims = _family(tag)
        k = fl.kernels(name, param, **dims)
        pre = f"{tag}/{param}/"
        got = _quantity(k, quantity, data[pre + "theta"], data[pre + "theta_q"], data[pre + "x"])
        ref = data[key]
        # normwise per point: both are float evaluations of the same exact quantity
        axes = tuple(range(1, ref.ndim))
        scale = np.max(np.abs(ref), axis=axes) if axes else np.abs(ref)
        diff = np.max(np.abs(got - ref), axis=axes) if axes else np.abs(got - ref)
        err = np.max(diff / np.maximum(scale, np.finfo(float).tiny))
        # the natural gradient solves a system of condition number up to ~1e4 here
        tol = 1e-9 if quantity == "natural_gradient" else 2 * TOL
        if not err <= tol:
            failures.append(f"{tag} {param} {quantity}: relative difference {err:.3g}")
    assert len(seen) == 10
    assert not failures, "\n".join(failures)
