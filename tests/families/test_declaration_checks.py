"""A declaration that is not a valid exponential family is rejected, naming what is wrong.

The spec class stays sympy-free, so the symbolic checks (A must contain every η, the Jacobian
∂η/∂θ must not be singular) run when the family is first derived; structural ones at construction.
"""

import dataclasses

import pytest

import fisherlab as fl
from fisherlab.errors import SpecError


def _poisson():
    return fl.family("poisson").spec


def test_unknown_support_rejected_at_construction():
    with pytest.raises(SpecError, match="unknown support 'integers'"):
        fl.Support("integers", "x an integer")


def test_support_must_be_a_support():
    with pytest.raises(SpecError, match="support must be a Support"):
        dataclasses.replace(_poisson(), name="bad", support="counts")


def test_natural_parameter_missing_from_log_partition():
    spec = dataclasses.replace(
        fl.family("normal").spec, name="bad_normal", parametrizations=[], sampler=None,
        scipy=None, fisher_rao=None,
        log_partition=lambda sp, e1, e2: -sp.log(-2 * e2) / 2)
    with pytest.raises(SpecError, match="eta1.*do not appear in the log-partition"):
        fl.Family(spec).derive("natural").fisher


def test_singular_jacobian_rejected():
    spec = dataclasses.replace(
        fl.family("gamma").spec, name="bad_gamma", sampler=None, scipy=None, fisher_rao=None,
        parametrizations=[fl.Parametrization(
            "twice", [fl.Param("a", fl.Domain(lo=0.0), (1.0, 2.0)),
                      fl.Param("b", fl.Domain(lo=0.0), (1.0, 2.0))],
            to_natural=lambda sp, a, b: [a + b, -(a + b)])])
    with pytest.raises(SpecError, match="singular Jacobian"):
        fl.Family(spec).derive("twice").jacobian


def test_test_range_outside_domain_rejected():
    with pytest.raises(SpecError, match="test range"):
        dataclasses.replace(_poisson(), name="bad", natural=[
            fl.Param("eta", fl.Domain(lo=0.0), (-1.0, 1.0))])


def test_sample_range_outside_test_range_rejected():
    with pytest.raises(SpecError, match="sample range of 'eta'"):
        dataclasses.replace(_poisson(), name="bad", natural=[
            fl.Param("eta", fl.Domain(), (-1.0, 1.0), sample_range=(-2.0, 0.5))])
