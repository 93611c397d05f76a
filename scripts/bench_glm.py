"""Benchmark: GLMs through fisherlab's kernel path against scikit-learn, statsmodels and numpy IRLS.

    python scripts/bench_glm.py [--n 100000] [--d 20] [--repeats 7] [--threads 1]
                                [--json docs/bench_glm.json] [--md docs/bench_glm.md]

Two synthetic problems (n × d, an intercept column and Gaussian features), each timed side by
side in one run, contenders taken round-robin within every repeat (so the load of other
processes hits them alike), under the same BLAS thread limit:

- logistic regression: fisherlab Newton steps through ``models.GLM(Head("bernoulli")).problem``
  (grad, Fisher = Hessian for the canonical link, a Cholesky solve), ``fisherlab.optim``'s
  ``run(GLM(X, y), NaturalGradient(lr=1))``, ``models.fit`` (to round-off, with the fitted-model
  statistics), scikit-learn ``LogisticRegression(penalty=None, solver="newton-cholesky")`` and
  a plain numpy IRLS written here;
- Poisson regression (log link): fisherlab Newton steps through the Problem, ``models.fit``,
  scikit-learn ``PoissonRegressor(alpha=0, solver="newton-cholesky")``, statsmodels
  ``GLM(family=Poisson())`` IRLS, and a plain numpy IRLS.

Equal work: every contender but ``models.fit`` starts at θ = 0 (statsmodels at its own start,
μ = (y + ȳ)/2) and stops at the first iterate whose gradient of the mean negative
log-likelihood has norm ≤ ``--gtol`` (scikit-learn: max |gradient| ≤ gtol/√d, which implies
it; statsmodels: a relative deviance change ≤ 1e-12, its own criterion); the iterations each
took are recorded, and the loss they reach is compared. ``models.fit`` iterates to round-off
and computes the covariance, llf, deviance, AIC on top: it is more work, timed for reference.

Reports medians (and bests) over ``--repeats`` repeats, the machine, and the load average
before and after; writes JSON and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit, gammaln

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def make_data(kind: str, n: int, d: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, d - 1))])
    if kind == "logistic":
        beta = rng.normal(scale=2.0 / np.sqrt(d), size=d)
        y = (rng.random(n) < expit(X @ beta)).astype(float)
    else:  # rates e^{xβ} with a spread of about one decade
        beta = rng.normal(scale=0.5 / np.sqrt(d), size=d)
        beta[0] = 1.0
        y = rng.poisson(np.exp(X @ beta)).astype(float)
    return X, y


def mean_nll(kind, X, y, beta) -> float:
    eta = X @ beta
    if kind == "logistic":
        return float(np.mean(np.logaddexp(0.0, eta) - y * eta))
    return float(np.mean(np.exp(eta) - y * eta + gammaln(y + 1)))


# ----------------------------------------------------------------------------- contenders

def numpy_irls(kind):
    """Newton/IRLS, the textbook loop: XᵀWX as one BLAS product of X·√w, a Cholesky solve."""
    def solve(X, y, gtol, max_iter=100):
        n = X.shape[0]
        beta = np.zeros(X.shape[1])
        for it in range(max_iter + 1):
            eta = X @ beta
            mu = expit(eta) if kind == "logistic" else np.exp(eta)
            g = X.T @ (mu - y) / n
            if np.linalg.norm(g) <= gtol:
                return beta, it
            w = mu * (1.0 - mu) if kind == "logistic" else mu
            Z = X * np.sqrt(w)[:, None]
            beta = beta - cho_solve(cho_factor(Z.T @ Z / n, check_finite=False), g,
                                    check_finite=False)
        return beta, max_iter
    return solve


def fisherlab_problem_newton(kind):
    """Newton steps through the kernel path: the problem built from the data (its checks
    included in the time), then grad, Fisher (= Hessian: canonical link), Cholesky solve."""
    from fisherlab import models as flm

    head = flm.Head("bernoulli" if kind == "logistic" else "poisson")

    def solve(X, y, gtol, max_iter=100):
        prob = flm.GLM(head).problem(X, y)
        w = np.zeros(X.shape[1])
        for it in range(max_iter + 1):
            g = prob.grad(w)
            if np.linalg.norm(g) <= gtol:
                return w, it
            w = w - cho_solve(cho_factor(prob.fisher(w), check_finite=False), g,
                              check_finite=False)
        return w, max_iter
    return solve


def fisherlab_fit(kind):
    from fisherlab import models as flm

    head = flm.Head("bernoulli" if kind == "logistic" else "poisson")

    def solve(X, y, gtol):
        res = flm.fit(flm.GLM(head), X, y)
        res.bse, res.llf, res.deviance  # the statistics a user reads
        return res.coef, res.iterations
    return solve


def fisherlab_optim_run(X, y, gtol):
    from fisherlab.optim import GLM, NaturalGradient, run

    res = run(GLM(X, y, "bernoulli"), NaturalGradient(lr=1.0), np.zeros(X.shape[1]), gtol=gtol,
              max_iter=100, record_kl=False)
    if not res.converged:
        raise RuntimeError(f"fisherlab NGD did not converge: {res.status} {res.message}")
    return res.theta, res.iterations


def sklearn_logistic(X, y, gtol):
    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        m = LogisticRegression(penalty=None, fit_intercept=False, solver="newton-cholesky",
                               tol=gtol / np.sqrt(X.shape[1]), max_iter=100).fit(X, y)
    return m.coef_[0], int(m.n_iter_[0])


def sklearn_poisson(X, y, gtol):
    from sklearn.linear_model import PoissonRegressor

    m = PoissonRegressor(alpha=0.0, fit_intercept=False, solver="newton-cholesky",
                         tol=gtol / np.sqrt(X.shape[1]), max_iter=100).fit(X, y)
    return m.coef_, int(m.n_iter_)


def statsmodels_glm(kind):
    def solve(X, y, gtol):
        import statsmodels.api as sm

        fam = sm.families.Binomial() if kind == "logistic" else sm.families.Poisson()
        r = sm.GLM(y, X, family=fam).fit(method="IRLS", tol=1e-12, maxiter=100)
        return np.asarray(r.params), int(r.fit_history["iteration"])
    return solve


# ----------------------------------------------------------------------------- driver

def race(kind, contenders, X, y, gtol, repeats):
    for fn in contenders.values():
        fn(X, y, gtol)  # warm-up: imports, caches
    times = {name: [] for name in contenders}
    outs = {}
    for _ in range(repeats):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            outs[name] = fn(X, y, gtol)
            times[name].append(time.perf_counter() - t0)
    rows = {}
    for name in contenders:
        beta, iters = outs[name]
        rows[name] = {"median_seconds": float(np.median(times[name])),
                      "best_seconds": float(min(times[name])), "iterations": int(iters),
                      "mean_nll": mean_nll(kind, X, y, beta),
                      "seconds": [float(t) for t in times[name]]}
    return rows


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--d", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--gtol", type=float, default=1e-8,
                    help="stop at gradient norm <= gtol (mean negative log-likelihood)")
    ap.add_argument("--threads", type=int, default=1,
                    help="BLAS threads for every contender (0: library default)")
    ap.add_argument("--json", default="docs/bench_glm.json")
    ap.add_argument("--md", default="docs/bench_glm.md")
    args = ap.parse_args(argv)

    limiter = None
    if args.threads:
        from threadpoolctl import threadpool_limits

        limiter = threadpool_limits(args.threads)
    load_before = os.getloadavg()
    ours, fit_name = "fisherlab Newton via Problem", "fisherlab models.fit (to round-off + stats)"
    setups = {
        "logistic": {ours: fisherlab_problem_newton("logistic"),
                     "fisherlab optim.run NaturalGradient": fisherlab_optim_run,
                     fit_name: fisherlab_fit("logistic"),
                     "scikit-learn newton-cholesky": sklearn_logistic,
                     "plain numpy IRLS": numpy_irls("logistic")},
        "poisson": {ours: fisherlab_problem_newton("poisson"), fit_name: fisherlab_fit("poisson"),
                    "scikit-learn newton-cholesky": sklearn_poisson,
                    "statsmodels GLM IRLS": statsmodels_glm("poisson"),
                    "plain numpy IRLS": numpy_irls("poisson")},
    }
    results = {}
    for kind, contenders in setups.items():
        X, y = make_data(kind, args.n, args.d)
        rows = race(kind, contenders, X, y, args.gtol, args.repeats)
        base = rows[ours]["median_seconds"]
        ratios = {k: base / v["median_seconds"] for k, v in rows.items() if k != ours}
        nll = [v["mean_nll"] for v in rows.values()]
        results[kind] = {"contenders": rows, "median_ratio_fisherlab_over": ratios,
                         "mean_nll_spread": max(nll) - min(nll)}
    load_after = os.getloadavg()
    lr, pr = results["logistic"]["median_ratio_fisherlab_over"], \
        results["poisson"]["median_ratio_fisherlab_over"]
    targets = {
        "logistic <= 1.0x scikit-learn": lr["scikit-learn newton-cholesky"] <= 1.0,
        "logistic <= 1.2x plain numpy IRLS": lr["plain numpy IRLS"] <= 1.2,
        "poisson <= 1.0x scikit-learn": pr["scikit-learn newton-cholesky"] <= 1.0,
        "poisson faster than statsmodels": pr["statsmodels GLM IRLS"] < 1.0,
    }
    import scipy
    import sklearn
    import statsmodels

    out = {"n": args.n, "d": args.d, "repeats": args.repeats, "gtol": args.gtol,
           "blas_threads": args.threads or "default", "cpu": cpu_name(),
           "cores": os.cpu_count(), "machine": platform.machine(),
           "python": sys.version.split()[0],
           "versions": {"numpy": np.__version__, "scipy": scipy.__version__,
                        "scikit-learn": sklearn.__version__,
                        "statsmodels": statsmodels.__version__},
           "load_average_before": list(load_before), "load_average_after": list(load_after),
           "results": results, "targets_met": targets}
    lines = ["# GLM benchmark (written by scripts/bench_glm.py)", "",
             f"n = {args.n}, d = {args.d}; {out['cpu']}, {out['cores']} cores, "
             f"BLAS threads {out['blas_threads']}; load average {load_before[0]:.1f} before, "
             f"{load_after[0]:.1f} after (a shared machine: the ratios, measured side by side "
             f"in one run, are what counts). Medians of {args.repeats} round-robin repeats; "
             f"every contender but models.fit stops at gradient norm ≤ {args.gtol:g} from θ = 0.",
             ""]
    for kind in setups:
        r = results[kind]
        lines += [f"## {kind} regression", "",
                  "| contender | median s | best s | iterations | fisherlab / this | mean NLL |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, v in r["contenders"].items():
            ratio = "" if name == ours else f"{r['median_ratio_fisherlab_over'][name]:.2f}"
            lines.append(f"| {name} | {v['median_seconds']:.4f} | {v['best_seconds']:.4f} | "
                         f"{v['iterations']} | {ratio} | {v['mean_nll']:.12f} |")
        lines += ["", f"Largest difference of the mean NLL reached: {r['mean_nll_spread']:.1e}.",
                  ""]
    lines += ["## Targets", ""] + [f"- {k}: {'met' if v else 'NOT met'}"
                                   for k, v in targets.items()]
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.json, "w") as fh:
        json.dump(out, fh, indent=1)
    with open(args.md, "w") as fh:
        fh.write(text)
    print(f"wrote {args.json} and {args.md}")
    if limiter is not None:
        limiter.restore_original_limits()
    return 0


if __name__ == "__main__":
    sys.exit(main())
