"""Shared test configuration: deterministic hypothesis, exhaustive mode, and the parameter points
the catalog tests use.

Points of a parametrization are of two kinds, both over each parameter's documented
``test_range``:

* interior points, seeded uniform draws of u ∈ [0, 1]^p mapped entry by entry by
  :func:`fisherlab.verify.points.from_unit` (log-uniform on a positive or negative range, so every
  decade is visited; uniform on a range that contains 0), kept when they satisfy the domains and
  the joint constraint;
* corners: every combination of the lower and upper ends of the ranges when p ≤ 3; for larger p
  the documented subset of :func:`corner_units` (all low, all high, and each parameter alone at
  its upper end; all low and all high only, for the costliest tests). A corner outside a joint
  constraint (a simplex, a positive-definite matrix) is not a point of the parametrization and is
  left out.

``pytest --family NAME`` keeps only the tests of one family (see :func:`item_family`).
"""

from __future__ import annotations

import importlib.util
import itertools
import os
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import fisherlab as fl
from fisherlab.verify.points import from_unit

#: FISHERLAB_EXHAUSTIVE=1 runs every test on many more points (scripts/exhaustive.sh runs it);
#: CI runs every test on a real sample of each family (fewer interior points, every corner).
EXHAUSTIVE = os.environ.get("FISHERLAB_EXHAUSTIVE", "") not in ("", "0")

settings.register_profile(
    "fisherlab", derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("fisherlab")

#: The repository's root (scripts/, docs/, README.md).
ROOT = Path(__file__).resolve().parents[1]


def load_script(name: str):
    """scripts/NAME.py imported as a module (the scripts are not a package), run in this process."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Test arguments that name the family under test: a family handle or a catalog name.
FAMILY_ARGS = ("fam", "family", "name")


def pytest_addoption(parser):
    parser.addoption(
        "--family", action="append", default=[], metavar="NAME",
        help="run only the tests of this family (a catalog name such as gamma; repeatable); "
             "tests without a family argument still run")


def item_family(item) -> str | None:
    """The catalog name of the family a collected test is parametrized over, or None.

    A family argument (one of :data:`FAMILY_ARGS`) holds a family handle or a catalog name; a
    ``name`` that is not a catalog name (an identity, a head, a file name) is not a family.
    """
    params = getattr(getattr(item, "callspec", None), "params", {})
    for arg in FAMILY_ARGS:
        value = params.get(arg)
        spec = getattr(value, "spec", None)
        if spec is not None:
            return spec.name
        if isinstance(value, str) and value in fl.families():
            return value
    return None




def pytest_collection_modifyitems(config, items):
    wanted = config.getoption("--family")
    if not wanted:
        return
    unknown = sorted(set(wanted) - set(fl.families()))
    if unknown:
        raise pytest.UsageError(
            f"--family {', '.join(unknown)}: not a catalog family; known: "
            f"{', '.join(fl.families())}")
    keep, drop = [], []
    for item in items:
        fam = item_family(item)
        (keep if fam is None or fam in wanted else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep

#: Dimensions checked besides each family's default (the categorical, Dirichlet and multinomial
#: modules serve every k; these k are checked against the element-wise derivation too; the von
#: Mises–Fisher's d = 2 has its own module, d = 5 the one for every d). The
#: multivariate normal (one module for every d) has its own tests at other d
#: (tests/families/test_multivariate_normal_textbook.py, tests/kernels/test_multivariate_normal.py).
EXTRA_DIMS = [("categorical", {"k": 2}), ("categorical", {"k": 4}), ("categorical", {"k": 5}),
              ("categorical", {"k": 10}), ("dirichlet", {"k": 2}), ("dirichlet", {"k": 5}),
              ("multinomial", {"k": 4}), ("von_mises_fisher", {"d": 2}),
              ("von_mises_fisher", {"d": 5})]
# (Binomial n and the other fixed parameters are runtime values of one module per family, not
# dimensions; tests/families/test_fixed_params.py checks them at several values against mpmath.)

#: Above this many parameters the corners are the subset of :func:`corner_points`, not all 2^p.
FULL_CORNERS_MAX_P = 3


def family_handles():
    """(test id, family handle) of every shipped module: the catalog defaults and EXTRA_DIMS."""
    out = [fl.family(name) for name in fl.families()]
    out += [fl.family(name, **dims) for name, dims in EXTRA_DIMS]
    return [(fam.spec.key, fam) for fam in out]


def catalog_cases():
    """(family handle, parametrization) of every shipped module, and their test ids."""
    cases, ids = [], []
    for key, fam in family_handles():
        for param in fam.parametrizations:
            cases.append((fam, param))
            ids.append(f"{key}-{param}")
    return cases, ids


def _seed(*parts: str) -> int:
    # crc32, not hash(): str hashes change from one interpreter run to the next.
    return zlib.crc32("/".join(parts).encode())


def interior_points(fam, param: str, n: int, stream: str = "") -> np.ndarray:
    """``n`` seeded points (n, p) drawn over the test ranges, inside every domain and constraint.

    The seed is a fixed function of the family's key, ``param`` and ``stream`` (name a different
    stream for an independent set of points of the same parametrization).
    """
    pz = fam.spec.parametrization(param)
    rng = np.random.default_rng(_seed(fam.spec.key, param, stream))
    out: list[np.ndarray] = []
    for _ in range(1000):
        cand = from_unit(pz.params, rng.random((max(n, 16), len(pz.params))))
        out.extend(cand[pz.inside(cand)])
        if len(out) >= n:
            return np.array(out[:n])
    raise AssertionError(f"{fam.spec.key} {param}: fewer than {n} valid points in the test ranges")


def corner_units(p: int, ends_only: bool = False) -> np.ndarray:
    """The corners (c, p) of [0, 1]^p used as test points.

    All 2^p when p ≤ FULL_CORNERS_MAX_P. Above, p + 2 of them: all zeros, all ones, and each unit
    vector (every parameter at its upper end with the others at their lower ends). With
    ``ends_only`` (for tests whose cost per point grows like p³, the skewness tensor against
    mpmath), only all zeros and all ones when p > FULL_CORNERS_MAX_P.
    """
    if p <= FULL_CORNERS_MAX_P:
        return np.array(list(itertools.product((0.0, 1.0), repeat=p)))
    ends = np.array([np.zeros(p), np.ones(p)])
    return ends if ends_only else np.concatenate([ends, np.eye(p)])


def corner_points(fam, param: str, ends_only: bool = False) -> np.ndarray:
    """The corners (c, p) of the test ranges of ``param`` that satisfy its joint constraint."""
    pz = fam.spec.parametrization(param)
    pts = from_unit(pz.params, corner_units(len(pz.params), ends_only))
    return pts[pz.inside(pts)]


def sample_points(fam, param: str, n_interior: int, stream: str = "",
                  ends_only: bool = False) -> np.ndarray:
    """Seeded interior points followed by the corners: (n_interior + c, p)."""
    return np.concatenate([interior_points(fam, param, n_interior, stream),
                           corner_points(fam, param, ends_only)])
