"""``fisherlab verify [FAMILY ...] [--json FILE]``: every identity on every parametrization.

Prints a table (family, parametrization, identity, kind, worst error, tolerance, status), with a
progress bar on a terminal only, and exits 1 when any identity fails or, when every identity
ran, when a quantity of a parametrization had no applicable independent check (see
:class:`fisherlab.verify.runner.VerifyReport`). "n/a" is neither a pass nor a failure.
"""

from __future__ import annotations

import json
import sys
import time


def add_parser(subparsers):
    """Add the ``verify`` subcommand to ``subparsers``."""
    p = subparsers.add_parser("verify", help="check every identity on every parametrization",
                              description=__doc__.splitlines()[0])
    p.add_argument("families", nargs="*", metavar="FAMILY",
                   help="families to verify (default: the whole catalog, default dimensions)")
    p.add_argument("--param", "-p", action="append", help="only this parametrization (repeatable)")
    p.add_argument("--identity", "-i", action="append", help="only this identity (repeatable)")
    p.add_argument("--points", type=int, default=None, help="parameter points per check")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE",
                   help="write one record per (family, parametrization, identity)")
    p.add_argument("--explain", action="store_true", help="print each check's explanation")
    p.set_defaults(func=run)
    return p


class _Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, stream=None):
        self.stream = stream or sys.stderr
        self.total = max(total, 1)
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.offset = 0

    def __call__(self, done, total, label):
        if not self.enabled:
            return
        n = self.offset + done
        width = 30
        fill = int(width * n / self.total)
        bar = f"[{'#' * fill}{'.' * (width - fill)}]"
        self.stream.write(f"\r{bar} {n}/{self.total} {label[:50]:<50}")
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()


def run(args) -> int:
    """Run the ``verify`` subcommand: print the table; returns the exit status (1 on a failure)."""
    import fisherlab as fl

    from .runner import IDENTITIES, check_identities, format_table, format_unchecked, verify_family

    names = args.families or list(fl.families())
    fams = [fl.family(n) for n in names]
    identities = args.identity or list(IDENTITIES)
    check_identities(identities)
    plans = []
    for fam in fams:
        params = args.param or list(fam.parametrizations)
        for p in params:
            fam.spec.parametrization(p)
        plans.append((fam, params))
    total = sum(len(p) * len(identities) for _, p in plans)
    bar = _Progress(total)
    t0 = time.perf_counter()
    reports = []
    for fam, params in plans:
        reports.append(verify_family(fam, params=params, seed=args.seed, identities=identities,
                                     n_points=args.points, progress=bar))
        bar.offset += len(params) * len(identities)
    bar.close()
    seconds = time.perf_counter() - t0
    results = [r for rep in reports for r in rep.results]
    print(format_table(results, explain=args.explain))
    for rep in reports:
        for line in format_unchecked(rep.family, rep.unchecked):
            print(line)
    failed = [r for r in results if r.failed]
    na = sum(1 for r in results if not r.applicable)
    passed = sum(1 for r in results if r.passed)
    n_unchecked = sum(len(q) for rep in reports for q in rep.unchecked.values())
    families = f"{len(fams)} famil{'y' if len(fams) == 1 else 'ies'}"
    print(f"\n{len(results)} checks on {families} in {seconds:.1f} s: "
          f"{passed} passed, {na} not applicable, {len(failed)} failed"
          + (f"; {n_unchecked} quantities without an independent check" if n_unchecked else ""))
    ok = all(rep.ok for rep in reports)
    if args.json:
        records = [r.to_dict() for r in results]
        unchecked = {rep.family: {p: list(q) for p, q in rep.unchecked.items()}
                     for rep in reports if rep.unchecked}
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"ok": ok, "seconds": seconds, "unchecked": unchecked,
                       "results": records}, fh, ensure_ascii=False, indent=1)
    return 0 if ok else 1
