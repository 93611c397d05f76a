"""Normal distribution: p(x) = exp(−(x − μ)² / (2σ²)) / √(2πσ²) for real x.

Exponential-family form: T(x) = (x, x²), log h(x) = −½ log 2π, η = (μ/σ², −1/(2σ²)),
A(η) = −η₁²/(4η₂) − ½ log(−2η₂).

Test ranges: in natural parameters η₁ from −3 to 3 and η₂ from −1e3 to −1e-3. The score in η is
T(x) − E[T] = (x − μ, x² − (μ² + σ²)): its second entry subtracts numbers of size μ² to get one of
size σ² to 2|μ|σ, and loses log10((μ/σ)²) digits (1.6e-12 at μ/σ = 3e3, measured against
mpmath). μ/σ = η₁/√(−2η₂), so |η₁| ≤ 3 keeps it below 67 across the η₂ range (at most 3.6
digits lost, the score within 1e-12). The other parametrizations keep their wider ranges, where
every kernel meets 1e-12 (tests/kernels/test_accuracy.py), except log σ, which starts at −6:
at (μ, log σ) = (−1000, −6.5), μ/σ = 6.6e5, the verification's natural-gradient map between
mean_logstd and mean_std (whose Jacobian it composes through η, with terms of size μ that
cancel) is off by 1.07e-10 of the direction in its 40-digit adjudication, against a tolerance
of 1e-10; the kernels' own natural gradients agree with a direct solve there to the last ulp.
"""


from ._spec import (
    NEGATIVE,
    POSITIVE,
    REAL,
    REALS,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
)

MEAN = Param("mean", REAL, (-1e3, 1e3), "μ, the mean", r"\mu")


def _variance(m1, m2):
    # m₂ − m₁² as one opaque function: the kernels evaluate it with m₁² split exactly (the plain
    # difference loses log10(m₁²/σ²) digits, 1e-12 relative at |μ| ≈ 40σ, to every kernel of
    # this parametrization).
    from .special.elementary import MomentVariance

    return MomentVariance(m1, m2)


def _no_mle(t):
    # The sample variance must be positive: at least two distinct observations.
    return ~(t[..., 1] - t[..., 0] ** 2 > 0)


SPEC = ExponentialFamily(
    name="normal",
    title="Normal",
    density=(r"p(x) = \frac{1}{\sqrt{2\pi\sigma^2}} e^{-(x-\mu)^2/(2\sigma^2)},"
             r"\quad x \in \mathbb{R}"),
    support=REALS,
    statistics=lambda sp, x: [x, x**2],
    log_base_measure=lambda sp, x: -sp.log(2 * sp.pi) / 2,
    natural=[
        Param("eta1", REAL, (-3.0, 3.0), "η₁ = μ/σ²", r"\eta_1"),
        Param("eta2", NEGATIVE, (-1e3, -1e-3), "η₂ = −1/(2σ²)", r"\eta_2"),
    ],
    log_partition=lambda sp, e1, e2: -(e1**2) / (4 * e2) - sp.log(-2 * e2) / 2,
    parametrizations=[
        Parametrization(
            "mean",
            [
                Param("mean_x", REAL, (-30.0, 30.0), "m₁ = E[x]", "m_1"),
                Param("mean_x2", POSITIVE, (1e-2, 1e3), "m₂ = E[x²] > m₁²", "m_2"),
            ],
            to_natural=lambda sp, m1, m2: [m1 / _variance(m1, m2), -1 / (2 * _variance(m1, m2))],
            from_natural=lambda sp, e1, e2: [-e1 / (2 * e2), e1**2 / (4 * e2**2) - 1 / (2 * e2)],
            constraint=Constraint(
                lambda t: ~(t[..., 1] - t[..., 0] ** 2 > 0),
                "mean_x2 > mean_x**2 (a positive variance)",
            ),
            doc="The mean parameters μ = E[T(x)] = (E[x], E[x²]); the variance is m₂ − m₁².",
        ),
        Parametrization(
            "mean_std",
            [MEAN, Param("std", POSITIVE, (1e-3, 1e3), "σ > 0, the standard deviation", r"\sigma")],
            to_natural=lambda sp, m, s: [m / s**2, -1 / (2 * s**2)],
            from_natural=lambda sp, e1, e2: [-e1 / (2 * e2), 1 / sp.sqrt(-2 * e2)],
            doc="μ the mean, σ > 0 the standard deviation.",
        ),
        Parametrization(
            "mean_var",
            [MEAN, Param("var", POSITIVE, (1e-4, 1e4), "σ² > 0, the variance", r"\sigma^2")],
            to_natural=lambda sp, m, v: [m / v, -1 / (2 * v)],
            from_natural=lambda sp, e1, e2: [-e1 / (2 * e2), -1 / (2 * e2)],
            doc="μ the mean, σ² > 0 the variance.",
        ),
        Parametrization(
            "mean_logstd",
            [MEAN, Param("log_std", REAL, (-6.0, 6.5), "log σ", r"\log\sigma")],
            to_natural=lambda sp, m, ls: [m * sp.exp(-2 * ls), -sp.exp(-2 * ls) / 2],
            from_natural=lambda sp, e1, e2: [-e1 / (2 * e2), -sp.log(-2 * e2) / 2],
            doc="μ the mean, log σ the log standard deviation (unconstrained).",
        ),
    ],
    natural_from_mean=lambda sp, m1, m2: [m1 / _variance(m1, m2), -1 / (2 * _variance(m1, m2))],
    mean_space=Constraint(
        _no_mle, "the MLE needs a positive sample variance: at least two distinct observations"
    ),
    sampler=("mean_std", lambda rng, m, s, size: rng.normal(m, s, size=size)),
    scipy=("mean_std", lambda st, m, s: st.norm(m, s)),
    # √2 arccosh(1 + u), u = ((μ₁−μ₂)²/2 + (σ₁−σ₂)²)/(2σ₁σ₂) (the hyperbolic half-plane), written
    # as 2√2 arcsinh √(u/2): arccosh(1 + u) loses half the digits of a small u to the rounding
    # of 1 + u (relative error 1e-4 at distance 1e-6).
    fisher_rao=(
        "mean_std",
        lambda sp, m1, s1, m2, s2: (
            2
            * sp.sqrt(2)
            * sp.asinh(sp.sqrt(((m1 - m2) ** 2 / 2 + (s1 - s2) ** 2) / (4 * s1 * s2)))
        ),
    ),
)
