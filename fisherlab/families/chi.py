"""Chi distribution with fixed degrees of freedom k > 0 and a scale σ > 0:
p(x) = x^(k−1) e^(−x²/(2σ²)) / (2^(k/2−1) σ^k Γ(k/2)) for x > 0.

The length of a k-dimensional N(0, σ²I) vector: k = 1 is the half-normal, k = 2 the Rayleigh,
k = 3 the Maxwell–Boltzmann distribution. This is scipy's ``chi(k, scale=σ)``.

Exponential-family form (k fixed; with k free the family is not one of these with a scalar
parameter): T(x) = x², log h(x) = (k − 1) log x − (k/2 − 1) log 2 − log Γ(k/2),
η = −1/(2σ²) < 0, A(η) = −(k/2) log(−2η) = k log σ. E[x²] = kσ² = −k/(2η);
E[log x] = log σ + (ψ(k/2) + log 2)/2 gives E[log h] in closed form.

Fixed parameter: ``k`` > 0, the degrees of freedom (default 3; any positive real), a symbol of the
derivation and an argument of the one compiled kernel module (see
:mod:`fisherlab.families.fixed`): ``fl.family("chi", k=5)``, or per-row values as an array.

Parametrizations: ``natural``; ``scale`` (σ > 0). Fisher information in σ: 2k/σ²; Fisher–Rao
distance √(2k) |log σ₁ − log σ₂|.

Valid range: σ from 1e-6 to 1e6 and k from 1e-2 to 1e2 (closed forms in log σ; log Γ(k/2) and
ψ(k/2) from scipy). The entropy log Γ(k/2) + (k − log 2 − (k − 1)ψ(k/2))/2 + log σ is a sum of
terms of size (k/2) log(k/2) that cancel to O(log k): it keeps about 16 − log10(k log k / |H|)
digits (no loss at the test range's k ≤ 20).
"""

import numpy as np

from ._spec import (
    NEGATIVE,
    POSITIVE,
    POSITIVE_REALS,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
)

DIMS = {"k": 3}


def _chi_draws(rng, k, size):
    """Chi(k) draws: the square root of chi-squared ones."""
    return np.sqrt(rng.chisquare(k, size=size))

SPEC = ExponentialFamily(
    name="chi",
    title="Chi (fixed degrees of freedom)",
    density=(r"p(x) = \frac{x^{k-1} e^{-x^2/(2\sigma^2)}}{2^{k/2-1}\sigma^k\Gamma(k/2)},"
             r"\quad x > 0"),
    support=POSITIVE_REALS,
    fixed=[Param("k", POSITIVE, (0.5, 20.0), "k > 0, the degrees of freedom", "k")],
    statistics=lambda sp, x, *, k: [x**2],
    log_base_measure=lambda sp, x, *, k: ((k - 1) * sp.log(x) - (k / 2 - 1) * sp.log(2)
                                          - sp.loggamma(k / 2)),
    natural=[Param("eta", NEGATIVE, (-1e3, -1e-3), "η = −1/(2σ²) < 0", r"\eta")],
    log_partition=lambda sp, e, *, k: -k * sp.log(-2 * e) / 2,
    parametrizations=[
        Parametrization("scale", [Param("scale", POSITIVE, (1e-2, 1e2), "σ > 0, the scale",
                                        r"\sigma")],
                        to_natural=lambda sp, s, *, k: [-1 / (2 * s**2)],
                        from_natural=lambda sp, e, *, k: [1 / sp.sqrt(-2 * e)],
                        doc="σ > 0, the scale (the degrees of freedom k are fixed): "
                            "E[x²] = kσ²."),
    ],
    natural_from_mean=lambda sp, mu, *, k: [-k / (2 * mu)],
    mean_space=Constraint(lambda t, *, k: ~(t[..., 0] > 0), "the MLE needs a positive mean of x²"),
    expected_log_base_measure=lambda sp, e, *, k: (
        (k - 1) * (sp.polygamma(0, k / 2) - sp.log(-e)) / 2 - (k / 2 - 1) * sp.log(2)
        - sp.loggamma(k / 2)),
    sampler=("scale", lambda rng, s, size, *, k: s * _chi_draws(rng, k, size)),
    scipy=("scale", lambda st, s, *, k: st.chi(k, scale=s)),
    fisher_rao=("scale", lambda sp, s1, s2, *, k: sp.sqrt(2 * k) * sp.Abs(sp.log(s1) - sp.log(s2))),
)
