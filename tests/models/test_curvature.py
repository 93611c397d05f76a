"""Every curvature of a GLM problem against an independent dense reference built by autograd.

For each case the test writes the per-row log-likelihood directly in autograd (its own formulas,
with autograd.scipy's special functions), and builds:

- the loss and gradient by autograd;
- the exact Hessian by ``autograd.hessian`` of the mean weighted NLL;
- the GGN as Σ_i a_i J_iᵀ F_θ,i J_i / n with J_i = ``autograd.jacobian`` of θ(w) (the links
  written again here) and F_θ the family kernels' Fisher in the emitted parametrization.

The problem's matrices, products, diagonals and per-sample gradients must match to 1e-10
relative (to the largest entry of the reference).
"""

from types import SimpleNamespace

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, hessian, jacobian
from autograd.scipy.special import gammaln, logsumexp
from autograd.scipy.stats import norm

from fisherlab import ExponentialFamily, Param
from fisherlab import models as flm
from fisherlab.families.declaration import Parametrization
from fisherlab.families.domain import NEGATIVE, POSITIVE
from fisherlab.families.support import POSITIVE_REALS

RTOL = 1e-10
N, D = 24, 3


def _half_normal_spec():
    # A user-declared family: the half-normal in its scale σ (T = x², η = −1/(2σ²)).
    return ExponentialFamily(
        name="my_half_normal", title="Half-normal (user)", density=r"p(x)",
        support=POSITIVE_REALS,
        statistics=lambda sp, x: [x**2],
        log_base_measure=lambda sp, x: sp.log(2 / sp.pi) / 2,
        natural=[Param("eta", NEGATIVE, (-10.0, -0.1), "η = −1/(2σ²)")],
        log_partition=lambda sp, e: -sp.log(-2 * e) / 2,
        parametrizations=[Parametrization(
            "scale", [Param("scale", POSITIVE, (0.3, 3.0), "σ > 0")],
            to_natural=lambda sp, s: [-1 / (2 * s**2)],
            from_natural=lambda sp, e: [1 / sp.sqrt(-2 * e)])],
        sampler=("scale", lambda rng, s, size: np.abs(rng.normal(0.0, s, size=size))),
    )


HALF_NORMAL = _half_normal_spec()


def _beta_logp(m, k, y):
    a, b = m * k, (1 - m) * k
    return gammaln(k) - gammaln(a) - gammaln(b) + (a - 1) * anp.log(y) + (b - 1) * anp.log(1 - y)


def _log_sigmoid(z):
    return -anp.logaddexp(0.0, -z)


# name -> (head factory, θ(raw) in autograd: (n, r) -> list of θ columns of the predicted
#          parameters, log p(y | raw) in autograd, y sampler, w scale, w shift)
def _cases():
    R_NB = 2.5
    ALPHA = 2.5   # gamma shape held fixed
    LAM = 3.0     # inverse-Gaussian shape held fixed
    return {
        "bernoulli-logit": (
            lambda: flm.Head("bernoulli"),
            lambda r: [1 / (1 + anp.exp(-r[:, 0]))],
            lambda r, y: y * _log_sigmoid(r[:, 0]) + (1 - y) * _log_sigmoid(-r[:, 0]),
            lambda rng, n: rng.integers(0, 2, n).astype(float),
        ),
        "bernoulli-probit": (
            lambda: flm.Head("bernoulli", link="probit"),
            lambda r: [norm.cdf(r[:, 0])],
            lambda r, y: y * norm.logcdf(r[:, 0]) + (1 - y) * norm.logcdf(-r[:, 0]),
            lambda rng, n: rng.integers(0, 2, n).astype(float),
        ),
        "poisson-exp": (
            lambda: flm.Head("poisson"),
            lambda r: [anp.exp(r[:, 0])],
            lambda r, y: y * r[:, 0] - anp.exp(r[:, 0]) - gammaln(y + 1),
            lambda rng, n: rng.poisson(2.0, n).astype(float),
        ),
        "poisson-identity": (
            lambda: flm.Head("poisson", link="identity"),
            lambda r: [r[:, 0]],
            lambda r, y: y * anp.log(r[:, 0]) - r[:, 0] - gammaln(y + 1),
            lambda rng, n: rng.poisson(2.0, n).astype(float),
        ),
        "gamma-inverse": (
            lambda: flm.Head("gamma", fixed={"shape": ALPHA}),
            lambda r: [1 / r[:, 0]],
            lambda r, y: (
                ALPHA * anp.log(ALPHA * r[:, 0])
                + (ALPHA - 1) * anp.log(y)
                - ALPHA * y * r[:, 0]
                - gammaln(ALPHA)
            ),
            lambda rng, n: rng.gamma(2.0, 1.0, n),
        ),
        "gamma-exp": (
            lambda: flm.Head("gamma", link="exp", fixed={"shape": ALPHA}),
            lambda r: [anp.exp(r[:, 0])],
            lambda r, y: (
                ALPHA * (anp.log(ALPHA) - r[:, 0])
                + (ALPHA - 1) * anp.log(y)
                - ALPHA * y * anp.exp(-r[:, 0])
                - gammaln(ALPHA)
            ),
            lambda rng, n: rng.gamma(2.0, 1.0, n),
        ),
        "gamma-shape-rate-exp": (
            lambda: flm.Head("gamma", "shape_rate", link="exp"),
            lambda r: [anp.exp(r[:, 0]), anp.exp(r[:, 1])],
            lambda r, y: (
                anp.exp(r[:, 0]) * r[:, 1]
                - gammaln(anp.exp(r[:, 0]))
                + (anp.exp(r[:, 0]) - 1) * anp.log(y)
                - anp.exp(r[:, 1]) * y
            ),
            lambda rng, n: rng.gamma(2.0, 1.0, n),
        ),
        "negative-binomial": (
            lambda: flm.Head("negative_binomial", r=R_NB),
            lambda r: [anp.exp(r[:, 0])],
            lambda r, y: (
                gammaln(y + R_NB)
                - gammaln(R_NB)
                - gammaln(y + 1)
                + R_NB * (anp.log(R_NB) - anp.logaddexp(anp.log(R_NB), r[:, 0]))
                + y * (r[:, 0] - anp.logaddexp(anp.log(R_NB), r[:, 0]))
            ),
            lambda rng, n: rng.negative_binomial(R_NB, 0.4, n).astype(float),
        ),
        "inverse-gaussian": (
            lambda: flm.Head("inverse_gaussian", fixed={"shape": LAM}),
            lambda r: [1 / anp.sqrt(r[:, 0])],
            lambda r, y: (
                0.5 * anp.log(LAM / (2 * np.pi * y**3))
                - LAM * (y - 1 / anp.sqrt(r[:, 0])) ** 2 * r[:, 0] / (2 * y)
            ),
            lambda rng, n: rng.wald(1.0, 3.0, n),
        ),
        "normal-mean-logstd": (
            lambda: flm.Head("normal", "mean_logstd"),
            lambda r: [r[:, 0], r[:, 1]],
            lambda r, y: (
                -r[:, 1] - 0.5 * np.log(2 * np.pi) - (y - r[:, 0]) ** 2 * anp.exp(-2 * r[:, 1]) / 2
            ),
            lambda rng, n: rng.normal(0.5, 1.5, n),
        ),
        "categorical-natural": (
            lambda: flm.Head("categorical", k=3),
            lambda r: [r[:, 0], r[:, 1]],
            lambda r, y: (
                anp.sum(y[:, :2] * r, axis=1) - anp.log(1 + anp.exp(r[:, 0]) + anp.exp(r[:, 1]))
            ),
            lambda rng, n: np.eye(3)[rng.integers(0, 3, n)],
        ),
        "categorical-softmax": (
            lambda: flm.Head("categorical", link="softmax", k=3),
            lambda r: [r[:, 0] - r[:, 2], r[:, 1] - r[:, 2]],
            lambda r, y: anp.sum(y * r, axis=1) - logsumexp(r, axis=1),
            lambda rng, n: np.eye(3)[rng.integers(0, 3, n)],
        ),
        "beta-mean-precision": (
            lambda: flm.Head(
                "beta", "mean_precision", link={"mean": "logistic", "precision": "exp"}
            ),
            lambda r: [1 / (1 + anp.exp(-r[:, 0])), anp.exp(r[:, 1])],
            lambda r, y: _beta_logp(1 / (1 + anp.exp(-r[:, 0])), anp.exp(r[:, 1]), y),
            lambda rng, n: rng.beta(2.0, 3.0, n),
        ),
        "binomial-logit": (
            lambda: flm.Head("binomial", n=7),
            lambda r: [1 / (1 + anp.exp(-r[:, 0]))],
            lambda r, y: (
                gammaln(8.0)
                - gammaln(y + 1)
                - gammaln(8.0 - y)
                + y * _log_sigmoid(r[:, 0])
                + (7 - y) * _log_sigmoid(-r[:, 0])
            ),
            lambda rng, n: rng.binomial(7, 0.4, n).astype(float),
        ),
        "user-half-normal-exp": (
            lambda: flm.Head(HALF_NORMAL, "scale", link="exp"),
            lambda r: [anp.exp(r[:, 0])],
            lambda r, y: 0.5 * np.log(2 / np.pi) - r[:, 0] - y**2 * anp.exp(-2 * r[:, 0]) / 2,
            lambda rng, n: np.abs(rng.normal(0.0, 1.3, n)),
        ),
    }


CASES = _cases()

# weights that keep every row's θ valid: the raw outputs stay near a positive value for the
# links whose domain needs it
SHIFT = {"poisson-identity": 2.0, "gamma-inverse": 0.8, "inverse-gaussian": 1.0}


def _setup(name, seed=0):
    make, theta_fn, logp, draw = CASES[name]
    head = make()
    rng = np.random.default_rng(seed)
    X = np.c_[np.ones(N), rng.uniform(-1, 1, (N, D - 1))]
    y = draw(rng, N)
    P = D * head.width
    w = 0.2 * rng.standard_normal(P)
    W = w.reshape(D, head.width)
    if name in SHIFT:
        W[0, 0] = SHIFT[name]
    w = W.ravel()
    a = rng.uniform(0.5, 2.0, N)  # prior weights
    l2 = 0.03
    prob = flm.GLM(head).problem(X, y, weights=a, l2=l2)

    def raw(w):
        return anp.dot(X, anp.reshape(w, (D, head.width)))

    def loss(w):
        return anp.sum(a * -logp(raw(w), y)) / N + 0.5 * l2 * anp.sum(w * w)

    def theta(w):
        return anp.stack(theta_fn(raw(w)), axis=1)

    return SimpleNamespace(head=head, prob=prob, w=w, loss=loss, theta=theta, X=X, y=y, a=a, l2=l2)


def _close(got, want, rtol=RTOL):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    scale = np.max(np.abs(want))
    err = np.max(np.abs(got - want))
    assert err <= rtol * scale, f"max error {err:.3g} vs scale {scale:.3g}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_grad_hessian_against_autograd(name):
    c = _setup(name)
    prob, w, loss = c.prob, c.w, c.loss
    _close(prob.loss(w), loss(w), 1e-13)
    _close(prob.grad(w), grad(loss)(w))
    H = hessian(loss)(w)
    _close(prob.hessian(w), H)
    v = np.random.default_rng(1).standard_normal(prob.dim)
    _close(prob.hessian_vp(w, v), H @ v)


@pytest.mark.parametrize("name", sorted(CASES))
def test_ggn_against_autograd_jacobian_and_kernel_fisher(name):
    c = _setup(name)
    head, prob, w, a, l2 = c.head, c.prob, c.w, c.a, c.l2
    J = jacobian(c.theta)(w)  # (n, q, P): through the links, written above
    th = head.theta(prob.raw(w))
    F_theta = head.kernels.fisher(th)
    idx = [head.params.index(p) for p in head.predicted]
    F_theta = F_theta[:, idx][:, :, idx]
    G = np.einsum("n,nap,nab,nbq->pq", a, J, F_theta, J) / N + l2 * np.eye(prob.dim)
    _close(prob.fisher(w), G)
    v = np.random.default_rng(2).standard_normal(prob.dim)
    _close(prob.fisher_vp(w, v), G @ v)
    _close(prob.fisher_diag(w), np.diag(G))


@pytest.mark.parametrize("name", sorted(CASES))
def test_per_sample_grads_and_empirical_fisher(name):
    c = _setup(name)
    head, prob, w, X, y, a, l2 = c.head, c.prob, c.w, c.X, c.y, c.a, c.l2
    logp = CASES[name][2]

    def row_loss(w, i):
        r = anp.dot(X[i:i + 1], anp.reshape(w, (D, head.width)))
        return -a[i] * logp(r, y[i:i + 1])[0]

    G = np.stack([grad(row_loss)(w, i) for i in range(N)])
    _close(prob.per_sample_grads(w), G)
    _close(prob.empirical_fisher(w), G.T @ G / N)
    # the per-sample gradients average to the gradient (without its penalty)
    _close(prob.per_sample_grads(w).mean(axis=0) + l2 * w, prob.grad(w))


def test_generic_jacobian_path_matches_the_gram_fast_path():
    # a predictor without ``gram``: the Problem falls to the Jacobian einsum
    c = _setup("normal-mean-logstd")
    head, prob, w = c.head, c.prob, c.w

    class Plain(flm.LinearPredictor):
        gram = property(lambda self: (_ for _ in ()).throw(AttributeError("gram")))

    plain = flm.Problem(
        Plain(D, head.width), head, prob.X, prob.y, weights=prob.weights, l2=prob.l2
    )
    assert not hasattr(plain.predictor, "gram")
    _close(plain.fisher(w), prob.fisher(w), 1e-13)
    _close(plain.hessian(w), prob.hessian(w), 1e-13)


@pytest.mark.parametrize("name", sorted(CASES))
def test_operators_past_the_dense_limit(name, monkeypatch):
    c = _setup(name)
    prob, w = c.prob, c.w
    F, H = prob.fisher(w), prob.hessian(w)
    monkeypatch.setattr(flm.problem, "DENSE_LIMIT", prob.dim - 1)
    Fop, Hop = prob.fisher(w), prob.hessian(w)
    assert not isinstance(Fop, np.ndarray) and not isinstance(Hop, np.ndarray)
    V = np.random.default_rng(3).standard_normal((prob.dim, 2))
    _close(np.column_stack([Fop @ V[:, 0], Fop @ V[:, 1]]), F @ V)
    _close(np.column_stack([Hop @ V[:, 0], Hop @ V[:, 1]]), H @ V)
