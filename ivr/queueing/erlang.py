"""Agent queues: Erlang C (M/M/N) and Erlang A (M/M/N+M), and the offered wait.

A staffed agent node is a queue served by ``agents`` people with exponential handle times.
Callers who reach it wait until an agent is free; with a patience (Erlang A, abandonment
rate theta = 1 / mean patience) they give up after an exponential time, with none
(Erlang C) they wait for ever, so the queue must be stable.

Everything follows from the *offered wait* V of an arriving caller: the time until an
agent would take it, ignoring its own patience. An arrival that finds all N agents busy
and ``j`` callers waiting ahead needs ``j + 1`` departures from the head of the line, each
at rate ``N mu + i theta`` when ``i`` are ahead, so V is a sum of exponentials. With
remaining patience R ~ Exp(theta) the caller is answered when V < R, which happens with
probability ``N mu / (N mu + (j + 1) theta)`` (the product telescopes). Arrivals see the
stationary distribution of the birth-death chain (PASTA), whose states below N are
Poisson weights, so large N is handled in log space. The Poisson and negative binomial
sums are written out here with numpy rather than taken from ``scipy.stats``, which takes
over a second to import (``ivr solve`` of a small menu takes a fraction of that);
``tests/test_queueing.py`` checks them against scipy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ivr.errors import ConfigError
from ivr.model import Source

#: The service-level target (seconds) when none is given: the 80/20 convention.
TARGET = 20.0
#: Waiting-line probabilities below exp(-TAIL) of the largest are dropped.
TAIL = 46.0
#: The longest waiting line an Erlang A state space may need.
MAX_LINE = 1_000_000


@dataclass(frozen=True)
class QueueFigures:
    """What callers who reach one staffed agent node experience in its queue.

    ``calls_per_hour`` is the arrival rate at this queue while it takes calls; ``p_wait``
    the chance of finding every agent busy; ``asa`` the average speed of answer (mean wait
    of answered callers, zero waits included); ``service_level`` the share of arriving
    callers answered within ``target`` seconds (those who abandon count as not answered);
    ``p_abandon`` the share who give up in the queue; ``occupancy`` the share of agent
    time spent on calls; ``queue_seconds`` the mean time an arriving caller spends
    waiting, answered or not. ``model`` is ``erlang_c`` (no patience) or ``erlang_a``.
    A line with rules (:mod:`ivr.queueing.limits`) adds ``p_callback`` (took the callback),
    ``p_timeout`` (sent on at the longest wait), ``p_balk`` (left on hearing the announced
    wait; counted in ``p_abandon`` too), ``announced`` (the announced wait, seconds) and
    ``expected_wait`` (the mean offered wait: what a caller who waits until answered
    waits, zeros included).
    """

    node: str
    agents: int
    handle_time: float
    calls_per_hour: float
    p_wait: float
    asa: float
    service_level: float
    target: float
    p_abandon: float
    occupancy: float
    model: str = "erlang_a"
    queue_seconds: float = 0.0
    p_callback: float = 0.0
    p_timeout: float = 0.0
    p_balk: float = 0.0
    announced: float | None = None
    expected_wait: float | None = None


@dataclass(frozen=True, eq=False)
class OfferedWait:
    """The offered wait of an arrival at an M/M/N+M queue (theta 0: M/M/N), per second.

    ``ahead[j]`` is the probability that an arrival finds every agent busy and ``j``
    callers waiting ahead (Erlang A; summing to ``p_wait``); Erlang C needs only
    ``p_wait`` and the drain rate ``N mu - lambda``.
    """

    arrivals: float
    agents: int
    service: float
    abandon: float
    p_wait: float
    ahead: np.ndarray

    @property
    def drain(self) -> float:
        """N mu - lambda: the rate the line empties at when every agent is busy."""
        return self.agents * self.service - self.arrivals

    @property
    def erlang_c(self) -> bool:
        return self.abandon == 0.0

    def _stages(self) -> np.ndarray:
        """Rates N mu + (i + 1) theta, i = 0..K: exponential clocks of a caller with j
        ahead that is still there (the leaving rate of the line plus its own patience)."""
        return self.agents * self.service + (np.arange(len(self.ahead)) + 1.0) * self.abandon

    def served(self) -> np.ndarray:
        """P(answered | j ahead) for j = 0..K (Erlang A)."""
        rate = self.agents * self.service
        return rate / (rate + (np.arange(len(self.ahead)) + 1.0) * self.abandon)

    def p_abandon(self) -> float:
        """The share of arrivals who give up before an agent answers."""
        if self.erlang_c:
            return 0.0
        return float((self.ahead * (1.0 - self.served())).sum())

    def answered_wait(self) -> tuple[float, float]:
        """E[W 1{answered}] and E[W^2 1{answered}] over all arrivals (W = 0 when not
        waiting): the moments that seconds to a person need."""
        if self.erlang_c:
            d = self.drain
            return self.p_wait / d, 2.0 * self.p_wait / d ** 2
        inv = 1.0 / self._stages()
        h1 = np.cumsum(inv)
        h2 = np.cumsum(inv * inv)
        weight = self.ahead * self.served()
        return float((weight * h1).sum()), float((weight * (h1 * h1 + h2)).sum())

    def queue_seconds(self) -> float:
        """Mean time an arrival spends in the queue, answered or not: E[min(V, R)]."""
        if self.erlang_c:
            return self.p_wait / self.drain
        return float((self.ahead * (1.0 - self.served())).sum() / self.abandon)

    def answered_within(self, t: float) -> float:
        """The share of arrivals answered within ``t`` seconds (abandoners are not)."""
        if self.erlang_c:
            return 1.0 - self.p_wait * math.exp(-self.drain * t)
        if t <= 0 or self.p_wait == 0.0:
            return 1.0 - self.p_wait
        # Given that it is answered, a caller with j ahead passes j + 1 stages held at
        # rates c + i theta (c = N mu + theta, i = 0..j): the time a linear birth process
        # with immigration c takes to reach j + 1, whose size at t is negative binomial
        # (r = c / theta, p = exp(-theta t)).
        c = self.agents * self.service + self.abandon
        within = _nbinom_sf(len(self.ahead), c / self.abandon, self.abandon * t)
        return 1.0 - self.p_wait + float((self.ahead * self.served() * within).sum())

    def sample(self, u: np.ndarray,
               stage: Callable[[int, np.ndarray], np.ndarray]) -> np.ndarray:
        """Offered waits for uniforms ``u`` (one per caller); ``stage(i, which)`` gives
        uniforms for the ``i``-th exponential of the callers at positions ``which``.

        Erlang C inverts its distribution with ``u`` alone; Erlang A picks the line ahead
        from ``u`` and adds one exponential per departure needed.
        """
        v = np.zeros(len(u))
        if self.p_wait <= 0.0:
            return v
        if self.erlang_c:
            wait = u >= 1.0 - self.p_wait
            v[wait] = np.log(self.p_wait / (1.0 - u[wait])) / self.drain
            return v
        waiting = np.flatnonzero(u >= 1.0 - self.p_wait)
        edges = (1.0 - self.p_wait) + np.cumsum(self.ahead)
        j = np.minimum(np.searchsorted(edges, u[waiting], side="right"), len(self.ahead) - 1)
        rate = self.agents * self.service
        # A caller with j ahead waits for j + 1 departures at rates N mu + i theta: the time a
        # birth process with immigration N mu takes to reach j + 1, so 1 - exp(-theta V)
        # is Beta(j + 1, N mu / theta). Short lines add their exponentials one by one (as
        # ever, the same numbers); long ones invert that Beta with one uniform, so a line of
        # thousands costs one draw, not thousands of passes over every waiting caller.
        short = j < STAGES
        for i in range(int(j[short].max()) + 1 if short.any() else 0):
            which = waiting[short & (j >= i)]
            v[which] += -np.log1p(-stage(i, which)) / (rate + i * self.abandon)
        if not short.all():
            from scipy.special import betaincinv  # imported on use, as scipy.stats is

            which = waiting[~short]
            # 1 - B ~ Beta(N mu / theta, j + 1): its logarithm keeps precision for long waits.
            rest = betaincinv(rate / self.abandon, j[~short] + 1.0, 1.0 - stage(STAGES, which))
            v[which] = -np.log(np.maximum(rest, 1e-300)) / self.abandon
        return v


#: Lines shorter than this are sampled one exponential per departure; longer ones at once.
STAGES = 64


def offered_wait(arrivals: float, agents: int, service: float,
                 abandon: float = 0.0) -> OfferedWait:
    """The offered wait at ``arrivals`` callers, ``agents`` agents, ``service`` calls per
    agent and ``abandon`` give-ups per waiting caller, all per second (or any one unit).

    Examples
    --------
    >>> w = offered_wait(10 / 3, 10, 1 / 3, 1 / 2)       # Erlang A, rates per minute
    >>> round(w.p_wait, 4), round(w.p_abandon(), 4)
    (0.4969, 0.1375)
    """
    if arrivals < 0 or agents < 1 or service <= 0 or abandon < 0:
        raise ValueError("rates must be positive and agents at least 1")
    if arrivals == 0:
        return OfferedWait(0.0, agents, service, abandon, 0.0, np.zeros(0))
    load = arrivals / service
    log_below, log_full = poisson_logs(load, agents)  # P(n < N), P(n = N) up to e^load
    if abandon == 0.0:
        rho = load / agents
        if rho >= 1.0:
            raise ConfigError(f"an Erlang C queue with {load:.4g} erlangs needs more than "
                              f"{agents} agents")
        log_line = log_full - math.log1p(-rho)
        p_wait = math.exp(log_line - np.logaddexp(log_below, log_line))
        return OfferedWait(arrivals, agents, service, 0.0, p_wait, np.zeros(0))
    logs = _line_logs(arrivals, agents * service, abandon)
    log_line = log_full + _logsumexp(logs)
    log_total = float(np.logaddexp(log_below, log_line))
    ahead = np.exp(log_full + logs - log_total)
    return OfferedWait(arrivals, agents, service, abandon, math.exp(log_line - log_total),
                       ahead)


def _logsumexp(logs: np.ndarray) -> float:
    """log(sum(exp(logs))) without overflow."""
    top = float(logs.max())
    return top + math.log(float(np.exp(logs - top).sum()))


def poisson_logs(load: float, agents: int) -> tuple[float, float]:
    """log P(n < N) and log P(n = N) for n Poisson with mean ``load`` and N ``agents``.

    The terms below N are built down from P(N) by their ratios k / load, so no factorial
    is formed.

    Examples
    --------
    >>> [round(math.exp(x), 6) for x in poisson_logs(2.0, 3)]
    [0.676676, 0.180447]
    """
    log_full = agents * math.log(load) - load - math.lgamma(agents + 1)
    ratios = np.cumsum(np.log(np.arange(agents, 0, -1) / load))  # log P(k)/P(N), k = N-1..0
    return log_full + _logsumexp(ratios), log_full


def _nbinom_sf(size: int, r: float, rate_t: float) -> np.ndarray:
    """P(X > k) for k = 0..size-1, X negative binomial with ``r`` successes and success
    probability p = exp(-rate_t) (so p^r = exp(-r rate_t)), as scipy's ``nbinom.sf``.

    Examples
    --------
    >>> [round(float(x), 6) for x in _nbinom_sf(3, 2.5, 0.4)]
    [0.632121, 0.328914, 0.153983]
    """
    k = np.arange(1, size)
    log_q = math.log(-math.expm1(-rate_t))  # 1 - p
    log_pmf = np.concatenate(([-r * rate_t], -r * rate_t + np.cumsum(np.log((k - 1 + r) / k)
                                                                     + log_q)))
    return np.clip(-np.expm1(np.logaddexp.accumulate(log_pmf)), 0.0, 1.0)


def _line_logs(arrivals: float, rate: float, abandon: float) -> np.ndarray:
    """log P(j waiting) - log P(N in system, none waiting) for j = 0..K, K past the mode
    where the terms fall below exp(-TAIL) of the largest."""
    mode = max(0.0, (arrivals - rate) / abandon)
    size = int(mode + 12.0 * math.sqrt(arrivals / abandon + 1.0)) + 64
    while True:
        if size > MAX_LINE:  # before allocating it: a line of millions takes minutes
            raise ConfigError(f"the waiting line would grow past {MAX_LINE:,} callers",
                              hint="patience this long behaves like none: check the "
                                   "agents and handle time")
        i = np.arange(1, size)
        logs = np.concatenate(([0.0], np.cumsum(np.log(arrivals / (rate + i * abandon)))))
        if logs[-1] < logs.max() - TAIL:
            keep = np.flatnonzero(logs >= logs.max() - TAIL)
            return logs[: keep[-1] + 1]
        size *= 2


def erlang_c(calls_per_hour: float, agents: int, handle_time: float, *,
             target: float = TARGET, node: str = "") -> QueueFigures:
    """Erlang C figures: callers wait for ever, so ``calls_per_hour * handle_time`` must
    stay under ``agents`` hours of work per hour.

    Examples
    --------
    >>> q = erlang_c(200, 14, 180)          # 100 calls per 30 minutes, AHT 3 minutes
    >>> round(q.p_wait, 4), round(q.service_level, 4), round(q.asa, 2)
    (0.1741, 0.8884, 7.84)
    """
    check_stable(calls_per_hour, agents, handle_time, node)
    return figures(offered_wait(calls_per_hour / 3600.0, agents, 1.0 / handle_time),
                   node=node, handle_time=handle_time, target=target)


def erlang_a(calls_per_hour: float, agents: int, handle_time: float, patience: float, *,
             target: float = TARGET, node: str = "") -> QueueFigures:
    """Erlang A figures: callers give up after an exponential patience of mean
    ``patience`` seconds.

    Examples
    --------
    >>> q = erlang_a(200, 10, 180, 120)
    >>> round(q.p_wait, 4), round(q.p_abandon, 4)
    (0.4969, 0.1375)
    """
    return figures(offered_wait(calls_per_hour / 3600.0, agents, 1.0 / handle_time,
                                1.0 / patience), node=node, handle_time=handle_time,
                   target=target)


def check_stable(calls_per_hour: float, agents: int, handle_time: float, node: str,
                 source: Source | None = None) -> None:
    """Callers who never give up need more agents than hours of work per hour; else a
    ConfigError naming the node (at ``source``, its place in the menu file)."""
    load = calls_per_hour * handle_time / 3600.0
    if load >= agents:
        need = math.floor(load) + 1
        raise ConfigError(
            f"the queue at {node!r} is overloaded: {calls_per_hour:.4g} calls/h need at "
            f"least {need} agents at {handle_time:g} s handle time (it has {agents})",
            file=source.file if source else None, line=source.line if source else None,
            column=source.column if source else None,
            hint="add agents, or give the callers a patience so that they give up: Erlang A")


def figures(w: OfferedWait, *, node: str, handle_time: float,
            target: float = TARGET) -> QueueFigures:
    """The :class:`QueueFigures` of one offered-wait distribution."""
    answered = 1.0 - w.p_abandon()
    wait1, _ = w.answered_wait()
    return QueueFigures(
        node=node, agents=w.agents, handle_time=handle_time,
        calls_per_hour=w.arrivals * 3600.0, p_wait=w.p_wait,
        asa=wait1 / answered if answered > 0 else math.nan,
        service_level=w.answered_within(target), target=target,
        p_abandon=1.0 - answered,
        occupancy=min(w.arrivals * answered * handle_time / w.agents, 1.0),  # rounding past 1
        model="erlang_c" if w.erlang_c else "erlang_a", queue_seconds=w.queue_seconds())


__all__ = ["TARGET", "OfferedWait", "QueueFigures", "check_stable", "erlang_a", "erlang_c",
           "poisson_logs",
           "figures", "offered_wait"]
