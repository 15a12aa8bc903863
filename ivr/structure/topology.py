"""A menu as integer arrays, for structural questions that must stay fast on huge menus.

Lint and the cheat sheet ask reachability, components and shortest paths of every node.
networkx takes ~5 s just to build a 100,000-node MultiDiGraph here, so these questions are
answered with scipy's compiled graph routines over edge arrays; ``ivr.structure.graph.to_graph``
remains the networkx view for users, and a test checks both agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix, csgraph, csr_matrix

from ivr.gcpause import paused_gc
from ivr.model import EVENTS, HANGUP, KEYPAD, KINDS, TERMINAL_KINDS, Menu, Node

#: Weight of an edge that costs nothing, so sparse matrices do not drop it.
_EPS = 1e-9


@dataclass(frozen=True, slots=True)
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


def reaching(n: int, src: np.ndarray, dst: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Of ``n`` vertices with edges ``src -> dst``: those that can reach a ``targets`` vertex.

    One breadth-first search over the reversed edges from an extra vertex pointing at
    every target.

    Examples
    --------
    >>> reaching(3, np.array([0, 1]), np.array([1, 2]), np.array([False, True, False]))
    array([ True,  True, False])
    """
    if not targets.any():
        return np.zeros(n, dtype=bool)
    t = np.flatnonzero(targets)
    rows = np.concatenate([dst, np.full(len(t), n)])
    cols = np.concatenate([src, t])
    rev = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1)).tocsr()
    order = csgraph.breadth_first_order(rev, n, directed=True, return_predecessors=False)
    mask = np.zeros(n + 1, dtype=bool)
    mask[order] = True
    return mask[:n]


_CODE = {e: i for i, e in enumerate(EVENTS)}
_KEYCODE = {k: i for i, k in enumerate(KEYPAD)}
KIND_CODES = (*KINDS, "(hangup)")


@dataclass
class Topology:
    """Nodes as indices (the implicit hang-up last) and one row per exit.

    Per node: ``kind`` (index into KIND_CODES), ``prompt`` seconds, ``terminal``. Per edge:
    ``src``, ``dst``, ``event`` (index into EVENTS), ``keycode`` (index into KEYPAD or -1),
    ``actions`` and ``seconds`` it takes a caller at its fastest, and whether the caller
    model ever ``taken`` it. Edges are made node by node, so ``src`` is sorted.

    Costs follow the caller model (README, "The caller model"): a step costs the prompt of
    the node left, plus the timeout for a silence; branches take no time. Failures count
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
        index = {nid: i for i, nid in enumerate(ids)}
        n = len(ids)
        hang = n - 1
        kind_code = {k: i for i, k in enumerate(KIND_CODES)}
        kind = np.empty(n, dtype=np.int8)
        prompt = np.zeros(n)
        timeout = np.zeros(n)
        retries = np.ones(n)
        nodes = list(menu.nodes.values())
        for i, node in enumerate(nodes):
            kind[i] = kind_code[node.kind]
            prompt[i] = node.seconds
            if node.timeout is not None:
                timeout[i] = node.timeout
            if node.retries is not None:
                retries[i] = node.retries
        edges = [(i, ex) for i, node in enumerate(nodes) for ex in node.exits()]
        src = [i for i, _ in edges]
        index_none: dict[str | None, int] = {nid: i for nid, i in index.items()}
        index_none[None] = hang  # a missing target: the system hangs up
        dst = [index_none[ex.target] for _, ex in edges]
        event = [_CODE[ex.event] for _, ex in edges]
        keycode = [_KEYCODE.get(ex.key, -1) for _, ex in edges]  # type: ignore[arg-type]
        typed = {e: ex.key for e, (_, ex) in enumerate(edges)
                 if keycode[e] < 0 and ex.key is not None}
        kind[hang] = kind_code["(hangup)"]
        s = np.asarray(src, dtype=np.int64)
        ev = np.asarray(event, dtype=np.int8)
        d = np.asarray(dst, dtype=np.int64)
        kc = np.asarray(keycode, dtype=np.int8)
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
        taken = np.ones(len(s), dtype=bool)
        taken[is_timeout | is_invalid] = r[is_timeout | is_invalid] > 1
        taken[is_invalid] &= wrong[s[is_invalid]]
        taken[is_fail] = ((r == 1) | wrong_again[s] | silence_again[s])[is_fail]
        terminal = np.isin(kind, [kind_code[k] for k in TERMINAL_KINDS]) | (np.arange(n) == hang)
        return cls(menu, ids, index, kind, prompt, terminal, s, d, ev, kc,
                   actions, seconds, typed, timeout, retries.astype(np.int64),
                   np.array([ex.probability or 0.0 for _, ex in edges]), taken)

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

    def matrix(self, weight: np.ndarray | None = None, reverse: bool = False) -> csr_matrix:
        """Adjacency (one entry per node pair, the lightest edge) as a CSR matrix; edges of
        infinite weight are left out."""
        w = np.ones(len(self.src)) if weight is None else weight + _EPS
        a, b = (self.dst, self.src) if reverse else (self.src, self.dst)
        if weight is not None and not np.isfinite(w).all():
            keep = np.isfinite(w)
            a, b, w = a[keep], b[keep], w[keep]
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        return coo_matrix((w[first], (a[first], b[first])), shape=(self.n, self.n)).tocsr()

    def reaching(self, targets: np.ndarray) -> np.ndarray:
        """Mask of nodes from which some node in the ``targets`` mask is reachable."""
        return reaching(self.n, self.src, self.dst, targets)

    def shortest(self, start: str, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors from ``start`` under a per-edge weight."""
        dist, pred = csgraph.dijkstra(self.matrix(weight), directed=True,
                                      indices=self.index[start], return_predecessors=True)
        return dist, pred

    def route_weight(self) -> np.ndarray:
        """Fewest caller actions first, then fewest seconds."""
        return self.actions * 1e6 + self.seconds

    def sccs(self) -> np.ndarray:
        """Strongly connected component label per node."""
        _, labels = csgraph.connected_components(self.matrix(), directed=True,
                                                 connection="strong")
        return labels

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
        self.dist, pred = top.shortest(start, weight)
        # For each node, the lightest edge from its predecessor on the tree.
        cand = np.flatnonzero(pred[top.dst] == top.src)
        order = cand[np.lexsort((weight[cand], top.dst[cand]))]
        heads = top.dst[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = heads[1:] != heads[:-1]
        self.best = np.full(top.n, -1, dtype=np.int64)
        self.best[heads[first]] = order[first]
        self.reached = np.isfinite(self.dist)
        self._memo: dict[int, tuple[Step, ...]] = {top.index[start]: ()}

    def steps(self, i: int) -> tuple[Step, ...]:
        """The steps from the start to node ``i`` (empty if unreachable or the start)."""
        memo = self._memo
        if i in memo:
            return memo[i]
        if not self.reached[i]:
            return ()
        top = self.top
        chain = []
        v = i
        while v not in memo:
            chain.append(v)
            v = int(top.src[self.best[v]])
        path = list(memo[v])
        # Every node's whole route memoised would hold n^2/2 steps on a chain of n messages:
        # keep every MEMO_EVERY-th (and the one asked for), so a later call walks few links.
        for k, v in enumerate(reversed(chain), 1):
            e = int(self.best[v])
            path.append(Step(top.ids[int(top.src[e])], EVENTS[top.event[e]], top.ids[v],
                             top.key(e), float(top.seconds[e])))
            if k % MEMO_EVERY == 0:
                memo[v] = tuple(path)
        memo[i] = tuple(path)
        return memo[i]
