"""The ``fisherlab`` command.

    fisherlab list                                   families and their parametrizations
    fisherlab derive FAMILY [--param P] [--latex] [--dim k=3]
                                                     every derived quantity, exactly
    fisherlab eval FAMILY QUANTITY --param P --theta 2,3 [--x 1.5] [--theta-q ...]
                                                     one kernel at one point

Other subcommands (verify, experiment, report) live with their subsystems and register here
through ``SUBCOMMANDS``. A FisherlabError prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import FisherlabError
from .families import parse_dims

#: name -> module providing ``add_parser(subparsers)`` and ``run(args) -> int``.
SUBCOMMANDS: dict[str, str] = {
    "verify": "fisherlab.verify.cli",
    "report": "fisherlab.report.cli",
    "experiment": "fisherlab.experiments.cli",
}


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

    fam = _api.family(args.family, **parse_dims(args.dim))
    params = [args.param] if args.param else list(fam.parametrizations)
    for p in params:
        fam.spec.parametrization(p)  # unknown names fail before any derivation work
    for i, p in enumerate(params):
        if i:
            print()
        print(render_derivation(fam.derive(p), latex=args.latex))
    return 0


#: quantity -> (needs x, needs theta_q)
_EVAL = {
    "fisher": (False, False), "mean": (False, False), "entropy": (False, False),
    "to_natural": (False, False), "log_partition": (False, False),
    "log_density": (True, False), "score": (True, False), "hessian": (True, False),
    "kl": (False, True), "fisher_rao_distance": (False, True),
}


def _floats(text: str, what: str):
    import numpy as np

    try:
        return np.array([float(v) for v in text.split(",")], dtype=float)
    except ValueError:
        raise FisherlabError(f"{what} must be comma-separated numbers, got {text!r}") from None


def _cmd_eval(args) -> int:
    import numpy as np

    from . import _api

    k = _api.family(args.family, **parse_dims(args.dim)).kernels(args.param)
    needs_x, needs_q = _EVAL[args.quantity]
    theta = _floats(args.theta, "--theta")
    call = []
    if needs_x:
        if args.x is None:
            raise FisherlabError(f"{args.quantity} needs an observation: --x VALUE[,VALUE...]")
        x = _floats(args.x, "--x")
        call.append(x if k.event_shape else x.reshape(()) if x.size == 1 else x)
    call.append(theta)
    if needs_q:
        if args.theta_q is None:
            raise FisherlabError(f"{args.quantity} needs a second point: --theta-q VALUES")
        call.append(_floats(args.theta_q, "--theta-q"))
    out = getattr(k, args.quantity)(*call)
    with np.printoptions(precision=17):
        print(out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``fisherlab`` argument parser, one subcommand per room (verify, report, experiment)."""
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

    p = sub.add_parser("eval", help="evaluate one kernel at a parameter point")
    p.add_argument("family")
    p.add_argument("quantity", choices=sorted(_EVAL))
    p.add_argument("--param", "-p", default="natural", help="parametrization (default: natural)")
    p.add_argument("--theta", required=True, help="comma-separated parameter values, in order")
    p.add_argument("--theta-q", help="the second point, for kl and fisher_rao_distance")
    p.add_argument("--x", help="the observation (comma-separated for vector families)")
    p.add_argument("--dim", action="append", metavar="NAME=N", help="dimension, e.g. --dim k=3")
    p.set_defaults(func=_cmd_eval)

    for name, module in SUBCOMMANDS.items():
        mod = importlib.import_module(module)
        mod.add_parser(sub)
    return parser


def main(argv=None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); returns the exit status."""
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
