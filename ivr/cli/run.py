"""Commands that walk synthetic callers: simulate and solve."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import TYPE_CHECKING

from ivr.cli.common import (
    Command,
    Out,
    Progress,
    load_chain,
    max_bytes,
    population,
    sampling,
)
from ivr.errors import ConfigError
from ivr.figures import dumps

if TYPE_CHECKING:
    from ivr.callers.chain import Chain

#: |z| above which ``simulate --check`` reports disagreement (and exits 1).
CHECK_LIMIT = 4.5


def _chain(args: argparse.Namespace) -> tuple[Chain, str | None]:
    """The menu's chain (every call at ``--at`` when given) and that time spelled out with
    its time zone."""
    from ivr.callers.calendar import clock

    chain = load_chain(args)
    if not args.at:
        return chain, None
    words = args.at.split()
    return chain, " ".join(words) + ("" if len(words) == 3 else f" {clock(chain.menu.schedules)}")


def _label(args: argparse.Namespace, when: str | None) -> str:
    return args.file if when is None else f"{args.file} (calls at {when})"


def cmd_simulate(args: argparse.Namespace, out: Out) -> int:
    from ivr.callers.exact import applies as exact_applies
    from ivr.callers.exact import solve
    from ivr.callers.metrics import agreement, summarize, summarize_exact
    from ivr.callers.simulate import simulate
    from ivr.present.tables import agreement_text, summary_csv, summary_dict, summary_text

    chain, when = _chain(args)
    bar = Progress(args.n >= 500_000 and args.format == "text")
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
        from ivr.callers.ports import rate_noise
        ex = solve(chain)
        rows = agreement(summary, summarize_exact(chain, ex), rate_noise(chain, args.n),
                         human_sd=ex.human_seconds_sd)
        if args.format == "json":
            out.line(dumps([asdict(r) for r in rows], indent=2))
        else:
            out.line(agreement_text(rows, args.file, args.n, CHECK_LIMIT, summary))
        return 1 if any(abs(r.z) > CHECK_LIMIT for r in rows) else 0
    if args.format == "json":
        d = summary_dict(summary, args.file)
        d["at"] = when
        d["traces"] = [asdict(t) for t in result.traces]
        out.line(dumps(d, indent=2))
    elif args.format == "csv":
        out.stream.write(summary_csv([(args.file, summary)]))
    else:
        out.line(summary_text(summary, _label(args, when)))
        for t in result.traces:
            out.line("")
            out.line(f"  caller {t.caller} ({t.intent}): {t.outcome} after {t.seconds:.1f} s")
            for node, event, key, to, sec in t.steps:
                what = f"presses {key}" if key else event
                out.line(f"    {node:<20} {what:<12} -> {to:<20} {sec:6.1f} s")
    return 0


def cmd_solve(args: argparse.Namespace, out: Out) -> int:
    from ivr.callers.calendar import clock
    from ivr.callers.exact import solve
    from ivr.callers.hourly import by_hour
    from ivr.callers.metrics import summarize_exact
    from ivr.callers.reach import person_hours
    from ivr.present.tables import (
        by_hour_csv,
        by_hour_text,
        summary_csv,
        summary_dict,
        summary_text,
    )

    chain, when = _chain(args)
    exact = solve(chain)
    summary = summarize_exact(chain, exact)
    hours = by_hour(chain, exact, args.by_hour) if args.by_hour else None
    person = person_hours(chain.menu, chain.top, chain.population)
    if args.format == "json":
        d = summary_dict(summary, args.file)
        d["at"] = when
        d["person"] = {"hours": person.hours, "calls": person.calls,
                       "headline": person.headline()}
        if hours is not None:
            d["by_hour"] = {"span": args.by_hour, "tz": clock(chain.menu.schedules),
                            "hours": [asdict(r) for r in hours]}
        out.line(dumps(d, indent=2))
    elif args.format == "csv":
        out.stream.write(summary_csv([(args.file, summary)]))
        if hours is not None:
            out.stream.write(by_hour_csv(hours, args.file))
    else:
        out.line(summary_text(summary, _label(args, when), headline=person.headline()))
        if hours is not None:
            out.line("")
            out.line(by_hour_text(hours, clock(chain.menu.schedules)))
    return 0


def _at(p: argparse.ArgumentParser) -> None:
    p.add_argument("--at", metavar="WHEN",
                   help='every call at this time of the week, e.g. "mon 19:30" (in the '
                   "menu's clock: the time zone of its first schedule, UTC without "
                   'schedules) or "mon 19:30 Europe/Madrid"; default: calls spread over '
                   "the week (flat, or the callers' arrivals profile)")



def register(command: Command) -> None:
    p = command("simulate", cmd_simulate,
                "Walk synthetic callers through a menu: outcome shares with 95%% intervals, "
                "seconds and steps to a person, and the per-node funnel.")
    population(p)
    sampling(p, "number of callers")
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="output format")
    p.add_argument("--trace", type=int, default=0, metavar="K",
                   help="show the paths of the first K callers")
    p.add_argument("--check", action="store_true",
                   help="compare with the exact solution (z-scores); exit 1 if any |z| > "
                   f"{CHECK_LIMIT:g}")
    _at(p)
    max_bytes(p)

    p = command("solve", cmd_solve,
                "The exact figures of the caller model (absorbing Markov chain): outcome "
                "probabilities, expected seconds and steps, visits per node.")
    population(p)
    p.add_argument("--format", choices=("text", "json", "csv"), default="text",
                   help="output format")
    _at(p)
    p.add_argument("--by-hour", nargs="?", const="day", choices=("day", "week"),
                   metavar="day|week",
                   help="also the outcomes by hour of the day (default) or of the week, in "
                   "the menu's clock: share of calls, human, served, voicemail, abandoned, "
                   "closed routes taken, queue wait")
    max_bytes(p)
