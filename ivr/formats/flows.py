"""Following a call into another flow: a ``transfer`` with ``flow:`` that names a file (or
a menu) in the same folder is replaced by the nodes of that flow.

Exported flows hand calls to each other (Connect TransferToFlow, VoiceXML documents,
Genesys transferToFlow, native ``flow:``). Analysing one file alone would count those
callers as "transferred" and hide whether they ever reach a person, so the linked flows are
inlined with their node ids prefixed by the file's stem; their nodes keep their own sources,
so findings point into the right file. A flow is found by file name, stem or menu name,
else as the one file whose name ends with it after a separator (a renamed copy).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace

from ivr.errors import IvrError
from ivr.formats.imported import node_id
from ivr.model import Menu, Node, Note, Option, Schedule

Loader = Callable[[str], Menu]


def _key(text: str) -> str:
    return text.strip().lower()


class _Folder:
    """Flow files of one folder, found by file name, stem or menu name."""

    def __init__(self, folder: str, load: Loader, is_flow: Callable[[str], bool]) -> None:
        self.folder = folder
        self.load = load
        try:
            names = sorted(f for f in os.listdir(folder or ".") if is_flow(f))
        except OSError:
            names = []
        self.by_name: dict[str, str] = {}
        for f in names:
            path = os.path.join(folder, f)
            self.by_name.setdefault(_key(f), path)
            self.by_name.setdefault(_key(os.path.splitext(f)[0]), path)
        self.menus: dict[str, Menu | None] = {}
        self._named: dict[str, str] | None = None

    def menu(self, path: str) -> Menu | None:
        if path not in self.menus:
            try:
                self.menus[path] = self.load(path)
            except IvrError:
                self.menus[path] = None
        return self.menus[path]

    def find(self, flow: str) -> str | None:
        name = _key(flow.split("#", 1)[0].rsplit("/", 1)[-1])
        if name in self.by_name:
            return self.by_name[name]
        if self._named is None:  # by menu name: load every flow of the folder once
            self._named = {}
            for path in sorted(set(self.by_name.values())):
                m = self.menu(path)
                if m is not None:
                    self._named.setdefault(_key(m.name), path)
        if name in self._named:
            return self._named[name]
        # A copy renamed with a prefix (site__voiceMenu.vxml for voiceMenu.vxml): only if
        # exactly one file of the folder ends so.
        ends = {p for k, p in self.by_name.items()
                if len(k) > len(name) and k.endswith(name) and not k[-len(name) - 1].isalnum()}
        return ends.pop() if len(ends) == 1 else None


def flow_files(menu: Menu, load: Loader, is_flow: Callable[[str], bool]) -> dict[str, str]:
    """Node id -> the file of its folder each ``transfer: flow`` of ``menu`` names (those
    :func:`link` would follow), so a writer can keep the links between written files."""
    nodes = [n for n in menu.nodes.values() if n.kind == "transfer" and n.flow]
    if not nodes:
        return {}
    root = os.path.abspath(menu.source.file)
    folder = _Folder(os.path.dirname(root), load, is_flow)
    folder.menus[root] = menu
    found = {}
    for node in nodes:
        target = folder.find(node.flow or "")
        if target is not None and folder.menu(os.path.abspath(target)) is not None:
            found[node.id] = target
    return found


def link(menu: Menu, load: Loader, is_flow: Callable[[str], bool]) -> Menu:
    """``menu`` with every resolvable ``transfer: flow`` replaced by the flow it names."""
    if not any(n.kind == "transfer" and n.flow for n in menu.nodes.values()):
        return menu
    root = os.path.abspath(menu.source.file)
    folder = _Folder(os.path.dirname(root), load, is_flow)
    folder.menus[root] = menu
    prefix = {root: ""}
    taken: set[str] = set()  # prefixes in use
    nodes: dict[str, Node] = {}
    schedules: dict[str, Schedule] = dict(menu.schedules)
    notes: list[Note] = list(menu.notes)
    queue = [(root, menu)]
    while queue:
        path, m = queue.pop(0)
        pre = prefix[path]
        for nid, node in m.nodes.items():
            node = _renamed(node, pre, m) if pre else node
            if node.kind == "transfer" and node.flow:
                target = folder.find(node.flow)
                other = folder.menu(os.path.abspath(target)) if target else None
                if other is not None and target is not None:
                    tpath = os.path.abspath(target)
                    if tpath not in prefix:
                        stem = os.path.splitext(os.path.basename(target))[0]
                        prefix[tpath] = node_id(stem, taken) + "."
                        for sname, s in other.schedules.items():
                            schedules[prefix[tpath] + sname] = replace(s, name=prefix[tpath]
                                                                       + sname)
                        notes.extend(replace(n, node=prefix[tpath] + n.node if n.node else None)
                                     for n in other.notes)
                        queue.append((tpath, other))
                    node = Node(node.id, "message", node.source,
                                label=f"continues in flow {node.flow}",
                                next=prefix[tpath] + other.start)
            nodes[pre + nid if pre else nid] = node
    return replace(menu, nodes=nodes, schedules=schedules, notes=tuple(notes))


def _renamed(node: Node, pre: str, m: Menu) -> Node:
    def r(x: str | None) -> str | None:
        return None if x is None else pre + x

    return replace(
        node, id=pre + node.id,
        options=tuple(Option(o.key, pre + o.target, o.label, o.source) for o in node.options),
        on_timeout=r(node.on_timeout), on_invalid=r(node.on_invalid), on_fail=r(node.on_fail),
        next=r(node.next), open=r(node.open), closed=r(node.closed),
        schedule=r(node.schedule) if node.schedule in m.schedules else node.schedule,
        chance=tuple((pre + t, p) for t, p in node.chance))


__all__ = ["flow_files", "link"]
