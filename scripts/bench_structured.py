"""Benchmark the dimension-generic simplex kernels: structured curvature and small-k rows.

Usage: python scripts/bench_structured.py [--json PATH] [--baseline DIR | --baseline-commit REV]
       [--quick] [--cpu-time]

Two tables, medians of repeated runs (the timing helper of scripts/bench_kernels.py):

1. Categorical k = 1000 (natural parameters), batch 1e4: ``natural_gradient`` and ``fisher_vp``
   of ``fl.kernels("categorical", "natural", k=1000)`` against the same O(k) products written by
   hand in numpy (F = diag(p) − ppᵀ: F v = p ⊙ v − p (pᵀv); F⁻¹ g = g / p + (Σ g) / p_k).
2. Categorical k = 10 (probs) and Dirichlet k = 5 (alpha): fisher, kl and score at batch 1 and
   1e6, this tree's kernels against a baseline tree's per-k generated modules (``--baseline
   DIR``: a checkout that still has categorical_k10.py and dirichlet_k5.py; or
   ``--baseline-commit REV``: those two files taken from commit REV of this repository with
   ``git show``, the last one that had them by default), called in turn in this same process.

Also the time for a fresh interpreter to import fisherlab and build the k = 1000 kernels (and
whether sympy got imported). Ratios are this tree over the baseline (below 1: faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_FRESH = r"""
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import numpy, scipy.special
t1 = time.perf_counter()
import fisherlab as fl
k = fl.kernels("categorical", "probs", k=1000)
f = fl.family("dirichlet", k=1000)
f.kernels("alpha")
print(time.perf_counter() - t0, "sympy" in sys.modules, time.perf_counter() - t1)
"""


#: The clock of the timings: wall time, or the process's CPU time with ``--cpu-time``.
CLOCK = time.perf_counter


def small_rows(baseline: Path, repeats: int = 9) -> dict:
    """Seconds per call of fisher, kl and score, categorical k = 10 (probs) and Dirichlet k = 5
    (alpha), at batch 1 and 1e6: this tree's kernels and the per-k modules of ``baseline``
    (loaded from its files under the Kernels class of this tree, which they were generated for),
    called in turn (round-robin) in this one process."""
    import importlib.util

    import numpy as np

    import fisherlab as fl
    from fisherlab.kernels._runtime import Kernels

    rows = {}
    for label, name, param, kk in [("categorical(k=10)", "categorical", "probs", 10),
                                   ("dirichlet(k=5)", "dirichlet", "alpha", 5)]:
        fam = fl.family(name, k=kk)
        path = baseline / "fisherlab" / "kernels" / f"{name}_k{kk}.py"
        spec = importlib.util.spec_from_file_location(f"_baseline_{name}_k{kk}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        old = Kernels(fam.spec, param, vars(module))
        new = fam.kernels(param)
        for n in (1, 1_000_000):
            rng = np.random.default_rng(0)
            if name == "categorical":
                t = rng.dirichlet(np.full(kk, 5.0), n)[:, :-1]
                tq = rng.dirichlet(np.full(kk, 5.0), n)[:, :-1]
                x = np.eye(kk)[rng.integers(0, kk, n)]
            else:
                t, tq = rng.uniform(0.5, 20.0, (n, kk)), rng.uniform(0.5, 20.0, (n, kk))
                g = rng.gamma(t)
                x = g / g.sum(-1, keepdims=True)
            if n == 1:
                t, tq, x = t[0], tq[0], x[0]
            inner = 200 if n == 1 else 1
            for q, call in [("fisher", lambda k: k.fisher(t)), ("kl", lambda k: k.kl(t, tq)),
                            ("score", lambda k: k.score(x, t))]:
                want = call(old)
                np.testing.assert_allclose(call(new), want, rtol=1e-11,
                                           atol=1e-12 * np.max(np.abs(want)))
                times = {"new": [], "old": []}
                for _ in range(repeats):
                    for key, k in (("new", new), ("old", old)):
                        t0 = CLOCK()
                        for _ in range(inner):
                            call(k)
                        times[key].append((CLOCK() - t0) / inner)
                a, b = statistics.median(times["new"]), statistics.median(times["old"])
                rows[f"{label} {q} {n}"] = {"this_tree_s": a, "baseline_s": b, "ratio": a / b,
                                            "ratio_of_best": min(times["new"])
                                            / min(times["old"])}
    return rows


#: The last commit with the per-k modules categorical_k10.py and dirichlet_k5.py.
LAST_PER_K_COMMIT = "8ae0cf216c5c91f150805e746ada26b2bad07897"


def per_k_modules(rev: str, into: Path) -> Path:
    """A tree under ``into`` holding the per-k modules of commit ``rev`` (from ``git show``), as
    ``--baseline`` expects it."""
    kernels = into / "fisherlab" / "kernels"
    kernels.mkdir(parents=True, exist_ok=True)
    for name in ("categorical_k10", "dirichlet_k5"):
        text = subprocess.run(["git", "show", f"{rev}:fisherlab/kernels/{name}.py"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
        (kernels / f"{name}.py").write_text(text)
    return into


def _run(code: str, tree: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(tree))
    return subprocess.run([sys.executable, "-c", code, str(tree)], capture_output=True,
                          text=True, check=True, env=env).stdout


def structured_rows(batch: int, k: int = 1000, repeats: int = 15) -> dict:
    """Seconds per call: fisherlab natural_gradient / fisher_vp and the hand-written numpy."""
    sys.path.insert(0, str(ROOT))
    import numpy as np

    import fisherlab as fl

    kern = fl.kernels("categorical", "natural", k=k)
    rng = np.random.default_rng(1)
    eta = rng.normal(0.0, 2.0, (batch, k - 1))
    g = rng.normal(size=(batch, k - 1))

    def hand_probs(e):
        top = np.maximum(e.max(axis=-1, keepdims=True), 0.0)
        t = np.exp(e - top)
        last = np.exp(-top)
        total = t.sum(axis=-1, keepdims=True) + last
        return t / total, last / total

    def hand_ng(e, v):
        if not np.isfinite(e).all():
            raise ValueError("eta must be finite")
        p, last = hand_probs(e)
        return v / p + v.sum(axis=-1, keepdims=True) / last

    def hand_fvp(e, v):
        if not np.isfinite(e).all():
            raise ValueError("eta must be finite")
        p, _ = hand_probs(e)
        return p * v - p * (p * v).sum(axis=-1, keepdims=True)

    out = {}
    for name, ours, hand in [("natural_gradient", lambda: kern.natural_gradient(eta, g),
                              lambda: hand_ng(eta, g)),
                             ("fisher_vp", lambda: kern.fisher_vp(eta, g),
                              lambda: hand_fvp(eta, g))]:
        # round-robin: the two called in turn, so a change in the machine's load touches both
        np.testing.assert_allclose(ours(), hand(), rtol=1e-9)
        times = {"a": [], "b": []}
        for _ in range(repeats):
            for key, fn in (("a", ours), ("b", hand)):
                t0 = CLOCK()
                fn()
                times[key].append(CLOCK() - t0)
        a, b = statistics.median(times["a"]), statistics.median(times["b"])
        out[name] = {"fisherlab_s": a, "numpy_s": b, "ratio": a / b,
                     "ratio_of_best": min(times["a"]) / min(times["b"])}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(ROOT / "docs" / "bench_structured.json"))
    ap.add_argument("--baseline", default=None,
                    help="a checkout with the per-k modules (categorical_k10, dirichlet_k5)")
    ap.add_argument("--baseline-commit", nargs="?", const=LAST_PER_K_COMMIT, default=None,
                    help="take the per-k modules from this commit (default: the last that had "
                    "them) instead of a checkout")
    ap.add_argument("--quick", action="store_true", help="batch 1e3 for the k = 1000 table")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time by the process's CPU time instead of wall time (a shared machine)")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.cpu_time else time.perf_counter
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    load = os.getloadavg()
    result = {"machine": platform.platform(), "python": platform.python_version(),
              "load_average_start": load, "clock": CLOCK.__name__}
    batch = 1_000 if args.quick else 10_000
    result["categorical_k1000"] = {"batch": batch, **structured_rows(batch)}
    print(f"categorical k=1000, batch {batch} (natural):")
    for name, row in result["categorical_k1000"].items():
        if isinstance(row, dict):
            print(f"  {name:17s} fisherlab {row['fisherlab_s'] * 1e3:8.2f} ms   "
                  f"numpy {row['numpy_s'] * 1e3:8.2f} ms   ratio {row['ratio']:.2f} "
                  f"(of the best runs {row['ratio_of_best']:.2f})")
    fresh = _run(_FRESH, ROOT).split()
    result["fresh_process_k1000_s"] = float(fresh[0])
    result["fresh_process_after_numpy_scipy_s"] = float(fresh[2])
    result["fresh_process_imports_sympy"] = fresh[1] == "True"
    print(f"fresh interpreter: import + categorical/dirichlet k=1000 kernels {float(fresh[0]):.2f}"
          f" s ({float(fresh[2]):.2f} s after numpy and scipy), sympy imported: {fresh[1]}")
    rows = None
    if args.baseline_commit:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            rows = small_rows(per_k_modules(args.baseline_commit, Path(tmp)))
        result["baseline_commit"] = args.baseline_commit
    elif args.baseline:
        rows = small_rows(Path(args.baseline))
    if rows is not None:
        result["small_k"] = rows
        print("small k, this tree / baseline (per-k modules), medians (round-robin):")
        for key, row in rows.items():
            print(f"  {key:30s} {row['this_tree_s'] * 1e6:12.1f} us {row['baseline_s'] * 1e6:12.1f}"
                  f" us   ratio {row['ratio']:.2f} (of the best runs {row['ratio_of_best']:.2f})")
    result["load_average_end"] = os.getloadavg()
    Path(args.json).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {args.json}; load average {load[0]:.2f} -> {result['load_average_end'][0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
