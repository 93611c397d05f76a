"""Derivation reports: freshness of derivations/, safety of the writer, formats, figures.

The staleness test regenerates each committed report's Markdown and compares it with the file,
with the verification spans masked on both sides (see fisherlab.report.document.mask): their
worst errors are floating-point estimates (quadrature, Monte Carlo) whose last digits may
differ across machines, and recomputing them for the catalog takes minutes. The structure and
outcome of a verification table (identities, tolerances, points, pass/fail) is still checked
exactly for one family in test_verification_table_matches_committed, masking only the
worst-error column. In CI each family's report is compared on its exponential-family form,
every heading, the figure list and a sample of parametrization sections (all of them for small
families); FISHERLAB_EXHAUSTIVE=1 compares every section of every family.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fisherlab as fl
from fisherlab.report import build_document, mask, to_markdown, to_tex, write_report
from fisherlab.report._io import safe_stem, target
from fisherlab.report.build import SKIPPED, report_stem
from fisherlab.report.document import VERIFY_BEGIN, VERIFY_END
from fisherlab.report.index import render_index, status_of
from fisherlab.report.verification import Row, rows_from
from tests.conftest import EXHAUSTIVE

ROOT = Path(__file__).resolve().parents[2]
DERIVATIONS = ROOT / "derivations"
GENERATOR = "scripts/generate_derivations.py"

#: Families with more parameters than this have only a sample of sections compared in CI:
#: deriving every parametrization of a five-parameter family takes minutes of sympy.
SMALL = 3


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) of each "## " section (the part before the first is the preamble)."""
    parts = re.split(r"^(## .*)$", text, flags=re.M)
    out = [("", parts[0])]
    out += [(parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]
    return out


def _sample(fam) -> list[str] | None:
    """Parametrizations derived in CI: all for small families, else natural + one by rotation."""
    if EXHAUSTIVE or len(fam.params("natural")) <= SMALL:
        return None
    others = [p for p in fam.parametrizations if p != "natural"]
    i = fl.families().index(fam.name) if fam.name in fl.families() else 0
    return ["natural"] + ([others[i % len(others)]] if others else [])


@pytest.mark.parametrize("name", fl.families())
def test_committed_report_is_fresh(name):
    fam = fl.family(name)
    path = DERIVATIONS / f"{report_stem(fam)}.md"
    assert path.exists(), f"{path} missing: run python {GENERATOR}"
    committed = mask(path.read_text(encoding="utf-8"))
    fresh = mask(to_markdown(build_document(fam, rows=None, generator=GENERATOR,
                                            only=_sample(fam))))
    got, want = _sections(committed), _sections(fresh)
    assert [h for h, _ in got] == [h for h, _ in want], (
        f"{path.name}: sections differ; rerun {GENERATOR}"
    )
    compared = 0
    for (heading, body), (_, fresh_body) in zip(got, want):
        if SKIPPED in fresh_body:
            continue
        assert body == fresh_body, f"{path.name}: section {heading!r} is stale; rerun {GENERATOR}"
        compared += 1
    assert compared >= 5  # preamble, density, form, ≥ 1 parametrization, verification, figures


def test_index_is_fresh():
    entries = []
    for name in fl.families():
        fam = fl.family(name)
        filename = f"{report_stem(fam)}.md"
        text = (DERIVATIONS / filename).read_text(encoding="utf-8")
        entries.append((fam, filename, status_of(text)))
    committed = (DERIVATIONS / "README.md").read_text(encoding="utf-8")
    assert mask(committed) == mask(render_index(entries, GENERATOR)), f"rerun {GENERATOR}"
    # The committed reports carry real verification runs, and every one passed (never "not run",
    # never a committed FAIL).
    statuses = re.findall(re.escape(VERIFY_BEGIN) + "(.*?)" + re.escape(VERIFY_END), committed)
    assert len(statuses) == len(fl.families())
    failed = [s for s in statuses if not re.match(r"pass \(", s)]
    assert not failed, failed


def _table(text: str) -> list[list[str]]:
    span = text[text.index(VERIFY_BEGIN):text.index(VERIFY_END)]
    rows = [ln.split(" | ") for ln in span.splitlines() if ln.startswith("| `")]
    for r in rows:
        r[2] = "(error)"  # the worst error: a floating-point estimate, masked
    return rows


def test_verification_table_matches_committed():
    # Poisson verifies in seconds: its identities, tolerances, points and outcomes must be
    # exactly those committed (a deterministic, seeded run).
    fam = fl.family("poisson")
    rows = rows_from(fl.verify(fam, seed=0))
    fresh = to_markdown(build_document(fam, rows=rows, generator=GENERATOR))
    committed = (DERIVATIONS / "poisson.md").read_text(encoding="utf-8")
    assert _table(fresh) == _table(committed)
    assert len(_table(fresh)) == len(rows) > 0


# ---------------------------------------------------------------------------------------------
# content


def test_gamma_report_shows_the_pullback_steps_and_textbook_forms():
    md = to_markdown(build_document("gamma", params=["shape_rate"]))
    # ∇²A in η, then at η(θ), then the product, then the simplified Fisher (textbook form)
    for label in (r"\nabla^2 A(\eta) =", r"\nabla^2 A(\eta(\theta)) =", r"J^\top \nabla^2 A\, J =",
                  r"F(\theta) ="):
        assert label in md
    assert (r"F(\theta) = \left[\begin{matrix}\psi'\left(\alpha\right) & - \frac{1}{\beta}\\"
            r"- \frac{1}{\beta} & \frac{\alpha}{\beta^{2}}\end{matrix}\right]") in md
    assert "polygamma" not in md and "loggamma" not in md
    assert md.count("$$") % 2 == 0
    for fig in ("gamma-kl.png", "gamma-ellipses.png", "gamma-descent.png"):
        assert f"(figures/{fig})" in md


def test_failed_verification_is_shown():
    rows = [Row("shape_rate", "fisher_quadrature", 1e-12, 1e-8, True, 3),
            Row("shape_rate", "autograd", 3.5e-3, 1e-10, False, 3, "score differs at θ=(1, 2)")]
    md = to_markdown(build_document("gamma", params=["shape_rate"], rows=rows))
    assert "**1 of 2 checks passed.**" in md
    assert "| `shape_rate` | `autograd` | 0.0035 | 1e-10 | 3 | **FAIL** |" in md
    assert "score differs at θ=(1, 2)" in md
    assert status_of(md) == "**FAIL** (1/2 passed)"
    tex = to_tex(build_document("gamma", params=["shape_rate"], rows=rows))
    assert r"\textbf{FAIL}" in tex and "**" not in tex


def test_cli_exits_nonzero_when_verification_fails(tmp_path, monkeypatch):
    from fisherlab import cli
    from fisherlab.report import build

    bad = [Row("rate", "autograd", 1.0, 1e-10, False, 3, "mutant")]
    monkeypatch.setattr(build, "run_verification", lambda *a, **k: bad)
    assert cli.main(["report", "poisson", "-o", str(tmp_path), "--no-figures"]) == 1
    assert "**FAIL**" in (tmp_path / "poisson.md").read_text()


# ---------------------------------------------------------------------------------------------
# safety


@pytest.mark.parametrize("name, stem", [("../../etc/passwd", "etc_passwd"), ("a/b\\c", "a_b_c"),
                                         (".hidden", "hidden"), ("gamma", "gamma"),
                                         ("x" * 200, "x" * 80)])
def test_safe_stem(name, stem):
    assert safe_stem(name) == stem


@pytest.mark.parametrize("name", ["", "../..", "///", "...", "-"])
def test_safe_stem_rejects_empty(name):
    with pytest.raises(fl.FisherlabError):
        safe_stem(name)


def test_target_cannot_escape(tmp_path):
    assert target(tmp_path, "gamma.md") == (tmp_path / "gamma.md").resolve()
    for bad in ("../x.md", "/etc/x.md", "figures/../../x.png", "."):
        with pytest.raises(fl.FisherlabError):
            target(tmp_path, bad)


def _user_spec(name="my_poisson"):
    from fisherlab import ExponentialFamily, Param, Parametrization
    from fisherlab.families.domain import POSITIVE, REAL
    from fisherlab.families.support import COUNTS

    # A Poisson declared by hand, as a user would: T = k, log h = −log k!, A = e^η.
    return ExponentialFamily(
        name=name, title="User Poisson",
        density=r"p(k) = \frac{\lambda^k e^{-\lambda}}{k!},\quad k \in \{0, 1, \dots\}",
        support=COUNTS,
        statistics=lambda sp, x: [x],
        log_base_measure=lambda sp, x: -sp.loggamma(x + 1),
        natural=[Param("eta", REAL, (-2.0, 2.0), "η = log λ", r"\eta")],
        log_partition=lambda sp, e: sp.exp(e),
        parametrizations=[Parametrization(
            "rate", [Param("rate", POSITIVE, (0.2, 5.0), "λ > 0", r"\lambda")],
            to_natural=lambda sp, lam: [sp.log(lam)],
            from_natural=lambda sp, e: [sp.exp(e)])],
        sampler=("rate", lambda rng, lam, size: rng.poisson(lam, size=size).astype(float)),
    )


def test_user_family_report_stays_inside_the_directory(tmp_path):
    out = tmp_path / "out"
    res = write_report(_user_spec("../../evil/pois"), out, verify=False, figures=True)
    assert res.path.parent == out.resolve()
    assert res.path.name == "evil_pois.md"
    files = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["out/evil_pois.md", "out/figures/evil_pois-descent.png",
                     "out/figures/evil_pois-kl.png"]
    md = res.path.read_text()
    assert "User Poisson" in md and "Verification was not run" in md
    # the same derivation as the catalog's Poisson: F(λ) = 1/λ
    assert r"F(\theta) = \left[\begin{matrix}\frac{1}{\lambda}\end{matrix}\right]" in md


def test_existing_report_replaced_atomically(tmp_path, monkeypatch):
    from fisherlab.report import build

    path = tmp_path / "poisson.md"
    path.write_text("old report\n")
    # A failure while the report is being produced leaves the old file intact, no temp files.
    def boom(*a, **k):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(build, "to_markdown", boom)
    with pytest.raises(RuntimeError):
        write_report("poisson", tmp_path, verify=False, figures=False)
    assert path.read_text() == "old report\n"
    monkeypatch.undo()
    write_report("poisson", tmp_path, verify=False, figures=False)
    assert path.read_text().startswith("<!-- Generated by fisherlab report")
    assert [p.name for p in tmp_path.iterdir()] == ["poisson.md"]  # no leftover temp files
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)


def test_atomic_write_cleans_up_on_error(tmp_path, monkeypatch):
    from fisherlab.report import _io

    path = tmp_path / "r.md"
    path.write_text("old")
    monkeypatch.setattr(_io.os, "replace", lambda *a: (_ for _ in ()).throw(OSError("disk")))
    with pytest.raises(OSError):
        _io.atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]


# ---------------------------------------------------------------------------------------------
# formats and CLI


def test_tex_is_a_standalone_document(tmp_path):
    res = write_report("exponential", tmp_path, fmt="tex", verify=False, figures=True)
    tex = res.path.read_text()
    assert tex.count(r"\begin{document}") == 1 and tex.rstrip().endswith(r"\end{document}")
    assert r"\documentclass" in tex and "$$" not in tex
    assert all(ord(c) < 128 for c in tex), "non-ASCII text would break pdflatex"
    if shutil.which("pdflatex") is None:
        return  # the structural checks above still ran
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           res.path.name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "exponential.pdf").stat().st_size > 10_000


def test_cli_report(tmp_path):
    cmd = [sys.executable, "-m", "fisherlab.cli", "report", "poisson", "-o", str(tmp_path),
           "--no-verify", "--no-figures", "--param", "rate"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "poisson.md").read_text()
    assert "## Parametrization `rate`" in md and "## Parametrization `natural`" not in md
    bad = subprocess.run(cmd[:4] + ["poisson", "--param", "nope", "-o", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "nope" in bad.stderr and "Traceback" not in bad.stderr


# ---------------------------------------------------------------------------------------------
# figures


def test_local_kl_error_is_cubic():
    # The figure's fitted slope is a real measurement: |KL − ½t²δᵀFδ| ~ t³.
    from fisherlab.report.figures import kl_data

    for name, param in (("gamma", "shape_rate"), ("normal", "mean_std"), ("poisson", "rate")):
        t, kl, quad, err, theta, delta, slope = kl_data(fl.family(name), param)
        assert abs(slope - 3) < 0.1, (name, slope)
        small = t < t[-1] * 1e-2
        assert np.all(np.abs(kl[small] / quad[small] - 1) < 0.05)


def test_figures_are_png_and_deterministic(tmp_path):
    res = write_report("gamma", tmp_path, verify=False, figures=True)
    assert [p.name for p in res.figures] == ["gamma-kl.png", "gamma-ellipses.png",
                                             "gamma-descent.png"]
    first = {p.name: p.read_bytes() for p in res.figures}
    assert all(b.startswith(b"\x89PNG\r\n\x1a\n") and len(b) > 20_000 for b in first.values())
    # The figure with randomness in it (a seeded sample) comes out byte-identical when redrawn.
    from fisherlab.report.figures import draw, plan

    descent = [f for f in plan(fl.family("gamma"), fl.family("gamma").parametrizations)
               if f.kind == "descent"][0]
    assert draw(fl.family("gamma"), descent) == first["gamma-descent.png"]


def test_cli_report_of_a_user_module(tmp_path):
    (tmp_path / "my_families.py").write_text(
        "from fisherlab import ExponentialFamily, Param, Parametrization\n"
        "from fisherlab.families.domain import POSITIVE, REAL\n"
        "from fisherlab.families.support import COUNTS\n"
        "SPEC = ExponentialFamily(name='my poisson/../x', title='User Poisson', density='p(k)',\n"
        "    support=COUNTS, statistics=lambda sp, x: [x],\n"
        "    log_base_measure=lambda sp, x: -sp.loggamma(x + 1),\n"
        "    natural=[Param('eta', REAL, (-2.0, 2.0), 'log rate', r'\\eta')],\n"
        "    log_partition=lambda sp, e: sp.exp(e))\n")
    env = {
        **os.environ,
        "PYTHONPATH": str(tmp_path) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "fisherlab.cli", "report", "my_families:SPEC",
                           "-o", str(out), "--no-verify", "--no-figures"],
                          capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.iterdir()] == ["my_poisson_x.md"]
    assert r"A(\eta) = e^{\eta}" in (out / "my_poisson_x.md").read_text()
