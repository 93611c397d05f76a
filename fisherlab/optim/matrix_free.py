"""Matrix-free second-order steppers: curvature-vector products solved by conjugate gradients.

Hessian-free optimization (Martens 2010, "Deep learning via Hessian-free optimization"): the
step solves ``(C + λI) d = g`` by conjugate gradients, touching the curvature C only through
products ``C v`` (``problem.fisher_vp`` or ``problem.hessian_vp``), so nothing P × P is formed.

Stopping rules of :func:`cg` (whichever comes first):

1. the residual: ``‖(C + λI) x − g‖ ≤ rtol · ‖g‖``;
2. Martens' relative progress on the quadratic model φ(x) = ½ xᵀ(C + λI)x − gᵀx (section 4.4):
   at iteration i > k, k = max(10, ⌈0.1 i⌉), stop when φ(x_i) < 0 and
   ``(φ(x_i) − φ(x_{i−k})) / φ(x_i) < k · progress_tol`` (``progress_tol`` = 5e-4 there; here it
   is off by default, 0, so a step is the solve to ``rtol``);
3. the iteration cap ``max_iter`` (default 10·P like scipy's: exact arithmetic terminates in P
   iterations, rounding needs more on ill-conditioned systems);
4. a direction of non-positive curvature ``pᵀ(C + λI)p ≤ 0``. For the Fisher (positive
   semi-definite) this means a singular system: :class:`numpy.linalg.LinAlgError` (the runner
   reports ``"singular"``; add damping). For the Hessian, CG stops there and returns the iterate
   reached so far (truncated Newton, Steihaug 1983); at the first iteration there is no such
   iterate and it raises LinAlgError saying gᵀHg ≤ 0.

Each stepper keeps ``info`` from its last solve (iterations, the stopping rule, the relative
residual) so a run can be audited.

Minibatches: every stepper here, and any stepper through :class:`Minibatch`, takes
``batch_size`` and ``seed``; each step draws ``batch_size`` distinct rows from
``numpy.random.default_rng(seed)`` (one stream per run, restarted by ``reset()``) and steps on
``problem.subset(rows)``, so the gradient and the curvature are those of the same minibatch.
"""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, SpecError
from .steppers import Stepper, _positive, register_stepper


def cg(matvec, b, *, rtol: float = 1e-10, max_iter: int | None = None, x0=None,
       progress_tol: float = 0.0, psd: bool = True):
    """Solve ``A x = b`` for symmetric A given by ``matvec`` (conjugate gradients).

    Parameters
    ----------
    matvec : callable
        ``v (P,) -> A v (P,)``.
    b : array, shape (P,)
    rtol : float
        Stop when ‖A x − b‖ ≤ rtol·‖b‖ (the recursively updated residual).
    max_iter : int, optional
        Iteration cap (default 10·P).
    x0 : array, shape (P,), optional
        Starting point (default 0).
    progress_tol : float
        Martens' relative-progress rule (see the module docstring); 0 disables it.
    psd : bool
        A is positive semi-definite by construction (a damped Fisher): non-positive curvature
        raises LinAlgError. With ``psd=False`` (a Hessian) it truncates (see the module docstring).

    Returns
    -------
    x : ndarray, shape (P,)
    info : dict
        ``iterations``, ``reason`` (``"residual"``, ``"progress"``, ``"max_iter"``,
        ``"negative_curvature"``) and ``residual`` (relative).
    """
    b = np.asarray(b, dtype=np.float64)
    P = b.shape[0]
    max_iter = 10 * P if max_iter is None else int(max_iter)
    bnorm = float(np.linalg.norm(b))
    if bnorm == 0.0:
        return np.zeros(P), {"iterations": 0, "reason": "residual", "residual": 0.0}
    if x0 is None:
        x = np.zeros(P)
        r = b.copy()
    else:
        x = np.array(x0, dtype=np.float64)
        r = b - matvec(x)
    p = r.copy()
    rr = float(r @ r)
    phis = [float(-0.5 * (x @ (b + r)))]          # φ(x) = ½xᵀAx − bᵀx = −½ xᵀ(b + r)
    reason = "max_iter"
    i = 0
    while i < max_iter:
        if np.sqrt(rr) <= rtol * bnorm:
            reason = "residual"
            break
        Ap = matvec(p)
        curv = float(p @ Ap)
        if not curv > 0.0:
            if psd:
                raise np.linalg.LinAlgError(
                    f"conjugate gradients: curvature pᵀ(C + λI)p = {curv!r} ≤ 0 at iteration {i}; "
                    "the damped curvature is singular (increase damping)"
                )
            if i == 0:
                raise np.linalg.LinAlgError(
                    f"truncated Newton: the gradient is a direction of non-positive curvature "
                    f"(gᵀ(H + λI)g = {curv!r}); increase damping")
            reason = "negative_curvature"
            break
        alpha = rr / curv
        x += alpha * p
        r -= alpha * Ap
        rr_new = float(r @ r)
        p *= rr_new / rr
        p += r
        rr = rr_new
        i += 1
        if progress_tol:
            phis.append(float(-0.5 * (x @ (b + r))))
            k = max(10, int(np.ceil(0.1 * i)))
            if i > k and phis[-1] < 0 and (phis[-1] - phis[-1 - k]) / phis[-1] < k * progress_tol:
                reason = "progress"
                break
    if reason == "max_iter" and np.sqrt(rr) <= rtol * bnorm:
        reason = "residual"
    return x, {"iterations": i, "reason": reason, "residual": float(np.sqrt(rr) / bnorm)}


class BatchSampler:
    """Draws minibatches of rows: ``batch_size`` distinct rows per step from one seeded stream."""

    def __init__(self, batch_size, seed=0):
        if batch_size is not None:
            if int(batch_size) != batch_size or batch_size < 1:
                raise DomainError(
                    f"batch_size must be a positive integer or None, got {batch_size!r}"
                )
            batch_size = int(batch_size)
        self.batch_size, self.seed = batch_size, seed
        self.reset()

    def reset(self):
        """Reseed the row sampler (called before a run)."""
        self.rng = np.random.default_rng(self.seed)

    def __call__(self, problem):
        """``problem`` itself without a batch size; otherwise ``problem.subset(rows)``."""
        if self.batch_size is None:
            return problem
        n = getattr(problem, "n", None)
        if n is None or not hasattr(problem, "subset"):
            raise SpecError(
                f"{getattr(problem, 'name', 'problem')}: minibatches need a problem with rows "
                "(.n and .subset(rows)), such as a fisherlab.models problem"
            )
        if self.batch_size > n:
            raise DomainError(
                f"batch_size must be <= the number of rows {n}, got {self.batch_size}"
            )
        rows = np.sort(self.rng.choice(n, size=self.batch_size, replace=False))
        return problem.subset(rows)


class _CGStepper(Stepper):
    hyper = ("lr", "damping")

    def __init__(
        self,
        lr: float = 1.0,
        damping: float = 0.0,
        rtol: float = 1e-10,
        max_iter: int | None = None,
        progress_tol: float = 0.0,
        batch_size: int | None = None,
        seed: int = 0,
    ):
        self.damping = _positive("damping", damping, allow_zero=True)
        self.rtol = _positive("rtol", rtol)
        self.max_iter = max_iter
        self.progress_tol = _positive("progress_tol", progress_tol, allow_zero=True)
        self.batches = BatchSampler(batch_size, seed)
        super().__init__(lr)

    def reset(self):
        self.info = {}
        if hasattr(self, "batches"):
            self.batches.reset()

    def _product(self, problem, theta):
        raise NotImplementedError

    def step(self, problem, theta):
        prob = self.batches(problem)
        g = prob.grad(theta)
        product = self._product(prob, theta)
        lam = self.damping
        matvec = (lambda v: product(theta, v) + lam * v) if lam else (lambda v: product(theta, v))
        d, self.info = cg(matvec, g, rtol=self.rtol, max_iter=self.max_iter,
                          progress_tol=self.progress_tol, psd=self.psd)
        return theta - self.lr * d


class CGNaturalGradient(_CGStepper):
    """Natural gradient without a matrix: θ ← θ − lr·(F + damping·I)⁻¹ g, solved by CG on
    ``problem.fisher_vp`` (F the Fisher / generalized Gauss–Newton of the problem).

    Parameters
    ----------
    lr, damping : float
        Step size and Tikhonov damping λ ≥ 0.
    rtol, max_iter, progress_tol : see :func:`cg`.
    batch_size, seed : minibatches (see the module docstring); None uses every row.
    """

    name = "CGNaturalGradient"
    psd = True

    def _product(self, problem, theta):
        return problem.fisher_vp


class HessianFreeNewton(_CGStepper):
    """Truncated Newton: θ ← θ − lr·(H + damping·I)⁻¹ g, solved by CG on ``problem.hessian_vp``;
    CG stops at a direction of negative curvature (see the module docstring).

    Parameters are those of :class:`CGNaturalGradient`.
    """

    name = "HessianFreeNewton"
    psd = False

    def _product(self, problem, theta):
        return problem.hessian_vp


class Minibatch(Stepper):
    """Any stepper on minibatches: each step runs ``stepper.step(problem.subset(rows), θ)``.

    Parameters
    ----------
    stepper : Stepper or str
        The inner stepper (or its name in :data:`~fisherlab.optim.STEPPERS`, built with
        ``**hyper``).
    batch_size : int
        Rows per step (distinct rows, drawn anew each step).
    seed : int
        Seed of the row stream (restarted by ``reset()``).
    """

    name = "Minibatch"

    def __init__(self, stepper="GD", batch_size: int = 32, seed: int = 0, **hyper):
        if isinstance(stepper, str):
            from .steppers import make_stepper

            stepper = make_stepper(stepper, **hyper)
        elif hyper:
            raise SpecError(
                f"Minibatch: hyperparameters {sorted(hyper)} go with a stepper name, "
                "not an instance"
            )
        self.inner = stepper
        self.batches = BatchSampler(batch_size, seed)
        self.hyper = (*stepper.hyper, "batch_size")
        self.lr = stepper.lr
        self.reset()

    @property
    def batch_size(self):
        """The number of rows per step (None: the whole problem)."""
        return self.batches.batch_size

    def __getattr__(self, name):        # the inner stepper's hyperparameters, for config()
        if name == "inner":
            raise AttributeError(name)
        return getattr(self.inner, name)

    def reset(self):
        """Clear the inner stepper and reseed the batches (called before a run)."""
        if "inner" in self.__dict__:
            self.inner.reset()
            self.batches.reset()

    def step(self, problem, theta):
        """One step of the inner stepper on a fresh minibatch of ``problem``: the new θ (p,)."""
        return self.inner.step(self.batches(problem), theta)

    def __repr__(self) -> str:
        return f"Minibatch({self.inner!r}, batch_size={self.batch_size})"


for _cls in (CGNaturalGradient, HessianFreeNewton, Minibatch):
    register_stepper(_cls)
