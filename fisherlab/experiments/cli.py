"""``fisherlab experiment NAME``: run one experiment, writing its PNG and JSON.

fisherlab experiment --list
fisherlab experiment race --out results/ --workers 2
fisherlab experiment race --scheduler tcp://127.0.0.1:8786     (needs the distributed extra)
"""

from __future__ import annotations

import sys

from ..errors import FisherlabError


def add_parser(subparsers) -> None:
    """Add the ``experiment`` subcommand to ``subparsers``."""
    p = subparsers.add_parser("experiment", help="run an experiment (PNG + JSON of its numbers)",
                              description="Run an experiment; --list shows them.")
    p.add_argument("name", nargs="?", help="experiment name (see --list)")
    p.add_argument("--list", action="store_true", help="list the experiments and exit")
    p.add_argument("--out", "-o", default="experiment-results",
                   help="output directory (default: ./experiment-results)")
    p.add_argument("--workers", type=int, default=1,
                   help="local worker processes for the race and the grid searches")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="dask.distributed scheduler address (needs fisherlab[distributed])")
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", metavar="DIR",
                   help="local-extrema and mixture: keep each run's result in DIR and reuse "
                        "those found there, so that a long run cut short resumes")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run the ``experiment`` subcommand (or list the experiments); returns the exit status."""
    from . import EXPERIMENTS, get

    if args.list or not args.name:
        if not args.list:
            raise FisherlabError("name an experiment, or use --list")
        width = max(map(len, EXPERIMENTS))
        for name, (_, _, doc) in EXPERIMENTS.items():
            print(f"{name:<{width}}  {doc}")
        return 0
    fn = get(args.name)
    options = {"workers": args.workers, "scheduler": args.scheduler, "seed": args.seed,
               "progress": sys.stderr.isatty()}
    if args.cache:
        import inspect

        if "cache_dir" not in inspect.signature(fn).parameters:
            raise FisherlabError(f"--cache: experiment {args.name!r} keeps no cache (only "
                                 "local-extrema and mixture do)")
        options["cache_dir"] = args.cache
    if args.quick:
        options.update(_QUICK.get(args.name, {}))
    numbers = fn(args.out, **options)
    for kind, path in numbers.get("files", {}).items():
        print(f"wrote {path}")
    if "table_md" in numbers:
        print(numbers["table_md"])
    return 0


#: sizes of ``--quick`` runs
_QUICK = {
    "race": {"quick": True},
    "invariance": {"n": 100, "steps": (0.1, 0.05, 0.025)},
    "empirical-fisher": {"N": 200, "grid": 7, "steps": 30, "contour": 40},
    "logistic-real": {"quick": True},
    "fisher-efficiency": {"T": 200, "seeds": 500},
    "minibatch-noise": {"reps": 2000, "batch_sizes": (1, 4, 16)},
    "heteroscedastic": {"quick": True},
    "kl-trust": {"quick": True},
    "kunstner-real": {"quick": True},
    "plateau": {"quick": True},
    "local-extrema": {"quick": True},
    "mixture": {"quick": True},
}
