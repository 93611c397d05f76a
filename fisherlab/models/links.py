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
inverse_cloglog     1 − exp(−e^raw)         exp(raw − e^raw), h′(1 − e^raw)       real
inverse             1/raw                   −1/raw², 2/raw³                       raw ≠ 0
inverse_sqrt        raw^(−1/2)              −½ raw^(−3/2), ¾ raw^(−5/2)           raw > 0
square              raw²                    2 raw, 2                              real
sqrt                √raw                    ½ raw^(−1/2), −¼ raw^(−3/2)           raw > 0
log                 log raw                 1/raw, −1/raw²                        raw > 0
==================  ======================  ====================================  ==============

σ′ is computed as σ(raw)σ(−raw) = e^−|raw|/(1 + e^−|raw|)², accurately rounded factors,
rather than σ(1 − σ), which cancels to nothing for raw ≫ 1 (σ rounds to 1 beyond raw ≈ 37); softplus is
max(raw, 0) + log1p(e^−|raw|), which neither overflows nor loses the small tail.
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
                f"has {float(raw[rows[0]])!r} ({rows.size} row{'s' if rows.size > 1 else ''} in all: "
                f"{describe(raw[rows])})")


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
