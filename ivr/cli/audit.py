"""The audit command: menus against declarative policies, as text, JSON or SARIF."""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import asdict
from typing import Any

from ivr.audit.checks import STATUSES, MenuAudit, Verdict, audit
from ivr.audit.policy import Policy, resolve, shipped_names, shipped_path
from ivr.audit.sarif import sarif_log
from ivr.cli.common import (
    CONFIG_NAME,
    Command,
    Out,
    count,
    from_format,
    lint_config,
    load_file,
    max_bytes,
    menu_files,
    repo_root,
    sampling,
    write_atomically,
)
from ivr.errors import ConfigError, IvrError
from ivr.figures import dumps
from ivr.model import Source

_MARK = {"passed": ("PASS", "ok"), "failed": ("FAIL", "error"),
         "not-applicable": ("N/A ", "dim")}
#: Evidence lines shown per failed rule in text (JSON and SARIF have them all).
SHOWN = 8


def _where(source: Source | None) -> dict[str, Any]:
    return {"file": source.file if source else None, "line": source.line if source else None,
            "column": source.column if source else None}


def _verdict_json(v: Verdict) -> dict[str, Any]:
    return {
        "id": v.id, "policy": v.policy, "rule": v.rule, "check": v.check, "status": v.status,
        "level": v.level, "message": v.message, "method": v.method,
        "rule_source": _where(v.rule_source),
        "evidence": [{**{k: val for k, val in asdict(e).items() if k != "source"},
                      **_where(e.source)} for e in v.evidence],
    }


def _policy_json(p: Policy) -> dict[str, Any]:
    return {
        "id": p.id, "title": p.title, "description": p.description, "file": p.file,
        "source": asdict(p.citation),
        "rules": [{"id": r.id, "check": r.check, "title": r.title, "section": r.section,
                   "level": r.level, "params": dict(r.params), "requires": r.requires,
                   "interpretation": r.interpretation, **_where(r.source)} for r in p.rules],
        "not_covered": [asdict(g) for g in p.not_covered],
    }


def _counts(audits: list[MenuAudit]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for a in audits:
        for v in a.verdicts:
            counts[v.status] += 1
    return counts


def _text(out: Out, audits: list[MenuAudit], policies: list[Policy]) -> None:
    for p in policies:
        out.line(f"{p.id}: {p.title} <{p.citation.url}>")
    width = max(len(r.id) for p in policies for r in p.rules)
    for a in audits:
        if a.error is not None:
            continue
        out.line("")
        out.line(f"{a.file}: {a.menu}")
        policy = None
        for v in a.verdicts:
            if v.policy != policy:
                policy = v.policy
                out.line(f"  {policy}")
            mark, style = _MARK[v.status]
            out.line(f"    {out.paint(mark, style)} {v.rule:<{width}}  {v.message}")
            if v.method != "structure" and v.status != "failed":
                out.line(out.paint(f"         {'':<{width}}  ({v.method})", "dim"))
            if v.status != "failed":
                continue
            for e in v.evidence[:SHOWN]:
                where = str(e.source) if e.source else a.file
                node = f"[{e.node}] " if e.node else ""
                keys = f"  [keys: {e.keys}]" if e.keys and e.keys != "(no keys)" else ""
                out.line(f"         {where}: {node}{e.message}{out.paint(keys, 'dim')}")
            if len(v.evidence) > SHOWN:
                out.line(f"         ... and {len(v.evidence) - SHOWN} more")
            rule = next(r for p in policies if p.id == v.policy for r in p.rules
                        if r.id == v.rule)
            section = f" ({rule.section})" if rule.section else ""
            extra = "" if v.method == "structure" else f"; {v.method}"
            out.line(out.paint(f"         rule: {v.rule_source}{section}{extra}", "dim"))


def cmd_audit(args: argparse.Namespace, out: Out) -> int:
    if args.list:
        return _list(out)
    if not args.policy:
        raise ConfigError("name a policy with --policy NAME (or FILE, or all)",
                          hint="shipped: " + ", ".join(shipped_names()))
    if not args.paths:
        raise ConfigError("name the menus to audit: ivr audit --policy NAME PATH...")
    policies = resolve(args.policy)
    phrases = lint_config(args).phrases
    audits: list[MenuAudit] = []
    for file in menu_files(args.paths):
        try:
            menu = load_file(args, file)
        except IvrError as exc:
            print(str(exc), file=sys.stderr)
            audits.append(MenuAudit(file, None, error=str(exc)))
            continue
        audits.append(MenuAudit(file, menu.name, audit(menu, policies, n=args.n,
                                                       seed=args.seed, phrases=phrases)))
    counts = _counts(audits)
    unreadable = sum(a.error is not None for a in audits)
    if args.format == "sarif":
        text = dumps(sarif_log(audits, policies, root=args.root or repo_root()), indent=2)
    elif args.format == "json":
        text = dumps({
            "policies": [_policy_json(p) for p in policies],
            "files": [{"file": a.file, "menu": a.menu, "error": a.error,
                       "verdicts": [_verdict_json(v) for v in a.verdicts]} for a in audits],
            "counts": counts, "unreadable": unreadable,
            "settings": {"n": args.n, "seed": args.seed},
        }, indent=2)
    else:
        buffer = io.StringIO()
        report = Out(buffer) if args.output else out
        _text(report, audits, policies)
        report.line("")
        files = len(audits) - unreadable
        summary = (f"{count(files, 'file')} x {len(policies)} "
                   f"polic{'y' if len(policies) == 1 else 'ies'}: "
                   f"{counts['passed']} passed, {counts['failed']} failed, "
                   f"{counts['not-applicable']} not applicable"
                   + (f", {unreadable} unreadable" if unreadable else ""))
        report.line(report.paint(summary, "error" if counts["failed"] or unreadable else "ok"))
        text = buffer.getvalue()
    if args.output and not unreadable:  # exit 2 (a file could not be read) writes nothing
        write_atomically(args.output, text if text.endswith("\n") else text + "\n")
        print(f"{args.output}: {counts['failed']} failed, {counts['passed']} passed, "
              f"{counts['not-applicable']} not applicable", file=sys.stderr)
    elif args.format != "text":
        out.line(text)
    if unreadable:
        return 2
    return 1 if counts["failed"] else 0


def _list(out: Out) -> int:
    policies = resolve(shipped_names())
    width = max(len(p.id) for p in policies)
    for p in policies:
        out.line(f"{p.id:<{width}}  {p.title}")
        pad = " " * (width + 2)
        out.line(f"{pad}{p.citation.url}")
        if p.citation.status:
            out.line(f"{pad}{p.citation.status}")
        out.line(f"{pad}rules: {', '.join(r.id for r in p.rules)}  [{shipped_path(p.id)}]")
    return 0


def register(command: Command) -> None:
    p = command("audit", cmd_audit,
                "Audit menus against policies (GetHuman, Spain 2025, FCC cable, ...): each "
                "rule PASS/FAIL with the keys, the figure and the source line. Exit 1 if "
                "any rule fails.")
    p.add_argument("paths", nargs="*", metavar="PATH", help="menu files, exported flows or "
                   "folders of them")
    p.add_argument("--policy", action="append", metavar="NAME",
                   help="a shipped policy (see --list), a policy file, or all; may be "
                   "given several times")
    p.add_argument("--list", action="store_true", help="list the shipped policies and exit")
    p.add_argument("--format", choices=("text", "json", "sarif"), default="text",
                   help="output format (sarif: SARIF 2.1.0 for GitHub code scanning)")
    p.add_argument("-o", "--output", metavar="OUT", help="write the report to this file "
                   "(default: stdout); a count of the verdicts goes to stderr")
    sampling(p, "callers simulated for time rules the exact solution does not answer")
    p.add_argument("--root", metavar="DIR", help="SARIF paths are relative to this folder "
                   "(default: the git repository around the current folder)")
    p.add_argument("--config", metavar="FILE",
                   help=f"lint config whose phrases: add to the per-language phrase lists "
                   f"(default ./{CONFIG_NAME} if present; see docs/languages.md)")
    from_format(p)
    max_bytes(p)
