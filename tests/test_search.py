"""The plain-Python searches (menus people write) and scipy's (huge menus) agree exactly."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.formats.native import load_menu
from ivr.structure import search
from ivr.structure.lint import lint
from ivr.structure.paths import paths
from ivr.structure.topology import Topology

MENUS = sorted((Path(__file__).resolve().parent.parent / "menus").glob("*.yaml"))


@contextmanager
def scipy_searches() -> Iterator[None]:
    """Every graph counts as large: the searches go to scipy.sparse.csgraph."""
    small = search.SMALL
    search.SMALL = -1
    try:
        yield
    finally:
        search.SMALL = small


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 40))
    m = draw(st.integers(0, 120))
    src = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    dst = np.array(draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), dtype=np.int64)
    # Few distinct weights, so ties (and sums equal by different routes) are common.
    w = np.array(draw(st.lists(st.sampled_from([1e-9, 0.5, 1.0, 2.5, 1e6, np.inf]),
                               min_size=m, max_size=m)))
    return n, src, dst, w


def partition(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for v, label in enumerate(labels.tolist()):
        groups.setdefault(label, set()).add(v)
    return {frozenset(g) for g in groups.values()}


@settings(max_examples=300, deadline=None)
@given(graphs(), st.data())
def test_python_and_scipy_searches_agree(graph: tuple[int, np.ndarray, np.ndarray, np.ndarray],
                                         data: st.DataObject) -> None:
    n, src, dst, w = graph
    targets = np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    sources = sorted(set(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))))
    ours = (search.reaching(n, src, dst, targets), search.strong_components(n, src, dst),
            search.distances(n, src, dst, w, sources))
    with scipy_searches():
        theirs = (search.reaching(n, src, dst, targets), search.strong_components(n, src, dst),
                  search.distances(n, src, dst, w, sources))
    assert ours[0].tolist() == theirs[0].tolist()
    assert partition(ours[1]) == partition(theirs[1])
    assert ours[2].tolist() == theirs[2].tolist()  # exactly, not approximately
    dist = search.distances(n, src, dst, w, [sources[0]])
    best = search.tree(dist, src, dst, w, sources[0])
    # Every reached vertex but the root has an edge on a shortest route; following them
    # leads back to the root.
    for v in range(n):
        if v == sources[0] or not np.isfinite(dist[v]):
            assert best[v] == -1
            continue
        seen = set()
        while v != sources[0]:
            e = int(best[v])
            assert e >= 0 and dst[e] == v and dist[src[e]] + w[e] == dist[v]
            assert v not in seen
            seen.add(v)
            v = int(src[e])


@pytest.mark.parametrize("path", MENUS, ids=lambda p: p.name)
def test_lint_and_paths_are_the_same_either_way(path: Path) -> None:
    menu = load_menu(path)

    def answers() -> tuple[object, ...]:
        top = Topology.of(menu)
        return (lint(menu, topology=top), paths(menu, top), top.attracting().__len__())

    ours = answers()
    with scipy_searches():
        assert answers() == ours
