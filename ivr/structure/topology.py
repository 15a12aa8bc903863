"""A menu as integer arrays, for structural questions that must stay fast on huge menus.

Lint and the cheat sheet ask reachability, components and shortest paths of every node.
networkx takes ~5 s just to build a 100,000-node MultiDiGraph here, so these questions are
answered over edge arrays (:mod:`ivr.structure.search`: plain Python for menus people
write, scipy's compiled graph routines for huge ones); ``ivr.structure.graph.to_graph``
remains the networkx view for users, and a test checks both agree.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from itertools import chain, repeat
from operator import attrgetter
from typing import Any, cast

import numpy as np

from ivr.gcpause import paused_gc
from ivr.model import EVENTS, HANGUP, KEYPAD, KINDS, TERMINAL_KINDS, Menu, Node, made
from ivr.structure.search import _matrix, distances, reaching, strong_components, tree

#: Weight of an edge that costs nothing, so sparse matrices do not drop it.
_EPS = 1e-9


# No slots: lint builds tens of thousands of these with ivr.model.made.
@dataclass(frozen=True)
class Step:
    """One move of a caller: at ``node``, this ``event`` (with ``key`` for an option)."""

    node: str
    event: str
    target: str
    key: str | None = None
    seconds: float = 0.0


def step_words(step: Step, menu: Menu) -> str | None:
    """How a caller does one step (``2``, ``wait``, ``(enter 8 digits)``, ``(-> found)``);
    None for steps the caller does not take part in."""
    node = menu.nodes.get(step.node)
    event = step.event
    if event == "option":
        return step.key
    if event == "timeout":
        return "wait"
    if event == "invalid":
        return "wrong key"
    if event == "fail":
        return _fail_words(node) if node is not None else "no valid key"
    if event in ("open", "closed"):
        return f"(if {event})"
    if event == "chance":
        return f"(-> {step.target})"
    if event == "max_wait":
        return f"(no answer in {step.seconds:g} s)"
    if event == "next" and node is not None and node.kind == "input":
        return f"(enter {node.digits} digits)" if node.digits else "(enter digits)"
    return None


def _fail_words(node: Node) -> str:
    """The fastest way to run out of a node's retries, as the caller model counts them:
    ``no valid key x3`` when wrong keys (or silences) retry the node, ``wait x2, wrong
    key`` when only silences do (``on_invalid`` points elsewhere), ``wait x3`` when no key
    is wrong there either (every key is an option). :meth:`Topology.of` costs the same.

    Examples
    --------
    >>> from dataclasses import replace
    >>> from ivr.model import Option, Source
    >>> menu = Node("m", "menu", Source("m.yaml"), options=(Option("1", "a"),), retries=3,
    ...             on_timeout="m", on_invalid="a")
    >>> _fail_words(menu), _fail_words(replace(menu, on_invalid="m"))
    ('wait x2, wrong key', 'no valid key x3')
    """
    retries = node.retries or 1
    again = {ex.event for ex in node.exits() if ex.target == node.id}
    wrong = node.kind == "input" or sum(o.key in _KEYCODE for o in node.options) < len(KEYPAD)
    if retries == 1 or (wrong and "invalid" in again):
        return f"no valid key x{retries}"
    waits = retries - 1 if wrong else retries
    text = "wait" if waits == 1 else f"wait x{waits}"
    return f"{text}, wrong key" if wrong else text


def describe(path: tuple[Step, ...], menu: Menu) -> str:
    """A key sequence such as ``2, 0`` or ``1, (enter 8 digits), (-> found), 3``."""
    words = [w for w in (step_words(s, menu) for s in path) if w is not None]
    if words:
        return ", ".join(words)
    return "(at the start)" if not path else "(no keys)"


_CODE = {e: i for i, e in enumerate(EVENTS)}
_KEYCODE = {k: i for i, k in enumerate(KEYPAD)}
KIND_CODES = (*KINDS, "(hangup)")
_MENU, _MESSAGE = KIND_CODES.index("menu"), KIND_CODES.index("message")
#: Kinds whose exits come from Node.exits() one node at a time (the others have none, or
#: are menus and messages, gathered column by column).
_BY_NODE = [KIND_CODES.index(k) for k in ("input", "branch", "agent")]


def _edges(
    nodes: list[Node], kind: np.ndarray, index: dict[str | None, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[int, str]]:
    """The exits of ``nodes`` node by node, each in :meth:`Node.exits`'s order, as columns:
    per node the count, per edge the target's index, event code, keycode (-1: none, or a
    typed key, which ``typed`` holds by edge), probability (0 but for chance edges).

    Menus and messages, most nodes of a large menu, are gathered column by column with
    ``map`` over lists (a 100,000-node menu has 400,000 exits: one ``Exit`` record each
    costs half a second); inputs, branches and agents with a schedule or a line limit
    take :meth:`Node.exits`.
    """
    n = len(nodes)
    counts = np.zeros(n, dtype=np.int64)
    menus = np.flatnonzero(kind[:n] == _MENU).tolist()
    options = [nodes[i].options for i in menus]
    k = np.fromiter(map(len, options), dtype=np.int64, count=len(menus))
    counts[menus] = k + 3
    messages = np.flatnonzero(kind[:n] == _MESSAGE).tolist()
    nexts = [nodes[i].next for i in messages]
    moved = [t is not None for t in nexts]
    counts[messages] = moved
    rest = [i for i in np.flatnonzero(np.isin(kind[:n], _BY_NODE)).tolist()
            if (nd := nodes[i]).kind != "agent" or nd.schedule is not None
            or nd.max_wait is not None]
    exits = [nodes[i].exits() for i in rest]
    counts[rest] = list(map(len, exits))
    first = np.cumsum(counts) - counts
    size = int(counts.sum())
    dst = np.empty(size, dtype=np.int64)
    event = np.empty(size, dtype=np.int8)
    keycode = np.full(size, -1, dtype=np.int8)
    probability = np.zeros(size, dtype=float)
    get = index.__getitem__
    # Menus: their options, then timeout, invalid and fail.
    at = first[menus]
    opt = np.repeat(at - (np.cumsum(k) - k), k) + np.arange(int(k.sum()))
    flat = list(chain.from_iterable(options))
    keys = list(map(attrgetter("key"), flat))
    dst[opt] = list(map(get, map(attrgetter("target"), flat)))
    event[opt] = _CODE["option"]
    keycode[opt] = list(map(_KEYCODE.get, keys, repeat(-1)))
    typed = {} if all(map(_KEYCODE.__contains__, keys)) else {
        int(opt[j]): key for j, key in enumerate(keys) if key not in _KEYCODE}
    menu_nodes = [nodes[i] for i in menus]
    for j, (event_name, targets) in enumerate((
            ("timeout", [nd.on_timeout or nd.id for nd in menu_nodes]),
            ("invalid", [nd.on_invalid or nd.id for nd in menu_nodes]),
            ("fail", [nd.on_fail for nd in menu_nodes]))):
        dst[at + k + j] = list(map(get, targets))
        event[at + k + j] = _CODE[event_name]
    # Messages: their next, if any.
    at = first[messages][moved]
    dst[at] = list(map(get, [t for t in nexts if t is not None]))
    event[at] = _CODE["next"]
    # The others, from their exits (which may be none: a branch with no route yet).
    rows = list(chain.from_iterable(exits))
    if rows:
        lens = counts[rest]
        at = np.repeat(first[rest] - (np.cumsum(lens) - lens), lens) + np.arange(len(rows))
        events, ends, ekeys, chances = zip(*rows, strict=True)
        dst[at] = list(map(get, ends))
        event[at] = list(map(_CODE.__getitem__, events))
        keycode[at] = list(map(_KEYCODE.get, ekeys, repeat(-1)))
        probability[at] = [p or 0.0 for p in chances]
        typed.update((int(at[j]), key) for j, key in enumerate(ekeys)
                     if key is not None and key not in _KEYCODE)
    return counts, dst, event, keycode, probability, dict(sorted(typed.items()))


@dataclass
class Topology:
    """Nodes as indices (the implicit hang-up last) and one row per exit.

    Per node: ``kind`` (index into KIND_CODES), ``prompt`` seconds, ``terminal``. Per edge:
    ``src``, ``dst``, ``event`` (index into EVENTS), ``keycode`` (index into KEYPAD or -1),
    ``actions`` and ``seconds`` it takes a caller at its fastest, and whether the caller
    model ever ``taken`` it. Edges are made node by node, so ``src`` is sorted.

    Costs follow the caller model (README, "The caller model"): a step costs the prompt of
    the node left, plus the timeout for a silence; branches take no time, an agent's
    ``max_wait`` edge its longest wait (no caller action). Failures count
    only while they retry the node (``on_invalid``/``on_timeout`` pointing back), so a
    ``fail`` edge costs ``retries`` failures, wrong keys where they retry the node, else
    silences except the last (where a wrong key also goes to ``on_fail``), and is never
    taken when neither retries it. At a node with ``retries: 1`` the first failure is the
    last: its ``timeout`` and ``invalid`` edges are never taken (the ``fail`` edge is), nor
    is ``invalid`` where every key is an option.
    """

    menu: Menu
    ids: list[str]
    index: dict[str, int]
    kind: np.ndarray
    prompt: np.ndarray
    terminal: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    event: np.ndarray
    keycode: np.ndarray
    actions: np.ndarray
    seconds: np.ndarray
    #: Edge index -> key for options typed as several keys ("1000"); their keycode is -1.
    typed: dict[int, str]
    #: Per node: seconds of silence before a timeout, failures allowed (1 for non-inputs).
    timeout: np.ndarray
    retries: np.ndarray
    #: Per edge: the probability of a ``chance`` edge, else 0.
    chance: np.ndarray
    #: Per edge: False where the caller model never moves (see the class docstring).
    taken: np.ndarray

    @classmethod
    def of(cls, menu: Menu) -> Topology:
        with paused_gc():
            return cls._build(menu)

    @classmethod
    def _build(cls, menu: Menu) -> Topology:
        ids = list(menu.nodes)
        ids.append(HANGUP)
        index = dict(zip(ids, range(len(ids)), strict=True))
        n = len(ids)
        hang = n - 1
        kind_code = {k: i for i, k in enumerate(KIND_CODES)}
        nodes = list(menu.nodes.values())
        # Column by column, with map() over plain lists: a 100,000-node menu has 400,000
        # exits, and per-element numpy stores or comprehensions cost a good part of a second.
        kind = np.array([*map(kind_code.__getitem__, map(attrgetter("kind"), nodes)),
                         kind_code["(hangup)"]], dtype=np.int8)
        prompt = np.array([*map(attrgetter("seconds"), nodes), 0.0], dtype=float)
        timeout = np.array([0.0 if nd.timeout is None else nd.timeout for nd in nodes] + [0.0],
                           dtype=float)
        retries = np.array([1 if nd.retries is None else nd.retries for nd in nodes] + [1],
                           dtype=float)
        longest = np.array([nd.max_wait or 0.0 for nd in nodes] + [0.0], dtype=float)
        index_none = cast("dict[str | None, int]", index.copy())
        index_none[None] = hang  # no target: the system hangs up
        counts, d, ev, kc, probability, typed = _edges(nodes, kind, index_none)
        s = np.repeat(np.arange(len(nodes), dtype=np.int64), counts)
        is_fail, is_timeout, is_invalid = (ev == _CODE[e] for e in ("fail", "timeout", "invalid"))
        is_input = kind == kind_code["input"]
        pressed = (ev == _CODE["option"]) | is_timeout | is_invalid
        pressed |= (ev == _CODE["next"]) & is_input[s]  # typing digits
        # Per node: a wrong key exists (an input takes any wrong entry, a menu any key not
        # among its options), a wrong key retries it, a silence retries it.
        singles = np.bincount(s[(ev == _CODE["option"]) & (kc >= 0)], minlength=n)
        wrong = is_input | ((kind == kind_code["menu"]) & (singles < len(KEYPAD)))
        wrong_again = np.zeros(n, dtype=bool)
        wrong_again[s[is_invalid & (d == s)]] = True
        wrong_again &= wrong
        silence_again = np.zeros(n, dtype=bool)
        silence_again[s[is_timeout & (d == s)]] = True
        r = retries[s]
        # A fail step: ``retries`` failures, the fastest the model counts them (as
        # _fail_words says them): wrong keys if they retry the node, else silences and a
        # last wrong key (a silence where no key is wrong).
        fail_seconds = (r * prompt[s] + (r - 1) * np.where(wrong_again[s], 0.0, timeout[s])
                        + np.where(wrong[s], 0.0, timeout[s]))
        actions = np.where(pressed, 1.0, np.where(is_fail, r, 0.0))
        seconds = np.where(is_fail, fail_seconds, prompt[s])
        seconds += np.where(is_timeout, timeout[s], 0.0)
        seconds[kind[s] == kind_code["branch"]] = 0.0  # branches take no time
        limit = ev == _CODE["max_wait"]  # an agent's line: its longest wait, no prompt
        seconds[limit] = longest[s[limit]]
        taken = np.ones(len(s), dtype=bool)
        taken[is_timeout | is_invalid] = r[is_timeout | is_invalid] > 1
        taken[is_invalid] &= wrong[s[is_invalid]]
        taken[is_fail] = ((r == 1) | wrong_again[s] | silence_again[s])[is_fail]
        terminal = np.isin(kind, [kind_code[k] for k in TERMINAL_KINDS]) | (np.arange(n) == hang)
        return cls(menu, ids, index, kind, prompt, terminal, s, d, ev, kc,
                   actions, seconds, typed, timeout, retries.astype(np.int64),
                   probability, taken)

    def is_kind(self, *names: str) -> np.ndarray:
        """Mask of nodes of these kinds (``"(hangup)"`` is the implicit hang-up)."""
        return np.isin(self.kind, [KIND_CODES.index(k) for k in names])

    @property
    def n(self) -> int:
        return len(self.ids)

    def key(self, edge: int) -> str | None:
        """The key of an option edge (``2``, or a typed ``1000``); None for other edges."""
        kc = int(self.keycode[edge])
        return KEYPAD[kc] if kc >= 0 else self.typed.get(edge)

    def only_taken(self, weight: np.ndarray) -> np.ndarray:
        """``weight`` without the edges the caller model never takes (made infinite, which
        :meth:`matrix` leaves out), for routes a caller can actually follow."""
        return np.where(self.taken, weight, np.inf)

    def matrix(self, weight: np.ndarray | None = None, reverse: bool = False) -> Any:
        """Adjacency (one entry per node pair, the lightest edge) as a scipy CSR matrix;
        edges of infinite weight are left out."""
        w = np.ones(len(self.src)) if weight is None else weight + _EPS
        a, b = (self.dst, self.src) if reverse else (self.src, self.dst)
        keep = np.isfinite(w)
        return _matrix(self.n, a[keep], b[keep], w[keep])

    def reaching(self, targets: np.ndarray) -> np.ndarray:
        """Mask of nodes from which some node in the ``targets`` mask is reachable."""
        return reaching(self.n, self.src, self.dst, targets)

    def distances(self, weight: np.ndarray, sources: list[int],
                  reverse: bool = False) -> np.ndarray:
        """Per node, the lightest ``weight`` from any of ``sources`` (to them when
        ``reverse``); infinite weights are edges left out."""
        a, b = (self.dst, self.src) if reverse else (self.src, self.dst)
        return distances(self.n, a, b, weight + _EPS, sources)

    def route_weight(self) -> np.ndarray:
        """Fewest caller actions first, then fewest seconds."""
        return self.actions * 1e6 + self.seconds

    def sccs(self) -> np.ndarray:
        """Strongly connected component label per node."""
        return strong_components(self.n, self.src, self.dst)

    def attracting(self, exclude: np.ndarray | None = None) -> list[list[int]]:
        """Components no edge leaves (networkx's attracting components), as node lists.

        Components holding any node of the ``exclude`` mask are left out.
        """
        labels = self.sccs()
        leaky = np.zeros(int(labels.max()) + 1 if len(labels) else 0, dtype=bool)
        cross = labels[self.src] != labels[self.dst]
        leaky[labels[self.src[cross]]] = True
        if exclude is not None:
            leaky[labels[exclude]] = True
        nodes = np.flatnonzero(~leaky[labels])
        nodes = nodes[np.argsort(labels[nodes], kind="stable")]
        cuts = np.flatnonzero(np.diff(labels[nodes])) + 1
        return [part.tolist() for part in np.split(nodes, cuts)] if len(nodes) else []


#: Routes memoised every this many steps along a chain (see Routes.steps).
MEMO_EVERY = 64


class Routes:
    """Shortest routes from one node under a per-edge weight, with memoised step lists."""

    def __init__(self, top: Topology, start: str, weight: np.ndarray) -> None:
        self.top = top
        self.start = start
        root = top.index[start]
        w = weight + _EPS
        self.dist = top.distances(weight, [root])
        # For each node, its edge on a shortest route (the same whichever search ran).
        self.best = tree(self.dist, top.src, top.dst, w, root)
        self.reached = np.isfinite(self.dist)
        self._memo: dict[int, tuple[Step, ...]] = {top.index[start]: ()}
        self._words: dict[int, tuple[str, ...]] = {top.index[start]: ()}
        # Per node, the node before it and the step from there, made when first asked:
        # lint walks tens of thousands of routes through the same nodes.
        self._before: list[int] | None = None
        self._into: dict[int, Step] = {}

    def before(self) -> list[int]:
        """Per node, the node before it on its route (meaningless for the start and the
        nodes not reached)."""
        if self._before is None:
            self._before = self.top.src[self.best].tolist()
        return self._before

    def steps(self, i: int) -> tuple[Step, ...]:
        """The steps from the start to node ``i`` (empty if unreachable or the start)."""
        memo = self._memo
        if i in memo:
            return memo[i]
        if not self.reached[i]:
            return ()
        chain, v = self._back_to(i, memo)
        path = list(memo[v])
        # Every node's whole route memoised would hold n^2/2 steps on a chain of n messages:
        # keep every MEMO_EVERY-th (and the one asked for), so a later call walks few links.
        for k, v in enumerate(reversed(chain), 1):
            path.append(self._step(v))
            if k % MEMO_EVERY == 0:
                memo[v] = tuple(path)
        memo[i] = tuple(path)
        return memo[i]

    def _back_to(self, i: int, known: Container[int]) -> tuple[list[int], int]:
        """The nodes from ``i`` back along its route (``i`` first) until the first one
        in ``known``, and that node."""
        chain = []
        v = i
        before = self.before()
        while v not in known:
            chain.append(v)
            v = before[v]
        return chain, v

    def _step(self, v: int) -> Step:
        """The last step of the route to ``v``: its best edge."""
        step = self._into.get(v)
        if step is None:
            top, e = self.top, int(self.best[v])
            step = self._into[v] = made(Step, {
                "node": top.ids[int(top.src[e])], "event": EVENTS[top.event[e]],
                "target": top.ids[v], "key": top.key(e), "seconds": float(top.seconds[e])})
        return step

    def keys(self, i: int) -> str:
        """:func:`describe` of :meth:`steps` ``(i)``, each node's words kept for the nodes
        after it (lint describes thousands of routes that share their beginnings)."""
        words = self._words
        if i not in words:
            path = self.steps(i)
            if not path:
                return describe(path, self.top.menu)
            chain, v = self._back_to(i, words)
            done = words[v]
            # The route's last steps lead to the nodes of the chain, in its order.
            for v, step in zip(reversed(chain), path[len(path) - len(chain):], strict=True):
                word = step_words(step, self.top.menu)
                done = done if word is None else (*done, word)
                words[v] = done
        found = words[i]
        if found:
            return ", ".join(found)
        return "(at the start)" if i == self.top.index[self.start] else "(no keys)"
