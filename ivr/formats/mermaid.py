"""Mermaid flowchart for a menu, for Markdown pages that render it (GitHub, GitLab)."""

from __future__ import annotations

import networkx as nx

from ivr.formats.dot import edge_label

# Mermaid node shapes by kind: (open, close).
SHAPES = {
    "menu": ("[", "]"), "message": ("[/", "/]"), "input": ("[\\", "\\]"),
    "branch": ("{", "}"), "agent": ("([", "])"), "self_service": ("(", ")"),
    "voicemail": ("[(", ")]"), "transfer": (">", "]"), "hangup": ("((", "))"),
    "callback": ("[[", "]]"),
}


def text(s: str) -> str:
    """Mermaid-safe label text (quotes and brackets as entities)."""
    return s.replace('"', "#quot;").replace("\n", " ")


def to_mermaid(g: nx.MultiDiGraph) -> str:
    """A menu's graph as a ``flowchart LR`` (ids renamed n0, n1, ... so any id is safe)."""
    alias = {nid: f"n{i}" for i, nid in enumerate(g.nodes)}
    lines = ["flowchart LR", f"  start(( )) --> {alias[g.graph['start']]}"]
    for nid, data in g.nodes(data=True):
        a, b = SHAPES[data["kind"]]
        lines.append(f'  {alias[nid]}{a}"{text(str(data["label"]))}<br/><i>{data["kind"]}</i>"{b}')
    for u, v, data in g.edges(data=True):
        label = text(edge_label(data["event"], data["key"], data["probability"]))
        arrow = "-->" if data["event"] in ("option", "next") else "-.->"
        lines.append(f'  {alias[u]} {arrow}|"{label}"| {alias[v]}')
    return "\n".join(lines) + "\n"
