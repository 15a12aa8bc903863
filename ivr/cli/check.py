"""Commands that read a menu's structure: lint, rules, paths, graph, import."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from ivr.cli.common import (
    Command,
    Out,
    count,
    from_format,
    lint_config,
    lint_options,
    load,
    load_file,
    max_bytes,
    menu_files,
    repo_root,
    write_atomically,
)
from ivr.errors import ConfigError, IvrError

if TYPE_CHECKING:
    from ivr.model import Menu
    from ivr.structure.lint import Finding


def _finding_json(f: Finding) -> dict[str, Any]:
    from dataclasses import asdict

    return {
        "rule": f.rule, "severity": f.severity, "node": f.node, "message": f.message,
        "file": f.source.file if f.source else None,
        "line": f.source.line if f.source else None,
        "column": f.source.column if f.source else None,
        "keys": f.keys,
        "path": [asdict(s) for s in f.path] if f.path is not None else None,
        "share": f.share,
    }


def cmd_lint(args: argparse.Namespace, out: Out) -> int:
    from ivr.callers.dropped import lint_menu
    from ivr.callers.reach import person_hours
    from ivr.structure.lint import SEVERITIES
    from ivr.structure.topology import Topology

    config = lint_config(args)
    counts = dict.fromkeys(SEVERITIES, 0)
    unreadable = 0
    reports: list[dict[str, Any]] = []
    found: list[tuple[str, list[Finding] | str]] = []  # per file, for SARIF
    report = Out(io.StringIO()) if args.output else out
    files = 0
    for file in menu_files(args.paths):
        files += 1
        try:
            menu = load_file(args, file)
        except IvrError as exc:
            unreadable += 1
            print(str(exc), file=sys.stderr)
            reports.append({"file": file, "error": str(exc), "findings": []})
            found.append((file, str(exc)))
            continue
        top = Topology.of(menu)
        findings = lint_menu(menu, config, top)
        hours = person_hours(menu, top)
        for f in findings:
            counts[f.severity] += 1
        reports.append({"file": file, "menu": menu.name,
                        "findings": [_finding_json(f) for f in findings],
                        "person": {"hours": hours.hours, "calls": hours.calls,
                                   "headline": hours.headline()}})
        found.append((file, findings))
        if args.format == "text":
            for f in findings:
                where = str(f.source) if f.source else file
                keys = f"  [keys: {f.keys}]" if f.keys else ""
                report.line(f"{where}: {report.paint(f.severity, f.severity)} {f.rule} "
                            f"[{f.node}] {f.message}{report.paint(keys, 'dim')}")
            report.line(report.paint(f"{file}: {hours.headline()}", "dim"))
    summary = (f"{count(files, 'file')}: {count(counts['error'], 'error')}, "
               f"{count(counts['warning'], 'warning')}, {counts['info']} info"
               + (f", {unreadable} unreadable" if unreadable else ""))
    if args.format == "json":
        report.line(json.dumps({"files": reports, "counts": counts, "unreadable": unreadable},
                               indent=2))
    elif args.format == "sarif":
        from ivr.audit.sarif import lint_log

        report.line(json.dumps(lint_log(found, root=args.root or repo_root()), indent=2))
    else:
        bad = counts["error"] or unreadable
        report.line(report.paint(summary, "error" if bad else "ok"))
    if args.output:
        assert isinstance(report.stream, io.StringIO)
        write_atomically(args.output, report.stream.getvalue())
        print(f"{args.output}: {summary}", file=sys.stderr)
    if unreadable:
        return 2
    return 1 if counts["error"] else 0


def cmd_paths(args: argparse.Namespace, out: Out) -> int:
    from dataclasses import asdict

    from ivr.language.display import pad
    from ivr.language.display import width as display_width
    from ivr.structure.paths import paths

    menu = load(args)
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
    width = max(display_width(r.node) for r in routes)
    key_width = max(12, *(display_width(r.keys) for r in routes))
    out.line(f"  {pad('ending', width)}  {'kind':<12}  {pad('fewest keys', key_width)}  "
             f"{'seconds':>7}  fastest (s)")
    for r in routes:
        fastest = "" if r.fastest_keys == r.keys else f"  via {r.fastest_keys}"
        line = (f"  {pad(r.node, width)}  {r.kind:<12}  {pad(r.keys, key_width)}  "
                f"{r.seconds:7.1f}  {r.fastest_seconds:7.1f}{fastest}")
        out.line(out.paint(line, "ok") if r.kind == "agent" else line)
    people = [r for r in routes if r.kind == "agent"]
    if people:
        out.line(f"To reach a person: {people[0].keys} ({people[0].seconds:.0f} s)")
    else:
        out.line(out.paint("No person can be reached from the start.", "error"))
    return 0


def cmd_graph(args: argparse.Namespace, out: Out) -> int:
    from ivr.formats.dot import to_dot
    from ivr.formats.mermaid import to_mermaid
    from ivr.structure.graph import to_graph

    menu = load(args)
    g = to_graph(menu)
    text = to_dot(g) if args.format == "dot" else to_mermaid(g)
    if args.output:
        write_atomically(args.output, text)
    else:
        out.stream.write(text)
    return 0


def cmd_import(args: argparse.Namespace, out: Out) -> int:
    from ivr.formats.native import parse_menu
    from ivr.formats.yamlout import to_yaml

    if os.path.isdir(args.file):
        return _import_folder(args)
    menu = load_file(args, args.file)  # flows it hands calls to are inlined: one menu
    text = to_yaml(menu)
    parse_menu(text, args.output or "<output>")  # what we write must load back
    if args.output:
        write_atomically(args.output, text)
        notes = f", {count(len(menu.notes), 'note')} for lint" if menu.notes else ""
        others = sorted({os.path.basename(n.source.file) for n in menu.nodes.values()}
                        - {os.path.basename(args.file)})
        linked = f"; linked flows inlined: {', '.join(others)}" if others else ""
        print(f"{args.file}: {menu.format} flow '{menu.name}' -> {args.output} "
              f"({count(len(menu.nodes), 'node')}{notes}{linked})", file=sys.stderr)
    else:
        out.stream.write(text)
    return 0


def _import_folder(args: argparse.Namespace) -> int:
    """Every flow of a folder as a native menu of its own in OUT, the links between them
    kept: a ``flow:`` names the written file, so lint follows them as it did the exports."""
    from dataclasses import replace

    from ivr.formats.native import parse_menu
    from ivr.formats.registry import linked_files
    from ivr.formats.yamlout import to_yaml

    if not args.output or os.path.isfile(args.output):
        raise ConfigError("importing a folder writes one menu per flow: give -o FOLDER",
                          hint=f"e.g. ivr import {args.file} -o menus/")
    files = [f for f in menu_files([args.file]) if os.path.isfile(f)]
    written: dict[str, str] = {}  # input file -> output file
    menus: dict[str, Menu] = {}
    bad = 0
    for file in files:
        try:
            menus[file] = load_file(args, file, follow=False)
        except IvrError as exc:
            bad += 1
            print(str(exc), file=sys.stderr)
            continue
        rel = os.path.relpath(file, args.file)
        name = os.path.join(args.output, os.path.splitext(rel)[0] + ".yaml")
        while name in written.values():
            name = name.removesuffix(".yaml") + "_2.yaml"
        written[file] = name
    for file, menu in menus.items():
        links = linked_files(menu, args.max_bytes)
        nodes = dict(menu.nodes)
        for nid, target in links.items():
            if target in written:
                nodes[nid] = replace(nodes[nid], flow=os.path.basename(written[target]))
        menu = replace(menu, nodes=nodes)
        text = to_yaml(menu)
        parse_menu(text, written[file])
        os.makedirs(os.path.dirname(written[file]) or ".", exist_ok=True)
        write_atomically(written[file], text)
        kept = sorted({os.path.basename(written[t]) for t in links.values() if t in written})
        print(f"{file}: {menu.format} flow '{menu.name}' -> {written[file]} "
              f"({count(len(menu.nodes), 'node')}"
              + (f"; links kept to {', '.join(kept)}" if kept else "") + ")", file=sys.stderr)
    print(f"{count(len(menus), 'flow')} -> {args.output}: one menu per flow, linked (a "
          "transfer to another flow of the folder names its written file; lint follows it)"
          + (f"; {bad} unreadable" if bad else ""), file=sys.stderr)
    return 2 if bad else 0


def cmd_rules(args: argparse.Namespace, out: Out) -> int:
    from ivr.structure.lint import RULES

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
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                   help="output format (sarif: SARIF 2.1.0 for GitHub code scanning)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the report to this file "
                   "(default: stdout); the counts go to stderr")
    p.add_argument("--root", metavar="DIR", help="SARIF paths are relative to this folder "
                   "(default: the git repository around the current folder)")
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
                "Asterisk, VoiceXML, Genesys Cloud) into the native YAML menu format: one "
                "menu with the flows it hands calls to inlined, or, for a folder, one menu "
                "per flow with the links between them kept.")
    p.add_argument("file", metavar="FILE", help="an exported flow file, or a folder of them")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="write to this file (default: stdout); for a folder, a folder to "
                   "write one menu per flow in")
    from_format(p)
    max_bytes(p)

    command("rules", cmd_rules, "List the lint rules with their default severity and settings.")
