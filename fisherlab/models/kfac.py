"""K-FAC for MLPs (Martens & Grosse 2015, "Optimizing neural networks with Kronecker-factored
approximate curvature").

Layer l maps its input a (with a ones column appended for the bias: ā = [a, 1], length in+1)
to s = ā W̄, W̄ = [W; b] of shape (in+1, out). In the MLP's weight layout (W row-major, then b)
the layer's block of w is exactly W̄ flattened row-major, and the per-row gradient block is
ā ⊗ g with g = ∂ℓ/∂s. The GGN block of the layer, Σ_i a_i (ā_i ā_iᵀ) ⊗ (J_iᵀ F_i J_i) / n
(J_i = ∂raw_i/∂s_i, F_i the head's raw-space Fisher), is approximated by a Kronecker product
A_l ⊗ G_l, the layers treated as independent (block diagonal):

    A_l = Σ_i a_i ā_i ā_iᵀ / Σ_i a_i                    (in+1, in+1), from the layer inputs
    G_l = Σ_i a_i Σ_k g_ik g_ikᵀ / n                      (out, out), back-propagated factors

with a_i the problem's prior weights (1 by default). Two kinds of g_ik:

- ``mode="exact"`` (type-2): g_ik = J_iᵀ L_i[:, k], the columns of a square root L_i L_iᵀ = F_i
  (the head's ``fisher_factor``: a closed form for the categorical and other rank-one or
  diagonal Fishers, Cholesky otherwise) back-propagated, so Σ_k g gᵀ = J_iᵀ F_i J_i exactly;
- ``mode="mc"`` (Monte Carlo): g_is = J_iᵀ ∇_raw ℓ(y_is) at labels y_is drawn from the head,
  averaged over ``samples`` draws: unbiased for the exact G_l.

The approximation is exact where the per-row factors do not co-vary: one data point (any
network), and deep linear networks with a constant output Fisher (a normal mean head), where
J_i and F_i do not depend on the row.

The stepper solves with factored Tikhonov damping (Martens & Grosse, section 6.3):
(A + π√λ I) ⊗ (G + (√λ/π) I), π = √((tr A / dim A) / (tr G / dim G)) (π = 1 when a trace is 0),
λ = ``damping`` + the problem's ``l2``; the factors are exponential running averages
A ← ρA + (1 − ρ)A_new (the first step takes A_new), ρ = ``decay``.

Cost: the q columns of every row go through the network as (c·n, width) matrices, a few columns
at a time (:meth:`~fisherlab.models.mlp.MLPPredictor.cotangent_grams`), and every factor is one
symmetric rank update (BLAS syrk); A of the first layer depends on the rows only and the stepper
keeps it while it steps on the same rows; the damped factors are Cholesky-factored once per
factor update. Nothing of size P × P is formed.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from ..errors import DomainError, SpecError
from ..optim.matrix_free import BatchSampler
from ..optim.steppers import Stepper, register_stepper
from .mlp import MLPPredictor

MODES = ("exact", "mc")


def _mlp_of(problem) -> MLPPredictor:
    pred = getattr(problem, "predictor", None)
    if not isinstance(pred, MLPPredictor):
        raise SpecError(
            f"K-FAC needs a problem of an MLP (fisherlab.models.MLP); "
            f"{getattr(problem, 'name', problem)!r} has predictor {type(pred).__name__}"
        )
    return pred


def input_factor(x, a=None) -> np.ndarray:
    """A = Σ_i a_i ā_i ā_iᵀ / Σ_i a_i of layer inputs x (n, d), ā = [x, 1]: (d+1, d+1).

    ``a`` (n,) are the prior weights (None: all 1). The (d, d) block is one symmetric rank-n
    update (BLAS syrk: numpy recognises x̃ᵀ x̃ of one array, x̃ = √a ⊙ x), which halves the work
    of a general product.
    """
    n, d = x.shape
    A = np.empty((d + 1, d + 1))
    if a is None:
        sa = float(n)
        A[:d, :d] = x.T @ x
        A[:d, d] = x.sum(axis=0)
    else:
        sa = float(a.sum())
        xa = x * np.sqrt(a)[:, None]
        A[:d, :d] = xa.T @ xa
        A[:d, d] = a @ x
    A[d, :d] = A[:d, d]
    A[d, d] = sa
    A /= sa
    return A


def kfac_factors(problem, w, mode: str = "exact", samples: int = 1, seed=None,
                 first_input=None) -> list:
    """The Kronecker factors ``[(A_l, G_l), ...]`` of an MLP problem at w (module docstring).

    Parameters
    ----------
    problem : fisherlab.models.Problem
        A problem of an :class:`~fisherlab.models.mlp.MLP`.
    w : array, shape (P,)
    mode : {"exact", "mc"}
    samples : int
        Label draws per row for ``mode="mc"``.
    seed : int or numpy.random.Generator, optional
        For ``mode="mc"``.
    first_input : array (n_in+1, n_in+1), optional
        A_1, when the caller has it: it depends on the rows X and the prior weights only, not on
        w (``input_factor(problem.X, problem.weights)``).

    Returns
    -------
    list of (ndarray (in_l+1, in_l+1), ndarray (out_l, out_l))
    """
    if mode not in MODES:
        raise DomainError(f"K-FAC mode must be one of {', '.join(MODES)}, got {mode!r}")
    pred = _mlp_of(problem)
    w = np.asarray(w, dtype=np.float64)
    n = problem.n
    a = problem.weights
    if a is not None and not float(a.sum()) > 0:
        raise DomainError("K-FAC: the prior weights sum to 0; no row carries information")
    p = pred.forward_pass(w, problem.X)
    point = problem.point(w)
    if mode == "exact":
        # (q, n, r), C-contiguous: the factor's q columns of every row
        U = point.fisher_factor_columns()
    else:
        if int(samples) != samples or samples < 1:
            raise DomainError(f"samples must be a positive integer, got {samples!r}")
        rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        U = np.stack([point.grad(point.sample(rng)) for _ in range(int(samples))])   # (S, n, r)
        U /= np.sqrt(samples)
    if a is not None:
        # √a_i on each row's cotangents: Σ g gᵀ then carries a_i, and stays one syrk per layer
        # (the back-propagation is linear in the cotangents)
        U = U * np.sqrt(a)[:, None]
    # Σ_k g gᵀ per layer: the q columns back-propagated as (c·n, width) matrices, a few
    # columns at a time, each layer's Gram matrix one syrk per chunk
    grams = pred.cotangent_grams(w, problem.X, U)
    factors = []
    for layer, G in enumerate(grams):
        if layer == 0 and first_input is not None:
            A = first_input
        else:
            A = input_factor(p.inputs[layer], a)
        G /= n
        factors.append((A, 0.5 * (G + G.T)))
    return factors


def kfac_blocks(factors) -> list:
    """The dense blocks A_l ⊗ G_l, in the weight layout of the MLP (small models only)."""
    return [np.kron(A, G) for A, G in factors]


@register_stepper
class KFAC(Stepper):
    """K-FAC natural gradient for MLP problems (see the module docstring).

    θ ← θ − lr · blockdiag_l[(A_l + π_l√λ I) ⊗ (G_l + √λ/π_l I)]⁻¹ g.

    Parameters
    ----------
    lr : float
    damping : float
        λ ≥ 0 (the problem's l2 is added to it).
    decay : float
        ρ in [0, 1) of the running averages of the factors (0: this step's factors only).
    mode : {"exact", "mc"}
        How G_l is built.
    samples : int
        Label draws per row in ``mode="mc"``.
    update_every : int
        Recompute the factors every this many steps (Martens & Grosse's T₁; kfac-jax's
        curvature update period) and reuse the running averages in between: the steps in
        between cost a gradient and the two small solves per layer.
    batch_size, seed : int
        Minibatches as in :mod:`fisherlab.optim.matrix_free` (gradient and factors from the same
        rows); ``seed`` also seeds the Monte Carlo labels.
    """

    name = "KFAC"
    hyper = ("lr", "damping", "decay")

    def __init__(
        self,
        lr: float = 1.0,
        damping: float = 1e-3,
        decay: float = 0.95,
        mode: str = "exact",
        samples: int = 1,
        update_every: int = 1,
        batch_size: int | None = None,
        seed: int = 0,
    ):
        if not (np.isfinite(damping) and damping >= 0):
            raise DomainError(f"damping must be finite and >= 0, got {damping!r}")
        if not 0 <= decay < 1:
            raise DomainError(f"decay must be in [0, 1), got {decay!r}")
        if mode not in MODES:
            raise DomainError(f"K-FAC mode must be one of {', '.join(MODES)}, got {mode!r}")
        if int(samples) != samples or samples < 1:
            raise DomainError(f"samples must be a positive integer, got {samples!r}")
        if int(update_every) != update_every or update_every < 1:
            raise DomainError(f"update_every must be a positive integer, got {update_every!r}")
        self.damping, self.decay, self.mode, self.samples = (
            float(damping),
            float(decay),
            mode,
            int(samples),
        )
        self.update_every = int(update_every)
        self.seed = seed
        self.batches = BatchSampler(batch_size, seed)
        super().__init__(lr)

    def reset(self):
        """Clear the factors and the step count and reseed the sampler (called before a run)."""
        self.factors = None
        self._first_input = None        # (X, weights, A_1): A_1 depends on the rows only
        self._solvers = None            # (λ, [(chol of damped A, chol of damped G), ...])
        self.steps = 0
        self.rng = np.random.default_rng(self.seed)
        if hasattr(self, "batches"):
            self.batches.reset()

    def update_factors(self, problem, w) -> list:
        """Fold this step's factors into the running averages; returns them."""
        c = self._first_input
        if c is None or c[0] is not problem.X or c[1] is not problem.weights:
            c = self._first_input = (problem.X, problem.weights,
                                     input_factor(problem.X, problem.weights))
        new = kfac_factors(problem, w, self.mode, self.samples, self.rng, first_input=c[2])
        self._solvers = None
        if self.factors is None or len(self.factors) != len(new):
            self.factors = new
        else:
            r = self.decay
            self.factors = [(r * A0 + (1 - r) * A, r * G0 + (1 - r) * G)
                            for (A0, G0), (A, G) in zip(self.factors, new, strict=True)]
        return self.factors

    def precondition(self, problem, g) -> np.ndarray:
        """The damped inverse of the current factors applied to g (P,), layer by layer (the
        damped factors are Cholesky-factored once per factor update)."""
        pred = _mlp_of(problem)
        lam = self.damping + problem.l2
        if self._solvers is None or self._solvers[0] != lam:
            self._solvers = (lam, [self._damped_cholesky(A, G, lam) for A, G in self.factors])
        out = np.empty_like(g)
        for (cA, cG), (w_sl, b_sl), (fan_in, fan_out) in zip(self._solvers[1], pred.slices,
                                                             pred.shapes, strict=True):
            V = g[w_sl.start:b_sl.stop].reshape(fan_in + 1, fan_out)
            D = cho_solve(cA, V, check_finite=False)
            D = cho_solve(cG, D.T, check_finite=False).T
            out[w_sl.start:b_sl.stop] = D.ravel()
        return out

    @staticmethod
    def _damped_cholesky(A, G, lam):
        """Cholesky factors of A + π√λ I and G + (√λ/π) I (the module docstring's π)."""
        if lam:
            ta, tg = np.trace(A) / A.shape[0], np.trace(G) / G.shape[0]
            pi = np.sqrt(ta / tg) if ta > 0 and tg > 0 else 1.0
            A = A + pi * np.sqrt(lam) * np.eye(A.shape[0])
            G = G + np.sqrt(lam) / pi * np.eye(G.shape[0])
        # cho_factor raises LinAlgError on a singular factor: the runner reports "singular"
        return cho_factor(A, check_finite=False), cho_factor(G, check_finite=False)

    def step(self, problem, theta):
        """One K-FAC step from ``theta`` (P,): refresh the factors when due, return the new weights
        (P,)."""
        prob = self.batches(problem)
        g = prob.grad(theta)
        if self.factors is None or self.steps % self.update_every == 0:
            self.update_factors(prob, theta)
        self.steps += 1
        return theta - self.lr * self.precondition(prob, g)

