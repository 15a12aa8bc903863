"""Monte Carlo over the compiled chain: every caller advances one step per numpy operation.

Each step takes one uniform per caller (counter-based, see :mod:`ivr.rng`) and picks the
next entry of its state's row from an alias table. Finished callers are replaced in place
by new ones (a refill pool), and results stream into fixed-size counters and histograms,
so memory does not grow with the number of callers. Patience is drawn per caller from
any distribution; a caller abandons when the elapsed seconds would pass it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import gamma, ndtri

from ivr import rng
from ivr.chain import ABANDONED, HUMAN, OUTCOMES, STUCK, Chain
from ivr.model import EVENTS, Patience
from ivr.queues import TALLY, AgentQueues, agent_queues, ending_queue, offered_waits, staffed

#: Callers in flight at once; finished ones are replaced by new ones.
POOL = 65_536
#: Steps after which a caller still in the menu counts as stuck (a loop).
STEP_CAP = 200
#: Width and count of the seconds histogram bins (0.1 s up to 4 hours, then overflow).
BIN = 0.1
BINS = 144_000
DEFAULT_SEED = 20261123


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
class Callers:
    """Every caller's own result, indexed by caller number (``simulate(record=True)``).

    Caller ``i`` draws the same uniforms in every menu simulated with the same seed, so
    two records line up caller by caller: the basis of paired comparisons.
    """

    outcome: np.ndarray
    seconds: np.ndarray
    steps: np.ndarray


@dataclass(frozen=True, eq=False)
class SimResult:
    """Streaming aggregates of a simulation.

    ``counts[c, o]`` callers of class ``c`` ending in outcome ``o``; ``seconds_hist[o]`` and
    ``steps_hist[o]`` their time in the menu (and queue) and steps; ``entry_counts`` how
    often each chain entry was taken; ``abandon_at`` callers abandoning at each node of the
    topology in the menu, ``queue_abandon_at`` in the queue of a staffed agent; ``queues``
    the agent queues at the simulated arrival rates (None when none is modelled), and
    ``queue_tally[q]`` what their callers met (columns :data:`ivr.queues.TALLY`).
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

    def outcome_counts(self) -> dict[str, int]:
        tot = self.counts.sum(axis=0)
        return {o: int(x) for o, x in zip(OUTCOMES, tot, strict=True)}


def alias_tables(chain: Chain, width: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Alias tables of every row at once: (threshold, own, alias, width) per slot.

    Every row has ``width`` slots (at least the longest row), so a uniform picks slot
    ``floor(u * width)`` with no per-row length; slot ``j`` of state ``s`` yields entry
    ``own`` when the rest of the uniform is below ``threshold``, else entry ``alias``.
    Padding slots have probability 0 and always yield their alias. Built for all rows
    together by pairing each row's smallest unfinished slot with its largest, one slot
    per pass.
    """
    n = chain.n_states
    length = np.diff(chain.indptr)
    width = max(int(length.max()) if n else 1, width or 1)
    col = np.arange(len(chain.prob)) - np.repeat(chain.indptr[:-1], length)
    rows = chain.entry_state
    work = np.zeros((n, width))
    work[rows, col] = chain.prob * width
    own = np.zeros((n, width), dtype=np.int64)
    own[rows, col] = np.arange(len(chain.prob))
    own[:, :] = np.where(np.arange(width) < length[:, None], own, own[:, :1])
    alias = own.copy()
    thresh = np.ones((n, width))
    done = np.zeros((n, width), dtype=bool)
    idx = np.arange(n)
    for _ in range(width):
        masked = np.where(done, np.inf, work)
        small = masked.argmin(axis=1)
        big = np.where(done, -np.inf, work).argmax(axis=1)
        s_val = masked[idx, small]
        go = (s_val < 1.0 - 1e-12) & (small != big)
        if not go.any():
            break
        r, sm, bg = idx[go], small[go], big[go]
        thresh[r, sm] = s_val[go]
        alias[r, sm] = own[r, bg]
        done[r, sm] = True
        work[r, bg] -= 1.0 - s_val[go]
    return thresh.reshape(-1), own.reshape(-1), alias.reshape(-1), width


def patience_of(p: Patience, u: np.ndarray) -> np.ndarray:
    """Patience in seconds for uniforms ``u`` (inverse of the distribution's CDF)."""
    mean = float(p.mean or 0.0)
    if p.distribution == "none":
        return np.full(len(u), np.inf)
    if p.distribution == "fixed":
        return np.full(len(u), mean)
    if p.distribution == "weibull":
        k = float(p.shape or 1.0)
        return mean / gamma(1.0 + 1.0 / k) * (-np.log1p(-u)) ** (1.0 / k)
    if p.distribution == "lognormal":
        sd = float(p.sd or 0.0)
        s2 = math.log1p((sd / mean) ** 2)
        return np.exp(math.log(mean) - s2 / 2 + math.sqrt(s2) * ndtri(u))
    return -mean * np.log1p(-u)


def simulate(chain: Chain, n: int = 100_000, *, seed: int = DEFAULT_SEED, trace: int = 0,
             step_cap: int = STEP_CAP, pool: int = POOL,
             progress: Callable[[int, int], None] | None = None,
             record: bool = False, width: int | None = None) -> SimResult:
    """Simulate ``n`` callers through ``chain``; the same seed gives the same numbers.

    ``record`` keeps every caller's outcome, seconds and steps (``SimResult.callers``,
    13 bytes a caller) for paired comparisons; ``width`` pads every row's alias table to
    that many slots, so menus compared with the same width pick alike from alike rows.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> from ivr.chain import compile_chain
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
    key = rng.seed_key(seed)
    thresh, own, alias, width = alias_tables(chain, width)
    packed = own | (alias << 32)  # one gather gives both candidates
    low32 = np.int64(0xFFFFFFFF)
    dst, secs = chain.dst, chain.secs
    # Callers carry their state as its first slot (state * width); endings stay negative.
    dst_row = np.where(dst >= 0, dst * width, dst)
    n_cls, n_out = len(chain.classes), len(OUTCOMES)
    n_nodes = chain.top.n
    counts = np.zeros(n_cls * n_out, dtype=np.int64)
    sec_sum = np.zeros(n_out)
    sec_sq = np.zeros(n_out)
    sec_hist = np.zeros(n_out * (BINS + 1), dtype=np.int64)
    step_hist = np.zeros(n_out * (step_cap + 1), dtype=np.int64)
    entry_counts = np.zeros(len(dst), dtype=np.int64)
    abandon_at = np.zeros(n_nodes, dtype=np.int64)
    picker = _ClassPicker(chain, width)
    held = _Held(chain)
    traces: dict[int, list[tuple[int, bool]]] = {i: [] for i in range(min(trace, n))}
    finals: dict[int, tuple[int, int, float]] = {}
    kept = Callers(np.zeros(n, dtype=np.int8), np.zeros(n), np.zeros(n, dtype=np.int32)) \
        if record else None

    pending: list[tuple[np.ndarray, ...]] = []
    pending_n = 0

    def flush() -> None:
        nonlocal pending, pending_n
        if not pending:
            return
        cls_, outcome, elapsed_, steps_ = (np.concatenate(a) for a in zip(*pending, strict=True))
        pending, pending_n = [], 0
        counts[:] += np.bincount(cls_ * n_out + outcome, minlength=n_cls * n_out)
        sec_sum[:] += np.bincount(outcome, weights=elapsed_, minlength=n_out)
        sec_sq[:] += np.bincount(outcome, weights=elapsed_ * elapsed_, minlength=n_out)
        b = np.minimum((elapsed_ / BIN).astype(np.int64), BINS)
        sec_hist[:] += np.bincount(outcome * (BINS + 1) + b, minlength=len(sec_hist))
        step_hist[:] += np.bincount(outcome * (step_cap + 1) + np.minimum(steps_, step_cap),
                                    minlength=len(step_hist))

    def finish(cid: np.ndarray, cls: np.ndarray, outcome: np.ndarray, elapsed: np.ndarray,
               steps: np.ndarray, entry: np.ndarray | None = None, hold: bool = True) -> None:
        nonlocal pending_n
        if traces:
            for i in np.flatnonzero(cid < len(traces)).tolist():
                finals[int(cid[i])] = (int(cls[i]), int(outcome[i]), float(elapsed[i]))
        if hold and held.active:  # callers at a staffed agent wait for its queue (below)
            keep = held.take(cid, cls, outcome, elapsed, steps, entry)
            if keep is not None:
                cid, cls, outcome, elapsed, steps = (
                    a[keep] for a in (cid, cls, outcome, elapsed, steps))
        pending.append((cls, outcome, elapsed, steps))
        if kept is not None:
            kept.outcome[cid] = outcome
            kept.seconds[cid] = elapsed
            kept.steps[cid] = steps
        pending_n += len(cls)
        if pending_n > 2_000_000:
            flush()

    size = min(pool, n)
    cid = np.arange(size, dtype=np.uint64)
    next_id = size
    cls, state, patience = picker.draw(key, cid)
    elapsed = np.zeros(size)
    steps = np.zeros(size, dtype=np.int64)
    total_steps = 0
    taken: list[np.ndarray] = []    # entries stepped on, counted in batches
    begun: list[np.ndarray] = []    # entries a caller abandoned during (begun, not taken)
    buffered = 0

    def count_entries() -> None:
        nonlocal taken, begun, buffered
        if taken:
            entry_counts[:] += np.bincount(np.concatenate(taken), minlength=len(dst))
        if begun:
            quit_entries = np.concatenate(begun)
            entry_counts[:] -= np.bincount(quit_entries, minlength=len(dst))
            abandon_at[:] += np.bincount(chain.state_node[chain.entry_state[quit_entries]],
                                         minlength=n_nodes)
        taken, begun, buffered = [], [], 0
    done = 0
    width_f = float(width)
    while len(cid):
        # Callers whose class starts at an ending finish at once (no steps).
        at_end = state < 0
        if at_end.any():
            finish(cid[at_end], cls[at_end], -1 - state[at_end], elapsed[at_end], steps[at_end])
            done += int(at_end.sum())
            cid, cls, state, patience, elapsed, steps, next_id = _refill(
                picker, key, at_end, cid, cls, state, patience, elapsed, steps, next_id, n)
            continue
        x = rng.uniforms(key, cid, steps)
        x *= width_f
        j = x.astype(np.int64)
        x -= j
        j += state
        pair = packed[j]
        e = np.where(x < thresh[j], pair & low32, pair >> 32)
        elapsed += secs[e]
        gone = elapsed > patience
        nxt = dst_row[e]
        if traces and len(finals) < len(traces):  # an early caller may be in flight
            for i in np.flatnonzero(cid < len(traces)).tolist():
                traces[int(cid[i])].append((int(e[i]), bool(gone[i])))
        steps += 1
        total_steps += len(e)
        taken.append(e)
        buffered += len(e)
        if buffered > 4_000_000:
            count_entries()
        ended = nxt < 0
        any_gone = gone.any()
        if any_gone:
            ended |= gone
            begun.append(e[gone])
            np.copyto(elapsed, patience, where=gone)
        fin = ended
        capped = None
        if int(steps.max()) >= step_cap:
            capped = ~ended & (steps >= step_cap)
            fin = ended | capped
        if fin.any():
            outcome = -1 - nxt
            if any_gone:
                outcome[gone] = ABANDONED
            if capped is not None:
                outcome[capped] = STUCK
            finish(cid[fin], cls[fin], outcome[fin], elapsed[fin], steps[fin], e[fin])
            done += int(fin.sum())
            nxt[fin] = 0
            state = nxt
            cid, cls, state, patience, elapsed, steps, next_id = _refill(
                picker, key, fin, cid, cls, state, patience, elapsed, steps, next_id, n)
            if progress is not None:
                progress(done, n)
        else:
            state = nxt
    flush()
    count_entries()
    held.resolve(key, picker, counts.reshape(n_cls, n_out), finish, len(traces))
    flush()
    return SimResult(
        chain=chain, n=n, seed=seed, counts=counts.reshape(n_cls, n_out),
        seconds_sum=sec_sum, seconds_sq=sec_sq, seconds_hist=sec_hist.reshape(n_out, -1),
        steps_hist=step_hist.reshape(n_out, -1), entry_counts=entry_counts,
        abandon_at=abandon_at, caller_steps=total_steps,
        traces=_traces(chain, traces, finals, held.waited), callers=kept, queues=held.queues,
        queue_abandon_at=held.lost_at, queue_tally=held.tally,
    )


#: A traced caller's queue: the agent, how it ended, the seconds it waited.
_Waited = tuple[str, int, float]


class _Held:
    """Callers who reached a staffed agent, kept (28 bytes each) until the run ends.

    A queue's arrival rate is the rate of callers who end at its agent, which depends on
    the menu only; so once every caller has been walked, the simulated shares give the
    rates, and each held caller draws its offered wait V (reserved streams
    :data:`ivr.rng.QUEUE`, ``QUEUE_STAGE + i``). It is answered when V is less than what
    is left of its own patience, else it gives up when its patience runs out: exactly
    Erlang A for exponential patience, an approximation for the other distributions.
    """

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.nodes = staffed(chain)
        self.active = bool(len(self.nodes))
        self.entry_q, self.start_q = ending_queue(chain, self.nodes)
        self.parts: list[tuple[np.ndarray, ...]] = []
        # What resolve() found: the queues, who gave up at each node, per queue the
        # TALLY columns, and the traced callers' waits.
        self.queues: AgentQueues | None = None
        self.lost_at: np.ndarray | None = None
        self.tally: np.ndarray | None = None
        self.waited: dict[int, _Waited] = {}

    def take(self, cid: np.ndarray, cls: np.ndarray, outcome: np.ndarray,
             elapsed: np.ndarray, steps: np.ndarray, entry: np.ndarray | None
             ) -> np.ndarray | None:
        """Hold the callers ending at a queue; the mask of the others (None: no one held)."""
        q = self.start_q[cls] if entry is None else self.entry_q[entry]
        wait = (q >= 0) & (outcome == HUMAN)
        if not wait.any():
            return None
        self.parts.append((cid[wait], cls[wait].astype(np.int32), q[wait].astype(np.int32),
                           elapsed[wait], steps[wait].astype(np.int32)))
        return ~wait

    def resolve(self, key: np.uint64, picker: _ClassPicker, counts: np.ndarray,
                finish: Callable[..., None], traced: int) -> None:
        """Rates from the simulated shares, then every held caller's wait, to ``finish``."""
        chain = self.chain
        if not self.active:
            return
        self.lost_at = lost_at = np.zeros(chain.top.n, dtype=np.int64)
        self.tally = np.zeros((len(self.nodes), len(TALLY)))
        parts, self.parts = self.parts, []
        if not parts:
            return
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
        finish(cid, cls, outcome, seconds, steps, hold=False)
        lost_at += np.bincount(self.nodes[q[~answered]], minlength=chain.top.n)
        wait = seconds - elapsed
        nq = len(self.nodes)
        self.tally = np.stack([np.bincount(q, weights=w, minlength=nq) for w in (
            np.ones(len(q)), offered > 0, answered, answered & (offered <= queues.target),
            np.where(answered, wait, 0.0), wait)], axis=1)
        self.queues = queues
        self.waited = {int(cid[i]): (queues.names[int(q[i])], int(outcome[i]), float(wait[i]))
                       for i in np.flatnonzero(cid < traced).tolist()}


class _ClassPicker:
    """Draws each new caller's class and patience from its own reserved uniforms."""

    def __init__(self, chain: Chain, width: int) -> None:
        pop = chain.population
        self.width = width  # states are carried as their first alias slot
        self.patience = pop.patience
        self.zero_out = pop.zero_out
        self.shares = np.cumsum([i.share for i in pop.intents])
        self.shares[-1] = np.inf
        self.of_minute = chain.week.of_minute
        table = np.full((len(pop.intents), 2, len(chain.week.share)), -1, dtype=np.int64)
        for c, klass in enumerate(chain.classes):
            table[klass.intent, int(klass.zero_out), klass.open_set] = c
        self.table = table
        self.start = chain.start
        arrival = chain.week.arrival  # the share of calls arriving in each minute
        self.flat = bool(np.allclose(arrival, arrival[0]))
        self.arrival = np.cumsum(arrival)
        self.arrival[-1] = np.inf

    def draw(self, key: np.uint64, cid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        intent = np.searchsorted(self.shares, rng.uniforms(key, cid, rng.INTENT), side="right")
        zero = (rng.uniforms(key, cid, rng.ZERO_OUT) < self.zero_out).astype(np.int64)
        cls = self.table[intent, zero, self.of_minute[self.minute(key, cid)]]
        patience = patience_of(self.patience, rng.uniforms(key, cid, rng.PATIENCE))
        start = self.start[cls]
        return cls, np.where(start >= 0, start * self.width, start), patience

    def minute(self, key: np.uint64, cid: np.ndarray) -> np.ndarray:
        """The UTC minute of the week each caller calls at (its own reserved uniform)."""
        u = rng.uniforms(key, cid, rng.ARRIVAL)
        return ((u * len(self.of_minute)).astype(np.int64) if self.flat
                else np.searchsorted(self.arrival, u, side="right"))


def _refill(picker: _ClassPicker, key: np.uint64, fin: np.ndarray, cid: np.ndarray,
            cls: np.ndarray, state: np.ndarray, patience: np.ndarray, elapsed: np.ndarray,
            steps: np.ndarray, next_id: int, n: int) -> tuple:  # type: ignore[type-arg]
    """Replace finished callers by new ones while any are left; drop the rest."""
    slots = np.flatnonzero(fin)
    fresh = min(len(slots), n - next_id)
    if fresh:
        s = slots[:fresh]
        new = np.arange(next_id, next_id + fresh, dtype=np.uint64)
        next_id += fresh
        c, st, pat = picker.draw(key, new)
        cid[s] = new
        cls[s] = c
        state[s] = st
        patience[s] = pat
        elapsed[s] = 0.0
        steps[s] = 0
    if fresh < len(slots):
        keep = np.ones(len(cid), dtype=bool)
        keep[slots[fresh:]] = False
        cid, cls, state, patience, elapsed, steps = (
            a[keep] for a in (cid, cls, state, patience, elapsed, steps))
    return cid, cls, state, patience, elapsed, steps, next_id


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


__all__ = ["DEFAULT_SEED", "STEP_CAP", "SimResult", "Trace", "alias_tables", "patience_of",
           "simulate"]
