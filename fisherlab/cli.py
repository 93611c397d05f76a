"""The ``fisherlab`` command.

    fisherlab list                                   families and their parametrizations
    fisherlab derive FAMILY [--param P] [--latex] [--dim k=3]
                                                     every derived quantity, exactly

Other subcommands (verify, experiment, report) live with their subsystems and register here
through ``SUBCOMMANDS``. A FisherlabError prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import FisherlabError

#: name -> module providing ``add_parser(subparsers)`` and ``run(args) -> int``.
SUBCOMMANDS: dict[str, str] = {}


def _dims(items) -> dict:
    out = {}
    for item in items or ():
        if "=" not in item:
            raise FisherlabError(f"--dim takes NAME=INTEGER, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key] = int(value)
        except ValueError:
            try:
                out[key] = float(value)
            except ValueError:
                raise FisherlabError(f"--dim {key} must be a number, got {value!r}") from None
    return out


def _cmd_list(args) -> int:
    from . import _api

    rows = []
    for name in _api.families():
        fam = _api.family(name)
        dims = ", ".join(f"{k}={v}" for k, v in fam.dims.items())
        rows.append((name + (f" ({dims})" if dims else ""), ", ".join(fam.parametrizations)))
    width = max(len(r[0]) for r in rows)
    print(f"{'family':<{width}}  parametrizations")
    for name, params in rows:
        print(f"{name:<{width}}  {params}")
    return 0


def _cmd_derive(args) -> int:
    from . import _api
    from .symbolic.pretty import render_derivation

    fam = _api.family(args.family, **_dims(args.dim))
    params = [args.param] if args.param else list(fam.parametrizations)
    for p in params:
        fam.spec.parametrization(p)  # unknown names fail before any derivation work
    for i, p in enumerate(params):
        if i:
            print()
        print(render_derivation(fam.derive(p), latex=args.latex))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fisherlab",
        description="Exact information geometry for exponential families.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("list", help="list the families and their parametrizations")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("derive", help="print every derived quantity of a family")
    p.add_argument("family")
    p.add_argument("--param", "-p", help="parametrization (default: all)")
    p.add_argument("--latex", action="store_true", help="print LaTeX instead of text")
    p.add_argument("--dim", action="append", metavar="NAME=N",
                   help="dimension of the family, e.g. --dim k=3 (repeatable)")
    p.set_defaults(func=_cmd_derive)

    for name, module in SUBCOMMANDS.items():
        mod = importlib.import_module(module)
        mod.add_parser(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except FisherlabError as exc:
        print(f"fisherlab: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `fisherlab derive ... | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
