"""The multivariate log-gamma function and its derivatives for a symbolic dimension d.

    log Γ_d(a) = d(d − 1)/4 · log π + Σ_{j=0}^{d−1} log Γ(a − j/2),
    ψ_d^(n)(a) = dⁿ⁺¹/daⁿ⁺¹ log Γ_d(a) = Σ_{j=0}^{d−1} ψ^(n)(a − j/2)

(Muirhead, "Aspects of Multivariate Statistical Theory", 1982, Definition 2.1.10). For an integer
d, :mod:`fisherlab.families.special.multivariate_gamma` writes the sums out; here d is a symbol,
so they are two sympy functions whose derivatives in a are each other (d is an integer, not a
variable). The matrix printer prints them as calls of the kernels' numeric versions
(:func:`fisherlab.kernels._wishart_runtime.log_multigamma`, ``multi_polygamma``).
"""

from __future__ import annotations

import sympy as sp

__all__ = ["LogMultigamma", "MultiPolygamma"]


class LogMultigamma(sp.Function):
    """log Γ_d(a), as ``LogMultigamma(a, d)``."""

    nargs = 2

    def fdiff(self, argindex=1):
        """d/da log Γ_d(a) = ψ_d(a)."""
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        a, d = self.args
        return MultiPolygamma(0, a, d)


class MultiPolygamma(sp.Function):
    """ψ_d^(n)(a) = Σ_j ψ^(n)(a − j/2), as ``MultiPolygamma(n, a, d)``."""

    nargs = 3

    def fdiff(self, argindex=2):
        """d/da ψ_d^(n)(a) = ψ_d^(n+1)(a)."""
        if argindex != 2:
            raise sp.ArgumentIndexError(self, argindex)
        n, a, d = self.args
        return MultiPolygamma(n + 1, a, d)
