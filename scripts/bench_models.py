"""Benchmark: the hand-written MLP on scikit-learn's digits against jax.jit of the same model.

    python scripts/bench_models.py [--repeats 30] [--threads 1] [--json docs/bench_models.json]

One network, 64-32-10 with tanh and a categorical head (10 logits, softmax link; 2410 weights),
on the 1797 digits rows scaled to [0, 1]. In one run it times, as medians over ``--repeats``
calls taken round-robin:

- the gradient of the mean log-loss: ``problem.grad(w)`` against ``jax.jit(jax.grad(loss))``;
- the GGN-vector product: ``problem.fisher_vp(w, v)`` against ``jax.jit`` of ``jax.jvp`` and
  ``jax.vjp`` composed around the softmax Fisher (p ⊙ Jv − p (pᵀ Jv));
- one K-FAC step (exact type-2 factors, and Monte Carlo with one label draw per row), as a
  multiple of one fisherlab gradient;
- the dense exact GGN (once; no JAX counterpart timed);
- where fisherlab's time goes: the network's passes alone and the head's kernels alone.

Every fisherlab call gets a fresh w (w + 1e-9·i), so no memoized forward pass or head evaluation
is reused across calls; JAX recomputes everything in each call too. Both sides run in float64
and under the same thread limit (``--threads``: BLAS through threadpoolctl, XLA through its
flags; 0 leaves the library defaults). curvlinops (PyTorch) is timed only if it imports.
Writes JSON with the medians, the ratios and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time


def _median_ms(fn, repeats):
    import numpy as np

    fn(0)  # warm-up (JIT compilation, first allocations)
    times = []
    for i in range(repeats):
        t0 = time.perf_counter()
        fn(i + 1)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for BLAS and XLA (0: library defaults)")
    ap.add_argument("--json", default="docs/bench_models.json")
    args = ap.parse_args(argv)
    if args.threads:
        # before numpy loads its BLAS (a limit set later by threadpoolctl covers only the
        # libraries already loaded), and for the OpenMP pool scikit-learn brings
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
                                   f" intra_op_parallelism_threads={args.threads}").strip()

    import numpy as np
    from sklearn.datasets import load_digits

    from fisherlab import models as flm
    from fisherlab.models.kfac import KFAC

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    head = flm.Head("categorical", link="softmax", k=10)
    model = flm.MLP([64, 32, 10], head, activation="tanh")
    prob = model.problem(X, y)
    w0 = model.init()
    P = model.n_weights
    v = np.random.default_rng(1).standard_normal(P)
    ws = [w0 + 1e-9 * i for i in range(args.repeats + 1)]
    R = args.repeats
    res = {"model": "MLP 64-32-10 tanh, categorical head (softmax link, 10 logits)",
           "data": "scikit-learn digits / 16", "n": int(X.shape[0]), "weights": P,
           "repeats": R, "threads": args.threads or "default", "python": sys.version.split()[0],
           "machine": platform.machine(), "processor": platform.processor() or platform.machine(),
           "cpus": os.cpu_count(), "numpy": np.__version__,
           "load average at start (1, 5, 15 min)": list(os.getloadavg()), "ms": {}}
    ms = res["ms"]

    ms["fisherlab grad"] = _median_ms(lambda i: prob.grad(ws[i]), R)
    ms["fisherlab GGN-vector product"] = _median_ms(lambda i: prob.fisher_vp(ws[i], v), R)
    ms["fisherlab GGN-vector product, same w (a CG iteration)"] = _median_ms(
        lambda i: prob.fisher_vp(w0, v + i), R)
    # where the time goes: the network alone, and the head alone (its kernels at given raw outputs)
    net = model.net
    u = np.random.default_rng(2).standard_normal((X.shape[0], 10)) / X.shape[0]
    ms["  of which: network forward + vjp"] = _median_ms(lambda i: net.vjp(ws[i], X, u), R)
    ms["  of which: network jvp + vjp (forward cached)"] = _median_ms(
        lambda i: net.vjp(w0, X, net.jvp(w0, X, v + i) / X.shape[0]), R)
    raws = [net.forward(ws[i], X).copy() for i in range(R + 1)]
    yy = prob.y
    ms["  of which: head gradient at raw outputs"] = _median_ms(lambda i: head.grad(raws[i], yy), R)
    ms["  of which: head Fisher at raw outputs"] = _median_ms(lambda i: head.fisher(raws[i]), R)
    exact = KFAC(damping=1e-3)
    ms["fisherlab K-FAC step (exact)"] = _median_ms(lambda i: exact.step(prob, ws[i]), R)
    mc = KFAC(damping=1e-3, mode="mc")
    ms["fisherlab K-FAC step (Monte Carlo, 1 draw)"] = _median_ms(lambda i: mc.step(prob, ws[i]),
                                                                  max(3, R // 10))
    t0 = time.perf_counter()
    prob.fisher(ws[-1] + 1e-9)
    ms["fisherlab dense GGN (once)"] = (time.perf_counter() - t0) * 1e3

    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:  # the bench extra is optional
        res["jax"] = f"not installed: {exc}"
    else:
        jax.config.update("jax_enable_x64", True)
        res["jax"] = jax.__version__
        Xj, Yj = jnp.asarray(X), jnp.asarray(np.eye(10)[y])
        slices = [(sl_w, sl_b, shape) for (sl_w, sl_b), shape in zip(model.net.slices, model.net.shapes,
                                                                     strict=True)]

        def f(w):
            a = Xj
            for l, (sl_w, sl_b, shape) in enumerate(slices):
                a = a @ w[sl_w].reshape(shape) + w[sl_b]
                if l < len(slices) - 1:
                    a = jnp.tanh(a)
            return a

        def loss(w):
            return -jnp.mean(jnp.sum(Yj * jax.nn.log_softmax(f(w)), axis=1))

        def ggnvp(w, v):
            z, Jv = jax.jvp(f, (w,), (v,))
            p = jax.nn.softmax(z)
            u = (p * Jv - p * jnp.sum(p * Jv, axis=1, keepdims=True)) / Xj.shape[0]
            return jax.vjp(f, w)[1](u)[0]

        grad_j, ggnvp_j = jax.jit(jax.grad(loss)), jax.jit(ggnvp)
        wj = [jnp.asarray(w) for w in ws]
        vj = jnp.asarray(v)
        # the same numbers as fisherlab's (checked, not assumed)
        gap_g = float(np.max(np.abs(np.asarray(grad_j(wj[0])) - prob.grad(ws[0]))))
        gap_v = float(np.max(np.abs(np.asarray(ggnvp_j(wj[0], vj)) - prob.fisher_vp(ws[0], v))))
        res["max abs difference to jax"] = {"grad": gap_g, "GGN-vector product": gap_v}
        ms["jax.jit grad"] = _median_ms(lambda i: grad_j(wj[i]).block_until_ready(), R)
        ms["jax.jit GGN-vector product"] = _median_ms(lambda i: ggnvp_j(wj[i], vj).block_until_ready(), R)

    try:
        import curvlinops  # noqa: F401
    except ImportError as exc:
        res["curvlinops"] = f"not installed: {exc}"

    res["load average at end (1, 5, 15 min)"] = list(os.getloadavg())
    ratios = res["ratios"] = {}
    if "jax.jit grad" in ms:
        ratios["grad / jax grad (target <= 2)"] = ms["fisherlab grad"] / ms["jax.jit grad"]
        ratios["GGN-vector product / jax (target <= 2)"] = (ms["fisherlab GGN-vector product"]
                                                            / ms["jax.jit GGN-vector product"])
    ratios["K-FAC exact step / grad (target <= 3)"] = ms["fisherlab K-FAC step (exact)"] / ms["fisherlab grad"]
    ratios["K-FAC MC step / grad"] = ms["fisherlab K-FAC step (Monte Carlo, 1 draw)"] / ms["fisherlab grad"]

    print(f"{res['model']} on {res['data']} (n={res['n']}, P={P}), threads={res['threads']}")
    for k, val in ms.items():
        print(f"  {k:62s} {val:10.3f} ms")
    for k, val in ratios.items():
        print(f"  {k:62s} {val:10.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)
            fh.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
