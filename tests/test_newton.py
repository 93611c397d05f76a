"""The shared damped Newton method, and the public entry points built on it: the inverse of a
family's mean map and the domain mask of a parametrization."""

import numpy as np
import pytest

import fisherlab as fl
from fisherlab.errors import ConvergenceError
from fisherlab.newton import damped_newton


def _log_sum_exp_problem():
    """f(x) = log(exp(x) + exp(-x)) - b x: strictly convex, minimized at x* = atanh(b)."""
    b = 0.3

    def f(x):
        return float(np.logaddexp(x[0], -x[0]) - b * x[0])

    def step(x):
        s = np.tanh(x[0])  # f' = tanh(x) − b, f'' = 1 − tanh²(x)
        return np.array([(s - b) / (1 - s * s)])

    return f, step, np.arctanh(b)


def test_reaches_the_minimizer_to_round_off():
    f, step, x_star = _log_sum_exp_problem()
    x = damped_newton(np.array([3.0]), f, step)
    assert abs(x[0] - x_star) <= 4 * np.finfo(float).eps * (1 + abs(x_star))


def test_halves_steps_that_leave_the_domain():
    f, step, x_star = _log_sum_exp_problem()
    seen = []

    def inside(x):
        seen.append(x[0])
        return bool(x[0] > -0.5)  # from 3.0 the full first step lands far below x* ≈ 0.31

    x = damped_newton(np.array([3.0]), f, step, inside=inside)
    assert abs(x[0] - x_star) <= 1e-15
    assert any(v <= -0.5 for v in seen)  # the domain check was exercised


def test_fails_loudly():
    f, step, _ = _log_sum_exp_problem()
    with pytest.raises(ConvergenceError, match="my search did not converge in 1 steps, try"):
        damped_newton(np.array([3.0]), f, step, max_iter=1, what="my search", hint=", try")
    with pytest.raises(ConvergenceError, match="my search stalled"):
        damped_newton(np.array([3.0]), f, step, inside=lambda x: False, what="my search")


def test_fallback_step_where_the_newton_step_fails():
    f, step, x_star = _log_sum_exp_problem()

    def newton(x):
        if x[0] > 1.0:  # as a Cholesky factorization of an indefinite curvature would
            raise np.linalg.LinAlgError("not positive definite")
        return step(x)

    res = damped_newton(np.array([3.0]), f, newton, fallback_step=lambda x: np.tanh(x) - 0.3,
                        full_output=True)
    assert abs(res.x[0] - x_star) <= 4 * np.finfo(float).eps
    assert res.fallback_steps >= 1 and res.iterations > res.fallback_steps
    with pytest.raises(np.linalg.LinAlgError):
        damped_newton(np.array([3.0]), f, newton)


def test_a_step_the_domain_cuts_short_is_not_convergence_when_judged_on_the_full_step():
    f, step, x_star = _log_sum_exp_problem()

    def inside(x):
        return bool(x[0] > 1.0)  # the minimizer x* ≈ 0.31 lies outside

    # judged on the accepted step, the steps halved at the boundary shrink to round-off and
    # pass for convergence at a point that is not a minimizer
    x = damped_newton(np.array([3.0]), f, step, inside=inside)
    assert 1.0 < x[0] < 1.0 + 1e-6 and abs(x[0] - x_star) > 0.5
    # judged on the full step (still ~x − x*) it never passes for convergence: it fails loudly
    with pytest.raises(ConvergenceError):
        damped_newton(np.array([3.0]), f, step, inside=inside, judge_full_step=True)


@pytest.mark.parametrize("name, dims", [("gamma", {}), ("beta", {}), ("von_mises", {}),
                                        ("dirichlet", {"k": 3}), ("bernoulli", {})])
def test_natural_from_mean_inverts_the_mean_map(name, dims):
    """Closed form (bernoulli) or Newton (the others): ∇A of the result is μ again."""
    fam = fl.family(name, **dims)
    k = fam.kernels("natural")
    sampler_param = fam.spec.sampler[0]
    theta = fam.convert(_centre(fam), "natural", sampler_param)
    if not fam.kernels(sampler_param).in_domain(theta):
        # the von Mises' η = 0 is κ = 0: the midpoint of the ranges instead
        theta = fam.convert(_centre(fam, zero=False), "natural", sampler_param)
    x = fam.sample(theta, sampler_param, size=200, seed=1)
    mu = fam.statistics(x).mean(axis=0)
    eta = fam.natural_from_mean(mu)
    assert eta.shape == (len(mu),)
    np.testing.assert_allclose(k.mean(eta), mu, rtol=1e-12, atol=1e-14)


def _centre(fam, zero=True):
    """The centre of each natural parameter's test range (inside every catalog domain)."""
    out = []
    for p in fam.spec.natural:
        lo, hi = p.test_range
        # 0 where the range straddles it: the midpoint of an asymmetric range (the Bernoulli's
        # η ∈ [−30, 6]) can make p so small that a sample of 200 has no success (no MLE).
        mid = 0.0 if zero else (lo + hi) / 2
        out.append(np.sqrt(lo * hi) if lo > 0 else -np.sqrt(lo * hi) if hi < 0 else mid)
    return np.array(out)


def test_in_domain_masks_domain_and_constraint():
    k = fl.kernels("gamma", "shape_rate")
    theta = np.array([[2.0, 3.0], [-1.0, 3.0], [np.nan, 1.0], [2.0, np.inf]])
    assert k.in_domain(theta).tolist() == [True, False, False, False]
    probs = fl.kernels("categorical", "probs", k=3)
    assert probs.in_domain(np.array([[0.2, 0.3], [0.6, 0.4], [0.5, 0.49]])).tolist() == [
        True, False, True]


def test_builtin_flag():
    assert fl.family("gamma").builtin
    assert not fl.Family(fl.family("gamma").spec).builtin


def test_a_two_cycle_at_the_round_off_floor_is_convergence():
    """At the floor the iterate can cycle between two points whose steps differ in the last bit,
    so that every other step is "smaller" than the one before: the steps no longer halve, and
    that is round-off, not progress (the von Mises MLE at κ ≈ 9800 cycled so for 500 steps)."""
    calls = []

    def step(x):
        calls.append(x[0])
        return np.array([4e-12 if len(calls) % 2 else -4e-12])

    x = damped_newton(np.array([1.0]), lambda x: 0.0, step, max_iter=50, stalled_below=1e-8)
    assert abs(x[0] - 1.0) <= 4e-12 and len(calls) < 10
