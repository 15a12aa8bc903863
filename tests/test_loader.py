"""Loading native YAML menus: what a valid file means, and what every mistake says.

The contract is docs/menu-format.md. Every error must be an IvrError subclass whose
``str()`` is one line ``file:line:col: node 'x': message (hint)`` pointing at the mistake.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ivr import (
    ConfigError,
    InputError,
    IvrError,
    LoadError,
    Menu,
    SyntaxProblem,
    load_menu,
    load_population,
    parse_menu,
)

ROOT = Path(__file__).resolve().parent.parent
FILE = "m.yaml"


def menu(text: str) -> Menu:
    return parse_menu(textwrap.dedent(text), FILE)


def error(text: str) -> IvrError:
    """The IvrError that parsing ``text`` raises (the test fails if it loads)."""
    with pytest.raises(IvrError) as info:
        parse_menu(textwrap.dedent(text), FILE)
    return info.value


def check_error(
    err: IvrError,
    cls: type[IvrError],
    line: int | None,
    column: int | None,
    node: str | None,
    *needles: str,
    file: str = FILE,
) -> None:
    assert type(err) is cls, f"{type(err).__name__}: {err}"
    assert isinstance(err, IvrError)
    assert (err.line, err.column) == (line, column), str(err)
    assert err.node == node, str(err)
    assert err.file == file
    text = str(err)
    assert "\n" not in text
    where = file if line is None else f"{file}:{line}" if column is None else (
        f"{file}:{line}:{column}")
    assert text.startswith(where + ":"), text
    if node is not None:
        assert f"node {node!r}" in text
    for needle in needles:
        assert needle in text, f"{needle!r} not in {text!r}"


# --------------------------------------------------------------------------- valid files

FULL = """\
name: Full
description: every feature once
start: greeting
defaults:
  timeout: 7
  retries: 2
  words_per_second: 2
  on_fail: agent
schedules:
  office: {mon-fri: "08:00-12:00, 13:00-18:00", "sat,sun": closed, tz: Europe/Tallinn}
  always: {daily: "00:00-24:00", tz: UTC}
  weekend:
    sat: "09:00-12:00"
    sun: closed
    tz: America/New_York
nodes:
  greeting:
    kind: message
    say: Hello and welcome
    next: main
  main:
    kind: menu
    label: Main menu
    say: one two three four five six
    options:
      1: {to: sub, label: Sub menu}
      0: agent
      "#": agent
      "*": main
      2: account
  sub:
    kind: menu
    say: a b c
    seconds: 9
    timeout: 3
    retries: 5
    on_fail: vm
    on_timeout: main
    on_invalid: greeting
    options: {1: agent, 3: lookup}
  account:
    kind: input
    say: Enter your account number
    digits: 8
    next: lookup
  lookup:
    kind: branch
    chance: {hours: 0.75, vm: 0.25}
  hours:
    kind: branch
    schedule: weekend
    open: agent
    closed: vm
  agent:
    kind: agent
    queue: general
    schedule: office
    closed: vm
    staff: {agents: 2, handle_time: 30}
  vm: {kind: voicemail, note: the box}
  help: {kind: self_service, resolves: [balance, hours]}
  help2: {kind: self_service, resolves: balance}
  out: {kind: transfer, to: "+18005550100", flow: other.yaml}
  bye: {kind: hangup}
callers:
  intents:
    a: {share: 0.25, goal: agent}
    b: {share: 0.75, goal: [vm, agent]}
  patience: {distribution: weibull, mean: 100, shape: 1.5}
  mistake_rate: 0.1
  confusion: 0.2
  zero_out: 0.3
  silence: 0.4
  calls_per_hour: 30
"""


@pytest.fixture(scope="module")
def full() -> Menu:
    return parse_menu(FULL, "full.yaml")


def test_full_menu_top_level(full: Menu) -> None:
    assert full.name == "Full"
    assert full.description == "every feature once"
    assert full.start == "greeting"
    assert list(full.nodes) == ["greeting", "main", "sub", "account", "lookup", "hours",
                                "agent", "vm", "help", "help2", "out", "bye"]
    assert full.defaults.timeout == 7
    assert full.defaults.retries == 2
    assert full.defaults.words_per_second == 2
    assert full.defaults.on_fail == "agent"


def test_nodes_inherit_defaults(full: Menu) -> None:
    main = full.nodes["main"]
    assert (main.timeout, main.retries, main.on_fail) == (7, 2, "agent")
    account = full.nodes["account"]
    assert (account.timeout, account.retries, account.on_fail) == (7, 2, "agent")


def test_node_values_override_defaults(full: Menu) -> None:
    sub = full.nodes["sub"]
    assert (sub.timeout, sub.retries, sub.on_fail) == (3, 5, "vm")
    assert (sub.on_timeout, sub.on_invalid) == ("main", "greeting")


def test_menu_on_timeout_and_on_invalid_default_to_itself(full: Menu) -> None:
    main = full.nodes["main"]
    assert (main.on_timeout, main.on_invalid) == ("main", "main")


def test_seconds_from_words_at_the_configured_pace(full: Menu) -> None:
    # words_per_second: 2 is 2/2.5 of each language's rate (docs/languages.md)
    from ivr.language.speech import rate_of, seconds_of
    for nid in ("main", "greeting", "account"):
        node = full.nodes[nid]
        assert node.say and node.seconds == pytest.approx(
            seconds_of(node.say, "en", rate_of("en", 2.0)))
        assert node.seconds == pytest.approx(seconds_of(node.say) * 2.5 / 2)


def test_explicit_seconds_win_over_words(full: Menu) -> None:
    assert full.nodes["sub"].seconds == 9


def test_seconds_at_the_default_pace_and_without_say() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, say: one two three four five, options: {0: agent}}
          agent: {kind: agent}
    """)
    assert m.nodes["main"].seconds == pytest.approx(5 / 3.6)  # five syllables at 3.6/s
    assert m.nodes["agent"].seconds == 0
    assert m.defaults.timeout == 5 and m.defaults.retries == 3
    assert m.defaults.words_per_second == 2.5 and m.defaults.on_fail is None
    # no defaults.on_fail: a menu's retries end in a hang-up
    assert m.nodes["main"].on_fail is None
    assert (m.nodes["main"].timeout, m.nodes["main"].retries) == (5, 3)


def test_options_in_keypad_order_with_labels(full: Menu) -> None:
    opts = full.nodes["main"].options
    assert [(o.key, o.target, o.label) for o in opts] == [
        ("1", "sub", "Sub menu"),
        ("2", "account", None),
        ("*", "main", None),
        ("0", "agent", None),
        ("#", "agent", None),
    ]
    assert all(isinstance(o.key, str) for o in opts)


def test_unquoted_digit_keys_are_the_same_as_quoted() -> None:
    a = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {1: x, 0: y}}
          x: {kind: voicemail}
          y: {kind: agent}
    """)
    b = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"1": x, "0": y}}
          x: {kind: voicemail}
          y: {kind: agent}
    """)
    assert [(o.key, o.target) for o in a.nodes["main"].options] == [("1", "x"), ("0", "y")]
    assert [(o.key, o.target) for o in a.nodes["main"].options] == [
        (o.key, o.target) for o in b.nodes["main"].options]
    assert a.nodes["main"].option("1").target == "x"


def test_node_and_option_sources(full: Menu) -> None:
    main = full.nodes["main"]
    assert (main.source.file, main.source.line, main.source.column) == ("full.yaml", 21, 3)
    one = main.option("1")
    if one.source is not None:  # large files may mark nodes only; this one is small
        assert (one.source.line, one.source.column) == (26, 7)


def test_other_kinds(full: Menu) -> None:
    account = full.nodes["account"]
    assert (account.kind, account.digits, account.next) == ("input", 8, "lookup")
    assert full.nodes["lookup"].chance == (("hours", 0.75), ("vm", 0.25))
    hours = full.nodes["hours"]
    assert (hours.schedule, hours.open, hours.closed) == ("weekend", "agent", "vm")
    agent = full.nodes["agent"]
    assert (agent.queue, agent.schedule, agent.closed) == ("general", "office", "vm")
    assert (agent.staff.agents, agent.staff.handle_time) == (2, 30)
    assert full.nodes["help"].resolves == ("balance", "hours")
    assert full.nodes["help2"].resolves == ("balance",)
    out = full.nodes["out"]
    assert (out.to, out.flow) == ("+18005550100", "other.yaml")
    assert full.nodes["bye"].kind == "hangup"
    assert full.nodes["main"].label == "Main menu"


def test_exits(full: Menu) -> None:
    main = full.nodes["main"]
    assert [(e.event, e.key, e.target) for e in main.exits()] == [
        ("option", "1", "sub"), ("option", "2", "account"), ("option", "*", "main"),
        ("option", "0", "agent"), ("option", "#", "agent"),
        ("timeout", None, "main"), ("invalid", None, "main"), ("fail", None, "agent"),
    ]
    assert [(e.event, e.target) for e in full.nodes["greeting"].exits()] == [("next", "main")]
    assert [(e.event, e.target, e.probability) for e in full.nodes["lookup"].exits()] == [
        ("chance", "hours", 0.75), ("chance", "vm", 0.25)]
    assert [(e.event, e.target) for e in full.nodes["hours"].exits()] == [
        ("open", "agent"), ("closed", "vm")]
    assert [(e.event, e.target) for e in full.nodes["agent"].exits()] == [("closed", "vm")]
    assert [(e.event, e.target) for e in full.nodes["account"].exits()] == [
        ("next", "lookup"), ("timeout", "account"), ("invalid", "account"), ("fail", "agent")]
    assert full.nodes["vm"].exits() == ()


def test_menu_is_frozen(full: Menu) -> None:
    with pytest.raises((TypeError, AttributeError)):
        full.nodes["x"] = full.nodes["vm"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        full.name = "other"  # type: ignore[misc]


MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def test_schedules(full: Menu) -> None:
    office = full.schedules["office"]
    assert office.tz == "Europe/Tallinn"
    # mon-fri with two ranges a day; "sat,sun": closed adds nothing
    assert set(office.hours) == {(d, a, b) for d in range(5)
                                 for a, b in ((480, 720), (780, 1080))}
    assert office.is_open(MON, 9 * 60) and office.is_open(FRI, 17 * 60 + 59)
    assert not office.is_open(MON, 12 * 60 + 30)  # lunch
    assert not office.is_open(SAT, 10 * 60) and not office.is_open(SUN, 10 * 60)
    always = full.schedules["always"]
    assert (always.tz, set(always.hours)) == ("UTC", {(d, 0, 1440) for d in range(7)})
    assert always.open_fraction() == pytest.approx(1.0)
    weekend = full.schedules["weekend"]
    assert (weekend.tz, weekend.hours) == ("America/New_York", ((SAT, 540, 720),))


@pytest.mark.parametrize(("spec", "days"), [
    ("mon", {MON}),
    ("mon-fri", {MON, TUE, WED, THU, FRI}),
    ("fri-mon", {FRI, SAT, SUN, MON}),
    ("sat,sun", {SAT, SUN}),
    ("mon, wed", {MON, WED}),
    ("daily", set(range(7))),
])
def test_schedule_day_specs(spec: str, days: set[int]) -> None:
    m = menu(f"""\
        name: T
        start: main
        schedules:
          s:
            "{spec}": "09:00-10:00"
            tz: UTC
        nodes:
          main: {{kind: agent, schedule: s, closed: vm}}
          vm: {{kind: voicemail}}
    """)
    assert m.schedules["s"].hours == tuple(sorted((d, 540, 600) for d in days))
    assert m.nodes["main"].schedule == "s"


def test_schedule_hours_unquoted_are_text_in_yaml_1_2() -> None:
    m = menu("""\
        name: T
        start: main
        schedules:
          s: {mon: 08:00-18:00, tue: closed, tz: UTC}
        nodes:
          main: {kind: agent}
    """)
    assert m.schedules["s"].hours == ((MON, 480, 1080),)


@pytest.mark.parametrize(("patience", "expected"), [
    ("{distribution: exponential, mean: 60}", ("exponential", 60, None, None)),
    ("{distribution: exponential}", ("exponential", 120, None, None)),
    ("{mean: 30}", ("exponential", 30, None, None)),
    ("{distribution: weibull, mean: 60, shape: 2}", ("weibull", 60, 2, None)),
    ("{distribution: lognormal, mean: 60, sd: 30}", ("lognormal", 60, None, 30)),
    ("{distribution: fixed, mean: 45}", ("fixed", 45, None, None)),
    ("{distribution: none}", ("none", None, None, None)),
])
def test_callers_with_every_patience_distribution(patience: str, expected: tuple) -> None:
    m = menu(f"""\
        name: T
        start: main
        nodes:
          main: {{kind: agent}}
          vm: {{kind: voicemail}}
        callers:
          intents:
            a: {{share: 0.5, goal: main}}
            b: {{share: 0.5, goal: [main, vm]}}
          patience: {patience}
          mistake_rate: 0.1
          confusion: 0.2
          zero_out: 0.3
          silence: 0.4
          calls_per_hour: 50
    """)
    c = m.callers
    assert c is not None
    p = c.patience
    assert (p.distribution, p.mean, p.shape, p.sd) == expected
    assert [(i.name, i.share, i.goals) for i in c.intents] == [
        ("a", 0.5, ("main",)), ("b", 0.5, ("main", "vm"))]
    assert (c.mistake_rate, c.confusion, c.zero_out, c.silence, c.calls_per_hour) == (
        0.1, 0.2, 0.3, 0.4, 50)


def test_callers_defaults_and_absence() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: agent}
        callers:
          intents:
            a: {share: 1, goal: main}
    """)
    c = m.callers
    assert (c.patience.distribution, c.patience.mean) == ("exponential", 120)
    assert (c.mistake_rate, c.confusion, c.zero_out, c.silence, c.calls_per_hour) == (
        0.02, 0.05, 0.0, 0.02, 0.0)
    assert menu("name: T\nstart: main\nnodes:\n  main: {kind: agent}\n").callers is None


def test_yaml_1_2_scalars_stay_text() -> None:
    m = menu("""\
        name: no
        start: on
        nodes:
          on: {kind: agent, queue: yes}
    """)
    assert (m.name, m.start, m.nodes["on"].queue) == ("no", "on", "yes")


def test_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    f = tmp_path / "bom.yaml"
    f.write_bytes("\ufeffname: T\nstart: main\nnodes:\n  main: {kind: agent}\n".encode())
    assert load_menu(f).name == "T"


def test_load_menu_reads_a_file_and_names_it(tmp_path: Path) -> None:
    f = tmp_path / "x.yaml"
    f.write_text(FULL, encoding="utf-8")
    m = load_menu(f)
    assert m.nodes["main"].source.file == str(f)
    assert m == load_menu(str(f))


def test_load_population(tmp_path: Path, full: Menu) -> None:
    f = tmp_path / "callers.yaml"
    f.write_text("intents:\n  x: {share: 1, goal: [vm]}\npatience: {distribution: none}\n")
    pop = load_population(f, full)
    assert [(i.name, i.goals) for i in pop.intents] == [("x", ("vm",))]
    assert pop.patience.distribution == "none"
    f.write_text("intents:\n  x: {share: 1, goal: agnt}\n")
    with pytest.raises(LoadError) as info:
        load_population(f, full)
    assert "'agnt'" in str(info.value) and "did you mean 'agent'?" in str(info.value)
    assert info.value.line == 2 and info.value.file == str(f)


# --------------------------------------------------------------------------- errors

def test_unknown_target_did_you_mean() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options:
              "1": bilin
              "0": agent
          billing: {kind: self_service}
          agent: {kind: agent}
    """)
    check_error(e, LoadError, 7, 7, "main", "'bilin'", "not a node", "did you mean 'billing'?")


@pytest.mark.parametrize(("field", "line", "column"), [
    ("next", 6, 5), ("on_fail", 6, 5)])
def test_unknown_target_in_other_fields(field: str, line: int, column: int) -> None:
    kind = "message" if field == "next" else "menu"
    e = error(f"""\
        name: T
        start: main
        nodes:
          main:
            kind: {kind}
            {field}: agnet
          agent: {{kind: agent}}
    """)
    check_error(e, LoadError, line, column, "main", "'agnet'", "did you mean 'agent'?")


def test_unknown_start() -> None:
    e = error("name: T\nstart: mian\nnodes:\n  main: {kind: agent}\n")
    check_error(e, LoadError, 2, 1, None, "'mian'", "did you mean 'main'?")


def test_unknown_goal_in_a_list() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main: {kind: agent}
        callers:
          intents:
            a: {share: 1, goal: [main, mian]}
    """)
    check_error(e, LoadError, 7, 32, None, "'mian'", "did you mean 'main'?")


def test_unknown_field_names_the_closest() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            optons: {0: agent}
          agent: {kind: agent}
    """)
    check_error(e, LoadError, 6, 5, "main", "unknown field 'optons'", "did you mean 'options'?")


def test_unknown_top_level_field() -> None:
    e = error("name: T\nstart: main\nnode:\n  main: {kind: agent}\n")
    check_error(e, LoadError, 3, 1, None, "'node'", "did you mean 'nodes'?")


def test_field_of_another_kind() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options: {0: agent}
            next: agent
          agent: {kind: agent}
    """)
    check_error(e, LoadError, 7, 5, "main", "'next'", "menu node", "message")


def test_missing_kind() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            say: hello
    """)
    check_error(e, LoadError, 4, 3, "main", "no kind", "kind: menu")


def test_bad_kind_with_suggestion() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: agnet
    """)
    check_error(e, LoadError, 5, 5, "main", "'agnet'", "did you mean 'agent'?")


def test_duplicate_mapping_key_points_at_the_second() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: message
            say: first
            say: second
    """)
    assert isinstance(e, SyntaxProblem | LoadError)
    assert (e.line, e.column) == (7, 5), str(e)
    assert "'say'" in str(e) and "duplicate" in str(e)
    assert "line 6" in str(e)  # names where the first one is


def test_duplicate_node_id() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main: {kind: agent}
          other: {kind: agent}
          main: {kind: voicemail}
    """)
    assert isinstance(e, SyntaxProblem | LoadError)
    assert (e.line, e.column) == (6, 3), str(e)
    assert "duplicate" in str(e) and "'main'" in str(e)


def test_option_written_once_unquoted_and_once_quoted() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options:
              1: agent
              "1": vm
          agent: {kind: agent}
          vm: {kind: voicemail}
    """)
    assert isinstance(e, SyntaxProblem | LoadError)
    assert (e.line, e.column) == (8, 7), str(e)
    assert "duplicate" in str(e) and "'1'" in str(e)
    assert e.node in (None, "main")


@pytest.mark.parametrize("key", ["1234567890123", "a", '"1 "', '"1-2"', "'#a'", '"A"'])
def test_option_key_that_is_not_a_phone_key(key: str) -> None:
    e = error(f"""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options:
              {key}: agent
          agent: {{kind: agent}}
    """)
    check_error(e, LoadError, 7, 7, "main", "not a phone key", '"*" and "#"')


def test_typed_key_sequences_are_options_after_the_single_keys() -> None:
    m = menu("""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options: {1000: agent, "*": main, 0: agent, "19": agent, 2: agent}
          agent: {kind: agent}
    """)
    assert [o.key for o in m.nodes["main"].options] == ["2", "*", "0", "19", "1000"]


def test_option_key_with_a_space_points_at_the_key() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options:
              "0 0": agent
          agent: {kind: agent}
    """)
    check_error(e, LoadError, 7, 7, "main", "not a phone key")


def test_unquoted_star_key_is_a_syntax_error_with_a_hint_to_quote() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options:
              *: main
              "0": agent
          agent: {kind: agent}
    """)
    check_error(e, SyntaxProblem, 7, 7, None, "quote", '"*"')


def test_unquoted_star_key_after_another_key_hints_to_quote() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options:
              "0": agent
              *: main
          agent: {kind: agent}
    """)
    assert type(e) is SyntaxProblem
    assert e.line == 8 and "quote" in (e.hint or "")


def test_tab_indentation() -> None:
    e = error("name: T\nstart: main\nnodes:\n  main:\n\tkind: menu\n")
    assert type(e) is SyntaxProblem
    assert e.line == 5 and e.column in (1, 2)
    assert "tab" in str(e) and "spaces" in (e.hint or "")


def test_tab_indentation_column_points_at_the_tab() -> None:
    e = error("name: T\nstart: main\nnodes:\n  main:\n  \tkind: menu\n")
    assert (e.line, e.column) == (5, 3)


def test_unclosed_bracket() -> None:
    e = error("name: T\nstart: main\nnodes:\n  main: {kind: menu, options: [1, 2\n")
    assert type(e) is SyntaxProblem
    assert (e.line, e.column) == (4, 31)  # the bracket left open
    assert "unclosed" in str(e) and "close" in (e.hint or "")


def test_value_with_colon_space_hints_to_quote() -> None:
    e = error("name: T\nstart: main\nnodes:\n  main:\n    kind: message\n    say: Note: x\n")
    check_error(e, SyntaxProblem, 6, 14, None, "quote")


def test_transfer_number_as_integer_hints_to_quote() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: transfer
            to: 18005550100
    """)
    check_error(e, LoadError, 6, 5, "main", "number", 'quote it: to: "18005550100"')


def test_transfer_without_target() -> None:
    e = error("name: T\nstart: main\nnodes:\n  main: {kind: transfer}\n")
    check_error(e, LoadError, 4, 3, "main", "'to'", "'flow'")


def test_shares_must_sum_to_one() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main: {kind: agent}
        callers:
          intents:
            a: {share: 0.5, goal: main}
            b: {share: 0.4, goal: main}
    """)
    check_error(e, LoadError, 6, 3, None, "sum to 0.9", "add up to 1")


def test_chance_must_sum_to_one() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: branch
            chance: {a: 0.5, b: 0.4}
          a: {kind: agent}
          b: {kind: agent}
    """)
    check_error(e, LoadError, 6, 5, "main", "sum to 0.9", "add up to 1")


def test_branch_needs_schedule_or_chance() -> None:
    e = error("name: T\nstart: main\nnodes:\n  main: {kind: branch}\n")
    check_error(e, LoadError, 4, 3, "main", "schedule", "chance")


def test_schedule_without_tz() -> None:
    e = error("""\
        name: T
        start: main
        schedules:
          office: {mon-fri: "08:00-18:00"}
        nodes:
          main: {kind: agent}
    """)
    check_error(e, LoadError, 4, 3, None, "'office'", "time zone", "tz:")


def test_unknown_tz_with_suggestion() -> None:
    e = error("""\
        name: T
        start: main
        schedules:
          office:
            mon-fri: "08:00-18:00"
            tz: Europe/Talinn
        nodes:
          main: {kind: agent}
    """)
    check_error(e, LoadError, 6, 5, None, "'Europe/Talinn'", "did you mean 'Europe/Tallinn'?")


@pytest.mark.parametrize("hours", ["08:00-25:00", "8-18", "18:00-08:00", "08:00-08:00",
                                   "08:60-09:00", "08:00-18:00,", "open"])
def test_bad_hours(hours: str) -> None:
    e = error(f"""\
        name: T
        start: main
        schedules:
          office:
            tz: UTC
            mon: "{hours}"
        nodes:
          main: {{kind: agent}}
    """)
    check_error(e, LoadError, 6, 5, None, repr(hours), "HH:MM")


def test_bad_day() -> None:
    e = error("""\
        name: T
        start: main
        schedules:
          office:
            tz: UTC
            monday: "08:00-18:00"
        nodes:
          main: {kind: agent}
    """)
    check_error(e, LoadError, 6, 5, None, "'monday'", "mon-fri")


@pytest.mark.parametrize(("first", "second", "day"), [
    ("mon-fri", "fri", "fri"), ("daily", "sun", "sun"), ('"sat,sun"', "sun", "sun"),
    ("mon", "sun-tue", "mon")])
def test_a_day_given_twice(first: str, second: str, day: str) -> None:
    e = error(f"""\
        name: T
        start: main
        schedules:
          office:
            {first}: "08:00-18:00"
            {second}: closed
            tz: UTC
        nodes:
          main: {{kind: agent}}
    """)
    check_error(e, LoadError, 6, 5, None, f"{day} is given twice")


def test_unknown_schedule_name() -> None:
    e = error("""\
        name: T
        start: main
        schedules:
          office: {daily: "08:00-18:00", tz: UTC}
        nodes:
          main:
            kind: agent
            schedule: ofice
            closed: vm
          vm: {kind: voicemail}
    """)
    check_error(e, LoadError, 8, 5, "main", "'ofice'", "did you mean 'office'?")


def test_closed_without_schedule() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: agent
            closed: vm
          vm: {kind: voicemail}
    """)
    check_error(e, LoadError, 6, 5, "main", "'closed'", "schedule")


@pytest.mark.parametrize(("field", "value", "needle"), [
    ("timeout", "0", "more than 0"),
    ("timeout", "-1", "more than 0"),
    ("retries", "0", "at least 1"),
    ("retries", "1.5", "whole number"),
    ("seconds", "-2", "at least 0"),
    ("timeout", ".inf", "finite"),
    ("timeout", ".nan", "finite"),
    ("timeout", "'5'", "must be a number"),
    ("retries", "true", "whole number"),
])
def test_bad_numbers(field: str, value: str, needle: str) -> None:
    e = error(f"""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options: {{0: agent}}
            {field}: {value}
          agent: {{kind: agent}}
    """)
    check_error(e, LoadError, 7, 5, "main", field, needle)


HUGE = "1" + "0" * 400  # an integer too large for a float


@pytest.mark.parametrize(("text", "line", "node"), [
    ("name: T\nstart: main\nnodes:\n  main:\n    kind: menu\n    options: {0: agent}\n"
     f"    timeout: {HUGE}\n  agent: {{kind: agent}}\n", 7, "main"),
    ("name: T\nstart: main\nnodes:\n  main:\n    kind: agent\n"
     f"    seconds: {HUGE}\n", 6, "main"),
    (f"name: T\nstart: main\ndefaults:\n  words_per_second: {HUGE}\n"
     "nodes:\n  main: {kind: agent}\n", 4, None),
], ids=["timeout", "seconds", "words_per_second"])
def test_huge_integer_for_a_number_is_an_ivr_error(text: str, line: int, node: str) -> None:
    try:
        parse_menu(text, FILE)
    except IvrError as e:
        assert (e.line, e.node) == (line, node)
    # loading it (as a very large number) would be acceptable too: the point is no crash


def test_quoted_numeric_node_id_has_its_own_line() -> None:
    m = menu("""\
        name: T
        start: "007"
        nodes:
          "007": {kind: agent}
    """)
    assert (m.nodes["007"].source.line, m.nodes["007"].source.column) == (4, 3)


def test_node_id_with_bad_characters() -> None:
    e = error("name: T\nstart: main\nnodes:\n  main: {kind: agent}\n  'a b': {kind: agent}\n")
    check_error(e, LoadError, 5, 3, "a b", "'a b'")


def test_missing_required_top_fields() -> None:
    e = error("name: T\nnodes:\n  main: {kind: agent}\n")
    assert type(e) is LoadError and "'start'" in str(e)
    e = error("start: main\nnodes:\n  main: {kind: agent}\n")
    assert type(e) is LoadError and "'name'" in str(e)
    e = error("name: T\nstart: main\nnodes: {}\n")
    check_error(e, LoadError, 3, 1, None, "nodes is empty")


def test_option_object_needs_to() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            kind: menu
            options:
              "0": {label: Operator}
          agent: {kind: agent}
    """)
    check_error(e, LoadError, 7, 7, "main", "'to'")


def test_patience_parameter_of_another_distribution() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main: {kind: agent}
        callers:
          intents: {a: {share: 1, goal: main}}
          patience:
            distribution: none
            mean: 3
    """)
    check_error(e, LoadError, 9, 5, None, "takes no 'mean'")


# --- hostile and broken input ------------------------------------------------------------

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_alias_bomb_is_refused_quickly() -> None:
    began = time.perf_counter()
    with pytest.raises(SyntaxProblem) as info:
        parse_menu(BOMB, FILE)
    assert time.perf_counter() - began < 2.0
    e = info.value
    assert "alias" in str(e) and e.line is not None
    assert "\n" not in str(e)


def test_modest_aliases_are_fine() -> None:
    m = menu("""\
        name: T
        start: main
        defaults: {on_fail: agent}
        nodes:
          main: {kind: menu, options: &opts {0: agent, 1: vm}}
          sub: {kind: menu, options: *opts}
          agent: {kind: agent}
          vm: {kind: voicemail}
    """)
    for nid in ("main", "sub"):
        assert [(o.key, o.target) for o in m.nodes[nid].options] == [("1", "vm"), ("0", "agent")]


RECURSIVE = """\
name: T
start: main
nodes:
  main: &m
    kind: menu
    options: {"1": *m}
"""


def test_recursive_alias_is_an_error() -> None:
    began = time.perf_counter()
    with pytest.raises(IvrError) as info:
        parse_menu(RECURSIVE, FILE)
    assert time.perf_counter() - began < 2.0
    e = info.value
    assert e.line is not None and "\n" not in str(e)


def test_recursive_alias_is_reported_as_such() -> None:
    with pytest.raises(SyntaxProblem) as info:
        parse_menu(RECURSIVE, FILE)
    assert "alias" in str(info.value) or "recurs" in str(info.value)


_DEEP_SCRIPT = """
import sys
from ivr import parse_menu, SyntaxProblem, IvrError
text = {text}
try:
    parse_menu(text, "deep.yaml")
except SyntaxProblem as e:
    print("SYNTAX", str(e))
    sys.exit(0)
except IvrError as e:
    print("OTHER-IVR", type(e).__name__, str(e))
    sys.exit(4)
print("LOADED")
sys.exit(5)
"""


@pytest.mark.parametrize("text", [
    '"[" * 100000 + "]" * 100000',
    '"a: " + "{a: " * 100000 + "1" + "}" * 100000',
    '"name: T\\nstart: main\\nnodes:\\n  main: " + "[" * 100000',
    pytest.param('"- " * 100000 + "x"'),
    pytest.param('"? " * 100000 + "x"'),
], ids=["flow-seq", "flow-map", "flow-unclosed", "block-seq", "complex-key"])
def test_deep_nesting_is_a_syntax_problem_not_a_crash(text: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _DEEP_SCRIPT.format(text=text)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    out = proc.stdout.strip()
    assert out.startswith("SYNTAX deep.yaml:"), out
    assert "deep" in out.lower() or "nest" in out.lower() or "recursion" in out.lower()
    assert len(out.splitlines()) == 1


def test_moderate_block_nesting_loads_or_fails_cleanly() -> None:
    # 5,000 levels is a 10 KB file: it must give an answer, not a crash
    proc = subprocess.run(
        [sys.executable, "-c", _DEEP_SCRIPT.format(text='"- " * 5000 + "x"')],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert proc.returncode in (0, 4), (proc.returncode, proc.stderr[-2000:])


def test_binary_file(tmp_path: Path) -> None:
    f = tmp_path / "bin.yaml"
    f.write_bytes(b"name: x\x00\x01\x02\xff")
    with pytest.raises(InputError) as info:
        load_menu(f)
    assert "binary" in str(info.value) and str(f) in str(info.value)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "u16.yaml"
    data = "name: T\nstart: main\nnodes:\n  main: {kind: agent}\n".encode(encoding)
    if encoding != "utf-16":  # add the byte order mark editors write
        data = ("\ufeff".encode(encoding)) + data
    f.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_menu(f)
    assert "UTF-16" in str(info.value) and "UTF-8" in (info.value.hint or "")


def test_invalid_utf8_names_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes(b"name: T\nstart: main\nnodes:\n  main: {kind: agent, say: caf\xe9}\n")
    with pytest.raises(InputError) as info:
        load_menu(f)
    e = info.value
    assert (e.line, e.column) == (4, 31)
    assert "UTF-8" in str(e) and "0xe9" in str(e)
    assert str(e).startswith(f"{f}:4:31:")


def test_file_over_max_bytes_names_its_size(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    f.write_text("name: T\nstart: main\nnodes:\n  main: {kind: agent}\n" + "# pad\n" * 200)
    size = f.stat().st_size
    with pytest.raises(InputError) as info:
        load_menu(f, max_bytes=1000)
    text = str(info.value).replace(",", "")
    assert str(size) in text and "1000" in text
    assert load_menu(f, max_bytes=size).name == "T"


def test_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "nope.yaml"
    with pytest.raises(InputError) as info:
        load_menu(f)
    assert str(info.value).startswith(str(f)) and "no such file" in str(info.value)


def test_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_menu(tmp_path)
    assert "folder" in str(info.value)


@pytest.mark.parametrize("content", ["", "\n\n", "# only a comment\n", "---\n", "~\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    f = tmp_path / "empty.yaml"
    f.write_text(content)
    with pytest.raises(IvrError) as info:
        load_menu(f)
    e = info.value
    assert isinstance(e, LoadError | SyntaxProblem | InputError)
    assert str(e).startswith(str(f)) and "\n" not in str(e)
    assert "empty" in str(e) or "nothing" in str(e)


@pytest.mark.parametrize(("text", "what"), [
    ("- a\n- b\n", "list"), ("just text\n", "text"), ("42\n", "number")])
def test_top_level_not_a_mapping(text: str, what: str) -> None:
    e = error(text)
    check_error(e, LoadError, 1, 1, None, "must be a mapping", what)


@pytest.mark.parametrize("text", [
    "name: a\n---\nname: b\n",
    "---\nname: a\nstart: main\nnodes:\n  main: {kind: agent}\n---\nname: b\n",
    "name: T\nstart: main\nnodes:\n  main: {kind: agent}\n---\n",
])
def test_several_yaml_documents(text: str) -> None:
    e = error(text)
    assert type(e) is SyntaxProblem
    assert e.line is not None
    assert "several" in str(e) and "---" in (e.hint or "")


def test_a_single_explicit_document_is_fine() -> None:
    m = menu("# a comment\n---\nname: T\nstart: main\nnodes:\n  main: {kind: agent}\n")
    assert m.name == "T"
    m = menu("---\nname: T\nstart: main\nnodes:\n  main: {kind: agent}\n...\n")
    assert m.name == "T"


def test_errors_are_ivr_errors_with_one_line() -> None:
    for cls in (LoadError, SyntaxProblem, InputError, ConfigError):
        assert issubclass(cls, IvrError) and issubclass(cls, Exception)
    e = LoadError("bad\nthing", file="f.yaml", line=3, column=4, node="n", hint="fix")
    assert str(e).startswith("f.yaml:3:4: node 'n': bad")
    assert e.message == "bad\nthing" and e.hint == "fix"


@pytest.mark.parametrize("text", [
    "name: T\nstart: main\nnodes:\n  main: {kind: agent, say: 'multi\n\n  line'}\n  x: [\n",
    "name: 'unterminated\n",
    "name: T\nstart: main\nnodes:\n  main:\n    kind: message\n    say: |\n      one\n     two\n",
    "{ { {\n",
    "a: b: c\n",
    "? [a, b]\n: c\n",
])
def test_syntax_errors_are_one_line(text: str) -> None:
    e = error(text)
    assert isinstance(e, SyntaxProblem | LoadError)
    assert "\n" not in str(e) and str(e).startswith(FILE)


@pytest.mark.parametrize("value", ["[]", "{}", "{a: 1}", "3", "null", "true", "[menu]"])
def test_kind_that_is_not_text(value: str) -> None:
    e = error(f"""\
        name: T
        start: main
        nodes:
          main:
            kind: {value}
    """)
    check_error(e, LoadError, 5, 5, "main", "kind")


# --- node ids YAML reads as numbers ---------------------------------------------------------

@pytest.mark.parametrize("nid", [
    "_1", "__0", "1_0", "12",
    pytest.param("0b1"),
    pytest.param("0x_1"),
    pytest.param("007"),
    pytest.param("0x1F"),
    pytest.param("+1"),
])
def test_number_like_node_id_is_never_silently_renamed(nid: str) -> None:
    text = ("name: T\nstart: main\nnodes:\n  main: {kind: menu, options: {0: op}, on_fail: op}\n"
            f"  op: {{kind: agent}}\n  {nid}: {{kind: voicemail}}\n")
    try:
        m = parse_menu(text, FILE)
    except IvrError as e:
        assert (e.line, e.column) == (6, 3), str(e)
        assert "quote" in str(e)
    else:
        assert set(m.nodes) == {"main", "op", nid}


# --- x- fields and merge keys (docs: "Top-level fields whose names start with x-") ----------

MERGED = """\
name: T
x-menu: &menu {kind: menu, timeout: 7, retries: 2, on_fail: agent}
x-note: anything at all
start: main
nodes:
  main:
    <<: *menu
    say: For billing press 1.
    timeout: 3
    options: {1: billing, 0: agent}
  sub:
    <<: [*menu, {say: hi there}]
    options: {0: agent}
  billing: {kind: self_service}
  agent: {kind: agent}
"""


def test_x_fields_are_ignored_and_merge_keys_apply() -> None:
    m = parse_menu(MERGED, FILE)
    assert list(m.nodes) == ["main", "sub", "billing", "agent"]
    main, sub = m.nodes["main"], m.nodes["sub"]
    assert (main.kind, main.timeout, main.retries, main.on_fail) == ("menu", 3, 2, "agent")
    assert main.say == "For billing press 1."
    assert (sub.kind, sub.timeout, sub.retries, sub.say) == ("menu", 7, 2, "hi there")
    assert (main.source.line, sub.source.line) == (6, 11)


def test_merged_fields_are_checked_like_written_ones() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            <<: {kind: agent, bogus: 1}
    """)
    assert type(e) is LoadError and e.node == "main" and "'bogus'" in str(e)


def test_bad_merge_key_points_at_it() -> None:
    e = error("""\
        name: T
        start: main
        nodes:
          main:
            <<: 3
            kind: agent
    """)
    assert isinstance(e, SyntaxProblem | LoadError)
    assert e.line == 5, str(e)


def test_bad_merge_key_is_an_ivr_error() -> None:
    e = error("name: T\nstart: main\nnodes:\n  main:\n    <<: 3\n    kind: agent\n")
    assert "merge" in str(e) and str(e).startswith(FILE)


@pytest.mark.parametrize("word", ["_", "__", "-_"])
def test_underscore_only_scalars_are_text(word: str) -> None:
    nid = word if word[0] == "_" else "main2"
    m = parse_menu(f"name: T\nstart: main\nnodes:\n  main: {{kind: agent, label: {word}}}\n"
                   f"  {nid}: {{kind: voicemail}}\n", FILE)
    assert m.nodes["main"].label == word
    assert nid in m.nodes


# --- files over the size where every key is marked (generated menus) -------------------------

BIG_DESCRIPTION = "description: " + "word " * 220_000  # over 1 MB on line 2, as in FULL


def test_large_file_keeps_node_positions(full: Menu) -> None:
    text = FULL.replace("description: every feature once", BIG_DESCRIPTION.rstrip())
    assert len(text) > 1024 * 1024 and text.count("\n") == FULL.count("\n")
    big = parse_menu(text, "full.yaml")
    for nid, node in full.nodes.items():
        assert big.nodes[nid].source == node.source, nid
        assert [(o.key, o.target, o.label) for o in big.nodes[nid].options] == [
            (o.key, o.target, o.label) for o in node.options]
        assert big.nodes[nid].exits() == node.exits()
    assert dict(big.schedules).keys() == dict(full.schedules).keys()
    assert big.callers is not None and big.callers.intents == full.callers.intents


def test_large_file_errors_point_at_least_at_the_node() -> None:
    text = FULL.replace("description: every feature once", BIG_DESCRIPTION.rstrip())
    text = text.replace("options: {1: agent, 3: lookup}", "options: {1: agent, 3: lokup}")
    with pytest.raises(LoadError) as info:
        parse_menu(text, "big.yaml")
    e = info.value
    assert e.node == "sub" and "did you mean 'lookup'?" in str(e)
    assert e.line is not None and 31 <= e.line <= 40  # the node starts at 31, the key at 40


def test_large_generated_menu_with_quoted_ids() -> None:
    lines = ["name: Big", "start: n0", "defaults: {on_fail: op}", "nodes:"]
    n = 12_000
    for i in range(n):
        lines.append(f"  n{i}: {{kind: menu, say: Press one for the next menu please, "
                     f"options: {{1: n{i + 1}, 0: op}}}}")
    lines += [f"  n{n}: {{kind: voicemail}}", "  'op': {kind: agent}", '  "q-1": {kind: agent}']
    text = "\n".join(lines) + "\n"
    assert len(text) > 1024 * 1024
    m = parse_menu(text, "big.yaml")
    assert len(m.nodes) == n + 3
    assert m.nodes["n0"].source.line == 5 and m.nodes[f"n{n - 1}"].source.line == n + 4
    assert m.nodes["op"].source.line == n + 6 and m.nodes["q-1"].source.line == n + 7
    with pytest.raises(LoadError) as info:
        parse_menu(text.replace("{1: n7001, 0: op}", "{1: n7001x, 0: op}"), "big.yaml")
    assert (info.value.node, info.value.line) == ("n7000", 7004 + 1)


# --- line endings -------------------------------------------------------------------------------

LINES = ('name: T\nstart: main\nnodes:\n  main: {kind: menu, say: "Hello{X}there", '
         'options: {0: op}, on_fail: op}\n  op: {kind: agent}\n  vm: {kind: voicemail, next: op}\n')


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_positions_with_any_newline(newline: str) -> None:
    text = LINES.replace("{X}", " ").replace("\n", newline)
    e = error(text)
    check_error(e, LoadError, 6, 25, "vm", "'next'")
    ok = text.replace(", next: op}", "}")
    assert parse_menu(ok, FILE).nodes["op"].source.line == 5


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"], ids=["LS", "PS", "NEL"])
def test_unicode_line_separators_in_text_do_not_shift_positions(char: str) -> None:
    e = error(LINES.replace("{X}", char))
    assert (e.line, e.column) == (6, 25), str(e)


def test_import_notes_are_read_back_and_checked() -> None:
    text = ("name: T\nstart: a\nnodes:\n  a: {kind: agent}\nx-import-notes:\n"
            "  - {rule: MISSING_TARGET, node: a, message: gone, source: 'f.json:3:4'}\n"
            "  - {rule: LENIENT_READ, node: null, message: skipped, source: 'f.conf:9:1'}\n")
    m = parse_menu(text, "t.yaml")
    assert [(n.rule, n.node) for n in m.notes] == [("MISSING_TARGET", "a"),
                                                  ("LENIENT_READ", None)]
    assert m.notes[0].source == m.nodes["a"].source  # the finding points into this file
    assert m.notes[1].source is not None and m.notes[1].source.line == 9
    with pytest.raises(LoadError, match="rule 'NOPE' is not one of"):
        parse_menu(text.replace("LENIENT_READ", "NOPE"), "t.yaml")
    with pytest.raises(LoadError, match="must be a list"):
        parse_menu("name: T\nstart: a\nnodes: {a: {kind: agent}}\nx-import-notes: 3\n",
                   "t.yaml")
