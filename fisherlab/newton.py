"""Damped Newton's method to round-off, for strictly convex objectives.

One routine behind two exact optima: the maximum-likelihood estimate of a family, where
A(η) − ⟨η, t̄⟩ is minimized in natural parameters (:meth:`fisherlab.Family.mle`), and the optimum
of a GLM (:meth:`fisherlab.optim.GLM.optimum`). It depends on numpy alone, so both can use it
without either reaching into the other's room.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .errors import ConvergenceError

_EPS = float(np.finfo(float).eps)


def damped_newton(x0, objective: Callable[[np.ndarray], float],
                  newton_step: Callable[[np.ndarray], np.ndarray], *,
                  inside: Callable[[np.ndarray], bool] | None = None, max_iter: int = 500,
                  stalled_below: float = 1e-12,
                  what: str = "Newton's method", hint: str = "") -> np.ndarray:
    """Minimize a strictly convex ``objective`` from ``x0`` by Newton steps with step halving.

    Each iteration takes the full step ``newton_step(x)`` (H⁻¹∇f, with whatever solver suits the
    caller's curvature) and halves it until the candidate lies ``inside`` the domain and does not
    increase the objective beyond round-off (f(x') ≤ f(x) + 1e-15|f(x)|). It stops once the
    accepted step, relative to 1 + |x|, is at round-off (≤ 2ε), or has stopped shrinking below
    ``stalled_below``: Newton's quadratic convergence has then reached what float64 can resolve
    (for an ill-conditioned curvature that floor is cond·ε, above ε).

    Parameters
    ----------
    x0 : array, shape (p,)
        Starting point, inside the domain.
    objective : callable ``(p,) -> float``
    newton_step : callable ``(p,) -> (p,)``
        The full Newton step at x; the iterate moves to x − t · step.
    inside : callable ``(p,) -> bool``, optional
        Whether a candidate lies in the domain (everywhere when omitted).
    max_iter : int
    stalled_below : float
        Steps that stop shrinking (three in a row) are taken for convergence below this size;
        one suffices below 1e-12.
    what, hint : str
        How error messages name the search, and what they suggest when it does not converge.

    Returns
    -------
    x : ndarray, shape (p,)

    Raises
    ------
    ConvergenceError
        When halving cannot find an acceptable step (the search stalled), or ``max_iter``
        iterations pass without reaching round-off.
    """
    x = np.asarray(x0, dtype=np.float64)
    f = objective(x)
    last = math.inf
    stalls = 0
    for _ in range(max_iter):
        step = newton_step(x)
        t = 1.0
        while True:
            cand = x - t * step
            if inside is None or inside(cand):
                fc = objective(cand)
                if fc <= f + 1e-15 * abs(f):
                    break
            t /= 2
            if t < 1e-30:
                raise ConvergenceError(f"{what} stalled")
        size = float(np.max(np.abs(t * step) / (1.0 + np.abs(cand))))
        x, f = cand, fc
        # A step that does not shrink has met round-off: at once below 1e-12; between 1e-12 and
        # stalled_below only after three in a row, since near the optimum the line search's
        # halvings (the objective no longer resolves the decrease) also give one-off plateaus.
        stalls = stalls + 1 if size >= last else 0
        if size <= 2 * _EPS or (stalls and size < 1e-12) or (stalls >= 3 and size < stalled_below):
            return x
        last = size
    raise ConvergenceError(f"{what} did not converge in {max_iter} steps{hint}")


__all__ = ["damped_newton"]
