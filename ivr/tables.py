"""Summaries as text tables, JSON-ready dicts and CSV: strings only, nothing printed."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict
from typing import Any

from ivr.chain import OUTCOMES
from ivr.metrics import Agreement, Figure, Rate, Summary

#: Outcomes in the order a contact-center reader looks for them.
ORDER = ("human", "served", "voicemail", "transferred", "misrouted", "abandoned",
         "disconnected", "stuck")


def pct(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{100 * x:.1f}%"


def secs(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.1f} s"


def _rate(r: Rate, exact: bool) -> str:
    if exact:
        return f"{pct(r.value):>7}"
    return f"{pct(r.value):>7}  [{pct(r.low)}, {pct(r.high)}]"


def num(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:.1f}"


def _figure(f: Figure, unit: str) -> str:
    fmt = secs if unit == "s" else num
    text = fmt(f.mean)
    if f.p50 is not None:
        text += f" (p50 {fmt(f.p50)}, p90 {fmt(f.p90)})"
    if f.high > f.low:
        text += f" ±{(f.high - f.low) / 2:.2f}"
    return text


def summary_text(s: Summary, file: str, funnel_rows: int = 8) -> str:
    """The readable table of one menu's figures."""
    exact = s.callers is None
    head = (f"{file}: {s.menu}: exact solution" + (f" (residual {s.residual:.1e})"
                                                     if s.residual is not None else "")
            if exact else
            f"{file}: {s.menu}: {s.callers:,} simulated callers (seed {s.seed})")
    lines = [head, "", f"  {'outcome':<13} {'share':>7}" + ("" if exact else "  95% CI")]
    for o in ORDER:
        r = s.outcomes[o]
        if r.value > 0 or o in ("human", "abandoned"):
            lines.append(f"  {o:<13} {_rate(r, exact)}")
    lines.append("")
    human = s.outcomes["human"].value
    lines.append(f"  reached a person: {pct(human)}; seconds to a person "
                 f"{_figure(s.human_seconds, 's')}; steps {_figure(s.human_steps, '')}")
    lines.append(f"  time in the menu: {_figure(s.seconds, 's')}; steps "
                 f"{_figure(s.steps, '')}")
    lines.append("")
    shown = [o for o in ORDER if any(row[o].value > 0 for row in s.by_intent.values())]
    width = max(8, *(len(i) for i in s.by_intent))
    lines.append("  " + f"{'intent':<{width}}" + "".join(f" {o[:11]:>11}" for o in shown))
    for intent, row in s.by_intent.items():
        lines.append("  " + f"{intent:<{width}}" + "".join(f" {pct(row[o].value):>11}"
                                                           for o in shown))
    if s.funnel and funnel_rows:
        lines.append("")
        lines.append(f"  funnel (busiest {min(funnel_rows, len(s.funnel))} of "
                     f"{len(s.funnel)} nodes; per caller)")
        nw = max(4, *(len(f.node) for f in s.funnel[:funnel_rows]))
        lines.append(f"  {'node':<{nw}}  {'kind':<12} {'visits':>6} {'abandon':>8}  left by")
        for f in s.funnel[:funnel_rows]:
            exits = ", ".join(f"{label} {pct(x / f.visits) if f.visits else '-'}"
                              for label, x in f.exits[:4])
            lines.append(f"  {f.node:<{nw}}  {f.kind:<12} {f.visits:6.2f} "
                         f"{pct(f.abandoned / f.visits) if f.visits else '-':>8}  {exits}")
    return "\n".join(lines)


def agreement_text(rows: tuple[Agreement, ...], file: str, n: int, limit: float) -> str:
    lines = [f"{file}: simulated ({n:,} callers) vs exact",
             f"  {'figure':<20} {'simulated':>10}  {'95% CI':<18} {'exact':>9} {'z':>7}"]
    for r in rows:
        is_time = r.metric.startswith("seconds")
        show = secs if is_time else pct
        flag = "  !" if abs(r.z) > limit else ""
        lines.append(f"  {r.metric:<20} {show(r.simulated):>10}  "
                     f"[{show(r.low)}, {show(r.high)}]".ljust(52)
                     + f" {show(r.exact):>9} {r.z:+7.2f}{flag}")
    return "\n".join(lines)


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    return x


def summary_dict(s: Summary, file: str) -> dict[str, Any]:
    """A JSON-ready dict (NaN and infinity become null)."""
    d = asdict(s)
    d["file"] = file
    d["funnel"] = [{"node": f.node, "kind": f.kind, "visits": f.visits,
                    "abandoned": f.abandoned, "exits": dict(f.exits)} for f in s.funnel]
    return dict(_clean(d))


def summary_csv(summaries: list[tuple[str, Summary]]) -> str:
    """One row per figure: file, scope, metric, value, low, high."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "method", "scope", "metric", "value", "low", "high"])
    for file, s in summaries:
        for o in OUTCOMES:
            r = s.outcomes[o]
            w.writerow([file, s.method, "all", o, r.value, r.low, r.high])
        for intent, row in s.by_intent.items():
            for o in OUTCOMES:
                r = row[o]
                w.writerow([file, s.method, intent, o, r.value, r.low, r.high])
        for name in ("seconds", "steps", "human_seconds", "human_steps"):
            f: Figure = getattr(s, name)
            w.writerow([file, s.method, "all", f"{name}.mean", f.mean, f.low, f.high])
            if f.p50 is not None:
                w.writerow([file, s.method, "all", f"{name}.p50", f.p50, "", ""])
                w.writerow([file, s.method, "all", f"{name}.p90", f.p90, "", ""])
    return buf.getvalue()


__all__ = ["ORDER", "agreement_text", "summary_csv", "summary_dict", "summary_text"]
