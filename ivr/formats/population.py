"""The callers section (or a --callers file) -> :class:`ivr.model.Population`."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, available_timezones

from ivr.formats.checks import Checker, did_you_mean
from ivr.formats.schedule import DAYS, day_spec
from ivr.formats.yamltext import Path
from ivr.limits import (
    MAX_CALLS_PER_HOUR,
    MAX_INTENTS,
    MAX_SHAPE,
    MAX_WEIGHT_RATIO,
    MIN_CALLS_PER_HOUR,
    MIN_SHAPE,
)
from ivr.model import Arrivals, Intent, Patience, Population

POPULATION_FIELDS = ("intents", "patience", "mistake_rate", "confusion", "zero_out", "silence",
                     "calls_per_hour", "arrivals")
_KEY = re.compile(r"[0-9*#]{1,12}")
T = TypeVar("T")
RATES = ("mistake_rate", "confusion", "zero_out", "silence")
#: Parameters each patience distribution needs (besides ``distribution``).
PATIENCE_NEEDS: dict[str, tuple[str, ...]] = {
    "exponential": ("mean",),
    "weibull": ("mean", "shape"),
    "lognormal": ("mean", "sd"),
    "fixed": ("mean",),
    "none": (),
}


def read_population(check: Checker, raw: Any, path: Path) -> Population:
    """Check a population mapping; goals must be among ``check.ids``."""
    d = check.mapping(raw, path, "callers")
    check.fields(d, path, POPULATION_FIELDS, ("intents",), what="callers")
    ip = (*path, "intents")
    table = check.mapping(d["intents"], ip, "intents")
    if not table:
        check.fail(ip, "intents is empty", hint="give at least one intent with share and goal")
    if len(table) > MAX_INTENTS:
        check.fail(ip, f"{len(table):,} intents, over the limit of {MAX_INTENTS:,}",
                   hint="ivr.limits.MAX_INTENTS: real populations have 3-50; merge the rare ones")
    intents = []
    for raw, spec in table.items():
        sp = (*ip, raw)
        name = check.name(raw, sp, "intent")
        s = check.mapping(spec, sp, f"intent {name!r}")
        check.fields(s, sp, ("share", "goal", "presses", "barge_in"), ("share", "goal"),
                     what=f"intent {name!r}")
        share = check.number(s["share"], (*sp, "share"), f"share of {name!r}", low=0, high=1,
                             low_open=True)
        goals = check.texts(s["goal"], (*sp, "goal"), f"goal of {name!r}")
        for i, g in enumerate(goals):
            check.ref(g, (*sp, "goal", i) if isinstance(s["goal"], list) else (*sp, "goal"),
                      f"goal of {name!r}", None)
        presses = _presses(check, s["presses"], (*sp, "presses"), name) \
            if "presses" in s else ()
        barge = check.number(s["barge_in"], (*sp, "barge_in"), f"barge_in of {name!r}",
                             low=0, high=1) if "barge_in" in s else 0.0
        intents.append(Intent(name, share, goals, presses, barge))
    total = sum(i.share for i in intents)
    if abs(total - 1.0) > 1e-6:
        check.fail(ip, f"intent shares sum to {total:g}, not 1", None,
                   "make the shares add up to 1")
    patience = Patience()
    if "patience" in d:
        patience = _patience(check, d["patience"], (*path, "patience"))
    rates = {r: check.number(d[r], (*path, r), r, low=0, high=1) for r in RATES if r in d}
    if "calls_per_hour" in d:
        rates["calls_per_hour"] = check.number(d["calls_per_hour"], (*path, "calls_per_hour"),
                                               "calls_per_hour", low=0,
                                               high=MAX_CALLS_PER_HOUR,
                                               limit_hint="ivr.limits.MAX_CALLS_PER_HOUR")
        if 0 < rates["calls_per_hour"] < MIN_CALLS_PER_HOUR:
            check.fail((*path, "calls_per_hour"),
                       f"calls_per_hour must be 0 (no queues) or at least "
                       f"{MIN_CALLS_PER_HOUR:g}, not {rates['calls_per_hour']:g}", None,
                       "give the calls of the mean hour (weekly calls / 168), or 0")
    arrivals = _arrivals(check, d["arrivals"], (*path, "arrivals")) if "arrivals" in d \
        else None
    return Population(intents=tuple(intents), patience=patience, source=check.source(path),
                      arrivals=arrivals, **rates)


def _presses(check: Checker, raw: Any, path: Path, name: str) -> tuple[str, ...]:
    """``presses: ["3", "2"]``: phone keys (digits may be unquoted), in the order the
    callers press them."""
    if not isinstance(raw, list) or not raw:
        check.fail(path, f"presses of {name!r} must be a non-empty list of keys", None,
                   'presses: ["3", "2"] (the keys the wording suggests, in order)')
    keys = []
    for i, k in enumerate(raw):
        key = str(k) if isinstance(k, int) and not isinstance(k, bool) and k >= 0 else k
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            check.fail((*path, i), f"presses of {name!r}: {k!r} is not a phone key", None,
                       'keys are 0-9, "*" and "#" (quote * and #), or several typed in a '
                       'row such as "1000"')
        keys.append(key)
    return tuple(keys)


def _arrivals(check: Checker, raw: Any, path: Path) -> Arrivals:
    """``{hourly: [24 weights], tz: ZONE}``, or ``hourly`` by day: ``{mon-fri: [24], ...}``
    naming every day once. Weights are relative (>= 0, not all 0)."""
    d = check.mapping(raw, path, "arrivals")
    check.fields(d, path, ("hourly", "tz"), ("hourly",), what="arrivals")
    hp = (*path, "hourly")
    hourly = week_table(check, d["hourly"], hp, "arrivals",
                        lambda v, p, i: check.number(v, p, f"arrival weight at {i:02d}:00",
                                                     low=0),
                        "weights", "give every day, with 24 zeros for a day without calls")
    if not any(hourly):
        check.fail(hp, "arrivals.hourly is all zeros: no call would ever arrive", None,
                   "weights are relative: give the busy hours more")
    used = [w for w in hourly if w > 0]
    if max(used) > MAX_WEIGHT_RATIO * min(used):
        check.fail(hp, f"arrival weights range over more than {MAX_WEIGHT_RATIO:g} times", None,
                   "weights are relative: write 0 for an hour without calls "
                   "(ivr.limits.MAX_WEIGHT_RATIO)")
    tz = None
    if "tz" in d:
        tz = check.text(d["tz"], (*path, "tz"), "arrivals.tz")
        try:
            ZoneInfo(tz)
        except (ValueError, KeyError, OSError):
            check.fail((*path, "tz"), f"unknown time zone {tz!r}", None,
                       did_you_mean(tz, available_timezones())
                       or "use an IANA name such as Europe/Madrid")
    return Arrivals(hourly, tz)


def week_table(check: Checker, raw: Any, path: Path, what: str,
               value: Callable[[Any, Path, int], T], unit: str, missing_hint: str,
               node: str | None = None) -> tuple[T, ...]:
    """168 hourly values (Monday 00:00 first) from 24 values for every day, or a mapping
    of days (``mon``, ``mon-fri``, ``sat,sun``, ``daily``) to 24 values naming every day
    once: the shape of ``arrivals.hourly`` and of an agent's ``staff.hourly``."""
    days: list[tuple[T, ...] | None] = [None] * 7
    if isinstance(raw, dict):
        table = check.mapping(raw, path, f"{what}.hourly", node)
        for spec, row_raw in table.items():
            which = day_spec(spec)
            if which is None:
                check.fail((*path, spec), f"{spec!r} is not a day", node,
                           "use mon..sun, a range like mon-fri, a list like sat,sun, or daily")
            row = _day(check, row_raw, (*path, spec), what, spec, value, unit, node)
            for day in which:
                if days[day] is not None:
                    check.fail((*path, spec), f"{DAYS[day]} is given twice", node,
                               "name each day once")
                days[day] = row
        missing = [DAYS[i] for i, row in enumerate(days) if row is None]
        if missing:
            check.fail(path, f"{what}.hourly does not give {', '.join(missing)}", node,
                       missing_hint)
    else:
        days = [_day(check, raw, path, what, "every day", value, unit, node)] * 7
    return tuple(w for row in days if row is not None for w in row)


def _day(check: Checker, raw: Any, path: Path, what: str, day: str,
         value: Callable[[Any, Path, int], T], unit: str, node: str | None
         ) -> tuple[T, ...]:
    if not isinstance(raw, list) or len(raw) != 24:
        got = f"{len(raw)} values" if isinstance(raw, list) else type(raw).__name__
        check.fail(path, f"{what} for {day} need 24 hourly {unit} (00:00 first), "
                   f"not {got}", node)
    return tuple(value(v, (*path, i), i) for i, v in enumerate(raw))


def _patience(check: Checker, raw: Any, path: Path) -> Patience:
    d = check.mapping(raw, path, "patience")
    check.fields(d, path, ("distribution", "mean", "shape", "sd"), what="patience")
    dist = check.choice(d.get("distribution", "exponential"), (*path, "distribution"),
                        "distribution", tuple(PATIENCE_NEEDS))
    needs = PATIENCE_NEEDS[dist]
    values: dict[str, float | None] = {"mean": None}
    for name in ("mean", "shape", "sd"):
        if name in d:
            if name not in needs:
                check.fail((*path, name), f"{dist} patience takes no {name!r}", None,
                           f"{dist} needs: {', '.join(needs) or 'nothing'}")
            if name == "shape":
                values[name] = check.number(d[name], (*path, name), "patience shape",
                                            low=MIN_SHAPE, high=MAX_SHAPE,
                                            limit_hint="real fits fall in 0.5-3 (ivr.limits)")
            else:
                values[name] = check.seconds(d[name], (*path, name), f"patience {name}")
        elif name in needs:
            if name == "mean" and dist == "exponential":
                values["mean"] = Patience().mean
                continue
            check.fail(path, f"{dist} patience needs {name!r}", None)
    return Patience(distribution=dist, **values)
