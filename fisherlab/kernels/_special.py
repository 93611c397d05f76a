"""Special functions the generated kernels call, in one place so each can be made fast and exact.

Every function takes and returns float64 arrays and broadcasts like a ufunc. Each states the range
on which it meets a relative error of 1e-12 against mpmath at 50 digits
(tests/kernels/test_accuracy.py and tests/kernels/test_special.py check it).
"""

from __future__ import annotations

import contextlib
import functools
import math
import threading

import numpy
import scipy.special

digamma = scipy.special.digamma


# -- power series on arrays -------------------------------------------------------------------

#: :func:`_series_rows` sums by Estrin's scheme up to this many points; beyond, by Horner's rule
#: in place. Estrin's scheme makes fewer numpy calls (three per level instead of two per term)
#: but more arithmetic, whatever the number of terms and rows: measured on a 2-core Xeon, a
#: 16-term series is 35% faster by it at 10 points, even at ~400 and 1.5× slower at 1000 (30 µs
#: against 20); the von Mises R′ tables (two rows) 2.2× faster at 100, even at 1000, and the
#: gammaln, trigamma and log I₀ series 10-15% slower at 1000 and 10⁴.
_ESTRIN_MAX_SIZE = 512


def _series_rows(x, table):
    """Σ_k table[k, ...]·x^k, (*x.shape, *table.shape[1:-1]): one or several power series in
    the same x, each of positive terms or of terms that fall fast.

    ``table`` (terms, ..., 1), from :func:`_table`: the terms first, a unit points axis last,
    so that numpy's loops run along the points (or (terms, points) for a 1-d x: each point's
    own coefficients). Up to _ESTRIN_MAX_SIZE points the
    sums are formed by Estrin's scheme, three numpy calls per level on all terms at once (a
    Horner loop costs two calls per term, most of a kernel's time on a small batch), until an
    odd number of blocks is left, which Horner's rule in x^(block) sums; beyond, by Horner's
    rule in place.
    Either way the rounding error is a few ulps of the sum of the terms' magnitudes. A single
    point (0-d x) and a one-row table take :func:`_series_float`, the same operations on Python
    floats (a tenth of the cost of array calls on one element, and the same value as in a small
    batch).
    """
    lead = table.shape[1:-1]
    if numpy.ndim(x) == 0 and not lead:
        return numpy.float64(_series_float(float(x), _table_rows(table)[0]))
    row = numpy.reshape(x, (1,) * len(lead) + (-1,))
    if row.size > _ESTRIN_MAX_SIZE:
        acc = numpy.empty(lead + row.shape[-1:])
        acc[...] = table[-1]
        for c in table[-2::-1]:
            acc *= row
            acc += c
    else:
        acc = table[1::2] * row
        acc += table[0::2]
        power = row * row
        while acc.shape[0] % 2 == 0:
            acc = acc[1::2] * power + acc[0::2]
            power *= power
        # an odd number of blocks left (a table of 8·9 terms: 9 of 8): Horner's rule in x^8
        blocks, acc = acc, acc[-1]
        for block in blocks[-2::-1]:
            acc = acc * power
            acc += block
    if lead:
        acc = acc.reshape(-1, acc.shape[-1]).T
    return acc.reshape(numpy.shape(x) + lead)


def _series_float(v: float, coeffs) -> float:
    """Σ_k coeffs[k]·v^k on Python floats by the operations, in the order, of
    :func:`_series_rows`'s Estrin scheme: the same value, rounding for rounding."""
    acc = [coeffs[j + 1] * v + coeffs[j] for j in range(0, len(coeffs), 2)]
    power = v * v
    while len(acc) % 2 == 0:
        acc = [acc[j + 1] * power + acc[j] for j in range(0, len(acc), 2)]
        power *= power
    out = acc[-1]
    for block in acc[-2::-1]:
        out = out * power + block
    return out


_TABLE_ROWS: dict[int, tuple[numpy.ndarray, tuple[tuple[float, ...], ...]]] = {}


def _table_rows(table) -> tuple[tuple[float, ...], ...]:
    """A table's rows as tuples of Python floats, lowest power first (cached)."""
    entry = _TABLE_ROWS.get(id(table))
    if entry is None or entry[0] is not table:
        rows = table.reshape(table.shape[0], -1).T
        entry = _TABLE_ROWS[id(table)] = (table, tuple(tuple(map(float, r)) for r in rows))
    return entry[1]


def _table(*rows, length=None) -> numpy.ndarray:
    """Coefficient rows (lowest power first) as a (terms, rows, 1) table for
    :func:`_series_rows` ((terms, 1) for one row), zero-padded to one length (by default the
    next power of two)."""
    n = length or 1 << (max(len(r) for r in rows) - 1).bit_length()
    table = numpy.array([[float(c) for c in r] + [0.0] * (n - len(r)) for r in rows]).T
    return table[:, :, None] if len(rows) > 1 else table



#: Within this distance of 1 and of 2 (the zeros of log Γ), gammaln sums the series of
#: log Γ(1 + u); farther out scipy's gammaln keeps ≤ 1e-15 relative (9e-16 at 1 + 0.1).
_LGAMMA_NEAR_ZEROS = 0.1
#: (−1)^k ζ(k)/k, k = 2…61: log Γ(1 + u) = −γu + Σ_k (−1)^k ζ(k)/k u^k for |u| < 1 (also
#: the series of _log_beta_near_one, whose |u + v| ≤ 0.5 needs them all: the 61st term is below
#: 1e-19 of the second there).
_LGAMMA1P_SERIES = tuple((-1) ** k * float(scipy.special.zeta(k)) / k for k in range(2, 62))
#: ... of which |u| ≤ 0.1 needs k ≤ 19 (the first omitted term is below 1e-20 of the sum).
_LGAMMA1P_TERMS_NEAR_ZEROS = 18


def _lgamma1p(u):
    """log Γ(1 + u) for |u| ≤ 0.1 by its Taylor series, to an ulp (u·(−γ + u·(…))); Python
    floats or arrays."""
    out = 0.0 * u
    for c in _LGAMMA1P_SERIES[_LGAMMA1P_TERMS_NEAR_ZEROS - 1::-1]:
        out = (out + c) * u
    return (out - float(numpy.euler_gamma)) * u


#: log Γ near its zeros as u·P(u): P for log Γ(1 + u) (−γ, then (−1)^k ζ(k)/k) and for
#: log Γ(2 + v) = log Γ(1 + v) + log1p(v) ((1 − γ), then (−1)^k (ζ(k) − 1)/k, radius 2), k ≤ 20
#: (at |u| ≤ 0.1 the first omitted terms are below 1e-21 of the sums); 20 = 4·5 terms.
_LGAMMA_NEAR_TABLE = _table(
    (-float(numpy.euler_gamma),) + _LGAMMA1P_SERIES[:19],
    (0.42278433509846713939348790991759756895784066406008,)
    + tuple((-1) ** k * float(scipy.special.zetac(k)) / k for k in range(2, 21)),
    length=20)


#: Up to this many points near the zeros gammaln sums both series as one, with a (terms, points)
#: table of coefficients; beyond, that table costs more memory traffic than two passes.
_LGAMMA_NEAR_TOGETHER = 512


def _gammaln_float(v: float) -> float:
    """:func:`gammaln` at one point, the same value as in a small batch."""
    u = v - 1.0
    if abs(u) <= _LGAMMA_NEAR_ZEROS:
        row = 0
    elif abs(u - 1.0) <= _LGAMMA_NEAR_ZEROS:
        row, u = 1, u - 1.0
    else:
        return float(scipy.special.gammaln(v))
    return _series_float(u, _table_rows(_LGAMMA_NEAR_TABLE)[row]) * u


def gammaln(x):
    """log Γ(x) for x > 0, (...), relatively accurate near its zeros x = 1 and x = 2.

    scipy's gammaln is accurate to an ulp of log Γ's size away from them, but near them it is a
    difference of order-one numbers (5.9e-7 relative at 1 − 3e-10, 2e-9 at 1 + 2.3e-8, 8e-7 at
    2 − 3e-10); within 0.1 of 1 it is the series of log Γ(1 + u), u = x − 1, and within 0.1 of
    2 that of log Γ(2 + v), v = x − 2 (both exact to rounding; _LGAMMA_NEAR_TABLE). A batch is
    screened by two comparisons (0.9 ≤ x ≤ 2.1) before the exact test on the points that pass,
    and the two series run on those points as one, each point with its own coefficients.
    """
    if isinstance(x, float):
        return _gammaln_float(x)
    x = numpy.asarray(x, dtype=numpy.float64)
    out = scipy.special.gammaln(x)
    if x.ndim == 0:
        return _gammaln_float(float(x)) if 0.9 <= x <= 2.1 else out
    screen = numpy.flatnonzero((x >= 1.0 - _LGAMMA_NEAR_ZEROS) & (x <= 2.0 + _LGAMMA_NEAR_ZEROS))
    if screen.size:
        xs = x.reshape(-1)[screen]
        # the offset from the nearer zero, exact (Sterbenz): x − 1 on [0.9, 2.1], then − 1
        two = xs >= 1.5
        u = xs - 1.0
        u -= two
        keep = numpy.abs(u) <= _LGAMMA_NEAR_ZEROS
        if not keep.all():
            screen, u, two = screen[keep], u[keep], two[keep]
            if not screen.size:
                return out
        if screen.size <= _LGAMMA_NEAR_TOGETHER:
            # each point's own row of coefficients, a (terms, points) table: one series' work
            coef = numpy.where(two, _LGAMMA_NEAR_TABLE[:, 1], _LGAMMA_NEAR_TABLE[:, 0])
            value = _series_rows(u, coef)
        else:
            # many points: each zero's series on its own points, with scalar coefficients
            value = numpy.empty_like(u)
            for row, at in enumerate((numpy.flatnonzero(~two), numpy.flatnonzero(two))):
                if at.size:
                    value[at] = _series_rows(u[at], _LGAMMA_NEAR_TABLE[:, row])
        value *= u
        # scipy's result is a fresh array, in the input's memory order
        if not out.flags.c_contiguous:
            out = numpy.ascontiguousarray(out)
        out.reshape(-1)[screen] = value
    return out


def polygamma(n, x):
    """ψ⁽ⁿ⁾(x) for an integer n ≥ 0: (−1)ⁿ⁺¹ n! ζ(n + 1, x) for n ≥ 1 (the formula scipy's
    ``polygamma`` evaluates too, minus its wrapper's per-call cost of ~20 µs)."""
    n = int(n)
    if n == 0:
        return digamma(x)
    return (-1.0) ** (n + 1) * float(math.factorial(n)) * scipy.special.zeta(n + 1.0, x)

# -- trigamma ---------------------------------------------------------------------------------
#
# ψ'(x) = ζ(2, x). scipy evaluates it through the Hurwitz zeta function at ~240 ns per element;
# here it is a fused recurrence + asymptotic series in float64 array arithmetic, ~10× faster at
# large batches and within a few ulps everywhere on x > 0:
#
#   ψ'(x) = Σ_{j<n} 1/(x + j)² + ψ'(x + n)                    (recurrence, all terms positive)
#   ψ'(y) = 1/y + 1/(2y²) + Σ_{k≥1} B_{2k} / y^{2k+1}         (asymptotic, y ≥ _SHIFT)
#
# At y ≥ 10 the first omitted asymptotic term (k = 10, |B_20|/y^21 ≈ 5.3e-19) is below 1e-17 of
# ψ'(y) ≈ 1/y, so the series is exact to rounding; the recurrence adds < n ulps.

_SHIFT = 10.0
#: B_2k for k = 1..9 (the Bernoulli numbers), coefficients of y^-(2k+1).
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798)
#: Below this many elements scipy's per-element call is cheaper than the array passes.
_SMALL = 64
#: Arrays are shifted in blocks of this many points: the (10, block) array of the recurrence's
#: terms stays in the caches.
_TRIGAMMA_BLOCK = 4096
#: 0, 1, …, 9 as a column: the recurrence's offsets, one row each.
_SHIFTS = numpy.arange(_SHIFT)[:, None]
#: Σ_k B_2k w^(k−1), w = 1/y² ≤ 0.01, the terms falling by ≥ 12× (padded to 10 = 2·5 for
#: Estrin's scheme).
_BERNOULLI_TABLE = _table(_BERNOULLI, length=10)


def _trigamma_asymptotic(y):
    """ψ'(y) for y ≥ 10 (array, float64), by the asymptotic series; in-place passes."""
    z = 1.0 / y
    s = _series_rows(z * z, _BERNOULLI_TABLE)
    # z + z²/2 + z³ s = z (1 + z (1/2 + z s))
    s *= z
    s += 0.5
    s *= z
    s += 1.0
    s *= z
    return s


def _trigamma_shifted(x):
    """ψ'(x) for a 1-d array x > 0: Σ_{j<10} 1/(x + j)² + ψ'(x + 10), the ten terms as the
    rows of one array, summed in order (largest first; all positive)."""
    if x.size > _TRIGAMMA_BLOCK:
        out = numpy.empty_like(x)
        for start in range(0, x.size, _TRIGAMMA_BLOCK):
            out[start:start + _TRIGAMMA_BLOCK] = _trigamma_shifted(
                x[start:start + _TRIGAMMA_BLOCK])
        return out
    t = _SHIFTS + x
    t *= t
    numpy.divide(1.0, t, out=t)
    out = numpy.add.reduce(t, axis=0)
    out += _trigamma_asymptotic(x + _SHIFT)
    return out


def trigamma(x):
    """ψ'(x), the trigamma function, for x > 0 (relative error < 1e-14 on (0, ∞)).

    Non-positive x gives NaN (the kernels' argument checks keep it out); +inf gives 0.
    """
    if not isinstance(x, float):
        x = numpy.asarray(x, dtype=numpy.float64)
    if isinstance(x, float) or x.ndim == 0:
        # One point (a single θ): the same ζ(2, x) on a Python float, 4× cheaper than the
        # array bookkeeping below.
        v = float(x)
        return numpy.float64(scipy.special.zeta(2.0, v) if v > 0 else numpy.nan)
    if x.size < _SMALL:
        # ζ(2, x) directly: scipy's polygamma wrapper costs ~10× more per call at this size.
        return numpy.where(x > 0, scipy.special.zeta(2.0, x), numpy.nan)
    # every point shifted by ten (no split at 10: the shift costs four numpy calls for all ten
    # steps, a split by index more); x ≥ 10 loses nothing by it, the terms being positive
    out = _trigamma_shifted(x.reshape(-1))
    out[~(x.reshape(-1) > 0)] = numpy.nan
    return out.reshape(x.shape)


def _trigamma_minus_reciprocal_series(y):
    """ψ'(y) − 1/y for y ≥ 10: 1/(2y²) + Σ B_2k/y^(2k+1), without forming 1/y."""
    z = 1.0 / y
    w = z * z
    s = _series_rows(w, _BERNOULLI_TABLE)
    s *= z
    s += 0.5
    s *= w
    return s


def _trigamma_minus_reciprocal_shifted(x):
    """ψ'(x) − 1/x for a 1-d array x > 0: Σ_{j<10} 1/((x + j)²(x + j + 1)) + ψ'(y) − 1/y,
    y = x + 10, a sum of positive terms (see trigamma_minus_reciprocal)."""
    if x.size > _TRIGAMMA_BLOCK:
        out = numpy.empty_like(x)
        for start in range(0, x.size, _TRIGAMMA_BLOCK):
            out[start:start + _TRIGAMMA_BLOCK] = _trigamma_minus_reciprocal_shifted(
                x[start:start + _TRIGAMMA_BLOCK])
        return out
    t = _SHIFTS + x
    d = t + 1.0
    d *= t
    d *= t
    numpy.divide(1.0, d, out=d)
    out = numpy.add.reduce(d, axis=0)
    out += _trigamma_minus_reciprocal_series(x + _SHIFT)
    return out


def trigamma_minus_reciprocal(x):
    """ψ'(x) − 1/x for x > 0 without cancellation (within 4 ulps on (0, ∞)).

    ψ'(x) = 1/x + 1/(2x²) + …: the difference loses log10(2x) digits when formed naively (all
    of them by x ~ 1e16, and 1.3 already at x = 10). The recurrence of ψ' and 1/x telescoped,
    1/x = Σ_{j<n} 1/((x + j)(x + j + 1)) + 1/(x + n), make it a sum of positive terms,

        ψ'(x) − 1/x = Σ_{j<10} 1/((x + j)²(x + j + 1)) + (ψ'(y) − 1/y),   y = x + 10,

    the last by the asymptotic series without its leading 1/y. One formula for every x, so a
    batch is not split. Non-positive x gives NaN.
    """
    x = numpy.asarray(x, dtype=numpy.float64)
    if x.ndim == 0:
        v = float(x)
        if not v > 0:
            return numpy.float64(numpy.nan)
        acc = 0.0
        for j in range(int(_SHIFT)):
            a = v + j
            acc += 1.0 / ((a + 1.0) * a * a)
        return numpy.float64(acc + float(_trigamma_minus_reciprocal_series(
            numpy.float64(v + _SHIFT))))
    flat = x.reshape(-1)
    out = _trigamma_minus_reciprocal_shifted(flat)
    out[~(flat > 0)] = numpy.nan
    return out.reshape(x.shape)


def _gamma_unit_entropy_series(a):
    """a + log Γ(a) − (a − 1)ψ(a) for a ≥ 10 by the Stirling series of log Γ and ψ, summed
    without its terms of size a log a (which cancel): ½ log(2πa) + ½ − 1/(2a) + Σ_k B_2k
    (z^(2k−1)/(2k − 1) − z^(2k)/(2k)), z = 1/a (first omitted term < 1e-18 at a = 10)."""
    z = 1.0 / a
    s = numpy.zeros_like(a)
    for k in range(len(_BERNOULLI), 0, -1):
        b = _BERNOULLI[k - 1]
        s += z ** (2 * k - 1) * (b / (2 * k - 1) - b / (2 * k) * z)
    return 0.5 * numpy.log(2.0 * numpy.pi * a) + (0.5 - 0.5 * z + s)


def gamma_unit_entropy(a):
    """a + log Γ(a) − (a − 1)ψ(a), the entropy of the gamma law of shape a and rate 1, for
    a > 0 without cancellation.

    Its three terms are of size a log a and cancel to ½ log(2πe a) + O(1/a): formed directly
    they keep about 16 − log10(a log a) digits (1.4e-11 relative at a = 224.6). Below 10 the
    direct sum loses at most a digit; from 10 on the Stirling series is summed with the
    cancelling terms removed exactly. Against mpmath: within 4e-15 relative on [1e-3, 1e8], but
    for 1.2e-14 next to its zero at a ≈ 0.4717, whose condition number it inherits.
    """
    a = numpy.asarray(a, dtype=numpy.float64)
    out = numpy.empty_like(a)
    # (a ≤ 0 and NaN are in neither part: NaN, without the inf − inf of log Γ(0) − ψ(0))
    small = (a > 0) & (a < _SHIFT)
    if small.any():
        x = a[small]
        out[small] = x + gammaln(x) - (x - 1.0) * digamma(x)
    big = a >= _SHIFT
    if big.any():
        out[big] = _gamma_unit_entropy_series(a[big])
    out[~(small | big)] = numpy.nan
    return out[()] if out.ndim == 0 else out


# -- log-sum-exp and friends -------------------------------------------------------------------


def log1pexp(u):
    """log(1 + e^u) (softplus) without overflow for large u or rounding of 1 + e^u for small u."""
    u = numpy.asarray(u, dtype=numpy.float64)
    return numpy.maximum(u, 0.0) + numpy.log1p(numpy.exp(-numpy.abs(u)))


def expit(u):
    """σ(u) = 1/(1 + e^−u), (...): scipy's, which neither overflows nor rounds to 1 − ε early."""
    return scipy.special.expit(numpy.asarray(u, dtype=numpy.float64))


def logistic_entropy(u):
    """log(1 + e^u) − u e^u/(1 + e^u), the entropy of a Bernoulli law of log-odds u, without
    cancellation: as softplus(−|u|) + |u| σ(−|u|), two positive terms (the function is even).

    Formed as written, the two terms of size |u| cancel for large u to about (1 + u) e^−u,
    keeping 16 − log10(u e^u) digits (1.8e-10 relative at u = 14).
    """
    a = numpy.abs(numpy.asarray(u, dtype=numpy.float64))
    e = numpy.exp(-a)
    return numpy.log1p(e) + a * e / (1.0 + e)


def logistic_kl(u, v):
    """KL between the Bernoulli laws of log-odds u and v: log(1 + e^v) − log(1 + e^u) −
    (v − u) σ(u), as σ(u)(s(−v) − s(−u)) + σ(−u)(s(v) − s(u)) with s the softplus.

    The Bregman form cancels where σ(u) ≈ 1: its terms of size v and u leave (1 + v − u) e^−u
    (1.5e-5 relative at u = 25.13, v = 149.25). In this form each bracket is the difference of
    two softplus values on the side where they are small (or of order their difference), so the
    only cancellation left is that of u ≈ v, which the KL's refinement integrates.
    """
    u = numpy.asarray(u, dtype=numpy.float64)
    v = numpy.asarray(v, dtype=numpy.float64)
    return (scipy.special.expit(u) * (log1pexp(-v) - log1pexp(-u))
            + scipy.special.expit(-u) * (log1pexp(v) - log1pexp(u)))


# -- KL between nearly equal distributions ------------------------------------------------------
#
# KL(p ‖ q) = A(η_q) − A(η_p) − ⟨∇A(η_p), δ⟩ with δ = η_q − η_p is a difference of O(|A|) terms
# whose result is O(|δ|²): its rounding error is about ε·M with M the sum of the magnitudes of
# the terms, a relative error ε·M/KL that reaches 1 when |δ| ~ √ε (and ~1e-11 already at
# |δ| ~ 1e-2 of η). A Taylor series in δ does not rescue the middle: with terms through order N
# the best crossover accuracy is ≈ ε^((N−1)/(N+1)), 3e-10 for the N = 4 this used to have.
#
# Instead, with g(t) = A(η_p + tδ), Taylor's theorem with integral remainder gives exactly
#
#   KL = g(1) − g(0) − g′(0) = ∫₀¹ (1 − t) g″(t) dt,   g″(t) = δᵀ∇²A(η_p + tδ)δ > 0,
#
# an integral of a positive, analytic function: no cancellation, and Gauss–Legendre quadrature
# converges geometrically, like r^(−2n) with r the Bernstein ellipse of the nearest singularity
# of A along the line (a singularity 4 segment lengths away gives r ≈ 16: 16 nodes are exact to
# rounding). The generated ``_kl_curvature`` evaluates g″ in a form that does not cancel itself
# (a sum of squares for small families, see fisherlab.compile.codegen._ldl_curvature).
#
# δ itself must not be formed as η(θ_q) − η(θ_p) either when θ_q ≈ θ_p: each η carries an error
# ε|η|, a relative ε|η|/|δ| in δ (1e-7 at |δ| = 1e-9|η|). With Δ = θ_q − θ_p, exact in float when
# the two are within a factor 2 (Sterbenz), δ = ∫₀¹ J(θ_p + sΔ) Δ ds, the same quadrature on the
# Jacobian (the natural parametrization needs none: there δ = Δ).
#
# Which points get the quadrature: those whose Bregman form is suspect (|KL| < 1e-4·M, a
# predicted error above ~2e-12; the prediction is pessimistic by about 10×), and those whose θ's
# are close componentwise (|θ_q − θ_p| ≤ 0.06·(|θ_p| + |θ_q|), within ~13%): there the Bregman
# form has lost at least 2–3 digits, and M, the sum of the summands' magnitudes, can miss a
# cancellation inside a summand (digamma_diff(a, b)·(a_q − a) next to log B(a, b)). Neither test
# can go. At pairs the close test alone selects (400 per parametrization, relative steps 1e-4 to
# 0.13) the Bregman form's error reaches 2e-5 (Bernoulli's natural η, whose KL is one cancelling
# summand), 3e-10 (logarithmic), 8e-11 (negative binomial, mean), 2e-11 (beta), up to 285×
# ε·M/|KL| where M sees the cancellation at all; between 0.04 and 0.06 still 1e-10 (Bernoulli's
# η) and 5e-12 (negative binomial). Gamma's and von Mises' stay within 1.1× ε·M/|KL|: there the
# close test buys no accuracy, but the kernels cannot tell the families apart.
#
# The 4- and 8-node rules are evaluated first; the 8-node value is used where the two agree to
# 1e-8 (its own error is then about the square of that). Elsewhere the 16-node rule is evaluated
# too, and used where it agrees with the 8-node one to 1e-8 or where their difference is smaller
# than the Bregman form's predicted error. (Against always evaluating 8 and 16 nodes, this halves
# the cost of a point: 5.3 → 2.1 µs for gamma.) Of random, far-apart points (gamma, beta, normal,
# von Mises at the benchmark's ranges) a few percent are candidates; the rest pay a few
# comparisons. (3 to 6 nodes instead of 4 and 8 were tried on 10⁴ candidates of random pairs:
# 3/6 converges for half as many, 4/6 accepts errors of 2e-12.)

_EPS = float(numpy.finfo(numpy.float64).eps)
_TINY = float(numpy.finfo(numpy.float64).tiny)
#: Points with |KL| below this fraction of the magnitude of its terms are candidates.
_KL_SUSPECT = 1e-4
#: ... and so are points whose parameters all have |θ_q − θ_p| ≤ this·(|θ_p| + |θ_q|).
_KL_CLOSE = 0.06
#: A quadrature value is trusted when it agrees with the next coarser rule to this relative
#: tolerance.
_KL_CONVERGED = 1e-8
#: The quadrature of J is trusted where it is within this many ε·(|η_p| + |η_q| + |J||θ|) of
#: η_q − η_p.
_DELTA_SLACK = 16.0
#: ... and where J changes along the segment by at most this fraction (η nearly linear in θ).
_DELTA_BEND = 1e-2


def _gauss_legendre(n):
    """Nodes and weights of the n-point Gauss–Legendre rule on [0, 1]."""
    x, w = numpy.polynomial.legendre.leggauss(n)
    return (x + 1.0) / 2.0, w / 2.0


_GL_4, _GL_8, _GL_16 = _gauss_legendre(4), _gauss_legendre(8), _gauss_legendre(16)
#: The 4- and 8-node rules' nodes, evaluated in one call of the curvature kernel.
_GL_FIRST = numpy.concatenate([_GL_4[0], _GL_8[0]])


def _segment_delta(jacobian, theta_p, theta_q, fixed=()):
    """δ = η(θ_q) − η(θ_p) = ∫₀¹ J(θ_p + sΔ) Δ ds (8-node Gauss–Legendre), (n, m).

    Also returns ½(|J(θ_p)| |θ_p| + |J(θ_q)| |θ_q|), (n, m), the scale of the rounding error of
    η(θ) itself, and how much J changes along the segment,
    ‖J(end) − J(start)‖ / (‖J(start)‖ + ‖J(end)‖) (Frobenius), (n,). ``theta_p``, ``theta_q``:
    columns of shape (n,); ``fixed``: the fixed parameters' columns (n,), passed after θ.
    The nodes and both ends are evaluated in one call; the weighted sum over the nodes is one
    matrix product over J's flattened entries (the ends weigh 0), and the two ends are taken
    together: for the dozen points of a typical batch the numpy calls' fixed cost is all there
    is, and for the ten thousand of a batch of 10⁶ ``einsum`` over 2×2 blocks cost 2× more
    (gamma, 10⁴ points: 7.2 → 3.3 ms; von Mises 9.6 → 5.5).

    J changing by at most 1e-2 along the segment (the only case the result is used in) puts the
    nearest singularity ≳ 100 segment lengths away, where 8 nodes are exact to far below rounding.
    (Not 4: where η mixes scales, as the gamma's mean_shape or the inverse Gaussian's, the
    4-node rule is off by up to 1e4 ulps of the result where J changes by less than 1e-2.)
    """
    tp, tq = numpy.array(theta_p, ndmin=2).T, numpy.array(theta_q, ndmin=2).T  # (n, p)
    step = tq - tp
    points = tp[:, None, :] + _SEGMENT_NODES[:, None] * step[:, None, :]  # (n, 10, p)
    J = jacobian(*numpy.moveaxis(points, -1, 0), *[f[:, None] for f in fixed])  # (n, 10, m, p)
    n, s, m, p = J.shape
    flat = J.reshape(n, s, m * p)
    delta = ((_SEGMENT_WEIGHTS @ flat).reshape(n, m, p) @ step[:, :, None])[..., 0]
    ends = flat[:, ::s - 1]  # (n, 2, m·p): J(θ_p), J(θ_q)
    scale = (numpy.abs(ends).reshape(n, 2, m, p)
             @ numpy.abs(numpy.stack([tp, tq], 1))[..., None]).sum(1)[..., 0]
    scale *= 0.5
    size = numpy.sqrt(numpy.einsum("nsi,nsi->ns", ends, ends)).sum(1)
    size[size == 0] = 1.0
    change = ends[:, 1] - ends[:, 0]
    bend = numpy.sqrt(numpy.einsum("ni,ni->n", change, change)) / size
    return delta, scale, bend


def _constant_delta(jacobian, theta_p, theta_q, fixed=()):
    """:func:`_segment_delta` where J does not depend on θ (η affine in θ; the code generator
    marks such a Jacobian ``constant``): δ = JΔ from one J, ½|J|(|θ_p| + |θ_q|), no bend.

    The quadrature would give the same up to the rounding of its weights' sum (an ulp), for
    ten evaluations of J and the sums over them (gamma, 10⁴ close candidates: 7.1 → 0.7 ms;
    19 of them: 39 → 10 µs).
    """
    tp, tq = numpy.array(theta_p, ndmin=2).T, numpy.array(theta_q, ndmin=2).T  # (n, p)
    J = jacobian(*theta_p, *fixed)  # (n, m, p)
    delta = (J @ (tq - tp)[:, :, None])[..., 0]
    scale = (numpy.abs(J) @ (numpy.abs(tp) + numpy.abs(tq))[:, :, None])[..., 0]
    scale *= 0.5
    return delta, scale, numpy.zeros(len(tp))


#: The nodes of :func:`_segment_delta`: both ends and the 8-node rule's nodes between them.
_SEGMENT_NODES = numpy.concatenate([[0.0], _GL_8[0], [1.0]])
_SEGMENT_WEIGHTS = numpy.concatenate([[0.0], _GL_8[1], [0.0]])


def _curvature_rule(curvature, eta_p, delta, t, fixed=()):
    """(1 − t) δᵀ∇²A(η_p + tδ)δ at the nodes t, (n, nodes): one call of ``curvature``.

    Each node column is built contiguous, (n, nodes), not as a strided view of an (n, nodes, m)
    array: the kernel's special functions make many passes over it (~10% of their time)."""
    nodes = []
    for e, d in zip(eta_p.T, delta.T):
        col = numpy.multiply.outer(d, t)
        col += e[:, None]
        nodes.append(col)
    g = curvature(*nodes, *delta.T[:, :, None], *[f[:, None] for f in fixed])
    return g * (1.0 - t)


def _curvature_integral(curvature, eta_p, delta, fixed=()):
    """∫₀¹ (1 − t) δᵀ∇²A(η_p + tδ)δ dt and an estimate of its relative error, two arrays (n,).

    The 4- and 8-node rules first, in one call: where they agree to ``_KL_CONVERGED`` the 8-node
    value's error is about the square of that (Gauss–Legendre converges like r^(−2n)), far below
    rounding. Elsewhere the 16-node rule, with its difference from the 8-node one as the
    estimate. Of the candidates of random pairs 0.1% (gamma), none (beta) and 4% (von Mises)
    need it. Evaluating the 16 nodes as well for every candidate of a small batch, to save the
    second call, cost more where the curvature's special functions pay per node (19 gamma
    candidates: 12 nodes 90 µs, 28 nodes 120 µs): the refinement of a batch of 10³ random
    pairs, mean of 12 batches, gamma 277 → 253 µs, beta 341 → 328, von Mises 575 → 585.
    Called with floating-point warnings off (see :func:`_refine`).
    """
    g = _curvature_rule(curvature, eta_p, delta, _GL_FIRST, fixed)
    n4 = _GL_4[0].size
    coarse, value = g[:, :n4] @ _GL_4[1], g[:, n4:] @ _GL_8[1]
    err = numpy.abs(value - coarse) / numpy.abs(value)
    # value = 0 only when δ = 0 (A is strictly convex): the KL is exactly 0.
    err[(value == 0) | (err <= _KL_CONVERGED)] = 0.0
    todo = err > 0  # NaN (an overflowing node) compares False and is kept as it is
    if todo.any():
        g = _curvature_rule(curvature, eta_p[todo], delta[todo], _GL_16[0],
                            [f[todo] for f in fixed]) @ _GL_16[1]
        err[todo] = numpy.abs(g - value[todo]) / numpy.abs(g)
        value[todo] = g
    return value, err


def _full(column, shape):
    """``column`` broadcast to ``shape`` (itself when it has that shape already: one call less
    on the hot path)."""
    if isinstance(column, numpy.ndarray) and column.shape == shape:
        return column
    return numpy.broadcast_to(column, shape)


def _close_points(theta_p, theta_q, shape, scratch=None):
    """Indices (a tuple, as from ``numpy.nonzero``) of the points of ``shape`` whose every
    parameter has |θ_q − θ_p| ≤ ``_KL_CLOSE``·(|θ_p| + |θ_q|).

    The test is written |θ_q − θ_p| ≤ c·|θ_q + θ_p|, the same for c < 1 (when the signs differ
    the left side is |θ_p| + |θ_q| and fails both), and each parameter after the first is tested
    only where all before it passed: of far-apart points about a tenth pass the first, so the
    rest cost little (a Dirichlet's five parameters, a categorical's nine). ``scratch``: two
    float arrays and a boolean one of ``shape`` for the first parameter's test, which then
    allocates nothing (a slice of 32768 points: 0.25 → 0.08 ms, the fresh arrays' page faults).
    """
    where = None
    for p, q in zip(theta_p, theta_q):
        if where is None:
            total, diff, ok = scratch or (numpy.empty(shape), numpy.empty(shape),
                                          numpy.empty(shape, dtype=bool))
            numpy.add(q, p, out=total)
            numpy.abs(total, out=total)
            total *= _KL_CLOSE
            numpy.subtract(q, p, out=diff)
            numpy.abs(diff, out=diff)
            where = numpy.nonzero(numpy.less_equal(diff, total, out=ok))
        else:
            p, q = _full(p, shape)[where], _full(q, shape)[where]
            total = numpy.abs(q + p)
            total *= _KL_CLOSE
            ok = numpy.abs(q - p) <= total
            where = tuple(i[ok] for i in where)
        if not where[0].size:
            break
    return where


#: Up to this many points the selection's scratch arrays are kept between calls (per thread).
_SCRATCH_MAX = 1 << 16
_SCRATCH = threading.local()


def _selection_scratch(shape):
    """Two float arrays and a mask of ``shape`` for :func:`kl_refine`'s selection, written in
    place. Up to a slice's size (see fisherlab.kernels._runtime) the same memory serves every
    call of the thread: fresh arrays of 32768 points, freed and trimmed back to the system
    after each slice, cost more in page faults than the arithmetic (0.35 → 0.13 ms a slice)."""
    size = math.prod(shape)
    if size > _SCRATCH_MAX:
        return numpy.empty(shape), numpy.empty(shape), numpy.empty(shape, dtype=bool)
    kept = getattr(_SCRATCH, "arrays", None)
    if kept is None or kept[0].size < size:
        kept = _SCRATCH.arrays = (numpy.empty(size), numpy.empty(size),
                                  numpy.empty(size, dtype=bool))
    return tuple(a[:size].reshape(shape) for a in kept)


def kl_refine(bregman, magnitude, to_natural, jacobian, curvature, theta_p, theta_q, fixed=()):
    """Replace the Bregman-form KL by the integral of its curvature where that is more accurate.

    Parameters
    ----------
    bregman : ndarray, shape (...)
        The KL evaluated in closed form (writable; updated in place and returned).
    magnitude : array_like, broadcastable to (...)
        Sum of the absolute values of the terms summed to form ``bregman``.
    to_natural : callable
        The parametrization's η(θ) kernel, (θ columns) -> (..., m).
    jacobian : callable or None
        The parametrization's J = ∂η/∂θ kernel, (θ columns) -> (..., m, p); None for the
        natural parametrization (η = θ: η_q − η_p is exact where θ_q ≈ θ_p).
    curvature : callable
        ``(η columns, δ columns) -> (...)``: δᵀ∇²A(η)δ.
    theta_p, theta_q : sequence of arrays
        The columns of θ_p and θ_q.
    fixed : sequence of arrays
        The fixed parameters of the family (binomial n, ...), broadcastable to (...): the last
        arguments of the three kernels.

    Returns
    -------
    ndarray, shape (...)
        The KL, to ~1e-14 relative wherever the quadrature converges (see the notes above).
    """
    if getattr(_PENDING, "unrefined", False):
        return bregman  # inside kl_unrefined(): the closed form as it is, for the verifier
    shape = bregman.shape
    if not shape:
        # One point (the hot loop of an optimizer): decide in Python floats, ~10× cheaper
        # than the array passes below, and return at once when the closed form stands.
        is_close = all(abs(float(q) - float(p)) <= _KL_CLOSE * (abs(float(p)) + abs(float(q)))
                       for p, q in zip(theta_p, theta_q))
        if not (is_close or abs(float(bregman)) < _KL_SUSPECT * float(magnitude)):
            return bregman
        close, near = numpy.array(is_close), numpy.array(True)
        mag = _full(magnitude, shape)
    else:
        scratch = _selection_scratch(shape)
        where = _close_points(theta_p, theta_q, shape, scratch)
        mag = _full(magnitude, shape)
        absolute, bound, mask = scratch
        numpy.abs(bregman, out=absolute)
        numpy.multiply(mag, _KL_SUSPECT, out=bound)
        near = numpy.less(absolute, bound, out=mask)
        near[where] = True
        # The candidates' indices, found once: each gather below then touches a few hundred
        # points instead of making a pass over the slice with a boolean mask.
        near = near.nonzero()
        if not near[0].size:
            return bregman
        close = numpy.zeros(shape, dtype=bool)
        close[where] = True
    point = _Candidates(bregman, near, mag[near], close[near],
                        [_full(c, shape)[near] for c in theta_p],
                        [_full(c, shape)[near] for c in theta_q],
                        (to_natural, jacobian, curvature),
                        [_full(c, shape)[near] for c in fixed])
    pending = getattr(_PENDING, "batches", None)
    if pending is not None:
        pending.append(point)  # refined with the other slices' candidates by kl_refine_pending
    else:
        _refine([point])
    return bregman


class _Candidates:
    """The points of one ``kl_refine`` call that need the quadrature: where they sit in the
    output (``out[near]``, ``near`` a tuple of index arrays, or a 0-d mask for one point),
    their Bregman values' magnitudes, which are close componentwise, their θ columns, the
    kernels (η(θ), J(θ), curvature) that refine them and the fixed parameters' columns."""

    __slots__ = ("out", "near", "mag", "close", "tp", "tq", "kernels", "fx")

    def __init__(self, out, near, mag, close, tp, tq, kernels, fx=()):
        self.out, self.near, self.mag, self.close = out, near, mag, close
        self.tp, self.tq, self.kernels, self.fx = tp, tq, kernels, fx


#: Per thread: the list that ``kl_refine`` appends its candidates to instead of refining them
#: at once, while a batch is evaluated slice by slice (see :func:`kl_refine_pending`).
_PENDING = threading.local()


@contextlib.contextmanager
def kl_refine_pending():
    """Within the block, ``kl_refine`` only marks its candidates; on leaving it normally they are
    refined together, once.

    The quadrature of a few hundred candidates costs mostly its ~60 numpy calls' fixed cost
    (~0.6 ms): a batch of 10⁶ far-apart points cut into 31 slices, ~1% of them candidates, spent
    26 ms refining the normal's KL slice by slice.
    """
    outer = getattr(_PENDING, "batches", None)
    batches = _PENDING.batches = []
    try:
        yield
    finally:
        _PENDING.batches = outer
    _refine(batches)


@contextlib.contextmanager
def kl_unrefined():
    """Within the block, ``kl_refine`` leaves the closed-form (Bregman) KL as it is.

    For the verifier, which tests the closed form and its refinement separately; see
    :meth:`fisherlab.Kernels.kl` (``refine=False``).
    """
    outer = getattr(_PENDING, "unrefined", False)
    _PENDING.unrefined = True
    try:
        yield
    finally:
        _PENDING.unrefined = outer


def _refine(batches):
    """Replace the Bregman values of the candidates in ``batches`` (a list of _Candidates whose
    kernels are the same) by the integral of the curvature where that is more accurate."""
    if not batches:
        return
    with numpy.errstate(divide="ignore", invalid="ignore"):
        # One context for the whole refinement (each costs ~2 µs): a zero KL or an overflowing
        # node gives inf or NaN in an error estimate, which the comparisons then reject.
        _refine_joined(batches)


def _refine_joined(batches):
    to_natural, jacobian, curvature = batches[0].kernels
    if len(batches) == 1:
        b = batches[0]
        tp, tq, fx, close, mag = b.tp, b.tq, b.fx, b.close, b.mag
        value = b.out[b.near]
    else:
        def joined(parts):
            return numpy.concatenate(parts)
        tp = [joined([b.tp[j] for b in batches]) for j in range(len(batches[0].tp))]
        tq = [joined([b.tq[j] for b in batches]) for j in range(len(batches[0].tq))]
        fx = [joined([b.fx[j] for b in batches]) for j in range(len(batches[0].fx))]
        close, mag = joined([b.close for b in batches]), joined([b.mag for b in batches])
        value = joined([b.out[b.near] for b in batches])
    eta_p = to_natural(*tp, *fx)
    delta = to_natural(*tq, *fx) - eta_p
    if jacobian is not None:
        # Where θ_q ≈ θ_p, η_q − η_p has lost digits; the quadrature of J is accurate there
        # when it has converged, i.e. where it agrees with the difference to within the
        # difference's own rounding error, ε·(|η| + |J||θ|) (the second from the rounding of
        # θ-terms, as 1 − p₁ − p₂ inside a categorical's log(p₁/p₃)), and when η(θ) is nearly
        # linear on the segment (J changes by < 1e-2). Where it is not (the normal's (m₁, m₂)
        # near m₂ = m₁², where a 1e-5 step changes m₂ − m₁² by 30%), δ is not small next to η
        # and the difference is the accurate one, while the quadrature's nodes, rounded off
        # the segment, carry that ill-conditioning into J.
        every = bool(close.all())  # the usual case: no selection to make
        if every or close.any():
            naive, ep = (delta, eta_p) if every else (delta[close], eta_p[close])
            segment = _constant_delta if getattr(jacobian, "constant", False) else _segment_delta
            quad, scale, bend = segment(
                jacobian, tp if every else [c[close] for c in tp],
                tq if every else [c[close] for c in tq], fx if every else [f[close] for f in fx])
            # (Differences below the smallest normal float count as agreement: subnormal
            # entries, as a normal's mean of 1e-311, have fewer digits than ε promises.)
            bound = _DELTA_SLACK * _EPS * (numpy.abs(ep) + numpy.abs(naive + ep) + scale) + _TINY
            good = (numpy.abs(quad - naive) <= bound) & (bend <= _DELTA_BEND)[:, None]
            if every:
                delta = numpy.where(good, quad, naive)
            else:
                delta[close] = numpy.where(good, quad, naive)
    fine, err_quadrature = _curvature_integral(curvature, eta_p, delta, fx)
    err_bregman = _EPS * mag / numpy.abs(value)
    use = (err_quadrature <= _KL_CONVERGED) | (err_quadrature < err_bregman)
    value[use] = fine[use]
    start = 0
    for b in batches:
        n = b.mag.size
        b.out[b.near] = value[start:start + n]
        start += n


#: Below this |x|, x − log(1 + x) is summed by its series in u = x/(2 + x); above, the direct
#: difference keeps ≤ 3ε relative (x = 0.5: log1p(x) = 0.405 against x − log1p(x) = 0.095).
_XLOG1P_SERIES_BELOW = 0.5
#: 1/(2k + 1), k = 1…16: atanh(u) − u = u³ Σ_k u^(2k−2)/(2k + 1); |u| ≤ 1/3 on the series'
#: range, where the 17th term is below 5e-17 of the first (and that sum is at most 6% of
#: x − log(1 + x)).
_ATANH_SERIES = tuple(1.0 / (2 * k + 1) for k in range(1, 17))
_ATANH_TABLE = _table(_ATANH_SERIES)


def x_minus_log1p(x):
    """x − log(1 + x) for x > −1, (...), to a few ulps: the Bregman remainder of −log at 1.

    As written it cancels for small x (x²/2 from numbers of size x). With u = x/(2 + x),
    log(1 + x) = 2 atanh(u) and x − 2u = x·u exactly, so x − log(1 + x) = x·u − 2(atanh(u) − u),
    whose second term is at most 6% of the first for |x| < 0.5 (both are ≥ 0 for x < 0); the
    odd series of atanh(u) − u in u² ≤ 1/9 converges in 18 terms. Elsewhere the direct
    difference loses under two bits. 0 at x = 0, +inf at x = −1; NaN below. Within 1e-15 of
    mpmath for |x| ≥ 1e-150 (below, x²/2 is subnormal) (tests/kernels/test_special.py).
    """
    if isinstance(x, float):
        if abs(x) >= _XLOG1P_SERIES_BELOW:
            # numpy's log1p, not math's: the 0-d and the array path give the same bits.
            with numpy.errstate(divide="ignore", invalid="ignore"):
                return x - float(numpy.log1p(x))
        u = x / (2.0 + x)
        u2 = u * u
        acc = 0.0
        for c in _ATANH_SERIES[::-1]:
            acc = acc * u2 + c
        return x * u - 2.0 * u * u2 * acc
    x = numpy.asarray(x, dtype=numpy.float64)
    if x.ndim == 0:
        return numpy.float64(x_minus_log1p(float(x)))
    with numpy.errstate(divide="ignore", invalid="ignore"):
        out = x - numpy.log1p(x)
    small = numpy.flatnonzero(numpy.abs(x) < _XLOG1P_SERIES_BELOW)
    if small.size:
        xs = x.ravel()[small]
        u = xs / (2.0 + xs)
        u2 = u * u
        acc = _series_rows(u2, _ATANH_TABLE)
        out.ravel()[small] = xs * u - 2.0 * u * u2 * acc
    return out


#: Below this |x|, e^x − 1 − x is summed by its Taylor series; above, expm1(x) − x keeps ≤ 3ε
#: relative (x = −0.5: expm1 = −0.39 against the result 0.107).
_EXPM1MX_SERIES_BELOW = 0.5
#: 1/k!, k = 2…17: at |x| ≤ 0.5 the first omitted term is below 1e-19 of the first.
_EXPM1MX_SERIES = tuple(1.0 / math.factorial(k) for k in range(2, 18))
_EXPM1MX_TABLE = _table(_EXPM1MX_SERIES)


def expm1mx(x):
    """e^x − 1 − x, (...), to a few ulps: the Bregman remainder of exp at 0 (and, at
    x = log(1 + y), the remainder y − log(1 + y) of −log with y near −1 or large).

    As written it cancels to x²/2 for small x; there (|x| < 0.5) it is x²·Σ_k x^(k−2)/k! by
    Horner's rule. Within 1e-15 of mpmath for 1e-150 ≤ |x| ≤ 709 (below, x²/2 is subnormal)
    (tests/kernels/test_special.py).
    """
    if isinstance(x, float):
        if abs(x) >= _EXPM1MX_SERIES_BELOW:
            with numpy.errstate(over="ignore"):
                return float(numpy.expm1(x)) - x
        acc = 0.0
        for c in _EXPM1MX_SERIES[::-1]:
            acc = acc * x + c
        return x * x * acc
    x = numpy.asarray(x, dtype=numpy.float64)
    if x.ndim == 0:
        return numpy.float64(expm1mx(float(x)))
    with numpy.errstate(over="ignore", invalid="ignore"):
        out = numpy.expm1(x) - x
    small = numpy.flatnonzero(numpy.abs(x) < _EXPM1MX_SERIES_BELOW)
    if small.size:
        xs = x.ravel()[small]
        out.ravel()[small] = xs * xs * _series_rows(xs, _EXPM1MX_TABLE)
    return out


#: Within this relative difference, log(u_q/u) is log1p((u_q − u)/u); beyond, log of the ratio
#: (whose rounding then costs under 3ε of |log(u_q/u)| ≥ log 1.5).
_LOG_RATIO_NEAR = 0.5


def log_ratio(du, u, uq):
    """log(u_q/u) for u, u_q of one sign, given du = u_q − u formed without cancellation, (...).

    Near u_q = u the quotient's rounding (ε absolute) would be most of the logarithm: there it is
    log1p(du/u), as exact as du. Far apart du/u is near −1 when u_q ≪ u, where its absolute
    rounding is most of 1 + du/u: there it is log(u_q/u), relatively exact.
    """
    if isinstance(du, float) and isinstance(u, float) and isinstance(uq, float):
        a = du / u
        return math.log1p(a) if abs(a) < _LOG_RATIO_NEAR else math.log(uq / u)
    du, u, uq = (numpy.asarray(v, dtype=numpy.float64) for v in (du, u, uq))
    a = du / u
    out = numpy.log(uq / u)
    if out.ndim == 0 and a.ndim == 0:
        return numpy.log1p(a) if abs(a) < _LOG_RATIO_NEAR else out
    if a.shape != out.shape:
        shape = numpy.broadcast_shapes(a.shape, out.shape)
        a, out = numpy.broadcast_to(a, shape), numpy.broadcast_to(out, shape).copy()
    near = numpy.flatnonzero(numpy.abs(a) < _LOG_RATIO_NEAR)
    if near.size:
        out.ravel()[near] = numpy.log1p(a.ravel()[near])
    return out


__all__ = ["gammaln", "digamma", "polygamma", "trigamma", "trigamma_minus_reciprocal",
           "gamma_unit_entropy", "expit", "logistic_entropy", "logistic_kl",
           "log1pexp", "x_minus_log1p", "expm1mx", "log_ratio", "kl_refine", "kl_refine_pending",
           "kl_unrefined", "numpy"]


# -- softmax with a reference class (categorical, multinomial, binomial) -----------------------
#
# The logits η_1..η_m are measured against a reference class with logit 0. With the class logits
# u = (η_1, …, η_m, 0) and M = max(u), every quantity is formed from t = exp(u − M) ∈ (0, 1]:
# no overflow for any finite η, and no 1 − σ cancellation (1 − σ_i is the sum of the other t's).
# Accurate to a few ulps for logits of any finite size
# (tests/families/test_discrete_and_one_parameter.py checks ±700 against mpmath).


def _softmax_terms(eta):
    """(t, M, argmax) with t = exp(u − M) of shape (..., m + 1); class 0 (the reference) last."""
    arrays = list(numpy.broadcast_arrays(*[numpy.asarray(e, dtype=numpy.float64) for e in eta]))
    u = numpy.stack(arrays + [numpy.zeros_like(arrays[0])], axis=-1)
    top = numpy.argmax(u, axis=-1)[..., None]
    big = numpy.take_along_axis(u, top, axis=-1)
    return numpy.exp(u - big), big[..., 0], top


def logsumexp0(*eta):
    """log(1 + Σ_i e^{η_i}) for logits η_i, (...): the categorical log-partition.

    Equals M + log1p(Σ_{j ≠ argmax} e^{u_j − M}); exact to rounding for all finite logits.
    """
    t, big, top = _softmax_terms(eta)
    numpy.put_along_axis(t, top, 0.0, axis=-1)  # the maximal term is exactly 1: log1p of the rest
    return big + numpy.log1p(t.sum(axis=-1))


def softmax0(i, *eta):
    """σ_i = e^{η_i} / (1 + Σ_j e^{η_j}) for i = 1..m; σ_0 = 1 / (1 + Σ_j e^{η_j}), (...)."""
    t, _, _ = _softmax_terms(eta)
    col = int(i) - 1 if int(i) else t.shape[-1] - 1
    return t[..., col] / t.sum(axis=-1)


def cosoftmax0(i, *eta):
    """1 − σ_i, as the sum of the other classes' terms over the total (no cancellation), (...)."""
    t, _, _ = _softmax_terms(eta)
    col = int(i) - 1 if int(i) else t.shape[-1] - 1
    return numpy.delete(t, col, axis=-1).sum(axis=-1) / t.sum(axis=-1)


def binomial_expected_lgamma(n, p, q):
    """E[log X!] for X ~ Binomial(n, p), with q = 1 − p passed separately (exact when p ≈ 1), (...).

    The finite sum over X = 0..n with log-space weights. ``n`` is a non-negative whole number or
    an array of them (per-row trials), broadcast with p and q: the sum runs to the largest n
    and the terms with X > n are masked out, O(max n) per point.
    """
    n, p, q = numpy.broadcast_arrays(numpy.asarray(n, dtype=numpy.float64),
                                     numpy.asarray(p, dtype=numpy.float64),
                                     numpy.asarray(q, dtype=numpy.float64))
    top = int(n.max()) if n.size else 0
    x = numpy.arange(top + 1, dtype=numpy.float64)
    nn = n[..., None]
    inside = x <= nn
    rest = numpy.where(inside, nn - x, 0.0)
    logc = gammaln(nn + 1.0) - gammaln(x + 1.0) - gammaln(rest + 1.0)
    logw = (logc + scipy.special.xlogy(x, p[..., None]) + scipy.special.xlogy(rest, q[..., None]))
    return numpy.where(inside, numpy.exp(logw) * gammaln(x + 1.0), 0.0).sum(axis=-1)


__all__ += ["logsumexp0", "softmax0", "cosoftmax0", "binomial_expected_lgamma"]


# -- von Mises and inverse Gaussian (fisherlab.families.special.functions)
# ----------------------------


def _piecewise(x, use_first, first, second):
    """``first(x)`` where ``use_first``, ``second(x)`` elsewhere, (...).

    Each branch is evaluated only on its own points (a 0-d input takes one branch), so a series
    needed near one end costs nothing for the points that do not need it. The points are
    gathered by index (two flatnonzero), cheaper than boolean masks for the batches of a
    hundred points the KL's quadrature evaluates.
    """
    if x.ndim == 0:
        return first(x) if use_first else second(x)
    first_at = numpy.flatnonzero(use_first)
    if first_at.size == x.size:
        return first(x)
    if first_at.size == 0:
        return second(x)
    flat = x.reshape(-1)
    second_at = numpy.flatnonzero(~use_first.reshape(-1))
    out = numpy.empty(x.size)
    out[first_at] = first(flat[first_at])
    out[second_at] = second(flat[second_at])
    return out.reshape(x.shape)


#: Σ_{k≥1} q^k/(k!)² = I₀(z) − 1, q = z²/4 ≤ 1 where it is used (z < 2): the 14th term is below
#: 1e-19 of the first.
_LOG_I0_SERIES = _table([0] + [1 / math.factorial(k) ** 2 for k in range(1, 14)])


def _log_besseli0_series(z):
    return numpy.log1p(_series_rows(z * z / 4.0, _LOG_I0_SERIES))


def log_besseli0(z):
    """log I₀(z) for real z, through the exponentially scaled i0e: finite for any finite z.

    I₀(z) overflows for |z| > 713; log I₀(z) = log(i0e(z)) + |z| does not. For |z| < 2 that
    sum cancels (log I₀(z) ≈ z²/4), so there log1p of the power series I₀(z) − 1 =
    Σ_{k≥1} (z²/4)^k/(k!)² is used; 13 terms leave a remainder below 1e-19 of it. The scaled
    form is evaluated at every point (cheaper than splitting the batch), then overwritten at
    the points below 2.
    """
    z = numpy.abs(numpy.asarray(z, dtype=numpy.float64))
    if z.ndim == 0:
        if z < 2.0:
            return _log_besseli0_series(z)
        with numpy.errstate(divide="ignore"):
            return numpy.log(scipy.special.i0e(z)) + z
    with numpy.errstate(divide="ignore"):
        out = numpy.log(scipy.special.i0e(z))
    out += z
    near = numpy.flatnonzero(z < 2.0)
    if near.size:
        out.reshape(-1)[near] = _log_besseli0_series(z.reshape(-1)[near])
    return out


def besseli_ratio(z):
    """R(z) = I₁(z)/I₀(z) for real z (odd in z), as i1e(z)/i0e(z): the exponential scalings
    cancel, and the quotient is within 2 ulps of R for every z (scipy's i0e and i1e, Chebyshev
    expansions to an ulp).
    """
    z = numpy.asarray(z, dtype=numpy.float64)
    # |z| capped at 1e300, where R = 1 − 5e-301 rounds to 1: i1e and i0e both vanish at ∞
    size = numpy.minimum(numpy.abs(z), 1e300)
    r = scipy.special.i1e(size)
    r /= scipy.special.i0e(size)
    return numpy.copysign(r, z)


#: Coefficients c_n of R'(z) ~ Σ c_n z^(−n) (n = 2…23) for R = I₁/I₀, from the asymptotic
#: expansions of I₀ and I₁ (derived with sympy; exact rationals as floats).
_RATIO_DERIV_ASYMPTOTIC = (
    1 / 2, 1 / 4, 3 / 8, 25 / 32, 65 / 32, 3219 / 512, 721 / 32, 375733 / 4096, 214173 / 512,
    276923875 / 131072, 23985071 / 2048, 74139092727 / 1048576, 945920833 / 2048,
    54465300743287 / 16777216, 200140732815 / 8192, 26308967412122125 / 134217728,
    218929206507989 / 131072, 129409220879325503523 / 8589934592, 75178348284725377 / 524288,
    98703313076876872901155 / 68719476736, 31675319369945025033 / 2097152,
    182922359930830908324943325 / 1099511627776)
#: Above this |z| R′'s asymptotic series is used (its error there is < 1e-15 relative); below,
#: the quotient of the two power series of _RATIO_DERIV_SERIES.
_RATIO_DERIV_SWITCH = 30.0
#: The series as a table of positive coefficients, R' = Σ c_n w^(n−2) · w², w = 1/z; 24 = 8·3
#: terms for Estrin's scheme in blocks of 8.
_RATIO_DERIV_ASYMPTOTIC_TABLE = _table(_RATIO_DERIV_ASYMPTOTIC, length=24)
#: R′ = 1 − R/z − R² = (I₀² − I₀I₁/z − I₁²)/I₀². By the product formula for Bessel functions
#: (DLMF 10.31.3 for I: I_μ I_ν = Σ_k (μ + ν + 2k)! (z/2)^(μ+ν+2k)/(k!(μ+k)!(ν+k)!(μ+ν+k)!)),
#: with w = z²/4 the coefficient of w^k in the numerator is (2k)!/(k!²(k+1)!²) times
#: (k + 1)² − k(k + 1) − (2k + 1)/2 = 1/2, so
#:     R′(z) = ½ Σ_k C(2k, k) w^k/((k + 1)!)²  /  Σ_k C(2k, k) w^k/(k!)²,
#: two series of positive terms: nothing cancels, R′(0) = 1/2 included, where 1 − R/z − R²
#: loses 2z²·eps. Below z = 30 (w = 225) the terms from the 70th on sum to less than 1e-18 of
#: either series; 72 = 8·9 are kept, for Estrin's scheme in blocks of 8 (integer quotients,
#: rounded once). The terms peak near k = z, at most ~e^(2z) ≤ 1e27: no overflow.
_RATIO_DERIV_TERMS = 72
_RATIO_DERIV_SERIES = _table(
    [math.comb(2 * k, k) / (2 * math.factorial(k + 1) ** 2) for k in range(_RATIO_DERIV_TERMS)],
    [math.comb(2 * k, k) / math.factorial(k) ** 2 for k in range(_RATIO_DERIV_TERMS)],
    length=_RATIO_DERIV_TERMS)


def _besseli_ratio_deriv_asymptotic(z):
    w = 1.0 / z
    out = _series_rows(w, _RATIO_DERIV_ASYMPTOTIC_TABLE)
    w *= w
    out *= w
    return out


def _besseli_ratio_deriv_series(z):
    # both sums at once, then their quotient; a rounding of w perturbs the two alike (the
    # quotient's condition number in w is about 1)
    sums = _series_rows(z * z / 4.0, _RATIO_DERIV_SERIES)
    return sums[..., 0] / sums[..., 1]


def besseli_ratio_deriv(z, r=None):
    """R'(z) = 1 − R(z)/z − R(z)² with R = I₁/I₀, for real z (even in z).

    The difference cancels as z grows (R' ≈ 1/(2z²)): below ``_RATIO_DERIV_SWITCH`` it is
    the quotient of two power series of positive terms (see _RATIO_DERIV_SERIES), above the
    asymptotic series Σ c_n z^(−n). ``r``, R(z) computed already by the caller, is accepted for
    the generated kernels' interface and not used: the cancellation-free forms need no R.
    """
    z = numpy.abs(numpy.asarray(z, dtype=numpy.float64))
    if r is not None:
        z = numpy.broadcast_to(z, numpy.broadcast_shapes(z.shape, numpy.shape(r)))
    return _piecewise(z, z >= _RATIO_DERIV_SWITCH, _besseli_ratio_deriv_asymptotic,
                      _besseli_ratio_deriv_series)


# -- log I₀(√s) and its derivatives in s (the von Mises log-partition A(η) = L(‖η‖²)) ---------
#
# Differentiating log I₀(‖η‖) in η gives R(κ)/κ, (R'(κ) − R(κ)/κ)/κ², ... (κ = ‖η‖): differences
# that cancel as κ → 0 (R' − R/κ ≈ −κ²/8), and powers of 1/κ that underflow. As a function of
# s = κ², L(s) = log I₀(√s) is analytic at 0 (log of the entire Σ (s/4)^k/(k!)²), so its
# derivatives L⁽ⁿ⁾(s) are evaluated by their Taylor series for s ≤ 2.25 (κ ≤ 1.5; the series
# converges for |s| < 5.783, the first zero of I₀(√s) at s = −j₀,₁²) and by closed forms in R and
# R' above, where nothing cancels by more than a digit:
#
#   L′ = R/(2κ),   L″ = (R′ − R/κ)/(4κ²),   L‴ = (4(R/κ − R′)/κ − 2RR′)/(8κ³).

#: Where the Taylor series of L⁽ⁿ⁾ is used: s ≤ this (κ ≤ 1.5).
_LOG_I0_SQ_SERIES = 2.25


def _log_i0_sq_coefficients(terms):
    """Taylor coefficients l_k of L(s) = log I₀(√s) = Σ_{k≥1} l_k s^k, k < ``terms``, exact
    rationals.

    From I₀(√s) = Σ c_k s^k, c_k = 1/(4^k (k!)²), and L′·I₀ = I₀′: k l_k = k c_k − Σ_{j<k} j l_j
    c_{k−j}, in exact rationals.
    """
    from fractions import Fraction

    c = [Fraction(1, 4**k * math.factorial(k) ** 2) for k in range(terms)]
    coef = [Fraction(0)] * terms
    for k in range(1, terms):
        coef[k] = c[k] - sum(j * coef[j] * c[k - j] for j in range(1, k)) / k
    return coef


@functools.cache
def _log_i0_sq_deriv_coefficients(n):
    """Taylor coefficients of L⁽ⁿ⁾(s) = Σ_k k!/(k−n)! l_k s^(k−n) (64 terms of L: at s = 2.25 the
    last is below 1e-22 of the sum), built on first use (5 ms of exact rationals)."""
    coef = _log_i0_sq_coefficients(64)
    return tuple(float(math.perm(k, n) * coef[k]) for k in range(n, len(coef)))


@functools.cache
def _log_i0_sq_deriv_table(n):
    return _table(_log_i0_sq_deriv_coefficients(n))


def _log_i0_sq_deriv_series(n, s):
    # the terms alternate and fall by ≥ 2.5× each on s ≤ 2.25 (radius 5.78): Estrin's pairing
    # keeps the error of Horner's rule, a few ulps of the sum of their magnitudes
    return _series_rows(s, _log_i0_sq_deriv_table(n))


def _log_i0_sq_deriv_closed(n, s):
    z = numpy.sqrt(s)
    r = besseli_ratio(z)
    if n == 1:
        return r / (2.0 * z)
    dr = besseli_ratio_deriv(z, r)
    if n == 2:
        return (dr - r / z) / (4.0 * s)
    return (4.0 * (r / z - dr) / z - 2.0 * r * dr) / (8.0 * s * z)


#: L″(s) = (R′ − R/z)/(4s), z = √s, w = s/4, and I₀²(R/z − R′) = 2I₀I₁/z + I₁² − I₀² =
#: I₀I₁/z − (I₀² − I₀I₁/z − I₁²). By the product formula behind _RATIO_DERIV_SERIES the
#: coefficients of w^k are ½(2k + 1)!/(k!²(k + 1)!²) and ½(2k)!/(k!²(k + 1)!²): their
#: difference is k·C(2k, k)/((k + 1)!)², so with 4s = 16w
#:     L″(s) = −(1/16) Σ_j (j + 1)C(2j + 2, j + 1) w^j/((j + 2)!)²  /  Σ_k C(2k, k) w^k/(k!)²,
#: two series of positive terms in the exact w = s/4 (L″(0) = −1/32 exactly). For s < 900 (the
#: range of _RATIO_DERIV_SERIES, w ≤ 225) the 72 kept terms leave less than 1e-18 of either.
_LOG_I0_SQ_DERIV2_SERIES = _table(
    [(j + 1) * math.comb(2 * j + 2, j + 1) / math.factorial(j + 2) ** 2
     for j in range(_RATIO_DERIV_TERMS)],
    [math.comb(2 * k, k) / math.factorial(k) ** 2 for k in range(_RATIO_DERIV_TERMS)],
    length=_RATIO_DERIV_TERMS)


def _log_i0_sq_deriv2_series(s):
    sums = _series_rows(s / 4.0, _LOG_I0_SQ_DERIV2_SERIES)
    out = sums[..., 0] / sums[..., 1]
    out *= -0.0625
    return out


#: Above z = 30: L″ = (R′ − R/z)/(4z²) with R = 1 − Σ_{m≥1} a_m w^m and R′ = Σ_{n≥2} c_n w^n
#: (w = 1/z, a_m = c_(m+1)/m, _RATIO_DERIV_ASYMPTOTIC): R′ − R/z = −w(1 − Σ_{m≥1} q_m w^m),
#: q_m = c_(m+1) + a_m = c_(m+1)(m + 1)/m, so L″ = −(w³/4)(1 − Σ q_m w^m); q_1 = 1, and at
#: w ≤ 1/30 nothing cancels. Truncated where R′'s series is (its error < 1e-15 of R′ ≈ w²/2 is
#: below 2e-17 of R′ − R/z ≈ −w). 24 = 8·3 terms.
_LOG_I0_SQ_DERIV2_ASYMPTOTIC = _table(
    [1.0] + [-c * (m + 1) / m for m, c in enumerate(_RATIO_DERIV_ASYMPTOTIC, start=1)],
    length=24)


def _log_i0_sq_deriv2_asymptotic(s):
    w = numpy.sqrt(1.0 / s)
    out = _series_rows(w, _LOG_I0_SQ_DERIV2_ASYMPTOTIC)
    w3 = w * w
    w3 *= w
    out *= w3
    out *= -0.25
    return out


def log_besseli0_sq_deriv(n, s):
    """L⁽ⁿ⁾(s) = dⁿ/dsⁿ log I₀(√s) for s ≥ 0 and n = 1, 2, 3 (see the notes above), (...).

    Accurate to a few ulps for all s ≥ 0, 0 included (L′(0) = 1/4, L″(0) = −1/32, L‴(0) = 1/96).
    """
    n = int(n)
    if n not in (1, 2, 3):
        raise NotImplementedError(f"log_besseli0_sq_deriv: order {n}; orders 1, 2, 3 exist")
    s = numpy.asarray(s, dtype=numpy.float64)
    if n == 2:
        # below z = 30 the quotient of two positive series, instead of the Taylor series and
        # R′ − R/z (which cancels by a digit at z = 1.5); above, one asymptotic series
        return _piecewise(s, s < _RATIO_DERIV_SWITCH**2, _log_i0_sq_deriv2_series,
                          _log_i0_sq_deriv2_asymptotic)
    return _piecewise(s, s <= _LOG_I0_SQ_SERIES, lambda v: _log_i0_sq_deriv_series(n, v),
                      lambda v: _log_i0_sq_deriv_closed(n, v))


def log_besseli0_sq(s):
    """L(s) = log I₀(√s) for s ≥ 0, (...)."""
    return log_besseli0(numpy.sqrt(numpy.asarray(s, dtype=numpy.float64)))


__all__ += ["log_besseli0_sq", "log_besseli0_sq_deriv"]


#: Below this argument e^z and E₁(z) are both normal floats and their product is exact to an ulp.
_EXP_EXPINT1_SWITCH = 500.0


def exp_expint1(z):
    """e^z E₁(z) for z > 0, the scaled exponential integral, finite for any finite z > 0.

    For z ≤ 500 it is the product of e^z and scipy's E₁; beyond, E₁ nears the underflow
    threshold and the asymptotic series Σ (−1)ⁿ n!/z^(n+1) is used: its 16th term is below
    1e-30 of the sum there.
    """
    z = numpy.asarray(z, dtype=numpy.float64)
    return _piecewise(z, z <= _EXP_EXPINT1_SWITCH, _exp_expint1_direct, _exp_expint1_asymptotic)


def _exp_expint1_direct(z):
    return numpy.exp(z) * scipy.special.exp1(z)


def _exp_expint1_asymptotic(z):
    term = 1.0 / z
    series = term.copy() if term.ndim else term
    for n in range(1, 16):
        term = term * (-n / z)
        series = series + term
    return series


__all__ += ["log_besseli0", "besseli_ratio", "besseli_ratio_deriv", "exp_expint1"]


def neg_expm1(x):
    """1 − e^x = −expm1(x), accurate as x → 0 (geometric and negative binomial: p = 1 − e^η)."""
    return -numpy.expm1(x)


__all__ += ["neg_expm1"]


# -- beta and Dirichlet (fisherlab.families.special.functions)
# -----------------------------------------

#: Below this ratio b/a the Taylor series in b is used: 40 terms leave a remainder < 0.25**40/40.
_TAYLOR_RATIO = 0.25
_TAYLOR_TERMS = 40


#: Below this ratio of the smaller to the larger argument the polygamma Taylor series is used.
_SHIFT_TAYLOR_RATIO = 1e-2


#: Where |a − 1| and |b − 1| are both at most this, log B(a, b) is summed by _log_beta_near_one.
_LOG_BETA_NEAR_ONE = 0.25


def _log_beta_near_one(u, v):
    """log B(1 + u, 1 + v) for |u|, |v| ≤ 0.25, to a few ulps of −log1p(u + v) and −ζ(2)uv.

    log B is 0 at (1, 1), and its value there is a difference of log Γ values of similar size
    (scipy's betaln: 7e-15 relative at (1, 1.009), 3e-13 at (1.003, 0.998)). With s = u + v,
    log Γ(2 + s) = log1p(s) + log Γ(1 + s), and in the series of log Γ(1 + x) the linear terms
    cancel exactly, so log B = −log1p(s) + Σ_{k≥2} (−1)^k ζ(k)/k (u^k + v^k − s^k), where
    Q_k = u^k + v^k − s^k = −uv R_k with R_2 = 2, R_3 = 3s, R_k = s R_{k−1} − uv R_{k−2} + s^(k−2)
    (from p_k = s p_{k−1} − uv p_{k−2} for the power sums p_k = u^k + v^k): no cancellation
    inside. |s| ≤ 0.5 makes the 61st term < 1e-19 of the second.
    """
    s, uv = u + v, u * v
    r_prev, r = numpy.full_like(s, 2.0), 3.0 * s  # R_2, R_3
    power = s.copy()  # s^(k − 2) for k = 3
    total = _LGAMMA1P_SERIES[0] * r_prev + _LGAMMA1P_SERIES[1] * r
    for c in _LGAMMA1P_SERIES[2:]:
        power = power * s
        r_prev, r = r, s * r - uv * r_prev + power
        total = total + c * r
    return -numpy.log1p(s) - uv * total


#: B_2k/(2k(2k − 1)) and B_2k/(2k), k = 9 … 1: the Horner coefficients of the remainders below
#: (highest order first), for their one-point paths.
_STIRLING_COEFFICIENTS = tuple(_BERNOULLI[k - 1] / (2 * k * (2 * k - 1))
                               for k in range(len(_BERNOULLI), 0, -1))
_DIGAMMA_COEFFICIENTS = tuple(_BERNOULLI[k - 1] / (2 * k) for k in range(len(_BERNOULLI), 0, -1))


#: Up to this many points a series of log_beta or _polygamma_shift is summed point by point on
#: Python floats: its 20–60 steps would otherwise cost a numpy call each (~0.3 ms for the one or
#: two points of a batch of a thousand that need it).
_FEW_SERIES = 8


def _log_beta_near_one_float(u: float, v: float) -> float:
    """:func:`_log_beta_near_one` at one point, on Python floats (the same operations in the same
    order, numpy's log1p: the same number)."""
    s, uv = u + v, u * v
    r_prev, r = 2.0, 3.0 * s
    power = s
    total = _LGAMMA1P_SERIES[0] * r_prev + _LGAMMA1P_SERIES[1] * r
    for c in _LGAMMA1P_SERIES[2:]:
        power = power * s
        r_prev, r = r, s * r - uv * r_prev + power
        total = total + c * r
    return -float(numpy.log1p(s)) - uv * total


def _shift_series(first, x, y):
    """Σ_{k≥1} ψ^(first + k − 1)(x) y^k/k! for y ≤ x/100 (arrays of the same shape), stopped once
    the terms are below rounding; point by point on floats for a few points."""
    if x.size <= _FEW_SERIES:
        out = []
        for xv, yv in zip(x.tolist(), y.tolist()):
            total, coef = 0.0, 1.0
            for k in range(1, _TAYLOR_TERMS + 1):
                coef = coef * yv / k
                term = float(polygamma(first + k - 1, xv)) * coef
                total = total + term
                if abs(term) <= 1e-17 * abs(total):
                    break
            out.append(total)
        return numpy.array(out)
    total = numpy.zeros_like(x)
    coef = numpy.ones_like(x)
    for k in range(1, _TAYLOR_TERMS + 1):
        coef = coef * y / k
        term = polygamma(first + k - 1, x) * coef
        total = total + term
        # The terms shrink like (y/x)^k: stop once the last one is below rounding everywhere
        # (40 terms only for y/x near 1/4; typical ratios need a handful).
        if numpy.all(numpy.abs(term) <= 1e-17 * numpy.abs(total)):
            break
    return total


def _stirling_remainder(z):
    """r(z) = log Γ(z) − (z − ½) log z + z − ½ log 2π for z ≥ 10: Σ_k B_2k/(2k(2k − 1) z^(2k−1))
    (first omitted term < 1e-20 of log Γ at z = 10)."""
    w = 1.0 / (z * z)
    if isinstance(z, float):  # one point: Python floats, the same roundings
        s = _STIRLING_COEFFICIENTS[0]
        for c in _STIRLING_COEFFICIENTS[1:]:
            s = s * w + c
        return s / z
    # Horner in place: the same two roundings per step as s * w + c, without the temporaries.
    s = numpy.full_like(z, _BERNOULLI[-1] / (2 * len(_BERNOULLI) * (2 * len(_BERNOULLI) - 1)))
    for k in range(len(_BERNOULLI) - 1, 0, -1):
        s *= w
        s += _BERNOULLI[k - 1] / (2 * k * (2 * k - 1))
    s /= z
    return s


def _digamma_remainder(z):
    """r(z) = log z − 1/(2z) − ψ(z) for z ≥ 10: Σ_k B_2k/(2k z^(2k))."""
    w = 1.0 / (z * z)
    if isinstance(z, float):  # one point: Python floats, the same roundings
        s = _DIGAMMA_COEFFICIENTS[0]
        for c in _DIGAMMA_COEFFICIENTS[1:]:
            s = s * w + c
        return s * w
    s = numpy.full_like(z, _BERNOULLI[-1] / (2 * len(_BERNOULLI)))
    for k in range(len(_BERNOULLI) - 1, 0, -1):
        s *= w
        s += _BERNOULLI[k - 1] / (2 * k)
    s *= w
    return s


def _log_beta_stirling(x, y):
    """log B(x, y) for x ≥ 10 the larger argument, by Stirling's series with the terms of size
    x log x removed exactly: ½ log 2π − ½ log y − (x − ½) log1p(y/x) − y log1p(x/y) + r(x) +
    r(y) − r(x + y) for y ≥ 10, log Γ(y) − (x − ½) log1p(y/x) − y log(x + y) + y + r(x) −
    r(x + y) below (r the Stirling remainder). scipy's betaln, a difference of log Γ values
    there, loses up to two digits (2.6e-14 relative at (669, 6.75))."""
    if isinstance(x, float):
        # One point: the same formula on Python floats, with numpy's logarithms (the math
        # module's may round the last bit differently, which the cancelling KL magnifies).
        common = (-(x - 0.5) * float(numpy.log1p(y / x)) + _stirling_remainder(x)
                  - _stirling_remainder(x + y))
        if y >= _SHIFT:
            return (0.5 * float(numpy.log(2.0 * numpy.pi / y)) - y * float(numpy.log1p(x / y))
                    + _stirling_remainder(y) + common)
        return float(scipy.special.gammaln(y)) - y * float(numpy.log(x + y)) + y + common
    # Arrays (1-d, of one length): in place, one temporary per step; the two forms of the y
    # part each on its own points, gathered by index (no pass of a boolean mask per form).
    s = x + y
    out = numpy.divide(y, x)
    numpy.log1p(out, out=out)
    out *= 0.5 - x
    n = x.size
    big = numpy.flatnonzero(y >= _SHIFT)
    every = big.size == n
    yb = y if every else y[big]
    # r(x), r(x + y) and r(y) (y ≥ 10) in one call: its Horner steps cost a point little, a
    # call much
    r = _stirling_remainder(numpy.concatenate([x, s, yb]))
    out += r[:n]
    out -= r[n:2 * n]
    if every:
        out += _log_beta_stirling_big(x, y, r[2 * n:])
        return out
    if not big.size:
        out += _log_beta_stirling_small(y, s)
        return out
    small = numpy.flatnonzero(y < _SHIFT)
    out[big] += _log_beta_stirling_big(x[big], yb, r[2 * n:])
    out[small] += _log_beta_stirling_small(y[small], s[small])
    return out


def _log_beta_stirling_big(x, y, ry):
    """½ log(2π/y) − y log1p(x/y) + r(y), given ry = r(y): the part of
    :func:`_log_beta_stirling` for y ≥ 10."""
    t = numpy.divide(x, y)
    numpy.log1p(t, out=t)
    t *= y
    u = numpy.divide(2.0 * numpy.pi, y)
    numpy.log(u, out=u)
    u *= 0.5
    u -= t
    u += ry
    return u


def _log_beta_stirling_small(y, s):
    """log Γ(y) − y log(x + y) + y (s = x + y): the part of :func:`_log_beta_stirling` for
    y < 10."""
    t = numpy.log(s)
    t *= y
    u = scipy.special.gammaln(y)
    u -= t
    u += y
    return u


def _log_beta_plain(a: float, b: float) -> bool:
    """Whether :func:`log_beta` at the floats (a, b) is scipy's betaln (no series applies)."""
    return max(a, b) < _SHIFT and _SHIFT_TAYLOR_RATIO * max(a, b) < min(a, b) and not (
        abs(a - 1.0) <= _LOG_BETA_NEAR_ONE and abs(b - 1.0) <= _LOG_BETA_NEAR_ONE)


def _log_beta_stirling_only(a: float, b: float) -> bool:
    """Whether :func:`log_beta` at the floats (a, b) is Stirling's series alone (x ≥ 10 is never
    near (1, 1))."""
    x, y = max(a, b), min(a, b)
    return x >= _SHIFT and y > _SHIFT_TAYLOR_RATIO * x


def log_beta(a, b):
    """log B(a, b) for a, b > 0, to a few ulps of its terms even when one argument is tiny.

    With x ≥ y the larger and smaller argument, log B = log Γ(y) − (log Γ(x + y) − log Γ(x)); where
    y ≤ x/100 the bracket is the Taylor series Σ_k ψ^(k−1)(x) y^k/k! (scipy's betaln loses ~1e-11
    relative at (1e6, 1e-3)); above, for x ≥ 10, Stirling's series without its cancelling terms
    (:func:`_log_beta_stirling`); elsewhere scipy's betaln.
    """
    if isinstance(a, float) and isinstance(b, float):
        if _log_beta_plain(a, b):
            # One point away from the series' ranges (the common case of a single θ): the
            # same betaln call as below, without the array bookkeeping (~10× cheaper per call).
            return scipy.special.betaln(a, b)
        if _log_beta_stirling_only(a, b):  # ... or in Stirling's range alone
            return numpy.float64(_log_beta_stirling(max(a, b), min(a, b)))
    a = numpy.asarray(a, dtype=numpy.float64)
    b = numpy.asarray(b, dtype=numpy.float64)
    if a.shape != b.shape:  # (broadcast_arrays costs ~3 µs even when there is nothing to do)
        a, b = numpy.broadcast_arrays(a, b)
    shape = a.shape
    x, y = numpy.maximum(a, b).reshape(-1), numpy.minimum(a, b).reshape(-1)
    # Each point takes one of four forms; Stirling's series is the common one (x ≥ 10), so its
    # points are found by index and the others (betaln, the two series) gathered by index too:
    # no pass of a boolean mask per form over the whole batch.
    stirling = x >= _SHIFT
    stirling &= y > _SHIFT_TAYLOR_RATIO * x
    rest = numpy.flatnonzero(~stirling)
    if not rest.size:
        out = _log_beta_stirling(x, y)
    else:
        out = numpy.empty(x.shape)
        if rest.size < x.size:
            st = numpy.flatnonzero(stirling)
            out[st] = _log_beta_stirling(x[st], y[st])
        out[rest] = _log_beta_rest(a.reshape(-1)[rest], b.reshape(-1)[rest], x[rest], y[rest])
    out = out.reshape(shape)
    return out[()] if out.ndim == 0 else out


def _log_beta_rest(a, b, x, y):
    """:func:`log_beta` at points outside Stirling's range (1-d arrays; x, y the larger and the
    smaller of a, b): the Taylor series where y ≤ x/100, the series about (1, 1) within 0.25 of
    it, scipy's betaln elsewhere."""
    out = scipy.special.betaln(a, b)
    # |a − 1|, |b − 1| ≤ 1/4 is x ≤ 5/4 and y ≥ 3/4 (a − 1 is exact there)
    ones = numpy.flatnonzero((x <= 1.0 + _LOG_BETA_NEAR_ONE) & (y >= 1.0 - _LOG_BETA_NEAR_ONE))
    if ones.size:
        u, v = a[ones] - 1.0, b[ones] - 1.0
        out[ones] = (_log_beta_near_one(u, v) if u.size > _FEW_SERIES else
                     [_log_beta_near_one_float(p, q) for p, q in zip(u.tolist(), v.tolist())])
    # As in _polygamma_shift: the series only where y ≤ x/100, stopped once its terms are below
    # rounding.
    near = numpy.flatnonzero(y <= _SHIFT_TAYLOR_RATIO * x)
    if near.size:
        xn, yn = x[near], y[near]
        out[near] = scipy.special.gammaln(yn) - _shift_series(0, xn, yn)
    return out

#: ψ and ψ' by order, for _polygamma_shift.
_PSI = {0: digamma, 1: trigamma}


def _polygamma_shift(order, a, b, base=None, shifted=None):
    """ψ^(order)(a + b) − ψ^(order)(a) for a, b > 0, (...): no cancellation when b ≪ a.

    Where b/a ≤ 1/4 it is the Taylor series Σ_k ψ^(order+k)(a) b^k/k! (radius a, the distance to
    the pole at 0), whose terms shrink like (b/a)^k; elsewhere the two values differ by a factor
    that keeps the direct difference within a few ulps of the result. ``base`` and ``shifted``,
    when given, are ψ^(order)(a) and ψ^(order)(a + b) evaluated already (the generated kernels
    share them between the differences that hold them).
    """
    psi = _PSI[order] if order in _PSI else (lambda x: polygamma(order, x))
    if isinstance(a, float) and isinstance(b, float) and _SHIFT_TAYLOR_RATIO * a < b and (
            order != 0 or a < _SHIFT):
        # One point where the direct difference is accurate: as below, minus the bookkeeping.
        return ((psi(a + b) if shifted is None else shifted)
                - (psi(a) if base is None else base))
    if order == 0 and isinstance(a, float) and isinstance(b, float) and (
            _SHIFT_TAYLOR_RATIO * a < b):
        # One point with a ≥ 10: the Stirling form below, on Python floats.
        return (float(numpy.log1p(b / a)) + b / (2.0 * a * (a + b))
                + (_digamma_remainder(a) - _digamma_remainder(a + b)))
    a, b = numpy.asarray(a, dtype=numpy.float64), numpy.asarray(b, dtype=numpy.float64)
    if a.shape != b.shape:  # (broadcast_arrays costs ~3 µs even when there is nothing to do)
        a, b = numpy.broadcast_arrays(a, b)
    if shifted is None and base is None and a.ndim == 1 and a.size < _SMALL // 2:
        # One point of a vector family (ψ′(α_j + rest) − ψ′(α_j)): both in one call
        both = psi(numpy.concatenate([a + b, a]))
        out = both[:a.size] - both[a.size:]
    else:
        out = (psi(a + b) if shifted is None else shifted) - (psi(a) if base is None else base)
    if out.shape != a.shape:  # a base or shifted of fewer dimensions
        out = numpy.array(numpy.broadcast_to(out, a.shape))
    shape = a.shape
    a, b, flat = a.reshape(-1), b.reshape(-1), out.reshape(-1)
    # The direct difference loses about log10(a/b) digits (≤ 2 at b ≥ a/100, ~2e-14 relative);
    # below that the series, whose terms then shrink by ≥ 100 each (a few polygamma calls, which
    # cost ~1 µs per element at high order: b ≤ a/4 made the kernel 20× slower than the rest).
    # Each replacement is found by index: no pass of a boolean mask per form over the batch.
    scaled = _SHIFT_TAYLOR_RATIO * a
    if order == 0:
        # ψ(a + b) − ψ(a) = log1p(b/a) + b/(2a(a + b)) + r(a) − r(a + b) (r the remainder of
        # ψ's asymptotic series) for a ≥ 10: no cancellation, where the direct difference loses
        # log10(a/b) digits (1.5e-14 relative at (903, 43)).
        stirling = numpy.flatnonzero((a >= _SHIFT) & (b > scaled))
        if stirling.size:
            if stirling.size == a.size:
                flat = _digamma_shift_stirling(a, b)
            else:
                flat[stirling] = _digamma_shift_stirling(a[stirling], b[stirling])
    near = numpy.flatnonzero(b <= scaled)
    if near.size:
        flat[near] = _shift_series(order + 1, a[near], b[near])
    out = flat.reshape(shape)
    return out[()] if out.ndim == 0 else out


def _digamma_shift_stirling(a, b):
    """ψ(a + b) − ψ(a) = log1p(b/a) + b/(2a(a + b)) + r(a) − r(a + b) for a ≥ 10 (1-d arrays; r
    the remainder of ψ's asymptotic series), in place."""
    s = a + b
    out = numpy.divide(b, a)
    numpy.log1p(out, out=out)
    t = numpy.multiply(s, a)
    t *= 2.0
    numpy.divide(b, t, out=t)
    out += t
    # both remainders in one call: its Horner steps cost a point little, a call much
    r = _digamma_remainder(numpy.concatenate([a, s]))
    t = r[:a.size]
    t -= r[a.size:]
    out += t
    return out


def digamma_diff(a, b, base=None, shifted=None):
    """ψ(a) − ψ(a + b) for a, b > 0 (negative), accurate to a few ulps even when b ≪ a.

    ``base``, ``shifted``: ψ(a) and ψ(a + b), when the caller has them already."""
    return -_polygamma_shift(0, a, b, base, shifted)


def trigamma_diff(a, b, base=None, shifted=None):
    """ψ'(a) − ψ'(a + b) for a, b > 0 (positive), accurate to a few ulps even when b ≪ a.

    ``base``, ``shifted``: ψ'(a) and ψ'(a + b), when the caller has them already."""
    return -_polygamma_shift(1, a, b, base, shifted)


__all__ += ["log_beta", "digamma_diff", "trigamma_diff"]


def sqrt_diff(a, b):
    """√a − √b for a, b ≥ 0 as (a − b)/(√a + √b), exact to a few ulps when a ≈ b (0 when a = b =
    0)."""
    a = numpy.asarray(a, dtype=numpy.float64)
    b = numpy.asarray(b, dtype=numpy.float64)
    s = numpy.sqrt(a) + numpy.sqrt(b)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        return numpy.where(s > 0, (a - b) / s, 0.0)


__all__ += ["sqrt_diff"]


# -- the normal's mean parametrization ----------------------------------------------------------

#: 2^27 + 1: Veltkamp's splitting constant for float64 (53-bit significands).
_SPLIT = 134217729.0


def moment_variance(m1, m2):
    """m₂ − m₁² for the raw moments of a distribution, to ~1 ulp of the result, (...).

    m₁² = p + e exactly, with p = fl(m₁²) and e its rounding error (Dekker's product of the
    Veltkamp halves of m₁); then m₂ − p is exact by Sterbenz's lemma wherever the variance is
    small next to m₂ (where the naive difference loses digits), and (m₂ − p) − e is rounded once.
    Valid for |m₁| < 1e150 (the split overflows beyond).
    """
    m1 = numpy.asarray(m1, dtype=numpy.float64)
    m2 = numpy.asarray(m2, dtype=numpy.float64)
    c = _SPLIT * m1
    hi = c - (c - m1)
    lo = m1 - hi
    p = m1 * m1
    e = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo
    return (m2 - p) - e


__all__ += ["moment_variance"]


# -- log-series (logarithmic) distribution: functions of u = e^η, η < 0
# (fisherlab.families.special.expm1_family)
#
# A(η) = log(−log(1 − u)). With q = −log(1 − u)/u ≥ 1 and s = q − 1, everything the derivation
# needs is A = η + log1p(s), the mean μ = A′ = 1/((1 − u)(1 + s)), the variance A″ = μ²s and
# s′ = (−log(1 − u) − s)/(1 − u). s ≈ u/2 for small u: formed as q − 1 it loses log10(2/u)
# digits, so below u = 1/4 it is the series Σ_{n≥2} u^(n−1)/n (the 31st term is below 2^−62 of
# the first); above, q ≥ 1.15 and q − 1 loses under a digit.

#: Below this u = e^η, s(η) is summed by its series.
_LOG_SERIES_U = 0.25
_LOG_SERIES_TERMS = 32


def log1mexp(x):
    """log(1 − e^x) for x < 0, accurate to a few ulps (Mächler's two branches: log(−expm1(x))
    above −log 2, log1p(−e^x) below), (...)."""
    x = numpy.asarray(x, dtype=numpy.float64)
    near = x > -math.log(2.0)
    with numpy.errstate(invalid="ignore", divide="ignore"):
        return numpy.where(near, numpy.log(-numpy.expm1(numpy.minimum(x, 0.0))),
                           numpy.log1p(-numpy.exp(numpy.minimum(x, -math.log(2.0)))))


def _log_series_excess_series(x):
    u = numpy.exp(x)
    total = numpy.zeros_like(u)
    for n in range(_LOG_SERIES_TERMS + 1, 1, -1):
        total = total * u + 1.0 / n
    return total * u


def _log_series_excess_direct(x):
    return -log1mexp(x) * numpy.exp(-x) - 1.0


def log_series_excess(x):
    """s(x) = −log(1 − e^x)/e^x − 1 for x < 0 (≥ 0, ≈ e^x/2 as x → −∞), to a few ulps, (...)."""
    x = numpy.asarray(x, dtype=numpy.float64)
    return _piecewise(x, x <= math.log(_LOG_SERIES_U), _log_series_excess_series,
                      _log_series_excess_direct)


def log_series_log_partition(x):
    """log(−log(1 − e^x)) = x + log1p(s(x)) for x < 0, (...): the log-series log-partition."""
    x = numpy.asarray(x, dtype=numpy.float64)
    return x + numpy.log1p(log_series_excess(x))


def log_series_mean(x):
    """e^x/((1 − e^x)(−log(1 − e^x))) = 1/((1 − e^x)(1 + s(x))) for x < 0, (...): the mean of
    the log-series distribution at η = x (≥ 1, → 1 as x → −∞)."""
    x = numpy.asarray(x, dtype=numpy.float64)
    return 1.0 / (-numpy.expm1(x) * (1.0 + log_series_excess(x)))


__all__ += ["log1mexp", "log_series_excess", "log_series_log_partition", "log_series_mean"]


# -- continuous Bernoulli: A(η) = log((e^η − 1)/η) (fisherlab.families.special.expm1_family)
#
# With x = η/2, (e^η − 1)/η = e^x sinh(x)/x, so A = x + S(x), S(x) = log(sinh x / x)
# = Σ_{j≥1} c_j x^(2j), c_j = 2^(2j) B_2j/(2j (2j)!) (B the Bernoulli numbers; radius π). Every
# closed form cancels near η = 0 (e^η − 1 and η, 1/(1 − e^−η) and 1/η, 1/η² and 1/(4 sinh² x)),
# so for |η| ≤ 2 (|x| ≤ 1, terms shrinking by (x/π)² ≤ 0.1) the functions sum their series; beyond,
# the closed forms in e^(−|η|) (which never overflows) lose under a digit:
#   A     = max(η, 0) + log1p(−e^(−|η|)) − log|η|
#   A′    = 1/(1 − e^(−η)) − 1/η   (with e^(−|η|) for either sign of η)
#   A″    = 1/η² − e^(−|η|)/(1 − e^(−|η|))²
#   A‴    = −2/η³ + sign(η) e^(−|η|)(1 + e^(−|η|))/(1 − e^(−|η|))³
#   A − ηA′ = 1 − log|η| + log1p(−e^(−|η|)) − |η| e^(−|η|)/(1 − e^(−|η|))
# The last, the entropy of the continuous Bernoulli (≈ −η²/24 near 0), is a function of its own:
# A − ηA′ formed from the two loses log10(12/|η|) digits.

#: |η| up to which the series are summed.
_EXPREL_SERIES = 2.0
_EXPREL_TERMS = 26


@functools.cache
def _log_sinhc_coefficients() -> tuple[float, ...]:
    """c_j, j = 1.._EXPREL_TERMS, of S(x) = log(sinh x / x) = Σ c_j x^(2j), from the exact
    Bernoulli numbers (rational arithmetic: B_m = −Σ_{k<m} C(m+1, k) B_k/(m + 1))."""
    from fractions import Fraction

    top = 2 * _EXPREL_TERMS
    b = [Fraction(1)]
    for m in range(1, top + 1):
        b.append(-sum(math.comb(m + 1, k) * b[k] for k in range(m)) / (m + 1))
    return tuple(float(Fraction(2 ** (2 * j)) * b[2 * j] / (2 * j * math.factorial(2 * j)))
                 for j in range(1, _EXPREL_TERMS + 1))


@functools.cache
def _log_exprel_series_coefficients(n: int) -> tuple[tuple[float, ...], int]:
    """The n-th η-derivative of S(η/2) as x^r · Σ_j a_j w^j (w = x², r = n mod 2): (a, r)."""
    c = _log_sinhc_coefficients()
    # dⁿ/dηⁿ c_j x^(2j) = c_j (2j)!/(2j − n)! x^(2j − n) / 2ⁿ, for 2j ≥ n.
    a = []
    for j, cj in enumerate(c, start=1):
        if 2 * j < n:
            continue
        a.append(cj * math.perm(2 * j, n) / 2.0**n)
    return tuple(a), n % 2


def _log_exprel_series(n, eta):
    x = 0.5 * eta
    w = x * x
    a, r = _log_exprel_series_coefficients(n)
    total = numpy.zeros_like(w)
    for coef in a[::-1]:
        total = total * w + coef
    if r:
        total = total * x
    elif n == 0:
        total = total * w  # S itself starts at x²
    if n == 0:
        return x + total
    if n == 1:
        return 0.5 + total
    return total


def _log_exprel_closed(n, eta):
    a = numpy.abs(eta)
    e = numpy.exp(-a)
    em = -numpy.expm1(-a)  # 1 − e^(−|η|)
    if n == 0:
        return numpy.maximum(eta, 0.0) + numpy.log1p(-e) - numpy.log(a)
    if n == 1:
        # 1/(1 − e^(−η)) is 1/(1 − e^(−|η|)) for η > 0 and −e^(−|η|)/(1 − e^(−|η|)) for η < 0
        return numpy.where(eta > 0, 1.0, -e) / em - 1.0 / eta
    if n == 2:
        return 1.0 / (eta * eta) - e / (em * em)
    return -2.0 / (eta * eta * eta) + numpy.sign(eta) * e * (1.0 + e) / (em * em * em)


def log_exprel(eta):
    """A(η) = log((e^η − 1)/η) for any real η (0 at η = 0), to a few ulps, (...): the
    continuous Bernoulli's log-partition."""
    return log_exprel_deriv(0, eta)


def log_exprel_deriv(n, eta):
    """dⁿ/dηⁿ log((e^η − 1)/η) for n = 0, 1, 2, 3 and any real η (η = 0 included: 0, 1/2, 1/12,
    0), to a few ulps of the result, (...)."""
    n = int(n)
    if n not in (0, 1, 2, 3):
        raise NotImplementedError(f"log_exprel_deriv: order {n}; orders 0 to 3 exist")
    eta = numpy.asarray(eta, dtype=numpy.float64)
    return _piecewise(eta, numpy.abs(eta) <= _EXPREL_SERIES,
                      lambda v: _log_exprel_series(n, v), lambda v: _log_exprel_closed(n, v))


def _log_exprel_intercept_series(eta):
    # Σ (1 − 2j) c_j x^(2j): x S′(x) = Σ 2j c_j x^(2j), subtracted term by term (no cancellation:
    # every term has the sign of −c_j, and the c_j alternate).
    x = 0.5 * eta
    w = x * x
    total = numpy.zeros_like(w)
    c = _log_sinhc_coefficients()
    for j in range(len(c), 0, -1):
        total = total * w + (1 - 2 * j) * c[j - 1]
    return total * w


def _log_exprel_intercept_closed(eta):
    a = numpy.abs(eta)
    e = numpy.exp(-a)
    em = -numpy.expm1(-a)
    return 1.0 - numpy.log(a) + numpy.log1p(-e) - a * e / em


def log_exprel_intercept(eta):
    """A(η) − ηA′(η) for A = log((e^η − 1)/η), any real η, to a few ulps (≈ −η²/24 near 0),
    (...): the entropy of the continuous Bernoulli, the intercept at 0 of A's tangent at η."""
    eta = numpy.asarray(eta, dtype=numpy.float64)
    return _piecewise(eta, numpy.abs(eta) <= _EXPREL_SERIES, _log_exprel_intercept_series,
                      _log_exprel_intercept_closed)


__all__ += ["log_exprel", "log_exprel_deriv", "log_exprel_intercept"]


def logit(p):
    """log(p/(1 − p)) for 0 < p < 1, to a few ulps (≈ 4(p − 1/2) near 1/2), (...).

    For 1/4 ≤ p ≤ 3/4 it is log1p((2p − 1)/(1 − p)), 2p − 1 exact there (Sterbenz); elsewhere
    log p − log1p(−p), whose two terms differ by a factor of at least 4.8 (under a digit lost)."""
    p = numpy.asarray(p, dtype=numpy.float64)
    mid = (p >= 0.25) & (p <= 0.75)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        return numpy.where(mid, numpy.log1p((2.0 * p - 1.0) / (1.0 - p)),
                           numpy.log(p) - numpy.log1p(-p))


__all__ += ["logit"]


# -- dimension-generic kernels (fisherlab.compile.generic_codegen) ----------------------------


def batch_shape(x, theta):
    """The batch axes of ``x`` (..., k) and ``theta`` (..., m) broadcast together, then θ's last
    axis: the shape of a per-entry result of (x, θ). Equal batch axes (one point, or a batch of
    observations with one θ each) take no call of numpy.broadcast_shapes (~3 µs)."""
    xs, ts = numpy.shape(x), numpy.shape(theta)
    if xs[:-1] == ts[:-1]:
        return ts
    return numpy.broadcast_shapes(xs[:-1], ts[:-1]) + ts[-1:]


def full(value, shape):
    """``value`` as a new float64 array of ``shape`` (a broadcast copy when it is smaller)."""
    arr = numpy.asarray(value, dtype=numpy.float64)
    if arr.shape == tuple(shape):
        return arr
    if arr.ndim == 0:
        return numpy.full(shape, arr)
    return numpy.array(numpy.broadcast_to(arr, shape))


def into(out, value, shape):
    """``value`` broadcast to ``shape``: written into ``out`` when given, else a new array."""
    if out is None:
        return full(value, shape)
    out[...] = value
    return out


def logsumexp0_last(eta):
    """log(1 + Σ_i e^{η_i}) over the last axis of η (..., m), the reference logit 0 implicit: (...).

    With M = max(0, max η) and t = e^{η − M}: M + log1p(rest), rest the sum of the terms other
    than the maximal one (which is exactly 1). Where the reference is the maximum (every η ≤ 0)
    rest = Σ t, with no cancellation, so a log-partition near 0 keeps its digits. Elsewhere
    rest = (Σ t − 1) + e^{−M}, whose rounding (ε absolute) is ε relative to a result ≥ log 2.
    """
    eta = numpy.asarray(eta, dtype=numpy.float64)
    top = numpy.max(eta, axis=-1)
    big = numpy.maximum(top, 0.0)
    s = numpy.exp(eta - big[..., None]).sum(axis=-1)
    rest = numpy.where(top <= 0.0, s, (s - 1.0) + numpy.exp(-big))
    return big + numpy.log1p(rest)


def softmax_last(eta):
    """The class probabilities of logits η (..., m) against a reference logit 0: p (..., m) and
    the reference's p_ref (...), as e^{η − M} / Σ with M = max(0, max η): a few ulps each, with
    no overflow."""
    eta = numpy.asarray(eta, dtype=numpy.float64)
    big = numpy.maximum(numpy.max(eta, axis=-1), 0.0)
    t = numpy.exp(eta - big[..., None])
    ref = numpy.exp(-big)
    total = t.sum(axis=-1) + ref
    return t / total[..., None], ref / total


def _others(p, p_ref):
    """1 − p_j for every class: the difference where p_j ≤ 1/2, and for the one class above 1/2
    the sum of the other classes' probabilities (no cancellation)."""
    out = 1.0 - p
    top = numpy.argmax(p, axis=-1)[..., None]
    p_top = numpy.take_along_axis(p, top, axis=-1)
    if (p_top > 0.5).any():
        others = numpy.array(p)
        numpy.put_along_axis(others, top, 0.0, axis=-1)
        rest = others.sum(axis=-1, keepdims=True) + numpy.asarray(p_ref)[..., None]
        numpy.put_along_axis(out, top, numpy.where(p_top > 0.5, rest, 1.0 - p_top), axis=-1)
    return out


def cosoftmax_last(p, p_ref):
    """1 − p_j of class probabilities p (..., m) with the reference class's p_ref (...), (..., m),
    without cancellation (see :func:`_others`)."""
    return _others(numpy.asarray(p, dtype=numpy.float64), p_ref)


def sum_others(a):
    """Σ_{i ≠ j} a_i for every j over the last axis of a > 0, (..., m): the total minus a_j where
    a_j is at most half of it, and for the largest entry the sum of the rest (no cancellation)."""
    a = numpy.asarray(a, dtype=numpy.float64)
    if a.ndim == 1:
        # One point: the same sums, with plain indexing instead of put_along_axis (~10 µs).
        out = a.sum() - a
        top = int(a.argmax())
        rest = numpy.array(a)
        rest[top] = 0.0
        out[top] = rest.sum()
        return out
    total = a.sum(axis=-1, keepdims=True)
    out = total - a
    top = numpy.argmax(a, axis=-1)[..., None]
    rest = numpy.array(a)
    numpy.put_along_axis(rest, top, 0.0, axis=-1)
    numpy.put_along_axis(out, top, rest.sum(axis=-1, keepdims=True), axis=-1)
    return out


def _by_columns(a) -> bool:
    """Whether a batch a (..., m) is handled column by column: for m ≤ 8 (a reduction of numpy's
    over a short last axis costs ~15-40 ns a point, an elementwise pass over one column ~1 ns a
    point; and its order of additions depends on the number of points, the columns' does not)."""
    m = a.shape[-1]
    return a.ndim > 1 and 2 <= m <= 8


def _sum_columns(cols):
    """Σ over the leading axis of ``cols`` (m, n), in sequence (one pass a column)."""
    total = cols[0] + cols[1]
    for c in cols[2:]:
        total += c
    return total


def _digamma_rest_point(v: list) -> list:
    """:func:`digamma_rest` at one point of 2 to 8 positive finite entries (Python floats): the
    same operations in the same order as its batch path (ψ and log1p numpy's and scipy's on
    short arrays), so the same numbers."""
    total = v[0] + v[1]
    for x in v[2:]:
        total += x
    psi = scipy.special.digamma(v + [total]).tolist()
    last = psi.pop()
    out = [p - last for p in psi]
    big = [i for i, x in enumerate(v) if x >= _SHIFT]
    if big:
        others = [total - v[i] for i in big]
        logs = numpy.log1p([b / v[i] for i, b in zip(big, others)]).tolist()
        for i, b, lg in zip(big, others, logs):
            x = v[i]
            s = x + b
            out[i] = -((lg + b / ((s * x) * 2.0))
                       + (_digamma_remainder(x) - _digamma_remainder(s)))
    top = max(v)
    if 2.0 * top > total:
        j = v.index(top)
        rest = 0.0 if j == 0 else v[0]
        for i in range(1, len(v)):
            rest += 0.0 if i == j else v[i]
        out[j] = float(digamma_diff(numpy.array([top]), numpy.array([rest]))[0])
    return out


def digamma_rest(a):
    """ψ(a_j) − ψ(Σ a) for every j over the last axis, (..., m), as a shift of a_j by the sum of
    the others (:func:`digamma_diff`: no cancellation when the others are small).

    For a batch, ψ(Σ a) is evaluated once per point: for an entry at most half the total the
    others' sum b_j = Σ a − a_j ≥ a_j is exact to a few ulps, and a_j + b_j is Σ a to about an
    ulp (which moves ψ(Σ a) − ψ(a_j) ≥ ψ(2a_j) − ψ(a_j) > log 2 by ~ε). The entries a_j ≥ 10
    take Stirling's form of the shift with that b_j. An entry above half the total (at most one
    per point) takes :func:`digamma_diff` with the sum of the others formed term by term.
    """
    a = numpy.asarray(a, dtype=numpy.float64)
    m = a.shape[-1] if a.ndim else 0
    if a.ndim == 1 and 2 <= m <= 8:
        v = a.tolist()
        if min(v) > 0.0 and sum(v) < math.inf:
            return numpy.array(_digamma_rest_point(v))
    if a.ndim == 1 and m >= 2:
        return digamma_rest(a[None])[0]
    if a.ndim < 2 or a.size == 0:
        return digamma_diff(a, sum_others(a))
    rows = a.reshape(-1, m)
    if _by_columns(a):
        cols = rows.T
        total = _sum_columns(cols)
        top = numpy.maximum(cols[0], cols[1])
        for c in cols[2:]:
            numpy.maximum(top, c, out=top)
    else:
        total, top = rows.sum(axis=-1), rows.max(axis=-1)
    out = digamma(rows)
    out -= digamma(total)[:, None]
    flat = out.reshape(-1)
    big = numpy.flatnonzero(rows.reshape(-1) >= _SHIFT)
    if big.size:
        ab = rows.reshape(-1)[big]
        bb = total[big // m] - ab
        flat[big] = -_digamma_shift_stirling(ab, bb)
    # Points with an entry above half the total (not ≤: NaN totals too): that entry's others'
    # sum term by term, and digamma_diff there (its series where it is below a_j/100); the
    # other entries of the point are at most half the total, as above.
    dominant = numpy.flatnonzero(~(2.0 * top <= total))
    if dominant.size:
        sub = rows[dominant]
        j = sub.argmax(axis=-1)
        at = sub[numpy.arange(sub.shape[0]), j]
        sub[numpy.arange(sub.shape[0]), j] = 0.0
        out[dominant, j] = digamma_diff(at, _sum_columns(sub.T) if m <= 8 else sub.sum(axis=-1))
    return out.reshape(a.shape)


#: An entry a_j with a_j·(1 + this) ≥ Σ a may have the others' sum b_j ≤ _SHIFT_TAYLOR_RATIO·a_j
#: (the series case of _polygamma_shift); the slack covers the rounding of Σ a.
_REST_SCREEN = 2 * _SHIFT_TAYLOR_RATIO


def trigamma_rest(a):
    """ψ′(a_j) − ψ′(Σ a) for every j over the last axis, (..., m) (:func:`trigamma_diff`).

    ψ′(Σ a) is evaluated once per point, not once per entry as ψ′(a_j + b_j) with b_j the sum
    of the others; the others' sums (:func:`sum_others`) are formed only for the points where
    one entry holds nearly all of the total (b_j ≤ a_j/100 needs the series of
    :func:`trigamma_diff`; elsewhere the difference of the two values is accurate).
    """
    a = numpy.asarray(a, dtype=numpy.float64)
    total = a.sum(axis=-1)
    if a.ndim == 1:
        values = a.tolist()
        if min(values) <= 0 or max(values) * (1.0 + _REST_SCREEN) >= total:
            return trigamma_diff(a, sum_others(a))  # (NaN for a_j ≤ 0, as trigamma gives)
        if a.size < _SMALL // 2:
            # One point: ζ(2, ·) of the entries and the total in one call.
            z = scipy.special.zeta(2.0, numpy.append(a, total))
            return z[:-1] - z[-1]
        return trigamma(a) - trigamma(total)
    out = trigamma(a)
    numpy.subtract(out, trigamma(total)[..., None], out=out)
    dominant = (a * (1.0 + _REST_SCREEN) >= total[..., None]).any(axis=-1)
    if dominant.any():
        rows = a[dominant]
        out[dominant] = trigamma_diff(rows, sum_others(rows))
    return out


def _log_multibeta_telescoping(a):
    """:func:`log_multibeta` as the telescoping sum Σ_{i<m} log B(a_i, a_{i+1} + … + a_m) of
    :func:`log_beta` terms (each accurate when one argument is tiny or both are near 1), (...)."""
    suffix = numpy.cumsum(a[..., ::-1], axis=-1)[..., ::-1]
    if a.ndim == 1 and a.size <= 64:
        # One point: log_beta's float path per term (scipy's betaln, or Stirling's series on
        # Python floats), ~10× cheaper than its array path here; but when a term needs the
        # Taylor series or the one near (1, 1), all terms in one call of the array path.
        x, y = a[:-1].tolist(), suffix[1:].tolist()
        if all(_log_beta_plain(u, v) or _log_beta_stirling_only(u, v) for u, v in zip(x, y)):
            return numpy.float64(math.fsum(log_beta(u, v) for u, v in zip(x, y)))
        return numpy.float64(math.fsum(log_beta(a[:-1], suffix[1:]).tolist()))
    return log_beta(a[..., :-1], suffix[..., 1:]).sum(axis=-1)


def log_multibeta(a):
    """Σ_i log Γ(a_i) − log Γ(Σ a) over the last axis, (...).

    For two entries log B(a₁, a₂) (:func:`log_beta`). For more, with S = Σ a, h = ½ log(S/2π)
    and r the remainder of Stirling's series (:func:`_stirling_remainder`), where S ≥ 10:

        Σ_{a_i < 10} [log Γ(a_i) − a_i (log S − 1)] + Σ_{a_i ≥ 10} [(a_i − ½) log(a_i/S) − h
        + r(a_i)] + h − r(S),

    Stirling's series for every log Γ of an argument ≥ 10 with its terms of size a log a
    cancelled exactly (the identity S − ½ = Σ a_i − ½ regroups (S − ½) log S into the
    logarithms of the ratios a_i/S ≤ 1); log(a_i/S) is log1p(−b_i/S), b_i the sum of the
    others, for an entry above half the total. One gammaln or Stirling remainder per entry,
    instead of two or three per term of the telescoping sum Σ_{i<m} log B(a_i, a_{i+1} + … +
    a_m) (:func:`log_beta` terms), which is summed where S < 10.
    """
    a = numpy.asarray(a, dtype=numpy.float64)
    m = a.shape[-1]
    if m < 3:
        return _log_multibeta_telescoping(a)
    if a.ndim == 1:
        return numpy.float64(_log_multibeta_point(a.tolist()))
    rows = a.reshape(-1, m)
    by_columns = _by_columns(a)
    if by_columns:
        cols = rows.T
        total = _sum_columns(cols)
        top = numpy.maximum(cols[0], cols[1])
        for c in cols[2:]:
            numpy.maximum(top, c, out=top)
    else:
        total, top = rows.sum(axis=-1), rows.max(axis=-1)
    log_total = numpy.log(total)
    h = log_total - _LOG_2PI
    h *= 0.5
    slope = log_total - 1.0  # (the rows with S < 10 are redone below)
    terms = scipy.special.gammaln(rows)
    terms -= rows * slope[:, None]
    flat = terms.reshape(-1)
    big = numpy.flatnonzero(rows.reshape(-1) >= _SHIFT)
    ab = rows.reshape(-1)[big]
    # r of the big entries and of the totals in one call (a call of its Horner steps costs
    # more than a thousand points of them)
    r = _stirling_remainder(numpy.concatenate([ab, total]))
    if big.size:
        row = big // m
        t = numpy.divide(ab, total[row])
        numpy.log(t, out=t)
        t *= ab - 0.5
        t -= h[row]
        t += r[:big.size]
        flat[big] = t
        # An entry above half the total (at most one a point): log1p(−b/S), b the others' sum
        dominant = numpy.flatnonzero(2.0 * top > total)
        if dominant.size:
            sub = rows[dominant]
            j = sub.argmax(axis=-1)
            at = sub[numpy.arange(sub.shape[0]), j]
            keep = numpy.flatnonzero(at >= _SHIFT)
            if keep.size:
                sub, j, at, dominant = sub[keep], j[keep], at[keep], dominant[keep]
                sub[numpy.arange(sub.shape[0]), j] = 0.0
                st = total[dominant]
                t = numpy.log1p(-((_sum_columns(sub.T) if by_columns else sub.sum(axis=-1))
                                   / st))
                t *= at - 0.5
                t -= h[dominant]
                t += _stirling_remainder(at)
                terms[dominant, j] = t
    out = _sum_columns(terms.T) if by_columns else terms.sum(axis=-1)
    out += h
    out -= r[big.size:]
    low = numpy.flatnonzero(total < _SHIFT)
    if low.size:
        out[low] = _log_multibeta_telescoping(rows[low])
    return out.reshape(a.shape[:-1])


#: log 2π, for the Stirling forms of log_multibeta.
_LOG_2PI = float(numpy.log(2.0 * numpy.pi))


def _log_multibeta_point(v: list) -> float:
    """:func:`log_multibeta` at one point (Python floats, m ≥ 3): the same operations in the same
    order as its batch path (the logarithms and gammaln numpy's and scipy's, on short arrays),
    so the same number; up to 8 entries, where that path sums in sequence."""
    m = len(v)
    if m > 8:
        return float(log_multibeta(numpy.array([v]))[0])
    total = v[0] + v[1]
    for x in v[2:]:
        total += x
    if total < _SHIFT:
        return float(_log_multibeta_telescoping(numpy.array(v)))
    gl = scipy.special.gammaln(v).tolist()
    big = [i for i, x in enumerate(v) if x >= _SHIFT]
    # log S and the logarithms of the big entries' shares in one call
    logs = numpy.log([total] + [v[i] / total for i in big]).tolist()
    log_total = logs.pop(0)
    h = (log_total - _LOG_2PI) * 0.5
    slope = log_total - 1.0
    terms = [g - x * slope for g, x in zip(gl, v)]
    if big:
        for i, lg in zip(big, logs):
            x = v[i]
            terms[i] = lg * (x - 0.5) - h + _stirling_remainder(x)
        top = max(v)
        if 2.0 * top > total and top >= _SHIFT:
            j = v.index(top)
            rest = 0.0 if j == 0 else v[0]
            for i in range(1, m):
                rest += 0.0 if i == j else v[i]
            lg = float(numpy.log1p(-(rest / total)))
            terms[j] = lg * (top - 0.5) - h + _stirling_remainder(top)
    s = terms[0] + terms[1]
    for t in terms[2:]:
        s += t
    return (s + h) - _stirling_remainder(total)


def multinomial_expected_log_base(n, p, p_last):
    """E[log h(x)] = log n! − Σ_{i=1}^{k} E[log x_i!] of a multinomial with class probabilities
    p (..., k − 1) and p_last (...), each x_i ~ Bin(n, p_i): (...)."""
    n = numpy.asarray(n, dtype=numpy.float64)
    p = numpy.asarray(p, dtype=numpy.float64)
    allp = numpy.concatenate([p, numpy.broadcast_to(p_last, p.shape[:-1])[..., None]], axis=-1)
    # 1 − p_i as a sum of the others where p_i is the largest and above 1/2
    q = _others(allp, numpy.zeros(allp.shape[:-1]))
    nn = numpy.broadcast_to(n[..., None], allp.shape)
    return gammaln(n + 1.0) - binomial_expected_lgamma(nn, allp, q).sum(axis=-1)


__all__ += ["batch_shape", "full", "into", "logsumexp0_last", "softmax_last", "cosoftmax_last",
            "multinomial_expected_log_base", "sum_others", "digamma_rest", "trigamma_rest",
            "log_multibeta"]


# -- the von Mises–Fisher log-normalizer Φ_d(s) = log(Γ(ν + 1)(2/√s)^ν I_ν(√s)), ν = d/2 − 1 ------
#
# A(η) of the von Mises–Fisher family on the sphere S^(d−1) ⊂ ℝ^d is Φ_d(‖η‖²), with the
# log-area of the sphere in log h. Φ_d(s) = log S_ν(s), S_ν(s) = Γ(ν + 1)(2/√s)^ν I_ν(√s) =
# Σ_k (s/4)^k / (k! (ν + 1)_k) = ₀F₁(; ν + 1; s/4) (DLMF 10.25.2), is analytic at 0 with
# Φ_d(0) = 0, so A(0) = 0 and A is of the size of the KL's and the entropy's own terms (a form
# with the log-area inside A carries ~(d/2) log(d/2πe), 2.0e3 at d = 1000, through them). By
# the Hadamard product of S_ν over the Bessel zeros j_(ν,m), log S_ν(s) = Σ_m log(1 +
# s/j_(ν,m)²) (Watson, Treatise on Bessel functions, §15.41). Hence Φ's Taylor coefficients
# alternate in sign with ratio → −1/j_(ν,1)², and the derivatives Φ⁽ⁿ⁾ = (−1)^(n+1) (n − 1)!
# Σ_m (j_(ν,m)² + s)^(−n) have one sign each; Φ ≥ 0 increases and Ψ = Φ − 2sΦ′ ≤ 0 decreases.
#
# - For s ≤ j²/4 (j² = max(5.78, ν(ν + 2)) ≤ j_(ν,1)², since j_(0,1)² = 5.783 and
#   j_(ν,1) > √(ν(ν + 2)), Watson §15.3), Φ⁽ⁿ⁾ is summed from its Taylor series, whose 48
#   coefficients are exact rationals (log S_ν from S_ν by k b_k = k a_k − Σ_(j<k) j b_j a_(k−j))
#   rounded once: an alternating series of ratio ≤ 1/4 loses nothing, and s = 0 (η = 0) is a
#   plain evaluation (Φ(0) = 0, Φ′(0) = 1/(2d)).
# - Above, Φ at an order ν′ = ν + M ≥ 20 from Debye's uniform expansion (DLMF 10.41.3 with
#   Stirling's series for log Γ(ν′ + 1), DLMF 5.11.1; :func:`_vmf_debye`), which leaves a sum of
#   positive terms, and for M > 0 the exact steps S_k/S_(k+1) = 1 + κR_(k+1)/(2(k + 1)) (from
#   DLMF 10.29.1) down to ν (:func:`_vmf_order_shift`), positive too: a few ulps for every d and
#   κ. The ratio R_ν = I_(ν+1)/I_ν and the differences that the derivatives need —
#   D = R_ν − R_(ν+1), E = 1/κ − D, q = 1 − R_ν — come from backward recurrences
#   (:func:`_vmf_ratios`) that never subtract numbers of one size:
#   Φ′ = R/(2κ), Φ″ = −R D/(4κ²), A_d′ = R E (from R_ν′ = R_ν (R_(ν+1) − R_ν + 1/κ)), and
#   Φ‴ = −((ν + 2)Φ″ + Φ′ R E/2)/s from the Riccati equation 4sΦ″ = 1 − 4(ν + 1)Φ′ − 4sΦ′² of
#   the Bessel equation (its two terms cancel to ~log₁₀(ν + 2) digits). Past the threshold of
#   Hankel's expansion, A_d′ (hence E) comes from that expansion (:func:`_vmf_asymptotic`).
#   Measured against 50-digit mpmath for d ≤ 1000 and κ ≤ 1e4 (tests/kernels/
#   test_special_bessel_sphere.py): Φ, Φ′, Φ″, A_d, A_d′ and Ψ to a few ulps, Φ‴ to 3e-13.

#: Terms of the Taylor series of Φ (the 48th is below 4^−47 of the first where it is used).
_VMF_TERMS = 48


def _vmf_nu(d):
    d = int(d)
    if d < 2 or float(d) != d:
        raise ValueError(f"von Mises–Fisher: dimension d must be an integer >= 2, got {d}")
    return d, (d - 2) / 2.0


@functools.cache
def _vmf_series_coefficients(d, n):
    """Taylor coefficients of Φ_d⁽ⁿ⁾(s) = Σ_k k!/(k−n)! b_k s^(k−n) (b_0 = Φ_d(0) = 0), as
    floats rounded once from exact rationals."""
    from fractions import Fraction

    nu = Fraction(d - 2, 2)
    a = [Fraction(1)]
    for k in range(1, _VMF_TERMS):
        a.append(a[-1] / (4 * k * (nu + k)))
    b = [Fraction(0)] * _VMF_TERMS
    for k in range(1, _VMF_TERMS):
        # the sum starts from Fraction(0): an empty int sum divided by k would be a float
        b[k] = a[k] - sum((j * b[j] * a[k - j] for j in range(1, k)), Fraction(0)) / k
    return tuple(float(math.perm(k, n) * b[k]) for k in range(n, _VMF_TERMS))


def _vmf_series_bound(nu):
    return max(5.78, nu * (nu + 2.0)) / 4.0


def _vmf_series(d, n, s):
    out = numpy.zeros_like(s)
    for c in _vmf_series_coefficients(d, n)[::-1]:
        out = out * s + c
    return out


def _vmf_ive(nu, z):
    v = scipy.special.ive(nu, z)
    if numpy.any(v == 0.0):
        raise FloatingPointError(
            f"von Mises–Fisher: I_{nu}(κ) e^(−κ) underflows at κ = {numpy.min(z)}")
    return v


#: The least order at which Φ is taken from Debye's expansion (lower orders step down to theirs
#: from ν + M ≥ this), and the number of its terms U_1 … U_K: at ν = 20 the sum is within
#: 2e-16 of 50-digit mpmath for κ/ν ≥ 0.05 (smaller ratios are in the Taylor branch).
_VMF_DEBYE_NU = 20.0
_VMF_DEBYE_TERMS = 16


@functools.cache
def _vmf_debye_polynomials():
    """Coefficients (lowest power first) of Debye's polynomials U_1(p) … U_K(p), from exact
    rationals by U_(k+1) = ½p²(1 − p²)U_k′ + ⅛∫₀ᵖ (1 − 5t²)U_k(t) dt, U_0 = 1 (DLMF 10.41.10)."""
    from fractions import Fraction

    u = [Fraction(1)]
    out = []
    for _ in range(_VMF_DEBYE_TERMS):
        new = [Fraction(0)] * (len(u) + 4)
        for j, c in enumerate(u):
            new[j + 1] += j * c / 2 + c / (8 * (j + 1))
            new[j + 3] -= j * c / 2 + 5 * c / (8 * (j + 3))
        while new[-1] == 0:
            new.pop()
        u = new
        out.append(tuple(float(c) for c in u))
    return tuple(out)


def _vmf_debye(nu, kappa):
    """(z, w, t, c) at the order ``nu`` ≥ 20 with Φ = ν(t − log1p(t/2)) + c, (...) each:
    z = κ/ν, w = √(1 + z²), t = w − 1 = z²/(1 + w) and the small c.

    From I_ν(νz) ~ e^(νξ) Σ_k U_k(p)/ν^k / ((2πν)^½ (1 + z²)^¼), ξ = w + log(z/(1 + w)),
    p = 1/w (DLMF 10.41.3) and log Γ(ν + 1) = (ν + ½) log ν − ν + ½ log 2π + r(ν) (Stirling,
    DLMF 5.11.1), the terms of size ν log ν cancel exactly: Φ = ν(w − 1 − log((1 + w)/2)) −
    ¼ log(1 + z²) + r(ν) + log Σ_k U_k(p)/ν^k. t − log1p(t/2) ≥ t/2 loses at most a bit.
    """
    z = kappa / nu
    zz = z * z
    w = numpy.sqrt(1.0 + zz)
    p = 1.0 / w
    t = zz / (1.0 + w)
    total = numpy.zeros_like(z)
    for poly in _vmf_debye_polynomials()[::-1]:
        u = numpy.zeros_like(z)
        for c in poly[::-1]:
            u = u * p + c
        total = (total + u) / nu
    c = -0.25 * numpy.log1p(zz) + _stirling_remainder(float(nu)) + numpy.log1p(total)
    return z, w, t, c


def _vmf_order_shift(nu, m, z):
    """log S_ν(z²) − log S_(ν+m)(z²) = Σ_(k=ν+1)^(ν+m) log1p(z R_k/(2k)), (...): positive terms.

    S_(k−1)/S_k = z/(2k R_(k−1)) = 1 + z R_k/(2k), from R_(k−1) = 1/(2k/z + R_k) (DLMF
    10.29.1); R_k by that backward recurrence from the start of :func:`_vmf_ratios`.
    """
    top = nu + m
    steps = int(math.ceil(math.sqrt(40.0 * float(numpy.max(z)) + top * top) - top)) + 8
    a = top + steps + 1.0
    r = z / (a + numpy.sqrt(a * a + z * z))
    total = numpy.zeros_like(z)
    for j in range(m + steps, 0, -1):
        k = nu + j
        if j <= m:
            total = total + numpy.log1p(z * r / (2.0 * k))
        if j > 1:
            r = 1.0 / (2.0 * k / z + r)
    return total


def _vmf_debye_order(nu):
    """(M, ν + M): the steps from the order of Debye's expansion down to ν."""
    m = max(0, math.ceil(_VMF_DEBYE_NU - nu))
    return m, nu + m


def _vmf_log_normalizer_closed(nu, z):
    """Φ_d(z²) = log S_ν(z²) above the Taylor branch, (...)."""
    m, top = _vmf_debye_order(nu)
    _, _, t, c = _vmf_debye(top, z)
    phi = top * (t - numpy.log1p(t / 2.0)) + c
    return phi + _vmf_order_shift(nu, m, z) if m else phi


def _vmf_ratios(nu, z):
    """R = R_ν(z) = I_(ν+1)(z)/I_ν(z), D = R_ν − R_(ν+1) > 0 and E = 1/z − D (so that
    A_d′ = R E), for z > 1, (...) each.

    By backward recurrences from order ν + M down to ν, with q_k = 1 − R_k and P = R_(k−1)R_k:

        R_(k−1) = 1/(2k/z + R_k)                    (DLMF 10.29.1: the Gauss continued
        q_(k−1) = (2k/z − q_k) R_(k−1)               fraction DLMF 10.33.1 from its tail)
        D_(k−1) = P (2/z − D_k)
        E_(k−1) = (q_(k−1) + q_k − q_(k−1)q_k)/z − P E_k,

    started from the Amos-type estimate R_k ≈ z/(k + 1 + √((k + 1)² + z²)) (Amos 1974, Math.
    Comp. 28, 239–251) and its differences. An error at the start shrinks by about R_(k−1)R_k ≈
    exp(−(2k + 1)/z) per step: M with Σ (2k + 1)/z ≥ 40 leaves e^−40 of it. No step subtracts
    numbers of one size by more than a factor 4 (asymptotically q_k ≈ (2k + 1)/(2z),
    D_k ≈ 1/z, E_k ≈ (2k + 1)/(2z²)), so D and E keep a few ulps where R_ν − R_(ν+1) and
    1 − R² − (2ν + 1)R/z lose log₁₀ z digits.
    """
    zmax = float(numpy.max(z))
    steps = int(math.ceil(math.sqrt(40.0 * zmax + nu * nu) - nu)) + 8
    top = nu + steps
    a, b = top + 1.0, top + 2.0
    ra, rb = numpy.sqrt(a * a + z * z), numpy.sqrt(b * b + z * z)
    r = z / (a + ra)
    q = (a + a * a / (ra + z)) / (a + ra)
    dd = (1.0 - (2.0 * top + 3.0) / (ra + rb)) / z
    e = (2.0 * top + 3.0) / ((ra + rb) * z)
    for j in range(steps, 0, -1):
        k = nu + j
        r_prev = 1.0 / (2.0 * k / z + r)
        q_prev = (2.0 * k / z - q) * r_prev
        p = r_prev * r
        dd = p * (2.0 / z - dd)
        e = (q_prev + q - q_prev * q) / z - p * e
        r, q = r_prev, q_prev
    return r, dd, e, q


#: Terms of the large-κ (Hankel) expansion of A_d′ in 1/κ.
_VMF_ASYMPTOTIC_TERMS = 40


@functools.cache
def _vmf_asymptotic(d):
    """(coefficients c_2…c_K of A_d′(κ) ~ Σ c_k κ^(−k), the κ above which the last kept term is
    below 1e-18 of the first), from exact rationals.

    From Hankel's expansion I_ν(κ) e^(−κ) √(2πκ) ~ Σ_k (−1)^k a_k(ν) κ^(−k),
    a_k(ν) = Π_(j≤k) (4ν² − (2j − 1)²)/(k! 8^k) (DLMF 10.40.1): A_d = P_(ν+1)/P_ν and
    A_d′ = 1 − A_d² − (2ν + 1)A_d/κ as power series in 1/κ, whose terms of order 0 and 1 cancel
    exactly in rationals rather than in floats.
    """
    from fractions import Fraction

    n = _VMF_ASYMPTOTIC_TERMS
    nu = Fraction(d - 2, 2)

    def hankel(order):
        out, a = [Fraction(1)], Fraction(1)
        for k in range(1, n):
            a = a * (4 * order * order - (2 * k - 1) ** 2) / (k * 8)
            out.append((-1) ** k * a)
        return out

    num, den = hankel(nu + 1), hankel(nu)
    ratio = []
    for k in range(n):  # num = ratio * den, den[0] = 1
        ratio.append(num[k] - sum((ratio[j] * den[k - j] for j in range(k)), Fraction(0)))
    sq = [sum((ratio[j] * ratio[k - j] for j in range(k + 1)), Fraction(0)) for k in range(n)]
    deriv = [(1 if k == 0 else 0) - sq[k] - (2 * nu + 1) * (ratio[k - 1] if k else 0)
             for k in range(n)]
    if deriv[0] != 0 or deriv[1] != 0:
        raise ArithmeticError("the expansion of A_d' does not start at order 2")
    coef = tuple(float(c) for c in deriv[2:])
    lead, last = abs(coef[0]), max(abs(c) for c in coef[-4:])
    zmin = max(30.0, (last / (1e-18 * lead)) ** (1.0 / (len(coef) - 1))) if last else 30.0
    # 1 − A_d = −Σ_(k≥1) ratio_k κ^(−k): the order-0 term 1 cancels exactly
    qcoef = tuple(float(-c) for c in ratio[1:])
    return coef, zmin, qcoef


def _vmf_horner(coef, w):
    out = numpy.zeros_like(w)
    for c in coef[::-1]:
        out = out * w + c
    return out


def _vmf_deriv_asymptotic(d, z):
    w = 1.0 / z
    return _vmf_horner(_vmf_asymptotic(d)[0], w) * w * w


def _vmf_ratios_far(d, nu, z):
    """:func:`_vmf_ratios`, with E = A_d′/R and q = 1 − R from the Hankel expansion where κ is
    past its threshold: the recurrences for E and q accumulate an error of about κ/(2ν + 1)
    ulps (each step's rounding, damped only by Π R_(k−1)R_k), the expansion a few ulps."""
    r, dd, e, q = _vmf_ratios(nu, z)
    _, zmin, qcoef = _vmf_asymptotic(d)
    far = z >= zmin
    if numpy.any(far):
        e = numpy.array(numpy.broadcast_to(e, numpy.shape(z)), dtype=numpy.float64)
        q = numpy.array(numpy.broadcast_to(q, numpy.shape(z)), dtype=numpy.float64)
        zf = z if e.ndim == 0 else z[far]
        ef = _vmf_deriv_asymptotic(d, zf) / (r if e.ndim == 0 else r[far])
        qf = _vmf_horner(qcoef, 1.0 / zf) / zf
        if e.ndim == 0:
            e, q = ef, qf
        else:
            e[far], q[far] = ef, qf
    return r, dd, e, q


def _vmf_closed(d, n, nu, s):
    z = numpy.sqrt(s)
    if n == 0:
        return _vmf_log_normalizer_closed(nu, z)
    r, dd, e, _ = _vmf_ratios_far(d, nu, z)
    g1 = r / (2.0 * z)
    if n == 1:
        return g1
    # Φ″ = R_ν (R_(ν+1) − R_ν)/(4s)
    g2 = -r * dd / (4.0 * s)
    if n == 2:
        return g2
    # the Riccati equation differentiated, with Φ′ + 2sΦ″ = R E/2 formed without cancelling
    return -((nu + 2.0) * g2 + g1 * r * e / 2.0) / s


def vmf_log_normalizer_deriv(n, d, s):
    """Φ_d⁽ⁿ⁾(s), the n-th derivative (n = 0…3) in s of Φ_d(s) = log(Γ(ν + 1)(2/√s)^ν I_ν(√s)),
    ν = d/2 − 1, for s ≥ 0 (s = 0 included) and an integer dimension d ≥ 2, (...).

    A_d(κ) = I_(d/2)(κ)/I_(d/2−1)(κ) is 2κΦ′(κ²); see the notes above for the two regimes.
    """
    n = int(n)
    if n not in (0, 1, 2, 3):
        raise NotImplementedError(f"vmf_log_normalizer_deriv: order {n}; orders 0-3 exist")
    d, nu = _vmf_nu(d)
    s = numpy.asarray(s, dtype=numpy.float64)
    return _piecewise(s, s <= _vmf_series_bound(nu), lambda v: _vmf_series(d, n, v),
                      lambda v: _vmf_closed(d, n, nu, v))


def vmf_log_normalizer(d, s):
    """Φ_d(s) = log(Γ(ν + 1)(2/√s)^ν I_ν(√s)) = log ₀F₁(; ν + 1; s/4), ν = d/2 − 1, for s ≥ 0,
    (...)."""
    return vmf_log_normalizer_deriv(0, d, s)


def vmf_mean_resultant(d, kappa):
    """A_d(κ) = I_(d/2)(κ)/I_(d/2−1)(κ), the mean resultant length, for κ ≥ 0, (...)."""
    d, nu = _vmf_nu(d)
    kappa = numpy.asarray(kappa, dtype=numpy.float64)
    small = kappa * kappa <= _vmf_series_bound(nu)
    return _piecewise(kappa, small, lambda k: 2.0 * k * _vmf_series(d, 1, k * k),
                      lambda k: _vmf_ratios(nu, k)[0])


def vmf_mean_resultant_deriv(d, kappa):
    """A_d′(κ) = 1 − A_d² − (d − 1)A_d/κ (1/d at κ = 0), for κ ≥ 0, (...): as 2Φ′ + 4κ²Φ″ by
    their series for small κ (the terms have one sign there), as R_ν E_ν (see _vmf_ratios)
    above."""
    d, nu = _vmf_nu(d)
    kappa = numpy.asarray(kappa, dtype=numpy.float64)
    small = kappa * kappa <= _vmf_series_bound(nu)

    def series(k):
        s = k * k
        return 2.0 * _vmf_series(d, 1, s) + 4.0 * s * _vmf_series(d, 2, s)

    def closed(k):
        r, _, e, _ = _vmf_ratios_far(d, nu, k)
        return r * e

    return _piecewise(kappa, small, series, closed)


#: Below this order the intercept at κ ≥ _VMF_INTERCEPT_IVE_KAPPA is formed from log(I_ν(κ)e^−κ)
#: (its constants log Γ(ν + 1) + ν log 2 stay below 19); from it, from Debye's expansion. scipy's
#: ive loses up to 2e-14 at half-integer orders (odd d) for κ below ~21 (2.5e-14 at (0.5, 20.0),
#: 2e-14 at (4.5, 12.8)), so there it waits for κ ≥ 24; at integer orders from 20, and at
#: half-integer ones from 24 on, it is within 5e-16 for ν < 10 (scipy 1.17).
_VMF_INTERCEPT_IVE_NU = 10.0
_VMF_INTERCEPT_IVE_KAPPA = 24.0


def _vmf_intercept_closed(d, nu, s):
    z = numpy.sqrt(s)
    m, top = _vmf_debye_order(nu)
    r, _, _, q = _vmf_ratios_far(d, nu, z)
    r = numpy.broadcast_to(r, z.shape)
    q = numpy.broadcast_to(q, z.shape)

    def near(k, rk, qk):
        # κ < ν + M: Φ − κR, each term at most about twice |Ψ| there (Φ ≈ κR/2 for small κ)
        return _vmf_log_normalizer_closed(nu, k) - k * rk

    def far_ive(k, rk, qk):
        # log I_ν − ν log κ + log Γ(ν + 1) + ν log 2 − κR = log(I_ν e^−κ) − ν log κ + … + κq:
        # the κ of log I_ν and of κR cancel exactly, not in floats
        return (numpy.log(_vmf_ive(nu, k)) - nu * numpy.log(k) + k * qk
                + (nu * math.log(2.0) + float(scipy.special.gammaln(nu + 1.0))))

    def far_debye(k, rk, qk):
        # Debye's ν(w − 1) − κ = ν(1/(w + z) − 1) (z = κ/ν, w − z = 1/(w + z)), then + κq
        zt, w, t, c = _vmf_debye(top, k)
        out = top * (1.0 / (w + zt) - 1.0) - top * numpy.log1p(t / 2.0) + c + k * qk
        return out + _vmf_order_shift(nu, m, k) if m else out

    branch = numpy.where(z < top, 0, numpy.where(
        (nu < _VMF_INTERCEPT_IVE_NU) & (z >= (_VMF_INTERCEPT_IVE_KAPPA if d % 2 else 0.0)),
        1, 2))
    forms = (near, far_ive, far_debye)
    if z.ndim == 0:
        return forms[int(branch)](z, r, q)
    out = numpy.empty_like(z)
    for i, form in enumerate(forms):
        sel = branch == i
        if numpy.any(sel):
            out[sel] = form(z[sel], r[sel], q[sel])
    return out


@functools.cache
def _vmf_intercept_coefficients(d):
    return tuple((1 - 2 * k) * c for k, c in enumerate(_vmf_series_coefficients(d, 0)))


def _vmf_intercept_series(d, s):
    out = numpy.zeros_like(s)
    for c in _vmf_intercept_coefficients(d)[::-1]:
        out = out * s + c
    return out


def vmf_log_normalizer_intercept(d, s):
    """Ψ_d(s) = Φ_d(s) − 2sΦ_d′(s) = log(Γ(ν + 1)(2/κ)^ν I_ν(κ)) − κA_d(κ) at s = κ² ≥ 0,
    (...): the entropy of the von Mises–Fisher family less the log-area of the sphere (0 at
    κ = 0, decreasing). Its series Σ (1 − 2k) b_k s^k for small s; above, Φ − κA_d for κ below
    the order ν + M of Debye's expansion, and past it with κ(1 − A_d) from the recurrence for q
    (no cancellation of the two terms of size κ)."""
    d, nu = _vmf_nu(d)
    s = numpy.asarray(s, dtype=numpy.float64)
    return _piecewise(s, s <= _vmf_series_bound(nu), lambda v: _vmf_intercept_series(d, v),
                      lambda v: _vmf_intercept_closed(d, nu, v))


def log_sphere_area(d):
    """log |S^(d−1)| = log(2π^(d/2)/Γ(d/2)), the log-area of the unit sphere in ℝ^d, for an
    integer d ≥ 2 (a float; the von Mises–Fisher log h is its negative)."""
    d, _ = _vmf_nu(d)
    return math.log(2.0) + d / 2.0 * math.log(math.pi) - math.lgamma(d / 2.0)


__all__ += ["log_sphere_area", "vmf_log_normalizer", "vmf_log_normalizer_deriv",
            "vmf_mean_resultant",
            "vmf_log_normalizer_intercept",
            "vmf_mean_resultant_deriv"]


# -- the multivariate gamma function (Wishart families)


def log_multigamma(a, d):
    """log Γ_d(a) = d(d − 1)/4 log π + Σ_{j<d} log Γ(a − j/2): a (...) -> (...)."""
    a = numpy.asarray(a, dtype=numpy.float64)
    d = int(d)
    terms = scipy.special.gammaln(a[..., None] - numpy.arange(d) / 2)
    return d * (d - 1) / 4 * numpy.log(numpy.pi) + terms.sum(-1)


def multi_polygamma(n, a, d):
    """ψ_d^(n)(a) = Σ_{j<d} ψ^(n)(a − j/2): a (...) -> (...)."""
    a = numpy.asarray(a, dtype=numpy.float64)
    x = a[..., None] - numpy.arange(int(d)) / 2
    return (scipy.special.psi(x) if int(n) == 0 else scipy.special.polygamma(int(n), x)).sum(-1)


__all__ += ["log_multigamma", "multi_polygamma"]
