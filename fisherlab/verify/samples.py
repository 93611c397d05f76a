"""Draws and statistics for the sample-based checks: representable draws, skipped points."""

from __future__ import annotations

import numpy as np

from .oracles.quadrature import NotApplicable


def _sample(ctx, theta, n, seed_offset=0):
    spec = ctx.spec
    if spec.sampler is None:
        raise NotApplicable(f"{spec.key} declares no sampler")
    return ctx.fam.sample(theta, ctx.param, size=n, seed=ctx.rng.integers(2**63) + seed_offset)


def _unrepresentable(ctx, x) -> bool:
    """Whether a sample holds draws float64 cannot represent inside the support."""
    return bool(np.any(ctx.spec.support.violations(np.asarray(x, dtype=np.float64))))


def _note_unrepresentable(ctx, points, why="Monte Carlo means of the rest would be biased"):
    """Report points skipped because their samples leave float64; n/a when none was compared."""
    if not points:
        return
    msg = (f"{len(points)} point(s) not compared: their draws leave float64 inside the support "
           f"({why}): {', '.join(points[:3])}")
    if len(points) == len(ctx.points):
        raise NotApplicable(msg)
    ctx.notes.append(msg)


def _representable_sample(ctx, theta, n):
    """n draws at θ, keeping only those float64 represents inside the support.

    Returns the sample (None when fewer than 1 in 1000 draws are representable) and how many
    draws were dropped. Only for identities that hold for any sample (the MLE identity) or
    compare pointwise (autograd, scipy log density).
    """
    kept, dropped = [], 0
    want = n
    for _ in range(40):
        x = np.asarray(_sample(ctx, theta, want), dtype=np.float64)
        bad = ctx.spec.support.violations(x)
        dropped += int(np.count_nonzero(bad))
        kept.append(x[~bad])
        have = sum(len(k) for k in kept)
        if have >= n:
            return np.concatenate(kept)[:n], dropped
        want = min(4 * want, 1000 * n)
    return None, dropped


def _statistics(fam, x):
    """T(x) without the support check (quadrature nodes may sit on the edge of float64)."""
    ns = fam.kernel_namespace()
    arr = np.asarray(x, dtype=np.float64)
    cols = [arr[..., i] for i in range(arr.shape[-1])] if fam.spec.support.size else [arr]
    out = ns["statistics"](*cols)
    return np.broadcast_to(out, arr.shape[: arr.ndim - (1 if fam.spec.support.size else 0)]
                           + out.shape[-1:])
