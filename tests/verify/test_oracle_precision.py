"""The mpmath oracle's KL keeps its digits where the Bregman form cancels (the reference of
kl_refinement)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

import fisherlab as fl
from fisherlab.verify.oracles.mp import kl


@pytest.mark.parametrize("eta,step", [(30.0, 3e-8), (30.0, 3e-2), (-20.0, 1e-9), (2.0, 1e-9)])
def test_bernoulli_kl_near_coincidence_against_the_textbook(eta, step):
    """At η = 30 and η_q − η = 3e-8 the Bregman form cancels 32 digits (A ≈ 30, KL ≈ 4e-29):
    at a fixed 40 digits it kept 8. The textbook KL p log(p/q) + (1 − p) log((1 − p)/(1 − q)) at
    200 digits is the reference."""
    spec = fl.family("bernoulli").spec
    eta_q = eta + step  # the float both sides take
    got = kl(spec, "natural", np.array([eta]), np.array([eta_q]))
    with mp.workdps(200):
        p = 1 / (1 + mp.exp(-mp.mpf(eta)))
        q = 1 / (1 + mp.exp(-mp.mpf(eta_q)))
        exact = p * mp.log(p / q) + (1 - p) * mp.log((1 - p) / (1 - q))
    assert abs(got - float(exact)) <= 1e-15 * float(exact)
