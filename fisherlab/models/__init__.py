"""Models with exponential-family outputs and their exact curvature.

>>> from fisherlab import models as flm                              # doctest: +SKIP
>>> head = flm.Head("poisson", "rate", link="exp")
>>> prob = flm.GLM(head).problem(X, y)
>>> prob.fisher(w), prob.hessian(w), prob.fisher_vp(w, v)

A :class:`Head` turns raw predictor outputs into a family's parameters through inverse links
(:mod:`fisherlab.models.links`); a :class:`Problem` joins a predictor, a head and data and gives
the loss, gradients and every curvature from the family's kernels.
"""

from . import links
from .fit import FitResult, fit, minimize_newton
from .glm import GLM, LinearPredictor
from .heads import Head, HeadPoint
from .mixture import EM, Mixture, MixtureProblem
from .problem import DENSE_LIMIT, ModelBase, Predictor, Problem

__all__ = [
    "DENSE_LIMIT",
    "GLM",
    "FitResult",
    "Head",
    "HeadPoint",
    "LinearPredictor",
    "EM",
    "Mixture",
    "MixtureProblem",
    "ModelBase",
    "Predictor",
    "Problem",
    "fit",
    "links",
    "minimize_newton",
]


# The network predictors and K-FAC arrive in modules of their own; this package works without
# them (only their own absence is tolerated: an error inside them propagates).
try:
    from .mlp import MLP  # noqa: F401 -- exported through __all__ below
except ModuleNotFoundError as err:  # pragma: no cover - depends on the checkout
    if err.name != f"{__name__}.mlp":
        raise
else:
    __all__.append("MLP")
try:
    from .function import Model  # noqa: F401
except ModuleNotFoundError as err:  # pragma: no cover
    if err.name != f"{__name__}.function":
        raise
else:
    __all__.append("Model")
try:
    from .kfac import KFAC  # noqa: F401 -- registers "KFAC" among fisherlab.optim's steppers
except ModuleNotFoundError as err:  # pragma: no cover
    if err.name != f"{__name__}.kfac":
        raise
else:
    __all__.append("KFAC")
