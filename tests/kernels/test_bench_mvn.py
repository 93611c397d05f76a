"""scripts/bench_mvn.py --quick: every row runs, and what it times agrees with its reference
(the hand-written numpy natural gradient, JAX's Hessian of A) to rounding. No time is asserted."""

from __future__ import annotations

import json

from tests.conftest import load_script


def test_bench_mvn_quick(tmp_path):
    bench = load_script("bench_mvn")
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--repeat", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    rows = {(r["quantity"], r.get("param")): r for r in report["rows"]}
    for param in ("mean_cov", "natural", "mean_precision", "mean_chol"):
        assert rows["natural_gradient", param]["max_rel_diff"] < 1e-12
    fisher = rows["fisher (natural coordinates)", None]
    assert "skipped" in fisher or fisher["max_rel_diff"] < 1e-12
    fresh = rows["kernels ready for a new d (fresh process)", None]
    assert fresh["sympy_imported"] is False
    assert {"machine", "versions", "load_average_before"} <= set(report)
