"""Repository hygiene that a clean clone must keep."""

import ast
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_no_committed_file_is_ignored():
    """A pattern in .gitignore that matches a committed file hides its next version from
    ``git add`` and misleads whoever reads the ignore list."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an installed or unpacked copy)")
    listed = subprocess.run(["git", "ls-files", "--cached", "--ignored", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert listed == []


# ---------------------------------------------------------------------------------------------
# private names stay in their room


PACKAGE = ROOT / "fisherlab"


def room_of(module: str) -> str:
    """The room of a dotted module name under fisherlab: its subpackage (``fisherlab.kernels``
    for ``fisherlab.kernels._runtime``), or ``fisherlab`` for the top-level modules."""
    parts = module.split(".")
    if len(parts) > 1 and (PACKAGE / parts[1]).is_dir():
        return ".".join(parts[:2])
    return "fisherlab"


def private_imports(module: str, is_package: bool, source: str) -> list[str]:
    """The imports in ``source`` (the text of ``module``) that reach a private name (a module or
    a name starting with one underscore) of another room: one ``"line: target"`` each."""
    here = room_of(module)
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            paths = [f"{target}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            paths = [alias.name for alias in node.names]
        else:
            continue
        for path in paths:
            parts = path.split(".")
            if parts[0] != "fisherlab":
                continue
            private = any(p.startswith("_") and not p.startswith("__") for p in parts[1:])
            # A name imported from the top-level package belongs to the room it names, if any.
            if private and room_of(path) != here:
                found.append(f"{node.lineno}: {path}")
    return found


def test_private_import_scan_finds_what_it_should():
    """The scan below would pass vacuously if it recognized nothing."""
    bad = ("from ..kernels._runtime import Kernels\nfrom .. import _api\n"
           "from fisherlab.verify._points import valid\nimport fisherlab._api\n")
    assert len(private_imports("fisherlab.models.heads", False, bad)) == 4
    fine = ("from ._spec import Param\nfrom . import _special\nfrom .. import Family\n"
            "from ..kernels import Kernels\nimport numpy._core\n")
    assert private_imports("fisherlab.families.gamma", False, fine) == []
    assert private_imports("fisherlab.families", True, "from ._spec import Param\n") == []
    assert private_imports("fisherlab.cli", False, "from . import _api\n") == []


def test_no_module_imports_a_private_name_of_another_room():
    """A room's underscore names are its own: another room that needs one gets a public name
    in the home room (docs/architecture.md), so a room can change its insides alone."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        found += [f"{rel}.py:{hit}" for hit in
                  private_imports(module, is_package, path.read_text(encoding="utf-8"))]
    assert found == []
