"""Catalog part A: categorical, multinomial, binomial, geometric, negative binomial, Weibull,
Pareto, Rayleigh, half-normal, Laplace, chi-squared.

Known Fisher–Rao values (geomstats' published test values), parametrization invariance of the
distance, bad dimensions / probabilities / observations, overflow-free categorical and
multinomial kernels at logits ±700 against mpmath, scipy.stats agreement, sampler means, and
textbook Fisher forms. The generic identities (quadrature Fisher, MLE identity, pullbacks, ...)
run over these families in tests/verify/test_identities.py.
"""

import itertools
import math
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import scipy.integrate
import scipy.stats
import sympy as sp

import fisherlab as fl
from fisherlab.errors import DomainError, ShapeError, SupportError

# Every family of part A at dimensions whose kernels are generated ahead of time.
FAMILIES = [
    ("categorical", {"k": 2}), ("categorical", {"k": 3}), ("categorical", {"k": 10}),
    ("multinomial", {}), ("binomial", {"n": 5}), ("binomial", {}), ("geometric", {}),
    ("negative_binomial", {}), ("weibull", {}), ("pareto", {}), ("rayleigh", {}),
    ("half_normal", {}), ("laplace", {}), ("chi2", {}),
]
IDS = [name + "".join(f"-{k}{v}" for k, v in dims.items()) for name, dims in FAMILIES]


def _points(fam, param, n, seed):
    """n valid points of a parametrization, drawn log-uniformly over the test ranges."""
    rng = np.random.default_rng(seed)
    pz = fam.spec.parametrization(param)
    out = []
    while len(out) < n:
        row = []
        for p in pz.params:
            lo, hi = p.test_range
            u = rng.random()
            if lo > 0:
                row.append(math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))))
            elif hi < 0:
                row.append(-math.exp(math.log(-lo) + u * (math.log(-hi) - math.log(-lo))))
            else:
                row.append(lo + u * (hi - lo))
        row = np.array(row)
        if pz.constraint is None or not pz.constraint.violations(row[None])[0]:
            out.append(row)
    return np.array(out)


# ---------------------------------------------------------------------------------------------
# Fisher–Rao distance: published values (geomstats' test suite), to 1e-8


@pytest.mark.parametrize("name,dims,param,a,b,squared", [
    ("poisson", {}, "rate", [0.1], [4.9], 14.4),
    ("exponential", {}, "rate", [1.0], [2.0], 0.48045301),
    ("binomial", {"n": 5}, "p", [0.2], [0.3], 0.26908349),
    ("geometric", {}, "p", [0.2], [0.3], 0.21846342154512002),
])
def test_fisher_rao_published_values(name, dims, param, a, b, squared):
    fam = fl.family(name, **dims)
    for pz in fam.parametrizations:
        k = fam.kernels(pz)
        d = k.fisher_rao_distance(fam.convert(a, param, pz), fam.convert(b, param, pz))
        assert abs(d**2 - squared) <= 1e-8, (pz, d**2)


def test_fisher_rao_normal_closed_forms():
    # Same mean: the σ-line is a geodesic, length ∫ √2/σ dσ = √2 |log σ₂/σ₁|.
    k = fl.kernels("normal", "mean_std")
    np.testing.assert_allclose(k.fisher_rao_distance([1.0, 0.5], [1.0, 3.0]),
                               math.sqrt(2) * math.log(6.0), rtol=1e-14)
    # Locally the distance is the Fisher norm: d² ≈ δᵀFδ to second order.
    theta, delta = np.array([0.3, 1.7]), np.array([2e-6, -1e-6])
    F = k.fisher(theta)
    d = k.fisher_rao_distance(theta, theta + delta)
    np.testing.assert_allclose(d**2, delta @ F @ delta, rtol=1e-5)


WITH_FR = [(n, d) for n, d in FAMILIES if fl.family(n, **d).spec.fisher_rao is not None]


@pytest.mark.parametrize("name,dims", WITH_FR,
                         ids=[n + "".join(f"-{k}{v}" for k, v in d.items()) for n, d in WITH_FR])
def test_fisher_rao_parametrization_invariance(name, dims):
    fam = fl.family(name, **dims)
    home = fam.spec.fisher_rao[0]
    a, b = _points(fam, home, 6, 1), _points(fam, home, 6, 2)
    ref = fam.kernels(home).fisher_rao_distance(a, b)
    assert np.all(ref > 0)
    for pz in fam.parametrizations:
        d = fam.kernels(pz).fisher_rao_distance(fam.convert(a, home, pz), fam.convert(b, home, pz))
        np.testing.assert_allclose(d, ref, rtol=1e-11, err_msg=pz)
    # symmetric, zero on the diagonal
    np.testing.assert_allclose(fam.kernels(home).fisher_rao_distance(b, a), ref, rtol=1e-14)
    np.testing.assert_array_equal(fam.kernels(home).fisher_rao_distance(a, a), 0.0)


@pytest.mark.parametrize("name,dims", [(n, d) for n, d in WITH_FR
                                       if len(fl.family(n, **d).params("natural")) == 1])
def test_fisher_rao_one_parameter_is_length_of_metric(name, dims):
    # In one dimension the geodesic is the segment: d = |∫ √F(θ) dθ|, with F from the kernels.
    fam = fl.family(name, **dims)
    home = fam.spec.fisher_rao[0]
    k = fam.kernels(home)
    a, b = _points(fam, home, 3, 3)[:, 0], _points(fam, home, 3, 4)[:, 0]
    for lo, hi in zip(a, b):
        length, err = scipy.integrate.quad(lambda t: math.sqrt(k.fisher([t])[0, 0]), lo, hi,
                                           epsabs=0, epsrel=1e-13, limit=200)
        assert err <= 1e-11 * abs(length)
        np.testing.assert_allclose(k.fisher_rao_distance([lo], [hi]), abs(length), rtol=1e-10)


@pytest.mark.parametrize("name,dims", [("categorical", {"k": 4}), ("categorical", {"k": 10}),
                                       ("multinomial", {})])
def test_fisher_rao_simplex_is_sphere_angle(name, dims):
    # Independent: 2√n · arccos(Σ √(p_i q_i)) in 60-digit arithmetic, and the local metric.
    fam = fl.family(name, **dims)
    n = fam.dims.get("n", 1)
    k = fam.kernels("probs")
    a, b = _points(fam, "probs", 4, 5), _points(fam, "probs", 4, 6)
    with mpmath.workdps(60):
        for p, q in zip(a, b):
            P = [mpmath.mpf(v) for v in p] + [1 - mpmath.fsum(mpmath.mpf(v) for v in p)]
            Q = [mpmath.mpf(v) for v in q] + [1 - mpmath.fsum(mpmath.mpf(v) for v in q)]
            ref = 2 * mpmath.sqrt(n) * mpmath.acos(mpmath.fsum(mpmath.sqrt(x * y)
                                                               for x, y in zip(P, Q)))
            np.testing.assert_allclose(k.fisher_rao_distance(p, q), float(ref), rtol=1e-13)
    # Locally d² = δᵀFδ (1 + O(|δ|/p_min)): the bound below is 10× that relative cubic term.
    delta = 1e-8 * np.linspace(-1, 1, a.shape[1])
    d = k.fisher_rao_distance(a[0], a[0] + delta)
    p_min = min(a[0].min(), 1 - a[0].sum())
    np.testing.assert_allclose(d**2, delta @ k.fisher(a[0]) @ delta,
                               rtol=10 * np.abs(delta).max() / p_min)


# ---------------------------------------------------------------------------------------------
# bad dimensions, bad probabilities, bad observations


@pytest.mark.parametrize("name,dims,arg", [
    ("categorical", {"k": 1}, "k"), ("categorical", {"k": 2.5}, "k"),
    ("categorical", {"k": "3"}, "k"), ("categorical", {"k": True}, "k"),
    ("multinomial", {"n": 0}, "n"), ("multinomial", {"n": 2.5}, "n"),
    ("multinomial", {"n": -3}, "n"), ("multinomial", {"k": 1}, "k"),
    ("binomial", {"n": 0}, "n"), ("binomial", {"n": -1}, "n"), ("binomial", {"n": 1.5}, "n"),
    ("negative_binomial", {"r": 0}, "r"), ("negative_binomial", {"r": -2.0}, "r"),
    ("negative_binomial", {"r": float("nan")}, "r"), ("negative_binomial", {"r": "x"}, "r"),
    ("weibull", {"k": 0}, "k"), ("weibull", {"k": -1.5}, "k"), ("weibull", {"k": math.inf}, "k"),
    ("pareto", {"x_m": 0.0}, "x_m"), ("pareto", {"x_m": -1}, "x_m"),
    ("laplace", {"loc": math.inf}, "loc"), ("laplace", {"loc": float("nan")}, "loc"),
])
def test_bad_dimensions(name, dims, arg):
    with pytest.raises(DomainError, match=rf"\b{arg}\b"):
        fl.family(name, **dims)


def test_real_dimensions_name_the_same_family():
    assert fl.family("weibull", k=2.0) is fl.family("weibull", k=2)
    # Fixed parameters are not part of the key: one kernel module serves every value.
    assert fl.family("weibull", k=1.5).key == "weibull"
    assert fl.family("laplace", loc=-0.5).key == "laplace"
    assert fl.family("laplace", loc=-0.5).fixed == {"loc": -0.5}
    assert (fl.family("weibull", k=1.5).kernel_namespace()["KERNELS"]
            is fl.family("weibull", k=2.5).kernel_namespace()["KERNELS"])


@pytest.mark.parametrize("name,dims", [("categorical", {"k": 3}), ("multinomial", {})])
@pytest.mark.parametrize("theta", [[0.6, 0.5], [0.5, 0.5], [-0.1, 0.5], [0.0, 0.5],
                                   [1.0, 0.0], [np.nan, 0.2]])
def test_probs_off_open_simplex(name, dims, theta):
    k = fl.kernels(name, "probs", **dims)
    with pytest.raises(DomainError, match="p1|p2|simplex"):
        k.fisher(theta)
    with pytest.raises(DomainError):
        k.fisher_rao_distance([0.2, 0.3], theta)


def test_probs_error_names_constraint_and_value():
    k = fl.kernels("categorical", "probs", k=3)
    with pytest.raises(DomainError) as info:
        k.mean([[0.2, 0.3], [0.6, 0.5]])
    msg = str(info.value)
    assert "p1 + ... + p2 < 1" in msg and "0.6" in msg and "0.5" in msg


@pytest.mark.parametrize("name,dims,x,error", [
    ("categorical", {"k": 3}, [1.0, 1.0, 0.0], SupportError),
    ("categorical", {"k": 3}, [0.5, 0.5, 0.0], SupportError),
    ("categorical", {"k": 3}, [0.0, 0.0, 0.0], SupportError),
    ("categorical", {"k": 3}, [0.0, 1.0], ShapeError),
    ("multinomial", {}, [2.0, 2.0, 2.0], SupportError),      # sums to 6, n = 5
    ("multinomial", {}, [6.0, -1.0, 0.0], SupportError),     # negative count
    ("multinomial", {}, [2.5, 2.5, 0.0], SupportError),      # fractional counts
    ("binomial", {"n": 5}, 6.0, SupportError), ("binomial", {"n": 5}, -1.0, SupportError),
    ("binomial", {"n": 5}, 1.5, SupportError),
    ("geometric", {}, -1.0, SupportError), ("geometric", {}, 0.5, SupportError),
    ("negative_binomial", {}, 2.5, SupportError),
    ("pareto", {}, 1.0, SupportError), ("pareto", {}, 0.5, SupportError),
    ("weibull", {}, 0.0, SupportError), ("rayleigh", {}, -1.0, SupportError),
    ("half_normal", {}, 0.0, SupportError), ("chi2", {}, -2.0, SupportError),
    ("laplace", {}, np.inf, SupportError),
])
def test_observation_outside_support(name, dims, x, error):
    fam = fl.family(name, **dims)
    k = fam.kernels("natural")
    theta = _points(fam, "natural", 1, 0)[0]
    with pytest.raises(error):
        k.log_density(x, theta)
    with pytest.raises(error):
        k.score(x, theta)


# ---------------------------------------------------------------------------------------------
# overflow-free categorical / multinomial / binomial kernels at logits ±700, against mpmath

EXTREME = [
    [700.0, -700.0, 0.0], [700.0, 700.0, -700.0], [-700.0, -700.0, -700.0],
    [700.0, 699.0, 0.0], [-700.0, 0.5, 700.0], [1e-3, -1e-3, 0.0],
]


def _mp_probs(eta):
    """Class probabilities (reference class last) in exact-exponent mpmath arithmetic."""
    u = [mpmath.mpf(e) for e in eta] + [mpmath.mpf(0)]
    z = mpmath.fsum(mpmath.exp(v) for v in u)
    return [mpmath.exp(v) / z for v in u], mpmath.log(z)


def _close(actual, expected, rtol=1e-13, tiny=1e-290):
    """Entrywise relative closeness; entries below ``tiny`` (subnormal range) compare absolutely."""
    actual = np.asarray(actual, dtype=float)
    expected = np.asarray(expected, dtype=float)
    assert np.all(np.isfinite(actual)), actual
    err = np.abs(actual - expected)
    ok = err <= rtol * np.abs(expected) + tiny
    assert ok.all(), (actual[~ok], expected[~ok])


@pytest.mark.parametrize("eta", EXTREME)
def test_categorical_extreme_logits(eta):
    k = fl.kernels("categorical", "natural", k=4)
    with mpmath.workdps(60):
        p, A = _mp_probs(eta)
        m = len(eta)
        # Central moments of T(x) = x_{1..m} over the k outcomes (one-hot), computed directly.
        mean = p[:m]
        cov = [[p[i] * ((1 if i == j else 0) - p[j]) if i != j else p[i] * mpmath.fsum(
            p[kk] for kk in range(m + 1) if kk != i) for j in range(m)] for i in range(m)]
        third = [
            [
                [
                    mpmath.fsum(
                        p[o] * mpmath.fprod(((1 if o == a else 0) - p[a]) for a in (i, j, kk))
                        for o in range(m + 1)
                    )
                    for kk in range(m)
                ]
                for j in range(m)
            ]
            for i in range(m)
        ]
        entropy = -mpmath.fsum(q * mpmath.log(q) for q in p)
        x = np.eye(m + 1)
        logp = [float(mpmath.log(q)) for q in p]
        q_eta = [0.3, -2.0, 1.0]
        pq, _ = _mp_probs(q_eta)
        kl = mpmath.fsum(a * (mpmath.log(a) - mpmath.log(b)) for a, b in zip(p, pq))
        third = np.array([[[float(v) for v in r2] for r2 in r1] for r1 in third])
    _close(k.log_partition(eta), float(A))
    _close(k.mean(eta), [float(v) for v in mean])
    _close(k.fisher(eta), [[float(v) for v in r] for r in cov])
    _close(-k.hessian(x[0], eta), [[float(v) for v in r] for r in cov])
    # third cumulant: entries are small differences where a class dominates; each is accurate
    # relative to the largest entry of the tensor
    np.testing.assert_allclose(k.skewness(eta), third, rtol=0,
                               atol=1e-14 * np.abs(third).max() + 1e-290)
    # log-density: differences of O(700) terms, accurate to ~1e-16 · 700 absolutely
    np.testing.assert_allclose(k.log_density(x, eta), logp, rtol=1e-15, atol=1e-12)
    np.testing.assert_allclose(k.entropy(eta), float(entropy), rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(k.kl(eta, q_eta), float(kl), rtol=1e-13, atol=1e-12)
    probs = fl.family("categorical", k=4).convert(eta, "natural", "probs")
    _close(probs, [float(v) for v in p[:m]])


@pytest.mark.parametrize("eta", EXTREME)
def test_multinomial_extreme_logits(eta):
    n = 5
    k = fl.kernels("multinomial", "natural", n=n, k=4)
    with mpmath.workdps(60):
        p, A = _mp_probs(eta)
        m = len(eta)
        cov = [[n * (p[i] * mpmath.fsum(p[kk] for kk in range(m + 1) if kk != i) if i == j
                     else -p[i] * p[j]) for j in range(m)] for i in range(m)]
        counts = [c for c in itertools.product(range(n + 1), repeat=m + 1) if sum(c) == n]
        logpmf = [mpmath.log(mpmath.factorial(n)) + mpmath.fsum(
            -mpmath.log(mpmath.factorial(c)) + c * mpmath.log(q) for c, q in zip(cs, p))
            for cs in counts]
        entropy = -mpmath.fsum(mpmath.exp(lp) * lp for lp in logpmf)
    _close(k.log_partition(eta), n * float(A))
    _close(k.mean(eta), [n * float(v) for v in p[:m]])
    _close(k.fisher(eta), [[float(v) for v in r] for r in cov])
    x = np.array(counts, dtype=float)
    np.testing.assert_allclose(k.log_density(x, eta), [float(v) for v in logpmf],
                               rtol=1e-15, atol=1e-11)
    np.testing.assert_allclose(k.entropy(eta), float(entropy), rtol=1e-13, atol=1e-11)


def test_multinomial_generated_for_every_k():
    # the extreme-logit test above needs multinomial(n=5, k=4) without compiling sympy in CI
    assert fl.kernels("multinomial", n=5, k=4)._ns["__name__"] == "fisherlab.kernels.multinomial"


@pytest.mark.parametrize("eta", [700.0, -700.0, 36.0, -1e-9, 0.0])
def test_binomial_extreme_logits(eta):
    n = 10
    k = fl.kernels("binomial", "natural", n=n)
    with mpmath.workdps(60):
        p, A = _mp_probs([eta])
        fisher = n * p[0] * p[1]
        third = n * p[0] * p[1] * (p[1] - p[0])
    _close(k.log_partition([eta]), n * float(A))
    _close(k.mean([eta]), [n * float(p[0])])
    _close(k.fisher([eta]), [[float(fisher)]])
    np.testing.assert_allclose(k.skewness([eta])[0, 0, 0], float(third), rtol=1e-13,
                               atol=1e-290 + 1e-14 * abs(float(fisher)))


# ---------------------------------------------------------------------------------------------
# scipy.stats: log density, entropy and mean, to 1e-12


def _scipy_mean_of_T(fam, dist, theta):
    """E[T(x)] from scipy, where T is x itself or a power of it; None otherwise."""
    name = fam.name
    if name in ("binomial", "geometric", "negative_binomial"):
        return np.array([dist.mean()])
    if name in ("categorical", "multinomial"):
        return np.asarray(dist.mean())[:-1]
    if name in ("rayleigh", "half_normal"):
        return np.array([dist.moment(2)])
    return None


def _scipy_entropy(fam, dist):
    """scipy's entropy; for the negative binomial, −Σ pmf·log pmf summed here from scipy's pmf
    (scipy's own nbinom.entropy stops its sum early for small p and is then wrong by O(1))."""
    if fam.name != "negative_binomial":
        return dist.entropy()
    stop = dist.mean() + 80 * dist.std() + 100
    x = np.arange(0.0, stop)
    logp = dist.logpmf(x)
    assert logp[-1] < -60  # the truncated tail is below e^-60 relative
    return -math.fsum(np.exp(logp) * logp)


def _support_points(fam, theta):
    name = fam.name
    if name == "categorical":
        return np.eye(fam.dims["k"])
    if name == "multinomial":
        n, k = fam.dims["n"], fam.dims["k"]
        return np.array([c for c in itertools.product(range(n + 1), repeat=k) if sum(c) == n],
                        dtype=float)
    if name == "binomial":
        return np.arange(fam.dims["n"] + 1, dtype=float)
    if name in ("geometric", "negative_binomial"):
        return np.array([0.0, 1.0, 2.0, 7.0, 40.0])
    if name == "pareto":
        return fam.dims["x_m"] * np.array([1.001, 1.5, 3.0, 40.0])
    if name == "laplace":
        return fam.dims["loc"] + np.array([-3.0, -0.1, 0.2, 5.0])
    return np.array([1e-3, 0.3, 1.0, 2.5, 10.0])


@pytest.mark.parametrize("name,dims", FAMILIES, ids=IDS)
def test_scipy_agreement(name, dims):
    fam = fl.family(name, **dims)
    home, make = fam.spec.scipy
    thetas = _points(fam, home, 4, 11)
    for pz in fam.parametrizations:
        k = fam.kernels(pz)
        for theta in thetas:
            dist = make(scipy.stats, *theta)
            th = fam.convert(theta, home, pz)
            x = _support_points(fam, theta)
            ref = dist.logpmf(x) if fam.support.discrete else dist.logpdf(x)
            np.testing.assert_allclose(k.log_density(x, th), ref, rtol=1e-12, atol=1e-12,
                                       err_msg=f"{pz} log_density at {theta}")
            np.testing.assert_allclose(k.entropy(th), _scipy_entropy(fam, dist), rtol=1e-12,
                                       atol=1e-13, err_msg=f"{pz} entropy at {theta}")
            mean = _scipy_mean_of_T(fam, dist, theta)
            if mean is not None:
                np.testing.assert_allclose(k.mean(th), mean, rtol=1e-12,
                                           err_msg=f"{pz} mean at {theta}")


@pytest.mark.parametrize("name,dims,T,thetas", [
    ("weibull", {}, lambda x: x**1.5, [0.05, 1.0, 30.0]),
    ("pareto", {}, np.log, [0.3, 2.0, 50.0]),
    ("laplace", {}, np.abs, [0.01, 1.0, 80.0]),
    ("chi2", {}, np.log, [0.5, 3.0, 500.0]),
])
def test_mean_of_T_by_quadrature(name, dims, T, thetas):
    # scipy has no closed E[T] here: integrate T against scipy's density (quad, rel. 1e-13),
    # over y = log x for positive supports, between the 1e-30 quantiles (the tails beyond them
    # change E[T] by < 1e-27). Points where those quantiles are representable in float64.
    fam = fl.family(name, **dims)
    home, make = fam.spec.scipy
    k = fam.kernels(home)
    for theta in thetas:
        dist = make(scipy.stats, theta)
        a, med, b = dist.ppf(1e-30), dist.median(), dist.isf(1e-30)
        if dist.support()[0] >= 0:
            def f(y):
                return T(math.exp(y)) * math.exp(dist.logpdf(math.exp(y)) + y)
            pieces = [(math.log(max(a, dist.support()[0] * (1 + 1e-15))), math.log(med)),
                      (math.log(med), math.log(b))]
        else:
            def f(x):
                return T(x - fam.dims["loc"]) * dist.pdf(x)
            pieces = [(a, med), (med, b)]
        total = sum(scipy.integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-13, limit=400)[0]
                    for lo, hi in pieces)
        np.testing.assert_allclose(k.mean([theta]), [total], rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------------------------------------
# samplers: the sample mean of T against the kernels' mean, 6σ from Var T = ∇²A


@pytest.mark.parametrize("name,dims", FAMILIES, ids=IDS)
def test_sampler_mean_of_T(name, dims):
    fam = fl.family(name, **dims)
    home = fam.spec.sampler[0]
    theta = _points(fam, home, 1, 21)[0]
    n = 20000
    x = fam.sample(theta, home, size=n, seed=7)
    assert x.shape == (n, *fam.support.event_shape)
    fam.support.check(x)  # every draw inside the support
    T = fam.statistics(x)
    k = fam.kernels(home)
    se = np.sqrt(np.diagonal(k.natural_fisher(theta)) / n)
    assert np.all(np.abs(T.mean(axis=0) - k.mean(theta)) <= 6 * se), (T.mean(axis=0), k.mean(theta))


# ---------------------------------------------------------------------------------------------
# textbook forms of the derivation


def test_textbook_fishers():
    d = fl.family("categorical", k=3).derive("probs")
    p1, p2 = d.params
    pk = 1 - p1 - p2
    expected = sp.Matrix([[1 / p1 + 1 / pk, 1 / pk], [1 / pk, 1 / p2 + 1 / pk]])
    assert (d.fisher - expected).applyfunc(sp.simplify) == sp.zeros(2, 2)
    assert d.mean == sp.Matrix([p1, p2])
    cases = [
        (("binomial", {"n": 5}, "p"), lambda p: 5 / (p * (1 - p))),
        (("geometric", {}, "p"), lambda p: 1 / (p**2 * (1 - p))),
        (("negative_binomial", {}, "p"), lambda p: 3 / (p**2 * (1 - p))),
        (("weibull", {}, "scale"), lambda lam: sp.Rational(9, 4) / lam**2),
        (("pareto", {}, "alpha"), lambda a: 1 / a**2),
        (("rayleigh", {}, "scale"), lambda s: 4 / s**2),
        (("half_normal", {}, "scale"), lambda s: 2 / s**2),
        (("laplace", {}, "scale"), lambda b: 1 / b**2),
        (("chi2", {}, "df"), lambda k: sp.polygamma(1, k / 2) / 4),
    ]
    for (name, dims, param), f in cases:
        d = fl.family(name, **dims).derive(param)
        assert sp.simplify(d.fisher[0, 0] - f(*d.params)) == 0, name


def test_kernels_import_no_sympy():
    code = ("import sys, fisherlab as fl\n"
            "for name, dims in [('categorical', {'k': 10}), ('multinomial', {}), ('binomial', {}),"
            " ('geometric', {}), ('weibull', {}), ('chi2', {})]:\n"
            "    fl.kernels(name, 'natural', **dims).fisher([[0.1] * len(fl.family(name, **dims)"
            ".params('natural'))]) if name not in ('geometric', 'weibull') else "
            "fl.kernels(name, 'natural', **dims).fisher([[-0.5]])\n"
            "assert 'sympy' not in sys.modules, 'sympy imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_catalog_lists_part_a():
    names = fl.families()
    for name in ("categorical", "multinomial", "binomial", "geometric", "negative_binomial",
                 "weibull", "pareto", "rayleigh", "half_normal", "laplace", "chi2"):
        assert name in names
