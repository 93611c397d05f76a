"""fisherlab: exact information geometry for exponential families, compiled and verified.

>>> import fisherlab as fl
>>> fl.kernels("gamma", "shape_rate").fisher([2.0, 3.0])   # doctest: +SKIP

The public API is re-exported here; nothing heavy (sympy, scipy.stats, matplotlib) is imported
until it is used.
"""

from ._api import Family, as_family, families, family, kernels
from .errors import (
                     ConvergenceError,
                     DomainError,
                     FisherlabError,
                     NoMLEError,
                     NotAvailableError,
                     ShapeError,
                     SpecError,
                     SupportError,
                     UnknownFamilyError,
                     UnknownIdentityError,
                     UnknownLinkError,
                     UnknownNameError,
                     UnknownStepperError,
)
from .families.declaration import Constraint, ExponentialFamily, Param, Parametrization
from .families.domain import Domain
from .families.support import Support
from .kernels import Kernels

# fl.verify is the function: this import first loads the package fisherlab.verify, whose first
# load binds the package to the name, then binds the function over it (as for families, kernels).
from .verify import verify

__version__ = "0.1.0"


__all__ = [
    "Family", "as_family", "families", "family", "kernels", "verify", "Kernels",
    "ExponentialFamily", "Param", "Parametrization", "Domain", "Constraint", "Support",
    "FisherlabError", "DomainError", "SupportError", "ShapeError", "UnknownFamilyError",
    "UnknownNameError", "UnknownLinkError", "UnknownStepperError", "UnknownIdentityError",
    "SpecError", "NoMLEError", "ConvergenceError", "NotAvailableError", "__version__",
]
