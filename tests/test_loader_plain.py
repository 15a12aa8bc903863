"""The quick ways of loading and indexing a large menu give what the general ones give.

:mod:`ivr.formats.plain` reads the common node shapes in one pass and
:func:`ivr.structure.topology._edges` gathers menus' and messages' exits column by
column; both must agree, node for node and edge for edge, with the general reader
(``_MenuReader.read_node``) and :meth:`ivr.model.Node.exits`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr import IvrError, load_menu
from ivr.formats.native import _MenuReader
from ivr.formats.plain import PlainNodes
from ivr.formats.registry import load_any
from ivr.formats.yamltext import Document
from ivr.model import EVENTS, HANGUP, Defaults, Node, Option, Source, made
from ivr.structure.topology import Topology

ROOT = Path(__file__).resolve().parent.parent
IDS = ("main", "billing", "desk", "m1", "7")
TEXTS = st.sampled_from(["Hello.", "For billing press 1.", "", "¿Hola?"])
VALUES = st.one_of(st.sampled_from(IDS), TEXTS, st.none(), st.integers(-2, 40),
                   st.floats(0.1, 9.0), st.lists(TEXTS, max_size=2), st.booleans())
FIELDS = ("kind", "say", "label", "note", "next", "on_timeout", "on_invalid", "on_fail",
          "queue", "options", "timeout", "retries", "language", "seconds", "digits")
KEYS = st.sampled_from(["1", "2", "0", "*", "#", "9", "10", "a", 1])
OPTIONS = st.dictionaries(KEYS, st.one_of(st.sampled_from(IDS + ("nowhere",)),
                                          st.fixed_dictionaries({"to": st.sampled_from(IDS)})),
                          max_size=5)
KINDS = st.sampled_from(["menu", "message", "input", "agent", "self_service", "voicemail",
                         "hangup", "branch", "transfer", "callback", "bogus"])


@st.composite
def raw_nodes(draw: st.DrawFn) -> dict[object, object]:
    raw: dict[object, object] = {"kind": draw(KINDS)}
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        raw[name] = draw(OPTIONS) if name == "options" else draw(VALUES)
    return raw


@st.composite
def plain_nodes(draw: st.DrawFn) -> dict[object, object]:
    """Mostly what the quick way takes: text fields, single keys to known nodes."""
    raw: dict[object, object] = {"kind": draw(st.sampled_from(
        ["menu", "message", "input", "agent", "self_service", "voicemail", "hangup"]))}
    for name in draw(st.lists(st.sampled_from(("say", "label", "note", "next", "on_fail",
                                               "on_timeout", "on_invalid", "queue",
                                               "options")), max_size=4, unique=True)):
        raw[name] = draw(st.dictionaries(st.sampled_from(["1", "2", "0", "*", "#"]),
                                         st.sampled_from(IDS), max_size=4)) \
            if name == "options" else draw(st.sampled_from(IDS) | TEXTS)
    return raw


def _general(reader: _MenuReader, raw: object, defaults: Defaults) -> object:
    """What the general reader makes of node ``main``: a Node, or its error message."""
    try:
        return reader.read_node("main", raw, defaults, {})
    except IvrError as e:
        return str(e)


@settings(max_examples=400, deadline=None)
@given(raw=plain_nodes() | raw_nodes(), fine=st.booleans())
def test_a_plain_node_is_what_the_general_reader_makes(raw: dict[object, object],
                                                       fine: bool) -> None:
    """Either the quick way declines (None), or it makes the very node the general reader
    makes, which then raises nothing."""
    doc = Document("m.yaml", None, {("nodes", "main"): (3, 3),
                                    ("nodes", "main", "options", "1"): (4, 5)}, fine)
    ids = dict.fromkeys(IDS, {})
    defaults = Defaults(timeout=4.0, retries=2, on_fail="desk")
    reader = _MenuReader(doc, ids)
    reader.raw_nodes = ids
    reader.language_tag = "en"
    quick = PlainNodes(doc, ids, defaults, "en").node("main", raw)
    if quick is not None:
        general = _general(reader, raw, defaults)
        assert quick == general
        assert repr(quick) == repr(general)


def test_the_generated_menu_is_read_the_quick_way_to_the_same_nodes(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from generate import big_menu_yaml

    path = tmp_path / "menu.yaml"
    path.write_text(big_menu_yaml(400), encoding="utf-8")
    menu = load_menu(path)
    # The same menu with one id outside ASCII goes the general way for every node.
    slow = load_menu_general(path)
    assert dict(menu.nodes) == dict(slow.nodes)
    assert [repr(n) for n in menu.nodes.values()] == [repr(n) for n in slow.nodes.values()]


def load_menu_general(path: Path) -> object:
    """``load_menu`` with the quick way turned off."""
    usable = PlainNodes.__init__

    def off(self: PlainNodes, *args: object) -> None:
        usable(self, *args)  # type: ignore[arg-type]
        self.usable = False

    PlainNodes.__init__ = off  # type: ignore[method-assign]
    try:
        return load_menu(path)
    finally:
        PlainNodes.__init__ = usable  # type: ignore[method-assign]


def test_made_records_equal_those_made_by_init() -> None:
    src = made(Source, {"file": "m.yaml", "line": 3, "column": 5})
    assert src == Source("m.yaml", 3, 5) and hash(src) == hash(Source("m.yaml", 3, 5))
    node = made(Node, {"id": "a", "kind": "menu", "source": src,
                       "options": (made(Option, {"key": "1", "target": "b"}),)})
    assert node == Node("a", "menu", Source("m.yaml", 3, 5), options=(Option("1", "b"),))
    with pytest.raises(AttributeError):
        node.kind = "message"  # type: ignore[misc]


def test_topology_of_nodes_with_no_exits_among_those_that_have_some() -> None:
    """Inputs, branches and agents take Node.exits(); some have none (a branch with no
    route yet, found by the walk tests' hypothesis)."""
    from ivr import parse_menu

    text = """
name: t
start: A
schedules: {office: {mon-fri: "08:00-18:00", tz: UTC}}
nodes:
  A: {kind: menu, options: {"1": B, "2": C}}
  B: {kind: branch, schedule: office}
  C: {kind: message}
"""
    for more in ("", '  D: {kind: agent, schedule: office, closed: C}\n'):
        menu = parse_menu(text + more)
        top = Topology.of(menu)
        want = [(nid, ex.event, ex.target or HANGUP) for nid, node in menu.nodes.items()
                for ex in node.exits()]
        assert [(top.ids[s], EVENTS[e], top.ids[d]) for s, e, d in zip(
            top.src.tolist(), top.event.tolist(), top.dst.tolist(), strict=True)] == want


MENUS = sorted(p for p in (ROOT / "menus").rglob("*") if p.is_file()) + sorted(
    p for p in (ROOT / "tests" / "data" / "import").rglob("*") if p.is_file())


@pytest.mark.parametrize("path", MENUS, ids=lambda p: str(p.relative_to(ROOT)))
def test_topology_edges_are_the_nodes_exits(path: Path) -> None:
    try:
        menu = load_any(path)
    except IvrError:
        pytest.skip("not a menu on its own")
    top = Topology.of(menu)
    exits = [(nid, ex) for nid, node in menu.nodes.items() for ex in node.exits()]
    assert len(top.src) == len(exits)
    got = [(top.ids[s], top.ids[d], EVENTS[e], top.key(i), float(p))
           for i, (s, d, e, p) in enumerate(zip(top.src.tolist(), top.dst.tolist(),
                                                top.event.tolist(), top.chance.tolist(),
                                                strict=True))]
    want = [(nid, ex.target if ex.target is not None else HANGUP, ex.event,
             ex.key, float(ex.probability or 0.0)) for nid, ex in exits]
    assert got == want
    assert list(top.typed) == sorted(top.typed)  # typed keys by edge, in edge order
