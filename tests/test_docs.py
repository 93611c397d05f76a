"""Every Python snippet of README.md and docs/*.md runs as written.

A document is read top to bottom: its fenced ```python blocks run in order in one namespace
(a later block may use what an earlier one defined), from a temporary working directory, and
fail the test if one raises (snippets state their expectations with ``assert``). Documents
whose claims need more than a snippet's asserts have a test module of their own that runs their
blocks in order the same way (:data:`DEDICATED`); they are not run twice. A block that is
an illustration only (a fragment that cannot run alone) is marked by the line

    <!-- docs-test: skip REASON -->

directly above its opening fence; it is then reported as skipped with that reason, never dropped
silently. A marker without a reason, or not followed by a python block, is an error.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SKIP = re.compile(r"^<!-- docs-test: skip(?P<reason>.*?)-->\s*$")
FENCE = re.compile(r"^```(?P<lang>\S*)\s*$")


def python_blocks(path: Path) -> list[tuple[int, str, str | None]]:
    """(line number of the opening fence, code, skip reason or None) of every python block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i, pending = [], 0, None
    while i < len(lines):
        marker = SKIP.match(lines[i])
        if marker:
            reason = marker.group("reason").strip()
            if not reason:
                raise AssertionError(f"{path.name}:{i + 1}: a docs-test skip marker needs a reason")
            pending = (i + 1, reason)
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if fence and fence.group("lang"):
            start, lang = i + 1, fence.group("lang")
            i += 1
            body = []
            while i < len(lines) and not FENCE.match(lines[i]):
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise AssertionError(f"{path.name}:{start}: unclosed code fence")
            if pending is not None and (lang != "python" or pending[0] != start - 1):
                raise AssertionError(f"{path.name}:{pending[0]}: skip marker not directly above "
                                     "a python block")
            if lang == "python":
                reason = pending[1] if pending is not None else None
                blocks.append((start, "\n".join(body) + "\n", reason))
            pending = None
        elif pending is not None and lines[i].strip():
            raise AssertionError(f"{path.name}:{pending[0]}: skip marker not directly above a "
                                 "python block")
        i += 1
    return blocks


#: Documents run in order by a test module of their own, which also checks their prose's claims.
DEDICATED = {"docs/models.md": "models/test_models_doc.py",
             "docs/networks.md": "models/test_networks_doc.py"}

CASES = [pytest.param(path, id=str(path.relative_to(ROOT))) for path in DOCUMENTS
         if python_blocks(path) and str(path.relative_to(ROOT)) not in DEDICATED]


@pytest.mark.parametrize("path", CASES)
def test_snippets_run(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a snippet that writes files writes them here
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": f"docs_{path.stem}"}
    skipped = []
    for line, code, reason in python_blocks(path):
        if reason is not None:
            skipped.append(f"line {line}: {reason}")
            continue
        # Blank lines in front keep the traceback's line numbers those of the document.
        source = "\n" * line + code
        exec(compile(source, str(path), "exec"), namespace)  # noqa: S102
    if skipped:
        pytest.skip(f"ran the rest; marked illustration only: {'; '.join(skipped)}")


def test_readme_has_python_snippets():
    """The collection above would pass vacuously if the fences were mistyped."""
    assert any(p.name == "README.md" for p in (c.values[0] for c in CASES))
    assert len(CASES) >= 3


@pytest.mark.parametrize("doc, module", sorted(DEDICATED.items()))
def test_dedicated_documents_have_their_test(doc, module):
    assert python_blocks(ROOT / doc), f"{doc} has no python block"
    assert Path(doc).name in (ROOT / "tests" / module).read_text(encoding="utf-8")


def test_the_ci_runs_the_readme_test_command():
    """.ci/run runs the Quickstart's second command verbatim; the two must not drift apart."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1]
    commands = re.search(r"```sh\n(.*?)```", quickstart, re.S).group(1).strip().splitlines()
    assert len(commands) == 2
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert commands[1] in ci


@pytest.mark.parametrize("text, expected", [
    ("```python\nx = 1\n```\n", [(1, "x = 1\n", None)]),
    ("<!-- docs-test: skip a fragment -->\n```python\nk.fisher(theta)\n```\n",
     [(2, "k.fisher(theta)\n", "a fragment")]),
    ("```sh\nls\n```\n```python\n```\n", [(4, "\n", None)]),
])
def test_block_extraction(tmp_path, text, expected):
    doc = tmp_path / "doc.md"
    doc.write_text(text, encoding="utf-8")
    assert python_blocks(doc) == expected


@pytest.mark.parametrize("text", [
    "<!-- docs-test: skip -->\n```python\nx\n```\n",                 # no reason
    "<!-- docs-test: skip why -->\n\nSome prose.\n```python\nx\n```\n",  # not above the block
    "<!-- docs-test: skip why -->\n```sh\nls\n```\n",                  # not a python block
    "```python\nx = 1\n",                                            # unclosed
])
def test_malformed_markers_are_errors(tmp_path, text):
    doc = tmp_path / "doc.md"
    doc.write_text(text, encoding="utf-8")
    with pytest.raises(AssertionError):
        python_blocks(doc)
