"""What every importer hands over: a native-format mapping plus where each node came from.

Importers translate a platform's flow into the same mapping a native YAML file holds
(docs/menu-format.md), so the native reader checks it exactly as it checks hand-written
menus, and ``ivr import`` can write it out as YAML that loads back to the same menu.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterator, Mapping, MutableSet
from dataclasses import dataclass, field, replace
from typing import Any

from ivr.formats.native import read_menu_document
from ivr.formats.yamltext import Document
from ivr.gcpause import paused_gc
from ivr.language.tags import TagError, normalize
from ivr.limits import MAX_INPUT_DIGITS, MAX_RETRIES, MAX_SECONDS, MIN_SECONDS
from ivr.model import KEYPAD, Menu, Note, Source

#: Prompt length assumed for a recorded prompt whose words are unknown (an audio file).
AUDIO_SECONDS = 5.0
#: A digit pattern matching more typed sequences than this is kept as its first ones.
MAX_EXPANSION = 100
#: Share of callers assumed to come back unanswered (ring-out, no answer, busy, a queue at
#: capacity) from a queue or a forwarded call whose flow says where such callers go next.
#: Exports do not say how often that happens; when agents carry queue limits (max_wait,
#: on_max_wait), importers should fill those instead of this share.
UNANSWERED = 0.2
#: Share assumed to take a block's technical-error exit (a failed transfer, attribute or
#: data dip) where the flow wires one: rare, but the route is live, not unreachable.
ERRORS = 0.02
#: Words in a forwarding target's name that say an automated line answers it, not a person.
AUTOMATED = re.compile(r"(?i)(?<![a-z])(ivr|voice ?mail|fax|conferenc\w*|auto-?attendant|"
                       r"bot|automated|recording|announcement|menu|echo|music|moh)(?![a-z])")

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
_TAG = r"([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*)"
#: Where each platform says what language its prompts are in (first match wins).
LANGUAGE_MARKS: dict[str, tuple[re.Pattern[str], ...]] = {
    "connect": (re.compile(r'"LanguageCode"\s*:\s*"' + _TAG + '"'),),
    "twilio": (re.compile(r'"language"\s*:\s*"' + _TAG + '"'),),
    "voicexml": (re.compile(r"<vxml\b[^>]*\bxml:lang\s*=\s*[\"']" + _TAG),),
    "freeswitch": (re.compile(r"default_language=" + _TAG),
                   re.compile(r"/sounds/([a-z]{2})/[a-z]{2}/")),
    "asterisk": (re.compile(r"CHANNEL\(language\)\s*=\s*" + _TAG, re.I),
                 re.compile(r"LANGUAGE\(\)\s*=\s*" + _TAG, re.I),
                 re.compile(r"SetLanguage\(\s*" + _TAG, re.I),
                 re.compile(r"/sounds/([a-z]{2})/")),
}


def _tag(raw: object) -> str | None:
    try:
        return normalize(str(raw).replace("_", "-")) if raw else None
    except TagError:
        return None  # a tag ivr does not know: the prompt is timed in the menu's language


def with_language(imported: Imported, text: str) -> Imported:
    """The menu's ``language`` from what the platform says: the commonest of its nodes'
    languages (Twilio's ``language`` on say/gather, VoiceXML ``xml:lang`` on a prompt),
    else the first mark in the file (Connect ``LanguageCode``, VoiceXML ``<vxml
    xml:lang>``, FreeSWITCH ``default_language`` or sound paths, Asterisk
    ``CHANNEL(language)``). Tags ivr does not know are dropped, not guessed.

    Examples
    --------
    >>> imp = Imported("asterisk", "x.conf", {"name": "x", "start": "a", "nodes": {}})
    >>> with_language(imp, "exten => s,1,Set(CHANNEL(language)=ja)").data["language"]
    'ja'
    """
    data = dict(imported.data)
    nodes = {nid: dict(n) if isinstance(n, dict) else n
             for nid, n in (data.get("nodes") or {}).items()}
    seen: Counter[str] = Counter()
    for node in nodes.values():
        if isinstance(node, dict) and "language" in node:
            tag = _tag(node.pop("language"))
            if tag is not None:
                node["language"] = tag
                seen[tag] += 1
    menu = _tag(data.get("language")) if "language" in data else None
    if menu is None and seen:
        menu = seen.most_common(1)[0][0]
    if menu is None:
        for pattern in LANGUAGE_MARKS.get(imported.format, ()):
            found = pattern.search(text)
            if found and (menu := _tag(found.group(1))) is not None:
                break
    data.pop("language", None)
    if menu is not None and menu != "en":
        data["language"] = menu
    for node in nodes.values():
        if isinstance(node, dict) and node.get("language") == (menu or "en"):
            del node["language"]
    data["nodes"] = nodes
    return replace(imported, data=data)


def refs(node: Mapping[str, Any]) -> Iterator[str]:
    """The node ids a native node mapping leads to (its exits, in no particular order)."""
    for name in ("next", "on_timeout", "on_invalid", "on_fail", "open", "closed"):
        if isinstance(node.get(name), str):
            yield node[name]
    for value in (node.get("options") or {}).values():
        yield value["to"] if isinstance(value, dict) else value
    yield from node.get("chance") or {}


def reachable(nodes: Mapping[str, Mapping[str, Any]], start: str) -> set[str]:
    """Node ids of a native mapping a call can reach from ``start``."""
    seen, todo = {start}, [start]
    while todo:
        for t in refs(nodes.get(todo.pop(), {})):
            if t not in seen:
                seen.add(t)
                todo.append(t)
    return seen


def forwarded(number: str, *names: str | None) -> dict[str, Any]:
    """The node for a call forwarded to a phone number: a person (someone's phone, an
    office line) unless the number or the flow's own names for it say an automated line
    answers (:data:`AUTOMATED`), as a platform's "forward to" is normally used.

    Examples
    --------
    >>> forwarded("+15551234567", "Forward to owner")["kind"]
    'agent'
    >>> forwarded("+15551230000", "after-hours IVR")["kind"]
    'transfer'
    """
    words = " ".join(n for n in (number, *names) if n)
    if AUTOMATED.search(words):
        return {"kind": "transfer", "to": number,
                "label": f"forwarded to {number} (its name says an automated line answers)"}
    return {"kind": "agent", "queue": f"phone {number}",
            "label": f"forwarded to {number} (assumed a person's phone)"}


def ring_out(answered: str, unanswered: str, what: str) -> dict[str, Any]:
    """A branch: ``answered`` (a person) or the flow's own continuation for callers the
    person or queue does not answer, with the :data:`UNANSWERED` share."""
    if answered == unanswered:
        return {"kind": "branch", "chance": {answered: 1.0}, "label": what}
    return {"kind": "branch", "chance": {answered: 1 - UNANSWERED, unanswered: UNANSWERED},
            "label": f"{what}: answered, or not (ring-out, busy, full: "
                     f"{UNANSWERED:.0%} assumed) and the flow goes on"}


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


__all__ = ["AUDIO_SECONDS", "AUTOMATED", "ERRORS", "LANGUAGE_MARKS", "MAX_EXPANSION",
           "UNANSWERED", "Imported", "expand_digits", "forwarded", "node_id", "reachable",
           "refs", "ring_out", "to_menu", "with_language"]
