"""Kernels of the multivariate normal in any dimension d, assembled from the matrix-form functions
of the generated module ``fisherlab/kernels/multivariate_normal.py``.

That module holds the derivation (:mod:`fisherlab.symbolic.mvn_structured`) printed as batched
numpy on the last two axes; this one does what is the same for every d:

- θ (..., p) to matrices and back. A symmetric matrix parameter is stored as its lower triangle
  row by row, (1,1), (2,1), (2,2), (3,1), …; a direction u of θ is the symmetric matrix U with
  U_ij = U_ji = u_(ij); a gradient g of θ is the symmetric matrix G with G_ii = g_(ii) and
  G_ij = g_(ij)/2 off the diagonal, so that Σ_k g_k u_k = tr(G U). The natural parameters hold
  −½Λ_ii and −Λ_ij (docs/multivariate_normal.md); ``mean_chol`` holds L's lower triangle with its
  diagonal as log L_ii.
- One Cholesky factorization per call: it checks positive definiteness (a failure is a
  DomainError naming the constraint) and gives log det Σ, and Σ or Σ⁻¹ (whichever the point
  does not hold) when an operation first needs it; solves go through the factor
  (fisherlab/kernels/_cholesky.py).
- Dense outputs ((..., p, p) Fisher and Hessians, (..., m, m, m) skewness) by applying the
  derived operators to the basis directions, in blocks that bound memory.

Imports numpy (and scipy's LAPACK wrappers, through ``_cholesky``, from d = 16).
"""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, NotAvailableError, ShapeError, describe
from ..structure.kronecker import DENSE_NUMBERS_MAX
from ._cholesky import cho_inverse, cho_solve, cholesky, tri_solve
from ._generic import _finite
from ._runtime import Kernels
from ._special import x_minus_log1p

#: From this many points on, a vector is packed from its matrix row by row (below, one gather).
_PACK_BY_ROWS_FROM = 64

#: Basis directions applied at once when forming a dense matrix are cut so that one block's
#: (block, ..., d, d) temporaries hold at most this many numbers.
_BLOCK_NUMBERS = 1 << 22


class _State:
    """One batch of points θ (..., p) as matrices: μ (..., d, 1), Σ, Σ⁻¹, log det Σ, and the
    parametrization's own matrix T1 (with its inverse where the derivation uses it).

    Of Σ and Σ⁻¹, the parametrization gives one (or the Cholesky factor of Σ, ``mean_chol``);
    the other is formed from the Cholesky factor ``chol`` only when first read, because most
    operations never need it: the natural gradient in ``mean_cov`` or ``natural`` coordinates
    uses only the matrix the point holds, and forming an inverse costs several times a matrix
    product at large d.
    """

    __slots__ = ("mu", "logdet", "t0", "T1", "shape", "diag", "chol", "factors",
                 "_Sigma", "_Sig_inv", "_T1_inv", "_inv")

    def __init__(self):
        self.diag = None
        self.chol = None
        self.factors = None  # "Sigma" or "T1": the matrix chol @ cholᵀ equals
        self._Sigma = self._Sig_inv = self._T1_inv = self._inv = None

    def _inverse(self):
        """(chol cholᵀ)⁻¹, exactly symmetric, formed once."""
        if self._inv is None:
            self._inv = cho_inverse(self.chol)
        return self._inv

    @property
    def Sigma(self):
        if self._Sigma is None:
            # mean_chol: Σ = LLᵀ; natural, mean_precision: Σ = Λ⁻¹
            self._Sigma = (self.chol @ self.chol.swapaxes(-1, -2) if self.factors == "Sigma"
                           else self._inverse())
        return self._Sigma

    @property
    def Sig_inv(self):
        if self._Sig_inv is None:  # mean_cov, mean_chol: Σ⁻¹ from the factor of Σ
            self._Sig_inv = self._inverse()
        return self._Sig_inv

    @property
    def T1_inv(self):
        if self._T1_inv is None:
            if self.factors != "T1":
                raise AttributeError("T1_inv: the parametrization's matrix is not factored")
            self._T1_inv = self._inverse()
        return self._T1_inv

    def materialize(self):
        """Form every lazy matrix (before broadcasting views of the state)."""
        self.Sigma, self.Sig_inv
        if self.factors == "T1":
            self.T1_inv
        return self


class MVNKernels(Kernels):
    """:class:`~fisherlab.kernels._runtime.Kernels` of the multivariate normal for any d.

    Same methods and shapes as every family's kernels; ``fisher(theta, structured=True)`` returns
    :class:`~fisherlab.structure.KroneckerBlocks` and ``natural_gradient`` solves through it in
    O(d³) per point.
    """

    def __init__(self, spec, parametrization: str, namespace: dict, validate: bool = True):
        pz = spec.parametrization(parametrization)
        self.spec = spec
        self.fixed = {}
        self._fx = []
        self.family = spec.key
        self.parametrization = parametrization
        self.params = pz.param_names
        self.natural_params = tuple(p.name for p in spec.natural)
        self.event_shape = spec.support.event_shape
        self.validate = validate
        self._pz = pz
        self._ns = namespace
        self._g = namespace["GENERATED"]
        self._d = d = int(namespace["d"])
        # quantity -> kernel, as every family's table (here the bound methods)
        self._f = {q: getattr(self, q) for q in (
            "to_natural", "from_natural", "jacobian", "log_partition", "mean", "log_density",
            "score", "hessian", "fisher", "natural_fisher", "skewness", "kl", "entropy")}
        self._p = len(self.params)
        self._m = len(self.natural_params)
        self._il = np.tril_indices(d)
        self._diag = np.array([i == j for i, j in zip(*self._il)])
        src = np.empty((d, d), dtype=np.intp)
        src[self._il] = src[self._il[1], self._il[0]] = np.arange(len(self._il[0]))
        self._sym_src = src.reshape(-1)
        self._offw = np.where(self._diag, 1.0, 2.0)  # weight of an entry in tr(G U)
        self._half_off = 1.0 / self._offw  # (a product costs less than a division)
        self._twice_diag = 2.0 * self._half_off  # 2G from a gradient's packed entries
        self._nat_w = np.where(self._diag, -0.5, -1.0)  # η's entries of a symmetric Λ
        self._diag_at = d + np.flatnonzero(self._diag)  # the diagonal's places in θ
        self._row_starts = d + np.arange(d) * (np.arange(d) + 1) // 2
        self._arange = np.arange(d)
        self._phi_weights = np.tril(np.ones((d, d))) - 0.5 * np.eye(d)  # Φ as a product
        self._constraint = pz.constraint
        self._domains = [(p.name, p.domain) for p in pz.params]
        self._eye = np.eye(d)
        self._fx_shape = ()
        # no fixed parameter bounds the support per row (the base class's binomial x <= n)
        self._support_rows = None

    def __repr__(self) -> str:
        return f"<Kernels {self.family} {self.parametrization} (d = {self._d}, p = {self._p})>"

    def unchecked(self):
        """A copy that skips argument checking (documented opt-out for hot loops)."""
        return MVNKernels(self.spec, self.parametrization, self._ns, validate=False)

    # -- vech <-> matrices
    def _sym(self, v):
        """(..., d(d+1)/2) lower-triangle entries -> (..., d, d) symmetric."""
        # one gather (each of the d² entries names its lower-triangle source) costs half of
        # two scatters into zeros
        return np.take(v, self._sym_src, axis=-1).reshape(v.shape[:-1] + (self._d, self._d))

    def _lower(self, v, diag=None):
        """The lower-triangular matrices (..., d, d) of entries v (..., n), their diagonal
        replaced by ``diag`` (..., d) if given, broadcast together."""
        d = self._d
        shape = v.shape[:-1] if diag is None else np.broadcast_shapes(v.shape[:-1],
                                                                      diag.shape[:-1])
        out = np.zeros(shape + (d, d))
        if int(np.prod(shape, dtype=np.int64)) < _PACK_BY_ROWS_FROM:
            out[..., self._il[0], self._il[1]] = v
        else:  # row by row, as _pack: half the time of the scatter at d = 100
            for i, a in enumerate(self._row_starts - d):
                out[..., i, :i + 1] = v[..., a:a + i + 1]
        if diag is not None:
            out[..., self._arange, self._arange] = diag
        return out

    def _lower_with_diag(self, v, diag):
        """The lower-triangular matrix of entries v (..., n), its diagonal ``diag`` (..., d)."""
        return self._lower(v, diag)

    def _vech(self, M):
        return M[..., self._il[0], self._il[1]]

    def _pack(self, u0, U1):
        """(u0 (..., d, 1), U1 (..., d, d)) -> the vector (..., p): u0, then U1's lower
        triangle row by row, broadcast together."""
        d = self._d
        u0 = np.asarray(u0)[..., 0] if np.ndim(u0) else u0
        shape = np.broadcast_shapes(np.shape(u0)[:-1], U1.shape[:-2])
        if int(np.prod(shape, dtype=np.int64)) < _PACK_BY_ROWS_FROM:
            v = self._vech(U1)
            return np.concatenate([np.broadcast_to(u0, shape + (d,)),
                                   np.broadcast_to(v, shape + v.shape[-1:])], -1)
        # row i of the triangle is one contiguous slice of U1 and of the vector: d copies
        # instead of a gather and a concatenation (a third of their time at d = 100)
        out = np.empty(shape + (self._p,))
        out[..., :d] = u0
        for i, a in enumerate(self._row_starts):
            out[..., a:a + i + 1] = U1[..., i, :i + 1]
        return out

    def _cols(self, theta, name: str = "theta"):
        """The columns of θ, checked (finite; the matrix positive definite), and their batch
        shape: the interface the rest of the library uses."""
        arr = np.asarray(theta, dtype=np.float64)
        if self.validate:
            self._state(arr, name)
        elif arr.ndim == 0 or arr.shape[-1] != self._p:
            self._array(arr, name)
        return [arr[..., i] for i in range(self._p)], arr.shape[:-1]

    def _natural_cols(self, eta, name: str = "eta"):
        return MVNKernels(self.spec, "natural", self._ns, self.validate)._cols(eta, name)

    # -- θ -> state
    def _array(self, theta, name="theta"):
        arr = np.asarray(theta, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != self._p:
            raise ShapeError(
                f"{name} must have last axis of length {self._p} for {self.family} "
                f"{self.parametrization} (d = {self._d}), got shape {arr.shape}")
        if self.validate and not _finite(arr):
            bad = ~np.isfinite(arr)
            i = int(np.argmax(bad.reshape(-1, self._p).any(axis=0)))
            raise DomainError(f"{self.family} {self.parametrization}: parameter "
                              f"{self.params[i]!r} in {name} must be finite, got "
                              f"{describe(arr[..., i][bad[..., i]])}")
        return arr

    def _cholesky(self, M, arr, name, what):
        """The lower Cholesky factor of M (..., d, d); DomainError where M is not positive
        definite (the factorization is the check)."""
        try:
            return cholesky(M)
        except np.linalg.LinAlgError:
            # name a parameter outside its own domain (a variance <= 0) before the constraint
            for i, (pname, dom) in enumerate(self._domains):
                bad = dom.violations(arr[..., i])
                if np.any(bad):
                    raise DomainError(
                        f"{self.family} {self.parametrization}: parameter {pname!r} in {name} "
                        f"must be {dom.text}, got {describe(arr[..., i][bad])}") from None
            with np.errstate(invalid="ignore"):
                bad = ~(np.linalg.eigvalsh(M)[..., 0] > 0)
            raise DomainError(f"{self.family} {self.parametrization}: {name} must satisfy "
                              f"{what}, got {describe(arr[bad] if np.ndim(bad) else arr)}"
                              ) from None

    def _state(self, theta, name="theta") -> _State:
        arr = self._array(theta, name)
        d, pz = self._d, self.parametrization
        st = _State()
        st.shape = arr.shape[:-1]
        t0 = arr[..., :d, None]
        rest = arr[..., d:]
        text = self._constraint.text if self._constraint is not None else \
            self.spec.natural_constraint.text
        if pz == "mean_chol":
            diag = np.exp(rest[..., self._diag])
            L = self._lower(rest, diag)
            st.T1, st.diag, st.chol, st.factors = L, diag, L, "Sigma"
            st.mu, st.t0 = t0, t0
            st.logdet = 2.0 * rest[..., self._diag].sum(-1)
            return st
        if pz == "natural":
            M = self._sym(-rest / np.where(self._diag, 0.5, 1.0))
        else:
            M = self._sym(rest)
        C = self._cholesky(M, arr, name, text)
        ld = 2.0 * np.log(np.diagonal(C, axis1=-2, axis2=-1)).sum(-1)
        st.t0, st.T1, st.chol, st.factors = t0, M, C, "T1"
        if pz == "mean_cov":
            st.mu, st._Sigma, st.logdet = t0, M, ld
        elif pz == "mean_precision":
            st.mu, st._Sig_inv, st.logdet = t0, M, -ld
        else:  # natural: μ = Λ⁻¹h by the Cholesky solve
            st.mu = cho_solve(C, t0)
            st._Sig_inv, st.logdet = M, -ld
        return st

    # -- directions and gradients of θ <-> matrices
    def _tangent(self, st, u):
        """A direction u (..., p) of θ as (u0 (..., d, 1), U1 (..., d, d))."""
        d = self._d
        u0, rest = u[..., :d, None], u[..., d:]
        pz = self.parametrization
        if pz == "natural":
            return u0, self._sym(-rest * np.where(self._diag, 2.0, 1.0))
        if pz == "mean_chol":
            return u0, self._lower_with_diag(rest, rest[..., self._diag] * st.diag)
        return u0, self._sym(rest)

    def _tangent_vec(self, st, u0, U1):
        pz = self.parametrization
        out = self._pack(u0, U1)
        if pz == "natural":
            out[..., self._d:] *= self._nat_w
        elif pz == "mean_chol":
            out[..., self._diag_at] /= st.diag
        return out

    def _dual_vec(self, st, g0, G1):
        """A gradient as matrices (g0, G1) -> the gradient vector (..., p) of θ."""
        pz = self.parametrization
        out = self._pack(g0, G1)
        if pz == "natural":
            out[..., self._d:] *= -2.0
        elif pz == "mean_chol":
            out[..., self._diag_at] *= st.diag
        else:
            out[..., self._d:] *= self._offw
        return out

    def _dual(self, st, g):
        d = self._d
        g0, rest = g[..., :d, None], g[..., d:]
        pz = self.parametrization
        if pz == "natural":
            return g0, self._sym(-0.5 * rest)
        if pz == "mean_chol":
            return g0, self._lower_with_diag(rest, rest[..., self._diag] / st.diag)
        return g0, self._sym(rest * self._half_off)

    # -- θ <-> base (μ, Σ)
    def _args(self, st):
        if self.parametrization == "mean_chol":
            return (st.t0, st.T1)
        return (st.t0, st.T1, st.T1_inv)

    def _jvp(self, st, u0, U1):
        if self.parametrization == "mean_cov":
            return u0, U1
        return getattr(self._g, f"{self.parametrization}_jvp")(*self._args(st), u0, U1)

    def _vjp(self, st, g0, G1):
        if self.parametrization == "mean_cov":
            return g0, G1
        return getattr(self._g, f"{self.parametrization}_vjp")(*self._args(st), g0, G1)

    def _inverse_jvp(self, st, u0, U1):
        """A direction of (μ, Σ) to one of θ (J⁻¹)."""
        pz = self.parametrization
        if pz == "mean_cov":
            return u0, U1
        if pz == "mean_chol":
            # dL = L Φ(L⁻¹ dΣ L⁻ᵀ), Φ the lower triangle with the diagonal halved (the
            # derivative of the Cholesky factorization)
            L = st.T1
            X = tri_solve(L, tri_solve(L, U1).swapaxes(-1, -2))
            return u0, L @ _phi(X)
        return getattr(self._g, f"{pz}_inverse_jvp")(st.mu, st.Sigma, st.Sig_inv, u0, U1)

    def _inverse_vjp(self, st, g0, G1):
        """A dual of θ to one of (μ, Σ) (J⁻ᵀ)."""
        pz = self.parametrization
        if pz == "mean_cov":
            return g0, G1
        if pz == "mean_chol":
            # the adjoint of the map above: Ḡ = sym(L⁻ᵀ Φ(Lᵀ G) L⁻¹)
            L = st.T1
            Y = _phi(L.swapaxes(-1, -2) @ G1)
            Z = tri_solve(L, tri_solve(L, Y, True).swapaxes(-1, -2), True).swapaxes(-1, -2)
            return g0, 0.5 * (Z + Z.swapaxes(-1, -2))
        return getattr(self._g, f"{pz}_inverse_vjp")(st.mu, st.Sigma, st.Sig_inv, g0, G1)

    # -- operators on θ vectors
    def fisher_apply(self, st, u):
        """F(θ) u for the factored state ``st`` of θ: u (..., p) -> (..., p), in O(d³)."""
        if self.parametrization == "natural":
            # F = ∇²A: one derived operator instead of J, B and Jᵀ in turn (a third of the
            # matrix products)
            f0, F1 = self._g.natural_fisher_apply(st.t0, st.Sigma, *self._tangent(st, u))
            return self._dual_vec(st, f0, F1)
        u0, U1 = self._jvp(st, *self._tangent(st, u))
        f0, F1 = self._g.base_fisher_apply(st.Sig_inv, u0, U1)
        return self._dual_vec(st, *self._vjp(st, f0, F1))

    def fisher_solve(self, st, g, spare=None):
        """F(θ)⁻¹ g for the factored state ``st`` of θ: g (..., p) -> (..., p), in O(d³).

        ``spare``: an array (..., d, d) that the solve may overwrite (:meth:`natural_gradient`
        passes the Cholesky factor, which its state no longer needs once the point is
        checked): one fresh array fewer, whose page faults cost a tenth of a product at d = 100.

        In every parametrization the chain J⁻¹ B⁻¹ J⁻ᵀ (B⁻¹ the derived
        ``base_fisher_inverse_apply``, (g, G) ↦ (Σg, 2ΣGΣ)) collapses to two matrix products
        per point, which is what is computed (:meth:`fisher_solve_chain` keeps the chain itself,
        the reference of the tests):

        - ``mean_cov`` (μ, Σ): (Σg, 2ΣGΣ);
        - ``mean_precision`` (μ, Λ): J⁻ᵀ(g, G) = (g, −ΛGΛ), then B⁻¹ gives (Σg, −2G), then J⁻¹
          (u, U) ↦ (u, −ΛUΛ) gives (Σg, 2ΛGΛ), Σg by the Cholesky solve with Λ's factor;
        - ``mean_chol`` (μ, L), Σ = LLᵀ: with Y = Φ(LᵀG) (Φ: the lower triangle, diagonal
          halved), J⁻ᵀ gives Ḡ = ½L⁻ᵀ(Y + Yᵀ)L⁻¹, B⁻¹ gives 2ΣḠΣ = L(Y + Yᵀ)Lᵀ, and J⁻¹,
          U ↦ LΦ(L⁻¹UL⁻ᵀ), gives LΦ(Y + Yᵀ) = LY: (LLᵀg, LΦ(LᵀG)), no triangular solve;
        - ``natural``: F⁻¹ = ∇²A*, the derived ``natural_fisher_inverse_apply`` in μ and Λ
          only (Σ = Λ⁻¹ is never formed): (Λg + 2ΛGΛm + Λg mᵀΛm + Λm gᵀΛm, 2ΛGΛ + Λg mᵀΛ +
          Λm gᵀΛ), regrouped as δΛ = ΛWΛ with W = 2G + gmᵀ + mgᵀ (the rank-two term added
          before the products) and δh = Λg + δΛ m.
        """
        pz, d = self.parametrization, self._d
        g0, rest = g[..., :d, None], g[..., d:]
        if pz == "natural":
            lam = st.Sig_inv
            gm = np.stack(np.broadcast_arrays(g[..., :d], st.mu[..., 0]), -1)  # (..., d, 2)
            W = gm @ gm[..., ::-1].swapaxes(-1, -2)  # gmᵀ + mgᵀ: one product with 2 columns
            W += self._sym(-rest)  # 2G (the dual's G is sym(−½ rest))
            # ΛWΛ with W's memory reused for the result (a fresh array costs its page faults)
            T1 = np.matmul(lam, W @ lam, out=W)
            return self._tangent_vec(st, lam @ g0 + T1 @ st.mu, T1)
        if pz == "mean_chol":
            L = st.T1
            Lt = L.swapaxes(-1, -2)
            Y = Lt @ self._lower_with_diag(rest, rest[..., self._diag] / st.diag)
            Y *= self._phi_weights  # Φ in place (Y is this call's own array)
            return self._tangent_vec(st, L @ (Lt @ g0), L @ Y)
        # 2G: the factor 2 of 2MGM carried by the packed weights (a pass over p numbers per
        # point instead of d²)
        M = st.T1
        t0 = M @ g0 if pz == "mean_cov" else cho_solve(st.chol, g0)  # (before spare is used)
        w = rest * self._twice_diag
        shape = w.shape[:-1] + (d, d)
        if spare is not None and spare.shape == shape and spare.flags.c_contiguous:
            G2 = spare
            np.take(w, self._sym_src, axis=-1, out=G2.reshape(w.shape[:-1] + (d * d,)),
                    mode="clip")  # (the indices are in range: "clip" only skips a buffer)
        else:
            G2 = self._sym(w)
        X = G2 @ M
        # M X into G2's memory where the shapes allow (a fresh array costs its page faults)
        T1 = np.matmul(M, X, out=G2) if G2.shape == X.shape else M @ X
        return self._tangent_vec(st, t0, T1)

    def fisher_solve_chain(self, st, g):
        """F(θ)⁻¹ g as the derived operators give it (the reference of :meth:`fisher_solve`):
        ∇²A* in natural coordinates, the chain J⁻¹ B⁻¹ J⁻ᵀ in the others; g (..., p) -> (..., p)."""
        if self.parametrization == "natural":
            t0, T1 = self._g.natural_fisher_inverse_apply(st.mu, st.Sig_inv, *self._dual(st, g))
            return self._tangent_vec(st, t0, T1)
        b0, B1 = self._inverse_vjp(st, *self._dual(st, g))
        t0, T1 = self._g.base_fisher_inverse_apply(st.mu, st.Sigma, b0, B1)
        return self._tangent_vec(st, *self._inverse_jvp(st, t0, T1))

    def fisher_dense(self, st) -> np.ndarray:
        """F(θ) as matrices (..., p, p), by applying it to the basis directions (unsymmetrized)."""
        return self._dense(self.fisher_apply, st, self._p)

    @property
    def dimension(self) -> int:
        """d, the dimension of the observations."""
        return self._d

    @property
    def size(self) -> int:
        """p = d + d(d + 1)/2, the length of θ."""
        return self._p

    def log_abs_det_jacobian(self, st) -> np.ndarray:
        """log |det ∂(μ, Σ)/∂θ| (θ's lower-triangle coordinates): (...)."""
        d, pz = self._d, self.parametrization
        if pz == "mean_cov":
            return np.zeros(st.shape)
        if pz == "mean_precision":  # U ↦ ΣUΣ on symmetric U: det Σ^(d+1)
            return (d + 1) * st.logdet
        if pz == "natural":  # δμ = Σδh − ΣδΛμ, δΣ = −ΣδΛΣ, δΛ_ii = −2δη_ii, δΛ_ij = −δη_ij
            return (d + 2) * st.logdet + d * np.log(2.0)
        # mean_chol: Σ = LLᵀ has Jacobian 2^d Π L_ii^(d−i+1) (i = 1..d); log L_ii adds Π L_ii
        logdiag = np.log(st.diag)
        return d * np.log(2.0) + (logdiag * (d - np.arange(d) + 1)).sum(-1)

    def _dense(self, apply, st, p_in, extra=(), shape=None):
        """The matrix (..., p_out, p_in) of the linear map ``apply(st, u, *extra)``, whose
        result has batch shape ``shape`` (default: the state's)."""
        shape = st.shape if shape is None else shape
        block = max(1, _BLOCK_NUMBERS // max(1, int(np.prod(shape, dtype=np.int64))
                                             * self._d * self._d))
        eye = np.eye(p_in)
        cols = []
        for a in range(0, p_in, block):
            basis = eye[a:a + block].reshape((-1,) + (1,) * len(shape) + (p_in,))
            cols.append(np.moveaxis(apply(st, basis, *extra), 0, -1))
        return np.concatenate(cols, -1)

    @staticmethod
    def _symmetrize(M):
        return 0.5 * (M + M.swapaxes(-1, -2))

    # -- the kernels
    def to_natural(self, theta):
        """η(θ): (..., p) -> (..., m)."""
        st = self._state(theta)
        h = st.Sig_inv @ st.mu if self.parametrization != "natural" else st.t0
        q = -self._vech(st.Sig_inv) * np.where(self._diag, 0.5, 1.0)
        return np.concatenate([h[..., 0], q], -1)

    def from_natural(self, eta):
        """θ(η): (..., m) -> (..., p)."""
        nat = MVNKernels(self.spec, "natural", self._ns, self.validate)
        st = nat._state(eta, "eta")
        mu = st.mu[..., 0]
        pz = self.parametrization
        if pz == "natural":
            return np.array(eta, dtype=np.float64)
        if pz == "mean_cov":
            return np.concatenate([mu, self._vech(st.Sigma)], -1)
        if pz == "mean_precision":
            return np.concatenate([mu, self._vech(st.Sig_inv)], -1)
        L = np.linalg.cholesky(st.Sigma)
        v = self._vech(L).copy()
        v[..., self._diag] = np.log(v[..., self._diag])
        return np.concatenate([mu, v], -1)

    def jacobian(self, theta):
        """J = ∂η/∂θ: (..., p) -> (..., m, p)."""
        st = self._state(theta)
        nat = MVNKernels(self.spec, "natural", self._ns, False)

        def apply(st, u):
            b0, B1 = self._jvp(st, *self._tangent(st, u))
            n0, N1 = self._g.natural_inverse_jvp(st.mu, st.Sigma, st.Sig_inv, b0, B1)
            return nat._tangent_vec(st, n0, N1)

        return self._dense(apply, st, self._p)

    def log_partition(self, theta):
        """A(η(θ)): (..., p) -> (...)."""
        st = self._state(theta)
        return self._g.base_log_partition(st.mu, st.Sig_inv, st.logdet)

    def mean(self, theta):
        """E[T(x)] = (μ, then E[x_i x_j] = Σ_ij + μ_iμ_j in lower-triangle order): -> (..., m)."""
        st = self._state(theta)
        m0, M1 = self._g.base_mean(st.mu, st.Sigma)
        return np.concatenate([m0[..., 0], -2.0 * self._vech(M1)], -1)

    def _residual(self, x, st):
        arr = self.spec.support.check(x) if self.validate else np.asarray(x, dtype=np.float64)
        return arr[..., :, None] - st.mu

    def log_density(self, x, theta):
        """log p(x | θ): x (..., d), θ (..., p) -> (...)."""
        st = self._state(theta)
        r = self._residual(x, st)
        return self._g.base_log_density(r, st.Sig_inv, st.logdet, self._d)

    def score(self, x, theta):
        """∇_θ log p(x | θ): -> (..., p)."""
        st = self._state(theta)
        s0, S1 = self._g.base_score(self._residual(x, st), st.Sig_inv)
        return self._dual_vec(st, *self._vjp(st, s0, S1))

    def hessian(self, x, theta):
        """∇²_θ log p(x | θ): -> (..., p, p), exactly symmetric."""
        st = self._state(theta)
        r = self._residual(x, st)
        shape = np.broadcast_shapes(st.shape, r.shape[:-2])
        if self.parametrization == "natural":
            # log p = ⟨η, T(x)⟩ − A(η) + log h(x) is linear in η but for A: ∇²_η log p = −∇²A(η),
            # the same for every x (formed once per point, not once per draw)
            F = self._symmetrize(self._dense(self.fisher_apply, st, self._p))
            return np.array(np.broadcast_to(-F, shape + F.shape[-2:]))
        # The state keeps its own shape (one θ for many x: shape ()): the products that do not
        # involve x (J u, the Jacobian's second-order factors) are formed once per direction,
        # not once per draw; numpy broadcasts them against the per-draw ones.
        st.materialize()
        s0, S1 = self._g.base_score(r, st.Sig_inv)
        pz = self.parametrization

        def apply(st, u):
            t0, T1 = self._tangent(st, u)
            b0, B1 = self._jvp(st, t0, T1)
            h0, H1 = self._g.base_hessian_apply(r, st.Sig_inv, b0, B1)
            out = self._dual_vec(st, *self._vjp(st, h0, H1))
            if pz != "mean_cov":
                k0, K1 = getattr(self._g, f"{pz}_hess_apply")(*self._args(st), s0, S1, t0, T1)
                out = out + self._dual_vec(st, k0, K1)
            if pz == "mean_chol":
                # log L_ii: ∂²L_ii/∂(log L_ii)² = L_ii adds (∂ℓ/∂L)_ii L_ii u_ii
                G = self._vjp(st, s0, S1)[1]
                idx = np.arange(self._d)
                extra = np.zeros(out.shape)
                extra[..., self._d:][..., self._diag] = (G[..., idx, idx] * st.diag
                                                         * u[..., self._d:][..., self._diag])
                out = out + extra
            return out

        H = self._dense(apply, st, self._p, shape=shape)
        return self._symmetrize(np.broadcast_to(H, shape + H.shape[-2:]))

    def _broadcast(self, st, shape):
        if st.shape == shape:
            return st
        st.materialize()  # once, at the state's own shape, not at the broadcast one
        out = _State()
        out.shape, out.factors = shape, st.factors
        for k in ("mu", "t0", "T1", "chol", "_Sigma", "_Sig_inv", "_T1_inv", "_inv"):
            v = getattr(st, k)
            setattr(out, k, None if v is None else np.broadcast_to(v, shape + v.shape[-2:]))
        out.logdet = np.broadcast_to(st.logdet, shape)
        out.diag = None if st.diag is None else np.broadcast_to(st.diag, shape + (self._d,))
        return out

    def fisher(self, theta, structured: bool = False):
        """F(θ) = Jᵀ B J: (..., p) -> (..., p, p), exactly symmetric; ``structured=True``
        returns it as :class:`~fisherlab.structure.KroneckerBlocks` without forming it."""
        st = self._state(theta)
        if structured:
            from ..structure.kronecker import KroneckerBlocks

            return KroneckerBlocks(self, st)
        return self._symmetrize(self._dense(self.fisher_apply, st, self._p))

    def natural_fisher(self, theta):
        """∇²A at η(θ): -> (..., m, m)."""
        st = self._state(theta)
        nat = MVNKernels(self.spec, "natural", self._ns, False)
        h = st.Sig_inv @ st.mu

        def apply(st, u):
            v0, V1 = nat._tangent(st, u)
            f0, F1 = self._g.natural_fisher_apply(h, st.Sigma, v0, V1)
            return nat._dual_vec(st, f0, F1)

        return self._symmetrize(self._dense(apply, st, self._m))

    def skewness(self, theta):
        """∂³A at η(θ): -> (..., m, m, m)."""
        st = self._state(theta)
        m = self._m
        size = m ** 3 * int(np.prod(st.shape, dtype=np.int64))
        if size > DENSE_NUMBERS_MAX:
            raise NotAvailableError(
                f"{self.family}: the skewness tensor would hold {m}³ numbers per point "
                f"({size} in all, above {DENSE_NUMBERS_MAX}); use it for small d, or on fewer "
                "points at a time")
        nat = MVNKernels(self.spec, "natural", self._ns, False)
        h = st.Sig_inv @ st.mu
        eye = np.eye(m)
        out = np.empty(st.shape + (m, m, m))
        for k in range(m):
            u0, U1 = nat._tangent(st, eye[k])

            def apply(st, v, u0=u0, U1=U1):
                v0, V1 = nat._tangent(st, v)
                f0, F1 = self._g.natural_skewness_apply(h, st.Sigma, v0, V1, u0, U1)
                return nat._dual_vec(st, f0, F1)

            out[..., k] = self._dense(apply, st, m)
        return out

    def kl(self, theta_p, theta_q, refine: bool = True):
        """KL(p_θp ‖ p_θq): (..., p), (..., p) -> (...), written at μ_p = 0 (exactly
        translation invariant) so large means do not cancel digits. ``refine`` is accepted for
        the common interface; this closed form needs no refinement."""
        a, b = self._state(theta_p, "theta_p"), self._state(theta_q, "theta_q")
        delta = b.mu - a.mu
        kl = np.asarray(self._g.base_kl(delta, a.Sigma, b.Sig_inv, a.logdet, b.logdet, self._d))
        # The closed form sums terms of size ~d that cancel when the two points nearly
        # coincide. There it is rewritten exactly as ½ Σ (ε_i − log(1 + ε_i)) + ½ δᵀΣq⁻¹δ, with
        # ε the eigenvalues of Σq⁻¹Σp − I, each term summed by its series, and the differences
        # (of Σ or Λ, and δ) formed from θp − θq itself: no cancellation left.
        scale = 0.5 * (np.abs(a.logdet - b.logdet) + self._d)
        close = kl <= 1e-3 * scale
        if np.any(close):
            shape = kl.shape
            tp = np.broadcast_to(np.asarray(theta_p, dtype=np.float64), shape + (self._p,))
            tq = np.broadcast_to(np.asarray(theta_q, dtype=np.float64), shape + (self._p,))
            a, b = self._broadcast(a, shape), self._broadcast(b, shape)
            kl = np.array(kl, dtype=np.float64, copy=True)
            kl[close] = self._kl_close(tp[close], tq[close], a, b, close)
        return kl

    def _kl_close(self, tp, tq, a, b, rows):
        """The KL of nearly coinciding points, from their differences (see :meth:`kl`)."""
        d, pz = self._d, self.parametrization
        sel = {k: getattr(a, k)[rows] for k in ("mu", "Sigma", "Sig_inv", "T1")}
        selq = {k: getattr(b, k)[rows] for k in ("mu", "Sigma", "Sig_inv", "T1")}
        dv = tp[..., d:] - tq[..., d:]
        if pz in ("mean_cov", "mean_chol"):
            if pz == "mean_cov":
                dS = self._sym(dv)  # Σp − Σq
            else:
                lp, lq = tp[..., d:][..., self._diag], tq[..., d:][..., self._diag]
                dL = self._lower_with_diag(dv, np.exp(lq) * np.expm1(lp - lq))
                Lp, Lq = sel["T1"], selq["T1"]
                dS = dL @ Lp.swapaxes(-1, -2) + Lq @ dL.swapaxes(-1, -2)
            C = np.linalg.cholesky(selq["Sigma"])
            E = np.linalg.solve(C, np.linalg.solve(C, dS).swapaxes(-1, -2))
            delta = (tq[..., :d] - tp[..., :d])[..., None]
        else:
            # the eigenvalues of Σq⁻¹Σp = ΛqΛp⁻¹ are those of Cp⁻¹ΛqCp⁻ᵀ, Λp = CpCpᵀ
            w = np.where(self._diag, -2.0, -1.0) if pz == "natural" else 1.0
            dLam = self._sym(-dv * w)  # Λq − Λp
            C = np.linalg.cholesky(sel["Sig_inv"])
            E = np.linalg.solve(C, np.linalg.solve(C, dLam).swapaxes(-1, -2))
            if pz == "natural":
                dh = (tq[..., :d] - tp[..., :d])[..., None]
                delta = selq["Sigma"] @ (dh - dLam @ sel["mu"])  # μq − μp, exactly rewritten
            else:
                delta = (tq[..., :d] - tp[..., :d])[..., None]
        eps = np.linalg.eigvalsh(0.5 * (E + E.swapaxes(-1, -2)))
        quad = (delta.swapaxes(-1, -2) @ (selq["Sig_inv"] @ delta))[..., 0, 0]
        return 0.5 * x_minus_log1p(eps).sum(-1) + 0.5 * quad

    def entropy(self, theta):
        """½ log det(2πeΣ): -> (...)."""
        st = self._state(theta)
        return self._g.base_entropy(st.logdet, self._d)

    def natural_gradient(self, theta, grad, damping: float = 0.0):
        """(F(θ) + damping·I)⁻¹ grad: θ (..., p), grad (..., p) -> (..., p).

        Without damping, through the Kronecker structure in O(d³) per point; with damping, the
        structure is lost and the dense (p, p) system is solved.
        """
        g = np.asarray(grad, dtype=np.float64)
        if g.ndim == 0 or g.shape[-1] != self._p:
            raise ShapeError(f"grad must have last axis of length {self._p}, got shape {g.shape}")
        if self.validate and not _finite(g):
            raise DomainError(f"grad must be finite, got {describe(g[~np.isfinite(g)])}")
        st = self._state(theta)
        if damping != 0:  # (and a damping that is not a number: refused there)
            from ..structure.kronecker import KroneckerBlocks

            return KroneckerBlocks(self, st).solve(g, damping)
        # the state is this call's own: its factor, needed for nothing after the check (in
        # mean_cov) or after the solve with it (in mean_precision), is spare memory
        spare = st.chol if self.parametrization in ("mean_cov", "mean_precision") else None
        return self.fisher_solve(st, g, spare)

    def fisher_rao_distance(self, theta1, theta2):
        """Not available: the Fisher–Rao distance of the general multivariate normal has no
        closed form (it does for fixed mean, fixed covariance or diagonal covariance)."""
        raise NotAvailableError(
            f"{self.family}: the Fisher–Rao distance of the general multivariate normal has no "
            "closed form (known ones: fixed mean, Atkinson & Mitchell 1981; fixed covariance, "
            "the Mahalanobis distance; diagonal covariance, a product of hyperbolic planes)")

    def in_domain(self, theta):
        """Where θ (..., p) lies in the domain: a mask (...)."""
        arr = np.asarray(theta, dtype=np.float64)
        ok = np.isfinite(arr).all(-1)
        if self.parametrization == "mean_chol":
            return ok
        rest = np.where(ok[..., None], arr[..., self._d:], 0.0)
        M = self._sym(-rest / np.where(self._diag, 0.5, 1.0)) \
            if self.parametrization == "natural" else self._sym(rest)
        M = np.where(ok[..., None, None], M, self._eye)
        return ok & (np.linalg.eigvalsh(M)[..., 0] > 0)


def _phi(X):
    """The lower triangle of X with its diagonal halved."""
    out = np.tril(X)
    d = X.shape[-1]
    idx = np.arange(d)
    out[..., idx, idx] *= 0.5
    return out


def assemble(module, d: int) -> dict:
    """The kernel namespace of the d-dimensional normal from the generated ``module``."""
    d = int(d)
    il = np.tril_indices(d)

    def statistics(*x):
        x = np.stack(np.broadcast_arrays(*x), -1)
        return np.concatenate([x, x[..., il[0]] * x[..., il[1]]], -1)

    def log_base_measure(*x):
        return np.full(np.broadcast_shapes(*(np.shape(c) for c in x)), -0.5 * d * np.log(2 * np.pi))

    def natural_from_mean(*mu):
        mu = np.stack(np.broadcast_arrays(*mu), -1)
        m = mu[..., :d]
        second = np.zeros(mu.shape[:-1] + (d, d))
        second[..., il[0], il[1]] = mu[..., d:]
        second[..., il[1], il[0]] = mu[..., d:]
        sigma = second - m[..., :, None] * m[..., None, :]
        C = np.linalg.cholesky(sigma)
        Ci = np.linalg.solve(C, np.eye(d))
        lam = Ci.swapaxes(-1, -2) @ Ci
        h = (lam @ m[..., None])[..., 0]
        q = -lam[..., il[0], il[1]] * np.where(il[0] == il[1], 0.5, 1.0)
        return np.concatenate([h, q], -1)

    kernels = {pz: {"from_natural": None} for pz in PARAMETRIZATIONS}
    return {"KERNELS": kernels, "KERNELS_CLASS": MVNKernels, "GENERATED": module, "d": d,
            "statistics": statistics, "log_base_measure": log_base_measure,
            "natural_from_mean": natural_from_mean, "__name__": module.__name__, "DIMS": {"d": d}}


PARAMETRIZATIONS = ("natural", "mean_cov", "mean_precision", "mean_chol")
