"""Audit verdicts and lint findings as SARIF 2.1.0 logs, for GitHub code scanning and
other SARIF viewers.

Each policy rule is a reporting descriptor (``policy/rule``, its short title, what the
source requires and how ivr reads it, and the source's address as ``helpUri``). Each piece
of evidence of a failed rule is one result, located at the node at fault in the menu file
or the exported flow it was imported from, with the rule's line in its policy file as a
related location. Paths below ``root`` are written relative to it (``%SRCROOT%``), so code
scanning shows each alert on the right line of the repository file. Lint findings
(:func:`lint_log`) are results of the lint rules the same way, at the node's line, with
the keys that reach it; a file ivr cannot read is a tool notification in both.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ivr import __version__
from ivr.audit.policy import Policy
from ivr.audit.verdict import Evidence, MenuAudit, Verdict
from ivr.model import Source
from ivr.structure.lint import RULES, Finding

SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
          "sarif-schema-2.1.0.json")
ROOT_ID = "%SRCROOT%"


def artifact(file: str, root: str) -> dict[str, Any]:
    """An artifactLocation: relative to ``root`` (with %SRCROOT%) when below it, else an
    absolute file URI.

    Examples
    --------
    >>> artifact("/repo/menus/bank.yaml", "/repo")
    {'uri': 'menus/bank.yaml', 'uriBaseId': '%SRCROOT%'}
    >>> artifact("/elsewhere/a b.json", "/repo")
    {'uri': 'file:///elsewhere/a%20b.json'}
    """
    path = Path(os.path.abspath(file))
    base = Path(os.path.abspath(root))
    try:
        rel = path.relative_to(base)
    except ValueError:
        return {"uri": path.as_uri()}
    return {"uri": quote(rel.as_posix()), "uriBaseId": ROOT_ID}


def location(source: Source, root: str, message: str | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact(source.file, root)}
    if source.line is not None and source.line >= 1:
        region: dict[str, Any] = {"startLine": source.line}
        if source.column is not None and source.column >= 1:
            region["startColumn"] = source.column
        physical["region"] = region
    out: dict[str, Any] = {"physicalLocation": physical}
    if message:
        out["message"] = {"text": message}
    return out


def _rules(policies: Sequence[Policy]) -> list[dict[str, Any]]:
    out = []
    for policy in policies:
        for rule in policy.rules:
            section = f" ({rule.section})" if rule.section else ""
            out.append({
                "id": f"{policy.id}/{rule.id}",
                "name": rule.id,
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": rule.requires},
                "help": {
                    "text": f"{policy.title}{section}: {rule.requires}\n\n"
                            f"How ivr checks it: {rule.interpretation}\n\n"
                            f"Source: {policy.citation.title}, {policy.citation.url}",
                    "markdown": f"**{policy.title}**{section}\n\n> {rule.requires}\n\n"
                                f"How ivr checks it: {rule.interpretation}\n\n"
                                f"Source: [{policy.citation.title}]({policy.citation.url})",
                },
                "helpUri": policy.citation.url,
                "defaultConfiguration": {"level": rule.level},
                "properties": {"tags": ["ivr-audit", policy.id, rule.check],
                               "policy": policy.title, "check": rule.check,
                               "parameters": dict(rule.params)},
            })
    return out


def _fingerprint(v: Verdict, file: str, e: Evidence | None) -> str:
    key = f"{v.id}\0{file}\0{e.node if e else ''}\0{e.message if e and not e.node else ''}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _result(v: Verdict, index: int, audit: MenuAudit, e: Evidence | None,
            root: str) -> dict[str, Any]:
    text = v.message if e is None else f"{e.message} ({v.message})"
    if e is not None and e.keys and e.keys != "(no keys)":
        text += f" [keys: {e.keys}]"
    where = (e.source if e is not None and e.source is not None
             else Source(audit.file, 1, 1))
    props: dict[str, Any] = {"menu": audit.menu, "file": audit.file, "method": v.method}
    if e is not None:
        props.update({k: getattr(e, k) for k in ("node", "keys", "figure", "threshold", "unit")
                      if getattr(e, k) is not None})
    result: dict[str, Any] = {
        "ruleId": v.id,
        "ruleIndex": index,
        "level": v.level,
        "kind": "fail",
        "message": {"text": text},
        "locations": [location(where, root)],
        "partialFingerprints": {"ivrAudit/v1": _fingerprint(v, audit.file, e)},
        "properties": props,
    }
    if v.rule_source is not None:
        result["relatedLocations"] = [dict(location(v.rule_source, root,
                                                    f"the rule {v.id} in its policy file"),
                                           id=1)]
    return result


def sarif_log(audits: Sequence[MenuAudit], policies: Sequence[Policy], *,
              root: str) -> dict[str, Any]:
    """The SARIF 2.1.0 log of an audit: one run, one result per failure's evidence."""
    rules = _rules(policies)
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    notes = []
    for a in audits:
        if a.error is not None:
            notes.append(_unreadable(a.file, a.error, root))
            continue
        for v in a.verdicts:
            if v.status != "failed":
                continue
            for e in v.evidence or (None,):
                results.append(_result(v, index[v.id], a, e, root))
    return _log(rules, results, notes, root)


#: Lint severities as SARIF levels.
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _lint_rules() -> list[dict[str, Any]]:
    out = []
    for rule in RULES.values():
        params = ", ".join(f"{k}={v:g}" for k, v in rule.params.items())
        settings = (f" Settings: {params} (change with --set {rule.id}.NAME=VALUE or "
                    ".ivr-lint.yaml)." if params else "")
        out.append({
            "id": rule.id,
            "name": rule.id,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.summary + "." + settings},
            "help": {"text": f"{rule.summary}.{settings} Turn it off with --disable "
                             f"{rule.id}; `ivr rules` lists every rule."},
            "defaultConfiguration": {"level": LEVELS[rule.severity]},
            "properties": {"tags": ["ivr-lint"], "parameters": dict(rule.params)},
        })
    return out


def lint_log(reports: Sequence[tuple[str, Sequence[Finding] | str]], *,
             root: str) -> dict[str, Any]:
    """The SARIF 2.1.0 log of a lint run: ``reports`` is, per file, its findings or the
    one-line error that made it unreadable."""
    rules = _lint_rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    notes = []
    for file, findings in reports:
        if isinstance(findings, str):
            notes.append(_unreadable(file, findings, root))
            continue
        for f in findings:
            text = f.message if not f.keys else f"{f.message} [keys: {f.keys}]"
            where = f.source if f.source is not None else Source(file, 1, 1)
            key = f"{f.rule}\0{file}\0{f.node or ''}\0{f.message}"
            props: dict[str, Any] = {"file": file}
            if f.node is not None:
                props["node"] = f.node
            if f.keys is not None:
                props["keys"] = f.keys
            results.append({
                "ruleId": f.rule,
                "ruleIndex": index[f.rule],
                "level": LEVELS[f.severity],
                "message": {"text": text},
                "locations": [location(where, root)],
                "partialFingerprints": {
                    "ivrLint/v1": hashlib.sha256(key.encode()).hexdigest()[:32]},
                "properties": props,
            })
    return _log(rules, results, notes, root)


def _unreadable(file: str, error: str, root: str) -> dict[str, Any]:
    """A tool notification: ``file`` could not be read (``error`` is the one-line why)."""
    return {"level": "error", "message": {"text": error},
            "locations": [location(Source(file), root)]}


def _log(rules: list[dict[str, Any]], results: list[dict[str, Any]],
         notes: list[dict[str, Any]], root: str) -> dict[str, Any]:
    """One run of ivr: its rules, results and notifications, paths relative to ``root``."""
    root_uri = Path(os.path.abspath(root)).as_uri().rstrip("/") + "/"
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "ivr", "version": __version__,
                                "semanticVersion": __version__, "rules": rules}},
            "invocations": [{"executionSuccessful": not notes,
                             "toolExecutionNotifications": notes}],
            "originalUriBaseIds": {ROOT_ID: {"uri": root_uri}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


__all__ = ["LEVELS", "SCHEMA", "artifact", "lint_log", "location", "sarif_log"]
