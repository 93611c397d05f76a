"""Write fisherlab/kernels/<family>.py for every built-in family (and listed dimensions).

Usage: python scripts/generate_kernels.py [--out DIR] [--check] [--only KEY,KEY,...]

``--check`` writes nothing and exits 1 when a committed module differs from a fresh generation.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import importlib  # noqa: E402

catalog = importlib.import_module("fisherlab.families")  # the package, not fl.families()
from fisherlab.compile.codegen import family_source  # noqa: E402

#: Dimensions generated ahead of time for families that have them; others compile on first use.
#: (Fixed parameters such as binomial n are not dimensions: one module serves every value.)
GENERATED_DIMS: dict[str, list[dict]] = {
    "dirichlet": [{"k": 2}, {"k": 3}, {"k": 5}],
    # d = 3 takes minutes to generate (docs/multivariate_normal.md); d >= 4 compiles in memory.
    "multivariate_normal": [{"d": 2}, {"d": 3}],
    "categorical": [{"k": 2}, {"k": 3}, {"k": 4}, {"k": 5}, {"k": 10}],
    "multinomial": [{"n": 5, "k": 3}, {"n": 5, "k": 4}],
}


def specs():
    for name in catalog.names():
        template = catalog.template(name)
        if template.fixed:
            # One module for every value of the fixed parameters (binomial n, Weibull k, ...):
            # they are symbols of the derivation and arguments of the kernels.
            yield template
        elif catalog.default_dims(name):
            dims_list = GENERATED_DIMS.get(name, [catalog.default_dims(name)])
            for dims in dims_list:
                yield catalog.load(name, **dims)
        else:
            yield catalog.load(name)


def render_all(exclude: tuple[str, ...] = (), only: tuple[str, ...] = ()) -> dict[str, str]:
    """File name -> source of every generated module (but those whose key is in ``exclude``;
    only those whose key is in ``only`` when it is given)."""
    out = {}
    for spec in specs():
        if spec.key in exclude or (only and spec.key not in only):
            continue
        out[f"{spec.key}.py"] = family_source(spec, source=f"fisherlab/families/{spec.name}.py")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "fisherlab" / "kernels"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--only", default="",
                    help="comma-separated module keys (e.g. normal,dirichlet_k5) to write or check")
    args = ap.parse_args(argv)
    out = Path(args.out)
    stale = []
    only = tuple(k for k in args.only.split(",") if k)
    for fname, src in render_all(only=only).items():
        path = out / fname
        if args.check:
            if not path.exists() or path.read_text() != src:
                stale.append(fname)
            continue
        tmp = path.with_suffix(".tmp")
        tmp.write_text(src)
        os.replace(tmp, path)
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if stale:
        print("stale kernel modules: " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
