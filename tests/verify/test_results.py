"""What a verification result means: pass, FAIL and n/a; the quantities every family must have an
independent check of; the kind of each check; unknown identity names."""

import json

import numpy as np
import pytest

import fisherlab as fl
from fisherlab import cli
from fisherlab.errors import UnknownIdentityError
from fisherlab.verify import IDENTITIES, CheckResult
from fisherlab.verify.check import CONSISTENCY, INDEPENDENT, QUANTITIES, ROLES
from fisherlab.verify.consistency import natural_gradient_map


def test_not_applicable_is_its_own_status():
    # No quadrature over a continuous vector support: the Dirichlet's route does not exist.
    report = fl.verify("dirichlet", params=["alpha"], identities=["fisher_quadrature", "roundtrip"])
    na = report.result("alpha", "fisher_quadrature")
    assert na.status == "n/a" and not na.applicable
    assert not na.passed and not na.failed and not bool(na)
    assert na.explanation.startswith("not applicable: ")
    record = na.to_dict()
    assert record["status"] == "n/a" and record["passed"] is False
    assert report.not_applicable == [na] and report.failures == []
    assert report.ok  # n/a is no failure; a run of two identities makes no coverage claim
    row = next(line for line in report.table().splitlines() if "fisher_quadrature" in line)
    assert row.split()[-1] == "n/a" and "pass" not in row


def test_a_constructed_not_applicable_result_never_passes():
    r = CheckResult("scipy", True, 0.0, 1e-12, 1, "not applicable: no scipy", applicable=False)
    assert r.status == "n/a" and r.passed is False and not r.failed


def test_every_identity_has_a_kind_and_every_quantity_an_independent_identity():
    assert set(ROLES) == set(IDENTITIES)
    for name, (kind, quantities) in ROLES.items():
        assert kind in (INDEPENDENT, CONSISTENCY)
        assert kind == INDEPENDENT or not quantities, name
    for name in ("pullback", "kl_invariance", "natural_gradient_map", "roundtrip"):
        assert ROLES[name][0] == CONSISTENCY
    covered = {q for kind, qs in ROLES.values() if kind == INDEPENDENT for q in qs}
    assert covered == set(QUANTITIES)
    r = fl.verify("poisson", identities=["pullback"]).results[0]
    assert r.category == CONSISTENCY and r.to_dict()["category"] == CONSISTENCY
    assert "consistency" in fl.verify("poisson", identities=["pullback"]).table()


def _not_applicable(name):
    def check(family, param, points=None, seed=0, n_points=None):
        return CheckResult(name, False, 0.0, 1e-8, 0, "not applicable: switched off by the test",
                           family="poisson", parametrization=param, applicable=False)
    return check


def test_a_quantity_without_an_applicable_independent_check_is_named(monkeypatch, tmp_path,
                                                                      capsys):
    # Poisson's entropy is checked independently by summation and by scipy only; with both
    # not applicable, the report must say so and not be ok, although nothing failed.
    for name in ("moments_quadrature", "scipy"):
        monkeypatch.setitem(IDENTITIES, name, _not_applicable(name))
    report = fl.verify("poisson", params=["rate"])
    assert report.failures == []
    assert report.unchecked == {"rate": ("entropy",)}
    assert not report.ok
    assert "UNCHECKED poisson rate: no applicable independent check of entropy" in report.table()
    assert report.to_dict()["unchecked"] == {"rate": ["entropy"]}
    out = tmp_path / "v.json"
    assert cli.main(["verify", "poisson", "-p", "rate", "--json", str(out)]) == 1
    assert "UNCHECKED poisson rate" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["ok"] is False and data["unchecked"] == {"poisson": {"rate": ["entropy"]}}


def test_every_catalog_quantity_is_checked_independently():
    report = fl.verify("gamma", params=["shape_rate"])
    assert report.unchecked == {}, report.table(explain=True)
    assert report.ok, report.table(explain=True)


def test_unknown_identity_names_the_known_ones(capsys):
    with pytest.raises(UnknownIdentityError) as err:
        fl.verify("poisson", identities=["roundtrip", "no_such_identity"])
    assert "'no_such_identity'" in str(err.value)
    assert all(name in str(err.value) for name in IDENTITIES)
    assert isinstance(err.value, KeyError)
    assert cli.main(["verify", "poisson", "-i", "no_such_identity"]) == 2
    assert "no_such_identity" in capsys.readouterr().err


def test_natural_gradient_map_that_compared_nothing_is_not_applicable():
    # lognormal (μ, σ) = (1.74, 2.39) is η₂ = −1/(2σ²) = −0.0875, outside the natural
    # parametrization's documented range: the only other parametrization compares nothing.
    r = natural_gradient_map("lognormal", "mu_sigma", points=np.array([[1.74295, 2.39191]]))
    assert r.status == "n/a", r.explanation
    assert "no point compared" in r.explanation


def test_natural_gradient_map_says_how_many_points_it_compared():
    # Bernoulli η = −21.8 is p = 3e-10, outside p's documented range [1e-6, 0.99]; η = 3 is inside.
    r = natural_gradient_map("bernoulli", "natural", points=np.array([[3.0], [-21.8228]]))
    assert r.status == "pass", r.explanation
    assert "compared 1 of 2 (point, parametrization) pairs" in r.explanation
    assert "1 of 2 in p" in r.explanation


def test_monte_carlo_standard_error_holds_for_heavy_tails():
    # Inverse Gaussian, mean 1000, shape 1e-3: the sample rarely meets the large terms of s sᵀ,
    # and its standard deviation understated their spread 5e4-fold (quadrature agrees with F to
    # 6e-15 there). The exact variance by quadrature bounds the error whatever the sample saw.
    from fisherlab.verify.expectations import fisher_monte_carlo

    r = fisher_monte_carlo("inverse_gaussian", "mean_shape", points=np.array([[1000.0, 1e-3]]))
    assert r.status == "pass", r.explanation
    assert "exact variance" in r.explanation and "is detected" in r.explanation
