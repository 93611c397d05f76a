"""The special functions of fisherlab.kernels._special against mpmath at 50 digits.

Each function is evaluated on a log-spaced grid that crosses its branch switches (series near 0,
asymptotic expansions far out), as one array and point by point as 0-d inputs: the two paths
must agree (a 0-d input takes a path of its own), and both must be within the
function's stated relative error of mpmath.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
import scipy.special

from fisherlab.kernels import special

mp.mp.dps = 50


def _mp_log_besseli0(z):
    return mp.log(mp.besseli(0, z))


def _mp_ratio(z):
    return mp.besseli(1, z) / mp.besseli(0, z)


def _mp_ratio_deriv(z):
    r = _mp_ratio(z)
    return 1 - r / z - r * r


def _mp_exp_expint1(z):
    return mp.exp(z) * mp.e1(z)


def _mp_trigamma(x):
    return mp.polygamma(1, x)


def _mp_trigamma_minus_reciprocal(x):
    return mp.polygamma(1, x) - 1 / x


CASES = [
    # (function, reference, grid, relative tolerance)
    (special.log_besseli0, _mp_log_besseli0, np.geomspace(1e-6, 1e4, 101), 1e-14),
    (special.besseli_ratio, _mp_ratio, np.geomspace(1e-6, 1e4, 101), 1e-14),
    # R′ = 1 − R/z − R² cancels to 1/(2z²): formed without the difference, to a few ulps (the
    # difference itself was 1e-12 off at z ≈ 20)
    (special.besseli_ratio_deriv, _mp_ratio_deriv, np.geomspace(1e-3, 1e4, 101), 1e-14),
    (special.exp_expint1, _mp_exp_expint1, np.geomspace(1e-6, 1e5, 101), 1e-14),
    # R′ given R, as the generated kernels call it, across the asymptotic switch at 30
    (lambda z: special.besseli_ratio_deriv(z, special.besseli_ratio(z)), _mp_ratio_deriv,
     np.concatenate([np.geomspace(1e-3, 1e4, 101), np.linspace(29.5, 30.5, 21)]), 1e-14),
    (special.besseli_ratio, _mp_ratio, np.concatenate([np.linspace(29.5, 30.5, 21),
                                                        -np.geomspace(1e-3, 1e4, 31)]), 1e-14),
    (special.trigamma, _mp_trigamma, np.geomspace(1e-6, 1e8, 101), 1e-14),
    (special.trigamma_minus_reciprocal, _mp_trigamma_minus_reciprocal,
     np.geomspace(1e-6, 1e8, 101), 1e-14),
]
IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("fn, ref, grid, tol", CASES, ids=IDS)
def test_matches_mpmath(fn, ref, grid, tol):
    got = fn(grid)
    exact = np.array([float(ref(mp.mpf(float(z)))) for z in grid])
    err = np.abs(got - exact) / np.abs(exact)
    worst = int(np.argmax(err))
    assert err[worst] <= tol, f"{fn.__name__}: relative error {err[worst]:.3g} at {grid[worst]!r}"


@pytest.mark.parametrize("fn, ref, grid, tol", CASES, ids=IDS)
def test_zero_d_equals_array(fn, ref, grid, tol):
    batched = fn(grid)
    single = np.array([fn(np.float64(z)) for z in grid])
    assert np.shape(fn(np.float64(grid[0]))) == ()
    # trigamma evaluates small inputs through scipy's ζ(2, x) and large arrays by its own
    # recurrence: the paths may differ in the last bits, each within ``tol`` of mpmath.
    np.testing.assert_allclose(single, batched, rtol=tol, atol=0)


@pytest.mark.parametrize("fn", [special.log_besseli0, special.besseli_ratio_deriv,
                                special.exp_expint1], ids=lambda f: f.__name__)
def test_mixed_branches_keep_shape(fn):
    z = np.geomspace(1e-3, 1e4, 24).reshape(2, 3, 4)
    out = fn(z)
    assert out.shape == z.shape
    np.testing.assert_array_equal(out.ravel(), fn(z.ravel()))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5])
def test_polygamma_matches_mpmath(n):
    grid = np.geomspace(1e-4, 1e6, 41)
    got = special.polygamma(n, grid)
    exact = np.array([float(mp.polygamma(n, mp.mpf(float(z)))) for z in grid])
    err = np.abs(got - exact) / np.abs(exact)
    assert err.max() <= 1e-13, (
        f"ψ^({n}): relative error {err.max():.3g} at {grid[np.argmax(err)]!r}"
    )
    assert np.shape(special.polygamma(n, np.float64(2.0))) == ()


def test_close_points_match_the_componentwise_definition():
    # _close_points tests the parameters one after another on the survivors, as
    # |q − p| ≤ c|q + p|; it must select exactly the points with every |q − p| ≤ c(|p| + |q|).
    from fisherlab.kernels._special import _KL_CLOSE, _close_points

    rng = np.random.default_rng(7)
    shape = (40, 50)
    base = [rng.normal(size=shape) for _ in range(3)]
    # about a third of the pairs close in each parameter, signs mixed, exact zeros and NaN
    theta_p = [b.copy() for b in base]
    theta_q = [b * np.where(rng.random(shape) < 0.35, 1 + rng.uniform(-0.1, 0.1, shape),
                            rng.normal(size=shape)) for b in base]
    theta_p[0][0, :5] = theta_q[0][0, :5] = 0.0
    theta_q[1][1, 0] = np.nan
    theta_p[2][2, 0] = np.inf
    expected = np.ones(shape, dtype=bool)
    for p, q in zip(theta_p, theta_q):
        expected &= np.abs(q - p) <= _KL_CLOSE * (np.abs(p) + np.abs(q))
    got = np.zeros(shape, dtype=bool)
    got[_close_points(theta_p, theta_q, shape)] = True
    assert expected.sum() > 20 and (~expected).sum() > 20
    np.testing.assert_array_equal(got, expected)
    # a column shared by every point (broadcast) and no close point at all
    one = np.zeros(shape, dtype=bool)
    one[_close_points([np.float64(1.0), base[1]], [np.float64(5.0), base[1]], shape)] = True
    assert not one.any()


@pytest.mark.parametrize("n", [1, 2, 3])
def test_log_besseli0_sq_derivatives_match_mpmath(n):
    # L⁽ⁿ⁾(s) = dⁿ/dsⁿ log I₀(√s): Taylor series for s ≤ 2.25, closed forms in R and R′ above.
    # The reference differentiates log I₀(√s) numerically in mpmath at 60 digits (mp.diff), a
    # route shared with neither the series nor the closed forms.
    s = np.array([1e-300, 1e-100, 1e-20, 1e-8, 1e-3, 0.1, 0.5, 1.0, 2.0, 2.25, 2.2500001, 2.3,
                  3.0, 10.0, 100.0, 899.0, 901.0, 1e4, 1e6, 1e8])
    got = special.log_besseli0_sq_deriv(n, s)
    with mp.workdps(60):
        def f(t):
            return mp.log(mp.besseli(0, mp.sqrt(t)))
        for v, g in zip(s, got):
            v = mp.mpf(float(v))
            # central differences; near s = 0 their stencil reaches s < 0, where f is the
            # analytic continuation log J₀(√|s|) (real, computed through complex arithmetic)
            exact = mp.re(mp.diff(f, v, n))
            assert abs((mp.mpf(float(g)) - exact) / exact) < 3e-13, (n, float(v))
    # 0 itself (η = 0, the uniform law) and a single point
    assert special.log_besseli0_sq_deriv(n, 0.0) == [0.25, -1 / 32, 1 / 96][n - 1]
    assert special.log_besseli0_sq_deriv(n, 3.0) == special.log_besseli0_sq_deriv(n, s)[12]


def test_log_beta_near_one_keeps_its_digits():
    # log B(a, b) → 0 at (1, 1), a difference of log Γ values of similar size there: scipy's
    # betaln loses 7e-15 relative at (1, 1.009) and 3e-13 at (1.003, 0.998). Within 0.25 of
    # (1, 1) it is summed from the series of log Γ(1 + x); compared with mpmath's log B to a few
    # ulps of its two parts, log1p(s) and ζ(2)uv (s = u + v, u = a − 1, v = b − 1): they cancel
    # on the curve B = 1 through (1, 1), where no evaluation from a and b does better.
    rng = np.random.default_rng(3)
    points = [(1.0, 1.009), (1.003, 0.998), (0.9, 1.1), (1.25, 1.25), (0.75, 0.75), (1.0, 1.0),
              (1.0, 1.0 + 1e-12), *rng.uniform(0.75, 1.25, (50, 2))]
    a, b = np.array(points).T
    got = special.log_beta(a, b)
    with mp.workdps(40):
        for x, y, g in zip(a, b, got):
            exact = mp.log(mp.beta(mp.mpf(float(x)), mp.mpf(float(y))))
            u, v = mp.mpf(float(x)) - 1, mp.mpf(float(y)) - 1
            scale = max(abs(exact), abs(mp.log1p(u + v)), mp.zeta(2) * abs(u * v), mp.mpf(1e-300))
            assert abs(mp.mpf(float(g)) - exact) <= 4e-16 * scale, (x, y)
            # a single point takes the same path
            assert special.log_beta(float(x), float(y)) == g


def test_gammaln_near_its_zeros():
    # log Γ vanishes at 1 and 2; scipy's gammaln is a difference of order-one numbers there
    # (5.9e-7 relative at 1 − 3e-10, 8e-7 at 2 − 3e-10). Within 0.1 of either zero the series of
    # log Γ(1 + u) keeps an ulp; compared with mpmath's loggamma, arrays and single points.
    offsets = [1e-12, -3e-10, 2.3e-8, 1e-5, -1e-4, 1e-3, -0.05, 0.09, -0.09]
    x = np.array([c + d for c in (1.0, 2.0) for d in offsets] + [1.0, 2.0])
    got = special.gammaln(x)
    with mp.workdps(40):
        for v, g in zip(x, got):
            exact = mp.loggamma(mp.mpf(float(v)))
            assert abs(mp.mpf(float(g)) - exact) <= 4e-16 * abs(exact), float(v)
            assert special.gammaln(float(v)) == g
    # away from the zeros it is scipy's, in a batch of any shape
    far = np.array([[0.5, 3.0], [100.0, 1.3]])
    np.testing.assert_array_equal(special.gammaln(far), scipy.special.gammaln(far))


def test_trigamma_rest_matches_mpmath_on_every_path():
    # ψ′(a_j) − ψ′(Σ a): one point and batches, rows where one entry holds nearly all of the total
    # (the others' sum below a_j/50, the shifted series) mixed with rows where it does not (the
    # difference of ψ′ of the entries and of the total), against mpmath at 40 digits.
    rng = np.random.default_rng(11)
    rows = 10 ** rng.uniform(-3, 3, (40, 5))
    rows[::4, 0] *= 1e5  # dominant first entry
    rows[1::4, 2] = rows[1::4].sum(axis=-1) * 60  # dominant, near the screen's edge
    with mp.workdps(40):
        def exact(row):
            total = mp.fsum(mp.mpf(float(v)) for v in row)
            return [mp.psi(1, mp.mpf(float(v))) - mp.psi(1, total) for v in row]
        batch = special.trigamma_rest(rows)
        for row, got in zip(rows, batch):
            one = special.trigamma_rest(row)
            for g, h, e in zip(got, one, exact(row)):
                assert abs(mp.mpf(float(g)) - e) <= 1e-13 * abs(e), row
                assert abs(mp.mpf(float(h)) - e) <= 1e-13 * abs(e), row
    assert np.isnan(special.trigamma_rest(np.array([1.0, -2.0, 3.0]))[1])


def test_shift_series_few_points_and_many_match_mpmath():
    # y ≤ x/100: log B and ψ^(n)(x) − ψ^(n)(x + y) are Taylor series in y, summed point by point on
    # floats for a few points and in array passes for many; both against mpmath at 40 digits.
    rng = np.random.default_rng(12)
    x = 10 ** rng.uniform(0.5, 5, 5)
    y = x * 10 ** rng.uniform(-6, -2.01, 5)
    many_x, many_y = np.tile(x, 4), np.tile(y, 4)
    with mp.workdps(40):
        for fn, ref in [
            (special.log_beta, lambda a, b: mp.log(mp.beta(a, b))),
            (special.digamma_diff, lambda a, b: mp.psi(0, a) - mp.psi(0, a + b)),
            (special.trigamma_diff, lambda a, b: mp.psi(1, a) - mp.psi(1, a + b)),
        ]:
            few, many = fn(x, y), fn(many_x, many_y)[:5]
            for a, b, f, m in zip(x, y, few, many):
                e = ref(mp.mpf(float(a)), mp.mpf(float(b)))
                assert abs(mp.mpf(float(f)) - e) <= 1e-14 * abs(e), (fn.__name__, a, b)
                assert abs(mp.mpf(float(m)) - e) <= 1e-14 * abs(e), (fn.__name__, a, b)


def _mp_x_minus_log1p(x):
    # x − log(1 + x) ≈ x²/2 cancels 2·log10(1/|x|) digits of the working precision.
    with mp.workdps(40 + int(2 * abs(np.log10(abs(x))))):
        v = mp.mpf(float(x))
        return +(v - mp.log1p(v))


def test_x_minus_log1p_matches_mpmath_over_its_range():
    """x − log(1 + x) to 1e-15 relative from −1 (exclusive) to 1e300, across the switch at
    |x| = 0.5 between the atanh series and the direct difference, for |x| ≥ 1e-150."""
    rng = np.random.default_rng(20261205)
    half = np.nextafter(0.5, 0.0)
    x = np.concatenate([-np.geomspace(1e-150, 1.0, 600)[:-1], np.geomspace(1e-150, 1e300, 900),
                        rng.uniform(-1.0, 2.0, 600), [-1 + 2**-52, -0.5, 0.5, half, -half]])
    got = special.x_minus_log1p(x)
    # One point takes a path of its own (Python floats), and a few series points another
    # (Estrin's scheme, up to _ESTRIN_MAX_SIZE series points; more go by Horner's rule).
    few = np.concatenate([special.x_minus_log1p(c) for c in np.array_split(x, x.size // 40)])
    assert 40 <= special._ESTRIN_MAX_SIZE < 600
    x, got = np.concatenate([x, x, x[::7]]), np.concatenate(
        [got, few, [special.x_minus_log1p(np.float64(v)) for v in x[::7]]])
    errs = [abs((mp.mpf(float(g)) - e) / e) for g, e in
            ((g, _mp_x_minus_log1p(v)) for g, v in zip(got, x))]
    assert max(errs) <= 1e-15, f"worst {float(max(errs)):.3g} at x = {x[int(np.argmax(errs))]!r}"
    assert special.x_minus_log1p(0.0) == 0.0 and special.x_minus_log1p(-1.0) == np.inf
    with np.errstate(invalid="ignore"):
        assert np.isnan(special.x_minus_log1p(np.array([-2.0, 0.1])))[0]


def _mp_expm1mx(x):
    with mp.workdps(40 + int(2 * abs(np.log10(abs(x))))):
        v = mp.mpf(float(x))
        return +(mp.expm1(v) - v)


def test_expm1mx_matches_mpmath_over_its_range():
    """e^x − 1 − x to 1e-15 relative for 1e-150 ≤ |x| ≤ 709, across the switch at |x| = 0.5
    between the Taylor series and expm1(x) − x."""
    rng = np.random.default_rng(20261206)
    half = np.nextafter(0.5, 0.0)
    x = np.concatenate([-np.geomspace(1e-150, 745.0, 700), np.geomspace(1e-150, 709.0, 700),
                        rng.uniform(-3.0, 3.0, 600), [-0.5, 0.5, half, -half]])
    got = special.expm1mx(x)  # > _ESTRIN_MAX_SIZE series points: Horner's rule
    few = np.concatenate([special.expm1mx(c) for c in np.array_split(x, x.size // 40)])
    assert 40 <= special._ESTRIN_MAX_SIZE < 600
    x, got = np.concatenate([x, x, x[::7]]), np.concatenate(
        [got, few, [special.expm1mx(np.float64(v)) for v in x[::7]]])
    errs = [abs((mp.mpf(float(g)) - e) / e)
            for g, e in ((g, _mp_expm1mx(v)) for g, v in zip(got, x))]
    assert max(errs) <= 1e-15, f"worst {float(max(errs)):.3g} at x = {x[int(np.argmax(errs))]!r}"
    assert special.expm1mx(0.0) == 0.0


def test_log_ratio_keeps_its_digits_near_and_far():
    """log(u_q/u) from an exact u_q − u: 1e-15 relative to 50 digits both where u_q ≈ u (the
    quotient alone keeps an absolute ε) and where u_q ≪ u (du/u ≈ −1 alone keeps an absolute
    ε of 1 + du/u), for u of either sign, as one array, broadcast, and point by point."""
    rng = np.random.default_rng(20261207)
    u = rng.uniform(0.5, 2.0, 400) * 10.0 ** rng.integers(-100, 100, 400)
    ratio = np.concatenate([1 + rng.uniform(-1, 1, 200) * 10.0 ** rng.uniform(-15, -0.3, 200),
                            10.0 ** rng.uniform(-12, 12, 200)])
    uq = u * ratio
    u, uq = np.concatenate([u, -u]), np.concatenate([uq, -uq])
    with mp.workdps(60):
        du = np.array([float(mp.mpf(float(b)) - mp.mpf(float(a))) for a, b in zip(u, uq)])
        exact = [mp.log(mp.mpf(float(b)) / mp.mpf(float(a))) for a, b in zip(u, uq)]
        # Near the coincidence the test's u_q − u is itself rounded: compare with the log of
        # the ratio it stands for, (u + du)/u.
        exact = [mp.log1p(mp.mpf(float(d)) / mp.mpf(float(a))) if abs(d / a) < 0.5 else e
                 for a, d, e in zip(u, du, exact)]
        got = special.log_ratio(du, u, uq)
        errs = [abs((mp.mpf(float(g)) - e) / e) for g, e in zip(got, exact) if e != 0]
    assert max(errs) <= 1e-15, f"worst {float(max(errs)):.3g}"
    one = [special.log_ratio(float(d), float(a), float(b)) for d, a, b in zip(du, u, uq)][::9]
    assert np.allclose(one, got[::9], rtol=4e-16, atol=0)
    row = special.log_ratio(du[:5], u[:5], uq[0])  # a scalar u_q broadcast against the rows
    assert row.shape == (5,)


def test_log_beta_and_digamma_diff_batches_match_mpmath_on_every_path():
    # A batch that mixes every form: Stirling's series (x ≥ 10, both y ≥ 10 and y < 10), the
    # series about (1, 1), the Taylor series (y ≤ x/100) and scipy's betaln; each point found by
    # index in the batch, and equal to the same point alone. The ψ shift likewise (its Stirling
    # form for a ≥ 10, the series, the difference of two ψ).
    rng = np.random.default_rng(13)
    a = np.concatenate([10 ** rng.uniform(-1, 3, 60), rng.uniform(0.8, 1.2, 8),
                        10 ** rng.uniform(1, 3, 8), [10.0, 9.999999999999998, 669.0]])
    b = np.concatenate([10 ** rng.uniform(-1, 3, 60), rng.uniform(0.8, 1.2, 8),
                        10 ** rng.uniform(-3, 0, 8), [10.0, 20.0, 6.75]])
    for fn, ref in [
        (special.log_beta, lambda x, y: mp.log(mp.beta(x, y))),
        (special.digamma_diff, lambda x, y: mp.psi(0, x) - mp.psi(0, x + y)),
    ]:
        for p, q in ((a, b), (b, a)):
            got = fn(p, q)
            assert got.shape == p.shape
            with mp.workdps(40):
                for x, y, g in zip(p, q, got):
                    e = ref(mp.mpf(float(x)), mp.mpf(float(y)))
                    # log B near its zero curve through (1, 1): a few ulps of its parts there
                    scale = max(abs(e), mp.mpf(1)) if fn is special.log_beta else abs(e)
                    assert abs(mp.mpf(float(g)) - e) <= 1e-14 * scale, (fn.__name__, x, y)
            single = np.array([fn(float(x), float(y)) for x, y in zip(p, q)])
            np.testing.assert_allclose(got, single, rtol=1e-14, atol=0)


def test_digamma_rest_matches_mpmath_on_every_path():
    # ψ(a_j) − ψ(Σ a): batches whose rows mix entries above and below 10 (Stirling's form of the
    # shift, the difference of ψ(a_j) and ψ(Σ a) evaluated once per row) with rows where one
    # entry holds more than half the total (the others' sums entry by entry, the series where
    # they are below a_j/100), and one point, against mpmath at 40 digits.
    rng = np.random.default_rng(14)
    rows = 10 ** rng.uniform(-3, 3, (40, 5))
    rows[::4, 0] *= 1e5  # dominant first entry
    rows[1::4, 2] = rows[1::4].sum(axis=-1) * 1.01  # just over half the total
    rows[2::4] = rng.uniform(0.5, 20.0, (10, 5))  # the benchmark's range
    with mp.workdps(40):
        def exact(row):
            total = mp.fsum(mp.mpf(float(v)) for v in row)
            return [mp.psi(0, mp.mpf(float(v))) - mp.psi(0, total) for v in row]
        batch = special.digamma_rest(rows)
        assert batch.shape == rows.shape
        np.testing.assert_array_equal(special.digamma_rest(rows.reshape(2, 20, 5)).reshape(40, 5),
                                      batch)
        # fewer points than entries: numpy's sums over the last axis instead of column by column
        np.testing.assert_array_equal(special.digamma_rest(rows[:3]), batch[:3])
        for row, got in zip(rows, batch):
            one = special.digamma_rest(row)
            for g, h, e in zip(got, one, exact(row)):
                assert abs(mp.mpf(float(g)) - e) <= 1e-14 * abs(e), row
                assert abs(mp.mpf(float(h)) - e) <= 1e-14 * abs(e), row


@pytest.mark.parametrize("m", [3, 5, 8, 12])
def test_log_multibeta_matches_mpmath_on_every_path(m):
    # Σ log Γ(a_i) − log Γ(Σ a): rows across 1e-3 … 1e6 (Stirling's form for the entries ≥ 10,
    # gammaln below), rows with an entry above half the total (log1p of the others' share),
    # rows summing below 10 (the telescoping sum of log_beta terms) and the benchmark's range;
    # within 4 ulps of the sum of the |log Γ| terms of mpmath, and one point alone the same
    # number as in the batch where Σ a ≥ 10 (up to 8 entries, where both add in sequence).
    rng = np.random.default_rng(15 + m)
    rows = 10 ** rng.uniform(-3, 6, (60, m))
    rows[::5] = rng.uniform(0.5, 20.0, (12, m))
    rows[1::7, 0] *= 1e4
    rows[2::9] = rng.uniform(1e-3, 1.5, (len(rows[2::9]), m))
    rows[3::11] = 10 ** rng.uniform(-3, 3, (len(rows[3::11]), m))
    got = special.log_multibeta(rows)
    assert got.shape == (60,)
    np.testing.assert_array_equal(special.log_multibeta(rows.reshape(3, 20, m)).reshape(60), got)
    eps = np.finfo(float).eps
    with mp.workdps(40):
        for row, g in zip(rows, got):
            r = [mp.mpf(float(v)) for v in row]
            lg = [mp.loggamma(v) for v in r] + [mp.loggamma(mp.fsum(r))]
            exact = mp.fsum(lg[:-1]) - lg[-1]
            scale = mp.fsum(abs(v) for v in lg)
            assert abs(mp.mpf(float(g)) - exact) <= 4 * eps * scale, row
            one = special.log_multibeta(row)
            if m <= 8 and row.sum() >= 10:
                assert one == g, row
            else:
                assert abs(mp.mpf(float(one)) - exact) <= 4 * eps * scale, row


def test_constant_jacobian_delta_equals_the_quadrature():
    # Where η is affine in θ the code generator marks the Jacobian kernel ``constant`` and the
    # KL's refinement takes δ = JΔ from one J instead of the 8-node quadrature of J along the
    # segment: the same δ to rounding, the same error scale, no bend.
    import importlib

    from fisherlab.kernels._special import _EPS, _constant_delta, _segment_delta

    rng = np.random.default_rng(11)
    marked = []
    for name in ("gamma", "beta", "pareto", "chi2", "inverse_gamma", "generalized_dirichlet_k3"):
        module = importlib.import_module(f"fisherlab.kernels.{name}")
        for param, table in module.KERNELS.items():
            jacobian = table["jacobian"]
            if not getattr(jacobian, "constant", False):
                continue
            marked.append(f"{name}-{param}")
            args = jacobian.__code__.co_argcount - 1  # θ, then the fixed parameters
            p = jacobian(*[np.ones(1)] * args).shape[-1]
            tp = [rng.uniform(0.5, 5.0, 50) for _ in range(p)]
            tq = [t * (1 + rng.uniform(-0.06, 0.06, 50)) for t in tp]
            fixed = [np.full(50, 0.25) for _ in range(args - p)]  # Pareto's x_m
            # a constant J: the same at two unrelated points
            np.testing.assert_array_equal(jacobian(*tp, *fixed), jacobian(*tq, *fixed))
            quad, scale, bend = _segment_delta(jacobian, tp, tq, fixed)
            one, one_scale, no_bend = _constant_delta(jacobian, tp, tq, fixed)
            assert np.all(np.abs(one - quad) <= 4 * _EPS * np.abs(quad)), name
            np.testing.assert_allclose(one_scale, scale, rtol=1e-15)
            assert np.all(bend == 0) and np.all(no_bend == 0)
    assert {"gamma-shape_rate", "beta-alpha_beta"} <= set(marked), marked
