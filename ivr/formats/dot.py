"""Graphviz DOT for a menu's graph: shapes by kind, edges labelled by key or event.

The writers take the networkx view (:func:`ivr.structure.graph.to_graph`), as networkx's own
drawing writers do, so the one definition of a node's exits stays in the model."""

from __future__ import annotations

import networkx as nx

SHAPES = {
    "menu": "box", "message": "note", "input": "parallelogram", "branch": "diamond",
    "agent": "doubleoctagon", "self_service": "ellipse", "voicemail": "cylinder",
    "transfer": "cds", "hangup": "octagon", "callback": "house",
}
COLOURS = {"agent": "#b7e4c7", "hangup": "#f4a6a6", "voicemail": "#fde68a",
           "self_service": "#cfe2ff", "transfer": "#e9d5ff", "callback": "#dcedc8"}


def quote(text: str) -> str:
    """A DOT string literal.

    Examples
    --------
    >>> quote('say "hi"')
    '"say \\\\"hi\\\\""'
    """
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def edge_label(event: str, key: str | None, probability: float | None) -> str:
    """What an edge is labelled with in a diagram."""
    if key is not None:
        return key
    if probability is not None:
        return f"{probability:.0%}"
    return event


def to_dot(g: nx.MultiDiGraph) -> str:
    """A menu's graph as a DOT digraph (render with ``dot -Tsvg``)."""
    lines = [f"digraph {quote(g.graph['name'])} {{", "  rankdir=LR;",
             '  node [fontname="Helvetica", fontsize=10, style=filled, fillcolor="#ffffff"];',
             '  edge [fontname="Helvetica", fontsize=9];',
             '  "__start__" [shape=point, label=""];',
             f"  \"__start__\" -> {quote(g.graph['start'])};"]
    for nid, data in g.nodes(data=True):
        kind = data["kind"]
        label = f"{data['label']}\n({kind})"
        lines.append(f"  {quote(nid)} [shape={SHAPES[kind]}, "
                     f"fillcolor={quote(COLOURS.get(kind, '#ffffff'))}, label={quote(label)}];")
    for u, v, data in g.edges(data=True):
        style = ", style=dashed" if data["event"] not in ("option", "next") else ""
        label = edge_label(data["event"], data["key"], data["probability"])
        lines.append(f"  {quote(u)} -> {quote(v)} [label={quote(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
