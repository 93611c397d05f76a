"""Write derivations/: the report of every built-in family (Markdown + figures) and an index.

    python scripts/generate_derivations.py                 # everything (a few minutes)
    python scripts/generate_derivations.py gamma normal    # these reports, then the index
    python scripts/generate_derivations.py --no-figures    # Markdown only

Each family is reported with its default dimensions. The verification table comes from
``fl.verify(family, seed=0)``; the index reads each report's verification status back from the
report itself, so regenerating a subset keeps the index consistent. Output is deterministic
(fixed seeds, no timestamps); tests/report/test_derivation_reports.py regenerates the Markdown
and fails when the committed files are stale.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GENERATOR = "scripts/generate_derivations.py"
SEED = 0


def main(argv=None) -> int:
    import fisherlab as fl
    from fisherlab.report import write_report
    from fisherlab.report._io import atomic_write_text, target
    from fisherlab.report.build import report_stem, run_verification
    from fisherlab.report.index import render_index, status_of
    from fisherlab.report.verification import Row

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("families", nargs="*", help="families to regenerate (default: all)")
    ap.add_argument("--out", default=str(ROOT / "derivations"), help="output directory")
    ap.add_argument("--no-figures", action="store_true", help="do not redraw the figures")
    ap.add_argument("--no-verify", action="store_true",
                    help="skip verification (the reports then say it was not run)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    names = args.families or list(fl.families())
    failed = []
    errors, crashed = [], []
    for name in names:
        t0 = time.perf_counter()
        fam = fl.family(name)
        rows = None
        if not args.no_verify:
            try:
                rows = run_verification(fam, seed=SEED)
            except Exception as exc:  # noqa: BLE001 - shown in the report, and the run fails
                # A verifier that crashes is a failed verification: the report says so.
                traceback.print_exc()
                crashed.append(name)
                rows = [Row("(all)", "verify raised an exception", math.nan, math.nan, False,
                            None, f"{type(exc).__name__}: {exc}")]
        try:
            res = write_report(fam, out, verify=False, rows=rows, seed=SEED,
                               figures=not args.no_figures, generator=GENERATOR)
        except Exception as exc:  # noqa: BLE001 - reported in full, and the run still fails
            # One family's failure (a bug anywhere upstream) must not stop the other reports.
            traceback.print_exc()
            print(f"{fam.key:<24} ERROR: {type(exc).__name__}: {exc}", flush=True)
            errors.append(name)
            continue
        if res.ok is False:
            failed.append(name)
        status = "not verified" if res.ok is None else ("ok" if res.ok else "VERIFICATION FAILED")
        print(f"{fam.key:<24} {time.perf_counter() - t0:6.1f} s  {status}", flush=True)
    entries = []
    for name in fl.families():
        fam = fl.family(name)
        filename = f"{report_stem(fam)}.md"
        path = out / filename
        status = status_of(path.read_text(encoding="utf-8")) if path.exists() else "missing"
        entries.append((fam, filename, status))
    atomic_write_text(target(out, "README.md"), render_index(entries, GENERATOR))
    if failed:
        print(f"verification failed for: {', '.join(failed)} (shown in their reports)")
    if crashed:
        print(
            f"verification raised an exception for: {', '.join(crashed)} (shown in their reports)"
        )
    if errors or crashed:
        if errors:
            print(f"no report written for: {', '.join(errors)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
