"""Exact figures from the compiled chain by sparse linear solves (scipy.sparse).

With exponential patience (or none) the caller model is an absorbing Markov chain: a step
of d seconds keeps the caller with probability exp(-d/mean). Three solves give everything
from the start: expected visits ``v`` ((I-Q)^T v = start), the chance of reaching a person
from each state ``h`` ((I-Q) h = R_human) and the seconds accumulated on the way to a
person ``th``. Outcome probabilities, expected steps and seconds, and the mean and
variance of the seconds to a person are then sums over ``v``.

Each queued agent adds one state per caller class, entered by the entries that end there:
its row says what becomes of an arrival (answered, took the callback, gave up, sent on at
the longest wait to the state or ending of ``on_max_wait``), with probabilities and waits
from the queue model of the class's segments (:mod:`ivr.callers.queues`); the patience
spent waiting is in those probabilities, so these rows are not discounted again. The
queue's arrival rates follow from the expected visits of its states; when callers sent
on can come back (or reach another line), the rates are iterated to their fixed point.

States that cannot reach any ending (a loop of zero-second branches, or any loop when
callers never give up) are a trap: their mass is reported as ``stuck``, never as NaN or
a singular matrix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, identity

from ivr.callers.chain import (
    ABANDONED,
    CALLBACK,
    HUMAN,
    OUTCOMES,
    STUCK,
    Chain,
)
from ivr.callers.linsolve import DIRECT_LIMIT, Solver
from ivr.callers.queues import (
    AgentQueues,
    agent_queues,
    callback_queue,
    ending_queue,
    onward_callback,
    onward_of,
    staffed,
)
from ivr.errors import ConfigError
from ivr.structure.search import distances, reaching

#: Fixed-point iterations of the queues' arrival rates, and their relative tolerance.
MAX_ROUNDS = 500
ROUND_TOL = 1e-10
#: A chance of reaching a person below this is rounding noise: its mean time is N/A.
TINY = 1e-12
#: A solve whose relative residual is above this is not trusted: the states whose likeliest
#: way to any ending has a chance below NEAR_TRAP (a caller there would loop about a
#: trillion times or more before leaving) are then counted as a trap (``stuck``) and the
#: chain solved again; still above it, the exact solution is refused.
RELIABLE = 1e-6
NEAR_TRAP = 1e-12


@dataclass(frozen=True)
class ExactResult:
    """Exact figures for one menu and population (per caller, over all classes).

    ``outcomes`` maps each outcome to its probability; ``by_intent`` the same per intent.
    ``visits`` is the expected number of times a caller is at each node; ``flow`` the
    expected number of times each chain entry is taken; ``abandon_at`` the probability of
    abandoning at each node. ``residual`` is the largest relative residual of the solves.
    """

    outcomes: Mapping[str, float]
    by_intent: Mapping[str, Mapping[str, float]]
    steps: float
    seconds: float
    human: float
    human_seconds: float
    human_seconds_sd: float
    human_steps: float
    visits: Mapping[str, float]
    flow: np.ndarray
    abandon_at: np.ndarray
    residual: float
    method: str
    #: The queued agents (None when none is modelled), what they lost per node,
    #: and the outcome probabilities of each caller class (rows of chain.classes).
    queues: AgentQueues | None = None
    queue_abandon_at: np.ndarray | None = None
    by_class: np.ndarray | None = None
    #: Per queue (rows of ``queues.names``): expected arrivals per caller and the
    #: :data:`ivr.callers.queues.FATES` of them.
    queue_flow: np.ndarray | None = None


def applies(chain: Chain) -> bool:
    """Whether the exact solution applies: exponential patience, or none."""
    return chain.population.patience.distribution in ("exponential", "none")


class _System:
    """The chain's entries plus the rows of the queued agents' states (one per class and
    queue, after the chain's states), as flat arrays the solves read.

    Per entry: ``src``, ``dst`` (state, or ``-1 - outcome``), ``go`` (taken, the caller
    still there), ``lost`` (the caller gave up during it), ``t1``/``t2`` (E[time 1{taken}]
    and E[time^2 1{taken}]), ``spent`` (expected seconds, giving up included), ``step``
    (1 for a menu step).
    """

    def __init__(self, chain: Chain, mean: float) -> None:
        self.chain = chain
        self.n = chain.n_states
        self.nodes = staffed(chain)
        self.n_q = len(self.nodes)
        n_cls = len(chain.classes)
        self.size = self.n + n_cls * self.n_q
        src, dst, prob, secs = chain.entry_state, chain.dst, chain.prob, chain.secs
        finite = math.isfinite(mean)
        keep = np.exp(-secs / mean) if finite else np.ones_like(secs)
        self.menu_go = prob * keep
        self.menu = {
            "src": src, "go": self.menu_go, "lost": prob - self.menu_go,
            "t1": self.menu_go * secs, "t2": self.menu_go * secs * secs,
            "spent": prob * (mean * -np.expm1(-secs / mean) if finite else secs),
            "step": np.ones(len(src)),
        }
        self.cls_of = chain.state_class[src]
        entry_q, self.start_q = ending_queue(chain, self.nodes)
        self.entry_q = entry_q
        cb_q, self.cb_start_q = callback_queue(chain, self.nodes)
        self.cb_entry_q = cb_q
        into = entry_q >= 0
        self.menu["dst"] = np.where(into, self.n + self.cls_of * self.n_q + entry_q, dst)
        self.onward = onward_of(chain, self.nodes) if self.n_q else \
            np.zeros((n_cls, 0), dtype=np.int64)
        where = np.full(chain.top.n, -1, dtype=np.int64)
        where[self.nodes] = np.arange(self.n_q)
        self.where = where
        self.limits = np.array([chain.menu.nodes[chain.top.ids[i]].max_wait or 0.0
                                for i in self.nodes.tolist()])
        self.onward_back = onward_callback(chain, self.nodes)

    def starts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The start vector, the outcome mass of calls that end where they start, and the
        callback requests per class and queue of calls that start at a callback node."""
        chain = self.chain
        b = np.zeros(self.size)
        absorbed = np.zeros(len(OUTCOMES))
        back = np.zeros((len(chain.classes), self.n_q))
        for c, (s, w) in enumerate(zip(chain.start.tolist(), chain.weights().tolist(),
                                       strict=True)):
            if s >= 0:
                b[s] += w
            elif self.start_q[c] >= 0:
                b[self.n + c * self.n_q + self.start_q[c]] += w
            else:
                absorbed[-1 - s] += w
                if self.cb_start_q[c] >= 0:
                    back[c, self.cb_start_q[c]] += w
        return b, absorbed, back

    def rows(self, fates: np.ndarray, waits: np.ndarray) -> dict[str, np.ndarray]:
        """Every entry, given per class and queue the fates of an arrival
        (``[c, q, f]``, :data:`ivr.callers.queues.FATES`) and its waits (``[c, q, k]``:
        E[W 1{answered}], E[W^2 1{answered}], seconds on the phone in the line)."""
        if not self.n_q:
            return self.menu
        n_cls = len(self.chain.classes)
        c_idx, q_idx = np.meshgrid(np.arange(n_cls), np.arange(self.n_q), indexing="ij")
        state = (self.n + c_idx * self.n_q + q_idx).ravel()
        cq = (c_idx.ravel(), q_idx.ravel())
        ans, cb, out, ab = (fates[..., k].ravel() for k in range(4))
        w1, w2, stay = (waits[..., k].ravel() for k in range(3))
        # Sent on at the longest wait: to a state, an ending, or straight into a line.
        to = self.onward[cq]
        has = to != np.iinfo(np.int64).min
        to = np.where(has, to, -1 - ABANDONED)
        into = np.zeros(len(to), dtype=bool)
        if has.any():
            agent_end = (to == -1 - HUMAN)
            target = np.array([self.chain.top.index[self.chain.menu.nodes[
                self.chain.top.ids[int(self.nodes[q])]].on_max_wait or ""]
                if h else -1 for q, h in zip(cq[1].tolist(), has.tolist(), strict=True)])
            line = np.where(target >= 0, self.where[np.maximum(target, 0)], -1)
            into = agent_end & (line >= 0)
            to = np.where(into, self.n + cq[0] * self.n_q + line, to)
        limit = self.limits[cq[1]]
        zero = np.zeros(len(state))
        queue = {
            "src": np.repeat(state, 4),
            "dst": np.stack([np.full(len(state), -1 - HUMAN), np.full(len(state),
                             -1 - CALLBACK), to, np.full(len(state), -1 - ABANDONED)],
                            axis=1).ravel(),
            "go": np.stack([ans, cb, out, ab], axis=1).ravel(),
            "lost": np.zeros(4 * len(state)),
            "t1": np.stack([w1, zero, out * limit, zero], axis=1).ravel(),
            "t2": np.stack([w2, zero, out * limit * limit, zero], axis=1).ravel(),
            "spent": np.stack([stay, zero, zero, zero], axis=1).ravel(),
            "step": np.zeros(4 * len(state)),
        }
        return {k: np.concatenate([self.menu[k], queue[k]]) for k in self.menu}


def _queue_inputs(system: _System, queues: AgentQueues | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per class and queue: the fates of an arrival, and its waits (class averages over
    the class's segments)."""
    n_cls = len(system.chain.classes)
    fates = np.zeros((n_cls, system.n_q, 4))
    waits = np.zeros((n_cls, system.n_q, 3))
    if queues is None:
        fates[..., 0] = 1.0
        return fates, waits
    for k, name in enumerate(("served", "callback", "timed_out")):
        fates[..., k] = queues.per_class(getattr(queues, name))
    fates[..., 3] = np.maximum(1.0 - fates[..., :3].sum(axis=2), 0.0)
    for k, name in enumerate(("wait1", "wait2", "seconds")):
        waits[..., k] = queues.per_class(getattr(queues, name))
    return fates, waits


def solve(chain: Chain) -> ExactResult:
    """The exact solution of ``chain``.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> from ivr.callers.chain import compile_chain
    >>> m = parse_menu('''
    ... name: T
    ... start: hello
    ... nodes:
    ...   hello: {kind: message, say: Hello, seconds: 30, next: desk}
    ...   desk: {kind: agent}
    ... callers: {intents: {talk: {share: 1, goal: desk}}, patience: {mean: 60}}
    ... ''')
    >>> r = solve(compile_chain(m))
    >>> round(r.outcomes["abandoned"], 6), round(1 - math.exp(-30 / 60), 6)
    (0.393469, 0.393469)
    """
    pat = chain.population.patience
    if not applies(chain):
        raise ConfigError(
            f"the exact solution needs exponential patience (or none), not {pat.distribution}",
            hint="use ivr simulate for other patience distributions")
    mean = math.inf if pat.distribution == "none" else float(pat.mean or 120.0)
    system = _System(chain, mean)
    n, size = system.n, system.size
    n_cls = len(chain.classes)
    b, start_absorbed, start_back = system.starts()
    weights = chain.weights()
    queues: AgentQueues | None = None
    fates, waits = _queue_inputs(system, None)
    point = None  # the arrivals and callback requests per caller the queues were built at
    # Each state's caller class: no move crosses classes, so small classes solve densely.
    state_cls = np.concatenate([chain.state_class,
                                np.repeat(np.arange(n_cls), system.n_q)])
    speed = _Anderson()
    near: np.ndarray | None = None  # states that leave too rarely to solve (see RELIABLE)
    for _ in range(MAX_ROUNDS):
        rows = system.rows(fates, waits)
        used = fates
        src, dst, go = rows["src"], rows["dst"], rows["go"]
        inside = dst >= 0
        # Traps: states from which no ending (including abandoning) can be reached.
        ends = np.zeros(size, dtype=bool)
        ends[src[~inside & (go > 0)]] = True
        ends[src[rows["lost"] > 0]] = True
        moving = inside & (go > 0)
        trapped = ~reaching(size, src[moving], dst[moving], ends)
        if near is not None:
            trapped |= near
        solver, v = _visits(size, rows, trapped, state_cls, b)
        if solver.residual > RELIABLE and near is None:
            # Some states leave so rarely that doubles cannot tell them from a trap.
            near = near_traps(size, src[moving], dst[moving], go[moving],
                              leaving(size, rows, inside))
            trapped |= near
            solver, v = _visits(size, rows, trapped, state_cls, b)
        if not system.n_q:
            break
        # Arrivals at each line per caller of each class, and callback requests.
        arrivals = v[n:].reshape(n_cls, system.n_q)
        back = start_back.copy()
        menu_flow = np.where(trapped[chain.entry_state], 0.0,
                             v[chain.entry_state] * system.menu_go)
        cb = system.cb_entry_q >= 0
        np.add.at(back, (system.cls_of[cb], system.cb_entry_q[cb]), menu_flow[cb])
        for k, j in enumerate(system.onward_back.tolist()):  # sent on to a callback node
            if j >= 0:
                back[:, j] += arrivals[:, k] * used[:, k, 2]
        per = np.maximum(weights, 1e-300)[:, None]
        made = np.concatenate([arrivals, back]) / np.concatenate([per, per])
        if point is not None and np.allclose(made, point, rtol=ROUND_TOL, atol=1e-14):
            break
        point = made if point is None else speed.step(point, made)
        queues = agent_queues(chain, point[:n_cls], point[n_cls:])
        fates, waits = _queue_inputs(system, queues)
        if not _sends_on(system, fates):
            rows = system.rows(fates, waits)
            break
    else:
        raise ConfigError("the queues' arrival rates did not settle: callers sent on from "
                          "a line keep coming back to it",
                          hint="send callers who reach max_wait to an ending")
    src, dst, go = rows["src"], rows["dst"], rows["go"]
    inside = dst >= 0
    outcome = np.where(inside, -1, -1 - dst)
    live = ~trapped[src]
    human_end = np.where(outcome == HUMAN, 1.0, 0.0)
    r_human = np.bincount(src, weights=go * human_end, minlength=size)
    r_human[trapped] = 0.0
    h = solver.solve(r_human)
    h_end = np.where(inside, h[np.maximum(dst, 0)], human_end)
    h_end[trapped[src]] = 0.0
    r_th = np.bincount(src, weights=rows["t1"] * h_end, minlength=size)
    r_th[trapped] = 0.0
    th = solver.solve(r_th)
    if not solver.residual <= RELIABLE:
        raise unreliable(solver.residual)
    th_end = np.where(inside, th[np.maximum(dst, 0)], 0.0)
    v_src = v[src]
    flow = np.where(live, v_src * go, 0.0)
    out = np.zeros(len(OUTCOMES))
    ended = ~inside & live
    np.add.at(out, outcome[ended], flow[ended])
    abandon_flow = np.where(live, v_src * rows["lost"], 0.0)
    out[ABANDONED] += abandon_flow.sum()
    out[STUCK] += v[trapped].sum()
    out += start_absorbed
    p_human = out[HUMAN]
    t_h = float((v_src * rows["t1"] * h_end)[live].sum())
    t2_h = float((v_src * (rows["t2"] * h_end + 2 * rows["t1"] * th_end))[live].sum())
    s_h = float((v_src * go * h_end * rows["step"])[live].sum())
    if p_human <= TINY:  # no caller (or only rounding noise) reaches a person: N/A
        p_human = max(float(p_human), 0.0)
    known = p_human > TINY
    mean_h = t_h / p_human if known else math.nan
    var_h = t2_h / p_human - mean_h ** 2 if known else math.nan
    n_e = len(chain.dst)
    node = chain.state_node
    menu_src = chain.entry_state
    abandon_at = np.bincount(node[menu_src], weights=abandon_flow[:n_e], minlength=chain.top.n)
    by_intent, by_class = _by_intent(chain, state_cls, v, flow, abandon_flow, outcome, ended,
                                     trapped, src, system.start_q)
    visits = np.bincount(node, weights=v[:n], minlength=chain.top.n)
    queue_abandon_at = queue_flow = None
    if system.n_q:
        per_queue = flow[n_e:].reshape(n_cls, system.n_q, 4).sum(axis=0)
        queue_flow = np.concatenate([v[n:].reshape(n_cls, system.n_q).sum(axis=0)[:, None],
                                     per_queue], axis=1)
        queue_abandon_at = np.zeros(chain.top.n)
        np.add.at(queue_abandon_at, system.nodes, per_queue[:, 3])
    return ExactResult(
        outcomes=dict(zip(OUTCOMES, (float(x) for x in out), strict=True)),
        by_intent=by_intent,
        steps=float(v[:n].sum()),
        seconds=float((v_src * rows["spent"])[live].sum()),
        human=float(p_human),
        human_seconds=mean_h,
        human_seconds_sd=math.sqrt(max(var_h, 0.0)) if known else math.nan,
        human_steps=s_h / p_human if known else math.nan,
        visits={nid: float(visits[i]) for i, nid in enumerate(chain.top.ids) if visits[i] > 0},
        flow=flow[:n_e],
        abandon_at=abandon_at,
        residual=solver.residual,
        method=solver.method,
        queues=queues,
        queue_abandon_at=queue_abandon_at,
        by_class=by_class,
        queue_flow=queue_flow,
    )


class _Anderson:
    """Anderson acceleration of the fixed point x = F(x) (Walker and Ni, 2011): the next
    point mixes the last few so that their residuals F(x) - x cancel as far as they can;
    about 5 rounds instead of 20 for a line whose callers are sent round and back."""

    def __init__(self, depth: int = 3) -> None:
        self.depth = depth
        self.xs: list[np.ndarray] = []
        self.gs: list[np.ndarray] = []

    def step(self, x: np.ndarray, fx: np.ndarray) -> np.ndarray:
        self.xs.append(x.ravel())
        self.gs.append((fx - x).ravel())
        if len(self.gs) > self.depth + 1:
            self.xs.pop(0)
            self.gs.pop(0)
        if len(self.gs) < 2:
            return fx
        g = np.stack(self.gs, axis=1)
        f = np.stack(self.xs, axis=1) + g
        d_g, d_f = np.diff(g, axis=1), np.diff(f, axis=1)
        gamma = np.linalg.lstsq(d_g, g[:, -1], rcond=None)[0]
        nxt = f[:, -1] - d_f @ gamma
        return np.asarray(np.maximum(nxt, 0.0).reshape(x.shape))


def _visits(size: int, rows: Mapping[str, np.ndarray], trapped: np.ndarray,
            state_cls: np.ndarray, b: np.ndarray) -> tuple[Solver, np.ndarray]:
    """The solver of the chain without the ``trapped`` states' moves, and the expected
    visits from the start ``b``."""
    src, dst, go = rows["src"], rows["dst"], rows["go"]
    q_mask = (dst >= 0) & ~trapped[src]
    q = csr_matrix((go[q_mask], (src[q_mask], dst[q_mask])), shape=(size, size))
    solver = Solver((identity(size, format="csr") - q).tocsr(), parts=state_cls)
    return solver, solver.solve(b, transpose=True)


def leaving(size: int, rows: Mapping[str, np.ndarray], inside: np.ndarray) -> np.ndarray:
    """Per state, the chance its next move ends the call (not ``inside``) or the caller
    gives up."""
    return np.bincount(rows["src"], weights=np.where(inside, 0.0, rows["go"]) + rows["lost"],
                       minlength=size)


def near_traps(size: int, src: np.ndarray, dst: np.ndarray, go: np.ndarray,
               leave: np.ndarray) -> np.ndarray:
    """Mask of the states whose likeliest way out (the largest product of the chances
    ``go`` of the moves ``src -> dst``, then ``leave``) is below NEAR_TRAP: a shortest path
    of -log chances, from the endings back."""
    pairs, where = np.unique(src * size + dst, return_inverse=True)
    chance = np.bincount(where, weights=go)
    ends = np.flatnonzero(leave > 0)
    # Vertex ``size`` stands for every ending; edges run backwards, ending -> state.
    tail = np.concatenate([np.full(len(ends), size), pairs % size])
    head = np.concatenate([ends, pairs // size])
    weight = -np.log(np.minimum(np.concatenate([leave[ends], chance]), 1.0)) + 1e-12
    dist = distances(size + 1, tail, head, weight, [size])
    return np.asarray(dist[:size] > -math.log(NEAR_TRAP))


def unreliable(residual: float) -> ConfigError:
    """The error for a chain that no solve can follow, even without its near-traps."""
    return ConfigError(
        f"the exact solution is not reliable here (relative residual {residual:.1e}): "
        f"some callers loop so long before leaving that double precision cannot follow them",
        hint="give callers patience, or fewer retries on the loop; or use ivr simulate")


def _sends_on(system: _System, fates: np.ndarray) -> bool:
    """Whether callers sent on at a longest wait can load a line again (walking on, into
    a line, or asking for a callback from one): then the arrival rates depend on the
    queues, and are iterated."""
    out = fates[..., 2] > 0
    if not out.any():
        return False
    to = system.onward[out]
    back = system.onward_back[np.nonzero(out)[1]] >= 0
    return bool((to >= 0).any() or (to == -1 - HUMAN).any() or back.any())


def _by_intent(chain: Chain, state_cls: np.ndarray, v: np.ndarray, flow: np.ndarray,
               abandon_flow: np.ndarray, outcome: np.ndarray, ended: np.ndarray,
               trapped: np.ndarray, src: np.ndarray, start_q: np.ndarray
               ) -> tuple[dict[str, dict[str, float]], np.ndarray]:
    """Outcomes per intent, and per class (rows sum to 1); calls that start at a queued
    agent are counted by its state, the others that start at an ending here."""
    n_cls = len(chain.classes)
    src_cls = state_cls[src]
    table = np.zeros((n_cls, len(OUTCOMES)))
    np.add.at(table, (src_cls[ended], outcome[ended]), flow[ended])
    table[:, ABANDONED] += np.bincount(src_cls, weights=abandon_flow, minlength=n_cls)
    table[:, STUCK] += np.bincount(state_cls[trapped], weights=v[trapped], minlength=n_cls)
    for c, s in enumerate(chain.start.tolist()):
        if s < 0 and start_q[c] < 0:
            table[c, -1 - s] += chain.classes[c].weight
    intents = chain.population.intents
    per_intent = np.zeros((len(intents), len(OUTCOMES)))  # one pass, not one per intent
    np.add.at(per_intent, np.array([k.intent for k in chain.classes], dtype=np.int64), table)
    w = per_intent.sum(axis=1, keepdims=True)
    shares = np.divide(per_intent, w, out=np.zeros_like(per_intent), where=w > 0).tolist()
    out = {intent.name: dict(zip(OUTCOMES, row, strict=True))
           for intent, row in zip(intents, shares, strict=True)}
    weights = chain.weights()
    return out, table / np.where(weights > 0, weights, 1.0)[:, None]


__all__ = ["DIRECT_LIMIT", "NEAR_TRAP", "RELIABLE", "ExactResult", "applies", "leaving",
           "near_traps", "solve", "unreliable"]
