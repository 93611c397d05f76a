"""Continuous Bernoulli distribution on [0, 1]: p(x) = C(λ) λ^x (1 − λ)^(1−x), 0 ≤ x ≤ 1.

The density Loaiza-Ganem & Cunningham ("The continuous Bernoulli: fixing a pervasive error in
variational autoencoders", NeurIPS 2019) give for targets in [0, 1] (pixel intensities) in place
of the Bernoulli likelihood, which is not normalized there. C(λ) = 2 artanh(1 − 2λ)/(1 − 2λ) for
λ ≠ 1/2 and C(1/2) = 2. scipy.stats has no counterpart.

Exponential-family form: T(x) = x, h(x) = 1 on [0, 1], η = log(λ/(1 − λ)) (any real),
A(η) = log((e^η − 1)/η) (A(0) = 0: the uniform law); the mean is E[x] = A′(η)
= 1/(1 − e^(−η)) − 1/η (1/2 at η = 0) and the variance A″(η) = 1/η² − 1/(4 sinh²(η/2)) (1/12).

Every elementary form of A′, A″, A‴ and of the entropy A − ηA′ cancels as η → 0 (completely at
|η| ~ 1e-8). A is declared through the functions of :mod:`fisherlab.families.special.exprel`,
dⁿA/dηⁿ and the intercept A − ηA′ (the entropy itself), as ηA′(η) + (A(η) − ηA′(η)); their
kernels sum Taylor series for |η| ≤ 2 and closed forms in e^(−|η|) beyond.

Parametrizations: ``natural``; ``lam`` (λ ∈ (0, 1), the Bernoulli-like parameter of the
density above; it is not the mean, which is λ only at λ = 1/2). No closed-form Fisher–Rao
distance.

Valid range: A, the mean, the variance (Fisher information), the skewness and the entropy to a
few ulps for every real η, η = 0 and |η| < 1e-8 included, up to |η| = 1e300 (λ from 1e-300 to
1 − 1e-16: η = logit λ is formed without cancellation at λ ≈ 1/2); the KL as the
catalog's (its Bregman form refined near coincidence). Test ranges: η from −20 to 20, λ from
1e-9 to 0.99: near 1 a float λ holds 1 − λ only to an absolute 1.1e-16 (a relative 5e-8 at
η = 20), so λ is the wrong coordinate there, as the Bernoulli's p is (the natural parameter and
the symmetry λ ↦ 1 − λ, x ↦ 1 − x cover that end).
"""

import numpy as np

from ._spec import (
    REAL,
    UNIT_INTERVAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
)
from .support import CLOSED_UNIT


def _log_partition(sp, e):
    from .special.exprel import log_partition

    return log_partition(e)


def _logit(lam):
    from .special.elementary import Logit

    return Logit(lam)


def _sample(rng, lam, size):
    # Inverse CDF: F(x) = (e^(ηx) − 1)/(e^η − 1), so x = log1p(u·expm1(η))/η (no cancellation
    # as η → 0: expm1, log1p and the division keep relative digits); for η > 1 it is written
    # 1 + log(u + (1 − u)e^(−η))/η, which does not overflow. η = 0 is the uniform law.
    lam = np.asarray(lam, dtype=np.float64)
    eta = np.log(lam) - np.log1p(-lam)
    shape = np.shape(eta) if size is None else size
    u = rng.random(size=shape)
    eta = np.broadcast_to(eta, u.shape)
    out = u.copy()
    low = (eta <= 1.0) & (eta != 0.0)
    high = eta > 1.0
    out[low] = np.log1p(u[low] * np.expm1(eta[low])) / eta[low]
    out[high] = 1.0 + np.log(u[high] + (1.0 - u[high]) * np.exp(-eta[high])) / eta[high]
    return out


SPEC = ExponentialFamily(
    name="continuous_bernoulli",
    title="Continuous Bernoulli",
    density=(r"p(x) = C(\lambda)\, \lambda^x (1-\lambda)^{1-x},\quad 0 \le x \le 1,\quad "
             r"C(\lambda) = \frac{2\,\mathrm{artanh}(1 - 2\lambda)}{1 - 2\lambda}"),
    support=CLOSED_UNIT,
    statistics=lambda sp, x: [x],
    log_base_measure=lambda sp, x: 0,
    natural=[Param("eta", REAL, (-20.0, 20.0), "η = log(λ/(1 − λ)), any real", r"\eta")],
    log_partition=_log_partition,
    parametrizations=[
        Parametrization("lam", [Param("lam", UNIT_INTERVAL, (1e-9, 0.99),
                                      "λ ∈ (0, 1), the Bernoulli-like parameter", r"\lambda")],
                        to_natural=lambda sp, lam: [_logit(lam)],
                        from_natural=lambda sp, e: [1 / (1 + sp.exp(-e))],
                        doc="λ ∈ (0, 1): p(x) ∝ λ^x (1 − λ)^(1−x) on [0, 1] "
                            "(Loaiza-Ganem & Cunningham 2019); the mean is λ only at 1/2."),
    ],
    mean_space=Constraint(lambda t: ~((t[..., 0] > 0) & (t[..., 0] < 1)),
                          "the MLE needs a sample mean strictly between 0 and 1 (the mean maps "
                          "the real line onto (0, 1))"),
    sampler=("lam", _sample),
)
