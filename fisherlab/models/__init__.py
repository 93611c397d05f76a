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
from .problem import DENSE_LIMIT, ModelBase, Predictor, Problem

__all__ = [
    "DENSE_LIMIT",
    "GLM",
    "FitResult",
    "Head",
    "HeadPoint",
    "LinearPredictor",
    "ModelBase",
    "Predictor",
    "Problem",
    "fit",
    "links",
    "minimize_newton",
]


def __getattr__(name):
    # MLP, Model and K-FAC live in modules that arrive with the network predictors; imported
    # on first use so that this package works without them
    import importlib

    homes = {"MLP": "mlp", "Model": "function"}
    if name in homes:
        try:
            module = importlib.import_module(f"{__name__}.{homes[name]}")
        except ModuleNotFoundError as err:
            raise AttributeError(f"fisherlab.models.{name} is not available: {err}") from None
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
