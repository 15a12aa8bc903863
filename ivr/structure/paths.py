"""The cheat sheet: how a caller reaches each ending with the fewest actions, and how fast.

Like a GetHuman entry ("to reach a person: 2, 0"), computed for every terminal node.
Routes move and cost as the caller model does (:class:`ivr.structure.topology.Topology` edge costs,
only edges the model takes), so each route pressed as keys in ``ivr call`` ends at its
ending after its seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ivr.model import HANGUP, Menu
from ivr.structure.topology import Routes, Step, Topology, describe

_ORDER = {"agent": 0, "self_service": 1, "voicemail": 2, "transfer": 3, "hangup": 4}


@dataclass(frozen=True, slots=True)
class Route:
    """The way to one ending: fewest caller actions, and the fastest way in seconds."""

    node: str
    kind: str
    steps: tuple[Step, ...]
    keys: str
    seconds: float
    fastest_keys: str
    fastest_seconds: float


def paths(menu: Menu, topology: Topology | None = None) -> list[Route]:
    """Routes from the start to every reachable ending, people first.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: T
    ... start: main
    ... nodes:
    ...   main: {kind: menu, seconds: 2, options: {1: sub, 0: agent},
    ...          on_fail: agent}
    ...   sub: {kind: menu, seconds: 1, options: {2: info, 0: agent}, on_fail: agent}
    ...   info: {kind: self_service}
    ...   agent: {kind: agent}
    ... ''')
    >>> [(r.node, r.keys, r.seconds) for r in paths(m)]
    [('agent', '0', 2.0), ('info', '1, 2', 3.0)]
    """
    top = topology or Topology.of(menu)
    # Only moves the caller model makes, so every route, pressed as keys, is a real call.
    few = Routes(top, menu.start, top.only_taken(top.route_weight()))
    fast = Routes(top, menu.start, top.only_taken(top.seconds))
    routes = []
    for i in np.flatnonzero(top.terminal & few.reached).tolist():
        nid = top.ids[i]
        kind = "hangup" if nid == HANGUP else menu.nodes[nid].kind
        steps, quick = few.steps(i), fast.steps(i)
        routes.append(Route(
            node=nid,
            kind=kind,
            steps=steps,
            keys=describe(steps, menu),
            seconds=_seconds(steps),
            fastest_keys=describe(quick, menu),
            fastest_seconds=_seconds(quick),
        ))
    routes.sort(key=lambda r: (_ORDER.get(r.kind, 9), r.seconds, r.node))
    return routes


def _seconds(steps: tuple[Step, ...]) -> float:
    return round(sum(s.seconds for s in steps), 6)
