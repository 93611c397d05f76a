"""Shared test configuration: deterministic hypothesis, and how many points exhaustive tests use."""

import os

from hypothesis import HealthCheck, settings

#: FISHERLAB_EXHAUSTIVE=1 runs slow-marked tests on many more points; CI runs a real sample.
EXHAUSTIVE = os.environ.get("FISHERLAB_EXHAUSTIVE", "") not in ("", "0")

settings.register_profile(
    "fisherlab", derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("fisherlab")
