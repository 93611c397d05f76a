"""The simplex families for every k against textbook formulas in 50-digit mpmath.

Categorical (natural and probs), multinomial (natural, n = 7) and Dirichlet (alpha) at
k ∈ {2, 3, 10, 100, 1000}: log-density, A, mean, score, Hessian, Fisher, KL, entropy and the
natural gradient, each from its textbook formula (written here, independently of the derivation
in fisherlab.symbolic.indexed) and compared normwise at a relative 1e-12. At k = 1000 the dense
matrices (a million mpmath entries) are replaced by the Fisher–vector product and a sample of
entries; the multinomial's entropy (a sum over its support) is checked up to k = 10.
FISHERLAB_EXHAUSTIVE=1 checks more points per k.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import fisherlab as fl
from tests.conftest import EXHAUSTIVE

TOL = 1e-12
KS = [2, 3, 10, 100, 1000]
POINTS = 4 if EXHAUSTIVE else 1
N_TRIALS = 7


def _rel(got, want):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    scale = np.max(np.abs(want)) if want.size else 0.0
    return float(np.max(np.abs(got - want)) / max(scale, np.finfo(float).tiny))


def _v(xs):
    return [mp.mpf(float(x)) for x in xs]


# -- textbook formulas -----------------------------------------------------------------------


def cat_probs_from_logits(eta):
    z = 1 + mp.fsum(mp.exp(e) for e in eta)
    return [mp.exp(e) / z for e in eta] + [1 / z], mp.log(z)


def cat_kl(p, q):
    return mp.fsum(a * (mp.log(a) - mp.log(b)) for a, b in zip(p, q))


def cat_fisher_inverse_times(p, g):
    # (diag(p) − ppᵀ)⁻¹ g over the first m classes: g_i / p_i + (Σ g) / p_k (Sherman–Morrison,
    # the textbook inverse of a multinomial covariance)
    s = mp.fsum(g)
    return [gi / pi + s / p[-1] for gi, pi in zip(g, p[:-1])]


def dirichlet_entropy(a):
    a0 = mp.fsum(a)
    logB = mp.fsum(mp.loggamma(v) for v in a) - mp.loggamma(a0)
    return logB + (a0 - len(a)) * mp.psi(0, a0) - mp.fsum((v - 1) * mp.psi(0, v) for v in a)


# -- the points -------------------------------------------------------------------------------


def _points(k, seed):
    rng = np.random.default_rng([seed, k])
    return [rng.normal(0.0, 2.0, k - 1) for _ in range(POINTS)], rng


def _dense_ok(k):
    return k <= 100


def _check_matrix(got, want_entry, k_m, rng, label, failures):
    """got (m, m) against want_entry(i, j): every entry up to m = 99, a sample beyond."""
    if k_m <= 99:
        want = [[want_entry(i, j) for j in range(k_m)] for i in range(k_m)]
    else:
        idx = list(rng.integers(0, k_m, (40, 2))) + [(i, i) for i in rng.integers(0, k_m, 20)]
        got = [got[i, j] for i, j in idx]
        want = [want_entry(int(i), int(j)) for i, j in idx]
        # the scale of the whole matrix: its largest entry is on the diagonal
        want.append(max(abs(want_entry(i, i)) for i in range(k_m)))
        got.append(want[-1])
    err = _rel(np.ravel(got), [float(w) for w in np.ravel(want)])
    if not err <= TOL:
        failures.append(f"{label}: {err:.3g}")


@pytest.mark.parametrize("k", KS)
def test_categorical_natural_and_probs(k):
    failures = []
    m = k - 1
    points, rng = _points(k, 1)
    for eta in points:
        with mp.workdps(50):
            p, A = cat_probs_from_logits(_v(eta))
            eta_q = rng.normal(0.0, 2.0, m)
            q, _ = cat_probs_from_logits(_v(eta_q))
            c = int(rng.integers(0, k))
            x = np.eye(k)[c]
            g = rng.normal(size=m)
            png = mp.fsum(p[j] * mp.mpf(g[j]) for j in range(m))
            want = {
                "log_partition": A, "mean": p[:m], "log_density": mp.log(p[c]),
                "score": [(1 if i == c else 0) - p[i] for i in range(m)],
                "kl": cat_kl(p, q), "entropy": -mp.fsum(v * mp.log(v) for v in p),
                "natural_gradient": cat_fisher_inverse_times(p, _v(g)),
                "fisher_vp": [p[i] * mp.mpf(g[i]) - p[i] * png for i in range(m)],
            }
            def fisher_entry(i, j, p=p):
                return p[i] * ((1 if i == j else 0) - p[j])
            # probs: θ = p[:m]; F = diag(1/p) + 1/p_k; score x_i/p_i − x_k/p_k
            theta = np.array([float(v) for v in p[:m]])
            # re-derive the probabilities from the rounded θ for the probs checks
            pp = _v(theta) + [1 - mp.fsum(_v(theta))]
            pg = mp.fsum(pp[j] * mp.mpf(g[j]) for j in range(m))
            want_p = {
                "log_partition": -mp.log(pp[-1]), "mean": pp[:m],
                "log_density": mp.log(pp[c]),
                "score": [(1 if i == c else 0) / pp[i] - (1 if c == m else 0) / pp[-1]
                          for i in range(m)],
                "entropy": -mp.fsum(v * mp.log(v) for v in pp),
                # the inverse of diag(1/p) + 11ᵀ/p_k is the covariance diag(p) − ppᵀ
                "natural_gradient": [pp[i] * mp.mpf(g[i]) - pp[i] * pg for i in range(m)],
            }
            def fisher_entry_p(i, j, pp=pp):
                return (1 / pp[i] if i == j else 0) + 1 / pp[-1]
            def hessian_entry_p(i, j, pp=pp, c=c):
                return -((1 if i == j and i == c else 0) / pp[i] ** 2) - (
                    1 if c == m else 0) / pp[-1] ** 2
        kn = fl.kernels("categorical", "natural", k=k)
        kp = fl.kernels("categorical", "probs", k=k)
        got = {"log_partition": kn.log_partition(eta), "mean": kn.mean(eta),
               "log_density": kn.log_density(x, eta), "score": kn.score(x, eta),
               "kl": kn.kl(eta, eta_q), "entropy": kn.entropy(eta),
               "natural_gradient": kn.natural_gradient(eta, g), "fisher_vp": kn.fisher_vp(eta, g)}
        for key, w in want.items():
            err = _rel(got[key], [float(v) for v in np.ravel(w)] if isinstance(w, list)
                       else float(w))
            if not err <= TOL:
                failures.append(f"natural k={k} {key}: {err:.3g}")
        _check_matrix(kn.fisher(eta), fisher_entry, m, rng, f"natural k={k} fisher", failures)
        _check_matrix(-kn.hessian(x, eta), fisher_entry, m, rng, f"natural k={k} hessian",
                      failures)
        gotp = {"log_partition": kp.log_partition(theta), "mean": kp.mean(theta),
                "log_density": kp.log_density(x, theta), "score": kp.score(x, theta),
                "entropy": kp.entropy(theta), "natural_gradient": kp.natural_gradient(theta, g)}
        for key, w in want_p.items():
            err = _rel(gotp[key], [float(v) for v in np.ravel(w)] if isinstance(w, list)
                       else float(w))
            if not err <= TOL:
                failures.append(f"probs k={k} {key}: {err:.3g}")
        _check_matrix(kp.fisher(theta), fisher_entry_p, m, rng, f"probs k={k} fisher", failures)
        _check_matrix(kp.hessian(x, theta), hessian_entry_p, m, rng, f"probs k={k} hessian",
                      failures)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("k", KS)
def test_multinomial_natural(k):
    failures = []
    m, n = k - 1, N_TRIALS
    points, rng = _points(k, 2)
    for eta in points:
        counts = rng.multinomial(n, np.full(k, 1.0 / k)).astype(float)
        eta_q = rng.normal(0.0, 2.0, m)
        g = rng.normal(size=m)
        with mp.workdps(50):
            p, A = cat_probs_from_logits(_v(eta))
            q, _ = cat_probs_from_logits(_v(eta_q))
            want = {
                "log_partition": n * A, "mean": [n * v for v in p[:m]],
                "log_density": mp.log(mp.factorial(n)) - mp.fsum(
                    mp.log(mp.factorial(int(c))) for c in counts) + mp.fsum(
                    int(c) * mp.log(v) for c, v in zip(counts, p)),
                "score": [mp.mpf(counts[i]) - n * p[i] for i in range(m)],
                "kl": n * cat_kl(p, q),
                "natural_gradient": [v / n for v in cat_fisher_inverse_times(p, _v(g))],
            }
            def fisher_entry(i, j, p=p):
                return n * p[i] * ((1 if i == j else 0) - p[j])
        kn = fl.kernels("multinomial", "natural", k=k, n=n)
        got = {"log_partition": kn.log_partition(eta), "mean": kn.mean(eta),
               "log_density": kn.log_density(counts, eta), "score": kn.score(counts, eta),
               "kl": kn.kl(eta, eta_q), "natural_gradient": kn.natural_gradient(eta, g)}
        for key, w in want.items():
            err = _rel(got[key], [float(v) for v in np.ravel(w)] if isinstance(w, list)
                       else float(w))
            if not err <= TOL:
                failures.append(f"multinomial k={k} {key}: {err:.3g}")
        _check_matrix(kn.fisher(eta), fisher_entry, m, rng, f"k={k} fisher", failures)
        _check_matrix(-kn.hessian(counts, eta), fisher_entry, m, rng, f"k={k} hessian",
                      failures)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("k", KS)
def test_dirichlet_alpha(k):
    failures = []
    rng = np.random.default_rng([3, k])
    for _ in range(POINTS):
        alpha = np.exp(rng.uniform(np.log(0.05), np.log(50.0), k))
        beta = np.exp(rng.uniform(np.log(0.05), np.log(50.0), k))
        x = rng.dirichlet(np.full(k, 2.0))
        g = rng.normal(size=k)
        with mp.workdps(50):
            a, b, xs = _v(alpha), _v(beta), _v(x)
            a0 = mp.fsum(a)
            mean = [mp.psi(0, v) - mp.psi(0, a0) for v in a]
            t1 = mp.psi(1, a0)
            want = {
                "log_partition": mp.fsum(mp.loggamma(v) for v in a) - mp.loggamma(a0),
                "mean": mean,
                "log_density": mp.loggamma(a0) - mp.fsum(mp.loggamma(v) for v in a) + mp.fsum(
                    (v - 1) * mp.log(xi) for v, xi in zip(a, xs)),
                "score": [mp.log(xi) - mu for xi, mu in zip(xs, mean)],
                "kl": (mp.loggamma(a0) - mp.fsum(mp.loggamma(v) for v in a)
                       - mp.loggamma(mp.fsum(b)) + mp.fsum(mp.loggamma(v) for v in b)
                       + mp.fsum((u - v) * mu for u, v, mu in zip(a, b, mean))),
                "entropy": dirichlet_entropy(a),
                # (diag(ψ′(α)) − ψ′(α0) 11ᵀ)⁻¹ g by Sherman–Morrison:
                # D⁻¹g + D⁻¹1 (ψ′(α0) 1ᵀD⁻¹g) / (1 − ψ′(α0) 1ᵀD⁻¹1)
                "natural_gradient": None,
            }
            dinv = [1 / mp.psi(1, v) for v in a]
            s1 = mp.fsum(di * mp.mpf(gi) for di, gi in zip(dinv, g))
            s2 = mp.fsum(dinv)
            want["natural_gradient"] = [di * mp.mpf(gi) + di * t1 * s1 / (1 - t1 * s2)
                                        for di, gi in zip(dinv, g)]
            def fisher_entry(i, j, a=a, t1=t1):
                return (mp.psi(1, a[i]) if i == j else 0) - t1
        kd = fl.kernels("dirichlet", "alpha", k=k)
        got = {"log_partition": kd.log_partition(alpha), "mean": kd.mean(alpha),
               "log_density": kd.log_density(x, alpha), "score": kd.score(x, alpha),
               "kl": kd.kl(alpha, beta), "entropy": kd.entropy(alpha),
               "natural_gradient": kd.natural_gradient(alpha, g)}
        for key, w in want.items():
            err = _rel(got[key], [float(v) for v in np.ravel(w)] if isinstance(w, list)
                       else float(w))
            # the natural gradient solves a system of condition number up to ~1e4 at these α
            tol = 1e-9 if key == "natural_gradient" else TOL
            if not err <= tol:
                failures.append(f"dirichlet k={k} {key}: {err:.3g}")
        _check_matrix(kd.fisher(alpha), fisher_entry, k, rng, f"k={k} fisher", failures)
        _check_matrix(-kd.hessian(x, alpha), fisher_entry, k, rng, f"k={k} hessian", failures)
    assert not failures, "\n".join(failures)
