"""Generated kernel modules: committed and fresh, importable without sympy; user families compile
in memory and are cached.

The staleness test re-derives every built-in family in-process (the slowest test here; the
derivations stay cached for the accuracy tests that run after it).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

import fisherlab as fl
from fisherlab import _api

from conftest import EXHAUSTIVE

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def _run(code: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([PYTHON, *args] if not code else [PYTHON, "-c", code, *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


def _generator():
    """scripts/generate_kernels.py as a module (run in-process: the derivations it caches are
    the ones the accuracy tests use next)."""
    spec = importlib.util.spec_from_file_location("_generate_kernels",
                                                  ROOT / "scripts" / "generate_kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: Modules whose generation alone takes many minutes on 2 cores (multivariate_normal d=3: see
#: docs/multivariate_normal.md). CI checks every other module, categorical k=10 included (about a
#: minute); FISHERLAB_EXHAUSTIVE=1 checks these too.
EXPENSIVE = ("multivariate_normal_d3",)


def test_committed_modules_are_fresh():
    # Regenerate every module in memory and compare file by file with the committed ones, so a
    # failure names each stale one.
    fresh = _generator().render_all(exclude=() if EXHAUSTIVE else EXPENSIVE)
    assert fresh, "the generator produced no module"
    committed = ROOT / "fisherlab" / "kernels"
    missing = sorted(n for n in fresh if not (committed / n).exists())
    stale = sorted(n for n, src in fresh.items()
                   if (committed / n).exists() and (committed / n).read_text() != src)
    assert not missing and not stale, (
        f"missing generated modules: {missing}; stale: {stale}. "
        "Run `python scripts/generate_kernels.py` and commit fisherlab/kernels/.")


def test_check_flag_reports_a_stale_module(tmp_path, monkeypatch, capsys):
    # The --check mode must be able to fail: generate one family into a temporary directory,
    # edit it by hand, and ask.
    gen = _generator()
    from fisherlab.families import load

    monkeypatch.setattr(gen, "specs", lambda: iter([load("exponential")]))
    assert gen.main(["--out", str(tmp_path)]) == 0
    assert gen.main(["--out", str(tmp_path), "--check"]) == 0
    victim = tmp_path / "exponential.py"
    victim.write_text(victim.read_text() + "\n# edited by hand\n")
    capsys.readouterr()
    assert gen.main(["--out", str(tmp_path), "--check"]) == 1
    assert "exponential.py" in capsys.readouterr().out


def test_every_builtin_family_loads_without_sympy():
    code = textwrap.dedent("""
        import sys
        import fisherlab as fl
        built = 0
        for name in fl.families():
            fam = fl.family(name)
            for param in fam.parametrizations:
                k = fl.kernels(name, param, **fam.dims)
                assert callable(k._f["fisher"]) and callable(k._f["kl"])
                built += 1
        assert built > 0
        leaked = sorted(m for m in sys.modules if m == "sympy" or m.startswith("sympy."))
        print("LEAKED" if leaked else "CLEAN", built)
    """)
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("CLEAN"), result.stdout + result.stderr


def test_a_builtin_kernel_call_leaves_sympy_out():
    code = ("import sys, fisherlab as fl; k = fl.kernels('gamma', 'shape_rate'); "
            "k.fisher([[2.0, 3.0]]); k.kl([2.0, 3.0], [2.5, 1.0]); "
            "print('sympy' in sys.modules)")
    result = _run(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def _user_spec():
    # A user's own family: the exponential declaration under another name, so it is not built in.
    from fisherlab.families import load

    return dataclasses.replace(load("exponential"), name="my_exponential")


def test_user_family_compiles_in_memory_and_is_cached():
    spec = _user_spec()
    fam = fl.Family(spec)
    k = fam.kernels("rate")
    ns = _api._namespace(spec, False)
    assert "__source__" in ns and ns["__name__"].startswith("fisherlab.kernels._compiled_")
    assert not (ROOT / "fisherlab" / "kernels" / f"{spec.key}.py").exists()
    # Cached: the same namespace object for the same declaration, also through a new handle.
    assert _api._namespace(spec, False) is ns
    assert fl.Family(spec).kernels("rate")._ns is ns
    # And it computes what the built-in generated module computes.
    theta = np.array([[0.5], [2.0], [7.0]])
    builtin = fl.kernels("exponential", "rate")
    np.testing.assert_array_equal(k.fisher(theta), builtin.fisher(theta))
    np.testing.assert_array_equal(k.kl(theta, theta[::-1]), builtin.kl(theta, theta[::-1]))


def test_generated_header_names_the_script():
    for path in sorted((ROOT / "fisherlab" / "kernels").glob("*.py")):
        if path.name.startswith("_"):
            continue
        first = path.read_text().splitlines()[0]
        assert first.startswith("# Generated by scripts/generate_kernels.py"), path.name
