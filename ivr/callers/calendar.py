"""When calls arrive, and which schedules are open then.

Calls arrive over one reference week (flat by default, or an hourly profile). Every
minute of that week has a set of open schedules; the caller model needs only the distinct
sets and their shares, so a call's schedule checks all agree with one another (a caller
who passes two checks of the same schedule finds it open both times or closed both
times). Minutes are UTC; a menu's *clock* (the time zone of its first schedule, UTC
without schedules) is how people name times: ``--at "mon 19:30"``, the hours of an
arrival profile and of ``solve --by-hour``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ivr.model import Menu, Schedule, Staff
from ivr.week import WEEK_MINUTES, offset


@dataclass(frozen=True)
class Week:
    """Distinct open-sets over the week: ``names`` of schedules, ``sets`` (bool per name),
    ``share`` of arrivals finding each set, and the set of each UTC minute of the week.

    ``arrival`` is the share of calls arriving in each UTC minute (a single minute with
    ``at``); ``level`` the arrival rate of each minute relative to the week's mean (1 when
    flat), which scales ``calls_per_hour`` for the agent queues.
    """

    names: tuple[str, ...]
    sets: np.ndarray        # (n_sets, n_schedules) bool
    share: np.ndarray       # (n_sets,)
    of_minute: np.ndarray   # (WEEK_MINUTES,) index into sets
    arrival: np.ndarray = field(default_factory=lambda: np.full(WEEK_MINUTES,
                                                                1.0 / WEEK_MINUTES))
    level: np.ndarray = field(default_factory=lambda: np.ones(WEEK_MINUTES))

    def is_open(self, k: int, schedule: str) -> bool:
        return bool(self.sets[k, self.column[schedule]])

    @cached_property
    def column(self) -> dict[str, int]:
        """Schedule name -> its column of ``sets`` (one lookup, not a search per call)."""
        return {name: i for i, name in enumerate(self.names)}


def used(menu: Menu) -> dict[str, Schedule]:
    """The schedules nodes name: the only ones that change what callers meet (a menu may
    define thousands it never uses)."""
    named = {node.schedule for node in menu.nodes.values() if node.schedule is not None}
    return {name: s for name, s in menu.schedules.items() if name in named}


def to_utc(local: np.ndarray, tz: str) -> np.ndarray:
    """Per-minute values of a local week, re-indexed by UTC minute."""
    # UTC minute t is local minute t + offset.
    return np.roll(local, -offset(tz))


def _open_minutes(schedule: Schedule) -> np.ndarray:
    """Open flag for each UTC minute of the reference week."""
    local = np.zeros(WEEK_MINUTES, dtype=bool)
    for day, start, end in schedule.hours:
        local[day * 1440 + start: day * 1440 + end] = True
    return to_utc(local, schedule.tz)


def clock(schedules: Mapping[str, Schedule]) -> str:
    """The time zone people mean in a menu: its first schedule's, UTC without any."""
    for s in schedules.values():
        return s.tz
    return "UTC"


def hourly_profile(hourly: Sequence[float], tz: str) -> np.ndarray:
    """Arrival weights per UTC minute from 168 hourly weights of a local week (Monday
    00:00 first); each hour's weight is spread evenly over its minutes."""
    local = np.repeat(np.asarray(hourly, dtype=float), 60)
    return to_utc(local, tz)


def staffing_minutes(staffs: Sequence[Staff | None], tz: str) -> np.ndarray:
    """``[minute, q]``: agents of each staff in each UTC minute of the week (their hours
    are in the menu's clock ``tz``)."""
    out = np.zeros((WEEK_MINUTES, len(staffs)), dtype=np.int64)
    for q, st in enumerate(staffs):
        if st is not None:
            out[:, q] = to_utc(np.repeat(np.asarray(st.week(), dtype=np.int64), 60), tz)
    return out


def week(schedules: Mapping[str, Schedule], profile: np.ndarray | None = None,
         at: int | None = None, *, by_level: bool = False,
         split: np.ndarray | None = None) -> Week:
    """The open-sets of the week; ``profile`` weights arrivals per UTC minute (flat when
    None); ``at`` puts every call at one UTC minute of the week. With ``by_level`` the
    sets are also told apart by the arrival level of their minutes (one set per segment
    of the week, for callers who may meet two queues: both in their own segment), and by
    the columns of ``split`` (per minute, e.g. the agents by hour of
    :func:`staffing_minutes`).

    Examples
    --------
    >>> w = week({"office": Schedule("office", "UTC", ((0, 480, 1080),))})
    >>> [bool(s[0]) for s in w.sets], [round(float(x), 4) for x in w.share]
    ([False, True], [0.9405, 0.0595])
    """
    names = tuple(sorted(schedules))
    flat = np.ones(WEEK_MINUTES) if profile is None else np.asarray(profile, float)
    if flat.shape != (WEEK_MINUTES,) or not np.isfinite(flat).all() or (flat < 0).any() \
            or flat.sum() <= 0:
        raise ValueError("an arrival profile has one weight >= 0 per minute of the week, "
                         "not all zero")
    level = flat * (WEEK_MINUTES / flat.sum())
    if at is not None:
        weights = np.zeros(WEEK_MINUTES)
        weights[at % WEEK_MINUTES] = 1.0
    else:
        weights = level / WEEK_MINUTES
    if not names and not by_level:
        return Week((), np.zeros((1, 0), dtype=bool), np.ones(1),
                    np.zeros(WEEK_MINUTES, dtype=np.int64), weights, level)
    # One column per distinct definition (many names may share opening hours), packed
    # eight to a byte: linear in the schedules, not quadratic.
    kinds: dict[tuple[str, tuple[tuple[int, int, int], ...]], int] = {}
    kind_of = np.array([kinds.setdefault((schedules[n].tz, schedules[n].hours), len(kinds))
                        for n in names], dtype=np.int64)
    defs = list(kinds)
    grid = np.zeros((WEEK_MINUTES, len(defs)), dtype=bool)
    for j, (tz, hours) in enumerate(defs):
        grid[:, j] = _open_minutes(Schedule("", tz, hours))
    packed = np.packbits(grid, axis=1)
    extra = [] if split is None or not split.shape[1] else [split.astype(float)]
    keys = np.concatenate([packed.astype(float), level[:, None], *extra], axis=1) \
        if by_level else packed
    rows, of_minute = distinct_rows(keys)
    sets = np.unpackbits(rows[:, :packed.shape[1]].astype(np.uint8), axis=1,
                         count=len(defs)).astype(bool)[:, kind_of]
    share = np.bincount(of_minute, weights=weights, minlength=len(rows))
    share = share / share.sum()
    return Week(names, sets, share, of_minute.astype(np.int64), weights, level)


def distinct_rows(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(grid, axis=0, return_inverse=True)`` of a 2-D array: the distinct rows
    in lexicographic order, and each row's index among them. By a lexsort of the columns:
    ``np.unique`` sorts rows as structured values, 15-20x slower on the 10,080 minutes of
    a week, which every ``ivr solve`` paid twice.

    Examples
    --------
    >>> g = np.array([[True, False], [False, True], [True, False]])
    >>> rows, of = distinct_rows(g)
    >>> rows.tolist(), of.tolist()
    ([[False, True], [True, False]], [1, 0, 1])
    """
    n = len(grid)
    order = np.lexsort(grid.T[::-1]) if grid.shape[1] else np.arange(n)
    ranked = grid[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (ranked[1:] != ranked[:-1]).any(axis=1)
    of = np.empty(n, dtype=np.int64)
    of[order] = np.cumsum(new) - 1
    return ranked[new], of


__all__ = ["Week", "clock", "distinct_rows", "hourly_profile", "staffing_minutes", "to_utc",
           "used", "week"]
