"""A 40-digit oracle from the declaration, for points where a float oracle cancels.

Some points of the test ranges are badly conditioned for *any* float evaluation of an identity's
right-hand side: a normal with mean 1e3 and σ = 1e-3 has η = (1e9, −5e5), and Jᵀ F_η J adds
terms of size 1e18 to produce F_θ = diag(1e6, 2e6); autograd's log density there adds ⟨η, T(x)⟩
≈ 1e12 and A(η) ≈ 5e11 to produce a number of order 1. Those oracles lose 12 digits while the
kernel under test (closed forms in θ) does not.

The checks use this module only to adjudicate: where the float oracle disagrees with a kernel,
the oracle is recomputed here, and the point passes only if the kernel agrees with the
40-digit value to the same tolerance. The explanation counts such points.

Everything is taken from the *declaration*, unsimplified, like
:mod:`fisherlab.verify.oracles.autograd`:
log p(x; θ) = log h(x) + ⟨η(θ), T(x)⟩ − A(η(θ)) is differentiated symbolically (sympy ``diff``,
no ``simplify``), F(θ) = J_θᵀ ∇²A(η) J_θ with ∇²A from differentiating the declared A, and the
map between two parametrizations is from_natural_φ(η_θ(θ)). Float inputs are converted to
mpmath exactly; only the final result is rounded to float64.
"""

from __future__ import annotations

import functools

import numpy as np

#: Working precision in decimal digits.
DPS = 40


def _modules():
    import mpmath

    from ...families.special.functions import mp_log_besseli0_sq_deriv

    return [{
        "log_besseli0": lambda z: mpmath.log(mpmath.besseli(0, z)),
        "besseli_ratio": lambda z: mpmath.besseli(1, z) / mpmath.besseli(0, z),
        "besseli_ratio_deriv": lambda z: (1 - mpmath.besseli(1, z) / mpmath.besseli(0, z) / z
                                          - (mpmath.besseli(1, z) / mpmath.besseli(0, z)) ** 2),
        "exp_expint1": lambda z: mpmath.exp(z) * mpmath.e1(z),
        "log_besseli0_sq": lambda s: mpmath.log(mpmath.besseli(0, mpmath.sqrt(s))),
        "log_besseli0_sq_deriv": lambda n, s: mp_log_besseli0_sq_deriv(int(n), s, DPS),
    }, "mpmath"]


def _mp(v):
    import mpmath

    return mpmath.mpf(float(v))


class MpOracle:
    """Score, Hessian, log density and Fisher information of one parametrization, in mpmath."""

    def __init__(self, spec, param: str):
        import sympy as sp

        from ...symbolic.derive import natural_form

        self.spec = spec
        pz = spec.parametrization(param)
        nat = natural_form(spec)
        self.p = len(pz.params)
        theta = [sp.Symbol(f"t{i}", real=True) for i in range(self.p)]
        eta = list(nat.eta)
        xs = list(nat.x)
        x_arg = xs if spec.support.size else xs[0]
        to_nat = list(pz.to_natural(sp, *theta))
        T = spec.statistics(sp, x_arg)
        logh = spec.log_base_measure(sp, x_arg)
        A = spec.log_partition(sp, *eta)
        from .autograd import explicit

        to_nat = [explicit(e) for e in to_nat]
        T = [explicit(t) for t in T]
        logh, A = explicit(logh), explicit(A)
        logp = logh + sum(e * t for e, t in zip(to_nat, T)) - A.subs(dict(zip(eta, to_nat)))
        score = [sp.diff(logp, t) for t in theta]
        hess = [[sp.diff(s, t) for t in theta] for s in score]
        mods = _modules()
        self._theta_syms = theta
        self._to_nat = sp.lambdify(theta, to_nat, modules=mods)
        self._jac = sp.lambdify(theta, [[sp.diff(e, t) for t in theta] for e in to_nat],
                                modules=mods)
        self._hess_A = sp.lambdify(eta, [[sp.diff(A, a, b) for b in eta] for a in eta],
                                   modules=mods)
        self._logp = sp.lambdify(xs + theta, logp, modules=mods)
        self._score = sp.lambdify(xs + theta, score, modules=mods)
        self._hess = sp.lambdify(xs + theta, hess, modules=mods)

    def _x_cols(self, x):
        x = np.asarray(x, dtype=np.float64)
        return [list(r) for r in x] if self.spec.support.size else [[v] for v in x]

    def fisher_mp(self, theta):
        """F(θ) = J_θᵀ ∇²A(η(θ)) J_θ as an mpmath matrix (one point θ of shape (p,))."""
        import mpmath

        t = [_mp(v) for v in theta]
        J = mpmath.matrix(self._jac(*t))
        H = mpmath.matrix(self._hess_A(*self._to_nat(*t)))
        return J.T * H * J

    def fisher(self, theta) -> np.ndarray:
        """F(θ) rounded to float64: (p,) -> (p, p)."""
        import mpmath

        with mpmath.workdps(DPS):
            return _to_array(self.fisher_mp(theta))

    def score(self, x, theta) -> np.ndarray:
        """Score at each observation of x (n,) or (n, k) for one θ (p,): (n, p)."""
        import mpmath

        with mpmath.workdps(DPS):
            t = [_mp(v) for v in theta]
            return np.array([[float(v) for v in self._score(*[_mp(c) for c in xi], *t)]
                             for xi in self._x_cols(x)])

    def hessian(self, x, theta) -> np.ndarray:
        """Observed Hessian at each observation: (n, p, p)."""
        import mpmath

        with mpmath.workdps(DPS):
            t = [_mp(v) for v in theta]
            return np.array([[[float(v) for v in row]
                              for row in self._hess(*[_mp(c) for c in xi], *t)]
                             for xi in self._x_cols(x)])

    def log_density(self, x, theta) -> np.ndarray:
        """log p at each observation: (n,)."""
        import mpmath

        with mpmath.workdps(DPS):
            t = [_mp(v) for v in theta]
            return np.array([float(self._logp(*[_mp(c) for c in xi], *t))
                             for xi in self._x_cols(x)])


    def natural_fisher(self, theta) -> np.ndarray:
        """∇²A at η(θ) of the declared A, (m, m), at one point θ (p,)."""
        import mpmath

        with mpmath.workdps(DPS):
            eta = self._to_nat(*[_mp(v) for v in theta])
            return _to_array(mpmath.matrix(self._hess_A(*eta)))

    def mean(self, theta) -> np.ndarray:
        """∇A at η(θ) of the declared A, (m,), at one point θ (p,)."""
        import mpmath

        _, fgrad = _log_partition(self.spec)
        with mpmath.workdps(DPS):
            eta = self._to_nat(*[_mp(v) for v in theta])
            return np.array([float(v) for v in fgrad(*eta)])


def _to_array(M) -> np.ndarray:
    return np.array([[float(M[i, j]) for j in range(M.cols)] for i in range(M.rows)])


@functools.cache
def mp_oracle(spec, param: str) -> MpOracle:
    """The (cached) :class:`MpOracle` of ``spec`` in parametrization ``param``."""
    return MpOracle(spec, param)


@functools.cache
def _map(spec, src: str, dst: str):
    """φ(θ) = from_natural_dst(η_src(θ)) and its Jacobian ∂φ/∂θ, lambdified to mpmath."""
    import sympy as sp

    pz_src, pz_dst = spec.parametrization(src), spec.parametrization(dst)
    if pz_dst.from_natural is None:
        return None
    theta = [sp.Symbol(f"t{i}", real=True) for i in range(len(pz_src.params))]
    from .autograd import explicit

    phi = [explicit(f) for f in pz_dst.from_natural(sp, *pz_src.to_natural(sp, *theta))]
    J = [[sp.diff(f, t) for t in theta] for f in phi]
    mods = _modules()
    return sp.lambdify(theta, phi, modules=mods), sp.lambdify(theta, J, modules=mods)


def pullback(spec, src: str, dst: str, theta) -> np.ndarray | None:
    """Jᵀ F_φ J at one point θ of ``src`` in 40 digits, with φ and J = ∂φ/∂θ from the declared
    maps and F_φ from :meth:`MpOracle.fisher_mp`; None when ``dst`` declares no inverse map."""
    import mpmath

    with mpmath.workdps(DPS):
        pieces = _jacobian_and_fisher(spec, src, dst, theta)
        if pieces is None:
            return None
        J, Fq = pieces
        return _to_array(J.T * Fq * J)


def _jacobian_and_fisher(spec, src: str, dst: str, theta):
    """(J = ∂φ/∂θ, F_φ) as mpmath matrices at φ = φ(θ), from the declared maps, at the current
    precision; None when ``dst`` declares no inverse map."""
    import mpmath

    maps = _map(spec, src, dst)
    if maps is None:
        return None
    phi_of, jac_of = maps
    t = [_mp(v) for v in theta]
    phi = phi_of(*t)
    J = mpmath.matrix(jac_of(*t))
    oq = mp_oracle(spec, dst)
    # F_φ at the exact φ(θ) (not at the float conversion of it): evaluate its pieces in mp.
    Jq = mpmath.matrix(oq._jac(*phi))
    Fq = Jq.T * mpmath.matrix(oq._hess_A(*oq._to_nat(*phi))) * Jq
    return J, Fq


def natural_gradient_errors(spec, src: str, dst: str, theta, g, d_theta, d_phi) -> float:
    """The errors of two float natural-gradient directions against the 40-digit one.

    With φ = φ(θ), J = ∂φ/∂θ and F_φ in 40 digits (as in :func:`pullback`), the exact direction
    in φ is d* = F_φ⁻¹ g. Returns the larger of the Fisher-norm errors of J·d_θ (the θ kernel's
    direction for the gradient Jᵀg, mapped by J) and of d_φ (the φ kernel's), relative to
    the Fisher norm of d*; None when ``dst`` declares no inverse map.
    """
    import mpmath

    with mpmath.workdps(DPS):
        pieces = _jacobian_and_fisher(spec, src, dst, theta)
        if pieces is None:
            return None
        J, Fq = pieces
        gv = mpmath.matrix([_mp(v) for v in g])
        d_star = mpmath.lu_solve(Fq, gv)
        norm = mpmath.sqrt((d_star.T * Fq * d_star)[0])
        worst = 0.0
        for d in (J * mpmath.matrix([_mp(v) for v in d_theta]),
                  mpmath.matrix([_mp(v) for v in d_phi])):
            diff = d - d_star
            worst = max(worst, float(mpmath.sqrt(abs((diff.T * Fq * diff)[0])) / norm))
        return worst


#: The digits the oracle's KL keeps: it is evaluated at DPS digits and again with more, until
#: two evaluations agree to this many.
KL_KEPT_DIGITS = 20


def kl(spec, param: str, theta_p, theta_q) -> float:
    """KL(p_θp ‖ p_θq) = A(η_q) − A(η_p) − ⟨∇A(η_p), η_q − η_p⟩ of the declared A, with
    η = η(θ) the declared map of ``param`` (two points of shape (p,)), to ``KL_KEPT_DIGITS``
    digits: near coincidence the Bregman form cancels as many digits as A has above the KL, and
    more inside A (log(1 + e^η) at η = −20 holds its 2e-9 to 40 − 9 digits), so a fixed 40
    digits kept 8 of the Bernoulli's at η = 30, η_q − η = 3e-8 (KL 4e-29). It is evaluated at
    DPS digits, then at 20 + the digits the terms' magnitude says it lost more, until two
    successive values agree."""
    import mpmath

    fA, fgrad = _log_partition(spec)
    to_nat = _natural_map(spec, param)

    def bregman(dps):
        with mpmath.workdps(dps):
            ep = to_nat(*[_mp(v) for v in theta_p])
            eq = to_nat(*[_mp(v) for v in theta_q])
            mu = fgrad(*ep)
            a_q, a_p = fA(*eq), fA(*ep)
            lin = mpmath.fsum(m * (b - a) for m, a, b in zip(mu, ep, eq))
            value = a_q - a_p - lin
            mag = abs(a_q) + abs(a_p) + abs(lin) + 1
            lost = float(mpmath.log10(mag / abs(value))) if value != 0 else 0.0
            return value, max(0, int(lost))

    dps = DPS
    value, lost = bregman(dps)
    for _ in range(5):
        dps += 20 + lost
        finer, lost = bregman(dps)
        with mpmath.workdps(dps):
            if abs(finer - value) <= mpmath.mpf(10) ** -KL_KEPT_DIGITS * abs(finer):
                return float(finer)
        value = finer
    raise ArithmeticError(f"the mpmath KL did not settle to {KL_KEPT_DIGITS} digits by {dps} "
                          f"digits at θ_p={list(theta_p)}, θ_q={list(theta_q)}")


@functools.cache
def _natural_map(spec, param: str):
    """The declared η(θ) of ``param``, lambdified to mpmath (without the rest of MpOracle)."""
    import sympy as sp

    from .autograd import explicit

    pz = spec.parametrization(param)
    theta = [sp.Symbol(f"t{i}", real=True) for i in range(len(pz.params))]
    return sp.lambdify(theta, [explicit(e) for e in pz.to_natural(sp, *theta)], modules=_modules())


@functools.cache
def _log_partition(spec):
    """The declared A(η) and ∇A(η), lambdified to mpmath."""
    import sympy as sp

    from ...symbolic.derive import natural_form
    from .autograd import explicit

    eta = list(natural_form(spec).eta)
    A = explicit(spec.log_partition(sp, *eta))
    mods = _modules()
    return sp.lambdify(eta, A, modules=mods), sp.lambdify(eta, [sp.diff(A, e) for e in eta],
                                                           modules=mods)
