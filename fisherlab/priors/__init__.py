"""Conjugate priors of the catalog's families: exact posteriors, evidence and predictives.

>>> import fisherlab as fl
>>> prior = fl.family("poisson").conjugate_prior()        # Gamma(α, rate β) on the rate
>>> prior.posterior([2.0, 1.0], [3, 0, 4])                 # Gamma(2 + 7, 1 + 3)
array([9., 4.])

:mod:`.pairs` declares each pair (the prior family and the affine map from the generic conjugate
hyperparameters to its natural parameters), :mod:`.prior` computes with it from the families'
kernels, and :mod:`.derivation` re-derives each map from the two declarations with sympy.
"""

from __future__ import annotations

import numpy as np

from ..errors import DomainError, describe
from .pairs import PAIRS, Pair, pair_for
from .prior import Predictive, Prior


def conjugate_prior(likelihood, **known) -> Prior:
    """The conjugate prior of a likelihood family.

    Parameters
    ----------
    likelihood : Family
        The likelihood, with its fixed parameters (binomial n, negative-binomial r, Pareto x_m:
        scalars or per-row arrays).
    **known
        Likelihood parameters held known, where the pair needs them: ``var`` for the normal
        (then the prior is a normal on the mean; without it, a normal-gamma on mean and
        precision), ``shape`` for the gamma (a gamma prior on the rate). Positive scalars, or
        arrays (n,) with one value per observation.

    Raises
    ------
    NotAvailableError
        The family has no closed-form conjugate prior in the catalog.
    DomainError
        A known parameter is missing, unknown or not positive and finite.
    """
    from .. import family

    pair = pair_for(likelihood, known)
    for name, value in known.items():
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim > 1 or not np.all(np.isfinite(arr) & (arr > 0)):
            raise DomainError(f"known {name} of {likelihood.key} must be finite and > 0 "
                              f"(a scalar or one per observation), got {describe(arr)}")
    prior_family = family(pair.prior, **pair.prior_dims(likelihood.dims))
    return Prior(pair, likelihood, prior_family, known)


__all__ = ["conjugate_prior", "Prior", "Predictive", "Pair", "PAIRS"]
