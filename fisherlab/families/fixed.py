"""Fixed parameters: the values a template declaration is bound to (binomial n, Weibull k, ...).

A family such as the binomial has a parameter that is given, not estimated. Its declaration is a
*template*: ``fixed=[Param("n", ...)]`` lists the fixed parameters with their domains and test
ranges, and every symbolic callable of the declaration receives them as keyword arguments
(``log_partition(sp, e, n=n)``), so the derivation is made once with n a sympy symbol and compiled
into one kernel module whose functions take n as an argument after θ.

:func:`bind` sets the values. Each is either a scalar or an array (per-row values, e.g. the
trials of a binomial GLM); arrays broadcast against θ's batch shape (...) and against x's shape,
like a column of θ: ``fl.family("binomial", n=np.array([3, 5, 10])).kernels("p").fisher(theta)``
with θ of shape (3, 1) gives three 1 × 1 matrices, row i at n[i]. The bound declaration is a
full declaration again: its symbolic callables receive the values as exact sympy numbers (scalars
only), its numeric callables (``sampler``, ``scipy``, ``mean_space``) the values themselves, and
its support is the support at that value (``fixed_support``) when the values are scalars. Values
are checked here, once, like parameters: a :class:`~fisherlab.errors.DomainError` names the fixed
parameter, its constraint and the offending value.

Where the values go:

- ``fl.family(name, n=...)`` holds the bound declaration; its kernels take the values from it
  (``Kernels.fixed``) and append them to every generated function's arguments. Observations are
  checked per row against them (``support_constraint``: binomial x <= n, Pareto x > x_m, the
  multinomial's counts summing to n): a :class:`~fisherlab.errors.SupportError` names x and the
  row's value.
- ``Family.sample`` follows numpy's convention for per-row values (``size`` defaults to their
  shape: one draw per row). ``Family.convert`` and the Fisher–Rao distance broadcast like the
  kernels. ``Family.mle`` estimates one θ from a sample at one value of each fixed parameter;
  per-row values raise NotAvailableError there (a sample whose rows have different trials is a
  regression: ``fisherlab.models`` with ``trials=``).
- The verification suite (``fl.verify(name, n=7)``, default: the family's ``DIMS``) checks the
  declaration bound to that one value: its oracles (scipy.stats, 40-digit mpmath, quadrature and
  sums over the now finite support) see the value as a number. The fixed parameter's
  ``test_range`` is where the tests pick the values they check the kernels at
  (tests/families/test_fixed_params.py).
- ``Family.derive`` at scalar values substitutes them exactly (n = 10 stays an integer); with
  per-row values it returns the template's derivation, the fixed parameters as symbols.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import DomainError, SpecError, describe
from ._dims import _tidy, exact
from .declaration import Constraint, ExponentialFamily, Param


def check_value(family: str, param: Param, value):
    """A fixed parameter's value, validated: a Python number (an int when integral) or a
    read-only float64 array.

    Raises
    ------
    DomainError
        Naming the parameter, its constraint and the offending values: a non-number, NaN or
        ±inf, a value outside the domain, or a non-integer where ``param.integer``.
    """
    what = f"{'an integer ' if param.integer else 'a finite number '}{param.domain.text}"
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise DomainError(f"{family}: fixed parameter {param.name!r} must be {what}, got {value!r}")
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise DomainError(f"{family}: fixed parameter {param.name!r} must be {what}, "
                          f"got {value!r}") from None
    bad = param.domain.violations(arr)
    if param.integer:
        with np.errstate(invalid="ignore"):
            bad |= np.isfinite(arr) & (arr != np.floor(arr))
    if np.any(bad):
        raise DomainError(f"{family}: fixed parameter {param.name!r} must be {what}, "
                          f"got {describe(arr[bad] if arr.ndim else arr)}")
    if arr.ndim == 0:
        return _tidy(float(arr))
    arr.setflags(write=False)
    return arr


def is_scalar(values: dict) -> bool:
    """Whether every value is one number (not a per-row array)."""
    return all(not isinstance(v, np.ndarray) for v in values.values())


def bind(template: ExponentialFamily, values: dict) -> ExponentialFamily:
    """``template`` with its fixed parameters set to ``values`` (name -> scalar or array)."""
    if template.template is not None:
        raise SpecError(f"family {template.name!r} is bound already ({template.fixed_values})")
    names = [p.name for p in template.fixed]
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise DomainError(f"family {template.name!r} takes fixed parameters {', '.join(names)}; "
                          f"got unknown {', '.join(unknown)}")
    missing = [n for n in names if n not in values]
    if missing:
        raise DomainError(f"family {template.name!r}: no value for fixed parameter(s) "
                          f"{', '.join(missing)}")
    vals = {p.name: check_value(template.name, p, values[p.name]) for p in template.fixed}
    scalar = is_scalar(vals)

    def symbolic(fn):
        if fn is None:
            return None

        def bound(sp, *args):
            if not scalar:
                raise SpecError(f"family {template.name!r}: the fixed parameters hold per-row "
                                "values; a symbolic expression needs one value of each (or the "
                                "template, where they are symbols)")
            return fn(sp, *args, **{k: exact(sp, v) for k, v in vals.items()})
        return bound

    def numeric(decl):
        if decl is None:
            return None
        home, fn = decl
        return home, lambda *args, **kw: fn(*args, **kw, **vals)

    def pair(decl):
        return None if decl is None else (decl[0], symbolic(decl[1]))

    def constraint(c):
        if c is None:
            return None
        return Constraint(lambda t: c.violations(t, **vals), c.text)

    pzs = [dataclasses.replace(pz, to_natural=symbolic(pz.to_natural),
                               from_natural=symbolic(pz.from_natural)) for pz in
           template.parametrizations]
    support = template.support
    if scalar and template.fixed_support is not None:
        support = template.fixed_support(**vals)
    return dataclasses.replace(
        template, support=support, statistics=symbolic(template.statistics),
        log_base_measure=symbolic(template.log_base_measure),
        log_partition=symbolic(template.log_partition), parametrizations=pzs,
        natural_from_mean=symbolic(template.natural_from_mean),
        mean_space=constraint(template.mean_space),
        expected_log_base_measure=symbolic(template.expected_log_base_measure),
        sampler=numeric(template.sampler), scipy=numeric(template.scipy),
        fisher_rao=pair(template.fisher_rao), dims={**template.dims, **vals},
        fixed=(), template=template, fixed_values=vals)


__all__ = ["bind", "check_value", "is_scalar"]
