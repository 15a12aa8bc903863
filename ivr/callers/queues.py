"""The agent queues of a compiled menu: who reaches each staffed agent, when, and what
waiting there does to them.

A staffed agent node (``staff:``, with ``calls_per_hour`` > 0 in the population) is a
queue (:mod:`ivr.queueing.erlang`). Its arrival rate is ``calls_per_hour`` times the arrival
level of the minute times the chance that a caller of that minute ends there, which
depends only on the menu, never on the queue: so the queue is a post-process of the
callers who end at the agent. The exact solution (:mod:`ivr.callers.exact`) folds its effect in
per caller class, the simulation (:mod:`ivr.callers.simulate`) draws each waiting caller's offered
wait; both use :class:`AgentQueues`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from ivr.callers.chain import HUMAN, Chain
from ivr.model import Staff
from ivr.queueing.erlang import TARGET, OfferedWait, QueueFigures, check_stable, offered_wait


@dataclass(frozen=True, eq=False)
class AgentQueues:
    """The staffed agent queues of one chain over its week.

    Calls arrive at ``calls_per_hour`` times the level of their minute (1 when flat). A
    *segment* is the minutes with one open-set and one level; within it every queue is
    stationary (the pointwise-stationary approximation). ``reach[c, q]`` is the chance a
    caller of class ``c`` ends at queue ``q`` before waiting; the callers of open-set ``k``
    bring queue ``q`` its share of the segment's calls. Arrays indexed ``[q, g]`` hold,
    per queue and segment: ``calls`` per hour, and per arriving caller ``served`` (the
    chance of being answered), ``wait1``/``wait2`` (E[W 1{answered}], E[W^2 1{answered}]),
    ``seconds`` (time in the queue), ``p_wait`` and ``within`` (answered within target).
    """

    node: np.ndarray
    names: tuple[str, ...]
    staff: tuple[Staff, ...]
    patience: float
    target: float
    seg_set: np.ndarray
    seg_level: np.ndarray
    seg_share: np.ndarray
    seg_minutes: np.ndarray
    of_minute: np.ndarray
    reach: np.ndarray
    class_mix: np.ndarray
    calls: np.ndarray
    waits: tuple[tuple[OfferedWait, ...], ...]
    served: np.ndarray
    wait1: np.ndarray
    wait2: np.ndarray
    seconds: np.ndarray
    p_wait: np.ndarray
    within: np.ndarray

    def per_class(self, values: np.ndarray) -> np.ndarray:
        """A ``[q, g]`` figure averaged over each class's segments: ``[c, q]``."""
        return np.asarray(self.class_mix @ values.T)

    def arriving(self, q: int) -> np.ndarray | None:
        """Share of queue ``q``'s callers arriving in each segment of the week (None when
        no caller ever joins it)."""
        arriving = self.seg_share * self.calls[q] / np.maximum(self.seg_level, 1e-300)
        arriving = np.where(self.calls[q] > 0, arriving, 0.0)
        total = arriving.sum()
        return arriving / total if total > 0 else None

    def answered_within(self, q: int, seconds: float) -> float | None:
        """Share of queue ``q``'s callers answered within ``seconds``, over the week."""
        w = self.arriving(q)
        if w is None:
            return None
        return float(sum(wg * self.waits[q][g].answered_within(max(seconds, 0.0))
                         for g, wg in enumerate(w.tolist()) if wg > 0))

    def figures(self) -> tuple[QueueFigures, ...]:
        """Per queue: what its arriving callers experience, averaged over the week."""
        out = []
        for q, name in enumerate(self.names):
            w = self.arriving(q)
            if w is None:
                continue
            served = float((w * self.served[q]).sum())
            open_ = self.seg_minutes * (self.calls[q] > 0)
            hours = open_ / open_.sum()
            staff = self.staff[q]
            busy = self.calls[q] * self.served[q] * staff.handle_time / 3600.0 / staff.agents
            out.append(QueueFigures(
                node=name, agents=staff.agents, handle_time=staff.handle_time,
                calls_per_hour=float((hours * self.calls[q]).sum()),
                p_wait=float((w * self.p_wait[q]).sum()),
                asa=float((w * self.wait1[q]).sum()) / served if served > 0 else math.nan,
                service_level=float((w * self.within[q]).sum()), target=self.target,
                # agents are busy at most all the time: an overloaded queue's answered rate
                # is N mu to rounding (a few parts in a million past it)
                p_abandon=1.0 - served, occupancy=min(float((hours * busy).sum()), 1.0),
                model="erlang_c" if math.isinf(self.patience) else "erlang_a",
                queue_seconds=float((w * self.seconds[q]).sum())))
        return tuple(out)


def staffed(chain: Chain) -> np.ndarray:
    """Topology indices of the agent nodes whose queue is modelled: those with ``staff``,
    when the population has ``calls_per_hour`` > 0 (none otherwise)."""
    if chain.population.calls_per_hour <= 0:
        return np.zeros(0, dtype=np.int64)
    return np.array([i for i, nid in enumerate(chain.top.ids)
                     if (node := chain.menu.nodes.get(nid)) is not None
                     and node.kind == "agent" and node.staff is not None], dtype=np.int64)


def _segments(chain: Chain) -> tuple[np.ndarray, ...]:
    """Segments of the minutes calls arrive in: (open-set, level, share of the calls,
    minutes, and the segment of each minute or -1)."""
    wk = chain.week
    used = wk.arrival > 0
    minutes = np.flatnonzero(used)
    pairs = np.stack([wk.of_minute[minutes].astype(float), wk.level[minutes]], axis=1)
    keys, inverse = np.unique(pairs, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    of_minute = np.full(len(wk.arrival), -1, dtype=np.int64)
    of_minute[minutes] = inverse
    share = np.bincount(inverse, weights=wk.arrival[minutes], minlength=len(keys))
    count = np.bincount(inverse, minlength=len(keys)).astype(float)
    return keys[:, 0].astype(np.int64), keys[:, 1], share, count, of_minute


def agent_queues(chain: Chain, reach: np.ndarray, *, target: float = TARGET
                 ) -> AgentQueues | None:
    """The queues of ``chain`` given ``reach[c, q]`` (class ``c`` ends at the ``q``-th of
    :func:`staffed`); None when no queue is modelled.

    Raises ConfigError naming the node when callers who never give up (patience none)
    would overload a queue in some hour.
    """
    nodes = staffed(chain)
    if not len(nodes):
        return None
    pop = chain.population
    pat = pop.patience
    patience = math.inf if pat.distribution == "none" else float(pat.mean or 120.0)
    seg_set, seg_level, seg_share, seg_minutes, of_minute = _segments(chain)
    wk = chain.week
    weights = chain.weights()
    sets = np.array([c.open_set for c in chain.classes], dtype=np.int64)
    # P(a caller arriving while open-set k is in force ends at q): class weights within k.
    within_set = weights / np.maximum(wk.share[sets], 1e-300)
    heads = np.zeros((len(wk.share), len(nodes)))
    np.add.at(heads, sets, within_set[:, None] * reach)
    calls = pop.calls_per_hour * seg_level[None, :] * heads[seg_set].T
    mix = np.where(seg_set[None, :] == sets[:, None],
                   seg_share[None, :] / np.maximum(wk.share[sets][:, None], 1e-300), 0.0)
    names = tuple(chain.top.ids[i] for i in nodes.tolist())
    staff = tuple(st for n in names if (st := chain.menu.nodes[n].staff) is not None)
    shape = (len(nodes), len(seg_set))
    served, wait1, wait2, seconds, p_wait, within = (np.zeros(shape) for _ in range(6))
    served[:] = 1.0
    within[:] = 1.0
    waits = []
    for q, (name, st) in enumerate(zip(names, staff, strict=True)):
        if math.isinf(patience) and calls[q].max() > 0:
            check_stable(float(calls[q].max()), st.agents, st.handle_time, name,
                         chain.menu.nodes[name].source)
        row = []
        cache: dict[float, OfferedWait] = {}
        for g, rate in enumerate(calls[q].tolist()):
            if rate not in cache:
                cache[rate] = offered_wait(rate / 3600.0, st.agents, 1.0 / st.handle_time,
                                           0.0 if math.isinf(patience) else 1.0 / patience)
            w = cache[rate]
            row.append(w)
            if rate > 0:
                served[q, g] = 1.0 - w.p_abandon()
                wait1[q, g], wait2[q, g] = w.answered_wait()
                seconds[q, g] = w.queue_seconds()
                p_wait[q, g] = w.p_wait
                within[q, g] = w.answered_within(target)
        waits.append(tuple(row))
    return AgentQueues(nodes, names, staff, patience, target, seg_set, seg_level, seg_share,
                       seg_minutes, of_minute, reach, mix, calls, tuple(waits), served, wait1,
                       wait2, seconds, p_wait, within)


def ending_queue(chain: Chain, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each chain entry, and for each class that starts at an ending: the index in
    ``nodes`` of the queue a caller joins when the call ends there as ``human`` (-1 none).
    """
    where = np.full(chain.top.n, -1, dtype=np.int64)
    where[nodes] = np.arange(len(nodes))
    human = (chain.dst == -1 - HUMAN) & (chain.edge >= 0)
    entry = np.full(len(chain.dst), -1, dtype=np.int64)
    entry[human] = where[chain.top.dst[chain.edge[human]]]
    start = np.full(len(chain.classes), -1, dtype=np.int64)
    first = where[chain.top.index[chain.menu.start]]
    start[chain.start == -1 - HUMAN] = first
    return entry, start


@dataclass(frozen=True, eq=False)
class QueueEffect:
    """What the queues do to the exact solution, per chain entry (neutral where a call
    does not end at a queue) and in total over calls that start at one.

    ``served``, ``wait1``, ``wait2`` and ``seconds`` are per entry (1, 0, 0, 0 when the
    entry does not end at a queue); ``abandoned[c]`` is class ``c``'s mass lost in queues
    (per caller overall); ``abandon_at`` the same per node; ``start_*`` the waits of calls
    that begin at a queue, weighted by their share.
    """

    queues: AgentQueues | None
    served: np.ndarray
    wait1: np.ndarray
    wait2: np.ndarray
    seconds: np.ndarray
    abandoned: np.ndarray
    abandon_at: np.ndarray
    start_wait1: float = 0.0
    start_wait2: float = 0.0
    start_seconds: float = 0.0


def queue_effect(chain: Chain, flow: np.ndarray, *, target: float = TARGET) -> QueueEffect:
    """The queues' effect given ``flow`` (expected times each entry is taken per caller).

    The arrival rate at a queue depends only on who ends there, never on the queue
    itself, so it follows from the flows of the menu alone.
    """
    n_cls = len(chain.classes)
    n_e = len(chain.dst)
    nodes = staffed(chain)
    neutral = QueueEffect(None, np.ones(n_e), np.zeros(n_e), np.zeros(n_e), np.zeros(n_e),
                          np.zeros(n_cls), np.zeros(chain.top.n))
    if not len(nodes):
        return neutral
    entry_q, start_q = ending_queue(chain, nodes)
    cls_of = chain.state_class[chain.entry_state]
    weights = chain.weights()
    mass = np.zeros((n_cls, len(nodes)))
    at = entry_q >= 0
    np.add.at(mass, (cls_of[at], entry_q[at]), flow[at])
    starts = np.flatnonzero(start_q >= 0)
    mass[starts, start_q[starts]] += weights[starts]
    queues = agent_queues(chain, mass / np.maximum(weights, 1e-300)[:, None], target=target)
    if queues is None:  # pragma: no cover - staffed() was not empty
        return neutral
    per = {name: queues.per_class(getattr(queues, name))
           for name in ("served", "wait1", "wait2", "seconds")}
    out = {}
    for name, neutral_value in (("served", 1.0), ("wait1", 0.0), ("wait2", 0.0),
                                ("seconds", 0.0)):
        arr = np.full(n_e, neutral_value)
        arr[at] = per[name][cls_of[at], entry_q[at]]
        out[name] = arr
    lost = mass * (1.0 - per["served"])
    abandon_at = np.zeros(chain.top.n)
    np.add.at(abandon_at, nodes, lost.sum(axis=0))

    def start(name: str) -> float:
        return float((weights[starts] * per[name][starts, start_q[starts]]).sum())

    return QueueEffect(queues, out["served"], out["wait1"], out["wait2"], out["seconds"],
                       lost.sum(axis=1), abandon_at, start("wait1"), start("wait2"),
                       start("seconds"))


#: Per queue, what simulated callers met: arrived, found every agent busy, answered,
#: answered within the target, seconds waited by those answered, seconds in the queue.
TALLY = ("arrived", "waited", "answered", "within", "answered_wait", "queue_seconds")


def tallied(queues: AgentQueues, tally: np.ndarray) -> tuple[QueueFigures, ...]:
    """Queue figures as the simulated callers met them (counts in ``tally``), with the
    arrival rate and agents' occupancy of the queue model at the simulated rates (for
    patience other than exponential the callers' own patience decides who gives up, so
    their answered share can differ from the model's; the model's occupancy stays
    within the agents' capacity)."""
    model = {f.node: f for f in queues.figures()}
    out = []
    for q, name in enumerate(queues.names):
        arrived, waited, answered, within, answered_wait, seconds = tally[q].tolist()
        if arrived <= 0 or name not in model:
            continue
        f = model[name]
        share = answered / arrived
        out.append(replace(
            f, p_wait=waited / arrived, asa=answered_wait / answered if answered else math.nan,
            service_level=within / arrived, p_abandon=1.0 - share,
            queue_seconds=seconds / arrived))
    return tuple(out)


def offered_waits(queues: AgentQueues, queue: np.ndarray, segment: np.ndarray,
                  u: np.ndarray, stage: Callable[[int, np.ndarray], np.ndarray]) -> np.ndarray:
    """Offered waits of callers joining queue ``queue[i]`` in segment ``segment[i]``, from
    uniforms ``u`` and ``stage(i, which)`` (see :meth:`OfferedWait.sample`)."""
    v = np.zeros(len(queue))
    n_seg = len(queues.seg_set)
    group = queue * n_seg + segment
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    for which in np.split(order, bounds):
        if not len(which):
            continue
        g = int(group[which[0]])
        w = queues.waits[g // n_seg][g % n_seg]

        def part(i: int, sub: np.ndarray, which: np.ndarray = which) -> np.ndarray:
            return stage(i, which[sub])

        v[which] = w.sample(u[which], part)
    return v


__all__ = ["TALLY", "AgentQueues", "QueueEffect", "agent_queues", "ending_queue",
           "offered_waits", "queue_effect", "staffed", "tallied"]
