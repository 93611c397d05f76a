"""Weibull distribution with fixed shape k > 0: p(x) = (k/λ)(x/λ)^(k−1) e^(−(x/λ)^k) for x > 0.

Exponential-family form (k fixed): T(x) = x^k, log h(x) = log k + (k − 1) log x, η = −λ^(−k) < 0,
A(η) = −log(−η). E[log h] uses E[log x] = log λ − γ/k (γ the Euler–Mascheroni constant).

Fixed parameter: ``k`` > 0, the shape (default 1.5), a symbol of the derivation and an argument
of the one compiled kernel module (see :mod:`fisherlab.families.fixed`):
``fl.family("weibull", k=2)``, or per-row shapes as an array broadcast against θ's batch shape
(...) and x's shape.

Parametrizations: ``natural``; ``scale`` (λ > 0). Fisher information in λ: k²/λ²; Fisher–Rao
distance k |log λ₁ − log λ₂|.

Valid range: λ from 1e-6 to 1e6 and any k from 1e-2 to 1e2 (closed forms in log λ; x^k overflows
only when (x/λ)^k does).
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

DIMS = {"k": 1.5}

SPEC = ExponentialFamily(
    name="weibull",
    title="Weibull (fixed shape)",
    density=(r"p(x) = \frac{k}{\lambda}\left(\frac{x}{\lambda}\right)^{k-1}"
             r" e^{-(x/\lambda)^k},\quad x > 0"),
    support=POSITIVE_REALS,
    fixed=[Param("k", POSITIVE, (0.2, 5.0), "k > 0, the shape", "k")],
    statistics=lambda sp, x, *, k: [x ** k],
    log_base_measure=lambda sp, x, *, k: sp.log(k) + (k - 1) * sp.log(x),
    natural=[Param("eta", NEGATIVE, (-1e3, -1e-3), "η = −λ^(−k) < 0", r"\eta")],
    log_partition=lambda sp, e, *, k: -sp.log(-e),
    parametrizations=[
        Parametrization("scale", [Param("scale", POSITIVE, (1e-2, 1e2), "λ > 0, the scale",
                                        r"\lambda")],
                        to_natural=lambda sp, lam, *, k: [-lam ** (-k)],
                        from_natural=lambda sp, e, *, k: [(-e) ** (-1 / k)],
                        doc="λ > 0, the scale (the shape k is fixed)."),
    ],
    natural_from_mean=lambda sp, mu, *, k: [-1 / mu],
    mean_space=Constraint(lambda t, *, k: ~(t[..., 0] > 0), "the MLE needs a positive mean of x^k"),
    expected_log_base_measure=lambda sp, e, *, k: (sp.log(k) + (k - 1)
                                                   * (-sp.log(-e) - sp.EulerGamma) / k),
    sampler=("scale", lambda rng, lam, size, *, k: lam * rng.weibull(k, size=size)),
    scipy=("scale", lambda st, lam, *, k: st.weibull_min(k, scale=lam)),
    fisher_rao=("scale", lambda sp, l1, l2, *, k: k * sp.Abs(sp.log(l1) - sp.log(l2))),
)
