"""Textbook formulas in mpmath, written from the distributions' standard definitions and not from
any fisherlab declaration or derivation: the reference where scipy.stats is known to be
inaccurate (see :data:`fisherlab.verify.external.SCIPY_DEFECTS`).

Each function takes the positional arguments of the scipy.stats distribution it stands in for
(``dist.args`` of the frozen distribution) and returns a float.
"""

from __future__ import annotations

#: Working precision in decimal digits.
DPS = 40
#: The summation stops past the mode once a term is this many nats below the largest.
_TAIL = 120


def negative_binomial_entropy(r, p) -> float:
    """−Σ_k f(k) log f(k) for f(k) = C(k + r − 1, k) pᣴ (1 − p)ᵏ, k = 0, 1, ... (failures
    before the r-th success; scipy's ``nbinom(r, p)``), summed in ``DPS`` digits.

    The terms follow f(k + 1) = f(k)·(k + r)/(k + 1)·(1 − p); the log-concave tail is geometric,
    so stopping 120 nats below the peak leaves an error below e⁻¹⁰⁰ of the sum.
    """
    import mpmath

    with mpmath.workdps(DPS):
        r, p = mpmath.mpf(float(r)), mpmath.mpf(float(p))
        log_q = mpmath.log1p(-p)
        logf = r * mpmath.log(p)
        peak = logf
        total = mpmath.mpf(0)
        k = 0
        while True:
            total -= mpmath.exp(logf) * logf
            peak = max(peak, logf)
            mode_passed = k + 1 > (r - 1) * (1 - p) / p
            if mode_passed and logf < peak - _TAIL:
                return float(total)
            logf += mpmath.log((k + r) / (k + 1)) + log_q
            k += 1


def logarithmic_entropy(p) -> float:
    """−Σ_k f(k) log f(k) for f(k) = −pᵏ/(k log(1 − p)), k = 1, 2, ... (scipy's ``logser(p)``),
    summed in ``DPS`` digits.

    The terms decrease from k = 1 (f(k + 1)/f(k) = p·k/(k + 1) < p): stopping once log f is
    ``_TAIL`` nats below log f(1) leaves a tail below e⁻¹²⁰·|log f|/(1 − p) of the sum.
    """
    import mpmath

    with mpmath.workdps(DPS):
        p = mpmath.mpf(float(p))
        log_p = mpmath.log(p)
        log_c = -mpmath.log(-mpmath.log1p(-p))
        first = log_c + log_p
        total = mpmath.mpf(0)
        k = 1
        while True:
            logf = log_c + k * log_p - mpmath.log(k)
            total -= mpmath.exp(logf) * logf
            if logf < first - _TAIL:
                return float(total)
            k += 1


def _lower_triangle_matrix(entries):
    """The symmetric mpmath matrix of lower-triangle entries given row by row."""
    import mpmath

    n = len(entries)
    d = int(round(((8 * n + 1) ** 0.5 - 1) / 2))
    M = mpmath.matrix(d, d)
    it = iter(entries)
    for i in range(d):
        for j in range(i + 1):
            M[i, j] = M[j, i] = mpmath.mpf(float(next(it)))
    return M


def _wishart_entropy_mp(n, V):
    """The Wishart entropy in mpmath for an mpf n and an mpmath matrix V (see
    :func:`wishart_entropy`)."""
    import mpmath

    d = V.rows
    logdet = mpmath.log(mpmath.det(V))
    lgd = d * (d - 1) / mpmath.mpf(4) * mpmath.log(mpmath.pi) + mpmath.fsum(
        mpmath.loggamma((n + 1 - i) / 2) for i in range(1, d + 1))
    e_logdet = mpmath.fsum(mpmath.digamma((n + 1 - i) / 2) for i in range(1, d + 1)) + (
        d * mpmath.log(2) + logdet)
    log_b = -n / 2 * logdet - n * d / 2 * mpmath.log(2) - lgd
    return -log_b - (n - d - 1) / 2 * e_logdet + n * d / 2


def wishart_entropy(df, *scale) -> float:
    """The entropy of the Wishart W(V, n) with V given by its lower triangle (Bishop, "Pattern
    Recognition and Machine Learning", 2006, eq. (B.81)–(B.82)):
    H = −log B(V, n) − ((n − d − 1)/2) E[log det X] + nd/2 with
    log B = −(n/2) log det V − (nd/2) log 2 − log Γ_d(n/2) and
    E[log det X] = Σ_{i=1}^{d} ψ((n + 1 − i)/2) + d log 2 + log det V, in ``DPS`` digits."""
    import mpmath

    with mpmath.workdps(DPS):
        return float(_wishart_entropy_mp(mpmath.mpf(float(df)), _lower_triangle_matrix(scale)))


def inverse_wishart_entropy(df, *scale) -> float:
    """The entropy of the inverse Wishart W⁻¹(Ψ, ν) with Ψ given by its lower triangle: X = Y⁻¹
    with Y Wishart W(Ψ⁻¹, ν), and the change of variables dX = det(Y)^(−(d+1)) dY (Muirhead,
    "Aspects of Multivariate Statistical Theory", 1982, Theorem 2.1.8) gives
    H(X) = H(Y) − (d + 1) E[log det Y], in ``DPS`` digits."""
    import mpmath

    with mpmath.workdps(DPS):
        W = _lower_triangle_matrix(scale) ** -1
        d = W.rows
        n = mpmath.mpf(float(df))
        e_logdet_y = mpmath.fsum(mpmath.digamma((n + 1 - i) / 2) for i in range(1, d + 1)) + (
            d * mpmath.log(2) + mpmath.log(mpmath.det(W)))
        return float(_wishart_entropy_mp(n, W) - (d + 1) * e_logdet_y)
