"""Supports as classes: the kind-string spelling builds the right class, and each class accepts
and rejects the observations its set contains and does not (expected masks written by hand)."""

import math

import numpy as np
import pytest

import fisherlab as fl
from fisherlab.errors import SpecError, SupportError
from fisherlab.families import support as S

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize("kind, cls, fields", [
    ("reals", S.Reals, {}),
    ("positive_reals", S.PositiveReals, {}),
    ("greater_than", S.GreaterThan, {"low": 2.0}),
    ("unit_interval", S.UnitInterval, {}),
    ("closed_unit_interval", S.ClosedUnitInterval, {}),
    ("circle", S.Circle, {}),
    ("integer_range", S.IntegerRange, {"low": 1}),
    ("nonnegative_integers", S.NonnegativeIntegers, {}),
    ("binary", S.Binary, {}),
    ("real_vectors", S.RealVectors, {"size": 2}),
    ("simplex", S.Simplex, {"size": 3}),
    ("one_hot", S.OneHot, {"size": 3}),
    ("counts_summing", S.CountsSumming, {"size": 2, "total": 4}),
    ("count_vectors", S.CountVectors, {"size": 3}),
    ("mean_precision_pairs", S.MeanPrecisionPairs, {}),
    ("unit_sphere", S.UnitSphere, {"size": 3}),
    ("positive_definite", S.PositiveDefinite, {"size": 5, "start": 2}),
])
def test_kind_string_builds_its_class(kind, cls, fields):
    built = fl.Support(kind, "text", **fields)
    assert type(built) is cls and isinstance(built, fl.Support)
    assert built.kind == kind and built == cls("text", **fields)
    assert set(S.KINDS) == {c.kind for c in (
        S.Reals, S.PositiveReals, S.GreaterThan, S.UnitInterval, S.ClosedUnitInterval, S.Circle,
        S.IntegerRange,
        S.NonnegativeIntegers, S.Binary, S.RealVectors, S.Simplex, S.OneHot, S.CountsSumming,
        S.CountVectors, S.MeanPrecisionPairs, S.UnitSphere, S.PositiveDefinite)}


def test_unknown_kind_is_a_spec_error_listing_the_kinds():
    with pytest.raises(SpecError, match="unknown support 'ints'.*integer_range"):
        fl.Support("ints", "x an integer")


@pytest.mark.parametrize("support, x, bad", [
    (S.REALS, [0.0, -1e300, NAN, INF], [0, 0, 1, 1]),
    (S.POSITIVE_REALS, [1e-300, 0.0, -1.0, INF], [0, 1, 1, 1]),
    (S.greater_than_support(1.5), [1.6, 1.5, 1.0, NAN], [0, 1, 1, 1]),
    (S.UNIT, [0.5, 0.0, 1.0, 1e-9], [0, 1, 1, 0]),
    (S.CLOSED_UNIT, [0.5, 0.0, 1.0, 1.0 + 1e-15, -1e-300], [0, 0, 0, 1, 1]),
    (S.CIRCLE, [math.pi, -math.pi, 3.15, 0.0], [0, 0, 1, 0]),
    (S.COUNTS, [0.0, 3.0, 2.5, -1.0], [0, 0, 1, 1]),
    (S.BINARY, [0.0, 1.0, 2.0, 0.5], [0, 0, 1, 1]),
    (S.integer_range(1, 3), [1.0, 3.0, 0.0, 4.0], [0, 0, 1, 1]),
    (S.real_vectors(2), [[0.0, 1.0], [NAN, 0.0], [1.0, -INF]], [0, 1, 1]),
    (S.simplex(2), [[0.25, 0.75], [0.0, 1.0], [0.5, 0.6]], [0, 1, 1]),
    (S.mean_precision_pairs(), [[-3.0, 2.0], [1.0, 0.0], [INF, 1.0], [0.0, -1.0], [0.0, NAN]],
     [0, 1, 1, 1, 1]),
    (S.positive_definite(2), [[2.0, 0.5, 1.0], [1.0, 2.0, 1.0], [-1.0, 0.0, 1.0], [1.0, 0.0, NAN]],
     [0, 1, 1, 1]),
    (S.positive_definite(1, start=2), [[-5.0, 3.0, 0.1], [0.0, 0.0, 0.0], [INF, 0.0, 1.0]],
     [0, 1, 1]),
    (S.one_hot(3), [[0.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]], [0, 1, 1]),
    (S.counts_summing(2, 4), [[1.0, 3.0], [2.0, 3.0], [5.0, -1.0]], [0, 1, 1]),
    (S.count_vectors(3), [[0.0, 1.0, 7.0], [1.5, 0.0, 0.0], [-1.0, 0.0, 0.0], [NAN, 0.0, 0.0]],
     [0, 1, 1, 1]),
    (S.unit_sphere(3), [[0.6, 0.0, -0.8], [1.0 + 1e-11, 0.0, 0.0], [1.0 + 1e-9, 0.0, 0.0],
                        [0.0, 0.0, 0.0], [NAN, 0.0, 1.0], [INF, 0.0, 0.0]], [0, 0, 1, 1, 1, 1]),
])
def test_violations_and_the_fast_check(support, x, bad):
    x = np.asarray(x)
    bad = np.asarray(bad, dtype=bool)
    assert np.array_equal(support.violations(x), bad)
    good = x[~bad]
    # The fast check clears the good observations, alone and in a batch past the Python path.
    assert support.surely_inside(good)
    assert support.surely_inside(np.concatenate([good] * 20))
    for row in x[bad]:
        assert not support.surely_inside(np.concatenate([good] * 20 + [row[None]]))
        with pytest.raises(SupportError, match="outside the support"):
            support.check(row)
