"""Properties over generated input: the loader never fails with anything but an IvrError,
valid menus always load, and lint, paths and the graph view agree with networkx."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import networkx as nx
import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ivr import IvrError, Menu, parse_menu
from ivr.model import HANGUP, KEYPAD, KINDS, TERMINAL_KINDS, Source
from ivr.structure.graph import to_graph
from ivr.structure.lint import lint
from ivr.structure.paths import paths
from ivr.structure.topology import Topology

FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MEDIUM = settings(max_examples=100, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def parses_or_ivr_error(text: str) -> Menu | None:
    try:
        menu = parse_menu(text, "gen.yaml")
    except IvrError as exc:
        assert "\n" not in str(exc), str(exc)
        return None
    assert isinstance(menu, Menu)
    return menu


# --------------------------------------------------------------------------- (a) any text

YAMLISH = st.lists(
    st.sampled_from(list("ab01:-[]{}&*!|>'\"#%@`?,. \t\n\r~\\") + [
        "name: ", "start: ", "nodes:\n", "  ", "kind: ", "menu", "options: ", "\n  - ",
        "&a ", "*a", "---\n", "\ufeff", "\x85", "\u2028", "\x00", "é", "<<: ", "!!str ",
        "!!binary ", "? ", "...\n", "%YAML 1.2\n"]),
    max_size=60,
).map("".join)


@FAST
@given(st.text(max_size=300))
def test_any_text_loads_or_is_an_ivr_error(text: str) -> None:
    parses_or_ivr_error(text)


@FAST
@given(YAMLISH)
def test_yamlish_text_loads_or_is_an_ivr_error(text: str) -> None:
    parses_or_ivr_error(text)


PREFIXES = ["name: T\nstart: main\nnodes:\n  main:\n    ",
            "name: T\nstart: main\nnodes:\n  main: {kind: menu, options: ",
            "name: T\nstart: main\nschedules:\n  s: "]


@FAST
@given(st.sampled_from(PREFIXES), YAMLISH)
def test_menu_with_a_mangled_tail_loads_or_is_an_ivr_error(prefix: str, tail: str) -> None:
    parses_or_ivr_error(prefix + tail)


# --------------------------------------------------------------------------- (b) any tree

# Integers stay within what a float can hold: a larger one is a known bug (test_loader).
SCALARS = (st.none() | st.booleans() | st.integers(-(2**63), 2**63)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12))
KEYS = st.text(max_size=10) | st.integers(-20, 20) | st.booleans() | st.none()
TREES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)
FIELDS = ["kind", "say", "seconds", "label", "note", "options", "timeout", "retries",
          "on_timeout", "on_invalid", "on_fail", "next", "digits", "schedule", "open",
          "closed", "chance", "queue", "staff", "resolves", "to", "flow"]
NODE_IDS = st.sampled_from(["main", "a", "b", "agent", "1", "x y"])
NODE = st.fixed_dictionaries(
    {"kind": st.sampled_from(KINDS) | TREES},
    optional={f: (NODE_IDS if f in ("next", "on_fail", "open", "closed", "on_timeout")
                  else TREES) for f in FIELDS[1:]},
)
OPTIONS = st.dictionaries(st.sampled_from([*KEYPAD, 1, 0, 10, "a"]), NODE_IDS | TREES,
                          max_size=4)
MENU_SHAPED = st.fixed_dictionaries(
    {"name": st.just("T") | TREES, "start": NODE_IDS | TREES,
     "nodes": st.dictionaries(NODE_IDS, NODE | st.fixed_dictionaries(
         {"kind": st.just("menu"), "options": OPTIONS}), max_size=4) | TREES},
    optional={"defaults": TREES | st.fixed_dictionaries({}, optional={
        "timeout": SCALARS, "retries": SCALARS, "words_per_second": SCALARS,
        "on_fail": NODE_IDS}),
        "schedules": TREES | st.dictionaries(st.just("s"), st.dictionaries(
            st.sampled_from(["tz", "mon", "mon-fri", "sat,sun", "daily", "x"]),
            st.sampled_from(["UTC", "08:00-18:00", "closed", "9-5", "Europe/Talinn"]) | TREES,
            max_size=3)),
        "callers": TREES | st.fixed_dictionaries({"intents": TREES | st.dictionaries(
            st.just("i"), st.fixed_dictionaries({"share": SCALARS, "goal": NODE_IDS | TREES}))},
            optional={"patience": TREES, "mistake_rate": SCALARS}),
        "description": TREES},
)


def dump(tree: Any) -> str:
    return yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)


@FAST
@given(TREES)
def test_any_yaml_tree_loads_or_is_an_ivr_error(tree: Any) -> None:
    parses_or_ivr_error(dump(tree))


@FAST
@given(MENU_SHAPED)
def test_menu_shaped_tree_loads_or_is_an_ivr_error(tree: dict[str, Any]) -> None:
    menu = parses_or_ivr_error(dump(tree))
    if menu is not None:
        lint(menu)
        paths(menu)


# --------------------------------------------------------------------------- (c) valid menus

# Ids that YAML may read as numbers (_1, 0b1, 007) are left to test_loader.
ID = st.from_regex(r"(?:[A-Za-z]|_+[A-Za-z])[A-Za-z0-9_.-]{0,5}", fullmatch=True)
# PyYAML writes YAML 1.1, which leaves 1e3 or 0o7 unquoted though YAML 1.2 reads them as
# numbers; yaml_rs also reads _1 or 0b1 as numbers (see test_loader). Generated texts avoid
# these plain forms, which are not what this property is about.
_NUMBERISH = re.compile(
    r"[-+]?(?:\.[0-9_]+|[0-9_]+(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?0[boxBOX][0-9a-fA-F_]+"
    r"|[-+]?[0-9_]*_[0-9_]*")


def plain_text(s: str) -> bool:
    return not _NUMBERISH.fullmatch(s.strip())


WORDS = st.lists(st.sampled_from(["press", "one", "for", "billing", "zero", "an", "agent"]),
                 max_size=30).map(" ".join)
TEXT = WORDS | st.text(max_size=20).filter(plain_text)
SECONDS = st.integers(0, 60) | st.floats(0, 60, allow_nan=False)
POSITIVE = st.integers(1, 30) | st.floats(0.5, 30, allow_nan=False)
SPLITS = {1: [1.0], 2: [0.5, 0.5], 3: [0.25, 0.25, 0.5], 4: [0.25, 0.25, 0.25, 0.25]}


@st.composite
def valid_menus(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(ID, min_size=1, max_size=9, unique=True))
    ref = st.sampled_from(ids)
    maybe = st.booleans()
    nodes: dict[str, Any] = {}
    for nid in ids:
        kind = draw(st.sampled_from(KINDS))
        node: dict[str, Any] = {"kind": kind}
        if draw(maybe):
            node["say"] = draw(TEXT)
        if draw(st.integers(0, 3)) == 0:
            node["seconds"] = draw(SECONDS)
        if draw(st.integers(0, 5)) == 0:
            node["label"] = draw(TEXT)
        if kind in ("menu", "input"):
            for name, value in (("timeout", POSITIVE), ("retries", st.integers(1, 4)),
                                ("on_fail", ref)):
                if draw(maybe):
                    node[name] = draw(value)
        if kind == "menu":
            keys = draw(st.lists(st.sampled_from(KEYPAD), unique=True, max_size=7))
            options: dict[str, Any] = {}
            for key in keys:
                target = draw(ref)
                options[key] = ({"to": target, "label": draw(TEXT)}
                                if draw(st.integers(0, 3)) == 0 else target)
            if options or draw(maybe):
                node["options"] = options
            for name in ("on_timeout", "on_invalid"):
                if draw(st.integers(0, 3)) == 0:
                    node[name] = draw(ref)
        elif kind in ("message", "input"):
            if draw(st.integers(0, 4)) > 0:
                node["next"] = draw(ref)
            if kind == "input" and draw(maybe):
                node["digits"] = draw(st.integers(1, 12))
        elif kind == "branch":
            if draw(maybe):
                node["schedule"] = "office"
                for name in ("open", "closed"):
                    if draw(st.integers(0, 4)) > 0:
                        node[name] = draw(ref)
            else:
                k = draw(st.integers(1, min(4, len(ids))))
                targets = draw(st.lists(ref, min_size=k, max_size=k, unique=True))
                node["chance"] = dict(zip(targets, SPLITS[k], strict=True))
        elif kind == "agent":
            if draw(maybe):
                node["queue"] = draw(TEXT)
            if draw(maybe):
                node["schedule"] = "office"
                if draw(maybe):
                    node["closed"] = draw(ref)
            if draw(st.integers(0, 3)) == 0:
                node["staff"] = {"agents": draw(st.integers(1, 9)),
                                 "handle_time": draw(POSITIVE)}
        elif kind == "self_service" and draw(maybe):
            node["resolves"] = draw(st.sampled_from(["balance", ["balance", "hours"]]))
        elif kind == "transfer":
            which = draw(st.sampled_from(["to", "flow", "both"]))
            if which in ("to", "both"):
                node["to"] = "+" + str(draw(st.integers(10**9, 10**12)))
            if which in ("flow", "both"):
                node["flow"] = "other.yaml"
        nodes[nid] = node
    raw: dict[str, Any] = {"name": draw(TEXT.filter(bool)), "start": draw(ref)}
    if draw(maybe):
        defaults: dict[str, Any] = {}
        for name, value in (("timeout", POSITIVE), ("retries", st.integers(1, 4)),
                            ("words_per_second", POSITIVE), ("on_fail", ref)):
            if draw(maybe):
                defaults[name] = draw(value)
        raw["defaults"] = defaults
    raw["schedules"] = {"office": {"mon-fri": "08:00-18:00", "sat": "closed", "tz": "UTC"}}
    raw["nodes"] = nodes
    if draw(maybe):
        k = draw(st.integers(1, 4))
        raw["callers"] = {"intents": {
            f"i{j}": {"share": share, "goal": draw(ref | st.lists(ref, min_size=1, max_size=3))}
            for j, share in enumerate(SPLITS[k])}}
        if draw(maybe):
            raw["callers"]["patience"] = draw(st.sampled_from([
                {"distribution": "none"}, {"distribution": "fixed", "mean": 30},
                {"distribution": "weibull", "mean": 60, "shape": 1.5},
                {"distribution": "lognormal", "mean": 60, "sd": 20}, {"mean": 90}]))
    return raw


def reachable(g: nx.MultiDiGraph, start: str) -> set[str]:
    return nx.descendants(g, start) | {start}


@MEDIUM
@given(valid_menus())
def test_valid_menus_load_and_lint_agrees_with_networkx(raw: dict[str, Any]) -> None:
    menu = parse_menu(yaml.safe_dump(raw, sort_keys=False), "gen.yaml")
    assert list(menu.nodes) == list(raw["nodes"])
    findings = lint(menu)
    assert findings == lint(menu)
    g = to_graph(menu)
    kind = dict(g.nodes(data="kind"))
    seen = reachable(g, menu.start)

    # UNREACHABLE: exactly the nodes networkx cannot reach from the start
    unreachable = {f.node for f in findings if f.rule == "UNREACHABLE"}
    assert unreachable == set(menu.nodes) - seen

    # TRAP: one finding per attracting component with no ending, not a lone node
    # without a self-loop (that one is a DEAD_END)
    traps = [set(c) for c in nx.attracting_components(g)
             if not any(kind[n] in TERMINAL_KINDS for n in c)
             and not (len(c) == 1 and not g.has_edge(next(iter(c)), next(iter(c))))]
    found = [f for f in findings if f.rule == "TRAP"]
    assert len(found) == len(traps)
    for trap in traps:
        inside = [f for f in found if f.node in trap]
        assert len(inside) == 1, (trap, found)
        f = inside[0]
        if len(trap) <= 6:
            assert all(n in f.message for n in trap)
        assert f.severity == ("error" if f.node in seen else "warning")

    # NO_PATH_TO_HUMAN: an error at the start exactly when no agent can be reached
    agents = {n for n in seen if kind[n] == "agent"}
    errors = [f for f in findings if f.rule == "NO_PATH_TO_HUMAN" and f.severity == "error"]
    assert [f.node for f in errors] == ([] if agents else [menu.start])

    # DEAD_END: a node that does not end the call and has no way on
    dead = set()
    for nid, node in menu.nodes.items():
        if (node.kind in ("message", "input") and node.next is None
                or node.kind == "menu" and not node.options
                or node.kind == "branch" and node.schedule
                and (node.open is None or node.closed is None)):
            dead.add(nid)
    assert {f.node for f in findings if f.rule == "DEAD_END"} == dead

    # every finding with keys has a path that is a walk from the start through its node
    # (rules about a move, an option pressed or a hang-up, go on with that move)
    for f in findings:
        if f.path is not None:
            walk(g, menu.start, f.path, f.path[-1].target if f.path else f.node)
            assert f.node in {menu.start, *(s.target for s in f.path), *(
                s.node for s in f.path)}

    # the topology's attracting components are networkx's
    top = Topology.of(menu)
    g2 = g.copy()
    g2.add_node(HANGUP)
    assert ({frozenset(top.ids[i] for i in c) for c in top.attracting()}
            == {frozenset(c) for c in nx.attracting_components(g2)})

    # the cheat sheet: one route per reachable ending, each a walk in the graph
    routes = paths(menu)
    assert [r.node for r in routes] == list(dict.fromkeys(r.node for r in routes))
    # (over the edges the caller model takes: a fail edge whose retries never run out, or
    # a wrong-key edge at a menu where every key is an option, is no route)
    g3 = nx.MultiDiGraph()
    g3.add_nodes_from(top.ids)
    g3.add_edges_from((top.ids[int(a)], top.ids[int(b)]) for a, b, t in
                      zip(top.src, top.dst, top.taken, strict=True) if t)
    taken_seen = nx.descendants(g3, menu.start) | {menu.start}
    assert {r.node for r in routes} == {n for n in taken_seen if kind.get(n) in TERMINAL_KINDS}
    for r in routes:
        walk(g, menu.start, r.steps, r.node)
        assert r.kind == kind[r.node]
        assert r.seconds >= 0 and r.fastest_seconds <= r.seconds + 1e-6
    people = [r.kind == "agent" for r in routes]
    assert people == sorted(people, reverse=True)


def walk(g: nx.MultiDiGraph, start: str, steps: Any, end: str | None) -> None:
    at = start
    for s in steps:
        assert s.node == at
        data = g.get_edge_data(s.node, s.target, default={})
        assert any(d["event"] == s.event and d["key"] == s.key for d in data.values()), s
        at = s.target
    assert at == end


# --------------------------------------------------------------------------- (d) YAML vs JSON

PLAIN = Source("-")


def without_sources(menu: Menu) -> Menu:
    nodes = {nid: replace(n, source=PLAIN,
                          options=tuple(replace(o, source=None) for o in n.options))
             for nid, n in menu.nodes.items()}
    schedules = {k: replace(s, source=None) for k, s in menu.schedules.items()}
    callers = None if menu.callers is None else replace(menu.callers, source=None)
    return replace(menu, nodes=nodes, schedules=schedules, callers=callers, source=PLAIN)


@MEDIUM
@given(valid_menus())
def test_yaml_and_json_give_the_same_menu(raw: dict[str, Any]) -> None:
    from_yaml = parse_menu(yaml.safe_dump(raw, sort_keys=False), "m.yaml")
    from_json = parse_menu(json.dumps(raw), "m.json")
    from_json_unicode = parse_menu(json.dumps(raw, ensure_ascii=False, indent=1), "m.json")
    assert without_sources(from_yaml) == without_sources(from_json)
    assert without_sources(from_json) == without_sources(from_json_unicode)
    # and neither equals a changed menu: the comparison can fail
    assume(len(raw["nodes"]) > 1)
    changed = dict(raw, start=next(n for n in raw["nodes"] if n != raw["start"]))
    assert without_sources(parse_menu(json.dumps(changed))) != without_sources(from_json)


@MEDIUM
@given(valid_menus())
def test_yaml_positions_point_at_the_nodes(raw: dict[str, Any]) -> None:
    text = yaml.safe_dump(raw, sort_keys=False, default_flow_style=False)
    menu = parse_menu(text, "m.yaml")
    lines = text.splitlines()
    for nid, node in menu.nodes.items():
        line = node.source.line
        assert line is not None
        written = lines[line - 1][node.source.column - 1:]
        assert written.startswith((f"{nid}:", f"'{nid}':", f'"{nid}":')), (nid, written)


@pytest.mark.parametrize("seed_id", ["0o7", "1e3"])
def test_pyyaml_would_write_these_ids_unquoted(seed_id: str) -> None:
    # Why the generator avoids ids starting with a digit: PyYAML (YAML 1.1) writes them
    # unquoted, and in YAML 1.2 they are numbers. Loading must still give a clear error.
    text = yaml.safe_dump({"name": "T", "start": seed_id,
                           "nodes": {seed_id: {"kind": "agent"}}}, sort_keys=False)
    try:
        menu = parse_menu(text)
    except IvrError as exc:
        assert "\n" not in str(exc)
    else:
        assert menu.start == seed_id


@MEDIUM
@given(valid_menus(), st.randoms(use_true_random=False))
def test_lint_does_not_depend_on_node_order(raw: dict[str, Any], rnd: Any) -> None:
    order = list(raw["nodes"])
    rnd.shuffle(order)
    shuffled = dict(raw, nodes={nid: raw["nodes"][nid] for nid in order})
    a = lint(parse_menu(json.dumps(raw)))
    b = lint(parse_menu(json.dumps(shuffled)))

    def summary(findings: list[Any]) -> set[tuple[str, str | None, str]]:
        # which node of a trap heads its finding may depend on order; the rest may not
        return {(f.rule, f.node if f.rule != "TRAP" else "", f.severity) for f in findings}

    assert summary(a) == summary(b)
    assert len(a) == len(b)
    # routes: the same endings, each as few actions and as many seconds as before
    ra = {r.node: r for r in paths(parse_menu(json.dumps(raw)))}
    rb = {r.node: r for r in paths(parse_menu(json.dumps(shuffled)))}
    assert ra.keys() == rb.keys()
    for node, r in ra.items():
        assert r.kind == rb[node].kind
        assert r.seconds == pytest.approx(rb[node].seconds)
        assert r.fastest_seconds == pytest.approx(rb[node].fastest_seconds)
