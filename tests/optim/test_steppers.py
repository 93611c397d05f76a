"""Properties of the steppers on the exact kernels (issue 6, §2), tested exactly.

Each identity compares two independently computed sides: NGD's one step against ``Family.mle``
(closed form / Newton in η), Newton against NGD (Hessian vs Fisher kernels, LU vs Cholesky),
mirror descent (a gradient step in μ, mapped back through (∇A)⁻¹) against NGD in mean
parameters, GLM curvature against autograd of a loss written here from the densities, and
Newton on logistic regression against an IRLS written here as weighted least squares.
"""

from __future__ import annotations

import autograd
import autograd.numpy as anp
import autograd.scipy.special as asp
import autograd.scipy.stats.norm as anorm
import numpy as np
import pytest

import fisherlab as fl
from fisherlab.errors import DomainError, SupportError
from fisherlab.optim import (
    GD,
    GLM,
    MLE,
    Adam,
    DiagonalFisher,
    EmpiricalFisher,
    MirrorDescent,
    Momentum,
    NaturalGradient,
    Newton,
    Problem,
    RMSProp,
    run,
)


def _centre(fam):
    """A central natural parameter of the family and the sampler's parametrization.

    The centre of each natural test range, with a range that straddles 0 centred at 0 where
    that is a point of the family (bernoulli's (−30, 6) has its midpoint at η = −12, where a
    sample of 300 holds no success and has no MLE; the von Mises η = 0 is excluded).
    """
    from fisherlab.verify.points import from_unit

    def _start(params):  # the centre of each test range (geometric where it is one-signed)
        return from_unit(params, np.full(len(params), 0.5))

    home = fam.spec.sampler[0]
    mid = _start(fam.spec.natural)
    zero = np.where([p.test_range[0] < 0 < p.test_range[1] for p in fam.spec.natural], 0.0, mid)
    for eta in (zero, mid):  # the centre of the natural test ranges, when it is a valid point
        try:
            fam.kernels(home).fisher(fam.from_natural(eta, home))  # raises outside the domain
            return eta, home
        except DomainError:
            continue
    return fam.kernels(home).to_natural(_start(fam.spec.parametrization(home).params)), home


def _valid_points(fam, param, count, seed=0):
    """Points inside the domain near the centre: η_c + 0.1·max(|η_c|, 1)·u, u uniform in [−1, 1]."""
    eta, home = _centre(fam)
    rng = np.random.default_rng(seed)
    pts = [
        fam.from_natural(
            eta + 0.1 * np.maximum(np.abs(eta), 1) * rng.uniform(-1, 1, eta.shape), param
        )
        for _ in range(count)
    ]
    return pts, fam.from_natural(eta, home), home


def _family_handles():
    out = []
    for name in fl.families():
        fam = fl.family(name)
        if fam.spec.sampler is None:
            continue
        out.append(fam)
    return out


def _is_affine_in_mean(fam, param) -> bool:
    """Whether μ = E[T] is an affine function of θ (checked on points of the domain)."""
    k = fam.kernels(param)
    if len(k.params) != len(k.natural_params):
        return False
    pts, _, _ = _valid_points(fam, param, 3, seed=100)
    a, b, c = pts
    for w in (0.3, 0.7):
        mid = w * a + (1 - w) * b
        if not np.allclose(k.mean(mid), w * k.mean(a) + (1 - w) * k.mean(b), rtol=1e-12, atol=0):
            return False
    # and the Jacobian of μ(θ) is the same at two points (affine, not merely linear on a segment)
    dmu = lambda t: k.natural_fisher(t) @ k.jacobian(t)  # noqa: E731  dμ/dθ = ∇²A · ∂η/∂θ
    return np.allclose(dmu(a), dmu(c), rtol=1e-10, atol=1e-12)


#: Mean parametrizations the issue names; those whose family is in the catalog must be detected.
KNOWN_MEAN = [("normal", "mean"), ("poisson", "rate"), ("bernoulli", "p"), ("exponential", "scale"),
              ("binomial", "p"), ("categorical", "probs"), ("multinomial", "probs"),
              ("geometric", "mean"), ("negative_binomial", "mean")]


def _mean_parametrizations():
    """Detected at collection; an error in one family is kept for a test to report, so that a
    family in trouble fails one test instead of the collection of this whole file."""
    found, errors = [], []
    for fam in _family_handles():
        for param in fam.parametrizations:
            if param == "natural":
                continue
            try:
                if _is_affine_in_mean(fam, param):
                    found.append((fam.name, param))
            except Exception as exc:  # reported by test_mean_parametrization_detection
                errors.append(f"{fam.name} {param}: {type(exc).__name__}: {exc}")
    return found, errors


MEAN_PARAMS, DETECTION_ERRORS = _mean_parametrizations()


def test_mean_parametrization_detection():
    assert not DETECTION_ERRORS, "\n".join(DETECTION_ERRORS)


def test_known_mean_parametrizations_are_detected():
    catalog = set(fl.families())
    for name, param in KNOWN_MEAN:
        if name in catalog and param in fl.family(name).parametrizations:
            assert (name, param) in MEAN_PARAMS, (name, param)
    assert {("normal", "mean"), ("poisson", "rate"), ("bernoulli", "p"),
            ("exponential", "scale")} <= set(MEAN_PARAMS)


@pytest.mark.parametrize("name,param", MEAN_PARAMS, ids=[f"{a}-{b}" for a, b in MEAN_PARAMS])
def test_ngd_step_one_in_mean_parameters_reaches_mle(name, param):
    fam = fl.family(name)
    pts, centre, home = _valid_points(fam, param, 2, seed=7)
    x = fam.sample(centre, home, size=300, seed=11)
    prob = MLE(fam, param, x)
    res = run(prob, NaturalGradient(lr=1.0), pts[1], max_iter=1, record_kl=False, keep_path=True)
    one_step = res.path[1]
    mle = fam.mle(x, param)
    np.testing.assert_allclose(one_step, mle, rtol=1e-12, atol=1e-14)


NATURAL = [fam.name for fam in _family_handles()]


@pytest.mark.parametrize("name", NATURAL)
@pytest.mark.parametrize("lr,damping", [(1.0, 0.0), (0.5, 0.0), (0.7, 0.3)])
def test_newton_equals_ngd_in_natural_parameters(name, lr, damping):
    fam = fl.family(name)
    pts, centre, home = _valid_points(fam, "natural", 1, seed=3)
    x = fam.sample(centre, home, size=200, seed=5)
    prob = MLE(fam, "natural", x)
    start = pts[0]
    a = run(
        prob, Newton(lr=lr, damping=damping), start, max_iter=6, record_kl=False, keep_path=True
    )
    b = run(prob, NaturalGradient(lr=lr, damping=damping), start, max_iter=6, record_kl=False,
            keep_path=True)
    assert a.status == b.status and len(a.path) == len(b.path) >= 2
    for ta, tb in zip(a.path, b.path):
        np.testing.assert_allclose(ta, tb, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,param", MEAN_PARAMS, ids=[f"{a}-{b}" for a, b in MEAN_PARAMS])
@pytest.mark.parametrize("mirror_param", ["natural", "home"])
def test_mirror_descent_equals_ngd_in_mean_parameters(name, param, mirror_param):
    fam = fl.family(name)
    pts, centre, home = _valid_points(fam, param, 1, seed=21)
    x = fam.sample(centre, home, size=200, seed=23)
    mp = home if mirror_param == "home" else "natural"
    lr = 0.4
    ngd = run(MLE(fam, param, x), NaturalGradient(lr=lr), pts[0], max_iter=5, record_kl=False,
              keep_path=True)
    md = run(MLE(fam, mp, x), MirrorDescent(lr=lr), fam.convert(pts[0], param, mp), max_iter=5,
             record_kl=False, keep_path=True)
    assert ngd.status == md.status == "max_iter"
    for tn, tm in zip(ngd.path, md.path):
        np.testing.assert_allclose(fam.convert(tm, mp, param), tn, rtol=1e-11, atol=1e-12)


# ----------------------------------------------------------------------------- GLMs


def _glm_data(family, link, n=60, d=3, K=3, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, d - 1))])
    beta = rng.normal(scale=0.6, size=d)
    eta = X @ beta
    if family == "bernoulli":
        from scipy.special import expit, ndtr

        mu = expit(eta) if link == "logit" else ndtr(eta)
        y = (rng.random(n) < mu).astype(float)
    elif family == "poisson":
        y = rng.poisson(np.exp(eta)).astype(float)
    elif family == "normal":
        y = eta + rng.normal(size=n)
    elif family == "gamma":
        y = rng.gamma(2.0, np.exp(eta) / 2.0)
    else:
        B = rng.normal(scale=0.6, size=(d, K - 1))
        logits = np.column_stack([np.zeros(n), X @ B])
        p = np.exp(logits - logits.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        y = np.array([rng.choice(K, p=row) for row in p], dtype=float)
    return X, y


def _autograd_loss(family, link, X, y, l2, scale, K=3):
    """The mean NLL written from the densities, for autograd (independent of GLM's row terms)."""
    n, d = X.shape

    def loss(theta):
        if family == "categorical":
            Y = np.eye(K)[y.astype(int)]
            logits = anp.concatenate(
                [anp.zeros((n, 1)), anp.dot(X, anp.reshape(theta, (d, K - 1)))], 1
            )
            logp = logits - asp.logsumexp(logits, axis=1, keepdims=True)
            nll = -anp.sum(Y * logp, axis=1)
        else:
            eta = anp.dot(X, theta)
            if (family, link) == ("bernoulli", "logit"):
                p = asp.expit(eta)
                nll = -(y * anp.log(p) + (1 - y) * anp.log(1 - p))
            elif (family, link) == ("bernoulli", "probit"):
                nll = -(y * anorm.logcdf(eta) + (1 - y) * anorm.logcdf(-eta))
            elif family == "poisson":
                nll = anp.exp(eta) - y * eta + asp.gammaln(y + 1)
            elif family == "normal":
                nll = 0.5 * anp.log(2 * anp.pi * scale) + (y - eta) ** 2 / (2 * scale)
            else:  # gamma with shape α = scale and mean μ = e^η: rate α/μ
                a, rate = scale, scale * anp.exp(-eta)
                nll = -(a * anp.log(rate) + (a - 1) * anp.log(y) - rate * y - asp.gammaln(a))
        return anp.mean(nll) + 0.5 * l2 * anp.sum(theta ** 2)

    return loss


GLMS = [("bernoulli", "logit"), ("poisson", "log"), ("normal", "identity"),
        ("categorical", "softmax"), ("bernoulli", "probit"), ("gamma", "log")]
CANONICAL = GLMS[:4]
NONCANONICAL = GLMS[4:]


@pytest.mark.parametrize("family,link", GLMS)
def test_glm_loss_grad_hessian_against_autograd(family, link):
    X, y = _glm_data(family, link)
    scale = 2.0 if family == "gamma" else 1.5
    glm = GLM(X, y, family, link, l2=0.01, scale=scale)
    f = _autograd_loss(family, link, X, y, 0.01, scale)
    rng = np.random.default_rng(4)
    for _ in range(3):
        th = rng.normal(scale=0.5, size=glm.dim)
        assert glm.loss(th) == pytest.approx(float(f(th)), rel=1e-13)
        np.testing.assert_allclose(glm.grad(th), autograd.grad(f)(th), rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(glm.hessian(th), autograd.hessian(f)(th), rtol=1e-11, atol=1e-13)
        # per-sample gradients sum to the data part of the gradient
        np.testing.assert_allclose(glm.per_sample_grads(th).mean(0) + 0.01 * th, glm.grad(th),
                                   rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("family,link", CANONICAL)
def test_canonical_glm_fisher_equals_hessian_everywhere(family, link):
    # The Fisher against autograd's Hessian of the loss written here from the densities (the
    # GLM's own Hessian is not an independent side: for canonical links it shares the weights).
    X, y = _glm_data(family, link, seed=1)
    glm = GLM(X, y, family, link)
    hess = autograd.hessian(_autograd_loss(family, link, X, y, 0.0, 1.0))
    rng = np.random.default_rng(2)
    for th in [np.zeros(glm.dim)] + [rng.normal(scale=s, size=glm.dim) for s in (0.3, 1.0, 2.0)]:
        np.testing.assert_allclose(glm.fisher(th), hess(th), rtol=1e-11, atol=1e-13)


def _expected_hessian(family, link, X, theta, scale):
    """E_y[∇²ℓ] under the model at θ, exactly, from Hessians of one-row GLMs."""
    from scipy.special import ndtr

    n = X.shape[0]
    total = 0.0
    for i in range(n):
        xi = X[i:i + 1]
        eta = float((xi @ theta)[0])
        if family == "bernoulli":  # enumerate y ∈ {0, 1}
            p1 = ndtr(eta)
            total = total + p1 * GLM(xi, [1.0], family, link).hessian(theta) \
                + (1 - p1) * GLM(xi, [0.0], family, link).hessian(theta)
        # gamma-log: ∇²ℓ = α·y·e^{−η}·x xᵀ is affine in y, so E[∇²ℓ] is its value at y = E[y] = e^η
        else:
            total = total + GLM(xi, [np.exp(eta)], family, link, scale=scale).hessian(theta)
    return total / n


@pytest.mark.parametrize("family,link", NONCANONICAL)
def test_noncanonical_glm_fisher_is_expected_hessian_not_hessian(family, link):
    X, y = _glm_data(family, link, n=40, seed=3)
    scale = 2.0
    glm = GLM(X, y, family, link, scale=scale)
    rng = np.random.default_rng(5)
    for th in (rng.normal(scale=0.5, size=glm.dim), rng.normal(scale=0.5, size=glm.dim)):
        np.testing.assert_allclose(_expected_hessian(family, link, X, th, scale), glm.fisher(th),
                                   rtol=1e-12, atol=1e-15)
    opt = glm.optimum()
    assert np.linalg.norm(glm.grad(opt)) < 1e-12
    H, F = glm.hessian(opt), glm.fisher(opt)
    assert np.linalg.norm(H - F) > 1e-3 * np.linalg.norm(F)


def _irls(X, y, iters):
    """Textbook IRLS for logistic regression: weighted least squares on the working response."""
    beta = np.zeros(X.shape[1])
    out = [beta]
    for _ in range(iters):
        eta = X @ beta
        mu = 1.0 / (1.0 + np.exp(-eta))
        w = mu * (1 - mu)
        z = eta + (y - mu) / w
        sw = np.sqrt(w)
        beta = np.linalg.lstsq(X * sw[:, None], z * sw, rcond=None)[0]
        out.append(beta)
    return out


@pytest.mark.parametrize("stepper", [Newton, NaturalGradient])
def test_step_one_on_logistic_regression_is_irls(stepper):
    X, y = _glm_data("bernoulli", "logit", n=300, d=4, seed=8)
    glm = GLM(X, y, "bernoulli")
    res = run(glm, stepper(lr=1.0), np.zeros(4), max_iter=6, record_kl=False, keep_path=True)
    ref = _irls(X, y, 6)
    assert len(res.path) == 7
    for a, b in zip(res.path, ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_multinomial_optimum_and_kl():
    X, y = _glm_data("categorical", "softmax", n=200, seed=9)
    glm = GLM(X, y, "categorical", l2=1e-3)
    res = run(glm, NaturalGradient(), np.zeros(glm.dim), gtol=1e-12, max_iter=50)
    assert res.converged and res.iterations < 15
    assert abs(res.kl[-1]) < 1e-15  # round-off of the log-probabilities
    assert res.kl[0] > 0 and np.all(np.diff(res.loss) <= 1e-15)


# ----------------------------------------------------------------------------- runner


def test_runner_reports_divergence_and_domain_exits():
    X, y = _glm_data("poisson", "log", seed=2)
    glm = GLM(X, y, "poisson")
    res = run(glm, GD(lr=50.0), np.zeros(glm.dim), max_iter=100)
    assert res.status == "diverged" and res.diverged and not res.converged
    fam = fl.family("gamma")
    x = fam.sample([2.0, 3.0], "shape_rate", size=100, seed=0)
    res = run(MLE(fam, "shape_rate", x), GD(lr=100.0), [1.0, 1.0], max_iter=100)
    assert res.status == "left_domain" and "domain" in res.message
    res = run(MLE(fam, "shape_rate", x), GD(lr=1e-3), [1.0, 1.0], max_iter=3)
    assert res.status == "max_iter" and res.iterations == 3 and len(res.loss) == 4


class _LossRefusesPastOne(Problem):
    """½θ² whose loss and gradient raise DomainError for θ > 1, while ``contains`` (the base
    class's finiteness check) accepts every finite θ: a constraint only the loss knows."""

    name = "refuses_past_one"
    dim = 1

    def loss(self, theta):
        if theta[0] > 1.0:
            raise DomainError(f"theta = {theta[0]!r} must be <= 1")
        return 0.5 * float(theta[0]) ** 2

    def grad(self, theta):
        if theta[0] > 1.0:
            raise DomainError(f"theta = {theta[0]!r} must be <= 1")
        return np.array([theta[0]])


def test_runner_reports_a_domain_error_of_the_loss_as_left_domain():
    # GD with lr = 3 maps θ to −2θ: 0.5 -> −1 -> 2, where the loss refuses
    res = run(_LossRefusesPastOne(), GD(lr=3.0), [0.5], max_iter=10, record_kl=False)
    assert res.status == "left_domain" and res.diverged
    assert res.iterations == 2 and "must be <= 1" in res.message
    assert res.theta.tolist() == [-1.0] and len(res.loss) == 2
    # at the starting point the error is the caller's, and propagates
    with pytest.raises(DomainError, match="must be <= 1"):
        run(_LossRefusesPastOne(), GD(lr=0.1), [2.0], record_kl=False)


@pytest.mark.parametrize("stepper,gtol", [
    (GD(lr=0.5), 1e-9), (Momentum(lr=0.1), 1e-9), (Adam(lr=0.05), 1e-9), (Newton(), 1e-12),
    (NaturalGradient(), 1e-12), (EmpiricalFisher(), 1e-12), (DiagonalFisher(lr=0.5), 1e-9),
    (MirrorDescent(lr=0.5), 1e-12),
    # a constant-step RMSProp ends in a cycle of size ~lr around the optimum
    (RMSProp(lr=1e-3), 1e-2)], ids=lambda s: getattr(s, "name", ""))
def test_every_stepper_reaches_the_mle(stepper, gtol):
    fam = fl.family("gamma")
    x = fam.sample([2.0, 3.0], "shape_rate", size=100, seed=1)
    prob = MLE(fam, "shape_rate", x)
    res = run(prob, stepper, [1.5, 2.0], gtol=gtol, max_iter=5000)
    assert res.converged, res.message
    mle = fam.mle(x, "shape_rate")
    # |θ − θ̂| ≤ ‖F⁻¹‖·|g| near the optimum, with a factor 10 of room for the local Hessian
    bound = 10 * gtol * np.linalg.norm(np.linalg.inv(prob.hessian(mle)), 2)
    assert np.linalg.norm(res.theta - mle) <= bound
    # KL(θ̂ ‖ θ) ≈ ½ δᵀF δ, so it is bounded by ½‖F‖·bound² (+ round-off)
    F = np.linalg.norm(prob.fisher(mle), 2)
    assert res.kl[0] > 1e-3 and res.kl[-1] <= 0.5 * F * bound**2 * 1.1 + 1e-15


def test_bad_inputs_raise():
    X, y = _glm_data("bernoulli", "logit")
    with pytest.raises(SupportError, match="0 or 1"):
        GLM(X, y + 0.5, "bernoulli")
    with pytest.raises(DomainError, match="lr"):
        GD(lr=-1.0)
    with pytest.raises(KeyError, match="probit"):
        GLM(X, y, "poisson", "probit")
    fam = fl.family("gamma")
    with pytest.raises(DomainError, match="starting point"):
        run(MLE(fam, "shape_rate", [1.0, 2.0]), GD(), [-1.0, 1.0])


# ----------------------------------------------------------------------------- update rules, one
# step at a time
#
# Each stepper's update against the rule written out here from the problem's own gradient,
# Fisher, Hessian and per-sample gradients (never from the stepper). Hyperparameters are far from
# their defaults (ε = 0.1, β₁ = 0.6, ...) so that a misplaced ε or a missing bias correction
# changes the step by much more than round-off.


def _gamma_problem():
    # shape_scale: its observed Hessian depends on x, so Newton, NGD and the empirical Fisher
    # take three different steps
    fam = fl.family("gamma")
    x = fam.sample([2.0, 1 / 3], "shape_scale", size=50, seed=31)
    return MLE(fam, "shape_scale", x), np.array([1.5, 0.5])


def _close(got, want):
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=0)


def test_gd_step():
    prob, th = _gamma_problem()
    _close(GD(lr=0.3).step(prob, th), th - 0.3 * prob.grad(th))


def test_momentum_two_steps():
    prob, th0 = _gamma_problem()
    lr, beta = 0.05, 0.7
    s = Momentum(lr=lr, beta=beta)
    g0 = prob.grad(th0)
    th1 = th0 - lr * g0  # v₁ = g₀ (the velocity starts at zero)
    _close(s.step(prob, th0), th1)
    th2 = th1 - lr * (beta * g0 + prob.grad(th1))
    _close(s.step(prob, th1), th2)
    s.reset()  # a new run starts from zero velocity again
    _close(s.step(prob, th0), th1)


def test_rmsprop_two_steps_eps_outside_the_root():
    prob, th0 = _gamma_problem()
    lr, rho, eps = 0.05, 0.8, 0.1
    s = RMSProp(lr=lr, rho=rho, eps=eps)
    g0 = prob.grad(th0)
    s0 = (1 - rho) * g0**2  # the running average starts at zero
    th1 = th0 - lr * g0 / (np.sqrt(s0) + eps)
    got = s.step(prob, th0)
    _close(got, th1)
    # ε under the root would give a different step
    assert np.all(np.abs(got - (th0 - lr * g0 / np.sqrt(s0 + eps))) > 1e-4)
    g1 = prob.grad(th1)
    s1 = rho * s0 + (1 - rho) * g1**2
    _close(s.step(prob, th1), th1 - lr * g1 / (np.sqrt(s1) + eps))


def test_adam_two_steps_both_bias_corrections():
    prob, th0 = _gamma_problem()
    lr, b1, b2, eps = 0.05, 0.6, 0.7, 0.1
    s = Adam(lr=lr, beta1=b1, beta2=b2, eps=eps)
    g0 = prob.grad(th0)
    m, v = (1 - b1) * g0, (1 - b2) * g0**2
    th1 = th0 - lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    _close(s.step(prob, th0), th1)
    g1 = prob.grad(th1)
    m, v = b1 * m + (1 - b1) * g1, b2 * v + (1 - b2) * g1**2
    th2 = th1 - lr * (m / (1 - b1**2)) / (np.sqrt(v / (1 - b2**2)) + eps)
    got = s.step(prob, th1)
    _close(got, th2)
    # without the second step's corrections (or with the first step's) the step differs
    for m_c, v_c in ((1, 1), (1 - b1, 1 - b2), (1 - b1**2, 1), (1, 1 - b2**2)):
        other = th1 - lr * (m / m_c) / (np.sqrt(v / v_c) + eps)
        assert np.all(np.abs(got - other) > 1e-5), (m_c, v_c)


@pytest.mark.parametrize("damping", [0.0, 0.4])
def test_diagonal_fisher_step_divides_by_the_fisher_diagonal(damping):
    prob, th = _gamma_problem()
    F = prob.fisher(th)
    assert abs(F[0, 1]) > 0.1 * np.sqrt(F[0, 0] * F[1, 1])  # the off-diagonal is not negligible
    want = th - 0.7 * prob.grad(th) / (np.array([F[0, 0], F[1, 1]]) + damping)
    _close(DiagonalFisher(lr=0.7, damping=damping).step(prob, th), want)


@pytest.mark.parametrize("damping", [0.0, 0.4])
def test_second_order_steps(damping):
    prob, th = _gamma_problem()
    g, lr = prob.grad(th), 0.7
    G = prob.per_sample_grads(th)
    ef = sum(np.outer(gi, gi) for gi in G) / len(G)
    eye = np.eye(2)
    expected = {NaturalGradient: prob.fisher(th), Newton: prob.hessian(th), EmpiricalFisher: ef}
    for cls, M in expected.items():
        want = th - lr * np.linalg.solve(M + damping * eye, g)
        np.testing.assert_allclose(cls(lr=lr, damping=damping).step(prob, th), want,
                                   rtol=1e-13, atol=0, err_msg=cls.name)
    # the three matrices differ here, so the three steps test three different rules
    assert np.linalg.norm(prob.hessian(th) - prob.fisher(th)) > 1e-2
    assert np.linalg.norm(ef - prob.fisher(th)) > 1e-2


@pytest.mark.parametrize("param", ["natural", "rate"])
def test_mirror_descent_step_poisson(param):
    # Poisson: μ = e^η = rate, and the loss's gradient in η is e^η − x̄, so the step is
    # μ' = μ − lr (μ − x̄), mapped back as η' = log μ' or rate' = μ'.
    fam = fl.family("poisson")
    x = fam.sample([4.0], "rate", size=40, seed=2)
    prob = MLE(fam, param, x)
    rate, lr = 2.5, 0.3
    mu = rate - lr * (rate - np.mean(x))
    th = np.array([np.log(rate)]) if param == "natural" else np.array([rate])
    want = np.log(mu) if param == "natural" else mu
    np.testing.assert_allclose(MirrorDescent(lr=lr).step(prob, th), [want], rtol=1e-14, atol=0)


# ----------------------------------------------------------------------------- GLM.kl


def _row_kl(family, link, e1, e2, scale):
    """KL between the response laws of one row with linear predictors e1 and e2, by summation
    over y or by quadrature of p₁ log(p₁/p₂) with scipy.stats densities."""
    from scipy import integrate, stats
    from scipy.special import expit, ndtr

    if family == "categorical":
        f1, f2 = np.concatenate([[0.0], e1]), np.concatenate([[0.0], e2])
        p1, p2 = np.exp(f1) / np.exp(f1).sum(), np.exp(f2) / np.exp(f2).sum()
        return float(np.sum(p1 * np.log(p1 / p2)))
    if family == "bernoulli":
        cdf = expit if link == "logit" else ndtr
        return sum(stats.bernoulli.pmf(y, cdf(e1)) * (stats.bernoulli.logpmf(y, cdf(e1))
                                                      - stats.bernoulli.logpmf(y, cdf(e2)))
                   for y in (0, 1))
    if family == "poisson":
        ys = np.arange(0, 200)
        d1, d2 = stats.poisson(np.exp(e1)), stats.poisson(np.exp(e2))
        return float(np.sum(d1.pmf(ys) * (d1.logpmf(ys) - d2.logpmf(ys))))
    if family == "normal":
        d1, d2 = stats.norm(e1, np.sqrt(scale)), stats.norm(e2, np.sqrt(scale))
    else:  # gamma, shape α = scale, mean e^η
        d1, d2 = (
            stats.gamma(scale, scale=np.exp(e1) / scale),
            stats.gamma(scale, scale=np.exp(e2) / scale),
        )
    lo, hi = d1.ppf(1e-16), d1.isf(1e-16)
    val, _ = integrate.quad(lambda y: d1.pdf(y) * (d1.logpdf(y) - d2.logpdf(y)), lo, hi,
                            epsabs=0, epsrel=1e-12, limit=200, points=[d1.mean()])
    return val


@pytest.mark.parametrize("family,link", GLMS)
def test_glm_kl_against_summation_and_quadrature(family, link):
    X, y = _glm_data(family, link, n=6, seed=12)
    scale = 2.0 if family == "gamma" else 1.5
    rng = np.random.default_rng(13)
    K = 3
    dim = X.shape[1] * (K - 1) if family == "categorical" else X.shape[1]
    target = rng.normal(scale=0.5, size=dim)
    glm = GLM(X, y, family, link, scale=scale, target=target)
    th = target + rng.normal(scale=0.4, size=dim)
    if family == "categorical":
        E1, E2 = X @ target.reshape(-1, K - 1), X @ th.reshape(-1, K - 1)
    else:
        E1, E2 = X @ target, X @ th
    want = np.mean([_row_kl(family, link, a, b, scale) for a, b in zip(E1, E2)])
    assert want > 1e-3
    assert glm.kl(th) == pytest.approx(want, rel=1e-9, abs=0)
    assert glm.kl(target) == 0.0 or abs(glm.kl(target)) < 1e-15


def test_the_stepper_table_lists_every_stepper_and_keeps_names_unique():
    from fisherlab.optim import STEPPERS, Stepper, make_stepper
    from fisherlab.optim.steppers import register_stepper

    # make_stepper loads the model-side steppers, so its table and its error list them
    with pytest.raises(fl.UnknownStepperError, match="known: .*KFAC.*") as err:
        make_stepper("NoSuchStepper")
    assert "EM" in str(err.value) and "SaddleFreeNewton" in str(err.value)
    assert {"EM", "KFAC", "SaddleFreeNewton", "CGNaturalGradient"} <= set(STEPPERS)

    class Impostor(Stepper):
        name = "GD"

    with pytest.raises(ValueError, match="'GD' is taken by fisherlab.optim.steppers.GD"):
        register_stepper(Impostor)
    assert STEPPERS["GD"].__name__ == "GD"
    assert register_stepper(STEPPERS["GD"]) is STEPPERS["GD"]   # registering again is harmless
