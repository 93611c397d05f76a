"""Inverse Gaussian (Wald) distribution:
p(x) = √(λ/(2πx³)) exp(−λ(x − μ)²/(2μ²x)) for x > 0.

Exponential-family form: T(x) = (x, 1/x), log h(x) = −½ log 2π − (3/2) log x,
η = (−λ/(2μ²), −λ/2), A(η) = −2√(η₁η₂) − ½ log(−2η₂) (= −λ/μ − ½ log λ).

The entropy needs E[log x] = log μ − e^{2λ/μ} E₁(2λ/μ) (the order derivative of the Bessel
function K_ν at ν = −½); it is declared through ``exp_expint1`` (e^z E₁(z), see
:mod:`fisherlab.families.special.functions`) so it stays finite for any λ/μ.

Test ranges: mean μ from 1e-2 to 10 and shape λ from 0.1 to 100; in natural parameters η₁ from
−1e3 to −1e-3 and η₂ from −50 to −0.05. The law's shape depends only on φ = λ/μ (= 2√(η₁η₂)),
which these keep in [1e-2, 1e4]:

* φ ≤ 1e4: the log density −λx/(2μ²) − λ/(2x) + λ/μ + … and the shape's score
  1/(2λ) + 1/μ − x/(2μ²) − 1/(2x) add terms of size φ/μ to get one of size 1/μ: they lose
  log10 φ digits (at φ = 1e6 the log density is off by 9.4e-12 and the score by 1.2e-10 of its
  scale, measured against mpmath).
* φ ≥ 1e-2: below, the tail is so heavy that the verification's
  Monte Carlo standard error, estimated from the sample standard deviation, is far too small
  (12σ at φ = 1e-3, 5e4σ at φ = 1e-6, where quadrature agrees to 1e-15): the range is set by
  that oracle, not by the kernels.
"""

from ._spec import (
    NEGATIVE,
    POSITIVE,
    POSITIVE_REALS,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
)
from .special.functions import functions


def _expected_log_h(sp, e1, e2):
    # E[log x] = ½ log(η₂/η₁) − e^z E₁(z) with z = 2λ/μ = 4√(η₁η₂).
    e_log_x = sp.log(e2 / e1) / 2 - functions(sp)["exp_expint1"](4 * sp.sqrt(e1 * e2))
    return -sp.log(2 * sp.pi) / 2 - sp.Rational(3, 2) * e_log_x


SPEC = ExponentialFamily(
    name="inverse_gaussian",
    title="Inverse Gaussian",
    density=(
        r"p(x) = \sqrt{\frac{\lambda}{2\pi x^3}}\, e^{-\lambda(x-\mu)^2/(2\mu^2 x)},"
        r"\quad x > 0"
    ),
    support=POSITIVE_REALS,
    statistics=lambda sp, x: [x, 1 / x],
    log_base_measure=lambda sp, x: -sp.log(2 * sp.pi) / 2 - sp.Rational(3, 2) * sp.log(x),
    natural=[
        Param("eta1", NEGATIVE, (-1e3, -1e-3), "η₁ = −λ/(2μ²)", r"\eta_1"),
        Param("eta2", NEGATIVE, (-50.0, -0.05), "η₂ = −λ/2", r"\eta_2"),
    ],
    log_partition=lambda sp, e1, e2: -2 * sp.sqrt(e1 * e2) - sp.log(-2 * e2) / 2,
    parametrizations=[
        Parametrization(
            "mean_shape",
            [
                Param("mean", POSITIVE, (1e-2, 1e1), "μ > 0, the mean", r"\mu"),
                Param("shape", POSITIVE, (1e-1, 1e2), "λ > 0, the shape", r"\lambda"),
            ],
            to_natural=lambda sp, m, lam: [-lam / (2 * m**2), -lam / 2],
            from_natural=lambda sp, e1, e2: [sp.sqrt(e2 / e1), -2 * e2],
            doc="μ > 0 the mean, λ > 0 the shape: variance μ³/λ.",
        ),
    ],
    natural_from_mean=lambda sp, m1, m2: [
        -1 / (2 * m1**2 * (m2 - 1 / m1)),
        -1 / (2 * (m2 - 1 / m1)),
    ],
    mean_space=Constraint(
        lambda t: ~(t[..., 1] - 1.0 / t[..., 0] > 0),
        "the MLE needs mean(1/x) > 1/mean(x): at least two distinct observations",
    ),
    expected_log_base_measure=_expected_log_h,
    sampler=("mean_shape", lambda rng, m, lam, size: rng.wald(m, lam, size=size)),
    scipy=("mean_shape", lambda st, m, lam: st.invgauss(m / lam, scale=lam)),
)
