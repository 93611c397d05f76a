"""Benchmark the dimension-generic multivariate normal against hand-written numpy and JAX.

Usage: python scripts/bench_mvn.py [--repeat N] [--out docs/bench_mvn.json]

Rows, side by side in one run (medians of N repeats, with the load average):

- natural_gradient at d = 100, batch 1e3, in ``mean_cov`` and ``natural``, against a numpy
  implementation written by hand with one Cholesky factorization per point;
- the Fisher information at d = 10, batch 1e4, in natural coordinates: ``k.fisher(theta,
  structured=True)`` (KroneckerBlocks, ready to apply) and its ``.dense()``, against JAX's
  ``jit(vmap(hessian(A)))`` of the log-partition (efax's method; compiled before timing).

Ratios are ours / theirs: below 1 means fisherlab is faster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fisherlab as fl  # noqa: E402


def _median_time(fn, repeat: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def _points(d: int, n: int, seed: int):
    rng = np.random.default_rng(seed)
    mu = rng.uniform(-1, 1, (n, d))
    a = rng.normal(size=(n, d, d))
    sigma = a @ a.swapaxes(-1, -2) / d + 0.5 * np.eye(d)
    il = np.tril_indices(d)
    return np.concatenate([mu, sigma[:, il[0], il[1]]], -1), mu, sigma


def _sym(v, d):
    il = np.tril_indices(d)
    out = np.zeros(v.shape[:-1] + (d, d))
    out[..., il[0], il[1]] = v
    out[..., il[1], il[0]] = v
    return out


def hand_ng_mean_cov(theta, g, d):
    """(Σ g_μ, 2ΣGΣ) with G_ij = g_ij/2 off the diagonal; Cholesky checks Σ."""
    S = _sym(theta[..., d:], d)
    np.linalg.cholesky(S)
    il = np.tril_indices(d)
    G = _sym(g[..., d:] * np.where(il[0] == il[1], 1.0, 0.5), d)
    out_mu = (S @ g[..., :d, None])[..., 0]
    out_S = 2.0 * (S @ G @ S)
    return np.concatenate([out_mu, out_S[..., il[0], il[1]]], -1)


def hand_ng_natural(eta, g, d):
    """In natural coordinates: Λ from η, μ by a Cholesky solve, then (δh, δΛ) = (Λg − ΛUh,
    −ΛUΛ) with U = −2G − gμᵀ − μgᵀ, back to the η vector."""
    il = np.tril_indices(d)
    diag = il[0] == il[1]
    lam = _sym(-eta[..., d:] / np.where(diag, 0.5, 1.0), d)
    C = np.linalg.cholesky(lam)
    h = eta[..., :d, None]
    mu = np.linalg.solve(C.swapaxes(-1, -2), np.linalg.solve(C, h))
    gv = g[..., :d, None]
    G = _sym(-0.5 * g[..., d:], d)
    U = -2.0 * G - gv @ mu.swapaxes(-1, -2) - mu @ gv.swapaxes(-1, -2)
    dh = lam @ gv - lam @ (U @ h)
    dL = -(lam @ U @ lam)
    return np.concatenate([dh[..., 0], -dL[..., il[0], il[1]] * np.where(diag, 0.5, 1.0)], -1)


def bench_natural_gradient(d, n, repeat):
    fam = fl.family("multivariate_normal", d=d)
    theta, _, _ = _points(d, n, 1)
    g = np.random.default_rng(2).normal(size=theta.shape)
    rows = []
    eta = fam.convert(theta, "mean_cov", "natural")
    cases = (("mean_cov", theta, hand_ng_mean_cov), ("natural", eta, hand_ng_natural))
    for param, th, hand in cases:
        k = fam.kernels(param)
        ours = k.natural_gradient(th, g)
        ref = hand(th, g, d)
        err = float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))
        t_ours = _median_time(lambda: k.natural_gradient(th, g), repeat)
        t_unchecked = _median_time(lambda: k.unchecked().natural_gradient(th, g), repeat)
        t_hand = _median_time(lambda: hand(th, g, d), repeat)
        rows.append(dict(quantity="natural_gradient", param=param, d=d, batch=n,
                         fisherlab_s=t_ours, fisherlab_unchecked_s=t_unchecked, hand_numpy_s=t_hand,
                         ratio=t_ours / t_hand, ratio_unchecked=t_unchecked / t_hand,
                         max_rel_diff=err))
    return rows


def bench_fisher_vs_jax(d, n, repeat):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    fam = fl.family("multivariate_normal", d=d)
    theta, _, _ = _points(d, n, 3)
    eta = fam.convert(theta, "mean_cov", "natural")
    il = np.tril_indices(d)
    diag = jnp.asarray(il[0] == il[1])

    def A(e):
        q = -e[d:] / jnp.where(diag, 0.5, 1.0)
        lam = jnp.zeros((d, d)).at[il[0], il[1]].set(q).at[il[1], il[0]].set(q)
        h = e[:d]
        return 0.5 * h @ jnp.linalg.solve(lam, h) - 0.5 * jnp.linalg.slogdet(lam)[1]

    fisher_jax = jax.jit(jax.vmap(jax.hessian(A)))
    ej = jnp.asarray(eta)
    ref = np.asarray(fisher_jax(ej))
    k = fam.kernels("natural")
    ours = k.fisher(eta, structured=True).dense()
    err = float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))
    t_jax = _median_time(lambda: fisher_jax(ej).block_until_ready(), repeat)
    t_struct = _median_time(lambda: k.fisher(eta, structured=True), repeat)
    t_dense = _median_time(lambda: k.fisher(eta, structured=True).dense(), repeat)
    return [dict(quantity="fisher (natural coordinates)", d=d, batch=n,
                 fisherlab_structured_s=t_struct, fisherlab_dense_s=t_dense, jax_s=t_jax,
                 ratio_structured=t_struct / t_jax, ratio_dense=t_dense / t_jax,
                 max_rel_diff=err)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench_mvn.json"))
    args = ap.parse_args(argv)
    load_before = os.getloadavg()
    rows = bench_natural_gradient(100, 1000, args.repeat)
    rows += bench_fisher_vs_jax(10, 10_000, args.repeat)
    load_after = os.getloadavg()
    for r in rows:
        print(json.dumps(r))
    out = dict(rows=rows, load_average_before=load_before, load_average_after=load_after,
               cpus=os.cpu_count(), python=platform.python_version(), numpy=np.__version__,
               repeat=args.repeat, median_of="repeat timed calls after one warm-up call")
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"load average {load_before[0]:.1f} -> {load_after[0]:.1f}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
