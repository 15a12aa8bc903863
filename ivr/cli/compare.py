"""``ivr compare``: menu variants with the same callers, paired differences, a CI gate."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from dataclasses import asdict
from typing import Any

from ivr.cli.common import (
    Command,
    Out,
    Progress,
    from_format,
    lint_config,
    lint_options,
    load_file,
    max_bytes,
    sampling,
)
from ivr.formats.native import load_population
from ivr.present.compare import (
    Comparison,
    Delta,
    MetricDiff,
    compare,
    difference_text,
    value_text,
)
from ivr.present.gate import GRAMMAR, GateResult, evaluate, parse
from ivr.present.tables import summary_dict
from ivr.structure.diff import MenuDiff
from ivr.structure.lint import Finding

#: Rows shown even when every variant has 0 (the rest are left out of the text table).
ALWAYS = ("human_rate", "abandoned_rate", "seconds", "steps", "human_seconds", "human_steps")


def letter(k: int) -> str:
    return chr(ord("A") + k) if k < 26 else f"V{k + 1}"


def _delta_cell(m: MetricDiff, d: Delta | None) -> str:
    if d is None or not math.isfinite(d.value):
        return "-"
    mark = " *" if d.significant else ""
    return (f"{difference_text(m.metric, d.value)} [{difference_text(m.metric, d.low, False)}, "
            f"{difference_text(m.metric, d.high, False)}]{mark}")


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w)
                 for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append(("  " + "  ".join(cells)).rstrip())
    return out


def comparison_text(c: Comparison, gate: tuple[GateResult, ...], out: Out) -> list[str]:
    """The readable report: metrics, then structural changes, then the gate."""
    k = len(c.variants)
    has_exact = any(m.exact and any(e is not None for e in m.exact) for m in c.metrics)
    lines = [f"The same {c.callers:,} simulated callers through {k} menus (seed {c.seed}); "
             "differences are paired"]
    for i, v in enumerate(c.variants):
        lines.append(f"  {letter(i)}  {v.file}: {v.menu.name}")
    lines.append("")
    head = ["metric", *(letter(i) for i in range(k))]
    for i in range(1, k):
        head.append(f"{letter(i)} - {letter(0)}  95% CI")
        if has_exact:
            head.append("exact")
    rows = [head]
    for m in c.metrics:
        if m.metric not in ALWAYS and not any(v != 0 for v in m.values):
            continue
        row = [m.label, *(value_text(m.metric, v) for v in m.values)]
        for d in m.deltas[1:]:
            row.append(_delta_cell(m, d))
            if has_exact:
                row.append(difference_text(m.metric, d.exact if d else None))
        rows.append(row)
    right = set(range(1, k + 1))
    if has_exact:
        right |= {k + 2 * i for i in range(1, k)}
    lines += _table(rows, right)
    lines.append("")
    tests = sum(1 for m in c.metrics for d in m.deltas[1:] if d is not None)
    lines.append("  * the paired 95% interval excludes 0" + (
        f" (Holm-corrected over {tests} differences)" if c.holm else
        f"; of {tests} differences some may be so by chance (--holm corrects)"))
    lines.append("  rates in %, their differences in percentage points (pp)"
                 + ("; exact: the caller model solved exactly" if has_exact else ""))
    for i, change in enumerate(c.changes, start=1):
        lines.append("")
        lines.append(f"Changes {letter(i)} vs {letter(0)} ({change.after} vs "
                     f"{change.before}):")
        lines += [f"  {x}" for x in change.lines()] or ["  no structural change"]
    if gate:
        lines.append("")
        lines.append("Gate:")
        for g in gate:
            text = g.line()
            word, rest = text.split(" ", 1)
            lines.append(f"  {out.paint(word, 'error' if g.held else 'ok')} {rest}")
    return lines


def _num(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _finding(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "severity": f.severity, "node": f.node, "message": f.message}


def _changes_dict(d: MenuDiff) -> dict[str, Any]:
    return {"before": d.before, "after": d.after,
            "changes": [asdict(x) for x in d.changes],
            "findings_new": [_finding(f) for f in d.findings_new],
            "findings_fixed": [_finding(f) for f in d.findings_fixed]}


def _delta_dict(d: Delta | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {"value": _num(d.value), "low": _num(d.low), "high": _num(d.high),
            "significant": d.significant, "exact": _num(d.exact), "p": _num(d.p),
            "unpaired_half_width": _num(d.unpaired)}


def _gate_dict(g: GateResult) -> dict[str, Any]:
    c = g.condition
    return {"condition": c.text, "metric": c.metric, "part": c.part, "op": c.op,
            "number": c.number, "held": g.held,
            "observations": [{"file": o.file, "value": _num(o.value), "source": o.source,
                              "holds": o.holds} for o in g.observations]}


def comparison_dict(c: Comparison, gate: tuple[GateResult, ...]) -> dict[str, Any]:
    """A JSON-ready dict (non-finite numbers become null)."""
    return {
        "callers": c.callers, "seed": c.seed, "paired": True, "holm": c.holm,
        "variants": [{"file": v.file, "menu": v.menu.name, "exact": v.exact is not None,
                      "summary": summary_dict(v.summary, v.file)} for v in c.variants],
        "metrics": [{"metric": m.metric, "label": m.label,
                     "values": [_num(v) for v in m.values],
                     "exact": [_num(e) for e in m.exact],
                     "deltas": [_delta_dict(d) for d in m.deltas]} for m in c.metrics],
        "changes": [_changes_dict(d) for d in c.changes],
        "gate": [_gate_dict(g) for g in gate],
        "failed": any(g.held for g in gate),
    }


def comparison_csv(c: Comparison) -> str:
    """One row per metric and variant: value, and difference to the first with its CI."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["metric", "variant", "file", "value", "exact_value", "delta", "low", "high",
                "significant", "exact_delta", "p"])
    for m in c.metrics:
        for k, v in enumerate(c.variants):
            d = m.deltas[k]
            e = m.exact[k] if m.exact else None
            cells: list[Any] = [m.metric, letter(k), v.file, m.values[k], e]
            cells += (["", "", "", "", "", ""] if d is None else
                      [d.value, d.low, d.high, d.significant, d.exact, d.p])
            w.writerow(["" if x is None else x for x in cells])
    return buf.getvalue()


def cmd_compare(args: argparse.Namespace, out: Out) -> int:
    conditions = parse(args.fail_if or ())
    menus = [load_file(args, f) for f in args.files]
    population = None
    if args.callers:
        population = load_population(args.callers, menus[0], max_bytes=args.max_bytes)
    bar = Progress(args.n * len(menus) >= 500_000 and args.format == "text")
    try:
        result = compare(menus, population, n=args.n, seed=args.seed, files=args.files,
                         holm_correction=args.holm, progress=bar,
                         lint_config=lint_config(args))
    finally:
        bar.close()
    gate = evaluate(conditions, result)
    if args.format == "json":
        out.line(json.dumps(comparison_dict(result, gate), indent=2))
    elif args.format == "csv":
        out.stream.write(comparison_csv(result))
    else:
        for line in comparison_text(result, gate, out):
            out.line(line)
    if args.format != "text":
        for g in gate:
            if g.held:
                print(g.line(), file=sys.stderr)
    return 1 if any(g.held for g in gate) else 0


def register(command: Command) -> None:
    p = command("compare", cmd_compare,
                "Compare menu variants with the same synthetic callers: each figure per "
                "variant, the paired difference to the first with its confidence interval (and "
                "the exact one), what changed in the menu, and a --fail-if gate for CI.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="two or more menu files; the first is the baseline")
    p.add_argument("--callers", metavar="POP",
                   help="a callers file used for every variant (default: each menu's "
                   "callers section, which must agree but for goals)")
    sampling(p, "callers per variant")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="output format")
    p.add_argument("--fail-if", action="append", metavar="COND",
                   help=f"exit 1 when this holds for any variant vs the first: "
                   f"{GRAMMAR.replace('%', '%%')}; "
                   "a metric alone is the difference (exact when it applies), .low/.high "
                   "the ends of its 95%% interval, value(...) the variant's own figure; "
                   "may be repeated (see docs/compare.md)")
    p.add_argument("--holm", action="store_true",
                   help="judge significance with Holm's correction over all differences")
    from_format(p)
    lint_options(p)
    max_bytes(p)
