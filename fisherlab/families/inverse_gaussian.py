"""Inverse Gaussian (Wald) distribution:
p(x) = √(λ/(2πx³)) exp(−λ(x − μ)²/(2μ²x)) for x > 0.

Exponential-family form: T(x) = (x, 1/x), log h(x) = −½ log 2π − (3/2) log x,
η = (−λ/(2μ²), −λ/2), A(η) = −2√(η₁η₂) − ½ log(−2η₂) (= −λ/μ − ½ log λ).

The entropy needs E[log x] = log μ − e^{2λ/μ} E₁(2λ/μ) (the order derivative of the Bessel
function K_ν at ν = −½); it is declared through ``exp_expint1`` (e^z E₁(z), see
:mod:`fisherlab.families.special.functions`) so it stays finite for any λ/μ.

Valid range: mean μ and shape λ each from 1e-3 to 1e3 (six decades); in natural parameters
η₁, η₂ < 0.
"""

from .special.functions import functions
from ._spec import (NEGATIVE, POSITIVE, POSITIVE_REALS, Constraint, ExponentialFamily, Param,
                    Parametrization)


def _expected_log_h(sp, e1, e2):
    # E[log x] = ½ log(η₂/η₁) − e^z E₁(z) with z = 2λ/μ = 4√(η₁η₂).
    e_log_x = sp.log(e2 / e1) / 2 - functions(sp)["exp_expint1"](4 * sp.sqrt(e1 * e2))
    return -sp.log(2 * sp.pi) / 2 - sp.Rational(3, 2) * e_log_x


SPEC = ExponentialFamily(
    name="inverse_gaussian",
    title="Inverse Gaussian",
    density=(r"p(x) = \sqrt{\frac{\lambda}{2\pi x^3}}\, e^{-\lambda(x-\mu)^2/(2\mu^2 x)},"
             r"\quad x > 0"),
    support=POSITIVE_REALS,
    statistics=lambda sp, x: [x, 1 / x],
    log_base_measure=lambda sp, x: -sp.log(2 * sp.pi) / 2 - sp.Rational(3, 2) * sp.log(x),
    natural=[Param("eta1", NEGATIVE, (-1e3, -1e-3), "η₁ = −λ/(2μ²)", r"\eta_1"),
             Param("eta2", NEGATIVE, (-1e3, -1e-3), "η₂ = −λ/2", r"\eta_2")],
    log_partition=lambda sp, e1, e2: -2 * sp.sqrt(e1 * e2) - sp.log(-2 * e2) / 2,
    parametrizations=[
        Parametrization(
            "mean_shape",
            [Param("mean", POSITIVE, (1e-3, 1e3), "μ > 0, the mean", r"\mu"),
             Param("shape", POSITIVE, (1e-3, 1e3), "λ > 0, the shape", r"\lambda")],
            to_natural=lambda sp, m, lam: [-lam / (2 * m**2), -lam / 2],
            from_natural=lambda sp, e1, e2: [sp.sqrt(e2 / e1), -2 * e2],
            doc="μ > 0 the mean, λ > 0 the shape: variance μ³/λ."),
    ],
    natural_from_mean=lambda sp, m1, m2: [-1 / (2 * m1**2 * (m2 - 1 / m1)), -1 / (2 * (m2 - 1 / m1))],
    mean_space=Constraint(lambda t: ~(t[..., 1] - 1.0 / t[..., 0] > 0),
                          "the MLE needs mean(1/x) > 1/mean(x): at least two distinct observations"),
    expected_log_base_measure=_expected_log_h,
    sampler=("mean_shape", lambda rng, m, lam, size: rng.wald(m, lam, size=size)),
    scipy=("mean_shape", lambda st, m, lam: st.invgauss(m / lam, scale=lam)),
)
