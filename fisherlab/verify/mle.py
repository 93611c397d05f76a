"""The MLE identity: at the MLE of any sample the observed information equals F(θ̂)."""

from __future__ import annotations

from ..errors import NoMLEError
from .check import TOL_EXACT, CheckResult, _fmt, _matrix_err, _run
from .oracles.quadrature import NotApplicable
from .samples import _note_unrepresentable, _representable_sample


def mle_information(family, param, points=None, seed=0, n_points=None, n: int = 50) -> CheckResult:
    """At the MLE θ̂ of a sample of n = 50, −(1/n)Σ∇² log p(x_i; θ̂) = F(θ̂); in natural
    parameters the observed Hessian does not depend on x at all. Tolerance 1e-10.

    A sample without an MLE is redrawn (up to 20 times), then the sample size doubled (up to
    16384); a point where even that finds no MLE is reported and not compared (n/a when no
    point is left). The explanation says so. Draws that float64 cannot represent inside the support (a gamma draw
    with shape 1e-2 below 1e-308 rounds to 0.0, a beta draw near 1 rounds to 1.0) are dropped
    and replaced by further draws: the identity holds for *every* sample, so which sample is
    used does not matter, and dropping draws is no selection bias here (it would be for
    Monte Carlo, which does not do it).
    """
    def body(ctx):
        k = ctx.k
        grown = 0
        redrawn = 0
        unrepresentable = []
        no_mle = []
        for th in ctx.points:
            size = n
            for attempt in range(60):
                x, dropped = _representable_sample(ctx, th, size)
                redrawn += dropped
                if x is None:
                    break
                try:
                    that = ctx.fam.mle(x, ctx.param)
                    break
                except NoMLEError:
                    if attempt >= 20 and size < 1 << 14:
                        size *= 2
                        grown = max(grown, size)
            else:
                # No sample of up to 16384 draws had an MLE (Bernoulli at η = −30 needs ~1e13
                # draws to see a success): the identity cannot be exercised at this point.
                no_mle.append(_fmt(th))
                continue
            if x is None:
                unrepresentable.append(_fmt(th))
                continue
            obs = -k.hessian(x, that).mean(axis=0)
            F = k.fisher(that)
            ctx.record(_matrix_err(obs, F, F), f"at θ̂={_fmt(that)}")
            if ctx.param == "natural":
                H = k.hessian(x, th)
                Fth = k.fisher(th)
                ctx.record(_matrix_err(H, -Fth[None], Fth), f"∇² log p varies with x at η={_fmt(th)}")
        if grown:
            ctx.notes.append(f"samples of n = {n} had no MLE at some points; grew n to {grown}")
        _note_unrepresentable(ctx, unrepresentable, "not even 1 draw in 1000 is representable")
        if no_mle:
            msg = (f"{len(no_mle)} point(s) not compared: no sample of up to {1 << 14} draws had "
                   f"an MLE there: {', '.join(no_mle[:3])}")
            if len(no_mle) + len(unrepresentable) == len(ctx.points):
                raise NotApplicable(msg)
            ctx.notes.append(msg)
        if redrawn:
            ctx.notes.append(f"{redrawn} draw(s) not representable in float64 inside the "
                             "support were replaced")

    return _run("mle_information", TOL_EXACT, 3, family, param, points, seed, n_points, body,
                "observed information at the MLE vs F(θ̂)"
                + ("; natural-parameter Hessian independent of x"))
