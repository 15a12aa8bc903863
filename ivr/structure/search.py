"""Searches over edge arrays: who reaches what, strong components, shortest distances.

A menu people write has tens to a few thousand nodes; there plain Python answers these
questions in milliseconds, while importing scipy's compiled graph routines costs a third
of a second, which a linter run on every save or commit should not pay. Graphs of more
than :data:`SMALL` vertices go to ``scipy.sparse.csgraph`` (imported then), which is what
a 100,000-node menu needs. Both give the same answers (``tests/test_search.py``):
Dijkstra's distances are the least fixed point of ``d[v] = min(d[u] + w)`` in floating
point, whatever the order vertices are settled in, and :func:`tree` picks each vertex's
edge from the distances alone.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

import numpy as np

#: Graphs with at most this many vertices are searched in plain Python.
SMALL = 5_000


def _csgraph() -> Any:
    from scipy.sparse import csgraph

    return csgraph


def _matrix(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray) -> Any:
    """A CSR matrix of the lightest edge per vertex pair (``weight`` must be > 0 and
    finite: the sparse format drops zeros)."""
    from scipy.sparse import coo_matrix

    # One stable sort on the pair as one integer (1 ms against 14 ms for a three-key
    # lexsort of 400,000 edges), then the least weight of each run of equal pairs.
    pair = src.astype(np.int64) * n + dst
    order = np.argsort(pair, kind="stable")
    sorted_pair = pair[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = sorted_pair[1:] != sorted_pair[:-1]
    starts = np.flatnonzero(first)
    w = np.minimum.reduceat(weight[order], starts) if len(starts) else weight[:0]
    keep = order[starts]
    return coo_matrix((w, (src[keep], dst[keep])), shape=(n, n)).tocsr()


def _adjacency(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[list[int], list[int]]:
    """``(start, heads)``: the edges leaving ``v`` go to ``heads[start[v]:start[v + 1]]``."""
    order = np.argsort(src, kind="stable")
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=start[1:])
    return start.tolist(), dst[order].tolist()


def reaching(n: int, src: np.ndarray, dst: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Of ``n`` vertices with edges ``src -> dst``: those that can reach a ``targets`` vertex.

    Examples
    --------
    >>> reaching(3, np.array([0, 1]), np.array([1, 2]), np.array([False, True, False]))
    array([ True,  True, False])
    """
    if not targets.any():
        return np.zeros(n, dtype=bool)
    t = np.flatnonzero(targets)
    if n > SMALL:
        # One breadth-first search over the reversed edges from an extra vertex pointing
        # at every target.
        rows = np.concatenate([dst, np.full(len(t), n)])
        cols = np.concatenate([src, t])
        rev = _matrix(n + 1, rows, cols, np.ones(len(rows)))
        order = _csgraph().breadth_first_order(rev, n, directed=True,
                                               return_predecessors=False)
        mask = np.zeros(n + 1, dtype=bool)
        mask[order] = True
        return mask[:n]
    start, heads = _adjacency(n, np.asarray(dst), np.asarray(src))
    seen = targets.astype(bool).tolist()
    todo = t.tolist()
    while todo:
        v = todo.pop()
        for u in heads[start[v]:start[v + 1]]:
            if not seen[u]:
                seen[u] = True
                todo.append(u)
    return np.array(seen, dtype=bool)


def strong_components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """A label per vertex, equal for vertices that reach each other (the numbering itself
    carries no meaning).

    Examples
    --------
    >>> labels = strong_components(4, np.array([0, 1, 2]), np.array([1, 0, 3]))
    >>> bool(labels[0] == labels[1]), bool(labels[2] == labels[3])
    (True, False)
    """
    if n > SMALL:
        _, labels = _csgraph().connected_components(
            _matrix(n, src, dst, np.ones(len(src))), directed=True, connection="strong")
        return np.asarray(labels)
    # Tarjan's algorithm, iterative (menus can be deeper than Python's recursion limit).
    start, heads = _adjacency(n, np.asarray(src), np.asarray(dst))
    index = [-1] * n
    low = [0] * n
    label = [-1] * n
    on_stack = [False] * n
    stack: list[int] = []
    counter = components = 0
    for root in range(n):
        if index[root] >= 0:
            continue
        work = [(root, start[root])]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, e = work[-1]
            if e < start[v + 1]:
                work[-1] = (v, e + 1)
                w = heads[e]
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, start[w]))
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    label[w] = components
                    if w == v:
                        break
                components += 1
    return np.array(label, dtype=np.int64)


def distances(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray,
              sources: list[int]) -> np.ndarray:
    """The lightest total ``weight`` from any of ``sources`` to each vertex (inf where
    none reaches it). Weights must be > 0; infinite ones are edges left out.

    Examples
    --------
    >>> distances(3, np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([1.0, 1.0, 5.0]), [0])
    array([0., 1., 2.])
    """
    keep = np.isfinite(weight)
    if not keep.all():
        src, dst, weight = src[keep], dst[keep], weight[keep]
    if n > SMALL:
        return np.asarray(_csgraph().dijkstra(_matrix(n, src, dst, weight), directed=True,
                                              indices=sources, min_only=True))
    order = np.argsort(src, kind="stable")
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=start[1:])
    ptr, heads, ws = start.tolist(), dst[order].tolist(), weight[order].tolist()
    dist = [math.inf] * n
    done = [False] * n
    heap = []
    for s in sources:
        dist[s] = 0.0
        heap.append((0.0, s))
    heapq.heapify(heap)
    while heap:
        d, u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = True
        for e in range(ptr[u], ptr[u + 1]):
            v = heads[e]
            nd = d + ws[e]
            if nd < dist[v]:
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return np.array(dist)


def tree(dist: np.ndarray, src: np.ndarray, dst: np.ndarray, weight: np.ndarray,
         root: int) -> np.ndarray:
    """Per vertex, the edge it is reached by on a shortest path from ``root`` (-1 for the
    root and for vertices not reached), chosen from the distances alone: of the edges
    with ``dist[src] + weight == dist[dst]``, the lightest, then the first. Paths follow
    these edges back to the root.

    Examples
    --------
    >>> src, dst = np.array([0, 0, 1, 2]), np.array([1, 2, 3, 3])
    >>> w = np.array([1.0, 1.0, 1.0, 1.0])
    >>> tree(distances(4, src, dst, w, [0]), src, dst, w, 0)
    array([-1,  0,  1,  2])
    """
    n = len(dist)
    best = np.full(n, -1, dtype=np.int64)
    ds = dist[src]
    ok = np.isfinite(ds) & np.isfinite(weight)
    tight = np.flatnonzero(ok & (ds + weight == dist[dst]) & (ds < dist[dst]))
    order = tight[np.lexsort((tight, weight[tight], dst[tight]))]
    heads = dst[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = heads[1:] != heads[:-1]
    best[heads[first]] = order[first]
    best[root] = -1
    # A weight too small to change a distance (d + w == d) leaves a vertex at the same
    # distance as the one before it: walk out from what is placed, over such edges.
    missing = np.isfinite(dist) & (best < 0)
    missing[root] = False
    if missing.any():
        flat = np.flatnonzero(ok & (ds + weight == dist[dst]) & (ds == dist[dst])
                              & (src != dst))
        placed = ~missing
        while missing.any():
            step = flat[placed[src[flat]] & missing[dst[flat]]]
            if not len(step):
                break
            step = step[np.lexsort((step, weight[step], dst[step]))]
            heads = dst[step]
            first = np.ones(len(step), dtype=bool)
            first[1:] = heads[1:] != heads[:-1]
            best[heads[first]] = step[first]
            placed[heads[first]] = True
            missing[heads[first]] = False
    return best


__all__ = ["SMALL", "distances", "reaching", "strong_components", "tree"]
