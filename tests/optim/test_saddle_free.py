"""SaddleFreeNewton in the steppers' registry."""

from __future__ import annotations

import numpy as np

from fisherlab.optim import MLE, STEPPERS, Newton, SaddleFreeNewton, make_stepper, run


def test_registered_by_name_with_its_hyperparameters():
    assert STEPPERS["SaddleFreeNewton"] is SaddleFreeNewton
    st = make_stepper("SaddleFreeNewton", lr=0.5, damping=1e-3)
    assert isinstance(st, SaddleFreeNewton) and st.config() == {"lr": 0.5, "damping": 1e-3}


def test_equals_newton_where_the_hessian_is_positive_definite():
    import fisherlab as fl

    x = fl.family("gamma").sample([2.0, 3.0], "shape_rate", size=200, seed=0)
    prob = MLE("gamma", "natural", x)
    th = prob.optimum() + np.array([0.05, -0.1])
    assert np.all(np.linalg.eigvalsh(prob.hessian(th)) > 0)
    a = make_stepper("SaddleFreeNewton", lr=1.0).step(prob, th)
    b = Newton(lr=1.0).step(prob, th)
    assert np.allclose(a, b, rtol=1e-12, atol=0)
    res = run(prob, make_stepper("SaddleFreeNewton", lr=1.0), th, gtol=1e-10)
    assert res.status == "converged" and res.iterations <= 8
