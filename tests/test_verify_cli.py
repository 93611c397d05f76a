"""``fisherlab verify``: table, JSON records, exit status; and the README's worked example."""

import json
import re
from pathlib import Path

import fisherlab as fl
from fisherlab import cli
from fisherlab.verify import IDENTITIES

ROOT = Path(__file__).resolve().parent.parent


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


def test_readme_zero_truncated_poisson_runs_as_written():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- BEGIN verify (issue 5) -->", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace = {"__name__": "readme_example"}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 -- our own README
    assert namespace["report"].ok
    assert namespace["report"].result("rate", "fisher_quadrature").passed
