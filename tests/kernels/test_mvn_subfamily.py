"""The multivariate normal's subfamilies (fisherlab/kernels/_mvn_subfamily.py): the full family's
matrix-form kernels restricted by an affine embedding.

- against the element-wise derivation of each subfamily's own declaration, compiled in memory
  (symbolic/derive.py and compile/codegen.py, a route that shares nothing with the matrix form
  but the numpy it prints): d = 1, and d = 2 under FISHERLAB_EXHAUSTIVE=1 (the element-wise
  derivations take 20-60 s each on a loaded machine);
- the valid range: |μ| up to 1e3 and variance ratios (condition numbers of Σ) up to 1e8,
  against 50-digit textbook formulas;
- fl.verify at d = 1 and 5 (restricted identities at d = 5, as for the full family; d = 2 is
  the default dimension, verified with the catalog in tests/verify/test_identities.py);
- sympy stays out of a fresh process that asks for d = 50.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

import fisherlab as fl
from fisherlab.families import load
from fisherlab.kernels import Kernels
from tests.conftest import EXHAUSTIVE
from tests.families.test_multivariate_normal_variants_textbook import (
    VARIANTS,
    _kl,
    _log_density,
    _mean,
    _mu_sigma,
    _rel,
)

ROOT = Path(__file__).resolve().parents[2]
DIMS = (1, 2) if EXHAUSTIVE else (1,)


@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("name", list(VARIANTS))
def test_against_the_elementwise_derivation(name, d):
    from fisherlab.compile.codegen import compile_family

    spec = load(name, d=d)
    ns = compile_family(spec)
    rng = np.random.default_rng(d)
    for param in VARIANTS[name]:
        ref = Kernels(spec, param, ns)
        k = fl.kernels(name, param, d=d)
        pz = spec.parametrization(param)
        th, tq = (np.array([[rng.uniform(*p.test_range) for p in pz.params] for _ in range(3)])
                  for _ in range(2))
        x = rng.normal(size=(3, d))
        for q, args in (("to_natural", (th,)), ("log_partition", (th,)), ("mean", (th,)),
                        ("jacobian", (th,)), ("log_density", (x, th)), ("score", (x, th)),
                        ("hessian", (x, th)), ("fisher", (th,)), ("natural_fisher", (th,)),
                        ("skewness", (th,)), ("kl", (th, tq)), ("entropy", (th,))):
            got, want = getattr(k, q)(*args), getattr(ref, q)(*args)
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-12 * np.abs(want).max(),
                                       err_msg=f"{name} {param} {q}")
        eta = ref.to_natural(th)
        np.testing.assert_allclose(k.from_natural(eta), th, rtol=1e-12, atol=1e-14)
        if spec.fisher_rao is not None:  # the declared closed form, printed by the codegen
            np.testing.assert_allclose(k.fisher_rao_distance(th, tq),
                                       ref.fisher_rao_distance(th, tq), rtol=1e-12)


# -- the valid range ---------------------------------------------------------------------------


def _wide_point(name, d, seed):
    """A mean_var / cov point with |μ_i| up to 1e3 and variances spread over 1e8."""
    rng = np.random.default_rng(seed)
    mu = rng.uniform(-1, 1, d) * 1e3
    var = np.geomspace(1.0, 1e-8, d) if d > 1 else np.array([1e-4])
    if name == "multivariate_normal_diagonal":
        return np.r_[mu, rng.permutation(var)]
    if name == "multivariate_normal_isotropic":
        return np.r_[mu, 1e-4]
    if name == "multivariate_normal_unit_variance":
        return mu
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    S = (Q * var) @ Q.T
    return 0.5 * (S + S.T)[np.tril_indices(d)]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_wide_range(name):
    """|μ| up to 1e3 and κ(Σ) = 1e8 at d = 4 in every parametrization. Tolerance: 10 κ(Σ) ε
    for the zero-mean family (the forward error of a solve with Σ), and for the others, whose
    Σ is diagonal and solved exactly, 1e-12 relative; in natural coordinates μ = h/λ is itself
    rounded, so r = x − μ carries an absolute error of ε|μ| and the bound is scaled by |μ|/σ.
    Neither is fitted to the measured errors."""
    d = 4
    fam = fl.family(name, d=d)
    home = fam.parametrizations[1]
    t0 = _wide_point(name, d, 3)
    q0 = _wide_point(name, d, 4)
    eps = np.finfo(float).eps
    for param in fam.parametrizations:
        k = fam.kernels(param)
        th, tq = fam.convert(t0, home, param), fam.convert(q0, home, param)
        with mp.workdps(50):
            t = [mp.mpf(float(v)) for v in th]
            mu, S = _mu_sigma(name, param, d, t)
            x = np.array([float(mu[i]) for i in range(d)]) + np.sqrt(
                [float(S[i, i]) for i in range(d)])
            tol = 10 * 1e8 * eps if name == "multivariate_normal_centered" else 1e-12
            if param == "natural" and name != "multivariate_normal_centered":
                tol = max(tol, 10 * eps * 1e3 / np.sqrt(1e-8))
            assert _rel([k.log_density(x, th)],
                        [_log_density(name, param, d, [mp.mpf(float(v)) for v in x], t)]) < tol
            assert _rel([k.kl(th, tq)],
                        [_kl(name, param, d, t, [mp.mpf(float(v)) for v in tq])]) < tol
            assert _rel([k.entropy(th)], [mp.log(mp.det(2 * mp.pi * mp.e * S)) / 2]) < tol
            assert _rel(k.mean(th), _mean(name, param, d, t)) < tol


# -- fl.verify, fresh process ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(VARIANTS))
def test_verify_d1(name):
    """Every identity at d = 1 (d = 2, the default, runs in tests/verify/test_identities.py)."""
    report = fl.verify(name, d=1, n_points=1)
    assert report.ok, report.table(explain=True)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_verify_d5(name):
    """As the full family's at d = 5: the identities whose oracle is the element-wise
    declaration through autograd run under FISHERLAB_EXHAUSTIVE=1."""
    ids = ["roundtrip", "kl_invariance", "bregman_kl", "local_kl", "scipy"]
    if EXHAUSTIVE:
        ids += ["fisher_monte_carlo", "pullback", "natural_gradient_map"]
    report = fl.verify(name, d=5, identities=ids, n_points=2 if EXHAUSTIVE else 1)
    assert report.ok, report.table(explain=True)


def test_d50_fresh_process_without_sympy():
    code = ("import sys, numpy as np, fisherlab as fl; "
            "names = ['multivariate_normal_diagonal', 'multivariate_normal_isotropic', "
            "'multivariate_normal_unit_variance']; "
            "ks = [fl.kernels(n, 'natural', d=50) for n in names]; "
            "th = [np.r_[np.zeros(50), -0.5 * np.ones(50)], np.r_[np.zeros(50), -0.5], "
            "np.zeros(50)]; "
            "[k.natural_gradient(t, np.ones(len(t))) for k, t in zip(ks, th)]; "
            "c = fl.kernels('multivariate_normal_centered', 'cov', d=50); "
            "c.kl(np.eye(50)[np.tril_indices(50)], 2 * np.eye(50)[np.tril_indices(50)]); "
            "print('sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False"]
