"""Steppers: one update rule each, all behind one interface.

A stepper is a small object with hyperparameters (``lr``, ``damping``, ...), a ``reset()`` that
clears its state (momenta, running averages) and ``step(problem, theta) -> theta_new``. It asks
the problem for what it needs (gradient, Hessian, Fisher, per-sample gradients, mirror map).

Second-order steppers solve with an explicit, documented Tikhonov ``damping`` (default 0): no
hidden ridge. A matrix that is not positive definite makes the Cholesky factorization raise
``numpy.linalg.LinAlgError``, which the runner reports as status ``"singular"``.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import cho_factor, cho_solve

from ..errors import DomainError, UnknownStepperError


def _positive(name, value, allow_zero=False):
    ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise DomainError(
            f"{name} must be finite and {'>= 0' if allow_zero else '> 0'}, got {value!r}"
        )
    return float(value)


def _spd_solve(M, g, damping):
    """(M + damping·I)⁻¹ g by Cholesky (one factorization, two triangular solves)."""
    if damping:
        M = M + damping * np.eye(M.shape[0])
    return cho_solve(cho_factor(M, check_finite=False), g, check_finite=False)


class Stepper:
    """Base class: ``step(problem, theta) -> theta``; ``reset()`` clears the state."""

    name = "stepper"
    #: hyperparameters shown in reports and grid searches
    hyper: tuple[str, ...] = ("lr",)

    def __init__(self, lr: float = 1.0):
        self.lr = _positive("lr", lr)
        self.reset()

    def reset(self) -> None:
        """Clear the state (called by the runner before a run)."""

    def step(self, problem, theta) -> np.ndarray:
        """The next point from ``theta`` (p,) on ``problem``: (p,)."""
        raise NotImplementedError

    def config(self) -> dict:
        """The hyperparameters named in :attr:`hyper` with their values: a dict."""
        return {h: getattr(self, h) for h in self.hyper}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v:g}" for k, v in self.config().items())
        return f"{self.name}({args})"


class GD(Stepper):
    """Gradient descent: θ ← θ − lr·g."""

    name = "GD"

    def step(self, problem, theta):
        """θ − lr·g: (p,)."""
        return theta - self.lr * problem.grad(theta)


class Momentum(Stepper):
    """Heavy-ball momentum: v ← βv + g, θ ← θ − lr·v."""

    name = "Momentum"
    hyper = ("lr", "beta")

    def __init__(self, lr: float = 0.01, beta: float = 0.9):
        if not 0 <= beta < 1:
            raise DomainError(f"beta must be in [0, 1), got {beta!r}")
        self.beta = float(beta)
        super().__init__(lr)

    def reset(self):
        """Forget the velocity."""
        self.v = None

    def step(self, problem, theta):
        """θ − lr·v after v ← βv + g: (p,)."""
        g = problem.grad(theta)
        self.v = g if self.v is None else self.beta * self.v + g
        return theta - self.lr * self.v


class RMSProp(Stepper):
    """RMSProp: s ← ρs + (1−ρ)g², θ ← θ − lr·g/(√s + ε)."""

    name = "RMSProp"
    hyper = ("lr", "rho")

    def __init__(self, lr: float = 0.01, rho: float = 0.99, eps: float = 1e-8):
        if not 0 <= rho < 1:
            raise DomainError(f"rho must be in [0, 1), got {rho!r}")
        self.rho, self.eps = float(rho), _positive("eps", eps)
        super().__init__(lr)

    def reset(self):
        """Forget the running mean of g²."""
        self.s = None

    def step(self, problem, theta):
        """θ − lr·g/(√s + ε) after s ← ρs + (1−ρ)g²: (p,)."""
        g = problem.grad(theta)
        g2 = g * g
        self.s = (1 - self.rho) * g2 if self.s is None else self.rho * self.s + (1 - self.rho) * g2
        return theta - self.lr * g / (np.sqrt(self.s) + self.eps)


class Adam(Stepper):
    """Adam (Kingma & Ba) with bias correction."""

    name = "Adam"
    hyper = ("lr", "beta1", "beta2")

    def __init__(
        self, lr: float = 0.01, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ):
        for nm, b in (("beta1", beta1), ("beta2", beta2)):
            if not 0 <= b < 1:
                raise DomainError(f"{nm} must be in [0, 1), got {b!r}")
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), _positive("eps", eps)
        super().__init__(lr)

    def reset(self):
        """Forget the moment estimates and the step count."""
        self.m = self.v = None
        self.t = 0

    def step(self, problem, theta):
        """θ − lr·m̂/(√v̂ + ε) with the bias-corrected moments: (p,)."""
        g = problem.grad(theta)
        self.t += 1
        if self.m is None:
            self.m, self.v = np.zeros_like(g), np.zeros_like(g)
        self.m = self.beta1 * self.m + (1 - self.beta1) * g
        self.v = self.beta2 * self.v + (1 - self.beta2) * g * g
        mhat = self.m / (1 - self.beta1 ** self.t)
        vhat = self.v / (1 - self.beta2 ** self.t)
        return theta - self.lr * mhat / (np.sqrt(vhat) + self.eps)


class DampedStepper(Stepper):
    """Base of the preconditioned steppers: a learning rate and an explicit Tikhonov ``damping``
    added to the curvature before it is inverted (0 by default: no hidden ridge)."""

    hyper = ("lr", "damping")

    def __init__(self, lr: float = 1.0, damping: float = 0.0):
        self.damping = _positive("damping", damping, allow_zero=True)
        super().__init__(lr)


class Newton(DampedStepper):
    """Damped Newton: θ ← θ − lr·(H + damping·I)⁻¹ g with the exact Hessian of the loss.

    The Hessian need not be positive definite (non-natural parametrizations, non-canonical
    links away from the optimum), so the solve is an LU solve, not Cholesky.
    """

    name = "Newton"

    def step(self, problem, theta):
        """θ − lr·(H + damping·I)⁻¹ g: (p,)."""
        H = problem.hessian(theta)
        if self.damping:
            H = H + self.damping * np.eye(H.shape[0])
        return theta - self.lr * np.linalg.solve(H, problem.grad(theta))


class NaturalGradient(DampedStepper):
    """Natural gradient / Fisher scoring: θ ← θ − lr·(F + damping·I)⁻¹ g with the exact Fisher."""

    name = "NaturalGradient"

    def step(self, problem, theta):
        """θ − lr·(F + damping·I)⁻¹ g: (p,)."""
        return theta - self.lr * _spd_solve(
            problem.fisher(theta), problem.grad(theta), self.damping
        )


class EmpiricalFisher(DampedStepper):
    """θ ← θ − lr·(EF + damping·I)⁻¹ g, EF = mean_i g_i g_iᵀ of the per-sample loss gradients."""

    name = "EmpiricalFisher"

    def step(self, problem, theta):
        """θ − lr·(EF + damping·I)⁻¹ g: (p,)."""
        return theta - self.lr * _spd_solve(problem.empirical_fisher(theta), problem.grad(theta),
                                            self.damping)


class DiagonalFisher(DampedStepper):
    """θ ← θ − lr·g / (diag F + damping): the exact Fisher's diagonal as a preconditioner."""

    name = "DiagonalFisher"

    def step(self, problem, theta):
        """θ − lr·g/(diag F + damping): (p,)."""
        diag = np.diagonal(problem.fisher(theta)) + self.damping
        return theta - self.lr * problem.grad(theta) / diag


class MirrorDescent(Stepper):
    """Mirror descent with the log-partition A as mirror map.

    In natural coordinates η the update is ∇A(η') = ∇A(η) − lr·∇_η L(η): a gradient step on the
    mean parameters μ = ∇A(η), mapped back through (∇A)⁻¹. Its iterates are those of natural
    gradient in the mean parametrization (Raskutti & Mukherjee 2015). Needs a problem with a
    mirror map (``dual``, ``dual_grad``, ``from_dual``): the MLE problems.
    """

    name = "MirrorDescent"

    def step(self, problem, theta):
        """(∇A)⁻¹(∇A(η) − lr·∇_η L(η)): (p,)."""
        mu = problem.dual(theta) - self.lr * problem.dual_grad(theta)
        return problem.from_dual(mu)


STEPPERS = {cls.name: cls for cls in (GD, Momentum, RMSProp, Adam, Newton, NaturalGradient,
                                      EmpiricalFisher, DiagonalFisher, MirrorDescent)}


def register_stepper(cls: type) -> type:
    """Add a stepper class to :data:`STEPPERS` under its ``name`` (usable as a decorator).

    The steppers of other modules (saddle-free Newton, the matrix-free ones, K-FAC and EM in
    :mod:`fisherlab.models`) register themselves where they are defined.

    Raises
    ------
    ValueError
        When another class is already registered under that name.
    """
    if STEPPERS.get(cls.name, cls) is not cls:
        raise ValueError(f"stepper name {cls.name!r} is taken by {STEPPERS[cls.name].__module__}"
                         f".{STEPPERS[cls.name].__qualname__}")
    STEPPERS[cls.name] = cls
    return cls


def make_stepper(name: str, **hyper) -> Stepper:
    """A stepper by name (``"Adam"``, ``"NaturalGradient"``, ``"KFAC"``, ``"EM"``, ...) with
    hyperparameters.

    Raises
    ------
    UnknownStepperError
        For a name not in :data:`STEPPERS`; the message lists the known ones.
    """
    # The steppers of fisherlab.models (K-FAC, EM) register when it is imported: import it
    # here, so that every name is known and listed.
    from .. import models  # noqa: F401

    if name not in STEPPERS:
        raise UnknownStepperError(f"unknown stepper {name!r}; known: {', '.join(STEPPERS)}")
    return STEPPERS[name](**hyper)
