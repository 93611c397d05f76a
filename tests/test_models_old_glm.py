"""The kernel path of fisherlab.models reproduces the hand-coded GLM of fisherlab.optim.

Every family/link pair the old GLM offers, with the same data and weights, as a head: loss,
gradient, Hessian and Fisher agree to round-off (the old formulas are the independent side).
The categorical versions differ only in the reference class (class 0 there, the last here):
the data is relabelled so both solve the same problem.
"""

import numpy as np
import pytest

from fisherlab import models as flm
from fisherlab.optim import GLM as OldGLM

N = 50
CASES = {
    ("bernoulli", "logit"): (lambda: flm.Head("bernoulli"), lambda r: r.integers(0, 2, N)),
    ("bernoulli", "probit"): (lambda: flm.Head("bernoulli", link="probit"),
                              lambda r: r.integers(0, 2, N)),
    ("poisson", "log"): (lambda: flm.Head("poisson"), lambda r: r.poisson(2.0, N)),
    ("normal", "identity"): (lambda: flm.Head("normal", fixed={"std": np.sqrt(1.7)}),
                             lambda r: r.normal(0.0, 1.3, N)),
    ("gamma", "log"): (lambda: flm.Head("gamma", link="exp", fixed={"shape": 1.7}),
                       lambda r: r.gamma(1.7, 1.0, N)),
}


def _rel(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("family,link", sorted(CASES))
def test_scalar_families_match_the_old_glm(family, link):
    make, draw = CASES[(family, link)]
    rng = np.random.default_rng(0)
    X = np.c_[np.ones(N), rng.uniform(-1, 1, (N, 3))]
    y = draw(rng).astype(float)
    old = OldGLM(X, y, family=family, link=link, l2=0.05, scale=1.7)
    new = flm.GLM(make()).problem(X, y, l2=0.05)
    for seed in range(3):
        w = 0.4 * np.random.default_rng(seed).standard_normal(4)
        assert _rel(new.loss(w), old.loss(w)) < 1e-14
        for name in ("grad", "hessian", "fisher", "per_sample_grads"):
            assert _rel(getattr(new, name)(w), getattr(old, name)(w)) < 1e-13, name


def test_categorical_matches_the_old_glm_after_relabelling():
    K = 4
    rng = np.random.default_rng(1)
    X = np.c_[np.ones(N), rng.uniform(-1, 1, (N, 2))]
    labels = rng.integers(0, K, N)
    old = OldGLM(X, labels, family="categorical", l2=0.05, n_classes=K)
    # old class c (reference 0) is new class (c − 1) mod K (reference K − 1): the old logits
    # of classes 1..K−1 are the new η_1..η_{K−1} in the same order
    new = flm.GLM(flm.Head("categorical", k=K)).problem(X, (labels - 1) % K, l2=0.05)
    w = 0.4 * rng.standard_normal(old.dim)
    assert _rel(new.loss(w), old.loss(w)) < 1e-14
    for name in ("grad", "hessian", "fisher"):
        assert _rel(getattr(new, name)(w), getattr(old, name)(w)) < 1e-13, name
