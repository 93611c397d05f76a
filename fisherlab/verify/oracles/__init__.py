"""The independent oracles the checks compare the kernels with, each computed without the
derivation or the generated code the kernels come from.

* :mod:`~fisherlab.verify.oracles.quadrature`: expectations over x by adaptive quadrature
  (continuous scalar x) or exact summation/enumeration (discrete x);
* :mod:`~fisherlab.verify.oracles.autograd`: the declaration's log density compiled for autograd
  and differentiated (score, Hessian, Fisher, Jacobians of the maps between parametrizations);
* :mod:`~fisherlab.verify.oracles.mp`: the same declaration in 40-digit mpmath, for points
  where a float oracle cancels.

Each module imports its heavy dependencies (scipy, sympy, autograd, mpmath) itself; importing
this package imports none of them.
"""
