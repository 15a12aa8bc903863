"""A menu as a networkx MultiDiGraph: the structural view users and writers work with."""

from __future__ import annotations

import networkx as nx

from ivr.model import HANGUP, Menu


def to_graph(menu: Menu) -> nx.MultiDiGraph:
    """Nodes carry ``kind`` (and the Node as ``node``); edges carry ``event`` and ``key``.

    A menu whose retries end in a hang-up gets the extra node ``(hangup)`` of kind
    ``hangup`` with ``implicit=True``.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu('''
    ... name: T
    ... start: main
    ... nodes:
    ...   main: {kind: menu, options: {0: agent}}
    ...   agent: {kind: agent}
    ... ''')
    >>> g = to_graph(m)
    >>> sorted(g.nodes(data="kind"))
    [('(hangup)', 'hangup'), ('agent', 'agent'), ('main', 'menu')]
    >>> sorted((u, v, d["event"], d["key"]) for u, v, d in g.edges(data=True))[:2]
    [('main', '(hangup)', 'fail', None), ('main', 'agent', 'option', '0')]
    """
    g = nx.MultiDiGraph(name=menu.name, start=menu.start)
    for nid, node in menu.nodes.items():
        g.add_node(nid, kind=node.kind, node=node, label=node.label or nid, say=node.say,
                   seconds=node.seconds, source=str(node.source))
    for nid, node in menu.nodes.items():
        for ex in node.exits():
            target = ex.target
            if target is None:
                target = HANGUP
                if HANGUP not in g:
                    g.add_node(HANGUP, kind="hangup", implicit=True, label="hang-up",
                               say=None, seconds=0.0, source=None)
            # The multigraph's own edge key is the option key or event name (unique per pair).
            g.add_edges_from([(nid, target, ex.key or ex.event,
                               {"event": ex.event, "key": ex.key,
                                "probability": ex.probability})])
    return g
