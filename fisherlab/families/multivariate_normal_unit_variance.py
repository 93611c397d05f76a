"""Multivariate normal with fixed unit covariance I, dimension d:
p(x) = (2π)^(−d/2) exp(−½‖x − μ‖²) for x in ℝ^d.

Exponential-family form: T(x) = x, m = d; η = μ; log h(x) = −(d/2) log 2π − ½‖x‖²;
A(η) = ½‖η‖².

It is the multivariate normal restricted to Σ = I: the full family's natural parameters with
−½Λ_ii = −½ and −Λ_ij = 0 fixed (docs/multivariate_normal.md); its kernels are the full
family's at that point (fisherlab/kernels/_mvn_subfamily.py). The Fisher information is the
identity in both parametrizations, and the Fisher–Rao distance is ‖μ₁ − μ₂‖.

Parametrizations: ``natural`` (eta1, …, etad) = μ, and ``mean`` (mean1, …, meand), the same
numbers under the names of the mean. For a fixed covariance Σ other than I, whiten x by Σ's
Cholesky factor first.

The same family is efax's ``MultivariateUnitVarianceNormal``; the element-wise declaration below
is the reference of the tests at small d.
"""

from __future__ import annotations

import numpy as np

from ._spec import REAL, ExponentialFamily, Param, Parametrization, real_vectors, require_int
from .multivariate_normal_diagonal import mean_params

DIMS = {"d": 2}


def make(d: int = 2) -> ExponentialFamily:
    """The d-dimensional normal with covariance I, observations of shape (..., d)."""
    d = require_int("d", d, 1)
    natural = [Param(f"eta{i + 1}", REAL, (-1.0, 1.0), f"η_{i + 1} = μ_{i + 1}",
                     rf"\eta_{{{i + 1}}}") for i in range(d)]

    def sample(rng, *theta_size):
        *theta, size = theta_size
        shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size)
        return rng.normal(np.array(theta), 1.0, size=shape + (d,))

    return ExponentialFamily(
        name="multivariate_normal_unit_variance",
        title="Multivariate normal, unit covariance",
        density=(r"p(x) = (2\pi)^{-d/2} e^{-\|x-\mu\|^2/2},\quad x \in \mathbb{R}^d"),
        support=real_vectors(d),
        statistics=lambda sp, x: list(x),
        log_base_measure=lambda sp, x: (-sp.Rational(d, 2) * sp.log(2 * sp.pi)
                                        - sum(xi ** 2 for xi in x) / 2),
        natural=natural,
        log_partition=lambda sp, *eta: sum(e ** 2 for e in eta) / 2,
        parametrizations=[
            Parametrization("mean", mean_params(d), to_natural=lambda sp, *t: list(t),
                            from_natural=lambda sp, *e: list(e), doc="μ the mean."),
        ],
        natural_from_mean=lambda sp, *mu: list(mu),
        expected_log_base_measure=lambda sp, *eta: (-sp.Rational(d, 2) * sp.log(2 * sp.pi)
                                                    - (sum(e ** 2 for e in eta) + d) / 2),
        sampler=("mean", sample),
        scipy=("mean", lambda st, *theta: st.multivariate_normal(np.array(theta), np.eye(d))),
        fisher_rao=("mean", lambda sp, *ab: sp.sqrt(sum((ab[i] - ab[d + i]) ** 2
                                                       for i in range(d)))),
        dims={"d": d},
    )
