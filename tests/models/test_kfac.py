"""K-FAC where it is exact (one data point; deep linear networks with a constant output Fisher),
its Monte Carlo factors against the exact ones, and the stepper's damped solve against a dense one.

The exact GGN blocks are built independently: autograd's full Jacobian of a forward pass written
here, and the head's raw-space Fisher.
"""

import itertools

import autograd
import autograd.numpy as anp
import numpy as np
import pytest

from fisherlab import models as flm
from fisherlab.errors import DomainError, SpecError
from fisherlab.models.kfac import KFAC, kfac_blocks, kfac_factors
from fisherlab.optim import STEPPERS, run


def ref_forward(sizes, act, w, X):
    a, k = X, 0
    for layer, (i, o) in enumerate(itertools.pairwise(sizes)):
        W = anp.reshape(w[k:k + i * o], (i, o))
        k += i * o
        z = anp.dot(a, W) + w[k:k + o]
        k += o
        a = z if layer == len(sizes) - 2 else {"tanh": anp.tanh, "identity": lambda t: t}[act](z)
    return a


def ggn_blocks(model, prob, w, sizes, act):
    """Σ_i a_i J_iᵀ F_i J_i / n by autograd's Jacobian, cut into the layers' blocks."""
    J = autograd.jacobian(lambda w_: ref_forward(sizes, act, w_, prob.X))(w)      # (n, r, P)
    F = model.head.fisher(prob.raw(w))                                             # (n, r, r)
    a = np.ones(prob.n) if prob.weights is None else prob.weights
    GGN = np.einsum("n,nap,nab,nbq->pq", a, J, F, J) / prob.n
    return [GGN[w_sl.start:b_sl.stop, w_sl.start:b_sl.stop] for w_sl, b_sl in model.net.slices]


def close(got, want, rtol=1e-10):
    assert np.max(np.abs(got - want)) <= rtol * np.max(np.abs(want))


@pytest.mark.parametrize(
    "head",
    [flm.Head("categorical", k=4), flm.Head("normal", "mean_logstd"), flm.Head("poisson")],
    ids=["categorical", "normal-mean-logstd", "poisson"],
)
def test_exact_on_one_data_point(head):
    sizes = [3, 5, 4, head.width]
    rng = np.random.default_rng(0)
    model = flm.MLP(sizes, head, activation="tanh")
    X = rng.standard_normal((1, 3))
    y = head.sample(np.full((1, head.width), 0.3), seed=1)
    prob = model.problem(X, y)
    w = model.init() + 0.3 * rng.standard_normal(model.n_weights)
    for got, want in zip(
        kfac_blocks(kfac_factors(prob, w)), ggn_blocks(model, prob, w, sizes, "tanh"), strict=True
    ):
        close(got, want)


def test_exact_for_a_deep_linear_network():
    """Normal mean head (std fixed): F_i = 1 and J_i does not depend on the row, so the
    expectation factorizes; prior weights included."""
    head = flm.Head("normal")
    sizes = [3, 4, 5, 1]
    rng = np.random.default_rng(1)
    model = flm.MLP(sizes, head, activation="identity")
    X = rng.standard_normal((40, 3)) + 0.5
    prob = model.problem(X, rng.standard_normal(40), weights=rng.uniform(0.5, 2.0, 40))
    w = model.init() + 0.2 * rng.standard_normal(model.n_weights)
    for got, want in zip(
        kfac_blocks(kfac_factors(prob, w)),
        ggn_blocks(model, prob, w, sizes, "identity"),
        strict=True,
    ):
        close(got, want)


def test_not_exact_in_general():
    """The same comparison fails for a tanh network on many rows: the test can fail."""
    head = flm.Head("normal")
    sizes = [3, 4, 1]
    rng = np.random.default_rng(1)
    model = flm.MLP(sizes, head, activation="tanh")
    X = rng.standard_normal((40, 3))
    prob = model.problem(X, rng.standard_normal(40))
    w = model.init() + 0.5 * rng.standard_normal(model.n_weights)
    got = kfac_blocks(kfac_factors(prob, w))[0]
    want = ggn_blocks(model, prob, w, sizes, "tanh")[0]
    assert np.max(np.abs(got - want)) > 1e-3 * np.max(np.abs(want))


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "prior-weights"])
def test_monte_carlo_factors_are_unbiased(weighted):
    """Mean of one-draw G factors over 800 seeds against the exact G, within 6 standard errors."""
    head = flm.Head("poisson")
    sizes = [2, 3, 1]
    rng = np.random.default_rng(2)
    model = flm.MLP(sizes, head, activation="tanh")
    weights = rng.uniform(0.2, 3.0, 6) if weighted else None
    prob = model.problem(rng.standard_normal((6, 2)), rng.poisson(2.0, 6).astype(float),
                         weights=weights)
    w = model.init() + 0.3 * rng.standard_normal(model.n_weights)
    exact = kfac_factors(prob, w)
    draws = [kfac_factors(prob, w, mode="mc", seed=s) for s in range(800)]
    for layer, (A, G) in enumerate(exact):
        Gs = np.array([d[layer][1] for d in draws])
        np.testing.assert_array_equal(draws[0][layer][0], A)          # A does not depend on labels
        se = Gs.std(axis=0, ddof=1) / np.sqrt(len(Gs))
        assert np.all(np.abs(Gs.mean(axis=0) - G) <= 6 * se + 1e-15)
        assert np.all(se > 0)
    # samples=S averages S draws: the spread of the estimate shrinks
    many = kfac_factors(prob, w, mode="mc", samples=400, seed=9)
    assert np.max(np.abs(many[0][1] - exact[0][1])) < np.max(np.abs(draws[0][0][1] - exact[0][1]))


def test_step_is_the_damped_kronecker_solve():
    head = flm.Head("categorical", k=3)
    sizes = [3, 4, 2]
    rng = np.random.default_rng(3)
    model = flm.MLP(sizes, head)
    prob = model.problem(rng.standard_normal((25, 3)), rng.integers(0, 3, 25), l2=0.01)
    w = model.init() + 0.2 * rng.standard_normal(model.n_weights)
    lam = 0.05 + prob.l2
    opt = KFAC(lr=0.5, damping=0.05, decay=0.9)
    w1 = opt.step(prob, w)
    f0 = kfac_factors(prob, w)
    w2 = opt.step(prob, w1)
    f1 = kfac_factors(prob, w1)
    # the second step uses 0.9·(first factors) + 0.1·(factors at w1)
    avg = [
        (0.9 * A0 + 0.1 * A1, 0.9 * G0 + 0.1 * G1)
        for (A0, G0), (A1, G1) in zip(f0, f1, strict=True)
    ]
    for factors, start, end in ((f0, w, w1), (avg, w1, w2)):
        blocks = []
        for A, G in factors:
            pi = np.sqrt((np.trace(A) / len(A)) / (np.trace(G) / len(G)))
            blocks.append(np.kron(A + pi * np.sqrt(lam) * np.eye(len(A)),
                                  G + np.sqrt(lam) / pi * np.eye(len(G))))
        M = np.zeros((model.n_weights, model.n_weights))
        k = 0
        for B in blocks:
            M[k:k + len(B), k:k + len(B)] = B
            k += len(B)
        close(end, start - 0.5 * np.linalg.solve(M, prob.grad(start)), 1e-12)


def test_update_every_reuses_the_factors_in_between():
    head = flm.Head("poisson")
    rng = np.random.default_rng(5)
    model = flm.MLP([2, 3, 1], head)
    prob = model.problem(rng.standard_normal((30, 2)), rng.poisson(2.0, 30).astype(float))
    w = model.init()
    opt = KFAC(damping=0.1, decay=0.5, update_every=3)
    ws, seen = [w], []
    for _ in range(4):
        ws.append(opt.step(prob, ws[-1]))
        seen.append([A.copy() for A, _ in opt.factors])
    # factors at steps 0 and 3 only: steps 1 and 2 reuse step 0's
    for a, b in zip(seen[0], seen[1], strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(seen[0], seen[2], strict=True):
        np.testing.assert_array_equal(a, b)
    A3 = [0.5 * a0 + 0.5 * A for a0, (A, _) in zip(seen[0], kfac_factors(prob, ws[3]), strict=True)]
    for a, b in zip(seen[3], A3, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-14)
    with pytest.raises(DomainError, match="update_every"):
        KFAC(update_every=0)


def test_kfac_run_reduces_the_loss():
    head = flm.Head("categorical", k=3)
    rng = np.random.default_rng(4)
    X = rng.standard_normal((120, 4))
    y = np.argmax(X[:, :3] + 0.3 * rng.standard_normal((120, 3)), axis=1)
    model = flm.MLP([4, 8, 2], head)
    prob = model.problem(X, y)
    for opt in (
        KFAC(lr=0.5, damping=1e-2),
        KFAC(lr=0.5, damping=1e-2, mode="mc", batch_size=60, seed=1),
    ):
        res = run(prob, opt, model.init(), max_iter=30, record_kl=False)
        assert res.status == "max_iter" and res.loss[-1] < 0.5 * res.loss[0]


def test_errors():
    assert STEPPERS["KFAC"] is KFAC
    glm = flm.GLM(flm.Head("poisson")).problem(np.ones((4, 2)), np.ones(4))
    with pytest.raises(SpecError, match="MLP"):
        KFAC().step(glm, np.zeros(2))
    with pytest.raises(DomainError, match="mode"):
        KFAC(mode="type3")
    with pytest.raises(DomainError, match="decay"):
        KFAC(decay=1.0)


def test_stepper_keeps_the_first_input_factor_per_rows():
    """A_1 depends on the rows only: kept across steps on one problem, recomputed for other rows
    (a minibatch, another problem) and for other prior weights."""
    head = flm.Head("categorical", k=3)
    rng = np.random.default_rng(6)
    model = flm.MLP([3, 4, 2], head)
    X = rng.standard_normal((20, 3))
    y = rng.integers(0, 3, 20)
    probs = [model.problem(X, y), model.problem(X[:12], y[:12]),
             model.problem(X, y, weights=rng.uniform(0.5, 2.0, 20))]
    w = model.init()
    opt = KFAC(damping=0.1, decay=0.0)
    for prob in probs + probs[:1]:
        opt.step(prob, w)
        for (A, G), (A0, G0) in zip(opt.factors, kfac_factors(prob, w), strict=True):
            np.testing.assert_array_equal(A, A0)
            np.testing.assert_array_equal(G, G0)
