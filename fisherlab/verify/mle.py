"""The MLE identity: at the MLE of any sample the observed information equals F(θ̂)."""

from __future__ import annotations

import numpy as np

from ..errors import NoMLEError
from .check import EPS, TOL_EXACT, CheckResult, _fmt, _matrix_err, _nanmax, _run
from .oracles import mp
from .oracles.quadrature import NotApplicable
from .samples import _note_unrepresentable, _representable_sample


def mle_information(family, param, points=None, seed=0, n_points=None, n: int = 50) -> CheckResult:
    """At the MLE θ̂ of a sample of n = 50, −(1/n)Σ∇² log p(x_i; θ̂) = F(θ̂); in natural
    parameters the observed Hessian does not depend on x at all. Tolerance 1e-10.

    The kernels' observed information and F(θ̂) share a derivation (in natural parameters
    both are ∇²A), so the same identity is also checked against autograd of the declaration
    (:mod:`fisherlab.verify.oracles.autograd`): its observed information −(1/n)Σ∇² log p at θ̂
    must equal the kernels' F(θ̂), and its mean score at θ̂ must vanish (in units of √F_ii), which
    tests that the kernels' ∇A solved the likelihood equation. Where autograd's float evaluation
    cancels, the same derivatives in 40 digits decide (counted in the explanation).

    A sample without an MLE is redrawn (up to 20 times), then the sample size doubled (up to
    16384); a point where even that finds no MLE is reported and not compared (n/a when no
    point is left). The explanation says so. Draws that float64 cannot represent inside the
    support (a gamma draw with shape 1e-2 below 1e-308 rounds to 0.0, a beta draw near 1 rounds
    to 1.0) are dropped
    and replaced by further draws: the identity holds for *every* sample, so which sample is
    used does not matter, and dropping draws is no selection bias here (it would be for
    Monte Carlo, which does not do it).
    """
    def body(ctx):
        from .oracles.autograd import oracle

        ag = oracle(ctx.spec, ctx.param)
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
            # The independent side: autograd of the declaration's log density, not the kernels.
            # Its mean score vanishes at the MLE the kernels found (so their ∇A solved the
            # likelihood equation), and its observed information equals their F(θ̂).
            tb = np.broadcast_to(that, (len(x), len(that))).copy()
            sd = np.sqrt(np.abs(np.diagonal(F)))

            def score_err(s):
                # The mean of n scores rounds to ~ε·max|s_i|: a floor of 1000 ulp of that.
                floor = 1000 * EPS * np.max(np.abs(s), axis=0) / TOL_EXACT
                return _nanmax(np.abs(s.mean(axis=0)) / np.maximum(sd, floor))

            err = score_err(ag.score(x, tb))
            where = f"autograd mean score at θ̂={_fmt(that)}"
            if not err <= TOL_EXACT:
                err = score_err(mp.mp_oracle(ctx.spec, ctx.param).score(x, that))
                where += " (40-digit oracle)"
                ctx.mp_used += 1
            ctx.record(err, where)
            obs_ag = -ag.hessian(x, tb).mean(axis=0)
            err = _matrix_err(obs_ag, F, F)
            where = f"autograd observed information at θ̂={_fmt(that)}"
            if not err <= TOL_EXACT:
                # autograd's float log density may cancel (⟨η, T⟩ ≈ 1e12 against A ≈ 5e11):
                # the same derivatives of the same declaration in 40 digits decide.
                obs_ag = -mp.mp_oracle(ctx.spec, ctx.param).hessian(x, that).mean(axis=0)
                err = _matrix_err(obs_ag, F, F)
                where += " (40-digit oracle)"
                ctx.mp_used += 1
            ctx.record(err, where)
            if ctx.param == "natural":
                H = k.hessian(x, th)
                Fth = k.fisher(th)
                ctx.record(_matrix_err(H, -Fth[None], Fth),
                           f"∇² log p varies with x at η={_fmt(th)}")
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
