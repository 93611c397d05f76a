"""Repository hygiene that a clean clone must keep."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_no_committed_file_is_ignored():
    """A pattern in .gitignore that matches a committed file hides its next version from
    ``git add`` and misleads whoever reads the ignore list."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an installed or unpacked copy)")
    listed = subprocess.run(["git", "ls-files", "--cached", "--ignored", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    assert listed == []
