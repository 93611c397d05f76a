"""Dirichlet distribution of dimension k: p(x) = Γ(Σα) / ΠΓ(α_i) · Π x_i^(α_i − 1) on the simplex.

Observations are x of shape (..., k) with positive entries summing to 1. Exponential-family form:
T(x) = (log x₁, …, log x_k), log h(x) = −Σ log x_i, η = α (the shapes themselves, as for beta),
A(η) = Σ log Γ(η_i) − log Γ(Σ η_i), declared as the telescoping sum
Σ_{i<k} log B(η_i, η_{i+1} + … + η_k) of ``log_beta`` terms (see
:mod:`fisherlab.families.special.functions`): its derivatives are sums of same-signed ψ and ψ'
differences that the kernels evaluate without cancellation.

Dimensions: ``k`` ≥ 2 (default 3); ``fl.family("dirichlet", k=5)``. One kernel module serves
every k, derived once for symbolic k from :func:`indexed` (A = Σ log Γ(α_i) − log Γ(Σα)); its
Fisher information diag(ψ′(α)) − ψ′(Σα) 11ᵀ is also available as a structured matrix. Their
log-partition is ``log_multibeta`` (Stirling's series with its terms of size α log α cancelled
exactly; the same telescoping sum of log B terms where Σα < 10), and ψ⁽ⁿ⁾(α_j) − ψ⁽ⁿ⁾(Σα) is a
shift by the other components' sum, without cancellation.

Valid range: every α_i from 1e-3 to 1e6. Across it A, E[T] and the Fisher information are accurate
to a few ulps of their terms (tests/families/test_ranges_against_mpmath.py); the entropy and KL are
sums of terms of size up to α log α that cancel, accurate to a relative 1e-12 only up to α_i ≈ 1e3;
the skewness tensor is computed as plain differences. The test ranges, over which every kernel meets
1e-12, are therefore 1e-3 to 1e3.

Draws: x_i = G_i / Σ_j G_j with G_i ~ Gamma(α_i) rounds to 0.0 (outside the open simplex) with
probability P(x_i < 2⁻¹⁰⁷⁴) = I_{2⁻¹⁰⁷⁴}(α_i, Σα − α_i) ≈ (2⁻¹⁰⁷⁴·Σα)^α_i / Γ(α_i + 1): one half
at α_i = 1e-3, 3e-10 at 0.03. The verifier's Monte Carlo checks (fisher_monte_carlo, and bregman_kl
on this continuous vector support), which must not drop draws, therefore skip such points, and at
k = 50 a point drawn over the whole test range almost surely has an α_i < 0.03 (probability
1 − 0.75⁵⁰). Their default points are drawn from the sample range 0.05 to 1e3
(``Param.sample_range``), where that probability is at most 1.4e-16 per coordinate and draw for any
Σα ≤ 1e6: a sample of 2·10⁵ draws at k = 50 holds a 0.0 with probability at most 1.4e-9. Every other
check, and any point given explicitly, uses the whole test range.
"""

import numpy as np

from ._spec import (
    POSITIVE,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
    require_int,
    simplex,
)
from .special.functions import functions

DIMS = {"k": 3}

#: Where the verifier's Monte Carlo checks draw their default concentrations: the part of the
#: test range whose draws float64 represents (see the module docstring).
SAMPLE_RANGE = (0.05, 1e3)


def _no_mle(t):
    # T(x) = log x lies on the surface Σ e^{t_i} = 1; the interior of its convex hull is
    # Σ e^{t_i} < 1, reached (Jensen) by any sample with two distinct points.
    return ~(np.exp(t).sum(axis=-1) < 1.0)


def make(k: int = 3) -> ExponentialFamily:
    """The Dirichlet family on the (k−1)-simplex, observations of shape (..., k)."""
    k = require_int("k", k, 2)
    alphas = [Param(f"alpha{i}", POSITIVE, (1e-3, 1e3), f"α_{i} > 0, the {i}th concentration",
                    rf"\alpha_{{{i}}}", sample_range=SAMPLE_RANGE) for i in range(1, k + 1)]
    return ExponentialFamily(
        name="dirichlet",
        title="Dirichlet",
        density=(r"p(x) = \frac{\Gamma(\sum_i \alpha_i)}{\prod_i \Gamma(\alpha_i)}"
                 r" \prod_i x_i^{\alpha_i - 1},\quad x \in \Delta^{k-1}"),
        support=simplex(k),
        statistics=lambda sp, x: [sp.log(xi) for xi in x],
        log_base_measure=lambda sp, x: -sum(sp.log(xi) for xi in x),
        natural=[Param(f"eta{i}", POSITIVE, (1e-3, 1e3), f"η_{i} = α_{i}", rf"\eta_{{{i}}}",
                       sample_range=SAMPLE_RANGE) for i in range(1, k + 1)],
        log_partition=lambda sp, *e: sum(functions(sp)["log_beta"](e[i], sum(e[i + 1:]))
                                         for i in range(len(e) - 1)),
        parametrizations=[
            Parametrization(
                "alpha", alphas,
                to_natural=lambda sp, *a: list(a),
                from_natural=lambda sp, *e: list(e),
                doc="α_1, …, α_k > 0, the concentrations: mean α/Σα."),
        ],
        mean_space=Constraint(_no_mle, "the MLE needs sum_i exp(mean log x_i) < 1: "
                                       "at least two distinct observations"),
        sampler=("alpha", lambda rng, *a_size: rng.dirichlet(np.array(a_size[:-1]),
                                                             size=a_size[-1])),
        scipy=("alpha", lambda st, *a: st.dirichlet(np.array(a))),
        dims={"k": k},
    )


def indexed():
    """The Dirichlet for every k at once (see :mod:`fisherlab.families.indexed`)."""
    from .indexed import IndexedFamily, IndexedParametrization

    return IndexedFamily(
        name="dirichlet", offset=0,
        statistics=lambda sp, x, i: sp.log(x[i]),
        log_base_measure=lambda sp, x, s, k: -sp.Sum(sp.log(x[s]), (s, 1, k)),
        log_partition=lambda sp, eta, s, m: (sp.Sum(sp.loggamma(eta[s]), (s, 1, m))
                                             - sp.loggamma(sp.Sum(eta[s], (s, 1, m)))),
        expected_log_base_measure=lambda sp, mean, i, s, m: -sp.Sum(mean(s), (s, 1, m)),
        parametrizations=(IndexedParametrization("alpha", lambda sp, a, i, s, m: a[i],
                                                 lambda sp, eta, i, s, m: eta[i]),),
        gamma_sums=True)
