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
from scipy.sparse.linalg import LinearOperator, bicgstab, spilu, splu

from ivr.chain import ABANDONED, HUMAN, OUTCOMES, STUCK, Chain
from ivr.errors import ConfigError
from ivr.topology import reaching

#: Chains up to this many states are solved by sparse LU; larger ones iteratively.
DIRECT_LIMIT = 20_000
#: Relative residual every solve must reach.
TOLERANCE = 1e-10


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


def applies(chain: Chain) -> bool:
    """Whether the exact solution applies: exponential patience, or none."""
    return chain.population.patience.distribution in ("exponential", "none")


def solve(chain: Chain) -> ExactResult:
    """The exact solution of ``chain``.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> from ivr.chain import compile_chain
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
    solver = _Solver(a)
    v = solver.solve(b, transpose=True)
    # Where each entry ends: an outcome, or a state (whose chance of a person is h).
    r_human = np.bincount(src[outcome == HUMAN], weights=go[outcome == HUMAN], minlength=n)
    r_human[trapped] = 0.0
    h = solver.solve(r_human)
    h_end = np.where(inside, h[np.maximum(dst, 0)], (outcome == HUMAN).astype(float))
    h_end[trapped[src]] = 0.0
    r_th = np.bincount(src, weights=go * secs * h_end, minlength=n)
    r_th[trapped] = 0.0
    th = solver.solve(r_th)
    th_end = np.where(inside, th[np.maximum(dst, 0)], 0.0)

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
    node = chain.state_node
    abandon_at = np.bincount(node[src], weights=abandon_flow, minlength=chain.top.n)
    p_human = out[HUMAN]
    t_h = float((v_src * go * secs * h_end)[live].sum())
    t2_h = float((v_src * go * (secs ** 2 * h_end + 2 * secs * th_end))[live].sum())
    s_h = float((v_src * go * h_end)[live].sum())
    mean_h = t_h / p_human if p_human > 0 else math.nan
    var_h = t2_h / p_human - mean_h ** 2 if p_human > 0 else math.nan
    by_intent = _by_intent(chain, v, flow, abandon_flow, outcome, ended, trapped)
    visits = np.bincount(node, weights=v, minlength=chain.top.n)
    return ExactResult(
        outcomes=dict(zip(OUTCOMES, (float(x) for x in out), strict=True)),
        by_intent=by_intent,
        steps=float(v.sum()),
        seconds=float((v_src * spent)[live].sum()),
        human=float(p_human),
        human_seconds=mean_h,
        human_seconds_sd=math.sqrt(max(var_h, 0.0)) if p_human > 0 else math.nan,
        human_steps=s_h / p_human if p_human > 0 else math.nan,
        visits={nid: float(visits[i]) for i, nid in enumerate(chain.top.ids) if visits[i] > 0},
        flow=flow,
        abandon_at=abandon_at,
        residual=solver.residual,
        method=solver.method,
    )


def _by_intent(chain: Chain, v: np.ndarray, flow: np.ndarray, abandon_flow: np.ndarray,
               outcome: np.ndarray, ended: np.ndarray, trapped: np.ndarray
               ) -> dict[str, dict[str, float]]:
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
    out = {}
    for i, intent in enumerate(chain.population.intents):
        rows = [c for c, k in enumerate(chain.classes) if k.intent == i]
        total = table[rows].sum(axis=0)
        w = total.sum()
        out[intent.name] = {o: float(x / w) if w > 0 else 0.0
                            for o, x in zip(OUTCOMES, total, strict=True)}
    return out


class _Solver:
    """Solves with one matrix: sparse LU when small; BiCGSTAB preconditioned by one
    incomplete LU (Jacobi if that fails) when large, with sparse LU as the last resort."""

    def __init__(self, a: csr_matrix) -> None:
        self.a = a
        self.residual = 0.0
        self.n = a.shape[0]
        self.method = "sparse LU" if self.n <= DIRECT_LIMIT else "BiCGSTAB + ILU"
        self._lu = splu(a.tocsc()) if self.n <= DIRECT_LIMIT and self.n else None
        self._at: csr_matrix | None = None
        self._ilu = None
        if self._lu is None and self.n:
            try:  # one incomplete factorisation preconditions all three solves
                self._ilu = spilu(a.tocsc(), drop_tol=1e-4, fill_factor=2)
            except RuntimeError:
                self.method = "BiCGSTAB + Jacobi"

    def solve(self, b: np.ndarray, transpose: bool = False) -> np.ndarray:
        if not self.n:
            return np.zeros(0)
        norm = float(np.linalg.norm(b))
        if norm == 0.0:
            return np.zeros(self.n)
        a = self.a
        if transpose:
            if self._at is None:
                self._at = a.T.tocsr()
            a = self._at
        if self._lu is not None:
            x = self._lu.solve(b, trans="T" if transpose else "N")
        else:
            x = self._iterative(a, b, norm, transpose)
        res = float(np.linalg.norm(a @ x - b)) / norm
        self.residual = max(self.residual, res)
        return x

    def _iterative(self, a: csr_matrix, b: np.ndarray, norm: float,
                   transpose: bool) -> np.ndarray:
        ilu = self._ilu
        if ilu is not None:
            trans = "T" if transpose else "N"
            m = LinearOperator(a.shape, matvec=lambda x: ilu.solve(x, trans), dtype=float)
        else:
            d = a.diagonal()
            inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1.0), 1.0)
            m = LinearOperator(a.shape, matvec=lambda x: inv * x, dtype=float)
        x, info = bicgstab(a, b, rtol=TOLERANCE, atol=0.0, maxiter=20 * self.n, M=m)
        if info != 0 or np.linalg.norm(a @ x - b) > 10 * TOLERANCE * norm:
            self.method = "sparse LU (COLAMD)"
            x = splu(a.tocsc(), permc_spec="COLAMD").solve(b)
        return np.asarray(x)


__all__ = ["DIRECT_LIMIT", "ExactResult", "applies", "solve"]
