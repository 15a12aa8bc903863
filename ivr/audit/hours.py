"""The hours a policy rule applies to, and what a menu offers in them.

A rule that says "during business hours" is judged in business hours; one that does not
is judged at every hour calls come in. The reading of each shipped rule is in its policy
file (``hours:``); the choices:

- ``every``: every hour of the week (a call at 3 a.m. on Sunday is a call);
- ``open``: the hours the menu says its lines are open (any of its schedules open; every
  hour for a menu without schedules): the business's own customer-service hours;
- ``business``: a fixed window, ``business_hours`` (default ``mon-fri 09:00-17:00``), in
  the menu's clock (the time zone of its first schedule): "normal business hours" that
  the menu cannot shorten by posting fewer;
- ``ignore``: the menu's structure, as if every line were always open (a closed agent
  counts as a person): rules about what the menu offers, not when.

A person can be reached in a minute when some key sequence leads, by the moves of that
minute (:mod:`ivr.callers.reach`), to an agent who is open then.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ivr.callers.calendar import clock, hourly_profile, to_utc, week
from ivr.formats.schedule import day_spec, hour_ranges
from ivr.model import Menu, Population
from ivr.week import DAYS, WEEK_MINUTES, offset

#: What ``hours:`` may say.
HOURS = ("every", "open", "business", "ignore")
DEFAULT_BUSINESS = "mon-fri 09:00-17:00"


def read_window(text: str) -> tuple[tuple[int, int, int], ...] | None:
    """``"mon-fri 09:00-17:00; sat 09:00-12:00"`` -> (day, start minute, end minute)
    ranges; None when it cannot be read.

    Examples
    --------
    >>> read_window("mon-fri 08:00-18:00")[:2], read_window("weekdays 9-5")
    (((0, 480, 1080), (1, 480, 1080)), None)
    """
    out: list[tuple[int, int, int]] = []
    for part in text.split(";"):
        days, _, ranges = part.strip().partition(" ")
        found = day_spec(days)
        spans = hour_ranges(ranges) if ranges.strip() else None
        if not found or spans is None:
            return None
        out.extend((d, a, b) for d in found for a, b in spans)
    return tuple(sorted(out)) or None


@dataclass(frozen=True)
class Applies:
    """The minutes of the week (UTC) a rule applies to, and how to say them: "a person
    can be reached in 35 h of the 50 h of {label}", "in every hour of {label}"."""

    mask: np.ndarray
    label: str
    #: The whole week: nothing to add about hours beyond the rule's own figure.
    whole: bool = False

    @property
    def hours(self) -> float:
        return float(self.mask.sum()) / 60.0

    @property
    def calling(self) -> str:
        """How callers of the rule call: "calling at any hour", "calling in business
        hours (...)"."""
        return "calling at any hour" if self.whole else f"calling in {self.label}"


def applies(menu: Menu, hours: str, business: str = DEFAULT_BUSINESS) -> Applies | None:
    """The minutes ``hours`` names for ``menu`` (None for ``ignore``).

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: T
    ... start: desk
    ... schedules: {office: {mon-fri: "10:00-13:00", tz: America/Chicago}}
    ... nodes:
    ...   desk: {kind: agent, schedule: office, closed: bye}
    ...   bye: {kind: hangup}
    ... ''')
    >>> a = applies(m, "business", "mon-fri 08:00-18:00")
    >>> a.hours, a.label
    (50.0, 'business hours (mon-fri 08:00-18:00 America/Chicago)')
    >>> applies(m, "open").label, applies(m, "open").hours, applies(m, "every").label
    ("the line's opening hours", 15.0, 'the week')
    """
    if hours == "ignore":
        return None
    every = np.ones(WEEK_MINUTES, dtype=bool)
    if hours == "every":
        return Applies(every, "the week", whole=True)
    if hours == "open":
        if not menu.schedules:
            return Applies(every, "the line's opening hours (it gives none: every hour)",
                           whole=True)
        w = week(menu.schedules)
        mask: np.ndarray = np.asarray(w.sets.any(axis=1))[w.of_minute]
        return Applies(mask, "the line's opening hours", whole=bool(mask.all()))
    window = read_window(business)
    if window is None:
        raise ValueError(f"cannot read business hours {business!r}")
    local = np.zeros(WEEK_MINUTES, dtype=bool)
    for day, a, b in window:
        local[day * 1440 + a: day * 1440 + b] = True
    tz = clock(menu.schedules)
    return Applies(to_utc(local, tz), f"business hours ({business} {tz})")


def profile(menu: Menu, pop: Population | None, where: Applies | None) -> np.ndarray | None:
    """Arrival weights per UTC minute for calls made in ``where`` (the callers' arrivals
    profile, flat without one); None for the whole week as the callers call."""
    if where is None or where.mask.all():
        return None
    weights = np.ones(WEEK_MINUTES)
    if pop is not None and pop.arrivals is not None:
        weights = hourly_profile(pop.arrivals.hourly, pop.arrivals.tz or clock(menu.schedules))
    out = weights * where.mask
    return out if out.sum() > 0 else None


def when(minutes: np.ndarray, menu: Menu) -> str:
    """The first stretch of ``minutes`` (per UTC minute), in the menu's clock:
    ``sat 00:00-24:00``, for evidence."""
    tz = clock(menu.schedules)
    local = np.roll(minutes, offset(tz))  # UTC minute t is local minute t + offset
    idx = np.flatnonzero(local)
    if not len(idx):
        return "never"
    first = int(idx[0])
    end = first
    while end + 1 < WEEK_MINUTES and local[end + 1]:
        end += 1
    day, a, b = first // 1440, first % 1440, end % 1440 + 1
    span = f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" if end // 1440 == day \
        else f"{a // 60:02d}:{a % 60:02d} to {DAYS[end // 1440]} {b // 60:02d}:{b % 60:02d}"
    return f"{DAYS[day]} {span} {tz}"


__all__ = ["DEFAULT_BUSINESS", "HOURS", "Applies", "applies", "profile", "read_window", "when"]
