"""Beta distribution: p(x) = x^(α−1) (1 − x)^(β−1) / B(α, β) for 0 < x < 1.

Exponential-family form: T(x) = (log x, log(1 − x)), log h(x) = −log x − log(1 − x),
η = (α, β) (the convention of the gamma family: η is the shape itself, not α − 1),
A(η) = log B(η₁, η₂) = log Γ(η₁) + log Γ(η₂) − log Γ(η₁ + η₂).

A is declared through ``log_beta`` (see :mod:`fisherlab.families.special.functions`), so the derived
quantities hold ψ(a) − ψ(a + b) and ψ'(a) − ψ'(a + b) as single functions that the kernels
evaluate without cancellation (a Taylor series in b/a when b ≪ a), not as differences of
nearly equal polygamma values.

Valid range: α and β from 1e-3 to 1e6. Across it A, E[T] and the Fisher information are accurate to
a few ulps (tests/families/test_ranges_against_mpmath.py checks the corners against mpmath). The
entropy and KL are sums of terms of size up to α log α that cancel: they are accurate to a few ulps
of |log Γ(α + β)|, i.e. to a relative 1e-12 only up to α, β ≈ 1e3 (4e-10 at α = β = 1e6); the
skewness tensor (ψ''(a) − ψ''(a + b)) is a plain difference. The test ranges, over which every
kernel meets 1e-12, are therefore 5e-2 to 1e3 (for mean_precision, μ in [1e-3, 1 − 1e-3] and κ in
[50, 1e3], so α, β ≥ 5e-2). The lower end is set by the verification oracles, not the kernels: the
mass within 1e-300 of 0 is about (1e-300)^α / (α B(α, β)), half of it at α = β = 1e-3 and still
~1e-3 at 1e-2, beyond what float64 quadrature resolves; from α = 5e-2 it is below 1e-15. The
identities are verified from there; the kernels match mpmath at 1e-3
(tests/families/test_ranges_against_mpmath.py). Near x = 1 float64 resolves far less: its spacing
there is 1.1e-16, and Beta(α, β) puts about (1.1e-16 α)^β / Γ(β + 1) of its mass within it, 22% at
(α, β) = (1e3, 5e-2), where the quadrature Fisher information is off by 6.7e-8 (the kernels are
exact there). β (η₂) therefore starts at 0.2, where the quadrature agrees to 8e-10 at α = 1e3
(mean_precision keeps β = (1 − μ)κ ≥ 5e-2, at α ≤ 50 where the quadrature agrees to 5e-10).

Near the uniform law α = β = 1 the entropy tends to 0 quadratically (−r²/2 along α = 1, at a
distance r), from terms log B(α, β) and (1 − α)(ψ(α) − ψ(α + β)) of size r. The kernels keep
those terms to an ulp (log B by the series of log Γ(1 + x) there, 1 − α exact), so the entropy
is accurate to a few ulps of r absolutely, a relative ~2e-16/r (measured against mpmath: 4e-14
at r = 1e-2, 2e-13 at 2e-4, 3e-10 at 1e-6; exactly 0 at r = 0). Only a series of the entropy
itself in (α − 1, β − 1) would keep relative digits closer in.
"""

import numpy as np

from ._spec import (
    POSITIVE,
    UNIT,
    UNIT_INTERVAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
)
from .special.functions import functions

ALPHA = Param("alpha", POSITIVE, (5e-2, 1e3), "α > 0, the first shape", r"\alpha")
BETA = Param("beta", POSITIVE, (2e-1, 1e3), "β > 0, the second shape", r"\beta")


def _no_mle(t):
    # T(x) = (log x, log(1 − x)) lies on the curve e^t₁ + e^t₂ = 1; the interior of its convex
    # hull is e^t₁ + e^t₂ < 1, reached (Jensen) by any sample with two distinct values.
    return ~(np.exp(t[..., 0]) + np.exp(t[..., 1]) < 1.0)


SPEC = ExponentialFamily(
    name="beta",
    title="Beta",
    density=r"p(x) = \frac{x^{\alpha-1}(1-x)^{\beta-1}}{B(\alpha,\beta)},\quad 0 < x < 1",
    support=UNIT,
    statistics=lambda sp, x: [sp.log(x), sp.log(1 - x)],
    log_base_measure=lambda sp, x: -sp.log(x) - sp.log(1 - x),
    natural=[
        Param("eta1", POSITIVE, (5e-2, 1e3), "η₁ = α", r"\eta_1"),
        Param("eta2", POSITIVE, (2e-1, 1e3), "η₂ = β", r"\eta_2"),
    ],
    log_partition=lambda sp, e1, e2: functions(sp)["log_beta"](e1, e2),
    parametrizations=[
        Parametrization(
            "alpha_beta",
            [ALPHA, BETA],
            to_natural=lambda sp, a, b: [a, b],
            from_natural=lambda sp, e1, e2: [e1, e2],
            doc="α > 0 and β > 0, the two shapes: mean α/(α+β).",
        ),
        Parametrization(
            "mean_precision",
            [
                Param(
                    "mean",
                    UNIT_INTERVAL,
                    (1e-3, 1 - 1e-3),
                    "μ = α/(α+β) in (0, 1), the mean",
                    r"\mu",
                ),
                Param(
                    "precision",
                    POSITIVE,
                    (50.0, 1e3),
                    "κ = α + β > 0, the precision (sample size)",
                    r"\kappa",
                ),
            ],
            to_natural=lambda sp, m, k: [m * k, (1 - m) * k],
            from_natural=lambda sp, e1, e2: [e1 / (e1 + e2), e1 + e2],
            doc="μ = α/(α+β) in (0, 1) the mean and κ = α + β > 0 the precision: "
            "variance μ(1 − μ)/(1 + κ).",
        ),
    ],
    mean_space=Constraint(
        _no_mle,
        "the MLE needs exp(mean log x) + exp(mean log(1 - x)) < 1: "
        "at least two distinct observations",
    ),
    sampler=("alpha_beta", lambda rng, a, b, size: rng.beta(a, b, size=size)),
    scipy=("alpha_beta", lambda st, a, b: st.beta(a, b)),
)
