"""Compiled kernels: the runtime (argument checking, special functions) and the generated
modules of the built-in catalog, written by ``scripts/generate_kernels.py``. No sympy here."""

from . import _special as special
from ._generic import GenericKernels
from ._runtime import Kernels

# The numpy special functions keep an underscore in their file name, as the other hand-written
# modules here do, so that no generated module (named for its family) can take their name;
# ``fisherlab.kernels.special`` is their public name, for the rooms that call them directly.
__all__ = ["GenericKernels", "Kernels", "special"]
