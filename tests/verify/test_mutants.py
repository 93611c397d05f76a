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
from fisherlab.verify import IDENTITIES


def _verify(fam, identities, params=None, n_points=2):
    report = fl.verify(fam, params=params, identities=identities, n_points=n_points, seed=3)
    return report


def _assert_fails(report, identity):
    failed = report.failed_identities()
    assert identity in failed, f"{identity} did not fail:\n{report.table(explain=True)}"
    assert not report.ok


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
    bad = dataclasses.replace(spec, name="poisson_mutant",
                              log_partition=lambda sp, e: 2 * sp.exp(e))
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
    report = _verify(bad, ["pullback", "kl_invariance", "natural_gradient_map"],
                     params=["shape_rate"])
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
    return fl.Family(spec, namespace=ns)


def scaled(factor):
    return lambda f: (lambda *a, **kw: f(*a, **kw) * factor)


def entry_scaled(i, j, factor):
    """One entry (i, j) of a matrix kernel times ``factor`` (its mirror (j, i) left alone)."""
    def wrap(f):
        def g(*a, **kw):
            out = np.array(f(*a, **kw), copy=True)
            out[..., i, j] *= factor
            return out
        return g
    return wrap


def kl_plus_relative_term(c):
    """The gamma (shape, rate) KL with a wrong term c·((α_q − α)/α)² added to its closed form."""
    return lambda f: (lambda a, b, aq, bq, **kw: f(a, b, aq, bq, **kw) + c * ((aq - a) / a) ** 2)


def kl_unrefined(f):
    """The KL kernel with its near-coincidence refinement stripped: the closed form only."""
    from fisherlab.kernels import special

    def g(*a, **kw):
        with special.kl_unrefined():
            return f(*a, **kw)
    return g


def shifted(delta):
    return lambda f: (lambda *a, **kw: f(*a, **kw) + delta)


KERNEL_MUTANTS = [
    # (family, param, quantity, corruption, identities that must fail)
    ("gamma", "shape_rate", "fisher", scaled(1.1),
     ["fisher_quadrature", "fisher_monte_carlo", "mle_information", "pullback",
      "natural_gradient_map",
      "local_kl", "autograd"]),
    ("normal", "mean_std", "score", scaled(1.1),
     ["fisher_quadrature", "fisher_monte_carlo", "autograd"]),
    ("poisson", "natural", "hessian", shifted(0.1),
     ["mle_information", "fisher_quadrature", "autograd"]),
    ("exponential", "rate", "log_density", shifted(0.1),
     ["moments_quadrature", "scipy", "autograd"]),
    ("gamma", "shape_scale", "mean", scaled(1.01),
     ["moments_quadrature", "fisher_monte_carlo", "scipy"]),
    ("normal", "mean_var", "entropy", shifted(0.01), ["moments_quadrature", "scipy"]),
    ("gamma", "shape_rate", "kl", scaled(1.05), ["local_kl", "kl_invariance", "bregman_kl"]),
    ("gamma", "natural", "skewness", scaled(1.5), ["local_kl_cubic"]),
    ("exponential", "scale", "from_natural", scaled(1.001), ["roundtrip"]),
    # Realistic sizes: what a code-generation or transcription slip looks like.
    ("gamma", "shape_rate", "fisher", entry_scaled(0, 1, 1 + 1e-6),
     ["autograd", "pullback", "mle_information"]),
    ("gamma", "natural", "natural_fisher", entry_scaled(0, 1, -1.0), ["autograd"]),
    ("normal", "mean_std", "entropy", shifted(1e-9), ["scipy"]),
    ("exponential", "rate", "log_density", shifted(1e-9), ["scipy", "autograd"]),
    ("gamma", "shape_rate", "kl", shifted(1e-9), ["kl_refinement"]),
    # local_kl fits |KL/(½δᵀFδ) − 1| ~ t over t = 1e-1 … 1e-3: a wrong quadratic term is seen
    # once it is ≳ 1e-3 of ½δᵀFδ; kl_refinement (1e-10 near coincidence) sees far smaller ones.
    ("gamma", "shape_rate", "kl", kl_plus_relative_term(1e-2), ["local_kl", "kl_refinement"]),
    ("gamma", "shape_rate", "kl", kl_plus_relative_term(1e-6), ["kl_refinement"]),
    ("gamma", "shape_rate", "kl", kl_unrefined, ["kl_refinement"]),
]


@pytest.mark.parametrize("name,param,quantity,wrap,expected", KERNEL_MUTANTS,
                         ids=[f"{m[0]}-{m[1]}-{m[2]}-{n}" for n, m in enumerate(KERNEL_MUTANTS)])
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


# ----------------------------------------------------------------------------------------------
# A biased sampler, and a precision loss below the verifier's tolerances


def test_one_percent_sampler_bias_is_caught():
    # Rayleigh draws scaled by 1.01: E[x²] is off by 2%, about 9 standard errors of the
    # Monte Carlo mean at n = 200 000 (the detection power fisher_monte_carlo states).
    spec = fl.family("rayleigh").spec
    home, draw = spec.sampler
    bad = dataclasses.replace(spec, name="rayleigh_mutant",
                              sampler=(home, lambda rng, s, size: 1.01 * draw(rng, s, size)))
    report = _verify(bad, ["fisher_monte_carlo"], params=["scale"])
    _assert_fails(report, "fisher_monte_carlo")
    assert "E[T]" in report.result("scale", "fisher_monte_carlo").explanation


def test_unbiased_sampler_passes_the_same_check():
    report = _verify(fl.family("rayleigh").spec, ["fisher_monte_carlo"], params=["scale"])
    assert report.ok, report.table(explain=True)


def _geometric_textbook(eta):
    """A(η) = −log(1 − eᵑ), μ = eᵑ/(1 − eᵑ), F = eᵑ/(1 − eᵑ)² in 40 digits (the geometric
    distribution of failures before the first success, p = 1 − eᵑ)."""
    import mpmath

    with mpmath.workdps(40):
        e = mpmath.exp(mpmath.mpf(float(eta)))
        return [float(-mpmath.log(1 - e)), float(e / (1 - e)), float(e / (1 - e) ** 2)]


def _geometric_errors(k, etas):
    got = np.stack([k.log_partition(etas[:, None]), k.mean(etas[:, None])[:, 0],
                    k.fisher(etas[:, None])[:, 0, 0]], axis=1)
    ref = np.array([_geometric_textbook(e) for e in etas])
    return np.max(np.abs(got - ref) / np.abs(ref), axis=0)


def test_neg_expm1_as_one_minus_exp_is_caught_by_the_textbook_values(monkeypatch):
    """``neg_expm1(η) = 1 − eᵑ`` computed as ``1 − exp(η)`` loses log₁₀(1/|η|) digits: 30× near
    η = −0.03, 100× at the range's end η = −0.01. That is a relative error of ~1e-14, below
    every tolerance of ``fl.verify`` (1e-12 for scipy, 1e-10 for the exact identities, which
    leave room for float oracles that cancel): the verifier cannot see it, and says nothing. This
    test does, against textbook 40-digit values at 16 ulp (the correct kernels are within 4)."""
    from fisherlab.kernels import special

    etas = -np.geomspace(1e-2, 5e-2, 16)
    k = fl.kernels("geometric", "natural")
    assert np.all(_geometric_errors(k, etas) <= 4 * np.finfo(float).eps)
    monkeypatch.setattr(special, "neg_expm1", lambda x: 1.0 - np.exp(x))
    errs = _geometric_errors(k, etas)
    assert np.any(errs > 16 * np.finfo(float).eps), errs
    report = _verify(fl.family("geometric"), ["scipy", "autograd", "mle_information"],
                     params=["natural"])
    assert report.ok, "the verifier's tolerances are above this loss (see the docstring)"
