"""Lint rules: each fires on exactly the defect it names, with the keys that reach it.

Every rule in RULES has a fixture ``tests/data/lint/<rule>.yaml`` holding that one defect;
``clean.yaml`` holds none.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import valid_menus

from ivr import ConfigError, IvrError, Menu, load_menu, parse_menu
from ivr.callers.chain import compile_chain, default_population
from ivr.callers.dropped import drop_shares
from ivr.callers.exact import solve
from ivr.callers.reach import person_hours
from ivr.model import HANGUP, NOTE_RULES
from ivr.structure.hangups import into_hangups
from ivr.structure.lint import RULES, Finding, LintConfig, lint
from ivr.structure.topology import Topology

DATA = Path(__file__).resolve().parent / "data" / "lint"
SEVERITIES = ("error", "warning", "info")
IMPORT_RULES = {r for r, rule in RULES.items() if rule.summary.startswith("imported:")}


def menu(text: str) -> Menu:
    return parse_menu(textwrap.dedent(text), "t.yaml")


def found(findings: list[Finding]) -> set[tuple[str, str | None]]:
    return {(f.rule, f.node) for f in findings}


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


# rule -> (node it fires on, its keys, every (rule, node) the fixture yields)
EXPECTED: dict[str, tuple[str, str | None, set[tuple[str, str]]]] = {
    "NO_PATH_TO_HUMAN": ("greeting", "(at the start)", set()),
    "DEAD_END": ("hours", "1, 2", set()),
    "TRAP": ("loop_a", "1, 2", set()),
    "UNREACHABLE": ("orphan", None, set()),
    # a menu whose every option loops back has no 0 either
    "SAME_OPTION_LOOP": ("hours", "1", {("NO_ZERO_OUT", "hours")}),
    "DISCONNECT_ON_FAIL": ("billing", "1", set()),
    "HUMAN_DEPTH": ("m1", "(at the start)", set()),
    "TOO_MANY_OPTIONS": ("services", "1", set()),
    "NO_ZERO_OUT": ("billing", "1", set()),
    "KEY_CONVENTIONS": ("billing", "1", set()),
    "CLOSED_NO_FALLBACK": ("desk", "0", set()),
    "LONG_PROMPT": ("billing", "1", set()),
    "FALSE_PERSON_OPTION": ("help", "1, 0", set()),
    "REDIRECT_LOOP": ("sales", "1, 2, 2", set()),
    # lint alone does not know the share: a warning saying so (ivr lint computes it)
    "DROPPED_CALLS": ("closed", "0, (if closed)", set()),
    # reached only through a timeout a retries-1 menu never takes: no keys to give
    "UNREACHABLE_GOAL": ("billing", None, set()),
}


def test_every_rule_has_an_expectation() -> None:
    assert set(EXPECTED) == set(RULES) - IMPORT_RULES
    assert {"UNRESOLVED_TARGET", "UNKNOWN_BLOCK", "MISSING_TARGET",
                            "NO_MATCHING_KEY", "NO_VOICE_ENTRY", "LENIENT_READ"} == IMPORT_RULES
    assert set(NOTE_RULES) == IMPORT_RULES  # what x-import-notes may carry
    for rule in RULES.values():
        assert rule.severity in SEVERITIES
        assert rule.summary


@pytest.mark.parametrize("rule", sorted(set(RULES) - IMPORT_RULES))
def test_rule_fixture(rule: str) -> None:
    path = DATA / f"{rule.lower()}.yaml"
    assert path.exists(), f"no fixture for {rule}"
    m = load_menu(path)
    findings = lint(m)
    node, keys, companions = EXPECTED[rule]
    assert found(findings) == {(rule, node)} | companions, findings
    (f,) = by_rule(findings, rule)
    assert f.severity == RULES[rule].severity
    assert f.keys == keys
    assert f.message
    assert f.source is not None and f.source == m.nodes[node].source
    assert f.source.file == str(path) and f.source.line is not None
    if keys is None:
        assert f.path is None  # not reachable: no key sequence
    else:
        assert f.path is not None
        if f.path:
            assert f.path[0].node == m.start
            # The route reaches the node; rules about a move (an option pressed, a
            # hang-up) go on with it.
            assert node in {s.target for s in f.path} | {f.path[0].node}
            for a, b in zip(f.path, f.path[1:], strict=False):
                assert a.target == b.node
        else:
            assert node == m.start


@pytest.mark.parametrize("rule", sorted(set(RULES) - IMPORT_RULES))
def test_disabling_the_rule_silences_its_fixture(rule: str) -> None:
    m = load_menu(DATA / f"{rule.lower()}.yaml")
    findings = lint(m, LintConfig().changed(disable=[rule]))
    assert not by_rule(findings, rule)
    _, _, companions = EXPECTED[rule]
    assert found(findings) == companions


def test_clean_fixture_has_no_findings() -> None:
    m = load_menu(DATA / "clean.yaml")
    assert lint(m) == []
    assert len(m.nodes) >= 10  # it exercises most kinds


def test_clean_fixture_covers_every_kind_but_endings_it_does_not_need() -> None:
    kinds = {n.kind for n in load_menu(DATA / "clean.yaml").nodes.values()}
    assert {"menu", "message", "input", "branch", "agent", "self_service", "voicemail"} <= kinds


def test_findings_are_sorted_errors_first() -> None:
    m = load_menu(DATA / "same_option_loop.yaml")
    sev = [f.severity for f in lint(m)]
    assert sev == sorted(sev, key=SEVERITIES.index)
    assert sev[0] == "error"


def test_lint_is_deterministic() -> None:
    for path in sorted(DATA.glob("*.yaml")):
        m = load_menu(path)
        assert lint(m) == lint(m) == lint(load_menu(path))


# --------------------------------------------------------------------------- thresholds

def test_human_depth_threshold() -> None:
    m = load_menu(DATA / "human_depth.yaml")
    (f,) = by_rule(lint(m), "HUMAN_DEPTH")
    assert "4" in f.message and "1, 1, 1, 1" in f.message
    assert not by_rule(lint(m, LintConfig().changed(settings=["HUMAN_DEPTH.max=4"])),
                       "HUMAN_DEPTH")
    assert by_rule(lint(m, LintConfig().changed(settings=["HUMAN_DEPTH.max=3.5"])),
                   "HUMAN_DEPTH")


def test_human_depth_counts_the_start_menu() -> None:
    three = menu("""\
        name: T
        start: m1
        defaults: {on_fail: vm}
        nodes:
          m1: {kind: menu, options: {"1": m2, "0": m2}}
          m2: {kind: menu, options: {"1": m3, "0": m3}}
          m3: {kind: menu, options: {"1": op, "0": op}}
          op: {kind: agent}
          vm: {kind: voicemail}
    """)
    assert not by_rule(lint(three), "HUMAN_DEPTH")
    (f,) = by_rule(lint(three, LintConfig().changed(settings=["HUMAN_DEPTH.max=2"])),
                   "HUMAN_DEPTH")
    assert f.node == "m1" and "3" in f.message


def test_human_depth_takes_the_nearest_person_and_ignores_messages() -> None:
    m = menu("""\
        name: T
        start: hello
        defaults: {on_fail: vm}
        nodes:
          hello: {kind: message, next: m1}
          m1: {kind: menu, options: {"1": m2, "2": note, "0": m2}}
          note: {kind: message, next: m2b}
          m2: {kind: menu, options: {"1": m3, "0": m3}}
          m2b: {kind: menu, options: {"1": op, "0": op}}
          m3: {kind: menu, options: {"1": m4, "0": m4}}
          m4: {kind: menu, options: {"1": op, "0": op}}
          op: {kind: agent}
          vm: {kind: voicemail}
    """)
    # m1 -> note (a message) -> m2b -> op: two menus
    assert not by_rule(lint(m, LintConfig().changed(settings=["HUMAN_DEPTH.max=2"])),
                       "HUMAN_DEPTH")
    assert by_rule(lint(m, LintConfig().changed(settings=["HUMAN_DEPTH.max=1"])),
                   "HUMAN_DEPTH")


def test_human_depth_counts_a_retries_shortcut_to_a_person() -> None:
    m = load_menu(DATA / "human_depth.yaml")
    text = (DATA / "human_depth.yaml").read_text().replace("on_fail: vm", "on_fail: operator")
    assert by_rule(lint(m), "HUMAN_DEPTH")
    assert not by_rule(lint(parse_menu(text)), "HUMAN_DEPTH")


COUNTED = """\
name: T
start: main
defaults: {{on_fail: op}}
nodes:
  main:
    kind: menu
    options:
      "1": s1
      "2": s2
      "3": s3
      "4": s4
      "5": s5
      "6": {extra}
      "7": again
      "9": main
      "*": main
      "0": op
      "#": op
  again: {{kind: message, say: Once more., next: main}}
  s1: {{kind: self_service}}
  s2: {{kind: self_service}}
  s3: {{kind: self_service}}
  s4: {{kind: self_service}}
  s5: {{kind: self_service}}
  s6: {{kind: self_service}}
  op: {{kind: agent}}
"""


def test_too_many_options_counts_neither_0_star_hash_nor_repeats() -> None:
    # 1-5 are choices; 6 and 9 repeat the menu, 7 repeats it through a message;
    # *, 0 and # are not choices
    m = parse_menu(COUNTED.format(extra="main"))
    assert not by_rule(lint(m), "TOO_MANY_OPTIONS")
    m = parse_menu(COUNTED.format(extra="s6"))
    (f,) = by_rule(lint(m), "TOO_MANY_OPTIONS")
    assert f.node == "main" and "6" in f.message
    assert not by_rule(lint(m, LintConfig().changed(settings=["TOO_MANY_OPTIONS.max=6"])),
                       "TOO_MANY_OPTIONS")


def test_long_prompt_threshold_and_severity() -> None:
    m = load_menu(DATA / "long_prompt.yaml")
    # 35 syllables at 3.6 a second (27 words: 10.8 s when words were counted)
    assert m.nodes["billing"].seconds == pytest.approx(35 / 3.6)
    assert not lint(m, LintConfig().changed(settings=["LONG_PROMPT.max_seconds=10"]))
    (f,) = lint(m, LintConfig().changed(settings=["LONG_PROMPT.max_seconds=9"]))
    assert f.rule == "LONG_PROMPT"
    (f,) = lint(m, LintConfig().changed(settings=["LONG_PROMPT.severity=info"]))
    assert (f.rule, f.severity) == ("LONG_PROMPT", "info")


def test_long_prompt_follows_words_per_second() -> None:
    text = (DATA / "long_prompt.yaml").read_text().replace(
        "on_fail: operator", "on_fail: operator\n  words_per_second: 4")
    assert parse_menu(text).defaults.words_per_second == 4
    assert not lint(parse_menu(text))


def test_severity_change_for_an_error_rule() -> None:
    m = load_menu(DATA / "dead_end.yaml")
    (f,) = lint(m, LintConfig().changed(settings=["DEAD_END.severity=warning"]))
    assert (f.rule, f.severity) == ("DEAD_END", "warning")


def test_disable_accepts_lower_case_and_several() -> None:
    m = load_menu(DATA / "same_option_loop.yaml")
    assert lint(m, LintConfig().changed(disable=["same_option_loop", "NO_ZERO_OUT"])) == []


def test_merged_config() -> None:
    m = load_menu(DATA / "human_depth.yaml")
    cfg = LintConfig().merged({"rules": {"HUMAN_DEPTH": {"max": 4}}}, "cfg.yaml")
    assert cfg.param("HUMAN_DEPTH", "max") == 4
    assert lint(m, cfg) == []
    cfg = LintConfig().merged({"rules": {"HUMAN_DEPTH": {"enabled": False}}}, "cfg.yaml")
    assert lint(m, cfg) == []
    cfg = LintConfig().merged({"disable": ["HUMAN_DEPTH"]}, "cfg.yaml")
    assert lint(m, cfg) == []
    again = cfg.merged({"rules": {"HUMAN_DEPTH": {"enabled": True}}}, "more.yaml")
    assert found(lint(m, again)) == {("HUMAN_DEPTH", "m1")}
    cfg = LintConfig().merged({"rules": {"HUMAN_DEPTH": {"severity": "error"}}}, "c.yaml")
    assert [(f.rule, f.severity) for f in lint(m, cfg)] == [("HUMAN_DEPTH", "error")]
    # changed() keeps what merged() set
    cfg2 = cfg.changed(settings=["LONG_PROMPT.max_seconds=1"])
    assert cfg2.severity_of("HUMAN_DEPTH") == "error"
    assert cfg2.param("LONG_PROMPT", "max_seconds") == 1
    assert LintConfig().param("LONG_PROMPT", "max_seconds") == 8


def test_unknown_rule_is_a_config_error_with_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        LintConfig().changed(disable=["DEAD_ENDS"])
    assert "DEAD_ENDS" in str(info.value)
    assert "did you mean 'DEAD_END'?" in (info.value.hint or "")
    with pytest.raises(ConfigError) as info:
        LintConfig().changed(settings=["HUMAN_DEPT.max=4"])
    assert "did you mean 'HUMAN_DEPTH'?" in str(info.value)
    with pytest.raises(ConfigError) as info:
        LintConfig().merged({"rules": {"LONG_PROMT": {"max_seconds": 3}}}, "cfg.yaml")
    assert info.value.file == "cfg.yaml" and "LONG_PROMPT" in str(info.value)


@pytest.mark.parametrize(("setting", "needle"), [
    ("HUMAN_DEPTH.maxx=4", "'maxx'"),
    ("HUMAN_DEPTH.max_seconds=4", "'max_seconds'"),
    ("HUMAN_DEPTH=4", "HUMAN_DEPTH=4"),
    ("HUMAN_DEPTH.max", "HUMAN_DEPTH.max"),
    ("HUMAN_DEPTH.max=many", "number"),
    ("HUMAN_DEPTH.severity=fatal", "'fatal'"),
    ("HUMAN_DEPTH.enabled=maybe", "true or false"),
])
def test_bad_setting_is_a_config_error(setting: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        LintConfig().changed(settings=[setting])
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_bad_setting_name_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        LintConfig().changed(settings=["HUMAN_DEPTH.maxx=4"])
    assert "max" in (info.value.hint or "") and "severity" in (info.value.hint or "")


@pytest.mark.parametrize("data", [
    ["DEAD_END"], "DEAD_END", {"disabled": ["DEAD_END"]}, {"rules": ["DEAD_END"]},
    {"rules": {"DEAD_END": "off"}},
])
def test_bad_config_shapes(data: object) -> None:
    with pytest.raises(ConfigError):
        LintConfig().merged(data, "cfg.yaml")


# --------------------------------------------------------------------------- TRAP

def test_trap_does_not_fire_on_a_dead_end() -> None:
    m = load_menu(DATA / "dead_end.yaml")
    assert not by_rule(lint(m), "TRAP")
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"1": info, "0": op}, on_fail: op}
          info: {kind: input, next: nowhere, on_fail: op}
          nowhere: {kind: message}
          op: {kind: agent}
    """)
    assert found(lint(m)) == {("DEAD_END", "nowhere")}


LOOP = """\
name: T
start: main
nodes:
  main: {{kind: menu, options: {{"1": info, "0": op}}, on_fail: op}}
  info:
    kind: menu
    options: {{"1": hours, "0": busy}}
    on_fail: {on_fail}
  hours: {{kind: message, say: Nine to five., next: info}}
  busy: {{kind: message, say: All operators are busy., next: info}}
  op: {{kind: agent}}
"""


def test_trap_fires_on_a_loop_whose_on_fail_leads_back_into_it() -> None:
    findings = lint(parse_menu(LOOP.format(on_fail="busy")))
    (trap,) = by_rule(findings, "TRAP")
    assert (trap.node, trap.severity, trap.keys) == ("info", "error", "1")
    for nid in ("info", "hours", "busy"):
        assert nid in trap.message
    assert "main" not in trap.message.split(":", 1)[1]
    # both options go round through messages, so SAME_OPTION_LOOP fires as well; the 0
    # that says "all operators are busy" and returns is a false person option
    assert found(findings) == {("TRAP", "info"), ("NO_PATH_TO_HUMAN", "info"),
                               ("NO_ZERO_OUT", "info"), ("SAME_OPTION_LOOP", "info"),
                               ("FALSE_PERSON_OPTION", "info")}
    assert by_rule(findings, "NO_PATH_TO_HUMAN")[0].severity == "warning"


def test_a_loop_with_a_way_out_is_no_trap() -> None:
    findings = lint(parse_menu(LOOP.format(on_fail="op")))
    # retries lead to a person, so neither TRAP nor NO_PATH_TO_HUMAN nor NO_ZERO_OUT; the
    # busy 0 still leads back with no person behind it
    assert found(findings) == {("SAME_OPTION_LOOP", "info"), ("FALSE_PERSON_OPTION", "info")}


def test_a_loop_that_hangs_up_is_no_trap() -> None:
    text = LOOP.format(on_fail="op").replace("    on_fail: op\n", "")
    findings = lint(parse_menu(text))
    assert not by_rule(findings, "TRAP")
    assert ("DISCONNECT_ON_FAIL", "info") in found(findings)


def test_a_menu_looping_on_itself_through_on_fail_is_a_trap() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"1": stuck, "0": op}, on_fail: op}
          stuck: {kind: menu, options: {"1": stuck}, on_fail: stuck}
          op: {kind: agent}
    """)
    findings = lint(m)
    assert [f.node for f in by_rule(findings, "TRAP")] == ["stuck"]
    assert ("SAME_OPTION_LOOP", "stuck") in found(findings)


def test_unreachable_trap_is_only_a_warning() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"0": op}, on_fail: op}
          a: {kind: message, next: b}
          b: {kind: message, next: a}
          op: {kind: agent}
    """)
    traps = by_rule(lint(m), "TRAP")
    assert len(traps) == 1 and traps[0].node in ("a", "b")
    assert traps[0].severity == "warning" and traps[0].keys is None
    assert {f.node for f in by_rule(lint(m), "UNREACHABLE")} == {"a", "b"}


def test_two_traps_give_two_findings() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"1": a, "2": c, "0": op}, on_fail: op}
          a: {kind: message, next: b}
          b: {kind: message, next: a}
          c: {kind: message, next: c}
          op: {kind: agent}
    """)
    assert {f.node for f in by_rule(lint(m), "TRAP")} == {"a", "c"}


# --------------------------------------------------------------------------- NO_PATH_TO_HUMAN

def test_no_path_to_human_error_at_start_when_no_agent() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {on_fail: vm}
        nodes:
          main: {kind: menu, options: {"1": info, "0": vm}}
          info: {kind: self_service}
          vm: {kind: voicemail}
    """)
    findings = lint(m)
    (f,) = by_rule(findings, "NO_PATH_TO_HUMAN")
    assert (f.node, f.severity, f.keys) == ("main", "error", "(at the start)")
    assert "no agent" in f.message
    assert found(findings) == {("NO_PATH_TO_HUMAN", "main"), ("NO_ZERO_OUT", "main")}


def test_no_path_to_human_error_when_agents_cannot_be_reached() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {on_fail: vm}
        nodes:
          main: {kind: menu, options: {"1": info, "0": vm}}
          info: {kind: self_service}
          vm: {kind: voicemail}
          op: {kind: agent}
    """)
    findings = lint(m)
    errors = [f for f in by_rule(findings, "NO_PATH_TO_HUMAN") if f.severity == "error"]
    assert [f.node for f in errors] == ["main"]
    assert ("UNREACHABLE", "op") in found(findings)


def test_no_path_to_human_warning_per_reachable_menu_without_a_person() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {on_fail: vm}
        nodes:
          main: {kind: menu, options: {"1": sub, "0": op}}
          sub: {kind: menu, options: {"1": subsub, "0": vm}}
          subsub: {kind: menu, options: {"1": info, "0": vm}}
          lost: {kind: menu, options: {"1": info, "0": vm}}
          info: {kind: self_service}
          vm: {kind: voicemail}
          op: {kind: agent}
    """)
    findings = by_rule(lint(m), "NO_PATH_TO_HUMAN")
    assert {(f.node, f.severity, f.keys) for f in findings} == {
        ("sub", "warning", "1"), ("subsub", "warning", "1, 1")}


# --------------------------------------------------------------------------- other rules

def test_dead_end_of_every_kind() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {on_fail: op}
        schedules:
          office: {daily: "08:00-18:00", tz: UTC}
        nodes:
          main:
            kind: menu
            options: {"1": msg, "2": inp, "3": empty, "4": no_open, "5": no_closed, "0": op}
          msg: {kind: message}
          inp: {kind: input, digits: 4}
          empty: {kind: menu}
          no_open: {kind: branch, schedule: office, closed: op}
          no_closed: {kind: branch, schedule: office, open: op}
          op: {kind: agent}
    """)
    dead = {(f.node, f.keys) for f in by_rule(lint(m), "DEAD_END")}
    assert dead == {("msg", "1"), ("inp", "2"), ("empty", "3"), ("no_open", "4"),
                    ("no_closed", "5")}
    messages = {f.node: f.message for f in by_rule(lint(m), "DEAD_END")}
    assert "'open'" in messages["no_open"] and "'closed'" in messages["no_closed"]


def test_disconnect_on_fail_variants() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"1": inp, "2": sub, "0": op}, on_fail: bye}
          inp: {kind: input, next: op}
          sub: {kind: menu, options: {"0": op}, on_fail: vm}
          bye: {kind: hangup}
          vm: {kind: voicemail}
          op: {kind: agent}
    """)
    assert {f.node for f in by_rule(lint(m), "DISCONNECT_ON_FAIL")} == {"main", "inp"}


def test_no_zero_out_when_zero_leads_to_no_person() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {on_fail: op}
        nodes:
          main: {kind: menu, options: {"1": op, "0": vm}}
          vm: {kind: voicemail}
          op: {kind: agent}
    """)
    (f,) = lint(m)
    assert (f.rule, f.node) == ("NO_ZERO_OUT", "main") and "'vm'" in f.message


def test_zero_reaching_a_person_through_menus_is_fine() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {on_fail: op}
        nodes:
          main: {kind: menu, options: {"1": vm, "0": sub}}
          sub: {kind: menu, options: {"0": op}}
          vm: {kind: voicemail}
          op: {kind: agent}
    """)
    assert not by_rule(lint(m), "NO_ZERO_OUT")


KEYS = """\
name: T
start: main
defaults: {{on_fail: op}}
nodes:
  main: {{kind: menu, options: {{"1": sub, "2": via, "0": op}}}}
  via: {{kind: message, next: sub}}
  sub: {{kind: menu, options: {{"1": op, "*": {star}, "0": op}}}}
  other: {{kind: menu, options: {{"1": sub, "0": op}}}}
  bye: {{kind: hangup}}
  info: {{kind: message, next: main}}
  op: {{kind: agent}}
"""


@pytest.mark.parametrize(("star", "fires"), [
    ("main", False),    # back to the menu that leads here
    ("info", False),    # back through a message
    ("bye", False),     # cancel
    ("other", False),   # a menu with an option to sub is a previous menu
    ("op", True),
])
def test_key_conventions_star(star: str, fires: bool) -> None:
    m = parse_menu(KEYS.format(star=star))
    assert bool([f for f in by_rule(lint(m), "KEY_CONVENTIONS") if f.node == "sub"]) is fires


def test_key_conventions_hash_as_a_choice() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {on_fail: op}
        nodes:
          main: {kind: menu, options: {"1": info, "#": info, "0": op}}
          info: {kind: self_service}
          op: {kind: agent}
    """)
    (f,) = lint(m)
    assert (f.rule, f.node) == ("KEY_CONVENTIONS", "main") and "#" in f.message


def test_closed_with_a_fallback_is_fine() -> None:
    text = (DATA / "closed_no_fallback.yaml").read_text().replace(
        "    schedule: office\n", "    schedule: office\n    closed: vm\n")
    assert lint(parse_menu(text)) == []


def test_closed_no_fallback_is_an_exit_to_hang_up() -> None:
    m = load_menu(DATA / "closed_no_fallback.yaml")
    assert [(e.event, e.target) for e in m.nodes["desk"].exits()] == [("closed", None)]


def test_huge_retries_does_not_crash_lint() -> None:
    text = ("name: T\nstart: main\nnodes:\n  main: {kind: menu, retries: 1" + "0" * 400
            + ", options: {0: a}}\n  a: {kind: agent}\n")
    try:
        m = parse_menu(text)
    except Exception as exc:  # refusing it is fine too, if it is an IvrError
        from ivr import IvrError
        assert isinstance(exc, IvrError)
        return
    lint(m)


def test_import_notes_become_findings_at_the_original_line() -> None:
    from ivr.formats.imported import Imported, to_menu
    from ivr.model import Note, Source

    data = {"name": "flow", "start": "a", "nodes": {
        "a": {"kind": "branch", "chance": {"b": 0.5, "c": 0.5}},
        "b": {"kind": "agent"}, "c": {"kind": "hangup"}}}
    origin = Source("flow.json", 7, 3, ref="abc-123")
    menu = to_menu(Imported("connect", "flow.json", data, {"a": origin},
                            (Note("UNRESOLVED_TARGET", "a", "Lambda result", origin),
                             Note("UNKNOWN_BLOCK", None, "a block with no node", None))))
    assert menu.format == "connect" and menu.nodes["a"].source == origin
    found = {(f.rule, f.node): f for f in lint(menu)}
    assert found[("UNRESOLVED_TARGET", "a")].source == origin
    assert found[("UNRESOLVED_TARGET", "a")].keys == "(at the start)"
    assert ("UNKNOWN_BLOCK", None) in found
    assert "UNRESOLVED_TARGET" not in {
        f.rule for f in lint(menu, LintConfig(disabled=frozenset({"UNRESOLVED_TARGET"})))}


# ------------------------------------------------------------------ the complaint rules


@st.composite
def departments(draw: st.DrawFn) -> dict[str, Any]:
    """Menus of departments whose options lead to messages that send callers to other
    menus (or back), to people and hang-ups: where redirect loops and false person
    options live."""
    menus = [f"m{i}" for i in range(draw(st.integers(2, 4)))]
    messages = [f"say{i}" for i in range(draw(st.integers(1, 5)))]
    ends = ["desk", "bye", "info"]
    nodes: dict[str, Any] = {}
    say = st.sampled_from(["For billing press 1.", "To speak to an agent press 0.",
                           "For a person press 2.", "To go back press 2.",
                           "To hear this again press 1.", "Press 3 for sales."])
    for m in menus:
        keys = draw(st.lists(st.sampled_from(["0", "1", "2", "3", "*"]), unique=True,
                             min_size=1, max_size=4))
        nodes[m] = {"kind": "menu", "say": draw(say), "seconds": 2, "on_fail": "desk",
                    "options": {k: draw(st.sampled_from(menus + messages + ends))
                                for k in keys}}
    for x in messages:
        nodes[x] = {"kind": "message", "seconds": 1,
                    "say": draw(st.sampled_from(["Please call sales.", "Transferring.",
                                                 "Returning you to the main menu."])),
                    "next": draw(st.sampled_from(menus + messages + ends))}
    nodes.update({"desk": {"kind": "agent"}, "bye": {"kind": "hangup"},
                  "info": {"kind": "self_service"}})
    return {"name": "depts", "start": menus[0], "nodes": nodes}


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.one_of(valid_menus(), departments()))
def test_complaint_rules_keep_their_invariants(raw: dict[str, Any]) -> None:
    """Whatever the menu: a false person option's keys go back to its menu (or on to other
    menus) past no person; a redirect loop's keys go round to where they started, every
    hop through a message; each dropped-call share is the exact flow into that hang-up,
    and all of them add up to the callers disconnected; a person can be reached between
    0 and 168 hours a week."""
    try:
        menu = parse_menu(yaml.safe_dump(raw, sort_keys=False), "gen.yaml")
    except IvrError:
        return
    top = Topology.of(menu)
    drops = drop_shares(menu, top)
    findings = lint(menu, None, top, drops)
    kind = {nid: n.kind for nid, n in menu.nodes.items()}
    kind[HANGUP] = "hangup"
    for f in by_rule(findings, "FALSE_PERSON_OPTION"):
        assert f.path is not None
        k = max(i for i, s in enumerate(f.path) if s.node == f.node and s.event == "option")
        tail = f.path[k:]
        assert all(kind[s.target] != "agent" for s in tail)
        assert all(kind[s.target] in ("message", "branch", "input") for s in tail[:-1])
        if f.severity == "error":
            assert tail[-1].target == f.node
        else:
            assert kind[tail[-1].target] == "menu" and tail[-1].target != f.node
    for f in by_rule(findings, "REDIRECT_LOOP"):
        assert f.path is not None
        k = max(i for i, s in enumerate(f.path) if s.node == f.node and s.event == "option")
        ring = f.path[next(i for i, s in enumerate(f.path) if s.node == f.node):]
        assert ring[-1].target == f.node and k >= 0
        hop: list[str] = []
        for s in ring:
            if kind[s.target] == "menu":
                assert any(kind[x] == "message" for x in hop), ring
                hop = []
            else:
                hop.append(s.target)
    if drops.missing is None and not drops.bound and len(into_hangups(top)):
        for f in by_rule(findings, "DROPPED_CALLS"):
            assert f.path is not None and kind[f.path[-1].target] == "hangup"
            assert f.share is not None and 0 < f.share <= 1 + 1e-9
            assert (f.severity == "error") == (f.share > 0.5 and drops.assumed is None)
        pop = menu.callers or default_population(menu)
        hangups = {n for n, k in kind.items() if k == "hangup"}
        if not any(set(i.goals) & hangups for i in pop.intents) and kind[menu.start] != "hangup":
            exact = solve(compile_chain(menu, top=top))
            assert sum(drops.shares.values()) == pytest.approx(
                exact.outcomes["disconnected"], abs=1e-9)
    hours = person_hours(menu, top)
    assert 0 <= hours.hours <= 168 and 0 <= hours.calls <= 1 + 1e-12
    if not any(f.rule == "NO_PATH_TO_HUMAN" and f.severity == "error" for f in findings):
        assert hours.hours > 0 or menu.schedules
    else:
        assert hours.hours == 0
