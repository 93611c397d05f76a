"""Benchmark the dimension-generic multivariate normal against hand-written numpy and JAX.

Usage: python scripts/bench_mvn.py [--repeat N] [--quick] [--out docs/bench_mvn.json]

Rows, side by side in one run (CPU-time medians of N repeats, ours and theirs called in turn so
that a change of load hits both; with the load average, machine and versions):

- natural_gradient at d = 100, batch 1e3, in every parametrization (``mean_cov``,
  ``natural``, ``mean_precision``, ``mean_chol``), against numpy written by hand: the closed
  form of each, with one Cholesky factorization per point checking the matrix the point holds
  (as the kernels do), one ``np.linalg.solve`` where the closed form has an inverse applied to
  a vector, and the same packing of the lower triangle as the kernels (one ``np.take``);
- the Fisher information at d = 10, batch 1e4, in natural coordinates: ``k.fisher(theta,
  structured=True)`` (KroneckerBlocks, ready to apply) and its ``.dense()``, against JAX's
  ``jit(vmap(hessian(A)))`` of the log-partition (efax's method; compiled before timing);
- kernels for a new d: a fresh interpreter imports fisherlab, builds the d = 50 kernels and
  makes one call; then, in that process, the same d again (cached) and a new d = 51.

``--quick`` runs the same rows at small sizes (d = 6, batch 50; JAX at d = 3, batch 100) for the
tests. Ratios are ours / theirs: below 1 means fisherlab is faster.
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


def _median_times(fns, repeat: int) -> list[float]:
    """Median CPU seconds of each of ``fns`` (this process, every thread), after one warm-up
    call each, called in turn. CPU time, not wall time: on the shared machine a call's wall
    time measures the other users' load as much as the call (8.5 s wall for 0.45 s of CPU).

    The order of the turn rotates from one repetition to the next, so that each candidate is
    timed as often right after each other one: at d = 100 the call that followed the
    hand-written one took 50 ms (15 %) longer, whichever it was."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for r in range(repeat):
        for i in range(len(fns)):
            k = (i + r) % len(fns)
            t = time.process_time()
            fns[k]()
            times[k].append(time.process_time() - t)
    return [float(np.median(ts)) for ts in times]


def _points(d: int, n: int, seed: int):
    rng = np.random.default_rng(seed)
    mu = rng.uniform(-1, 1, (n, d))
    a = rng.normal(size=(n, d, d))
    sigma = a @ a.swapaxes(-1, -2) / d + 0.5 * np.eye(d)
    il = np.tril_indices(d)
    return np.concatenate([mu, sigma[:, il[0], il[1]]], -1), mu, sigma


def _sym(v, d):
    """The symmetric matrices of lower-triangle entries v (..., d(d+1)/2): each of the d² entries
    gathered from its position in v."""
    il = np.tril_indices(d)
    src = np.empty((d, d), dtype=np.intp)
    src[il] = src[il[1], il[0]] = np.arange(len(il[0]))
    return np.take(v, src.reshape(-1), axis=-1).reshape(v.shape[:-1] + (d, d))


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
    """In natural coordinates: Λ from η (Cholesky checks it), μ = Λ⁻¹h by one solve, then
    (δh, δΛ) = (Λg − ΛUh, −ΛUΛ) with U = −2G − gμᵀ − μgᵀ, back to the η vector."""
    il = np.tril_indices(d)
    diag = il[0] == il[1]
    lam = _sym(-eta[..., d:] / np.where(diag, 0.5, 1.0), d)
    np.linalg.cholesky(lam)
    h = eta[..., :d, None]
    mu = np.linalg.solve(lam, h)
    gv = g[..., :d, None]
    G = _sym(-0.5 * g[..., d:], d)
    U = -2.0 * G - gv @ mu.swapaxes(-1, -2) - mu @ gv.swapaxes(-1, -2)
    dh = lam @ gv - lam @ (U @ h)
    dL = -(lam @ U @ lam)
    return np.concatenate([dh[..., 0], -dL[..., il[0], il[1]] * np.where(diag, 0.5, 1.0)], -1)


def hand_ng_mean_precision(theta, g, d):
    """(Λ⁻¹ g_μ, 2ΛGΛ), G as in ``mean_cov``; Cholesky checks Λ, one solve gives Λ⁻¹g_μ."""
    lam = _sym(theta[..., d:], d)
    np.linalg.cholesky(lam)
    il = np.tril_indices(d)
    G = _sym(g[..., d:] * np.where(il[0] == il[1], 1.0, 0.5), d)
    out_mu = np.linalg.solve(lam, g[..., :d, None])[..., 0]
    out_L = 2.0 * (lam @ G @ lam)
    return np.concatenate([out_mu, out_L[..., il[0], il[1]]], -1)


def hand_ng_mean_chol(theta, g, d):
    """θ = (μ, L's lower triangle with log L_ii on the diagonal), Σ = LLᵀ: (LLᵀg_μ, LΦ(LᵀḠ)),
    Ḡ the gradient in L's entries (g_ii / L_ii on the diagonal), Φ the lower triangle with its
    diagonal halved; then δ log L_ii = δL_ii / L_ii."""
    il = np.tril_indices(d)
    diag = il[0] == il[1]
    ld = np.exp(theta[..., d:][..., diag])
    L = np.zeros(theta.shape[:-1] + (d, d))
    L[..., il[0], il[1]] = theta[..., d:]
    L[..., np.arange(d), np.arange(d)] = ld
    Gb = np.zeros(g.shape[:-1] + (d, d))
    Gb[..., il[0], il[1]] = g[..., d:]
    Gb[..., np.arange(d), np.arange(d)] = g[..., d:][..., diag] / ld
    Lt = L.swapaxes(-1, -2)
    Y = np.tril(Lt @ Gb)
    Y[..., np.arange(d), np.arange(d)] *= 0.5
    dL = (L @ Y)[..., il[0], il[1]]
    dL[..., diag] /= ld
    return np.concatenate([(L @ (Lt @ g[..., :d, None]))[..., 0], dL], -1)


def bench_natural_gradient(d, n, repeat):
    fam = fl.family("multivariate_normal", d=d)
    theta, _, _ = _points(d, n, 1)
    g = np.random.default_rng(2).normal(size=theta.shape)
    rows = []
    cases = (("mean_cov", hand_ng_mean_cov), ("natural", hand_ng_natural),
             ("mean_precision", hand_ng_mean_precision), ("mean_chol", hand_ng_mean_chol))
    for param, hand in cases:
        th = fam.convert(theta, "mean_cov", param)
        k = fam.kernels(param)
        ours = k.natural_gradient(th, g)
        ref = hand(th, g, d)
        err = float(np.max(np.abs(ours - ref)) / np.max(np.abs(ref)))
        ku = k.unchecked()
        t_ours, t_unchecked, t_hand = _median_times(
            [lambda: k.natural_gradient(th, g), lambda: ku.natural_gradient(th, g),
             lambda: hand(th, g, d)], repeat)
        rows.append(dict(quantity="natural_gradient", param=param, d=d, batch=n,
                         fisherlab_s=t_ours, fisherlab_unchecked_s=t_unchecked, hand_numpy_s=t_hand,
                         ratio=t_ours / t_hand, ratio_unchecked=t_unchecked / t_hand,
                         max_rel_diff=err))
    return rows


def _one_cpu():
    """Pin this process to one CPU before JAX creates its CPU client (whose intra-op thread pool
    has one worker per CPU the process may use), and return the previous CPU set.

    With two workers, XLA runs two independent LAPACK custom calls (``lapack_dtrsm_ffi`` of the
    vmapped solve) at once, one per worker; each splits its batch with ``ParallelBatchMap`` into
    tasks for the same pool and blocks in ``BlockingCounter::Wait`` until they finish. Both
    workers are then waiting and nobody runs the tasks: at batch 1e4 (d = 10), where the batch
    is split, the first call stalled with every thread asleep in a futex (gdb backtraces), for
    minutes or for good. With one worker the custom calls run one at a time and inline: 8 s.
    fisherlab's side is single-threaded too (OPENBLAS_NUM_THREADS=1), and the times are CPU
    times.
    """
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    return before


def bench_fisher_vs_jax(d, n, repeat):
    # (a JAX imported earlier has its pool already: then the row is timed as it is)
    before = _one_cpu() if "jax" not in sys.modules else None
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
    t_jax, t_struct, t_dense = _median_times(
        [lambda: fisher_jax(ej).block_until_ready(), lambda: k.fisher(eta, structured=True),
         lambda: k.fisher(eta, structured=True).dense()], repeat)
    jax_cpus = len(os.sched_getaffinity(0))
    if before is not None:
        os.sched_setaffinity(0, before)
    return [dict(quantity="fisher (natural coordinates)", d=d, batch=n, cpus_while_timed=jax_cpus,
                 fisherlab_structured_s=t_struct, fisherlab_dense_s=t_dense, jax_s=t_jax,
                 ratio_structured=t_struct / t_jax, ratio_dense=t_dense / t_jax,
                 max_rel_diff=err)]


_FRESH = r"""
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
d = int(sys.argv[2])
import numpy as np
t1 = time.perf_counter()
import fisherlab as fl
t2 = time.perf_counter()


def ready(d):
    t = time.perf_counter()
    k = fl.kernels("multivariate_normal", "mean_cov", d=d)
    th = np.r_[np.zeros(d), np.eye(d)[np.tril_indices(d)]]
    k.natural_gradient(th, np.ones(len(th)))
    return time.perf_counter() - t


first = ready(d)
again = ready(d)
other = ready(d + 1)
print(t1 - t0, t2 - t1, first, again, other, "sympy" in sys.modules)
"""


def bench_fresh_process(d: int, repeat: int) -> list[dict]:
    """Seconds for a fresh interpreter to have the d-dimensional kernels ready (median over
    ``repeat`` interpreters)."""
    import subprocess

    runs = []
    for _ in range(repeat):
        out = subprocess.run([sys.executable, "-c", _FRESH, str(ROOT), str(d)],
                             capture_output=True, text=True, check=True, env={"PATH": ""})
        *nums, sympy = out.stdout.split()
        runs.append([float(v) for v in nums] + [sympy == "True"])
    med = [float(np.median([r[i] for r in runs])) for i in range(5)]
    return [dict(quantity="kernels ready for a new d (fresh process)", d=d,
                 import_numpy_s=med[0], import_fisherlab_s=med[1],
                 first_d_s=med[2], import_and_first_d_s=med[1] + med[2],
                 same_d_again_s=med[3], next_new_d_s=med[4],
                 sympy_imported=any(r[5] for r in runs),
                 what="first_d_s: fl.kernels(multivariate_normal, mean_cov, d) and one "
                      "natural_gradient call after import fisherlab; same_d_again_s: the same "
                      "again (cached); next_new_d_s: d + 1 in the same process")]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="small sizes (for the tests)")
    ap.add_argument("--rows", default="ng,jax,fresh",
                    help="comma-separated subset of ng (natural gradient), jax, fresh")
    ap.add_argument("--jax-batch", type=int, default=10_000,
                    help="batch of the JAX row (1e4), timed on one CPU: see _one_cpu")
    ap.add_argument("--out", default=str(ROOT / "docs" / "bench_mvn.json"))
    args = ap.parse_args(argv)
    ng, jx, fresh = ((6, 50), (3, 100), 4) if args.quick else ((100, 1000), (10, args.jax_batch),
                                                                50)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    which = set(args.rows.split(","))
    rows = []
    if "ng" in which:
        rows += bench_natural_gradient(*ng, args.repeat)
        for r in rows:
            print(json.dumps(r), flush=True)
    if "jax" in which:
        try:
            rows += bench_fisher_vs_jax(*jx, args.repeat)
        except ImportError as e:
            rows.append(dict(quantity="fisher (natural coordinates)", skipped=f"jax: {e}"))
        print(json.dumps(rows[-1]), flush=True)
    if "fresh" in which:
        rows += bench_fresh_process(fresh, args.repeat)
        print(json.dumps(rows[-1]), flush=True)
    load_after = os.getloadavg()
    versions = dict(python=platform.python_version(), numpy=np.__version__)
    for mod in ("scipy", "jax", "jaxlib"):
        try:
            versions[mod] = __import__(mod).__version__
        except ImportError:
            versions[mod] = None
    out = dict(rows=rows, load_average_before=load_before, load_average_after=load_after,
               seconds=time.perf_counter() - t0, machine=platform.platform(),
               processor=platform.processor() or platform.machine(), cpus=os.cpu_count(),
               threads={v: os.environ.get(v, "default")
                        for v in ("OPENBLAS_NUM_THREADS", "XLA_FLAGS")},
               versions=versions, repeat=args.repeat, quick=args.quick,
               clock="process CPU time (every thread of this process)",
               median_of="repeat timed calls after one warm-up call, the candidates in turn "
                         "(the order rotating from one repetition to the next)")
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"load average {load_before[0]:.1f} -> {load_after[0]:.1f}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
