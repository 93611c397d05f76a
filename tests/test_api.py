"""The core pipeline: API shape contract, known values, textbook derivations, MLE, conversions."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.optimize
import scipy.special
import sympy as sp

import fisherlab as fl

CORE = ("bernoulli", "poisson", "exponential", "normal", "gamma")

# ---------------------------------------------------------------------------------------------
# known values (issue 2), computed by hand from the textbook formulas


def test_known_fisher_values():
    np.testing.assert_allclose(fl.kernels("normal", "mean_std").fisher([1.0, 1.0]),
                               np.diag([1.0, 2.0]), rtol=1e-15)
    np.testing.assert_allclose(fl.kernels("normal", "mean_var").fisher([0.0, 4.0]),
                               np.diag([1 / 4, 1 / 32]), rtol=1e-15)
    np.testing.assert_allclose(fl.kernels("poisson", "rate").fisher([0.5]), [[2.0]], rtol=1e-15)
    np.testing.assert_allclose(fl.kernels("exponential", "rate").fisher([0.5]), [[4.0]],
                               rtol=1e-15)
    trigamma2 = np.pi**2 / 6 - 1  # ψ'(2) = ζ(2) − 1
    np.testing.assert_allclose(fl.kernels("gamma", "shape_rate").fisher([2.0, 3.0]),
                               [[trigamma2, -1 / 3], [-1 / 3, 2 / 9]], rtol=1e-14)


def test_done_when_batched_gamma_fisher():
    out = fl.kernels("gamma", "shape_rate").fisher([[2.0, 3.0], [1.0, 1.0]])
    assert out.shape == (2, 2, 2)
    np.testing.assert_allclose(out[1], [[np.pi**2 / 6, -1.0], [-1.0, 1.0]], rtol=1e-14)


def test_gamma_shape_rate_textbook_form():
    d = fl.family("gamma").derive("shape_rate")
    a, b = d.params
    expected = sp.Matrix([[sp.polygamma(1, a), -1 / b], [-1 / b, a / b**2]])
    assert d.fisher == expected  # structurally equal: already in textbook form
    assert sp.count_ops(d.fisher) <= sp.count_ops(expected)


@pytest.mark.parametrize("name,param,expected", [
    ("normal", "mean_std", lambda m, s: sp.diag(1 / s**2, 2 / s**2)),
    ("normal", "mean_var", lambda m, v: sp.diag(1 / v, 1 / (2 * v**2))),
    ("poisson", "rate", lambda lam: sp.Matrix([[1 / lam]])),
    ("bernoulli", "p", lambda p: sp.Matrix([[1 / (p * (1 - p))]])),
    ("exponential", "scale", lambda s: sp.Matrix([[1 / s**2]])),
])
def test_textbook_fishers(name, param, expected):
    d = fl.family(name).derive(param)
    diff = (d.fisher - expected(*d.params)).applyfunc(sp.simplify)
    assert diff == sp.zeros(*diff.shape)


def test_categorical_probs_fisher_textbook_form():
    # F = diag(1/p_i) + 1/p_k 11ᵀ (p_k = 1 − Σ p_i). Seven classes put every entry past the
    # simplify size guard: the chain-rule pullback must find this form (the direct Jᵀ∇²A J
    # cancelled for 23 s at k = 7, and never ended at k = 10).
    d = fl.family("categorical", k=7).derive("probs")
    p = d.params
    last = 1 - sum(p)
    expected = sp.Matrix(len(p), len(p), lambda i, j: (1 / p[i] if i == j else 0) + 1 / last)
    assert (d.fisher - expected).applyfunc(sp.expand) == sp.zeros(len(p), len(p))
    assert sp.count_ops(d.fisher) <= sp.count_ops(expected)


def test_derivations_are_cached():
    fam = fl.family("gamma")
    assert fam.derive("shape_rate") is fam.derive("shape_rate")
    assert fam.kernels("shape_rate") is fam.kernels("shape_rate")


def test_derivation_holds_every_quantity():
    d = fl.family("normal").derive("mean_std")
    for name in ("log_density", "score", "hessian", "fisher", "kl", "entropy", "log_partition",
                 "mean", "jacobian", "to_natural", "params"):
        assert getattr(d, name) is not None
    assert d.jacobian.shape == (2, 2)
    # the KL's second argument has its own symbols
    assert set(d.params_q) <= d.kl.free_symbols


# ---------------------------------------------------------------------------------------------
# shape contract


@pytest.mark.parametrize("name", CORE)
def test_shape_contract(name):
    fam = fl.family(name)
    rng = np.random.default_rng(0)
    for param in fam.parametrizations:
        k = fam.kernels(param)
        p = len(k.params)
        theta = fam.convert(_point(fam, "natural", rng, (3, 1)), "natural", param)
        assert theta.shape == (3, 1, p)
        x = fam.sample(theta[0, 0], param, size=4, seed=1)
        assert k.fisher(theta).shape == (3, 1, p, p)
        assert k.log_density(x, theta).shape == (3, 4)
        assert k.score(x, theta).shape == (3, 4, p)
        assert k.hessian(x, theta).shape == (3, 4, p, p)
        assert k.kl(theta, theta[0]).shape == (3, 1)
        assert k.entropy(theta).shape == (3, 1)
        assert k.mean(theta).shape == (3, 1, len(k.natural_params))
        assert k.to_natural(theta).shape == (3, 1, len(k.natural_params))
        assert k.natural_gradient(theta, np.ones(p)).shape == (3, 1, p)
        F = k.fisher(theta)
        assert np.array_equal(F, np.swapaxes(F, -1, -2)), "fisher must be exactly symmetric"
        H = k.hessian(x, theta)
        assert np.array_equal(H, np.swapaxes(H, -1, -2)), "hessian must be exactly symmetric"
        # one point in, no batch axes out
        assert k.fisher(theta[0, 0]).shape == (p, p)
        assert k.kl(theta[0, 0], theta[1, 0]).shape == ()


def test_constant_entries_broadcast_to_batch():
    k = fl.kernels("normal", "mean_std")
    F = k.fisher(np.array([[0.0, 1.0], [5.0, 2.0], [-1.0, 3.0]]))
    assert F.shape == (3, 2, 2)
    np.testing.assert_array_equal(F[:, 0, 1], 0.0)
    np.testing.assert_allclose(F[:, 0, 0], 1 / np.array([1.0, 2.0, 3.0]) ** 2, rtol=1e-15)


def test_batch_matches_pointwise():
    k = fl.kernels("gamma", "shape_rate")
    theta = np.array([[0.5, 2.0], [3.0, 0.1], [100.0, 7.0]])
    batched = k.fisher(theta)
    for i, t in enumerate(theta):
        np.testing.assert_array_equal(batched[i], k.fisher(t))


def test_natural_gradient_solves_fisher_system():
    k = fl.kernels("gamma", "shape_rate")
    theta = np.array([[2.0, 3.0], [0.3, 10.0]])
    g = np.array([[1.0, -2.0], [0.5, 0.25]])
    ng = k.natural_gradient(theta, g)
    np.testing.assert_allclose(np.einsum("...ij,...j->...i", k.fisher(theta), ng), g, rtol=1e-12)
    damped = k.natural_gradient(theta, g, damping=0.5)
    np.testing.assert_allclose(
        np.einsum("...ij,...j->...i", k.fisher(theta) + 0.5 * np.eye(2), damped), g, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# conversions and MLE


def _point(fam, param, rng, shape=()):
    cols = []
    for p in fam.spec.parametrization(param).params:
        lo, hi = p.test_range
        if lo > 0:
            cols.append(np.exp(rng.uniform(np.log(lo), np.log(hi), shape)))
        elif hi < 0:
            cols.append(-np.exp(rng.uniform(np.log(-hi), np.log(-lo), shape)))
        else:
            cols.append(rng.uniform(lo, hi, shape))
    return np.stack(cols, -1)


@pytest.mark.parametrize("name", CORE)
def test_convert_round_trips(name):
    """a -> b -> a returns θ_a to within what the conditioning of b -> a allows.

    The map θ_b ↦ θ_a has Jacobian J_a⁻¹ J_b (J = ∂η/∂θ); an error of one ulp in θ_b becomes
    a relative error of about κ·eps in θ_a with κ = ‖J_a⁻¹J_b‖‖θ_b‖/‖θ_a‖ (e.g. Bernoulli p near 1
    has κ ~ 1/(1−p)). The tolerance is a small multiple of that, per point.
    """
    fam = fl.family(name)
    rng = np.random.default_rng(1)
    eta = _point(fam, "natural", rng, (20,))
    eps = np.finfo(float).eps
    for a in fam.parametrizations:
        theta_a = fam.convert(eta, "natural", a)
        Ja = fam.kernels(a).jacobian(theta_a)
        for b in fam.parametrizations:
            theta_b = fam.convert(theta_a, a, b)
            back = fam.convert(theta_b, b, a)
            Jb = fam.kernels(b).jacobian(theta_b)
            M = np.linalg.solve(Ja, Jb)
            kappa = (np.linalg.norm(M, 2, axis=(-2, -1)) * np.linalg.norm(theta_b, axis=-1)
                     / np.linalg.norm(theta_a, axis=-1))
            err = np.linalg.norm(back - theta_a, axis=-1) / np.linalg.norm(theta_a, axis=-1)
            assert np.all(err <= 64 * eps * (1 + kappa)), (name, a, b, err.max(), kappa.max())


def test_convert_known_values():
    fam = fl.family("gamma")
    np.testing.assert_allclose(fam.convert([2.0, 4.0], "shape_rate", "shape_scale"), [2.0, 0.25])
    np.testing.assert_allclose(fam.convert([2.0, 4.0], "shape_rate", "log_shape_log_rate"),
                               np.log([2.0, 4.0]), rtol=1e-15)
    np.testing.assert_allclose(fl.family("normal").convert([1.0, 2.0], "mean_std", "mean"),
                               [1.0, 5.0], rtol=1e-15)


def test_mle_normal_closed_form():
    fam = fl.family("normal")
    x = np.random.default_rng(2).normal(3.0, 2.0, size=50)
    np.testing.assert_allclose(fam.mle(x, "mean_std"), [x.mean(), x.std()], rtol=1e-13)
    np.testing.assert_allclose(fam.mle(x, "mean_var"), [x.mean(), x.var()], rtol=1e-12)


def test_mle_gamma_newton_full_precision():
    fam = fl.family("gamma")
    x = np.random.default_rng(3).gamma(2.5, 1 / 4.0, size=50)
    shape, rate = fam.mle(x, "shape_rate")
    # Independent oracle: the profile equation log α − ψ(α) = log mean(x) − mean(log x),
    # solved by bracketing with scipy, then β = α / mean(x).
    s = np.log(x.mean()) - np.log(x).mean()
    alpha = scipy.optimize.brentq(lambda a: np.log(a) - scipy.special.digamma(a) - s,
                                  1e-3, 1e4, xtol=1e-15, rtol=4 * np.finfo(float).eps)
    np.testing.assert_allclose([shape, rate], [alpha, alpha / x.mean()], rtol=1e-13)
    for param in fam.parametrizations:
        np.testing.assert_allclose(fam.convert(fam.mle(x, param), param, "shape_rate"),
                                   [shape, rate], rtol=1e-12)


@pytest.mark.parametrize("name,param,x", [
    ("poisson", "rate", [0, 3, 1, 2, 7]), ("bernoulli", "p", [0, 1, 1, 0, 1]),
    ("exponential", "rate", [0.5, 1.5, 0.2]),
])
def test_mle_simple_closed_forms(name, param, x):
    theta = fl.family(name).mle(x, param)
    expected = {"rate": np.mean(x), "p": np.mean(x)}[param]
    if name == "exponential":
        expected = 1 / np.mean(x)
    np.testing.assert_allclose(theta, [expected], rtol=1e-14)


@pytest.mark.parametrize("name,x,why", [
    ("bernoulli", [0, 0, 0, 0], "both outcomes"),
    ("bernoulli", [1, 1, 1], "both outcomes"),
    ("normal", [2.5, 2.5, 2.5], "two distinct"),
    ("normal", [1.0], "two distinct"),
    ("gamma", [3.0, 3.0], "two distinct"),
    ("poisson", [0, 0, 0], "positive sample mean"),
])
def test_mle_does_not_exist(name, x, why):
    with pytest.raises(fl.NoMLEError, match=why):
        fl.family(name).mle(x)


def test_sample_matches_parametrization():
    fam = fl.family("normal")
    x = fam.sample([10.0, 0.5], "mean_std", size=20000, seed=4)
    se = 0.5 / np.sqrt(x.size)
    assert abs(x.mean() - 10.0) < 6 * se


# ---------------------------------------------------------------------------------------------
# the sympy-free import path for built-in kernels


def test_builtin_kernels_do_not_import_sympy():
    code = ("import sys, fisherlab as fl\n"
            "fl.kernels('gamma', 'shape_rate').fisher([2.0, 3.0])\n"
            "assert 'sympy' not in sys.modules, 'sympy imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------------------------
# fl.verify: a function beside the package fisherlab.verify


def test_verify_is_a_function_whatever_was_imported_first():
    """``fl.verify`` is a plain function, also when a module of the package fisherlab.verify was
    imported before fisherlab itself, and the package's names import by their full names."""
    code = ("import inspect, types\n"
            "import fisherlab.verify.runner\n"
            "import fisherlab as fl\n"
            "from fisherlab.verify import IDENTITIES\n"
            "assert inspect.isfunction(fl.verify), type(fl.verify)\n"
            "assert fisherlab.verify is fl.verify\n"
            "import sys\n"
            "assert type(sys.modules['fisherlab.verify']) is types.ModuleType\n"
            "assert 'roundtrip' in IDENTITIES\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_verify_runs_the_identities():
    report = fl.verify("poisson", params="natural", identities=["roundtrip"])
    assert report.ok
    assert [r.name for r in report.results] == ["roundtrip"]
