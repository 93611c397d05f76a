"""fit() against statsmodels' GLM: its bundled datasets, and simulated data for other heads.

Two kinds of reference: numbers published for statsmodels' own test datasets (independent of
this run), and statsmodels computed live, fitted to a tight tolerance (tol=1e-13) so both
optimizers reach round-off. The published standard errors come from statsmodels' default
convergence (1e-8), hence the 1e-6 tolerance on them.
"""

import numpy as np
import pytest

# Skip the module before importing anything that needs statsmodels.
sm = pytest.importorskip("statsmodels.api")

import fisherlab as fl  # noqa: E402
from fisherlab import models as flm  # noqa: E402

COEF_RTOL = 1e-8
BSE_RTOL = 1e-6


def _live(y, X, family, **kw):
    return sm.GLM(y, X, family=family, **kw).fit(tol=1e-13, maxiter=200)


def _compare(r, s, stats=("llf", "deviance", "aic", "scale", "pearson_chi2"), trials=1):
    np.testing.assert_allclose(r.coef, np.asarray(s.params), rtol=COEF_RTOL, atol=0)
    np.testing.assert_allclose(r.bse, np.asarray(s.bse), rtol=BSE_RTOL, atol=0)
    np.testing.assert_allclose(r.cov, np.asarray(s.cov_params()), rtol=1e-6,
                               atol=1e-9 * np.abs(np.asarray(s.cov_params())).max())
    for name in stats:
        np.testing.assert_allclose(getattr(r, name), getattr(s, name), rtol=1e-9, err_msg=name)
    # statsmodels' binomial mu is the proportion; ours is E[y] = trials · p
    np.testing.assert_allclose(r.mu / trials, np.asarray(s.mu), rtol=1e-9)


def test_cpunish_poisson_log_link():
    data = sm.datasets.cpunish.load_pandas()
    X = data.exog.copy()
    X["INCOME"] /= 1000
    X = sm.add_constant(X, prepend=False)
    r = flm.fit(flm.GLM(flm.Head("poisson")), X, data.endog)
    # published references (statsmodels' test suite for this dataset)
    np.testing.assert_allclose(r.coef[[-1, 0, 1]], [-4.770212977501, 0.256665757281,
                                                    0.073675879689], rtol=COEF_RTOL)
    np.testing.assert_allclose(r.bse[-1], 2.659880306841, rtol=BSE_RTOL)
    assert r.names[0] == "INCOME" and r.names[-1] == "const"
    assert r.converged and r.scale == 1.0
    _compare(r, _live(data.endog, X, sm.families.Poisson()))


def test_scotland_gamma_inverse_link():
    data = sm.datasets.scotland.load_pandas()
    X = sm.add_constant(data.exog, prepend=False)
    r = flm.fit(flm.GLM(flm.Head("gamma")), X, data.endog)
    np.testing.assert_allclose(r.coef[[-1, 0]], [-0.01776527027538, 4.961768299424e-05],
                               rtol=COEF_RTOL)
    np.testing.assert_allclose(r.scale, 0.0035842831734933, rtol=1e-9)
    assert r.head.links["mean"].name == "inverse"
    with pytest.warns(Warning):  # statsmodels warns that the inverse link leaves the domain
        s = _live(data.endog, X, sm.families.Gamma())
    _compare(r, s)


def _simulated(seed, n=400):
    rng = np.random.default_rng(seed)
    X = np.c_[np.ones(n), rng.uniform(-1, 1, (n, 2))]
    return rng, X


def test_negative_binomial_fixed_r():
    r_fixed = 2.5
    rng, X = _simulated(1)
    mu = np.exp(X @ [0.8, 0.5, -0.4])
    y = rng.negative_binomial(r_fixed, r_fixed / (r_fixed + mu)).astype(float)
    r = flm.fit(flm.GLM(flm.Head("negative_binomial", r=r_fixed)), X, y)
    # statsmodels' NegativeBinomial family is parametrized by alpha = 1/r
    _compare(r, _live(y, X, sm.families.NegativeBinomial(alpha=1 / r_fixed)))


def test_inverse_gaussian_canonical_link():
    rng, X = _simulated(2)
    mu = 1 / np.sqrt(X @ [1.0, 0.3, -0.2])
    y = rng.wald(mu, 4.0)
    r = flm.fit(flm.GLM(flm.Head("inverse_gaussian")), X, y)
    _compare(r, _live(y, X, sm.families.InverseGaussian()))


def test_bernoulli_probit():
    rng, X = _simulated(3)
    y = (rng.random(400) < fl.kernels("bernoulli", "p").unchecked().mean(
        np.c_[np.clip(0.5 + 0.3 * X[:, 1], 0.01, 0.99)])[:, 0]).astype(float)
    r = flm.fit(flm.GLM(flm.Head("bernoulli", link="probit")), X, y)
    s = _live(y, X, sm.families.Binomial(link=sm.families.links.Probit()))
    _compare(r, s)


def test_normal_identity_with_prior_weights_and_offset():
    rng, X = _simulated(4)
    a = rng.uniform(0.5, 3.0, 400)
    off = rng.normal(0, 0.3, 400)
    y = X @ [1.0, 2.0, -1.0] + off + rng.normal(0, 1.0, 400) / np.sqrt(a)
    r = flm.fit(flm.GLM(flm.Head("normal")), X, y, weights=a, offset=off)
    s = _live(y, X, sm.families.Gaussian(), var_weights=a, offset=off)
    _compare(r, s)


def test_poisson_exposure_offset_and_weights():
    rng, X = _simulated(5)
    expo = rng.uniform(0.5, 5.0, 400)
    a = rng.uniform(0.5, 2.0, 400)
    y = rng.poisson(expo * np.exp(X @ [0.2, 0.7, -0.3])).astype(float)
    r = flm.fit(flm.GLM(flm.Head("poisson")), X, y, offset=np.log(expo), weights=a)
    _compare(r, _live(y, X, sm.families.Poisson(), offset=np.log(expo), var_weights=a))


def test_gamma_log_link_with_prior_weights():
    rng, X = _simulated(6)
    a = rng.uniform(0.5, 2.0, 400)
    y = rng.gamma(3.0 * a, np.exp(X @ [0.5, 0.4, -0.6]) / (3.0 * a))
    r = flm.fit(flm.GLM(flm.Head("gamma", link="exp")), X, y, weights=a)
    _compare(r, _live(y, X, sm.families.Gamma(link=sm.families.links.Log()), var_weights=a))


def test_binomial_fixed_trials():
    rng, X = _simulated(8, n=300)
    y = rng.binomial(6, 1 / (1 + np.exp(-X @ [0.3, 1.0, -0.7]))).astype(float)
    r = flm.fit(flm.GLM(flm.Head("binomial", n=6)), X, y)
    _compare(r, _live(np.c_[y, 6 - y], X, sm.families.Binomial()), trials=6)


def test_categorical_against_multinomial_logit():
    rng, X = _simulated(9, n=300)
    eta = np.c_[X @ [[0.5, -0.3], [1.0, 0.2], [-0.4, 0.8]], np.zeros(300)]
    p = np.exp(eta - eta.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    labels = (rng.random(300)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    r = flm.fit(flm.GLM(flm.Head("categorical", k=3)), X, labels)
    # statsmodels' reference class is the first, ours the last: relabel K−1 → 0, i → i + 1
    s = sm.MNLogit((labels + 1) % 3, X).fit(method="newton", tol=1e-14, maxiter=100, disp=0)
    np.testing.assert_allclose(r.coef.reshape(3, 2), np.asarray(s.params), rtol=COEF_RTOL)
    np.testing.assert_allclose(r.bse.reshape(3, 2), np.asarray(s.bse), rtol=BSE_RTOL)
    np.testing.assert_allclose(r.llf, s.llf, rtol=1e-12)
    assert "eta2:x1" in r.summary()


def test_the_fixed_dispersion_value_changes_nothing_fitted():
    data = sm.datasets.scotland.load_pandas()
    X = sm.add_constant(data.exog, prepend=False)
    r1 = flm.fit(flm.GLM(flm.Head("gamma")), X, data.endog)
    r7 = flm.fit(flm.GLM(flm.Head("gamma", fixed={"shape": 7.0})), X, data.endog)
    np.testing.assert_allclose(r7.coef, r1.coef, rtol=1e-10)
    np.testing.assert_allclose(r7.bse, r1.bse, rtol=1e-10)
    for name in ("llf", "deviance", "scale", "aic"):
        np.testing.assert_allclose(getattr(r7, name), getattr(r1, name), rtol=1e-10)


def test_distributional_regression_fit_and_summary():
    # every parameter predicted: normal mean and log std; no deviance, a summary all the same
    rng, X = _simulated(7, n=600)
    y = X @ [1.0, 0.5, 0.0] + np.exp(X @ [-0.5, 0.0, 0.6]) * rng.standard_normal(600)
    r = flm.fit(flm.GLM(flm.Head("normal", "mean_logstd")), X, y)
    W = r.coef.reshape(3, 2)
    np.testing.assert_allclose(W[:, 0], [1.0, 0.5, 0.0], atol=0.15)
    np.testing.assert_allclose(W[:, 1], [-0.5, 0.0, 0.6], atol=0.15)
    # at the optimum the gradient vanishes to round-off
    assert np.max(np.abs(r.problem.grad(r.coef))) < 1e-12
    with pytest.raises(fl.NotAvailableError, match="deviance"):
        _ = r.deviance
    text = r.summary()
    assert "mean:x1" in text and "log_std:x2" in text and "n/a" in text


def test_summary_lists_every_coefficient():
    data = sm.datasets.cpunish.load_pandas()
    X = sm.add_constant(data.exog, prepend=False)
    r = flm.fit(flm.GLM(flm.Head("poisson")), X, data.endog)
    text = r.summary()
    for name in X.columns:
        assert name in text
    assert "poisson" in text and "rate: exp" in text and f"{r.llf:.6g}" in text


def test_separable_data_fails_loudly():
    X = np.c_[np.ones(6), [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]]
    y = np.array([0, 0, 0, 1, 1, 1.0])
    with pytest.raises(fl.ConvergenceError):
        flm.fit(flm.GLM(flm.Head("bernoulli")), X, y)
    # a penalty makes the optimum exist
    r = flm.fit(flm.GLM(flm.Head("bernoulli")), X, y, l2=0.1)
    assert r.converged


@pytest.mark.parametrize("head,truth,draw", [
    (flm.Head("gamma", "shape_rate", link="exp"), [[1.0, 0.3], [0.5, -0.4]],
     lambda rng, t: rng.gamma(t[:, 0], 1 / t[:, 1])),
    (flm.Head("beta", "mean_precision", link={"mean": "logistic", "precision": "exp"}),
     [[0.2, 3.0], [1.0, 0.5]],
     lambda rng, t: rng.beta(t[:, 0] * t[:, 1], (1 - t[:, 0]) * t[:, 1])),
], ids=["gamma-shape-rate", "beta-mean-precision"])
def test_distributional_fit_recovers_the_truth(head, truth, draw):
    rng = np.random.default_rng(11)
    X = np.c_[np.ones(2000), rng.uniform(-1, 1, 2000)]
    W = np.array(truth)
    y = draw(rng, head.theta(X @ W))
    r = flm.fit(flm.GLM(head), X, y)
    assert np.max(np.abs(r.problem.grad(r.coef))) < 1e-12
    # within 5 standard errors of the truth, coefficient by coefficient
    assert np.all(np.abs(r.coef - W.ravel()) < 5 * r.bse)


def test_optim_steppers_run_on_a_models_problem():
    # the Problem is what fisherlab.optim's steppers and runner take
    from fisherlab.optim import NaturalGradient, Newton, run

    rng, X = _simulated(12, n=300)
    y = rng.poisson(np.exp(X @ [0.4, 0.6, -0.3])).astype(float)
    model = flm.GLM(flm.Head("poisson", link="softplus"))
    prob = model.problem(X, y, l2=1e-3)
    best = flm.fit(model, X, y, l2=1e-3).coef
    for stepper in (NaturalGradient(lr=1.0), Newton(lr=1.0)):
        res = run(prob, stepper, np.array([1.0, 0.0, 0.0]), gtol=1e-11, max_iter=100)
        assert res.status == "converged", res.message
        np.testing.assert_allclose(res.theta, best, rtol=1e-9, atol=1e-12)
        assert res.kl[-1] < 1e-18 and res.kl[0] > 1e-3  # KL from the optimum, recorded


def test_star98_binomial_with_per_row_trials():
    # statsmodels' two-column endog (successes, failures) is a binomial with trials = their sum
    # per row, here 303 schools with 100 to 1200 pupils each.
    data = sm.datasets.star98.load_pandas()
    endog = np.asarray(data.endog, dtype=float)
    X = sm.add_constant(np.asarray(data.exog, dtype=float), prepend=True)
    s = _live(endog, X, sm.families.Binomial())
    trials = endog.sum(axis=1)
    assert len(np.unique(trials)) > 100
    r = flm.fit(flm.GLM(flm.Head("binomial")), X, endog[:, 0], trials=trials)
    _compare(r, s, trials=trials)
    assert r.problem.head.family.fixed["n"].shape == (303,)


def test_per_row_trials_equal_one_trial_count_when_constant():
    rng = np.random.default_rng(4)
    X = np.c_[np.ones(40), rng.normal(size=40)]
    y = rng.binomial(6, 1 / (1 + np.exp(-0.3 - 0.8 * X[:, 1]))).astype(float)
    one = flm.fit(flm.GLM(flm.Head("binomial", n=6)), X, y)
    rows = flm.fit(flm.GLM(flm.Head("binomial")), X, y, trials=np.full(40, 6.0))
    np.testing.assert_allclose(rows.coef, one.coef, rtol=1e-12)
    np.testing.assert_allclose(rows.bse, one.bse, rtol=1e-12)
    for name in ("llf", "deviance", "aic", "pearson_chi2"):
        np.testing.assert_allclose(getattr(rows, name), getattr(one, name), rtol=1e-12,
                                   err_msg=name)
