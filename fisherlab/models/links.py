"""Inverse link functions: elementwise maps from a predictor's raw output to a family parameter.

A link is named by its *inverse* (predictor → parameter), as in the heads: ``"exp"`` on a
Poisson rate is the log link, ``"logistic"`` on a Bernoulli p is the logit link, ``"inverse"``
(θ = 1/raw) on a gamma mean is the gamma's canonical link.

Every link gives its value and its first two derivatives, each written to keep its digits:

==================  ======================  ====================================  ==============
name                θ = h(raw)              h′, h″                                raw domain
==================  ======================  ====================================  ==============
identity            raw                     1, 0                                  real
exp                 e^raw                   e^raw, e^raw                          real
softplus            log(1 + e^raw)          σ(raw), σ(raw)σ(−raw)                 real
logistic            σ(raw) = 1/(1 + e^−raw)  σ(raw)σ(−raw), −h′ tanh(raw/2)        real
probit              Φ(raw)                  φ(raw), −raw φ(raw)                   real
probit_logodds      log(Φ(raw)/Φ(−raw))     r(raw) + r(−raw), r = φ/Φ (see below)  real
inverse_cloglog     1 − exp(−e^raw)         exp(raw − e^raw), h′(1 − e^raw)       real
inverse             1/raw                   −1/raw², 2/raw³                       raw ≠ 0
inverse_sqrt        raw^(−1/2)              −½ raw^(−3/2), ¾ raw^(−5/2)           raw > 0
square              raw²                    2 raw, 2                              real
sqrt                √raw                    ½ raw^(−1/2), −¼ raw^(−3/2)           raw > 0
log                 log raw                 1/raw, −1/raw²                        raw > 0
==================  ======================  ====================================  ==============

σ′ is computed as σ(raw)σ(−raw) = e^−|raw|/(1 + e^−|raw|)², accurately rounded factors,
rather than σ(1 − σ), which cancels to nothing for raw ≫ 1 (σ rounds to 1 beyond raw ≈ 37);
softplus is max(raw, 0) + log1p(e^−|raw|), which neither overflows nor loses the small tail.
``probit_logodds`` is the probit model written into the Bernoulli's natural parameter, the
log-odds of Φ(raw): where Φ(raw) rounds to 1 (raw > 8.3) the p parametrization can no longer
hold the point, the log-odds still can. Its h″ = −r(raw)(raw + r(raw)) + r(−raw)(r(−raw) − raw)
is evaluated through x + φ(x)/Φ(x), which for x < −1.5 comes from Laplace's continued fraction of
the Mills ratio instead of cancelling.
``inverse_sqrt`` is the canonical link of the inverse Gaussian on its mean: μ = 1/√raw, i.e.
raw = 1/μ² (statsmodels' ``inverse_squared`` link; η₁ = −λ/(2μ²) is raw times a constant).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special

from ..errors import DomainError, UnknownLinkError, describe


@dataclass(frozen=True)
class Link:
    """An elementwise inverse link θ = h(raw) with h′, h″ and the link itself g = h⁻¹.

    Attributes
    ----------
    name : str
        The registry name.
    value, d1, d2 : callable
        h, h′ and h″, elementwise on arrays of any shape.
    inverse : callable
        g = h⁻¹, parameter → raw (used for starting values).
    raw_domain : str
        ``"real"``, ``"nonzero"`` or ``"positive"``: where h is defined.
    formula : str
        How h is written, for messages and docs.
    """

    name: str
    value: Callable[[np.ndarray], np.ndarray]
    d1: Callable[[np.ndarray], np.ndarray]
    d2: Callable[[np.ndarray], np.ndarray]
    inverse: Callable[[np.ndarray], np.ndarray]
    raw_domain: str = "real"
    formula: str = ""

    def __repr__(self) -> str:
        return f"<Link {self.name}: θ = {self.formula}>"

    def raw_violations(self, raw: np.ndarray) -> np.ndarray:
        """Mask of the raw values outside the link's domain (NaN and ±inf included)."""
        ok = np.isfinite(raw)
        if self.raw_domain == "nonzero":
            ok &= raw != 0
        elif self.raw_domain == "positive":
            ok &= raw > 0
        return ~ok

    def check_raw(self, raw: np.ndarray, what: str = "raw") -> None:
        """Raise DomainError naming the first offending row when raw leaves the link's domain.

        ``raw`` has shape (n,), one value per row.
        """
        bad = self.raw_violations(raw)
        if bad.any():
            rows = np.flatnonzero(bad)
            need = {"real": "finite", "nonzero": "finite and nonzero",
                    "positive": "finite and > 0"}[self.raw_domain]
            raise DomainError(
                f"link {self.name!r} (θ = {self.formula}) needs {what} {need}; row {rows[0]} "
                f"has {float(raw[rows[0]])!r} "
                f"({rows.size} row{'s' if rows.size > 1 else ''} in all: "
                f"{describe(raw[rows])})"
            )


def _expit_neg(x):
    return special.expit(-x)


def _softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _softplus_inverse(t):
    # log(e^t − 1) = t + log(−expm1(−t)): no overflow for large t, no cancellation for small
    return t + np.log(-np.expm1(-t))


def _logistic_d1(x):
    # σ(x)σ(−x) = e^−|x| / (1 + e^−|x|)²: one exp instead of two expits, and no cancellation
    # (every factor is accurately rounded, for any sign of x)
    e = np.exp(-np.abs(x))
    return e / ((1.0 + e) * (1.0 + e))


def _logistic_d2(x):
    # σ″ = σ′ (σ(−x) − σ(x)) = −σ′ tanh(x/2): the difference of the two σ's cancels near 0
    return -_logistic_d1(x) * np.tanh(x / 2)


def _normal_pdf(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _mills_excess(t):
    """1/(t + 2/(t + 3/(t + …))) for t ≥ 1.5: x + φ(x)/Φ(x) at x = −t, without cancelling.

    φ(x)/Φ(x) = 1/R(t) for the Mills ratio R(t) = Q(t)/φ(t) = 1/(t + 1/(t + 2/(t + …)))
    (Laplace's continued fraction), so x + φ(x)/Φ(x) is the fraction's tail above; 250
    backward terms reach round-off for every t ≥ 1.5 (at t = 1.01 they leave 6e-14).
    """
    acc = np.zeros_like(t)
    for k in range(250, 1, -1):
        acc = k / (t + acc)
    return 1.0 / (t + acc)


def _phi_over_cdf(x):
    """r(x) = φ(x)/Φ(x), accurate in both tails: through log Φ where x ≥ −1.5, as
    −x + 1/(t + 2/(t + …)) (t = −x) further left, where log φ and log Φ would cancel."""
    x = np.asarray(x, dtype=np.float64)
    left = x < -1.5
    xr = np.where(left, -1.5, x)
    out = np.exp(-0.5 * xr * xr - 0.5 * math.log(2 * math.pi) - special.log_ndtr(xr))
    if np.any(left):
        out[left] = -x[left] + _mills_excess(-x[left])
    return out


def _x_plus_ratio(x):
    """x + φ(x)/Φ(x) (> 0 everywhere): directly where x ≥ −1.5, by the continued fraction below."""
    x = np.asarray(x, dtype=np.float64)
    out = x + _phi_over_cdf(np.maximum(x, -1.5))
    left = x < -1.5
    if np.any(left):
        out[left] = _mills_excess(-x[left])
    return out


def _probit_logodds(x):
    # log Φ(x) − log Φ(−x), odd in x; near 0 the two logs cancel, so log1p(erf(|x|/√2)/Φ(−|x|))
    a = np.abs(np.asarray(x, dtype=np.float64))
    near = a <= 1.0
    out = special.log_ndtr(a) - special.log_ndtr(-a)
    out[near] = np.log1p(special.erf(a[near] / math.sqrt(2)) / special.ndtr(-a[near]))
    return np.copysign(out, x)


def _probit_logodds_d1(x):
    # φ/Φ(x) + φ/Φ(−x): two positive terms
    return _phi_over_cdf(x) + _phi_over_cdf(-x)


def _probit_logodds_d2(x):
    # h″ = −r(x)(x + r(x)) + r(−x)(r(−x) − x), r = φ/Φ: odd, so evaluated at a = |x|, where both
    # brackets are the positive x + r(x) of _x_plus_ratio (at a and at −a). Within 1 of 0 the
    # two products cancel; there h″ = S (D − a) with S = r(a) + r(−a) and
    # D = r(−a) − r(a) = φ(a) erf(a/√2) / (Φ(a) Φ(−a)), which cancels by at most a factor 5.
    a = np.abs(np.asarray(x, dtype=np.float64))
    out = -_phi_over_cdf(a) * _x_plus_ratio(a) + _phi_over_cdf(-a) * _x_plus_ratio(-a)
    near = a <= 1.0
    if np.any(near):
        b = a[near]
        S = _phi_over_cdf(b) + _phi_over_cdf(-b)
        D = (np.exp(-0.5 * b * b) / math.sqrt(2 * math.pi) * special.erf(b / math.sqrt(2))
             / (special.ndtr(b) * special.ndtr(-b)))
        out[near] = S * (D - b)
    return np.copysign(out, x)


def _probit_logodds_inverse(eta):
    # Φ⁻¹(σ(η)) from log σ(±η), so that σ(η) rounding to 1 does not give an infinite raw
    eta = np.asarray(eta, dtype=np.float64)
    return np.where(eta >= 0, -special.ndtri_exp(special.log_expit(-eta)),
                    special.ndtri_exp(special.log_expit(eta)))


def _cloglog_inv(x):
    return -np.expm1(-np.exp(x))


def _cloglog_d1(x):
    return np.exp(x - np.exp(x))


def _cloglog_d2(x):
    return _cloglog_d1(x) * (-np.expm1(x))


def _cloglog(t):
    return np.log(-np.log1p(-t))


_LINKS = (
    Link("identity", lambda x: x, np.ones_like, np.zeros_like, lambda t: t, "real", "raw"),
    Link("exp", np.exp, np.exp, np.exp, np.log, "real", "exp(raw)"),
    Link("softplus", _softplus, special.expit, _logistic_d1, _softplus_inverse, "real",
         "log(1 + exp(raw))"),
    Link("logistic", special.expit, _logistic_d1, _logistic_d2, special.logit, "real",
         "1/(1 + exp(-raw))"),
    Link("probit", special.ndtr, _normal_pdf, lambda x: -x * _normal_pdf(x), special.ndtri,
         "real", "Phi(raw)"),
    Link("probit_logodds", _probit_logodds, _probit_logodds_d1, _probit_logodds_d2,
         _probit_logodds_inverse, "real", "log(Phi(raw)/Phi(-raw))"),
    Link("inverse_cloglog", _cloglog_inv, _cloglog_d1, _cloglog_d2, _cloglog, "real",
         "1 - exp(-exp(raw))"),
    Link("inverse", lambda x: 1.0 / x, lambda x: -1.0 / (x * x), lambda x: 2.0 / (x * x * x),
         lambda t: 1.0 / t, "nonzero", "1/raw"),
    Link("inverse_sqrt", lambda x: 1.0 / np.sqrt(x), lambda x: -0.5 / (x * np.sqrt(x)),
         lambda x: 0.75 / (x * x * np.sqrt(x)), lambda t: 1.0 / (t * t), "positive",
         "1/sqrt(raw)"),
    Link("square", lambda x: x * x, lambda x: 2.0 * x, lambda x: np.full_like(x, 2.0), np.sqrt,
         "real", "raw**2"),
    Link("sqrt", np.sqrt, lambda x: 0.5 / np.sqrt(x), lambda x: -0.25 / (x * np.sqrt(x)),
         lambda t: t * t, "positive", "sqrt(raw)"),
    Link("log", np.log, lambda x: 1.0 / x, lambda x: -1.0 / (x * x), np.exp, "positive",
         "log(raw)"),
)

#: The elementwise inverse links by name.
LINKS: dict[str, Link] = {lk.name: lk for lk in _LINKS}


def names() -> tuple[str, ...]:
    """Names of the elementwise inverse links (the head also accepts ``"softmax"``)."""
    return tuple(LINKS)


def get(name) -> Link:
    """The inverse link ``name`` (a :class:`Link` passes through).

    Raises
    ------
    UnknownLinkError
        For a name not in :data:`LINKS`; the message lists the known names.
    """
    if isinstance(name, Link):
        return name
    if not isinstance(name, str) or name not in LINKS:
        raise UnknownLinkError(f"unknown link {name!r}; known (inverse) links: "
                               f"{', '.join(LINKS)}, and softmax for a categorical head")
    return LINKS[name]
