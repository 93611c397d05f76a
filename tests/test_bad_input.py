"""Bad input raises the error class of DESIGN.md, naming the parameter, the constraint and the
value, through the API and through the CLI (one line on stderr, exit status 2, no traceback)."""

import subprocess
import sys

import numpy as np
import pytest

import fisherlab as fl

# (family, parametrization, theta, error class, words the message must contain)
BAD_THETA = [
    ("normal", "mean_std", [0.0, 0.0], fl.DomainError, ["std", "> 0", "0.0"]),
    ("normal", "mean_std", [0.0, -1.5], fl.DomainError, ["std", "> 0", "-1.5"]),
    ("normal", "mean_var", [1.0, -2.0], fl.DomainError, ["var", "> 0", "-2.0"]),
    ("bernoulli", "p", [1.0], fl.DomainError, ["'p'", "(0, 1)", "1.0"]),
    ("bernoulli", "p", [-0.25], fl.DomainError, ["'p'", "(0, 1)", "-0.25"]),
    ("poisson", "rate", [0.0], fl.DomainError, ["rate", "> 0", "0.0"]),
    ("exponential", "rate", [-3.0], fl.DomainError, ["rate", "> 0", "-3.0"]),
    ("exponential", "scale", [0.0], fl.DomainError, ["scale", "> 0"]),
    ("gamma", "shape_rate", [-1.0, 2.0], fl.DomainError, ["shape", "> 0", "-1.0"]),
    ("gamma", "natural", [2.0, 1.0], fl.DomainError, ["eta2", "< 0", "1.0"]),
    ("normal", "mean", [1.0, 0.5], fl.DomainError, ["mean_x2 > mean_x**2"]),
    # NaN and infinities
    ("gamma", "shape_rate", [np.nan, 2.0], fl.DomainError, ["shape", "finite", "nan"]),
    ("normal", "mean_std", [np.inf, 1.0], fl.DomainError, ["mean", "finite", "inf"]),
    ("poisson", "natural", [-np.inf], fl.DomainError, ["eta", "finite", "-inf"]),
    # wrong shapes
    ("gamma", "shape_rate", [1.0, 2.0, 3.0], fl.ShapeError, ["last axis", "2", "(3,)"]),
    ("gamma", "shape_rate", 2.0, fl.ShapeError, ["last axis", "()"]),
    ("poisson", "rate", np.ones((4, 2)), fl.ShapeError, ["last axis", "1", "(4, 2)"]),
]


@pytest.mark.parametrize("name,param,theta,err,words", BAD_THETA)
def test_bad_theta(name, param, theta, err, words):
    k = fl.kernels(name, param)
    for call in (lambda: k.fisher(theta), lambda: k.entropy(theta), lambda: k.mean(theta),
                 lambda: k.kl(theta, theta)):
        with pytest.raises(err) as info:
            call()
        assert isinstance(info.value, ValueError)
        for w in words:
            assert w in str(info.value), (w, str(info.value))


def test_one_bad_entry_in_a_batch_is_reported():
    theta = np.array([[2.0, 3.0], [2.0, -7.0], [1.0, 1.0]])
    with pytest.raises(fl.DomainError, match=r"rate.*-7\.0"):
        fl.kernels("gamma", "shape_rate").fisher(theta)


BAD_X = [
    ("poisson", "rate", [2.0], -1.0, ["non-negative integer", "-1.0"]),
    ("poisson", "rate", [2.0], 1.5, ["non-negative integer", "1.5"]),
    ("bernoulli", "p", [0.3], 2.0, ["{0, 1}", "2.0"]),
    ("gamma", "shape_rate", [2.0, 1.0], 0.0, ["x > 0", "0.0"]),
    ("gamma", "shape_rate", [2.0, 1.0], -2.0, ["x > 0", "-2.0"]),
    ("exponential", "rate", [1.0], -0.5, ["x > 0", "-0.5"]),
    ("normal", "mean_std", [0.0, 1.0], np.nan, ["finite", "nan"]),
]


@pytest.mark.parametrize("name,param,theta,x,words", BAD_X)
def test_observation_outside_support(name, param, theta, x, words):
    k = fl.kernels(name, param)
    for call in (k.log_density, k.score, k.hessian):
        with pytest.raises(fl.SupportError) as info:
            call(x, theta)
        assert isinstance(info.value, fl.DomainError) and isinstance(info.value, ValueError)
        for w in words:
            assert w in str(info.value), (w, str(info.value))
    with pytest.raises(fl.SupportError):
        fl.family(name).mle([x, x], param)


def test_unknown_names():
    with pytest.raises(fl.UnknownFamilyError, match="gama") as info:
        fl.family("gama")
    assert isinstance(info.value, KeyError)
    assert "known families" in str(info.value)
    with pytest.raises(fl.UnknownFamilyError, match="shape_rat.*shape_rate"):
        fl.kernels("gamma", "shape_rat")
    with pytest.raises(fl.UnknownFamilyError):
        fl.family("gamma").derive("nope")
    with pytest.raises(fl.UnknownFamilyError):
        fl.family("gamma").convert([1.0, 1.0], "shape_rate", "nope")


def test_dims_on_a_family_without_dims():
    with pytest.raises(fl.DomainError, match="takes no dimensions"):
        fl.family("gamma", k=3)


def test_bad_damping_and_grad():
    k = fl.kernels("poisson", "rate")
    with pytest.raises(fl.DomainError, match="damping"):
        k.natural_gradient([1.0], [1.0], damping=-1.0)
    with pytest.raises(fl.DomainError, match="grad"):
        k.natural_gradient([1.0], [np.nan])
    with pytest.raises(fl.ShapeError, match="grad"):
        k.natural_gradient([1.0], [1.0, 2.0])


def test_unchecked_opt_out_skips_validation():
    k = fl.kernels("normal", "mean_std").unchecked()
    # a documented opt-out: no error, and the formula's value (not a clipped one) comes back
    assert k.fisher([0.0, -1.0])[1, 1] == 2.0


# ---------------------------------------------------------------------------------------------
# through the CLI


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "fisherlab.cli", *args],
                          capture_output=True, text=True)


@pytest.mark.parametrize("args,words", [
    (("derive", "gama", "--param", "shape_rate"), ["unknown family 'gama'"]),
    (("derive", "gamma", "--param", "shape_rat"), ["no parametrization 'shape_rat'"]),
    (("eval", "gamma", "fisher", "-p", "shape_rate", "--theta=-2,3"), ["shape", "> 0", "-2.0"]),
    (("eval", "gamma", "fisher", "-p", "shape_rate", "--theta=nan,3"), ["shape", "finite", "nan"]),
    (("eval", "bernoulli", "fisher", "-p", "p", "--theta=1.5"), ["'p'", "(0, 1)", "1.5"]),
    (("eval", "poisson", "score", "-p", "rate", "--theta=2", "--x=1.5"),
     ["support", "non-negative integer", "1.5"]),
    (("eval", "gamma", "score", "-p", "shape_rate", "--theta=2,3", "--x=-1"), ["x > 0", "-1.0"]),
    (("eval", "gamma", "fisher", "-p", "shape_rate", "--theta=2,3,4"), ["last axis", "(3,)"]),
    (("eval", "gamma", "fisher", "-p", "natural", "--theta=2,1"), ["eta2", "< 0"]),
])
def test_cli_bad_input_one_line_exit_2(args, words):
    r = _cli(*args)
    assert r.returncode == 2, r
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


def test_unknown_stepper_link_and_experiment_name_what_they_are():
    from fisherlab.experiments import get
    from fisherlab.optim import GLM, make_stepper

    with pytest.raises(
        fl.UnknownStepperError, match="'Adamm'.*known: GD, .*NaturalGradient"
    ) as info:
        make_stepper("Adamm")
    assert isinstance(info.value, KeyError) and isinstance(info.value, fl.UnknownNameError)
    X, y = np.ones((4, 1)), np.array([0.0, 1.0, 0.0, 1.0])
    with pytest.raises(fl.UnknownLinkError, match="'cloglog'.*known: logit, probit"):
        GLM(X, y, "bernoulli", link="cloglog")
    with pytest.raises(fl.UnknownNameError, match="'racee'.*known: race, ") as info:
        get("racee")
    assert not isinstance(info.value, fl.UnknownFamilyError)
