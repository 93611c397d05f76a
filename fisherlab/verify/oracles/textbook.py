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
