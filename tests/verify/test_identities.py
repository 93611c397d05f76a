"""Every identity on every shipped family module × parametrization: the verifier's own functions.

One source of truth: these tests call :mod:`fisherlab.verify.identities`, exactly what
``fisherlab verify`` and ``fl.verify`` run. Each (family, parametrization, identity) is checked at
seeded interior points across the whole of each parameter's test range and at the corners of the
ranges (see ``conftest.py``): CI runs two interior points and every corner;
FISHERLAB_EXHAUSTIVE=1 runs twenty interior points. The shipped non-default dimensions
(categorical k = 2, 4, 5, 10, dirichlet k = 2, 5, binomial n = 5, multinomial k = 4) are checked
like the defaults.
"""

from pathlib import Path

import pytest

import fisherlab as fl
from fisherlab.verify import IDENTITIES
from tests.conftest import EXHAUSTIVE, catalog_cases, family_handles, sample_points

N_INTERIOR = 20 if EXHAUSTIVE else 2

CASES, IDS = catalog_cases()


@pytest.mark.slow
@pytest.mark.parametrize("identity", list(IDENTITIES))
@pytest.mark.parametrize("fam,param", CASES, ids=IDS)
def test_identity(fam, param, identity):
    points = sample_points(fam, param, N_INTERIOR)
    result = IDENTITIES[identity](fam, param, points=points, seed=0)
    assert result.status != "FAIL", result.explanation
    assert result.n_points == len(points)


def test_every_shipped_module_is_sampled():
    """A kernel module written by scripts/generate_kernels.py is in the cases above (the
    multivariate normal's one module for every d is sampled at its default d = 2 here, at other
    d in tests/families/test_multivariate_normal_textbook.py and
    tests/kernels/test_multivariate_normal.py)."""
    shipped = {p.stem for p in (Path(fl.__file__).parent / "kernels").glob("*.py")
               if not p.stem.startswith("_")}
    handles = family_handles()
    # a module that serves every d or k (multivariate_normal.py, categorical.py) is covered by
    # its family at any dimension
    generic = {fam.name for key, fam in handles if key != fam.name and fam.name in shipped}
    # ... and a module written for one key beside it (von_mises_fisher_d3) by that key
    covered = {key for key, fam in handles if fam.name not in generic or key in shipped} | generic
    assert shipped - covered == set()
    assert covered <= shipped


@pytest.mark.parametrize("name", fl.families())
def test_verify_report_default_points(name):
    """fl.verify on the default (seeded) points: the same checks, the report API on top."""
    fam = fl.family(name)
    report = fl.verify(
        name, params=[fam.parametrizations[-1]], identities=["roundtrip", "autograd"]
    )
    assert report.ok, report.table(explain=True)
    assert {r.name for r in report} == {"roundtrip", "autograd"}
