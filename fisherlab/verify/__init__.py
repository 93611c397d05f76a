"""Verification: the identities of information geometry, checked for any family.

``fl.verify(family)`` runs every identity of :mod:`fisherlab.verify.identities` on every
parametrization and returns a :class:`~fisherlab.verify.runner.VerifyReport`. The same functions
are what the test suite runs over the catalog (one source of truth) and what
``fisherlab verify`` prints.

``fisherlab.verify`` is this package, and calling it runs :func:`verify_family`:
``fl.verify("gamma")``. One attribute cannot be both a function and a package, so the package is
made callable the way Python documents for customizing a module (its ``__class__`` set to a
:class:`types.ModuleType` subclass), and :mod:`fisherlab` imports it at once, so ``fl.verify``
is the same object before and after any ``import fisherlab.verify...``. Importing it is cheap:
the names below load their modules on first use.
"""

from __future__ import annotations

import importlib
import sys
import types

#: Public name -> the module of this package that defines it (loaded on first access).
_EXPORTS = {
    "verify_family": "runner", "VerifyReport": "runner", "format_table": "runner",
    "IDENTITIES": "identities", "CheckResult": "check",
}

__all__ = ["CheckResult", "VerifyReport", "IDENTITIES", "verify_family", "format_table"]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))


class _CallablePackage(types.ModuleType):
    """The type of this package: calling it runs :func:`verify_family`."""

    def __call__(self, family_or_spec, params=None, seed: int = 0, **options):
        """Run every identity on a family; see :func:`fisherlab.verify.verify_family`."""
        from .runner import verify_family

        return verify_family(family_or_spec, params=params, seed=seed, **options)


sys.modules[__name__].__class__ = _CallablePackage
