"""When a person can be reached: the hours of the week, and the share of calls made then.

A menu's structure says whether some key sequence leads to an agent; its opening hours
say when that agent answers. For each set of schedules open together
(:class:`ivr.callers.calendar.Week`), the moves a caller can make are those of that time
(an open agent answers, a closed one sends callers on by its ``closed`` route, a schedule
branch takes its ``open`` or ``closed`` route) and a person can be reached when they lead
from the start to an open agent. The hours are counted in minutes of the reference week;
the calls are weighted by the callers' arrivals (flat without a profile). ``ivr lint``
and ``ivr solve`` print it as one line, audit rules judge the hours a policy applies to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ivr.callers.calendar import Week, clock, hourly_profile, week
from ivr.model import EVENTS, Menu, Population
from ivr.structure.topology import Topology, reaching

_EV = {e: i for i, e in enumerate(EVENTS)}


@dataclass(frozen=True)
class PersonHours:
    """Whether a person can be reached in each open-set of the week (``by_set``, rows of
    ``week.sets``), and per UTC minute of the week (``minutes``)."""

    week: Week
    by_set: np.ndarray
    #: The open agents reachable in each set (agent node indices), for the rules that
    #: ask how far they are.
    agents: tuple[tuple[int, ...], ...]

    @property
    def minutes(self) -> np.ndarray:
        """Per UTC minute of the week: a person can be reached then."""
        return self.by_set[self.week.of_minute]

    @property
    def hours(self) -> float:
        """Hours of the 168 in which a person can be reached."""
        return float(self.minutes.sum()) / 60.0

    @property
    def calls(self) -> float:
        """Share of the calls made when a person can be reached."""
        return float(self.week.arrival[self.minutes].sum() / self.week.arrival.sum())

    def within(self, mask: np.ndarray) -> tuple[float, float, float]:
        """For the minutes of ``mask`` (per UTC minute): the hours they span, the hours of
        them in which a person can be reached, and the share of their calls made then."""
        reach = self.minutes & mask
        calls = float(self.week.arrival[mask].sum())
        share = float(self.week.arrival[reach].sum()) / calls if calls > 0 else 0.0
        return float(mask.sum()) / 60.0, float(reach.sum()) / 60.0, share

    def headline(self) -> str:
        """``a person can be reached 15 h of the 168 h of the week, for 8.9% of the calls``."""
        return (f"a person can be reached {_hours(self.hours)} of the 168 h of the week, "
                f"for {_share(self.calls)} of the calls")


def _hours(h: float) -> str:
    return f"{h:.0f} h" if abs(h - round(h)) < 1e-9 else f"{h:.1f} h"


def _share(x: float) -> str:
    return "100%" if x >= 1 - 5e-4 else "0%" if x <= 0 else f"{x:.1%}"


def schedule_of(top: Topology, wk: Week) -> np.ndarray:
    """Per node: the index of its schedule among ``wk.names``, -1 for none."""
    names = {name: i for i, name in enumerate(wk.names)}
    out = np.full(top.n, -1, dtype=np.int64)
    for i, node in enumerate(top.menu.nodes.values()):
        if node.schedule is not None and node.schedule in names:
            out[i] = names[node.schedule]
    return out


def open_moves(top: Topology, wk: Week, k: int,
               sched: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """For open-set ``k``: the edges a caller can take then (those the caller model
    takes, less an open agent's ``closed`` route and the route a schedule branch does not
    take), and the agents open then. ``sched`` is :func:`schedule_of`, when known."""
    sched = schedule_of(top, wk) if sched is None else sched
    timed = sched >= 0
    is_open = np.zeros(top.n, dtype=bool)
    if wk.names:
        is_open[timed] = wk.sets[k][sched[timed]]
    open_agent = top.is_kind("agent") & (~timed | is_open)
    keep = top.taken.copy()
    src = top.src
    keep[timed[src] & is_open[src] & (top.event == _EV["closed"])] = False
    keep[timed[src] & ~is_open[src] & (top.event == _EV["open"])] = False
    keep[open_agent[src]] = False  # an open agent ends the call: nothing leaves it
    return keep, open_agent


def person_hours(menu: Menu, top: Topology | None = None,
                 population: Population | None = None) -> PersonHours:
    """When a person can be reached from the start, over the week.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: T
    ... start: desk
    ... schedules: {office: {mon-fri: "10:00-13:00", tz: UTC}}
    ... nodes:
    ...   desk: {kind: agent, schedule: office, closed: bye}
    ...   bye: {kind: hangup}
    ... ''')
    >>> person_hours(m).headline()
    'a person can be reached 15 h of the 168 h of the week, for 8.9% of the calls'
    """
    top = top or Topology.of(menu)
    pop = population or menu.callers
    profile = None
    if pop is not None and pop.arrivals is not None:
        profile = hourly_profile(pop.arrivals.hourly, pop.arrivals.tz or clock(menu.schedules))
    wk = week(menu.schedules, profile=profile)
    sched = schedule_of(top, wk)
    start = np.zeros(top.n, dtype=bool)
    start[top.index[menu.start]] = True
    by_set = np.zeros(len(wk.sets), dtype=bool)
    agents = []
    for k in range(len(wk.sets)):
        keep, open_agent = open_moves(top, wk, k, sched)
        seen = reaching(top.n, top.dst[keep], top.src[keep], start)  # forward from start
        found = np.flatnonzero(seen & open_agent)
        by_set[k] = len(found) > 0
        agents.append(tuple(found.tolist()))
    return PersonHours(wk, by_set, tuple(agents))


__all__ = ["PersonHours", "open_moves", "person_hours", "schedule_of"]
