"""``fisherlab report FAMILY [--param P ...] [-o DIR] [--format md|tex] [--dim k=3]``.

Writes the derivation report of a catalog family, or of a user-declared one given as
``module:ATTRIBUTE`` (an importable module holding an ExponentialFamily), into DIR.
"""

from __future__ import annotations

import importlib

from ..errors import FisherlabError


def add_parser(subparsers) -> None:
    """Add the ``report`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "report", help="write a family's derivation report (Markdown or LaTeX, with figures)",
        description="Write the exact derivation, verification table and figures of a family.")
    p.add_argument("family", help="catalog name, or module:ATTRIBUTE of a user-declared family")
    p.add_argument("--param", "-p", action="append", metavar="P",
                   help="parametrization to include (repeatable; default: all)")
    p.add_argument("-o", "--output", default=".", metavar="DIR",
                   help="output directory (default: the current one)")
    p.add_argument("--format", choices=("md", "tex"), default="md", help="output format")
    p.add_argument("--dim", action="append", metavar="NAME=N",
                   help="dimension of the family, e.g. --dim k=3 (repeatable)")
    p.add_argument("--seed", type=int, default=0, help="verification seed (default 0)")
    p.add_argument("--no-verify", action="store_true", help="skip the verification table")
    p.add_argument("--no-figures", action="store_true", help="do not draw the figures")
    p.set_defaults(func=run)


def _load(name: str, dims: dict):
    import fisherlab as fl

    if ":" not in name:
        return fl.family(name, **dims)
    if dims:
        raise FisherlabError("--dim applies to catalog families only")
    module, _, attr = name.partition(":")
    try:
        obj = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise FisherlabError(f"cannot load family {name!r}: {exc}") from None
    if not isinstance(obj, (fl.ExponentialFamily, fl.Family)):
        raise FisherlabError(f"{name!r} is a {type(obj).__name__}, not an ExponentialFamily")
    return fl.as_family(obj)


def run(args) -> int:
    """Run the ``report`` subcommand: write the report files; returns the exit status."""
    from ..families import parse_dims
    from .build import write_report

    fam = _load(args.family, parse_dims(args.dim))
    res = write_report(fam, args.output, args.param, fmt=args.format, verify=not args.no_verify,
                       seed=args.seed, figures=not args.no_figures)
    print(res.path)
    for f in res.figures:
        print(f)
    if res.ok is False:
        failed = sum(not r.passed for r in res.rows)
        print(f"fisherlab report: {failed} verification check(s) failed; see the report")
        return 1
    return 0
