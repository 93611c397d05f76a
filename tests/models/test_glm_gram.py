"""The GLM's weighted Gram product Σ_i J_iᵀ M_i J_i, summed over blocks of rows, against the
einsum over the full Jacobian."""

import numpy as np
import pytest

from fisherlab import models as flm
from fisherlab.models import glm


@pytest.mark.parametrize("r", [1, 2])
@pytest.mark.parametrize("weights", ["positive semidefinite", "indefinite"])
def test_blocked_gram_matches_the_jacobian_einsum(monkeypatch, r, weights):
    # the smallest blocks (256 rows): 1000 rows are three blocks and a short one
    monkeypatch.setattr(glm, "GRAM_BLOCK_BYTES", 1)
    rng = np.random.default_rng(0)
    n, d = 1000, 3
    X = rng.standard_normal((n, d))
    A = rng.standard_normal((n, r, r))
    # a PSD M_i has a nonnegative diagonal (the syrk path); an indefinite one does not
    M = A @ A.transpose(0, 2, 1) if weights == "positive semidefinite" else A + A.transpose(0, 2, 1)
    if weights == "indefinite":
        assert (M[:, 0, 0] < 0).any()
    pred = flm.LinearPredictor(d, r)
    w = np.zeros(pred.n_weights)
    J = pred.jacobian(w, X)
    want = np.einsum("nap,nab,nbq->pq", J, M, J)
    got = pred.gram(w, X, M)
    assert np.linalg.norm(got - want) <= 1e-13 * np.linalg.norm(want)
