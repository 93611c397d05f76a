"""Von Mises–Fisher distribution on the unit sphere S^(d−1) ⊂ ℝ^d:
p(x) = C_d(κ) exp(κ μᵀx), C_d(κ) = κ^ν / ((2π)^(d/2) I_ν(κ)), ν = d/2 − 1, for ‖x‖ = 1,
with respect to the surface measure of the sphere (of total mass 2π^(d/2)/Γ(d/2)).

Observations have shape (..., d) with ‖x‖ = 1 to within ``SPHERE_TOLERANCE`` (1e-10; farther
raises SupportError). Exponential-family form: T(x) = x, η = κμ ∈ ℝ^d,
log h(x) = −log |S^(d−1)| = −log(2π^(d/2)/Γ(d/2)) (the uniform law on the sphere), and

    A(η) = log(Γ(ν + 1) (2/‖η‖)^ν I_ν(‖η‖)) = Φ_d(‖η‖²),

with Φ_d(s) = log ₀F₁(; ν + 1; s/4) analytic at s = 0 (DLMF 10.25.2; η = 0 is the uniform law,
A(0) = 0). A is declared through s = ‖η‖² (see :mod:`fisherlab.families.special.bessel_sphere`),
so the derived quantities are polynomials in η times Φ_d′, Φ_d″, Φ_d‴ and nothing divides by
‖η‖. The log-area, a constant of size (d/2) log(d/2πe) (−2.0e3 at d = 1000), is in log h and
not in A: A, its Bregman KL and the entropy's η-dependent part Ψ_d = A − ⟨η, ∇A⟩ stay of the
size of their own terms. Mean E[x] = A_d(κ)μ with
A_d(κ) = I_(d/2)(κ)/I_(d/2−1)(κ); Fisher information in η
∇²A = (A_d(κ)/κ)(I − μμᵀ) + A_d′(κ) μμᵀ, with A_d′ = 1 − A_d² − (d − 1)A_d/κ (→ 1/d as κ → 0).
For d = 2 it is the von Mises family (``von_mises``), with the same log h = −log 2π and A.

Parametrizations:

- ``natural``: η = κμ, any d. Test range each η_i in (−20, 22).
- ``angles_concentration`` (d = 2 and 3): the direction μ in hyperspherical angles
  φ₁, …, φ_(d−1) and κ > 0: μ₁ = cos φ₁, μ₂ = sin φ₁ cos φ₂, …, μ_d = sin φ₁ ⋯ sin φ_(d−1);
  φ_i ∈ (0, π) for i < d − 1 and φ_(d−1) ∈ (−π, π] (d = 2: φ₁ is the von Mises location; d = 3:
  colatitude and longitude about the first axis). The Fisher information is diagonal,
  κA_d(κ)·diag(1, sin²φ₁, …) ⊕ A_d′(κ); the chart is singular at the poles φ_i ∈ {0, π}.

Dimensions: ``d`` ≥ 2 (default 3); ``fl.family("von_mises_fisher", d=10)``. One kernel module
serves the natural parametrization for every d, derived once for symbolic d from
:func:`indexed` (its Fisher information diag(2Φ′) + 4Φ″ηηᵀ also as a structured matrix); for
d = 2 and 3, modules derived from this element-wise declaration add the angles.

Valid range: κ = ‖η‖ from 0 (exactly) to 1e4 and d up to 1000: Φ_d, Φ_d′, Φ_d″, Ψ_d, A_d and
A_d′ are accurate to a few ulps there and Φ_d‴ (the skewness) to 3e-13
(tests/kernels/test_special_bessel_sphere.py against 50-digit mpmath). The natural Fisher
information's entries are accurate relative to its largest, A_d(κ)/κ: along μ it is the small
A_d′ ≈ (d − 1)/(2κ²) formed as a sum of terms of size A_d/κ, so its smallest eigenvalue carries
an error of ~κ ulps of it; the ``angles_concentration`` parametrization has A_d′ itself. The KL
divergence is the Bregman form A(η_q) − A(η) − ⟨∇A(η), η_q − η⟩, summed as A(η_q) − Ψ_d(‖η‖²) −
⟨∇A(η), η_q⟩: terms of the size of κ_q and of the KL itself, a few ulps of max(1, κ_q) off
(tests/families/test_von_mises_fisher_textbook.py).
"""

from __future__ import annotations

import math

import numpy as np

from ._spec import (
    POSITIVE,
    REAL,
    Constraint,
    Domain,
    ExponentialFamily,
    Param,
    Parametrization,
    require_int,
)
from .support import unit_sphere

DIMS = {"d": 3}
#: The largest d with the ``angles_concentration`` parametrization (its kernels are derived
#: element-wise, one symbol per angle).
ANGLES_MAX_D = 3


def _log_partition(d):
    def log_partition(sp, *eta):
        from .special.bessel_sphere import log_partition as lp

        return lp(sp.Integer(d), sum(e**2 for e in eta))
    return log_partition


def _log_base_measure(sp, d):
    """−log |S^(d−1)|: the uniform law's log-density, a constant (d an integer or a symbol)."""
    from .special.bessel_sphere import log_sphere_area

    return -log_sphere_area(d)


def _angles_to_natural(d):
    def to_natural(sp, *theta):
        # η_i = κ sin φ₁ ⋯ sin φ_(i−1) cos φ_i for i < d, η_d = κ sin φ₁ ⋯ sin φ_(d−1)
        *phi, kappa = theta
        out, run = [], sp.Integer(1)
        for p in phi:
            out.append(kappa * run * sp.cos(p))
            run = run * sp.sin(p)
        out.append(kappa * run)
        return out
    return to_natural


def _angles_from_natural(d):
    def from_natural(sp, *eta):
        out = []
        for i in range(d - 2):
            out.append(sp.atan2(sp.sqrt(sum(e**2 for e in eta[i + 1:])), eta[i]))
        out.append(sp.atan2(eta[d - 1], eta[d - 2]))
        out.append(sp.sqrt(sum(e**2 for e in eta)))
        return out
    return from_natural


def _no_mle(t):
    # the mean of unit vectors lies in the closed ball; the MLE exists strictly inside it
    return ~(np.sum(np.asarray(t) ** 2, axis=-1) < 1.0)


def sample(rng, eta, size) -> np.ndarray:
    """Draws of shape ``size + (d,)`` at one natural parameter η (d,), by Wood's rejection
    algorithm (Wood 1994, Commun. Statist. Simul. 23, 157–164) for the component w = μᵀx, a
    uniform direction orthogonal to μ, and the Householder reflection taking e₁ to μ.

    The differences that cancel for large κ are formed exactly: b = (d − 1)/(2κ +
    √(4κ² + (d − 1)²)), 1 − x₀ = 2b/(1 + b), 1 − w = 2bZ/(1 − (1 − b)Z).
    """
    eta = np.asarray(eta, dtype=np.float64)
    d = eta.shape[-1]
    size = (size,) if np.isscalar(size) else tuple(size)
    n = math.prod(size)
    kappa = float(np.sqrt(np.sum(eta * eta)))
    b = (d - 1) / (2.0 * kappa + math.sqrt(4.0 * kappa * kappa + (d - 1) ** 2))
    one_minus_x0 = 2.0 * b / (1.0 + b)
    x0 = 1.0 - one_minus_x0
    c = kappa * x0 + (d - 1) * math.log(one_minus_x0 * (1.0 + x0))
    w = np.empty(n)
    omw = np.empty(n)  # 1 − w
    filled = 0
    while filled < n:
        m = max(16, int(1.3 * (n - filled)))
        z = rng.beta((d - 1) / 2.0, (d - 1) / 2.0, size=m)
        u = rng.random(m)
        den = 1.0 - (1.0 - b) * z
        om = 2.0 * b * z / den
        ww = 1.0 - om
        # log(1 − x₀w) = log((1 − x₀) + x₀(1 − w))
        ok = kappa * ww + (d - 1) * np.log(one_minus_x0 + x0 * om) - c >= np.log(u)
        take = min(int(ok.sum()), n - filled)
        w[filled:filled + take] = ww[ok][:take]
        omw[filled:filled + take] = om[ok][:take]
        filled += take
    v = rng.standard_normal((n, d - 1))
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    x = np.concatenate([w[:, None], np.sqrt(omw * (2.0 - omw))[:, None] * v], axis=-1)
    if kappa > 0:
        mu = eta / kappa
        e1 = np.zeros(d)
        e1[0] = 1.0
        h = e1 - mu
        hn = float(np.sqrt(np.sum(h * h)))
        if hn > 0:
            h /= hn
            x = x - 2.0 * (x @ h)[:, None] * h
    return x.reshape(size + (d,))


def make(d: int = 3) -> ExponentialFamily:
    """The von Mises–Fisher family on S^(d−1), observations of shape (..., d)."""
    d = require_int("d", d, 2)
    natural = [Param(f"eta{i}", REAL, (-20.0, 22.0), f"η_{i} = κμ_{i}", rf"\eta_{{{i}}}")
               for i in range(1, d + 1)]
    parametrizations = []
    if d <= ANGLES_MAX_D:
        polar = [Param(f"angle{i}", Domain(0.0, math.pi), (0.2, 2.9),
                       f"φ_{i} in (0, π), the {i}th polar angle of μ", rf"\varphi_{{{i}}}")
                 for i in range(1, d - 1)]
        last = Param(f"angle{d - 1}", Domain(-math.pi, math.pi, hi_closed=True), (-3.1, 3.1),
                     f"φ_{d - 1} in (−π, π], the azimuth of μ", rf"\varphi_{{{d - 1}}}")
        conc = Param("concentration", POSITIVE, (1e-3, 1e4), "κ > 0, the concentration",
                     r"\kappa")
        parametrizations.append(Parametrization(
            "angles_concentration", [*polar, last, conc],
            to_natural=_angles_to_natural(d), from_natural=_angles_from_natural(d),
            doc="the mean direction μ in hyperspherical angles (μ₁ = cos φ₁, μ₂ = sin φ₁ cos "
                "φ₂, …), then κ > 0 the concentration."))

    def sampler(rng, *eta_size):
        *eta, size = eta_size
        return sample(rng, np.array(eta, dtype=np.float64), size)

    def scipy_dist(st, *eta):
        eta = np.array(eta, dtype=np.float64)
        kappa = float(np.sqrt(np.sum(eta * eta)))
        return st.vonmises_fisher(eta / kappa, kappa)

    return ExponentialFamily(
        name="von_mises_fisher",
        title="Von Mises–Fisher",
        density=(r"p(x) = \frac{\kappa^{d/2-1}}{(2\pi)^{d/2} I_{d/2-1}(\kappa)}"
                 r" e^{\kappa \mu^\top x},\quad \|x\| = 1"),
        support=unit_sphere(d),
        statistics=lambda sp, x: list(x),
        log_base_measure=lambda sp, x: _log_base_measure(sp, d),
        natural=natural,
        log_partition=_log_partition(d),
        parametrizations=parametrizations,
        mean_space=Constraint(_no_mle, "the MLE needs a mean resultant length below 1: at "
                                       "least two distinct directions"),
        sampler=("natural", sampler),
        scipy=("natural", scipy_dist),
        dims={"d": d},
    )


def indexed():
    """The von Mises–Fisher family for every d at once (see :mod:`fisherlab.families.indexed`):
    A(η) = Φ_d(Σ_s η_s²) and log h = −log |S^(d−1)| with d the symbolic number of natural
    parameters."""
    from .indexed import IndexedFamily

    def log_partition(sp, eta, s, m):
        from .special.bessel_sphere import log_partition as lp

        return lp(m, sp.Sum(eta[s] ** 2, (s, 1, m)))

    return IndexedFamily(
        name="von_mises_fisher", offset=0,
        statistics=lambda sp, x, i: x[i],
        log_base_measure=lambda sp, x, s, k: _log_base_measure(sp, k),
        log_partition=log_partition,
        expected_log_base_measure=lambda sp, mean, i, s, m: _log_base_measure(sp, m),
        pull_entropy=True)
