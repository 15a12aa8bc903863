"""The agent queues of a compiled menu: who reaches each queued agent, when, and what
waiting there does to them.

A staffed agent node (``staff:``, with ``calls_per_hour`` > 0 in the population) has a
waiting line (:mod:`ivr.queueing.erlang`, or :mod:`ivr.queueing.limits` when the line
has rules: ``max_wait``, ``announce_wait``, a ``callback`` offer, or callback requests
from ``callback`` nodes). An agent with rules but no modelled line still applies them:
callers there are answered at once, but leave on hearing a long announced wait. Its
arrival rate is ``calls_per_hour`` times the arrival level of the minute times the
chance that a caller of that minute ends there. Without ``on_max_wait`` routes that lead
on, that chance depends only on the menu, so the queue is a post-process of the callers
who end at the agent; with them, callers sent on may come back or reach another line,
and the rates are a fixed point (:mod:`ivr.callers.exact` iterates to it,
:mod:`ivr.callers.simulate` iterates over its callers). Both engines use
:class:`AgentQueues`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ivr.callers.calendar import clock, distinct_rows, staffing_minutes
from ivr.callers.chain import CALLBACK, HUMAN, Chain
from ivr.errors import ConfigError
from ivr.model import ESTIMATE, Node, Staff
from ivr.queueing.erlang import TARGET, QueueFigures, check_stable, offered_wait
from ivr.queueing.limits import LimitedWait, LineRules, limited_wait
from ivr.week import WEEK_MINUTES, offset

#: What one arrival at a line can become, in the order of the outcome arrays of
#: :class:`AgentQueues`: answered, took the callback, sent on at the longest wait, gave up
#: (on hearing the announcement, or waiting).
FATES = ("answered", "callback", "timed_out", "abandoned")


@dataclass(frozen=True, eq=False)
class AgentQueues:
    """The queued agents of one chain over its week.

    Calls arrive at ``calls_per_hour`` times the level of their minute (1 when flat). A
    *segment* is the minutes with one open-set and one level; within it every queue is
    stationary (the pointwise-stationary approximation). ``reach[c, q]`` is the chance a
    caller of class ``c`` arrives at queue ``q`` (counting each arrival), ``returns[c,
    q]`` the chance it asks a ``callback`` node to be called back by ``q``'s people; the
    callers of open-set ``k`` bring queue ``q`` its share of the segment's calls. Arrays
    indexed ``[q, g]`` hold, per queue and segment: ``calls`` per hour, and per arriving
    caller ``served`` (answered), ``callback`` and ``timed_out`` (sent on to ``onward``
    at the longest wait), ``balked`` (left on hearing ``announced``), ``wait1``/``wait2``
    (E[W 1{answered}], E[W^2 1{answered}]), ``seconds`` (time on the phone in the line),
    ``p_wait``, ``within`` (answered within target) and ``expected`` (mean offered wait).
    ``lined[q]`` says whether a waiting line is modelled (staff and calls per hour);
    ``back_calls[q, g]`` is the callback requests per hour its people make;
    ``seg_agents[q, g]`` the agents answering (``staff.hourly`` when given).
    """

    node: np.ndarray
    names: tuple[str, ...]
    staff: tuple[Staff | None, ...]
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
    waits: tuple[tuple[Any, ...], ...]
    served: np.ndarray
    wait1: np.ndarray
    wait2: np.ndarray
    seconds: np.ndarray
    p_wait: np.ndarray
    within: np.ndarray
    callback: np.ndarray
    timed_out: np.ndarray
    balked: np.ndarray
    announced: np.ndarray
    expected: np.ndarray
    returns: np.ndarray
    lined: np.ndarray
    onward: np.ndarray
    max_wait: np.ndarray
    back_calls: np.ndarray
    seg_agents: np.ndarray

    @property
    def abandoned(self) -> np.ndarray:
        """Per arriving caller: gave up (on hearing the announcement, or waiting)."""
        return np.maximum(1.0 - self.served - self.callback - self.timed_out, 0.0)

    def fates(self) -> np.ndarray:
        """``[q, g, f]``: the :data:`FATES` of an arrival."""
        return np.stack([self.served, self.callback, self.timed_out, self.abandoned], axis=2)

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
        """Per modelled line: what its arriving callers experience, averaged over the
        week."""
        out = []
        for q, name in enumerate(self.names):
            w = self.arriving(q)
            staff = self.staff[q]
            if w is None or staff is None or not self.lined[q]:
                continue
            served = float((w * self.served[q]).sum())
            open_ = self.seg_minutes * (self.calls[q] > 0)
            hours = open_ / open_.sum()
            # Agents' time: answered callers, and callbacks made (requested or taken).
            worked = self.calls[q] * (self.served[q] + self.callback[q]) + self.call_backs(q)
            agents = self.seg_agents[q]
            busy = worked * staff.handle_time / 3600.0 / np.maximum(agents, 1)
            said = self.announced[q]
            taking = agents[self.calls[q] > 0]
            out.append(QueueFigures(
                node=name, agents=int(taking.max()) if len(taking) else staff.agents,
                handle_time=staff.handle_time,
                calls_per_hour=float((hours * self.calls[q]).sum()),
                p_wait=float((w * self.p_wait[q]).sum()),
                asa=float((w * self.wait1[q]).sum()) / served if served > 0 else math.nan,
                service_level=float((w * self.within[q]).sum()), target=self.target,
                p_abandon=float((w * self.abandoned[q]).sum()),
                # agents are busy at most all the time: an overloaded queue's answered rate
                # is N mu to rounding (a few parts in a million past it)
                occupancy=min(float((hours * busy).sum()), 1.0),
                model="erlang_c" if math.isinf(self.patience) else "erlang_a",
                queue_seconds=float((w * self.seconds[q]).sum()),
                p_callback=float((w * self.callback[q]).sum()),
                p_timeout=float((w * self.timed_out[q]).sum()),
                p_balk=float((w * self.balked[q]).sum()),
                announced=float((w * said).sum()) if np.isfinite(said).all() and
                (said > 0).any() else None,
                expected_wait=float((w * self.expected[q]).sum())))
        return tuple(out)

    def call_backs(self, q: int) -> np.ndarray:
        """Per segment: callback requests per hour from ``callback`` nodes for queue q."""
        return np.asarray(self.back_calls[q])


def staffed(chain: Chain) -> np.ndarray:
    """Topology indices of the agents handled as queues: those with ``staff`` when the
    population has ``calls_per_hour`` > 0, and those with line rules (``max_wait``,
    ``announce_wait``, ``callback``) whatever the staff."""
    lined = chain.population.calls_per_hour > 0
    top, nodes = chain.top, chain.menu.nodes
    agents = [(i, nodes[top.ids[i]]) for i in np.flatnonzero(top.is_kind("agent")).tolist()]
    return np.array([i for i, node in agents
                     if (lined and node.staff is not None) or has_rules(node)],
                    dtype=np.int64)


def has_rules(node: Node) -> bool:
    """Whether an agent's line has rules besides waiting."""
    return node.max_wait is not None or node.announce_wait is not None \
        or node.callback is not None


def line_rules(node: Node, announce: float = 0.0) -> LineRules:
    """The :class:`LineRules` of an agent (``announce`` for ``announce_wait: estimate``)."""
    said = node.announce_wait
    return LineRules(
        announce=announce if said == ESTIMATE else float(said or 0.0),
        max_wait=math.inf if node.max_wait is None else node.max_wait,
        offer_after=math.inf if node.callback is None else node.callback.offer_after,
        accept=0.0 if node.callback is None else node.callback.accept)


def _segments(chain: Chain, staff: tuple[Staff | None, ...]) -> tuple[np.ndarray, ...]:
    """Segments of the minutes calls arrive in: (open-set, level, share of the calls,
    minutes, the segment of each minute or -1, and the agents of each queue in each
    segment): minutes with one open-set, one level and one number of agents at every
    queue."""
    wk = chain.week
    used = wk.arrival > 0
    minutes = np.flatnonzero(used)
    hourly = any(st is not None and st.hourly is not None for st in staff)
    agents = staffing_minutes(staff, clock(chain.menu.schedules))[minutes] if hourly else \
        np.broadcast_to(np.array([0 if st is None else st.agents for st in staff],
                                 dtype=np.int64), (len(minutes), len(staff)))
    pairs = np.concatenate([wk.of_minute[minutes, None].astype(float),
                            wk.level[minutes, None],
                            agents.astype(float) if hourly else agents[:, :0]], axis=1)
    keys, inverse = distinct_rows(pairs)
    of_minute = np.full(len(wk.arrival), -1, dtype=np.int64)
    of_minute[minutes] = inverse
    share = np.bincount(inverse, weights=wk.arrival[minutes], minlength=len(keys))
    count = np.bincount(inverse, minlength=len(keys)).astype(float)
    first = np.zeros(len(keys), dtype=np.int64)
    first[inverse[::-1]] = np.arange(len(minutes))[::-1]
    seg_agents = agents[first].T if len(minutes) else np.zeros((len(staff), 0), np.int64)
    return (keys[:, 0].astype(np.int64), keys[:, 1], share, count, of_minute,
            np.ascontiguousarray(seg_agents))


def mean_offered(w: Any) -> float:
    """E[V], the mean offered wait (zeros included), of an Erlang line."""
    if isinstance(w, LimitedWait):
        return w.expected_wait()
    if w.p_wait <= 0:
        return 0.0
    if w.erlang_c:
        return float(w.p_wait / w.drain)
    rates = w.agents * w.service + np.arange(len(w.ahead)) * w.abandon
    return float((w.ahead * np.cumsum(1.0 / rates)).sum())


def _line(rate: float, back: float, st: Staff, theta: float, node: Node, name: str
          ) -> tuple[Any, float]:
    """The wait at one line in one segment, and the announced wait: for ``estimate``
    the fixed point of "the announcement is the modelled wait of the callers it leaves"
    (:meth:`LimitedWait.expected_line`), found by Brent's method."""
    def build(announce: float) -> LimitedWait:
        try:
            return limited_wait(rate, st.agents, 1.0 / st.handle_time, theta,
                                line_rules(node, announce), back, node=name)
        except ConfigError as exc:
            src = node.source
            raise ConfigError(exc.message, file=src.file, line=src.line, column=src.column,
                              hint=exc.hint) from None

    if node.announce_wait != ESTIMATE:
        w = build(0.0)
        return w, w.rules.announce
    first = build(0.0)
    top = first.expected_line()
    if top <= 0 or theta == 0:
        return first, top
    hi = top
    while build(hi).expected_line() > hi:
        hi *= 2.0
    from scipy.optimize import brentq  # imported on use
    said = float(brentq(lambda a: build(a).expected_line() - a, 0.0, hi, xtol=1e-9,
                        rtol=1e-12))
    return build(said), said


def agent_queues(chain: Chain, reach: np.ndarray, returns: np.ndarray | None = None, *,
                 target: float = TARGET) -> AgentQueues | None:
    """The queues of ``chain`` given ``reach[c, q]`` (class ``c`` arrives at the ``q``-th
    of :func:`staffed`) and ``returns[c, q]`` (it asks to be called back by ``q``'s
    people); None when no queue is modelled.

    Raises ConfigError naming the node when callers who never leave a line would
    overload it in some hour.
    """
    nodes = staffed(chain)
    if not len(nodes):
        return None
    pop = chain.population
    pat = pop.patience
    patience = math.inf if pat.distribution == "none" else float(pat.mean or 120.0)
    theta = 0.0 if math.isinf(patience) else 1.0 / patience
    names = tuple(chain.top.ids[i] for i in nodes.tolist())
    menu_nodes = [chain.menu.nodes[n] for n in names]
    staff = tuple(node.staff for node in menu_nodes)
    seg_set, seg_level, seg_share, seg_minutes, of_minute, seg_agents = _segments(chain, staff)
    wk = chain.week
    weights = chain.weights()
    sets = np.array([c.open_set for c in chain.classes], dtype=np.int64)
    back = np.zeros_like(reach) if returns is None else returns
    # P(a caller arriving while open-set k is in force ends at q): class weights within k.
    within_set = weights / np.maximum(wk.share[sets], 1e-300)

    def hourly(per_class: np.ndarray) -> np.ndarray:
        heads = np.zeros((len(wk.share), len(nodes)))
        np.add.at(heads, sets, within_set[:, None] * per_class)
        return np.asarray(pop.calls_per_hour * seg_level[None, :] * heads[seg_set].T)

    calls, back_calls = hourly(reach), hourly(back)
    mix = np.where(seg_set[None, :] == sets[:, None],
                   seg_share[None, :] / np.maximum(wk.share[sets][:, None], 1e-300), 0.0)
    lined = np.array([st is not None and pop.calls_per_hour > 0 for st in staff])
    shape = (len(nodes), len(seg_set))
    arrays = {k: np.zeros(shape) for k in ("served", "wait1", "wait2", "seconds", "p_wait",
                                           "within", "callback", "timed_out", "balked",
                                           "announced", "expected")}
    arrays["served"][:] = 1.0
    arrays["within"][:] = 1.0
    waits = []
    for q, (name, st, node) in enumerate(zip(names, staff, menu_nodes, strict=True)):
        plain = not has_rules(node) and not back_calls[q].any()
        if lined[q] and plain and math.isinf(patience) and calls[q].max() > 0 \
                and st is not None and st.hourly is None:
            check_stable(float(calls[q].max()), st.agents, st.handle_time, name, node.source)
        row = []
        cache: dict[tuple[float, float, int], tuple[Any, float]] = {}
        for g, (rate, ret, n) in enumerate(zip(calls[q].tolist(), back_calls[q].tolist(),
                                               seg_agents[q].tolist(), strict=True)):
            if (rate, ret, n) not in cache:
                cache[rate, ret, n] = line_wait(rate, ret, n, st, theta, node, name,
                                                lined=bool(lined[q]), plain=plain,
                                                when=_when(chain, of_minute, g))
            w, said = cache[rate, ret, n]
            row.append(w)
            if rate <= 0 and (lined[q] or not has_rules(node)):
                continue
            for name_k, x in zip(LINE_VALUES, line_values(w, said, target), strict=True):
                arrays[name_k][q, g] = x
        waits.append(tuple(row))
    onward = np.array([chain.top.index[n.on_max_wait] if n.on_max_wait is not None else -1
                       for n in menu_nodes], dtype=np.int64)
    limit = np.array([math.inf if n.max_wait is None else n.max_wait for n in menu_nodes])
    out = AgentQueues(nodes, names, staff, patience, target, seg_set, seg_level, seg_share,
                      seg_minutes, of_minute, reach, mix, calls, tuple(waits),
                      arrays["served"], arrays["wait1"], arrays["wait2"], arrays["seconds"],
                      arrays["p_wait"], arrays["within"], arrays["callback"],
                      arrays["timed_out"], arrays["balked"], arrays["announced"],
                      arrays["expected"], back, lined, onward, limit, back_calls, seg_agents)
    return out


#: What :func:`line_values` gives, per arriving caller of a line in one segment (the
#: ``[q, g]`` arrays of :class:`AgentQueues`).
LINE_VALUES = ("served", "callback", "timed_out", "balked", "wait1", "wait2", "seconds",
               "p_wait", "within", "announced", "expected")


def line_values(w: Any, said: float, target: float) -> tuple[float, ...]:
    """The :data:`LINE_VALUES` of a line's wait ``w`` with announced wait ``said``."""
    if isinstance(w, LimitedWait):
        fates = (w.answered(), w.callback(), w.timed_out(), w.balked())
    else:
        fates = (1.0 - w.p_abandon(), 0.0, 0.0, 0.0)
    wait1, wait2 = w.answered_wait()
    return (*fates, wait1, wait2, w.queue_seconds(), w.p_wait, w.answered_within(target),
            said, mean_offered(w))


def line_wait(rate: float, ret: float, agents: int, st: Staff | None, theta: float,
              node: Node, name: str, *, lined: bool, plain: bool,
              when: Callable[[], str]) -> tuple[Any, float]:
    """The wait at one line in one segment (``rate`` arrivals and ``ret`` callback
    requests per hour, ``agents`` answering), and its announced wait. Raises ConfigError
    naming the node when nobody answers calls that arrive, or callers who never leave
    overload it (``when`` says the hour)."""
    if not lined:
        rules = line_rules(node, 0.0)
        return limited_wait(0.0, 1, 1.0, theta, rules), rules.announce
    assert st is not None
    if agents <= 0 and (rate > 0 or ret > 0):
        src = node.source
        raise ConfigError(f"nobody answers the calls that reach {name!r} {when()} "
                          f"(staff.hourly gives 0 agents then)",
                          file=src.file, line=src.line, column=src.column,
                          hint="give agents in every hour the line takes calls, or close it "
                          "then with a schedule")
    if agents <= 0:
        agents = 1  # no calls: the figures are those of an empty line
    if plain and theta == 0 and rate > 0:
        check_stable(rate, agents, st.handle_time, name, node.source)
    if plain:
        return offered_wait(rate / 3600.0, agents, 1.0 / st.handle_time, theta), 0.0
    return _line(rate / 3600.0, ret / 3600.0, replace(st, agents=agents), theta, node, name)


def _when(chain: Chain, of_minute: np.ndarray, g: int) -> Callable[[], str]:
    """Says when segment ``g`` is (its first minute, in the menu's clock), on demand."""
    def say() -> str:
        minute = int(np.flatnonzero(of_minute == g)[0])
        local = (minute + offset(clock(chain.menu.schedules))) % WEEK_MINUTES
        day, rest = divmod(local, 1440)
        return f"on {_DAY_NAMES[day]} {rest // 60:02d}:{rest % 60:02d}"
    return say


_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def ending_queue(chain: Chain, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each chain entry, and for each class that starts at an ending: the index in
    ``nodes`` of the queue a caller joins when the call ends there as ``human`` (-1 none).
    """
    return _ending_at(chain, nodes, HUMAN, np.arange(chain.top.n))


def callback_queue(chain: Chain, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each chain entry, and for each class that starts at an ending: the index in
    ``nodes`` of the queue whose people call back a caller ending at a ``callback`` node
    (its ``agent``; -1 none)."""
    top = chain.top
    owner = np.full(top.n, -1, dtype=np.int64)
    for i in np.flatnonzero(top.is_kind("callback")).tolist():
        agent = chain.menu.nodes[top.ids[i]].agent
        if agent is not None:
            owner[i] = top.index[agent]
    return _ending_at(chain, nodes, CALLBACK, owner)


def _ending_at(chain: Chain, nodes: np.ndarray, outcome: int, agent_of: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    where = np.full(chain.top.n, -1, dtype=np.int64)
    where[nodes] = np.arange(len(nodes))
    to = np.full(chain.top.n, -1, dtype=np.int64)
    has = agent_of >= 0
    to[has] = where[agent_of[has]]
    hit = (chain.dst == -1 - outcome) & (chain.edge >= 0)
    entry = np.full(len(chain.dst), -1, dtype=np.int64)
    entry[hit] = to[chain.top.dst[chain.edge[hit]]]
    start = np.full(len(chain.classes), -1, dtype=np.int64)
    start[chain.start == -1 - outcome] = to[chain.top.index[chain.menu.start]]
    return entry, start


def onward_of(chain: Chain, queues_nodes: np.ndarray) -> np.ndarray:
    """``[c, q]``: where a caller of class ``c`` sent on from queue ``q``'s line at its
    longest wait goes (a state, or ``-1 - outcome``; -1 - HUMAN at another queued agent
    is resolved by :func:`onward_queue`); a large negative number where the line has no
    ``max_wait``."""
    out = np.full((len(chain.classes), len(queues_nodes)), np.iinfo(np.int64).min,
                  dtype=np.int64)
    for q, i in enumerate(queues_nodes.tolist()):
        node = chain.menu.nodes[chain.top.ids[i]]
        if node.on_max_wait is not None:
            out[:, q] = chain.arrive[:, chain.top.index[node.on_max_wait]]
    return out


def onward_callback(chain: Chain, queues_nodes: np.ndarray) -> np.ndarray:
    """Per queue: the queue whose people call back callers its ``on_max_wait`` sends to
    a ``callback`` node (-1 none)."""
    where = {int(i): q for q, i in enumerate(queues_nodes.tolist())}
    out = np.full(len(queues_nodes), -1, dtype=np.int64)
    for q, i in enumerate(queues_nodes.tolist()):
        node = chain.menu.nodes[chain.top.ids[i]]
        target = chain.menu.nodes.get(node.on_max_wait or "")
        if target is not None and target.kind == "callback" and target.agent is not None:
            out[q] = where.get(chain.top.index[target.agent], -1)
    return out


def onward_queue(chain: Chain, queues_nodes: np.ndarray) -> np.ndarray:
    """Per queue: the queue its ``on_max_wait`` sends callers straight into (-1 none)."""
    where = {int(i): q for q, i in enumerate(queues_nodes.tolist())}
    out = np.full(len(queues_nodes), -1, dtype=np.int64)
    for q, i in enumerate(queues_nodes.tolist()):
        node = chain.menu.nodes[chain.top.ids[i]]
        if node.on_max_wait is not None:
            out[q] = where.get(chain.top.index[node.on_max_wait], -1)
    return out


#: Per queue, what simulated callers met: arrived, found every agent busy, answered,
#: answered within the target, seconds waited by those answered, seconds in the queue,
#: took the callback, sent on at the longest wait, left on hearing the announcement.
TALLY = ("arrived", "waited", "answered", "within", "answered_wait", "queue_seconds",
         "callback", "timed_out", "balked")


def tallied(queues: AgentQueues, tally: np.ndarray) -> tuple[QueueFigures, ...]:
    """Queue figures as the simulated callers met them (counts in ``tally``), with the
    arrival rate and agents' occupancy of the queue model at the simulated rates (for
    patience other than exponential the callers' own patience decides who gives up, so
    their answered share can differ from the model's; the model's occupancy stays
    within the agents' capacity)."""
    model = {f.node: f for f in queues.figures()}
    out = []
    for q, name in enumerate(queues.names):
        (arrived, waited, answered, within, answered_wait, seconds, callback, timed_out,
         balked) = tally[q].tolist()
        if arrived <= 0 or name not in model:
            continue
        f = model[name]
        out.append(replace(
            f, p_wait=waited / arrived, asa=answered_wait / answered if answered else math.nan,
            service_level=within / arrived,
            p_abandon=1.0 - (answered + callback + timed_out) / arrived,
            queue_seconds=seconds / arrived, p_callback=callback / arrived,
            p_timeout=timed_out / arrived, p_balk=balked / arrived))
    return tuple(out)


def offered_waits(queues: AgentQueues, queue: np.ndarray, segment: np.ndarray,
                  u: np.ndarray, stage: Callable[[int, np.ndarray], np.ndarray]) -> np.ndarray:
    """Offered waits of callers joining queue ``queue[i]`` in segment ``segment[i]``, from
    uniforms ``u`` and ``stage(i, which)`` (see :meth:`OfferedWait.sample`; a line with
    rules inverts its distribution with ``u`` alone)."""
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
        if isinstance(w, LimitedWait):
            v[which] = w.sample(u[which])
            continue

        def part(i: int, sub: np.ndarray, which: np.ndarray = which) -> np.ndarray:
            return stage(i, which[sub])

        v[which] = w.sample(u[which], part)
    return v


__all__ = ["FATES", "LINE_VALUES", "TALLY", "AgentQueues", "agent_queues", "callback_queue",
           "ending_queue", "has_rules", "line_rules", "line_values", "line_wait", "mean_offered",
           "offered_waits", "onward_callback", "onward_of", "onward_queue", "staffed",
           "tallied"]
