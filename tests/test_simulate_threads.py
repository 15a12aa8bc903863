"""Lanes and threads of the simulator: the same numbers, to the last bit, with any threads.

Callers walk in lanes (halves of the caller numbers from ``LANE_MIN`` callers on) that run
in threads; a caller's path depends only on the seed and its number, and lanes are merged
in order, so one thread and two must agree exactly. The alias tables and the intent
picker are checked against their plain definitions.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ivr.callers.simulate
from ivr.callers.alias import alias_tables
from ivr.callers.chain import Chain, compile_chain
from ivr.callers.lockstep import Lane, Picker
from ivr.callers.simulate import LANE_MIN, SimResult, simulate
from ivr.errors import ConfigError
from ivr.formats import parse_menu
from ivr.formats.registry import load_any

MENUS = Path(__file__).resolve().parent.parent / "menus"

DESK = """\
    name: Desk line
    start: hello
    nodes:
      hello: {kind: message, seconds: 10, next: main}
      main: {kind: menu, seconds: 6, options: {1: desk, 2: info, 3: main}}
      desk: {kind: agent, staff: {agents: 9, handle_time: 180}}
      info: {kind: self_service}
    callers:
      intents:
        talk: {share: 0.6, goal: desk}
        read: {share: 0.4, goal: info}
      patience: {distribution: weibull, mean: 90, shape: 1.5}
      mistake_rate: 0.1
      confusion: 0.1
      silence: 0.05
      zero_out: 0.2
      calls_per_hour: 285
"""


def shipped(name: str) -> Chain:
    return compile_chain(load_any(MENUS / name))


def desk() -> Chain:
    return compile_chain(parse_menu(textwrap.dedent(DESK), "desk.yaml"))


def assert_same(a: SimResult, b: SimResult) -> None:
    """Every number of two results, bit for bit."""
    for field in ("counts", "seconds_sum", "seconds_sq", "seconds_hist", "steps_hist",
                  "entry_counts", "abandon_at"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert a.caller_steps == b.caller_steps
    assert a.traces == b.traces
    assert (a.callers is None) == (b.callers is None)
    if a.callers is not None and b.callers is not None:
        for field in ("outcome", "seconds", "steps"):
            assert np.array_equal(getattr(a.callers, field), getattr(b.callers, field)), field
    for field in ("queue_abandon_at", "queue_tally"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None)
        if x is not None:
            assert np.array_equal(x, y), field
    assert (a.queues is None) == (b.queues is None)
    if a.queues is not None and b.queues is not None:
        assert a.queues.figures() == b.queues.figures()


@pytest.mark.parametrize("name", ["bank.yaml", "utility.yaml", "airline.yaml"])
def test_one_thread_and_two_give_the_same_numbers_on_shipped_menus(name: str) -> None:
    chain = shipped(name)
    one = simulate(chain, LANE_MIN, seed=4, trace=8, record=True, threads=1)
    two = simulate(chain, LANE_MIN, seed=4, trace=8, record=True, threads=2)
    assert_same(one, two)
    assert one.queues is not None  # the shipped menus staff their agents
    assert one.counts.sum() == LANE_MIN


def test_one_thread_and_two_give_the_same_numbers_with_staffed_queues() -> None:
    chain = desk()
    one = simulate(chain, LANE_MIN + 1, seed=9, trace=5, record=True, threads=1)
    two = simulate(chain, LANE_MIN + 1, seed=9, trace=5, record=True, threads=2)
    assert_same(one, two)
    assert one.queue_tally is not None and one.queue_tally[:, 0].sum() > 0
    assert any(t.steps and t.steps[-1][1] == "waits" for t in one.traces)


def test_lanes_split_the_callers_without_changing_any_callers_result(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # 3,000 callers in two lanes (traced callers in both) against one lane: each caller's
    # record, every count and histogram agree; sums of seconds only to rounding.
    chain = desk()
    whole = simulate(chain, 3000, seed=2, trace=2000, record=True, pool=256)
    monkeypatch.setattr(ivr.callers.simulate, "LANE_MIN", 1000)
    for threads in (1, 2):
        split = simulate(chain, 3000, seed=2, trace=2000, record=True, pool=256,
                         threads=threads)
        sums = ("seconds_sum", "seconds_sq", "queue_tally")  # added up in another order
        for field in sums:
            assert np.allclose(getattr(split, field), getattr(whole, field), rtol=1e-12)
        assert_same(whole, SimResult(**{**split.__dict__,
                                        **{f: getattr(whole, f) for f in sums}}))


def test_default_threads_follow_the_callers(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    real = Lane.run

    def run(self: Lane) -> None:
        import threading
        ran.append(threading.current_thread().name)
        real(self)

    monkeypatch.setattr(Lane, "run", run)
    monkeypatch.setattr(ivr.callers.simulate, "_cores", lambda: 2)
    chain = desk()
    simulate(chain, 5000, seed=1)
    assert len(ran) == 1  # below LANE_MIN: one lane, in the caller's thread
    ran.clear()
    monkeypatch.setattr(ivr.callers.simulate, "LANE_MIN", 1000)
    simulate(chain, 5000, seed=1)
    assert len(ran) == 2 and all(name != "MainThread" for name in ran)
    ran.clear()
    simulate(chain, 5000, seed=1, threads=1)
    assert ran == ["MainThread", "MainThread"]


def test_progress_counts_every_caller_from_both_threads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivr.callers.simulate, "LANE_MIN", 1000)
    seen: list[tuple[int, int]] = []
    simulate(desk(), 4000, seed=3, threads=2, pool=300,
             progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (4000, 4000)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_a_failing_lane_stops_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ivr.callers.simulate, "LANE_MIN", 1000)
    real = Lane.run

    def run(self: Lane) -> None:
        if self.lo:
            raise RuntimeError("lane failed")
        real(self)

    monkeypatch.setattr(Lane, "run", run)
    with pytest.raises(RuntimeError, match="lane failed"):
        simulate(desk(), 4000, seed=3, threads=2)


def test_threads_must_be_positive() -> None:
    with pytest.raises(ConfigError, match="threads must be at least 1"):
        simulate(desk(), 100, threads=0)


def test_no_callers_is_an_empty_result() -> None:
    r = simulate(desk(), 0, record=True)
    assert r.counts.sum() == 0 and r.caller_steps == 0 and r.callers is not None


# ------------------------------------------------------------------ the pieces


@pytest.mark.parametrize("name", ["bank.yaml", "telecom.yaml", "broken_trap.yaml"])
@pytest.mark.parametrize("width", [None, 17])
def test_alias_slots_give_each_entry_its_probability(name: str, width: Any) -> None:
    chain = shipped(name)
    thresh, own, alias, w = alias_tables(chain, width)
    assert w >= int(np.diff(chain.indptr).max()) and (width is None or w == width)
    assert ((thresh >= 0) & (thresh <= 1)).all()
    got = (np.bincount(own, weights=thresh, minlength=len(chain.prob))
           + np.bincount(alias, weights=1 - thresh, minlength=len(chain.prob))) / w
    assert np.allclose(got, chain.prob, atol=1e-12)
    # Every slot stays in its own row.
    row = np.repeat(np.arange(chain.n_states), w)
    assert (chain.entry_state[own] == row).all() and (chain.entry_state[alias] == row).all()


def test_intent_picker_is_searchsorted() -> None:
    picker = Picker(shipped("bank.yaml"), 1)
    rng = np.random.default_rng(5)
    edges = picker.shares[:-1]
    u = np.concatenate([rng.random(100_000), edges, np.nextafter(edges, 0),
                        np.arange(1024) / 1024])
    u = u[(u >= 0) & (u < 1)]
    assert (picker.intent(u) == np.searchsorted(picker.shares, u, side="right")).all()
