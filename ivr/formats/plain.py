"""The common shapes of native nodes, read in one pass.

Generated menus of 100,000 nodes are mostly nodes whose every field is text (a prompt, a
queue, a node id) and menus whose options are single keys: the general reader
(:mod:`ivr.formats.native`) spends ~13 µs of Python on each, checking one field at a time
and building the record through ``__init__``. :class:`PlainNodes` takes such a node
whole: one type test per field, node ids looked up in the table, the record built with
:func:`ivr.model.made`. Anything else (a number, a list, a missing target, a field it
does not know) makes it answer None, and the general reader checks that node and says
what is wrong: no error comes from here, so every message stays the general reader's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ivr.formats.yamltext import Document
from ivr.language.speech import rate_of, seconds_of
from ivr.model import KEYPAD, Defaults, Node, Option, Source, made

#: Node ids the quick way: ASCII letters, digits, '_', '-', '.' (others are checked).
NODE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
#: Single keys in keypad order.
KEY_ORDER = {key: i for i, key in enumerate(KEYPAD)}
_TEXT = ("kind", "say", "label", "note")
#: The fields a plain node of each kind may have (every one text but ``options``).
_PLAIN: dict[str, frozenset[str]] = {
    "menu": frozenset((*_TEXT, "options", "on_timeout", "on_invalid", "on_fail")),
    "message": frozenset((*_TEXT, "next")),
    "input": frozenset((*_TEXT, "next", "on_fail")),
    "agent": frozenset((*_TEXT, "queue")),
    "self_service": frozenset(_TEXT),
    "voicemail": frozenset(_TEXT),
    "hangup": frozenset(_TEXT),
}
#: Fields that name a node.
_REFS = frozenset(("next", "on_timeout", "on_invalid", "on_fail"))
new = object.__new__
put = object.__setattr__


class PlainNodes:
    """Builds the plain nodes of one document, as the general reader would build them."""

    def __init__(self, doc: Document, ids: Mapping[str, Any], defaults: Defaults,
                 language: str) -> None:
        self.file = doc.file
        self.where = doc.where
        self.marks = doc.marks
        self.fine = doc.fine
        self.ids = ids
        self.defaults = defaults
        self.language = language
        self.rate = rate_of(language, defaults.words_per_second)
        #: Prompt -> seconds: generated menus say the same few prompts at many nodes.
        self.seconds: dict[str, float] = {}
        #: What menus and inputs take from the defaults when they do not say.
        self.asks = {"timeout": defaults.timeout, "retries": defaults.retries,
                     "on_fail": defaults.on_fail}
        #: Ids outside NODE_ID need the general check (any script, no invisible characters).
        self.usable = all(map(NODE_ID.fullmatch, ids))

    def node(self, nid: str, raw: Any) -> Node | None:
        """The node, or None when it is not plain (the general reader then reads it)."""
        if type(raw) is not dict:
            return None
        kind = raw.get("kind")
        if type(kind) is not str:
            return None
        allowed = _PLAIN.get(kind)
        if allowed is None or not raw.keys() <= allowed:
            return None
        ids = self.ids
        table = None
        for name, value in raw.items():
            if type(value) is str:
                if name in _REFS and value not in ids:
                    return None
            elif name == "options" and type(value) is dict:
                table = value
            else:
                return None
        # What the node leaves out, then what it says (its own on_fail, on_timeout win).
        if kind == "menu":
            v = {"id": nid, **self.asks, "on_timeout": nid, "on_invalid": nid, **raw}
            if table is not None:
                options = self.options(nid, table)
                if options is None:
                    return None
                v["options"] = options
        elif kind == "input":
            v = {"id": nid, **self.asks, **raw}
        else:
            v = {"id": nid, **raw}
        if "say" in raw:
            say = raw["say"]
            seconds = self.seconds.get(say)
            if seconds is None:
                seconds = self.seconds[say] = seconds_of(say, self.language, self.rate)
            v["seconds"] = seconds
        path = ("nodes", nid)
        line, column = self.marks.get(path) or self.where(path)
        # made() written out: a call less for each of 100,000 nodes.
        v["source"] = source = new(Source)
        put(source, "__dict__", {"file": self.file, "line": line, "column": column})
        node = new(Node)
        put(node, "__dict__", v)
        return node

    def options(self, nid: str, table: dict[Any, Any]) -> tuple[Option, ...] | None:
        """Options on single keys leading to known nodes, in keypad order; else None."""
        if not table.keys() <= KEY_ORDER.keys():
            return None
        try:
            if not all(map(self.ids.__contains__, table.values())):
                return None
        except TypeError:  # an unhashable target: {to, label}
            return None
        # Only text equals a node id, so every target is text.
        keys = sorted(table, key=KEY_ORDER.__getitem__)
        if not self.fine:
            return tuple([made(Option, {"key": key, "target": table[key]}) for key in keys])
        out = []
        for key in keys:
            v = {"key": key, "target": table[key]}
            mark = self.marks.get(("nodes", nid, "options", key))
            if mark is not None:
                v["source"] = made(Source, {"file": self.file, "line": mark[0],
                                            "column": mark[1]})
            out.append(made(Option, v))
        return tuple(out)
