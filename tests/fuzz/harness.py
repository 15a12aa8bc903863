"""Running one ivr command on one generated input, and the properties every run must keep.

The command runs in-process (``ivr.cli.main``) with stdout and stderr captured and numpy and
Python warnings recorded. :func:`check` asserts what issue 18 promises for *any* input:

- the exit code is 0, 1 or 2 (never 3, an internal error, nor a traceback);
- on 2, stderr is exactly one line, naming ``file:line:col`` when the input has lines;
  on 0 and 1 it is empty;
- no warning is printed (numpy overflow and the like are handled where they happen);
- JSON output parses strictly (no NaN or Infinity), and its shares are in [0, 1] summing
  to 1, its times and steps non-negative;
- no ``nan`` or ``inf`` in text output;
- the run stays under a wall-time and a peak-memory bound.

Every run is counted per reader (the kind of input) and per command; ``make fuzz`` prints
the counts (tests/fuzz/run.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import resource
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import Any

from ivr.cli import main

#: Bounds on one run: wall seconds (generous: the machine is shared) and peak memory.
MAX_SECONDS = float(os.environ.get("IVR_FUZZ_MAX_SECONDS", "60"))
MAX_PEAK_MB = 2048
NON_FINITE = re.compile(r"(?<![\w.])(?:nan|-?inf|NaN|-?Infinity)(?![\w])")

RUNS: Counter[tuple[str, str]] = Counter()
EXIT2: Counter[str] = Counter()
CODES: Counter[tuple[str, int]] = Counter()


@dataclass
class Run:
    argv: list[str]
    code: int
    out: str
    err: str
    seconds: float
    warned: list[str]


def run(argv: list[str]) -> Run:
    out, err = io.StringIO(), io.StringIO()
    t = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        code = main(argv)
    return Run(argv, code, out.getvalue(), err.getvalue(), time.perf_counter() - t,
               [f"{w.category.__name__}: {w.message}" for w in caught])


def _strict(name: str) -> Any:
    raise AssertionError(f"{name} in JSON output")


def has_lines(path: str) -> bool:
    """Whether the input is text with at least one character (so errors can have a line)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    if not data.strip() or b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check(r: Run, reader: str, inputs: list[str], *, text_output: bool = True,
          json_output: bool | None = None) -> Any:
    """Assert the properties above for run ``r``; return its parsed JSON output (or None)."""
    command = r.argv[0]
    RUNS[(reader, command)] += 1
    CODES[(reader, r.code)] += 1
    what = f"ivr {' '.join(r.argv)}"
    assert r.code in (0, 1, 2), f"{what}: exit {r.code}: {r.err.strip()}"
    assert "Traceback" not in r.err, f"{what}: {r.err}"
    assert not r.warned, f"{what}: warnings {r.warned}"
    assert r.seconds < MAX_SECONDS, f"{what}: {r.seconds:.1f} s"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak < MAX_PEAK_MB, f"{what}: peak memory {peak:.0f} MB"
    lines = r.err.splitlines()
    if r.code == 2:
        EXIT2["all"] += 1
        assert len(lines) == 1 and lines[0].strip(), f"{what}: stderr {r.err!r}"
        named = [f for f in inputs if lines[0].startswith(f + ":")]
        if named and has_lines(named[0]):
            EXIT2["with lines"] += 1
            if not re.match(re.escape(named[0]) + r":\d+:\d+: ", lines[0]):
                EXIT2["without position"] += 1
                raise AssertionError(f"{what}: no file:line:col in {lines[0]!r}")
        return None
    # A deliberate notice ("warning: the plots cannot draw ...") is one line of its own.
    lines = [x for x in lines if not x.startswith("warning: ")]
    if any(a in ("-o", "--output", "--junit") for a in r.argv):  # says what it wrote
        assert len(lines) <= 1 and "error" not in r.err, f"{what}: stderr {r.err!r}"
    else:
        assert not lines, f"{what}: stderr on exit {r.code}: {r.err!r}"
    if json_output is None:
        json_output = "--format" in r.argv and r.argv[r.argv.index("--format") + 1] == "json"
    if json_output:
        data = json.loads(r.out, parse_constant=_strict)
        check_figures(data, what)
        return data
    if text_output:
        given = "".join(_text_of(f) for f in inputs)  # a menu may be named "Infinity"
        for bad in NON_FINITE.finditer(r.out):
            assert bad.group(0) in given, f"{what}: {bad.group(0)!r} in output: " \
                f"{r.out[max(0, bad.start() - 80):bad.end() + 20]!r}"
    return None


def _text_of(path: str) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


def check_figures(data: Any, what: str) -> None:
    """Shares in [0, 1] summing to 1; times and steps finite and non-negative."""
    if isinstance(data, dict):
        outcomes = data.get("outcomes")
        if isinstance(outcomes, dict) and outcomes and all(
                isinstance(v, (dict, float, int)) for v in outcomes.values()):
            values = [v["value"] if isinstance(v, dict) else v for v in outcomes.values()]
            if all(isinstance(v, (int, float)) for v in values):
                assert all(-1e-9 <= v <= 1 + 1e-9 for v in values), f"{what}: {outcomes}"
                assert math.isclose(sum(values), 1.0, abs_tol=1e-6), \
                    f"{what}: shares sum to {sum(values)}"
        for key in ("seconds", "steps", "human_seconds", "human_steps"):
            fig = data.get(key)
            if isinstance(fig, dict):
                for k in ("mean", "low", "high", "p50", "p90"):
                    v = fig.get(k)
                    assert v is None or v >= 0, f"{what}: {key}.{k} = {v}"
            elif isinstance(fig, (int, float)) and not isinstance(fig, bool):
                assert fig >= 0, f"{what}: {key} = {fig}"
        for v in data.values():
            check_figures(v, what)
    elif isinstance(data, list):
        for v in data:
            check_figures(v, what)


def write_counts(path: str) -> None:
    """Add this process's counts to the JSON file ``path`` (for tests/fuzz/run.py)."""
    old: dict[str, Any] = {"runs": {}, "exit2": {}}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            old = json.load(fh)
    for (reader, command), n in RUNS.items():
        key = f"{reader}\t{command}"
        old["runs"][key] = old["runs"].get(key, 0) + n
    for k, n in EXIT2.items():
        old["exit2"][k] = old["exit2"].get(k, 0) + n
    old.setdefault("codes", {})
    for (reader, code), n in CODES.items():
        key = f"{reader}\t{code}"
        old["codes"][key] = old["codes"].get(key, 0) + n
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(old, fh, indent=1)
