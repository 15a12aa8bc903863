"""Commands that walk one call through a menu: test (journeys) and call (a walk-through)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from ivr.cli.common import (
    Command,
    Out,
    count,
    from_format,
    load,
    load_file,
    max_bytes,
    write_atomically,
)
from ivr.errors import ConfigError, InputError, IvrError, LoadError
from ivr.formats.journeys import (
    SILENCE,
    THEN,
    JourneyFile,
    is_journeys,
    key_problem,
    load_journeys,
    parse_keys,
)
from ivr.language.display import wrap
from ivr.model import Menu
from ivr.walk.journeys import JourneyResult, JourneysReport, run_file
from ivr.walk.walker import Walk, Walker, WalkStep, at_minute, path_text, step_words
from ivr.week import parse_at

# --------------------------------------------------------------------------- arguments

def _at(text: str) -> str:
    try:
        parse_at(text)  # read in the menu's clock once the menu is loaded
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _branch(text: str) -> tuple[str, str]:
    node, eq, target = text.partition("=")
    if not eq or not node.strip() or not target.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write NODE=TARGET, e.g. "
                                         "account_lookup=account_not_found")
    return node.strip(), target.strip()


def _keys(text: str) -> tuple[str, ...]:
    try:
        return parse_keys(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# --------------------------------------------------------------------------- ivr test

def _journey_files(paths: list[str]) -> Iterator[str]:
    for path in paths:
        if os.path.isdir(path):
            found = sorted(os.path.join(root, f) for root, dirs, files in os.walk(path)
                           for f in files if f.endswith((".yaml", ".yml")))
            if not found:
                raise InputError("no journeys files (*.yaml, *.yml) in this folder", file=path)
            yield from found
        else:
            yield path


def _menu_for(jf: JourneyFile, menu_path: str | None, args: argparse.Namespace,
              menus: dict[str, Menu]) -> tuple[str, Menu]:
    path = menu_path or jf.menu
    if path is None:
        raise LoadError("the journeys file names no menu", file=jf.file, line=1, column=1,
                        hint="add 'menu: PATH' (relative to the journeys file), or run "
                        "ivr test MENU JOURNEYS")
    if path not in menus:
        try:
            menus[path] = load_file(args, path)
        except InputError as exc:
            if menu_path is not None or jf.menu_source is None:
                raise
            src = jf.menu_source
            raise LoadError(f"menu {path}: {exc.message}", file=jf.file, line=src.line,
                            column=src.column, hint=exc.hint) from None
    return path, menus[path]


def _result_json(r: JourneyResult) -> dict[str, Any]:
    return {"name": r.journey.name, "passed": r.passed, "failures": list(r.failures),
            "line": r.journey.source.line, "keys": list(r.journey.keys), **_walk_json(r.walk)}


def _walk_json(w: Walk) -> dict[str, Any]:
    return {
        "at": w.when, "outcome": w.outcome,
        "ending": w.ending, "seconds": round(w.seconds, 6), "reason": w.reason,
        "unused": list(w.unused), "path": path_text(w),
        "steps": [{**asdict(s), "elapsed": round(s.elapsed, 6)} for s in w.steps],
    }


def _summary(w: Walk) -> str:
    if w.ended:
        return f"{w.outcome} at {w.ending}, {w.seconds:.1f} s"
    return f"{w.reason}, {w.seconds:.1f} s" if w.steps else str(w.reason)


def _step_rows(steps: tuple[WalkStep, ...], indent: str) -> Iterator[str]:
    for s in steps:
        what = step_words(s) or s.event
        yield (f"{indent}{s.node:<20} {what:<22} -> {s.target:<20} {s.seconds:6.1f} s"
               f"  {s.elapsed:7.1f} s")


def _report_text(rep: JourneysReport, out: Out, steps: bool) -> None:
    when = f" at {rep.when}" if rep.when else ""
    out.line(f"{rep.file}: {rep.menu_file} ({rep.menu}){when}")
    for r in rep.results:
        mark = out.paint("PASS", "ok") if r.passed else out.paint("FAIL", "error")
        own = f"at {r.walk.when}; " if r.walk.at != rep.at else ""
        out.line(f"  {mark}  {r.journey.name}  [{own}{_summary(r.walk)}]")
        out.line(out.paint(f"        {path_text(r.walk)}", "dim"))
        for f in r.failures:
            out.line(f"        {out.paint(f, 'error')}")
        if steps:
            for row in _step_rows(r.walk.steps, "          "):
                out.line(row)


def _junit(reports: list[JourneysReport], broken: list[tuple[str, str]]) -> str:
    tests = sum(len(r.results) for r in reports) + len(broken)
    failures = sum(r.failed for r in reports)
    root = ET.Element("testsuites", name="ivr test", tests=str(tests),
                      failures=str(failures), errors=str(len(broken)))
    for rep in reports:
        suite = ET.SubElement(root, "testsuite", name=rep.file, tests=str(len(rep.results)),
                              failures=str(rep.failed), errors="0", time="0")
        cls = os.path.splitext(rep.file)[0].replace(os.sep, ".").replace("/", ".")
        for r in rep.results:
            case = ET.SubElement(suite, "testcase", classname=cls, name=r.journey.name,
                                 time="0")
            if r.failures:
                fail = ET.SubElement(case, "failure", message="; ".join(r.failures),
                                     type="JourneyFailed")
                fail.text = "\n".join([*r.failures, path_text(r.walk)])
            ET.SubElement(case, "system-out").text = (
                f"{path_text(r.walk)}\n{_summary(r.walk)}")
    for file, error in broken:
        suite = ET.SubElement(root, "testsuite", name=file, tests="1", failures="0",
                              errors="1", time="0")
        case = ET.SubElement(suite, "testcase", classname="ivr", name=file, time="0")
        ET.SubElement(case, "error", message=error, type="BadInput")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def cmd_test(args: argparse.Namespace, out: Out) -> int:
    paths = list(args.paths)
    first = paths[0]
    if not os.path.exists(first):
        raise InputError("no such file", file=first)
    menu_path = None
    if not (os.path.isdir(first) or is_journeys(first, max_bytes=args.max_bytes)):
        menu_path = paths.pop(0)
        if not paths:
            raise ConfigError(f"{first} is a menu: give the journeys to run too",
                              hint="ivr test MENU JOURNEYS, or a journeys file with menu:")
    menus: dict[str, Menu] = {}
    reports: list[JourneysReport] = []
    broken: list[tuple[str, str]] = []
    for file in _journey_files(paths):
        try:
            jf = load_journeys(file, max_bytes=args.max_bytes)
            path, menu = _menu_for(jf, menu_path, args, menus)
            reports.append(run_file(jf, menu, menu_file=path, at=args.at))
        except IvrError as exc:
            print(str(exc), file=sys.stderr)
            broken.append((file, str(exc)))
            continue
        if args.format == "text":
            _report_text(reports[-1], out, args.steps)
    passed = sum(r.passed for r in reports)
    failed = sum(r.failed for r in reports)
    if args.junit:
        write_atomically(args.junit, _junit(reports, broken))
    if args.format == "json":
        out.line(json.dumps({
            "files": [{"file": r.file, "menu_file": r.menu_file, "menu": r.menu,
                       "at": r.when,
                       "journeys": [_result_json(x) for x in r.results]} for r in reports],
            "passed": passed, "failed": failed,
            "unreadable": [{"file": f, "error": e} for f, e in broken]}, indent=2))
    else:
        files = f"{count(len(reports) + len(broken), 'file')}, " if len(reports) > 1 or broken \
            else ""
        summary = (f"{files}{count(passed + failed, 'journey')}: {passed} passed"
                   + (f", {failed} failed" if failed else "")
                   + (f", {len(broken)} unreadable" if broken else ""))
        out.line(out.paint(summary, "error" if failed or broken else "ok"))
    if broken:
        return 2
    return 1 if failed else 0


# --------------------------------------------------------------------------- ivr call

_PAD = " " * 11
#: Events where the caller does something (a key, digits, or silence).
_CALLER = ("option", "invalid", "timeout", "fail")


def _by_caller(step: WalkStep) -> bool:
    return step.event in _CALLER or (step.event == "next" and step.key is not None)


def _arrival(walker: Walker, node: str, elapsed: float, waiting: bool) -> list[str]:
    """The lines for reaching a node: its kind, its prompt, and the keys it takes."""
    n = walker.menu.nodes.get(node)
    head = f"[{elapsed:6.1f} s] {node}"
    if n is None:  # the implicit hang-up
        return [head]
    lines = [f"{head} ({n.kind}" + (f": {n.label})" if n.label else ")")]
    columns = min(100, shutil.get_terminal_size((100, 24)).columns)
    if n.say:
        lines += wrap(f'"{n.say.strip()}"', columns, _PAD, _PAD + " ")
    if waiting and n.kind == "menu":
        opts = [f"{o.key} -> {o.target}" + (f" ({o.label})" if o.label else "")
                for o in n.options]
        lines += wrap("keys: " + (", ".join(opts) if opts else "none"), columns, _PAD,
                      _PAD + "      ")
    elif waiting and n.kind == "input":
        digits = f"{n.digits} digits" if n.digits else "digits"
        lines.append(f"{_PAD}type {digits} as one entry (e.g. {'1' * (n.digits or 4)})")
    return lines


def _event(step: WalkStep) -> str | None:
    """A line for what happened at a step, beyond the key the caller pressed."""
    e = step.event
    if e in ("invalid", "timeout", "fail"):
        what = "silence" if step.key is None else f"{step.key}: {step.note or 'invalid'}"
        left = f" (failure {step.failures + 1} of {step.retries})" \
            if e == "fail" or step.target == step.node else ""
        return f"{what}{left}" + (f", on to {step.target}" if e == "fail" else "")
    if e in ("open", "closed"):
        return f"{step.node} is {e} at this time"
    if e == "chance":
        return (f"{step.note} -> {step.target} (choose with --branch "
                f"{step.node}=TARGET)")
    return None


def _transcript(walker: Walker, walk: Walk, done: int, echo: bool) -> Iterator[str]:
    """Lines for the steps of ``walk`` from step ``done`` on (0: from the start);
    ``echo`` writes each key pressed, as a non-interactive run has nobody typing."""
    steps = walk.steps

    def waiting(i: int) -> bool:  # is the node reached by step i (-1: the start) waiting?
        return _by_caller(steps[i + 1]) if i + 1 < len(steps) else walk.state >= 0

    if done == 0:
        yield from _arrival(walker, walk.start, 0.0, waiting(-1))
    for i in range(done, len(steps)):
        step = steps[i]
        if echo and _by_caller(step):
            yield f"  press> {step.key if step.key is not None else '(silence)'}"
        event = _event(step)
        if event:
            yield _PAD + event
        if i == len(steps) - 1 and walk.reason and walk.reason.startswith("dead end"):
            yield f"{_PAD}{step.node} has no way on (a dead end)"
            continue
        yield from _arrival(walker, step.target, step.elapsed, waiting(i))


def _ending(walk: Walk) -> str:
    if walk.ended:
        why = f" ({walk.reason})" if walk.reason else ""
        return (f"=> call ended: {walk.outcome} at {walk.ending} after {walk.seconds:.1f} s"
                f"{why}")
    return f"=> call not ended: {walk.reason} after {walk.seconds:.1f} s"


def _read(prompt: str, out: Out) -> str | None:
    out.stream.write(prompt)
    out.stream.flush()
    line = sys.stdin.readline()
    if not line:  # Ctrl-D / end of input
        out.line()
        return None
    token = line.strip()
    if not sys.stdin.isatty():  # show what was read, so the transcript reads the same
        out.line(token or "(silence)")
    return token


def cmd_call(args: argparse.Namespace, out: Out) -> int:
    if args.format == "json" and args.keys is None:
        raise ConfigError("--format json needs --keys (a walk-through is interactive)")
    menu = load(args)
    walker = Walker(menu, at=at_minute(menu, args.at) if args.at else None)
    if args.keys is not None:
        walk = walker.run(args.keys, then=args.then, branch=args.branch or (),
                          seed=args.seed)
        if args.format == "json":
            out.line(json.dumps({"file": args.file, "menu": menu.name,
                                 "keys": list(args.keys), **_walk_json(walk)}, indent=2))
            return 0
    _header(walker, out, args.file, interactive=args.keys is None)
    if args.keys is not None:
        for line in _transcript(walker, walk, 0, echo=True):
            out.line(line)
        if walk.unused:
            out.line(f"           keys not pressed: {', '.join(walk.unused)}")
        out.line(_ending(walk))
        return 0
    walk = walker.begin(args.branch or (), args.seed)
    for line in _transcript(walker, walk, 0, echo=False):
        out.line(line)
    while not walk.ended:
        token = _read("  press> ", out)
        if token is None or token.lower() in ("q", "quit", "exit"):
            walk = walker.hang_up(walk)
            break
        problem = key_problem(token)
        if problem:
            out.line(f"           {problem}; Enter = silence, q = hang up")
            continue
        done = len(walk.steps)
        walk = walker.press(walk, SILENCE if token in ("", "wait") else token)
        for line in _transcript(walker, walk, done, echo=False):
            out.line(line)
    out.line(_ending(walk))
    return 0


def _header(walker: Walker, out: Out, file: str, interactive: bool) -> None:
    when = ""
    if walker.at is not None:
        state = walker.open_schedules
        parts = [f"{', '.join(n for n in state if state[n] is o)} {word}"
                 for o, word in ((True, "open"), (False, "closed")) if o in state.values()]
        when = f" at {walker.when}: {'; '.join(parts)}"
    out.line(f"{walker.menu.name} ({file}){when}")
    if interactive:
        out.line("Press a key and Enter (several in a row for an extension or digit entry); "
                 "Enter alone = silence; q or Ctrl-D = hang up.")
    out.line()


# --------------------------------------------------------------------------- register

def _walk_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--at", type=_at, metavar="WHEN",
                   help="when the call is made: 'mon 19:30' in the menu's time zone (its "
                   "first schedule's), or 'mon 19:30 Europe/Madrid' (default: the first "
                   "time of the week the most schedules are open)")
    max_bytes(p)


def register(command: Command) -> None:
    p = command("test", cmd_test,
                "Run journeys (key sequences and the node or outcome they must reach) "
                "against a menu, offline: PASS or FAIL per journey; exit 1 on a failure.")
    p.add_argument("paths", nargs="+", metavar="FILE",
                   help="journeys files or folders (each naming its menu), or a menu "
                   "followed by journeys files")
    from_format(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--junit", metavar="OUT", help="also write JUnit XML (for CI) to OUT")
    p.add_argument("--steps", action="store_true", help="show every step of every journey")
    _walk_options(p)

    p = command("call", cmd_call,
                "Walk through a menu in the terminal: hear each prompt, press keys (Enter = "
                "silence), see the seconds and how the call ends.")
    p.add_argument("file", metavar="FILE", help="a menu file (YAML or an exported flow)")
    from_format(p)
    p.add_argument("--keys", type=_keys, metavar="KEYS",
                   help="press these keys and print the walk, e.g. 2,1,0 ('-' or an "
                   "empty item = silence, 1000 = typed in a row; write --keys=-,1 when "
                   "the first is a silence)")
    p.add_argument("--then", choices=THEN, default="stop",
                   help="with --keys, when they run out: stop there, or stay silent until "
                   "the call ends (default stop)")
    p.add_argument("--branch", type=_branch, action="append", metavar="NODE=TARGET",
                   help="take this target at a chance branch (default: the most likely)")
    p.add_argument("--seed", type=int, help="draw chance branches by their probabilities")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="output format (json needs --keys)")
    _walk_options(p)
