"""Compiled kernels: the runtime (argument checking, special functions) and the generated
modules of the built-in catalog, written by ``scripts/generate_kernels.py``. No sympy here."""

from ._generic import GenericKernels
from ._runtime import Kernels

__all__ = ["GenericKernels", "Kernels"]
