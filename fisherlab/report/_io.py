"""Where reports go: file names that cannot escape the output directory, atomic writes.

A family's name is never used as a path: :func:`safe_stem` reduces it to a conservative stem
(letters, digits, ``_`` and ``-``), and :func:`target` refuses any path that resolves outside the
chosen directory. Every file is written to a temporary file in the same directory and moved into
place with :func:`os.replace`, so a reader sees either the old report or the new one, never half.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..errors import FisherlabError

_ALLOWED = re.compile(r"[^A-Za-z0-9_-]+")
_MAX_STEM = 80


def safe_stem(name: str) -> str:
    """A file-name stem for ``name``: [A-Za-z0-9_-] only, no leading dot or dash, at most 80 chars.

    Raises
    ------
    FisherlabError
        When nothing usable is left (an empty name, or one made only of separators).
    """
    if not isinstance(name, str):
        raise FisherlabError(f"a report name must be a string, got {type(name).__name__}")
    stem = _ALLOWED.sub("_", name).strip("_-")[:_MAX_STEM]
    if not stem:
        raise FisherlabError(f"cannot make a file name from family name {name!r}")
    return stem


def target(out_dir: Path, relative: str) -> Path:
    """``out_dir / relative``, refusing anything that resolves outside ``out_dir``."""
    root = Path(out_dir).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or path == root:
        raise FisherlabError(f"report path {relative!r} escapes the output directory {str(root)!r}")
    return path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same directory + os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp creates the file 0600; give the report the permissions a plain open() would.
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        # The rename did not happen: remove the partial temporary file, keep the old report.
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
