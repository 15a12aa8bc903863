"""`make bench`: how long ``ivr`` takes to start, beside importing what it cannot avoid.

A linter runs on every save and every commit, so what counts is the wall time of a whole
process. Each command below runs as a fresh process, in rounds (every command once per
round, in turn), so load from other work on the machine falls on all of them alike; the
table gives the median of the rounds, and each ratio is of medians from this one run.

Bytecode is cached for every module (ivr's included), as after any install: the runs use
a temporary ``PYTHONPYCACHEPREFIX`` warmed by one unmeasured round, and
``PYTHONDONTWRITEBYTECODE`` is dropped (with it, every start would compile ivr's sources).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from markdown import publish  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN, END = "<!-- bench:startup:begin -->", "<!-- bench:startup:end -->"
MENU = "menus/bank.yaml"

#: name -> argv after the interpreter (``ivr`` is the installed console script).
COMMANDS = {
    "python -c 'import yaml'": ["-c", "import yaml"],
    "python -c 'import numpy'": ["-c", "import numpy"],
    "python -c 'import scipy.sparse'": ["-c", "import scipy.sparse"],
    "ivr --version": ["IVR", "--version"],
    f"ivr lint {MENU}": ["IVR", "lint", MENU],
    f"ivr paths {MENU}": ["IVR", "paths", MENU],
    f"ivr solve {MENU}": ["IVR", "solve", MENU],
}
#: (command, baseline, the most the ratio may be): issue 17's targets.
TARGETS = (
    ("ivr --version", "python -c 'import yaml'", 1.5),
    (f"ivr lint {MENU}", "python -c 'import numpy'", 2.0),
    (f"ivr paths {MENU}", "python -c 'import numpy'", 2.0),
    (f"ivr solve {MENU}", "python -c 'import scipy.sparse'", 1.5),
)


def argv(name: str) -> list[str]:
    ivr = os.path.join(os.path.dirname(sys.executable), "ivr")
    rest = COMMANDS[name]
    return [ivr, *rest[1:]] if rest[0] == "IVR" else [sys.executable, *rest]


def measure(rounds: int, env: dict[str, str]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for r in range(rounds + 1):
        for name in COMMANDS:
            t = time.perf_counter()
            done = subprocess.run(argv(name), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
            elapsed = time.perf_counter() - t
            if done.returncode not in (0, 1):
                raise SystemExit(f"{name}: exit {done.returncode}: {done.stderr.strip()}")
            if r:  # round 0 warms the bytecode cache
                times[name].append(elapsed)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--write", metavar="FILE", help="update the table in this Markdown file")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as cache:
        env["PYTHONPYCACHEPREFIX"] = cache
        times = measure(args.rounds, env)
    median = {name: statistics.median(ts) for name, ts in times.items()}
    rows = []
    for name, ts in times.items():
        q1, _, q3 = statistics.quantiles(ts, n=4)
        rows.append(f"| `{name}` | {median[name]:.3f} | {q1:.3f}-{q3:.3f} |")
    verdicts = []
    for name, base, limit in TARGETS:
        ratio = median[name] / median[base]
        mark = "**met**" if ratio <= limit else "**not met**"
        verdicts.append(f"| `{name}` | `{base}` | {ratio:.2f}x | at most {limit:g}x | {mark} |")
    table = "\n".join([
        BEGIN,
        f"Measured {date.today().isoformat()} on {os.cpu_count()} cores (load average "
        f"{load:.1f} when it began), Python {platform.python_version()}, by `make bench` "
        f"(`benchmarks/bench_startup.py`): {args.rounds} rounds, each command once per round "
        "as a fresh process, bytecode cached. Seconds of wall time.",
        "",
        "| command | median | middle half |",
        "| --- | ---: | ---: |",
        *rows,
        "",
        "| command | against | ratio of medians | target (issue 17) | |",
        "| --- | --- | ---: | --- | --- |",
        *verdicts,
        END,
    ])
    publish(table, args.write, BEGIN, END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
