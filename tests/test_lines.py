"""Lines with rules (ivr.queueing.limits): the M/M/N+G offered wait against Erlang A and C,
against an event-by-event simulation of the queue written here, the Erlang A identity
P(abandon) = theta E[wait], sampling, and the one-line overload error."""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.errors import ConfigError
from ivr.queueing.erlang import offered_wait
from ivr.queueing.limits import LineRules, limited_wait

# ------------------------------------------------------------- Erlang A and C as limits


@settings(max_examples=40, deadline=None)
@given(load=st.floats(0.05, 1.6), agents=st.integers(1, 60),
       handle=st.floats(30, 900), patience=st.floats(20, 2000))
def test_no_rules_is_erlang_a(load: float, agents: int, handle: float, patience: float) -> None:
    lam = load * agents / handle
    w = limited_wait(lam, agents, 1 / handle, 1 / patience)
    o = offered_wait(lam, agents, 1 / handle, 1 / patience)
    assert w.p_wait == pytest.approx(o.p_wait, rel=1e-9, abs=1e-12)
    assert w.p_abandon() == pytest.approx(o.p_abandon(), rel=1e-8, abs=1e-12)
    assert w.answered_wait() == pytest.approx(o.answered_wait(), rel=1e-8, abs=1e-10)
    assert w.queue_seconds() == pytest.approx(o.queue_seconds(), rel=1e-8, abs=1e-10)
    assert w.answered_within(20) == pytest.approx(o.answered_within(20), rel=1e-8, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(load=st.floats(0.05, 0.95), agents=st.integers(1, 60), handle=st.floats(30, 900))
def test_no_rules_and_no_patience_is_erlang_c(load: float, agents: int, handle: float) -> None:
    lam = load * agents / handle
    w, o = limited_wait(lam, agents, 1 / handle), offered_wait(lam, agents, 1 / handle)
    assert w.p_wait == pytest.approx(o.p_wait, rel=1e-9)
    assert w.answered_within(20) == pytest.approx(o.answered_within(20), rel=1e-9)
    assert w.answered_wait()[0] == pytest.approx(o.answered_wait()[0], rel=1e-8)
    assert w.p_abandon() == pytest.approx(0.0, abs=1e-12)


def test_erlang_c_cut_at_t_leaves_those_still_waiting_then() -> None:
    # With no patience, a caller leaves exactly when its offered wait exceeds T; the cut
    # lightens the line (callers who leave at T are not served), so the chance of
    # waiting past T is below Erlang C's P(wait) e^-(N mu - lambda) T.
    lam, n, mu, t = 3.3 / 60, 4, 1 / 60, 30.0
    cut = limited_wait(lam, n, mu, 0.0, LineRules(max_wait=t))
    plain = offered_wait(lam, n, mu)
    assert cut.timed_out() == pytest.approx(cut.tail(t))
    assert cut.p_abandon() == pytest.approx(0.0, abs=1e-12)
    assert cut.timed_out() < plain.p_wait * math.exp(-plain.drain * t)
    assert cut.answered() + cut.timed_out() == pytest.approx(1.0)


# ------------------------------------------------------------- the Erlang A identity


@settings(max_examples=30, deadline=None)
@given(load=st.floats(0.1, 2.0), agents=st.integers(1, 40), handle=st.floats(60, 600),
       patience=st.floats(30, 900))
def test_erlang_a_abandonment_is_theta_times_the_mean_wait(load: float, agents: int,
                                                           handle: float,
                                                           patience: float) -> None:
    # Callers waiting give up at rate theta each, so abandonments per arrival are theta
    # times the mean time an arrival spends waiting (Little's law on the waiting line).
    # E[min(V, R)] is computed here from the line ahead, independently of p_abandon.
    theta = 1 / patience
    lam = load * agents / handle
    w = offered_wait(lam, agents, 1 / handle, theta)
    rate = agents / handle
    mean_wait = 0.0
    for j, p in enumerate(w.ahead.tolist()):
        reach, stay = 1.0, 0.0
        for i in range(j + 1):  # stage i: the line moves at N mu + i theta, R at theta
            out = rate + i * theta + theta
            stay += reach / out
            reach *= (rate + i * theta) / out
        mean_wait += p * stay
    assert w.p_abandon() == pytest.approx(theta * mean_wait, rel=1e-10, abs=1e-15)
    # The same in the M/M/N+G line, also when the longest wait cuts the line.
    for rules in (LineRules(), LineRules(max_wait=handle / 2)):
        g = limited_wait(lam, agents, 1 / handle, theta, rules)
        gave_up = g.p_abandon()
        assert gave_up == pytest.approx(theta * g.queue_seconds(), rel=1e-9, abs=1e-14)


# ------------------------------------------------------------- event by event


@dataclass
class Tally:
    arrived: int = 0
    answered: int = 0
    waited: int = 0
    wait_sum: float = 0.0
    timed_out: int = 0
    abandoned: int = 0
    balked: int = 0
    callback: int = 0


def event_by_event(lam: float, n: int, mu: float, theta: float, rules: LineRules,
                   horizon: float, seed: int) -> Tally:
    """One FCFS M/M/n line, caller by caller: each arrival draws its patience R; it leaves
    at once if R < the announced wait; else it leaves the line at min(R, T), unless it
    took the callback at O (then it keeps its place and is served, never leaving). Callers
    who left are skipped when a server reaches them. The first and last 5% of the horizon
    are not counted."""
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / lam, int(lam * horizon * 1.2) + 100)
    arrive = np.cumsum(gaps)
    arrive = arrive[arrive < horizon]
    k = len(arrive)
    patience = rng.exponential(1 / theta, k) if theta > 0 else np.full(k, np.inf)
    takes = rng.random(k) < rules.accept
    service = rng.exponential(1 / mu, k)
    lo, hi = 0.05 * horizon, 0.95 * horizon
    out = Tally()
    free = [0.0] * n
    heapq.heapify(free)
    line: deque[int] = deque()

    def counted(i: int) -> bool:
        return lo <= arrive[i] < hi

    def leave(i: int) -> float:
        """When caller i leaves the line unanswered (inf: never)."""
        r, t, o = patience[i], rules.max_wait, rules.offer_after
        if takes[i] and o < t and o < r:
            return math.inf
        return min(r, t) + arrive[i]

    def gone(i: int) -> None:
        if counted(i):
            r = patience[i]
            if rules.max_wait <= r:
                out.timed_out += 1
            else:
                out.abandoned += 1

    def serve(i: int, at: float) -> None:
        heapq.heappush(free, at + service[i])
        if not counted(i):
            return
        wait = at - arrive[i]
        if takes[i] and wait > rules.offer_after and rules.offer_after < rules.max_wait:
            out.callback += 1
        else:
            out.answered += 1
            out.wait_sum += wait

    for i in range(k):
        a = arrive[i]
        while line and free[0] <= a:
            s = heapq.heappop(free)
            while line and leave(line[0]) <= s:
                gone(line.popleft())
            if line:
                serve(line.popleft(), s)
            else:
                heapq.heappush(free, s)
        if counted(i):
            out.arrived += 1
        if patience[i] < rules.announce:
            if counted(i):
                out.balked += 1
            continue
        if free[0] <= a and not line:
            heapq.heappop(free)
            serve(i, a)
        else:
            line.append(i)
            if counted(i):
                out.waited += 1
    return out


def z(count: int, total: int, p: float) -> float:
    return (count / total - p) / math.sqrt(max(p * (1 - p), 1e-12) / total)


@pytest.mark.parametrize(("lam", "n", "mu", "theta", "rules"), [
    # Erlang C cut at 30 s: 4 agents, 1-minute calls, 83% busy.
    (3.3 / 60, 4, 1 / 60, 0.0, LineRules(max_wait=30.0)),
    # Erlang A cut at 45 s: 3 agents, patience 90 s, offered 97% of capacity.
    (2.9 / 60, 3, 1 / 60, 1 / 90, LineRules(max_wait=45.0)),
    # Everything at once: 20 s announced, a callback after 25 s taken by half, cut at 60 s.
    (3.2 / 60, 3, 1 / 60, 1 / 120, LineRules(announce=20.0, max_wait=60.0, offer_after=25.0,
                                            accept=0.5)),
], ids=["erlang-c-cut", "erlang-a-cut", "announce-callback-cut"])
def test_agrees_with_an_event_by_event_simulation(lam: float, n: int, mu: float,
                                                  theta: float, rules: LineRules) -> None:
    w = limited_wait(lam, n, mu, theta, rules)
    sim = event_by_event(lam, n, mu, theta, rules, horizon=3.0e6, seed=11)
    total = sim.arrived
    assert total > 100_000
    for count, p in ((sim.answered, w.answered()), (sim.timed_out, w.timed_out()),
                     (sim.abandoned, w.p_abandon() - w.balked()), (sim.balked, w.balked()),
                     (sim.callback, w.callback()), (sim.waited, w.p_wait)):
        assert abs(z(count, total, p)) < 4.5, (count / total, p)
    mean = sim.wait_sum / max(sim.answered, 1)
    assert mean == pytest.approx(w.answered_wait()[0] / w.answered(), rel=0.05)


# ------------------------------------------------------------- sampling and errors


def test_sampled_offered_waits_follow_the_distribution() -> None:
    w = limited_wait(200 / 3600, 10, 1 / 180, 1 / 120,
                     LineRules(announce=30, max_wait=240, offer_after=120, accept=0.5))
    u = np.random.default_rng(1).random(400_000)
    v = w.sample(u)
    assert abs(z(int((v > 0).sum()), len(u), w.p_line)) < 4.5
    for t in (5.0, 30.0, 60.0, 120.0):
        assert abs(z(int((v > t).sum()), len(u), w.tail(t))) < 4.5
    # Monotone in the uniform: the same caller waits longer in every busier line.
    order = np.argsort(u)
    assert np.all(np.diff(v[order]) >= 0)


def test_callbacks_that_keep_their_place_can_overload_a_line() -> None:
    # Everyone takes the callback at once and never leaves: an Erlang C line past capacity.
    with pytest.raises(ConfigError, match="overloaded.*at least 5 are needed"):
        limited_wait(4.5 / 60, 4, 1 / 60, 1 / 60, LineRules(offer_after=0.0, accept=1.0),
                     node="desk")


def test_no_arrivals_no_line() -> None:
    w = limited_wait(0.0, 3, 1 / 60, 1 / 100, LineRules(announce=100.0))
    assert w.p_wait == 0.0 and w.balked() == pytest.approx(1 - math.exp(-1.0))
    assert w.answered() == pytest.approx(math.exp(-1.0))
