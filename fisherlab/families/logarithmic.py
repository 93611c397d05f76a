"""Logarithmic (log-series) distribution on x = 1, 2, 3, …: p(x) = −p^x / (x log(1 − p)).

This is scipy's ``logser(p)``. Exponential-family form: T(x) = x, log h(x) = −log x,
η = log p < 0, A(η) = log(−log(1 − e^η)); E[x] = −p/((1 − p) log(1 − p)).

A and its derivatives are the opaque functions of :mod:`fisherlab.families.special.log_series`
(A, the mean μ, the excess s = −log(1 − p)/p − 1 and log(1 − p)): the variance is μ²s and the
third cumulant μ²(2μs² + (−log(1 − p) − s)/(1 − p)), products that keep their digits for every p,
where the differences of the elementary forms lose log10(2/p) of them. E[log h] = −E[log x] has
no closed form: the entropy sums −p(x) log p(x) over x until the tail is negligible.

Parametrizations: ``natural``; ``p`` (p ∈ (0, 1)). No closed-form Fisher–Rao distance.

Valid range: A, the mean, the Fisher information and the KL to a few ulps for p from 1e-300 to
1 − 1e-16 (η from −690 to −1e-16), except A within a few ulps of its zero p = 1 − 1/e, where it
keeps an absolute error of an ulp; the skewness tensor loses under a digit. The entropy's sum
needs about 40/(−log p) terms, 1e7 at most: p up to about 1 − 4e-6. The observed Hessian in p,
−(x − μ + μ²s)/p², is at x = 1 of size 1/p made of terms of size 1/p² that cancel: it keeps
about 16 − log10(1/p) digits (2.6e-12 relative at p = 0.01). Test ranges: p from 5e-2 to 0.99;
η from −4.6 to −1e-2 (the natural Hessian, −μ²s, does not see x).
"""

import numpy as np

from ._spec import (
    NEGATIVE,
    UNIT_INTERVAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
    Support,
)


def _log_partition(sp, e):
    from .special.log_series import LogSeriesLogPartition

    return LogSeriesLogPartition(e)


SPEC = ExponentialFamily(
    name="logarithmic",
    title="Logarithmic (log-series)",
    density=r"p(x) = \frac{-p^x}{x \log(1 - p)},\quad x \in \{1, 2, 3, \dots\}",
    support=Support("integer_range", "x a positive integer", low=1.0),
    statistics=lambda sp, x: [x],
    log_base_measure=lambda sp, x: -sp.log(x),
    natural=[Param("eta", NEGATIVE, (-4.6, -1e-2), "η = log p < 0", r"\eta")],
    log_partition=_log_partition,
    parametrizations=[
        Parametrization("p", [Param("p", UNIT_INTERVAL, (5e-2, 0.99), "p ∈ (0, 1)", "p")],
                        to_natural=lambda sp, p: [sp.log(p)],
                        from_natural=lambda sp, e: [sp.exp(e)],
                        doc="p ∈ (0, 1): p(x) ∝ p^x/x; mean −p/((1 − p) log(1 − p))."),
    ],
    mean_space=Constraint(lambda t: ~(t[..., 0] > 1),
                          "the MLE needs a sample mean above 1 (an all-ones sample puts p on "
                          "the boundary, 0)"),
    sampler=("p", lambda rng, p, size: rng.logseries(p, size=size).astype(np.float64)),
    scipy=("p", lambda st, p: st.logser(p)),
)
