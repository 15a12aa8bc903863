"""Time figures for audit rules: how fast a caller who wants a person reaches one.

Three sources, each said in the verdict's method:

- the **fastest route** to each agent (seconds of prompts, as in ``ivr paths``), plus the
  expected queue wait of that agent where it is staffed;
- the **caller model** for callers who want a person: the menu's intents whose goals
  include an agent (their agent goals only), behaving as the menu's callers do but waiting
  as long as it takes (rules measure the line, not the callers' patience), calling in the
  hours the rule applies to (:mod:`ivr.audit.hours`: every hour, the line's opening hours,
  business hours; ``ignore``: while the most opening hours are open). Means come from the
  exact solution where it applies, shares within a time limit from a simulation with a
  fixed seed (95% Wilson interval);
- **queue figures** (Erlang) of staffed agents, when the queue model is available.

A wait that is not modelled (an agent without ``staff:``) can only lengthen the time to a
person: a figure without it is a bound. A rule fails when the bound already breaks it, and
is not applicable when only the missing wait could decide.

A share is judged by its estimate; its interval is shown, and the evidence says when the
interval includes the limit (raise ``-n`` to settle it).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import Any

import numpy as np

from ivr.audit.hours import Applies, profile, when
from ivr.audit.verdict import (
    Evidence,
    Outcome,
    all_of,
    failed,
    judged,
    not_applicable,
    passed,
    plural,
)
from ivr.callers.calendar import week
from ivr.callers.chain import HUMAN, Chain, compile_chain, default_population
from ivr.callers.exact import applies, solve
from ivr.callers.metrics import Summary, summarize, summarize_exact, wilson
from ivr.callers.queues import AgentQueues
from ivr.callers.reach import PersonHours, open_moves, schedule_of
from ivr.callers.simulate import BIN, SimResult, simulate
from ivr.errors import IvrError
from ivr.model import Intent, Menu, Patience, Population
from ivr.queueing.erlang import QueueFigures
from ivr.structure.topology import Routes, Step, Topology, describe

#: Steps in which the caller acts (a key, a digit entry, silence, running out of tries).
_ACTS = ("option", "timeout", "invalid", "fail")


def person_population(menu: Menu) -> Population | None:
    """Callers who want a person: the menu's intents with an agent goal (agent goals only,
    shares renormalised), else one intent aiming at every agent; no patience limit, and no
    arrival rate: their queue waits come from the menu's own callers (``TimeFacts.queues``),
    who load the queues. None when the menu has no agent."""
    agents = tuple(n.id for n in menu.nodes.values() if n.kind == "agent")
    if not agents:
        return None
    pop = menu.callers or default_population(menu)
    wanting = [(i, tuple(g for g in i.goals if g in agents)) for i in pop.intents]
    intents = [Intent(i.name, i.share, goals) for i, goals in wanting if goals]
    if not intents:
        intents = [Intent("person", 1.0, agents)]
    total = sum(i.share for i in intents)
    return replace(pop, intents=tuple(replace(i, share=i.share / total) for i in intents),
                   patience=Patience("none", None), calls_per_hour=0.0)


def open_profile(menu: Menu) -> np.ndarray | None:
    """Arrival weights over the week: the minutes when the most schedules are open (the
    hours the rules speak of); None (flat) for a menu without opening hours."""
    if not menu.schedules:
        return None
    w = week(menu.schedules)
    count = w.sets.sum(axis=1)[w.of_minute]
    return (count == count.max()).astype(float)


def after_request(steps: tuple[Step, ...], menu: Menu) -> float:
    """Seconds of a route after the caller's last action (hold messages, branches)."""
    acts = [k for k, s in enumerate(steps) if s.event in _ACTS or (
        s.event == "next" and s.node in menu.nodes and menu.nodes[s.node].kind == "input")]
    return sum(s.seconds for s in steps[(acts[-1] + 1 if acts else 0):])


class TimeFacts:
    """The time figures of one menu, computed on first use and shared between rules."""

    def __init__(self, menu: Menu, top: Topology, *, n: int, seed: int) -> None:
        self.menu = menu
        self.top = top
        self.n = n
        self.seed = seed
        self._chains: dict[str | None, Chain | None] = {}
        self._summaries: dict[str | None, Summary | None] = {}
        self._sims: dict[str | None, SimResult | None] = {}

    # -- queue waits ------------------------------------------------------------------

    @cached_property
    def _base(self) -> tuple[dict[str, QueueFigures], AgentQueues | None, str | None]:
        """The queues as the menu's own callers (the traffic that loads them) meet them:
        figures by agent id, the queue model, or why there is none."""
        if not any(n.staff is not None or n.kind == "callback"
                   for n in self.menu.nodes.values()):
            return {}, None, None
        try:
            chain = compile_chain(self.menu, top=self.top)
            if applies(chain):
                exact = solve(chain)
                summary, model = summarize_exact(chain, exact), exact.queues
            else:
                sim = simulate(chain, self.n, seed=self.seed)
                summary, model = summarize(sim), sim.queues
        except IvrError as exc:  # e.g. an overloaded queue of callers who never give up
            return {}, None, exc.message
        return {q.node: q for q in summary.queues}, model, None

    @property
    def model(self) -> AgentQueues | None:
        """The queue model of the menu's own callers (None when not modelled)."""
        return self._base[1]

    @property
    def queues(self) -> dict[str, QueueFigures]:
        """Queue figures by agent id (``Summary.queues`` of the menu's own callers)."""
        return self._base[0]

    def wait(self, agent: str) -> tuple[float | None, str]:
        """The expected queue wait at an agent, or None and why it is not known."""
        if self.menu.nodes[agent].staff is None:
            return None, f"{agent!r} has no staff:, so its queue wait is not modelled"
        q = self.queues.get(agent)
        if q is None:
            why = self._base[2] or "the caller model gives no queue figures (is "\
                "callers.calls_per_hour set?)"
            return None, f"the queue wait at {agent!r} is not known: {why}"
        model = "Erlang C" if q.model == "erlang_c" else "Erlang A"
        return float(q.asa), f"{q.asa:.0f} s expected wait at {agent!r} ({model}, " \
            f"{q.agents} agents)"

    def answered_within(self, agent: str, seconds: float) -> float | None:
        """Share of callers joining an agent's queue answered within ``seconds``: over the
        week's segments of the queue model, weighted by the callers arriving in each."""
        if self.wait(agent)[0] is None:
            return None
        q = self.queues[agent]
        if abs(q.target - seconds) < 1e-9:
            return float(q.service_level)
        model = self._base[1]
        if model is None or agent not in model.names:
            return None
        return model.answered_within(model.names.index(agent), seconds)

    def unknown_waits(self) -> list[str]:
        """Agents callers can reach whose queue wait is not modelled."""
        return [aid for aid in self.reachable_agents() if self.wait(aid)[0] is None]

    def reachable_agents(self) -> list[str]:
        return [self.top.ids[i] for i in np.flatnonzero(self.top.is_kind("agent")
                                                       & self.fastest.reached).tolist()]

    @staticmethod
    def answered_at(summary: Summary) -> dict[str, float]:
        """Per agent: the share of callers reaching a person who reach this one (from the
        funnel's visits)."""
        visits = {f.node: f.visits for f in summary.funnel if f.kind == "agent"}
        total = sum(visits.values())
        return {a: v / total for a, v in visits.items() if v > 0} if total > 0 else {}

    # -- the caller model of callers who want a person --------------------------------

    def person_chain(self, where: Applies | None) -> Chain | None:
        """Callers who want a person calling in ``where`` (None: ``ignore``, while the
        most opening hours are open)."""
        key = None if where is None else where.label
        if key not in self._chains:
            pop = person_population(self.menu)
            if pop is None:
                self._chains[key] = None
            else:
                weights = open_profile(self.menu) if where is None else \
                    profile(self.menu, self.menu.callers, where)
                self._chains[key] = compile_chain(self.menu, pop, top=self.top,
                                                  profile=weights)
        return self._chains[key]

    def _summary(self, chain: Chain) -> Summary:
        if applies(chain):
            return summarize_exact(chain, solve(chain))
        return summarize(simulate(chain, self.n, seed=self.seed))

    def person_summary(self, where: Applies | None) -> Summary | None:
        key = None if where is None else where.label
        if key not in self._summaries:
            chain = self.person_chain(where)
            self._summaries[key] = None if chain is None else self._summary(chain)
        return self._summaries[key]

    def person_sim(self, where: Applies | None) -> SimResult | None:
        key = None if where is None else where.label
        if key not in self._sims:
            chain = self.person_chain(where)
            self._sims[key] = None if chain is None else simulate(chain, self.n,
                                                                  seed=self.seed)
        return self._sims[key]

    @staticmethod
    def calling(where: Applies | None) -> str:
        return "in open hours" if where is None else where.calling

    def model_method(self, summary: Summary, where: Applies | None = None) -> str:
        what = f"callers who want a person, waiting as long as it takes, {self.calling(where)}"
        if summary.method == "exact":
            return f"exact solution of the caller model ({what})"
        return f"simulated: {self.n:,} {what}, seed {self.seed}"

    # -- routes ------------------------------------------------------------------------

    @cached_property
    def fastest(self) -> Routes:
        """Fastest routes over the moves callers can make."""
        return Routes(self.top, self.menu.start, self.top.only_taken(self.top.seconds))

    def source(self, agent: str) -> Any:
        return self.menu.nodes[agent].source

    def no_person(self, method: str) -> Outcome:
        start = self.menu.nodes[self.menu.start]
        return failed("no person can be reached", Evidence(
            "no key sequence from the start reaches a person", start.id, "(at the start)",
            source=start.source), method=method)

    @cached_property
    def assumed(self) -> str | None:
        """For an imported flow that decides branches at call time (lint
        UNRESOLVED_TARGET): why the caller model's shares are an assumption."""
        unresolved = [n for n in self.menu.notes if n.rule == "UNRESOLVED_TARGET"]
        if not unresolved:
            return None
        return (f"the flow decides {plural(len(unresolved), 'branch')} at call time "
                "(lint UNRESOLVED_TARGET), which ivr splits evenly, so this share of callers "
                "is an assumption, not a finding").replace("branchs", "branches")

    # -- rules -------------------------------------------------------------------------

    def _rows(self, routes: Routes, agents: list[int], clock: str) -> list[tuple[Any, ...]]:
        """Per agent: (seconds with the known wait, wait known, id, steps, menu seconds,
        why the wait is not known), fastest first."""
        rows = []
        for i in agents:
            aid = self.top.ids[i]
            steps = routes.steps(i)
            menu_s = after_request(steps, self.menu) if clock == "request" else \
                sum(s.seconds for s in steps)
            wait, why = self.wait(aid)
            rows.append((menu_s + (wait or 0.0), wait is not None, aid, steps, menu_s, why))
        rows.sort(key=lambda r: (r[0], r[2]))
        return rows

    def _by_time(self, where: Applies | None, hours: PersonHours | None,
                 clock: str) -> list[tuple[list[tuple[Any, ...]], str | None]]:
        """The fastest rows in each stretch of the week ``where`` covers (one stretch for
        ``ignore``: every agent as if open), with when it is."""
        if where is None or hours is None:
            agents = np.flatnonzero(self.top.is_kind("agent") & self.fastest.reached)
            return [(self._rows(self.fastest, agents.tolist(), clock), None)]
        wk = hours.week
        sched = schedule_of(self.top, wk)
        out: list[tuple[list[tuple[Any, ...]], str | None]] = []
        for k in np.unique(wk.of_minute[where.mask]).tolist():
            keep, open_agent = open_moves(self.top, wk, k, sched)
            routes = Routes(self.top, self.menu.start, np.where(keep, self.top.seconds, np.inf))
            agents = np.flatnonzero(open_agent & routes.reached).tolist()
            out.append((self._rows(routes, agents, clock),
                        when(where.mask & (wk.of_minute == k), self.menu)))
        return out

    def person_within(self, limit: float, clock: str, statistic: str,
                      where: Applies | None = None,
                      hours: PersonHours | None = None) -> Outcome:
        """Within ``limit`` seconds, in the hours ``where`` (the caller checks that a
        person can be reached in all of them first)."""
        if statistic == "mean":
            return self._mean_within(limit, where)
        method = "fastest route" + (" after the request" if clock == "request" else "")
        stretches = [(rows, at) for rows, at in self._by_time(where, hours, clock) if rows]
        if not stretches:
            return self.no_person(method)
        rows_all = [r for rows, _ in stretches for r in rows]
        if any(r[1] for r in rows_all):
            method += " + queue model (expected wait)"
        part = "after the caller asks" if clock == "request" else "from the start"
        # The binding stretch: the one whose fastest way is slowest.
        rows, at = max(stretches, key=lambda x: (x[0][0][0], x[1] or ""))
        lower = rows[0]
        then = f" ({at})" if at and len(stretches) > 1 else ""

        def evidence(row: tuple[Any, ...], verb: str) -> Evidence:
            total, has_wait, aid, steps, menu_s, why = row
            detail = f"{menu_s:.0f} s {part}" + (f" + {why}" if has_wait else "")
            return Evidence(f"a person in {total:.0f} s {verb} {limit:g} s ({detail}){then}",
                            aid, describe(steps, self.menu), round(total, 3), limit, "s",
                            self.source(aid))

        if lower[0] > limit:
            bound = "" if lower[1] else " even without the queue wait"
            return failed(f"the fastest way to a person takes {lower[0]:.0f} s > {limit:g} s"
                          f"{bound}{then}", evidence(lower, ">"), method=method)
        known = [(next((r for r in rows if r[1]), None), at) for rows, at in stretches]
        if all(k is not None and k[0] <= limit for k, _ in known):
            best, at = max(((k, a) for k, a in known if k is not None),
                           key=lambda x: x[0][0])
            then = f" ({at})" if at and len(stretches) > 1 else ""
            return passed(f"a person in {best[0]:.0f} s <= {limit:g} s: "
                          f"{describe(best[3], self.menu)}{then}", evidence(best, "<="),
                          method=method)
        return not_applicable(f"{lower[4]:.0f} s to a person {part} on the fastest route "
                              f"before any queue wait (<= {limit:g} s), but {lower[5]}",
                              method=method)

    def _mean_within(self, limit: float, where: Applies | None) -> Outcome:
        summary = self.person_summary(where)
        if summary is None or self.person_chain(where) is None:
            return self.no_person("caller model")
        method = self.model_method(summary, where)
        reach = summary.outcomes["human"].value
        menu_mean = summary.human_seconds.mean
        if reach <= 0 or not np.isfinite(menu_mean):
            return self.no_person(method)
        share = self.answered_at(summary)
        unknown = [a for a in share if self.wait(a)[0] is None]
        wait = sum(w * (self.wait(a)[0] or 0.0) for a, w in share.items())
        if wait:
            method += " + queue model (expected waits)"
        mean = menu_mean + wait
        spread = "" if summary.method == "exact" else \
            f" [{summary.human_seconds.low + wait:.0f}, {summary.human_seconds.high + wait:.0f}]"
        waits = f", {wait:.0f} s of it in queues" if wait else ""
        text = (f"callers who want a person, {self.calling(where)}, reach one in "
                f"{mean:.0f} s{spread} on average{waits} ({reach:.1%} of them reach one)")
        start = self.menu.nodes[self.menu.start]
        ev = Evidence(f"{text}: {mean:.0f} s {'>' if mean > limit else '<='} {limit:g} s",
                      start.id, None, round(mean, 3), limit, "s", start.source)
        if self.assumed:
            return not_applicable(f"{text}, but {self.assumed}", method=method)
        if mean > limit:
            bound = " even without the queue waits of " + ", ".join(unknown) if unknown else ""
            return failed(f"{mean:.0f} s > {limit:g} s on average{bound}", ev, method=method)
        if unknown:
            return not_applicable(f"{text} (<= {limit:g} s), but "
                                  + self.wait(unknown[0])[1], method=method)
        return passed(f"{mean:.0f} s <= {limit:g} s on average", ev, method=method)

    def share_within(self, limit: float, share: float, clock: str,
                     where: Applies | None = None) -> Outcome:
        if clock == "queue":
            return self._queue_share(limit, share)
        sim = self.person_sim(where)
        method = (f"simulated: {self.n:,} callers who want a person, waiting as long as it "
                  f"takes, {self.calling(where)}, seed {self.seed}")
        if sim is None:
            return self.no_person(method)
        hist = sim.seconds_hist[HUMAN][:int(round(limit / BIN))]
        at = self.answered_at(summarize(sim))
        unknown = [a for a in at if self.wait(a)[0] is None]
        known = {a: w for a, w in at.items() if a not in unknown}
        k = float(hist.sum())
        if known:
            method += " + queue model (waits answered within the time left)"
            k = float(hist.sum()) * sum(w for a, w in at.items() if a in unknown)
            left = limit - (np.arange(len(hist)) + 1) * BIN  # time left after the menu
            for a, w in known.items():
                k += w * float((hist * self._within_grid(a, left)).sum())
        rate = wilson(int(round(k)), sim.n)
        low, high = rate.low, rate.high
        text = (f"{rate.value:.1%} [{low:.1%}, {high:.1%}] of callers who want a person, "
                f"{self.calling(where)}, reach one within {limit:g} s")
        border = " (the 95% interval includes the limit: raise -n to settle it)" \
            if low <= share <= high else ""
        start = self.menu.nodes[self.menu.start]
        ok = rate.value >= share
        ev = Evidence(f"{text}: {'>=' if ok else '<'} {share:.0%}{border}", start.id, None,
                      rate.value, share, "share", start.source)
        if self.assumed:
            return not_applicable(f"{text}, but {self.assumed}", method=method)
        if not ok:
            bound = " even without the queue waits of " + ", ".join(unknown) if unknown else ""
            return failed(f"{rate.value:.1%} < {share:.0%} within {limit:g} s{bound}", ev,
                          method=method)
        if unknown:
            return not_applicable(f"{text} (>= {share:.0%}), but "
                                  + self.wait(unknown[0])[1], method=method)
        return passed(f"{rate.value:.1%} >= {share:.0%} within {limit:g} s{border}", ev,
                      method=method)

    def _within_grid(self, agent: str, left: np.ndarray) -> np.ndarray:
        """answered_within(agent, t) for many t: computed at 101 points from 0 to the
        largest t and interpolated linearly in between (0 for t < 0)."""
        top = float(left.max(initial=0.0))
        grid = np.linspace(0.0, max(top, 1e-9), 101)
        values = np.array([self.answered_within(agent, float(t)) or 0.0 for t in grid])
        return np.where(left >= 0, np.interp(left, grid, values), 0.0)

    def _queue_share(self, limit: float, share: float) -> Outcome:
        method = "queue model (Erlang): share answered within the limit after joining the queue"
        agents = [self.top.ids[i] for i in np.flatnonzero(
            self.top.is_kind("agent") & self.fastest.reached).tolist()]
        if not agents:
            return self.no_person(method)
        bad: list[Evidence] = []
        good: list[Evidence] = []
        unknown: list[str] = []
        for aid in agents:
            level = self.answered_within(aid, limit)
            if level is None:
                unknown.append(self.wait(aid)[1])
                continue
            figure = f"{level:.1%} of callers joining {aid!r} are answered within {limit:g} s"
            ev = Evidence(f"{figure}: {'>=' if level >= share else '<'} {share:.0%}", aid,
                          describe(self.fastest.steps(self.top.index[aid]), self.menu),
                          level, share, "share", self.source(aid))
            (good if level >= share else bad).append(ev)
        queues = plural(len(agents), "queue")
        return judged(bad, unknown, good, method=method,
                      failing=f"{len(bad)} of {queues} answer fewer than {share:.0%} within "
                      f"{limit:g} s",
                      unmeasured=f"{len(unknown)} of {queues} cannot be measured",
                      passing=f"{all_of(len(agents), 'queue')} answer"
                      f"{'s' * (len(agents) == 1)} {share:.0%} within {limit:g} s")


__all__ = ["TimeFacts", "after_request", "open_profile", "person_population"]
