"""The fuzz suite's counts go to the file named by IVR_FUZZ_COUNTS (tests/fuzz/run.py)."""

from __future__ import annotations

import os

import pytest


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get("IVR_FUZZ_COUNTS")
    if path:
        from harness import write_counts

        write_counts(path)
