"""The von Mises–Fisher special functions of fisherlab.kernels._special against mpmath.

Φ_d(s) = log(Γ(ν + 1)(2/√s)^ν I_ν(√s)) = log ₀F₁(; ν + 1; s/4) (ν = d/2 − 1), its
s-derivatives, the mean resultant length A_d(κ) = I_(d/2)/I_(d/2−1), its derivative
A_d′ = 1 − A_d² − (d − 1)A_d/κ, Ψ_d = Φ_d − 2sΦ_d′ and the log-area of the sphere, on a grid of d
up to 1000 and κ from 0 to 1e4 that crosses every branch switch (the series at s ≤ j²/4, Debye's
expansion at order ν ≥ 20 and the order steps down to ν below it (d = 40, 41, 42 around the
switch), the intercept's switches at κ = ν + M and at κ = 24, the Hankel expansion from
κ ≥ 30), and at the points where scipy's ive at half-integer orders loses 2e-14 (κ = 12.84,
20.0). The references are mpmath.besseli at 60 digits (the textbook forms; at κ ≤ 1 the
s-derivatives of log ₀F₁(; ν + 1; s/4) by mpmath.diff instead, a route through no Bessel ratio),
as arrays and point by point. Φ and Ψ are relative to themselves: they hold no constant of the
size of log Γ(ν + 1) (A(0) = 0), so nothing cancels down to them.
"""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest

from fisherlab.kernels import _special

DIMS = (2, 3, 4, 5, 10, 11, 20, 40, 41, 42, 50, 100, 1000)
KAPPAS = (0.0, 1e-8, 1e-3, 0.5, 1.0, 1.3, 2.0, 5.0, 12.84, 20.0, 20.7, 21.5, 24.5, 30.0, 31.0,
          50.0, 100.0, 300.0, 1000.0, 3000.0, 1e4)


def _mp_phi(n, d, kappa):
    with mp.workdps(60):
        nu = mp.mpf(d) / 2 - 1
        k = mp.mpf(kappa)
        if k <= 1:
            def g(t):
                return mp.log(mp.hyp0f1(nu + 1, t / 4))
            return mp.diff(g, k * k, n)
        s = k * k
        i0, i1, i2 = (mp.besseli(nu + j, k) for j in range(3))
        r0, r1 = i1 / i0, i2 / i1
        g1 = r0 / (2 * k)
        g2 = r0 * (r1 - r0) / (4 * s)
        # Γ(ν + 1)(2/κ)^ν I_ν(κ) at 60 digits: the constants of size 3e3 (d = 1000) cancel
        # exactly enough in mpmath, not in the kernel
        return [mp.log(i0) - nu * mp.log(k / 2) + mp.loggamma(nu + 1), g1, g2,
                -((nu + 2) * g2 + g1 * g1 + 2 * s * g1 * g2) / s][n]


def _mp_ratio(d, kappa):
    with mp.workdps(60):
        nu = mp.mpf(d) / 2 - 1
        k = mp.mpf(kappa)
        if k == 0:
            return mp.mpf(0), mp.mpf(1) / d
        r = mp.besseli(nu + 1, k) / mp.besseli(nu, k)
        return r, 1 - r * r - (d - 1) * r / k


#: Stated accuracy, relative: a few ulps (4e-15), Φ‴ 3e-13.
FEW_ULPS = 4e-15
TOL = {0: FEW_ULPS, 1: FEW_ULPS, 2: FEW_ULPS, 3: 3e-13}


def _check(got, ref, tol, what):
    ref = float(ref)
    if ref == 0.0:
        # Φ(0) = Ψ(0) = 0 exactly (the uniform law)
        assert float(got) == 0.0, f"{what}: {got!r} vs 0"
        return
    err = abs(float(got) - ref) / abs(ref)
    assert err <= tol, f"{what}: {got!r} vs {ref!r}, error {err:.2e} > {tol:.0e}"


@pytest.mark.parametrize("d", DIMS)
@pytest.mark.parametrize("n", (0, 1, 2, 3))
def test_log_normalizer_derivatives(n, d):
    s = np.array(KAPPAS) ** 2
    arr = _special.vmf_log_normalizer_deriv(n, d, s)
    for k, v, sv in zip(KAPPAS, arr, s):
        ref = _mp_phi(n, d, k)
        _check(v, ref, TOL[n], f"Phi^({n})_{d}(kappa={k})")
        _check(_special.vmf_log_normalizer_deriv(n, d, sv), ref, TOL[n],
               f"0-d Phi^({n})_{d}(kappa={k})")


@pytest.mark.parametrize("d", DIMS)
def test_mean_resultant_and_its_derivative(d):
    k = np.array(KAPPAS)
    a, da = _special.vmf_mean_resultant(d, k), _special.vmf_mean_resultant_deriv(d, k)
    for kappa, v, dv in zip(KAPPAS, a, da):
        r, dr = _mp_ratio(d, kappa)
        if kappa == 0:
            assert v == 0.0
        else:
            _check(v, r, FEW_ULPS, f"A_{d}({kappa})")
            _check(_special.vmf_mean_resultant(d, kappa), r, FEW_ULPS, f"0-d A_{d}({kappa})")
        _check(dv, dr, FEW_ULPS, f"A_{d}'({kappa})")
        _check(_special.vmf_mean_resultant_deriv(d, kappa), dr, FEW_ULPS, f"0-d A_{d}'({kappa})")


@pytest.mark.parametrize("d", DIMS)
def test_intercept(d):
    """Ψ_d(κ²) = log ₀F₁(; ν + 1; κ²/4) − κA_d(κ), whose two terms of size κ the kernel never
    subtracts, relative to itself (it decreases from Ψ(0) = 0)."""
    s = np.array(KAPPAS) ** 2
    arr = _special.vmf_log_normalizer_intercept(d, s)
    for kappa, v in zip(KAPPAS, arr):
        with mp.workdps(60):
            nu = mp.mpf(d) / 2 - 1
            if kappa == 0:
                ref = mp.mpf(0)
            else:
                k = mp.mpf(kappa)
                ref = mp.log(mp.hyp0f1(nu + 1, k * k / 4)) - k * _mp_ratio(d, kappa)[0]
        _check(v, ref, FEW_ULPS, f"Psi_{d}({kappa})")
        _check(_special.vmf_log_normalizer_intercept(d, kappa * kappa), ref, FEW_ULPS,
               f"0-d Psi_{d}({kappa})")


@pytest.mark.parametrize("d", DIMS)
def test_log_sphere_area(d):
    """log |S^(d−1)| = log(2π^(d/2)/Γ(d/2)): 4π at d = 3, 2π at d = 2, −2.0e3 at d = 1000."""
    with mp.workdps(50):
        half = mp.mpf(d) / 2
        ref = mp.log(2 * mp.pi**half / mp.gamma(half))
    _check(_special.log_sphere_area(d), ref, FEW_ULPS, f"log area S^{d - 1}")


def test_values_at_zero_are_the_taylor_coefficients():
    for d in (2, 3, 7, 1000):
        assert _special.vmf_log_normalizer_deriv(1, d, 0.0) == pytest.approx(1 / (2 * d),
                                                                             rel=1e-16)
        assert _special.vmf_mean_resultant_deriv(d, 0.0) == pytest.approx(1 / d, rel=1e-16)


def test_dimension_must_be_an_integer_of_at_least_two():
    with pytest.raises(ValueError, match="integer >= 2"):
        _special.vmf_log_normalizer_deriv(1, 1, 1.0)
