"""The catalog of built-in exponential families: one small declaration module per family.

A module declares either ``SPEC`` (a family with no dimensions) or ``make(**dims)`` together with
``DIMS``, the default dimensions (``fl.family("dirichlet")`` is ``fl.family("dirichlet", k=3)``).
A ``SPEC`` with fixed parameters (binomial n, Weibull k, ...) comes with ``DIMS`` too, their
default values; it is bound to values by :func:`load` (see :mod:`.fixed`).
"""

from __future__ import annotations

import functools
import importlib

from ..errors import DomainError, UnknownFamilyError
from ._spec import ExponentialFamily
from .fixed import check_value, is_scalar

CATALOG: tuple[str, ...] = (
    "bernoulli", "poisson", "exponential", "normal", "gamma",
    "beta", "dirichlet", "lognormal", "von_mises", "inverse_gaussian",
    "multivariate_normal",
    "categorical", "multinomial", "binomial", "geometric", "negative_binomial", "weibull",
    "pareto", "rayleigh", "half_normal", "laplace", "chi2",
)


def names() -> tuple[str, ...]:
    """Names of the built-in families, in catalog order."""
    return CATALOG


def default_dims(name: str) -> dict:
    """The default dimensions of a built-in family (empty when it has none)."""
    return dict(getattr(_module(name), "DIMS", {}))


def _module(name: str):
    if not isinstance(name, str) or name not in CATALOG:
        raise UnknownFamilyError(
            f"unknown family {name!r}; known families: {', '.join(CATALOG)}")
    return importlib.import_module(f"{__name__}.{name}")


def template(name: str) -> ExponentialFamily:
    """The declaration of built-in family ``name`` as its kernel module is generated from: with
    default dimensions, and with symbolic fixed parameters (see :mod:`.fixed`)."""
    module = _module(name)
    if hasattr(module, "make"):
        return load(name)
    return module.SPEC


def load(name: str, **dims) -> ExponentialFamily:
    """The declaration of built-in family ``name`` with dimensions ``dims``.

    For a family with fixed parameters (binomial n, ...) ``dims`` holds their values, scalars or
    per-row arrays, defaulting to ``DIMS``; the result is the template bound to them.
    """
    module = _module(name)
    if getattr(module, "SPEC", None) is not None and module.SPEC.fixed:
        spec = module.SPEC
        unknown = set(dims) - set(module.DIMS)
        if unknown:
            raise DomainError(
                f"family {name!r} takes fixed parameters {', '.join(module.DIMS)}; "
                f"got unknown {', '.join(sorted(unknown))}")
        values = {p.name: check_value(name, p, {**module.DIMS, **dims}[p.name])
                  for p in spec.fixed}
        if is_scalar(values):
            return _bind(name, tuple(sorted(values.items())))
        return spec.bind(**values)
    if hasattr(module, "make"):
        full = {**module.DIMS, **dims}
        unknown = set(dims) - set(module.DIMS)
        if unknown:
            raise DomainError(
                f"family {name!r} takes dimensions {', '.join(module.DIMS)}; "
                f"got unknown {', '.join(sorted(unknown))}")
        return _make(name, tuple(sorted(full.items())))
    if dims:
        raise DomainError(f"family {name!r} takes no dimensions, got {', '.join(dims)}")
    return module.SPEC


@functools.lru_cache(maxsize=None)
def _bind(name: str, values: tuple) -> ExponentialFamily:
    return _module(name).SPEC.bind(**dict(values))


@functools.lru_cache(maxsize=None)
def _make(name: str, dims: tuple) -> ExponentialFamily:
    return _module(name).make(**dict(dims))
