"""Benchmark: fisherlab's GGN of the digits MLP against curvlinops' (PyTorch), side by side.

    python scripts/bench_curvlinops.py [--repeats 20] [--threads 1]
        [--json docs/bench_curvlinops.json] [--md docs/bench_curvlinops.md]

Needs torch and curvlinops-for-pytorch (``pip install curvlinops-for-pytorch``), which are not
dependencies of fisherlab nor in its test extra. The network is the one of
``scripts/bench_models.py``: 64-32-10 with tanh and a categorical head (10 logits, softmax link,
cross-entropy; 2410 weights) on the 1797 digits rows scaled to [0, 1], at fisherlab's initial
weights, copied into an ``nn.Sequential`` of ``nn.Linear`` layers (fisherlab stores W as
(in, out), torch as (out, in): the two weight vectors are a permutation of each other).

Both sides run in float64 under the same thread limit. It first checks that they compute the same
numbers (the loss gradient, a GGN-vector product and the dense GGN, to 1e-10 relative in the
Euclidean / Frobenius norm; the script fails otherwise), then times, as medians and bests over
``--repeats`` calls with the contenders called in turn (round-robin):

- the gradient: ``problem.grad(w)`` against ``torch.autograd.grad`` of the same loss;
- the GGN-vector product: ``problem.fisher_vp(w, v)`` at a fresh w per call (nothing memoized),
  and at the same w (what one CG iteration costs), against ``GGNLinearOperator @ v``, which
  recomputes the forward pass every call;
- the dense GGN (P × P), a few times: ``problem.fisher(w)`` against ``GGNLinearOperator`` applied
  to the identity in blocks of columns.

Writes JSON with the timings, the ratios, the agreement and the machine with its load, and a
Markdown table.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Columns of the identity per GGNLinearOperator product when forming the dense GGN (a block of
#: columns is one batched product; the whole identity at once would hold P copies of the
#: activations).
BLOCK = 256
RTOL = 1e-10


def torch_network(torch, model, w):
    """The fisherlab MLP ``model`` at weights ``w`` as a float64 ``nn.Sequential``."""
    layers = []
    for (w_sl, b_sl), (fan_in, fan_out) in zip(model.net.slices, model.net.shapes, strict=True):
        lin = torch.nn.Linear(fan_in, fan_out, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w[w_sl].reshape(fan_in, fan_out).T.copy()))
            lin.bias.copy_(torch.from_numpy(w[b_sl].copy()))
        layers += [lin, torch.nn.Tanh()]
    return torch.nn.Sequential(*layers[:-1])


def torch_order(model):
    """The permutation ``perm`` with ``w[perm]`` = torch's parameters flattened in order."""
    import numpy as np

    perm = []
    for (w_sl, b_sl), (fan_in, fan_out) in zip(model.net.slices, model.net.shapes, strict=True):
        perm.append(np.arange(w_sl.start, w_sl.stop).reshape(fan_in, fan_out).T.ravel())
        perm.append(np.arange(b_sl.start, b_sl.stop))
    return np.concatenate(perm)


def markdown(res: dict) -> str:
    ms, best, rel = res["ms"], res["ms, best of the repeats"], res["relative difference"]
    load0 = res["load average at start (1, 5, 15 min)"]
    load1 = res["load average at end (1, 5, 15 min)"]
    lines = [
        "# fisherlab against curvlinops (written by scripts/bench_curvlinops.py)",
        "",
        f"{res['model']} on {res['data']} (n = {res['n']}, P = {res['weights']}); float64, "
        f"threads {res['threads']}; {res['processor']}, {res['cpus']} cores; load average "
        f"{load0[0]:.1f} before, {load1[0]:.1f} after (a shared machine: the contenders are called "
        "in turn, so the ratios are what counts). torch "
        f"{res['torch']}, curvlinops {res['curvlinops']}, numpy {res['numpy']}.",
        "",
        "Agreement, relative (Euclidean / Frobenius norm), weights copied across: gradient "
        f"{rel['gradient']:.1e}, GGN-vector product {rel['GGN-vector product']:.1e}, dense GGN "
        f"{rel['dense GGN']:.1e}.",
        "",
        f"| quantity | median ms | best ms (of {res['repeats']}) |",
        "|---|---:|---:|",
    ]
    lines += [f"| {name} | {ms[name]:.2f} | {best[name]:.2f} |" for name in ms]
    lines += ["", "| ratio (fisherlab / curvlinops) | of medians | of bests |", "|---|---:|---:|"]
    lines += [f"| {name} | {val:.2f} | {res['ratios of bests'][name]:.2f} |"
              for name, val in res["ratios of medians"].items()]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--dense-repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="threads for BLAS and torch")
    ap.add_argument("--json", default=str(ROOT / "docs" / "bench_curvlinops.json"))
    ap.add_argument("--md", default=str(ROOT / "docs" / "bench_curvlinops.md"))
    args = ap.parse_args(argv)
    # before numpy and torch load their BLAS and OpenMP pools
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import curvlinops
    import numpy as np
    import torch

    # the other benchmarks' helpers (scripts/ is on the path of a script run from it); bench_glm
    # imports numpy, so not before the thread limits above
    from bench_glm import cpu_name
    from bench_models import _round_robin_ms
    from sklearn.datasets import load_digits

    from fisherlab import models as flm

    torch.set_num_threads(args.threads)
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    model = flm.MLP([64, 32, 10], flm.Head("categorical", link="softmax", k=10),
                    activation="tanh")
    w0 = model.init()
    P, R = model.n_weights, args.repeats
    perm = torch_order(model)
    net = torch_network(torch, model, w0)
    params = list(net.parameters())
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    loss_fn = torch.nn.CrossEntropyLoss(reduction="mean")
    ggn = curvlinops.GGNLinearOperator(net, loss_fn, params, [(Xt, yt)])
    v = np.random.default_rng(1).standard_normal(P)
    vt = torch.from_numpy(v[perm].copy())

    def torch_grad(_i):
        return torch.autograd.grad(loss_fn(net(Xt), yt), params)

    def curvlinops_dense(_i):
        eye = torch.eye(P, dtype=torch.float64)
        return torch.cat([ggn @ eye[:, j:j + BLOCK] for j in range(0, P, BLOCK)], dim=1)

    # the same numbers first (checked, not assumed)
    prob = model.problem(X, y)
    g_fl = prob.grad(w0)[perm]
    g_t = torch.cat([g.ravel() for g in torch_grad(0)]).numpy()
    vp_fl, vp_t = prob.fisher_vp(w0, v)[perm], (ggn @ vt).numpy()
    G_fl, G_t = prob.fisher(w0)[np.ix_(perm, perm)], curvlinops_dense(0).numpy()
    rel = {"gradient": float(np.linalg.norm(g_fl - g_t) / np.linalg.norm(g_t)),
           "GGN-vector product": float(np.linalg.norm(vp_fl - vp_t) / np.linalg.norm(vp_t)),
           "dense GGN": float(np.linalg.norm(G_fl - G_t) / np.linalg.norm(G_t))}
    print("relative difference:", {k: f"{val:.1e}" for k, val in rel.items()})
    if max(rel.values()) > RTOL:
        raise SystemExit(f"fisherlab and curvlinops disagree beyond {RTOL:g}: {rel}")

    res = {"model": "MLP 64-32-10 tanh, categorical head (softmax link, 10 logits)",
           "data": "scikit-learn digits / 16", "n": int(X.shape[0]), "weights": P,
           "repeats": R, "dense repeats": args.dense_repeats, "threads": args.threads,
           "python": sys.version.split()[0], "machine": platform.machine(),
           "processor": cpu_name(), "cpus": os.cpu_count(),
           "numpy": np.__version__, "torch": torch.__version__,
           "curvlinops": importlib.metadata.version("curvlinops-for-pytorch"),
           "load average at start (1, 5, 15 min)": list(os.getloadavg()),
           "relative difference": rel, "tolerance": RTOL}

    # every fisherlab call gets a fresh w (w0 + 1e-9·i) and its own problem, so no memoized
    # forward pass or head evaluation is reused; curvlinops memoizes nothing between products
    def own():
        return model.problem(X, y)

    def fresh(k):
        return [w0 + 1e-9 * (i + k * (R + 1)) for i in range(R + 1)]

    p_grad, p_vp, p_cg = own(), own(), own()
    w_grad, w_vp = fresh(0), fresh(1)
    contenders = {
        "fisherlab gradient": lambda i: p_grad.grad(w_grad[i]),
        "torch gradient (autograd)": torch_grad,
        "fisherlab GGN-vector product": lambda i: p_vp.fisher_vp(w_vp[i], v),
        "fisherlab GGN-vector product, same w (a CG iteration)": lambda i: p_cg.fisher_vp(
            w0, v + i),
        "curvlinops GGN-vector product": lambda i: ggn @ vt,
    }
    ms, best = _round_robin_ms(contenders, R)
    p_dense = own()
    w_dense = fresh(2)
    dense = {"fisherlab dense GGN": lambda i: p_dense.fisher(w_dense[i]),
             "curvlinops dense GGN": curvlinops_dense}
    d_ms, d_best = _round_robin_ms(dense, args.dense_repeats)
    ms.update(d_ms)
    best.update(d_best)
    res["ms"], res["ms, best of the repeats"] = ms, best
    res["load average at end (1, 5, 15 min)"] = list(os.getloadavg())

    def ratios_of(t):
        return {
            "gradient / torch": t["fisherlab gradient"] / t["torch gradient (autograd)"],
            "GGN-vector product / curvlinops": (t["fisherlab GGN-vector product"]
                                                / t["curvlinops GGN-vector product"]),
            "GGN-vector product, same w / curvlinops": (
                t["fisherlab GGN-vector product, same w (a CG iteration)"]
                / t["curvlinops GGN-vector product"]),
            "dense GGN / curvlinops": t["fisherlab dense GGN"] / t["curvlinops dense GGN"],
        }

    res["ratios of medians"], res["ratios of bests"] = ratios_of(ms), ratios_of(best)
    text = markdown(res)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    if args.md:
        Path(args.md).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
