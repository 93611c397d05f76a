"""Chi-squared distribution: p(x) = x^(k/2−1) e^(−x/2) / (2^(k/2) Γ(k/2)) for x > 0.

Exponential-family form: T(x) = log x, log h(x) = −x/2 − log x, η = k/2 > 0,
A(η) = log Γ(η) + η log 2. E[log h] = −k/2 − ψ(k/2) − log 2.

Parametrizations: ``natural``; ``df`` (k > 0, the degrees of freedom, any positive real).
Fisher information in k: ψ'(k/2)/4. No closed-form Fisher–Rao distance.

Valid range: k from 1e-3 to 1e6 (log Γ, ψ and ψ' from scipy; E[log x] = ψ(k/2) + log 2).
"""

from ._spec import POSITIVE, POSITIVE_REALS, ExponentialFamily, Param, Parametrization

SPEC = ExponentialFamily(
    name="chi2",
    title="Chi-squared",
    density=r"p(x) = \frac{x^{k/2 - 1} e^{-x/2}}{2^{k/2} \Gamma(k/2)},\quad x > 0",
    support=POSITIVE_REALS,
    statistics=lambda sp, x: [sp.log(x)],
    log_base_measure=lambda sp, x: -x / 2 - sp.log(x),
    natural=[Param("eta", POSITIVE, (1e-2, 1e3), "η = k/2 > 0", r"\eta")],
    log_partition=lambda sp, e: sp.loggamma(e) + e * sp.log(2),
    parametrizations=[
        Parametrization("df", [Param("df", POSITIVE, (1e-2, 1e3), "k > 0, the degrees of freedom",
                                     "k")],
                        to_natural=lambda sp, k: [k / 2],
                        from_natural=lambda sp, e: [2 * e],
                        doc="k > 0, the degrees of freedom (mean k, variance 2k)."),
    ],
    mean_space=None,  # any finite mean of log x is attained (ψ(η) + log 2 maps (0, ∞) onto ℝ)
    expected_log_base_measure=lambda sp, e: -e - sp.polygamma(0, e) - sp.log(2),
    sampler=("df", lambda rng, k, size: rng.chisquare(k, size=size)),
    scipy=("df", lambda st, k: st.chi2(k)),
)
