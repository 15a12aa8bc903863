"""When calls arrive, and which schedules are open then.

Calls arrive over one reference week (flat by default). Every minute of that week has a
set of open schedules; the caller model needs only the distinct sets and their shares, so
a call's schedule checks all agree with one another (a caller who passes two checks of
the same schedule finds it open both times or closed both times).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np

from ivr.model import Schedule

WEEK_MINUTES = 7 * 24 * 60
#: The reference week (UTC): Monday 2026-01-05. Offsets are taken at its start, so a
#: daylight-saving change inside a real week is ignored.
REFERENCE_MONDAY = datetime(2026, 1, 5, tzinfo=timezone.utc)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Week:
    """Distinct open-sets over the week: ``names`` of schedules, ``sets`` (bool per name),
    ``share`` of arrivals finding each set, and the set of each UTC minute of the week."""

    names: tuple[str, ...]
    sets: np.ndarray        # (n_sets, n_schedules) bool
    share: np.ndarray       # (n_sets,)
    of_minute: np.ndarray   # (WEEK_MINUTES,) index into sets

    def is_open(self, k: int, schedule: str) -> bool:
        return bool(self.sets[k, self.names.index(schedule)])


def _open_minutes(schedule: Schedule) -> np.ndarray:
    """Open flag for each UTC minute of the reference week."""
    offset = REFERENCE_MONDAY.astimezone(ZoneInfo(schedule.tz)).utcoffset() or timedelta()
    shift = int(offset.total_seconds() // 60)
    local = np.zeros(WEEK_MINUTES, dtype=bool)
    for day, start, end in schedule.hours:
        local[day * 1440 + start: day * 1440 + end] = True
    # UTC minute t is local minute t + shift.
    return np.roll(local, -shift)


def week(schedules: Mapping[str, Schedule], profile: np.ndarray | None = None,
         at: int | None = None) -> Week:
    """The open-sets of the week; ``profile`` weights arrivals per UTC minute (flat when
    None); ``at`` puts every call at one UTC minute of the week.

    Examples
    --------
    >>> w = week({"office": Schedule("office", "UTC", ((0, 480, 1080),))})
    >>> [bool(s[0]) for s in w.sets], [round(float(x), 4) for x in w.share]
    ([False, True], [0.9405, 0.0595])
    """
    names = tuple(sorted(schedules))
    if not names:
        return Week((), np.zeros((1, 0), dtype=bool), np.ones(1),
                    np.zeros(WEEK_MINUTES, dtype=np.int64))
    grid = np.stack([_open_minutes(schedules[n]) for n in names], axis=1)
    sets, of_minute = np.unique(grid, axis=0, return_inverse=True)
    of_minute = of_minute.reshape(-1)
    if at is not None:
        weights = np.zeros(WEEK_MINUTES)
        weights[at % WEEK_MINUTES] = 1.0
    else:
        weights = np.ones(WEEK_MINUTES) if profile is None else np.asarray(profile, float)
    share = np.bincount(of_minute, weights=weights, minlength=len(sets))
    share = share / share.sum()
    return Week(names, sets, share, of_minute.astype(np.int64))


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


__all__ = ["DAYS", "WEEK_MINUTES", "Week", "minute_of_week", "week"]
