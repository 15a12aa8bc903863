"""The caller model: exact and simulated agree, exact equals an independent brute force,
hand-checked cases, reproducibility, and the simulate/solve commands."""

from __future__ import annotations

import json
import math
import textwrap
from collections import defaultdict
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import valid_menus

from ivr import IvrError, parse_menu
from ivr.callers.chain import OUTCOMES, compile_chain
from ivr.callers.exact import solve
from ivr.callers.metrics import agreement, summarize, summarize_exact
from ivr.callers.simulate import simulate
from ivr.cli import main
from ivr.errors import ConfigError
from ivr.model import KEYPAD, Menu
from ivr.present.tables import summary_text
from ivr.structure.paths import paths

SLOW = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def menu(text: str) -> Menu:
    return parse_menu(textwrap.dedent(text), "m.yaml")


LINE = """\
    name: Line
    start: hello
    nodes:
      hello: {kind: message, say: Hello, seconds: 10, next: main}
      main:
        kind: menu
        say: For billing press 1, for sales press 2.
        seconds: 5
        options: {1: billing, 2: sales, 9: main}
      billing:
        kind: menu
        seconds: 4
        options: {1: bill_desk, 2: pay}
      sales: {kind: agent}
      bill_desk: {kind: agent}
      pay: {kind: self_service}
    callers:
      intents: {bill: {share: 1, goal: bill_desk}}
      patience: {distribution: exponential, mean: 60}
      mistake_rate: 0
      confusion: 0
      silence: 0
"""


# ------------------------------------------------------------------ hand-checked cases

def test_a_careful_caller_follows_exactly_the_shortest_path() -> None:
    m = menu(LINE)
    sim = simulate(compile_chain(m), 2000, seed=3, trace=5)
    route = {r.node: r for r in paths(m)}["bill_desk"]
    expected = [(s.node, s.key) for s in route.steps]
    for t in sim.traces:
        if t.outcome == "human":
            assert [(node, key) for node, _, key, _, _ in t.steps] == expected
            assert t.seconds == pytest.approx(19.0)
    assert sim.outcome_counts()["human"] + sim.outcome_counts()["abandoned"] == 2000


def test_percentiles_of_steps_are_counts_that_occur() -> None:
    """Every caller takes one step: p50 and p90 of steps are 1, not 1.5 and 1.9 (a count
    interpolated inside its bin); seconds stay interpolated."""
    m = menu("""\
        name: One step
        start: desk_menu
        nodes:
          desk_menu: {kind: menu, seconds: 3, options: {0: desk}}
          desk: {kind: agent}
        callers:
          intents: {talk: {share: 1, goal: desk}}
          patience: {distribution: none}
          mistake_rate: 0
          confusion: 0
          silence: 0
        """)
    s = summarize(simulate(compile_chain(m), 5000, seed=1))
    assert (s.steps.p50, s.steps.p90) == (1.0, 1.0)
    assert (s.human_steps.p50, s.human_steps.p90) == (1.0, 1.0)
    assert "steps 1.0 (p50 1, p90 1)" in summary_text(s, "one.yaml")


def test_callers_plan_only_over_moves_they_can_make() -> None:
    """At a ``retries: 1`` menu a silence goes to on_fail, never to on_timeout: a route
    through on_timeout is not one a caller can follow. Planned over it, callers pressed 9
    ("repeat", then wait for the timeout) forever and were all stuck; they press 1."""
    m = menu("""\
        name: Repeat trap
        start: main
        nodes:
          main:
            kind: menu
            seconds: 3
            retries: 1
            options: {1: more, 9: main}
            on_timeout: desk
          more: {kind: menu, seconds: 3, options: {1: more2}, on_fail: desk}
          more2: {kind: menu, seconds: 3, options: {1: desk}, on_fail: desk}
          desk: {kind: agent}
        callers:
          intents: {talk: {share: 1, goal: desk}}
          patience: {distribution: none}
          mistake_rate: 0
          confusion: 0
          silence: 0
        """)
    chain = compile_chain(m)
    exact = solve(chain)
    assert exact.outcomes["human"] == pytest.approx(1.0)
    assert exact.outcomes["stuck"] == pytest.approx(0.0, abs=1e-12)
    sim = summarize(simulate(chain, 2000, seed=2))
    assert sim.outcomes["human"].value == 1.0
    assert [r.keys for r in paths(m) if r.node == "desk"] == ["1, 1, 1"]


def test_abandonment_on_a_path_of_t_seconds_is_one_minus_exp() -> None:
    m = menu(LINE)
    exact = solve(compile_chain(m))
    assert exact.outcomes["abandoned"] == pytest.approx(1 - math.exp(-19 / 60), abs=1e-12)
    assert exact.outcomes["human"] == pytest.approx(math.exp(-19 / 60), abs=1e-12)
    assert exact.human_seconds == pytest.approx(19.0)
    assert exact.human_seconds_sd == pytest.approx(0.0, abs=1e-6)
    assert exact.human_steps == pytest.approx(3.0)
    sim = summarize(simulate(compile_chain(m), 200_000, seed=5))
    rows = {r.metric: r for r in agreement(sim, summarize_exact(compile_chain(m), exact))}
    assert abs(rows["abandoned"].z) < 4.5


def test_retries_run_out_to_on_fail_after_exactly_retries_silences() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {retries: 3, timeout: 4}
        nodes:
          main: {kind: menu, seconds: 2, options: {1: desk}, on_fail: bye}
          desk: {kind: agent}
          bye: {kind: hangup}
        callers:
          intents: {x: {share: 1, goal: desk}}
          patience: {distribution: none}
          silence: 0.5
          mistake_rate: 0
    """)
    exact = solve(compile_chain(m))
    assert exact.outcomes["disconnected"] == pytest.approx(0.5 ** 3)
    assert exact.outcomes["human"] == pytest.approx(1 - 0.5 ** 3)
    # Every silence costs prompt + timeout; reaching the desk costs one more prompt.
    expected = sum(0.5 ** k * 0.5 * (k * 6 + 2) for k in range(3)) / (1 - 0.5 ** 3)
    assert exact.human_seconds == pytest.approx(expected)


def test_a_trap_is_stuck_mass_not_nan() -> None:
    m = menu("""\
        name: T
        start: coin
        nodes:
          coin: {kind: branch, chance: {desk: 0.5, loop: 0.5}}
          loop: {kind: branch, chance: {loop2: 1.0}}
          loop2: {kind: branch, chance: {loop: 1.0}}
          desk: {kind: agent}
        callers: {intents: {x: {share: 1, goal: desk}}}
    """)
    exact = solve(compile_chain(m))
    assert exact.outcomes["stuck"] == pytest.approx(0.5)
    assert exact.outcomes["human"] == pytest.approx(0.5)
    assert all(math.isfinite(v) for v in exact.outcomes.values())
    counts = simulate(compile_chain(m), 4000, seed=1).outcome_counts()
    assert counts["stuck"] + counts["human"] == 4000


def test_patience_none_in_a_loop_is_stuck_in_both_engines() -> None:
    m = menu("""\
        name: T
        start: a
        nodes:
          a: {kind: message, seconds: 1, next: b}
          b: {kind: message, seconds: 1, next: a}
          desk: {kind: agent}
        callers: {intents: {x: {share: 1, goal: desk}}, patience: {distribution: none}}
    """)
    assert solve(compile_chain(m)).outcomes["stuck"] == pytest.approx(1.0)
    assert simulate(compile_chain(m), 500, seed=1).outcome_counts()["stuck"] == 500


def test_closed_agent_sends_callers_to_its_closed_route_by_share_of_the_week() -> None:
    m = menu("""\
        name: T
        start: desk
        schedules: {office: {mon-fri: "09:00-17:00", tz: UTC}}
        nodes:
          desk: {kind: agent, schedule: office, closed: vm}
          vm: {kind: voicemail}
        callers: {intents: {x: {share: 1, goal: desk}}}
    """)
    exact = solve(compile_chain(m))
    assert exact.outcomes["human"] == pytest.approx(40 / 168)
    assert exact.outcomes["voicemail"] == pytest.approx(128 / 168)


def test_a_goal_that_is_not_an_ending_serves_the_caller_on_arrival() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, seconds: 0, options: {1: advice, 2: desk}}
          advice: {kind: message, say: Dial the emergency number., next: main}
          desk: {kind: agent}
        callers:
          intents: {x: {share: 1, goal: advice}}
          patience: {distribution: none}
          mistake_rate: 0
          confusion: 0
          silence: 0
    """)
    assert solve(compile_chain(m)).outcomes["served"] == pytest.approx(1.0)


def test_other_patience_distributions_simulate_but_do_not_solve() -> None:
    text = LINE.replace("{distribution: exponential, mean: 60}",
                        "{distribution: weibull, mean: 60, shape: 2}")
    chain = compile_chain(menu(text))
    with pytest.raises(ConfigError, match="exponential"):
        solve(chain)
    counts = simulate(chain, 20_000, seed=2).outcome_counts()
    # Weibull with shape 2 keeps more callers through 19 s than the exponential would.
    assert counts["human"] / 20_000 > math.exp(-19 / 60)


# ------------------------------------------------------------------ reproducibility

def test_same_seed_same_numbers_and_pool_size_does_not_matter() -> None:
    chain = compile_chain(menu(LINE.replace("mistake_rate: 0", "mistake_rate: 0.1")))
    a = simulate(chain, 5000, seed=11)
    b = simulate(chain, 5000, seed=11, pool=97)
    c = simulate(chain, 5000, seed=12)
    assert (a.counts == b.counts).all()
    assert (a.seconds_hist == b.seconds_hist).all()
    assert (a.entry_counts == b.entry_counts).all()
    assert not (a.seconds_hist == c.seconds_hist).all()


# ------------------------------------------------------------------ properties

def _population(raw: dict[str, Any]) -> dict[str, Any]:
    ids = list(raw["nodes"])
    callers = raw.get("callers") or {"intents": {"i0": {"share": 1.0, "goal": ids[-1]}}}
    callers = dict(callers)
    callers["patience"] = {"distribution": "exponential", "mean": 40}
    callers.update(mistake_rate=0.1, confusion=0.2, silence=0.1, zero_out=0.3)
    return callers


@SLOW
@given(valid_menus())
def test_exact_probabilities_sum_to_one_and_simulation_agrees(raw: dict[str, Any]) -> None:
    raw = dict(raw)
    raw["callers"] = _population(raw)
    m = parse_menu(json.dumps(raw), "gen.json")
    chain = compile_chain(m)
    sums = np.add.reduceat(chain.prob, chain.indptr[:-1]) if chain.n_states else np.ones(0)
    assert np.allclose(sums, 1.0)
    exact = solve(chain)
    assert sum(exact.outcomes.values()) == pytest.approx(1.0, abs=1e-9)
    assert all(v >= -1e-12 for v in exact.outcomes.values())
    for row in exact.by_intent.values():
        assert sum(row.values()) == pytest.approx(1.0, abs=1e-9)
    assert exact.residual < 1e-9
    sim = summarize(simulate(chain, 10_000, seed=7))
    capped = sim.outcomes["stuck"].value - exact.outcomes["stuck"]
    if capped > 1e-3:  # the simulation's step cap ended loops the exact chain lets finish
        return
    for r in agreement(sim, summarize_exact(chain, exact)):
        assert abs(r.z) < 4.5 or abs(r.simulated - r.exact) < 2e-3, r


# An independent brute force: the caller rules applied directly to the menu, with the
# distribution of callers moved one step at a time until (almost) no one is left.

def _weights(m: Menu) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(m.nodes)
    for node in m.nodes.values():
        retries = node.retries or 1
        for ex in node.exits():
            if ex.target is None:
                continue
            # Only moves callers can make: at a retries-1 menu the first failure goes to
            # on_fail; on_fail is reached only when failures retry the menu.
            if ex.event in ("timeout", "invalid") and retries == 1:
                continue
            if ex.event == "fail" and retries > 1 and node.id not in (
                    node.on_invalid or node.id, node.on_timeout or node.id):
                continue
            actions = 1 if ex.event in ("option", "timeout", "invalid") else 0
            secs = node.seconds + ((node.timeout or 0) if ex.event == "timeout" else 0)
            if ex.event == "fail":
                actions, secs = node.retries or 1, node.seconds * (node.retries or 1)
            w = actions * 1e6 + secs + 1e-9
            if not g.has_edge(node.id, ex.target) or g[node.id][ex.target]["w"] > w:
                g.add_edge(node.id, ex.target, w=w)
    return g


def brute_force(m: Menu) -> dict[str, float]:
    pop = m.callers
    assert pop is not None and pop.patience.mean is not None
    g = _weights(m)
    out: dict[str, float] = defaultdict(float)
    for intent in pop.intents:
        dist = {}
        for goal in intent.goals:
            for node, d in nx.single_source_dijkstra_path_length(g.reverse(), goal,
                                                                 weight="w").items():
                dist[node] = min(dist.get(node, math.inf), d)
        for zero, zshare in ((False, 1 - pop.zero_out), (True, pop.zero_out)):
            weight = intent.share * zshare
            if weight == 0:
                continue
            for o, p in _walk(m, intent, zero, dist, g).items():
                out[o] += weight * p
    return out


def _ending(m: Menu, intent: Any, nid: str | None, reachable: bool = True) -> str | None:
    if nid is None:
        return "disconnected"
    node = m.nodes[nid]
    if nid in intent.goals and not node.terminal:
        return "served"
    # Callers whose goal cannot be reached are not served by another person.
    person = "human" if reachable else "misrouted"
    return {"agent": person, "voicemail": "voicemail", "transfer": "transferred",
            "hangup": "disconnected"}.get(node.kind) or (
        ("served" if nid in intent.goals else "misrouted") if node.kind == "self_service"
        else None)


def _walk(m: Menu, intent: Any, zero: bool, dist: dict[str, float],
          g: nx.DiGraph) -> dict[str, float]:
    pop = m.callers
    assert pop is not None
    mean = pop.patience.mean or 1.0
    out: dict[str, float] = defaultdict(float)
    here = {(m.start, 0): 1.0}
    reachable = math.isfinite(dist.get(m.start, math.inf))
    first = _ending(m, intent, m.start, reachable)
    if first:
        return {first: 1.0}
    for _ in range(5000):
        nxt: dict[tuple[str, int], float] = defaultdict(float)
        for (nid, fails), p in here.items():
            node = m.nodes[nid]
            for target, q, secs, retry in _moves(node, fails, intent, zero, dist, g, pop):
                keep = math.exp(-secs / mean)
                out["abandoned"] += p * q * (1 - keep)
                end = _ending(m, intent, target, reachable) if not retry else None
                if end:
                    out[end] += p * q * keep
                else:
                    assert target is not None
                    nxt[(target, fails + 1 if retry else 0)] += p * q * keep
        here = nxt
        if sum(here.values()) < 1e-13:
            break
    out["stuck"] += sum(here.values())
    return out


def _moves(node: Any, fails: int, intent: Any, zero: bool, dist: dict[str, float],
           g: nx.DiGraph, pop: Any) -> list[tuple[str | None, float, float, bool]]:
    """(target, probability, seconds, is a retry of this menu) for one step."""
    if node.kind == "message":
        return [(node.next, 1.0, node.seconds, False)] if node.next else []
    assert node.kind == "menu"
    keys = [o.key for o in node.options]
    target_of = {o.key: o.target for o in node.options}

    def cost(o: Any) -> float:
        return g[node.id][o.target]["w"] + dist.get(o.target, math.inf) \
            if g.has_edge(node.id, o.target) else math.inf

    aim = None
    if zero and "0" in keys:
        aim = "0"
    else:
        best = min((cost(o), i) for i, o in enumerate(node.options)) if keys else (math.inf, 0)
        if math.isfinite(best[0]):
            aim = keys[best[1]]
        elif "0" in keys:
            aim = "0"
    pressed: dict[str, float] = defaultdict(float)
    s, m_, c = pop.silence, pop.mistake_rate, pop.confusion
    if keys:
        if aim is None:
            for k in keys:
                pressed[k] += (1 - s) * (1 - m_) / len(keys)
        else:
            others = [k for k in keys if k != aim]
            pressed[aim] += (1 - s) * (1 - m_) * (1 - c if others else 1)
            for k in others:
                pressed[k] += (1 - s) * (1 - m_) * c / len(others)
    for k in KEYPAD:
        pressed[k] += (1 - s) * m_ / 12
    if not keys:
        pressed["(none)"] += (1 - s) * (1 - m_)
    moves: list[tuple[str | None, float, float, bool]] = []
    last = fails + 1 >= (node.retries or 1)
    for k, q in pressed.items():
        if k in target_of:
            moves.append((target_of[k], q, node.seconds, False))
        else:
            moves.append(_failure(node, "invalid", last, q, node.seconds))
    moves.append(_failure(node, "timeout", last, s, node.seconds + (node.timeout or 0)))
    return moves


def _failure(node: Any, event: str, last: bool, q: float,
             secs: float) -> tuple[str | None, float, float, bool]:
    if last:
        return (node.on_fail, q, secs, False)
    again = node.on_timeout if event == "timeout" else node.on_invalid
    return (again, q, secs, again == node.id)


ID = st.sampled_from(["a", "b", "c", "d", "e"])


@st.composite
def tiny_menus(draw: st.DrawFn) -> dict[str, Any]:
    ids = ["a", "b", "c", "d", "e"]
    nodes: dict[str, Any] = {}
    for nid in ids[:3]:
        if draw(st.integers(0, 4)) == 0:
            nodes[nid] = {"kind": "message", "seconds": draw(st.integers(1, 9)),
                          "next": draw(ID)}
            continue
        keys = draw(st.lists(st.sampled_from(["1", "2", "0", "9", "*"]), unique=True,
                             max_size=4))
        node: dict[str, Any] = {"kind": "menu", "seconds": draw(st.integers(1, 9)),
                                "options": {k: draw(ID) for k in keys},
                                "retries": draw(st.integers(1, 3)),
                                "timeout": draw(st.integers(1, 5))}
        if draw(st.booleans()):
            node["on_fail"] = draw(ID)
        if draw(st.booleans()):
            node["on_invalid"] = draw(ID)
        nodes[nid] = node
    nodes["d"] = {"kind": draw(st.sampled_from(["agent", "voicemail", "hangup"]))}
    nodes["e"] = {"kind": "self_service"}
    return {
        "name": "tiny", "start": "a", "nodes": nodes,
        "callers": {
            "intents": {"x": {"share": 0.6, "goal": draw(ID)},
                        "y": {"share": 0.4, "goal": draw(st.lists(ID, min_size=1,
                                                                  max_size=2))}},
            "patience": {"distribution": "exponential", "mean": draw(st.integers(5, 80))},
            "mistake_rate": draw(st.sampled_from([0, 0.05, 0.3])),
            "confusion": draw(st.sampled_from([0, 0.1, 0.5])),
            "silence": draw(st.sampled_from([0, 0.1, 0.4])),
            "zero_out": draw(st.sampled_from([0, 0.5])),
        },
    }


@settings(max_examples=150, deadline=None)
@given(tiny_menus())
def test_exact_equals_brute_force_on_tiny_menus(raw: dict[str, Any]) -> None:
    m = parse_menu(json.dumps(raw), "tiny.json")
    exact = solve(compile_chain(m))
    brute = brute_force(m)
    for o in OUTCOMES:
        assert exact.outcomes[o] == pytest.approx(brute.get(o, 0.0), abs=1e-7), o


# ------------------------------------------------------------------ the commands

def test_simulate_text_json_csv_and_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "menus/bank.yaml", "-n", "20000", "--trace", "2"]) == 0
    out = capsys.readouterr().out
    assert "20,000 simulated callers" in out and "reached a person" in out
    assert "funnel" in out and "caller 0" in out
    assert main(["simulate", "menus/bank.yaml", "-n", "5000", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["callers"] == 5000
    assert sum(r["value"] for r in data["outcomes"].values()) == pytest.approx(1.0)
    assert main(["simulate", "menus/bank.yaml", "-n", "5000", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "file,method,scope,metric,value,low,high"
    assert main(["simulate", "menus/bank.yaml", "-n", "50000", "--check"]) == 0
    assert "exact" in capsys.readouterr().out


def test_same_seed_same_output(capsys: pytest.CaptureFixture[str]) -> None:
    main(["simulate", "menus/clinic.yaml", "-n", "3000", "--seed", "4", "--format", "json"])
    a = capsys.readouterr().out
    main(["simulate", "menus/clinic.yaml", "-n", "3000", "--seed", "4", "--format", "json"])
    assert capsys.readouterr().out == a


def test_solve_and_its_errors(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    assert main(["solve", "menus/bank.yaml"]) == 0
    assert "exact solution" in capsys.readouterr().out
    assert main(["solve", "menus/telecom.yaml"]) == 2  # weibull patience
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ivr simulate" in err
    bad = tmp_path / "pop.yaml"
    bad.write_text("intents: {x: {share: 1, goal: nowhere}}\n")
    assert main(["simulate", "menus/bank.yaml", "--callers", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "pop.yaml:1:" in err and "nowhere" in err


def test_menu_without_callers_gets_a_default_population(capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Any) -> None:
    f = tmp_path / "m.yaml"
    f.write_text(textwrap.dedent(LINE).split("callers:")[0])
    assert main(["solve", str(f)]) == 0
    out = capsys.readouterr().out
    assert "person" in out and "pay" in out


def test_loader_errors_stay_ivr_errors() -> None:
    with pytest.raises(IvrError):
        compile_chain(parse_menu("name: x\nstart: a\nnodes: {a: {kind: message}}\n"))
