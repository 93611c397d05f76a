"""docs/networks.md runs as written: its python blocks, in order, in one namespace."""

import re
from pathlib import Path

import numpy as np

DOC = Path(__file__).resolve().parents[2] / "docs" / "networks.md"


def test_networks_doc_snippets_run():
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) == 5
    ns = {"__name__": "networks_doc"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs/networks.md block {i}", "exec"), ns)  # noqa: S102 -- our doc
    # the claims the prose makes
    assert ns["net"].n_weights == 64 * 16 + 16 + 16 * 10 + 10
    assert ns["fit"].status == "converged"
    assert abs(ns["fit"].theta[0] - 1.0) < 0.3 and abs(ns["fit"].theta[1] + 2.0) < 0.3
    np.testing.assert_allclose(ns["res_cg"].loss, [2.34, 1.35, 0.95, 0.69], atol=0.01)
    assert np.all(np.diff(ns["res_cg"].loss) < 0) and ns["cg"].info["reason"] != "max_iter"
    assert ns["res_kfac"].loss[-1] < 0.5 * ns["res_kfac"].loss[0]
    assert ns["res_k"].loss[-1] < ns["res_k"].loss[0] and ns["res_a"].loss[-1] < ns["res_a"].loss[0]
