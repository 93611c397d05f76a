"""Benchmark: natural gradient (Fisher scoring) on a canonical logistic GLM vs three references.

    python scripts/bench_glm.py [--n 100000] [--d 20] [--repeats 5] [--threads 1] [--json out.json]

In one run, on one synthetic data set (n × d, an intercept column and Gaussian features), it times

- fisherlab: ``run(glm, NaturalGradient(lr=1), 0, gtol=tol)``, the full runner (which also
  records the loss and gradient norm of every iterate), on ``glm = GLM(X, y, "bernoulli")`` built
  once (its input validation is reported separately);
- statsmodels: ``GLM(y, X, family=Binomial()).fit()`` (IRLS);
- scikit-learn: ``LogisticRegression(C=inf, fit_intercept=False, solver="newton-cholesky")``;
- plain numpy IRLS written here: XᵀWX as one BLAS product of X·√w, Cholesky solve,

each from θ = 0, best of ``--repeats`` wall times (taken round-robin), and prints the ratios
and the iterations.
Then it reports the per-iteration cost of every stepper on the same problem. All contenders run
under the same BLAS thread limit (``--threads``; 0 leaves the library default). Writes JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import warnings

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit


def make_data(n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, d - 1))])
    beta = rng.normal(scale=2.0 / np.sqrt(d), size=d)
    y = (rng.random(n) < expit(X @ beta)).astype(float)
    return X, y


def mean_logloss(X, y, beta):
    eta = X @ beta
    return float(np.mean(np.logaddexp(0.0, eta) - y * eta))


def plain_irls(X, y, gtol, max_iter=100):
    """Newton/IRLS for logistic regression: the textbook loop, nothing else per iteration."""
    n = X.shape[0]
    beta = np.zeros(X.shape[1])
    for it in range(max_iter + 1):
        mu = expit(X @ beta)
        g = X.T @ (mu - y) / n
        if np.linalg.norm(g) <= gtol:
            return beta, it
        w = mu * (1.0 - mu)
        Z = X * np.sqrt(w)[:, None]
        beta = beta - cho_solve(cho_factor(Z.T @ Z / n, check_finite=False), g, check_finite=False)
    return beta, max_iter


_GLM = {}


def fisherlab_ngd(X, y, gtol):
    """The runner with NaturalGradient on a GLM built once per data set (its one-time input
    validation is timed separately, as ``glm_setup_seconds`` in the JSON)."""
    from fisherlab.optim import NaturalGradient, run

    res = run(_GLM[id(X)], NaturalGradient(lr=1.0), np.zeros(X.shape[1]), gtol=gtol,
              max_iter=100, record_kl=False)
    if not res.converged:
        raise RuntimeError(f"fisherlab NGD did not converge: {res.status} {res.message}")
    return res.theta, res.iterations


def sklearn_newton(X, y, gtol):
    from sklearn.linear_model import LogisticRegression

    # sklearn's stopping rule: max |gradient of its mean objective| <= tol
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        m = LogisticRegression(C=np.inf, fit_intercept=False, solver="newton-cholesky",
                               tol=gtol / np.sqrt(X.shape[1]), max_iter=100).fit(X, y)
    return m.coef_[0], int(m.n_iter_[0])


def statsmodels_irls(X, y, gtol):
    import statsmodels.api as sm

    r = sm.GLM(y, X, family=sm.families.Binomial()).fit(method="IRLS", tol=1e-10, maxiter=100)
    return np.asarray(r.params), int(r.fit_history["iteration"])


def per_iteration_costs(X, y, iters: int):
    """Milliseconds per iteration of every stepper on the GLM (runner included, from θ = 0)."""
    from fisherlab.optim import (GLM, Adam, DiagonalFisher, EmpiricalFisher, GD, Momentum,
                                 NaturalGradient, Newton, RMSProp, run)

    steppers = [GD(lr=0.1), Momentum(lr=0.1), RMSProp(lr=1e-3), Adam(lr=1e-2), DiagonalFisher(lr=0.5),
                Newton(), NaturalGradient(), EmpiricalFisher(damping=1e-8)]
    out = {}
    for st in steppers:
        glm = GLM(X, y, "bernoulli")
        res = run(glm, st, np.zeros(X.shape[1]), max_iter=iters, record_kl=False)
        out[st.name] = {"ms_per_iteration": 1e3 * res.time[-1] / max(res.iterations, 1),
                        "iterations": res.iterations, "status": res.status}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--gtol", type=float, default=1e-8,
                    help="stop when the gradient of the mean log-loss has norm <= gtol")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads for every contender (0: library default)")
    ap.add_argument("--json", default="bench_glm.json")
    args = ap.parse_args(argv)

    limiter = None
    if args.threads:
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(args.threads)

    X, y = make_data(args.n, args.d)
    from fisherlab.optim import GLM

    t0 = time.perf_counter()
    _GLM[id(X)] = GLM(X, y, "bernoulli")  # checks X finite and y in {0, 1}
    setup = time.perf_counter() - t0
    contenders = {"fisherlab NaturalGradient": fisherlab_ngd, "plain numpy IRLS": plain_irls,
                  "scikit-learn newton-cholesky": sklearn_newton,
                  "statsmodels GLM IRLS": statsmodels_irls}
    for fn in contenders.values():
        fn(X, y, args.gtol)  # warm-up: imports, caches
    # round-robin repeats, so that load from other processes hits every contender alike
    times = {name: [] for name in contenders}
    outs = {}
    for _ in range(args.repeats):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            outs[name] = fn(X, y, args.gtol)
            times[name].append(time.perf_counter() - t0)
    rows = {}
    for name in contenders:
        beta, iters = outs[name]
        rows[name] = {"seconds": min(times[name]), "median_seconds": float(np.median(times[name])),
                      "iterations": iters, "loss": mean_logloss(X, y, beta)}
    ours = rows["fisherlab NaturalGradient"]
    ratios = {f"vs {k}": ours["seconds"] / v["seconds"] for k, v in rows.items()
              if k != "fisherlab NaturalGradient"}
    loss_spread = max(r["loss"] for r in rows.values()) - min(r["loss"] for r in rows.values())
    costs = per_iteration_costs(X, y, iters=5)
    result = {"n": args.n, "d": args.d, "repeats": args.repeats, "gtol": args.gtol,
              "glm_setup_seconds": setup,
              "blas_threads": args.threads or "default", "python": sys.version.split()[0],
              "machine": platform.machine(), "numpy": np.__version__, "contenders": rows,
              "time_ratios_fisherlab_over": ratios, "loss_spread": loss_spread,
              "targets": {"iterations_le_sklearn":
                          ours["iterations"] <= rows["scikit-learn newton-cholesky"]["iterations"],
                          "time_le_1.0x_sklearn": ratios["vs scikit-learn newton-cholesky"] <= 1.0,
                          "time_le_1.2x_plain_irls": ratios["vs plain numpy IRLS"] <= 1.2},
              "per_iteration_ms": costs}
    print(f"logistic GLM n={args.n} d={args.d}, BLAS threads={result['blas_threads']}, "
          f"best of {args.repeats}")
    print(f"{'contender':<30} {'seconds':>9} {'iters':>6} {'ms/iter':>8} {'mean log-loss':>20}")
    for k, v in rows.items():
        print(f"{k:<30} {v['seconds']:9.4f} {v['iterations']:6d} "
              f"{1e3 * v['seconds'] / max(v['iterations'], 1):8.2f} {v['loss']:20.15f}")
    for k, v in ratios.items():
        print(f"fisherlab time ratio {k}: {v:.3f}")
    print(f"largest loss difference between contenders: {loss_spread:.2e}")
    print(f"fisherlab GLM construction (input validation, once per data set): {setup:.4f} s")
    print("per-iteration cost of every stepper (runner included):")
    for k, v in costs.items():
        print(f"  {k:<16} {v['ms_per_iteration']:8.2f} ms")
    with open(args.json, "w") as fh:
        json.dump(result, fh, indent=1)
    print(f"wrote {args.json}")
    if limiter is not None:
        limiter.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
