"""Benchmark: the hand-written MLP on scikit-learn's digits against jax.jit of the same model.

    python scripts/bench_models.py [--repeats 30] [--threads 1] [--json docs/bench_models.json]
                                   [--md docs/bench_models.md]

One network, 64-32-10 with tanh and a categorical head (10 logits, softmax link; 2410 weights),
on the 1797 digits rows scaled to [0, 1]. In one run it times, as medians over ``--repeats``
calls, the best call, and the median CPU time of the process (which leaves out the time spent
waiting while other processes run: the steadier figure on a loaded machine), the contenders
called in turn within each repeat (round-robin):

- the gradient of the mean log-loss: ``problem.grad(w)`` against ``jax.jit(jax.grad(loss))``;
- the GGN-vector product: ``problem.fisher_vp(w, v)`` against ``jax.jit`` of ``jax.jvp`` and
  ``jax.vjp`` composed around the softmax Fisher (p ⊙ Jv − p (pᵀ Jv));
- one K-FAC step (exact type-2 factors, and Monte Carlo with one label draw per row), as a
  multiple of one fisherlab gradient, and the step between factor updates (``update_every``),
  amortized over an update every 10 steps;
- the dense exact GGN (once; no JAX counterpart timed);
- where fisherlab's time goes: the network's passes alone and the head's kernels alone.

Every fisherlab call gets a fresh w (w + 1e-9·i) and every contender its own problem, so no memoized
forward pass or head evaluation is reused across calls (except in the "same w" product, which is
what one CG iteration costs); JAX recomputes everything in each call too. Both sides run in float64
and under the same thread limit (``--threads``: BLAS through threadpoolctl, XLA through its flags; 0
leaves the library defaults). curvlinops (PyTorch) is timed only if it imports. Writes JSON with the
medians, the ratios (of medians, of bests, of CPU-time medians) and the machine and its load, and
the same as a Markdown page.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time


def _round_robin(contenders: dict, repeats: int) -> tuple[dict, dict, dict]:
    """Median and minimum wall time (ms) and median CPU time of the process (ms) of each
    ``fn(i)``, the contenders called in turn within each repeat, so that a change in the
    machine's load touches them all alike.

    The CPU time (``time.process_time``: every thread of this process) leaves out the time the
    process waits while others run; on a loaded machine it is the steadier figure, though the
    caches it finds cold still slow it."""
    import numpy as np

    for fn in contenders.values():
        fn(0)  # warm-up (JIT compilation, first allocations)
    wall = {name: [] for name in contenders}
    cpu = {name: [] for name in contenders}
    for i in range(1, repeats + 1):
        for name, fn in contenders.items():
            c0, t0 = time.process_time(), time.perf_counter()
            fn(i)
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return ({name: float(np.median(t) * 1e3) for name, t in wall.items()},
            {name: float(np.min(t) * 1e3) for name, t in wall.items()},
            {name: float(np.median(t) * 1e3) for name, t in cpu.items()})


def _round_robin_ms(contenders: dict, repeats: int) -> tuple[dict, dict]:
    """Median and minimum wall time (ms) of each ``fn(i)``, called in turn (see
    :func:`_round_robin`)."""
    med, best, _ = _round_robin(contenders, repeats)
    return med, best


def write_md(res: dict, path: str) -> None:
    """The run as a Markdown page: the machine and its load, the times, the ratios."""
    ms, best, cpu = res["ms"], res["ms, best of the repeats"], res[CPU_KEY]
    load0 = ", ".join(f"{x:.2f}" for x in res["load average at start (1, 5, 15 min)"])
    load1 = ", ".join(f"{x:.2f}" for x in res["load average at end (1, 5, 15 min)"])
    lines = [
        "# Network benchmark (written by scripts/bench_models.py)",
        "",
        f"{res['model']} on {res['data']} (n = {res['n']}, P = {res['weights']}); "
        f"{res['processor']}, {res['cpus']} cores, {res['threads']} thread(s) for BLAS and XLA; "
        f"numpy {res['numpy']}, jax {res['jax']}. Load average (1, 5, 15 min) {load0} at the "
        f"start and {load1} at the end: on a shared machine the ratios, measured side by side "
        f"in one run, are what counts, and the CPU-time ratios most of all (a median of wall "
        f"times includes the time the process waited while others ran). "
        f"{res['repeats']} round-robin repeats.",
        "",
        "| quantity | median ms | best ms | median CPU ms |",
        "|---|---:|---:|---:|",
    ]
    for k, v in ms.items():
        b = f"{best[k]:.3f}" if k in best else ""
        c = f"{cpu[k]:.3f}" if k in cpu else ""
        lines.append(f"| {k.strip()} | {v:.3f} | {b} | {c} |")
    lines += ["", "| ratio | of medians | of bests | of CPU-time medians |", "|---|---:|---:|---:|"]
    for k, v in res["ratios of medians"].items():
        lines.append(f"| {k} | {v:.2f} | {res['ratios of bests'][k]:.2f} | "
                     f"{res[CPU_RATIOS_KEY][k]:.2f} |")
    if "max abs difference to jax" in res:
        d = res["max abs difference to jax"]
        lines += ["", f"Largest absolute difference to JAX: gradient {d['grad']:.1e}, "
                      f"GGN-vector product {d['GGN-vector product']:.1e}."]
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


CPU_KEY = "ms, CPU time of the process (median)"
CPU_RATIOS_KEY = "ratios of CPU-time medians"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1,
                    help="threads for BLAS and XLA (0: library defaults)")
    ap.add_argument("--json", default="docs/bench_models.json")
    ap.add_argument("--md", default="docs/bench_models.md")
    args = ap.parse_args(argv)
    if args.threads:
        # before numpy loads its BLAS (a limit set later by threadpoolctl covers only the
        # libraries already loaded), and for the OpenMP pool scikit-learn brings
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[var] = str(args.threads)
        os.environ["XLA_FLAGS"] = (
            os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false"
            f" intra_op_parallelism_threads={args.threads}"
        ).strip()

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

    # every contender has its own model and problem (their memoized forward passes and head
    # evaluations are per object), and its own sequence of fresh weights
    def own():
        m = flm.MLP([64, 32, 10], head, activation="tanh")
        return m.net, m.problem(X, y)

    def fresh(k):
        return [w0 + 1e-9 * (i + k * (R + 1)) for i in range(R + 1)]

    u = np.random.default_rng(2).standard_normal((X.shape[0], 10)) / X.shape[0]
    (_, p_grad), (_, p_vp), (_, p_cg), (net_f, _), (net_c, _), (_, p_ex), (_, p_mc), (_, p_am) = (
        own() for _ in range(8))
    w_grad, w_vp, w_f, w_ex, w_mc, w_am = (fresh(k) for k in range(6))
    raws = [net_f.forward(w_, X).copy() for w_ in fresh(6)]
    exact, mc = KFAC(damping=1e-3), KFAC(damping=1e-3, mode="mc")
    amortized = KFAC(damping=1e-3, mode="mc", update_every=10)
    contenders = {
        "fisherlab grad": lambda i: p_grad.grad(w_grad[i]),
        "fisherlab GGN-vector product": lambda i: p_vp.fisher_vp(w_vp[i], v),
        "fisherlab GGN-vector product, same w (a CG iteration)": lambda i: p_cg.fisher_vp(
            w0, v + i
        ),
        # where the time goes: the network alone, and the head alone (its kernels at raw outputs)
        "  of which: network forward + vjp": lambda i: net_f.vjp(w_f[i], X, u),
        "  of which: network jvp + vjp (forward cached)": lambda i: net_c.vjp(
            w0, X, net_c.jvp(w0, X, v + i) / X.shape[0]
        ),
        "  of which: head gradient at raw outputs": lambda i: head.grad(raws[i], prob.y),
        "  of which: head Fisher at raw outputs": lambda i: head.fisher(raws[i]),
        "fisherlab K-FAC step (exact)": lambda i: exact.step(p_ex, w_ex[i]),
        "fisherlab K-FAC step (Monte Carlo, 1 draw)": lambda i: mc.step(p_mc, w_mc[i]),
        # the median of update_every=10 is a step without a factor update; the mean is below
        "fisherlab K-FAC step (Monte Carlo, factors every 10 steps)": lambda i: amortized.step(
            p_am, w_am[i]
        ),
    }

    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:  # the bench extra is optional
        res["jax"] = f"not installed: {exc}"
    else:
        jax.config.update("jax_enable_x64", True)
        res["jax"] = jax.__version__
        Xj, Yj = jnp.asarray(X), jnp.asarray(np.eye(10)[y])
        slices = [
            (sl_w, sl_b, shape)
            for (sl_w, sl_b), shape in zip(model.net.slices, model.net.shapes, strict=True)
        ]

        def f(w):
            a = Xj
            for layer, (sl_w, sl_b, shape) in enumerate(slices):
                a = a @ w[sl_w].reshape(shape) + w[sl_b]
                if layer < len(slices) - 1:
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
        contenders["jax.jit grad"] = lambda i: grad_j(wj[i]).block_until_ready()
        contenders["jax.jit GGN-vector product"] = lambda i: ggnvp_j(wj[i], vj).block_until_ready()

    med, best, cpu = _round_robin(contenders, R)
    ms.update(med)
    res["ms, best of the repeats"] = best
    res[CPU_KEY] = cpu
    c0, t0 = time.process_time(), time.perf_counter()
    prob.fisher(ws[-1] + 1e-9)
    ms["fisherlab dense GGN (once)"] = (time.perf_counter() - t0) * 1e3
    cpu["fisherlab dense GGN (once)"] = (time.process_time() - c0) * 1e3

    try:
        import curvlinops  # noqa: F401
    except ImportError as exc:
        res["curvlinops"] = f"not installed: {exc}"

    res["load average at end (1, 5, 15 min)"] = list(os.getloadavg())
    def ratios_of(t):
        out = {}
        if "jax.jit grad" in t:
            out["grad / jax grad (target <= 2)"] = t["fisherlab grad"] / t["jax.jit grad"]
            out["GGN-vector product / jax (target <= 2)"] = (t["fisherlab GGN-vector product"]
                                                             / t["jax.jit GGN-vector product"])
            out["GGN-vector product same w / jax"] = (
                t["fisherlab GGN-vector product, same w (a CG iteration)"]
                / t["jax.jit GGN-vector product"]
            )
        out["K-FAC exact step / grad (target <= 3)"] = (
            t["fisherlab K-FAC step (exact)"] / t["fisherlab grad"]
        )
        out["K-FAC MC step / grad (target <= 3)"] = (t["fisherlab K-FAC step (Monte Carlo, 1 draw)"]
                                                     / t["fisherlab grad"])
        out["K-FAC MC step, factors every 10 steps, amortized / grad"] = (
            (0.9 * t["fisherlab K-FAC step (Monte Carlo, factors every 10 steps)"]
             + 0.1 * t["fisherlab K-FAC step (Monte Carlo, 1 draw)"]) / t["fisherlab grad"])
        return out

    ratios = res["ratios of medians"] = ratios_of(ms)
    best_ratios = res["ratios of bests"] = ratios_of(best)
    cpu_ratios = res[CPU_RATIOS_KEY] = ratios_of(cpu)
    print(f"{res['model']} on {res['data']} (n={res['n']}, P={P}), threads={res['threads']}")
    print(f"  {'':62s} {'median':>10s}    {'best':>10s}    {'CPU median':>10s}")
    for k, val in ms.items():
        print(f"  {k:62s} {val:10.3f} ms {best.get(k, val):10.3f} ms "
              f"{cpu.get(k, val):10.3f} ms")
    for k, val in ratios.items():
        print(f"  {k:62s} {val:10.2f}    {best_ratios[k]:10.2f}    {cpu_ratios[k]:10.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=1)
            fh.write("\n")
    if args.md:
        write_md(res, args.md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
