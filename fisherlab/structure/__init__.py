"""Structured symmetric positive-definite matrices: Fisher information without forming it.

A dimension-generic family returns its Fisher information in the structure its derivation
gives (``k.fisher(theta, structured=True)``): dense, diagonal plus low rank (categorical,
multinomial, Dirichlet) or Kronecker blocks (multivariate normal). Every structure offers the
same four operations, batched over leading axes, so natural gradients, Fisher–vector products
and log-determinants cost what the structure allows and no (p, p) array is formed unless
:meth:`~fisherlab.structure.base.Structured.dense` asks for it.
"""

from .base import Structured
from .dense import Dense
from .diag_low_rank import DiagPlusLowRank
from .kronecker import KroneckerBlocks

__all__ = ["Dense", "DiagPlusLowRank", "KroneckerBlocks", "Structured"]
