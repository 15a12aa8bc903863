"""What it takes to comply: the fewest agents, queue by queue and hour by hour, that meet
a policy's time rules (or a target such as "95% within 180 s").

Staffing is sized by interval, as contact centres staff: each stretch of the week with
one arrival rate at a queue (a segment of :class:`ivr.callers.queues.AgentQueues`) gets
the fewest agents whose line meets every target on its own, so the week, a mix of them,
meets it too. The arrival rates are those the audit judges: the menu's own callers, with
the exact solution where it applies (the queue limits, callbacks and announced waits of
each line included). More agents at one line change nobody else's arrivals, unless
callers sent on from a line walk on in the menu or join another line: then the rates are
solved again with the new staffing and the search repeats until the staffing settles.

Targets (:class:`Target`):

- ``queue`` clock: the share of callers joining the line answered within ``seconds`` of
  joining (the FCC's "answered within 30 s, 90% of the time");
- ``call`` clock: the share of callers who want a person answered within ``seconds`` of
  the start of the call, menu time included, as ``share_within`` with ``clock: call``
  judges it (Spain's "95% within three minutes"): the menu time of those callers comes
  from the audit's own simulation, and each line must answer, within the time the menu
  leaves, the share that makes the whole pass. When even lines that answer at once would
  not pass (callers who reach a voicemail, a closed line or a hang-up count as not
  attended) no staffing can, and :attr:`Plan.blocked` says why;
- ``wait``: the mean wait of answered callers at most ``seconds`` (``person_within``:
  the time a route takes before the line is taken off the limit).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ivr.audit.hours import DEFAULT_BUSINESS, applies
from ivr.audit.policy import Policy
from ivr.audit.time import TimeFacts, after_request
from ivr.callers.calendar import clock
from ivr.callers.chain import HUMAN
from ivr.callers.queues import AgentQueues, has_rules, line_values, line_wait
from ivr.callers.simulate import BIN
from ivr.errors import ConfigError
from ivr.model import Menu, Node, Staff
from ivr.queueing.erlang import TARGET
from ivr.structure.topology import Topology
from ivr.week import WEEK_MINUTES, offset

#: Rounds of restaffing when callers sent on from a line load other lines.
MAX_ROUNDS = 10
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TARGET = re.compile(r"\s*(\d+(?:\.\d+)?)\s*%\s*(?:of calls\s*)?within\s*(\d+(?:\.\d+)?)\s*"
                     r"(s|sec|seconds|min|minutes)?\s*(?:of (joining|the call))?\s*",
                     re.IGNORECASE)


@dataclass(frozen=True)
class Target:
    """What each line must do: ``share`` answered within ``seconds`` (``queue`` or
    ``call`` clock), or a mean wait of at most ``seconds`` (``wait``). ``rule`` names
    the policy rule it comes from."""

    clock: str
    seconds: float
    share: float = 0.0
    rule: str | None = None
    #: For ``wait``: seconds of the menu before the line, per agent id (taken off).
    before: tuple[tuple[str, float], ...] = ()
    #: The hours the rule judges (:mod:`ivr.audit.hours`), for the ``call`` clock.
    hours: str = "ignore"
    business: str = DEFAULT_BUSINESS

    def label(self) -> str:
        if self.clock == "wait":
            return f"mean wait within {self.seconds:g} s of the call"
        where = "of joining the line" if self.clock == "queue" else "of the call"
        return f"{self.share:.0%} within {self.seconds:g} s {where}"


def parse_target(text: str, clock_name: str = "queue") -> Target:
    """``"95% within 180 s"`` (``of the call`` or ``of joining`` may follow; minutes
    too).

    Examples
    --------
    >>> t = parse_target("80% within 20 s")
    >>> t.clock, t.seconds, t.share
    ('queue', 20.0, 0.8)
    >>> parse_target("95% within 3 min of the call").clock
    'call'
    """
    m = _TARGET.fullmatch(text)
    if not m:
        raise ConfigError(f"--target {text!r}: say it as SHARE% within SECONDS s",
                          hint='e.g. --target "95% within 180 s" or "80% within 20 s of '
                          'joining"')
    share = float(m[1]) / 100.0
    seconds = float(m[2]) * (60.0 if (m[3] or "s").lower().startswith("min") else 1.0)
    if not 0 < share <= 1:
        raise ConfigError(f"--target {text!r}: the share must be above 0% and at most 100%")
    where = m[4].lower() if m[4] else None
    chosen = "call" if where == "the call" else "queue" if where else clock_name
    return Target(chosen, seconds, share)


def policy_targets(policy: Policy, menu: Menu, top: Topology) -> tuple[list[Target],
                                                                       list[str]]:
    """The targets of a policy's time rules, and the rules staffing cannot serve (with
    why)."""
    targets: list[Target] = []
    skipped: list[str] = []
    for rule in policy.rules:
        p = rule.params
        name = f"{policy.id}/{rule.id}"
        if rule.check == "share_within":
            targets.append(Target(p["clock"], float(p["seconds"]), float(p["share"]), name,
                                  hours=p.get("hours", "ignore"),
                                  business=p.get("business_hours", DEFAULT_BUSINESS)))
        elif rule.check == "person_within":
            before = _before(menu, top, p["clock"], p["statistic"])
            targets.append(Target("wait", float(p["seconds"]), 0.0, name, before))
    if not targets:
        skipped.append(f"{policy.id} has no time rule (share_within or person_within)")
    return targets, skipped


def _before(menu: Menu, top: Topology, clock_name: str, statistic: str
            ) -> tuple[tuple[str, float], ...]:
    """Seconds of the menu before each agent's line: its fastest route (from the start,
    or after the caller's request). For ``mean`` the audit adds the mean menu time of
    callers who want a person, so the fastest route is a lower bound: the audit confirms."""
    from ivr.structure.topology import Routes

    routes = Routes(top, menu.start, top.seconds)
    out = []
    for i in np.flatnonzero(top.is_kind("agent") & routes.reached).tolist():
        steps = routes.steps(i)
        secs = after_request(steps, menu) if clock_name == "request" else \
            sum(s.seconds for s in steps)
        out.append((top.ids[i], float(secs)))
    return tuple(out)


@dataclass(frozen=True)
class Hour:
    """One queue in one hour of the week (menu's clock): calls per hour arriving, agents
    now and needed, and at the needed staffing the service level (of the first target),
    the ASA and the share who give up."""

    agent: str
    hour: int
    calls: float
    now: int
    needed: int
    level: float
    level_now: float
    asa: float
    abandoned: float

    @property
    def when(self) -> str:
        return f"{_DAYS[self.hour // 24]} {self.hour % 24:02d}:00"


@dataclass(frozen=True)
class Plan:
    """The staffing that meets ``targets``: per queue and hour (:class:`Hour`, only the
    hours a queue takes calls), the agent-hours a week now and needed, the menu with that
    staffing (``staff.hourly``), and what staffing alone cannot fix (``blocked``) or
    cannot reach (``unreached``: lines still short at the most agents tried)."""

    menu: Menu
    staffed: Menu
    targets: tuple[Target, ...]
    hours: tuple[Hour, ...]
    blocked: tuple[str, ...] = ()
    unreached: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    rounds: int = 1
    agent_hours: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def total_now(self) -> int:
        return sum(a for a, _ in self.agent_hours.values())

    @property
    def total_needed(self) -> int:
        return sum(b for _, b in self.agent_hours.values())


class _Criteria:
    """Whether a line in one segment meets every target (with the audit's arithmetic)."""

    def __init__(self, targets: Sequence[Target], facts: TimeFacts) -> None:
        self.targets = list(targets)
        self.blocked: list[str] = []
        self.calls: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, float]] = {}
        for k, t in enumerate(self.targets):
            if t.clock == "call":
                self.calls[k] = self._call_grid(t, facts)

    def _call_grid(self, t: Target, facts: TimeFacts
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """As ``TimeFacts.share_within`` counts: the menu seconds of callers who want a
        person (histogram by :data:`BIN`), the time each leaves for the line, the grid
        the audit interpolates the line's answered-within share on, and the share each
        line must reach within the time left."""
        sim = facts.person_sim(applies(facts.menu, t.hours, t.business))
        if sim is None:
            self.blocked.append(f"{t.rule or t.label()}: no person can be reached")
            return np.zeros(0), np.zeros(0), np.zeros(0), math.inf
        hist = sim.seconds_hist[HUMAN][:int(round(t.seconds / BIN))].astype(float)
        left = t.seconds - (np.arange(len(hist)) + 1) * BIN
        grid = np.linspace(0.0, max(float(left.max(initial=0.0)), 1e-9), 101)
        reach = float(hist.sum()) / sim.n
        need = (t.share * sim.n + 1.0) / max(float(hist.sum()), 1e-300)
        if need > 1.0:
            self.blocked.append(
                f"{t.rule or t.label()}: even with every line answering at once, "
                f"{reach:.1%} of callers who want a person reach one within {t.seconds:g} s "
                f"(< {t.share:.0%}): the others end at a voicemail, a closed line, a hang-up "
                "or take longer in the menu. Staffing cannot fix that; the menu or its "
                "hours must change. Lines are sized for the share among callers who reach "
                "them")
            need = t.share
        return hist, left, grid, need

    def meets(self, w: Any, agent: str) -> bool:
        for k, t in enumerate(self.targets):
            if t.clock == "queue":
                if w.answered_within(t.seconds) < t.share:
                    return False
            elif t.clock == "call":
                hist, left, grid, need = self.calls[k]
                if not len(hist):
                    continue
                values = np.array([w.answered_within(float(x)) for x in grid])
                within = np.where(left >= 0, np.interp(left, grid, values), 0.0)
                if float((hist * within).sum()) < need * float(hist.sum()):
                    return False
            else:
                before = dict(t.before).get(agent)
                if before is None:
                    continue
                w1, _ = w.answered_wait()
                served = line_values(w, 0.0, TARGET)[0]
                asa = w1 / served if served > 0 else math.inf
                if asa > t.seconds - before + 1e-9:
                    return False
        return True

    def level(self, w: Any) -> float:
        """The figure of the first share target (the share within its limit)."""
        for k, t in enumerate(self.targets):
            if t.clock == "queue":
                return float(w.answered_within(t.seconds))
            if t.clock == "call":
                hist, left, grid, _ = self.calls[k]
                if not len(hist) or hist.sum() <= 0:
                    return math.nan
                values = np.array([w.answered_within(float(x)) for x in grid])
                within = np.where(left >= 0, np.interp(left, grid, values), 0.0)
                return float((hist * within).sum() / hist.sum())
        return float(w.answered_within(TARGET))


def staff(menu: Menu, targets: Sequence[Target], *, n: int, seed: int,
          skipped: Sequence[str] = ()) -> Plan:
    """The fewest agents per queue and hour that meet ``targets`` (see the module)."""
    if not targets:
        raise ConfigError("nothing to staff for: give a target or a policy with time rules")
    top = Topology.of(menu)
    facts = TimeFacts(menu, top, n=n, seed=seed)
    model = facts.model
    if model is None:
        why = facts._base[2] or "no agent has staff: with callers.calls_per_hour > 0"
        raise ConfigError(f"no queue to staff: {why}",
                          hint="give the agents staff: {agents, handle_time} and the "
                          "callers calls_per_hour")
    criteria = _Criteria(targets, facts)
    needed, unreached = _size(model, menu, criteria)
    rounds = 1
    while _sends_on(menu) and rounds < MAX_ROUNDS:
        # Callers sent on from a line load others: their rates follow the staffing.
        model = TimeFacts(_with_hours(menu, needed), top, n=n, seed=seed).model
        if model is None:
            break
        again, unreached = _size(model, menu, criteria)
        rounds += 1
        if again.keys() == needed.keys() and all(np.array_equal(again[k], needed[k])
                                                  for k in again):
            break
        needed = {k: np.maximum(again[k], needed.get(k, 0)) for k in again}
    staffed = _with_hours(menu, needed)
    final = TimeFacts(staffed, top, n=n, seed=seed).model
    hours, agent_hours = _table(menu, facts.model, final, criteria, needed)
    notes = list(skipped)
    return Plan(menu, staffed, tuple(targets), tuple(hours), tuple(criteria.blocked),
                tuple(unreached), tuple(notes), rounds, agent_hours)


def _sends_on(menu: Menu) -> bool:
    from ivr.callers.chain import continues

    return continues(menu) or any(n.kind == "callback" for n in menu.nodes.values())


def _size(model: AgentQueues, menu: Menu, criteria: _Criteria
          ) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per queue: the agents needed in each UTC minute of the week (0 without calls)."""
    theta = 0.0 if math.isinf(model.patience) else 1.0 / model.patience
    out: dict[str, np.ndarray] = {}
    unreached = []
    for q, name in enumerate(model.names):
        st = model.staff[q]
        if st is None or not model.lined[q]:
            continue
        node = menu.nodes[name]
        plain = not has_rules(node) and not model.back_calls[q].any()
        per_seg = np.zeros(len(model.seg_set), dtype=np.int64)
        for g, (rate, ret) in enumerate(zip(model.calls[q].tolist(),
                                            model.back_calls[q].tolist(), strict=True)):
            if rate <= 0 and ret <= 0:
                continue

            def ok(agents: int, rate: float = rate, ret: float = ret, st: Staff = st,
                   node: Node = node, name: str = name, plain: bool = plain) -> bool:
                try:
                    w, _ = line_wait(rate, ret, agents, st, theta, node, name, lined=True,
                                     plain=plain, when=lambda: "")
                except ConfigError:  # overloaded callers who never leave
                    return False
                return criteria.meets(w, name)

            load = (rate + ret) * st.handle_time / 3600.0
            found, agents = _fewest(ok, max(1, math.floor(load)), _cap(load))
            if not found:
                unreached.append(f"{name}: {rate:.4g} calls/h still miss the target with "
                                 f"{agents} agents")
            per_seg[g] = agents
        minutes = np.zeros(WEEK_MINUTES, dtype=np.int64)
        used = model.of_minute >= 0
        minutes[used] = per_seg[model.of_minute[used]]
        out[name] = minutes
    return out, unreached


def _cap(load: float) -> int:
    return int(math.ceil(2 * load + 10 * math.sqrt(load + 1) + 20))


def _fewest(ok: Any, low: int, high: int) -> tuple[bool, int]:
    """The smallest n in [1, high] with ok(n), for ok growing with n, starting from the
    guess ``low``: down one by one while it still holds, else up by doubling steps, then
    bisection. (False, high) when even ``high`` fails."""
    if ok(low):
        while low > 1 and ok(low - 1):
            low -= 1
        return True, low
    bad, step = low, 1
    while True:
        probe = min(low + step, high)
        if ok(probe):
            break
        if probe >= high:
            return False, high
        bad, step = probe, step * 2
    while probe - bad > 1:
        mid = (bad + probe) // 2
        if ok(mid):
            probe = mid
        else:
            bad = mid
    return True, probe


def stretches(hours: Sequence[int]) -> str:
    """Hours of the week (Monday 00:00 is 0) said as days and ranges.

    Examples
    --------
    >>> stretches([h for d in range(5) for h in range(24 * d + 7, 24 * d + 21)] + [130])
    'mon-fri 07:00-21:00; sat 10:00-11:00'
    """
    by_day: dict[int, list[tuple[int, int]]] = {}
    for h in sorted(hours):
        d, hh = divmod(h, 24)
        runs = by_day.setdefault(d, [])
        if runs and runs[-1][1] == hh:
            runs[-1] = (runs[-1][0], hh + 1)
        else:
            runs.append((hh, hh + 1))
    groups: list[tuple[list[int], list[tuple[int, int]]]] = []
    for d in sorted(by_day):
        if groups and groups[-1][1] == by_day[d] and groups[-1][0][-1] == d - 1:
            groups[-1][0].append(d)
        else:
            groups.append(([d], by_day[d]))
    return "; ".join(
        (_DAYS[ds[0]] if len(ds) == 1 else f"{_DAYS[ds[0]]}-{_DAYS[ds[-1]]}") + " "
        + ", ".join(f"{a:02d}:00-{b:02d}:00" for a, b in runs) for ds, runs in groups)


def _local_hours(minutes: np.ndarray, tz: str) -> np.ndarray:
    """A UTC-minute array as 168 hours of the menu's clock (the largest per hour)."""
    local = np.roll(minutes, offset(tz))
    return local.reshape(168, 60).max(axis=1)


def _with_hours(menu: Menu, needed: dict[str, np.ndarray]) -> Menu:
    tz = clock(menu.schedules)
    nodes = dict(menu.nodes)
    for name, minutes in needed.items():
        node = nodes[name]
        assert node.staff is not None
        hourly = tuple(int(x) for x in _local_hours(minutes, tz))
        if not any(hourly):
            continue
        flat = len(set(hourly)) == 1
        nodes[name] = replace(node, staff=Staff(max(hourly), node.staff.handle_time,
                                                None if flat else hourly))
    return replace(menu, nodes=nodes)


def _table(menu: Menu, before: AgentQueues | None, after: AgentQueues | None,
           criteria: _Criteria, needed: dict[str, np.ndarray]
           ) -> tuple[list[Hour], dict[str, tuple[int, int]]]:
    """Per queue and hour with calls: the figures now and with the needed staffing."""
    tz = clock(menu.schedules)
    hours: list[Hour] = []
    agent_hours: dict[str, tuple[int, int]] = {}
    if after is None or before is None:
        return hours, agent_hours
    for name, minutes in needed.items():
        q_after = after.names.index(name)
        q_before = before.names.index(name)
        st = menu.nodes[name].staff
        assert st is not None
        now = st.week()
        need = _local_hours(minutes, tz)
        calls = _per_hour(after, q_after, after.calls[q_after], tz)
        fig_after = _hour_figures(after, q_after, tz, criteria)
        fig_before = _hour_figures(before, q_before, tz, criteria)
        taking = [h for h in range(168) if calls[h] > 0]
        for h in taking:
            level, asa, ab = fig_after[h]
            hours.append(Hour(name, h, float(calls[h]), int(now[h]), int(need[h]), level,
                              fig_before[h][0], asa, ab))
        agent_hours[name] = (sum(int(now[h]) for h in taking),
                             sum(int(need[h]) for h in taking))
    return hours, agent_hours


def _per_hour(model: AgentQueues, q: int, per_seg: np.ndarray, tz: str) -> np.ndarray:
    """A per-segment figure as the mean over each local hour's minutes (0 where no call
    arrives)."""
    values = np.zeros(WEEK_MINUTES)
    used = model.of_minute >= 0
    values[used] = per_seg[model.of_minute[used]]
    return np.asarray(np.roll(values, offset(tz)).reshape(168, 60).mean(axis=1))


def _hour_figures(model: AgentQueues, q: int, tz: str, criteria: _Criteria
                  ) -> list[tuple[float, float, float]]:
    """Per local hour: the first target's level, the ASA and the share who give up,
    weighted by the calls of each minute."""
    n_seg = len(model.seg_set)
    level = np.array([criteria.level(model.waits[q][g]) if model.calls[q, g] > 0
                      else math.nan for g in range(n_seg)])
    served = model.served[q]
    asa_seg = np.where(served > 0, model.wait1[q] / np.where(served > 0, served, 1.0), 0.0)
    ab_seg = model.abandoned[q]
    calls = np.zeros(WEEK_MINUTES)
    seg = np.full(WEEK_MINUTES, -1)
    used = model.of_minute >= 0
    calls[used] = model.calls[q][model.of_minute[used]]
    seg[used] = model.of_minute[used]
    calls, seg = np.roll(calls, offset(tz)), np.roll(seg, offset(tz))
    out = []
    for h in range(168):
        c, s = calls[60 * h:60 * h + 60], seg[60 * h:60 * h + 60]
        total = c.sum()
        if total <= 0:
            out.append((math.nan, math.nan, math.nan))
            continue
        w = c / total
        idx = np.maximum(s, 0)
        lv = float(np.nansum(w * level[idx]))
        out.append((lv, float((w * asa_seg[idx]).sum()), float((w * ab_seg[idx]).sum())))
    return out


__all__ = ["MAX_ROUNDS", "Hour", "Plan", "Target", "parse_target", "policy_targets", "staff",
           "stretches"]
