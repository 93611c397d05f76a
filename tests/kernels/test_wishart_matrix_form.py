"""The Wishart, inverse Wishart and normal-Wishart kernels derived in matrix form for symbolic d
(fisherlab/symbolic/wishart_structured.py, fisherlab/kernels/_wishart_runtime.py):

- the printed operators against central finite differences of the printed functions they are
  derivatives of (d = 3);
- regression against the outputs of the element-wise d = 2 modules they replaced
  (tests/data/wishart_fixtures.npz, tests/data/make_wishart_fixtures.py): the element-wise
  derivation stays the independent reference;
- d = 50 in a fresh process without sympy, and bad input.
(The 50-digit textbook formulas at d = 1, 2, 3, 5 are in tests/families/, the extended matrix
calculus in tests/symbolic/test_matrix_calculus.py.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

import fisherlab as fl
from fisherlab.verify.identities import IDENTITIES
from fisherlab.verify.points import draw_points
from tests.conftest import EXHAUSTIVE

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("wishart", "inverse_wishart", "normal_wishart")


def _mp_sym(a):
    return mp.matrix([[mp.mpf(float(v)) for v in row] for row in a])


# -- the printed operators against finite differences ------------------------------------------


def _fd(f, h=1e-5):
    return (np.asarray(f(h)) - np.asarray(f(-h))) / (2 * h)


@pytest.mark.parametrize("name", NAMES)
def test_operators_against_finite_differences(name):
    """At d = 3 in every parametrization: the score is the derivative of the log-density, the
    observed Hessian that of the score, the Jacobian that of η(θ), the mean that of A in
    natural coordinates, ∇²A that of the mean, ∇³A that of ∇²A (central differences, step
    1e-5, small directions: error O(h²) well below the tolerances)."""
    fam = fl.family(name, d=3)
    rng = np.random.default_rng(1)
    nat = fam.kernels("natural")
    for pz in fam.parametrizations:
        k = fam.kernels(pz)
        th = draw_points(fam.spec, pz, 1, np.random.default_rng(4))[0]
        base = fam.parametrizations[1]
        x = fam.sample(fam.convert(th, pz, base), base, size=1, seed=2)[0]
        u = 1e-2 * rng.normal(size=th.shape)
        np.testing.assert_allclose(_fd(lambda t: k.log_density(x, th + t * u)),
                                   k.score(x, th) @ u, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(_fd(lambda t: k.score(x, th + t * u)),
                                   k.hessian(x, th) @ u, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(_fd(lambda t: k.to_natural(th + t * u)),
                                   k.jacobian(th) @ u, rtol=1e-6, atol=1e-9)
        eta = k.to_natural(th)
        v = 1e-2 * rng.normal(size=eta.shape)
        np.testing.assert_allclose(_fd(lambda t: nat.log_partition(eta + t * v)),
                                   nat.mean(eta) @ v, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(_fd(lambda t: nat.mean(eta + t * v)),
                                   k.natural_fisher(th) @ v, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(_fd(lambda t: nat.natural_fisher(eta + t * v)),
                                   np.einsum("...ijk,k->...ij", k.skewness(th), v),
                                   rtol=1e-5, atol=1e-7)
        # the Fisher information is Jᵀ ∇²A J
        J = k.jacobian(th)
        np.testing.assert_allclose(k.fisher(th), J.T @ k.natural_fisher(th) @ J,
                                   rtol=1e-10, atol=1e-12)


# -- regression against the element-wise modules ------------------------------------------------


FIXTURES = np.load(ROOT / "tests" / "data" / "wishart_fixtures.npz")


@pytest.mark.parametrize("name, pz", [
    ("wishart", "natural"), ("wishart", "df_scale"), ("wishart", "df_precision"),
    ("inverse_wishart", "natural"), ("inverse_wishart", "df_scale"),
    ("normal_wishart", "natural"), ("normal_wishart", "mu0_kappa_nu_scale")])
def test_regression_against_elementwise_modules(name, pz):
    """The outputs of the element-wise d = 2 modules (wishart_d2, …, derived entry by entry)."""
    z = {key.split("/", 2)[2]: FIXTURES[key] for key in FIXTURES.files
         if key.startswith(f"{name}/{pz}/")}
    k = fl.kernels(name, pz, d=2)
    th, thq, x = z["theta"], z["theta_q"], z["x"]
    got = {q: getattr(k, q)(th) for q in ("to_natural", "log_partition", "mean", "entropy",
                                          "fisher", "natural_fisher", "jacobian", "skewness")}
    got.update(log_density=k.log_density(x, th[0]), score=k.score(x, th[0]),
               hessian=k.hessian(x, th[0]), kl=k.kl(th, thq),
               natural_gradient=k.natural_gradient(th, z["grad"]))
    for q, v in got.items():
        np.testing.assert_allclose(v, z[q], rtol=1e-10, atol=1e-12, err_msg=q)


# -- the KL of nearly coinciding points ---------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_kl_of_close_points_is_half_the_fisher_quadratic_form(name):
    """KL(θ ‖ θ + δ) = ½ δᵀF(θ)δ + O(|δ|³): at |δ| ~ 1e-7 the relative gap is ~1e-7, which a
    Bregman form losing digits to cancellation (A(η_q) − A(η_p) − …) could not reach."""
    fam = fl.family(name, d=3)
    rng = np.random.default_rng(6)
    for pz in fam.parametrizations:
        k = fam.kernels(pz)
        th = draw_points(fam.spec, pz, 2, np.random.default_rng(5))
        delta = 1e-7 * rng.normal(size=th.shape)
        quad = 0.5 * np.einsum("...i,...ij,...j->...", delta, k.fisher(th), delta)
        np.testing.assert_allclose(k.kl(th, th + delta), quad, rtol=1e-5)
        assert np.all(k.kl(th, th) == 0.0)


# -- any d ---------------------------------------------------------------------------------------


def test_d50_fresh_process_without_sympy():
    """fl.kernels(name, ..., d=50) in a fresh interpreter for the three families: sympy stays
    out of sys.modules. The time is printed (pytest -s), not asserted."""
    code = (
        "import sys, time; import numpy as np; t = time.perf_counter(); import fisherlab as fl\n"
        "d = 50; V = np.eye(d)[np.tril_indices(d)]\n"
        "for name, pz, th in [('wishart', 'df_scale', np.r_[60.0, V]),\n"
        "                     ('inverse_wishart', 'df_scale', np.r_[60.0, V]),\n"
        "                     ('normal_wishart', 'mu0_kappa_nu_scale',"
        " np.r_[np.zeros(d), 1.0, 60.0, V])]:\n"
        "    k = fl.kernels(name, pz, d=d); k.log_partition(th); k.entropy(th); k.kl(th, th)\n"
        "print(time.perf_counter() - t, 'sympy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=300)
    assert out.returncode == 0, out.stderr
    seconds, imported = out.stdout.split()
    print(f"d = 50 Wishart-family kernels ready in a fresh process: {float(seconds):.2f} s")
    assert imported == "False"


def test_textbook_log_partition_and_fisher_at_d50():
    """At d = 50: A = (n/2) log det V + (nd/2) log 2 + log Γ_d(n/2) and the Fisher information
    of V, (n/2) tr(V⁻¹ E_a V⁻¹ E_b) (n times the normal's, Magnus & Neudecker), on a few
    entries, in mpmath."""
    d = 50
    rng = np.random.default_rng(2)
    a = rng.normal(size=(d, d))
    V = a @ a.T / d + np.eye(d)
    n = 70.5
    il = np.tril_indices(d)
    th = np.r_[n, V[il]]
    k = fl.kernels("wishart", "df_scale", d=d)
    with mp.workdps(30):
        Vm = _mp_sym(V)
        ref = (n / 2 * mp.log(mp.det(Vm)) + n * d / 2 * mp.log(2) + d * (d - 1) / mp.mpf(4)
               * mp.log(mp.pi) + mp.fsum(mp.loggamma(mp.mpf(n) / 2 - mp.mpf(j) / 2)
                                         for j in range(d)))
        assert abs(k.log_partition(th) - float(ref)) < 1e-12 * abs(float(ref))
        Vi = Vm ** -1
        F = k.fisher(th)
        for a_, b_ in [(0, 0), (3, 7), (100, 1200), (1274, 5)]:
            (i, j), (p, q) = (il[0][a_], il[1][a_]), (il[0][b_], il[1][b_])
            t = mp.mpf(0)
            for (r, c) in {(i, j), (j, i)}:
                for (r2, c2) in {(p, q), (q, p)}:
                    t += Vi[c, r2] * Vi[c2, r]
            ref = n * t / 2  # n times the normal's ½ tr(Σ⁻¹E_aΣ⁻¹E_b)
            assert abs(F[1 + a_, 1 + b_] - float(ref)) < 1e-11 * max(abs(float(ref)), 1e-3)


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_any_d(name):
    """d = 4: η = 0 (a zero matrix, not positive definite) is a DomainError, a short θ a
    ShapeError, an indefinite observation a SupportError."""
    k = fl.kernels(name, "natural", d=4)
    eta = np.zeros(len(k.params))
    with pytest.raises(fl.DomainError):
        k.log_partition(eta)
    with pytest.raises(fl.ShapeError):
        k.mean(eta[:-1])
    good = draw_points(k.spec, "natural", 1, np.random.default_rng(0))[0]
    x = np.zeros(k.event_shape)
    x[-1] = -1.0  # the last diagonal entry of the matrix observation
    with pytest.raises(fl.SupportError):
        k.log_density(x, good)


# -- fl.verify at d = 2, 3, 5 ------------------------------------------------------------------


#: The identities CI checks at d = 3 and 5 (the Monte Carlo Fisher information and the autograd
#: pullbacks of the element-wise declaration take minutes there).
_FAST_IDENTITIES = ["roundtrip", "kl_invariance", "bregman_kl", "kl_refinement", "local_kl",
                    "scipy"]


def _verify_cases():
    """(d, identity): every identity together at d = 2; at d = 3 and 5 the fast ones together
    in CI, and under FISHERLAB_EXHAUSTIVE=1 each identity of the verifier as a test of its own
    (all of them at d = 5 take longer than one exhaustive invocation is given)."""
    yield 2, None
    for d in (3, 5):
        if EXHAUSTIVE:
            yield from ((d, identity) for identity in IDENTITIES)
        else:
            yield d, None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("d,identity", list(_verify_cases()))
def test_verify(name, d, identity):
    """fl.verify passes: every identity at d = 2; at d = 3 and 5 the round trips, KL invariance,
    its Bregman form and refinement, the local KL and scipy in CI, and every identity, one per
    test, under FISHERLAB_EXHAUSTIVE=1."""
    ids = [identity] if identity else (_FAST_IDENTITIES if d > 2 else None)
    report = fl.verify(name, d=d, identities=ids, n_points=3 if EXHAUSTIVE else 1)
    assert report.ok, report.table(explain=True)
