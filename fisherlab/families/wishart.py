"""Wishart distribution of order d: the law of a symmetric positive-definite d × d matrix X.

The density is

    p(X) = det(X)^((n − d − 1)/2) e^(−tr(V⁻¹X)/2) / (2^(nd/2) det(V)^(n/2) Γ_d(n/2)),

with scale V (positive definite) and degrees of freedom n > d − 1 (Bishop, "Pattern Recognition
and Machine Learning", 2006, eq. (B.78)–(B.79); Γ_d the multivariate gamma function). The
density is with respect to Lebesgue measure on the d(d+1)/2 distinct entries of X, so an
observation is X's lower triangle row by row, (1,1), (2,1), (2,2), (3,1), … (shape
(..., d(d+1)/2)), the flattening docs/multivariate_normal.md describes for the normal's Σ.

Exponential-family form, with the normal's convention for a symmetric matrix in η:

- T(X) = (X_ij for i ≥ j in lower-triangle order, then log det X), m = d(d+1)/2 + 1;
- η = (−½ (V⁻¹)_ii on the diagonal and −(V⁻¹)_ij off it, then (n − d − 1)/2): the off-diagonal
  entries carry weight 2 because X_ij appears twice in tr(V⁻¹X), so ⟨η, T(X)⟩ is exactly
  −½ tr(V⁻¹X) + ((n − d − 1)/2) log det X;
- log h(X) = 0, and with P = V⁻¹ read off η (P_ii = −2η_ii, P_ij = −η_ij) and
  n/2 = η_last + (d + 1)/2,

      A(η) = −(n/2) log det(P/2) + log Γ_d(n/2)

  (log Γ_d from :mod:`fisherlab.families.special.multivariate_gamma`). Mean parameters:
  E[X] = nV and E[log det X] = ψ_d(n/2) + d log 2 + log det V.

Parametrizations:

- ``natural``: η as above; P must be positive definite and η_last > −1 (n > d − 1);
- ``df_scale``: (n, then V's lower triangle row by row: scale11, scale21, scale22, …), the
  textbook and scipy.stats.wishart(df=n, scale=V) parameters;
- ``df_precision``: (n, then the lower triangle of V⁻¹: prec11, prec21, …), the matrix of the
  natural parameters.

Valid range: the test ranges keep n ≥ d + 1. Below it draws come close to singular (the density
of the smallest eigenvalue λ grows like λ^((n − d − 1)/2) at 0), and log det X of such an
observation is ill-conditioned in its entries: any evaluation from the entries, scipy's too, is
off by up to κ(X)·ε (3e-8 at κ(X) = 3e11, n = 1.5, d = 2).

At d = 1 the Wishart W(V, n) is the gamma distribution with shape n/2 and scale 2V.

Dimensions: ``d`` ≥ 1 (default 2). This declaration is element-wise (one sympy symbol per entry),
the reference of the tests at small d. The kernels of every d come from one module derived in
matrix form for symbolic d (fisherlab/symbolic/wishart_structured.py, assembled by
fisherlab/kernels/_wishart_runtime.py): ready in well under a second at d = 50, without sympy.
"""

from __future__ import annotations

import numpy as np

from . import matrices as mx
from ._spec import (
    NEGATIVE,
    POSITIVE,
    REAL,
    Constraint,
    ExponentialFamily,
    Param,
    Parametrization,
    greater_than,
    positive_definite,
    require_int,
)

DIMS = {"d": 2}


def natural_matrix(sp, d: int, mat):
    """The matrix entries of η (−½M_ii, −M_ij) for a sympy Matrix M."""
    return [-mat[i, j] / 2 if i == j else -mat[i, j] for i, j in mx.pairs(d)]


def matrix_of_eta(sp, d: int, quad):
    """M from the matrix entries of η (M_ii = −2η_ii, M_ij = −η_ij), a sympy Matrix."""
    return mx.sym_matrix(sp, d, [-2 * q if i == j else -q for (i, j), q in zip(mx.pairs(d), quad)])


def matrix_of_eta_numeric(d: int, quad) -> np.ndarray:
    """(..., d, d) M from the matrix entries of η (..., d(d+1)/2), numerically."""
    m = -np.asarray(quad, dtype=np.float64)
    m = m * np.where([i == j for i, j in mx.pairs(d)], 2.0, 1.0)
    return mx.symmetric(d, m)


def logdet_numeric(mats: np.ndarray) -> np.ndarray:
    """log det of positive-definite (..., d, d) matrices, from their Cholesky factors."""
    L = np.linalg.cholesky(mats)
    return 2.0 * np.log(np.diagonal(L, axis1=-2, axis2=-1)).sum(axis=-1)


def bartlett(rng, df, chol, size) -> np.ndarray:
    """Wishart draws X = (LA)(LA)ᵀ by Bartlett's decomposition (Bartlett 1933; Anderson, "An
    Introduction to Multivariate Statistical Analysis", 2003, Theorem 7.2.1): A lower
    triangular with A_ii² ~ χ²(n − i) (i = 0, …, d − 1) and standard normal A_ij below the
    diagonal, all independent; L the Cholesky factor of V.

    Parameters
    ----------
    rng : numpy.random.Generator
    df : float
        n > d − 1.
    chol : (d, d) array
        The lower Cholesky factor L of the scale V.
    size : tuple of int
        The batch shape of the draws.

    Returns
    -------
    (*size, d, d) array
    """
    size = tuple(np.atleast_1d(size).astype(int)) if np.ndim(size) else (
        () if size == () else (int(size),))
    d = chol.shape[-1]
    A = np.zeros(size + (d, d))
    for i in range(d):
        A[..., i, i] = np.sqrt(rng.chisquare(df - i, size=size))
        if i:
            A[..., i, :i] = rng.standard_normal(size + (i,))
    B = chol @ A
    return B @ np.swapaxes(B, -1, -2)


class ScipyMatrixLaw:
    """A scipy.stats matrix distribution (wishart, invwishart) on observations flattened to their
    lower triangle: the oracle of the verification's scipy check (log density, entropy, E[X]),
    independent of the declarations."""

    def __init__(self, frozen, d: int, args):
        self.args = args
        self._d = d
        self._dist = frozen

    def logpdf(self, x):
        """log p(x) of one flattened observation x (d(d+1)/2,)."""
        return float(self._dist.logpdf(mx.symmetric(self._d, np.asarray(x, dtype=np.float64))))

    def entropy(self):
        """scipy's closed-form entropy."""
        return float(self._dist.entropy())

    def mean(self):
        """E[X] flattened to its lower triangle (NaN where scipy has none)."""
        m = self._dist.mean()
        if m is None:
            return np.full(self._d * (self._d + 1) // 2, np.nan)
        return np.atleast_2d(m)[np.tril_indices(self._d)]


def scipy_matrix_law(st_law, df, scale_entries) -> ScipyMatrixLaw:
    """``st_law(df=df, scale=V)`` (e.g. scipy.stats.wishart) for V given by its lower triangle."""
    scale_entries = np.asarray(scale_entries, dtype=np.float64)
    d = int(round((np.sqrt(8 * scale_entries.size + 1) - 1) / 2))
    frozen = st_law(df=df, scale=mx.symmetric(d, scale_entries))
    return ScipyMatrixLaw(frozen, d, (df, *scale_entries))


def make(d: int = 2) -> ExponentialFamily:
    """The Wishart family of order d, observations of shape (..., d(d+1)/2)."""
    from .special.multivariate_gamma import log_multigamma

    d = require_int("d", d, 1)
    pairs = mx.pairs(d)
    # off-diagonal test ranges keep every drawn matrix diagonally dominant
    off = 0.45 / max(d - 1, 1)

    def matrix_params(prefix, what, diag_range, tex):
        return [
            Param(f"{prefix}{mx.entry_suffix(i, j, d)}", POSITIVE, diag_range,
                  f"{what}_{i + 1}{i + 1} > 0", rf"{tex}_{{{i + 1}{j + 1}}}")
            if i == j else
            Param(f"{prefix}{mx.entry_suffix(i, j, d)}", REAL, (-off * 0.5 * diag_range[0],
                                                     off * 0.5 * diag_range[0]),
                  f"{what}_{i + 1}{j + 1}", rf"{tex}_{{{i + 1}{j + 1}}}")
            for i, j in pairs
        ]

    df = Param("df", greater_than(d - 1), (d + 1.0, d + 20.0),
               f"n > {d - 1}, the degrees of freedom", "n")
    natural = [
        Param(f"eta{mx.entry_suffix(i, j, d)}", NEGATIVE, (-2.0, -0.1),
              f"η_{i + 1}{i + 1} = −½(V⁻¹)_{i + 1}{i + 1}", rf"\eta_{{{i + 1}{j + 1}}}")
        if i == j else
        Param(f"eta{mx.entry_suffix(i, j, d)}", REAL, (-0.1 * off, 0.1 * off),
              f"η_{i + 1}{j + 1} = −(V⁻¹)_{i + 1}{j + 1}", rf"\eta_{{{i + 1}{j + 1}}}")
        for i, j in pairs
    ]
    natural.append(Param("eta_logdet", greater_than(-1.0), (0.0, 10.0),
                         "η_last = (n − d − 1)/2", r"\eta_{\log}"))
    k = len(pairs)

    def statistics(sp, x):
        X = mx.sym_matrix(sp, d, x)
        return list(x) + [sp.log(X.det(method="berkowitz"))]

    def log_partition(sp, *eta):
        P = matrix_of_eta(sp, d, eta[:k])
        half_n = eta[k] + sp.Rational(d + 1, 2)
        return (-half_n * (sp.log(P.det(method="berkowitz")) - d * sp.log(2))
                + log_multigamma(sp, half_n, d))

    def df_scale_to_natural(sp, n, *v):
        P = mx.inverse(sp, mx.sym_matrix(sp, d, v))
        return natural_matrix(sp, d, P) + [(n - d - 1) / 2]

    def df_scale_from_natural(sp, *eta):
        V = mx.inverse(sp, matrix_of_eta(sp, d, eta[:k]))
        return [2 * eta[k] + d + 1] + [V[i, j] for i, j in pairs]

    def df_prec_to_natural(sp, n, *p):
        return natural_matrix(sp, d, mx.sym_matrix(sp, d, p)) + [(n - d - 1) / 2]

    def df_prec_from_natural(sp, *eta):
        P = matrix_of_eta(sp, d, eta[:k])
        return [2 * eta[k] + d + 1] + [P[i, j] for i, j in pairs]

    def no_mle(t):
        # T(X) = (X, log det X) with log det strictly concave on the positive-definite cone: the
        # interior of the hull of its graph is {(M, l): M positive definite, l < log det M}.
        M = mx.symmetric(d, t[..., :k])
        bad = mx.not_positive_definite(M)
        safe = np.where(bad[..., None, None], np.eye(d), M)
        with np.errstate(invalid="ignore"):
            return bad | ~(t[..., k] < logdet_numeric(safe))

    def sample(rng, n, *v_size):
        *v, size = v_size
        V = mx.symmetric(d, np.array(v, dtype=np.float64))
        X = bartlett(rng, float(n), np.linalg.cholesky(V), size)
        return X[..., np.tril_indices(d)[0], np.tril_indices(d)[1]]

    return ExponentialFamily(
        name="wishart",
        title="Wishart",
        density=(r"p(X) = \frac{\det(X)^{(n-d-1)/2} e^{-\frac12 \operatorname{tr}(V^{-1}X)}}"
                 r"{2^{nd/2} \det(V)^{n/2} \Gamma_d(n/2)},\quad X \succ 0"),
        support=positive_definite(d),
        statistics=statistics,
        log_base_measure=lambda sp, x: sp.Integer(0),
        natural=natural,
        natural_constraint=Constraint(
            lambda t: mx.not_positive_definite(matrix_of_eta_numeric(d, t[..., :k])),
            "the matrix V⁻¹ (V⁻¹_ii = -2 eta_ii, V⁻¹_ij = -eta_ij) positive definite"),
        log_partition=log_partition,
        parametrizations=[
            Parametrization(
                "df_scale", [df] + matrix_params("scale", "V", (0.5, 5.0), "V"),
                to_natural=df_scale_to_natural, from_natural=df_scale_from_natural,
                constraint=Constraint(lambda t: mx.not_positive_definite_vech(d, t[..., 1:]),
                                      "the scale V positive definite"),
                doc=f"n > {d - 1} the degrees of freedom, then the lower triangle of the scale "
                    "V row by row (V positive definite): E[X] = nV."),
            Parametrization(
                "df_precision", [df] + matrix_params("prec", "V⁻¹", (0.2, 2.0), r"V^{-1}"),
                to_natural=df_prec_to_natural, from_natural=df_prec_from_natural,
                constraint=Constraint(lambda t: mx.not_positive_definite_vech(d, t[..., 1:]),
                                      "the inverse scale V⁻¹ positive definite"),
                doc=f"n > {d - 1} the degrees of freedom, then the lower triangle of V⁻¹ row by "
                    "row (positive definite)."),
        ],
        mean_space=Constraint(no_mle, "the MLE needs a positive definite mean of X with "
                                      "mean(log det X) < log det mean(X): at least two distinct "
                                      "observations"),
        sampler=("df_scale", sample),
        scipy=("df_scale", lambda st, n, *v: scipy_matrix_law(st.wishart, n, v)),
        dims={"d": d},
    )
