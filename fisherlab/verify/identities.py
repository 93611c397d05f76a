"""The identities, one function each, each side of an identity computed on its own.

Each function has the signature ``check(family, param, points=None, seed=0, n_points=None)``:
``family`` is a catalog name, a declaration or a :class:`~fisherlab.Family`; ``param`` a
parametrization; ``points`` an (n, p) array of parameter points (drawn over the test ranges
from ``seed`` when omitted). Each returns a :class:`CheckResult`. The test suite calls these
same functions, so ``pytest`` and ``fisherlab verify`` cannot disagree.

Each check is of one of two kinds (:data:`~fisherlab.verify.check.ROLES`): *independent*, a
kernel against an oracle outside the derivation (quadrature or summation over x, Monte Carlo,
autograd or 40-digit mpmath of the declaration, scipy.stats, textbook formulas), or
*consistency*, two kernels of the same derivation (a transformation law, an expansion of the
KL). Its status is ``pass``, ``FAIL`` or ``n/a`` (its route does not exist here; it says why
and counts as neither).

The checks live in one module per idea: :mod:`~fisherlab.verify.expectations` (quadrature and
Monte Carlo), :mod:`~fisherlab.verify.mle`, :mod:`~fisherlab.verify.consistency` (between
parametrizations), :mod:`~fisherlab.verify.local_kl` (the KL near θ: its expansion and the
kernels' near-coincidence refinement) and :mod:`~fisherlab.verify.external` (scipy.stats,
autograd); the oracles themselves are in :mod:`fisherlab.verify.oracles`;
:mod:`~fisherlab.verify.check` holds the runner, the result type and the tolerances (its
docstring says how errors are normalized).
"""

from __future__ import annotations

from .check import (
                    SIGMAS,
                    TOL_EXACT,
                    TOL_QUADRATURE,
                    TOL_SCIPY,
                    TOL_SLOPE_CUBIC,
                    TOL_SLOPE_KL,
                    CheckResult,
)
from .consistency import kl_invariance, natural_gradient_map, pullback, roundtrip
from .expectations import bregman_kl, fisher_monte_carlo, fisher_quadrature, moments_quadrature
from .external import autograd_oracle, scipy_oracle
from .local_kl import kl_refinement, local_kl, local_kl_cubic
from .mle import mle_information

#: name -> check function, in the order reports list them.
IDENTITIES = {
    "fisher_quadrature": fisher_quadrature,
    "fisher_monte_carlo": fisher_monte_carlo,
    "moments_quadrature": moments_quadrature,
    "mle_information": mle_information,
    "roundtrip": roundtrip,
    "pullback": pullback,
    "kl_invariance": kl_invariance,
    "natural_gradient_map": natural_gradient_map,
    "local_kl": local_kl,
    "local_kl_cubic": local_kl_cubic,
    "kl_refinement": kl_refinement,
    "bregman_kl": bregman_kl,
    "scipy": scipy_oracle,
    "autograd": autograd_oracle,
}

__all__ = ["IDENTITIES", "CheckResult", "fisher_quadrature", "fisher_monte_carlo",
           "moments_quadrature", "mle_information", "roundtrip", "pullback", "kl_invariance",
           "natural_gradient_map", "local_kl", "local_kl_cubic", "kl_refinement", "bregman_kl",
           "scipy_oracle",
           "autograd_oracle",
           "TOL_QUADRATURE", "TOL_EXACT", "TOL_SCIPY", "SIGMAS", "TOL_SLOPE_KL",
           "TOL_SLOPE_CUBIC"]
