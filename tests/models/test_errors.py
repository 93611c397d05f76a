"""Bad input to heads, problems and fits: the errors of fisherlab.errors, naming what is wrong."""

import numpy as np
import pytest

import fisherlab as fl
from fisherlab import models as flm

X = np.c_[np.ones(5), [0.0, 1.0, 2.0, 3.0, 4.0]]


def test_y_outside_the_support_names_the_row_and_value():
    with pytest.raises(fl.SupportError, match=r"row 3 is -1\.0"):
        flm.GLM(flm.Head("poisson")).problem(X, [1, 2, 0, -1, 4])
    with pytest.raises(fl.SupportError, match=r"row 1 is 2\.0"):
        flm.GLM(flm.Head("bernoulli")).problem(X, [1, 2, 0, 1, 0])
    with pytest.raises(fl.SupportError, match=r"row 0 is 0\.0"):
        flm.GLM(flm.Head("gamma")).problem(X, [0.0, 1, 2, 3, 4])
    with pytest.raises(fl.SupportError, match=r"row 4 is 1\.5"):
        flm.GLM(flm.Head("poisson")).problem(X, [1, 2, 0, 1, 1.5])
    with pytest.raises(fl.SupportError, match="row 2"):
        flm.GLM(flm.Head("categorical", k=3)).problem(X, [0, 1, 3, 2, 1])
    with pytest.raises(fl.SupportError, match="row 0"):
        flm.GLM(flm.Head("normal")).problem(X, [np.nan, 1, 2, 3, 4])


def test_link_leaving_the_domain_names_the_row():
    prob = flm.GLM(flm.Head("poisson", link="identity")).problem(X, [1, 2, 0, 1, 4])
    w = np.array([1.0, -0.4])  # rate 1 − 0.4 x: negative from x = 3 on
    with pytest.raises(fl.DomainError, match=r"rate = -0\.2.* at row 3.*2 row\(s\)"):
        prob.loss(w)
    assert not prob.contains(w)
    assert prob.contains(np.array([1.0, 0.1]))
    gamma = flm.GLM(flm.Head("gamma")).problem(X, [1, 2, 3, 1, 4])
    with pytest.raises(fl.DomainError, match="row 0"):
        gamma.grad(np.array([0.0, 1.0]))  # 1/raw at raw = 0
    ig = flm.GLM(flm.Head("inverse_gaussian")).problem(X, [1, 2, 3, 1, 4])
    with pytest.raises(fl.DomainError, match=r"row 2"):
        ig.fisher(np.array([1.0, -0.5]))  # 1/√raw needs raw > 0: raw = 0 at x = 2


def test_shape_mismatches():
    m = flm.GLM(flm.Head("poisson"))
    with pytest.raises(fl.ShapeError, match="y has 4 rows, X has 5"):
        m.problem(X, [1, 2, 3, 4])
    with pytest.raises(fl.ShapeError, match="weights"):
        m.problem(X, [1, 2, 3, 4, 5], weights=np.ones(4))
    with pytest.raises(fl.ShapeError, match="offset"):
        m.problem(X, [1, 2, 3, 4, 5], offset=np.ones((5, 1)))
    with pytest.raises(fl.ShapeError, match="X must have shape"):
        m.problem(X[:, 0], [1, 2, 3, 4, 5])
    with pytest.raises(fl.ShapeError, match=r"y must have shape \(n,\)"):
        m.problem(X, np.ones((5, 2)))
    with pytest.raises(fl.ShapeError, match=r"\(n, 3\)"):
        flm.GLM(flm.Head("categorical", k=3)).problem(X, np.ones((5, 2)))
    prob = m.problem(X, [1, 2, 3, 4, 5])
    with pytest.raises(fl.ShapeError, match=r"w must have shape \(2,\)"):
        prob.loss(np.zeros(3))
    with pytest.raises(fl.ShapeError, match=r"raw outputs must have shape \(n, 1\)"):
        flm.Head("poisson").loss(np.zeros((5, 2)), np.ones(5))


def test_nonfinite_inputs():
    Xbad = X.copy()
    Xbad[2, 1] = np.inf
    with pytest.raises(fl.DomainError, match="row 2"):
        flm.GLM(flm.Head("poisson")).problem(Xbad, [1, 2, 3, 4, 5])
    Xbad[2, 1] = np.nan
    with pytest.raises(fl.DomainError, match="row 2"):
        flm.fit(flm.GLM(flm.Head("poisson")), Xbad, [1, 2, 3, 4, 5])
    with pytest.raises(fl.DomainError, match="weights.*row 1"):
        flm.GLM(flm.Head("poisson")).problem(X, [1, 2, 3, 4, 5], weights=[1, -1, 1, 1, 1])
    with pytest.raises(fl.DomainError, match="offset.*row 0"):
        flm.GLM(flm.Head("poisson")).problem(X, [1, 2, 3, 4, 5], offset=[np.nan, 0, 0, 0, 0])
    with pytest.raises(fl.DomainError, match="l2"):
        flm.GLM(flm.Head("poisson")).problem(X, [1, 2, 3, 4, 5], l2=-1.0)


def test_head_declaration_errors():
    with pytest.raises(fl.UnknownLinkError, match="known"):
        flm.Head("poisson", link="logg")
    with pytest.raises(fl.UnknownNameError, match="'sd'.*mean, std"):
        flm.Head("normal", link={"sd": "exp"})
    with pytest.raises(fl.UnknownNameError, match="'sigma'"):
        flm.Head("normal", fixed={"sigma": 1.0})
    with pytest.raises(fl.UnknownFamilyError):
        flm.Head("poisson", "mean")
    with pytest.raises(fl.UnknownFamilyError):
        flm.Head("poison")
    with pytest.raises(fl.DomainError, match="std.*> 0"):
        flm.Head("normal", fixed={"std": -1.0})
    with pytest.raises(fl.DomainError, match="softmax"):
        flm.Head("poisson", link="softmax")
    with pytest.raises(fl.DomainError, match="every parameter is fixed"):
        flm.Head("poisson", fixed={"rate": 1.0})
    with pytest.raises(fl.NotAvailableError, match="runtime arrays"):
        flm.Head("normal", fixed={"std": np.ones(5)})


def test_trials_are_checked_and_only_for_binomial_heads():
    m = flm.GLM(flm.Head("binomial", n=4))
    prob = m.problem(X, [1, 2, 3, 4, 0], trials=[4, 2, 3, 9, 1])
    assert prob.head.family.fixed["n"].tolist() == [4, 2, 3, 9, 1]
    with pytest.raises(fl.NotAvailableError, match="binomial"):
        flm.GLM(flm.Head("poisson")).problem(X, [1, 2, 3, 4, 0], trials=[4] * 5)
    with pytest.raises(fl.DomainError, match=r"'n' must be an integer >= 1, got 0.0"):
        m.problem(X, [1, 2, 3, 4, 0], trials=[4, 0, 3, 9, 1])
    with pytest.raises(fl.DomainError, match=r"'n' must be an integer >= 1, got 2.5"):
        m.problem(X, [1, 2, 3, 4, 0], trials=[4, 2.5, 3, 9, 1])
    with pytest.raises(fl.ShapeError, match="trials"):
        m.problem(X, [1, 2, 3, 4, 0], trials=[4, 2, 3])
    with pytest.raises(fl.SupportError, match=r"x = 3.0 where n = 2.0"):  # y > trials in row 1
        m.problem(X, [1, 3, 3, 4, 0], trials=[4, 2, 3, 9, 1])


def test_defaults_follow_statsmodels():
    cases = {
        "bernoulli": ("p", {"p": "logistic"}, {}),
        "binomial": ("p", {"p": "logistic"}, {}),
        "poisson": ("rate", {"rate": "exp"}, {}),
        "normal": ("mean_std", {"mean": "identity"}, {"std": 1.0}),
        "gamma": ("mean_shape", {"mean": "inverse"}, {"shape": 1.0}),
        "inverse_gaussian": ("mean_shape", {"mean": "inverse_sqrt"}, {"shape": 1.0}),
        "negative_binomial": ("mean", {"mean": "exp"}, {}),
        "categorical": ("natural", {"eta1": "identity", "eta2": "identity"}, {}),
        "exponential": ("natural", {"eta": "identity"}, {}),
    }
    for name, (param, links, fixed) in cases.items():
        h = flm.Head(name)
        assert h.param == param
        assert {p: lk.name for p, lk in h.links.items()} == links
        assert h.fixed == fixed
    # a parameter given a link is predicted even where the default fixes it
    h = flm.Head("gamma", link={"mean": "exp", "shape": "exp"})
    assert h.predicted == ("mean", "shape") and h.fixed == {}
    # a user-declared family with a catalog name is not given the catalog's defaults
    import dataclasses
    spec = dataclasses.replace(fl.family("poisson").spec, doc="mine")
    assert flm.Head(fl.Family(spec)).param == "natural"
