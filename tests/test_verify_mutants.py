"""The verifier must catch wrong families: each mutant fails, with the right identity named.

Two kinds of mutant:

* declaration mutants, the mistakes people make writing a family (a log-partition off by a
  constant factor, a sign error in a parametrization map, a wrong base measure, a swapped
  parameter order), compiled in memory like any user-declared family;
* kernel mutants: the catalog's generated kernels with one quantity corrupted, so that every
  identity is shown to fail on its own kind of error (a check that cannot fail is a defect).
"""

import dataclasses
import importlib

import numpy as np
import pytest

import fisherlab as fl
from fisherlab import _api
from fisherlab.families._spec import Parametrization
from fisherlab.verify import IDENTITIES


def _verify(fam, identities, params=None, n_points=2):
    report = fl.verify(fam, params=params, identities=identities, n_points=n_points, seed=3)
    return report


def _assert_fails(report, identity):
    failed = report.failed_identities()
    assert identity in failed, f"{identity} did not fail:\n{report.table(explain=True)}"
    for r in report.failures:
        if r.name == identity:
            assert identity in report.table(), "the table must name the failing identity"


# ----------------------------------------------------------------------------------------------
# Declaration mutants


def _replace_pz(spec, name, keep=(), **changes):
    """``spec`` with parametrization ``name`` changed; only it and ``keep`` are kept (besides
    "natural"), so the in-memory compilation stays quick."""
    pzs = [dataclasses.replace(p, **changes) if p.name == name else p
           for p in spec.parametrizations if p.name == name or p.name in keep]
    return dataclasses.replace(spec, name=spec.name + "_mutant", parametrizations=pzs)


def test_log_partition_off_by_a_constant_factor():
    spec = fl.family("poisson").spec
    bad = dataclasses.replace(spec, name="poisson_mutant", log_partition=lambda sp, e: 2 * sp.exp(e))
    report = _verify(bad, ["moments_quadrature", "fisher_quadrature", "fisher_monte_carlo", "scipy",
                           "bregman_kl"], params=["rate"])
    for identity in ("moments_quadrature", "fisher_quadrature", "fisher_monte_carlo", "scipy",
                     "bregman_kl"):
        _assert_fails(report, identity)


def test_sign_error_in_a_parametrization_map():
    # η₁ = −μ/σ² instead of μ/σ²; the declared inverse is right, so the two disagree. The Fisher
    # matrix is blind to the sign of μ; the round trip and the MLE identity are not.
    spec = fl.family("normal").spec
    bad = _replace_pz(spec, "mean_var", keep=("mean_std",),
                      to_natural=lambda sp, m, v: [-m / v, -1 / (2 * v)])
    report = _verify(bad, ["roundtrip", "mle_information"], params=["mean_var"])
    _assert_fails(report, "roundtrip")
    _assert_fails(report, "mle_information")


def test_wrong_factor_in_a_parametrization_map():
    # η₁ = 2α where it should be α, while the declared inverse is right: the kernels of
    # shape_scale describe another distribution than the point convert() maps to. (A factor on
    # the scale alone would go unseen by F and KL: gamma is a scale family, so that mistake is
    # only a relabelling, caught by the round trip.)
    spec = fl.family("gamma").spec
    bad = _replace_pz(spec, "shape_scale", keep=("shape_rate",),
                      to_natural=lambda sp, a, s: [2 * a, -1 / s])
    report = _verify(bad, ["pullback", "kl_invariance", "natural_gradient_map"], params=["shape_rate"])
    for identity in ("pullback", "kl_invariance", "natural_gradient_map"):
        _assert_fails(report, identity)


def test_wrong_base_measure():
    spec = fl.family("normal").spec
    bad = dataclasses.replace(_replace_pz(spec, "mean_std"),
                              log_base_measure=lambda sp, x: -sp.log(2 * sp.pi))
    report = _verify(bad, ["moments_quadrature", "scipy", "fisher_quadrature"], params=["mean_std"])
    # F itself does not see log h, but its expectations under the unnormalized density do.
    for identity in ("moments_quadrature", "scipy", "fisher_quadrature"):
        _assert_fails(report, identity)


def test_swapped_parameter_order():
    # Declared (shape, rate) but the map reads them as (rate, shape). Consistently relabelled
    # kernels satisfy every internal identity; the declared inverse and scipy.stats do not agree.
    spec = fl.family("gamma").spec
    bad = _replace_pz(spec, "shape_rate", to_natural=lambda sp, a, b: [b, -a])
    report = _verify(bad, ["scipy", "roundtrip"], params=["shape_rate"])
    for identity in ("scipy", "roundtrip"):
        _assert_fails(report, identity)


# ----------------------------------------------------------------------------------------------
# Kernel mutants: one generated function corrupted


def kernel_mutant(name, param, quantity, wrap, **dims):
    """A Family whose ``quantity`` kernel in ``param`` is ``wrap(original)``."""
    base = fl.family(name, **dims)
    spec = dataclasses.replace(base.spec, name=base.spec.name + "_mutant")
    ns = dict(vars(importlib.import_module(f"fisherlab.kernels.{base.spec.key}")))
    table = {p: dict(t) for p, t in ns["KERNELS"].items()}
    table[param][quantity] = wrap(table[param][quantity])
    ns["KERNELS"] = table
    _api._COMPILED[spec] = ns
    return fl.Family(spec)


def scaled(factor):
    return lambda f: (lambda *a, **kw: f(*a, **kw) * factor)


def shifted(delta):
    return lambda f: (lambda *a, **kw: f(*a, **kw) + delta)


KERNEL_MUTANTS = [
    # (family, param, quantity, corruption, identities that must fail)
    ("gamma", "shape_rate", "fisher", scaled(1.1),
     ["fisher_quadrature", "fisher_monte_carlo", "mle_information", "pullback", "natural_gradient_map",
      "local_kl", "autograd"]),
    ("normal", "mean_std", "score", scaled(1.1), ["fisher_quadrature", "fisher_monte_carlo", "autograd"]),
    ("poisson", "natural", "hessian", shifted(0.1), ["mle_information", "fisher_quadrature", "autograd"]),
    ("exponential", "rate", "log_density", shifted(0.1), ["moments_quadrature", "scipy", "autograd"]),
    ("gamma", "shape_scale", "mean", scaled(1.01), ["moments_quadrature", "fisher_monte_carlo", "scipy"]),
    ("normal", "mean_var", "entropy", shifted(0.01), ["moments_quadrature", "scipy"]),
    ("gamma", "shape_rate", "kl", scaled(1.05), ["local_kl", "kl_invariance", "bregman_kl"]),
    ("gamma", "natural", "skewness", scaled(1.5), ["local_kl_cubic"]),
    ("exponential", "scale", "from_natural", scaled(1.001), ["roundtrip"]),
]


@pytest.mark.parametrize("name,param,quantity,wrap,expected", KERNEL_MUTANTS,
                         ids=[f"{m[0]}-{m[1]}-{m[2]}" for m in KERNEL_MUTANTS])
def test_kernel_mutant_is_caught(name, param, quantity, wrap, expected):
    fam = kernel_mutant(name, param, quantity, wrap)
    report = _verify(fam, expected, params=[param])
    for identity in expected:
        _assert_fails(report, identity)


def test_every_identity_has_a_mutant():
    covered = {i for m in KERNEL_MUTANTS for i in m[4]}
    assert covered == set(IDENTITIES)


def test_unmutated_copy_passes():
    """The control: the same machinery on an untouched copy passes every identity it checks."""
    fam = kernel_mutant("gamma", "shape_rate", "fisher", lambda f: f)
    report = _verify(fam, list(IDENTITIES), params=["shape_rate"])
    assert report.ok, report.table(explain=True)
    _ = np
