"""Every identity on every family × parametrization of the catalog: the verifier's own functions.

One source of truth: these tests call :mod:`fisherlab.verify.identities`, exactly what
``fisherlab verify`` and ``fl.verify`` run. Parameter points are drawn by hypothesis over each
parameter's test range (derandomized; its first examples are the corners of the ranges). CI runs
two points per (family, parametrization, identity); FISHERLAB_EXHAUSTIVE=1 runs twenty.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import fisherlab as fl
from fisherlab.verify import IDENTITIES
from fisherlab.verify._points import from_unit, valid

from conftest import EXHAUSTIVE

N_EXAMPLES = 20 if EXHAUSTIVE else 2

CASES = [(name, param) for name in fl.families() for param in fl.family(name).parametrizations]


@pytest.mark.slow
@pytest.mark.parametrize("identity", list(IDENTITIES))
@pytest.mark.parametrize("name,param", CASES, ids=[f"{n}-{p}" for n, p in CASES])
def test_identity(name, param, identity):
    fam = fl.family(name)
    pz = fam.spec.parametrization(param)
    check = IDENTITIES[identity]

    @settings(max_examples=N_EXAMPLES, derandomize=True, deadline=None, database=None)
    @given(st.lists(st.floats(0.0, 1.0), min_size=len(pz.params), max_size=len(pz.params)))
    def at(u):
        theta = from_unit(pz.params, np.array(u))
        assume(valid(pz, theta))
        result = check(fam, param, points=theta[None], seed=0)
        assert not result.failed, result.explanation  # n/a (says why) is not a failure
        assert result.n_points == 1

    at()


@pytest.mark.parametrize("name", fl.families())
def test_verify_report_default_points(name):
    """fl.verify on the default (seeded) points: the same checks, the report API on top."""
    fam = fl.family(name)
    report = fl.verify(name, params=[fam.parametrizations[-1]], identities=["roundtrip", "autograd"])
    assert report.ok, report.table(explain=True)
    assert {r.name for r in report} == {"roundtrip", "autograd"}
