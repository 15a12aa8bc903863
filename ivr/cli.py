"""The ``ivr`` command: parses arguments, calls the library, formats its answers.

The only module that prints or exits. Exit codes: 0 fine, 1 an error-severity finding
(``lint``), 2 bad input or usage (one line naming file, line, column and node), 3 an
internal error (a bug: please report it with ``--debug`` output).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from typing import Any, TextIO

from ivr import __version__
from ivr.chain import Chain, compile_chain
from ivr.errors import ConfigError, InputError, IvrError
from ivr.exact import applies as exact_applies
from ivr.exact import solve
from ivr.formats.dot import to_dot
from ivr.formats.mermaid import to_mermaid
from ivr.formats.native import load_population, parse_menu
from ivr.formats.registry import NAMES, is_flow_file, load_any
from ivr.formats.text import MAX_BYTES, read_text
from ivr.formats.yamlout import to_yaml
from ivr.formats.yamltext import parse_yaml
from ivr.lint import RULES, SEVERITIES, Finding, LintConfig, lint
from ivr.metrics import agreement, summarize, summarize_exact
from ivr.model import Menu
from ivr.paths import paths
from ivr.simulate import DEFAULT_SEED, simulate
from ivr.tables import agreement_text, summary_csv, summary_dict, summary_text

CONFIG_NAME = ".ivr-lint.yaml"
#: |z| above which ``simulate --check`` reports disagreement (and exits 1).
CHECK_LIMIT = 4.5
_COLOURS = {"error": "31", "warning": "33", "info": "36", "ok": "32", "dim": "2"}


class _Out:
    """Writes to stdout, colouring only on a terminal (and never with NO_COLOR)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.colour = stream.isatty() and "NO_COLOR" not in os.environ

    def paint(self, text: str, style: str) -> str:
        return f"\033[{_COLOURS[style]}m{text}\033[0m" if self.colour else text

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")


def write_atomically(path: str, text: str) -> None:
    """Write a whole file or nothing: a temporary file renamed over the target."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ivr-", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise InputError(f"cannot write: {exc.strerror or exc}", file=path) from None


def menu_files(targets: Sequence[str]) -> Iterator[str]:
    """Files named, and menu or flow files under folders named, in sorted order."""
    for target in targets:
        if os.path.isdir(target):
            found: list[str] = []
            for root, dirs, files in os.walk(target):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, f) for f in files if is_flow_file(f))
            if not found:
                raise InputError("no menu or flow files in this folder", file=target,
                                 hint="menus are *.yaml or *.yml; exported flows *.json, "
                                      "*.xml, *.vxml or *.conf")
            yield from sorted(found)
        else:
            yield target


def _lint_config(args: argparse.Namespace) -> LintConfig:
    config = LintConfig()
    path = args.config or (CONFIG_NAME if os.path.exists(CONFIG_NAME) else None)
    if path:
        doc = parse_yaml(read_text(path), path)
        config = config.merged(doc.data or {}, path)
    return config.changed(args.disable or (), args.set or ())


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule, "severity": f.severity, "node": f.node, "message": f.message,
        "file": f.source.file if f.source else None,
        "line": f.source.line if f.source else None,
        "column": f.source.column if f.source else None,
        "keys": f.keys,
        "path": [asdict(s) for s in f.path] if f.path is not None else None,
    }


def cmd_lint(args: argparse.Namespace, out: _Out) -> int:
    config = _lint_config(args)
    counts = dict.fromkeys(SEVERITIES, 0)
    unreadable = 0
    reports: list[dict[str, Any]] = []
    files = 0
    for file in menu_files(args.paths):
        files += 1
        try:
            menu = load_any(file, args.from_format, max_bytes=args.max_bytes)
        except IvrError as exc:
            unreadable += 1
            print(str(exc), file=sys.stderr)
            reports.append({"file": file, "error": str(exc), "findings": []})
            continue
        findings = lint(menu, config)
        for f in findings:
            counts[f.severity] += 1
        reports.append({"file": file, "menu": menu.name,
                        "findings": [_finding_json(f) for f in findings]})
        if args.format == "text":
            for f in findings:
                where = str(f.source) if f.source else file
                keys = f"  [keys: {f.keys}]" if f.keys else ""
                out.line(f"{where}: {out.paint(f.severity, f.severity)} {f.rule} "
                         f"[{f.node}] {f.message}{out.paint(keys, 'dim')}")
    if args.format == "json":
        out.line(json.dumps({"files": reports, "counts": counts, "unreadable": unreadable},
                            indent=2))
    else:
        summary = (f"{_count(files, 'file')}: {_count(counts['error'], 'error')}, "
                   f"{_count(counts['warning'], 'warning')}, {counts['info']} info"
                   + (f", {unreadable} unreadable" if unreadable else ""))
        bad = counts["error"] or unreadable
        out.line(out.paint(summary, "error" if bad else "ok"))
    if unreadable:
        return 2
    return 1 if counts["error"] else 0


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def cmd_paths(args: argparse.Namespace, out: _Out) -> int:
    menu = _load(args)
    routes = paths(menu)
    if args.format == "json":
        out.line(json.dumps([{
            "node": r.node, "kind": r.kind, "keys": r.keys, "seconds": r.seconds,
            "fastest_keys": r.fastest_keys, "fastest_seconds": r.fastest_seconds,
            "steps": [asdict(s) for s in r.steps],
        } for r in routes], indent=2))
        return 0
    out.line(f"{menu.name}: how to reach each ending from '{menu.start}'")
    if not routes:
        out.line("  no ending can be reached from the start")
        return 0
    width = max(len(r.node) for r in routes)
    key_width = max(12, *(len(r.keys) for r in routes))
    out.line(f"  {'ending':<{width}}  {'kind':<12}  {'fewest keys':<{key_width}}  "
             f"{'seconds':>7}  fastest (s)")
    for r in routes:
        fastest = "" if r.fastest_keys == r.keys else f"  via {r.fastest_keys}"
        line = (f"  {r.node:<{width}}  {r.kind:<12}  {r.keys:<{key_width}}  "
                f"{r.seconds:7.1f}  {r.fastest_seconds:7.1f}{fastest}")
        out.line(out.paint(line, "ok") if r.kind == "agent" else line)
    people = [r for r in routes if r.kind == "agent"]
    if people:
        out.line(f"To reach a person: {people[0].keys} ({people[0].seconds:.0f} s)")
    else:
        out.line(out.paint("No person can be reached from the start.", "error"))
    return 0


def cmd_graph(args: argparse.Namespace, out: _Out) -> int:
    menu = _load(args)
    text = to_dot(menu) if args.format == "dot" else to_mermaid(menu)
    if args.output:
        write_atomically(args.output, text)
    else:
        out.stream.write(text)
    return 0


def _load(args: argparse.Namespace) -> Menu:
    return load_any(args.file, args.from_format, max_bytes=args.max_bytes)


def _chain(args: argparse.Namespace) -> Chain:
    menu = _load(args)
    population = None
    if args.callers:
        population = load_population(args.callers, menu, max_bytes=args.max_bytes)
    return compile_chain(menu, population)


class _Progress:
    """A progress bar on stderr, only on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        tenth = 40 * done // max(total, 1)
        if tenth != self.last:
            self.last = tenth
            sys.stderr.write(f"\r  [{'#' * tenth}{'.' * (40 - tenth)}] {done:,}/{total:,}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.last >= 0:
            sys.stderr.write("\r" + " " * 70 + "\r")


def cmd_simulate(args: argparse.Namespace, out: _Out) -> int:
    chain = _chain(args)
    bar = _Progress(args.n >= 500_000 and args.format == "text")
    try:
        result = simulate(chain, args.n, seed=args.seed, trace=args.trace, progress=bar)
    finally:
        bar.close()
    summary = summarize(result)
    if args.check:
        if not exact_applies(chain):
            dist = chain.population.patience.distribution
            raise ConfigError("--check needs exponential patience (or none): the exact "
                              f"solution does not apply to {dist}")
        rows = agreement(summary, summarize_exact(chain, solve(chain)))
        if args.format == "json":
            out.line(json.dumps([asdict(r) for r in rows], indent=2))
        else:
            out.line(agreement_text(rows, args.file, args.n, CHECK_LIMIT))
        return 1 if any(abs(r.z) > CHECK_LIMIT for r in rows) else 0
    if args.format == "json":
        d = summary_dict(summary, args.file)
        d["traces"] = [asdict(t) for t in result.traces]
        out.line(json.dumps(d, indent=2))
    elif args.format == "csv":
        out.stream.write(summary_csv([(args.file, summary)]))
    else:
        out.line(summary_text(summary, args.file))
        for t in result.traces:
            out.line("")
            out.line(f"  caller {t.caller} ({t.intent}): {t.outcome} after {t.seconds:.1f} s")
            for node, event, key, to, sec in t.steps:
                what = f"presses {key}" if key else event
                out.line(f"    {node:<20} {what:<12} -> {to:<20} {sec:6.1f} s")
    return 0


def cmd_solve(args: argparse.Namespace, out: _Out) -> int:
    chain = _chain(args)
    summary = summarize_exact(chain, solve(chain))
    if args.format == "json":
        out.line(json.dumps(summary_dict(summary, args.file), indent=2))
    elif args.format == "csv":
        out.stream.write(summary_csv([(args.file, summary)]))
    else:
        out.line(summary_text(summary, args.file))
    return 0


def cmd_import(args: argparse.Namespace, out: _Out) -> int:
    menu = load_any(args.file, args.from_format, max_bytes=args.max_bytes, follow=False)
    text = to_yaml(menu)
    parse_menu(text, args.output or "<output>")  # what we write must load back
    if args.output:
        write_atomically(args.output, text)
        notes = f", {_count(len(menu.notes), 'note')} for lint" if menu.notes else ""
        print(f"{args.file}: {menu.format} flow '{menu.name}' -> {args.output} "
              f"({_count(len(menu.nodes), 'node')}{notes})", file=sys.stderr)
    else:
        out.stream.write(text)
    return 0


def cmd_rules(args: argparse.Namespace, out: _Out) -> int:
    for rule in RULES.values():
        params = ", ".join(f"{k}={v:g}" for k, v in rule.params.items())
        out.line(f"{rule.id:<20} {rule.severity:<8} {rule.summary}"
                 + (f" [{params}]" if params else ""))
    return 0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ivr",
        description="Simulate, lint and audit telephone menus (IVRs).",
        epilog="Exit codes: 0 fine, 1 error findings, 2 bad input. See README.md.",
    )
    parser.add_argument("--version", action="version", version=f"ivr {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, func: Callable[[argparse.Namespace, _Out], int],
                help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(func=func)
        return p

    def from_format(p: argparse.ArgumentParser) -> None:
        p.add_argument("--from", dest="from_format", choices=NAMES, metavar="FORMAT",
                       help="read input as this format instead of detecting it: "
                       + ", ".join(NAMES))

    def max_bytes(p: argparse.ArgumentParser) -> None:
        p.add_argument("--max-bytes", type=_positive_int, default=MAX_BYTES, metavar="N",
                       help=f"refuse input files over N bytes (default {MAX_BYTES:,})")

    p = command("lint", cmd_lint,
                "Check menus for structural problems: no path to a person, dead ends, traps, "
                "hang-ups on error, deep or crowded menus. Exit 1 if any error is found.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="menu files or folders of them")
    from_format(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--config", metavar="FILE",
                   help=f"lint config (YAML: disable, rules); default ./{CONFIG_NAME} if present")
    p.add_argument("--disable", action="append", metavar="RULE", help="turn a rule off")
    p.add_argument("--set", action="append", metavar="RULE.NAME=VALUE",
                   help="change a rule setting, e.g. HUMAN_DEPTH.max=4 or "
                   "LONG_PROMPT.severity=info")
    max_bytes(p)

    p = command("paths", cmd_paths,
                "The cheat sheet: the fewest keys from the start to every ending, "
                "with seconds, and the fastest way when it differs.")
    p.add_argument("file", metavar="FILE", help="a menu file")
    from_format(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    max_bytes(p)

    p = command("graph", cmd_graph, "Draw the menu as Graphviz DOT or a Mermaid flowchart.")
    p.add_argument("file", metavar="FILE", help="a menu file")
    from_format(p)
    p.add_argument("--format", choices=("dot", "mermaid"), default="dot", help="diagram language")
    p.add_argument("-o", "--output", metavar="OUT", help="write to this file (default: stdout)")
    max_bytes(p)

    def population(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", metavar="FILE", help="a menu file (YAML or an exported flow)")
        p.add_argument("--callers", metavar="POP",
                       help="a callers file (default: the menu's callers section)")
        from_format(p)

    p = command("simulate", cmd_simulate,
                "Walk synthetic callers through a menu: outcome shares with 95%% intervals, "
                "seconds and steps to a person, and the per-node funnel.")
    population(p)
    p.add_argument("-n", type=_positive_int, default=100_000, metavar="N",
                   help="number of callers (default 100,000)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"random seed; the same seed gives the same numbers (default "
                   f"{DEFAULT_SEED})")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="output format")
    p.add_argument("--trace", type=int, default=0, metavar="K",
                   help="show the paths of the first K callers")
    p.add_argument("--check", action="store_true",
                   help="compare with the exact solution (z-scores); exit 1 if any |z| > "
                   f"{CHECK_LIMIT:g}")
    max_bytes(p)

    p = command("solve", cmd_solve,
                "The exact figures of the caller model (absorbing Markov chain): outcome "
                "probabilities, expected seconds and steps, visits per node.")
    population(p)
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="output format")
    max_bytes(p)

    p = command("import", cmd_import,
                "Translate an exported flow (Amazon Connect, Twilio Studio, FreeSWITCH, "
                "Asterisk, VoiceXML) into the native YAML menu format.")
    p.add_argument("file", metavar="FILE", help="an exported flow file")
    p.add_argument("-o", "--output", metavar="OUT", help="write to this file (default: stdout)")
    from_format(p)
    max_bytes(p)

    command("rules", cmd_rules, "List the lint rules with their default severity and settings.")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    out = _Out(sys.stdout)
    try:
        return int(args.func(args, out))
    except IvrError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug; keep the promise of one line unless --debug
        if args.debug:
            raise
        print(f"ivr: internal error: {type(exc).__name__}: {exc} (rerun with --debug and "
              "report it)", file=sys.stderr)
        return 3


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
