"""``fisherlab verify``: table, JSON records, exit status; and a family declared by a user."""

import json

import numpy as np

import fisherlab as fl
from fisherlab import cli
from fisherlab.verify import IDENTITIES


def test_verify_cli_table_and_json(tmp_path, capsys):
    out = tmp_path / "out.json"
    status = cli.main(["verify", "exponential", "--points", "1", "--json", str(out)])
    text = capsys.readouterr().out
    assert status == 0, text
    for header in ("family", "parametrization", "identity", "worst error", "tolerance", "status"):
        assert header in text
    data = json.loads(out.read_text())
    params = fl.family("exponential").parametrizations
    keys = {(r["family"], r["parametrization"], r["name"]) for r in data["results"]}
    assert keys == {("exponential", p, i) for p in params for i in IDENTITIES}
    assert data["ok"] is True


def test_verify_cli_exits_nonzero_on_failure(tmp_path, capsys, monkeypatch):
    from fisherlab.verify import identities

    def broken(family, param, points=None, seed=0, n_points=None):
        return identities.CheckResult("roundtrip", False, 1.0, 1e-10, 1, "forced failure",
                                      family="poisson", parametrization=param)

    monkeypatch.setitem(IDENTITIES, "roundtrip", broken)
    status = cli.main(["verify", "poisson", "-i", "roundtrip"])
    text = capsys.readouterr().out
    assert status == 1
    assert "FAIL" in text and "forced failure" in text


def test_verify_cli_unknown_family_exits_2(capsys):
    assert cli.main(["verify", "no_such_family"]) == 2
    assert "no_such_family" in capsys.readouterr().err


def _sample_zero_truncated_poisson(rng, lam, size):
    x = rng.poisson(lam, size=size)
    while (zero := x == 0).any():
        x[zero] = rng.poisson(np.broadcast_to(lam, x.shape)[zero])
    return x.astype(float)


def test_verify_a_user_declared_family():
    """A family outside the catalog (the zero-truncated Poisson) is derived, compiled in memory
    and verified like a built-in one."""
    ztp = fl.ExponentialFamily(
        name="zt_poisson", title="Zero-truncated Poisson", density="",
        support=fl.Support("integer_range", "k an integer >= 1", low=1),
        statistics=lambda sp, k: [k],
        log_base_measure=lambda sp, k: -sp.loggamma(k + 1),
        natural=[fl.Param("eta", fl.Domain(), (-3.0, 3.0))],
        log_partition=lambda sp, eta: sp.log(sp.exp(sp.exp(eta)) - 1),
        parametrizations=[fl.Parametrization(
            "rate", [fl.Param("rate", fl.Domain(lo=0.0), (0.05, 20.0))],
            to_natural=lambda sp, lam: [sp.log(lam)],
            from_natural=lambda sp, eta: [sp.exp(eta)])],
        mean_space=fl.Constraint(lambda t: ~(t[..., 0] > 1), "a sample mean above 1"),
        sampler=("rate", _sample_zero_truncated_poisson),
    )
    report = fl.verify(ztp)
    assert report.ok, report.table()
    assert {r.parametrization for r in report} == {"natural", "rate"}
    assert report.result("rate", "fisher_quadrature").passed
