"""Opening hours as written in a menu file -> :class:`ivr.model.Schedule`."""

from __future__ import annotations

import re
from typing import Any

from ivr.formats.checks import Checker, did_you_mean
from ivr.formats.yamltext import Path
from ivr.model import Schedule, Source
from ivr.week import DAYS

_RANGE = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")


def day_spec(spec: str) -> list[int] | None:
    """Weekdays (0 = Monday) named by ``mon``, ``mon-fri``, ``sat,sun`` or ``daily``.

    Examples
    --------
    >>> day_spec("mon-fri"), day_spec("sat,sun"), day_spec("fri-mon"), day_spec("noon")
    ([0, 1, 2, 3, 4], [5, 6], [4, 5, 6, 0], None)
    """
    out: list[int] = []
    for part in spec.lower().split(","):
        part = part.strip()
        if part == "daily":
            out.extend(range(7))
        elif "-" in part:
            a, _, b = part.partition("-")
            if a.strip() not in DAYS or b.strip() not in DAYS:
                return None
            i, j = DAYS.index(a.strip()), DAYS.index(b.strip())
            out.extend(DAYS.index(DAYS[(i + k) % 7]) for k in range((j - i) % 7 + 1))
        elif part in DAYS:
            out.append(DAYS.index(part))
        else:
            return None
    return out


def hour_ranges(value: str) -> list[tuple[int, int]] | None:
    """Minute ranges of ``"08:00-12:00, 13:00-18:00"``; ``closed`` is none; None if invalid.

    Examples
    --------
    >>> hour_ranges("08:00-12:00, 13:00-24:00"), hour_ranges("closed"), hour_ranges("8-18")
    ([(480, 720), (780, 1440)], [], None)
    """
    if value.strip().lower() == "closed":
        return []
    out = []
    for part in value.split(","):
        m = _RANGE.fullmatch(part)
        if not m:
            return None
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        a, b = h1 * 60 + m1, h2 * 60 + m2
        if h1 > 23 or m1 > 59 or m2 > 59 or b > 24 * 60 or b <= a:
            return None
        out.append((a, b))
    return out


def _zone_names() -> set[str]:
    try:
        import zoneinfo

        return set(zoneinfo.available_timezones())
    except Exception:  # pragma: no cover - no tz database at all
        return set()


_ZONES: set[str] | None = None


def _known_zone(tz: str) -> bool:
    """Whether the time zone database has ``tz`` (as the callers' ``arrivals.tz`` is read)."""
    from zoneinfo import ZoneInfo

    try:
        ZoneInfo(tz)
    except (ValueError, KeyError, OSError):
        return False
    return True


def read_schedule(check: Checker, name: str, raw: Any, path: Path, source: Source) -> Schedule:
    global _ZONES
    table = check.mapping(raw, path, f"schedule {name!r}")
    if "tz" not in table:
        check.fail(path, f"schedule {name!r} has no time zone", None,
                   "add tz: an IANA name such as Europe/Madrid or America/Chicago")
    tz = check.text(table["tz"], (*path, "tz"), "tz")
    if not _known_zone(tz):
        if _ZONES is None:  # listing the zones takes longer than loading a menu: on error
            _ZONES = _zone_names()
        check.fail((*path, "tz"), f"unknown time zone {tz!r}", None,
                   did_you_mean(tz, _ZONES) or "use an IANA name such as Europe/Madrid")
    seen: dict[int, str] = {}
    hours: list[tuple[int, int, int]] = []
    for spec, value in table.items():
        if spec == "tz":
            continue
        days = day_spec(spec)
        if days is None:
            check.fail((*path, spec), f"{spec!r} is not a day", None,
                       "use mon..sun, a range like mon-fri, a list like sat,sun, or daily")
        text = check.text(value, (*path, spec), f"hours for {spec}")
        ranges = hour_ranges(text)
        if ranges is None:
            check.fail((*path, spec), f"hours {text!r} are not HH:MM-HH:MM ranges", None,
                       'write "08:00-18:00", "09:00-12:00, 13:00-17:00" or closed')
        for day in days:
            if day in seen:
                check.fail((*path, spec), f"{DAYS[day]} is given twice "
                           f"(in {seen[day]!r} and {spec!r})", None, "name each day once")
            seen[day] = spec
            hours.extend((day, a, b) for a, b in ranges)
    return Schedule(name=name, tz=tz, hours=tuple(sorted(hours)), source=source)
