"""Summaries as text tables, JSON-ready dicts and CSV: strings only, nothing printed."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import asdict
from typing import Any

from ivr.callers.chain import OUTCOMES
from ivr.callers.hourly import HourRow
from ivr.callers.metrics import Agreement, Figure, Rate, Summary
from ivr.figures import NA, clean
from ivr.language.display import pad, width
from ivr.queueing.erlang import QueueFigures

#: Outcomes in the order a contact-center reader looks for them.
ORDER = ("human", "callback", "served", "voicemail", "transferred", "misrouted", "abandoned",
         "disconnected", "stuck")


def pct(x: float) -> str:
    return NA if not math.isfinite(x) else f"{100 * x:.1f}%"


def secs(x: float | None) -> str:
    return "-" if x is None else NA if not math.isfinite(x) else f"{x:.1f} s"


def _rate(r: Rate, exact: bool) -> str:
    if exact:
        return f"{pct(r.value):>7}"
    return f"{pct(r.value):>7}  [{pct(r.low)}, {pct(r.high)}]"


def num(x: float | None) -> str:
    return "-" if x is None else NA if not math.isfinite(x) else f"{x:.1f}"


def _whole(x: float | None) -> str:
    """A count that can occur (a percentile of steps): ``3``."""
    return "-" if x is None or not math.isfinite(x) else f"{x:.0f}"


def _figure(f: Figure, unit: str) -> str:
    fmt = secs if unit == "s" else num
    text = fmt(f.mean)
    if f.p50 is not None:
        point = fmt if unit == "s" else _whole
        text += f" (p50 {point(f.p50)}, p90 {point(f.p90)})"
    if math.isfinite(f.high - f.low) and f.high > f.low:
        text += f" ±{(f.high - f.low) / 2:.2f}"
    return text


def summary_text(s: Summary, file: str, funnel_rows: int = 8,
                 headline: str | None = None) -> str:
    """The readable table of one menu's figures; ``headline`` (when a person can be
    reached over the week) goes under the outcomes."""
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
    if headline:
        lines.append(f"  {headline}")
    if capped_text(s):
        lines.append(capped_text(s) or "")
    lines.append(f"  time in the menu{' and queue' if s.queues else ''}: "
                 f"{_figure(s.seconds, 's')}; steps {_figure(s.steps, '')}")
    if s.queues:
        lines.append("")
        lines.extend(queue_lines(s.queues))
    lines.append("")
    shown = [o for o in ORDER if any(row[o].value > 0 for row in s.by_intent.values())]
    iw = max(8, *(width(i) for i in s.by_intent))
    lines.append("  " + pad("intent", iw) + "".join(f" {o[:11]:>11}" for o in shown))
    for intent, row in s.by_intent.items():
        lines.append("  " + pad(intent, iw) + "".join(f" {pct(row[o].value):>11}"
                                                           for o in shown))
    if s.funnel and funnel_rows:
        lines.append("")
        lines.append(f"  funnel (busiest {min(funnel_rows, len(s.funnel))} of "
                     f"{len(s.funnel)} nodes; per caller)")
        nw = max(4, *(width(f.node) for f in s.funnel[:funnel_rows]))
        lines.append(f"  {pad('node', nw)}  {'kind':<12} {'visits':>6} {'abandon':>8}  left by")
        for f in s.funnel[:funnel_rows]:
            exits = ", ".join(f"{label} {pct(x / f.visits) if f.visits else '-'}"
                              for label, x in f.exits[:4])
            lines.append(f"  {pad(f.node, nw)}  {f.kind:<12} {f.visits:6.2f} "
                         f"{pct(f.abandoned / f.visits) if f.visits else '-':>8}  {exits}")
    return "\n".join(lines)


def queue_lines(queues: tuple[QueueFigures, ...]) -> list[str]:
    """The agent queues as a small table (callers' view, averaged over the open hours)."""
    q0 = queues[0]
    model = ("Erlang C: callers never give up" if q0.model == "erlang_c" else
             "Erlang A: callers give up after their patience")
    w = max(5, *(width(q.node) for q in queues))
    # A line's rules add columns: who took the callback, was sent on at the longest
    # wait, left on hearing the announced wait (also counted in abandon), and that wait.
    extra = [(head, get) for head, get, used in (
        ("callback", lambda q: pct(q.p_callback), any(q.p_callback > 0 for q in queues)),
        ("sent on", lambda q: pct(q.p_timeout), any(q.p_timeout > 0 for q in queues)),
        ("balked", lambda q: pct(q.p_balk), any(q.p_balk > 0 for q in queues)),
        ("announced", lambda q: secs(q.announced),
         any(q.announced is not None for q in queues))) if used]
    out = [f"  queues ({model}; {q0.target:g} s service-level target)",
           f"  {'agent':<{w}}  {'calls/h':>7} {'agents':>6} {'handle':>7} {'wait':>6} "
           f"{'ASA':>7} {'in ' + format(q0.target, 'g') + ' s':>7} {'abandon':>7} "
           f"{'busy':>5}" + "".join(f" {head:>9}" for head, _ in extra)]
    for q in queues:
        out.append(f"  {pad(q.node, w)}  {q.calls_per_hour:7.1f} {q.agents:6d} "
                   f"{q.handle_time:6.0f}s {pct(q.p_wait):>6} {secs(q.asa):>7} "
                   f"{pct(q.service_level):>7} {pct(q.p_abandon):>7} {pct(q.occupancy):>5}"
                   + "".join(f" {get(q):>9}" for _, get in extra))
    return out


def by_hour_text(rows: tuple[HourRow, ...], tz: str) -> str:
    """The by-hour table: each hour's share of the calls and what they met."""
    asa = any(r.asa is not None for r in rows)
    back = any(r.outcomes["callback"] > 0 for r in rows)
    lines = [f"  by hour ({tz})",
             f"  {'hour':<9} {'calls':>6} {'human':>6}" + (f" {'callb.':>6}" if back else "")
             + f" {'served':>6} {'voicem.':>7} {'aband.':>6} {'other':>6} {'closed':>6}"
             + (f" {'ASA':>7}" if asa else "")]
    for r in rows:
        if r.calls <= 0:
            lines.append(f"  {r.hour:<9} {pct(0.0):>6}")
            continue
        o = r.outcomes
        other = 1.0 - o["human"] - o["callback"] - o["served"] - o["voicemail"] \
            - o["abandoned"]
        lines.append(f"  {r.hour:<9} {pct(r.calls):>6} {pct(o['human']):>6}"
                     + (f" {pct(o['callback']):>6}" if back else "")
                     + f" {pct(o['served']):>6} {pct(o['voicemail']):>7} "
                     f"{pct(o['abandoned']):>6} {pct(max(other, 0.0)):>6} "
                     f"{pct(r.closed):>6}" + (f" {secs(r.asa):>7}" if asa else ""))
    return "\n".join(lines)


def _row(cells: list[Any]) -> list[Any]:
    """A CSV row: a figure that is not available is an empty cell, never "nan"."""
    return ["" if x is None else x for x in clean(cells)]


def by_hour_csv(rows: tuple[HourRow, ...], file: str) -> str:
    """By-hour rows as CSV lines in the summary's columns (scope: the hour)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow(_row([file, "exact", r.hour, "calls", r.calls, r.calls, r.calls]))
        for o in OUTCOMES:
            v = r.outcomes[o]
            w.writerow(_row([file, "exact", r.hour, o, v, v, v]))
        w.writerow(_row([file, "exact", r.hour, "closed_routes", r.closed, r.closed, r.closed]))
        if r.asa is not None:
            w.writerow(_row([file, "exact", r.hour, "queue.asa", r.asa, r.asa, r.asa]))
    return buf.getvalue()


def capped_text(s: Summary) -> str | None:
    """What the step cap decided, when it decided anything."""
    if not s.capped:
        return None
    return (f"  the step cap decided {s.capped:,} of {s.callers or 0:,} callers: stopped after "
            f"{s.step_cap} steps in a loop, counted stuck")


def agreement_text(rows: tuple[Agreement, ...], file: str, n: int, limit: float,
                   sim: Summary | None = None) -> str:
    lines = [f"{file}: simulated ({n:,} callers) vs exact",
             f"  {'figure':<20} {'simulated':>10}  {'95% CI':<18} {'exact':>9} {'z':>7}"]
    for r in rows:
        is_time = r.metric.startswith("seconds")
        show = secs if is_time else pct
        flag = "  !" if abs(r.z) > limit else ""
        lines.append(f"  {r.metric:<20} {show(r.simulated):>10}  "
                     f"[{show(r.low)}, {show(r.high)}]".ljust(52)
                     + f" {show(r.exact):>9} {r.z:+7.2f}{flag}")
    if any(r.rate_sd > 0 for r in rows):
        lines.append("  z allows for the queues' arrival rates, which the simulation "
                     "estimates from its own callers (see docs/queues.md)")
    capped = capped_text(sim) if sim is not None else None
    if capped and any(abs(r.z) > limit for r in rows):
        lines.append(capped + "; the exact solution follows callers through every loop, "
                     "so the cap explains the difference (raise it, or break the loop)")
    return "\n".join(lines)


def summary_dict(s: Summary, file: str) -> dict[str, Any]:
    """A JSON-ready dict (NaN and infinity become null)."""
    d = asdict(s)
    d["file"] = file
    d["funnel"] = [{"node": f.node, "kind": f.kind, "visits": f.visits,
                    "abandoned": f.abandoned, "exits": dict(f.exits)} for f in s.funnel]
    return dict(clean(d))


def summary_csv(summaries: list[tuple[str, Summary]]) -> str:
    """One row per figure: file, scope, metric, value, low, high."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "method", "scope", "metric", "value", "low", "high"])
    for file, s in summaries:
        for o in OUTCOMES:
            r = s.outcomes[o]
            w.writerow(_row([file, s.method, "all", o, r.value, r.low, r.high]))
        for intent, row in s.by_intent.items():
            for o in OUTCOMES:
                r = row[o]
                w.writerow(_row([file, s.method, intent, o, r.value, r.low, r.high]))
        for name in ("seconds", "steps", "human_seconds", "human_steps"):
            f: Figure = getattr(s, name)
            w.writerow(_row([file, s.method, "all", f"{name}.mean", f.mean, f.low, f.high]))
            if f.p50 is not None:
                w.writerow(_row([file, s.method, "all", f"{name}.p50", f.p50, "", ""]))
                w.writerow(_row([file, s.method, "all", f"{name}.p90", f.p90, "", ""]))
        for q in s.queues:
            for name in ("calls_per_hour", "p_wait", "asa", "service_level", "p_abandon",
                         "occupancy", "queue_seconds", "p_callback", "p_timeout", "p_balk",
                         "announced", "expected_wait"):
                value = getattr(q, name)
                if value is None:
                    continue
                w.writerow(_row([file, s.method, q.node, f"queue.{name}", value, value, value]))
    return buf.getvalue()


__all__ = ["ORDER", "agreement_text", "by_hour_csv", "by_hour_text", "queue_lines",
           "summary_csv", "summary_dict", "summary_text"]
