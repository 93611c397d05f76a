"""docs/models.md runs as written: its python blocks, in order, in one namespace."""

import re
from pathlib import Path

import pytest

pytest.importorskip("statsmodels.api")

DOC = Path(__file__).resolve().parents[2] / "docs" / "models.md"


def test_models_doc_snippets_run():
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
    assert len(blocks) >= 5
    namespace = {"__name__": "models_doc"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs/models.md block {i}", "exec"), namespace)  # noqa: S102 -- our doc
    # the claims the prose makes about the printed numbers
    assert abs(namespace["res"].coef[-1] - (-4.770212977501)) < 1e-7
    W = namespace["W"]
    assert abs(W[1, 0] - 2.0) < 0.2 and abs(W[1, 1] - 0.8) < 0.2
