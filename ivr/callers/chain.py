"""The caller model, compiled once: (menu, population) -> one absorbing Markov chain.

States are (caller class, node, failures so far at that menu). A caller class is an
intent, whether the caller zeroes out, and which schedules are open when it calls, so
everything a caller does at a state is a fixed probability row: the exact solver
(:mod:`ivr.callers.exact`) and the simulator (:mod:`ivr.callers.simulate`) both read these rows and
nothing else re-implements caller behaviour. The rules are in the README ("The caller
model"); each entry of a row keeps its event and menu edge so results can say which key
callers pressed and where they left.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ivr.callers.calendar import Week, clock, hourly_profile, staffing_minutes, used, week
from ivr.errors import LoadError
from ivr.model import EVENTS, KEYPAD, TERMINAL_KINDS, Intent, Menu, Population
from ivr.structure.prompt import first_word_share, heard_shares, prefix_seconds
from ivr.structure.search import strong_components
from ivr.structure.topology import KIND_CODES, Topology

OUTCOMES = ("served", "human", "voicemail", "transferred", "misrouted", "abandoned",
            "disconnected", "stuck", "callback")
(SERVED, HUMAN, VOICEMAIL, TRANSFERRED, MISROUTED, ABANDONED, DISCONNECTED, STUCK,
 CALLBACK) = range(9)
#: Outcome codes are stored in a row's destination as ``-1 - outcome``.
_EV = {e: i for i, e in enumerate(EVENTS)}
_K = {k: i for i, k in enumerate(KIND_CODES)}
_ZERO = KEYPAD.index("0")
_UNIFORM = -1


@dataclass(frozen=True)
class CallerClass:
    """Callers who behave alike: one intent, zero-out or not, one set of open schedules
    (and arrival level, when the week is told apart by level), barging in or not."""

    intent: int
    zero_out: bool
    open_set: int
    weight: float
    barge: bool = False


@dataclass(frozen=True, eq=False)
class Chain:
    """Probability rows per state, in CSR layout (``indptr`` into the entry arrays).

    Entry ``e`` of state ``s`` goes to ``dst[e]`` (a state, or ``-1 - outcome``) with
    probability ``prob[e]``, taking ``secs[e]`` seconds; ``event[e]`` indexes EVENTS and
    ``edge[e]`` the menu edge in ``top`` (-1 when there is none, e.g. a dead end).
    Abandonment is not in the rows: it depends on the patience distribution, which the
    solver folds in (exponential) and the simulator draws per caller.

    ``arrive[c, v]`` is where a caller of class ``c`` sent to node ``v`` from outside the
    menu's edges goes (a state, or ``-1 - outcome``): an agent's ``on_max_wait``. Such a
    caller follows the model's aim (its beliefs are spent).
    """

    menu: Menu
    population: Population
    top: Topology
    week: Week
    classes: tuple[CallerClass, ...]
    start: np.ndarray
    state_node: np.ndarray
    state_fail: np.ndarray
    state_class: np.ndarray
    indptr: np.ndarray
    dst: np.ndarray
    prob: np.ndarray
    secs: np.ndarray
    event: np.ndarray
    edge: np.ndarray
    arrive: np.ndarray

    @property
    def n_states(self) -> int:
        return len(self.state_node)

    @cached_property
    def entry_state(self) -> np.ndarray:
        """The state each entry leaves from (computed once)."""
        return np.repeat(np.arange(self.n_states), np.diff(self.indptr))

    def weights(self) -> np.ndarray:
        return np.array([c.weight for c in self.classes])


def default_population(menu: Menu) -> Population:
    """Callers for a menu without a ``callers`` section (imported flows have none): "a
    person" (any agent) plus one intent per self-service node (the first 50), in equal
    shares, with the default behaviour; with neither, one intent per ending. Only nodes
    the start leads to are goals: no caller is invented for what cannot be reached."""
    near = _forward(menu)
    nodes = [n for n in menu.nodes.values() if n.id in near and n.terminal] or \
        list(menu.nodes.values())  # nothing to reach: callers aim at what there is
    agents = tuple(n.id for n in nodes if n.kind == "agent")
    goals: list[tuple[str, tuple[str, ...]]] = [("person", agents)] if agents else []
    kinds = ("self_service",) if agents or any(
        n.kind == "self_service" for n in nodes) else tuple(TERMINAL_KINDS)
    goals += [(n.id, (n.id,)) for n in nodes if n.kind in kinds][:50]
    if not goals:
        raise LoadError("the menu has no ending callers could aim for, and no callers section",
                        file=menu.source.file, line=menu.source.line,
                        column=menu.source.column, hint="add a callers section or --callers FILE")
    share = 1.0 / len(goals)
    return Population(tuple(Intent(name, share, g) for name, g in goals))


def _forward(menu: Menu) -> set[str]:
    """The nodes some exit path from the start reaches (the start included)."""
    seen = {menu.start}
    todo = [menu.start]
    while todo:
        for ex in menu.nodes[todo.pop()].exits():
            if ex.target is not None and ex.target not in seen and ex.target in menu.nodes:
                seen.add(ex.target)
                todo.append(ex.target)
    return seen


def compile_chain(menu: Menu, population: Population | None = None, *,
                  top: Topology | None = None, at: int | None = None,
                  profile: np.ndarray | None = None) -> Chain:
    """Compile the caller model for ``menu`` and ``population`` (default: menu.callers).

    ``at`` (UTC minute of the week) puts every call at one time; ``profile`` weights
    arrivals per UTC minute of the week; by default they follow the population's
    ``arrivals`` (hourly, in its time zone or the menu's clock), else are flat.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: T
    ... start: main
    ... nodes:
    ...   main: {kind: menu, say: Press 1 for a person., options: {1: desk}}
    ...   desk: {kind: agent}
    ... callers: {intents: {talk: {share: 1, goal: desk}}}
    ... ''')
    >>> c = compile_chain(m)
    >>> c.n_states, round(float(c.prob[c.indptr[0]:c.indptr[1]].sum()), 12)
    (3, 1.0)
    """
    pop = population or menu.callers or default_population(menu)
    top = top or Topology.of(menu)
    if profile is None and pop.arrivals is not None:
        profile = hourly_profile(pop.arrivals.hourly, pop.arrivals.tz or clock(menu.schedules))
    by_level = pop.calls_per_hour > 0 and continues(menu)
    hourly = [n.staff for n in menu.nodes.values()
              if n.staff is not None and n.staff.hourly is not None]
    split = staffing_minutes(hourly, clock(menu.schedules)) if by_level and hourly else None
    wk = week(used(menu), profile=profile, at=at, by_level=by_level, split=split)
    return _Compiler(menu, pop, top, wk).run()


def continues(menu: Menu) -> bool:
    """Whether callers sent on from an agent's line at its ``max_wait`` walk on in the
    menu, or into another staffed line (then a caller may meet two queues, and does so
    in the segment of the week it called in)."""
    nodes = menu.nodes
    for node in nodes.values():
        if node.kind == "agent" and node.on_max_wait is not None:
            target = nodes[node.on_max_wait]
            if not target.terminal or (target.kind == "agent" and target.staff is not None):
                return True
    return False


class _Compiler:
    def __init__(self, menu: Menu, pop: Population, top: Topology, wk: Week) -> None:
        self.menu, self.pop, self.top, self.week = menu, pop, top, wk
        n = top.n
        self.nodes = list(menu.nodes.values())
        ev = top.event
        self.first = np.full((len(EVENTS), n), -1, dtype=np.int64)  # first edge of event at node
        for code in range(len(EVENTS)):
            idx = np.flatnonzero(ev == code)
            self.first[code][top.src[idx[::-1]]] = idx[::-1]
        self.opt = np.flatnonzero(ev == _EV["option"])
        self.n_opt = np.bincount(top.src[self.opt], minlength=n)
        single = self.opt[top.keycode[self.opt] >= 0]
        self.n_single = np.bincount(top.src[single], minlength=n)
        # Routes over moves callers can make: an ``on_fail`` retries never reach, or the
        # timeout/invalid edges of a ``retries: 1`` menu, are left out (Topology.taken),
        # as ``ivr paths`` leaves them out; else callers aim for a route they cannot take.
        self.weight = top.only_taken(top.route_weight())
        # Edge targets plus a last element, so edge index -1 (no such edge) is safe.
        self.dst_ext = np.append(top.dst, top.n - 1)
        self._dist: dict[int, np.ndarray] = {}
        self._heard: tuple[np.ndarray, np.ndarray] | None = None
        kinds = top.kind
        self.is_menu = kinds == _K["menu"]
        self.is_input = kinds == _K["input"]
        self.sched_index = {name: i for i, name in enumerate(wk.names)}
        self.node_sched = np.full(n, -1, dtype=np.int64)
        for i, node in enumerate(self.nodes):
            if node.schedule is not None and node.schedule in self.sched_index:
                self.node_sched[i] = self.sched_index[node.schedule]
        # Endings per caller class, from arrays made once: self-service nodes (and which
        # intents each serves), agents.
        self.ss = np.array([i for i, nd in enumerate(self.nodes) if nd.kind == "self_service"],
                           dtype=np.int64)
        self.agents = np.array([i for i, nd in enumerate(self.nodes) if nd.kind == "agent"],
                               dtype=np.int64)
        self.resolvers: dict[str, list[int]] = {}
        self.ss_by_goal: set[int] = set()
        for i in self.ss.tolist():
            resolves = self.nodes[i].resolves
            if resolves is None:
                self.ss_by_goal.add(i)
            else:
                for name in resolves:
                    self.resolvers.setdefault(name, []).append(i)
        self._serving: dict[int, np.ndarray] = {}

    def classes(self) -> list[CallerClass]:
        out = []
        z = self.pop.zero_out
        for i, intent in enumerate(self.pop.intents):
            b = intent.barge_in
            for zero, zw in ((False, 1.0 - z), (True, z)):
                for barge, bw in ((False, 1.0 - b), (True, b)):
                    for k, share in enumerate(self.week.share):
                        w = intent.share * zw * bw * float(share)
                        if w > 0:
                            out.append(CallerClass(i, zero, k, w, barge))
        return out

    def run(self) -> Chain:
        classes = self.classes()
        parts = []
        offset = 0
        starts = []
        for c, cls in enumerate(classes):
            part = self.compile_class(cls, c, offset)
            parts.append(part)
            starts.append(part["start"])
            offset += len(part["node"])
        # Each part is freed as soon as it is joined, each joined array once it is sorted:
        # a large menu's entries are held twice at most, not three times.
        cat = {k: np.concatenate([p.pop(k) for p in parts]) for k in
               ("node", "fail", "cls", "e_state", "e_dst", "e_prob", "e_secs", "e_event", "e_edge")}
        arrive = np.stack([p["arrive"] for p in parts])
        del parts
        keep = cat["e_prob"] > 0
        order = np.argsort(cat["e_state"][keep], kind="stable")
        pick = np.flatnonzero(keep)[order]
        del keep, order
        n_states = offset
        state, dst, prob, secs = (cat.pop(k)[pick] for k in ("e_state", "e_dst", "e_prob",
                                                               "e_secs"))
        entries = resolve_zero_time_cycles(
            n_states, self.top.kind[cat["node"]] == _K["branch"], state, dst, prob, secs,
            cat.pop("e_event")[pick].astype(np.int8), cat.pop("e_edge")[pick])
        del state, dst, prob, secs
        indptr = np.zeros(n_states + 1, dtype=np.int64)
        np.cumsum(np.bincount(entries[0], minlength=n_states), out=indptr[1:])
        return Chain(self.menu, self.pop, self.top, self.week, tuple(classes),
                     np.asarray(starts, dtype=np.int64), cat["node"], cat["fail"], cat["cls"],
                     indptr, *entries[1:], arrive)

    # -- per class ---------------------------------------------------------------------

    def distance(self, intent: int) -> np.ndarray:
        """Route weight from every node to the nearest goal of the intent."""
        if intent not in self._dist:
            goals = [self.top.index[g] for g in self.pop.intents[intent].goals]
            self._dist[intent] = self.top.distances(self.weight, goals, reverse=True)
        return self._dist[intent]

    def endings(self, cls: CallerClass) -> np.ndarray:
        """Per node: -1 - outcome where the call ends, else 0 (a state is made)."""
        top, pop = self.top, self.pop
        intent = pop.intents[cls.intent]
        # Callers whose goal no move they can make reaches (lint UNREACHABLE_GOAL) are not
        # served by whichever person they reach instead: misrouted there.
        reachable = bool(np.isfinite(self.distance(cls.intent)[top.index[self.menu.start]]))
        code = np.zeros(top.n, dtype=np.int64)
        kinds = top.kind
        code[kinds == _K["voicemail"]] = -1 - VOICEMAIL
        code[kinds == _K["transfer"]] = -1 - TRANSFERRED
        code[kinds == _K["callback"]] = -1 - CALLBACK
        code[(kinds == _K["hangup"]) | (kinds == _K["(hangup)"])] = -1 - DISCONNECTED
        code[self.ss] = -1 - MISROUTED
        code[self.serving(cls.intent)] = -1 - SERVED
        code[self.agents] = -1 - (HUMAN if reachable else MISROUTED)
        sched = self.node_sched[self.agents]
        if self.week.names and len(sched):
            closed = (sched >= 0) & ~self.week.sets[cls.open_set][np.maximum(sched, 0)]
            code[self.agents[closed]] = 0
        for g in intent.goals:  # reaching a goal that is not an ending satisfies the caller
            i = top.index[g]
            if not self.nodes[i].terminal:
                code[i] = -1 - SERVED
        return code

    def key_edges(self, key: str) -> np.ndarray:
        """Option edges bound to ``key``."""
        top = self.top
        if key in KEYPAD:
            return self.opt[top.keycode[self.opt] == KEYPAD.index(key)]
        return np.array(sorted(e for e, k in top.typed.items() if k == key), dtype=np.int64)

    def serving(self, intent: int) -> np.ndarray:
        """The self-service nodes that serve an intent: those that list it in ``resolves``,
        and those without ``resolves`` that are its goal (once per intent, not per node
        and class)."""
        if intent not in self._serving:
            it = self.pop.intents[intent]
            index = self.top.index
            by_goal = [index[g] for g in it.goals if index[g] in self.ss_by_goal]
            self._serving[intent] = np.array(self.resolvers.get(it.name, []) + by_goal,
                                             dtype=np.int64)
        return self._serving[intent]

    def aims(self, cls: CallerClass, live: np.ndarray, belief: str | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
        """Per menu node: the option edge the caller means to press, or _UNIFORM; and
        which menu nodes offer the ``belief`` key (pressed there instead of the aim,
        unless the caller zeroes out and 0 is offered)."""
        top = self.top
        n = top.n
        aim = np.full(n, _UNIFORM, dtype=np.int64)
        offers = np.zeros(n, dtype=bool)
        opt = self.opt[live[top.src[self.opt]]]
        if len(opt):
            cost = self.weight[opt] + self.distance(cls.intent)[top.dst[opt]]
            ok = np.isfinite(cost)
            o = opt[ok]
            # Ties (the same actions and seconds; the distances count each move by a
            # hair, so fewer moves win) go to keypad order, typed extensions last.
            pad = np.where(top.keycode[o] >= 0, top.keycode[o], len(KEYPAD) + np.arange(len(o)))
            order = np.lexsort((pad, cost[ok], top.src[o]))
            o = o[order]
            first = np.ones(len(o), dtype=bool)
            first[1:] = top.src[o][1:] != top.src[o][:-1]
            aim[top.src[o[first]]] = o[first]
            zero = opt[top.keycode[opt] == _ZERO]
            if not cls.zero_out:
                no_aim = aim[top.src[zero]] == _UNIFORM
                aim[top.src[zero[no_aim]]] = zero[no_aim]
            if belief is not None:
                told = self.key_edges(belief)
                told = told[live[top.src[told]]]
                aim[top.src[told]] = told
                offers[top.src[told]] = True
            if cls.zero_out:
                aim[top.src[zero]] = zero
        return aim, offers

    def heard(self) -> tuple[np.ndarray, np.ndarray]:
        """Per option edge, the share of its menu's prompt heard when the clause naming
        its key ends; per node, the share of its first word (for callers who barge in)."""
        if self._heard is None:
            top = self.top
            share = np.ones(len(top.src))
            first = np.ones(top.n)
            for v in np.unique(top.src[self.opt]).tolist():
                node = self.nodes[v]
                language = self.menu.language_of(node)
                shares = heard_shares(node, language)
                first[v] = first_word_share(node, language)
                lo = int(np.searchsorted(top.src, v))
                hi = int(np.searchsorted(top.src, v, side="right"))
                for e in range(lo, hi):
                    if top.event[e] == _EV["option"]:
                        share[e] = shares.get(top.key(e) or "", 1.0)
            self._heard = share, first
        return self._heard

    def compile_class(self, cls: CallerClass, c: int, offset: int) -> dict[str, np.ndarray]:
        """The states of one class: a layer per key of its intent's ``presses`` still to
        press, then a last layer where the model's aim rules (the only one without
        beliefs). Pressing an option in layer b moves to layer b + 1 where the menu offered
        the believed key, else to the last layer; every other move stays in the layer."""
        top = self.top
        n = top.n
        ending = self.endings(cls)
        live = ending == 0
        counts = np.where(live, np.where(self.is_menu | self.is_input, top.retries, 1), 0)
        base = np.zeros(n, dtype=np.int64)
        np.cumsum(counts[:-1], out=base[1:])
        size = int(counts.sum())
        presses = self.pop.intents[cls.intent].presses
        n_layers = len(presses) + 1
        # Where arriving at a node leads in each layer (failures 0).
        dests = np.stack([np.where(live, base + offset + b * size, ending)
                          for b in range(n_layers)])
        nodes = np.repeat(np.arange(n), counts)
        fails = np.arange(len(nodes)) - np.repeat(base, counts)
        out: dict[str, list[np.ndarray]] = {k: [] for k in
                                            ("state", "dst", "prob", "secs", "event", "edge")}
        for b in range(n_layers):
            belief = presses[b] if b < len(presses) else None
            self.compile_layer(cls, live, base + offset + b * size, offset + b * size,
                               dests, b, belief, nodes, fails, out)
        return {
            "node": np.tile(nodes, n_layers), "fail": np.tile(fails, n_layers),
            "cls": np.full(len(nodes) * n_layers, c, dtype=np.int64),
            "e_state": np.concatenate(out["state"]).astype(np.int64),
            "e_dst": np.concatenate(out["dst"]).astype(np.int64),
            "e_prob": np.concatenate(out["prob"]),
            "e_secs": np.concatenate(out["secs"]),
            "e_event": np.concatenate(out["event"]),
            "e_edge": np.concatenate(out["edge"]),
            "start": np.int64(dests[0][top.index[self.menu.start]]),
            "arrive": dests[-1],
        }

    def compile_layer(self, cls: CallerClass, live: np.ndarray, base: np.ndarray,
                      offset: int, dests: np.ndarray, layer: int, belief: str | None,
                      nodes: np.ndarray, fails: np.ndarray,
                      out: dict[str, list[np.ndarray]]) -> None:
        """The rows of one layer's states (node v's first state is ``base[v]``, the
        layer's first state ``offset``)."""
        top, pop = self.top, self.pop
        dest = dests[layer]
        last = len(dests) - 1

        def add(state: np.ndarray, dst: np.ndarray, prob: np.ndarray | float,
                secs: np.ndarray | float, event: np.ndarray | int,
                edge: np.ndarray | int) -> None:
            m = len(state)
            out["state"].append(state)
            out["dst"].append(dst)
            out["prob"].append(_column(prob, m, np.float64))
            out["secs"].append(_column(secs, m, np.float64))
            out["event"].append(_column(event, m, np.int64))
            out["edge"].append(_column(edge, m, np.int64))

        s, mis, conf = pop.silence, pop.mistake_rate, pop.confusion
        prompt = top.prompt
        # Menus and inputs: one state per failure count.
        retry = live & (self.is_menu | self.is_input)
        rs = np.flatnonzero(retry[nodes])          # local state indices
        rv = nodes[rs]                             # their nodes
        rf = fails[rs]
        rstate = rs + offset
        # Presses that go somewhere: options of menus, `next` of inputs.
        aim, offers = self.aims(cls, live & self.is_menu, belief)
        opt = self.opt[live[top.src[self.opt]]]
        if len(opt):
            v = top.src[opt]
            k = self.n_opt[v]
            a = aim[v]
            choose = np.where(a == _UNIFORM, 1.0 / k,
                              np.where(opt == a, np.where(k > 1, 1.0 - conf, 1.0),
                                       conf / np.maximum(k - 1, 1)))
            p = (1.0 - s) * ((1.0 - mis) * choose + np.where(top.keycode[opt] >= 0, mis / 12, 0))
            reps = top.retries[v]
            e_rep = np.repeat(opt, reps)
            f_rep = np.arange(len(e_rep)) - np.repeat(np.cumsum(reps) - reps, reps)
            # An option pressed while the belief holds spends one of its keys.
            to_layer = np.where(offers[v], layer + 1, last) if layer < last else \
                np.full(len(opt), last)
            secs = prompt[top.src[e_rep]]
            if cls.barge:
                heard, first = self.heard()
                knows = (opt == a) & (offers[v] | (cls.zero_out & (top.keycode[opt] == _ZERO)))
                share = np.where(np.repeat(knows, reps) | (f_rep > 0), first[top.src[e_rep]],
                                 heard[e_rep])
                secs = prefix_seconds(secs, share)
            add(base[top.src[e_rep]] + f_rep, dests[np.repeat(to_layer, reps), top.dst[e_rep]],
                np.repeat(p, reps), secs, _EV["option"], e_rep)
        inputs = self.is_input[rv]
        nxt = self.first[_EV["next"]][rv]
        iv = inputs
        add(rstate[iv], np.where(nxt[iv] >= 0, dest[self.dst_ext[nxt[iv]]],
                                 -1 - STUCK), (1.0 - s) * (1.0 - mis), prompt[rv[iv]],
            _EV["next"], nxt[iv])
        # Failures: invalid key and silence; the last one allowed goes to on_fail.
        k_single = self.n_single[rv]
        p_invalid = np.where(inputs, (1.0 - s) * mis,
                             np.where(self.n_opt[rv] == 0, 1.0 - s,
                                      (1.0 - s) * mis * (12 - k_single) / 12))
        last_try = rf + 1 >= top.retries[rv]
        fail_edge = self.first[_EV["fail"]][rv]
        failures: tuple[tuple[str, np.ndarray | float, np.ndarray | float], ...] = (
            ("invalid", p_invalid, 0.0), ("timeout", s, top.timeout[rv]))
        for event, p_fail, extra in failures:
            again = self.first[_EV[event]][rv]
            again_to = top.dst[again]
            retry_dst = np.where(again_to == rv, rstate + 1, dest[again_to])
            final_dst = dest[top.dst[fail_edge]]
            add(rstate, np.where(last_try, final_dst, retry_dst), p_fail, prompt[rv] + extra,
                np.where(last_try, _EV["fail"], _EV[event]),
                np.where(last_try, fail_edge, again))
        # Single-state nodes: messages, branches, agents closed at this time.
        one = np.flatnonzero(live[nodes] & ~(self.is_menu | self.is_input)[nodes])
        ov = nodes[one]
        ostate = one + offset
        kinds = top.kind[ov]
        msg = kinds == _K["message"]
        e = self.first[_EV["next"]][ov[msg]]
        add(ostate[msg], np.where(e >= 0, dest[self.dst_ext[e]], -1 - STUCK), 1.0,
            prompt[ov[msg]], _EV["next"], e)
        agent = kinds == _K["agent"]
        e = self.first[_EV["closed"]][ov[agent]]
        add(ostate[agent], dest[top.dst[e]], 1.0, prompt[ov[agent]], _EV["closed"], e)
        branch = kinds == _K["branch"]
        bv, bstate = ov[branch], ostate[branch]
        chance_nodes = self.first[_EV["chance"]][bv] >= 0
        ch = np.flatnonzero(top.event == _EV["chance"])
        ch = ch[live[top.src[ch]]]
        add(base[top.src[ch]], dest[top.dst[ch]], top.chance[ch], 0.0, _EV["chance"], ch)
        sv, sstate = bv[~chance_nodes], bstate[~chance_nodes]
        if len(sv):
            sched = self.node_sched[sv]
            is_open = (sched >= 0) & self.week.sets[cls.open_set][np.maximum(sched, 0)] \
                if self.week.names else np.zeros(len(sv), dtype=bool)
            e = np.where(is_open, self.first[_EV["open"]][sv], self.first[_EV["closed"]][sv])
            add(sstate, np.where(e >= 0, dest[self.dst_ext[e]], -1 - STUCK), 1.0,
                0.0, np.where(is_open, _EV["open"], _EV["closed"]), e)


def _column(x: np.ndarray | float, m: int, dtype: type) -> np.ndarray:
    """``x`` as ``m`` values (a number repeated)."""
    a: np.ndarray = np.asarray(x, dtype)
    return a if a.ndim else np.full(m, a)


#: A cycle of branches resolved exactly needs a dense solve of (states x exits) values; past
#: this many, its callers are left to the step cap (the simulator says how many it decided).
MAX_RESOLVED = 10_000_000

Entries = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def resolve_zero_time_cycles(n: int, zero_time: np.ndarray, state: np.ndarray,
                             dst: np.ndarray, prob: np.ndarray, secs: np.ndarray,
                             event: np.ndarray, edge: np.ndarray) -> Entries:
    """Entries (sorted by state) with every cycle of zero-time states resolved exactly.

    A branch (``chance`` or ``schedule``) takes no time and no action, so callers going
    round a cycle of branches (a chance that returns to itself with 0.999999) leave it by
    one of its exits with the chance that the cycle's absorption gives: each state of the
    cycle gets one entry per exit, ``(I - Q)^-1 R``. Exact and simulated then agree, where
    a simulated caller would otherwise go round a million times and meet the step cap. A
    cycle with no exit at all is a trap: its callers end ``stuck`` at once.

    Examples
    --------
    >>> st, d, p, s, ev, ed = resolve_zero_time_cycles(
    ...     2, np.array([True, False]), np.array([0, 0, 1]), np.array([0, 1, -1]),
    ...     np.array([0.9, 0.1, 1.0]), np.zeros(3), np.zeros(3, np.int8), np.arange(3))
    >>> st.tolist(), d.tolist(), p.round(12).tolist(), ed.tolist()
    ([0, 1], [1, -1], [1.0, 1.0], [1, 2])
    """
    out = (state, dst, prob, secs, event, edge)
    inner = (dst >= 0) & zero_time[state] & zero_time[np.maximum(dst, 0)] & (secs == 0)
    if not inner.any():
        return out
    label = strong_components(n, state[inner], dst[inner])
    size = np.bincount(label, minlength=n)
    loops = state[inner & (state == dst)]
    cyclic = np.zeros(n, dtype=bool)
    cyclic[zero_time & (size[label] > 1)] = True
    cyclic[loops] = True
    if not cyclic.any():
        return out
    drop = cyclic[state]
    new: list[tuple[np.ndarray, ...]] = []
    groups = np.unique(label[cyclic])
    rows = np.flatnonzero(drop)
    by_group = label[state[rows]]
    for g in groups.tolist():
        mine = rows[by_group == g]
        members = np.unique(state[mine])
        local = {int(s): i for i, s in enumerate(members.tolist())}
        k = len(members)
        inside = (dst[mine] >= 0) & (label[np.maximum(dst[mine], 0)] == g) & \
            cyclic[np.maximum(dst[mine], 0)]
        leave = mine[~inside]
        if k * max(len(leave), 1) > MAX_RESOLVED:
            drop[mine] = False  # too large to resolve: left as it was
            continue
        a = np.eye(k)
        stay = mine[inside]
        np.add.at(a, ([local[int(s)] for s in state[stay].tolist()],
                      [local[int(s)] for s in dst[stay].tolist()]), -prob[stay])
        if len(leave):
            r = np.zeros((k, len(leave)))
            r[[local[int(s)] for s in state[leave].tolist()], np.arange(len(leave))] = \
                prob[leave]
            x = np.linalg.lstsq(a, r, rcond=None)[0] if k > 1 or a[0, 0] < 1e-300 \
                else r / a[0, 0]
            x = np.clip(x, 0.0, None)
            x /= np.maximum(x.sum(axis=1, keepdims=True), 1e-300)
        if not len(leave) or not np.isfinite(x).all():  # a closed loop: stuck at once
            new.append((members, np.full(k, -1 - STUCK), np.ones(k), np.zeros(k),
                        np.full(k, event[mine[0]], dtype=np.int8), np.full(k, -1)))
            continue
        si, ji = np.nonzero(x > 0)
        new.append((members[si], dst[leave][ji], x[si, ji], secs[leave][ji],
                    event[leave][ji], edge[leave][ji]))
    if not new:
        return out
    keep = ~drop
    parts = [np.concatenate([a[keep], *(p[i] for p in new)]) for i, a in enumerate(out)]
    order = np.argsort(parts[0], kind="stable")
    return tuple(p[order].astype(o.dtype) for p, o in zip(parts, out, strict=True))  # type: ignore[return-value]


__all__ = ["CALLBACK", "OUTCOMES", "CallerClass", "Chain", "compile_chain", "continues",
           "default_population"]
