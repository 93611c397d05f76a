"""Kernels of the Wishart, inverse Wishart and normal-Wishart in any dimension d, assembled from
the matrix-form functions of their generated modules (``fisherlab/kernels/wishart.py``, …).

Those modules hold the derivation (:mod:`fisherlab.symbolic.wishart_structured`) printed as
batched numpy on the last axes, one function per (parametrization, quantity), each taking its
arguments by name from a *state* (``ARGS``); this module does what is the same for every d:

- θ (..., p) to blocks and back. A block is a scalar (...), a column vector (..., d, 1) or a
  symmetric matrix (..., d, d) stored as its lower triangle row by row; a natural matrix block
  P is stored as the entries −½P_ii, −P_ij (``natsym``). A direction u of a stored matrix is the
  symmetric U with U_ij = U_ji = u_(ij) (for ``natsym``, U_ii = −2u_ii, U_ij = −u_ij); a
  gradient is the symmetric G of the pairing tr(G U), stored back as G_ii and 2G_ij
  (``natsym``: −2G_ii, −2G_ij).
- One Cholesky factorization per matrix block and call: it checks positive definiteness and
  gives the inverse and log det the derivation takes as arguments. The normal-Wishart's
  natural parameters hold M = W⁻¹ + κμ₀μ₀ᵀ; there W⁻¹ = M − hhᵀ/κ is formed once and factored
  (the parametrization itself is a difference); its ``mu0_kappa_nu_scale`` carries W and
  factors W, never forming the difference.
- Dense outputs ((..., p, p) Fisher and Hessians, (..., m, m, m) skewness) by applying the
  derived operators to the basis directions, in blocks that bound memory.
- The KL divergence, in a form exact for nearly coinciding points (:func:`wishart_kl`).
- The numeric log Γ_d and ψ_d^(n) the generated modules call.

Imports numpy and scipy, never sympy.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _sc

from ..errors import DomainError, NotAvailableError, ShapeError, describe
from ._cholesky import cho_inverse
from ._runtime import Kernels
from ._special import log_multigamma, multi_polygamma, x_minus_log1p

__all__ = ["log_multigamma", "multi_polygamma", "wishart_kl", "assemble", "WishartKernels"]

#: Basis directions applied at once when forming a dense matrix are cut so that one block's
#: (block, ..., d, d) temporaries hold at most this many numbers.
_BLOCK_NUMBERS = 1 << 22


def _lgamma_bregman(x, delta):
    """log Γ(x + δ) − log Γ(x) − δ ψ(x), elementwise, exact when δ is small against x (its
    Taylor series Σ_{k≥2} ψ^(k−1)(x) δ^k / k!, whose ratio is about |δ|/x). δ is an argument,
    not y − x, because a rounded y would cost the difference its digits."""
    x, delta = np.broadcast_arrays(np.asarray(x, dtype=np.float64),
                                   np.asarray(delta, dtype=np.float64))
    y = x + delta
    out = np.array(_sc.gammaln(y) - _sc.gammaln(x) - delta * _sc.psi(x), dtype=np.float64)
    close = np.abs(delta) <= 0.2 * x
    if np.any(close):
        xs, ds = x[close], delta[close]
        acc = np.zeros_like(xs)
        term = ds.copy()  # δ^k / k! built up
        for k in range(2, 30):
            term = term * ds / k
            acc += _sc.polygamma(k - 1, xs) * term
        out[close] = acc
    return out


def wishart_kl(a_p, da, C, D, form: str):
    """KL(W_p ‖ W_q) between Wisharts from the eigenvalues λ = 1 + ε of V_q⁻¹V_p.

    With n/2 = a_p and a_q = a_p − da (da given, not a_q, so that it is exact):

        KL = a_p Σ (ε − log(1 + ε)) + (a_p − a_q) Σ log(1 + ε)
             + Σ_j [log Γ(a_q − j/2) − log Γ(a_p − j/2) − (a_q − a_p) ψ(a_p − j/2)],

    the textbook form (Wikipedia, "Wishart distribution": (n_q/2) log det(V_qV_p⁻¹) +
    (n_p/2)(tr(V_q⁻¹V_p) − d) + log Γ_d(n_q/2) − log Γ_d(n_p/2) + ((n_p − n_q)/2) ψ_d(n_p/2))
    regrouped so that no term cancels when the points coincide. ε are the eigenvalues of
    C⁻¹DC⁻ᵀ: ``form="V"`` with C the Cholesky factor of V_q and D = V_p − V_q; ``form="P"`` with
    C that of P_p = V_p⁻¹ and D = P_q − P_p (the same eigenvalues).
    """
    d = C.shape[-1]
    X = np.linalg.solve(C, np.linalg.solve(C, D).swapaxes(-1, -2))
    eps = np.linalg.eigvalsh(0.5 * (X + X.swapaxes(-1, -2)))
    if form not in ("V", "P"):
        raise ValueError(form)
    j = np.arange(d) / 2
    gam = _lgamma_bregman(np.asarray(a_p)[..., None] - j, -np.asarray(da)[..., None]).sum(-1)
    return (a_p * x_minus_log1p(eps).sum(-1) + da * np.log1p(eps).sum(-1) + gam)


# -- block layouts


class _Layout:
    """The blocks of a vector (θ, η or T) of dimension d: kinds and offsets."""

    def __init__(self, kinds, d):
        self.kinds = tuple(kinds)
        self.d = d
        n = d * (d + 1) // 2
        sizes = {"scalar": 1, "vec": d, "sym": n, "natsym": n}
        self.offsets, at = [], 0
        for k in self.kinds:
            self.offsets.append((at, at + sizes[k]))
            at += sizes[k]
        self.size = at
        il = np.tril_indices(d)
        self.il = il
        diag = il[0] == il[1]
        self.offw = np.where(diag, 1.0, 2.0)
        self.natw = np.where(diag, 2.0, 1.0)  # P_ii = −2η_ii, P_ij = −η_ij
        src = np.empty((d, d), dtype=np.intp)
        src[il] = src[il[1], il[0]] = np.arange(n)
        self.src = src.reshape(-1)

    def sym(self, v):
        return np.take(v, self.src, axis=-1).reshape(v.shape[:-1] + (self.d, self.d))

    def vech(self, M):
        return M[..., self.il[0], self.il[1]]

    def values(self, arr):
        """The stored vector (..., size) as block values (the matrices themselves)."""
        out = []
        for k, (a, b) in zip(self.kinds, self.offsets):
            v = arr[..., a:b]
            if k == "scalar":
                out.append(v[..., 0])
            elif k == "vec":
                out.append(v[..., None])
            elif k == "sym":
                out.append(self.sym(v))
            else:
                out.append(self.sym(-v * self.natw))
        return out

    def tangents(self, u):
        """A direction of the stored vector as block directions (linear: as :meth:`values`)."""
        return self.values(u)

    def tangent_vec(self, blocks, shape):
        """Block directions -> the direction of the stored vector (..., size)."""
        out = []
        for k, b in zip(self.kinds, blocks):
            b = np.asarray(b, dtype=np.float64)
            if k == "scalar":
                out.append(np.broadcast_to(b, shape)[..., None])
            elif k == "vec":
                out.append(np.broadcast_to(b, shape + (self.d, 1))[..., 0])
            elif k == "sym":
                out.append(self.vech(np.broadcast_to(b, shape + (self.d, self.d))))
            else:
                out.append(-self.vech(np.broadcast_to(b, shape + (self.d, self.d))) / self.natw)
        return np.concatenate(out, -1)

    def dual_vec(self, blocks, shape):
        """Block gradients (symmetric G for matrices, pairing tr(G U)) -> the gradient of the
        stored vector (..., size)."""
        out = []
        for k, b in zip(self.kinds, blocks):
            b = np.asarray(b, dtype=np.float64)
            if k == "scalar":
                out.append(np.broadcast_to(b, shape)[..., None])
            elif k == "vec":
                out.append(np.broadcast_to(b, shape + (self.d, 1))[..., 0])
            else:
                v = self.vech(np.broadcast_to(b, shape + (self.d, self.d)))
                out.append(v * self.offw if k == "sym" else -2.0 * v)
        return np.concatenate(out, -1)


def _cholesky(M, what):
    try:
        return np.linalg.cholesky(M)
    except np.linalg.LinAlgError:
        with np.errstate(invalid="ignore"):
            bad = ~(np.linalg.eigvalsh(np.where(np.isfinite(M), M, 0.0))[..., 0] > 0)
        raise DomainError(f"{what} must be positive definite, got a matrix with smallest "
                          f"eigenvalue {describe(np.linalg.eigvalsh(M[bad])[..., 0])}"
                          ) from None


def _logdet(C):
    return 2.0 * np.log(np.diagonal(C, axis1=-2, axis2=-1)).sum(-1)


class WishartKernels(Kernels):
    """:class:`~fisherlab.kernels._runtime.Kernels` of a Wishart-type family for any d.

    Same methods and shapes as every family's kernels; ``fisher(theta, structured=True)``
    returns :class:`~fisherlab.structure.Dense` (the blocks couple through V ⊗ V terms, and the
    dense p × p matrix is formed from the derived operator in O(p d³)).
    """

    def __init__(self, spec, parametrization: str, namespace: dict, validate: bool = True):
        super().__init__(spec, parametrization, namespace, validate)
        self._g = namespace["GENERATED"]
        self._d = d = int(namespace["d"])
        self._name = spec.name
        self._lay = _Layout(self._g.BLOCKS[parametrization], d)
        self._nat = _Layout(self._g.BLOCKS["natural"], d)
        self._stat = _Layout(self._g.STATISTICS, d)
        self._args = self._g.ARGS
        nparams = len(self._lay.kinds)
        self._state_names = self._args[f"{parametrization}_log_partition"]
        self._codes = self._state_names[:nparams]
        self._f = {q: None for q in (
            "to_natural", "from_natural", "jacobian", "log_partition", "mean", "log_density",
            "score", "hessian", "fisher", "natural_fisher", "skewness", "kl", "entropy")}

    def __repr__(self) -> str:
        return f"<Kernels {self.family} {self.parametrization} (d = {self._d}, p = {self._p})>"

    def unchecked(self):
        """A copy that skips argument checking (documented opt-out for hot loops)."""
        return WishartKernels(self.spec, self.parametrization, self._ns, validate=False)

    def _call(self, quantity, env, extra=()):
        name = f"{self.parametrization}_{quantity}"
        args = self._args[name]
        n_state = len(self._state_names)
        vals = [env[a] for a in args[:n_state]] + list(extra)
        return getattr(self._g, name)(*vals)

    # -- θ -> state
    def _state(self, theta, name="theta"):
        if self.validate:
            self._cols(theta, name)
        arr = np.asarray(theta, dtype=np.float64)
        if arr.ndim == 0 or arr.shape[-1] != self._p:
            raise ShapeError(f"{name} must have last axis of length {self._p} for {self.family} "
                             f"{self.parametrization}, got shape {arr.shape}")
        env = {"d": self._d, "_shape": arr.shape[:-1], "_arr": arr}
        blocks = self._lay.values(arr)
        for code, b in zip(self._codes, blocks):
            env[code] = b
        text = f"{self.family} {self.parametrization}: {name}"
        if self._name == "normal_wishart" and self.parametrization == "natural":
            # W⁻¹ = M − hhᵀ/κ, κ = −2η_κ: the natural parameters hold only the difference
            h, ek, M = env["h"], env["ek"], env["M"]
            Winv = M + (h @ h.swapaxes(-1, -2)) / (2.0 * ek[..., None, None])
            C = _cholesky(Winv, f"{text}: W⁻¹ = M − eta·etaᵀ/κ")
            env["_C"], env["_Winv"] = C, Winv
            env["W"], env["logdet_Winv"] = cho_inverse(C), _logdet(C)
            return env
        for code in self._codes:
            if f"{code}_inv" in self._state_names:
                C = _cholesky(env[code], f"{text}: the matrix {code}")
                env["_C"] = C
                env[f"{code}_inv"] = cho_inverse(C)
                env[f"logdet_{code}"] = _logdet(C)
        return env

    def _stats(self, x, shape):
        """The statistic's blocks at the observations x (..., k), as the derivation names
        them, and the broadcast batch shape."""
        arr = self.spec.support.check(x) if self.validate else np.asarray(x, dtype=np.float64)
        d = self._d
        if arr.ndim == 0 or arr.shape[-1] != self.event_shape[0]:
            raise ShapeError(f"x must have last axis of length {self.event_shape[0]}, "
                             f"got shape {arr.shape}")
        shape = np.broadcast_shapes(shape, arr.shape[:-1])
        if self._name == "normal_wishart":
            mu = arr[..., :d, None]
            lam = self._stat.sym(arr[..., d:])
            C = _cholesky(lam, f"{self.family}: the observed Λ")
            lm = lam @ mu
            return {"t": lm, "q": (mu.swapaxes(-1, -2) @ lm)[..., 0, 0], "Lam": lam,
                    "logdet_Lam": _logdet(C)}, shape
        X = self._stat.sym(arr)
        C = _cholesky(X, f"{self.family}: the observation X")
        key = "Y" if self._name == "inverse_wishart" else "X"
        return {key: cho_inverse(C) if key == "Y" else X, "logdet_X": _logdet(C)}, shape

    def _stat_args(self, quantity, st):
        name = f"{self.parametrization}_{quantity}"
        n_state = len(self._state_names)
        codes = self._args[name][n_state:n_state + len(self._stat.kinds)]
        return [st[c] for c in codes]

    def _dense(self, apply, env, p_in, shape):
        """The matrix (..., p_out, p_in) of the linear map ``apply(u)`` (u (..., p_in))."""
        block = max(1, _BLOCK_NUMBERS // max(1, int(np.prod(shape, dtype=np.int64))
                                             * self._d * self._d))
        eye = np.eye(p_in)
        cols = []
        for a in range(0, p_in, block):
            basis = eye[a:a + block].reshape((-1,) + (1,) * len(shape) + (p_in,))
            out = apply(basis, (basis.shape[0],) + tuple(shape))
            cols.append(np.moveaxis(out, 0, -1))
        return np.concatenate(cols, -1)

    @staticmethod
    def _symmetrize(M):
        return 0.5 * (M + M.swapaxes(-1, -2))

    # -- the kernels
    def to_natural(self, theta):
        """η(θ): (..., p) -> (..., m)."""
        env = self._state(theta)
        if self.parametrization == "natural":
            return np.array(env["_arr"])
        sh = env["_shape"]
        d = self._d
        if self._name == "normal_wishart":
            m0, k, nu, Wi = env["m0"], env["k"], env["nu"], env["T_inv"]
            M = Wi + k[..., None, None] * (m0 @ m0.swapaxes(-1, -2))
            blocks = [k[..., None, None] * m0, -k / 2, M, (nu - d) / 2]
        elif self._name == "inverse_wishart":
            blocks = [env["T"], -(env["n"] + d + 1) / 2]
        else:
            P = env["T_inv"] if self.parametrization == "df_scale" else env["T"]
            blocks = [P, (env["n"] - d - 1) / 2]
        return self._natural_vec(blocks, sh)

    def _natural_vec(self, blocks, shape):
        """Natural block values (P for ``natsym``) -> η (..., m)."""
        out = []
        for k, b in zip(self._nat.kinds, blocks):
            if k == "natsym":
                out.append(-self._nat.vech(np.broadcast_to(b, shape + (self._d, self._d)))
                           / self._nat.natw)
            elif k == "vec":
                out.append(np.broadcast_to(b, shape + (self._d, 1))[..., 0])
            else:
                out.append(np.broadcast_to(b, shape)[..., None])
        return np.concatenate(out, -1)

    def from_natural(self, eta):
        """θ(η): (..., m) -> (..., p)."""
        nat = WishartKernels(self.spec, "natural", self._ns, self.validate)
        env = nat._state(eta, "eta")
        if self.parametrization == "natural":
            return np.array(env["_arr"])
        d = self._d
        if self._name == "normal_wishart":
            kappa = -2.0 * env["ek"]
            parts = [env["h"][..., 0] / kappa[..., None], kappa[..., None],
                     (2 * env["e"] + d)[..., None], self._lay.vech(env["W"])]
        elif self._name == "inverse_wishart":
            parts = [(-2 * env["e"] - d - 1)[..., None], self._lay.vech(env["S"])]
        else:
            T = env["S_inv"] if self.parametrization == "df_scale" else env["S"]
            parts = [(2 * env["e"] + d + 1)[..., None], self._lay.vech(T)]
        return np.concatenate(parts, -1)

    def jacobian(self, theta):
        """J = ∂η/∂θ: (..., p) -> (..., m, p)."""
        env = self._state(theta)
        sh = env["_shape"]

        def apply(u, shape):
            out = self._call("jvp", env, self._lay.tangents(u))
            return self._nat.tangent_vec(out if isinstance(out, tuple) else (out,), shape)

        return self._dense(apply, env, self._p, sh)

    def log_partition(self, theta):
        """A(η(θ)): (..., p) -> (...)."""
        env = self._state(theta)
        return np.broadcast_to(self._call("log_partition", env), env["_shape"]) + 0.0

    def mean(self, theta):
        """E[T(X)] in the statistic's order: (..., p) -> (..., m)."""
        env = self._state(theta)
        return self._stat.tangent_vec(self._call("mean", env), env["_shape"])

    def log_density(self, x, theta):
        """log p(x | θ): x (..., k), θ (..., p) -> (...)."""
        env = self._state(theta)
        st, shape = self._stats(x, env["_shape"])
        out = self._call("log_density", env, self._stat_args("log_density", st))
        return np.broadcast_to(out, shape) + 0.0

    def score(self, x, theta):
        """∇_θ log p(x | θ): -> (..., p)."""
        env = self._state(theta)
        st, shape = self._stats(x, env["_shape"])
        out = self._call("score", env, self._stat_args("score", st))
        return self._lay.dual_vec(out, shape)

    def hessian(self, x, theta):
        """∇²_θ log p(x | θ): -> (..., p, p), exactly symmetric."""
        env = self._state(theta)
        st, shape = self._stats(x, env["_shape"])
        sargs = self._stat_args("hessian_apply", st)

        def apply(u, shape):
            out = self._call("hessian_apply", env, sargs + self._lay.tangents(u))
            return self._lay.dual_vec(out, shape)

        return self._symmetrize(self._dense(apply, env, self._p, shape))

    def fisher(self, theta, structured: bool = False):
        """F(θ) = E[−∇² log p]: (..., p) -> (..., p, p), exactly symmetric;
        ``structured=True`` wraps it as :class:`~fisherlab.structure.Dense`."""
        env = self._state(theta)

        def apply(u, shape):
            return self._lay.dual_vec(self._call("fisher_apply", env, self._lay.tangents(u)),
                                      shape)

        F = self._symmetrize(self._dense(apply, env, self._p, env["_shape"]))
        if structured:
            from ..structure import Dense

            return Dense(F)
        return F

    def fisher_vp(self, theta, v):
        """F(θ) v without forming F: θ (..., p), v (..., p) -> (..., p)."""
        v = np.asarray(v, dtype=np.float64)
        if v.ndim == 0 or v.shape[-1] != self._p:
            raise ShapeError(f"v must have last axis of length {self._p}, got shape {v.shape}")
        if not np.isfinite(v).all():
            raise DomainError(f"v must be finite, got {describe(v[~np.isfinite(v)])}")
        env = self._state(theta)
        shape = np.broadcast_shapes(env["_shape"], v.shape[:-1])
        return self._lay.dual_vec(self._call("fisher_apply", env, self._lay.tangents(v)), shape)

    def natural_fisher(self, theta):
        """∇²A at η(θ): -> (..., m, m)."""
        env = self._state(theta)

        def apply(u, shape):
            out = self._call("natural_fisher_apply", env, self._nat.tangents(u))
            return self._nat.dual_vec(out, shape)

        return self._symmetrize(self._dense(apply, env, self._m, env["_shape"]))

    def skewness(self, theta):
        """∂³A at η(θ): -> (..., m, m, m)."""
        env = self._state(theta)
        m, sh = self._m, env["_shape"]
        if m ** 3 * max(1, int(np.prod(sh, dtype=np.int64))) > 1 << 27:
            raise NotAvailableError(f"{self.family}: the skewness tensor would hold "
                                    f"{m}³ numbers per point; use it for small d only")
        eye = np.eye(m)
        out = np.empty(sh + (m, m, m))
        for k in range(m):
            w = self._nat.tangents(np.broadcast_to(eye[k], sh + (m,)))

            def apply(u, shape, w=w):
                res = self._call("natural_skewness_apply", env, self._nat.tangents(u) + w)
                return self._nat.dual_vec(res, shape)

            out[..., k] = self._dense(apply, env, m, sh)
        return out

    def entropy(self, theta):
        """Differential entropy in nats: -> (...)."""
        env = self._state(theta)
        return np.broadcast_to(self._call("entropy", env), env["_shape"]) + 0.0

    def kl(self, theta_p, theta_q, refine: bool = True):
        """KL(p_θp ‖ p_θq): (..., p), (..., p) -> (...), by :func:`wishart_kl` (exact for
        nearly coinciding points: the differences are formed from θp − θq). ``refine`` is
        accepted for the common interface; this form needs no refinement."""
        a, b = self._state(theta_p, "theta_p"), self._state(theta_q, "theta_q")
        shape = np.broadcast_shapes(a["_shape"], b["_shape"])
        tp = np.broadcast_to(a["_arr"], shape + (self._p,))
        tq = np.broadcast_to(b["_arr"], shape + (self._p,))
        d, pz, name = self._d, self.parametrization, self._name

        def bm(v):  # a matrix or vector block at the common batch shape
            return np.broadcast_to(v, shape + v.shape[-2:])

        def bc(v):  # a scalar block
            return np.broadcast_to(v, shape)

        if name == "normal_wishart":
            if pz == "natural":
                kp, kq = -2.0 * bc(a["ek"]), -2.0 * bc(b["ek"])
                dk = -2.0 * (tq[..., d] - tp[..., d])  # κ_q − κ_p
                hp, dh = bm(a["h"]), (tq[..., :d] - tp[..., :d])[..., None]
                kk = (kp * kq)[..., None, None]
                # μ₀p − μ₀q and W⁻¹_q − W⁻¹_p = ΔM − Δ(hhᵀ/κ), each written over the
                # differences of η so that close points keep their digits
                delta = (hp * dk[..., None, None] - dh * kp[..., None, None]) / kk
                outer = hp @ dh.swapaxes(-1, -2)
                d_hh = (kp[..., None, None] * (outer + outer.swapaxes(-1, -2)
                                               + dh @ dh.swapaxes(-1, -2))
                        - dk[..., None, None] * (hp @ hp.swapaxes(-1, -2))) / kk
                D = self._nat.values(tq - tp)[2] - d_hh
                ap = bc(a["e"]) + d / 2
                da = tp[..., -1] - tq[..., -1]
                C = np.linalg.cholesky(bm(a["_Winv"]))
                kl_w = wishart_kl(ap, da, C, D, "P")
                Wp = bm(a["W"])
            else:
                kp, kq = bc(a["k"]), bc(b["k"])
                dk = tq[..., d] - tp[..., d]
                delta = (tp[..., :d] - tq[..., :d])[..., None]
                ap = bc(a["nu"]) / 2
                da = (tp[..., d + 1] - tq[..., d + 1]) / 2
                C = np.linalg.cholesky(bm(b["T"]))
                D = self._lay.sym(tp[..., d + 2:] - tq[..., d + 2:])
                kl_w = wishart_kl(ap, da, C, D, "V")
                Wp = bm(a["T"])
            rho = dk / kp
            quad = (delta.swapaxes(-1, -2) @ (Wp @ delta))[..., 0, 0]
            return kl_w + 0.5 * (d * x_minus_log1p(rho) + kq * 2 * ap * quad)
        if pz == "natural":
            # a = n/2 = e + (d + 1)/2 (Wishart), ν/2 = −e − (d + 1)/2 (inverse Wishart)
            s = -1.0 if name == "inverse_wishart" else 1.0
            ap = s * (bc(a["e"]) + (d + 1) / 2)
            da = s * (tp[..., -1] - tq[..., -1])
            P_p = bm(a["S"])
            D = self._nat.values(tq - tp)[0]  # P_q − P_p (Ψ for the inverse Wishart)
            return wishart_kl(ap, da, np.linalg.cholesky(P_p), D, "P")
        ap = bc(a["n"]) / 2
        da = (tp[..., 0] - tq[..., 0]) / 2
        dT = self._lay.sym(tq[..., 1:] - tp[..., 1:])  # T_q − T_p
        if pz == "df_scale" and name == "wishart":  # T = V
            return wishart_kl(ap, da, np.linalg.cholesky(bm(b["T"])), -dT, "V")
        # df_precision (T = V⁻¹), inverse Wishart's df_scale (T = Ψ, the inverse of the scale
        # of the Wishart X⁻¹ follows: KL is invariant under X ↦ X⁻¹)
        return wishart_kl(ap, da, np.linalg.cholesky(bm(a["T"])), dT, "P")

    def fisher_rao_distance(self, theta1, theta2):
        """Not available: no closed form is known for these families."""
        raise NotAvailableError(f"{self.family} has no closed-form Fisher–Rao distance")


def assemble(module, d: int) -> dict:
    """The kernel namespace of dimension d from the generated ``module``."""
    d = int(d)
    if d < 1:
        raise ShapeError(f"{module.FAMILY}: the dimension d must be >= 1, got {d}")
    stat = _Layout(module.STATISTICS, d)
    name = module.FAMILY

    def log_det(M):
        # T(x) as a formula, also off the support (NaN there, as log of a negative determinant):
        # the verifier identifies the statistics on generic probes
        sign, ld = np.linalg.slogdet(M)
        return np.where(sign > 0, ld, np.nan)

    def statistics(*x):
        x = np.stack(np.broadcast_arrays(*x), -1)
        shape = x.shape[:-1]
        if name == "normal_wishart":
            mu, lam = x[..., :d, None], stat.sym(x[..., d:])
            lm = lam @ mu
            blocks = [lm, (mu.swapaxes(-1, -2) @ lm)[..., 0, 0], lam, log_det(lam)]
        else:
            X = stat.sym(x)
            blocks = [np.linalg.inv(X) if name == "inverse_wishart" else X, log_det(X)]
        return stat.tangent_vec(blocks, shape)

    def log_base_measure(*x):
        shape = np.broadcast_shapes(*(np.shape(c) for c in x))
        value = -0.5 * d * np.log(2 * np.pi) if name == "normal_wishart" else 0.0
        return np.full(shape, value)

    kernels = {pz: {"from_natural": None} for pz in module.BLOCKS}
    return {"KERNELS": kernels, "KERNELS_CLASS": WishartKernels, "GENERATED": module, "d": d,
            "statistics": statistics, "log_base_measure": log_base_measure,
            "__name__": module.__name__, "DIMS": {"d": d}}
