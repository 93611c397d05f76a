"""The inverse links: values and derivatives against mpmath at 50 digits, inverses, errors."""

import mpmath as mp
import numpy as np
import pytest

import fisherlab as fl
from fisherlab.models import links

mp.mp.dps = 50

# the links written independently in mpmath (h, and where h is defined)
MP = {
    "identity": (lambda x: x, None),
    "exp": (mp.exp, None),
    "softplus": (lambda x: mp.log(1 + mp.exp(x)), None),
    "logistic": (lambda x: 1 / (1 + mp.exp(-x)), None),
    "probit": (mp.ncdf, None),
    "probit_logodds": (lambda x: mp.log(mp.ncdf(x) / mp.ncdf(-x)), None),
    "inverse_cloglog": (lambda x: 1 - mp.exp(-mp.exp(x)), None),
    "inverse": (lambda x: 1 / x, "nonzero"),
    "inverse_sqrt": (lambda x: 1 / mp.sqrt(x), "positive"),
    "square": (lambda x: x * x, None),
    "sqrt": (mp.sqrt, "positive"),
    "log": (mp.log, "positive"),
}

POINTS = [-40.0, -12.5, -3.0, -0.7, -1e-5, 1e-5, 0.3, 1.0, 2.5, 9.0, 36.0, 45.0]


def test_every_link_has_an_mpmath_reference():
    assert set(MP) == set(links.names())


@pytest.mark.parametrize("name", sorted(MP))
def test_value_and_derivatives_match_mpmath(name):
    h, dom = MP[name]
    lk = links.get(name)
    xs = np.array([x for x in POINTS if dom is None or (dom == "positive" and x > 0)
                   or (dom == "nonzero" and x != 0)])
    if name in ("exp", "inverse_cloglog"):
        xs = xs[xs < 6.0]  # beyond, e^raw overflows the derivatives' products meaningfully
    got = [lk.value(xs), lk.d1(xs), lk.d2(xs)]
    for order in range(3):
        for x, g in zip(xs, got[order]):
            # 700 digits: Φ′(36) ~ 1e-282 is invisible beside Φ(36) ~ 1 at fewer
            with mp.workdps(700):
                want = float(mp.diff(h, mp.mpf(x), order))
            if want == 0.0:
                assert abs(g) <= 1e-300, (name, order, x, g)
            else:
                assert abs(g - want) <= 4e-15 * abs(want), (name, order, x, g, want)


@pytest.mark.parametrize("name", sorted(MP))
def test_inverse_undoes_value(name):
    lk = links.get(name)
    xs = np.array([-2.0, -0.5, 0.25, 1.5, 3.0])
    if lk.raw_domain != "real" or name == "square":
        xs = np.abs(xs)
    t = lk.value(xs)
    # compared in θ: where h is flat (inverse_cloglog at raw = 3, θ = 1 − 2e-9) rounding θ
    # moves raw by far more than an ulp, a conditioning no formula can undo
    np.testing.assert_allclose(lk.value(lk.inverse(t)), t, rtol=1e-14, atol=0)
    well = np.abs(lk.d1(xs) * xs) > 1e-3 * np.abs(t)
    np.testing.assert_allclose(lk.inverse(t)[well], xs[well], rtol=1e-12, atol=0)


def test_logistic_derivative_keeps_digits_far_out():
    # σ(1 − σ) would give 0 at raw = 40; the true value is e^-40 (1 + O(e^-40))
    assert links.get("logistic").d1(np.array([40.0]))[0] == pytest.approx(np.exp(-40.0), rel=1e-15)
    assert links.get("softplus").value(np.array([-800.0]))[0] == 0.0
    assert links.get("softplus").value(np.array([-40.0]))[0] == pytest.approx(
        np.exp(-40.0), rel=1e-15
    )
    assert links.get("softplus").value(np.array([800.0]))[0] == 800.0


def test_unknown_link_lists_the_known_names():
    with pytest.raises(fl.UnknownLinkError, match="logistic") as err:
        links.get("logit")
    assert isinstance(err.value, KeyError)


def test_raw_outside_the_link_domain_names_the_row():
    with pytest.raises(fl.DomainError, match="row 2"):
        links.get("inverse_sqrt").check_raw(np.array([1.0, 2.0, -1.0]))
    with pytest.raises(fl.DomainError, match="row 0"):
        links.get("identity").check_raw(np.array([np.nan, 1.0]))
