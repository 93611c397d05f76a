"""Diagonal plus low rank against the same matrices formed densely and handed to numpy."""

import mpmath as mp
import numpy as np
import pytest

from fisherlab.errors import DomainError, ShapeError
from fisherlab.structure import DiagPlusLowRank


def _case(rng, batch, p, r):
    d = rng.uniform(0.5, 2.0, (*batch, p))
    U = rng.normal(size=(*batch, p, r))
    a = rng.normal(size=(*batch, r, r))
    C = a @ np.swapaxes(a, -1, -2) * 0.3
    dense = np.einsum("...ij,...i->...ij", np.broadcast_to(np.eye(p), (*batch, p, p)), d)
    dense = dense + U @ C @ np.swapaxes(U, -1, -2)
    return d, U, C, dense


@pytest.mark.parametrize("r", [1, 3])
def test_operations_match_numpy_on_the_dense_matrix(r):
    rng = np.random.default_rng(5 + r)
    d, U, C, dense = _case(rng, (2, 3), 6, r)
    m = DiagPlusLowRank(d, U, C)
    v = rng.normal(size=(2, 3, 6))
    assert m.shape == (2, 3, 6, 6) and m.rank == r
    np.testing.assert_allclose(m.dense(), dense, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(m.matvec(v), np.einsum("...ij,...j->...i", dense, v), rtol=1e-12,
                               atol=1e-13)
    for damping in (0.0, 0.25):
        x = m.solve(v, damping=damping)
        want = np.linalg.solve(dense + damping * np.eye(6), v[..., None])[..., 0]
        np.testing.assert_allclose(x, want, rtol=1e-10, atol=1e-12)
    sign, logabs = np.linalg.slogdet(dense)
    assert (sign > 0).all()
    np.testing.assert_allclose(m.logdet(), logabs, rtol=1e-12)


def test_negative_rank_one_update_broadcasts_over_the_batch():
    # The categorical's shape: diag(p) − p pᵀ, one scalar C for the whole batch.
    rng = np.random.default_rng(2)
    p = rng.dirichlet(np.ones(5), 4)[:, :-1]
    m = DiagPlusLowRank(p, p[..., None], -np.ones((1, 1)))
    dense = np.eye(4) * p[:, None, :] - p[:, :, None] * p[:, None, :]
    g = rng.normal(size=(4, 4))
    np.testing.assert_allclose(m.dense(), dense, rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(m.solve(g), np.linalg.solve(dense, g[..., None])[..., 0],
                               rtol=1e-9)
    np.testing.assert_allclose(m.logdet(), np.linalg.slogdet(dense)[1], rtol=1e-12)


def test_given_capacitance_keeps_the_digits_of_a_rare_last_class():
    # p = (1/2 − 1e-13, 1/2 − 1e-13), p_3 = 2e-13: 1 − Σp loses ~4 digits in floating point;
    # the exact capacitance p_3 keeps them. Reference: the same solve in 50-digit mpmath.
    mp.mp.dps = 50
    last = mp.mpf("2e-13")
    pm = [(1 - last) / 2, (1 - last) / 2]
    p = np.array([float(v) for v in pm])
    g = np.array([1.0, -2.0])
    # F⁻¹ g = g / p + (Σg) / p_k (the probs-parametrization Fisher applied to g)
    want = [float(mp.mpf(gi) / pi + mp.mpf(g.sum()) / last) for gi, pi in zip(g, pm)]
    exact = DiagPlusLowRank(p, p[:, None], -np.ones((1, 1)),
                            capacitance=np.array([[float(last)]]))
    got = exact.solve(g)
    assert np.max(np.abs(got - want) / np.abs(want)) < 1e-14
    want_logdet = float(mp.log(last) + sum(mp.log(v) for v in pm))
    assert abs(exact.logdet() - want_logdet) < 1e-14 * abs(want_logdet)
    # without it: det K = 1 − Σp computed in floating point is off in its 4th digit
    naive = DiagPlusLowRank(p, p[:, None], -np.ones((1, 1)))
    assert abs(naive.capacitance()[0, 0] - float(last)) > 1e-6 * float(last)


def test_given_diagonal_is_used_by_dense():
    p = np.array([1 - 1e-12, 5e-13])
    exact = p * np.array([1e-12, 1 - 5e-13])  # p_i (1 − p_i) with 1 − p_i from the others
    m = DiagPlusLowRank(p, p[:, None], -np.ones((1, 1)), diagonal=exact)
    assert m.dense()[0, 0] == exact[0]
    assert m.dense()[0, 1] == -p[0] * p[1]


def test_refuses_bad_input():
    m = DiagPlusLowRank(np.ones(3), np.ones((3, 1)), np.ones((1, 1)))
    with pytest.raises(ShapeError, match="length 3"):
        m.matvec(np.ones(4))
    with pytest.raises(DomainError, match="damping"):
        m.solve(np.ones(3), damping=np.nan)
    with pytest.raises(ShapeError, match="U must"):
        DiagPlusLowRank(np.ones(3), np.ones((2, 1)), np.ones((1, 1)))
    with pytest.raises(ShapeError, match="C must"):
        DiagPlusLowRank(np.ones(3), np.ones((3, 1)), np.ones((2, 2)))
    with pytest.raises(DomainError, match="positive-definite"):
        DiagPlusLowRank(np.ones(2), np.ones((2, 1)), -np.ones((1, 1))).logdet()
