"""Damped Newton's method to round-off, for strictly convex objectives.

One routine behind every exact optimum in the library: the maximum-likelihood estimate of a
family, where A(η) − ⟨η, t̄⟩ is minimized in natural parameters (:meth:`fisherlab.Family.mle`),
the fit of a model (:func:`fisherlab.models.fit.minimize_newton`, with a Fisher-scoring fallback
where the Hessian is not positive definite) and the optimum of ``fisherlab.optim``'s GLM. It
depends on numpy alone, so all of them can use it without reaching into each other's rooms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .errors import ConvergenceError

_EPS = float(np.finfo(float).eps)


class NewtonResult(NamedTuple):
    """What :func:`damped_newton` returns with ``full_output=True``."""

    x: np.ndarray
    iterations: int
    fallback_steps: int


def damped_newton(x0, objective: Callable[[np.ndarray], float],
                  newton_step: Callable[[np.ndarray], np.ndarray], *,
                  inside: Callable[[np.ndarray], bool] | None = None, max_iter: int = 500,
                  stalled_below: float = 1e-12,
                  fallback_step: Callable[[np.ndarray], np.ndarray] | None = None,
                  judge_full_step: bool = False, full_output: bool = False,
                  what: str = "Newton's method", hint: str = ""):
    """Minimize a strictly convex ``objective`` from ``x0`` by Newton steps with step halving.

    Each iteration takes the full step ``newton_step(x)`` (H⁻¹∇f, with whatever solver suits the
    caller's curvature) and halves it until the candidate lies ``inside`` the domain and does not
    increase the objective beyond round-off (f(x') ≤ f(x) + 1e-15|f(x)|). It stops once the
    step, relative to 1 + |x|, is at round-off (≤ 2ε), or has stopped shrinking below
    ``stalled_below``: Newton's quadratic convergence has then reached what float64 can resolve
    (for an ill-conditioned curvature that floor is cond·ε, above ε).

    Parameters
    ----------
    x0 : array, shape (p,)
        Starting point, inside the domain.
    objective : callable ``(p,) -> float``
    newton_step : callable ``(p,) -> (p,)``
        The full Newton step at x; the iterate moves to x − t · step. It may raise
        ``numpy.linalg.LinAlgError`` (a curvature that is not positive definite) when
        ``fallback_step`` is given.
    inside : callable ``(p,) -> bool``, optional
        Whether a candidate lies in the domain (everywhere when omitted).
    max_iter : int
    stalled_below : float
        Steps that stop shrinking (three in a row) are taken for convergence below this size;
        one suffices below 1e-12.
    fallback_step : callable ``(p,) -> (p,)``, optional
        The step taken where ``newton_step`` raises LinAlgError (e.g. a Fisher-scoring step
        where the Hessian is indefinite). Without it the LinAlgError propagates.
    judge_full_step : bool
        Measure convergence on the full step rather than on the accepted (halved) one, so a
        step the domain cuts short (fitted probabilities rounding to 0 or 1 on separable data)
        is not mistaken for convergence; a full step already at round-off returns x unmoved,
        and a line search that finds no decrease returns x when the full step is below
        ``stalled_below`` (no representable step lowers the objective) instead of raising.
    full_output : bool
        Return a :class:`NewtonResult` (x, iterations, fallback steps) instead of x.
    what, hint : str
        How error messages name the search, and what they suggest when it does not converge.

    Returns
    -------
    x : ndarray, shape (p,), or NewtonResult

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
    fallbacks = 0

    def done(x, it):
        return NewtonResult(x, it, fallbacks) if full_output else x

    for it in range(1, max_iter + 1):
        if fallback_step is None:
            step = newton_step(x)
        else:
            try:
                step = newton_step(x)
            except np.linalg.LinAlgError:
                step = fallback_step(x)
                fallbacks += 1
        if judge_full_step:
            size = float(np.max(np.abs(step) / (1.0 + np.abs(x))))
            if size <= 2 * _EPS:
                return done(x, it)
        t = 1.0
        while True:
            cand = x - t * step
            if inside is None or inside(cand):
                fc = objective(cand)
                if fc <= f + 1e-15 * abs(f):
                    break
            t /= 2
            if t < 1e-30:
                if judge_full_step and size < stalled_below:
                    return done(x, it)
                raise ConvergenceError(f"{what} stalled after {it} iterations: no step along "
                                       f"the Newton direction decreases the objective inside "
                                       f"the domain{hint}")
        if not judge_full_step:
            size = float(np.max(np.abs(t * step) / (1.0 + np.abs(cand))))
        x, f = cand, fc
        # A step that does not shrink has met round-off: at once below 1e-12; between 1e-12 and
        # stalled_below only after three in a row, since near the optimum the line search's
        # halvings (the objective no longer resolves the decrease) also give one-off plateaus.
        # "Does not shrink" is "does not even halve": Newton's own steps shrink far faster, and
        # at the round-off floor the iterate may cycle between two points whose steps differ in
        # the last bit, one of them "smaller" every other time (von Mises MLE at κ ≈ 9800).
        stalls = stalls + 1 if size >= 0.5 * last else 0
        if size <= 2 * _EPS or (stalls and size < 1e-12) or (stalls >= 3 and size < stalled_below):
            return done(x, it)
        last = size
    raise ConvergenceError(f"{what} did not converge in {max_iter} steps{hint}")


__all__ = ["NewtonResult", "damped_newton"]
