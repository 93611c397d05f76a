"""Every compiled kernel against the same sympy expression evaluated by mpmath at 50 digits.

For every shipped family module (the catalog defaults and the shipped non-default dimensions:
categorical k = 2, 4, 5, 10, dirichlet k = 2, 5, binomial n = 5, multinomial k = 4) ×
parametrization, at seeded interior points across each parameter's documented ``test_range``
and at the corners of the ranges (see ``conftest.py``): fisher, hessian, kl, entropy,
log_partition, mean, score and log_density agree with the exact expression to a relative 1e-12
(normwise for vectors and matrices; the log density, the score and the entropy, near their
zeros, to the absolute error their terms' rounding leaves in any float64 evaluation: see
``_log_density_floor``, ``_score_floor`` and ``_entropy_floor``). The reference is
the Derivation's own expression (``sympy.lambdify(..., modules="mpmath")`` at ``mp.dps = 50``;
100 for the KL, whose own Bregman form cancels up to 40 digits at the closest points), not the
printed kernel: every rewrite the code generator makes for floating point (log1p, expm1,
ψ' − 1/x, m₂ − m₁², the KL quadrature, the fast trigamma) is checked. The KL at each point is
taken to an independent seeded point θq ≠ θ.

Near coincidence, KL(θ ‖ θ(1 + 1e-7)) has relative error ≤ 1e-6: the Bregman form alone loses
everything there. Across the whole band in between, θq = θp·(1 + ε) or θp·(1 + ε·u) with ε
log-uniform in [1e-9, 1e-1] and u a random direction, the KL keeps the full 1e-12: the kernel
integrates the curvature along the segment there (fisherlab.kernels._special.kl_refine).

CI runs two or three interior points and the corners per parametrization (all of them up to
p = 3, the lowest and highest beyond: the skewness tensor's p³ entries in mpmath make each point
of categorical k = 10 cost seconds); FISHERLAB_EXHAUSTIVE=1 runs many more interior points.
"""

from __future__ import annotations

import functools
import zlib

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

import fisherlab as fl
from fisherlab.errors import DomainError
from fisherlab.kernels import special
from tests.conftest import (
    EXHAUSTIVE,
    FULL_CORNERS_MAX_P,
    catalog_cases,
    family_handles,
    interior_points,
    sample_points,
)

DPS = 50
#: The KL's reference is a Bregman form too: at the band's closest points it cancels ~40 digits
#: (von Mises κ ≈ 98 with δ ≈ 6e-18: A ≈ 98, KL ≈ 2e-37), so it is evaluated at 100 digits.
KL_DPS = 100
TOL = 1e-12

CASES, IDS = catalog_cases()
#: The family handle of each shipped module, by its key (the references are cached by key).
FAMILIES = dict(family_handles())

#: Interior points per case (each case also checks every corner of its test ranges).
POINTS = 60 if EXHAUSTIVE else 2
SLOW_POINTS = 300 if EXHAUSTIVE else 2
NEAR_POINTS = 40 if EXHAUSTIVE else 2
BAND_POINTS = 60 if EXHAUSTIVE else 3

QUANTITIES = ("fisher", "hessian", "kl", "entropy", "log_partition", "mean", "score", "log_density",
              "skewness")


# -- the mpmath reference ------------------------------------------------------------------------


def _mp_function(cls):
    """An mpmath-callable stand-in for a sympy function mpmath does not know (a family's own
    special functions): evaluated by sympy's evalf at the working precision."""
    def call(*args):
        dps = mp.mp.dps
        sym = cls(*[sp.Integer(int(a)) if isinstance(a, int) else sp.Float(a, dps + 10)
                    for a in args])
        return mp.mpf(sp.N(sym, dps + 5)._to_mpmath(mp.mp.prec))
    return call


@functools.cache
def _reference(key: str, param: str, quantity: str):
    """(argument symbols, mpmath function) of one derived quantity of module ``key``."""
    d = FAMILIES[key].derive(param)
    expr = getattr(d, quantity)
    if quantity == "entropy" and d.entropy_sums_support:
        from fisherlab.symbolic.derive import EXPECTED_LOG_BASE_MEASURE

        expr = expr.subs(EXPECTED_LOG_BASE_MEASURE, 0)
    args = list(d.params)
    if quantity in ("hessian", "score", "log_density"):
        args = list(d.x) + args
    if quantity == "kl":
        args = args + list(d.params_q)
    if isinstance(expr, sp.NDimArray):  # the skewness tensor, compared entry by entry
        expr = sp.Matrix(sp.flatten(expr))
    exprs = expr if isinstance(expr, sp.MatrixBase) else sp.Matrix([expr])
    return args, _lambdify_mp(args, exprs)


def _lambdify_mp(args, expr):
    """``sympy.lambdify`` to mpmath, with the family's own special functions (``NegExpm1``, the
    softmax functions, …) evaluated by :func:`_mp_function`: plain ``"mpmath"`` does not know them
    and raises NameError from inside the generated function."""
    known = set(dir(mp))
    ns = {type(f).__name__: _mp_function(type(f)) for f in sp.sympify(expr).atoms(sp.Function)
          if type(f).__name__ not in known and not hasattr(sp, type(f).__name__)}
    return sp.lambdify(args, expr, modules=[ns, "mpmath"] if ns else "mpmath")


@functools.cache
def _log_density_parts(key: str, param: str):
    """mpmath functions of a scalar family's log density log p(x | θ) = log h(x) + η(θ)·T(x) −
    A(θ), split so a sum over the support evaluates the θ-parts once: θ -> (η, A) and
    x -> (log h(x), T(x))."""
    d = FAMILIES[key].derive(param)
    return (_lambdify_mp(list(d.params), sp.Matrix([*d.to_natural, d.log_partition])),
            _lambdify_mp(list(d.x), sp.Matrix([d.log_base_measure, *d.statistics])))


#: The absolute floor of the log-density check, in units of ε·M (see :func:`_log_density_floor`).
LOG_DENSITY_FLOOR_ULPS = 8


@functools.cache
def _log_density_terms(key: str, param: str):
    """mpmath function of (x, θ) -> the summands of log p = log h(x) + Σ_k η_k(θ) T_k(x) − A."""
    d = FAMILIES[key].derive(param)
    terms = [d.to_natural[i] * d.statistics[i] for i in range(len(d.statistics))]
    terms += [d.log_partition, d.log_base_measure]
    return _lambdify_mp(list(d.x) + list(d.params), sp.Matrix(terms))


def _log_density_floor(key, param, xs, theta) -> float:
    """The absolute error no float64 evaluation of log p can beat where log p ≈ 0.

    log p(x | θ) = log h(x) + Σ_k η_k T_k(x) − A(η) is a sum of terms each at best correctly
    rounded, so its float64 value carries an absolute error of about ε·M, M = Σ |term| (each
    term within an ulp or two — log, a product, log Γ or log B — and the additions another
    ε/2 each), whatever the formula: relative to log p that is ε·M/|log p|, unbounded at the
    zeros of log p (a density equal to 1) inside the range. The floor, 8ε·M, exceeds the
    relative tolerance TOL·|log p| only where |log p| < 1.8e-3·M, where log p has cancelled all
    but 0.2% of its terms' size; elsewhere the relative 1e-12 alone applies. The beta's log
    density at (513.2, 74.3), x = 0.836 (log p = 5.3e-4, its terms summing to 448) is off by
    1.6ε·M (3e-10 relative) and meets the floor; a 1e-9 offset would not.
    """
    with mp.workdps(DPS):
        terms = _log_density_terms(key, param)(*[mp.mpf(float(v)) for v in (*xs, *theta)])
        magnitude = mp.fsum(abs(t) for t in terms)
    return LOG_DENSITY_FLOOR_ULPS * float(np.finfo(np.float64).eps) * float(magnitude)


@functools.cache
def _score_parts(key: str, param: str):
    """mpmath functions of (x, θ) -> T(x), and of θ -> the entries of μ(θ) and of J(θ)."""
    d = FAMILIES[key].derive(param)
    args = list(d.x) + list(d.params)
    return (_lambdify_mp(args, d.statistics), _lambdify_mp(list(d.params), d.mean),
            _lambdify_mp(list(d.params), sp.Matrix(list(d.jacobian))))


def _score_floor(key, param, xs, theta) -> float:
    """The absolute (normwise) error no float64 evaluation of the score beats near its zeros.

    The score Jᵀ(T(x) − μ) subtracts μ(θ) from T(x): each known to an ulp or so at best (log x,
    ψ(α) in μ), the difference carries an absolute error of about ε(‖T(x)‖ + ‖μ‖), and J
    multiplies it by up to ‖J‖. Relative to the score that is unbounded where T(x) ≈ μ (an
    observation at its mean, the MLE of one draw). The floor, 8ε‖J‖(‖T‖ + ‖μ‖), exceeds
    TOL·‖s‖ only where the score has cancelled all but 0.2% of its terms; the chi-squared's
    natural score at k/2 − 1 = 591.7, x = 1182.07 (log x − log 2 − ψ(k/2), 1e-4 of terms of
    size 7) is off by 1.4e-12 relative there and meets it.
    """
    stats, mean, jac = _score_parts(key, param)
    with mp.workdps(DPS):
        th = [mp.mpf(float(v)) for v in theta]
        t = stats(*[mp.mpf(float(v)) for v in (*xs, *theta)])
        mu, J = mean(*th), jac(*th)

        def norm(m):
            return mp.sqrt(mp.fsum(abs(v) ** 2 for v in m))

        magnitude = norm(J) * (norm(t) + norm(mu))
    return 8 * float(np.finfo(np.float64).eps) * float(magnitude)


@functools.cache
def _entropy_terms(key: str, param: str):
    """mpmath function of θ -> the summands of H = A − Σ_k η_k μ_k − E[log h] (E[log h] as what
    remains of A − ⟨η, μ⟩ − H; 0 where the kernel sums it over the support)."""
    from fisherlab.symbolic.derive import EXPECTED_LOG_BASE_MEASURE

    d = FAMILIES[key].derive(param)
    products = [d.to_natural[i] * d.mean[i] for i in range(len(d.mean))]
    entropy = sp.sympify(d.entropy).subs(EXPECTED_LOG_BASE_MEASURE, 0)
    rest = d.log_partition - sp.Add(*products) - entropy
    return _lambdify_mp(list(d.params), sp.Matrix([d.log_partition, *products, rest]))


def _entropy_floor(key, param, theta) -> float:
    """The absolute error no float64 evaluation of the entropy beats near its zeros: 8ε times
    the sum of the magnitudes of its terms A, η_k μ_k and E[log h] (the argument of
    :func:`_log_density_floor`). The von Mises entropy log(2π I₀(κ)) − κ R(κ) crosses zero at
    κ ≈ 17.6, where its two terms of size 17 cancel to 2.7e-4: off there by 0.65ε·M (1.9e-11
    relative), within the floor."""
    with mp.workdps(DPS):
        terms = _entropy_terms(key, param)(*[mp.mpf(float(v)) for v in theta])
        magnitude = mp.fsum(abs(t) for t in terms)
    return 8 * float(np.finfo(np.float64).eps) * float(magnitude)


def _exact(key, param, quantity, *values) -> np.ndarray:
    """The quantity of module ``key`` at float64 inputs, evaluated exactly (50 digits; the KL
    100), as an object array of mpf."""
    _, fn = _reference(key, param, quantity)
    with mp.workdps(KL_DPS if quantity == "kl" else DPS):
        out = fn(*[mp.mpf(float(v)) for v in values])
        return np.array(out.tolist(), dtype=object)


def _relative_error(got, exact) -> float:
    """‖got − exact‖ / ‖exact‖ (Frobenius), evaluated in mpmath."""
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    exact = exact.reshape(-1)
    with mp.workdps(DPS):
        num = mp.sqrt(mp.fsum((mp.mpf(float(g)) - e) ** 2 for g, e in zip(got, exact)))
        den = mp.sqrt(mp.fsum(e**2 for e in exact))
        if den < mp.mpf(10) ** -40:
            # An exact zero (Beta(1, 1)'s log-density) comes back from 50-digit arithmetic as
            # ~1e-50 noise: compare absolutely there.
            return float(num)
        return float(num / den)


def _entries(m) -> list:
    """The entries of an mpmath column (what a lambdified sympy Matrix returns)."""
    return [v for row in m.tolist() for v in row]


def _expected_log_h(key, param, theta) -> mp.mpf:
    """E[log h(x)] over a discrete scalar support, summed in mpmath until the tail is below
    1e-40."""
    spec = FAMILIES[key].spec
    # Built once per case, with the family's special functions: lambdifying the log density to
    # plain "mpmath" here raised NameError for the negative binomial's natural parametrization
    # (its A holds NegExpm1) from a new <lambdifygenerated-N> at each call, which hypothesis
    # reported as a FlakyFailure (the "same" error from a different place on replay).
    # The θ-parts once per point, not once per term: A holds the family's own special functions
    # (the logarithmic's log-series), evaluated through sympy at each call, and the sum runs to
    # x ≈ 10⁴ at p = 0.99.
    theta_parts, x_parts = _log_density_parts(key, param)
    with mp.workdps(DPS):
        *eta, a = _entries(theta_parts(*[mp.mpf(float(t)) for t in theta]))
        total, x, peak = mp.mpf(0), spec.support.low, mp.mpf(0)
        high = spec.support.high
        while x <= high:
            logh, *stats = _entries(x_parts(mp.mpf(x)))
            p = mp.exp(logh + mp.fsum(e * t for e, t in zip(eta, stats)) - a)
            term = p * logh
            total += term
            peak = max(peak, p)
            if p < peak * mp.mpf(10) ** -45 and abs(term) < abs(total) * mp.mpf(10) ** -40:
                break
            x += 1
        return total


# -- points ----------------------------------------------------------------------------------------


def _observation(fam, param, theta, seed):
    """One draw at θ that float64 represents inside the support, or None.

    numpy's Dirichlet sampler rounds coordinates to exactly 0 at tiny α (1e-3): such a draw is
    outside the open simplex the density lives on, a property of float sampling, not a point to
    test the kernels at. Up to 20 seeds are tried.
    """
    for s in range(20):
        x = fam.sample(theta, param, size=(1,), seed=[seed, s])[0]
        if not fam.spec.support.violations(np.asarray(x, dtype=np.float64)).any():
            return np.asarray(x, dtype=np.float64)
    return None


def _inside(k, theta) -> bool:
    try:
        k._theta(theta)
    except DomainError:
        return False
    return True


# -- the checks ----------------------------------------------------------------------------------


def _check_point(fam, param, theta, theta_q, seed) -> list[str]:
    """Every kernel quantity at θ (the KL to θq; the x-dependent ones at a draw x from θ)
    against its exact value; returns the failures."""
    key = fam.spec.key
    k = fam.kernels(param)
    d = fam.derive(param)
    x = _observation(fam, param, theta, seed)
    failures = []

    def compare(quantity, got, *values):
        exact = _exact(key, param, quantity, *values)
        err = _relative_error(got, exact)
        if quantity in ("log_density", "score", "entropy") and not err <= TOL:
            # near a zero of the quantity: the absolute floor of its condition
            # (_log_density_floor, _score_floor, _entropy_floor)
            if quantity == "entropy":
                floor = _entropy_floor(key, param, theta)
            else:
                floor = (_log_density_floor if quantity == "log_density" else _score_floor)(
                    key, param, values[:-len(theta)], theta)
            with mp.workdps(DPS):
                absolute = float(mp.sqrt(mp.fsum((mp.mpf(float(g)) - e) ** 2 for g, e in zip(
                    np.ravel(got), exact.reshape(-1)))))
            if absolute <= floor:
                return
        if not err <= TOL:
            failures.append(f"{quantity}: relative error {err:.3g} at θ={theta.tolist()}"
                            + (f", θq={theta_q.tolist()}" if quantity == "kl" else "")
                            + (f", x={x.tolist()}" if quantity in ("hessian", "score",
                                                                   "log_density") else ""))

    compare("fisher", k.fisher(theta), *theta)
    compare("log_partition", k.log_partition(theta), *theta)
    compare("mean", k.mean(theta), *theta)
    compare("skewness", k.skewness(theta), *theta)
    compare("kl", k.kl(theta, theta_q), *theta, *theta_q)
    if x is not None:
        xs = list(np.atleast_1d(x)) if k.event_shape else [float(x)]
        compare("hessian", k.hessian(x, theta), *xs, *theta)
        compare("score", k.score(x, theta), *xs, *theta)
        compare("log_density", k.log_density(x, theta), *xs, *theta)
    if d.entropy_sums_support:
        closed = k._f["entropy"](*[np.float64(t) for t in theta],
                                 *[np.float64(v) for v in k.fixed.values()])
        compare("entropy", closed, *theta)
        # The whole entropy, with E[log h] summed by the runtime, against the sum in mpmath.
        with mp.workdps(DPS):
            exact = _exact(key, param, "entropy", *theta) - _expected_log_h(key, param, theta)
        err = _relative_error(k.entropy(theta), exact)
        if not err <= TOL:
            failures.append(f"entropy (summed): relative error {err:.3g} at θ={theta.tolist()}")
    else:
        compare("entropy", k.entropy(theta), *theta)
    return failures


def _check_points(fam, param, thetas, stream):
    # θq: an independent seeded point of the test ranges for each θ (never θ itself)
    qs = interior_points(fam, param, len(thetas), stream=stream + "/q")
    failures = []
    for i, (theta, theta_q) in enumerate(zip(thetas, qs)):
        assert np.any(theta != theta_q)
        failures += _check_point(fam, param, theta, theta_q, seed=[zlib.crc32(stream.encode()), i])
    assert not failures, f"{fam.spec.key} {param}:\n" + "\n".join(failures)


@pytest.mark.parametrize("fam,param", CASES, ids=IDS)
def test_kernels_match_mpmath(fam, param):
    """Seeded interior points and the corners of the test ranges (one interior point when
    p > 3 outside exhaustive mode: a point of categorical k = 10 costs seconds in mpmath)."""
    p = len(fam.spec.parametrization(param).params)
    n = POINTS if EXHAUSTIVE or p <= FULL_CORNERS_MAX_P else 1
    _check_points(fam, param, sample_points(fam, param, n, ends_only=True), "quick")


@pytest.mark.slow
@pytest.mark.parametrize("fam,param", CASES, ids=IDS)
def test_kernels_match_mpmath_exhaustive(fam, param):
    # A different stream of interior points than the quick test.
    _check_points(fam, param, interior_points(fam, param, SLOW_POINTS, stream="slow"), "slow")


@pytest.mark.parametrize("fam,param", CASES, ids=IDS)
def test_kl_near_coincidence(fam, param):
    """θq = θp·(1 + 1e-7): the KL is ~1e-14 of its terms and must keep six digits."""
    k = fam.kernels(param)
    failures, compared = [], 0
    for theta in sample_points(fam, param, NEAR_POINTS, stream="near", ends_only=True):
        theta_q = theta * (1 + 1e-7)
        if not _inside(k, theta_q) or np.all(theta_q == theta):
            continue  # the scaled point left the domain (a probability pushed past 1), or θ = 0
        compared += 1
        exact = _exact(fam.spec.key, param, "kl", *theta, *theta_q)
        err = _relative_error(k.kl(theta, theta_q), exact)
        if not err <= 1e-6:
            failures.append(f"KL relative error {err:.3g} at θ={theta.tolist()}")
    assert compared >= 1
    assert not failures, f"{fam.spec.key} {param}:\n" + "\n".join(failures)


@pytest.mark.parametrize("fam,param", CASES, ids=IDS)
def test_kl_across_the_band(fam, param):
    """Moderately close points, where the Bregman form has lost up to half its digits and a short
    Taylor series is not yet accurate: θq = θp·(1 + ε) (all entries scaled, the direction that
    cancels hardest for many families) or θp·(1 + ε·u) with u ∈ [−1, 1]^p, ε log-uniform in
    [1e-9, 1e-1]. The full 1e-12 holds."""
    k = fam.kernels(param)
    thetas = sample_points(fam, param, BAND_POINTS, stream="band", ends_only=True)
    rng = np.random.default_rng(zlib.crc32(f"{fam.spec.key}/{param}/band".encode()))
    failures, compared = [], 0
    for theta in thetas:
        eps = 10 ** rng.uniform(-9.0, -1.0)
        if rng.random() < 0.5:  # a random direction
            theta_q = theta * (1 + eps * rng.uniform(-1.0, 1.0, theta.shape))
        else:
            theta_q = theta * (1 + eps)
        if not _inside(k, theta_q) or np.all(theta_q == theta):
            continue  # the scaled point left the domain (a probability pushed past 1), or θ = 0
        compared += 1
        exact = _exact(fam.spec.key, param, "kl", *theta, *theta_q)
        err = _relative_error(k.kl(theta, theta_q), exact)
        if not err <= TOL:
            failures.append(f"KL relative error {err:.3g} at θ={theta.tolist()}, "
                            f"θq={theta_q.tolist()} (ε = {eps:.3g})")
    assert compared >= 1
    assert not failures, f"{fam.spec.key} {param}:\n" + "\n".join(failures)


@pytest.mark.parametrize("t", [1e-9, 1e-7, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1])
def test_kl_across_the_switch(t):
    """Gamma at large shape, where the Bregman form cancels hardest (A ~ 6e3, KL ~ 1e-3 t²):
    the whole way from coincidence to well apart."""
    k = fl.kernels("gamma", "shape_rate")
    theta = np.array([900.0, 0.37])
    theta_q = theta * np.array([1 + t, 1 - 0.5 * t])
    exact = _exact("gamma", "shape_rate", "kl", *theta, *theta_q)
    err = _relative_error(k.kl(theta, theta_q), exact)
    assert err <= TOL, f"t={t}: relative error {err:.3g}"


def test_kl_sixteen_node_rule_in_a_small_batch(monkeypatch):
    """A von Mises pair where the 4- and 8-node rules of the refinement disagree (by 1.5e-8):
    the 16-node rule, evaluated for it alone in a second call of the curvature, holds 1e-12,
    in a batch of three and as one point."""
    from fisherlab.kernels import _special

    k = fl.kernels("von_mises", "loc_concentration")
    theta = np.array([[2.519286188777846, 38.14868320697641], [0.3, 5.0], [1.0, 2.0]])
    theta_q = np.array([[2.7978051062075764, 36.53569127698688], [0.3 * 1.01, 5.0 * 0.99],
                        [-1.0, 20.0]])
    nodes = []
    rule = _special._curvature_rule

    def spy(curvature, eta_p, delta, t, fixed=()):
        nodes.append((len(eta_p), t.size))
        return rule(curvature, eta_p, delta, t, fixed)

    monkeypatch.setattr(_special, "_curvature_rule", spy)
    batch = k.kl(theta, theta_q)
    assert (1, 16) in nodes, nodes  # the first pair, alone, by the 16-node rule
    single = k.kl(theta[0], theta_q[0])
    for got, p, q in [*zip(batch, theta, theta_q), (single, theta[0], theta_q[0])]:
        err = _relative_error(got, _exact("von_mises", "loc_concentration", "kl", *p, *q))
        assert err <= TOL, f"θ={p.tolist()}, θq={q.tolist()}: relative error {err:.3g}"


# -- the special functions themselves
# ---------------------------------------------------------------


def _grid():
    rng = np.random.default_rng(20261125)
    return np.concatenate([np.geomspace(1e-3, 1e6, 400), rng.uniform(0, 20, 200) + 1e-3,
                           [9.999999999999998, 10.0, 10.000000000000002, 1e-3, 1e6, 1e12]])


def test_trigamma_matches_mpmath():
    x = _grid()
    got_big = special.trigamma(x)  # one call of ≥ 64 elements: the fast array path
    got_small = np.array([special.trigamma(np.float64(v)) for v in x[:50]])  # the scalar path
    with mp.workdps(DPS):
        exact = [mp.psi(1, mp.mpf(float(v))) for v in x]
        errs = [abs((mp.mpf(float(g)) - e) / e) for g, e in zip(got_big, exact)]
        errs += [abs((mp.mpf(float(g)) - e) / e) for g, e in zip(got_small, exact)]
    assert max(errs) <= TOL, f"worst {float(max(errs)):.3g}"


def test_trigamma_minus_reciprocal_matches_mpmath():
    x = np.concatenate([_grid(), [1e9, 1e15]])
    got = special.trigamma_minus_reciprocal(x)
    with mp.workdps(80):  # ψ'(x) − 1/x cancels 15 digits at x = 1e15: the reference needs them
        exact = [mp.psi(1, mp.mpf(float(v))) - 1 / mp.mpf(float(v)) for v in x]
        errs = [abs((mp.mpf(float(g)) - e) / e) for g, e in zip(got, exact)]
    assert max(errs) <= TOL, f"worst {float(max(errs)):.3g}"


def test_log1pexp_matches_mpmath():
    u = np.concatenate([np.linspace(-745, 745, 301), [-40.0, -1e-8, 0.0, 1e-8, 40.0]])
    got = special.log1pexp(u)
    with mp.workdps(DPS):
        exact = [mp.log1p(mp.exp(mp.mpf(float(v)))) for v in u]
        errs = [abs((mp.mpf(float(g)) - e) / e) for g, e in zip(got, exact) if e > mp.mpf(1e-300)]
    assert max(errs) <= TOL, f"worst {float(max(errs)):.3g}"


def test_moment_variance_matches_mpmath():
    """m₂ − m₁² (the normal's variance from its raw moments) to 1e-15 where the plain difference
    loses up to 12 digits: σ from 1e-6|μ| to 10|μ|."""
    rng = np.random.default_rng(20261126)
    m1 = rng.uniform(-100, 100, 2000)
    m2 = m1 * m1 + np.abs(m1) ** 2 * 10 ** rng.uniform(-12, 2, 2000)
    got = special.moment_variance(m1, m2)
    with mp.workdps(DPS):
        exact = [mp.mpf(float(b)) - mp.mpf(float(a)) ** 2 for a, b in zip(m1, m2)]
        errs = [abs((mp.mpf(float(g)) - e) / e) for g, e in zip(got, exact)]
    assert max(errs) <= 1e-15, f"worst {float(max(errs)):.3g}"


_KAPPAS = [1e-160, 1e-85, 1e-8, 0.01, 1.49, 1.51, 29.9, 30.1, 1e4]


@pytest.mark.parametrize("param, kappa", [("natural", 0.0)]  # κ > 0 in loc_concentration
                         + [(p, k) for p in ("loc_concentration", "natural") for k in _KAPPAS])
def test_von_mises_small_and_large_kappa(param, kappa):
    # The log-partition declared as log I₀(‖η‖) lost the skewness's digits like 1e-15/κ² (1.4e-11
    # at κ = 0.01) and gave a NaN Fisher information at ‖η‖ = 1e-85 (‖η‖⁴ underflows); as
    # L(‖η‖²) every kernel holds 1e-12 down to η = 0. Also across the switches of L⁽ⁿ⁾ (κ = 1.5)
    # and of R′ (κ = 30).
    loc = 0.7
    theta = (np.array([loc, kappa]) if param == "loc_concentration"
             else kappa * np.array([np.cos(loc), np.sin(loc)]))
    k = fl.kernels("von_mises", param)
    for quantity in ("skewness", "fisher", "mean", "log_partition"):
        got = getattr(k, quantity)(theta)
        err = _relative_error(got, _exact("von_mises", param, quantity, *theta))
        assert err <= TOL, f"{quantity} at κ = {kappa}: relative error {err:.3g}"
