"""Weibull distribution with fixed shape k > 0: p(x) = (k/λ)(x/λ)^(k−1) e^(−(x/λ)^k) for x > 0.

Exponential-family form (k fixed): T(x) = x^k, log h(x) = log k + (k − 1) log x, η = −λ^(−k) < 0,
A(η) = −log(−η). E[log h] uses E[log x] = log λ − γ/k (γ the Euler–Mascheroni constant).

Dimensions: ``k`` > 0, the fixed shape (default 1.5); ``fl.family("weibull", k=2)``. Kernels are
generated ahead of time for k = 1.5, compiled on first use for other k.

Parametrizations: ``natural``; ``scale`` (λ > 0). Fisher information in λ: k²/λ²; Fisher–Rao
distance k |log λ₁ − log λ₂|.

Valid range: λ from 1e-6 to 1e6 and any k from 1e-2 to 1e2 (closed forms in log λ; x^k overflows
only when (x/λ)^k does).
"""

from ._dims import exact, fixed_positive
from ._spec import (NEGATIVE, POSITIVE, POSITIVE_REALS, Constraint, ExponentialFamily, Param,
                    Parametrization)

DIMS = {"k": 1.5}


def make(k=1.5) -> ExponentialFamily:
    """The Weibull family with fixed shape k, parametrized by its scale."""
    k = fixed_positive("k", k)

    def K(sp):
        return exact(sp, k)

    return ExponentialFamily(
        name="weibull",
        title="Weibull (fixed shape)",
        density=(r"p(x) = \frac{k}{\lambda}\left(\frac{x}{\lambda}\right)^{k-1}"
                 r" e^{-(x/\lambda)^k},\quad x > 0"),
        support=POSITIVE_REALS,
        statistics=lambda sp, x: [x ** K(sp)],
        log_base_measure=lambda sp, x: sp.log(K(sp)) + (K(sp) - 1) * sp.log(x),
        natural=[Param("eta", NEGATIVE, (-1e3, -1e-3), "η = −λ^(−k) < 0", r"\eta")],
        log_partition=lambda sp, e: -sp.log(-e),
        parametrizations=[
            Parametrization("scale", [Param("scale", POSITIVE, (1e-2, 1e2), "λ > 0, the scale",
                                            r"\lambda")],
                            to_natural=lambda sp, lam: [-lam ** (-K(sp))],
                            from_natural=lambda sp, e: [(-e) ** (-1 / K(sp))],
                            doc=f"λ > 0, the scale (the shape is fixed at k = {k})."),
        ],
        natural_from_mean=lambda sp, mu: [-1 / mu],
        mean_space=Constraint(lambda t: ~(t[..., 0] > 0), "the MLE needs a positive mean of x^k"),
        expected_log_base_measure=lambda sp, e: (sp.log(K(sp)) + (K(sp) - 1)
                                                 * (-sp.log(-e) - sp.EulerGamma) / K(sp)),
        sampler=("scale", lambda rng, lam, size: lam * rng.weibull(k, size=size)),
        scipy=("scale", lambda st, lam: st.weibull_min(k, scale=lam)),
        fisher_rao=("scale", lambda sp, l1, l2: K(sp) * sp.Abs(sp.log(l1) - sp.log(l2))),
        dims={"k": k},
    )
