"""`make bench`: the worst inputs the limits allow (ivr/limits.py), timed end to end.

Each case is a file at (or near) a limit, generated here, and the ivr command a user would
run on it, called in-process; the table gives the wall time and the peak memory of this
process (ru_maxrss, so a case that stays under the earlier ones' peak shows that peak). Each
of these took minutes or gigabytes before the limits and the linear paths of issue 18.

    python benchmarks/bench_limits.py [--write BENCHMARKS.md] [--only NAME]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date

sys.path.insert(0, os.path.dirname(__file__))
from generate import big_menu_yaml  # noqa: E402
from markdown import replace_section  # noqa: E402

from ivr.cli import main  # noqa: E402
from ivr.limits import MAX_INTENTS, MAX_RETRIES  # noqa: E402

BEGIN, END = "<!-- bench:limits:begin -->", "<!-- bench:limits:end -->"


def schedules_menu(n: int = 20_000) -> str:
    """``n`` schedules, all different, two of them used."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    lines = ["name: Many schedules", "start: main", "schedules:"]
    for i in range(n):
        h = i % 12
        lines.append(f"  s{i}: {{{days[i % 7]}: \"{h + 6:02d}:{i % 60:02d}-{h + 12:02d}:00\","
                     " tz: Europe/Tallinn}")
    lines += ["nodes:",
              "  main: {kind: menu, say: Press 1 or 2., options: {1: a, 2: b}}",
              "  a: {kind: agent, schedule: s1, closed: vm}",
              "  b: {kind: agent, schedule: s2, closed: vm}",
              "  vm: {kind: voicemail}"]
    return "\n".join(lines) + "\n"


def intents_menu(n: int = MAX_INTENTS) -> str:
    """``n`` intents over a menu of 100 self-service nodes and an agent."""
    lines = ["name: Many intents", "start: main", "nodes:",
             "  main: {kind: menu, say: Press a key., options: {0: desk, 1: m1}}",
             "  desk: {kind: agent}"]
    for k in range(1, 11):
        opts = ", ".join(f"{d}: s{k}_{d}" for d in range(1, 10))
        more = f', "*": m{k + 1}' if k < 10 else ""
        lines.append(f"  m{k}: {{kind: menu, say: Choose., options: {{0: desk, {opts}{more}}}}}")
        lines += [f"  s{k}_{d}: {{kind: self_service, say: Done.}}" for d in range(1, 10)]
    lines += ["callers:", "  intents:"]
    goals = [f"s{k}_{d}" for k in range(1, 11) for d in range(1, 10)] + ["desk"]
    share = 1.0 / n
    for i in range(n):
        lines.append(f"    i{i}: {{share: {share!r}, goal: {goals[i % len(goals)]}}}")
    return "\n".join(lines) + "\n"


def queue_menu() -> str:
    """A queue whose line is long: a day's patience, more calls than the agents take."""
    return ("name: Long queue\nstart: main\nnodes:\n"
            "  main: {kind: menu, say: Press 1., options: {1: desk}}\n"
            "  desk: {kind: agent, staff: {agents: 50, handle_time: 600}}\n"
            "callers:\n  intents: {t: {share: 1, goal: desk}}\n"
            "  patience: {mean: 86400}\n  calls_per_hour: 600\n")


def messages_menu(n: int = 20_000) -> str:
    """``n`` messages in a row before a menu."""
    lines = ["name: Long chain", "start: m0", "nodes:"]
    lines += [f"  m{i}: {{kind: message, say: Part {i}., next: m{i + 1}}}" for i in range(n)]
    lines += [f"  m{n}: {{kind: menu, say: Press 0., options: {{0: desk}}}}",
              "  desk: {kind: agent}"]
    return "\n".join(lines) + "\n"


def retries_menu(n: int = 2_000) -> str:
    """``n`` menus, each allowing MAX_RETRIES failures."""
    lines = ["name: Retries", "start: m0", f"defaults: {{retries: {MAX_RETRIES}}}", "nodes:"]
    lines += [f"  m{i}: {{kind: menu, say: Press 1., options: {{1: m{i + 1}, 0: desk}}}}"
              for i in range(n)]
    lines += [f"  m{n}: {{kind: agent}}", "  desk: {kind: agent}"]
    return "\n".join(lines) + "\n"


def voicexml(n: int = 10_000) -> str:
    """``n`` forms of one field each, with noinput/nomatch handlers (3.7 MB)."""
    parts = ['<?xml version="1.0"?>\n<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml">']
    for i in range(n):
        nxt = f"f{(i + 1) % n}"
        parts.append(
            f'<form id="f{i}"><field name="x{i}"><prompt>Press 1 for next, 2 for start.'
            '</prompt><grammar mode="dtmf" root="r"><rule id="r"><one-of><item>1</item>'
            '<item>2</item></one-of></rule></grammar><noinput count="1"><reprompt/>'
            f'</noinput><noinput count="2"><goto next="#{nxt}"/></noinput><nomatch>'
            f'<reprompt/></nomatch><filled><if cond="x{i}==\'1\'"><goto next="#{nxt}"/>'
            '<else/><goto next="#f0"/></if></filled></field></form>')
    return "\n".join(parts) + "\n</vxml>\n"


def big_menu(nodes: int = 100_000) -> str:
    return big_menu_yaml(nodes, seed=7)


#: name, what it is, file maker, file suffix, command (FILE stands for the file).
CASES: list[tuple[str, str, Callable[[], str], str, list[str]]] = [
    ("schedules", "20,000 schedules, 2 used", schedules_menu, ".yaml", ["solve", "FILE"]),
    ("intents-solve", f"{MAX_INTENTS:,} intents (the limit)", intents_menu, ".yaml",
     ["solve", "FILE"]),
    ("intents-simulate", f"{MAX_INTENTS:,} intents (the limit)", intents_menu, ".yaml",
     ["simulate", "-n", "20000", "FILE"]),
    ("long-queue", "a queue of patience 1 day, overloaded", queue_menu, ".yaml",
     ["simulate", "-n", "2000", "FILE"]),
    ("retries", f"2,000 menus of {MAX_RETRIES} retries (the limit)", retries_menu, ".yaml",
     ["solve", "FILE"]),
    ("messages-paths", "20,000 messages in a row", messages_menu, ".yaml", ["paths", "FILE"]),
    ("voicexml-graph", "VoiceXML, 10,000 forms", voicexml, ".vxml", ["graph", "FILE"]),
    ("voicexml-import", "VoiceXML, 10,000 forms", voicexml, ".vxml",
     ["import", "FILE", "-o", "OUT"]),
    ("big-compare", "100,000-node menu against itself", big_menu, ".yaml",
     ["compare", "FILE", "FILE", "-n", "20000"]),
]


def run(name: str, maker: Callable[[], str], suffix: str, argv: list[str],
        folder: str) -> tuple[float, float, int, int]:
    path = os.path.join(folder, name + suffix)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(maker())
    args = [path if a == "FILE" else os.path.join(folder, name + ".out.yaml") if a == "OUT"
            else a for a in argv]
    sink = io.StringIO()
    t = time.perf_counter()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        code = main(args)
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return wall, peak, os.path.getsize(path), code


def main_() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", metavar="FILE", help="update the table in this Markdown file")
    parser.add_argument("--only", metavar="NAME", help="run one case")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, what, maker, suffix, argv in CASES:
            if args.only and name != args.only:
                continue
            wall, peak, size, code = run(name, maker, suffix, argv, folder)
            cmd = "ivr " + " ".join(a for a in argv if a not in ("FILE", "OUT", "-o"))
            rows.append(f"| {what} | {size / 1e6:.1f} MB | `{cmd}` | {code} | {wall:.1f} | "
                        f"{peak:,.0f} |")
            print(rows[-1], flush=True)
    table = "\n".join([
        BEGIN,
        f"Measured {date.today()} on {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, by `make bench` (`benchmarks/bench_limits.py`, one run "
        "each, in one process: peak memory is that process's high-water mark so far).",
        "",
        "| input | size | command | exit | seconds | peak MB |",
        "| --- | ---: | --- | ---: | ---: | ---: |",
        *rows, END])
    if args.write and not args.only:
        replace_section(args.write, BEGIN, END, table)
    return 0


if __name__ == "__main__":
    sys.exit(main_())
