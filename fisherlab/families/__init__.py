"""The catalog of built-in exponential families: one small declaration module per family.

A module declares either ``SPEC`` (a family with no dimensions) or ``make(**dims)`` together with
``DIMS``, the default dimensions (``fl.family("dirichlet")`` is ``fl.family("dirichlet", k=3)``).
A ``SPEC`` with fixed parameters (binomial n, Weibull k, ...) comes with ``DIMS`` too, their
default values; it is bound to values by :func:`load` (see :mod:`.fixed`).
"""

from __future__ import annotations

import functools
import importlib

from ..errors import DomainError, FisherlabError, UnknownFamilyError
from .declaration import ExponentialFamily
from .fixed import check_value, is_scalar

CATALOG: tuple[str, ...] = (
    "bernoulli", "poisson", "exponential", "normal", "gamma",
    "beta", "dirichlet", "lognormal", "von_mises", "inverse_gaussian",
    "multivariate_normal",
    "multivariate_normal_diagonal", "multivariate_normal_isotropic",
    "multivariate_normal_unit_variance", "multivariate_normal_centered",
    "categorical", "multinomial", "binomial", "geometric", "negative_binomial", "weibull",
    "pareto", "rayleigh", "half_normal", "laplace", "chi2",
    "inverse_gamma", "chi", "logarithmic", "continuous_bernoulli", "generalized_dirichlet",
    "normal_gamma", "von_mises_fisher",
    "wishart", "inverse_wishart", "normal_wishart",
)


def names() -> tuple[str, ...]:
    """Names of the built-in families, in catalog order."""
    return CATALOG


def default_dims(name: str) -> dict:
    """The default dimensions of a built-in family (empty when it has none)."""
    return dict(getattr(_module(name), "DIMS", {}))


def parse_dims(items) -> dict:
    """Dimensions from ``NAME=VALUE`` strings (the commands' ``--dim`` options): ``{"k": 3}``.

    Values are integers where they parse as such, floats otherwise (a fixed scale ``x_m=1.5``).
    """
    out = {}
    for item in items or ():
        if "=" not in item:
            raise FisherlabError(f"--dim takes NAME=INTEGER, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                raise FisherlabError(f"--dim {key} must be a number, got {value!r}") from None
    return out


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
        spec = load(name)
        return spec.template or spec
    return module.SPEC


def load(name: str, **dims) -> ExponentialFamily:
    """The declaration of built-in family ``name`` with dimensions ``dims``.

    For a family with fixed parameters (binomial n, ...) ``dims`` holds their values, scalars or
    per-row arrays, defaulting to ``DIMS``; the result is the template bound to them.
    """
    module = _module(name)
    if getattr(module, "SPEC", None) is not None and module.SPEC.fixed:
        unknown = set(dims) - set(module.DIMS)
        if unknown:
            raise DomainError(
                f"family {name!r} takes fixed parameters {', '.join(module.DIMS)}; "
                f"got unknown {', '.join(sorted(unknown))}")
        return _bound(name, (), module.SPEC, {**module.DIMS, **dims})
    if hasattr(module, "make"):
        full = {**module.DIMS, **dims}
        unknown = set(dims) - set(module.DIMS)
        if unknown:
            raise DomainError(
                f"family {name!r} takes dimensions {', '.join(module.DIMS)}; "
                f"got unknown {', '.join(sorted(unknown))}")
        # structural dimensions (multinomial k) go to make; fixed parameters (its n) are bound
        fixed = getattr(module, "FIXED", ())
        structural = tuple(sorted((k, v) for k, v in full.items() if k not in fixed))
        spec = _make(name, structural)
        if not spec.fixed:
            return spec
        return _bound(name, structural, spec, full)
    if dims:
        raise DomainError(f"family {name!r} takes no dimensions, got {', '.join(dims)}")
    return module.SPEC


def _bound(name: str, structural: tuple, template: ExponentialFamily, full: dict):
    """``template`` bound to the values of its fixed parameters in ``full`` (cached for scalars)."""
    values = {p.name: check_value(name, p, full[p.name]) for p in template.fixed}
    if is_scalar(values):
        return _bind(name, structural, tuple(sorted(values.items())))
    return template.bind(**values)


@functools.cache
def _bind(name: str, structural: tuple, values: tuple) -> ExponentialFamily:
    spec = _make(name, structural) if structural else _module(name).SPEC
    return spec.bind(**dict(values))


@functools.cache
def _make(name: str, dims: tuple) -> ExponentialFamily:
    return _module(name).make(**dict(dims))
