"""The errors fisherlab raises.

Every error is a :class:`FisherlabError` and also the builtin a caller would expect, so
``except ValueError`` keeps working for code that does not know fisherlab.
"""

from __future__ import annotations


class FisherlabError(Exception):
    """Base class of every error fisherlab raises on purpose."""


class DomainError(FisherlabError, ValueError):
    """A parameter is outside its domain, or is NaN or infinite."""


class SupportError(DomainError):
    """An observation lies outside the support of the family."""


class ShapeError(FisherlabError, ValueError):
    """An array has the wrong shape (most often: its last axis is not the parameter count)."""


class UnknownNameError(FisherlabError, KeyError):
    """A name (of a family, link, stepper, identity, ...) that fisherlab does not know.

    The message lists the known choices. Subclasses say what kind of name it was.
    """

    def __str__(self) -> str:  # KeyError quotes its message; print it plainly instead
        return str(self.args[0]) if self.args else ""


class UnknownFamilyError(UnknownNameError):
    """No family or parametrization of that name exists."""


class UnknownLinkError(UnknownNameError):
    """No (inverse) link function of that name exists."""


class UnknownStepperError(UnknownNameError):
    """No optimizer stepper of that name exists."""


class UnknownIdentityError(UnknownNameError):
    """No verification identity of that name exists."""


class SpecError(FisherlabError, ValueError):
    """A family declaration is not a valid exponential family."""


class NoMLEError(FisherlabError, ValueError):
    """The maximum-likelihood estimate of a sample does not exist."""


class ConvergenceError(FisherlabError, RuntimeError):
    """An iterative solver did not reach the precision it promises."""


class NotAvailableError(FisherlabError, NotImplementedError):
    """The quantity has no closed form for this family (e.g. a Fisher–Rao distance)."""


def describe(values) -> str:
    """Format the offending values of an array for an error message (at most three)."""
    import numpy as np

    arr = np.asarray(values).ravel()
    shown = ", ".join(repr(float(v)) if np.isrealobj(arr) else repr(v) for v in arr[:3])
    more = f" (and {arr.size - 3} more)" if arr.size > 3 else ""
    return shown + more
