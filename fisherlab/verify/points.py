"""Parameter points for the checks: drawn over each parameter's ``test_range``.

A unit vector u ∈ [0, 1]^p maps to a point entry by entry: log-uniformly when the test range is
positive, negative-log-uniformly when it is negative, uniformly otherwise. The same map serves
the seeded draws of :func:`draw_points` and the hypothesis strategies of the test suite, so
``pytest`` and ``fisherlab verify`` explore the same ranges.

The default points of the checks that average over draws of the family (Monte Carlo) come from
each parameter's ``sample_range`` where the family declares one: the part of the test range
whose draws float64 represents (a Dirichlet draw with α_i = 1e-3 rounds x_i to 0.0 half the
time, so a point of k = 50 concentrations drawn over the whole range is never compared).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import DomainError


def from_unit(params, u, for_samples: bool = False) -> np.ndarray:
    """Map u ∈ [0, 1]^p (..., p) to parameter points (..., p) over the test ranges (over the
    sample ranges, where declared, with ``for_samples``)."""
    u = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    out = np.empty_like(u)
    for i, p in enumerate(params):
        lo, hi = p.sample_range if for_samples and p.sample_range else p.test_range
        if lo > 0:
            out[..., i] = np.exp(math.log(lo) + u[..., i] * (math.log(hi) - math.log(lo)))
        elif hi < 0:
            out[..., i] = -np.exp(math.log(-lo) + u[..., i] * (math.log(-hi) - math.log(-lo)))
        else:
            out[..., i] = lo + u[..., i] * (hi - lo)
        # Rounding of exp/log may step a hair outside the declared range's ends.
        out[..., i] = np.clip(out[..., i], min(lo, hi), max(lo, hi))
    return out


def draw_points(spec, param: str, n: int, rng: np.random.Generator,
                for_samples: bool = False) -> np.ndarray:
    """``n`` points (n, p) of parametrization ``param`` over the test ranges, by rejection
    (over the sample ranges, where declared, with ``for_samples``: for a check that averages
    over draws of the family at each point)."""
    pz = spec.parametrization(param)
    out = []
    for _ in range(1000):
        cand = from_unit(pz.params, rng.random((max(n, 16), len(pz.params))), for_samples)
        out.extend(cand[pz.inside(cand)])
        if len(out) >= n:
            return np.array(out[:n])
    raise DomainError(f"{spec.key} {param}: fewer than {n} points of the test ranges satisfy "
                      f"{pz.constraint.text if pz.constraint else 'the domains'}")
