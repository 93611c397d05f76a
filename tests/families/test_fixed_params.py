"""Fixed family parameters (binomial n, negative-binomial r, Weibull k, Pareto x_m, Laplace loc)
as runtime arguments of one kernel module per family.

The derivation is made once with the fixed parameter as a sympy symbol, which sympy could get
wrong silently; so the kernels are checked, at several fixed values each, against

- textbook formulas written here and evaluated in 50-digit mpmath (log-density, score, Fisher,
  KL, entropy, mean of T), independent of the declarations;
- scipy.stats (log-density, entropy, mean);
- the outputs of the per-value modules they replace (binomial_n5, binomial_n10,
  negative_binomial_r3, weibull_k1p5, pareto_x_m1, laplace_loc0), saved in
  tests/data/fixed_value_fixtures.npz by tests/data/make_fixed_value_fixtures.py before those
  modules were deleted.

Then per-row values: arrays of fixed values broadcast against θ's batch shape and x's shape,
row i of the result equal to the family bound to the i-th value; and the errors.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
import scipy.stats as st

import fisherlab as fl
from fisherlab.errors import DomainError, NoMLEError, NotAvailableError, SupportError

ROOT = Path(__file__).resolve().parents[2]
DPS = 50
#: Every kernel's documented accuracy against the exact expression (tests/kernels/test_accuracy.py).
TOL = 1e-12

# -- textbook formulas, written from the densities, evaluated in mpmath -------------------------
# Each returns a dict quantity -> (value, scale): the error is measured relative to the scale,
# the sum of the magnitudes of the formula's terms (a score of x/p − (n − x)/(1 − p) near zero is
# as accurate as its terms are, not as its tiny difference).


def _mpf(v):
    return mp.mpf(float(v))


def _binomial(n, p, q, x):
    n, p, q, x = _mpf(n), _mpf(p), _mpf(q), _mpf(x)
    logc = mp.loggamma(n + 1) - mp.loggamma(x + 1) - mp.loggamma(n - x + 1)
    lp = logc + x * mp.log(p) + (n - x) * mp.log(1 - p)
    pmf = [mp.binomial(n, j) * p**j * (1 - p) ** (n - j) for j in range(int(n) + 1)]
    kl = n * (p * mp.log(p / q) + (1 - p) * mp.log((1 - p) / (1 - q)))
    return {
        "log_density": (lp, abs(logc) + abs(x * mp.log(p)) + abs((n - x) * mp.log(1 - p))),
        "score": (x / p - (n - x) / (1 - p), abs(x / p) + abs((n - x) / (1 - p))),
        "fisher": (n / (p * (1 - p)),) * 2,
        "kl": (kl, abs(kl)),
        "entropy": (-mp.fsum(w * mp.log(w) for w in pmf if w > 0),) * 2,
        "mean": (n * p,) * 2,
    }


def _negative_binomial(r, p, q, x):
    r, p, q, x = _mpf(r), _mpf(p), _mpf(q), _mpf(x)

    def logpmf(j):
        return mp.loggamma(j + r) - mp.loggamma(r) - mp.loggamma(j + 1) + r * mp.log(p) \
            + j * mp.log(1 - p)

    mean = r * (1 - p) / p
    kl = r * mp.log(p / q) + mean * mp.log((1 - p) / (1 - q))
    entropy, j = mp.mpf(0), 0
    while True:  # the terms decrease geometrically past the mode; stop below 1e-40 of the sum
        w = mp.exp(logpmf(j))
        entropy -= w * logpmf(j)
        if j > mean + 10 and abs(w * logpmf(j)) < mp.mpf(10) ** -40 * abs(entropy):
            break
        j += 1
    return {
        "log_density": (logpmf(x), abs(mp.loggamma(x + r)) + abs(mp.loggamma(r))
                        + abs(mp.loggamma(x + 1)) + abs(r * mp.log(p)) + abs(x * mp.log(1 - p))),
        "score": (r / p - x / (1 - p), abs(r / p) + abs(x / (1 - p))),
        "fisher": (r / (p**2 * (1 - p)),) * 2,
        "kl": (kl, abs(kl)),
        "entropy": (entropy,) * 2,
        "mean": (mean,) * 2,
    }


def _weibull(k, lam, lam_q, x):
    k, lam, lam_q, x = _mpf(k), _mpf(lam), _mpf(lam_q), _mpf(x)
    z = (x / lam) ** k
    kl = k * mp.log(lam_q / lam) - 1 + (lam / lam_q) ** k
    return {
        "log_density": (mp.log(k / lam) + (k - 1) * mp.log(x / lam) - z,
                        abs(mp.log(k / lam)) + abs((k - 1) * mp.log(x / lam)) + z),
        "score": (k / lam * (z - 1), k / lam * (z + 1)),
        "fisher": (k**2 / lam**2,) * 2,
        "kl": (kl, abs(kl)),
        "entropy": (mp.euler * (1 - 1 / k) + mp.log(lam / k) + 1,
                    abs(mp.euler * (1 - 1 / k)) + abs(mp.log(lam / k)) + 1),
        "mean": (lam**k,) * 2,
    }


def _pareto(x_m, a, a_q, x):
    x_m, a, a_q, x = _mpf(x_m), _mpf(a), _mpf(a_q), _mpf(x)
    kl = mp.log(a / a_q) + a_q / a - 1
    return {
        "log_density": (mp.log(a) + a * mp.log(x_m) - (a + 1) * mp.log(x),
                        abs(mp.log(a)) + abs(a * mp.log(x_m)) + abs((a + 1) * mp.log(x))),
        "score": (1 / a + mp.log(x_m) - mp.log(x), 1 / a + abs(mp.log(x_m)) + abs(mp.log(x))),
        "fisher": (1 / a**2,) * 2,
        "kl": (kl, abs(kl)),
        "entropy": (mp.log(x_m / a) + 1 / a + 1, abs(mp.log(x_m / a)) + 1 / a + 1),
        "mean": (mp.log(x_m) + 1 / a, abs(mp.log(x_m)) + 1 / a),
    }


def _laplace(loc, b, b_q, x):
    loc, b, b_q, x = _mpf(loc), _mpf(b), _mpf(b_q), _mpf(x)
    kl = mp.log(b_q / b) + b / b_q - 1
    return {
        "log_density": (-mp.log(2 * b) - abs(x - loc) / b, abs(mp.log(2 * b)) + abs(x - loc) / b),
        "score": (-1 / b + abs(x - loc) / b**2, 1 / b + abs(x - loc) / b**2),
        "fisher": (1 / b**2,) * 2,
        "kl": (kl, abs(kl)),
        "entropy": (1 + mp.log(2 * b), 1 + abs(mp.log(2 * b))),
        "mean": (b,) * 2,
    }


#: family -> (parametrization the formulas are in, fixed parameter, values, formulas, θ range,
#: scipy frozen distribution of (fixed value, θ), mean of T in scipy or None)
CASES = {
    "binomial": ("p", "n", [1, 2, 7, 33, 100], _binomial, (0.03, 0.97),
                 lambda n, p: st.binom(n, p), lambda d: d.mean()),
    "negative_binomial": ("p", "r", [0.5, 2.5, 7.0], _negative_binomial, (0.2, 0.9),
                          lambda r, p: st.nbinom(r, p), lambda d: d.mean()),
    "weibull": ("scale", "k", [0.5, 1, 2.5, 4.0], _weibull, (0.1, 10.0),
                lambda k, lam: st.weibull_min(k, scale=lam), None),
    "pareto": ("alpha", "x_m", [0.3, 1, 4.5], _pareto, (0.3, 20.0),
               lambda x_m, a: st.pareto(a, scale=x_m), None),
    "laplace": ("scale", "loc", [-3.2, 0, 2.0], _laplace, (0.05, 20.0),
                lambda loc, b: st.laplace(loc=loc, scale=b), None),
}
VALUES = [(name, v) for name, case in CASES.items() for v in case[2]]


def test_checked_values_span_each_fixed_parameters_test_range():
    from fisherlab.families import template

    for name, case in [*CASES.items(), ("multinomial", (None, "n", [1, 4, 12]))]:
        (param,) = template(name).fixed
        lo, hi = param.test_range
        assert param.name == case[1]
        assert all(lo <= v <= hi for v in case[2]), (name, case[2], param.test_range)


def _points(name, value, n=5):
    """Seeded θ, θq (n, 1) inside the case's range, and one draw x at each θ."""
    param, fixed, _, _, (lo, hi), _, _ = CASES[name]
    rng = np.random.default_rng([11, len(name), int(abs(value) * 10)])
    theta = np.exp(rng.uniform(np.log(lo), np.log(hi), (n, 1)))
    theta_q = np.exp(rng.uniform(np.log(lo), np.log(hi), (n, 1)))
    fam = fl.family(name, **{fixed: value})
    x = np.array([fam.sample(t, param, seed=int(rng.integers(2**32))) for t in theta])
    return fam, fam.kernels(param), theta, theta_q, x


def _err(got, exact, scale):
    with mp.workdps(DPS):
        return float(abs(_mpf(got) - exact) / scale)


@pytest.mark.parametrize("name,value", VALUES, ids=[f"{n}-{v}" for n, v in VALUES])
def test_kernels_match_textbook_formulas_in_mpmath(name, value):
    _, k, theta, theta_q, x = _points(name, value)
    formulas = CASES[name][3]
    got = {"log_density": k.log_density(x, theta), "score": k.score(x, theta)[..., 0],
           "fisher": k.fisher(theta)[..., 0, 0], "kl": k.kl(theta, theta_q),
           "entropy": k.entropy(theta), "mean": k.mean(theta)[..., 0]}
    failures = []
    with mp.workdps(DPS):
        for i in range(len(theta)):
            exact = formulas(value, theta[i, 0], theta_q[i, 0], x[i])
            for q, (ref, scale) in exact.items():
                e = _err(got[q][i], ref, scale)
                if not e <= TOL:
                    failures.append(f"{q} at θ={theta[i, 0]!r}, θq={theta_q[i, 0]!r}, "
                                    f"x={x[i]!r}: relative error {e:.3g}")
    assert not failures, f"{name} {CASES[name][1]}={value}:\n" + "\n".join(failures)


@pytest.mark.parametrize("name,value", VALUES, ids=[f"{n}-{v}" for n, v in VALUES])
def test_kernels_match_scipy(name, value):
    fam, k, theta, _, x = _points(name, value)
    make, mean = CASES[name][5], CASES[name][6]
    for i, t in enumerate(theta[:, 0]):
        dist = make(value, t)
        logf = dist.logpmf if fam.support.discrete else dist.logpdf
        ref = logf(x[i])
        assert abs(k.log_density(x[i], [t]) - ref) <= TOL * max(1.0, abs(ref))
        H = dist.entropy()
        assert abs(k.entropy([t]) - H) <= TOL * max(1.0, abs(H))
        if mean is not None:
            assert abs(k.mean([t])[0] - mean(dist)) <= TOL * abs(mean(dist))


def _quantity(k, quantity, theta, theta_q, x):
    if quantity in ("log_density", "score", "hessian"):
        return getattr(k, quantity)(x, theta)
    if quantity == "kl":
        return k.kl(theta, theta_q)
    if quantity == "fisher_rao":
        return k.fisher_rao_distance(theta, theta_q)
    return getattr(k, quantity)(theta)


REPLACED = {
    "fixed_value_fixtures.npz": {
        "binomial_n5": ("binomial", {"n": 5}), "binomial_n10": ("binomial", {"n": 10}),
        "negative_binomial_r3": ("negative_binomial", {"r": 3}),
        "weibull_k1p5": ("weibull", {"k": 1.5}), "pareto_x_m1": ("pareto", {"x_m": 1}),
        "laplace_loc0": ("laplace", {"loc": 0})},
    "multinomial_fixtures.npz": {
        "multinomial_k3_n5": ("multinomial", {"n": 5, "k": 3}),
        "multinomial_k4_n5": ("multinomial", {"n": 5, "k": 4})},
}


@pytest.mark.parametrize("filename", sorted(REPLACED))
def test_kernels_match_the_replaced_per_value_modules(filename):
    data = np.load(ROOT / "tests" / "data" / filename)
    old = REPLACED[filename]
    seen = set()
    failures = []
    for key in data.files:
        tag, param, quantity = key.split("/")
        if quantity in ("theta", "theta_q", "x"):
            continue
        seen.add(tag)
        name, values = old[tag]
        k = fl.kernels(name, param, **values)
        theta, theta_q = data[f"{tag}/{param}/theta"], data[f"{tag}/{param}/theta_q"]
        x = data[f"{tag}/{param}/x"]
        got = _quantity(k, quantity, theta, theta_q, x)
        ref = data[key]
        # Both are float evaluations of the same exact quantity, each within TOL of it.
        err = np.max(np.abs(got - ref) / np.maximum(np.abs(ref), np.finfo(float).tiny))
        if not err <= 2 * TOL:
            failures.append(f"{tag} {param} {quantity}: relative difference {err:.3g}")
    assert seen == set(old)
    assert not failures, "\n".join(failures)


# -- the multinomial: n fixed, k structural ----------------------------------------------------


def _multinomial(n, p, q, x):
    """Textbook multinomial quantities in probs (p_1..p_{k−1}), mpmath; the entropy by summing
    over every count vector."""
    n = int(n)
    p = [_mpf(v) for v in p] + [1 - sum(_mpf(v) for v in p)]
    q = [_mpf(v) for v in q] + [1 - sum(_mpf(v) for v in q)]
    x = [_mpf(v) for v in x]
    k = len(p)

    def logpmf(c):
        return (mp.loggamma(n + 1) - mp.fsum(mp.loggamma(ci + 1) for ci in c)
                + mp.fsum(ci * mp.log(pi) for ci, pi in zip(c, p)))

    def counts(total, classes):
        if classes == 1:
            yield (total,)
            return
        for c in range(total + 1):
            for rest in counts(total - c, classes - 1):
                yield (c, *rest)

    entropy = -mp.fsum(mp.exp(logpmf(c)) * logpmf(c) for c in counts(n, k))
    fisher = [[n * ((1 / p[i] if i == j else 0) + 1 / p[-1]) for j in range(k - 1)]
              for i in range(k - 1)]
    return {
        "log_density": logpmf(x),
        "score": [x[i] / p[i] - x[-1] / p[-1] for i in range(k - 1)],
        "fisher": fisher,
        "kl": n * mp.fsum(pi * mp.log(pi / qi) for pi, qi in zip(p, q)),
        "entropy": entropy,
        "mean": [n * pi for pi in p[:-1]],
    }


@pytest.mark.parametrize("n", [1, 4, 12])
@pytest.mark.parametrize("k", [3, 4])
def test_multinomial_matches_textbook_formulas_in_mpmath(n, k):
    fam = fl.family("multinomial", n=n, k=k)
    kern = fam.kernels("probs")
    rng = np.random.default_rng([5, n, k])
    theta = rng.dirichlet(np.ones(k), size=4)[:, :-1]
    theta_q = rng.dirichlet(np.ones(k), size=4)[:, :-1]
    x = np.array([fam.sample(t, "probs", seed=int(rng.integers(2**32))) for t in theta])
    got = {"log_density": kern.log_density(x, theta), "score": kern.score(x, theta),
           "fisher": kern.fisher(theta), "kl": kern.kl(theta, theta_q),
           "entropy": kern.entropy(theta), "mean": kern.mean(theta)}
    failures = []
    with mp.workdps(DPS):
        for i in range(len(theta)):
            exact = _multinomial(n, theta[i], theta_q[i], x[i])
            for q, ref in exact.items():
                ref = mp.matrix(ref) if isinstance(ref, list) else mp.matrix([ref])
                g = mp.matrix(np.atleast_1d(got[q][i]).tolist())
                e = float(mp.mnorm(g - ref, "f") / mp.mnorm(ref, "f"))
                if not e <= TOL:
                    failures.append(f"{q} at θ={theta[i].tolist()}: relative error {e:.3g}")
    assert not failures, f"multinomial n={n} k={k}:\n" + "\n".join(failures)


def test_multinomial_per_row_n():
    n = np.array([1.0, 3.0, 8.0])
    fam = fl.family("multinomial", n=n, k=3)
    assert fam.key == "multinomial_k3"
    k = fam.kernels("probs")
    theta = np.array([[0.2, 0.3], [0.5, 0.1], [0.05, 0.9]])
    x = fam.sample(theta, "probs", seed=2)
    assert x.shape == (3, 3) and x.sum(axis=-1).tolist() == n.tolist()
    for q, got, one in [("fisher", k.fisher(theta), lambda r, i: r.fisher(theta[i:i + 1])),
                        ("entropy", k.entropy(theta), lambda r, i: r.entropy(theta[i:i + 1])),
                        ("log_density", k.log_density(x, theta),
                         lambda r, i: r.log_density(x[i:i + 1], theta[i:i + 1]))]:
        for i, ni in enumerate(n):
            r = fl.kernels("multinomial", "probs", n=ni, k=3)
            np.testing.assert_allclose(got[i], one(r, i)[0], rtol=1e-15, err_msg=q)
    with pytest.raises(
        SupportError, match=r"counts sum to n\): x = \[1.0, 1.0, 1.0\] where n = 1.0"
    ):
        k.log_density(np.array([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [4.0, 4.0, 0.0]]), theta)


# -- per-row values ---------------------------------------------------------------------------

PER_ROW = [
    ("binomial", "p", "n", np.array([1.0, 3.0, 10.0, 57.0]), [0.2, 0.5, 0.9, 0.03]),
    ("negative_binomial", "mean", "r", np.array([0.5, 3.0, 12.0, 1.0]), [2.0, 0.3, 9.0, 40.0]),
    ("weibull", "scale", "k", np.array([0.5, 1.5, 3.0, 7.0]), [0.2, 1.0, 5.0, 30.0]),
    ("pareto", "alpha", "x_m", np.array([0.5, 1.0, 2.0, 9.0]), [0.4, 1.0, 3.0, 50.0]),
    ("laplace", "scale", "loc", np.array([-2.0, 0.0, 0.5, 7.0]), [0.1, 1.0, 2.0, 8.0]),
]


@pytest.mark.parametrize("name,param,fixed,values,thetas", PER_ROW, ids=[c[0] for c in PER_ROW])
def test_per_row_values_equal_the_family_bound_to_each(name, param, fixed, values, thetas):
    fam = fl.family(name, **{fixed: values})
    k = fam.kernels(param)
    assert fam.key == name and k.fixed[fixed] is fam.fixed[fixed]
    theta = np.array(thetas)[:, None]
    theta_q = theta[::-1]
    x = fam.sample(theta[0], param, seed=3)  # one draw per row, at row i's value
    assert x.shape == values.shape
    rows = [fl.kernels(name, param, **{fixed: v}) for v in values]
    x = np.array([r.spec.support.check(xi) for r, xi in zip(rows, x)])  # inside each row's support
    checks = {
        "log_density": (k.log_density(x, theta), lambda r, i: r.log_density(x[i:i + 1], theta[i])),
        "score": (k.score(x, theta), lambda r, i: r.score(x[i:i + 1], theta[i])),
        "hessian": (k.hessian(x, theta), lambda r, i: r.hessian(x[i:i + 1], theta[i])),
        "fisher": (k.fisher(theta), lambda r, i: r.fisher(theta[i:i + 1])),
        "mean": (k.mean(theta), lambda r, i: r.mean(theta[i:i + 1])),
        "kl": (k.kl(theta, theta_q), lambda r, i: r.kl(theta[i:i + 1], theta_q[i:i + 1])),
        "entropy": (k.entropy(theta), lambda r, i: r.entropy(theta[i:i + 1])),
        "to_natural": (k.to_natural(theta), lambda r, i: r.to_natural(theta[i:i + 1])),
        "fisher_rao": (k.fisher_rao_distance(theta, theta_q),
                       lambda r, i: r.fisher_rao_distance(theta[i:i + 1], theta_q[i:i + 1])),
        "convert": (fam.convert(theta, param, "natural"),
                    lambda r, i: fl.family(name, **{fixed: values[i]}).convert(
                        theta[i:i + 1], param, "natural")),
    }
    for q, (got, one) in checks.items():
        assert got.shape[0] == len(values), q
        for i, r in enumerate(rows):
            # Row by row on (1,)-shaped batches: the same generated code on the same numbers.
            np.testing.assert_allclose(got[i], np.reshape(one(r, i), got[i].shape), rtol=1e-15,
                                       atol=0, err_msg=f"{name} {q} row {i}")


def test_per_row_values_broadcast_with_theta_and_x():
    n = np.array([3.0, 5.0, 10.0])
    k = fl.family("binomial", n=n).kernels("p")
    # θ (2, 1, 1): batch (2, 1) against n (3,) -> (2, 3)
    theta = np.array([0.2, 0.6]).reshape(2, 1, 1)
    F = k.fisher(theta)
    assert F.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(F[..., 0, 0], n / (theta[..., 0] * (1 - theta[..., 0])), rtol=1e-15)
    # one θ, x (4, 3): x's shape broadcasts with n's too
    x = np.array([[0, 0, 0], [1, 2, 3], [2, 4, 9], [3, 5, 10]], dtype=float)
    lp = k.log_density(x, [0.3])
    assert lp.shape == (4, 3)
    np.testing.assert_allclose(lp, st.binom(n, 0.3).logpmf(x), rtol=1e-14)
    assert k.log_partition([0.3]).shape == (3,)
    assert k.kl([0.3], [0.4]).shape == (3,)


def test_per_row_entropy_of_the_binomial_sums_each_row_to_its_own_n():
    n = np.array([1.0, 4.0, 200.0, 2.0])
    p = np.array([0.5, 0.01, 0.3, 0.999])
    H = fl.family("binomial", n=n).kernels("p").entropy(p[:, None])
    np.testing.assert_allclose(H, st.binom(n, p).entropy(), rtol=1e-12)


def test_bad_fixed_values_name_the_parameter_the_constraint_and_the_value():
    for values, shown in [(np.array([3.0, 0.0, 5.0]), "0.0"), (np.array([2.0, 2.5]), "2.5"),
                          (np.array([4.0, np.nan]), "nan"), (-1, "-1.0"), (2.5, "2.5")]:
        with pytest.raises(DomainError, match=r"fixed parameter 'n' must be an integer >= 1, "
                                              rf"got {shown}"):
            fl.family("binomial", n=values)
    with pytest.raises(DomainError, match=r"'k' must be a finite number > 0, got -1.0"):
        fl.family("weibull", k=np.array([1.0, -1.0]))
    with pytest.raises(DomainError, match=r"'loc' must be a finite number finite real, got inf"):
        fl.family("laplace", loc=np.array([0.0, np.inf]))
    with pytest.raises(DomainError, match="unknown m"):
        fl.family("binomial", m=3)


def test_observations_are_checked_against_each_rows_value():
    k = fl.family("binomial", n=np.array([3.0, 5.0, 10.0])).kernels("p")
    k.log_density([3.0, 5.0, 10.0], [0.5])
    with pytest.raises(SupportError, match=r"x <= n\): x = 6.0 where n = 5.0"):
        k.log_density([3.0, 6.0, 10.0], [0.5])
    with pytest.raises(SupportError, match=r"x = 4.0, 4.0 where n = 3.0, 3.0"):
        k.score(np.array([[4.0, 0, 0], [4.0, 0, 0]]), [0.5])
    with pytest.raises(SupportError):  # the family's support itself: whole numbers >= 0
        k.log_density([1.5, 0.0, 0.0], [0.5])
    kp = fl.family("pareto", x_m=np.array([1.0, 2.0])).kernels("alpha")
    with pytest.raises(SupportError, match=r"x > x_m\): x = 1.5 where x_m = 2.0"):
        kp.log_density([1.5, 1.5], [2.0])
    assert np.isfinite(kp.log_density([1.5, 2.5], [2.0])).all()


def test_mle_with_one_value_and_with_per_row_values():
    fam = fl.family("binomial", n=7)
    x = np.array([1.0, 3.0, 2.0, 7.0, 0.0])
    np.testing.assert_allclose(fam.mle(x, "p"), [x.mean() / 7], rtol=1e-15)
    with pytest.raises(NoMLEError, match="between 0 and n"):
        fam.mle(np.zeros(4), "p")
    # Per-row values: a sample of one θ with a different n per observation is a regression
    # problem (fisherlab.models with trials), not one family's MLE.
    with pytest.raises(NotAvailableError, match="per-row"):
        fl.family("binomial", n=np.array([3.0, 5.0])).mle([1.0, 2.0], "p")


def test_derivation_holds_the_fixed_parameter_as_a_symbol_or_its_value():
    import sympy as sp

    n = sp.Symbol("n", positive=True, integer=True)
    p = sp.Symbol("p", positive=True)
    per_row = fl.family("binomial", n=np.array([2.0, 4.0])).derive("p")
    assert sp.simplify(per_row.fisher[0, 0] - n / (p * (1 - p))) == 0
    one = fl.family("binomial", n=4).derive("p")
    assert one.fisher[0, 0].free_symbols == {one.params[0]}
    assert (
        sp.simplify(one.fisher[0, 0].subs(one.params[0], sp.Rational(1, 4)) - sp.Rational(64, 3))
        == 0
    )


def test_new_values_need_no_sympy_and_no_compilation():
    code = textwrap.dedent("""
        import sys
        import numpy as np
        import fisherlab as fl
        for name, fixed in [("binomial", {"n": 37}), ("binomial", {"n": np.array([2, 9])}),
                            ("negative_binomial", {"r": 0.77}), ("weibull", {"k": 3.3}),
                            ("pareto", {"x_m": 0.01}), ("laplace", {"loc": -4.25})]:
            fam = fl.family(name, **fixed)
            for param in fam.parametrizations:
                k = fam.kernels(param)
                assert k._ns["__name__"] == f"fisherlab.kernels.{name}", k._ns["__name__"]
                theta = fam.convert(np.array([[-0.5]]), "natural", param)
                k.fisher(theta), k.kl(theta, theta * 1.1), k.entropy(theta)
                k.log_density(fam.sample(theta[0], param, seed=1), theta)
        print("sympy" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300,
                         check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name,fixed", [("binomial", {"n": 3}), ("weibull", {"k": 0.7}),
                                         ("pareto", {"x_m": 2.5})])
def test_verify_checks_the_family_at_its_bound_value(name, fixed):
    # The verifier runs on the declaration bound to the value: its oracles (scipy, mpmath,
    # quadrature over the support) see that value, and its parameter points are θ's.
    report = fl.verify(name, **fixed)
    assert report.ok, report
    assert fl.family(name, **fixed).spec.fixed_values == fixed
