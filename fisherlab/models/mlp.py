"""Multilayer perceptrons: a hand-written batched predictor and the model around it.

Weight layout
-------------
A network with layer sizes ``[n_in, h_1, ..., h_k, n_out]`` has ``L = k + 1`` affine layers.
The weight vector w of shape ``(P,)`` is the concatenation, layer by layer, of the weight matrix
``W_l`` of shape ``(in_l, out_l)`` flattened row-major (C order) and then the bias ``b_l`` of shape
``(out_l,)``; ``P = Σ_l (in_l + 1)·out_l``. The forward pass on rows ``X`` of shape ``(n, n_in)``::

    a_0 = X
    z_l = a_{l-1} W_l + b_l                  (n, out_l)
    a_l = σ(z_l)        for l < L            hidden layers
    raw = z_L                                (n, n_out), no activation on the output layer

The raw outputs go to the head, which applies its inverse links.

Derivatives are written out by hand: reverse mode for ``vjp``, forward mode for ``jvp``, and the
residual Hessian-vector product by forward-over-reverse (the forward tangent of the reverse pass).
The predictor memoizes its last forward pass: ``X`` is compared by identity (pass the same array,
do not modify it in place between calls) and ``w`` by value.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.special import erf, expit

from ..errors import ShapeError, SpecError, UnknownNameError
from .problem import ModelBase, Predictor

_TWO_OVER_SQRT_PI = 2.0 / np.sqrt(np.pi)


# --------------------------------------------------------------------------- activations
# Each returns (σ(z), σ'(z)) or σ''(z) from z (and cached values); the derivatives are written
# in forms that keep relative accuracy where σ saturates (sech² as 1/cosh², not 1 − tanh²).

def _tanh(z):
    t = np.tanh(z)
    # sech² z = 1/cosh² z: relatively accurate everywhere (1 − tanh² cancels for |z| ≳ 1); past
    # |z| ≈ 355 cosh² overflows to inf and sech² to 0, where the true value is below 1e-308
    with np.errstate(over="ignore"):
        d = np.cosh(z)
        d *= d
    np.reciprocal(d, out=d)
    return t, d


def _tanh_dd(z, s, d):
    return -2.0 * s * d


def _identity(z):
    return z, np.ones_like(z)


def _identity_dd(z, s, d):
    return np.zeros_like(z)


def _relu(z):
    pos = z > 0
    return np.where(pos, z, 0.0), pos.astype(np.float64)


def _relu_dd(z, s, d):
    return np.zeros_like(z)


def _softplus(z):
    # log(1 + e^z) = max(z, 0) + log1p(e^{-|z|}), exact in both tails
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z))), expit(z)


def _softplus_dd(z, s, d):
    return expit(z) * expit(-z)


def _sigmoid(z):
    s = expit(z)
    return s, s * expit(-z)


def _sigmoid_dd(z, s, d):
    # σ'' = σ'(1 − 2σ) and 1 − 2σ(z) = −tanh(z/2), which keeps digits near z = 0
    return -d * np.tanh(0.5 * z)


def _erf(z):
    return erf(z), _TWO_OVER_SQRT_PI * np.exp(-z * z)


def _erf_dd(z, s, d):
    return -2.0 * z * d


#: activation name -> (value and first derivative, second derivative)
ACTIVATIONS = {
    "tanh": (_tanh, _tanh_dd),
    "relu": (_relu, _relu_dd),
    "softplus": (_softplus, _softplus_dd),
    "sigmoid": (_sigmoid, _sigmoid_dd),
    "erf": (_erf, _erf_dd),
    "identity": (_identity, _identity_dd),      # a deep linear network (K-FAC is exact there)
}


def activation(name: str):
    """The pair ``(f, f_dd)`` of an activation: ``f(z) -> (σ(z), σ'(z))``, ``f_dd(z, σ, σ') ->
    σ''(z)``."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise UnknownNameError(
            f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}"
        ) from None


# --------------------------------------------------------------------------- predictor

class _Pass:
    """One forward pass: per layer the input a_{l-1}, and per hidden layer z_l, σ'(z_l)."""

    __slots__ = ("d1", "inputs", "pre", "raw")

    def __init__(self, inputs, pre, d1, raw):
        self.inputs, self.pre, self.d1, self.raw = inputs, pre, d1, raw


class MLPPredictor(Predictor):
    """Batched fully connected network ``w -> raw`` (see the module docstring for the layout).

    Parameters
    ----------
    sizes : sequence of int
        ``[n_in, hidden..., n_out]``, at least two entries, each ≥ 1.
    activation : str
        Hidden-layer activation: one of ``tanh``, ``relu``, ``softplus``, ``sigmoid``, ``erf``,
        ``identity`` (a deep linear network).
    """

    def __init__(self, sizes, activation_name: str = "tanh"):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or any(s < 1 for s in sizes):
            raise SpecError(
                f"MLP sizes must be [n_in, hidden..., n_out] with every size >= 1, got {sizes}"
            )
        self.sizes = sizes
        self.activation = activation_name
        self._act, self._act_dd = activation(activation_name)
        self.width = sizes[-1]
        # slices of w: (W_l, b_l) per layer
        self.shapes = list(itertools.pairwise(sizes))
        self.slices = []
        start = 0
        for fan_in, fan_out in self.shapes:
            w_sl = slice(start, start + fan_in * fan_out)
            start += fan_in * fan_out
            b_sl = slice(start, start + fan_out)
            start += fan_out
            self.slices.append((w_sl, b_sl))
        self.n_weights = start
        self._cache = None          # (X, w copy, _Pass)

    @property
    def n_layers(self) -> int:
        """The number of layers (weight matrices)."""
        return len(self.shapes)

    # ------------------------------------------------------------------ weights
    def init(self, seed=0) -> np.ndarray:
        """Glorot uniform weights, U(−a, a) with a = √(6 / (fan_in + fan_out)); zero biases.

        Returns
        -------
        ndarray, shape (P,)
        """
        rng = np.random.default_rng(seed)
        w = np.zeros(self.n_weights)
        for (fan_in, fan_out), (w_sl, _) in zip(self.shapes, self.slices):
            a = np.sqrt(6.0 / (fan_in + fan_out))
            w[w_sl] = rng.uniform(-a, a, size=fan_in * fan_out)
        return w

    def unpack(self, w):
        """The per-layer views ``[(W_l (in, out), b_l (out,)), ...]`` of a weight vector (no
        copy)."""
        return [
            (w[w_sl].reshape(shape), w[b_sl])
            for (w_sl, b_sl), shape in zip(self.slices, self.shapes)
        ]

    def _weights(self, w) -> np.ndarray:
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (self.n_weights,):
            raise ShapeError(
                f"MLP {self.sizes}: w must have shape ({self.n_weights},), got {w.shape}"
            )
        return w

    def _rows(self, X) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ShapeError(
                f"MLP {self.sizes}: X must have shape (n, {self.sizes[0]}), got {X.shape}"
            )
        return X

    # ------------------------------------------------------------------ forward
    def forward_pass(self, w, X) -> _Pass:
        """The forward pass with what the derivatives need (memoized on the last ``(w, X)``).

        Returns an object with ``inputs`` (list of the L layer inputs a_{l-1}, shapes (n, in_l)),
        ``pre`` and ``d1`` (the L − 1 hidden pre-activations z_l and σ'(z_l)) and ``raw`` (n, r).
        """
        w = self._weights(w)
        c = self._cache
        if c is not None and c[0] is X and np.array_equal(c[1], w):
            return c[2]
        Xa = self._rows(X)
        inputs, pre, d1 = [Xa], [], []
        a = Xa
        layers = self.unpack(w)
        for layer, (W, b) in enumerate(layers):
            z = a @ W
            z += b
            if layer == len(layers) - 1:
                raw = z
                break
            a, d = self._act(z)
            pre.append(z)
            d1.append(d)
            inputs.append(a)
        p = _Pass(inputs, pre, d1, raw)
        self._cache = (X, w.copy(), p)
        return p

    def forward(self, w, X) -> np.ndarray:
        """Raw outputs, shape (n, r)."""
        return self.forward_pass(w, X).raw

    # ------------------------------------------------------------------ first order
    def jvp(self, w, X, v) -> np.ndarray:
        """J v (forward mode), shape (n, r), for v of shape (P,)."""
        w = self._weights(w)
        p = self.forward_pass(w, X)
        V = self.unpack(self._weights(v))
        dz = None
        for layer, (VW, vb) in enumerate(V):
            W = self._layer(w, layer)[0]
            dz_new = p.inputs[layer] @ VW
            dz_new += vb
            if dz is not None:
                dz *= p.d1[layer - 1]
                dz_new += dz @ W
            dz = dz_new
        return dz

    def _layer(self, w, layer):
        w_sl, b_sl = self.slices[layer]
        return w[w_sl].reshape(self.shapes[layer]), w[b_sl]

    def backward(self, w, X, u) -> list:
        """The back-propagated output cotangents: per layer g_l = ∂(Σ u·raw)/∂z_l.

        ``u`` has shape (..., n, r) (leading axes: several cotangents at once); g_l has shape
        (..., n, out_l).
        """
        w = self._weights(w)
        p = self.forward_pass(w, X)
        u = self._cotangent(u, p.raw.shape, batched=True)
        gs = [None] * self.n_layers
        g = u
        for layer in range(self.n_layers - 1, -1, -1):
            gs[layer] = g
            if layer:
                g = g @ self._layer(w, layer)[0].T
                g *= p.d1[layer - 1]
        return gs

    def cotangent_grams(self, w, X, U, block: int = 1 << 17) -> list:
        """Per layer Σ_k g_lkᵀ g_lk, shape (out_l, out_l), of the back-propagated cotangents
        g_lk = ∂(Σ U_k·raw)/∂z_l of U (q, n, r): the Gram matrices of :meth:`backward`'s
        (q·n, out_l) results, without holding them all.

        The columns go through the layers in chunks of at most ``block`` numbers per layer
        (1 MiB by default: a chunk and its Gram product stay in a core's cache), each chunk one
        (c·n, width) matrix per layer; every Gram matrix is one symmetric rank-c·n update (BLAS
        syrk).
        """
        w = self._weights(w)
        p = self.forward_pass(w, X)
        U = self._cotangent(U, p.raw.shape, batched=True)
        q, n, r = U.shape
        grams = [np.zeros((o, o)) for _, o in self.shapes]
        step = max(1, block // (n * max(self.sizes[1:])))
        for start in range(0, q, step):
            g = U[start:start + step]
            c = g.shape[0]
            for layer in range(self.n_layers - 1, -1, -1):
                gf = g.reshape(c * n, -1)
                grams[layer] += gf.T @ gf
                if layer:
                    g = (gf @ self._layer(w, layer)[0].T).reshape(c, n, -1)
                    g *= p.d1[layer - 1]
        return grams

    def _cotangent(self, u, shape, batched=False):
        u = np.asarray(u, dtype=np.float64)
        if (u.shape[-2:] if batched else u.shape) != shape:
            want = f"(..., {shape[0]}, {shape[1]})" if batched else str(shape)
            raise ShapeError(
                f"MLP {self.sizes}: the output cotangent must have shape {want}, got {u.shape}"
            )
        return u

    def vjp(self, w, X, u) -> np.ndarray:
        """Jᵀ u (reverse mode), shape (P,), for u of shape (n, r)."""
        p = self.forward_pass(w, X)
        gs = self.backward(w, X, self._cotangent(u, p.raw.shape))
        out = np.empty(self.n_weights)
        for layer, ((w_sl, b_sl), g) in enumerate(zip(self.slices, gs)):
            out[w_sl] = (p.inputs[layer].T @ g).ravel()
            out[b_sl] = g.sum(axis=0)
        return out

    def per_row_vjp(self, w, X, u) -> np.ndarray:
        """Row i is J_iᵀ u_i: shape (n, P)."""
        p = self.forward_pass(w, X)
        gs = self.backward(w, X, self._cotangent(u, p.raw.shape))
        n = p.raw.shape[0]
        out = np.empty((n, self.n_weights))
        for layer, ((w_sl, b_sl), g) in enumerate(zip(self.slices, gs)):
            a = p.inputs[layer]
            out[:, w_sl] = (a[:, :, None] * g[:, None, :]).reshape(n, -1)
            out[:, b_sl] = g
        return out

    def jacobian(self, w, X) -> np.ndarray:
        """∂raw/∂w, shape (n, r, P): the r unit cotangents back-propagated at once (small
        models)."""
        w = self._weights(w)
        p = self.forward_pass(w, X)
        return self._jacobian_rows(w, p, slice(None))

    def _jacobian_rows(self, w, p, rows) -> np.ndarray:
        """J for the rows ``rows`` of the pass ``p``: (m, r, P)."""
        inputs = [x[rows] for x in p.inputs]
        d1 = [d[rows] for d in p.d1]
        m, r = inputs[0].shape[0], self.width
        J = np.empty((m, r, self.n_weights))
        g = np.broadcast_to(np.eye(r)[:, None, :], (r, m, r))   # (k, row, out): unit cotangents
        for layer in range(self.n_layers - 1, -1, -1):
            w_sl, b_sl = self.slices[layer]
            gt = np.moveaxis(g, 0, 1)                                     # (row, k, out)
            J[:, :, w_sl] = (inputs[layer][:, None, :, None] * gt[:, :, None, :]).reshape(m, r, -1)
            J[:, :, b_sl] = gt
            if layer:
                g = (g @ self._layer(w, layer)[0].T) * d1[layer - 1]
        return J

    def gram(self, w, X, M, max_block: int = 1 << 22) -> np.ndarray:
        """Σ_i J_iᵀ M_i J_i, shape (P, P), for M of shape (n, r, r) (the dense GGN's core).

        Layer l's block of J_i is ā_i ⊗ g_i (ā = [a, 1] its input, g_i (r, out_l) the
        back-propagated unit cotangents), so the (l, m) block of the sum is
        Σ_i (ā_i^l ⊗ ā_i^m)(vec C_i)ᵀ, permuted, with C_i = g_i^lᵀ M_i g_i^m (out_l, out_m): one
        product of n × (in_l+1)(in_m+1) and n × out_l·out_m matrices, n·P² multiply-adds in all
        (the Jacobian route takes 2·n·r·P²). The row outer products are formed for blocks of
        rows of at most ``max_block`` numbers (32 MiB by default).
        """
        w = self._weights(w)
        p = self.forward_pass(w, X)
        n, r = p.raw.shape
        M = np.asarray(M, dtype=np.float64)
        if M.shape != (n, r, r):
            raise ShapeError(f"MLP {self.sizes}: M must have shape ({n}, {r}, {r}), got {M.shape}")
        # (r, n, out_l)
        gs = self.backward(w, X, np.broadcast_to(np.eye(r)[:, None, :], (r, n, r)))
        Mg = [np.einsum("nkj,jno->kno", M, g, optimize=True) for g in gs]            # M_i g_i
        ones = np.ones((n, 1))
        abar = [np.hstack([x, ones]) for x in p.inputs]                               # (n, in_l+1)
        P = self.n_weights
        out = np.empty((P, P))
        for layer in range(self.n_layers):
            for m in range(layer, self.n_layers):
                C = np.einsum("kno,knp->nop", gs[layer], Mg[m], optimize=True).reshape(n, -1)
                il, im = abar[layer].shape[1], abar[m].shape[1]
                step = max(1, max_block // (il * im))
                B = np.zeros((il * im, C.shape[1]))
                for start in range(0, n, step):
                    rows = slice(start, min(n, start + step))
                    AA = (abar[layer][rows, :, None] * abar[m][rows, None, :]).reshape(-1, il * im)
                    B += AA.T @ C[rows]
                ol, om = self.shapes[layer][1], self.shapes[m][1]
                block = B.reshape(il, im, ol, om).transpose(0, 2, 1, 3).reshape(il * ol, im * om)
                sl = slice(self.slices[layer][0].start, self.slices[layer][1].stop)
                sm = slice(self.slices[m][0].start, self.slices[m][1].stop)
                if m == layer:
                    block = 0.5 * (block + block.T)
                out[sl, sm] = block
                if m != layer:
                    out[sm, sl] = block.T
        return out

    # ------------------------------------------------------------------ second order
    def residual_hvp(self, w, X, u, v) -> np.ndarray:
        """∇²_w(Σ_i u_i·raw_i(w)) v, shape (P,), by forward-over-reverse.

        The reverse pass g_L = u, g_{l-1} = (g_l W_lᵀ) ⊙ σ'(z_{l-1}), ∇_{W_l} = a_{l-1}ᵀ g_l,
        ∇_{b_l} = Σ_rows g_l, differentiated along v (tangents written with a dot)::

            ż_l = ȧ_{l-1} W_l + a_{l-1} V_l + v_l,      ȧ_l = σ'(z_l) ż_l
            ġ_{l-1} = (ġ_l W_lᵀ + g_l V_lᵀ) ⊙ σ'(z_{l-1}) + (g_l W_lᵀ) ⊙ σ''(z_{l-1}) ż_{l-1}
            H v |_{W_l} = ȧ_{l-1}ᵀ g_l + a_{l-1}ᵀ ġ_l,   H v |_{b_l} = Σ_rows ġ_l      (ġ_L = 0)
        """
        w = self._weights(w)
        p = self.forward_pass(w, X)
        u = self._cotangent(u, p.raw.shape)
        V = self.unpack(self._weights(v))
        L = self.n_layers
        # forward tangents of the hidden pre-activations and activations
        zdot, adot = [None] * (L - 1), [None] * L
        adot[0] = None                       # X does not depend on w
        for layer in range(L - 1):
            VW, vb = V[layer]
            zd = p.inputs[layer] @ VW
            zd += vb
            if adot[layer] is not None:
                zd += adot[layer] @ self._layer(w, layer)[0]
            zdot[layer] = zd
            adot[layer + 1] = p.d1[layer] * zd
        out = np.empty(self.n_weights)
        g, gdot = u, None
        for layer in range(L - 1, -1, -1):
            w_sl, b_sl = self.slices[layer]
            hw = p.inputs[layer].T @ gdot if gdot is not None else np.zeros(self.shapes[layer])
            if adot[layer] is not None:
                hw = hw + adot[layer].T @ g
            out[w_sl] = hw.ravel()
            out[b_sl] = gdot.sum(axis=0) if gdot is not None else 0.0
            if layer:
                W = self._layer(w, layer)[0]
                back = g @ W.T                                    # (n, in_l) = ∂/∂a_{l-1}
                back_dot = g @ V[layer][0].T
                if gdot is not None:
                    back_dot += gdot @ W.T
                z, s, d = p.pre[layer - 1], p.inputs[layer], p.d1[layer - 1]
                dd = self._act_dd(z, s, d)
                gdot = back_dot * d + back * dd * zdot[layer - 1]
                g = back * d
        return out

    def residual_hessian(self, w, X, u) -> np.ndarray:
        """∇²_w(Σ_i u_i·raw_i(w)), shape (P, P): one residual_hvp per coordinate (small models
        only)."""
        P = self.n_weights
        H = np.empty((P, P))
        e = np.zeros(P)
        for j in range(P):
            e[j] = 1.0
            H[:, j] = self.residual_hvp(w, X, u, e)
            e[j] = 0.0
        return 0.5 * (H + H.T)

    def __repr__(self) -> str:
        return f"MLPPredictor({self.sizes}, activation={self.activation!r})"



class MLP(ModelBase):
    """A fully connected network with an exponential-family output head.

    Parameters
    ----------
    sizes : sequence of int
        ``[n_in, hidden..., n_out]``; ``n_out`` must equal ``head.width``.
    head : Head
        The output head (family, emitted parametrization, inverse links).
    activation : str
        Hidden-layer activation: ``tanh`` (default), ``relu``, ``softplus``, ``sigmoid``, ``erf``,
        ``identity``.
    seed : int
        Seed of the Glorot-uniform initial weights returned by :meth:`init`.

    Attributes
    ----------
    net : MLPPredictor
        The predictor (the same object for every problem of this model).

    Examples
    --------
    >>> m = MLP([64, 32, 10], Head("categorical", link="softmax", k=10))   # doctest: +SKIP
    >>> prob = m.problem(X, y); w0 = m.init()                               # doctest: +SKIP
    """

    def __init__(self, sizes, head, activation: str = "tanh", seed: int = 0):
        self.net = MLPPredictor(sizes, activation)
        width = getattr(head, "width", None)
        if width != self.net.width:
            raise SpecError(f"MLP output size {self.net.width} (the last entry of sizes "
                            f"{self.net.sizes}) must equal the head's width {width}")
        self.head = head
        self.seed = seed

    @property
    def n_weights(self) -> int:
        """The number P of weights."""
        return self.net.n_weights

    def init(self, seed=None) -> np.ndarray:
        """Initial weights, shape (P,) (Glorot uniform; ``seed`` defaults to the model's)."""
        return self.net.init(self.seed if seed is None else seed)

    def predictor(self, X) -> MLPPredictor:
        """The network, after checking that X has ``sizes[0]`` columns."""
        if np.shape(X)[1:] != (self.net.sizes[0],):
            raise ShapeError(f"MLP {self.net.sizes}: X must have shape (n, {self.net.sizes[0]}), "
                             f"got {np.shape(X)}")
        return self.net

    def __repr__(self) -> str:
        return f"MLP({self.net.sizes}, {self.head!r}, activation={self.net.activation!r})"
