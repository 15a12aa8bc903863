"""The walk: one call stepped key by key through the compiled caller model.

The walk must move and cost exactly what the model says: the cheat sheet's routes replayed
as keys take the cheat sheet's seconds, and simulated callers' traces replayed as keys
take the same steps and seconds. Then the rules one by one: retries and on_fail, invalid
keys and wrong entries, silence, typed extensions, chance and schedules, dead ends, the
step cap; and `ivr call`, with --keys and interactively from stdin.
"""

from __future__ import annotations

import io
import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import valid_menus

from ivr import load_menu, parse_menu
from ivr.callers.calendar import week
from ivr.callers.chain import compile_chain
from ivr.callers.simulate import STEP_CAP, simulate
from ivr.cli import main
from ivr.errors import ConfigError, LoadError
from ivr.formats.journeys import SILENCE, WALK_OUTCOMES
from ivr.model import KEYPAD, Menu
from ivr.structure.paths import paths
from ivr.structure.topology import Step, step_words
from ivr.walk.walker import Walker, default_at, path_text, week_time

ROOT = Path(__file__).resolve().parent.parent
MENUS = sorted((ROOT / "menus").glob("*.yaml"))
GOOD = [m for m in MENUS if not m.name.startswith("broken_")]
BANK = ROOT / "menus" / "bank.yaml"

SMALL = """\
name: Small
start: main
defaults: {timeout: 5, retries: 3}
schedules:
  office: {mon-fri: "08:00-18:00", tz: UTC}
nodes:
  main:
    kind: menu
    seconds: 4
    options: {"1": acct, "2": sub, "1000": ext, "0": desk}
    on_fail: desk
  sub:
    kind: menu
    seconds: 2
    options: {"1": info}
    on_timeout: main
    on_invalid: info
  acct: {kind: input, seconds: 3, digits: 4, next: lookup, on_fail: desk}
  lookup: {kind: branch, chance: {found: 0.75, missing: 0.25}}
  found: {kind: self_service, resolves: [somebody_else]}
  missing: {kind: message, seconds: 1, next: desk}
  info: {kind: self_service}
  ext: {kind: transfer, to: "+15550100"}
  desk: {kind: agent, schedule: office, closed: vm}
  vm: {kind: voicemail}
"""


def small() -> Menu:
    return parse_menu(SMALL, "small.yaml")


def run(m: Menu, keys: str, **kw: Any) -> Any:
    return Walker(m, at=kw.pop("at", None)).run(
        [k.strip() or SILENCE for k in keys.split(",")] if keys else [], **kw)


# ------------------------------------------------------------ the model's own seconds

def _bad_key(m: Menu, node: str) -> str:
    n = m.nodes[node]
    if n.kind == "input":
        return "*"
    taken = {o.key for o in n.options}
    return next((k for k in KEYPAD if k not in taken), SILENCE)  # no wrong key: silence


Plan = tuple[list[str], dict[str, str], int | None]


def _fail_keys(m: Menu, step: Step) -> list[str]:
    """The keys the cheat sheet's words for running out of retries say to press:
    ``no valid key x3`` (wrong keys), ``wait x2, wrong key``, ``wait x3``."""
    words = step_words(step, m)
    assert words is not None
    keys: list[str] = []
    for part in words.split(", "):
        what, _, times = part.partition(" x")
        assert what in ("wait", "wrong key", "no valid key"), words
        keys += [SILENCE if what == "wait" else _bad_key(m, step.node)] * int(times or 1)
    return keys


def replay(m: Menu, steps: tuple[Step, ...], end: str) -> Plan | None:
    """Keys, chance choices and a time of the week that take a walk along ``steps`` to
    ``end``; None when the walk cannot be told to go that way (one chance branch passed
    twice to different targets, or schedules open and closed at once)."""
    keys: list[str] = []
    branch: dict[str, str] = {}
    last = m.nodes.get(end)
    want: dict[str, bool] = {}
    if last is not None and last.kind == "agent" and last.schedule is not None:
        want[last.schedule] = True  # a person answers only while the agent is open
    for s in steps:
        n = m.nodes[s.node]
        if s.event == "option":
            assert s.key is not None
            keys.append(s.key)
        elif s.event == "next" and n.kind == "input":
            keys.append("1" * (n.digits or 3))
        elif s.event in ("invalid", "timeout"):
            keys.append(_bad_key(m, s.node) if s.event == "invalid" else SILENCE)
        elif s.event == "fail":
            keys += _fail_keys(m, s)
        elif s.event == "chance":
            if branch.get(s.node, s.target) != s.target:
                return None
            branch[s.node] = s.target
        elif s.event in ("open", "closed"):
            assert n.schedule is not None
            if want.get(n.schedule, s.event == "open") != (s.event == "open"):
                return None
            want[n.schedule] = s.event == "open"
    wk = week(m.schedules)
    for k in range(len(wk.sets)):
        if all(wk.sets[k, wk.names.index(name)] == is_open for name, is_open in want.items()):
            return keys, branch, int(np.flatnonzero(wk.of_minute == k)[0]) if wk.names else None
    return None


def check_routes(m: Menu) -> tuple[int, int]:
    """Walk every cheat-sheet route the model can take; (routes walked, routes)."""
    routes = paths(m)
    walked = 0
    for route in routes:
        plan = replay(m, route.steps, route.node)
        if plan is None:
            continue
        keys, branch, at = plan
        w = Walker(m, at=at).run(keys, branch=branch)
        assert w.ending == route.node, (route.keys, path_text(w))
        assert w.seconds == pytest.approx(route.seconds, abs=1e-6), (route.keys, path_text(w))
        assert w.unused == ()
        walked += 1
    return walked, len(routes)


@pytest.mark.parametrize("path", MENUS, ids=lambda p: p.stem)
def test_cheat_sheet_routes_walked_as_keys_take_the_cheat_sheet_seconds(path: Path) -> None:
    walked, routes = check_routes(load_menu(path))
    assert walked == routes


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_menus())
def test_cheat_sheet_agrees_with_walks_on_generated_menus(raw: dict[str, Any]) -> None:
    m = parse_menu(json.dumps(raw), "gen.json")
    try:
        check_routes(m)
    except LoadError:  # a menu with no ending at all cannot be walked
        assert not any(n.terminal for n in m.nodes.values())


def _trace_keys(m: Menu, steps: Any) -> tuple[list[str], dict[str, str]] | None:
    keys: list[str] = []
    branch: dict[str, str] = {}
    for node, event, key, to, secs in steps:
        n = m.nodes[node]
        if to == "abandoned":
            return None
        if event == "option":
            keys.append(key)
        elif event == "next" and n.kind == "input":
            keys.append("1" * (n.digits or 3))
        elif event == "timeout" or (event == "fail" and secs > n.seconds + 1e-9):
            keys.append(SILENCE)
        elif event in ("invalid", "fail"):
            keys.append(_bad_key(m, node))
        elif event == "chance":
            if branch.get(node, to) != to:
                return None
            branch[node] = to
    return keys, branch


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_simulated_callers_replayed_as_keys_take_the_same_steps_and_seconds(path: Path) -> None:
    m = load_menu(path)
    at = default_at(m)
    sim = simulate(compile_chain(m, at=at), 300, seed=5, trace=300)
    walker = Walker(m, at=at)
    replayed = 0
    for t in sim.traces:
        # A caller who reached a staffed agent then waits in its queue: not the menu's part.
        steps = [s for s in t.steps if s[1] != "waits"]
        waits = [s for s in t.steps if s[1] == "waits"]
        plan = _trace_keys(m, steps)
        if plan is None or any(s[3] == "abandoned" for s in waits):
            continue
        if steps and steps[-1][3] in m.nodes and not m.nodes[steps[-1][3]].terminal:
            continue  # reaching a goal that is not an ending serves an intent; walks have none
        keys, branch = plan
        w = walker.run(keys, branch=branch)
        got = [(s.node, s.event, s.key if s.event == "option" else None, s.target,
                round(s.seconds, 9)) for s in w.steps]
        assert got == [(n, e, k, to, round(sec, 9)) for n, e, k, to, sec in steps]
        assert w.seconds == pytest.approx(t.seconds - sum(s[4] for s in waits), abs=1e-6)
        assert w.outcome == ("served" if t.outcome == "misrouted" else t.outcome)
        replayed += 1
    assert replayed > 100


# ------------------------------------------------------------ the rules, one by one

def test_keys_options_typed_extensions_and_seconds() -> None:
    m = small()
    w = run(m, "2,1")
    assert (w.outcome, w.ending, w.seconds) == ("served", "info", 6.0)
    w = run(m, "1000")
    assert (w.outcome, w.ending, path_text(w)) == ("transferred", "ext", "main -> 1000 -> ext")
    w = run(m, "100")  # not an option: an invalid key, retried
    assert w.steps[0].event == "invalid" and w.steps[0].target == "main"
    assert w.reason == "keys ran out at main"


def test_retries_count_at_one_menu_then_on_fail() -> None:
    m = small()
    w = run(m, "7,-,#")
    assert [s.event for s in w.steps] == ["invalid", "timeout", "fail"]
    assert [s.failures for s in w.steps] == [0, 1, 2]
    assert w.ending == "desk" and w.seconds == pytest.approx(4 + 9 + 4)
    # Silence at the sub-menu goes back to main (on_timeout), where the count starts anew.
    w = run(m, "2,-,7,7,0")
    assert [s.target for s in w.steps] == ["sub", "main", "main", "main", "desk"]
    assert [s.failures for s in w.steps] == [0, 0, 0, 1, 2]
    assert w.outcome == "human" and "invalid" not in w.steps[-1].event
    # A wrong key at the sub-menu goes where on_invalid says.
    assert run(m, "2,5").ending == "info"


def test_no_on_fail_is_a_hang_up() -> None:
    m = load_menu(ROOT / "menus" / "broken_retries_hangup.yaml")
    w = Walker(m).run(["1", "7", "-", "7"])
    assert (w.outcome, w.ending) == ("disconnected", "(hangup)")


def test_inputs_take_exactly_their_digits() -> None:
    m = small()
    assert run(m, "1,1234").steps[1].event == "next"
    assert run(m, "1,1234#").steps[1].event == "next"
    for wrong in ("123", "12345", "*", "12*4", "#"):
        step = run(m, f"1,{wrong}").steps[1]
        assert (step.event, step.note, step.target) == ("invalid", "wrong entry", "acct"), wrong
    w = run(m, "1,1,2,3")  # three wrong entries: on_fail
    assert w.ending == "desk" and w.steps[-1].event == "fail"


def test_chance_most_likely_chosen_or_drawn() -> None:
    m = small()
    w = run(m, "1,1234")
    assert w.ending == "found" and w.outcome == "served"  # misrouted has no meaning here
    assert w.steps[-1].note == "chance 75%, the most likely"
    w = run(m, "1,1234", branch={"lookup": "missing"})
    assert [s.target for s in w.steps][-2:] == ["missing", "desk"]
    assert w.steps[-2].note == "chance 25%, chosen"
    walker = Walker(m)
    drawn = {walker.run(["1", "1234"], seed=s).ending for s in range(40)}
    assert drawn == {"found", "desk"}
    assert walker.run(["1", "1234"], seed=3) == Walker(m).run(["1", "1234"], seed=3)
    with pytest.raises(ConfigError, match="did you mean 'lookup'"):
        run(m, "1", branch={"lookp": "found"})
    with pytest.raises(ConfigError, match="cannot lead to 'desk'"):
        run(m, "1", branch={"lookup": "desk"})


def test_schedules_follow_at_and_default_to_most_open() -> None:
    m = small()
    assert week_time(default_at(m) or 0) == "mon 08:00"
    assert run(m, "0").outcome == "human"
    w = run(m, "0", at=6 * 1440 + 600)  # sunday
    assert (w.outcome, w.ending, path_text(w)) == ("voicemail", "vm",
                                                    "main -> 0 -> desk -> (closed) -> vm")
    bank = load_menu(BANK)
    walker = Walker(bank)
    assert walker.when == "mon 08:30 America/Chicago"
    assert all(walker.open_schedules.values())


def test_silence_after_the_keys_and_the_step_cap() -> None:
    m = small()
    w = run(m, "", then="silence")
    assert w.outcome == "human" and w.pressed() == (SILENCE,) * 3
    trap = load_menu(ROOT / "menus" / "broken_trap.yaml")
    w = Walker(trap).run(["1"], then="silence")
    assert (w.outcome, len(w.steps)) == ("stuck", STEP_CAP)
    assert w.reason == f"still going after {STEP_CAP} steps"


def test_dead_end_start_ending_and_unused_keys() -> None:
    w = Walker(load_menu(ROOT / "menus" / "broken_dead_end.yaml")).run(["2", "1"])
    assert (w.outcome, w.ending, w.unused) == ("stuck", "store_hours", ("1",))
    assert w.reason == "dead end at store_hours: no way on"
    assert path_text(w).endswith("store_hours -> (dead end)")
    m = parse_menu("name: T\nstart: a\nnodes: {a: {kind: agent}}\n")
    w = Walker(m).run(["1"])
    assert (w.outcome, w.ending, w.steps, w.unused) == ("human", "a", (), ("1",))


def test_walks_are_immutable_and_end_once() -> None:
    m = small()
    walker = Walker(m)
    start = walker.begin()
    after = walker.press(start, "2")
    assert start.steps == () and len(after.steps) == 1
    done = walker.press(after, "1")
    with pytest.raises(ValueError):
        walker.press(done, "1")
    stopped = walker.hang_up(after)
    assert stopped.reason == "hung up at sub" and not stopped.ended
    wait = walker.waiting(after)
    assert wait is not None and (wait.node, wait.kind, wait.options) == (
        "sub", "menu", (("1", "info", None),))
    assert walker.waiting(done) is None


def test_a_menu_without_endings_cannot_be_walked() -> None:
    m = parse_menu("name: T\nstart: a\nnodes: {a: {kind: menu, options: {1: a}}}\n")
    with pytest.raises(LoadError, match="no ending"):
        Walker(m)


TOKENS = st.sampled_from(["1", "2", "3", "0", "*", "#", "9", "7", "-", "1234", "1000",
                          "0000000000"])


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(MENUS), st.lists(TOKENS, max_size=12), st.sampled_from(["stop",
                                                                               "silence"]))
def test_any_keys_walk_within_the_rules(path: Path, keys: list[str], then: str) -> None:
    m = load_menu(path)
    w = Walker(m).run(keys, then=then)
    assert len(w.steps) <= STEP_CAP
    assert w.seconds == pytest.approx(sum(s.seconds for s in w.steps))
    assert all(a.elapsed <= b.elapsed for a, b in zip(w.steps, w.steps[1:], strict=False))
    pressed = w.pressed()
    assert pressed[:len(keys) - len(w.unused)] == tuple(keys[:len(keys) - len(w.unused)])
    if w.ended:
        assert w.outcome in WALK_OUTCOMES and w.ending is not None
    else:
        assert then == "stop" and w.reason == f"keys ran out at {w.node}" and not w.unused


# ------------------------------------------------------------ ivr call

def test_call_with_keys_prints_the_walk(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", str(BANK), "--keys", "2,1"]) == 0
    out = capsys.readouterr().out
    assert "at mon 08:30 America/Chicago" in out
    assert "  press> 2\n" in out and "  press> 1\n" in out
    assert "[  34.7 s] fraud_agent (agent: Card protection (24/7))" in out
    assert out.rstrip().endswith("=> call ended: human at fraud_agent after 34.7 s")
    assert main(["call", str(BANK), "--keys", "0", "--at", "sun 03:00"]) == 0
    out = capsys.readouterr().out
    assert "service_agent is closed at this time" in out
    assert "=> call ended: voicemail at general_voicemail" in out


def test_call_keys_json_and_running_out(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", str(BANK), "--keys", "2", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["outcome"] is None and d["reason"] == "keys ran out at card_menu"
    assert d["seconds"] == pytest.approx(22.78, abs=0.01) and d["at"] == "mon 08:30 America/Chicago"
    assert [s["target"] for s in d["steps"]] == ["main", "card_menu"]
    assert main(["call", str(BANK), "--keys", "2", "--then", "silence"]) == 0
    assert "=> call ended: human at service_agent" in capsys.readouterr().out
    assert main(["call", str(BANK), "--keys=-,0"]) == 0
    out = capsys.readouterr().out
    assert "  press> (silence)\n           silence (failure 1 of 3)" in out
    assert "=> call ended: human at service_agent after 43.6 s" in out


@pytest.mark.parametrize("argv, message", [
    (["--format", "json"], "--format json needs --keys"),
    (["--keys", "1", "--branch", "account_lookup=pin"], "cannot lead to 'pin'"),
    (["--keys", "1", "--branch", "acount_lookup=pin_entry"], "did you mean 'account_lookup'"),
])
def test_call_errors_are_one_line(argv: list[str], message: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["call", str(BANK), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


@pytest.mark.parametrize("argv", [["--keys", "2 1"], ["--keys", "x"], ["--at", "someday"],
                                  ["--branch", "nothing"], ["--keys", "-,1"]])
def test_call_bad_arguments_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["call", str(BANK), *argv])
    assert exc.value.code == 2


def _interactive(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                 typed: str, *argv: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(typed))
    assert main(["call", str(BANK), *argv]) == 0
    return capsys.readouterr().out


def test_call_interactive_reads_keys_from_stdin(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = _interactive(monkeypatch, capsys, "1\n0012345678\n12\n1234\nabc\n7\n\n1\n")
    assert "keys: 1 -> account_number (Telephone banking)" in out
    assert "type 10 digits as one entry" in out
    assert "12: wrong entry (failure 1 of 3)" in out
    assert "'abc' is not a key" in out  # asked again, not an error
    assert "7: invalid (failure 1 of 3)" in out
    assert "  press> (silence)\n           silence (failure 2 of 3)" in out
    assert out.rstrip().endswith("=> call ended: served at balance after 61.4 s")
    # The same keys with --keys give the same walk.
    keys = _interactive(monkeypatch, capsys, "", "--keys", "1,0012345678,12,1234,7,-,1")
    assert keys.splitlines()[-1] == out.splitlines()[-1]


def test_call_interactive_ends_cleanly(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = _interactive(monkeypatch, capsys, "2\n")  # then end of input (Ctrl-D)
    assert out.rstrip().endswith("=> call not ended: hung up at card_menu after 22.8 s")
    out = _interactive(monkeypatch, capsys, "q\n")
    assert out.rstrip().endswith("=> call not ended: hung up at main after 6.9 s")


def test_call_an_imported_flow_with_typed_extensions(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    flow = tmp_path / "extensions.conf"
    flow.write_text(textwrap.dedent("""\
        [from-pstn]
        exten => s,1,Answer()
         same => n,Background(welcome)
         same => n,WaitExten(5)
        exten => 1000,1,Dial(PJSIP/alice)
        exten => 2,1,Voicemail(100)
        """))
    assert main(["call", str(flow), "--keys", "1000"]) == 0
    out = capsys.readouterr().out
    assert "press> 1000" in out and "=> call ended:" in out
