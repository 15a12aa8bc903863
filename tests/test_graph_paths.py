"""The graph view, its DOT and Mermaid drawings, and the cheat sheet of routes."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import networkx as nx
import pytest
from test_walk import check_routes

from ivr import Menu, load_menu, parse_menu
from ivr.formats.dot import to_dot
from ivr.formats.mermaid import to_mermaid
from ivr.model import EVENTS
from ivr.structure.graph import to_graph
from ivr.structure.paths import paths
from ivr.structure.topology import Topology

ROOT = Path(__file__).resolve().parent.parent
MENUS = sorted((ROOT / "menus").glob("*.yaml"))
HANGUP = "(hangup)"

SMALL = """\
name: Small
start: main
nodes:
  main:
    kind: menu
    options: {"1": acct, "0": agent}
  acct: {kind: input, digits: 4, next: lookup, on_fail: agent}
  lookup: {kind: branch, chance: {found: 0.75, agent: 0.25}}
  found: {kind: self_service}
  agent: {kind: agent, schedule: office}
schedules:
  office: {daily: "08:00-18:00", tz: UTC}
"""


def menu(text: str) -> Menu:
    return parse_menu(textwrap.dedent(text), "t.yaml")


def edges(g: nx.MultiDiGraph) -> set[tuple[str, str, str, str | None, float | None]]:
    return {(u, v, d["event"], d["key"], d["probability"]) for u, v, d in g.edges(data=True)}


# --------------------------------------------------------------------------- graph

def test_to_graph_nodes_and_edges() -> None:
    m = parse_menu(SMALL)
    g = to_graph(m)
    assert isinstance(g, nx.MultiDiGraph)
    assert dict(g.nodes(data="kind")) == {
        "main": "menu", "acct": "input", "lookup": "branch", "found": "self_service",
        "agent": "agent", HANGUP: "hangup"}
    assert edges(g) == {
        ("main", "acct", "option", "1", None),
        ("main", "agent", "option", "0", None),
        ("main", "main", "timeout", None, None),
        ("main", "main", "invalid", None, None),
        ("main", HANGUP, "fail", None, None),
        ("acct", "lookup", "next", None, None),
        ("acct", "acct", "timeout", None, None),
        ("acct", "acct", "invalid", None, None),
        ("acct", "agent", "fail", None, None),
        ("lookup", "found", "chance", None, 0.75),
        ("lookup", "agent", "chance", None, 0.25),
        ("agent", HANGUP, "closed", None, None),
    }
    assert g.number_of_edges() == 12


def test_no_implicit_hangup_when_every_exit_has_a_target() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"0": agent}, on_fail: agent}
          agent: {kind: agent}
    """)
    g = to_graph(m)
    assert set(g.nodes) == {"main", "agent"}
    assert (HANGUP not in g)


def test_graph_of_every_shipped_menu_matches_its_exits() -> None:
    for path in MENUS:
        m = load_menu(path)
        g = to_graph(m)
        assert set(m.nodes) <= set(g.nodes)
        assert set(g.nodes) - set(m.nodes) <= {HANGUP}
        for nid, node in m.nodes.items():
            assert g.nodes[nid]["kind"] == node.kind
            expect = sorted((e.target or HANGUP, e.event, e.key or "") for e in node.exits())
            got = sorted((v, d["event"], d["key"] or "")
                         for _, v, d in g.out_edges(nid, data=True))
            assert got == expect, (path.name, nid)


def test_topology_attracting_matches_networkx() -> None:
    for path in [*MENUS, *sorted((Path(__file__).parent / "data" / "lint").glob("*.yaml"))]:
        m = load_menu(path)
        top = Topology.of(m)
        ours = {frozenset(top.ids[i] for i in comp) for comp in top.attracting()}
        g = to_graph(m)
        g.add_node(HANGUP)  # the topology always has the implicit hang-up
        theirs = {frozenset(c) for c in nx.attracting_components(g)}
        assert ours == theirs, path.name


# --------------------------------------------------------------------------- DOT / Mermaid

HAND = """\
name: Hand "made"
start: greeting
defaults: {timeout: 4, retries: 2, on_fail: vm}
schedules:
  office: {daily: "08:00-18:00", tz: UTC}
nodes:
  greeting: {kind: message, seconds: 2, next: main}
  main:
    kind: menu
    label: Main "menu" [top]
    seconds: 10
    options: {"1": slow, "2": fast1, "0": agent}
    on_timeout: info
  slow: {kind: menu, seconds: 30, options: {"1": pay, "0": agent2}}
  fast1: {kind: menu, seconds: 1, options: {"1": fast2, "0": agent}}
  fast2: {kind: menu, seconds: 1, options: {"1": pay, "0": agent}}
  info: {kind: self_service}
  pay: {kind: self_service}
  vm: {kind: voicemail}
  agent: {kind: agent}
  agent2: {kind: agent, schedule: office}
  orphan_vm: {kind: voicemail}
  orphan_agent: {kind: agent}
"""


def strip_dot_strings(text: str) -> str:
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)


@pytest.mark.parametrize("text", [HAND, SMALL], ids=["hand", "small"])
def test_dot(text: str) -> None:
    m = parse_menu(text)
    dot = to_dot(to_graph(m))
    assert dot.startswith("digraph ")
    bare = strip_dot_strings(dot)
    assert bare.count("{") == bare.count("}") == 1
    assert bare.count("[") == bare.count("]")
    assert '"' not in bare.replace('""', "")  # every string literal is closed
    for line in dot.strip().splitlines()[1:-1]:
        assert line.rstrip().endswith(";"), line
    for nid in m.nodes:
        assert re.search(rf'^  "{re.escape(nid)}" \[', dot, re.M), nid
    g = to_graph(m)
    arrows = [line for line in dot.splitlines() if " -> " in line]
    assert len(arrows) == g.number_of_edges() + 1  # plus the start arrow
    assert '"__start__" -> ' + f'"{m.start}"' in dot


def test_dot_escapes_quotes() -> None:
    dot = to_dot(to_graph(parse_menu(HAND)))
    assert 'digraph "Hand \\"made\\"" {' in dot
    assert 'label="Main \\"menu\\" [top]\\n(menu)"' in dot


MERMAID_NODE = (r"  (n\d+)(\[/|\[\\|\[\(|\(\[|\(\(|\[|\(|\{|>)"
                r"\"(.*)\"(/\]|\\\]|\)\]|\]\)|\)\)|\]|\)|\})")


@pytest.mark.parametrize("text", [HAND, SMALL], ids=["hand", "small"])
def test_mermaid(text: str) -> None:
    m = parse_menu(text)
    g = to_graph(m)
    mer = to_mermaid(to_graph(m))
    lines = mer.rstrip("\n").split("\n")
    assert lines[0] == "flowchart LR"
    defined = set()
    for line in lines[1:]:
        assert line.startswith("  ")
        assert line.count('"') % 2 == 0, line
        node = re.fullmatch(MERMAID_NODE, line)
        if node:
            defined.add(node.group(1))
            assert "#quot;" in node.group(3) or '"' not in node.group(3)
    assert len(defined) == g.number_of_nodes()
    for line in lines[1:]:
        edge = re.fullmatch(r"  (n\d+|start\(\( \)\)) (-->|-\.->)(?:\|\"[^\"]*\"\|)? (n\d+)", line)
        if edge:
            assert edge.group(3) in defined
            if edge.group(1).startswith("n"):
                assert edge.group(1) in defined
        else:
            assert re.match(r"  n\d+\S", line), line
    arrows = [line for line in lines if "->" in line]
    assert len(arrows) == g.number_of_edges() + 1
    for nid, node in m.nodes.items():
        shown = (node.label or nid).replace('"', "#quot;")
        assert f'"{shown}<br/>' in mer, nid


# --------------------------------------------------------------------------- paths

def routes(m: Menu) -> dict[str, tuple[str, str, float, str, float]]:
    return {r.node: (r.kind, r.keys, r.seconds, r.fastest_keys, r.fastest_seconds)
            for r in paths(m)}


def test_cheat_sheet_of_a_hand_made_menu() -> None:
    m = parse_menu(HAND)
    got = paths(m)
    # greeting plays 2 s, then main (10 s) ...
    assert [r.node for r in got] == ["agent", "agent2", "info", "pay", "vm", HANGUP]
    assert routes(m) == {
        # 0 at main: 2 + 10
        "agent": ("agent", "0", 12.0, "0", 12.0),
        # 1 at main, 0 at slow: 2 + 10 + 30
        "agent2": ("agent", "1, 0", 42.0, "1, 0", 42.0),
        # wait at main: 2 + (10 + 4)
        "info": ("self_service", "wait", 16.0, "wait", 16.0),
        # fewest keys: 1, 1 (2 + 10 + 30); fastest: 2, 1, 1 (2 + 10 + 1 + 1)
        "pay": ("self_service", "1, 1", 42.0, "2, 1, 1", 14.0),
        # fewest: main's 2 retries (2 + 2 x 10); fastest: 2 then fast1's retries (2 + 10 + 2)
        "vm": ("voicemail", "no valid key x2", 22.0, "2, no valid key x2", 14.0),
        # agent2 is closed outside office hours and has nowhere to send callers
        HANGUP: ("hangup", "1, 0, (if closed)", 42.0, "1, 0, (if closed)", 42.0),
    }
    assert "orphan_vm" not in routes(m) and "orphan_agent" not in routes(m)


def test_route_steps() -> None:
    m = parse_menu(HAND)
    by = {r.node: r for r in paths(m)}
    pay = by["pay"]
    assert [(s.node, s.event, s.key, s.target, s.seconds) for s in pay.steps] == [
        ("greeting", "next", None, "main", 2.0),
        ("main", "option", "1", "slow", 10.0),
        ("slow", "option", "1", "pay", 30.0),
    ]
    assert [(s.node, s.event, s.target, s.seconds) for s in by["info"].steps] == [
        ("greeting", "next", "main", 2.0), ("main", "timeout", "info", 14.0)]
    assert [(s.node, s.event, s.target, s.seconds) for s in by["vm"].steps] == [
        ("greeting", "next", "main", 2.0), ("main", "fail", "vm", 20.0)]
    for r in paths(m):
        assert r.seconds == pytest.approx(sum(s.seconds for s in r.steps))


def test_people_first() -> None:
    for path in MENUS:
        kinds = [r.kind for r in paths(load_menu(path))]
        agents = [k == "agent" for k in kinds]
        assert agents == sorted(agents, reverse=True), path.name


def test_routes_describe_inputs_and_branches() -> None:
    m = parse_menu(SMALL.replace("  main:\n    kind: menu\n",
                                 "  main:\n    kind: menu\n    seconds: 3\n")
                   .replace("acct: {kind: input,", "acct: {kind: input, seconds: 5,"))
    got = routes(m)
    # 1 at main (3 s), enter 4 digits (5 s of prompt), the back end finds the account
    assert got["found"] == ("self_service", "1, (enter 4 digits), (-> found)", 8.0,
                            "1, (enter 4 digits), (-> found)", 8.0)
    assert got["agent"][:3] == ("agent", "0", 3.0)
    # the agent has hours but no closed route: one key reaches the hang-up, which beats
    # main's three wrong keys (main has no on_fail)
    assert got[HANGUP][:3] == ("hangup", "0, (if closed)", 3.0)
    m = parse_menu(SMALL.replace("  main:\n    kind: menu\n",
                                 "  main:\n    kind: menu\n    seconds: 3\n")
                   .replace("schedule: office", "queue: q"))
    assert routes(m)[HANGUP][:3] == ("hangup", "no valid key x3", 9.0)


def test_schedule_branch_routes() -> None:
    m = menu("""\
        name: T
        start: check
        schedules:
          office: {daily: "08:00-18:00", tz: UTC}
        nodes:
          check: {kind: branch, schedule: office, open: desk, closed: box}
          desk: {kind: agent}
          box: {kind: voicemail}
    """)
    got = routes(m)
    assert got["desk"][:3] == ("agent", "(if open)", 0)
    assert got["box"][:3] == ("voicemail", "(if closed)", 0)


# The cheat sheet moves and costs as the caller model does; these are the places where a
# plain graph walk would not. ``walked``: every route, pressed as keys in the walker (which
# steps through the compiled caller model), ends there after the route's seconds.

def walked(m: Menu) -> bool:
    done, total = check_routes(m)
    return done == total > 0


def test_branches_take_no_time() -> None:
    m = menu("""\
        name: T
        start: lookup
        nodes:
          lookup: {kind: branch, seconds: 7, say: Checking, chance: {main: 0.5, box: 0.5}}
          main: {kind: menu, seconds: 2, options: {"0": desk}, on_fail: desk}
          desk: {kind: agent}
          box: {kind: voicemail}
    """)
    got = routes(m)
    assert got["desk"][1:3] == ("(-> main), 0", 2.0)
    assert got["box"][1:3] == ("(-> box)", 0.0)
    assert walked(m)


ELSEWHERE = """\
    name: T
    start: main
    defaults: {timeout: 5, retries: 3}
    nodes:
      main: {kind: menu, seconds: 2, options: {"1": info}, on_invalid: info, on_fail: desk}
      info: {kind: self_service}
      desk: {kind: agent}
"""


def test_running_out_of_retries_when_wrong_keys_go_elsewhere() -> None:
    # Only silences retry main; the third failure may be a wrong key: 3 x 2 + 2 x 5 s.
    assert routes(menu(ELSEWHERE))["desk"][1:3] == ("wait x2, wrong key", 16.0)
    assert walked(menu(ELSEWHERE))
    assert routes(menu(ELSEWHERE.replace("retries: 3", "retries: 2")))["desk"][1:3] == (
        "wait, wrong key", 9.0)
    # Neither a wrong key nor a silence retries main: its retries never run out.
    m = menu(ELSEWHERE.replace("on_invalid: info", "on_invalid: info, on_timeout: info"))
    assert "desk" not in routes(m)
    # Every key is an option, so no key is wrong: only silences, 3 x (2 + 5) s.
    keys = ", ".join(f'"{k}": info' for k in "1234567890*#")
    m = menu(ELSEWHERE.replace('{"1": info}', "{" + keys + "}"))
    assert routes(m)["desk"][1:3] == ("wait x3", 21.0)
    assert walked(m)
    assert not Topology.of(m).taken[Topology.of(m).event == EVENTS.index("invalid")].any()


def test_one_try_menus_send_every_failure_to_on_fail() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {timeout: 5, retries: 1}
        nodes:
          main:
            kind: menu
            seconds: 2
            options: {"1": info}
            on_timeout: box
            on_invalid: transfer
            on_fail: desk
          info: {kind: self_service}
          box: {kind: voicemail}
          transfer: {kind: transfer, to: "+15550100"}
          desk: {kind: agent}
    """)
    got = routes(m)
    assert got["desk"][1:3] == ("no valid key x1", 2.0)
    assert "box" not in got and "transfer" not in got  # the model never goes there
    assert walked(m)
    top = Topology.of(m)
    taken = {EVENTS[int(top.event[e])]: bool(top.taken[e]) for e in range(len(top.src))}
    assert taken == {"option": True, "timeout": False, "invalid": False, "fail": True}


def test_key_of_an_edge() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"1": a, "#": a, "1000": a}, on_fail: a}
          a: {kind: agent}
    """)
    top = Topology.of(m)
    assert [top.key(e) for e in range(len(top.src))] == ["1", "#", "1000", None, None, None]


def test_start_at_an_ending() -> None:
    m = menu("name: T\nstart: desk\nnodes:\n  desk: {kind: agent}\n  vm: {kind: voicemail}\n")
    (r,) = paths(m)
    assert (r.node, r.keys, r.seconds, r.steps) == ("desk", "(at the start)", 0, ())


def test_no_ending_reachable() -> None:
    m = menu("""\
        name: T
        start: a
        nodes:
          a: {kind: message, next: b}
          b: {kind: message, next: a}
          c: {kind: agent}
    """)
    assert paths(m) == []


def test_every_route_is_a_walk_in_the_graph() -> None:
    for path in MENUS:
        m = load_menu(path)
        g = to_graph(m)
        for r in paths(m):
            for steps in (r.steps,):
                at = m.start
                for s in steps:
                    assert s.node == at
                    assert any(d["event"] == s.event and d["key"] == s.key
                               for d in g.get_edge_data(s.node, s.target, default={}).values())
                    at = s.target
                assert at == r.node, (path.name, r.node)
