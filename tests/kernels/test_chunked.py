"""Chunked evaluation of large batches (kernels/_runtime.py ``_evaluate``) against whole-array
evaluation: the same numbers, bit for bit (the KL to 4 ulps), for every broadcasting pattern of
θ and x.

The chunk size is lowered to a few numbers so that small arrays exercise the slicing; the
reference is the same kernel with chunking off (a chunk larger than the batch).
"""

from __future__ import annotations

import numpy as np
import pytest

import fisherlab as fl
from fisherlab.kernels import _runtime

CASES = [("gamma", "shape_rate", {}), ("normal", "mean_std", {}),
         ("dirichlet", "alpha", {"k": 3}), ("categorical", "probs", {"k": 3}),
         ("von_mises", "loc_concentration", {})]


def _theta(name, param, dims, rng, shape):
    lo_hi = [q.test_range for q in fl.family(name, **dims).spec.parametrization(param).params]
    cols = [rng.uniform(lo, min(hi, lo + 3.0), shape) for lo, hi in lo_hi]
    theta = np.stack(cols, -1)
    if name == "categorical":  # probabilities with room for the last class
        theta = theta / (theta.sum(-1, keepdims=True) * 1.5)
    return theta


def _both(monkeypatch, fn):
    monkeypatch.setattr(_runtime, "_CHUNK", 10**9)
    whole = fn()
    monkeypatch.setattr(_runtime, "_CHUNK", 5)
    monkeypatch.setattr(_runtime, "_CHUNK_ROWS_MIN", 1)
    chunked = fn()
    return whole, chunked


@pytest.mark.parametrize("name, param, dims", CASES, ids=[c[0] for c in CASES])
def test_chunked_equals_whole(name, param, dims, monkeypatch):
    rng = np.random.default_rng(0)
    k = fl.kernels(name, param, **dims)
    fam = fl.family(name, **dims)
    theta = _theta(name, param, dims, rng, (23,))
    theta_q = _theta(name, param, dims, rng, (23,))
    x = np.stack([fam.sample(t, param, seed=rng) for t in theta])
    grid = _theta(name, param, dims, rng, (4, 6))
    near_q = theta_q.copy()
    near_q[::2] = theta[::2] * (1 + 1e-6)
    for label, fn in [
        ("fisher", lambda: k.fisher(theta)),
        ("fisher (4, 6) batch", lambda: k.fisher(grid)),
        ("mean", lambda: k.mean(theta)),
        ("kl", lambda: k.kl(theta, theta_q)),
        ("kl, one θq for all θp", lambda: k.kl(theta, theta_q[0])),
        ("kl (23, 1) against (23,)", lambda: k.kl(theta[:, None, :], theta_q)),
        # every other row a near-coincident pair, refined by quadrature: the candidates of all
        # slices are gathered and refined once (kl_refine_pending)
        ("kl, near-coincident rows", lambda: k.kl(theta, near_q)),
        ("kl (23, 1) against (23,), near-coincident rows",
         lambda: k.kl(theta[:, None, :], near_q)),
        ("score", lambda: k.score(x, theta)),
        ("score, one θ for all x", lambda: k.score(x, theta[0])),
        ("log_density, (23,) x against (4, 1) θ", lambda: k.log_density(x, grid[:, :1])),
        ("hessian", lambda: k.hessian(x, theta)),
    ]:
        whole, chunked = _both(monkeypatch, fn)
        assert whole.shape == chunked.shape, label
        if label.startswith("kl"):
            # Where the KL's closed form cancels it is replaced by a quadrature over the subset
            # of such points; numpy's vectorized sums over that subset round in the last bit
            # differently for subsets of different lengths.
            np.testing.assert_allclose(chunked, whole, rtol=4 * np.finfo(float).eps, atol=0,
                                       err_msg=f"{name} {param} {label}")
        else:
            np.testing.assert_array_equal(chunked, whole, err_msg=f"{name} {param} {label}")


@pytest.mark.parametrize("name, param, dims", CASES, ids=[c[0] for c in CASES])
def test_single_point_with_batch_axes(name, param, dims):
    """θ of shape (1, p) or (1, 1, p) is evaluated as one 0-d point (the special functions'
    single-point paths): batch axes kept, and the numbers those of the array paths, taken from
    a batch of two points."""
    rng = np.random.default_rng(1)
    k = fl.kernels(name, param, **dims)
    theta = _theta(name, param, dims, rng, (2,))
    theta_q = _theta(name, param, dims, rng, (2,))
    x = np.stack([fl.family(name, **dims).sample(t, param, seed=rng) for t in theta])
    batched = {"fisher": k.fisher(theta)[0], "kl": k.kl(theta, theta_q)[0],
               "score": k.score(x, theta)[0], "mean": k.mean(theta)[0]}
    for lead in [(), (1,), (1, 1)]:
        t, tq = theta[0].reshape(lead + theta.shape[1:]), theta_q[0].reshape(lead + theta.shape[1:])
        for label, one in [("fisher", k.fisher(t)), ("kl", k.kl(t, tq)),
                           ("score", k.score(x[0], t)), ("mean", k.mean(t))]:
            assert one.shape == lead + batched[label].shape, label
            np.testing.assert_allclose(one.reshape(batched[label].shape), batched[label],
                                       rtol=4 * np.finfo(float).eps, atol=0,
                                       err_msg=f"{name} {label} {lead}")


def _every_parametrization():
    for name in fl.families():
        spec = fl.family(name).spec
        for param in spec.parametrization_names:
            yield name, param


EVERY = sorted(_every_parametrization())
QUANTITIES = ("to_natural", "jacobian", "log_partition", "mean", "fisher", "natural_fisher",
              "skewness", "entropy", "kl", "log_density", "score", "hessian")


@pytest.mark.parametrize("name, param", EVERY, ids=[f"{n}-{p}" for n, p in EVERY])
def test_single_point_equals_batch_everywhere(name, param):
    """Every kernel of every family: θ of shape (p,) (evaluated on Python floats) gives the
    numbers of the same θ inside a batch of two (numpy arrays), to a few ulps of the largest
    entry (numpy's vectorized log and exp may round the last bit differently from its scalar
    ones)."""
    rng = np.random.default_rng(7)
    fam = fl.family(name)
    k = fl.kernels(name, param)
    # Points drawn in η's test box and mapped to θ: valid however θ is constrained jointly.
    lo_hi = [q.test_range for q in fam.spec.natural]
    draw = lambda: fam.convert(np.array([rng.uniform(lo, hi) for lo, hi in lo_hi]),  # noqa: E731
                               "natural", param)
    theta, other, theta_q = draw(), draw(), draw()
    x = fam.sample(theta, param, seed=rng)
    batch, batch_q = np.stack([theta, other]), np.stack([theta_q, other])
    xs = np.stack([x, fam.sample(other, param, seed=rng)])
    for q in QUANTITIES:
        if q in ("log_density", "score", "hessian"):
            one, many = getattr(k, q)(x, theta), getattr(k, q)(xs, batch)[0]
        elif q == "kl":
            one, many = k.kl(theta, theta_q), k.kl(batch, batch_q)[0]
        else:
            one, many = getattr(k, q)(theta), getattr(k, q)(batch)[0]
        assert np.shape(one) == np.shape(many), (q, np.shape(one), np.shape(many))
        scale = np.max(np.abs(many)) if np.size(many) else 0.0
        np.testing.assert_allclose(one, many, rtol=0, atol=16 * np.finfo(float).eps * scale,
                                   err_msg=f"{name} {param} {q}")


def test_single_point_past_float_range():
    """A single point whose formula overflows or divides by zero in Python floats (which raise)
    gives what the same point gives inside an array (IEEE ±inf)."""
    k = fl.kernels("normal", "mean_std")
    tiny = [0.0, 1e-200]  # 1/σ² overflows
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        one = k.fisher(tiny)
        many = k.fisher(np.array([tiny, [0.0, 1.0]]))[0]
    np.testing.assert_array_equal(one, many)
    assert np.isinf(one[0, 0])
