"""The lower-triangle helpers of fisherlab.families.matrices, against hand-written cases."""

from __future__ import annotations

import numpy as np
import sympy as sp

from fisherlab.families import matrices as mx


def test_pairs_and_names():
    assert mx.pairs(3) == [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1), (2, 2)]
    assert mx.entry_suffix(1, 0, 3) == "21"
    assert mx.entry_suffix(9, 0, 10) == "10_1"


def test_symmetric_and_positive_definite():
    S = mx.symmetric(2, np.array([[2.0, 0.5, 1.0], [1.0, 2.0, 1.0]]))
    np.testing.assert_array_equal(S[0], [[2.0, 0.5], [0.5, 1.0]])
    np.testing.assert_array_equal(S[1], [[1.0, 2.0], [2.0, 1.0]])
    np.testing.assert_array_equal(mx.not_positive_definite(S), [False, True])
    np.testing.assert_array_equal(mx.not_positive_definite_vech(2, [[1.0, np.nan, 1.0]]), [True])


def test_sympy_matrices():
    a, b, c = sp.symbols("a b c")
    M = mx.sym_matrix(sp, 2, [a, b, c])
    assert M == sp.Matrix([[a, b], [b, c]])
    assert sp.simplify(mx.inverse(sp, M) * M - sp.eye(2)) == sp.zeros(2, 2)
    L = mx.lower(sp, 2, [a, b, c], diag=lambda sp, v: sp.exp(v))
    assert L == sp.Matrix([[sp.exp(a), 0], [b, sp.exp(c)]])
