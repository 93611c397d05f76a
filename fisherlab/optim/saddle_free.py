"""Saddle-free Newton (Dauphin et al. 2014, "Identifying and attacking the saddle point problem
in high-dimensional non-convex optimization"): Newton's step with the Hessian's eigenvalues
replaced by their absolute values, so that negative curvature is descended, not climbed.

Importing this module registers the stepper in :data:`fisherlab.optim.STEPPERS` (the package
imports it), so ``make_stepper("SaddleFreeNewton", lr=..., damping=...)`` builds it.
"""

from __future__ import annotations

import numpy as np

from .steppers import DampedStepper, register_stepper


@register_stepper
class SaddleFreeNewton(DampedStepper):
    """θ ← θ − lr·(|H| + damping·I)⁻¹ g, |H| = V |Λ| Vᵀ from the eigendecomposition of the exact
    Hessian H = V Λ Vᵀ (dense: P³ per step)."""

    name = "SaddleFreeNewton"

    def step(self, problem, theta):
        """One step from theta (P,): needs ``problem.hessian`` and ``problem.grad``."""
        lam, V = np.linalg.eigh(np.asarray(problem.hessian(theta)))
        g = problem.grad(theta)
        return theta - self.lr * (V @ ((V.T @ g) / (np.abs(lam) + self.damping)))

