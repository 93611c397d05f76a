"""The dense structured matrix against plain numpy linear algebra."""

import numpy as np
import pytest

from fisherlab.errors import DomainError, ShapeError
from fisherlab.structure import Dense


def _spd(rng, batch, p):
    a = rng.normal(size=(*batch, p, p))
    return a @ np.swapaxes(a, -1, -2) + 0.5 * np.eye(p)


def test_dense_operations_match_numpy():
    rng = np.random.default_rng(3)
    m = _spd(rng, (2, 3), 5)
    v = rng.normal(size=(2, 3, 5))
    d = Dense(m)
    assert d.shape == (2, 3, 5, 5)
    np.testing.assert_allclose(d.matvec(v), np.einsum("...ij,...j->...i", m, v), rtol=1e-13)
    x = d.solve(v, damping=0.25)
    np.testing.assert_allclose(np.einsum("...ij,...j->...i", m + 0.25 * np.eye(5), x), v,
                               rtol=0, atol=1e-11)
    np.testing.assert_allclose(d.logdet(), np.log(np.linalg.det(m)), rtol=1e-12)


def test_dense_refuses_bad_input():
    d = Dense(np.eye(3))
    with pytest.raises(ShapeError, match="length 3"):
        d.matvec(np.ones(4))
    with pytest.raises(DomainError, match="damping"):
        d.solve(np.ones(3), damping=-1.0)
    with pytest.raises(DomainError, match="positive-definite"):
        Dense(-np.eye(3)[None]).logdet()
    with pytest.raises(ShapeError):
        Dense(np.ones((2, 3)))
