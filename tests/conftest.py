"""Test settings: hypothesis explores freely on a developer's machine, and replays the same
examples under CI (CI=true), so a CI run can only fail for a reason someone can reproduce."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# A figure that is not finite or out of range is a bug: raise it (ivr.figures), never show N/A.
os.environ.setdefault("IVR_STRICT_FIGURES", "1")
