"""Outcomes by hour: what callers meet at each hour of the day or of the week.

The exact solution gives outcome probabilities per caller class, and a class fixes which
schedules are open, so a minute's callers are the classes of its open-set mixed by intent
shares. Staffed queues add what depends on the minute's arrival level: their answered
share and wait in the minute's segment replace the class's week average. Hours are those
of the menu's clock (the time zone of its first schedule, UTC without schedules), so a
row of the table is what a person in that zone calls "09:00-10:00".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ivr.callers.calendar import clock
from ivr.callers.chain import ABANDONED, CALLBACK, HUMAN, OUTCOMES, Chain
from ivr.callers.exact import ExactResult
from ivr.callers.queues import AgentQueues
from ivr.model import EVENTS
from ivr.week import DAYS, WEEK_MINUTES, offset

_CLOSED = EVENTS.index("closed")


@dataclass(frozen=True)
class HourRow:
    """One hour: its share of the calls, the outcome shares of those calls, the closed
    routes (an agent's ``closed`` or a schedule branch's) they took per caller, and the
    mean queue wait of those answered at a staffed agent (None without queues)."""

    hour: str
    calls: float
    outcomes: Mapping[str, float]
    closed: float
    asa: float | None


def by_hour(chain: Chain, exact: ExactResult, span: str = "day") -> tuple[HourRow, ...]:
    """Rows per hour of the day (``span="day"``, 24 rows, the seven days together) or of
    the week (``"week"``, 168 rows, Monday 00:00 first); the rows weighted by ``calls``
    add up to the overall figures.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> from ivr.callers.exact import solve
    >>> from ivr.callers.chain import compile_chain
    >>> m = parse_menu('''
    ... name: T
    ... start: desk
    ... schedules: {office: {daily: "09:00-17:00", tz: UTC}}
    ... nodes:
    ...   desk: {kind: agent, schedule: office, closed: vm}
    ...   vm: {kind: voicemail}
    ... callers: {intents: {x: {share: 1, goal: desk}}}
    ... ''')
    >>> c = compile_chain(m)
    >>> rows = by_hour(c, solve(c))
    >>> rows[8].outcomes["human"], rows[9].outcomes["human"], round(rows[9].calls * 24, 6)
    (0.0, 1.0, 1.0)
    """
    if span not in ("day", "week"):
        raise ValueError("span is 'day' or 'week'")
    if exact.by_class is None:
        raise ValueError("the exact result has no per-class outcomes")
    wk = chain.week
    weights = chain.weights()
    sets = np.array([c.open_set for c in chain.classes], dtype=np.int64)
    within = weights / np.maximum(wk.share[sets], 1e-300)       # class share inside its set
    n_sets = len(wk.share)
    base = np.zeros((n_sets, len(OUTCOMES)))
    np.add.at(base, sets, within[:, None] * exact.by_class)
    closed_flow = np.bincount(chain.state_class[chain.entry_state],
                              weights=np.where(chain.event == _CLOSED, exact.flow, 0.0),
                              minlength=len(weights))
    closed = np.bincount(sets, weights=closed_flow / np.maximum(wk.share[sets], 1e-300),
                         minlength=n_sets)
    minutes = np.flatnonzero(wk.arrival > 0)
    arrival = wk.arrival[minutes]
    outcome = base[wk.of_minute[minutes]]
    closed_at = closed[wk.of_minute[minutes]]
    answered = waited = None
    queues = exact.queues
    if queues is not None:
        # The minute's segment instead of the class's week average, for each queue.
        seg = queues.of_minute[minutes]
        k = wk.of_minute[minutes]
        outcome = outcome + _line_shift(chain, queues, sets, within)[k, seg]
        heads = np.zeros((n_sets, len(queues.names)))
        np.add.at(heads, sets, within[:, None] * queues.reach)
        answered = (heads[k] * queues.served[:, seg].T).sum(axis=1)
        waited = (heads[k] * queues.wait1[:, seg].T).sum(axis=1)
    local = (minutes + offset(clock(chain.menu.schedules))) % WEEK_MINUTES
    hour = local // 60 if span == "week" else local // 60 % 24
    size = 168 if span == "week" else 24

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(hour, weights=arrival * values, minlength=size)

    calls = np.bincount(hour, weights=arrival, minlength=size)
    per = np.stack([total(outcome[:, o]) for o in range(len(OUTCOMES))], axis=1)
    closed_h = total(closed_at)
    answered_h = None if answered is None else total(answered)
    waited_h = None if waited is None else total(waited)
    rows = []
    for h in range(size):
        share = float(calls[h])
        label = f"{DAYS[h // 24]} {h % 24:02d}:00" if span == "week" else f"{h:02d}:00"
        asa = None
        if answered_h is not None and waited_h is not None:
            a = float(answered_h[h])
            asa = float(waited_h[h]) / a if a > 0 else math.nan
        rows.append(HourRow(
            label, share,
            {o: float(per[h, i]) / share if share > 0 else 0.0 for i, o in enumerate(OUTCOMES)},
            float(closed_h[h]) / share if share > 0 else 0.0, asa))
    return tuple(rows)


def _line_shift(chain: Chain, queues: AgentQueues, sets: np.ndarray, within: np.ndarray
                ) -> np.ndarray:
    """``[open-set, segment, outcome]``: how the outcomes of the callers of an open-set
    who arrive in a segment differ from their class's average over its segments: what
    becomes of them at the lines (answered, callback, gave up, sent on to an ending) in
    that segment instead of on average. Zero where callers sent on walk on, as their
    classes are then one segment each."""
    fates = queues.fates()                                   # [q, g, f]
    mean = np.einsum("cg,qgf->cqf", queues.class_mix, fates)  # [c, q, f]
    shift = np.zeros((len(chain.week.share), len(queues.seg_set), len(OUTCOMES)))
    for c in range(len(chain.classes)):
        for q in range(len(queues.names)):
            share = within[c] * queues.reach[c, q]
            if share <= 0:
                continue
            sent = queues.onward[q]
            ends = int(chain.arrive[c, sent]) if sent >= 0 else -1 - ABANDONED
            codes = (HUMAN, CALLBACK, -1 - ends if ends < 0 else None, ABANDONED)
            for f, o in enumerate(codes):
                if o is not None:
                    shift[sets[c], :, o] += share * (fates[q, :, f] - mean[c, q, f])
    return shift


__all__ = ["HourRow", "by_hour"]
