"""What it takes and what if: ``ivr staff`` (the agents a policy needs, hour by hour) and
``ivr sweep`` (a grid of staffing, volume, patience, timeouts, menus and times)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from ivr.cli.common import (
    Command,
    Out,
    count,
    from_format,
    load_file,
    max_bytes,
    positive_int,
    sampling,
    write_atomically,
)
from ivr.errors import ConfigError

if TYPE_CHECKING:
    from ivr.plan.staffing import Hour, Plan
    from ivr.plan.sweep import Table

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: Figures drawn as percentages.
_SHARES = ("human", "abandoned", "served", "voicemail", "transferred", "misrouted",
           "disconnected", "stuck", "callback", "service_level", "occupancy")


# -- ivr staff ----------------------------------------------------------------------------

def cmd_staff(args: argparse.Namespace, out: Out) -> int:
    from ivr.audit.policy import resolve
    from ivr.formats.yamlout import to_yaml
    from ivr.plan.staffing import parse_target, policy_targets, staff
    from ivr.structure.topology import Topology

    if not args.policy and not args.target:
        raise ConfigError("ivr staff needs --policy NAME or --target \"95% within 180 s\"")
    menu = load_file(args, args.file)
    targets, skipped = [], []
    policies = resolve(args.policy or [])
    for policy in policies:
        got, why = policy_targets(policy, menu, Topology.of(menu))
        targets += got
        skipped += why
    for text in args.target or []:
        targets.append(parse_target(text, args.clock))
    plan = staff(menu, targets, n=args.n, seed=args.seed, skipped=skipped)
    verdicts = []
    if args.write:
        if os.path.abspath(args.write) == os.path.abspath(args.file):
            raise ConfigError("--write would overwrite the menu it reads",
                              hint="write the staffed menu to a new file")
        write_atomically(args.write, to_yaml(plan.staffed))
        if policies:
            verdicts = _audit(args.write, policies, args, {t.rule for t in plan.targets})
    if args.plot:
        _staff_plot(plan, args.plot)
    if args.format == "json":
        out.line(json.dumps(_staff_json(plan, args, verdicts), indent=2))
    elif args.format == "csv":
        out.stream.write(_staff_csv(plan))
    else:
        _staff_text(plan, args, verdicts, out)
    met = not plan.blocked and not plan.unreached and all(v[2] == "passed"
                                                          for v in verdicts)
    return 0 if met else 1


def _audit(path: str, policies: list[Any], args: argparse.Namespace, rules: set[Any]
           ) -> list[tuple[str, str, str, str]]:
    """The staffed menu audited as written: (policy, rule, status, message) of the time
    rules staffing sized for."""
    from ivr.audit.checks import audit

    menu = load_file(args, path)
    return [(v.policy, v.rule, v.status, v.message)
            for v in audit(menu, policies, n=args.n, seed=args.seed)
            if f"{v.policy}/{v.rule}" in rules]


def _pct(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{100 * x:.1f}%"


def _staff_text(plan: Plan, args: argparse.Namespace, verdicts: list[tuple[str, str, str, str]],
                out: Out) -> None:
    from ivr.plan.staffing import stretches

    targets = "; ".join((f"{t.rule}: " if t.rule else "") + t.label() for t in plan.targets)
    out.line(f"{args.file}: {plan.menu.name}: agents that meet {targets}")
    out.line("  (the fewest agents in each hour a queue takes calls, exact queue model; level: "
             "of the callers reaching the queue, the share the first target counts as met, "
             "with the agents needed and (now) with today's)")
    out.line("")
    groups: dict[tuple[Any, ...], list[int]] = {}
    for h in plan.hours:
        key = (h.agent, round(h.calls, 3), h.now, h.needed, round(h.level, 4),
               round(h.level_now, 4), round(h.asa, 2), round(h.abandoned, 4))
        groups.setdefault(key, []).append(h.hour)
    width = max([len(k[0]) for k in groups] + [5])
    out.line(f"  {'queue':<{width}}  {'calls/h':>8} {'now':>4} {'needed':>6} {'level':>7} "
             f"{'(now)':>7} {'ASA':>7} {'abandon':>7}  hours")
    for key, hours in groups.items():
        agent, calls, now, needed, level, level_now, asa, ab = key
        mark = "" if needed <= now else " +"
        out.line(f"  {agent:<{width}}  {calls:8.1f} {now:4d} {needed:6d} {_pct(level):>7} "
                 f"{_pct(level_now):>7} {asa:6.1f}s {_pct(ab):>7}  "
                 f"{stretches(hours)}{mark}")
    out.line("")
    out.line(f"  agent-hours a week (the hours each queue takes calls): now "
             f"{plan.total_now:,}, needed {plan.total_needed:,} "
             f"({plan.total_needed - plan.total_now:+,})")
    for agent, (now, needed) in plan.agent_hours.items():
        out.line(f"    {agent:<{width}}  {now:6,} -> {needed:6,}")
    for why in plan.blocked:
        out.line(f"  cannot be met by staffing: {why}")
    for why in plan.unreached:
        out.line(f"  not reached: {why}")
    for note in plan.notes:
        out.line(f"  note: {note}")
    if args.write:
        out.line(f"  wrote {args.write} (staff.hourly: the needed agents)")
    for policy, rule, status, message in verdicts:
        word = {"passed": "PASS", "failed": "FAIL"}.get(status, "N/A")
        out.line(f"  audit of {args.write}: {policy} {rule} {word}: {message}")


def _hour_dict(h: Hour) -> dict[str, Any]:
    return {"agent": h.agent, "hour": h.hour, "when": h.when, "calls_per_hour": h.calls,
            "agents_now": h.now, "agents_needed": h.needed, "level": _finite(h.level),
            "level_now": _finite(h.level_now), "asa": _finite(h.asa),
            "abandoned": _finite(h.abandoned)}


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _staff_json(plan: Plan, args: argparse.Namespace, verdicts: list[tuple[str, str, str, str]]
                ) -> dict[str, Any]:
    return {
        "file": args.file,
        "targets": [{"rule": t.rule, "clock": t.clock, "seconds": t.seconds,
                     "share": t.share} for t in plan.targets],
        "hours": [_hour_dict(h) for h in plan.hours],
        "agent_hours": {a: {"now": now, "needed": need}
                        for a, (now, need) in plan.agent_hours.items()},
        "agent_hours_now": plan.total_now, "agent_hours_needed": plan.total_needed,
        "blocked": list(plan.blocked), "unreached": list(plan.unreached),
        "notes": list(plan.notes), "written": args.write,
        "audit": [{"policy": p, "rule": r, "status": s, "message": m}
                  for p, r, s, m in verdicts],
    }


def _staff_csv(plan: Plan) -> str:
    buf = io.StringIO()
    fields = ("agent", "hour", "when", "calls_per_hour", "agents_now", "agents_needed",
              "level", "level_now", "asa", "abandoned")
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    for h in plan.hours:
        w.writerow(_hour_dict(h))
    return buf.getvalue()


def _staff_plot(plan: Plan, path: str) -> None:
    from ivr.present.gridplots import agents_by_hour
    from ivr.present.plots import render

    queues: dict[str, tuple[list[int], list[int]]] = {}
    for h in plan.hours:
        now, need = queues.setdefault(h.agent, ([0] * 168, [0] * 168))
        now[h.hour], need[h.hour] = h.now, h.needed
    fig = agents_by_hour(queues, f"{plan.menu.name}: agents by hour, now and needed")
    write_atomically(path, render(fig, _plot_format(path)))


def _plot_format(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".png", ".svg"):
        raise ConfigError(f"--plot {path}: give a .png or .svg file")
    return ext[1:]


# -- ivr sweep ----------------------------------------------------------------------------

def cmd_sweep(args: argparse.Namespace, out: Out) -> int:
    from ivr.plan.grid import parse_vary
    from ivr.plan.sweep import grid_of, run

    menus = [(path, load_file(args, path)) for path in args.files]
    varies = [parse_vary(v) for v in args.vary or []]
    grid = grid_of(menus, varies, args.at or [])
    if args.figure and args.figure not in _figures(grid):
        from ivr.formats.checks import did_you_mean

        raise ConfigError(f"--figure {args.figure!r} is not a column of the table",
                          hint=did_you_mean(args.figure, _figures(grid)) or
                          "figures: " + ", ".join(_figures(grid)))
    bar = _Eta(args.progress and len(grid) >= 200)
    try:
        table = run(grid, executor=args.executor, workers=args.workers,
                    scheduler=args.scheduler, size=args.chunk, n=args.n, seed=args.seed,
                    progress=bar)
    finally:
        bar.close()
    rate = len(table.rows) / max(table.seconds, 1e-9)
    print(f"{count(len(table.rows), 'combination')} in {table.seconds:.2f} s ({rate:,.0f}/s) "
          f"on {table.executor} ({count(table.workers, 'worker')}, "
          f"{count(table.tasks, 'task')})", file=sys.stderr)
    if args.output:
        _write_table(table, args.output)
    elif args.format == "json":
        out.line(json.dumps(_json_rows(table), indent=1))
    elif args.format == "text":
        out.line(_text_table(table))
    else:
        out.stream.write(_csv_table(table))
    if args.plot:
        _sweep_plot(grid, table, args.plot, args.figure or "abandoned")
    return 0


def _figures(grid: Any) -> list[str]:
    from ivr.plan.sweep import columns

    return [c for c in columns(grid) if c not in ("menu", "at", "method", "note")
            and c not in {v.path for v in grid.varies}]


class _Eta:
    """A progress bar with the time left, on stderr on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.start = time.perf_counter()
        self.last = -1.0

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < 0.2 and done < total:
            return
        self.last = now
        spent = now - self.start
        left = spent / done * (total - done) if done else math.nan
        filled = 40 * done // max(total, 1)
        eta = f"ETA {left:5.0f} s" if math.isfinite(left) else "ETA     ? s"
        sys.stderr.write(f"\r  [{'#' * filled}{'.' * (40 - filled)}] {done:,}/{total:,} "
                         f"{eta}")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.last >= 0:
            sys.stderr.write("\r" + " " * 78 + "\r")


def _cell(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def _json_rows(table: Table) -> list[dict[str, Any]]:
    return [{k: _cell(v) for k, v in zip(table.columns, r, strict=True)} for r in table.rows]


def _csv_table(table: Table) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.columns)
    for r in table.rows:
        w.writerow(["" if _cell(x) is None else (repr(x) if isinstance(x, float) else x)
                    for x in r])
    return buf.getvalue()


def _text_table(table: Table) -> str:
    varied = list(table.columns[:table.columns.index("method")])
    shown = varied + [c for c in table.columns[len(varied):] if "." not in c] + \
        [c for c in table.columns if c.endswith(".asa")]
    keep = [c for c in shown if c not in ("served", "voicemail", "transferred", "misrouted",
                                          "disconnected", "stuck", "callback", "steps",
                                          "human_seconds_sd", "note")]
    idx = [table.columns.index(c) for c in keep]
    body = []
    for r in table.rows:
        cells = []
        for k in idx:
            x, name = r[k], table.columns[k]
            if isinstance(x, float):
                cells.append(_pct(x) if name in _SHARES else
                             "-" if not math.isfinite(x) else f"{x:.4g}")
            else:
                cells.append(str(x))
        body.append(cells)
    widths = [max([len(c)] + [len(row[j]) for row in body]) for j, c in enumerate(keep)]
    lines = ["  ".join(f"{c:>{w}}" for c, w in zip(keep, widths, strict=True))]
    lines += ["  ".join(f"{c:>{w}}" for c, w in zip(row, widths, strict=True))
              for row in body]
    return "\n".join(lines)


def _write_table(table: Table, path: str) -> None:
    ext = os.path.splitext(path)[1].lower()
    if ext == ".csv":
        write_atomically(path, _csv_table(table))
    elif ext == ".json":
        write_atomically(path, json.dumps(_json_rows(table), indent=1) + "\n")
    elif ext == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ConfigError(f"-o {path}: writing Parquet needs pyarrow",
                              hint="pip install pyarrow, or write .csv or .json") from None
        data = {c: [_cell(r[k]) for r in table.rows] for k, c in enumerate(table.columns)}
        buf = pa.BufferOutputStream()
        pq.write_table(pa.table(data), buf)
        write_atomically(path, buf.getvalue().to_pybytes())
    else:
        raise ConfigError(f"-o {path}: give a .csv, .json or .parquet file")


def _sweep_plot(grid: Any, table: Table, path: str, figure: str) -> None:
    """A line plot over one varied field (a line per menu), or a heat map over two
    (first menu and time)."""
    import numpy as np

    from ivr.present.gridplots import sweep_heatmap, sweep_lines
    from ivr.present.plots import render

    fmt = _plot_format(path)
    k = table.columns.index(figure)
    share = figure in _SHARES or figure.endswith((".service_level", ".abandoned",
                                                   ".occupancy"))
    varies = grid.varies
    if len(varies) == 1:
        v = varies[0]
        series = {}
        for m, label in enumerate(grid.labels):
            rows = [r for c, r in zip(grid, table.rows, strict=True)
                    if c.menu == m and c.at == 0]
            series[label] = [r[k] for r in rows]
        fig = sweep_lines(v.path, v.values, series, figure, share=share)
    elif len(varies) == 2:
        x, y = varies[1], varies[0]
        z = np.full((len(y.values), len(x.values)), np.nan)
        for c, r in zip(grid, table.rows, strict=True):
            if c.menu == 0 and c.at == 0:
                z[y.values.index(c.values[0]), x.values.index(c.values[1])] = r[k]
        fig = sweep_heatmap(x.path, x.values, y.path, y.values, z, figure, share=share)
    else:
        raise ConfigError("--plot draws one varied field (lines) or two (a heat map), "
                          f"not {len(varies)}")
    write_atomically(path, render(fig, fmt))


def register(command: Command) -> None:
    p = command("staff", cmd_staff,
                "The fewest agents per queue and hour that meet a policy's time rules or a "
                "target (exact queue model); --write writes the staffed menu.")
    p.add_argument("file", metavar="FILE", help="a menu file with staffed agents")
    p.add_argument("--policy", action="append", metavar="NAME",
                   help="a shipped policy (ivr audit --list) or a policy file; repeatable")
    p.add_argument("--target", action="append", metavar="TEXT",
                   help='a target such as "95%% within 180 s" (of joining the line, or '
                   '"... of the call"); repeatable')
    p.add_argument("--clock", choices=("queue", "call"), default="queue",
                   help="where a --target's seconds start (default: joining the line)")
    p.add_argument("--write", metavar="MENU2",
                   help="write the menu with the needed agents (staff.hourly) to MENU2")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="output format")
    p.add_argument("--plot", metavar="FILE", help="agents by hour, now and needed (.png/.svg)")
    sampling(p, "callers the audit simulates for call-clock rules")
    from_format(p)
    max_bytes(p)

    p = command("sweep", cmd_sweep,
                "A what-if grid: every combination of --vary fields, menus and --at times, "
                "solved exactly (or simulated), one row each, locally or on Dask.")
    p.add_argument("files", nargs="+", metavar="MENU", help="menu files (variants)")
    p.add_argument("--vary", action="append", metavar="PATH=VALUES",
                   help="a numeric field and its values, e.g. staff.service_agent.agents=8..16 "
                   "or callers.patience.mean=60..300:60; repeatable (docs/sweeps.md)")
    p.add_argument("--at", action="append", metavar="WHEN",
                   help='every call at this time ("mon 19:30", in each menu\'s clock unless a '
                   'zone follows); repeatable')
    p.add_argument("--executor", choices=("serial", "processes", "dask"),
                   default="processes", help="where it runs (default: a process per core)")
    p.add_argument("--workers", type=positive_int, metavar="N",
                   help="processes of the local pool (default: the cores)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="the Dask scheduler, e.g. tcp://10.0.0.5:8786 (--executor dask)")
    p.add_argument("--chunk", type=positive_int, metavar="K",
                   help="combinations per task (default: about a quarter of each worker's "
                   "share, at most 2,000)")
    p.add_argument("--format", choices=("csv", "json", "text"), default="csv",
                   help="table on stdout (default csv)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write the table to FILE (.csv, .json, .parquet with pyarrow)")
    p.add_argument("--plot", metavar="FILE",
                   help="a line plot (one varied field) or heat map (two) of --figure")
    p.add_argument("--figure", metavar="NAME",
                   help="the column to plot (default abandoned), e.g. human, human_seconds, "
                   "service_agent.asa")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=True,
                   help="a progress bar with the time left on a terminal (default on)")
    p.add_argument("-n", type=positive_int, default=20_000, metavar="N",
                   help="callers per simulated combination (default 20,000)")
    p.add_argument("--seed", type=int, default=0,
                   help="base seed of simulated combinations (each is seeded by itself)")
    from_format(p)
    max_bytes(p)
