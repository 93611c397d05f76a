"""The KL printed as a cancellation-free Bregman remainder (fisherlab.symbolic.bregman)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import fisherlab as fl
from fisherlab.families.special.elementary import Expm1MinusX, LogRatio
from fisherlab.symbolic.bregman import NoStableForm, check_against_bregman, stable_kl
from fisherlab.symbolic.derive import derive

NORMAL = fl.family("normal").spec


def _explicit(expr):
    return expr.replace(lambda e: isinstance(e, (Expm1MinusX, LogRatio)), lambda e: e.explicit())


@pytest.mark.parametrize("param", [pz.name for pz in NORMAL.all_parametrizations])
def test_normal_stable_kl_is_the_kl_and_of_second_order(param):
    """Against the textbook normal KL, computed independently from (μ, σ²) at 100 digits (it
    loses 40 of them to cancellation at the near pair), at a pair 1e-20 apart (where the KL is
    of order |Δθ|² = 1e-40) and at a pair far apart: 1e-40 relative."""
    d = derive(NORMAL, param)
    expr, deltas = stable_kl(d)
    theta = {"natural": (0.7, -0.3), "mean": (1.5, 6.0), "mean_std": (1.5, 2.0),
             "mean_var": (1.5, 4.0), "mean_logstd": (1.5, 0.7)}[param]
    to_mv = {  # (θ) -> (μ, σ²), the textbook map of each parametrization
        "natural": lambda a, b: (-a / (2 * b), -1 / (2 * b)),
        "mean": lambda a, b: (a, b - a * a),
        "mean_std": lambda a, b: (a, b * b),
        "mean_var": lambda a, b: (a, b),
        "mean_logstd": lambda a, b: (a, mp.exp(2 * b)),
    }[param]
    with mp.workdps(100):
        for step in (mp.mpf("1e-20"), mp.mpf("0.4")):
            p = [mp.mpf(v) for v in theta]
            q = [p[0] * (1 + step), p[1] * (1 - step / 2)]
            (m1, v1), (m2, v2) = to_mv(*p), to_mv(*q)
            want = (mp.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1) / 2
            sub = {}
            for (dsym, t, tq), a, b in zip(deltas, p, q):
                sub.update({t: sp.Float(str(a), 100), tq: sp.Float(str(b), 100),
                            dsym: sp.Float(str(b - a), 100)})
            got = _explicit(expr).xreplace(sub).evalf(100)
            assert abs(mp.mpf(str(got)) - want) <= mp.mpf("1e-40") * want, (param, step)


def test_the_guard_rejects_a_wrong_form():
    """The 50-digit comparison with the Bregman KL sees a relative error of 1e-25."""
    d = derive(NORMAL, "mean_std")
    expr, _ = stable_kl(d)
    with pytest.raises(NoStableForm, match="against the Bregman KL"):
        check_against_bregman(d, expr * (1 + sp.Float("1e-25", 50)))


def test_a_function_without_a_rule_keeps_the_bregman_form():
    """log Γ has no remainder rule yet: the gamma KL keeps the refined Bregman form."""
    with pytest.raises(NoStableForm, match="no remainder rule"):
        stable_kl(derive(fl.family("gamma").spec, "shape_rate"))


def test_normal_kernels_no_longer_refine():
    """The generated normal module prints its KL without kl_refine, and it is exact at
    coincidence (0, not a rounding residue)."""
    from fisherlab.kernels import normal

    for param in normal.KERNELS:
        assert "kl_refine" not in normal.KERNELS[param]["kl"].__code__.co_names
    k = fl.kernels("normal", "mean_std")
    assert k.kl(np.array([3.0, 0.5]), np.array([3.0, 0.5])) == 0.0


def test_terms_of_mixed_sign_keep_the_bregman_form():
    """The half-normal's remainders of 1/η and of log(−η) have opposite signs and cancel far
    apart (4e-6 relative at scale 0.01 against 12): the guard refuses that form."""
    with pytest.raises(NoStableForm, match="mixed sign"):
        stable_kl(derive(fl.family("half_normal").spec, "natural"))
