"""A menu as integer arrays, for structural questions that must stay fast on huge menus.

Lint and the cheat sheet ask reachability, components and shortest paths of every node.
networkx takes ~5 s just to build a 100,000-node MultiDiGraph here, so these questions are
answered with scipy's compiled graph routines over edge arrays; ``ivr.graph.to_graph``
remains the networkx view for users, and a test checks both agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse import csgraph

from ivr.model import EVENTS, HANGUP, TERMINAL_KINDS, Exit, Menu

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

    def words(self, retries: int | None = None) -> str | None:
        """How a caller does it, for a cheat sheet; None for steps the caller does not do."""
        if self.event == "option":
            return self.key
        if self.event == "timeout":
            return "wait"
        if self.event == "invalid":
            return "wrong key"
        if self.event == "fail":
            return f"no valid key x{retries}" if retries else "no valid key"
        if self.event == "open":
            return "(if open)"
        if self.event == "closed":
            return "(if closed)"
        if self.event == "chance":
            return f"(if {self.target})"
        return None


def describe(path: tuple[Step, ...], menu: Menu) -> str:
    """A key sequence such as ``2, 0`` or ``1, (enter 8 digits), (if found), 3``."""
    words = []
    for step in path:
        node = menu.nodes.get(step.node)
        if node is not None and node.kind == "input" and step.event == "next":
            words.append(f"(enter {node.digits} digits)" if node.digits else "(enter digits)")
            continue
        w = step.words(node.retries if node is not None else None)
        if w is not None:
            words.append(w)
    if words:
        return ", ".join(words)
    return "(at the start)" if not path else "(no keys)"


@dataclass
class Topology:
    """Nodes as indices (the implicit hang-up last) and one row per exit."""

    menu: Menu
    ids: list[str]
    index: dict[str, int]
    terminal: np.ndarray  # bool per node
    src: np.ndarray
    dst: np.ndarray
    event: np.ndarray  # index into EVENTS
    keys: list[str | None]
    actions: np.ndarray  # caller actions an edge takes (presses, deliberate waits)
    seconds: np.ndarray  # seconds an edge takes at its fastest
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, menu: Menu) -> Topology:
        ids = list(menu.nodes)
        ids.append(HANGUP)
        index = {nid: i for i, nid in enumerate(ids)}
        hang = len(ids) - 1
        terminal = np.zeros(len(ids), dtype=bool)
        src: list[int] = []
        dst: list[int] = []
        event: list[int] = []
        keys: list[str | None] = []
        actions: list[float] = []
        seconds: list[float] = []
        code = {e: i for i, e in enumerate(EVENTS)}
        for i, node in enumerate(menu.nodes.values()):
            terminal[i] = node.kind in TERMINAL_KINDS
            for ex in node.exits():
                src.append(i)
                dst.append(hang if ex.target is None else index[ex.target])
                event.append(code[ex.event])
                keys.append(ex.key)
                a, s = _cost(ex, node.seconds, node.timeout or 0.0, node.retries or 1)
                actions.append(a)
                seconds.append(s)
        terminal[hang] = True
        return cls(
            menu, ids, index, terminal,
            np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64),
            np.asarray(event, dtype=np.int8), keys,
            np.asarray(actions, dtype=float), np.asarray(seconds, dtype=float),
        )

    @property
    def n(self) -> int:
        return len(self.ids)

    def matrix(self, weight: np.ndarray | None = None, reverse: bool = False) -> csr_matrix:
        """Adjacency (one entry per node pair, the lightest edge) as a CSR matrix."""
        w = np.ones(len(self.src)) if weight is None else weight + _EPS
        a, b = (self.dst, self.src) if reverse else (self.src, self.dst)
        order = np.lexsort((w, b, a))
        a, b, w = a[order], b[order], w[order]
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        return coo_matrix((w[first], (a[first], b[first])), shape=(self.n, self.n)).tocsr()

    def reachable(self, start: str) -> np.ndarray:
        """Mask of nodes reachable from ``start`` (itself included)."""
        mask = np.zeros(self.n, dtype=bool)
        order = csgraph.breadth_first_order(self.matrix(), self.index[start], directed=True,
                                            return_predecessors=False)
        mask[order] = True
        return mask

    def reaching(self, targets: np.ndarray) -> np.ndarray:
        """Mask of nodes from which some node in the ``targets`` mask is reachable."""
        if not targets.any():
            return np.zeros(self.n, dtype=bool)
        # One extra node pointing (in the reversed graph) at every target.
        rev = self.matrix(reverse=True).tocoo()
        t = np.flatnonzero(targets)
        rows = np.concatenate([rev.row, np.full(len(t), self.n)])
        cols = np.concatenate([rev.col, t])
        big = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(self.n + 1, self.n + 1))
        order = csgraph.breadth_first_order(big.tocsr(), self.n, directed=True,
                                            return_predecessors=False)
        mask = np.zeros(self.n + 1, dtype=bool)
        mask[order] = True
        return mask[: self.n]

    def shortest(self, start: str, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Distances and predecessors from ``start`` under a per-edge weight."""
        dist, pred = csgraph.dijkstra(self.matrix(weight), directed=True,
                                      indices=self.index[start], return_predecessors=True)
        return dist, pred

    def path(self, pred: np.ndarray, to: int, weight: np.ndarray) -> tuple[Step, ...]:
        """The steps from the Dijkstra source to ``to`` (check reachability first)."""
        offsets = self._offsets()
        steps: list[Step] = []
        v = to
        while pred[v] >= 0:
            u = int(pred[v])
            lo, hi = int(offsets[u]), int(offsets[u + 1])
            cand = [e for e in range(lo, hi) if self.dst[e] == v]
            e = min(cand, key=lambda k: weight[k])
            steps.append(Step(self.ids[u], EVENTS[self.event[e]], self.ids[v], self.keys[e],
                              float(self.seconds[e])))
            v = u
        steps.reverse()
        return tuple(steps)

    def _offsets(self) -> np.ndarray:
        """Edges are made node by node, so each node's edges are one slice of the arrays."""
        off = self._cache.get("offsets")
        if off is None:
            off = np.searchsorted(self.src, np.arange(self.n + 1))
            self._cache["offsets"] = off
        return off  # type: ignore[return-value]

    def route_weight(self) -> np.ndarray:
        """Fewest caller actions first, then fewest seconds."""
        return self.actions * 1e6 + self.seconds

    def sccs(self) -> np.ndarray:
        """Strongly connected component label per node."""
        _, labels = csgraph.connected_components(self.matrix(), directed=True,
                                                 connection="strong")
        return labels

    def attracting(self) -> list[list[int]]:
        """Components no edge leaves (networkx's attracting components), as node lists."""
        labels = self.sccs()
        leaky = np.zeros(labels.max() + 1 if len(labels) else 0, dtype=bool)
        cross = labels[self.src] != labels[self.dst]
        leaky[labels[self.src[cross]]] = True
        groups: dict[int, list[int]] = {}
        for node in np.flatnonzero(~leaky[labels]).tolist():
            groups.setdefault(int(labels[node]), []).append(node)
        return list(groups.values())


def _cost(ex: Exit, prompt: float, timeout: float, retries: int) -> tuple[float, float]:
    """(caller actions, seconds) of taking this exit at its fastest."""
    if ex.event == "option":
        return 1.0, prompt
    if ex.event == "timeout":
        return 1.0, prompt + timeout
    if ex.event == "invalid":
        return 1.0, prompt
    if ex.event == "fail":  # ``retries`` wrong keys, the fastest way to exhaust them
        return float(retries), retries * prompt
    return 0.0, prompt
