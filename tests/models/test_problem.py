"""Problem plumbing: minibatch subsets, the categorical head's sampler, sample shapes."""

import numpy as np
import pytest

import fisherlab as fl
from fisherlab import models as flm


def _problem(head, n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = np.c_[np.ones(n), rng.uniform(-1, 1, (n, 2))]
    W = 0.3 * rng.standard_normal((3, head.width))
    y = head.sample(X @ W, seed=rng)
    a = rng.uniform(0.5, 2.0, n)
    off = 0.1 * rng.standard_normal(n)
    return flm.GLM(head).problem(X, y, weights=a, offset=off, l2=0.02), W.ravel(), (X, y, a, off)


@pytest.mark.parametrize("head", [flm.Head("poisson"), flm.Head("normal", "mean_logstd"),
                                  flm.Head("categorical", link="softmax", k=3)],
                         ids=["poisson", "normal", "categorical"])
def test_subset_is_the_problem_on_the_sliced_rows(head):
    prob, w, (X, y, a, off) = _problem(head)
    rows = np.array([3, 17, 5, 29, 0, 11])
    sub = prob.subset(rows)
    ref = flm.GLM(head).problem(X[rows], y[rows], weights=a[rows], offset=off[rows], l2=0.02)
    assert sub.n == 6 and prob.n == 40
    for name in ("loss", "grad", "fisher", "hessian", "per_sample_grads", "fisher_diag"):
        np.testing.assert_array_equal(getattr(sub, name)(w), getattr(ref, name)(w), err_msg=name)
    # the parent is untouched
    np.testing.assert_array_equal(prob.grad(w), flm.GLM(head).problem(
        X, y, weights=a, offset=off, l2=0.02).grad(w))
    with pytest.raises(fl.ShapeError, match="rows"):
        prob.subset(np.array([0, 40]))
    with pytest.raises(fl.ShapeError, match="rows"):
        prob.subset(np.array([0.5]))


def test_categorical_sampler_matches_the_probabilities():
    head = flm.Head("categorical", link="softmax", k=4)
    raw = np.tile([0.3, -1.0, 1.2, 0.0], (20000, 1))
    y = head.sample(raw, seed=5)
    assert y.shape == (20000, 4) and np.all(y.sum(axis=1) == 1)
    p = np.exp(raw[0] - raw[0].max())
    p /= p.sum()
    freq = y.mean(axis=0)
    se = np.sqrt(p * (1 - p) / 20000)
    assert np.all(np.abs(freq - p) < 6 * se)
    # rows with different probabilities get their own: a near-certain class per row
    raw2 = np.array([[30.0, 0, 0, 0], [0, 30.0, 0, 0], [0, 0, 0, 30.0]])
    np.testing.assert_array_equal(head.sample(raw2, seed=1), np.eye(4)[[0, 1, 3]])


def test_sample_shapes():
    raw = np.zeros((7, 1))
    assert flm.Head("poisson").sample(raw, seed=0).shape == (7,)
    assert flm.Head("bernoulli").sample(raw, seed=0).shape == (7,)
    assert flm.Head("categorical", k=3).sample(np.zeros((7, 2)), seed=0).shape == (7, 3)
    assert flm.Head("multinomial").sample(np.zeros((7, 2)), seed=0).shape == (7, 3)


def test_fisher_diag_in_row_blocks(monkeypatch):
    head = flm.Head("normal", "mean_logstd")
    prob, w, _ = _problem(head, n=37)
    whole = prob.fisher_diag(w)
    monkeypatch.setattr(flm.problem, "_DIAG_BLOCK", 5 * prob.dim)  # blocks of 5 rows
    np.testing.assert_allclose(prob.fisher_diag(w), whole, rtol=1e-14)
    np.testing.assert_allclose(whole, np.diag(prob.fisher(w)), rtol=1e-13)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_check_inputs_accepts_finite_entries_whose_sum_overflows_and_names_a_bad_row():
    from fisherlab.errors import DomainError
    from fisherlab.models.problem import check_inputs

    X = np.full((3, 2), 1e308)  # finite, but the sum is inf: the entry-wise check decides
    assert check_inputs(X) is not None
    X[1, 0] = np.nan
    with pytest.raises(DomainError, match="row 1"):
        check_inputs(X)
    X[1, 0], X[2, 1] = 1.0, -np.inf
    with pytest.raises(DomainError, match="row 2"):
        check_inputs(X)


def test_a_network_problem_has_no_target_until_one_is_set_and_starts_at_its_init():
    from fisherlab.errors import NotAvailableError
    from fisherlab.models.fit import starting_weights

    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (50, 1))
    y = np.sin(x[:, 0]) + 0.1 * rng.standard_normal(50)
    net = flm.MLP([1, 4, 1], flm.Head("normal"), activation="tanh")
    prob = net.problem(x, y)
    w0 = net.init()
    with pytest.raises(NotAvailableError, match="problem.target = w"):
        prob.kl(w0)
    np.testing.assert_array_equal(starting_weights(prob), net.predictor(x).init(0))
    prob.target = w0
    assert prob.kl(w0) == 0.0
