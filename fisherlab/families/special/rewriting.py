"""Forms the code generator rewrites derived expressions into before printing (imports sympy).

They are not part of any declaration: :mod:`fisherlab.compile.codegen` substitutes them into the
simplified derivation so that a cancellation disappears (ψ'(u) − 1/u) or so that
common-subexpression elimination can share an inner evaluation between entries (R(z) in R'(z);
ψ⁽ⁿ⁾(a) and ψ⁽ⁿ⁾(a + b) in their difference). The kernel printer emits each as a call into
:mod:`fisherlab.kernels._special`; the printer dispatches on the class names, hence lower case.
"""

from __future__ import annotations

import sympy as sp


class trigamma_minus_reciprocal(sp.Function):  # noqa: N801 -- the printer dispatches on it
    """ψ'(u) − 1/u, which the kernels evaluate without cancellation at large u."""

    nargs = 1

    def _eval_rewrite_as_polygamma(self, u, **kwargs):
        return sp.polygamma(1, u) - 1 / u

    def _eval_evalf(self, prec):
        return (sp.polygamma(1, self.args[0]) - 1 / self.args[0])._eval_evalf(prec)


class gamma_unit_entropy(sp.Function):  # noqa: N801 -- the printer dispatches on it
    """u + log Γ(u) − (u − 1)ψ(u), the entropy of the gamma law of shape u and rate 1, which
    the kernels evaluate without the cancellation of its terms of size u log u."""

    nargs = 1

    def _eval_rewrite_as_polygamma(self, u, **kwargs):
        return u + sp.loggamma(u) - (u - 1) * sp.polygamma(0, u)

    def _eval_evalf(self, prec):
        u = self.args[0]
        return (u + sp.loggamma(u) - (u - 1) * sp.polygamma(0, u))._eval_evalf(prec)


class logistic_entropy(sp.Function):  # noqa: N801 -- the printer dispatches on it
    """log(1 + e^u) − u e^u/(1 + e^u), the entropy of a Bernoulli law of log-odds u, which the
    kernels evaluate without the cancellation of its two terms at large u."""

    nargs = 1

    def explicit(self):
        """The closed form written out, with its cancellation (for the code generator)."""
        u = self.args[0]
        return sp.log(1 + sp.exp(u)) - u * sp.exp(u) / (1 + sp.exp(u))

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return self.explicit()

    def _eval_evalf(self, prec):
        return self.explicit()._eval_evalf(prec)


class log_sigmoid(sp.Function):  # noqa: N801 -- the printer dispatches on it
    """log σ(u) = −log(1 + e^−u), the log-probability of x = 1 under a Bernoulli law of log-odds
    u, which the kernels evaluate as one softplus (no difference of two numbers of size u)."""

    nargs = 1

    def explicit(self):
        """The softplus written out (for mpmath references)."""
        return -sp.log(1 + sp.exp(-self.args[0]))

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return self.explicit()

    def _eval_evalf(self, prec):
        return self.explicit()._eval_evalf(prec)


class sigmoid(sp.Function):  # noqa: N801 -- the printer dispatches on it
    """σ(u) = 1/(1 + e^−u), evaluated without overflow at either end."""

    nargs = 1

    def explicit(self):
        """The logistic function written out (for mpmath references)."""
        return 1 / (1 + sp.exp(-self.args[0]))

    def _eval_rewrite_as_exp(self, u, **kwargs):
        return self.explicit()

    def _eval_evalf(self, prec):
        return self.explicit()._eval_evalf(prec)


class logistic_kl(sp.Function):  # noqa: N801 -- the printer dispatches on it
    """log(1 + e^v) − log(1 + e^u) − (v − u) e^u/(1 + e^u), the KL between the Bernoulli laws of
    log-odds u and v, which the kernels evaluate without the cancellation of its Bregman form
    where e^u/(1 + e^u) ≈ 1."""

    nargs = 2

    def explicit(self):
        """The Bregman form written out, with its cancellation (for the code generator)."""
        u, v = self.args
        return (sp.log(1 + sp.exp(v)) - sp.log(1 + sp.exp(u))
                - (v - u) * sp.exp(u) / (1 + sp.exp(u)))

    def _eval_rewrite_as_exp(self, u, v, **kwargs):
        return self.explicit()

    def _eval_evalf(self, prec):
        return self.explicit()._eval_evalf(prec)


class besseli_ratio_deriv_given(sp.Function):  # noqa: N801
    """R'(z) printed with R(z) as a second argument, so that CSE shares R(z) with the entries
    that use it (the von Mises Fisher information: z·R(z) and R'(z)) and the Bessel functions
    are evaluated once."""

    nargs = 2


class polygamma_diff_given(sp.Function):  # noqa: N801
    """ψ⁽ⁿ⁾(a) − ψ⁽ⁿ⁾(a + b) (n = 0, 1: digamma_diff, trigamma_diff) printed with ψ⁽ⁿ⁾(a) and
    ψ⁽ⁿ⁾(a + b) as arguments: CSE then shares them between the differences that hold them, which
    the Dirichlet's stick-breaking kernels do in pairs (ψ(α₁) − ψ(α₁ + s) next to ψ(s) − ψ(s + α₁),
    and ψ(s) again in the next stick): the Dirichlet(k = 5) score evaluates ψ 10 times instead
    of 16."""

    nargs = 5
