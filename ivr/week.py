"""The reference week: its minutes and days, time-zone offsets, and times of it as text.

Every time in ivr is a minute of one reference week (UTC, starting Monday 2026-01-05).
Readers check times written in files (``at: "mon 19:30"``) and the caller model places
calls in the week, so this sits on the ground floor beside the model.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

WEEK_MINUTES = 7 * 24 * 60
#: The reference week (UTC): Monday 2026-01-05. Offsets are taken at its start, so a
#: daylight-saving change inside a real week is ignored.
REFERENCE_MONDAY = datetime(2026, 1, 5, tzinfo=timezone.utc)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def offset(tz: str) -> int:
    """Minutes ``tz`` is ahead of UTC in the reference week.

    Examples
    --------
    >>> offset("Europe/Madrid"), offset("America/Chicago"), offset("UTC")
    (60, -360, 0)
    """
    delta = REFERENCE_MONDAY.astimezone(ZoneInfo(tz)).utcoffset() or timedelta()
    return int(delta.total_seconds() // 60)


def minute_of_week(text: str) -> int:
    """``"mon 19:30"`` -> minute of the week (local to nothing: taken as UTC).

    Examples
    --------
    >>> minute_of_week("tue 08:15")
    1935
    """
    day, _, clock = text.strip().lower().partition(" ")
    hh, _, mm = clock.partition(":")
    if day[:3] not in DAYS or not hh.isdigit() or not (mm or "0").isdigit():
        raise ValueError(f"cannot read {text!r} as a time of the week (e.g. 'mon 19:30')")
    h, m = int(hh), int(mm or 0)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(f"{text!r}: hours are 00-23 and minutes 00-59")
    return DAYS.index(day[:3]) * 1440 + h * 60 + m


def parse_at(text: str, tz: str = "UTC") -> int:
    """``"mon 19:30"`` in ``tz``, or ``"mon 19:30 Europe/Madrid"`` in the zone named, ->
    UTC minute of the reference week (ValueError with a readable message otherwise).

    Examples
    --------
    >>> parse_at("mon 19:30"), parse_at("mon 19:30 Europe/Madrid")
    (1170, 1110)
    >>> parse_at("mon 00:30", "America/Chicago")
    390
    """
    words = text.split()
    if len(words) == 3:
        tz = words[2]
    elif len(words) != 2:
        raise ValueError(f"cannot read {text!r} as a time of the week: write a day and a "
                         "time, and optionally a time zone ('mon 19:30 Europe/Madrid')")
    try:
        zone = ZoneInfo(tz)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ValueError(f"unknown time zone {tz!r} in {text!r} (an IANA name such as "
                         "Europe/Madrid, or UTC)") from None
    local = minute_of_week(" ".join(words[:2]))
    return (local - offset(zone.key)) % WEEK_MINUTES


__all__ = ["DAYS", "REFERENCE_MONDAY", "WEEK_MINUTES", "minute_of_week", "offset", "parse_at"]
