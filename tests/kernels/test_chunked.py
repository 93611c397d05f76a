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


# -- the dimension-generic modules, which slice on their own --------------------------------------

GENERIC = [("categorical", "probs", {"k": 7}), ("categorical", "natural", {"k": 7}),
           ("dirichlet", "alpha", {"k": 6}), ("dirichlet", "natural", {"k": 6}),
           ("multinomial", "probs", {"k": 4, "n": 9}), ("multinomial", "natural", {"k": 4})]


def _generic_theta(fam, param, rng, shape):
    """Points of a simplex family: probabilities (all classes ≥ 0.05), concentrations in
    [0.5, 3], or natural parameters converted from such probabilities."""
    k = fam.spec.support.size or fam.k
    if fam.spec.name == "dirichlet":
        theta = rng.uniform(0.5, 3.0, shape + (k,))
        return theta if param == "alpha" else fam.convert(theta, "alpha", param)
    probs = rng.dirichlet(np.full(k, 3.0), shape) * (1 - 0.05 * k) + 0.05
    return probs[..., :-1] if param == "probs" else fam.convert(probs[..., :-1], "probs", param)


@pytest.mark.parametrize("name, param, dims", GENERIC,
                         ids=[f"{n}-{p}-{'-'.join(map(str, d.values()))}" for n, p, d in GENERIC])
def test_generic_slices_equal_whole(name, param, dims, monkeypatch):
    """The dimension-generic kernels (kernels/_generic.py) cut a large batch into slices of
    ``_SLICE_NUMBERS`` themselves: slices of 3 to 13 points (uneven) against one slice, bit for
    bit. (A slice of one point takes the special functions' single-point paths, a few ulps
    apart: test_single_point_equals_batch_everywhere.) The special functions choose their
    algorithm by array size (each accurate to < 1e-14, not identical): pinned to one here."""
    from fisherlab.kernels import _generic, _special

    monkeypatch.setattr(_special, "_SMALL", 0)

    rng = np.random.default_rng(3)
    fam = fl.family(name, **dims)
    k = fam.kernels(param)
    assert isinstance(k, _generic.GenericKernels)
    theta = _generic_theta(fam, param, rng, (23,))
    theta_q = _generic_theta(fam, param, rng, (23,))
    x = np.stack([fam.sample(t, param, seed=rng) for t in theta])
    v = rng.normal(size=theta.shape)
    cases = [("fisher", lambda: k.fisher(theta)), ("mean", lambda: k.mean(theta)),
             ("to_natural", lambda: k.to_natural(theta)), ("entropy", lambda: k.entropy(theta)),
             ("kl", lambda: k.kl(theta, theta_q)), ("score", lambda: k.score(x, theta)),
             ("log_density", lambda: k.log_density(x, theta)),
             ("hessian", lambda: k.hessian(x, theta)),
             ("fisher_vp", lambda: k.fisher_vp(theta, v)),
             ("natural_gradient", lambda: k.natural_gradient(theta, v))]
    for label, fn in cases:
        monkeypatch.setattr(_generic, "_SLICE_NUMBERS", 10**9)
        whole = fn()
        monkeypatch.setattr(_generic, "_SLICE_NUMBERS", 40)
        sliced = fn()
        assert whole.shape == sliced.shape, label
        np.testing.assert_array_equal(sliced, whole, err_msg=f"{name} {param} {label}")


@pytest.mark.parametrize("param", ["natural", "mean_cov", "mean_precision", "mean_chol"])
def test_mvn_blocks_equal_whole(param, monkeypatch):
    """The multivariate normal's dense outputs (kernels/_mvn_runtime.py) apply the operators to
    the basis directions in blocks of ``_BLOCK_NUMBERS``: blocks of one direction against one
    block, bit for bit."""
    from fisherlab.kernels import _mvn_runtime

    d = 3
    fam = fl.family("multivariate_normal", d=d)
    rng = np.random.default_rng(4)
    il = np.tril_indices(d)
    theta = []
    for _ in range(5):
        a = rng.normal(size=(d, d))
        sigma = a @ a.T / d + 0.5 * np.eye(d)
        theta.append(np.r_[rng.uniform(-1, 1, d), sigma[il]])
    theta = fam.convert(np.array(theta), "mean_cov", param)
    k = fam.kernels(param)
    x = np.stack([fam.sample(t, param, seed=rng) for t in theta])
    cases = [("fisher", lambda: k.fisher(theta)), ("jacobian", lambda: k.jacobian(theta)),
             ("natural_fisher", lambda: k.natural_fisher(theta)),
             ("skewness", lambda: k.skewness(theta)), ("hessian", lambda: k.hessian(x, theta)),
             ("hessian, one θ for all x", lambda: k.hessian(x, theta[0])),
             ("structured dense", lambda: k.fisher(theta, structured=True).dense())]
    for label, fn in cases:
        monkeypatch.setattr(_mvn_runtime, "_BLOCK_NUMBERS", 1 << 40)
        whole = fn()
        monkeypatch.setattr(_mvn_runtime, "_BLOCK_NUMBERS", 1)
        blocks = fn()
        assert whole.shape == blocks.shape, label
        np.testing.assert_array_equal(blocks, whole, err_msg=f"{param} {label}")


@pytest.mark.parametrize("name, param, dims", CASES, ids=[c[0] for c in CASES])
def test_kl_selection_scratch_equals_fresh_arrays(name, param, dims, monkeypatch):
    # kl_refine selects its candidates in scratch arrays kept per thread up to _SCRATCH_MAX
    # points (views of them for smaller batches, of any shape) and in fresh arrays beyond:
    # the same KL either way, after batches of other sizes and shapes have used the scratch.
    from fisherlab.kernels import _special

    rng = np.random.default_rng(3)
    k = fl.kernels(name, param, **dims)
    theta = _theta(name, param, dims, rng, (5, 7))
    theta_q = _theta(name, param, dims, rng, (5, 7))
    theta_q[::2] = theta[::2] * (1 + 1e-6)  # near-coincident rows: refined by quadrature
    theta_q[1, ::3] = theta[1, ::3] * (1 + 3e-2)  # close, within the band
    monkeypatch.setattr(_special, "_SCRATCH_MAX", 0)
    fresh = k.kl(theta, theta_q)
    monkeypatch.setattr(_special, "_SCRATCH_MAX", 1 << 16)
    k.kl(theta.reshape(-1, theta.shape[-1]), theta_q.reshape(-1, theta.shape[-1]))
    kept = k.kl(theta, theta_q)
    np.testing.assert_array_equal(kept, fresh)
    k.kl(theta[:2, :3], theta_q[:2, :3])  # a smaller batch in between
    np.testing.assert_array_equal(k.kl(theta[1:], theta_q[1:]), fresh[1:])
