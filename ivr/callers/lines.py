"""The simulated callers who reach a queued agent: held until every caller has been
walked, then their waits and what becomes of them.

A line's arrival rate is the rate of callers who reach its agent. Callers are held there
(28 bytes each) while the lanes walk the rest; then the simulated shares give the rates
(:func:`ivr.callers.queues.agent_queues`), and each held caller meets the line of its own
segment of the week:

- it hears the announced wait, and leaves at once if that is longer than what is left of
  its patience;
- it draws its offered wait V: an Erlang line by the waiting line ahead and one
  exponential per departure (streams ``QUEUE``, ``QUEUE_STAGE + i``), a line with rules by
  inverting its distribution (``QUEUE``); a caller offered a callback takes it with the
  line's ``accept`` share (``ACCEPT``);
- the first event wins: answered at V; gives up when its own patience runs out; takes the
  callback at ``offer_after``; is sent on at ``max_wait``.

Callers sent on walk on from the ``on_max_wait`` node (more lanes, their step numbers
going on) or go straight into another line; each later line a caller meets draws with
its own key (:func:`ivr.callers.rng.visit_key`). Their arrivals load the lines too, so
the rates are iterated: walk, resolve, count the arrivals, until the counts repeat (the
draws are fixed by the seed, so they do), at most :data:`ROUNDS` times. For exponential
patience this is the model :mod:`ivr.callers.exact` solves; for the other distributions
the line's offered wait is drawn as for exponential patience of the same mean while each
caller keeps its own patience (an approximation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ivr.callers import rng
from ivr.callers.chain import ABANDONED, CALLBACK, HUMAN, OUTCOMES, STUCK, Chain
from ivr.callers.lockstep import POOL, Callers, Lane, Picker, Tally, Walk, add_finished, patience_of
from ivr.callers.queues import (
    TALLY,
    AgentQueues,
    agent_queues,
    callback_queue,
    ending_queue,
    offered_waits,
    onward_callback,
    onward_of,
    onward_queue,
    staffed,
)

#: Rounds of "rates from the arrivals, then the arrivals they make" at most.
ROUNDS = 50
#: Lines one caller may meet on one call at most (then it is stuck).
VISITS = 200

#: A traced caller's wait at a line: the agent, what it did there ("waits", "balks"),
#: where it went (an outcome or the on_max_wait node), the seconds in the line.
Waited = tuple[str, str, str, float]


@dataclass
class Resolved:
    """What the lines made of the held callers (for one round of rates).

    ``finished`` (number, class, outcome, seconds, steps) of the callers whose call ended
    at a line or on its way on; ``lanes`` the lanes that walked the callers sent on;
    ``arrivals[c, q]`` and ``back[c, q]`` the arrivals and callback requests they made;
    ``tally`` per queue the :data:`ivr.callers.queues.TALLY` columns; ``lost_at`` who gave
    up at each node's line; ``waits`` each traced caller's lines and walks on, in order:
    ``("wait", Waited)`` and ``("steps", [(entry, abandoned), ...])``.
    """

    finished: list[tuple[np.ndarray, ...]]
    lanes: list[Lane]
    arrivals: np.ndarray
    back: np.ndarray
    tally: np.ndarray
    lost_at: np.ndarray
    waits: dict[int, list[tuple[str, object]]] = field(default_factory=dict)


class Lines:
    """The queued agents of one simulation: the hold function the lanes call, and the
    resolution once they are done."""

    def __init__(self, chain: Chain, walk: Walk) -> None:
        self.chain, self.walk = chain, walk
        self.nodes = staffed(chain)
        self.active = bool(len(self.nodes))
        self.entry_q, self.start_q = ending_queue(chain, self.nodes)
        self.cb_entry_q, self.cb_start_q = callback_queue(chain, self.nodes)
        nodes = [chain.menu.nodes[chain.top.ids[i]] for i in self.nodes.tolist()]
        self.limit = np.array([math.inf if n.max_wait is None else n.max_wait for n in nodes])
        self.offer = np.array([math.inf if n.callback is None else n.callback.offer_after
                               for n in nodes])
        self.accept = np.array([0.0 if n.callback is None else n.callback.accept
                                for n in nodes])
        if self.active:
            self.onward = onward_of(chain, self.nodes)
            self.onward_line = onward_queue(chain, self.nodes)
            self.onward_back = onward_callback(chain, self.nodes)
        self.queues: AgentQueues | None = None
        self.result: Resolved | None = None

    def take(self, cid: np.ndarray, cls: np.ndarray, outcome: np.ndarray,
             elapsed: np.ndarray, steps: np.ndarray, entry: np.ndarray | None
             ) -> tuple[tuple[np.ndarray, ...], np.ndarray] | None:
        """The callers ending at a queued agent (a part to hold) and the mask of the
        others; None when no one is held."""
        q = self.start_q[cls] if entry is None else self.entry_q[entry]
        wait = (q >= 0) & (outcome == HUMAN)
        if not wait.any():
            return None
        return (cid[wait], cls[wait].astype(np.int32), q[wait].astype(np.int32),
                elapsed[wait], steps[wait].astype(np.int32)), ~wait

    def requests(self, entry_counts: np.ndarray) -> np.ndarray:
        """Callback requests per class and queue made by the chain entries counted."""
        chain = self.chain
        back = np.zeros((len(chain.classes), len(self.nodes)))
        cb = self.cb_entry_q >= 0
        np.add.at(back, (chain.state_class[chain.entry_state[cb]], self.cb_entry_q[cb]),
                  entry_counts[cb])
        return back

    def resolve(self, picker: Picker, counts: np.ndarray, parts: list[tuple[np.ndarray, ...]],
                entry_counts: np.ndarray, kept: Callers | None, traced: int) -> Resolved | None:
        """Every held caller's fate, the rates iterated to the arrivals they make; None
        when no agent is queued."""
        if not self.active:
            return None
        chain = self.chain
        n_cls, n_q = len(chain.classes), len(self.nodes)
        held: list[np.ndarray] = [np.concatenate(a) for a in zip(*parts, strict=True)] \
            if parts else [np.zeros(0, np.uint64), np.zeros(0, np.int32),
                           np.zeros(0, np.int32), np.zeros(0), np.zeros(0, np.int32)]
        size = counts.sum(axis=1) + np.bincount(held[1], minlength=n_cls)
        arrivals = np.zeros((n_cls, n_q))
        np.add.at(arrivals, (held[1], held[2]), 1.0)
        starts = counts[:, CALLBACK] * (self.cb_start_q >= 0)
        back = self.requests(entry_counts)
        has = self.cb_start_q >= 0
        np.add.at(back, (np.flatnonzero(has), self.cb_start_q[has]), starts[has])
        base_back = back
        per = np.maximum(size, 1)[:, None]
        result = None
        for _ in range(ROUNDS):
            queues = agent_queues(chain, arrivals / per, back / per)
            assert queues is not None
            result = self._round(queues, picker, held, kept, traced)
            back_now = base_back + result.back
            # Settled when the counts repeat, or wobble by one caller at most.
            if np.abs(result.arrivals - arrivals).max(initial=0) <= 1 and \
                    np.abs(back_now - back).max(initial=0) <= 1:
                break
            arrivals, back = result.arrivals, back_now
        assert result is not None
        self.queues = queues
        self.result = result
        return result

    def _round(self, queues: AgentQueues, picker: Picker, held: list[np.ndarray],
               kept: Callers | None, traced: int) -> Resolved:
        """One pass: every wave of arrivals at the lines, at these rates."""
        chain, walk = self.chain, self.walk
        n_cls, n_q = len(chain.classes), len(self.nodes)
        out = Resolved([], [], np.zeros((n_cls, n_q)), np.zeros((n_cls, n_q)),
                       np.zeros((n_q, len(TALLY))), np.zeros(chain.top.n, dtype=np.int64))
        wave = held
        for visit in range(VISITS + 1):
            if not len(wave[0]):
                break
            cid, cls, q, elapsed, steps = wave
            np.add.at(out.arrivals, (cls, q), 1.0)
            if visit == VISITS:  # around and around: stuck
                out.finished.append((cid, cls, np.full(len(cid), STUCK), elapsed, steps))
                break
            nxt, walking = self._meet(queues, picker, wave, visit, out, traced)
            if walking is not None:
                lane = Lane(walk, 0, len(walking[0]), POOL, kept=kept, traced=traced,
                            hold=self.take, done=None, source=walking)
                lane.run()
                out.lanes.append(lane)
                out.back += self.requests(lane.entry_counts)
                for k, v in lane.traces.items():
                    out.waits.setdefault(k, []).append(("steps", v))
                if lane.held:
                    more = [np.concatenate(a) for a in zip(*lane.held, strict=True)]
                    nxt = [np.concatenate((a, b)) for a, b in zip(nxt, more, strict=True)]
            wave = nxt
        return out

    def _meet(self, queues: AgentQueues, picker: Picker, wave: list[np.ndarray], visit: int,
              out: Resolved, traced: int
              ) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
        """One wave of callers at the lines: their fates; returns the callers going
        straight into another line (the next wave) and those who walk on (a lane's
        source: number, class, first slot, patience, elapsed, steps), or None."""
        chain = self.chain
        cid, cls, q, elapsed, steps = wave
        key = rng.visit_key(self.walk.key, visit)
        segment = queues.of_minute[picker.minute(self.walk.key, cid)]

        def stage(i: int, which: np.ndarray) -> np.ndarray:
            return rng.uniforms(key, cid[which], rng.QUEUE_STAGE + i)

        lined = queues.lined[q]
        offered = np.zeros(len(cid))
        if lined.any():
            offered[lined] = offered_waits(queues, q[lined], segment[lined],
                                           rng.uniforms(key, cid[lined], rng.QUEUE),
                                           lambda i, w: stage(i, np.flatnonzero(lined)[w]))
        patience = patience_of(chain.population.patience,
                               rng.uniforms(self.walk.key, cid, rng.PATIENCE))
        left = patience - elapsed
        said = queues.announced[q, segment]
        limit, offer = self.limit[q], self.offer[q]
        balk = left < said
        takes = (offer < limit) & (rng.uniforms(key, cid, rng.ACCEPT) < self.accept[q])
        answered = ~balk & (offered < left) & (offered < limit) & (~takes | (offered <= offer))
        callback = ~balk & ~answered & takes & (offer < left) & (offer < offered)
        sent = ~balk & ~answered & ~callback & (limit <= left) & (limit <= offered)
        gave_up = ~(answered | callback | sent)
        stay = np.where(answered, offered, np.where(callback, offer, np.where(
            sent, limit, np.where(balk, 0.0, np.maximum(left, 0.0)))))
        seconds = elapsed + stay
        n_q = len(self.nodes)
        tally = np.stack([np.bincount(q, weights=w, minlength=n_q) for w in (
            np.ones(len(q)), ~balk & (offered > 0), answered,
            answered & (offered <= queues.target), np.where(answered, offered, 0.0), stay,
            callback, sent, balk)], axis=1)
        out.tally += tally
        out.lost_at += np.bincount(self.nodes[q[gave_up]], minlength=chain.top.n)
        outcome = np.where(answered, HUMAN, np.where(callback, CALLBACK, ABANDONED))
        done = ~sent
        out.finished.append((cid[done], cls[done], outcome[done], seconds[done], steps[done]))
        # Sent on: to an ending, straight into another line, or walking on.
        go = np.flatnonzero(sent)
        where = self.onward[cls[go], q[go]]
        line = self.onward_line[q[go]]
        into = (where == -1 - HUMAN) & (line >= 0)
        ends = (where < 0) & ~into
        out.finished.append((cid[go[ends]], cls[go[ends]], -1 - where[ends],
                             seconds[go[ends]], steps[go[ends]]))
        backs = ends & (self.onward_back[q[go]] >= 0)
        np.add.at(out.back, (cls[go[backs]], self.onward_back[q[go[backs]]]), 1.0)
        self._trace(queues, cid, q, balk, outcome, sent, stay, traced, out)
        nxt = [cid[go[into]], cls[go[into]], line[into].astype(np.int32),
               seconds[go[into]], steps[go[into]]]
        on = ~into & ~ends
        if not on.any():
            return nxt, None
        w = go[on]
        walking = [cid[w], cls[w].astype(np.int64), where[on] * self.walk.width, patience[w],
                   seconds[w], steps[w].astype(np.uint64)]
        return nxt, walking

    def _trace(self, queues: AgentQueues, cid: np.ndarray, q: np.ndarray, balk: np.ndarray,
               outcome: np.ndarray, sent: np.ndarray, stay: np.ndarray, traced: int,
               out: Resolved) -> None:
        for i in np.flatnonzero(cid < traced).tolist():
            node = self.chain.menu.nodes[queues.names[int(q[i])]]
            to = (node.on_max_wait or "") if sent[i] else OUTCOMES[int(outcome[i])]
            item = (queues.names[int(q[i])], "balks" if balk[i] else "waits", to,
                    float(stay[i]))
            out.waits.setdefault(int(cid[i]), []).append(("wait", item))

    def finish(self, tally: Tally, kept: Callers | None) -> None:
        """The resolved callers into the tally (and ``kept``), lanes included."""
        assert self.result is not None
        for cid, cls, outcome, seconds, steps in self.result.finished:
            add_finished(tally, kept, cid, cls, outcome, seconds, steps.astype(np.int64))
        for lane in self.result.lanes:
            tally.absorb(lane.tally)


__all__ = ["ROUNDS", "VISITS", "Lines", "Resolved", "Waited"]
