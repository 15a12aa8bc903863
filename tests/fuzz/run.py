"""`make fuzz`: the fuzz suite (tests/fuzz) in rounds with fresh seeds for a given time.

    python tests/fuzz/run.py [--minutes 30] [--examples 300]

Each round runs every fuzz test with ``--examples`` inputs (IVR_FUZZ=long also adds the
report and CSV commands) and a new random seed; rounds go on until the time is up or a
round fails. At the end it prints how many inputs each reader and command got, and how
many exit-2 messages lacked a position. Exit 1 if any round failed (its output says which
input, with a @reproduce_failure blob).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--examples", type=int, default=300,
                        help="inputs per fuzz test and round")
    args = parser.parse_args()
    end = time.monotonic() + args.minutes * 60
    counts = os.path.join(tempfile.mkdtemp(prefix="ivr-fuzz-"), "counts.json")
    env = dict(os.environ, IVR_FUZZ="long", IVR_FUZZ_EXAMPLES=str(args.examples),
               IVR_FUZZ_COUNTS=counts)
    env.pop("CI", None)  # fresh inputs every round, not the replayed CI ones
    rounds = failed = 0
    while time.monotonic() < end and not failed:
        seed = random.randrange(2**32)
        rounds += 1
        print(f"round {rounds} (seed {seed})", flush=True)
        code = subprocess.call([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                f"--hypothesis-seed={seed}", HERE], env=env)
        failed = code != 0
    report(counts, rounds)
    return 1 if failed else 0


def report(path: str, rounds: int) -> None:
    if not os.path.exists(path):
        print("no inputs were run")
        return
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    table: dict[str, dict[str, int]] = defaultdict(dict)
    commands: set[str] = set()
    for key, n in data["runs"].items():
        reader, command = key.split("\t")
        table[reader][command] = n
        commands.add(command)
    cols = sorted(commands)
    print(f"\ninputs run per reader and command ({rounds} rounds):")
    print("| reader | " + " | ".join(cols) + " | all |")
    print("| --- |" + " ---: |" * (len(cols) + 1))
    for reader in sorted(table):
        row = table[reader]
        print(f"| {reader} | " + " | ".join(f"{row.get(c, 0):,}" for c in cols)
              + f" | {sum(row.values()):,} |")
    codes: dict[str, dict[str, int]] = defaultdict(dict)
    for key, n in data.get("codes", {}).items():
        reader, code = key.split("\t")
        codes[reader][code] = n
    print("\nexit codes per reader (0 fine, 1 a failed check, 2 bad input):")
    print("| reader | 0 | 1 | 2 |")
    print("| --- | ---: | ---: | ---: |")
    for reader in sorted(codes):
        print(f"| {reader} | " + " | ".join(f"{codes[reader].get(c, 0):,}" for c in "012")
              + " |")
    total = sum(sum(r.values()) for r in table.values())
    ex = data["exit2"]
    print(f"\n{total:,} runs; exit 2: {ex.get('all', 0):,}, of which on inputs with lines "
          f"{ex.get('with lines', 0):,}, without a position {ex.get('without position', 0):,}")


if __name__ == "__main__":
    sys.exit(main())
