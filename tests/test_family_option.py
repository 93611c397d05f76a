"""The ``--family NAME`` option of tests/conftest.py keeps only the tests of that family."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = "tests/families/test_ranges_against_mpmath.py"


def collect(*options: str) -> subprocess.CompletedProcess:
    """Collect TARGET in a fresh pytest with ``options``; stdout lists one node id a line."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider",
         "--collect-only", "-q", *options, TARGET],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def node_ids(run: subprocess.CompletedProcess) -> list[str]:
    assert run.returncode == 0, run.stdout + run.stderr
    return [line for line in run.stdout.splitlines() if line.startswith(TARGET + "::")]


def test_family_keeps_its_tests_and_the_unparametrized_ones():
    every = node_ids(collect())
    beta = node_ids(collect("--family", "beta"))
    # The family-parametrized test of the file, over several families (ids "family-param").
    scipy_every = [i for i in every if "::test_against_scipy[" in i]
    scipy_beta = [i for i in beta if "::test_against_scipy[" in i]
    assert {i.split("[")[1].split("-")[0] for i in scipy_every} >= {"beta", "lognormal"}
    assert scipy_beta and all(i.split("[")[1].startswith("beta-") for i in scipy_beta)
    assert set(scipy_beta) == {i for i in scipy_every if "[beta-" in i}
    # A test without a family argument runs whatever the option.
    plain = [i for i in every if "[" not in i]
    assert plain and set(plain) <= set(beta)
    assert set(beta) < set(every)


def test_family_option_is_repeatable():
    both = node_ids(collect("--family", "beta", "--family", "lognormal"))
    families = {i.split("[")[1].split("-")[0] for i in both if "::test_against_scipy[" in i}
    assert families == {"beta", "lognormal"}


def test_unknown_family_is_a_usage_error_listing_the_catalog():
    run = collect("--family", "gama")
    assert run.returncode != 0
    assert "gama" in run.stderr and "gamma" in run.stderr
