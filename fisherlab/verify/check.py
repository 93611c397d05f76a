"""The check runner, its result type and the tolerances every identity is held to.

Errors are normalized so one tolerance fits every family and every scale:

* a matrix M against the Fisher information F: |ΔM_ij| / sqrt(F_ii F_jj) (scale-free: the same
  number in any units of θ; the diagonal is a relative error);
* a vector v of θ-space (a score): |Δv_i| / max(sqrt(F_ii), |v_i|);
* a scalar: relative, with an absolute floor of 1000 ulp of the largest term its closed form
  adds up (what its own rounding can reach);
* a Monte Carlo estimate: in units of its own standard error, passing at 6.

Two rules keep float64 itself from deciding a check:

* where a float *oracle computed from the declaration* (autograd, the float pullback
  Jᵀ F_φ J, the mapped natural gradient) disagrees with a kernel, the oracle is recomputed in
  40 digits from the same declaration (:mod:`fisherlab.verify.oracles.mp`) and the kernel must
  agree with that; the explanation counts such comparisons. The kernel is never given the
  benefit of the doubt: if it is the inaccurate side, the check fails. scipy.stats is never
  overruled by the declaration; where it is known to be wrong, a named defect switches that
  quantity to a textbook formula (:data:`fisherlab.verify.external.SCIPY_DEFECTS`);
* a point whose draws float64 cannot represent inside the support (a beta with α = 1e-3 puts
  half its mass below 1e-308) is not used by sample-based checks whose result would be biased
  by dropping draws; it is reported, and the check is "not applicable" only when no point is
  left. Identities that hold for any sample (the MLE identity) or compare pointwise use the
  representable draws.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import FisherlabError
from .oracles.quadrature import NotApplicable
from .points import draw_points

EPS = np.finfo(np.float64).eps


#: Tolerances. The issue fixes quadrature at 1e-8, the MLE and autograd identities at 1e-10 and
#: scipy.stats at 1e-12; the others are exact identities held to the autograd level.
TOL_QUADRATURE = 1e-8
TOL_EXACT = 1e-10
TOL_SCIPY = 1e-12
SIGMAS = 6.0
#: Local KL: the relative error of ½δᵀFδ must shrink at least like t (fitted slope ≥ 1 − 0.1);
#: the cubic remainder like |δ|⁴ (slope ≥ 4 − 0.4).
TOL_SLOPE_KL = 0.1
TOL_SLOPE_CUBIC = 0.4

#: The quantities every family must have an applicable independent check for.
QUANTITIES = ("fisher", "kl", "entropy", "mean", "score", "log_density")

#: The kinds of check. An *independent* check compares a kernel with an oracle computed without
#: the derivation the kernels come from (quadrature or summation over x, Monte Carlo, autograd
#: of the declaration, scipy.stats, mpmath); a *consistency* check compares two kernels printed
#: from the same derivation (a transformation law, an expansion), which a consistently wrong
#: declaration passes.
INDEPENDENT, CONSISTENCY = "independent", "consistency"

#: identity -> (category, the quantities of :data:`QUANTITIES` it checks independently).
ROLES = {
    "fisher_quadrature": (INDEPENDENT, ("fisher",)),
    "fisher_monte_carlo": (INDEPENDENT, ("fisher", "mean")),
    "moments_quadrature": (INDEPENDENT, ("mean", "entropy", "log_density")),
    "mle_information": (INDEPENDENT, ("fisher",)),
    "roundtrip": (CONSISTENCY, ()),
    "pullback": (CONSISTENCY, ()),
    "kl_invariance": (CONSISTENCY, ()),
    "natural_gradient_map": (CONSISTENCY, ()),
    "local_kl": (CONSISTENCY, ()),
    "local_kl_cubic": (CONSISTENCY, ()),
    "kl_refinement": (INDEPENDENT, ("kl",)),
    "bregman_kl": (INDEPENDENT, ("kl",)),
    "scipy": (INDEPENDENT, ("log_density", "entropy", "mean")),
    "autograd": (INDEPENDENT, ("score", "fisher", "log_density", "mean")),
}


@dataclass
class CheckResult:
    """The outcome of one identity on one parametrization of one family.

    Attributes
    ----------
    name : str
        The identity (a key of :data:`IDENTITIES`).
    passed : bool
        True only when the identity applied and held (``status == "pass"``); False when it
        failed or did not apply.
    worst_error : float
        The largest normalized error over the points tried (see the module docstring).
    tolerance : float
        The bound ``worst_error`` must not exceed.
    n_points : int
        Parameter points tried.
    explanation : str
        One line: what was compared, and where the worst error occurred.
    family, parametrization : str
    applicable : bool
        False when the identity's route does not exist for this family (e.g. quadrature over
        a continuous vector support; scipy.stats without the distribution, or no point
        compared). Its status is ``"n/a"``: it neither passes nor fails, and says why.
    seconds : float
        Wall time.
    category : str
        ``"independent"`` (kernel vs an oracle outside the derivation) or ``"consistency"``
        (two kernels of one derivation); see :data:`ROLES`.
    quantities : tuple of str
        The quantities of :data:`QUANTITIES` this check covers independently when it applies.
    """

    name: str
    passed: bool
    worst_error: float
    tolerance: float
    n_points: int
    explanation: str
    family: str = ""
    parametrization: str = ""
    applicable: bool = True
    seconds: float = 0.0
    category: str = ""
    quantities: tuple = ()

    def __post_init__(self):
        if not self.category and self.name in ROLES:
            self.category, self.quantities = ROLES[self.name]
        if not self.applicable:
            self.passed = False

    def __bool__(self) -> bool:
        return bool(self.passed)

    @property
    def failed(self) -> bool:
        """True when the identity applied and did not hold."""
        return self.applicable and not self.passed

    @property
    def status(self) -> str:
        """``"pass"``, ``"FAIL"`` or ``"n/a"`` (not applicable: never counted as a pass)."""
        return "n/a" if not self.applicable else ("pass" if self.passed else "FAIL")

    def to_dict(self) -> dict:
        """The result as a JSON-ready dict (non-finite errors as strings)."""
        d = asdict(self)
        d["quantities"] = list(self.quantities)
        d["worst_error"] = _json_float(self.worst_error)
        d["status"] = self.status
        return d


def _json_float(v):
    v = float(v)
    return v if math.isfinite(v) else repr(v)


# ----------------------------------------------------------------------------------------------
# Plumbing shared by every check


@dataclass
class _Ctx:
    fam: object
    param: str
    points: np.ndarray
    rng: np.random.Generator
    seed: int
    worst: float = 0.0
    where: str = ""
    notes: list = field(default_factory=list)

    mp_used: int = 0

    def note_mp(self):
        if self.mp_used:
            self.notes.append(f"{self.mp_used} comparison(s) where the float oracle cancels were "
                              "adjudicated by the 40-digit oracle")
            self.mp_used = 0

    def record(self, err, where: str):
        err = float(err)
        if not (err <= self.worst) and not (math.isnan(self.worst)):
            self.worst = err if not math.isnan(err) else math.inf
            self.where = where

    @property
    def k(self):
        return self.fam.kernels(self.param)

    @property
    def spec(self):
        return self.fam.spec


def _fmt(theta) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in np.atleast_1d(theta)) + ")"


def _run(name, tol, default_n, family, param, points, seed, n_points, body, what: str,
         for_samples: bool = False):
    from .. import as_family

    fam = as_family(family)
    fam.spec.parametrization(param)  # unknown names fail loudly, not as a failed check
    t0 = time.perf_counter()
    rng = np.random.default_rng([seed, _stable_hash(fam.spec.key), _stable_hash(param),
                                 _stable_hash(name)])
    if points is None:
        points = draw_points(fam.spec, param, n_points or default_n, rng, for_samples)
    points = np.atleast_2d(np.asarray(points, dtype=np.float64))
    ctx = _Ctx(fam, param, points, rng, seed)
    base = dict(name=name, tolerance=tol, n_points=len(points), family=fam.spec.key,
                parametrization=param)
    try:
        body(ctx)
    except NotApplicable as exc:
        return CheckResult(passed=False, worst_error=0.0, explanation=f"not applicable: {exc}",
                           applicable=False, seconds=time.perf_counter() - t0, **base)
    except (FisherlabError, np.linalg.LinAlgError, FloatingPointError) as exc:
        return CheckResult(passed=False, worst_error=math.inf,
                           explanation=f"{what}: raised {type(exc).__name__}: {exc}",
                           seconds=time.perf_counter() - t0, **base)
    ctx.note_mp()
    passed = bool(ctx.worst <= tol)
    extra = ("; " + "; ".join(ctx.notes)) if ctx.notes else ""
    expl = f"{what}; worst {ctx.worst:.3g} (tolerance {tol:g}) {ctx.where}".rstrip() + extra
    return CheckResult(passed=passed, worst_error=ctx.worst, explanation=expl,
                       seconds=time.perf_counter() - t0, **base)


def _stable_hash(s: str) -> int:
    h = 0
    for ch in s.encode():
        h = (h * 131 + ch) % (2**31 - 1)
    return h


def _fisher_scale(F):
    d = np.sqrt(np.abs(np.diagonal(F, axis1=-2, axis2=-1)))
    return d[..., :, None] * d[..., None, :]


def _matrix_err(M, ref, F):
    """max |M − ref| / sqrt(F_ii F_jj); NaN counts as infinite."""
    e = np.abs(np.asarray(M) - np.asarray(ref)) / _fisher_scale(F)
    e = np.where(np.isnan(e), np.inf, e)
    return float(np.max(e)) if e.size else 0.0


def _nanmax(e):
    e = np.asarray(e, dtype=np.float64)
    e = np.where(np.isnan(e), np.inf, e)
    return float(np.max(e)) if e.size else 0.0


def _kl_terms(k, t1, t2):
    """The magnitude of the terms the Bregman KL adds up: |A(η2)| + |A(η1)| + |⟨μ1, η2 − η1⟩|."""
    A1, A2 = k.log_partition(t1), k.log_partition(t2)
    mu1 = k.mean(t1)
    d = k.to_natural(t2) - k.to_natural(t1)
    return np.abs(A1) + np.abs(A2) + np.sum(np.abs(mu1 * d), axis=-1)
