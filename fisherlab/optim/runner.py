"""The runner: iterate a stepper on a problem, record the trace, stop on a rule.

Stops on tolerance (gradient norm ≤ ``gtol``, or loss − ``target_loss`` ≤ ``ftol``), on the
iteration cap, or on divergence. Divergence is reported in the result's ``status``, never raised:

    "converged"    a tolerance was met
    "max_iter"     the iteration cap was reached
    "diverged"     the loss became non-finite or exceeded ``divergence`` × its starting value
    "left_domain"  a step left the parameter domain (``contains`` is false at the iterate, or
                   the stepper, the loss or its gradient raised DomainError there)
    "singular"     a curvature matrix could not be factorized (LinAlgError)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import DomainError, ShapeError


@dataclass
class RunResult:
    """The trace of one run.

    Attributes
    ----------
    theta : ndarray, shape (p,)
        The last valid iterate.
    loss, grad_norm, kl, time : list of float
        One entry per evaluated iterate (index 0 is the start); ``time`` is wall time in seconds
        since the start, excluding the KL bookkeeping; ``kl`` is empty when not recorded.
    iterations : int
        Steps taken.
    status : str
        See the module docstring.
    message : str
        Why the run stopped, in words.
    path : list of ndarray
        The iterates (only with ``keep_path=True``).
    """

    stepper: str
    problem: str
    theta: np.ndarray
    loss: list = field(default_factory=list)
    grad_norm: list = field(default_factory=list)
    kl: list = field(default_factory=list)
    time: list = field(default_factory=list)
    iterations: int = 0
    status: str = "max_iter"
    message: str = ""
    path: list = field(default_factory=list)
    config: dict = field(default_factory=dict)

    @property
    def converged(self) -> bool:
        """Whether the run stopped at the gradient tolerance."""
        return self.status == "converged"

    @property
    def diverged(self) -> bool:
        """Whether the run stopped on a non-finite loss, outside the domain, or on a singular
        solve."""
        return self.status in ("diverged", "left_domain", "singular")

    def to_dict(self) -> dict:
        """The run as a JSON-ready dict (θ as a list)."""
        return {"stepper": self.stepper, "problem": self.problem, "config": self.config,
                "status": self.status, "message": self.message, "iterations": self.iterations,
                "theta": self.theta.tolist(), "loss": self.loss, "grad_norm": self.grad_norm,
                "kl": self.kl, "time": self.time}


def run(problem, stepper, theta0, *, max_iter: int = 1000, gtol: float | None = None,
        ftol: float | None = None, target_loss: float | None = None, record_kl: bool = True,
        divergence: float = 100.0, keep_path: bool = False, callback=None) -> RunResult:
    """Run ``stepper`` on ``problem`` from ``theta0``.

    Parameters
    ----------
    problem : Problem
    stepper : Stepper
        Reset before the run.
    theta0 : array, shape (p,)
    max_iter : int
        Iteration cap.
    gtol : float, optional
        Stop when the gradient's Euclidean norm is ≤ gtol.
    ftol : float, optional
        Stop when loss − target_loss ≤ ftol (needs ``target_loss``).
    target_loss : float, optional
        The optimal loss, for ``ftol``.
    record_kl : bool
        Record KL(p_target ‖ p_θ) at each iterate (problems that define it).
    divergence : float
        A loss above L₀ + (divergence − 1)·|L₀| (``divergence`` × L₀ for a positive starting
        loss L₀), or a non-finite one, counts as divergence.
    keep_path : bool
        Keep every iterate in ``result.path``.
    callback : callable, optional
        ``callback(iteration, theta, loss)`` after each evaluation.

    Returns
    -------
    RunResult
    """
    if ftol is not None and target_loss is None:
        raise ShapeError("ftol needs target_loss (the optimal loss)")
    theta = np.array(theta0, dtype=np.float64)
    stepper.reset()
    res = RunResult(stepper=stepper.name, problem=getattr(problem, "name", "problem"),
                    theta=theta.copy(), config=stepper.config())
    if not problem.contains(theta):
        raise DomainError(
            f"{res.problem}: the starting point {theta.tolist()} is outside the domain"
        )
    clock = 0.0
    start_loss = None
    it = 0
    while True:
        t0 = time.perf_counter()
        try:
            loss = problem.loss(theta)
            gnorm = float(np.linalg.norm(problem.grad(theta)))
        except DomainError as exc:
            if it == 0:
                raise  # the starting point: the caller's error, like a start outside contains
            # ``contains`` may be coarser than the loss's own checks (a joint constraint): the
            # step left the domain, a reported outcome as when the stepper raises
            res.iterations = it
            res.status, res.message = "left_domain", f"iteration {it}: {exc}"
            break
        clock += time.perf_counter() - t0
        if start_loss is None:
            start_loss = loss
        # "100x the start", measured from the start so a negative starting loss works too
        if not np.isfinite(loss) or not np.isfinite(gnorm) or (
                loss > start_loss + (divergence - 1.0) * abs(start_loss)):
            res.iterations = it
            res.status = "diverged"
            res.message = f"loss {loss!r} at iteration {it} (start {start_loss!r})"
            break
        res.loss.append(loss)
        res.grad_norm.append(gnorm)
        res.time.append(clock)
        res.theta = theta.copy()
        res.iterations = it
        if keep_path:
            res.path.append(theta.copy())
        if record_kl:
            res.kl.append(problem.kl(theta))
        if callback is not None:
            callback(it, theta, loss)
        if gtol is not None and gnorm <= gtol:
            res.status, res.message = "converged", f"gradient norm {gnorm:.3g} <= {gtol:g}"
            break
        if ftol is not None and loss - target_loss <= ftol:
            res.status, res.message = (
                "converged",
                f"loss - optimum {loss - target_loss:.3g} <= {ftol:g}",
            )
            break
        if it >= max_iter:
            res.status, res.message = "max_iter", f"{max_iter} iterations"
            break
        t0 = time.perf_counter()
        try:
            new = stepper.step(problem, theta)
        except DomainError as exc:  # a reported outcome of the run, not a crash
            res.status, res.message = "left_domain", str(exc)
            break
        except np.linalg.LinAlgError as exc:
            res.status, res.message = "singular", f"iteration {it}: {exc}"
            break
        clock += time.perf_counter() - t0
        it += 1
        if not np.all(np.isfinite(new)):
            res.status, res.message = "diverged", f"non-finite iterate at iteration {it}"
            break
        if not problem.contains(new):
            res.status, res.message = (
                "left_domain",
                f"iterate {new.tolist()} left the domain at iteration {it}",
            )
            break
        theta = new
    return res
