"""Optimizers on the exact kernels: problems (MLE of a family, GLMs), steppers and a runner.

>>> from fisherlab.optim import MLE, NaturalGradient, run          # doctest: +SKIP
>>> prob = MLE("gamma", "shape_rate", data)
>>> res = run(prob, NaturalGradient(lr=1.0), [1.0, 1.0], gtol=1e-10)
"""

from .matrix_free import CGNaturalGradient, HessianFreeNewton, Minibatch
from .problems import GLM, GLM_FAMILIES, MLE, Problem
from .runner import RunResult, run
from .saddle_free import SaddleFreeNewton
from .steppers import (
                       GD,
                       STEPPERS,
                       Adam,
                       DampedStepper,
                       DiagonalFisher,
                       EmpiricalFisher,
                       MirrorDescent,
                       Momentum,
                       NaturalGradient,
                       Newton,
                       RMSProp,
                       Stepper,
                       make_stepper,
)

__all__ = ["Problem", "MLE", "GLM", "GLM_FAMILIES", "run", "RunResult", "Stepper", "GD", "Momentum",
           "RMSProp", "Adam", "DampedStepper", "Newton", "NaturalGradient", "EmpiricalFisher",
           "DiagonalFisher", "MirrorDescent", "SaddleFreeNewton", "CGNaturalGradient",
           "HessianFreeNewton", "Minibatch",
           "STEPPERS", "make_stepper"]
