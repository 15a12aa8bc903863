"""One lane of the Monte Carlo: a pool of callers stepped through the chain in lockstep.

Every step takes one uniform per caller in the pool (counter-based, see :mod:`ivr.callers.rng`),
picks the next entry of each caller's row from the alias slots (:mod:`ivr.callers.alias`) and
adds the entry's seconds. Finished callers are replaced in place by the next ones, so
the pool keeps its size until the lane's callers run out, and results stream into fixed
size tallies. A lane owns a contiguous range of caller numbers; as a caller's draws
depend only on the seed and its number, lanes can run one after the other or at once.

The step writes into buffers allocated once per lane (numpy's ``out=``) and touches the
finished callers by index only, so its cost is a few passes over the pool; new callers
are drawn a pool at a time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ivr.callers import rng
from ivr.callers.alias import alias_tables
from ivr.callers.chain import ABANDONED, OUTCOMES, STUCK, Chain
from ivr.model import Patience

#: Callers in flight at once in a lane; finished ones are replaced by new ones.
POOL = 65_536
#: Width and count of the seconds histogram bins (0.1 s up to 4 hours, then overflow).
BIN = 0.1
BINS = 144_000
#: Entries stepped on before they are counted.
_ENTRIES = 1 << 18

#: ``hold(cid, cls, outcome, elapsed, steps, entry)`` -> (held part, mask of the others),
#: or None when no one is held; ``entry`` is None for callers who never took a step.
Hold = Callable[..., tuple[tuple[np.ndarray, ...], np.ndarray] | None]


def patience_of(p: Patience, u: np.ndarray) -> np.ndarray:
    """Patience in seconds for uniforms ``u`` (inverse of the distribution's CDF)."""
    mean = float(p.mean or 0.0)
    if p.distribution == "none":
        return np.full(len(u), np.inf)
    if p.distribution == "fixed":
        return np.full(len(u), mean)
    if p.distribution == "weibull":
        from scipy.special import gamma  # imported on use: scipy.special costs start-up

        k = float(p.shape or 1.0)
        return mean / gamma(1.0 + 1.0 / k) * (-np.log1p(-u)) ** (1.0 / k)
    if p.distribution == "lognormal":
        from scipy.special import ndtri

        sd = float(p.sd or 0.0)
        s2 = math.log1p((sd / mean) ** 2)
        return np.exp(math.log(mean) - s2 / 2 + math.sqrt(s2) * ndtri(u))
    return -mean * np.log1p(-u)


@dataclass(frozen=True, eq=False)
class Callers:
    """Every caller's own result, indexed by caller number (``simulate(record=True)``).

    Caller ``i`` draws the same uniforms in every menu simulated with the same seed, so
    two records line up caller by caller: the basis of paired comparisons.
    """

    outcome: np.ndarray
    seconds: np.ndarray
    steps: np.ndarray


class Picker:
    """Draws each new caller's class and patience from its own reserved uniforms."""

    def __init__(self, chain: Chain, width: int) -> None:
        pop = chain.population
        self.width = width  # states are carried as their first alias slot
        self.patience = pop.patience
        self.zero_out = pop.zero_out
        self.shares = np.cumsum([i.share for i in pop.intents])
        self.shares[-1] = np.inf
        self.guide = np.searchsorted(self.shares, np.arange(1024) / 1024, side="right")
        self.of_minute = chain.week.of_minute
        table = np.full((len(pop.intents), 2, 2, len(chain.week.share)), -1, dtype=np.int64)
        for c, klass in enumerate(chain.classes):
            table[klass.intent, int(klass.zero_out), int(klass.barge), klass.open_set] = c
        self.table = table
        self.barge = np.array([i.barge_in for i in pop.intents])
        self.start = chain.start
        arrival = chain.week.arrival  # the share of calls arriving in each minute
        self.flat = bool(np.allclose(arrival, arrival[0]))
        self.arrival = np.cumsum(arrival)
        self.arrival[-1] = np.inf

    def draw(self, key: np.uint64, cid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Class, first state (as its first alias slot; endings negative) and patience."""
        intent = self.intent(rng.uniforms(key, cid, rng.INTENT))
        # A draw that cannot change the class is skipped: no one zeroes out, one open-set.
        zero = (rng.uniforms(key, cid, rng.ZERO_OUT) < self.zero_out).astype(np.int64) \
            if self.zero_out > 0 else 0
        barge = (rng.uniforms(key, cid, rng.BARGE) < self.barge[intent]).astype(np.int64) \
            if self.barge.any() else 0
        when = self.of_minute[self.minute(key, cid)] if self.table.shape[3] > 1 else 0
        cls = self.table[intent, zero, barge, when]
        patience = patience_of(self.patience, rng.uniforms(key, cid, rng.PATIENCE))
        start = self.start[cls]
        return cls, np.where(start >= 0, start * self.width, start), patience

    def intent(self, u: np.ndarray) -> np.ndarray:
        """``searchsorted(shares, u, side="right")`` without its branchy binary search:
        the guide gives the first candidate for u's 1/1024th, a few compares finish it."""
        intent = self.guide[(u * len(self.guide)).astype(np.int64)]
        while True:
            past = self.shares[intent] <= u
            if not past.any():
                return intent
            intent += past

    def minute(self, key: np.uint64, cid: np.ndarray) -> np.ndarray:
        """The UTC minute of the week each caller calls at (its own reserved uniform)."""
        u = rng.uniforms(key, cid, rng.ARRIVAL)
        return ((u * len(self.of_minute)).astype(np.int64) if self.flat
                else np.searchsorted(self.arrival, u, side="right"))


class Walk:
    """The compiled chain as the lanes read it (shared, never written).

    ``thresh`` holds each alias slot's threshold and ``pick`` its two entries: slot ``k``
    yields ``pick[2 * k]`` (its own) or ``pick[2 * k + 1]`` (its alias), so the choice is
    one gather. ``dst_row`` is each entry's next state as its first slot (endings stay
    negative), ``secs`` its seconds. ``stop`` is set to make running lanes return early.
    """

    def __init__(self, chain: Chain, key: np.uint64, width: int | None, step_cap: int) -> None:
        self.chain, self.key, self.step_cap = chain, key, step_cap
        self.thresh, own, alias, self.width = alias_tables(chain, width)
        self.pick = np.stack([own, alias], axis=1).reshape(-1)
        dst = chain.dst
        self.dst_row = np.where(dst >= 0, dst * self.width, dst)
        self.secs = chain.secs
        self.picker = Picker(chain, self.width)
        self.n_classes, self.n_entries, self.n_nodes = len(chain.classes), len(dst), chain.top.n
        self.stop = False


class Tally:
    """What finished callers add up to: counts per class and outcome, seconds (sum, sum of
    squares, histogram) and steps histogram per outcome, binned as they come."""

    def __init__(self, n_classes: int, step_cap: int) -> None:
        n_out = len(OUTCOMES)
        self.n_out, self.step_cap = n_out, step_cap
        self.counts = np.zeros(n_classes * n_out, dtype=np.int64)
        self.sec_sum = np.zeros(n_out)
        self.sec_sq = np.zeros(n_out)
        self.sec_hist = np.zeros(n_out * (BINS + 1), dtype=np.int64)
        self.step_hist = np.zeros(n_out * (step_cap + 1), dtype=np.int64)

    def add(self, cls: np.ndarray, outcome: np.ndarray, elapsed: np.ndarray,
            steps: np.ndarray) -> None:
        n_out, cap = self.n_out, self.step_cap
        np.add.at(self.counts, cls * n_out + outcome, 1)
        self.sec_sum += np.bincount(outcome, weights=elapsed, minlength=n_out)
        self.sec_sq += np.bincount(outcome, weights=elapsed * elapsed, minlength=n_out)
        b = np.minimum(elapsed / BIN, BINS).astype(np.int64)  # clipped before the cast
        b += outcome * (BINS + 1)
        np.add.at(self.sec_hist, b, 1)
        np.add.at(self.step_hist, outcome * (cap + 1) + np.minimum(steps, cap), 1)

    def absorb(self, other: Tally) -> None:
        """Add another tally's totals to this one (the seconds histogram by its nonzero
        bins: most of its 9 MB is never touched, and need not be)."""
        for mine, theirs in ((self.counts, other.counts), (self.sec_sum, other.sec_sum),
                             (self.sec_sq, other.sec_sq), (self.step_hist, other.step_hist)):
            mine += theirs
        used = np.flatnonzero(other.sec_hist)
        self.sec_hist[used] += other.sec_hist[used]


class Lane:
    """Callers ``lo`` to ``hi - 1``, walked by :meth:`run` in a pool of ``pool``.

    Results: ``tally``, ``entry_counts`` (entries taken; one a caller abandoned during is
    not counted), ``abandon_at`` (per node of the topology), ``caller_steps``, ``held``
    (the parts ``hold`` kept, in the order they were held), and for callers below
    ``traced`` their steps (``traces``: (entry, abandoned) pairs) and ``finals`` (class,
    outcome, seconds). ``kept`` (``record=True``) receives every caller's outcome, seconds
    and steps; ``done(k)`` hears of every ``k`` callers who finish.

    ``source`` (number, class, first slot, patience, elapsed, steps) gives the lane callers
    who walk on from where they are (sent on from an agent's line) instead of new ones;
    ``lo`` and ``hi`` then index that list.
    """

    def __init__(self, walk: Walk, lo: int, hi: int, pool: int, *, kept: Callers | None,
                 traced: int, hold: Hold | None, done: Callable[[int], None] | None,
                 source: list[np.ndarray] | None = None) -> None:
        self.walk, self.lo, self.hi, self.pool = walk, lo, hi, max(1, min(pool, hi - lo))
        self.source = source
        self.kept, self.hold, self.done = kept, hold, done
        self.traced = max(0, min(traced, hi) - lo)  # callers of this lane to trace
        self.limit = traced
        self.tally = Tally(walk.n_classes, walk.step_cap)
        self.entry_counts = np.zeros(walk.n_entries, dtype=np.int64)
        self.abandon_at = np.zeros(walk.n_nodes, dtype=np.int64)
        self.caller_steps = 0
        self.capped = 0  # callers the step cap stopped (counted stuck)
        self.held: list[tuple[np.ndarray, ...]] = []
        self.traces: dict[int, list[tuple[int, bool]]] = {
            i: [] for i in range(lo, lo + self.traced)} if source is None else {
            int(i): [] for i in source[0][source[0] < traced].tolist()}
        if source is not None:
            self.traced = len(self.traces)
        self.finals: dict[int, tuple[int, int, float]] = {}
        self.begun: list[np.ndarray] = []  # entries a caller abandoned during
        self.next_id = lo
        empty = np.zeros(0)
        self.queue: list[np.ndarray] = [empty.astype(np.uint64), empty.astype(np.int64),
                                        empty.astype(np.int64), empty, empty,
                                        empty.astype(np.uint64)]
        self.queue_at = 0

    def finish(self, cid: np.ndarray, cls: np.ndarray, outcome: np.ndarray,
               elapsed: np.ndarray, steps: np.ndarray, entry: np.ndarray | None) -> None:
        """Callers leaving the menu: to the queue they wait in (held), else tallied."""
        if self.done is not None:
            self.done(len(cid))
        if self.traced:
            for i in np.flatnonzero(cid < self.limit).tolist():
                self.finals[int(cid[i])] = (int(cls[i]), int(outcome[i]), float(elapsed[i]))
        if self.hold is not None:
            kept = self.hold(cid, cls, outcome, elapsed, steps, entry)
            if kept is not None:
                part, others = kept
                self.held.append(part)
                cid, cls, outcome, elapsed, steps = (
                    a[others] for a in (cid, cls, outcome, elapsed, steps))
        add_finished(self.tally, self.kept, cid, cls, outcome, elapsed, steps)

    def arrivals(self, k: int) -> list[np.ndarray]:
        """Up to ``k`` new callers (number, class, first slot, patience, elapsed, steps),
        drawn in blocks of a pool; those whose class starts at an ending finish at once,
        with no steps."""
        w = self.walk
        while len(self.queue[0]) - self.queue_at < k and self.next_id < self.hi:
            rest = [a[self.queue_at:] for a in self.queue]
            size = min(max(self.pool, k), self.hi - self.next_id)
            if self.source is not None:
                take = slice(self.next_id, self.next_id + size)
                self.next_id += size
                self.queue = [np.concatenate((r, a[take])) for r, a in
                              zip(rest, self.source, strict=True)]
                self.queue_at = 0
                continue
            cid = np.arange(self.next_id, self.next_id + size, dtype=np.uint64)
            self.next_id += size
            cls, state, patience = w.picker.draw(w.key, cid)
            new = [cid, cls, state, patience, np.zeros(size), np.zeros(size, np.uint64)]
            ended = state < 0
            if ended.any():
                zero = np.zeros(int(ended.sum()), dtype=np.int64)
                self.finish(cid[ended], cls[ended], -1 - state[ended], zero.astype(float),
                            zero, None)
                new = [a[~ended] for a in new]
            self.queue = [np.concatenate((r, a)) for r, a in zip(rest, new, strict=True)]
            self.queue_at = 0
        at = self.queue_at
        self.queue_at = min(at + k, len(self.queue[0]))
        return [a[at:self.queue_at] for a in self.queue]

    def run(self) -> None:
        """Walk every caller of the lane to the end of its call."""
        w = self.walk
        key, thresh, pick, dst_row, secs = w.key, w.thresh, w.pick, w.dst_row, w.secs
        cap, width = w.step_cap, float(w.width)
        size = self.pool
        # The callers in the pool (the first m slots), and the step's buffers.
        cid = np.zeros(size, dtype=np.uint64)
        cls = np.zeros(size, dtype=np.int64)
        state = np.zeros(size, dtype=np.int64)  # as the state's first alias slot
        patience = np.zeros(size)
        elapsed = np.zeros(size)
        steps = np.zeros(size, dtype=np.uint64)  # as rng.uniforms takes them, uncopied
        live = [cid, cls, state, patience, elapsed, steps]
        nxt = np.zeros(size, dtype=np.int64)
        slot = np.zeros(size, dtype=np.int64)
        limit = np.zeros(size)
        cost = np.zeros(size)
        alias = np.zeros(size, dtype=bool)
        gone = np.zeros(size, dtype=bool)
        fin = np.zeros(size, dtype=bool)
        taken = np.zeros(max(_ENTRIES, size), dtype=np.int64)  # entries stepped on
        used = 0
        m = self.refill(np.arange(size), 0, live)
        step = 0
        check_cap = cap  # no caller can reach the step cap before this step
        while m and not w.stop:
            if used + m > len(taken):
                self.count_entries(taken[:used])
                used = 0
            # Slot floor(u * width) of the caller's row, then its own entry or its alias.
            x = rng.uniforms(key, cid[:m], steps[:m])
            j, th, e = slot[:m], limit[:m], taken[used:used + m]
            x *= width
            np.copyto(j, x, casting="unsafe")  # floor, as x >= 0
            x -= j
            j += state[:m]
            np.take(thresh, j, out=th, mode="clip")
            a = alias[:m]
            np.greater_equal(x, th, out=a)
            j <<= 1
            j += a
            np.take(pick, j, out=e, mode="clip")
            c = cost[:m]
            np.take(secs, e, out=c, mode="clip")
            el = elapsed[:m]
            el += c
            g = gone[:m]
            np.greater(el, patience[:m], out=g)
            nx = nxt[:m]
            np.take(dst_row, e, out=nx, mode="clip")
            st = steps[:m]
            st += 1
            used += m
            step += 1
            if self.traced and len(self.finals) < self.traced:  # early callers in flight
                for i in np.flatnonzero(cid[:m] < self.limit).tolist():
                    self.traces[int(cid[i])].append((int(e[i]), bool(g[i])))
            # Who finishes: at an ending, out of patience, or at the step cap.
            f = fin[:m]
            np.less(nx, 0, out=f)
            any_gone = bool(g.any())
            if any_gone:
                f |= g
            capped = None
            if step >= check_cap:
                longest = int(st.max())
                if longest >= cap:
                    capped = ~f & (st >= cap)
                    f |= capped
                else:
                    check_cap = step + cap - longest
            state, nxt = nxt, state
            live[2] = state
            done = np.flatnonzero(f)
            if not len(done):
                continue
            outcome = -1 - nx[done]
            seconds = el[done]
            if any_gone:
                quit_ = g[done]
                outcome[quit_] = ABANDONED
                seconds[quit_] = patience[done[quit_]]
                self.begun.append(e[done[quit_]])
            if capped is not None:
                stopped = capped[done]
                outcome[stopped] = STUCK
                self.capped += int(stopped.sum())
            self.finish(cid[done], cls[done], outcome, seconds, st[done].astype(np.int64),
                        e[done])
            m = self.refill(done, m, live)
        self.count_entries(taken[:used])

    def refill(self, slots: np.ndarray, m: int, live: list[np.ndarray]) -> int:
        """Put new callers in ``slots`` (finished callers', or empty ones past ``m``);
        when too few are left, close up the pool. Returns the callers in the pool."""
        cid, cls, state, patience, elapsed, steps = live
        new = self.arrivals(len(slots))
        k = len(new[0])
        if k:
            s = slots[:k]
            cid[s], cls[s], state[s], patience[s], elapsed[s], steps[s] = new
        if k == len(slots):
            return max(m, int(s[-1]) + 1) if k else m
        keep = np.ones(max(m, int(slots[-1]) + 1), dtype=bool)
        keep[slots[k:]] = False
        m = int(keep.sum())
        for a in live:
            a[:m] = a[:len(keep)][keep]
        return m

    def count_entries(self, taken: np.ndarray) -> None:
        """Entries stepped on, less those a caller abandoned during (begun, not taken)."""
        w = self.walk
        self.caller_steps += len(taken)
        self.entry_counts += np.bincount(taken, minlength=w.n_entries)
        if self.begun:
            quit_entries = np.concatenate(self.begun)
            self.begun = []
            self.entry_counts -= np.bincount(quit_entries, minlength=w.n_entries)
            chain = w.chain
            self.abandon_at += np.bincount(chain.state_node[chain.entry_state[quit_entries]],
                                           minlength=w.n_nodes)


def add_finished(tally: Tally, kept: Callers | None, cid: np.ndarray, cls: np.ndarray,
           outcome: np.ndarray, elapsed: np.ndarray, steps: np.ndarray) -> None:
    """Finished callers into the tally, and into ``kept`` (a ``Callers``) when recording."""
    tally.add(cls, outcome, elapsed, steps)
    if kept is not None:
        kept.outcome[cid] = outcome
        kept.seconds[cid] = elapsed
        kept.steps[cid] = steps


__all__ = ["BIN", "BINS", "POOL", "Callers", "Lane", "Picker", "Tally", "Walk", "add_finished",
           "patience_of"]
