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

import numpy as np

from ivr.callers import rng
from ivr.callers.alias import alias_tables
from ivr.callers.chain import ABANDONED, HUMAN, OUTCOMES, Chain
from ivr.callers.lockstep import (
    BIN,
    BINS,
    POOL,
    Callers,
    Lane,
    Picker,
    Tally,
    Walk,
    add_finished,
    patience_of,
)
from ivr.callers.queues import (
    TALLY,
    AgentQueues,
    agent_queues,
    ending_queue,
    offered_waits,
    staffed,
)
from ivr.errors import ConfigError
from ivr.model import EVENTS

#: Steps after which a caller still in the menu counts as stuck (a loop).
STEP_CAP = 200
DEFAULT_SEED = 20261123
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
    held = _Held(chain)
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
                 hold=held.take if held.active else None,
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
    waited = held.resolve(key, walk.picker, tally.counts.reshape(n_cls, n_out),
                          [p for lane in runs for p in lane.held], len(traces))
    if waited is not None:
        cid, cls, outcome, seconds, steps = waited
        for i in np.flatnonzero(cid < len(traces)).tolist():
            finals[int(cid[i])] = (int(cls[i]), int(outcome[i]), float(seconds[i]))
        add_finished(tally, kept, cid, cls, outcome, seconds, steps)
    return SimResult(
        chain=chain, n=n, seed=seed, counts=tally.counts.reshape(n_cls, n_out),
        seconds_sum=tally.sec_sum, seconds_sq=tally.sec_sq,
        seconds_hist=tally.sec_hist.reshape(n_out, -1),
        steps_hist=tally.step_hist.reshape(n_out, -1), entry_counts=entry_counts,
        abandon_at=abandon_at, caller_steps=sum(lane.caller_steps for lane in runs),
        capped=sum(lane.capped for lane in runs), step_cap=step_cap,
        traces=_traces(chain, traces, finals, held.waited), callers=kept, queues=held.queues,
        queue_abandon_at=held.lost_at, queue_tally=held.tally,
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


#: A traced caller's queue: the agent, how it ended, the seconds it waited.
_Waited = tuple[str, int, float]


class _Held:
    """Callers who reached a staffed agent, held (28 bytes each) until the run ends.

    A queue's arrival rate is the rate of callers who end at its agent, which depends on
    the menu only; so once every caller has been walked, the simulated shares give the
    rates, and each held caller draws its offered wait V (reserved streams
    :data:`ivr.callers.rng.QUEUE`, ``QUEUE_STAGE + i``). It is answered when V is less than what
    is left of its own patience, else it gives up when its patience runs out: exactly
    Erlang A for exponential patience, an approximation for the other distributions.
    """

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.nodes = staffed(chain)
        self.active = bool(len(self.nodes))
        self.entry_q, self.start_q = ending_queue(chain, self.nodes)
        # What resolve() found: the queues, who gave up at each node, per queue the
        # TALLY columns, and the traced callers' waits.
        self.queues: AgentQueues | None = None
        self.lost_at: np.ndarray | None = None
        self.tally: np.ndarray | None = None
        self.waited: dict[int, _Waited] = {}

    def take(self, cid: np.ndarray, cls: np.ndarray, outcome: np.ndarray,
             elapsed: np.ndarray, steps: np.ndarray, entry: np.ndarray | None
             ) -> tuple[tuple[np.ndarray, ...], np.ndarray] | None:
        """The callers ending at a queue (a part to hold) and the mask of the others;
        None when no one is held."""
        q = self.start_q[cls] if entry is None else self.entry_q[entry]
        wait = (q >= 0) & (outcome == HUMAN)
        if not wait.any():
            return None
        return (cid[wait], cls[wait].astype(np.int32), q[wait].astype(np.int32),
                elapsed[wait], steps[wait].astype(np.int32)), ~wait

    def resolve(self, key: np.uint64, picker: Picker, counts: np.ndarray,
                parts: list[tuple[np.ndarray, ...]], traced: int
                ) -> tuple[np.ndarray, ...] | None:
        """Rates from the simulated shares, then every held caller's wait: the callers'
        (number, class, outcome, seconds, steps), or None when no one was held."""
        chain = self.chain
        if not self.active:
            return None
        self.lost_at = lost_at = np.zeros(chain.top.n, dtype=np.int64)
        self.tally = np.zeros((len(self.nodes), len(TALLY)))
        if not parts:
            return None
        cid, cls, q, elapsed, steps = (np.concatenate(a) for a in zip(*parts, strict=True))
        n_cls = len(chain.classes)
        size = counts.sum(axis=1) + np.bincount(cls, minlength=n_cls)
        reach = np.zeros((n_cls, len(self.nodes)))
        np.add.at(reach, (cls, q), 1.0)
        queues = agent_queues(chain, reach / np.maximum(size, 1)[:, None])
        assert queues is not None
        segment = queues.of_minute[picker.minute(key, cid)]

        def stage(i: int, which: np.ndarray) -> np.ndarray:
            return rng.uniforms(key, cid[which], rng.QUEUE_STAGE + i)

        offered = offered_waits(queues, q, segment, rng.uniforms(key, cid, rng.QUEUE), stage)
        patience = patience_of(chain.population.patience, rng.uniforms(key, cid, rng.PATIENCE))
        answered = offered < patience - elapsed
        seconds = np.where(answered, elapsed + offered, np.maximum(patience, elapsed))
        outcome = np.where(answered, HUMAN, ABANDONED)
        lost_at += np.bincount(self.nodes[q[~answered]], minlength=chain.top.n)
        wait = seconds - elapsed
        nq = len(self.nodes)
        self.tally = np.stack([np.bincount(q, weights=w, minlength=nq) for w in (
            np.ones(len(q)), offered > 0, answered, answered & (offered <= queues.target),
            np.where(answered, wait, 0.0), wait)], axis=1)
        self.queues = queues
        self.waited = {int(cid[i]): (queues.names[int(q[i])], int(outcome[i]), float(wait[i]))
                       for i in np.flatnonzero(cid < traced).tolist()}
        return cid, cls, outcome, seconds, steps


def _traces(chain: Chain, raw: dict[int, list[tuple[int, bool]]],
            finals: dict[int, tuple[int, int, float]],
            waited: dict[int, _Waited]) -> tuple[Trace, ...]:
    """Traced callers' paths; one who queued at a staffed agent ends with a ``waits``
    step: ``(agent, "waits", None, "human" or "abandoned", seconds in the queue)``."""
    top = chain.top
    out = []
    for caller, steps in sorted(raw.items()):
        if caller not in finals:
            continue
        c, outcome, seconds = finals[caller]
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
        if caller in waited:
            agent, ended, wait = waited[caller]
            items.append((agent, "waits", None, OUTCOMES[ended], wait))
        intent = chain.population.intents[chain.classes[c].intent].name
        out.append(Trace(caller, intent, OUTCOMES[outcome], seconds, tuple(items)))
    return tuple(out)


__all__ = ["BIN", "BINS", "DEFAULT_SEED", "LANE_MIN", "LANES", "POOL", "STEP_CAP", "Callers",
           "SimResult", "Trace", "alias_tables", "patience_of", "simulate", "threads_for"]
