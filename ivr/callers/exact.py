"""Exact figures from the compiled chain by sparse linear solves (scipy.sparse).

With exponential patience (or none) the caller model is an absorbing Markov chain: a step
of d seconds keeps the caller with probability exp(-d/mean). Three solves give everything
from the start: expected visits ``v`` ((I-Q)^T v = start), the chance of reaching a person
from each state ``h`` ((I-Q) h = R_human) and the seconds accumulated on the way to a
person ``th``. Outcome probabilities, expected steps and seconds, and the mean and
variance of the seconds to a person are then sums over ``v``.

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

from ivr.callers.chain import ABANDONED, HUMAN, OUTCOMES, STUCK, Chain
from ivr.callers.linsolve import DIRECT_LIMIT, Solver
from ivr.callers.queues import AgentQueues, queue_effect
from ivr.errors import ConfigError
from ivr.structure.topology import reaching

#: A chance of reaching a person below this is rounding noise: its mean time is N/A.
TINY = 1e-12


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
    #: The staffed agent queues (None when none is modelled), what they lost per node,
    #: and the outcome probabilities of each caller class (rows of chain.classes).
    queues: AgentQueues | None = None
    queue_abandon_at: np.ndarray | None = None
    by_class: np.ndarray | None = None


def applies(chain: Chain) -> bool:
    """Whether the exact solution applies: exponential patience, or none."""
    return chain.population.patience.distribution in ("exponential", "none")


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
    n = chain.n_states
    src = chain.entry_state
    dst, prob, secs = chain.dst, chain.prob, chain.secs
    keep = np.exp(-secs / mean) if math.isfinite(mean) else np.ones_like(secs)
    go = prob * keep                               # taken and the caller stays
    spent = prob * (mean * -np.expm1(-secs / mean) if math.isfinite(mean) else secs)
    inside = dst >= 0
    outcome = np.where(inside, -1, -1 - dst)

    # Traps: states from which no ending (including abandoning) can be reached.
    ends = np.zeros(n, dtype=bool)
    ends[src[~inside & (go > 0)]] = True
    ends[src[prob - go > 0]] = True
    trapped = ~reaching(n, src[inside & (go > 0)], dst[inside & (go > 0)], ends)
    q_mask = inside & ~trapped[src]
    q = csr_matrix((go[q_mask], (src[q_mask], dst[q_mask])), shape=(n, n))
    a = (identity(n, format="csr") - q).tocsr()
    # A trapped state keeps only its identity row: callers enter it once and are stuck.
    weights = chain.weights()
    b = np.zeros(n)
    start_absorbed = np.zeros(len(OUTCOMES))
    for c, s in enumerate(chain.start.tolist()):
        if s >= 0:
            b[s] += weights[c]
        else:
            start_absorbed[-1 - s] += weights[c]
    solver = Solver(a)
    v = solver.solve(b, transpose=True)
    # Staffed agents: the share answered (not lost in the queue) and its wait, per entry.
    queue = queue_effect(chain, np.where(trapped[src], 0.0, v[src] * go))
    human_end = np.where(outcome == HUMAN, queue.served, 0.0)
    # Where each entry ends: an outcome, or a state (whose chance of a person is h).
    r_human = np.bincount(src, weights=go * human_end, minlength=n)
    r_human[trapped] = 0.0
    h = solver.solve(r_human)
    h_end = np.where(inside, h[np.maximum(dst, 0)], human_end)
    h_end[trapped[src]] = 0.0
    r_th = np.bincount(src, weights=go * (secs * h_end + queue.wait1), minlength=n)
    r_th[trapped] = 0.0
    th = solver.solve(r_th)
    th_end = np.where(inside, th[np.maximum(dst, 0)], queue.wait1)

    v_src = v[src]
    live = ~trapped[src]
    flow = np.where(live, v_src * go, 0.0)
    out = np.zeros(len(OUTCOMES))
    ended = ~inside & live
    np.add.at(out, outcome[ended], flow[ended])
    abandon_flow = np.where(live, v_src * (prob - go), 0.0)
    out[ABANDONED] += abandon_flow.sum()
    out[STUCK] += v[trapped].sum()
    out += start_absorbed
    out[HUMAN] -= queue.abandoned.sum()
    out[ABANDONED] += queue.abandoned.sum()
    node = chain.state_node
    abandon_at = np.bincount(node[src], weights=abandon_flow, minlength=chain.top.n)
    p_human = out[HUMAN]
    t_h = float((v_src * go * (secs * h_end + queue.wait1))[live].sum()) + queue.start_wait1
    t2_h = float((v_src * go * (secs ** 2 * h_end + 2 * secs * th_end + queue.wait2))[live]
                 .sum()) + queue.start_wait2
    s_h = float((v_src * go * h_end)[live].sum())
    if p_human <= TINY:  # no caller (or only rounding noise) reaches a person: N/A
        p_human = max(float(p_human), 0.0)
    known = p_human > TINY
    mean_h = t_h / p_human if known else math.nan
    var_h = t2_h / p_human - mean_h ** 2 if known else math.nan
    by_intent, by_class = _by_intent(chain, v, flow, abandon_flow, outcome, ended, trapped,
                                     queue.abandoned)
    visits = np.bincount(node, weights=v, minlength=chain.top.n)
    return ExactResult(
        outcomes=dict(zip(OUTCOMES, (float(x) for x in out), strict=True)),
        by_intent=by_intent,
        steps=float(v.sum()),
        seconds=float((v_src * spent)[live].sum() + (flow * queue.seconds).sum())
        + queue.start_seconds,
        human=float(p_human),
        human_seconds=mean_h,
        human_seconds_sd=math.sqrt(max(var_h, 0.0)) if known else math.nan,
        human_steps=s_h / p_human if known else math.nan,
        visits={nid: float(visits[i]) for i, nid in enumerate(chain.top.ids) if visits[i] > 0},
        flow=flow,
        abandon_at=abandon_at,
        residual=solver.residual,
        method=solver.method,
        queues=queue.queues,
        queue_abandon_at=queue.abandon_at,
        by_class=by_class,
    )


def _by_intent(chain: Chain, v: np.ndarray, flow: np.ndarray, abandon_flow: np.ndarray,
               outcome: np.ndarray, ended: np.ndarray, trapped: np.ndarray,
               lost: np.ndarray) -> tuple[dict[str, dict[str, float]], np.ndarray]:
    """Outcomes per intent, and per class (rows sum to 1); ``lost`` moves each class's
    callers who gave up in a queue from human to abandoned."""
    n_cls = len(chain.classes)
    src_cls = chain.state_class[chain.entry_state]
    table = np.zeros((n_cls, len(OUTCOMES)))
    np.add.at(table, (src_cls[ended], outcome[ended]), flow[ended])
    table[:, ABANDONED] += np.bincount(src_cls, weights=abandon_flow, minlength=n_cls)
    table[:, STUCK] += np.bincount(chain.state_class[trapped], weights=v[trapped],
                                   minlength=n_cls)
    for c, s in enumerate(chain.start.tolist()):
        if s < 0:
            table[c, -1 - s] += chain.classes[c].weight
    table[:, HUMAN] -= lost
    table[:, ABANDONED] += lost
    intents = chain.population.intents
    per_intent = np.zeros((len(intents), len(OUTCOMES)))  # one pass, not one per intent
    np.add.at(per_intent, np.array([k.intent for k in chain.classes], dtype=np.int64), table)
    w = per_intent.sum(axis=1, keepdims=True)
    shares = np.divide(per_intent, w, out=np.zeros_like(per_intent), where=w > 0).tolist()
    out = {intent.name: dict(zip(OUTCOMES, row, strict=True))
           for intent, row in zip(intents, shares, strict=True)}
    weights = chain.weights()
    return out, table / np.where(weights > 0, weights, 1.0)[:, None]


__all__ = ["DIRECT_LIMIT", "ExactResult", "applies", "solve"]
