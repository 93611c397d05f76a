"""Multivariate normal with fixed zero mean, dimension d:
p(x) = (2π)^(−d/2) det(Σ)^(−1/2) exp(−½ xᵀΣ⁻¹x) for x in ℝ^d.

Exponential-family form: T(x) = (x_i x_j for i ≥ j in lower-triangle order), m = d(d+1)/2;
η = (−½Λ_ii on the diagonal, −Λ_ij off it) with Λ = Σ⁻¹, so that ⟨η, T(x)⟩ = −½ xᵀΛx;
log h(x) = −(d/2) log 2π; A(η) = −½ log det Λ.

It is the multivariate normal restricted to μ = 0: the full family's natural parameters with
h = Λμ fixed at 0, in the same coordinates and order (docs/multivariate_normal.md); its kernels
are the full family's at that point (fisherlab/kernels/_mvn_subfamily.py). Its Fisher–Rao
distance is √(½ Σ log² λ_i(Σ₁⁻¹Σ₂)) (Atkinson & Mitchell 1981).

Parametrizations (lower triangles row by row: (1,1), (2,1), (2,2), (3,1), …):

- ``natural``: (eta11, eta21, eta22, …) as above; Λ positive definite;
- ``cov``: Σ's lower triangle (cov11, cov21, …); Σ positive definite;
- ``precision``: Λ's lower triangle (prec11, prec21, …); Λ positive definite;
- ``chol``: the lower Cholesky factor L of Σ = LLᵀ, its diagonal as log L_ii (log_chol11,
  chol21, log_chol22, …); every entry unconstrained.

For a known mean other than 0, shift x by it first. efax has the univariate zero-mean normal;
this is its d-dimensional form. The element-wise declaration below is the reference of the
tests at small d.
"""

from __future__ import annotations

import numpy as np

from . import matrices as mx
from ._spec import Constraint, ExponentialFamily, Parametrization, real_vectors, require_int
from .multivariate_normal import (
    _precision,
    _precision_of_eta,
)
from .multivariate_normal import make as make_full

DIMS = {"d": 2}


def make(d: int = 2) -> ExponentialFamily:
    """The d-dimensional normal with mean 0, observations of shape (..., d)."""
    d = require_int("d", d, 1)
    pairs = mx.pairs(d)
    full = make_full(d)
    # the full family's parameters without the d mean entries: same names, ranges and domains
    natural = list(full.natural[d:])
    cov, prec, chol = (list(full.parametrization(n).params[d:])
                       for n in ("mean_cov", "mean_precision", "mean_chol"))

    def quad(sp, M):
        return [-M[i, j] / 2 if i == j else -M[i, j] for i, j in pairs]

    def log_partition(sp, *eta):
        return -sp.log(_precision_of_eta(sp, d, eta).det(method="berkowitz")) / 2

    def from_natural(sp, eta, what):
        lam = _precision_of_eta(sp, d, eta)
        if what == "precision":
            return [lam[i, j] for i, j in pairs]
        sigma = mx.inverse(sp, lam)
        if what == "cov":
            return [sigma[i, j] for i, j in pairs]
        L = sigma.cholesky(hermitian=False)
        return [sp.log(L[i, j]) if i == j else L[i, j] for i, j in pairs]

    def chol_to_natural(sp, *t):
        Li = mx.inverse(sp, mx.lower(sp, d, t, diag=lambda sp, v: sp.exp(v)))
        return quad(sp, Li.T * Li)

    def natural_from_mean(sp, *mu):
        return quad(sp, mx.inverse(sp, mx.sym_matrix(sp, d, mu)))

    def sample(rng, *theta_size):
        *theta, size = theta_size
        return rng.multivariate_normal(np.zeros(d), mx.symmetric(d, theta), size=size)

    def pd(text):
        return Constraint(lambda t: mx.not_positive_definite_vech(d, t), text)

    return ExponentialFamily(
        name="multivariate_normal_centered",
        title="Multivariate normal, zero mean",
        density=(r"p(x) = (2\pi)^{-d/2} \det(\Sigma)^{-1/2}"
                 r" e^{-\frac12 x^\top \Sigma^{-1} x},\quad x \in \mathbb{R}^d"),
        support=real_vectors(d),
        statistics=lambda sp, x: [x[i] * x[j] for i, j in pairs],
        log_base_measure=lambda sp, x: -sp.Rational(d, 2) * sp.log(2 * sp.pi),
        natural=natural,
        natural_constraint=Constraint(
            lambda t: mx.not_positive_definite(_precision(d, t)),
            "the precision Λ (Λ_ii = -2 eta_ii, Λ_ij = -eta_ij) positive definite"),
        log_partition=log_partition,
        parametrizations=[
            Parametrization("cov", cov,
                            to_natural=lambda sp, *t: quad(
                                sp, mx.inverse(sp, mx.sym_matrix(sp, d, t))),
                            from_natural=lambda sp, *e: from_natural(sp, e, "cov"),
                            constraint=pd("the covariance Σ positive definite"),
                            doc="The lower triangle of the covariance Σ row by row "
                                "(Σ positive definite)."),
            Parametrization("precision", prec,
                            to_natural=lambda sp, *t: quad(sp, mx.sym_matrix(sp, d, t)),
                            from_natural=lambda sp, *e: from_natural(sp, e, "precision"),
                            constraint=pd("the precision Λ positive definite"),
                            doc="The lower triangle of the precision Λ = Σ⁻¹ row by row "
                                "(Λ positive definite)."),
            Parametrization("chol", chol, to_natural=chol_to_natural,
                            from_natural=lambda sp, *e: from_natural(sp, e, "chol"),
                            doc="The lower Cholesky factor L of Σ = LLᵀ row by row, its "
                                "diagonal as log L_ii (every entry unconstrained)."),
        ],
        natural_from_mean=natural_from_mean,
        mean_space=Constraint(lambda t: mx.not_positive_definite_vech(d, t),
                              "the MLE needs a positive definite sample second moment: at "
                              "least d observations in general position"),
        sampler=("cov", sample),
        scipy=("cov", lambda st, *theta: st.multivariate_normal(np.zeros(d),
                                                                mx.symmetric(d, theta))),
        dims={"d": d},
    )
