"""The multivariate log-gamma and digamma functions, written out for a given dimension d.

    log Γ_d(a) = d(d − 1)/4 · log π + Σ_{j=0}^{d−1} log Γ(a − j/2),     a > (d − 1)/2,
    ψ_d(a)     = d/da log Γ_d(a) = Σ_{j=0}^{d−1} ψ(a − j/2)

(Muirhead, "Aspects of Multivariate Statistical Theory", 1982, Definition 2.1.10 and
Theorem 2.1.12; scipy.special.multigammaln evaluates the first). They are the normalizers of
the Wishart, inverse Wishart and normal-Wishart families and of E[log det X] under them. For an
integer d the sums are finite, so the declarations get plain sympy ``loggamma``/``polygamma``
terms, which sympy differentiates and the code generator already prints; nothing here needs its
own kernel function.
"""

from __future__ import annotations

__all__ = ["log_multigamma", "multi_digamma"]


def log_multigamma(sp, a, d: int):
    """log Γ_d(a) as a sympy expression (a sum of d log-gamma terms)."""
    d = int(d)
    return (sp.Rational(d * (d - 1), 4) * sp.log(sp.pi)
            + sum((sp.loggamma(a - sp.Rational(j, 2)) for j in range(d)), sp.Integer(0)))


def multi_digamma(sp, a, d: int):
    """ψ_d(a) = d/da log Γ_d(a) as a sympy expression (a sum of d digamma terms)."""
    d = int(d)
    return sum((sp.polygamma(0, a - sp.Rational(j, 2)) for j in range(d)), sp.Integer(0))
