"""From raw results to the figures people read: rates with confidence intervals,
percentiles, and the per-node funnel. Exact and simulated results give the same records,
so every table and comparison treats them alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from ivr.callers.chain import HUMAN, OUTCOMES, Chain
from ivr.callers.exact import ExactResult
from ivr.callers.queues import TALLY, AgentQueues, tallied
from ivr.figures import SLACK, checked
from ivr.model import EVENTS
from ivr.queueing.erlang import QueueFigures

if TYPE_CHECKING:  # the simulator is imported where a simulation is summarized
    from ivr.callers.simulate import SimResult

Z95 = 1.959963984540054
#: Callers a simulated mean needs before ``agreement`` tests it against the exact one.
MIN_MEAN_CALLERS = 30


@dataclass(frozen=True)
class Rate:
    """A share of callers with its 95% interval (equal to the value when exact)."""

    value: float
    low: float
    high: float
    count: int | None = None

    def se(self) -> float:
        """Standard error implied by the interval (0 when exact)."""
        return (self.high - self.low) / (2 * Z95)


@dataclass(frozen=True)
class Figure:
    """A mean with its 95% interval, and percentiles (None when exact)."""

    mean: float
    low: float
    high: float
    p50: float | None = None
    p90: float | None = None


@dataclass(frozen=True)
class NodeFlow:
    """How callers passed one node: visits and abandons per caller, and where they went."""

    node: str
    kind: str
    visits: float
    abandoned: float
    exits: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Summary:
    """Everything a table shows about one menu under one population."""

    menu: str
    method: str
    callers: int | None
    seed: int | None
    outcomes: Mapping[str, Rate]
    by_intent: Mapping[str, Mapping[str, Rate]]
    seconds: Figure
    steps: Figure
    human_seconds: Figure
    human_steps: Figure
    funnel: tuple[NodeFlow, ...]
    residual: float | None = None
    #: Per staffed agent queue: what its callers met there (empty when none is modelled).
    queues: tuple[QueueFigures, ...] = ()
    #: Simulated callers the step cap stopped (counted stuck), and the cap.
    capped: int = 0
    step_cap: int | None = None


def wilson(k: int, n: int) -> Rate:
    """Wilson score interval for k successes in n trials.

    Examples
    --------
    >>> r = wilson(20, 100)
    >>> round(r.low, 4), round(r.high, 4)
    (0.1334, 0.2888)
    >>> wilson(0, 0).value
    0.0
    """
    if n == 0:
        return Rate(0.0, 0.0, 1.0, 0)
    p = k / n
    z2 = Z95 * Z95
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return Rate(p, max(0.0, centre - half), min(1.0, centre + half), k)


def percentile(hist: np.ndarray, q: float, width: float = 1.0, *,
               discrete: bool = False) -> float | None:
    """The q-quantile of a histogram with bins of ``width`` starting at 0.

    Seconds are continuous, so a quantile is interpolated inside its bin. Counts (steps)
    are whole numbers, bin ``i`` holding the value ``i``: with ``discrete`` the quantile
    is the smallest value whose cumulative share reaches ``q``, a value that can occur
    (every caller taking one step has p50 1 and p90 1, not 1.5 and 1.9).

    Examples
    --------
    >>> percentile(np.array([0, 10, 10]), 0.5)
    2.0
    >>> percentile(np.array([0, 10]), 0.5), percentile(np.array([0, 10]), 0.9, discrete=True)
    (1.5, 1.0)
    >>> percentile(np.array([0, 10, 10]), 0.5, discrete=True)
    1.0
    """
    total = hist.sum()
    if total == 0:
        return None
    cum = np.cumsum(hist)
    target = q * total
    i = int(np.searchsorted(cum, target, side="left"))
    if discrete:
        return float(min(i, len(hist) - 1) * width)
    before = cum[i - 1] if i else 0
    inside = (target - before) / hist[i] if hist[i] else 0.0
    return float((i + inside) * width)


def _mean_figure(total: float, square: float, n: int, hist: np.ndarray | None,
                 width: float, discrete: bool = False) -> Figure:
    if n == 0:
        return Figure(math.nan, math.nan, math.nan)
    mean = total / n
    var = max(square / n - mean * mean, 0.0)
    half = Z95 * math.sqrt(var / n) if n > 1 else math.nan  # one caller: no interval (N/A)
    p50 = p90 = None
    if hist is not None:
        p50 = percentile(hist, 0.5, width, discrete=discrete)
        p90 = percentile(hist, 0.9, width, discrete=discrete)
    return Figure(mean, max(mean - half, 0.0), mean + half, p50, p90)  # times are >= 0


def _rate_checked(r: Rate, what: str) -> Rate:
    return Rate(checked(r.value, what, 0, 1, na=False), checked(r.low, what, 0, 1),
                checked(r.high, what, 0, 1), r.count)


def _figure_checked(f: Figure, what: str) -> Figure:
    def c(x: float | None) -> float | None:
        return None if x is None else checked(x, what, 0)
    return Figure(checked(f.mean, what, 0), checked(f.low, what, 0), checked(f.high, what, 0),
                  c(f.p50), c(f.p90))


def checked_summary(s: Summary) -> Summary:
    """The one check of a summary's figures where they are made (ivr.figures): shares in
    [0, 1] summing to 1, times and steps finite and non-negative, queue shares in [0, 1].
    A bug raises under IVR_STRICT_FIGURES=1; otherwise its figure reads N/A."""
    total = sum(r.value for r in s.outcomes.values())
    if abs(total - 1.0) > SLACK:
        bad = checked(total, "the outcome shares' sum", 1.0, 1.0)  # raises when strict
        s = replace(s, outcomes={o: Rate(bad, bad, bad) for o in s.outcomes})
    outcomes = {o: _rate_checked(r, f"share {o}") for o, r in s.outcomes.items()}
    by_intent = {i: {o: _rate_checked(r, f"share {o} of {i}") for o, r in row.items()}
                 for i, row in s.by_intent.items()}
    queues = tuple(replace(
        q, p_wait=checked(q.p_wait, "queue p_wait", 0, 1),
        service_level=checked(q.service_level, "queue service level", 0, 1),
        p_abandon=checked(q.p_abandon, "queue p_abandon", 0, 1),
        occupancy=checked(q.occupancy, "queue occupancy", 0, 1),
        asa=checked(q.asa, "queue ASA", 0), queue_seconds=checked(q.queue_seconds,
                                                                  "queue seconds", 0),
        calls_per_hour=checked(q.calls_per_hour, "queue calls per hour", 0))
        for q in s.queues)
    return replace(s, outcomes=outcomes, by_intent=by_intent,
                   seconds=_figure_checked(s.seconds, "seconds in the menu"),
                   steps=_figure_checked(s.steps, "steps in the menu"),
                   human_seconds=_figure_checked(s.human_seconds, "seconds to a person"),
                   human_steps=_figure_checked(s.human_steps, "steps to a person"),
                   queues=queues)


def line_fates(chain: Chain, queues: AgentQueues | None, fates: np.ndarray | None
               ) -> dict[int, dict[str, float]]:
    """Per queued agent (topology index): how its arrivals left the line, as funnel exits,
    from ``fates[q]`` = (answered, callback, sent on, gave up) counts or masses."""
    if queues is None or fates is None:
        return {}
    out = {}
    for q, i in enumerate(queues.node.tolist()):
        answered, callback, sent, _ = (float(x) for x in fates[q])
        row = {"answered": answered, "callback": callback}
        if queues.onward[q] >= 0:
            row["max wait -> " + chain.top.ids[int(queues.onward[q])]] = sent
        out[int(i)] = {k: v for k, v in row.items() if v > 0}
    return out


def funnel(chain: Chain, per_entry: np.ndarray, abandon_at: np.ndarray,
           callers: float, queue_abandon_at: np.ndarray | None = None,
           ended_at_start: float = 0.0,
           lines: dict[int, dict[str, float]] | None = None) -> tuple[NodeFlow, ...]:
    """Per node: visits, abandons and exits per caller, busiest first. Callers who give
    up in an agent's queue (``queue_abandon_at``) had arrived there: they count among its
    abandons, not as extra visits; ``ended_at_start`` callers' calls ended at the start
    node itself (a menu that starts at an agent) and visit only it. ``lines`` are the
    exits of queued agents (answered, callback, ``max wait -> NODE``); callers sent on to
    an ending visit it."""
    top = chain.top
    node_of_entry = chain.state_node[chain.entry_state]
    visits = np.bincount(node_of_entry, weights=per_entry, minlength=top.n) + abandon_at
    visits[top.index[chain.menu.start]] += ended_at_start
    if queue_abandon_at is not None:
        abandon_at = abandon_at + queue_abandon_at
    arrive = chain.edge >= 0
    ended = arrive & (chain.dst < 0)
    visits += np.bincount(top.dst[chain.edge[ended]], weights=per_entry[ended], minlength=top.n)
    labels = _exits(chain, node_of_entry, per_entry, callers)
    for i, exits in (lines or {}).items():
        labels.setdefault(i, {}).update({k: v / callers for k, v in exits.items()})
        for label, x in exits.items():
            if label.startswith("max wait -> "):
                to = top.index[label.removeprefix("max wait -> ")]
                if top.terminal[to]:  # an ending: its visits come from nowhere else
                    visits[to] += x
    out = []
    for i in np.argsort(-visits, kind="stable").tolist():
        if visits[i] <= 0:
            continue
        ordered = tuple(sorted(labels.get(i, {}).items(), key=lambda kv: -kv[1]))
        out.append(NodeFlow(top.ids[i], _kind(chain, i), float(visits[i]) / callers,
                            float(abandon_at[i]) / callers, ordered))
    return tuple(out)


def _kind(chain: Chain, i: int) -> str:
    node = chain.menu.nodes.get(chain.top.ids[i])
    return node.kind if node is not None else "hangup"


def _exits(chain: Chain, node_of_entry: np.ndarray, per_entry: np.ndarray,
           callers: float) -> dict[int, dict[str, float]]:
    """Per node, how callers left it (``1 -> billing``, ``timeout (again)``) per caller,
    labels in the order of the first entry that has them. Entries of every caller class
    share a few hundred labels, so each is worded once; the sums add the entries in order,
    as a loop would."""
    top = chain.top
    live = np.flatnonzero(per_entry > 0)
    node = node_of_entry[live]
    dst = chain.dst[live]
    # Where the entry leads: a node (through the menu edge, or the state's node), else an
    # outcome (as -1 - outcome).
    edge = chain.edge[live]
    # (top.dst gets a last element, so edge -1, or a menu with no edges, indexes safely.)
    where = np.where(edge >= 0, np.append(top.dst, 0)[edge],
                     np.where(dst >= 0, chain.state_node[np.maximum(dst, 0)], dst))
    again = (dst >= 0) & (chain.state_node[np.maximum(dst, 0)] == node)
    keys = np.stack([node, chain.event[live].astype(np.int64), edge, where, again])
    group, bound = np.zeros(len(live), dtype=np.int64), 1
    for column in keys:  # one number per distinct key (renumbered before it could overflow)
        low = column - column.min(initial=0)
        span = int(low.max(initial=0)) + 1
        if bound * span >= 2 ** 62:
            _, group = np.unique(group, return_inverse=True)
            bound = int(group.max(initial=0)) + 1
        group, bound = group * span + low, bound * span
    _, first, inverse = np.unique(group, return_index=True, return_inverse=True)
    pair: dict[tuple[int, str], int] = {}
    ids = np.empty(len(first), dtype=np.int64)
    for u in np.argsort(first, kind="stable").tolist():
        i, ev, e, to, back = keys[:, first[u]].tolist()
        event = EVENTS[ev]
        place = top.ids[to] if to >= 0 else OUTCOMES[-1 - to]
        if event == "option" and e >= 0:
            label = f"{top.key(e)} -> {place}"
        elif event in ("timeout", "invalid") and back:
            label = f"{event} (again)"
        else:
            label = f"{event} -> {place}"
        ids[u] = pair.setdefault((i, label), len(pair))
    sums = np.bincount(ids[np.ravel(inverse)], weights=per_entry[live] / callers,
                       minlength=len(pair))
    out: dict[int, dict[str, float]] = {}
    for (i, label), k in pair.items():
        out.setdefault(i, {})[label] = float(sums[k])
    return out


def summarize(sim: SimResult) -> Summary:
    """Rates with Wilson intervals, means with normal intervals, histogram percentiles."""
    from ivr.callers.simulate import BIN

    chain = sim.chain
    n = sim.n
    counts = sim.counts.sum(axis=0)
    outcomes = {o: wilson(int(counts[k]), n) for k, o in enumerate(OUTCOMES)}
    by_intent: dict[str, dict[str, Rate]] = {}
    intents = chain.population.intents
    per_intent = np.zeros((len(intents), len(OUTCOMES)), dtype=np.int64)  # one pass
    np.add.at(per_intent, np.array([k.intent for k in chain.classes], dtype=np.int64),
              sim.counts)
    for intent, tot in zip(intents, per_intent.tolist(), strict=True):
        m = sum(tot)
        by_intent[intent.name] = {o: wilson(tot[k], m) for k, o in enumerate(OUTCOMES)}
    all_hist = sim.seconds_hist.sum(axis=0)
    all_steps = sim.steps_hist.sum(axis=0)
    steps_idx = np.arange(sim.steps_hist.shape[1])
    seconds = _mean_figure(float(sim.seconds_sum.sum()), float(sim.seconds_sq.sum()), n,
                           all_hist, BIN)
    steps = _mean_figure(float((all_steps * steps_idx).sum()),
                         float((all_steps * steps_idx ** 2).sum()), n, all_steps, 1.0,
                         discrete=True)
    h = int(counts[HUMAN])
    hs = sim.steps_hist[HUMAN]
    human_seconds = _mean_figure(float(sim.seconds_sum[HUMAN]), float(sim.seconds_sq[HUMAN]),
                                 h, sim.seconds_hist[HUMAN], BIN)
    human_steps = _mean_figure(float((hs * steps_idx).sum()),
                               float((hs * steps_idx ** 2).sum()), h, hs, 1.0, discrete=True)
    lost = None if sim.queue_abandon_at is None else sim.queue_abandon_at.astype(float)
    fates = None
    if sim.queue_tally is not None:
        t = sim.queue_tally
        cols = [TALLY.index(k) for k in ("answered", "callback", "timed_out")]
        fates = np.concatenate([t[:, cols], (t[:, 0] - t[:, cols].sum(axis=1))[:, None]],
                               axis=1)
    at_start = sim.counts[chain.start < 0].sum()
    flows = funnel(chain, sim.entry_counts.astype(float), sim.abandon_at.astype(float), n,
                   lost, float(at_start), line_fates(chain, sim.queues, fates))
    queues = tallied(sim.queues, sim.queue_tally) \
        if sim.queues is not None and sim.queue_tally is not None else ()
    return checked_summary(Summary(chain.menu.name, "simulated", n, sim.seed, outcomes,
                                   by_intent, seconds, steps, human_seconds, human_steps,
                                   flows, queues=queues, capped=sim.capped,
                                   step_cap=sim.step_cap))


def summarize_exact(chain: Chain, ex: ExactResult) -> Summary:
    """The exact solution as the same record (intervals of zero width)."""
    def rate(x: float) -> Rate:
        return Rate(x, x, x)

    def fig(x: float) -> Figure:
        return Figure(x, x, x)

    return checked_summary(Summary(
        chain.menu.name, "exact", None, None,
        {o: rate(p) for o, p in ex.outcomes.items()},
        {i: {o: rate(p) for o, p in row.items()} for i, row in ex.by_intent.items()},
        fig(ex.seconds), fig(ex.steps), Figure(ex.human_seconds, ex.human_seconds,
                                               ex.human_seconds),
        fig(ex.human_steps), funnel(chain, ex.flow, ex.abandon_at, 1.0, ex.queue_abandon_at,
                                    float(chain.weights()[chain.start < 0].sum()),
                                    line_fates(chain, ex.queues, None if ex.queue_flow is None
                                               else ex.queue_flow[:, 1:])),
        ex.residual, ex.queues.figures() if ex.queues is not None else ()))


@dataclass(frozen=True)
class Agreement:
    """One figure simulated and exact, with the z-score of their difference; ``rate_sd``
    is the part of its standard error that comes from the queues' arrival rates the
    simulation estimates from its own callers (0 without queues)."""

    metric: str
    simulated: float
    low: float
    high: float
    exact: float
    z: float
    rate_sd: float = 0.0


def agreement(sim: Summary, exact: Summary,
              rate_sd: Mapping[str, float] | None = None, *,
              human_sd: float | None = None) -> tuple[Agreement, ...]:
    """Simulated vs exact per outcome (and time to a person), with z-scores; ``rate_sd``
    (from :func:`ivr.callers.ports.rate_noise`) widens each figure's standard error by
    the noise of the estimated arrival rates. ``human_sd``, the exact standard deviation
    of the seconds to a person, gives the mean's standard error under agreement (as the
    outcomes' do): a sample whose callers all took the same time says nothing of the
    rare callers it happened to miss."""
    rows = []
    n = sim.callers or 0
    extra = dict(rate_sd or {})
    for o in OUTCOMES:
        s, e = sim.outcomes[o], exact.outcomes[o].value
        r = extra.get(o, 0.0)
        se = math.sqrt(max(e * (1 - e), 1e-12) / n + r * r) if n else math.inf
        rows.append(Agreement(o, s.value, s.low, s.high, e, (s.value - e) / se, r))
    f, e = sim.human_seconds, exact.human_seconds.mean
    # A mean of a few callers has no normal interval to test against: it is not compared.
    enough = (sim.outcomes["human"].count or 0) >= MIN_MEAN_CALLERS
    if enough and math.isfinite(f.mean) and math.isfinite(e):
        r = extra.get("human_seconds", 0.0)
        count = sim.outcomes["human"].count or 0
        null = human_sd / math.sqrt(count) if human_sd is not None and \
            math.isfinite(human_sd) and count else 0.0
        se = math.hypot(max((f.high - f.low) / (2 * Z95), null), r)
        z = (f.mean - e) / se if se > 0 else 0.0
        rows.append(Agreement("seconds to a person", f.mean, f.low, f.high, e, z, r))
    return tuple(rows)


__all__ = ["Agreement", "Figure", "NodeFlow", "Rate", "Summary", "agreement", "funnel",
           "percentile", "summarize", "summarize_exact", "wilson"]
