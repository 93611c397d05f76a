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


def test_no_test_imports_a_private_name_of_another_room():
    """The tests of a room (``tests/<room>/``) may reach its underscore names; a test of another
    room uses their public names, as the other rooms' code does."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        room = "fisherlab" + (f".{rel.parts[1]}" if len(rel.parts) > 2 else "")
        source = path.read_text(encoding="utf-8")
        found += [f"{rel}.py:{hit}"
                  for hit in private_imports(f"{room}.{rel.parts[-1]}", False, source)]
    assert found == []


def private_attributes(modules: dict[str, str]) -> list[str]:
    """The attribute accesses ``obj._name`` (``obj`` not ``self`` or ``cls``) in ``modules``
    (dotted name -> source) whose ``_name`` is defined (a ``def``, a ``class``, an assignment to
    ``self._name`` or in a class body) in another room and nowhere in the accessing one: a
    private method or attribute reached across rooms, as an import scan cannot see it."""
    defined: dict[str, set[str]] = {}
    uses = []
    for module, source in modules.items():
        here = room_of(module)
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names = [node.name]
                if isinstance(node, ast.ClassDef):
                    for item in node.body:
                        targets = (item.targets if isinstance(item, ast.Assign) else
                                   [item.target] if isinstance(item, ast.AnnAssign) else [])
                        names += [t.id for t in targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.Attribute):
                owner = node.value.id if isinstance(node.value, ast.Name) else None
                if owner in ("self", "cls"):
                    if isinstance(node.ctx, ast.Store):
                        names = [node.attr]
                else:
                    uses.append((here, f"{module}:{node.lineno}", node.attr))
            for name in names:
                defined.setdefault(name, set()).add(here)
    private = [u for u in uses if u[2].startswith("_") and not u[2].startswith("__")]
    return [f"{where}: .{name}" for here, where, name in private
            if defined.get(name) and here not in defined[name]]


def test_private_attribute_scan_finds_what_it_should():
    modules = {
        "fisherlab.families.gamma": "class Spec:\n    def _ns(self):\n        self._hidden = 1\n",
        "fisherlab.optim.problems": "def f(fam, k):\n    return fam._ns(), k._hidden, k._own\n"
                                    "class P:\n    _own = 0\n",
        "fisherlab.families.other": "def g(spec):\n    return spec._ns()\n",
    }
    assert sorted(private_attributes(modules)) == ["fisherlab.optim.problems:2: ._hidden",
                                                   "fisherlab.optim.problems:2: ._ns"]


def test_no_module_reaches_a_private_attribute_of_another_room():
    """``fam._ns()`` from another room ties that room to the insides of the class it calls."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[1] == "kernels" and not parts[-1].startswith("_"):
            continue  # the generated modules, written by compile/
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = (
            path.read_text(encoding="utf-8"))
    assert private_attributes(modules) == []
