"""Identities of GLM curvature, each side computed by its own code path.

- ``fisher`` comes from the kernels' Fisher F_θ(θ) carried through h′ (no y involved);
  ``hessian`` from the kernels' observed Hessian at y plus the h″·score term. With a canonical
  link and a linear predictor the two are equal at every w; with any other link they are not
  (shown at the same points, so the check can fail), but the Fisher is the expectation of the
  Hessian over y drawn from the model.
- The Monte Carlo Fisher converges to the exact one at rate 1/√S.
- 2·KL(p_w ‖ p_{w+εv})/ε² → vᵀ F v for the default head of every catalog family.
"""

import numpy as np
import pytest

import fisherlab as fl
from fisherlab import models as flm

N = 30


def _data(seed, d=3):
    rng = np.random.default_rng(seed)
    return rng, np.c_[np.ones(N), rng.uniform(-1, 1, (N, d - 1))]


def _rel(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(np.asarray(b)))


# heads whose link is canonical for a linear predictor (the natural parameter is linear in raw),
# with a draw of y and an intercept keeping every row inside the domain
CANONICAL = {
    "bernoulli-logit": (lambda: flm.Head("bernoulli"), lambda r, n: r.integers(0, 2, n), 0.0),
    "poisson-exp": (lambda: flm.Head("poisson"), lambda r, n: r.poisson(3.0, n), 0.5),
    "gamma-inverse": (lambda: flm.Head("gamma", fixed={"shape": 2.0}),
                      lambda r, n: r.gamma(2.0, 0.5, n), 1.5),
    "inverse-gaussian-inverse-sqrt": (lambda: flm.Head("inverse_gaussian", fixed={"shape": 3.0}),
                                      lambda r, n: r.wald(1.0, 3.0, n), 1.5),
    "normal-identity": (lambda: flm.Head("normal", fixed={"std": 0.7}),
                        lambda r, n: r.normal(0.0, 1.0, n), 0.0),
    "gamma-natural": (lambda: flm.Head("gamma", "natural"), lambda r, n: r.gamma(2.0, 0.5, n),
                      None),
    "categorical-natural": (lambda: flm.Head("categorical", k=4),
                            lambda r, n: r.integers(0, 4, n), 0.0),
    "categorical-softmax": (lambda: flm.Head("categorical", link="softmax", k=4),
                            lambda r, n: r.integers(0, 4, n), 0.0),
    "binomial-logit": (lambda: flm.Head("binomial", n=5), lambda r, n: r.binomial(5, 0.4, n), 0.0),
}

NON_CANONICAL = {
    "poisson-identity": (lambda: flm.Head("poisson", link="identity"), 3.0),
    "bernoulli-probit": (lambda: flm.Head("bernoulli", link="probit"), 0.0),
    "gamma-exp": (lambda: flm.Head("gamma", link="exp", fixed={"shape": 2.0}), 0.0),
    "negative-binomial-exp": (lambda: flm.Head("negative_binomial", r=2.0), 1.0),
    "inverse-gaussian-exp": (lambda: flm.Head("inverse_gaussian", link="exp", fixed={"shape": 3.0}),
                             0.0),
}


def _canonical_problem(name, seed):
    make, draw, icpt = CANONICAL[name]
    head = make()
    rng, X = _data(seed)
    y = draw(rng, N).astype(float)
    W = 0.3 * rng.standard_normal((X.shape[1], head.width))
    if icpt is not None:
        W[0, 0] = icpt
    else:  # gamma natural: η₁ = α > 0 and η₂ = −β < 0 on every row
        W[:, :] = [[2.0, -1.5], [0.3, 0.2], [-0.2, 0.3]]
    a = rng.uniform(0.5, 2.0, N)
    return flm.GLM(head).problem(X, y, weights=a, l2=0.01), W.ravel()


@pytest.mark.parametrize("name", sorted(CANONICAL))
def test_canonical_link_fisher_equals_hessian_at_every_w(name):
    for seed in range(3):
        prob, w = _canonical_problem(name, seed)
        assert prob.head.canonical
        assert _rel(prob.hessian(w), prob.fisher(w)) < 1e-12


@pytest.mark.parametrize("name", sorted(NON_CANONICAL))
def test_noncanonical_fisher_is_not_the_hessian_but_its_expectation(name):
    make, icpt = NON_CANONICAL[name]
    head = make()
    assert not head.canonical
    rng, X = _data(10)
    w_true = np.array([icpt, 0.3, -0.2])
    y = head.sample(X @ w_true[:, None], seed=rng)
    model = flm.GLM(head)
    w = flm.fit(model, X, y).coef  # the optimum
    prob = model.problem(X, y)
    F, H = prob.fisher(w), prob.hessian(w)
    assert _rel(H, F) > 1e-3  # they differ at the optimum (at y's residuals)
    # E_y[H] over y drawn from the model at w: within 6 standard errors, entry by entry
    S = 2000
    raw = prob.raw(w)
    Hs = np.empty((S,) + F.shape)
    for s in range(S):
        ys = head.sample(raw, seed=rng)
        Hs[s] = model.problem(X, ys).hessian(w)
    mean, se = Hs.mean(axis=0), Hs.std(axis=0, ddof=1) / np.sqrt(S)
    assert np.all(np.abs(mean - F) <= 6 * se + 1e-14 * np.abs(F).max())


def test_the_identity_check_distinguishes():
    # the same data and w as a canonical case, with a non-canonical link: Hessian ≠ Fisher,
    # so the equality above is not a property of the code paths themselves
    prob, w = _canonical_problem("poisson-exp", 0)
    other = flm.GLM(flm.Head("poisson", link="softplus")).problem(prob.X, prob.y)
    assert _rel(other.hessian(w), other.fisher(w)) > 1e-3


DIMS = {"binomial": {"n": 5}, "dirichlet": {"k": 3}}


def _table_head(family, param, links):
    fam = fl.family(family, **DIMS.get(family, {}))
    params = fam.params(param)
    link = {p: links.get(p, links.get("*")) for p in params if p in links or "*" in links}
    fixed = {p: 1.5 for p in params if p not in link}
    return flm.Head(fam, param, link=link, fixed=fixed)


def _eta(head, raw):
    return head.kernels.to_natural(head.theta(raw))


def _affine_defect(head, seed):
    """max |η((a + b)/2) − (η(a) + η(b))/2| / max|η| over random pairs of raw rows in [0.5, 2]
    (every link of the table is defined there): round-off for an affine map, O(1) otherwise."""
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.5, 2.0, (2, 40, head.width))
    mid, ends = _eta(head, (a + b) / 2), (_eta(head, a) + _eta(head, b)) / 2
    return np.max(np.abs(mid - ends)) / np.max(np.abs(ends))


TABLE = sorted(flm.heads.CANONICAL_LINKS.items())
NOT_AFFINE = [("poisson", "rate", {"rate": "softplus"}), ("bernoulli", "p", {"p": "probit"}),
              ("gamma", "mean_shape", {"mean": "exp"}), ("gamma", "mean_shape", {"*": "identity"}),
              ("exponential", "scale", {"scale": "identity"}),
              ("normal", "mean_logstd", {"*": "identity"}),
              ("inverse_gaussian", "mean_shape", {"mean": "inverse"}),
              ("negative_binomial", "mean", {"mean": "exp"})]


def _glm_at(head, seed):
    """A GLM problem with raw in [0.9, 1.5] on every row, y drawn from the head, a random w."""
    rng, X = _data(seed)
    W = rng.uniform(-0.1, 0.1, (X.shape[1], head.width))
    W[0] = 1.2
    w = W.ravel()
    y = head.sample(X @ W, seed=rng)
    return flm.GLM(head).problem(X, y, weights=rng.uniform(0.5, 2.0, N)), w


@pytest.mark.parametrize("key,links", TABLE, ids=[f"{f}-{p}" for (f, p), _ in TABLE])
def test_every_canonical_table_entry_is_affine_and_its_fisher_is_its_hessian(key, links):
    head = _table_head(*key, links)
    assert head.canonical
    assert _affine_defect(head, 0) < 1e-13
    for seed in range(2):
        prob, w = _glm_at(head, seed)
        # fisher: the kernels' Fisher through h′; hessian: the observed-Hessian kernel at y
        # plus the h″·score term: two code paths, equal only because η is affine in raw
        assert _rel(prob.hessian(w), prob.fisher(w)) < 1e-12


@pytest.mark.parametrize("family,param,links", NOT_AFFINE,
                         ids=[f"{f}-{p}-{'-'.join(lk.values())}" for f, p, lk in NOT_AFFINE])
def test_heads_outside_the_table_are_not_affine_and_not_canonical(family, param, links):
    dims = {"r": 2.0} if family == "negative_binomial" else {}
    fam = fl.family(family, **dims)
    params = fam.params(param)
    link = {p: links.get(p, links.get("*")) for p in params if p in links or "*" in links}
    head = flm.Head(fam, param, link=link, fixed={p: 1.5 for p in params if p not in link})
    assert not head.canonical
    assert _affine_defect(head, 0) > 1e-3
    prob, w = _glm_at(head, 0)
    assert _rel(prob.hessian(w), prob.fisher(w)) > 1e-4


def test_mc_fisher_converges_at_rate_one_over_sqrt_samples():
    head = flm.Head("poisson", link="identity")
    rng, X = _data(20)
    w = np.array([3.0, 0.5, -0.4])
    prob = flm.GLM(head).problem(X, head.sample(X @ w[:, None], seed=rng), l2=0.01)
    F = prob.fisher(w)
    R = 40
    mse = {}
    means = {}
    for S in (64, 1024):
        est = np.stack([prob.mc_fisher(w, samples=S, seed=1000 * S + k) for k in range(R)])
        mse[S] = np.mean(np.sum((est - F) ** 2, axis=(1, 2)))
        means[S] = est
    # E‖M_S − F‖² = c/S: the ratio over a 16-fold S is 16 (the spread of a 40-seed mean of
    # squared norms is ~10 %; the window is wide enough for 6 of those)
    assert 8.0 < mse[64] / mse[1024] < 32.0
    # unbiased: the 40 estimates at S = 64 average to F within 6 standard errors
    est = means[64]
    se = est.std(axis=0, ddof=1) / np.sqrt(R)
    assert np.all(np.abs(est.mean(axis=0) - F) <= 6 * se)


def _center(param):
    lo, hi = param.test_range
    if lo > 0:
        return np.sqrt(lo * hi)
    if hi < 0:
        return -np.sqrt(lo * hi)
    return (lo + hi) / 2


def _valid_start(head, rng):
    """Weights whose raw outputs stay near the centre of every predicted parameter's range."""
    pz = head.family.spec.parametrization(head.param)
    by_name = {p.name: p for p in pz.params}
    raw0 = []
    for name, lk in head.links.items():
        c = _center(by_name[name])
        if head.param == "natural" and head.family.name in ("categorical", "multinomial"):
            c = 0.2 * rng.standard_normal()
        raw0.append(c if lk == "softmax" else float(lk.inverse(np.array(c))))
    if head.width > len(raw0):
        raw0.append(0.0)
    W = np.zeros((2, head.width))
    W[0] = raw0
    W[1] = 0.01 * np.abs(np.array(raw0) + 0.1) * rng.standard_normal(head.width)
    return W.ravel()


KL_HEADS = [(name, {}) for name in fl.families()] + [
    ("gamma", {"param": "shape_rate", "link": "exp"}),
    ("beta", {"param": "mean_precision", "link": {"mean": "logistic", "precision": "exp"}}),
    ("normal", {"param": "mean_logstd"}),
    ("categorical", {"link": "softmax"}),
    ("poisson", {"link": "softplus"}),
    ("bernoulli", {"link": "probit"}),
]


@pytest.mark.parametrize("name,kw", KL_HEADS, ids=[f"{n}-{k}" for n, k in KL_HEADS])
def test_kl_second_order_is_the_fisher(name, kw):
    head = flm.Head(name, **kw)
    rng = np.random.default_rng(30)
    X = np.c_[np.ones(8), rng.uniform(-1, 1, 8)]
    w = _valid_start(head, rng)
    y = head.sample(X @ w.reshape(2, head.width), seed=rng)
    prob = flm.GLM(head).problem(X, y)
    v = rng.standard_normal(prob.dim) * np.abs(w).clip(0.05)
    vFv = float(v @ prob.fisher(w) @ v)
    errs = []
    for eps in (1e-3, 1e-4):
        kl = prob.divergence(w, w + eps * v)
        errs.append(abs(2 * kl / eps**2 - vFv) / vFv)
    assert errs[0] < 1e-2
    # the error is O(ε): a tenfold smaller ε cuts it about tenfold
    assert errs[1] < 0.2 * errs[0] + 1e-7
