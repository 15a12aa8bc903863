"""What every importer hands over: a native-format mapping plus where each node came from.

Importers translate a platform's flow into the same mapping a native YAML file holds
(docs/menu-format.md), so the native reader checks it exactly as it checks hand-written
menus, and ``ivr import`` can write it out as YAML that loads back to the same menu.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, MutableSet
from dataclasses import dataclass, field, replace
from typing import Any

from ivr.formats.native import read_menu_document
from ivr.formats.yamltext import Document
from ivr.gcpause import paused_gc
from ivr.limits import MAX_INPUT_DIGITS, MAX_RETRIES, MAX_SECONDS, MIN_SECONDS
from ivr.model import KEYPAD, Menu, Note, Source

#: Prompt length assumed for a recorded prompt whose words are unknown (an audio file).
AUDIO_SECONDS = 5.0
#: A digit pattern matching more typed sequences than this is kept as its first ones.
MAX_EXPANSION = 100

_TYPED = "0123456789*#"  # typed-in sequences sort like numbers
_BAD = re.compile(r"[^A-Za-z0-9_.\-]+")


@dataclass(frozen=True)
class Imported:
    """An imported flow before checking.

    ``data`` is a native menu mapping (name, start, nodes, ...). ``origins`` maps a node
    id to where that node stands in the original file, with ``ref`` naming it the way
    the platform does (action identifier, state name, ``context,exten,priority``, ...).
    ``notes`` are what could not be resolved statically; lint reports them as findings.
    """

    format: str
    file: str
    data: Mapping[str, Any]
    origins: Mapping[str, Source] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()


def to_menu(imported: Imported) -> Menu:
    """Check the translated mapping with the native reader and attach origins and notes.

    A check failing here means the importer produced an inconsistent mapping; the error
    still names the original file and the node's line there.
    """
    marks = {("nodes", nid): (src.line, src.column or 1)
             for nid, src in imported.origins.items() if src.line is not None}
    doc = Document(imported.file, within_limits(imported.data), marks, fine=False)
    with paused_gc():
        menu = read_menu_document(doc)
    nodes = {}
    for nid, node in menu.nodes.items():
        origin = imported.origins.get(nid)
        if origin is not None:
            node = replace(node, source=origin)
        nodes[nid] = node
    return replace(menu, nodes=nodes, notes=imported.notes, format=imported.format,
                   source=Source(imported.file, 1, 1))


#: Node fields platforms may set past ivr's limits, and the range each is brought into.
_CLAMPED = {"retries": (1, MAX_RETRIES), "digits": (1, MAX_INPUT_DIGITS),
            "timeout": (MIN_SECONDS, MAX_SECONDS), "seconds": (0.0, MAX_SECONDS)}


def within_limits(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The mapping with platform values past ivr's limits (ivr.limits) brought to them:
    FreeSWITCH's ``max-failures="2147483647"`` means "without limit", which 100 retries
    model as well; a native file with such a value is refused instead.

    Examples
    --------
    >>> within_limits({"nodes": {"m": {"kind": "menu", "retries": 2**31 - 1}}})["nodes"]
    {'m': {'kind': 'menu', 'retries': 100}}
    """
    nodes = data.get("nodes")
    if not isinstance(nodes, dict):
        return data
    changed: dict[str, Any] = {}
    for nid, node in nodes.items():
        if not isinstance(node, dict) or not _CLAMPED.keys() & node.keys():
            continue
        fixed = dict(node)
        for name, (low, high) in _CLAMPED.items():
            value = fixed.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and value == value and not low <= value <= high:
                fixed[name] = type(value)(min(max(value, low), high)) if value > 0 else value
        if fixed != node:
            changed[nid] = fixed
    if not changed:
        return data
    return {**data, "nodes": {**nodes, **changed}}


def node_id(raw: str, taken: MutableSet[str]) -> str:
    """A native node id for a platform's name (spaces, UUIDs, ``#``...), unique in ``taken``.

    Examples
    --------
    >>> taken: set[str] = set()
    >>> node_id("Main Menu", taken), node_id("Main-Menu", taken), node_id("#", taken)
    ('Main_Menu', 'Main-Menu', 'node')
    >>> node_id("Main Menu", taken)
    'Main_Menu_2'
    """
    base = _BAD.sub("_", raw.strip()).strip("_.-") or "node"
    if not base[0].isalnum() and base[0] != "_":
        base = "n" + base
    nid, n = base, 1
    while nid in taken:
        n += 1
        nid = f"{base}_{n}"
    taken.add(nid)
    return nid


def expand_digits(pattern: str, max_len: int = 4) -> tuple[list[str], bool]:
    """Key sequences up to ``max_len`` keys that a digit regex matches in full.

    Returns the sequences (single keys in keypad order, then typed sequences by length
    and value) and whether the list was cut at :data:`MAX_EXPANSION`.

    Examples
    --------
    >>> expand_digits(r"^(10[01][0-9])$")[0][:3]
    ['1000', '1001', '1002']
    >>> expand_digits("[1-3]")
    (['1', '2', '3'], False)
    >>> expand_digits("^5$|^9$")
    (['5', '9'], False)
    """
    body = pattern.strip()
    if len(body) > 1 and body[0] == body[-1] == "/":  # FreeSWITCH writes /regex/
        body = body[1:-1]
    regex = re.compile(body)
    found: list[str] = []
    for length in range(1, max_len + 1):
        for combo in itertools.product(KEYPAD if length == 1 else _TYPED, repeat=length):
            text = "".join(combo)
            if regex.fullmatch(text):
                if len(found) == MAX_EXPANSION:
                    return found, True
                found.append(text)
    return found, False


__all__ = ["AUDIO_SECONDS", "MAX_EXPANSION", "Imported", "expand_digits", "node_id",
           "to_menu"]
