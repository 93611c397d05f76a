"""Benchmark fisherlab's compiled kernels against hand-written numpy, autograd and JAX.

Usage: python scripts/bench_kernels.py [--json PATH] [--quick]

For fisher, kl and score of gamma (shape_rate), beta (alpha_beta), dirichlet (k=5, alpha),
normal (mean_std), von_mises (loc_concentration) and categorical (k=10, probs), at batch sizes
1, 1e3 and 1e6, it times (medians of repeated runs, all in this process):

- fisherlab: the kernel, argument checks included (``fl.kernels(...)``), and ``.unchecked()``;
- numpy: the same formula written by hand in vectorized numpy/scipy, with argument checks;
- autograd: the Hessian (Fisher), gradient (KL) or score per point by autograd, timed on a sample
  of points and extrapolated linearly to the batch;
- jax: ``jax.jit(jax.vmap(jax.hessian(A)))`` pulled back to the parametrization (F = Jᵀ ∇²A J),
  the Bregman KL with ``jax.grad(A)`` and the score Jᵀ(T(x) − ∇A), float64, when jax is
  installed (``pip install fisherlab[bench]``); compilation is excluded (one warm-up call).

It also times ``import fisherlab`` + building one kernel against ``import numpy, scipy.special``
in fresh interpreters. Ratios are fisherlab time over baseline time (below 1: fisherlab faster).
A family missing from the catalog is reported as such in the table.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import scipy.special as sc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fisherlab as fl  # noqa: E402
from fisherlab.errors import DomainError  # noqa: E402

BATCHES = (1, 1_000, 1_000_000)
QUANTITIES = ("fisher", "kl", "score")


# -- timing -----------------------------------------------------------------------------------


#: The clock of every timing: wall time, or with ``--cpu-time`` the process's CPU time, which a
#: shared machine's other jobs do not inflate (JAX's threads add theirs up, though).
CLOCK = time.perf_counter


def median_time(fn, batch: int, budget: float = 1.0) -> float:
    """Median seconds per call of ``fn()``: enough calls per repeat to last ~10 ms, ≥ 5 repeats."""
    clock = CLOCK
    fn()  # warm-up (caches, JIT)
    t0 = clock()
    fn()
    one = max(clock() - t0, 1e-7)
    inner = max(1, int(0.01 / one))
    repeats = max(3, min(15, int(budget / (one * inner))))
    times = []
    for _ in range(repeats):
        t0 = clock()
        for _ in range(inner):
            fn()
        times.append((clock() - t0) / inner)
    return statistics.median(times)


# -- the cases --------------------------------------------------------------------------------


def _check_positive(name, a):
    if not (np.isfinite(a).all() and (a > 0).all()):
        raise DomainError(f"{name} must be finite and > 0")


class Case:
    """A family, its parametrization, point generators, hand-written formulas and A(η) for AD."""

    def __init__(self, label, family, param, dims, draw, hand, ad):
        self.label, self.family, self.param, self.dims = label, family, param, dims
        self.draw, self.hand, self.ad = draw, hand, ad


def _gamma():
    def draw(rng, n):
        return np.stack([rng.uniform(0.5, 20.0, n), rng.uniform(0.1, 10.0, n)], -1)

    def fisher(t):
        t = np.asarray(t, dtype=np.float64)
        a, b = t[..., 0], t[..., 1]
        _check_positive("shape", a), _check_positive("rate", b)
        F = np.empty(t.shape[:-1] + (2, 2))
        F[..., 0, 0] = sc.polygamma(1, a)
        F[..., 0, 1] = F[..., 1, 0] = -1.0 / b
        F[..., 1, 1] = a / b**2
        return F

    def kl(p, q):
        p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
        a, b, c, d = p[..., 0], p[..., 1], q[..., 0], q[..., 1]
        for n, v in (("shape", a), ("rate", b), ("shape_q", c), ("rate_q", d)):
            _check_positive(n, v)
        return ((a - c) * sc.digamma(a) - sc.gammaln(a) + sc.gammaln(c)
                + c * (np.log(b) - np.log(d)) + a * (d - b) / b)

    def score(x, t):
        t, x = np.asarray(t, dtype=np.float64), np.asarray(x, dtype=np.float64)
        a, b = t[..., 0], t[..., 1]
        _check_positive("shape", a), _check_positive("rate", b), _check_positive("x", x)
        return np.stack([np.log(b) - sc.digamma(a) + np.log(x), a / b - x], -1)

    def ad(xp, sp_):
        return dict(A=lambda e: sp_.gammaln(e[0]) - e[0] * xp.log(-e[1]),
                    eta=lambda t: xp.stack([t[0], -t[1]]),
                    T=lambda x: xp.stack([xp.log(x), x]))

    return Case("gamma", "gamma", "shape_rate", {}, (draw, lambda rng, t: rng.gamma(
        t[..., 0], 1 / t[..., 1])), dict(fisher=fisher, kl=kl, score=score), ad)


def _beta():
    def draw(rng, n):
        return np.stack([rng.uniform(0.5, 20.0, n), rng.uniform(0.5, 20.0, n)], -1)

    def fisher(t):
        t = np.asarray(t, dtype=np.float64)
        a, b = t[..., 0], t[..., 1]
        _check_positive("alpha", a), _check_positive("beta", b)
        s = sc.polygamma(1, a + b)
        F = np.empty(t.shape[:-1] + (2, 2))
        F[..., 0, 0] = sc.polygamma(1, a) - s
        F[..., 0, 1] = F[..., 1, 0] = -s
        F[..., 1, 1] = sc.polygamma(1, b) - s
        return F

    def kl(p, q):
        p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
        a, b, c, d = p[..., 0], p[..., 1], q[..., 0], q[..., 1]
        for n, v in (("alpha", a), ("beta", b), ("alpha_q", c), ("beta_q", d)):
            _check_positive(n, v)
        return (sc.betaln(c, d) - sc.betaln(a, b) + (a - c) * sc.digamma(a)
                + (b - d) * sc.digamma(b) + (c - a + d - b) * sc.digamma(a + b))

    def score(x, t):
        t, x = np.asarray(t, dtype=np.float64), np.asarray(x, dtype=np.float64)
        a, b = t[..., 0], t[..., 1]
        _check_positive("alpha", a), _check_positive("beta", b)
        if not ((x > 0) & (x < 1)).all():
            raise DomainError("x must be in (0, 1)")
        s = sc.digamma(a + b)
        return np.stack([np.log(x) - sc.digamma(a) + s, np.log1p(-x) - sc.digamma(b) + s], -1)

    def ad(xp, sp_):
        return dict(A=lambda e: sp_.gammaln(e[0]) + sp_.gammaln(e[1]) - sp_.gammaln(e[0] + e[1]),
                    eta=lambda t: t, T=lambda x: xp.stack([xp.log(x), xp.log1p(-x)]))

    return Case("beta", "beta", "alpha_beta", {}, (draw, lambda rng, t: rng.beta(
        t[..., 0], t[..., 1])), dict(fisher=fisher, kl=kl, score=score), ad)


def _dirichlet(k=5):
    def draw(rng, n):
        return rng.uniform(0.5, 20.0, (n, k))

    def fisher(t):
        t = np.asarray(t, dtype=np.float64)
        _check_positive("alpha", t)
        F = np.zeros(t.shape[:-1] + (k, k))
        F -= sc.polygamma(1, t.sum(-1))[..., None, None]
        i = np.arange(k)
        F[..., i, i] += sc.polygamma(1, t)
        return F

    def kl(p, q):
        p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
        _check_positive("alpha", p), _check_positive("alpha_q", q)
        p0, q0 = p.sum(-1), q.sum(-1)
        return (sc.gammaln(p0) - sc.gammaln(p).sum(-1) - sc.gammaln(q0) + sc.gammaln(q).sum(-1)
                + ((p - q) * (sc.digamma(p) - sc.digamma(p0)[..., None])).sum(-1))

    def score(x, t):
        t, x = np.asarray(t, dtype=np.float64), np.asarray(x, dtype=np.float64)
        _check_positive("alpha", t)
        if not ((x > 0).all() and np.allclose(x.sum(-1), 1.0)):
            raise DomainError("x must lie on the open simplex")
        return np.log(x) - sc.digamma(t) + sc.digamma(t.sum(-1))[..., None]

    def ad(xp, sp_):
        return dict(A=lambda e: xp.sum(sp_.gammaln(e)) - sp_.gammaln(xp.sum(e)),
                    eta=lambda t: t, T=lambda x: xp.log(x))

    return Case("dirichlet(k=5)", "dirichlet", "alpha", {"k": k},
                (draw, _dirichlet_sample),
                dict(fisher=fisher, kl=kl, score=score), ad)


def _dirichlet_sample(rng, t):
    g = rng.gamma(t)
    return g / g.sum(-1, keepdims=True)


def _normal():
    def draw(rng, n):
        return np.stack([rng.uniform(-5, 5, n), rng.uniform(0.1, 10.0, n)], -1)

    def fisher(t):
        t = np.asarray(t, dtype=np.float64)
        m, s = t[..., 0], t[..., 1]
        if not np.isfinite(m).all():
            raise DomainError("mean must be finite")
        _check_positive("std", s)
        F = np.zeros(t.shape[:-1] + (2, 2))
        F[..., 0, 0] = 1 / s**2
        F[..., 1, 1] = 2 / s**2
        return F

    def kl(p, q):
        p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
        m, s, n, r = p[..., 0], p[..., 1], q[..., 0], q[..., 1]
        if not (np.isfinite(m).all() and np.isfinite(n).all()):
            raise DomainError("mean must be finite")
        _check_positive("std", s), _check_positive("std_q", r)
        return np.log(r / s) + (s**2 + (m - n) ** 2) / (2 * r**2) - 0.5

    def score(x, t):
        t, x = np.asarray(t, dtype=np.float64), np.asarray(x, dtype=np.float64)
        m, s = t[..., 0], t[..., 1]
        if not (np.isfinite(m).all() and np.isfinite(x).all()):
            raise DomainError("mean and x must be finite")
        _check_positive("std", s)
        z = (x - m) / s
        return np.stack([z / s, (z**2 - 1) / s], -1)

    def ad(xp, sp_):
        return dict(A=lambda e: -e[0] ** 2 / (4 * e[1]) - 0.5 * xp.log(-2 * e[1]),
                    eta=lambda t: xp.stack([t[0] / t[1] ** 2, -0.5 / t[1] ** 2]),
                    T=lambda x: xp.stack([x, x**2]))

    return Case("normal", "normal", "mean_std", {}, (draw, lambda rng, t: rng.normal(
        t[..., 0], t[..., 1])), dict(fisher=fisher, kl=kl, score=score), ad)


def _von_mises():
    def draw(rng, n):
        return np.stack([rng.uniform(-3, 3, n), rng.uniform(0.1, 50.0, n)], -1)

    def _ratio(k):
        return sc.i1e(k) / sc.i0e(k)

    def _check(m, k):
        if not (np.isfinite(m).all() and (np.abs(m) <= np.pi).all()):
            raise DomainError("loc must be in [-pi, pi]")
        _check_positive("concentration", k)

    def fisher(t):
        t = np.asarray(t, dtype=np.float64)
        m, k = t[..., 0], t[..., 1]
        _check(m, k)
        r = _ratio(k)
        F = np.zeros(t.shape[:-1] + (2, 2))
        F[..., 0, 0] = k * r
        F[..., 1, 1] = 1 - r / k - r**2
        return F

    def kl(p, q):
        p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
        m, k, n, c = p[..., 0], p[..., 1], q[..., 0], q[..., 1]
        _check(m, k), _check(n, c)
        log_i0 = lambda z: np.log(sc.i0e(z)) + z  # noqa: E731
        return log_i0(c) - log_i0(k) + _ratio(k) * (k - c * np.cos(m - n))

    def score(x, t):
        t, x = np.asarray(t, dtype=np.float64), np.asarray(x, dtype=np.float64)
        m, k = t[..., 0], t[..., 1]
        _check(m, k)
        if not (np.abs(x) <= np.pi).all():
            raise DomainError("x must be in [-pi, pi]")
        return np.stack([k * np.sin(x - m), np.cos(x - m) - _ratio(k)], -1)

    def ad(xp, sp_):
        def A(e):
            r = xp.sqrt(e[0] ** 2 + e[1] ** 2)
            return xp.log(sp_.i0e(r)) + r if hasattr(sp_, "i0e") else xp.log(sp_.i0(r))
        return dict(A=A, eta=lambda t: xp.stack([t[1] * xp.cos(t[0]), t[1] * xp.sin(t[0])]),
                    T=lambda x: xp.stack([xp.cos(x), xp.sin(x)]))

    return Case("von_mises", "von_mises", "loc_concentration", {},
                (draw, lambda rng, t: rng.vonmises(t[..., 0], t[..., 1])),
                dict(fisher=fisher, kl=kl, score=score), ad)


def _categorical(k=10):
    def draw(rng, n):
        p = rng.dirichlet(np.full(k, 5.0), n)
        return p[:, :-1]

    def _check(p):
        if not (np.isfinite(p).all() and (p > 0).all() and (p.sum(-1) < 1).all()):
            raise DomainError("probs must be positive with sum < 1")

    def fisher(t):
        t = np.asarray(t, dtype=np.float64)
        _check(t)
        last = 1.0 - t.sum(-1)
        F = np.broadcast_to((1.0 / last)[..., None, None], t.shape[:-1] + (k - 1, k - 1)).copy()
        i = np.arange(k - 1)
        F[..., i, i] += 1.0 / t
        return F

    def kl(p, q):
        p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
        _check(p), _check(q)
        pl, ql = 1.0 - p.sum(-1), 1.0 - q.sum(-1)
        return (p * np.log(p / q)).sum(-1) + pl * np.log(pl / ql)

    def score(x, t):
        t, x = np.asarray(t, dtype=np.float64), np.asarray(x, dtype=np.float64)
        _check(t)
        if not (((x == 0) | (x == 1)).all() and (x.sum(-1) == 1).all()):
            raise DomainError("x must be one-hot")
        last = 1.0 - t.sum(-1)
        return x[..., :-1] / t - (x[..., -1] / last)[..., None]

    def ad(xp, sp_):
        def A(e):
            m = xp.max(e)
            return m + xp.log(xp.exp(-m) + xp.sum(xp.exp(e - m)))
        return dict(A=A, eta=lambda t: xp.log(t / (1 - xp.sum(t))),
                    T=lambda x: x[:-1])

    def sample(rng, t):
        last = 1 - t.sum(-1, keepdims=True)
        probs = np.concatenate([t, last], -1)
        cls = (rng.random(t.shape[:-1])[..., None] > np.cumsum(probs, -1)).sum(-1)
        return np.eye(k)[np.minimum(cls, k - 1)]

    return Case("categorical(k=10)", "categorical", "probs", {"k": k}, (draw, sample),
                dict(fisher=fisher, kl=kl, score=score), ad)


CASES = [_gamma, _beta, _dirichlet, _normal, _von_mises, _categorical]


# -- autograd and JAX baselines ---------------------------------------------------------------


def _ad_functions(case, backend):
    """fisher(θ), kl(θp, θq), score(x, θ) for ONE point, by automatic differentiation."""
    if backend == "autograd":
        import autograd
        import autograd.numpy as xp
        import autograd.scipy.special as sp_
        jac, hess, grad = autograd.jacobian, autograd.hessian, autograd.grad
    else:
        import jax
        import jax.numpy as xp
        import jax.scipy.special as sp_
        jac, hess, grad = jax.jacfwd, jax.hessian, jax.grad
    f = case.ad(xp, sp_)
    A, eta, T = f["A"], f["eta"], f["T"]
    HA, gA, J = hess(A), grad(A), jac(eta)

    def fisher(t):
        Jt = J(t)
        return Jt.T @ HA(eta(t)) @ Jt

    def kl(p, q):
        ep, eq = eta(p), eta(q)
        return A(eq) - A(ep) - xp.dot(gA(ep), eq - ep)

    def score(x, t):
        return J(t).T @ (T(x) - gA(eta(t)))

    return dict(fisher=fisher, kl=kl, score=score)


def _jax_batched(case):
    import jax

    single = _ad_functions(case, "jax")
    return {"fisher": jax.jit(jax.vmap(single["fisher"])),
            "kl": jax.jit(jax.vmap(single["kl"])),
            "score": jax.jit(jax.vmap(single["score"]))}


# -- the run ----------------------------------------------------------------------------------


def _args(case, quantity, theta, theta_q, x):
    return (theta, theta_q) if quantity == "kl" else ((theta,) if quantity == "fisher"
                                                      else (x, theta))


def run(batches, budget, ad_points, jax_ok, compile_missing=False):
    rows = []
    for make in CASES:
        case = make()
        try:
            spec = fl.family(case.family, **case.dims).spec
        except KeyError:  # UnknownFamilyError is a KeyError
            rows.append(dict(case=case.label, status="not in the catalog"))
            print(f"{case.label:>18}: not in the catalog yet", flush=True)
            continue
        # a module per key, or one dimension-generic module per family (categorical, dirichlet)
        shipped = any(importlib.util.find_spec(f"fisherlab.kernels.{name}") is not None
                      for name in {spec.key, spec.name})
        if not shipped and not compile_missing:
            status = (f"no generated module fisherlab/kernels/{spec.key}.py or {spec.name}.py; "
                      "--compile-missing compiles it in memory first")
            rows.append(dict(case=case.label, status=status))
            print(f"{case.label:>18}: {status}", flush=True)
            continue
        kern = fl.kernels(case.family, case.param, **case.dims)
        fast = kern.unchecked()
        autograd_f = _ad_functions(case, "autograd")
        jax_f = _jax_batched(case) if jax_ok else None
        rng = np.random.default_rng(0)
        for n in batches:
            theta, theta_q = case.draw[0](rng, n), case.draw[0](rng, n)
            x = case.draw[1](rng, theta)
            for q in QUANTITIES:
                args = _args(case, q, theta, theta_q, x)
                row = dict(case=case.label, family=case.family, param=case.param, quantity=q,
                           batch=n, status="ok")
                ours = getattr(kern, q)(*args)
                hand = case.hand[q](*args)
                # Same numbers as the hand-written formula (largest difference over the largest
                # entry): the timings compare equal work.
                row["max_rel_diff_vs_numpy"] = float(np.max(np.abs(ours - hand))
                                                     / np.max(np.abs(hand)))
                row["fisherlab"] = median_time(lambda: getattr(kern, q)(*args), n, budget)
                row["fisherlab_unchecked"] = median_time(lambda: getattr(fast, q)(*args), n,
                                                         budget)
                row["numpy"] = median_time(lambda: case.hand[q](*args), n, budget)
                # autograd: per point on a sample, extrapolated to the batch.
                k = min(n, ad_points)
                fn = autograd_f[q]
                pts = [tuple(a[i] for a in args) for i in range(k)]
                t0 = CLOCK()
                for p in pts:
                    fn(*p)
                row["autograd"] = (CLOCK() - t0) / k * n
                if jax_f is not None:
                    import jax.numpy as jnp

                    jargs = [jnp.asarray(a) for a in args]
                    row["jax"] = median_time(
                        lambda: jax_f[q](*jargs).block_until_ready(), n, budget)
                rows.append(row)
                print(_format_row(row), flush=True)
    return rows


def _format_row(r) -> str:
    def ms(v):
        return f"{v * 1e3:10.4f}" if v is not None else f"{'—':>10}"

    jx = r.get("jax")
    ratios = (
        f"{r['fisherlab'] / r['numpy']:7.2f} {r['fisherlab'] / jx if jx else float('nan'):7.2f} "
        f"{r['autograd'] / r['fisherlab']:9.0f}"
    )
    return (f"{r['case']:>18} {r['quantity']:>6} {r['batch']:>8} {ms(r['fisherlab'])} "
            f"{ms(r['fisherlab_unchecked'])} {ms(r['numpy'])} {ms(jx)} {ms(r['autograd'])}  "
            + ratios)


HEADER = (f"{'case':>18} {'qty':>6} {'batch':>8} {'fl ms':>10} {'fl-unchk':>10} {'numpy ms':>10} "
          f"{'jax ms':>10} {'autograd':>10}  {'fl/np':>7} {'fl/jax':>7} {'ag/fl':>9}")


def markdown(rows, imp, acc=()) -> str:
    """The results as a Markdown table (times in ms, ratios as in the printed table)."""
    lines = ["| case | quantity | batch | fisherlab ms | unchecked ms | numpy ms | jax ms | "
             "autograd ms (extrapolated) | fl/numpy | fl/jax | autograd/fl |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        if r.get("status") != "ok":
            lines.append(f"| {r['case']} | — | — | {r['status']} | | | | | | | |")
            continue
        jx = r.get("jax")
        lines.append(
            f"| {r['case']} | {r['quantity']} | {r['batch']:,} | {r['fisherlab'] * 1e3:.4g} | "
            f"{r['fisherlab_unchecked'] * 1e3:.4g} | {r['numpy'] * 1e3:.4g} | "
            f"{jx * 1e3 if jx else float('nan'):.4g} | {r['autograd'] * 1e3:.4g} | "
            f"{r['fisherlab'] / r['numpy']:.2f} | "
            f"{r['fisherlab'] / jx if jx else float('nan'):.2f} | "
            f"{r['autograd'] / r['fisherlab']:.0f} |")
    lines.append("")
    lines.append(f"Import: `import fisherlab` + `fl.kernels('gamma', 'shape_rate')` "
                 f"{imp['fisherlab_import_and_kernel_s'] * 1e3:.1f} ms vs `import numpy, "
                 f"scipy.special` {imp['numpy_scipy_special_import_s'] * 1e3:.1f} ms "
                 f"(ratio {imp['ratio']:.2f}).")
    if acc:
        lines += [
            "",
            "KL at θq = θp(1 + ε): largest relative error against the same textbook "
            "formula in 40-digit mpmath.",
            "",
            "| case | ε | points | fisherlab | hand-written numpy |",
            "|---|---:|---:|---:|---:|",
        ]
        lines += [f"| {a['case']} | {a['eps']:.0e} | {a['points']} | {a['fisherlab']:.1e} | "
                  f"{a['numpy']:.1e} |" for a in acc]
    return "\n".join(lines) + "\n"


# -- accuracy of the KL near coincidence ------------------------------------------------------
#
# Why fisherlab's KL costs more than the hand-written formula: the closed form cancels when the
# two distributions are close (KL ~ ε² next to terms of order 1). The references below are the
# same textbook formulas evaluated in mpmath at 40 digits from the float64 inputs, independent of
# fisherlab's derivation.


def _mp_kl(label, p, q):
    import mpmath as mp

    p, q = [mp.mpf(float(v)) for v in p], [mp.mpf(float(v)) for v in q]
    if label == "gamma":
        (a, b), (c, d) = p, q
        return ((a - c) * mp.digamma(a) - mp.loggamma(a) + mp.loggamma(c)
                + c * (mp.log(b) - mp.log(d)) + a * (d - b) / b)
    if label == "beta":
        (a, b), (c, d) = p, q
        lb = lambda x, y: mp.loggamma(x) + mp.loggamma(y) - mp.loggamma(x + y)  # noqa: E731
        return (lb(c, d) - lb(a, b) + (a - c) * mp.digamma(a) + (b - d) * mp.digamma(b)
                + (c - a + d - b) * mp.digamma(a + b))
    if label.startswith("dirichlet"):
        a0, b0 = mp.fsum(p), mp.fsum(q)
        return (mp.loggamma(a0) - mp.fsum(mp.loggamma(a) for a in p) - mp.loggamma(b0)
                + mp.fsum(mp.loggamma(b) for b in q)
                + mp.fsum((a - b) * (mp.digamma(a) - mp.digamma(a0)) for a, b in zip(p, q)))
    if label == "normal":
        (m, s), (n, r) = p, q
        return mp.log(r / s) + (s**2 + (m - n) ** 2) / (2 * r**2) - mp.mpf(1) / 2
    if label == "von_mises":
        (m, k), (n, c) = p, q
        ratio = mp.besseli(1, k) / mp.besseli(0, k)
        return mp.log(mp.besseli(0, c)) - mp.log(mp.besseli(0, k)) + ratio * (k - c * mp.cos(m - n))
    # categorical: the free probabilities and the last one
    p, q = p + [1 - mp.fsum(p)], q + [1 - mp.fsum(q)]
    return mp.fsum(a * mp.log(a / b) for a, b in zip(p, q))


def kl_accuracy(points: int = 20, eps=(1e-3, 1e-6)) -> list[dict]:
    """Max relative error of fisherlab's and the hand-written KL at θq = θp(1 + ε), per case."""
    import mpmath as mp

    out = []
    for make in CASES:
        case = make()
        kern = fl.kernels(case.family, case.param, **case.dims)
        rng = np.random.default_rng(1)
        for e in eps:
            theta = case.draw[0](rng, points)
            theta_q = theta * (1 + e)
            if case.family == "categorical":  # scaled probabilities must leave room for the last
                keep = theta_q.sum(-1) < 1
                theta, theta_q = theta[keep], theta_q[keep]
            with mp.workdps(40):
                exact = np.array([float(_mp_kl(case.label, a, b)) for a, b in zip(theta, theta_q)])
            err = lambda got: float(np.max(np.abs(got - exact) / np.abs(exact)))  # noqa: E731
            out.append(dict(case=case.label, eps=e, points=len(theta),
                            fisherlab=err(kern.kl(theta, theta_q)),
                            numpy=err(case.hand["kl"](theta, theta_q))))
    return out


def import_times(repeats: int = 7) -> dict:
    """Median seconds of `import fisherlab` + one kernel vs `import numpy, scipy.special`, each in
    a fresh interpreter (timed inside it, so interpreter start-up is excluded from both)."""
    ours = ("import time; t = time.perf_counter(); import fisherlab; "
            "fisherlab.kernels('gamma', 'shape_rate'); print(time.perf_counter() - t)")
    base = ("import time; t = time.perf_counter(); import numpy, scipy.special; "
            "print(time.perf_counter() - t)")

    def once(code):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd=ROOT)
        return float(out.stdout.strip())

    a = [once(ours) for _ in range(repeats)]
    b = [once(base) for _ in range(repeats)]
    return {"fisherlab_import_and_kernel_s": statistics.median(a),
            "numpy_scipy_special_import_s": statistics.median(b),
            "ratio": statistics.median(a) / statistics.median(b)}


def machine() -> dict:
    info = {"python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform()}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
            if line.startswith("CPU(s):"):
                info["cpus"] = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return info


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", default=str(ROOT / "docs" / "bench_kernels.json"))
    ap.add_argument("--quick", action="store_true", help="batches 1 and 1e3 only, short budget")
    ap.add_argument("--ad-points", type=int, default=30,
                    help="points autograd is timed on (extrapolated to the batch)")
    ap.add_argument("--compile-missing", action="store_true",
                    help="compile families without a generated module in memory (slow)")
    ap.add_argument("--only", default="", help="comma-separated case labels to run")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time by the process's CPU time instead of wall time (a shared machine)")
    args = ap.parse_args(argv)
    global CLOCK
    CLOCK = time.process_time if args.cpu_time else time.perf_counter
    if args.only:
        wanted = set(args.only.split(","))
        CASES[:] = [c for c in CASES if c().family in wanted]
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
        jax_ok = True
        jax_version = jax.__version__
    except ImportError:
        jax_ok, jax_version = False, None
        print("jax not installed: the jax column is empty (pip install 'fisherlab[bench]')")
    # The machine may be shared: its load average goes into the record with the timings.
    load_start = os.getloadavg()
    batches = BATCHES[:2] if args.quick else BATCHES
    budget = 0.3 if args.quick else 1.5
    info = machine()
    print(f"machine: {info.get('cpu', '?')}, {info.get('cpus', '?')} CPUs; "
          f"numpy {np.__version__}; jax {jax_version}")
    print("times are medians per call; ratios: fl/np and fl/jax = fisherlab time over baseline "
          "(< 1: fisherlab faster); ag/fl = autograd time over fisherlab time")
    print(HEADER)
    rows = run(batches, budget, args.ad_points, jax_ok, args.compile_missing)
    acc = kl_accuracy()
    print("\nKL at θq = θp(1 + ε), max relative error over the points against 40-digit mpmath:")
    for a in acc:
        print(f"{a['case']:>18}  ε = {a['eps']:.0e}: fisherlab {a['fisherlab']:.1e}, "
              f"numpy {a['numpy']:.1e}")
    imp = import_times()
    print(f"\nimport fisherlab + fl.kernels('gamma', 'shape_rate'): "
          f"{imp['fisherlab_import_and_kernel_s'] * 1e3:.1f} ms; import numpy, scipy.special: "
          f"{imp['numpy_scipy_special_import_s'] * 1e3:.1f} ms; ratio {imp['ratio']:.2f}")
    load = {"load_average_start": load_start, "load_average_end": os.getloadavg()}
    print(f"load average (1, 5, 15 min) {load_start} -> {load['load_average_end']}")
    Path(args.json).write_text(json.dumps(
        {"machine": info, "jax": jax_version, "rows": rows, "import": imp,
         "kl_accuracy": acc, **load, "clock": CLOCK.__name__,
         "command": "python scripts/bench_kernels.py" + (" --cpu-time" if args.cpu_time else "")
         + (f" --ad-points {args.ad_points}" if args.ad_points != 30 else "")}, indent=1))
    md = Path(args.json).with_suffix(".md")
    md.write_text(markdown(rows, imp, acc) + f"\nTimes by time.{CLOCK.__name__}. "
                  "Load average (1, 5, 15 min) at the start "
                  f"{tuple(round(v, 2) for v in load_start)}, at the end "
                  f"{tuple(round(v, 2) for v in load['load_average_end'])} "
                  f"({info.get('cpus', '?')} CPUs).\n")
    print(f"wrote {args.json} and {md}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
