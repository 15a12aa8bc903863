"""Monte Carlo over the compiled chain: every caller advances one step per numpy operation.

Callers walk the chain in lanes (:mod:`ivr.callers.lockstep`): each lane steps a pool of callers
in lockstep, one uniform per caller and step (counter-based, see :mod:`ivr.callers.rng`), and
replaces finished callers by new ones, so memory does not grow with the number of
callers. Patience is drawn per caller from any distribution; a caller abandons when the
elapsed seconds would pass it. From :data:`LANE_MIN` callers on, they are split into two
lanes that can run in two threads (numpy releases the GIL in the step's array work); the
split depends on the number of callers only, so the threads never change a number.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import cast

import numpy as np

from ivr.callers import DEFAULT_SEED, rng
from ivr.callers.alias import alias_tables
from ivr.callers.chain import OUTCOMES, Chain
from ivr.callers.lines import Lines
from ivr.callers.lockstep import (
    BIN,
    BINS,
    POOL,
    Callers,
    Lane,
    Tally,
    Walk,
    patience_of,
)
from ivr.callers.queues import (
    AgentQueues,
)
from ivr.errors import ConfigError
from ivr.model import EVENTS

#: Steps after which a caller still in the menu counts as stuck (a loop).
STEP_CAP = 200
#: From this many callers on, they walk in :data:`LANES` lanes (the halves of the caller
#: numbers), which run in threads; fewer callers walk in one lane. Lanes depend on ``n``
#: only, never on the threads, so the threads change no number, not even in the last bit.
LANE_MIN = 200_000
LANES = 2


@dataclass(frozen=True)
class Trace:
    """One caller's path: its intent, outcome, and (node, event, key, to, seconds) steps;
    ``to`` is the next node, or how the call ended."""

    caller: int
    intent: str
    outcome: str
    seconds: float
    steps: tuple[tuple[str, str, str | None, str, float], ...]


@dataclass(frozen=True, eq=False)
class SimResult:
    """Streaming aggregates of a simulation.

    ``counts[c, o]`` callers of class ``c`` ending in outcome ``o``; ``seconds_hist[o]`` and
    ``steps_hist[o]`` their time in the menu (and queue) and steps; ``entry_counts`` how
    often each chain entry was taken; ``abandon_at`` callers abandoning at each node of the
    topology in the menu, ``queue_abandon_at`` in the queue of a staffed agent; ``queues``
    the agent queues at the simulated arrival rates (None when none is modelled), and
    ``queue_tally[q]`` what their callers met (columns :data:`ivr.callers.queues.TALLY`).
    """

    chain: Chain
    n: int
    seed: int
    counts: np.ndarray
    seconds_sum: np.ndarray
    seconds_sq: np.ndarray
    seconds_hist: np.ndarray
    steps_hist: np.ndarray
    entry_counts: np.ndarray
    abandon_at: np.ndarray
    caller_steps: int
    traces: tuple[Trace, ...]
    callers: Callers | None = None
    queues: AgentQueues | None = None
    queue_abandon_at: np.ndarray | None = None
    queue_tally: np.ndarray | None = None
    #: Callers the step cap stopped (and counted stuck), and the cap.
    capped: int = 0
    step_cap: int = STEP_CAP

    def outcome_counts(self) -> dict[str, int]:
        tot = self.counts.sum(axis=0)
        return {o: int(x) for o, x in zip(OUTCOMES, tot, strict=True)}


def simulate(chain: Chain, n: int = 100_000, *, seed: int = DEFAULT_SEED, trace: int = 0,
             step_cap: int = STEP_CAP, pool: int = POOL,
             progress: Callable[[int, int], None] | None = None,
             record: bool = False, width: int | None = None,
             threads: int | None = None) -> SimResult:
    """Simulate ``n`` callers through ``chain``; the same seed gives the same numbers.

    ``record`` keeps every caller's outcome, seconds and steps (``SimResult.callers``,
    13 bytes a caller) for paired comparisons; ``width`` pads every row's alias table to
    that many slots, so menus compared with the same width pick alike from alike rows.
    ``threads`` caps the threads the lanes run in (default: the cores, at most
    :data:`LANES`); from :data:`LANE_MIN` callers on there are two lanes, below one. The
    numbers are the same with any number of threads.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> from ivr.callers.chain import compile_chain
    >>> m = parse_menu('''
    ... name: T
    ... start: main
    ... nodes:
    ...   main: {kind: menu, say: Press 1 for a person., options: {1: desk}}
    ...   desk: {kind: agent}
    ... callers: {intents: {talk: {share: 1, goal: desk}}}
    ... ''')
    >>> r = simulate(compile_chain(m), 1000, seed=1)
    >>> r.outcome_counts()["human"] + r.outcome_counts()["abandoned"] + \\
    ...     r.outcome_counts()["disconnected"]
    1000
    """
    threads = threads_for(n, threads)
    lanes = LANES if n >= LANE_MIN else 1
    key = rng.seed_key(seed)
    walk = Walk(chain, key, width, step_cap)
    lines = Lines(chain, walk)
    kept = Callers(np.zeros(n, dtype=np.int8), np.zeros(n), np.zeros(n, dtype=np.int32)) \
        if record else None
    bounds = [n * k // lanes for k in range(lanes + 1)]
    lock, done = threading.Lock(), [0]

    def tick(k: int) -> None:
        assert progress is not None
        with lock:
            done[0] += k
            progress(done[0], n)

    runs = [Lane(walk, lo, hi, pool, kept=kept, traced=trace,
                 hold=lines.take if lines.active else None,
                 done=None if progress is None else tick)
            for lo, hi in zip(bounds, bounds[1:], strict=False) if hi > lo]
    _run_lanes(walk, runs, threads)
    # Lane by lane, in order, so sums of seconds add up alike with any threads.
    tally = runs[0].tally if runs else Tally(walk.n_classes, step_cap)
    entry_counts = np.zeros(walk.n_entries, dtype=np.int64)
    abandon_at = np.zeros(walk.n_nodes, dtype=np.int64)
    traces: dict[int, list[tuple[int, bool]]] = {}
    finals: dict[int, tuple[int, int, float]] = {}
    for k, lane in enumerate(runs):
        if k:
            tally.absorb(lane.tally)
        entry_counts += lane.entry_counts
        abandon_at += lane.abandon_at
        traces.update(lane.traces)
        finals.update(lane.finals)
    n_cls, n_out = walk.n_classes, len(OUTCOMES)
    caller_steps = sum(lane.caller_steps for lane in runs)
    capped = sum(lane.capped for lane in runs)
    resolved = lines.resolve(walk.picker, tally.counts.reshape(n_cls, n_out),
                             [p for lane in runs for p in lane.held], entry_counts, kept,
                             len(traces))
    waits: dict[int, list[tuple[str, object]]] = {}
    if resolved is not None:
        for lane in resolved.lanes:
            entry_counts += lane.entry_counts
            abandon_at += lane.abandon_at
            caller_steps += lane.caller_steps
            capped += lane.capped
            finals.update(lane.finals)
        for cid, cls, outcome, seconds, _ in resolved.finished:
            for i in np.flatnonzero(cid < len(traces)).tolist():
                finals[int(cid[i])] = (int(cls[i]), int(outcome[i]), float(seconds[i]))
        lines.finish(tally, kept)
        waits = resolved.waits
    return SimResult(
        chain=chain, n=n, seed=seed, counts=tally.counts.reshape(n_cls, n_out),
        seconds_sum=tally.sec_sum, seconds_sq=tally.sec_sq,
        seconds_hist=tally.sec_hist.reshape(n_out, -1),
        steps_hist=tally.step_hist.reshape(n_out, -1), entry_counts=entry_counts,
        abandon_at=abandon_at, caller_steps=caller_steps, capped=capped, step_cap=step_cap,
        traces=_traces(chain, traces, finals, waits), callers=kept, queues=lines.queues,
        queue_abandon_at=None if resolved is None else resolved.lost_at,
        queue_tally=None if resolved is None else resolved.tally,
    )


def threads_for(n: int, threads: int | None = None) -> int:
    """The threads ``simulate(chain, n, threads=threads)`` runs in: at most one a lane,
    and by default one a core.

    >>> threads_for(1000, 2), threads_for(LANE_MIN, 1), threads_for(LANE_MIN, 8)
    (1, 1, 2)
    """
    if threads is not None and threads < 1:
        raise ConfigError(f"threads must be at least 1, not {threads}", hint="threads=1")
    return min(threads or _cores(), LANES if n >= LANE_MIN else 1)


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run_lanes(walk: Walk, runs: list[Lane], threads: int) -> None:
    """Run the lanes, ``threads`` at once; one that fails stops the others."""
    def run(lane: Lane) -> None:
        try:
            lane.run()
        except BaseException:
            walk.stop = True
            raise

    if threads < 2 or len(runs) < 2:
        for lane in runs:
            run(lane)
        return
    with ThreadPoolExecutor(max_workers=min(threads, len(runs))) as workers:
        try:
            list(workers.map(run, runs))
        except BaseException:  # Ctrl-C included: the lanes stop within a step
            walk.stop = True
            raise


def _traces(chain: Chain, raw: dict[int, list[tuple[int, bool]]],
            finals: dict[int, tuple[int, int, float]],
            waits: dict[int, list[tuple[str, object]]]) -> tuple[Trace, ...]:
    """Traced callers' paths; at a queued agent a ``waits`` step (``balks`` when the
    announced wait sent it away): ``(agent, "waits", None, "human", "abandoned",
    "callback" or the on_max_wait node, seconds in the line)``, then the steps of callers
    sent on."""
    out = []
    for caller, first in sorted(raw.items()):
        if caller not in finals:
            continue
        c, outcome, seconds = finals[caller]
        items: list[tuple[str, str, str | None, str, float]] = []
        parts: list[tuple[str, object]] = [("steps", first), *waits.get(caller, [])]
        for what, part in parts:
            if what == "wait":
                line = cast(tuple[str, str, str, float], part)
                items.append((line[0], line[1], None, line[2], line[3]))
            else:
                items.extend(_steps(chain, part))  # type: ignore[arg-type]
        intent = chain.population.intents[chain.classes[c].intent].name
        out.append(Trace(caller, intent, OUTCOMES[outcome], seconds, tuple(items)))
    return tuple(out)


def _steps(chain: Chain, steps: list[tuple[int, bool]]
           ) -> list[tuple[str, str, str | None, str, float]]:
    """Trace items of entries taken: (node, event, key, to, seconds)."""
    top = chain.top
    items = []
    for e, gone in steps:
        node = top.ids[int(chain.state_node[chain.entry_state[e]])]
        edge = int(chain.edge[e])
        key = None
        if edge >= 0 and EVENTS[int(chain.event[e])] == "option":
            key = top.key(edge)
        event = EVENTS[int(chain.event[e])]
        dst = int(chain.dst[e])
        if gone:
            to = "abandoned"
        elif edge >= 0:
            to = top.ids[int(top.dst[edge])]
        else:
            to = OUTCOMES[-1 - dst] if dst < 0 else top.ids[int(chain.state_node[dst])]
        items.append((node, event, key, to, float(chain.secs[e])))
    return items


__all__ = ["BIN", "BINS", "DEFAULT_SEED", "LANE_MIN", "LANES", "POOL", "STEP_CAP", "Callers",
           "SimResult", "Trace", "alias_tables", "patience_of", "simulate", "threads_for"]
