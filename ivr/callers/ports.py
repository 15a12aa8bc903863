"""The exact solution with the queues left open: solved once per chain, then figures for
any staffing and call volume as sums.

Staffing and call volume change only the lines, never the menu's chain. When no caller
leaves a line back into the menu (no ``on_max_wait`` that walks on or joins another
line), every queue state of :mod:`ivr.callers.exact` is a *port*: callers enter it from
the menu, and leave it to an ending. The menu part is then solved once, with the ports
absorbing, for the moments of what reaches each port (expected arrivals, seconds spent
on the way and their square, steps), and each figure of the full solution is a sum over
ports of those moments times what the line does to an arrival (its fates and wait
moments, :data:`ivr.callers.queues.LINE_VALUES`). A combination costs the line figures of
its queues (memoized: a grid over one queue's agents recomputes only that queue) and a
few small dot products, instead of a compile and three sparse solves.

With callers sent back from a line, the arrival rates are a fixed point over the whole
chain: :meth:`Ports.evaluate` then runs the full :func:`ivr.callers.exact.solve`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, identity

from ivr.callers.chain import ABANDONED, CALLBACK, HUMAN, OUTCOMES, STUCK, Chain
from ivr.callers.exact import RELIABLE, _System, applies, leaving, near_traps, solve, unreliable
from ivr.callers.linsolve import Solver
from ivr.callers.queues import (
    LINE_VALUES,
    _segments,
    _when,
    has_rules,
    line_values,
    line_wait,
)
from ivr.errors import ConfigError
from ivr.model import Staff
from ivr.queueing.erlang import TARGET
from ivr.structure.topology import reaching

_V = {name: k for k, name in enumerate(LINE_VALUES)}


@dataclass(frozen=True)
class Figures:
    """The figures of one staffing and volume: outcome shares, the mean and standard
    deviation of the seconds to a person (of those who reach one), the mean steps to a
    person, the mean seconds of a call (menu and line), and per queue (``queues`` names)
    the week's ASA, service level within ``target``, abandonment and occupancy, as the
    queue tables compute them."""

    outcomes: Mapping[str, float]
    human_seconds: float
    human_seconds_sd: float
    human_steps: float
    seconds: float
    steps: float
    queues: tuple[str, ...]
    asa: tuple[float, ...]
    service_level: tuple[float, ...]
    abandoned: tuple[float, ...]
    occupancy: tuple[float, ...]
    calls_per_hour: tuple[float, ...]
    agents: tuple[int, ...]
    #: Outcome shares per intent (name -> outcome -> share).
    by_intent: Mapping[str, Mapping[str, float]]


class Ports:
    """One chain solved with its queues open (see the module's docstring).

    ``evaluate(staff, calls_per_hour)`` gives the :class:`Figures` for the staff of each
    queued agent (by node id; the menu's own where not given) and the callers' calls
    per hour (the menu's own when None).

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> from ivr.callers.chain import compile_chain
    >>> desk = "{kind: agent, staff: {agents: 3, handle_time: 180}}"
    >>> m = parse_menu(f"name: T\\nstart: desk\\nnodes: {{desk: {desk}}}\\ncallers: "
    ...                "{intents: {talk: {share: 1, goal: desk}}, patience: {mean: 120}, "
    ...                "calls_per_hour: 50}")
    >>> ports = Ports(compile_chain(m))
    >>> few, many = ports.evaluate({"desk": Staff(3, 180)}), ports.evaluate({"desk": Staff(6, 180)})
    >>> few.outcomes["abandoned"] > many.outcomes["abandoned"], ports.fast
    (True, True)
    """

    def __init__(self, chain: Chain, *, target: float = TARGET) -> None:
        if not applies(chain):
            raise ConfigError("the exact solution needs exponential patience (or none)",
                              hint="use ivr simulate for other patience distributions")
        self.chain = chain
        self.target = target
        pat = chain.population.patience
        self.mean = math.inf if pat.distribution == "none" else float(pat.mean or 120.0)
        self.theta = 0.0 if math.isinf(self.mean) else 1.0 / self.mean
        self.system = _System(chain, self.mean)
        self.names = tuple(chain.top.ids[i] for i in self.system.nodes.tolist())
        self._lines = [(name, chain.menu.nodes[name], has_rules(chain.menu.nodes[name]))
                       for name in self.names]
        self.fast = self._open()
        self._memo: dict[tuple[Any, ...], tuple[float, ...]] = {}
        self._segs: dict[tuple[Any, ...], tuple[np.ndarray, ...]] = {}
        if self.fast:
            self._solve()

    def _open(self) -> bool:
        """Whether every line leaves only to endings (then its state is a port)."""
        sy = self.system
        if not sy.n_q:
            return True
        if (sy.onward_back >= 0).any():
            return False
        for q in range(sy.n_q):
            to = sy.onward[:, q]
            if to[0] == np.iinfo(np.int64).min:
                continue
            if (to >= 0).any():
                return False
            node = self.chain.menu.nodes[self.names[q]]
            if (to == -1 - HUMAN).any() and sy.where[self.chain.top.index[
                    node.on_max_wait or ""]] >= 0:
                return False
        return True

    # -- the menu part, once -----------------------------------------------------------

    def _solve(self) -> None:
        chain, sy = self.chain, self.system
        n, n_q = sy.n, sy.n_q
        n_cls = len(chain.classes)
        rows = sy.menu
        src, go, t1, t2 = rows["src"], rows["go"], rows["t1"], rows["t2"]
        dst = sy.menu["dst"]
        port = np.where(dst >= n, dst - n, -1)  # index c * n_q + q
        inside = (dst >= 0) & (port < 0)
        ends = np.zeros(n, dtype=bool)
        ends[src[~inside & (go > 0)]] = True
        ends[src[rows["lost"] > 0]] = True
        moving = inside & (go > 0)
        trapped = ~reaching(n, src[moving], dst[moving], ends)
        b, absorbed, back = sy.starts()
        b_menu = b[:n]
        for _ in range(2):  # again without the near-traps when the solve is not reliable
            live = ~trapped[src]
            mask = inside & live
            q_mat = csr_matrix((go[mask], (src[mask], dst[mask])), shape=(n, n))
            solver = Solver((identity(n, format="csr") - q_mat).tocsr(),
                            parts=chain.state_class)
            m0 = solver.solve(b_menu, transpose=True)
            if solver.residual <= RELIABLE:
                break
            trapped |= near_traps(n, src[moving], dst[moving], go[moving],
                                  leaving(n, rows, inside))
        into = np.where(mask, dst, 0)

        def push(values: np.ndarray) -> np.ndarray:
            return np.bincount(into, weights=np.where(mask, values, 0.0), minlength=n)

        m1 = solver.solve(push(t1 * m0[src]), transpose=True)
        m2 = solver.solve(push(t2 * m0[src] + 2 * t1 * m1[src]), transpose=True)
        ms = solver.solve(push(go * m0[src]), transpose=True)
        if not solver.residual <= RELIABLE:
            raise unreliable(solver.residual)
        # What reaches each port, and each direct ending, from the menu.
        a0 = np.where(live, go * m0[src], 0.0)
        a1 = np.where(live, go * m1[src] + t1 * m0[src], 0.0)
        a2 = np.where(live, go * m2[src] + 2 * t1 * m1[src] + t2 * m0[src], 0.0)
        as_ = np.where(live, go * ms[src] + go * m0[src], 0.0)
        size = n_cls * n_q
        at_port = port >= 0
        p_idx = np.where(at_port, port, 0)

        def gather(values: np.ndarray) -> np.ndarray:
            if not size:
                return np.zeros((n_cls, n_q))
            return np.bincount(p_idx, weights=np.where(at_port, values, 0.0),
                               minlength=size).reshape(n_cls, n_q)

        start_port = np.zeros(size)
        for c, w in enumerate(chain.weights().tolist()):
            if chain.start[c] < 0 and sy.start_q[c] >= 0:
                start_port[c * n_q + sy.start_q[c]] += w
        self.arrivals = gather(a0) + start_port.reshape(n_cls, n_q)
        self.m1, self.m2, self.ms = gather(a1), gather(a2), gather(as_)
        ending = ~inside & ~at_port & live
        outcome = np.where(ending, -1 - dst, 0)
        cls = chain.state_class[src]
        base = np.zeros((n_cls, len(OUTCOMES)))
        np.add.at(base, (cls[ending], outcome[ending]), a0[ending])
        lost = np.where(live, m0[src] * rows["lost"], 0.0)
        base[:, ABANDONED] += np.bincount(cls, weights=lost, minlength=n_cls)
        base[:, STUCK] += np.bincount(chain.state_class[trapped], weights=m0[trapped],
                                      minlength=n_cls)
        for c, s in enumerate(chain.start.tolist()):
            if s < 0 and sy.start_q[c] < 0:
                base[c, -1 - s] += chain.classes[c].weight
        self.base = base
        human = ending & (outcome == HUMAN)
        self.t1_h = float(a1[human].sum())
        self.t2_h = float(a2[human].sum())
        self.s_h = float(as_[human].sum())
        self.seconds0 = float(np.where(live, m0[src] * rows["spent"], 0.0).sum())
        self.steps = float(m0.sum())
        # Callback requests from callback nodes (the menu's flows, not the lines').
        cb = sy.cb_entry_q >= 0
        np.add.at(back, (sy.cls_of[cb], sy.cb_entry_q[cb]), a0[cb])
        weights = chain.weights()
        per = np.maximum(weights, 1e-300)[:, None]
        self.reach, self.returns = self.arrivals / per, back / per
        # Per onward ending of each line: the outcome its callers sent on end in.
        self.onward_out = np.full(n_q, ABANDONED, dtype=np.int64)
        for q in range(n_q):
            to = int(sy.onward[0, q])
            if to != np.iinfo(np.int64).min:
                self.onward_out[q] = -1 - to
        self.limits = np.where(np.isfinite(sy.limits) & (sy.limits > 0), sy.limits, 0.0)
        self._limited = bool(self.limits.any())
        wk = chain.week
        sets = np.array([c.open_set for c in chain.classes], dtype=np.int64)
        self._sets = sets
        self._intents = np.array([[c.intent == i for c in chain.classes]
                                  for i in range(len(chain.population.intents))], dtype=float)
        self._within_set = weights / np.maximum(wk.share[sets], 1e-300)

    # -- one combination ----------------------------------------------------------------

    def _segments(self, staff: tuple[Staff | None, ...]) -> tuple[np.ndarray, ...]:
        key = tuple(None if s is None or s.hourly is None else s.hourly for s in staff)
        if not any(k is not None for k in key):
            key = ()
        if key not in self._segs:
            seg_set, seg_level, seg_share, seg_minutes, of_minute, _ = \
                _segments(self.chain, staff)
            wk = self.chain.week
            mix = np.where(seg_set[None, :] == self._sets[:, None],
                           seg_share[None, :] / np.maximum(wk.share[self._sets][:, None],
                                                           1e-300), 0.0)
            heads = np.zeros((len(wk.share), len(self.names)))
            np.add.at(heads, self._sets, self._within_set[:, None] * self.reach)
            backs = np.zeros((len(wk.share), len(self.names)))
            np.add.at(backs, self._sets, self._within_set[:, None] * self.returns)
            self._segs[key] = (seg_set, seg_level, seg_share, seg_minutes, of_minute, mix,
                               seg_level[None, :] * heads[seg_set].T,
                               seg_level[None, :] * backs[seg_set].T)
        return self._segs[key]

    def evaluate(self, staff: Mapping[str, Staff] | None = None,
                 calls_per_hour: float | None = None, *,
                 scale: Mapping[str, float] | None = None) -> Figures:
        """The figures with ``staff`` (by agent id) and ``calls_per_hour``; ``scale``
        multiplies the arrival rates of the named queues (only where the lines send nobody
        back: ``fast``)."""
        chain = self.chain
        nodes = chain.menu.nodes
        given = dict(staff or {})
        unknown = sorted(set(given) - set(self.names))
        if unknown:
            raise ConfigError(f"{unknown[0]!r} is not a queued agent of this menu (the "
                              f"queued agents: {', '.join(self.names) or 'none'})")
        cph = chain.population.calls_per_hour if calls_per_hour is None else calls_per_hour
        if (cph > 0) != (chain.population.calls_per_hour > 0):
            raise ConfigError("calls per hour must stay above 0 when the menu's are (and 0 "
                              "when they are 0): that decides which agents queue")
        staffs = tuple(given.get(name, nodes[name].staff) for name in self.names)
        if not self.fast:
            if scale:
                raise ConfigError("arrival rates cannot be scaled queue by queue where "
                                  "callers sent on from a line come back")
            return self._full(staffs, cph)
        factor = np.array([(scale or {}).get(name, 1.0) for name in self.names])
        return self._fast(staffs, cph, factor)

    def _fast(self, staffs: tuple[Staff | None, ...], cph: float,
              factor: np.ndarray | None = None) -> Figures:
        chain = self.chain
        n_q = len(self.names)
        seg_set, seg_level, seg_share, seg_minutes, of_minute, mix, calls1, back1 = \
            self._segments(staffs)
        n_seg = len(seg_set)
        values = np.zeros((n_q, n_seg, len(LINE_VALUES)))
        values[..., _V["served"]] = 1.0
        values[..., _V["within"]] = 1.0
        calls = cph * calls1
        backs = cph * back1
        if factor is not None:
            calls, backs = calls * factor[:, None], backs * factor[:, None]
        lined = cph > 0
        agents_q = []
        agents_seg = np.zeros((n_q, n_seg), dtype=np.int64)
        memo = self._memo
        for q, (name, node, rules) in enumerate(self._lines):
            st = staffs[q]
            is_lined = lined and st is not None
            plain = not rules and not backs[q].any()
            if st is not None and st.hourly is not None:
                agents_seg[q] = self._seg_agents(st, of_minute, n_seg)
            elif st is not None:
                agents_seg[q] = st.agents
            handle_time = None if st is None else st.handle_time
            rates, rets, counts = calls[q].tolist(), backs[q].tolist(), agents_seg[q].tolist()
            peak = 0
            row = values[q]
            for g in range(n_seg):
                rate = rates[g]
                if rate > 0:
                    peak = max(peak, counts[g])
                elif is_lined or not rules:
                    continue
                key = (q, rate, rets[g], counts[g], handle_time)
                got = memo.get(key)
                if got is None:
                    w, said = line_wait(rate, rets[g], counts[g], st, self.theta, node, name,
                                        lined=is_lined, plain=plain,
                                        when=_when(chain, of_minute, g))
                    got = memo[key] = line_values(w, said, self.target)
                row[g] = got
            agents_q.append(peak)
        k = len(LINE_VALUES)
        per_class = (mix @ values.transpose(1, 0, 2).reshape(n_seg, n_q * k)).reshape(
            len(mix), n_q, k)
        ans = per_class[..., _V["served"]]
        cb = per_class[..., _V["callback"]]
        out = per_class[..., _V["timed_out"]]
        ab = np.maximum(1.0 - ans - cb - out, 0.0)
        a = self.arrivals
        table = self.base.copy()
        table[:, HUMAN] += (a * ans).sum(axis=1)
        table[:, CALLBACK] += (a * cb).sum(axis=1)
        table[:, ABANDONED] += (a * ab).sum(axis=1)
        h_q, tt1, tt2 = ans, per_class[..., _V["wait1"]], per_class[..., _V["wait2"]]
        if self._limited:
            np.add.at(table.T, self.onward_out, (a * out).T)
            to_human = (self.onward_out == HUMAN)[None, :]
            h_q = ans + np.where(to_human, out, 0.0)
            tt1 = tt1 + np.where(to_human, out * self.limits, 0.0)
            tt2 = tt2 + np.where(to_human, out * self.limits ** 2, 0.0)
        outcomes = table.sum(axis=0)
        p_human = float(outcomes[HUMAN])
        t1 = self.t1_h + float((self.m1 * h_q + a * tt1).sum())
        t2 = self.t2_h + float((self.m2 * h_q + 2 * self.m1 * tt1 + a * tt2).sum())
        s_h = self.s_h + float((self.ms * h_q).sum())
        seconds = self.seconds0 + float((a * per_class[..., _V["seconds"]]).sum())
        mean_h = t1 / p_human if p_human > 0 else math.nan
        var_h = t2 / p_human - mean_h ** 2 if p_human > 0 else math.nan
        handle = np.array([math.nan if st is None else st.handle_time for st in staffs])
        weekly = _weekly(values, calls, backs, seg_share, seg_level, seg_minutes, agents_seg,
                         handle)
        return Figures(
            outcomes=dict(zip(OUTCOMES, (float(x) for x in outcomes), strict=True)),
            human_seconds=mean_h,
            human_seconds_sd=math.sqrt(max(var_h, 0.0)) if p_human > 0 else math.nan,
            human_steps=s_h / p_human if p_human > 0 else math.nan,
            seconds=seconds, steps=self.steps, queues=self.names,
            asa=weekly[0], service_level=weekly[1], abandoned=weekly[2],
            occupancy=weekly[3], calls_per_hour=weekly[4], agents=tuple(agents_q),
            by_intent=_Intents(self._intents, chain, table))

    def _seg_agents(self, st: Staff, of_minute: np.ndarray, n_seg: int) -> np.ndarray:
        from ivr.callers.calendar import clock, staffing_minutes
        per_minute = staffing_minutes((st,), clock(self.chain.menu.schedules))[:, 0]
        out = np.zeros(n_seg, dtype=np.int64)
        used = of_minute >= 0
        out[of_minute[used]] = per_minute[used]
        return out

    def _full(self, staffs: tuple[Staff | None, ...], cph: float) -> Figures:
        """Callers come back from a line: the full fixed-point solve of a chain whose
        menu has this staffing."""
        chain = self.chain
        nodes = dict(chain.menu.nodes)
        for name, st in zip(self.names, staffs, strict=True):
            nodes[name] = replace(nodes[name], staff=st)
        menu = replace(chain.menu, nodes=nodes)
        pop = replace(chain.population, calls_per_hour=cph)
        from ivr.callers.chain import compile_chain  # the week may split by staffing
        other = compile_chain(menu, pop, top=chain.top)
        r = solve(other)
        figs = {f.node: f for f in r.queues.figures()} if r.queues is not None else {}
        q_fig = [figs.get(name) for name in self.names]
        return Figures(
            outcomes=dict(r.outcomes),
            human_seconds=r.human_seconds, human_seconds_sd=r.human_seconds_sd,
            human_steps=r.human_steps, seconds=r.seconds, steps=r.steps, queues=self.names,
            asa=tuple(math.nan if f is None else f.asa for f in q_fig),
            service_level=tuple(math.nan if f is None else f.service_level for f in q_fig),
            abandoned=tuple(math.nan if f is None else f.p_abandon for f in q_fig),
            occupancy=tuple(math.nan if f is None else f.occupancy for f in q_fig),
            calls_per_hour=tuple(math.nan if f is None else f.calls_per_hour for f in q_fig),
            agents=tuple(0 if f is None else f.agents for f in q_fig), by_intent=r.by_intent)


def rate_noise(chain: Chain, callers: int) -> dict[str, float]:
    """Per figure (outcome, ``human_seconds``), the standard deviation a simulation of
    ``callers`` callers gets from estimating its queues' arrival rates from those same
    callers: each queue's rates moved by one standard error of its arrival count
    (1 / sqrt(arrivals), Poisson), one queue at a time, in the exact model (the delta
    method). Near overload a wait moves a lot with the rate, so a comparison of a
    simulation with the exact solution must allow for it. Empty where no line queues,
    or where callers sent on from a line come back (not estimated)."""
    if callers <= 0 or not applies(chain) or chain.population.calls_per_hour <= 0:
        return {}
    ports = Ports(chain)
    if not ports.names or not ports.fast:
        return {}
    keys = [*OUTCOMES, "human_seconds"]

    def figures(f: Figures) -> np.ndarray:
        return np.array([f.outcomes[o] for o in OUTCOMES] + [f.human_seconds])

    var = np.zeros(len(keys))
    per_caller = ports.arrivals.sum(axis=0)
    for name, a in zip(ports.names, per_caller.tolist(), strict=True):
        if a * callers < 1.0:
            continue
        step = min(0.5, 1.0 / math.sqrt(a * callers))
        up = figures(ports.evaluate(scale={name: 1.0 + step}))
        down = figures(ports.evaluate(scale={name: 1.0 - step}))
        var += np.nan_to_num((up - down) / 2.0) ** 2
    return {k: float(math.sqrt(v)) for k, v in zip(keys, var.tolist(), strict=True)}


def _weekly(values: np.ndarray, calls: np.ndarray, backs: np.ndarray, seg_share: np.ndarray,
            seg_level: np.ndarray, seg_minutes: np.ndarray, agents: np.ndarray,
            handle: np.ndarray) -> tuple[tuple[float, ...], ...]:
    """Per queue, the week's ASA, service level, abandonment, occupancy and calls per
    hour, weighted as :meth:`ivr.callers.queues.AgentQueues.figures` weighs them (NaN for
    a queue without calls or staff)."""
    taking = calls > 0
    arriving = np.where(taking, seg_share * calls / np.maximum(seg_level, 1e-300), 0.0)
    total = arriving.sum(axis=1, keepdims=True)
    w = arriving / np.where(total > 0, total, 1.0)
    served = (w * values[..., _V["served"]]).sum(axis=1)
    asa = (w * values[..., _V["wait1"]]).sum(axis=1) / np.where(served > 0, served, np.nan)
    sl = (w * values[..., _V["within"]]).sum(axis=1)
    aband = np.maximum(1.0 - values[..., _V["served"]] - values[..., _V["callback"]]
                       - values[..., _V["timed_out"]], 0.0)
    ab = (w * aband).sum(axis=1)
    open_ = seg_minutes * taking
    hours = open_ / np.maximum(open_.sum(axis=1, keepdims=True), 1e-300)
    worked = calls * (values[..., _V["served"]] + values[..., _V["callback"]]) + backs
    busy = worked * handle[:, None] / 3600.0 / np.maximum(agents, 1)
    occ = (hours * busy).sum(axis=1)
    cph = (hours * calls).sum(axis=1)
    none = (total[:, 0] <= 0) | np.isnan(handle)
    return tuple(tuple(float(x) for x in np.where(none, np.nan, arr))
                 for arr in (asa, sl, ab, occ, cph))


class _Intents(Mapping[str, Mapping[str, float]]):
    """Outcome shares per intent, summed from the class table when first asked for."""

    def __init__(self, member: np.ndarray, chain: Chain, table: np.ndarray) -> None:
        self._member, self._chain, self._table = member, chain, table
        self._done: dict[str, dict[str, float]] | None = None

    def _all(self) -> dict[str, dict[str, float]]:
        if self._done is None:
            totals = self._member @ self._table
            self._done = {}
            for i, intent in enumerate(self._chain.population.intents):
                w = totals[i].sum()
                self._done[intent.name] = {o: float(x / w) if w > 0 else 0.0
                                           for o, x in zip(OUTCOMES, totals[i], strict=True)}
        return self._done

    def __getitem__(self, key: str) -> Mapping[str, float]:
        return self._all()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._chain.population.intents)


__all__ = ["Figures", "Ports", "rate_noise"]
