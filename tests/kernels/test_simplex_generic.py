"""The dimension-generic simplex kernels (categorical, multinomial, Dirichlet; one module each).

- against the outputs of the per-k modules they replaced (tests/data/simplex_fixtures.npz);
- the structured derivation against the element-wise one, derived in memory, for k ≤ 4;
- the structure (DiagPlusLowRank) against the dense matrices, and natural gradient / Fisher-vector
  products against numpy on them;
- a fresh interpreter builds the k = 1000 kernels without importing sympy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fisherlab as fl
from fisherlab.structure import DiagPlusLowRank
from tests.conftest import EXHAUSTIVE

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-12


def _quantity(k, quantity, theta, theta_q, x):
    if quantity in ("log_density", "score", "hessian"):
        return getattr(k, quantity)(x, theta)
    if quantity == "kl":
        return k.kl(theta, theta_q)
    if quantity == "fisher_rao":
        return k.fisher_rao_distance(theta, theta_q)
    if quantity == "natural_gradient":
        return k.natural_gradient(theta, theta_q)
    return getattr(k, quantity)(theta)


def _family(tag):
    name, k = tag.rsplit("_k", 1)
    dims = {"k": int(k)}
    if name == "multinomial":
        dims["n"] = 5
    return name, dims


def test_kernels_match_the_replaced_per_k_modules():
    data = np.load(ROOT / "tests" / "data" / "simplex_fixtures.npz")
    failures, seen = [], set()
    for key in data.files:
        tag, param, quantity = key.split("/")
        if quantity in ("theta", "theta_q", "x"):
            continue
        seen.add(tag)
        name, dims = _family(tag)
        k = fl.kernels(name, param, **dims)
        pre = f"{tag}/{param}/"
        got = _quantity(k, quantity, data[pre + "theta"], data[pre + "theta_q"], data[pre + "x"])
        ref = data[key]
        # normwise per point: both are float evaluations of the same exact quantity
        axes = tuple(range(1, ref.ndim))
        scale = np.max(np.abs(ref), axis=axes) if axes else np.abs(ref)
        diff = np.max(np.abs(got - ref), axis=axes) if axes else np.abs(got - ref)
        err = np.max(diff / np.maximum(scale, np.finfo(float).tiny))
        # the natural gradient solves a system of condition number up to ~1e4 here
        tol = 1e-9 if quantity == "natural_gradient" else 2 * TOL
        if not err <= tol:
            failures.append(f"{tag} {param} {quantity}: relative difference {err:.3g}")
    assert len(seen) == 10
    assert not failures, "\n".join(failures)


# -- the element-wise derivation as the reference (k ≤ 4) -------------------------------------

#: (family, dims) compiled element by element in memory: one symbol per parameter. Each takes
#: 10-40 s to derive and compile on a loaded machine: CI checks one k per family.
_LONG = pytest.mark.skipif(not EXHAUSTIVE, reason="exhaustive mode only (slow to compile)")
ELEMENTWISE = [("categorical", {"k": 3}), ("dirichlet", {"k": 3}),
               ("multinomial", {"k": 3, "n": 4}),
               pytest.param("categorical", {"k": 4}, marks=_LONG),
               pytest.param("categorical", {"k": 2}, marks=_LONG),
               pytest.param("dirichlet", {"k": 4}, marks=_LONG)]


def _test_ranges(k):
    """The ends (lo, hi), each (p,), of the test ranges of the parameters of kernels ``k``."""
    params = k.spec.parametrization(k.parametrization).params
    return (np.array([q.test_range[0] for q in params]),
            np.array([q.test_range[1] for q in params]))


def _elementwise_kernels(name, dims, param):
    from fisherlab.compile.codegen import compile_family
    from fisherlab.families import load
    from fisherlab.kernels._runtime import Kernels

    spec = load(name, **dims)
    ns = compile_family(spec.template or spec)
    return Kernels(spec, param, ns)


@pytest.mark.parametrize("name, dims", ELEMENTWISE)
def test_structured_derivation_matches_the_elementwise_one(name, dims):
    fam = fl.family(name, **dims)
    failures = []
    for param in fam.parametrizations:
        new = fam.kernels(param)
        old = _elementwise_kernels(name, dims, param)
        rng = np.random.default_rng([5, dims["k"], len(param)])
        lo, hi = _test_ranges(new)
        theta = lo + (hi - lo) * rng.random((6, len(new.params)))
        theta_q = lo + (hi - lo) * rng.random((6, len(new.params)))
        x = np.concatenate([fam.sample(t, param, size=1, seed=i) for i, t in enumerate(theta)])
        if name == "dirichlet":
            x = rng.dirichlet(np.ones(dims["k"]), 6)
        for q in ("to_natural", "log_partition", "mean", "jacobian", "fisher", "natural_fisher",
                  "entropy", "skewness", "log_density", "score", "hessian", "kl",
                  "natural_gradient", "fisher_rao"):
            if q == "fisher_rao" and fam.spec.fisher_rao is None:
                continue
            a = _quantity(new, q, theta, theta_q, x)
            b = _quantity(old, q, theta, theta_q, x)
            err = np.max(np.abs(a - b)) / max(np.max(np.abs(b)), np.finfo(float).tiny)
            tol = 1e-9 if q == "natural_gradient" else 1e-12
            if not err <= tol:
                failures.append(f"{param} {q}: {err:.3g}")
    assert not failures, "\n".join(failures)


# -- finite differences: the derivatives are derivatives ---------------------------------------


@pytest.mark.parametrize("name, param, dims", [
    ("categorical", "natural", {"k": 6}), ("categorical", "probs", {"k": 6}),
    ("dirichlet", "alpha", {"k": 6}), ("multinomial", "probs", {"k": 5, "n": 3})])
def test_derivatives_against_finite_differences(name, param, dims):
    # Central differences of A, log p and μ (h = 1e-6, error O(h²) ≈ 1e-12 relative, plus
    # rounding ε/h ≈ 1e-10): a silently zero derivative would be off by its own size.
    k = fl.kernels(name, param, **dims)
    fam = fl.family(name, **dims)
    rng = np.random.default_rng(9)
    lo, hi = _test_ranges(k)
    theta = lo + (hi - lo) * (0.25 + 0.5 * rng.random(len(k.params)))
    if name == "dirichlet":
        # α of a few units: log p at α ≈ 500 is ~1e4, whose rounding swamps a 1e-6 step
        theta = rng.uniform(0.5, 5.0, len(k.params))
    x = fam.sample(theta, param, size=1, seed=3)[0] if name != "dirichlet" else rng.dirichlet(
        np.ones(dims["k"]))
    h = 1e-6
    eye = np.eye(len(k.params))
    fd_score = np.array([(k.log_density(x, theta + h * e) - k.log_density(x, theta - h * e))
                         / (2 * h) for e in eye])
    fd_hess = np.array([(k.score(x, theta + h * e) - k.score(x, theta - h * e)) / (2 * h)
                        for e in eye])
    eta = k.to_natural(theta)
    nat = fl.kernels(name, "natural", **dims)
    fd_fisher_eta = np.array([(nat.mean(eta + h * e) - nat.mean(eta - h * e)) / (2 * h)
                              for e in np.eye(len(nat.params))])
    fd_jac = np.array([(k.to_natural(theta + h * e) - k.to_natural(theta - h * e)) / (2 * h)
                       for e in eye]).T
    for got, want, what in [(k.score(x, theta), fd_score, "score"),
                            (k.hessian(x, theta), fd_hess, "hessian"),
                            (k.natural_fisher(theta), fd_fisher_eta, "natural_fisher"),
                            (k.jacobian(theta), fd_jac, "jacobian"),
                            (k.fisher(theta), fd_jac.T @ fd_fisher_eta @ fd_jac, "fisher")]:
        err = np.max(np.abs(got - want)) / np.max(np.abs(want))
        assert err < 1e-7, (what, err)


# -- the structure against its dense matrix ---------------------------------------------------


@pytest.mark.parametrize("name, param, dims", [
    ("categorical", "natural", {"k": 4}), ("categorical", "probs", {"k": 7}),
    ("dirichlet", "alpha", {"k": 5}), ("multinomial", "natural", {"k": 4, "n": 6}),
    ("multinomial", "probs", {"k": 3, "n": 2})])
def test_structure_equals_dense(name, param, dims):
    k = fl.kernels(name, param, **dims)
    rng = np.random.default_rng(4)
    lo, hi = _test_ranges(k)
    theta = lo + (hi - lo) * rng.random((3, 2, len(k.params)))
    v = rng.normal(size=(3, 2, len(k.params)))
    S = k.fisher(theta, structured=True)
    F = k.fisher(theta)
    p = len(k.params)
    assert isinstance(S, DiagPlusLowRank) and isinstance(F, np.ndarray)
    assert F.shape == (3, 2, p, p) and np.array_equal(F, np.swapaxes(F, -1, -2))
    np.testing.assert_allclose(S.dense(), F, rtol=1e-13, atol=1e-13 * np.abs(F).max())
    np.testing.assert_allclose(k.fisher_vp(theta, v), np.einsum("...ij,...j->...i", F, v),
                               rtol=1e-12, atol=1e-12 * np.abs(F).max() * np.abs(v).max())
    want = np.linalg.solve(F, v[..., None])[..., 0]
    np.testing.assert_allclose(k.natural_gradient(theta, v), want, rtol=1e-9,
                               atol=1e-9 * np.abs(want).max())
    damped = np.linalg.solve(F + 0.3 * np.eye(len(k.params)), v[..., None])[..., 0]
    np.testing.assert_allclose(k.natural_gradient(theta, v, damping=0.3), damped, rtol=1e-9,
                               atol=1e-9 * np.abs(damped).max())
    np.testing.assert_allclose(S.logdet(), np.linalg.slogdet(F)[1], rtol=1e-11)
    Sn = k.natural_fisher(theta, structured=True)
    np.testing.assert_allclose(Sn.dense(), k.natural_fisher(theta), rtol=1e-13,
                               atol=1e-14)


def test_other_families_give_a_dense_structure():
    from fisherlab.structure import Dense

    k = fl.kernels("gamma", "shape_rate")
    theta = np.array([[2.0, 3.0], [0.5, 1.5]])
    S = k.fisher(theta, structured=True)
    assert isinstance(S, Dense)
    v = np.array([[1.0, -2.0], [0.5, 0.25]])
    np.testing.assert_allclose(k.fisher_vp(theta, v), np.einsum("nij,nj->ni", k.fisher(theta), v),
                               rtol=1e-14)
    np.testing.assert_allclose(S.solve(v), k.natural_gradient(theta, v), rtol=1e-14)


def test_bad_arguments_raise_the_usual_errors():
    from fisherlab.errors import DomainError, ShapeError

    k = fl.kernels("categorical", "probs", k=1000)
    with pytest.raises(ShapeError, match="last axis of length 999"):
        k.fisher(np.full(998, 1e-3))
    with pytest.raises(DomainError, match="p1"):
        k.fisher(np.r_[np.nan, np.full(998, 1e-3)])
    with pytest.raises(DomainError, match="open simplex"):
        k.fisher(np.full(999, 2e-3))
    with pytest.raises(DomainError, match="grad must be finite"):
        k.natural_gradient(np.full(999, 1e-4), np.r_[np.inf, np.zeros(998)])
    with pytest.raises(ShapeError, match="v must have"):
        k.fisher_vp(np.full(999, 1e-4), np.ones(3))


def test_large_k_in_a_fresh_interpreter_leaves_sympy_out():
    code = ("import sys, numpy as np, fisherlab as fl\n"
            "k = fl.kernels('categorical', 'probs', k=1000)\n"
            "d = fl.family('dirichlet', k=1000).kernels('alpha')\n"
            "p = np.full(999, 1e-3)\n"
            "g = k.natural_gradient(p, np.ones(999))\n"
            "F = d.fisher(np.ones(1000), structured=True)\n"
            "print(F.logdet(), 'sympy' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.stdout.split()[-1] == "False", out.stdout + out.stderr


@pytest.mark.parametrize("name, param, theta", [("categorical", "probs", np.full(999, 1e-3)),
                                                ("dirichlet", "alpha", np.ones(1000))])
def test_skewness_too_large_raises(name, param, theta):
    """∂³A at k = 1000 would hold 1e9 numbers (8 GB) per point: refused before allocating,
    naming its size; k = 10 is formed."""
    k = fl.kernels(name, param, k=1000)
    with pytest.raises(fl.NotAvailableError, match=f"{len(theta)}³ numbers per point"):
        k.skewness(theta)
    small = fl.kernels(name, param, k=10)
    m = 9 if name == "categorical" else 10
    assert small.skewness(theta[:m] if name == "dirichlet" else np.full(9, 0.1)).shape == (m,) * 3
