"""Verification: the identities of information geometry, checked for any family.

``fl.verify(family)`` runs every identity of :mod:`fisherlab.verify.identities` on every
parametrization and returns a :class:`~fisherlab.verify.runner.VerifyReport`. The same functions
are what the test suite runs over the catalog (one source of truth) and what
``fisherlab verify`` prints.

``fl.verify`` is the function :func:`verify` of this package, as ``fl.kernels`` and
``fl.families`` are functions beside the packages of the same name; the package's contents are
imported by their full names (``from fisherlab.verify import IDENTITIES``). Importing the package
is cheap: the names below load their modules on first use.
"""

from __future__ import annotations

import importlib

#: Public name -> the module of this package that defines it (loaded on first access).
_EXPORTS = {
    "verify_family": "runner", "VerifyReport": "runner", "format_table": "runner",
    "IDENTITIES": "identities", "CheckResult": "check",
}

__all__ = ["CheckResult", "VerifyReport", "IDENTITIES", "verify", "verify_family", "format_table"]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


def verify(family_or_spec, params=None, seed: int = 0, **options):
    """Run every identity on every parametrization of a family: ``fl.verify("gamma")``.

    Parameters
    ----------
    family_or_spec : str, ExponentialFamily or Family
        A catalog name, a declaration, or a handle.
    params : str or sequence of str, optional
        Parametrizations to check (default: all).
    seed : int
        Seeds the parameter points and every sample.
    **options
        The other arguments of :func:`~fisherlab.verify.runner.verify_family` (``identities``,
        ``n_points``, ``progress``) and the family's dimensions.

    Returns
    -------
    VerifyReport
        ``.ok``, ``.table()``, ``.failures``.
    """
    # The identities import scipy and autograd: loaded here, on the first call, not with fisherlab.
    from .runner import verify_family

    return verify_family(family_or_spec, params=params, seed=seed, **options)
