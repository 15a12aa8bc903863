"""Commands that read a menu's structure: lint, rules, paths, graph, import."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from ivr.cli.common import (
    Command,
    Out,
    count,
    from_format,
    lint_config,
    lint_options,
    load,
    max_bytes,
    menu_files,
    write_atomically,
)
from ivr.errors import IvrError, one_line
from ivr.figures import dumps
from ivr.formats.dot import to_dot
from ivr.formats.mermaid import to_mermaid
from ivr.formats.native import parse_menu
from ivr.formats.registry import load_any
from ivr.formats.yamlout import to_yaml
from ivr.structure.graph import to_graph
from ivr.structure.lint import RULES, SEVERITIES, Finding, lint
from ivr.structure.paths import paths


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule, "severity": f.severity, "node": f.node, "message": f.message,
        "file": f.source.file if f.source else None,
        "line": f.source.line if f.source else None,
        "column": f.source.column if f.source else None,
        "keys": f.keys,
        "path": [asdict(s) for s in f.path] if f.path is not None else None,
    }


def cmd_lint(args: argparse.Namespace, out: Out) -> int:
    config = lint_config(args)
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
        out.line(dumps({"files": reports, "counts": counts, "unreadable": unreadable},
                            indent=2))
    else:
        summary = (f"{count(files, 'file')}: {count(counts['error'], 'error')}, "
                   f"{count(counts['warning'], 'warning')}, {counts['info']} info"
                   + (f", {unreadable} unreadable" if unreadable else ""))
        bad = counts["error"] or unreadable
        out.line(out.paint(summary, "error" if bad else "ok"))
    if unreadable:
        return 2
    return 1 if counts["error"] else 0


def cmd_paths(args: argparse.Namespace, out: Out) -> int:
    menu = load(args)
    routes = paths(menu)
    if args.format == "json":
        out.line(dumps([{
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


def cmd_graph(args: argparse.Namespace, out: Out) -> int:
    menu = load(args)
    g = to_graph(menu)
    text = to_dot(g) if args.format == "dot" else to_mermaid(g)
    if args.output:
        write_atomically(args.output, text)
    else:
        out.stream.write(text)
    return 0


def cmd_import(args: argparse.Namespace, out: Out) -> int:
    menu = load_any(args.file, args.from_format, max_bytes=args.max_bytes, follow=False)
    text = to_yaml(menu)
    parse_menu(text, args.output or "<output>")  # what we write must load back
    if args.output:
        write_atomically(args.output, text)
        notes = f", {count(len(menu.notes), 'note')} for lint" if menu.notes else ""
        print(one_line(f"{args.file}: {menu.format} flow {menu.name!r} -> {args.output} "
                       f"({count(len(menu.nodes), 'node')}{notes})"), file=sys.stderr)
    else:
        out.stream.write(text)
    return 0


def cmd_rules(args: argparse.Namespace, out: Out) -> int:
    for rule in RULES.values():
        params = ", ".join(f"{k}={v:g}" for k, v in rule.params.items())
        out.line(f"{rule.id:<20} {rule.severity:<8} {rule.summary}"
                 + (f" [{params}]" if params else ""))
    return 0



def register(command: Command) -> None:
    p = command("lint", cmd_lint,
                "Check menus for structural problems: no path to a person, dead ends, traps, "
                "hang-ups on error, deep or crowded menus. Exit 1 if any error is found.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="menu files or folders of them")
    from_format(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    lint_options(p)
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

    p = command("import", cmd_import,
                "Translate an exported flow (Amazon Connect, Twilio Studio, FreeSWITCH, "
                "Asterisk, VoiceXML) into the native YAML menu format.")
    p.add_argument("file", metavar="FILE", help="an exported flow file")
    p.add_argument("-o", "--output", metavar="OUT", help="write to this file (default: stdout)")
    from_format(p)
    max_bytes(p)

    command("rules", cmd_rules, "List the lint rules with their default severity and settings.")
