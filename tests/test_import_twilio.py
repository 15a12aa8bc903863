"""Twilio Studio import: each widget maps to the documented node kind, findings are the
expected ones, origins point at the state's ``"name"`` line, bad input is one IvrError.

Fixtures in tests/data/import/twilio/ are written for these tests; the corpus test reads
the real flows in /work/shared/corpus/twilio-studio when present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.errors import IvrError, LoadError, SyntaxProblem
from ivr.formats import twilio
from ivr.formats.imported import UNANSWERED, Imported, to_menu
from ivr.formats.registry import read_any
from ivr.language.speech import seconds_of
from ivr.model import Menu
from ivr.structure.lint import Finding, lint

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "import" / "twilio"
ROOT = HERE.parent
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def load(name: str) -> tuple[Imported, Menu]:
    path = DATA / name
    text = path.read_text()
    imported = twilio.read(text, str(path))
    return imported, read_any(text, str(path), "twilio")


def found(findings: list[Finding]) -> set[tuple[str, str | None]]:
    return {(f.rule, f.node) for f in findings}


def line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def state(name: str, kind: str, *exits: tuple[str, str | None], **props: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "properties": props,
            "transitions": [{"event": ev, **({"next": nx} if nx else {})} for ev, nx in exits]}


def flow(*states: dict[str, Any], entry: str | None = "first") -> str:
    trigger = state("Trigger", "trigger", ("incomingMessage", None), ("incomingCall", entry))
    return json.dumps({"description": "t", "states": [trigger, *states],
                       "initial_state": "Trigger", "flags": {}}, indent=2)


def imp(text: str) -> tuple[dict[str, Any], Menu]:
    imported = twilio.read(text, "t.json")
    return dict(imported.data["nodes"]), to_menu(imported)


def notes(text: str) -> set[tuple[str, str | None]]:
    return {(n.rule, n.node) for n in twilio.read(text, "t.json").notes}


# -- fixtures -------------------------------------------------------------------------------

def test_menu_fixture_kinds_keys_and_targets() -> None:
    imported, menu = load("main_menu.json")
    assert menu.name == "Acme Support Line" and menu.start == "Trigger"
    assert menu.format == "twilio"
    kinds = {nid: n.kind for nid, n in menu.nodes.items()}
    assert kinds == {"Trigger": "message", "welcome": "message", "main_menu": "menu",
                     "sorry": "message", "account": "input", "lookup": "branch",
                     "balance": "message", "voicemail": "voicemail", "sales": "branch",
                     "sales.answered": "agent", "operator": "agent",
                     "balance.audioComplete": "hangup"}
    main = menu.nodes["main_menu"]
    assert {o.key: o.target for o in main.options} == {
        "1": "account", "2": "sales", "3": "sales", "0": "operator"}
    assert (main.on_timeout, main.on_invalid, main.on_fail, main.timeout, main.retries) == (
        "main_menu", "sorry", "sorry", 6, 3)
    assert "main_split" not in menu.nodes  # folded into main_menu
    account = menu.nodes["account"]
    assert (account.digits, account.next, account.on_fail) == (6, "lookup", "voicemail")
    assert dict(menu.nodes["lookup"].chance) == {"balance": 0.5, "voicemail": 0.5}
    # failedToEnqueue -> voicemail is live: the queue can fail to take the call
    assert dict(menu.nodes["sales"].chance) == {"sales.answered": 1 - UNANSWERED,
                                                "voicemail": UNANSWERED}
    assert menu.nodes["sales.answered"].queue == "Sales"
    assert menu.nodes["operator"].queue == "client:alice"
    assert menu.nodes["sorry"].say == "(audio: sorry.mp3)"
    assert found(lint(menu)) == {("UNRESOLVED_TARGET", "lookup")}


def test_origins_point_at_the_state_name() -> None:
    imported, menu = load("main_menu.json")
    path = DATA / "main_menu.json"
    for nid, name in (("main_menu", "main_menu"), ("lookup", "lookup"), ("Trigger", "Trigger")):
        src = imported.origins[nid]
        assert src.line == line_of(path, f'"name": "{name}"') and src.ref == name
        assert menu.nodes[nid].source.line == src.line
    end = imported.origins["balance.audioComplete"]
    assert end.line == line_of(path, '"name": "balance"')
    assert end.ref == "balance/audioComplete"


def test_sms_only_fixture_has_no_voice_entry() -> None:
    imported, menu = load("sms_only.json")
    assert menu.nodes["Trigger"].kind == "hangup"
    assert menu.nodes["reply"].kind == "message" and menu.nodes["reply"].say is None
    result = found(lint(menu))
    assert {("NO_VOICE_ENTRY", "Trigger"), ("NO_PATH_TO_HUMAN", "Trigger"),
            ("UNRESOLVED_TARGET", "save"), ("UNREACHABLE", "reply")} <= result
    assert {r for r, _ in result} == {"NO_VOICE_ENTRY", "NO_PATH_TO_HUMAN",
                                      "UNRESOLVED_TARGET", "UNREACHABLE"}
    note = next(n for n in imported.notes if n.rule == "NO_VOICE_ENTRY")
    assert "incomingMessage, incomingRequest" in note.message


def test_odd_fixture_findings() -> None:
    imported, menu = load("odd.json")
    nodes = menu.nodes
    assert {o.key: o.target for o in nodes["menu"].options} == {
        "1": "dynamic", "2": "dynamic", "0": "dynamic", "5": "gadget", "6": "gadget",
        "7": "ghost", "8": "sub", "9": "redirect"}
    assert nodes["ghost"].kind == "hangup"
    assert nodes["sub"].flow == "FW00000000000000000000000000000001"
    assert nodes["redirect"].to == "https://example.com/twiml"
    assert nodes["dial_out"].queue == "phone +15550100"  # forwarded: a person
    assert nodes["menu"].on_fail == "split.noMatch"
    assert found(lint(menu)) == {
        ("NO_PATH_TO_HUMAN", "Trigger"), ("MISSING_TARGET", "ghost"),
        ("DISCONNECT_ON_FAIL", "menu"), ("NO_MATCHING_KEY", "menu"), ("NO_ZERO_OUT", "menu"),
        ("UNREACHABLE", "dial_out"), ("UNRESOLVED_TARGET", "dynamic"),
        ("UNKNOWN_BLOCK", "gadget"), ("UNRESOLVED_TARGET", "sub"),
        ("UNRESOLVED_TARGET", "redirect"),
        ("DROPPED_CALLS", "menu")}  # a wrong key hangs up
    missing = next(n for n in imported.notes if n.rule == "MISSING_TARGET")
    assert missing.source is not None
    assert missing.source.line == line_of(DATA / "odd.json", '"next": "ghost"')


def test_flow_revision_wrapper() -> None:
    _, menu = load("revision.json")
    assert menu.name == "Wrapped Flow"
    assert [menu.nodes[n].kind for n in ("Trigger", "set_vars", "agent")] == [
        "message", "message", "agent"]
    assert menu.nodes["agent"].queue == "WW00000000000000000000000000000001"
    assert found(lint(menu)) == set()


# -- widgets ----------------------------------------------------------------------------------

def test_split_shared_with_another_state_stays_a_node() -> None:
    text = flow(
        state("first", "gather-input-on-call", ("keypress", "pick"), ("timeout", "first"),
              say="Press 1.", number_of_digits=1),
        {**state("pick", "split-based-on", ("noMatch", "first")),
         "transitions": [{"event": "noMatch", "next": "first"},
                         {"event": "match", "next": "desk", "conditions": [
                             {"type": "equal_to", "value": "1"}]}],
         "properties": {"input": "{{widgets.first.Digits}}"}},
        state("again", "say-play", ("audioComplete", "pick"), say="Again."),
        state("desk", "send-to-flex", ("callComplete", None), workflow="WW1"))
    nodes, menu = imp(text)
    assert nodes["first"]["kind"] == "menu" and nodes["first"]["options"] == {"1": "desk"}
    assert nodes["pick"]["kind"] == "branch"  # reached from 'again' too
    assert ("UNREACHABLE", "again") in found(lint(menu))


@pytest.mark.parametrize(("timeout", "no_match", "on_fail"), [
    ("bye", "first", "bye"),     # invalid repeats the menu: fail goes where timeout goes
    ("first", None, "pick.noMatch"),
    ("first", "first", "first"),  # Studio repeats forever: an unbounded loop, no hang-up
])
def test_menu_on_fail(timeout: str, no_match: str | None, on_fail: str | None) -> None:
    text = flow(
        state("first", "gather-input-on-call", ("keypress", "pick"), ("timeout", timeout),
              say="Press 1.", number_of_digits=1),
        {"name": "pick", "type": "split-based-on",
         "transitions": [{"event": "noMatch", **({"next": no_match} if no_match else {})},
                         {"event": "match", "next": "bye",
                          "conditions": [{"type": "equal_to", "value": "1"}]}],
         "properties": {"input": "{{widgets.first.Digits}}"}},
        state("bye", "say-play", ("audioComplete", None), say="Bye."))
    nodes, menu = imp(text)
    assert nodes["first"].get("on_fail") == on_fail
    assert (("DISCONNECT_ON_FAIL", "first") in found(lint(menu))) == (on_fail == "pick.noMatch")
    assert (("UNRESOLVED_TARGET", "first") in found(lint(menu))) == (on_fail == "first")


def test_speech_input_and_keypress_elsewhere() -> None:
    text = flow(state("first", "gather-input-on-call", ("keypress", None), ("speech", "done"),
                      ("timeout", None), say="Say your name."),
                state("done", "say-play", ("audioComplete", None), say="Bye."))
    nodes, _ = imp(text)
    assert nodes["first"]["kind"] == "input" and nodes["first"]["next"] == "done"
    assert nodes["first"]["on_fail"] == "first.timeout"


@pytest.mark.parametrize(("cond", "keys"), [
    ({"type": "is_blank"}, ["#"]),
    ({"type": "starts_with", "value": "4"}, ["4"]),
    ({"type": "greater_than", "value": "7"}, ["8", "9"]),
    ({"type": "not_equal_to", "value": "5"},
     ["1", "2", "3", "4", "6", "7", "8", "9", "*", "0", "#"]),
    ({"type": "does_not_match_any_of", "value": "1,2,3,4,5,6,7,8,9,0"}, ["*", "#"]),
    ({"type": "matches_any_of", "value": "1, 22"}, ["1"]),
])
def test_digit_conditions(cond: dict[str, Any], keys: list[str]) -> None:
    text = flow(
        state("first", "gather-input-on-call", ("keypress", "pick"), number_of_digits=1),
        {"name": "pick", "type": "split-based-on",
         "transitions": [{"event": "noMatch"},
                         {"event": "match", "next": "desk", "conditions": [cond]}],
         "properties": {"input": "{{widgets.first.Digits}}"}},
        state("desk", "enqueue-call", ("callComplete", None), workflow_sid="WW1"))
    nodes, _ = imp(text)
    assert list(nodes["first"]["options"]) == keys


def test_conditions_that_match_nothing_or_everything() -> None:
    def text(conds: list[Any], digits: int = 2) -> str:
        return flow(
            state("first", "gather-input-on-call", ("keypress", "pick"), number_of_digits=digits),
            {"name": "pick", "type": "split-based-on",
             "transitions": [{"event": "match", "next": "first", "conditions": conds}],
             "properties": {"input": "{{ widgets.first.Digits }}"}})
    assert notes(text([{"type": "regex", "value": "["}])) == {("NO_MATCHING_KEY", "first")}
    assert notes(text([])) == {("NO_MATCHING_KEY", "first")}
    assert notes(text([{"type": "is_after_time", "value": "9:00"}])) == {
        ("UNRESOLVED_TARGET", "first")}
    assert notes(text([{"type": "is_not_blank"}])) == {("UNRESOLVED_TARGET", "first")}
    both = [{"type": "equal_to", "value": "1"}, {"type": "equal_to", "value": "2"}]
    assert notes(text(both)) == {("NO_MATCHING_KEY", "first")}


@pytest.mark.parametrize(("props", "kind", "field", "value", "rules"), [
    ({"noun": "number", "to": "+15551234"}, "agent", "queue", "phone +15551234", set()),
    ({"noun": "number-multi", "to": "+1555, +1666"}, "agent", "queue", "phone +1555", set()),
    ({"noun": "number", "to": "{{trigger.call.From}}"}, "transfer", "to",
     "{{trigger.call.From}}", {"UNRESOLVED_TARGET"}),
    ({"noun": "sip", "to": "sip:desk@example.com"}, "agent", "queue",
     "sip:desk@example.com", set()),
    ({"noun": "sim", "to": "DE123"}, "agent", "queue", "sim:DE123", set()),
    ({"noun": "conference", "to": "room"}, "transfer", "to", "room", {"UNKNOWN_BLOCK"}),
    ({"noun": "number"}, "transfer", "to", "(not set)", {"UNRESOLVED_TARGET"}),
])
def test_connect_call_to(props: dict[str, Any], kind: str, field: str, value: str,
                         rules: set[str]) -> None:
    text = flow(state("first", "connect-call-to", ("callCompleted", None), **props))
    nodes, _ = imp(text)
    assert nodes["first"]["kind"] == kind and nodes["first"][field] == value
    assert {r for r, _ in notes(text)} == rules


def test_capture_payments_unknown_widget_and_say_loop() -> None:
    text = flow(
        state("first", "say-play", ("audioComplete", "pay"), say="one two three four five",
              loop=2),
        state("pay", "capture-payments", ("success", "thanks"), ("maxFailedAttempts", None),
              ("providerError", None)),
        state("thanks", "mystery-widget"))
    nodes, menu = imp(text)
    # said twice: twice the spoken seconds (ivr.language.speech)
    assert nodes["first"]["seconds"] == pytest.approx(2 * seconds_of("one two three four five"),
                                                      abs=1e-3)
    assert set(nodes["pay"]["chance"]) == {"thanks", "pay.maxFailedAttempts",
                                           "pay.providerError"}
    assert nodes["thanks"] == {"kind": "message", "seconds": 0, "label": "mystery-widget",
                               "next": "thanks.end"}
    assert notes(text) == {("UNRESOLVED_TARGET", "pay"), ("UNKNOWN_BLOCK", "thanks")}
    assert menu.nodes["thanks.end"].kind == "hangup"


def test_subflow_entry_and_non_trigger_start() -> None:
    trigger = state("Trigger", "trigger", ("incomingParent", "hello"))
    text = json.dumps({"states": [trigger, state("hello", "say-play", ("audioComplete", None),
                                                 say="Hi.")], "initial_state": "Trigger"})
    nodes, _ = imp(text)
    assert nodes["Trigger"]["kind"] == "message" and nodes["Trigger"]["next"] == "hello"
    assert notes(text) == set()
    direct = json.dumps({"states": [state("hello", "record-voicemail")],
                         "initial_state": "hello"})
    assert twilio.read(direct, "v.json").data["start"] == "hello"
    no_initial = json.dumps({"states": [state("x", "say-play"), trigger]})
    assert twilio.read(no_initial, "v.json").data["start"] == "Trigger"


def test_names_that_are_not_ids() -> None:
    text = flow(state("first", "say-play", ("audioComplete", "Main Menü #1"), say="Hi."),
                state("Main Menü #1", "record-voicemail"))
    nodes, menu = imp(text)
    assert nodes["first"]["next"] == "Main_Men_1"
    assert menu.nodes["Main_Men_1"].source.ref == "Main Menü #1"
    assert menu.nodes["Main_Men_1"].source.line is not None


# -- sniffing ---------------------------------------------------------------------------------

def test_sniff_own_fixtures_and_not_others() -> None:
    for path in DATA.glob("*.json"):
        assert twilio.sniff(path.read_text()), path
    for path in (ROOT / "menus").glob("*.yaml"):
        assert not twilio.sniff(path.read_text()), path
    assert not twilio.sniff('{"Version": "2019-10-30", "Actions": [], "StartAction": "x"}')
    assert not twilio.sniff('{"modules": [], "states": 3}')
    assert not twilio.sniff("<vxml version='2.1'/>")


def test_sniff_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("no corpus at " + str(CORPUS))
    for path in CORPUS.rglob("*"):
        if path.is_file() and path.name != "SOURCES.md":
            mine = path.parent.name == "twilio-studio"
            assert twilio.sniff(path.read_text(errors="replace")) == mine, path


# -- the real flows -------------------------------------------------------------------------

def corpus_file(part: str) -> Path:
    if not CORPUS.is_dir():
        pytest.skip("no corpus at " + str(CORPUS))
    return next((CORPUS / "twilio-studio").glob(f"*{part}*"))


def test_corpus_imports_without_error() -> None:
    if not CORPUS.is_dir():
        pytest.skip("no corpus at " + str(CORPUS))
    paths = sorted((CORPUS / "twilio-studio").glob("*.json"))
    assert len(paths) == 3
    for path in paths:
        text = path.read_text()
        menu = read_any(text, str(path), "twilio")
        lint(menu)
        for nid, src in twilio.read(text, str(path)).origins.items():
            assert src.line is not None, nid


def test_corpus_schedule_flow() -> None:
    path = corpus_file("schedule_flow")
    menu = read_any(path.read_text(), str(path), "twilio")
    rules = found(lint(menu))
    assert not any(r == "NO_PATH_TO_HUMAN" for r, _ in rules)
    assert {("UNRESOLVED_TARGET", "check_schedule"), ("UNRESOLVED_TARGET", "is_open")} <= rules
    nodes = menu.nodes
    # agent when the function fails, or when the split says open; closed -> message -> end
    assert {t for t, _ in nodes["check_schedule"].chance} == {"is_open", "send_to_flex"}
    assert {t for t, _ in nodes["is_open"].chance} == {"send_to_flex", "say_closed"}
    assert nodes["send_to_flex"].kind == "agent"
    assert nodes[nodes["say_closed"].next or ""].kind == "hangup"


def test_corpus_callback_flow() -> None:
    # SOURCES.md says this flow is entered by incomingRequest only, but the file's
    # incomingCall transition does lead to SendCallToAgent: the file is the truth.
    path = corpus_file("callback_flow")
    menu = read_any(path.read_text(), str(path), "twilio")
    assert menu.nodes[menu.nodes[menu.start].next or ""].kind == "agent"
    assert found(lint(menu)) == set()


def test_corpus_patient_flow_is_sms_only() -> None:
    path = corpus_file("patient-appointment")
    menu = read_any(path.read_text(), str(path), "twilio")
    rules = found(lint(menu))
    assert {("NO_VOICE_ENTRY", "Trigger"), ("NO_PATH_TO_HUMAN", "Trigger")} <= rules
    kinds = {n.kind for n in menu.nodes.values()}
    assert not kinds & {"agent", "menu", "input"}


# -- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "line", "error"), [
    ('{\n  "states": [\n    {"name": "a",', 3, SyntaxProblem),
    ("\x00\x01\x02garbage\xff", 1, SyntaxProblem),
    ("[1, 2]", 1, LoadError),
    ('{\n  "states": {}\n}', 2, LoadError),
    ('{\n  "states": [\n    {"name": "a"}\n  ]\n}', 3, LoadError),
    ('{\n  "states": [\n    {"name": "a", "type": "say-play", "transitions": 5}\n  ]\n}',
     3, LoadError),
    ('{\n  "states": [\n    {"name": "a", "type": "x", "transitions": [{"next": "b"}]}]}',
     3, LoadError),
    ('{"states": [{"name": "a", "type": "x"},\n {"name": "a", "type": "y"}]}', 2, LoadError),
    ('{"states": [{"name": "a", "type": "x"}],\n "initial_state": "b"}', 2, LoadError),
    ('{"states": [{"name": "a", "type": "x"}]}', 1, LoadError),
    ('{"states": [7]}', 1, LoadError),
])
def test_bad_input_is_one_ivr_error_with_a_line(text: str, line: int,
                                                error: type[IvrError]) -> None:
    with pytest.raises(error) as info:
        twilio.read(text, "bad.json")
    assert info.value.line == line and info.value.file == "bad.json"
    assert "\n" not in str(info.value)


VOCAB = st.sampled_from(["name", "type", "transitions", "properties", "event", "next",
                         "conditions", "value", "input", "states", "initial_state",
                         "Trigger", "a", "b", "trigger", "gather-input-on-call",
                         "split-based-on", "keypress", "match", "noMatch", "incomingCall",
                         "equal_to", "regex", "less_than", "is_blank", "noun", "to",
                         "number_of_digits", "{{widgets.a.Digits}}", "definition", "say"])
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 20)
    | st.floats(allow_nan=False, allow_infinity=False) | VOCAB,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(VOCAB, inner, max_size=5),
    max_leaves=30)
SEED = (DATA / "odd.json").read_text()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=JSONISH)
def test_only_ivr_errors_on_random_structures(data: Any) -> None:
    check(json.dumps({"states": data, "initial_state": "Trigger"}))
    check(json.dumps(data))


NAMES = st.sampled_from(["Trigger", "a", "b", "c", "a.b", "A B"])
TYPES = st.sampled_from(["trigger", "say-play", "gather-input-on-call", "split-based-on",
                         "send-to-flex", "enqueue-call", "connect-call-to", "record-voicemail",
                         "run-function", "make-http-request", "run-subflow", "set-variables",
                         "send-message", "send-and-wait-for-reply", "capture-payments",
                         "add-twiml-redirect", "zap"])
EVENTS = st.sampled_from(["incomingCall", "incomingParent", "keypress", "speech", "timeout",
                          "match", "noMatch", "success", "fail", "audioComplete", "next"])
CONDITION = st.fixed_dictionaries({
    "type": st.sampled_from(["equal_to", "matches_any_of", "regex", "less_than",
                             "greater_than", "is_blank", "not_equal_to", "contains", "zz"]),
    "value": st.one_of(st.text("0123456789*#,[]()^$.a ", max_size=6), st.integers(-5, 99))})
TRANSITION = st.fixed_dictionaries(
    {"event": EVENTS},
    optional={"next": NAMES | st.just("ghost"), "conditions": st.lists(CONDITION, max_size=2)})
PROPS = st.fixed_dictionaries({}, optional={
    "input": st.sampled_from(["{{widgets.a.Digits}}", "{{widgets.b.Digits}}", "x"]) | JSONISH,
    "say": st.text(max_size=20) | JSONISH, "play": st.text(max_size=10),
    "number_of_digits": st.integers(-1, 14) | JSONISH, "timeout": JSONISH,
    "loop": JSONISH, "finish_on_key": st.sampled_from(["#", "*", "", "x"]),
    "noun": st.sampled_from(["number", "client", "sip", "conference", "x"]) | JSONISH,
    "to": st.text(max_size=8) | JSONISH, "queue_name": JSONISH, "workflow": JSONISH,
    "flow_sid": JSONISH, "url": JSONISH})
STATE = st.fixed_dictionaries({"name": NAMES, "type": TYPES,
                               "transitions": st.lists(TRANSITION, max_size=4),
                               "properties": PROPS})
# a gather "m" whose keypress goes to a split "s" on its Digits: the menu case
MENU = st.tuples(
    st.fixed_dictionaries({"name": st.just("m"), "type": st.just("gather-input-on-call"),
                           "transitions": st.lists(TRANSITION, max_size=3).map(
                               lambda t: [{"event": "keypress", "next": "s"}, *t]),
                           "properties": PROPS}),
    st.fixed_dictionaries({"name": st.just("s"), "type": st.just("split-based-on"),
                           "transitions": st.lists(TRANSITION, max_size=5).map(
                               lambda t: [{**x, "event": "match"} for x in t]),
                           "properties": st.just({"input": "{{widgets.m.Digits}}"})}))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(states=st.lists(STATE, min_size=1, max_size=6, unique_by=lambda s: str(s["name"])),
       initial=st.integers(0, 8), wrap=st.booleans(), menu=st.none() | MENU)
def test_only_ivr_errors_on_random_flows(states: list[Any], initial: int, wrap: bool,
                                         menu: Any) -> None:
    states = [*states, *(menu or ())]
    body: dict[str, Any] = {"states": states}
    if initial < len(states):
        body["initial_state"] = states[initial]["name"]
    check(json.dumps({"definition": body, "friendly_name": "w"} if wrap else body))


@settings(max_examples=300, deadline=None)
@given(cut=st.integers(0, len(SEED)), junk=st.text(max_size=5), drop=st.integers(0, 30))
def test_only_ivr_errors_on_mutated_text(cut: int, junk: str, drop: int) -> None:
    check(SEED[:cut] + junk + SEED[cut + drop:])


def check(text: str) -> None:
    """read() raises only IvrError, and whatever it returns the native reader accepts."""
    try:
        imported = twilio.read(text, "h.json")
    except IvrError:
        return
    to_menu(imported)


# -- how Studio runs them ---------------------------------------------------------------------

def test_forwarding_to_a_phone_is_a_person_and_its_ring_out_goes_on() -> None:
    _, menu = load("forward_owner.json")
    rung = menu.nodes[menu.nodes["main"].option("1").target]
    # its ring timeout (25 s) says when callCompleted runs for nobody answering: a line's
    # longest wait, to the voicemail
    assert (rung.kind, rung.max_wait) == ("agent", 25.0)
    assert menu.nodes[rung.on_max_wait or ""].kind == "voicemail"
    rules = found(lint(menu))
    assert not {r for r, _ in rules} & {"NO_PATH_TO_HUMAN", "UNREACHABLE", "DISCONNECT_ON_FAIL"}
    # every failure repeats the gather: Studio loops there, it never hangs up
    assert menu.nodes["main"].on_fail == "main" and ("UNRESOLVED_TARGET", "main") in rules


def test_a_split_on_another_widgets_digits_follows_the_earlier_entry() -> None:
    _, menu = load("misread_digits.json")
    billing = menu.nodes["billing"]  # its keys are never read: an input, not a menu
    assert billing.kind == "input"
    assert dict(menu.nodes["billing_keys"].chance) == {"balance": 1.0}  # main's 1, always
    rules = found(lint(menu))
    assert {("NO_MATCHING_KEY", "billing"), ("UNREACHABLE", "clerk"),
            ("NO_PATH_TO_HUMAN", "Trigger")} <= rules


def test_the_older_studio_dialect_is_read_with_a_note() -> None:
    _, menu = load("old_dialect.json")
    welcome = menu.nodes["welcome"]
    assert welcome.kind == "menu" and {o.key: o.target for o in welcome.options} == {
        "1": "appointments", "0": "front_desk"}
    assert menu.nodes["front_desk"].kind == "agent" and menu.nodes[menu.start].next == "welcome"
    assert found(lint(menu)) == {("LENIENT_READ", None), ("DROPPED_CALLS", "appointments")}


def test_ring_time_and_queue_timeout_send_callers_on() -> None:
    # connect-call-to rings 20 s, enqueue-call waits 300 s; both then take the exit the
    # flow gives for that case (callCompleted / callComplete): max_wait and on_max_wait.
    _, m = load("ring_out.json")
    owner = m.nodes["owner"]
    assert (owner.kind, owner.queue, owner.max_wait, owner.on_max_wait) == (
        "agent", "client:owner", 20.0, "voicemail")
    # failedToEnqueue is live too: a ring-out branch to the line and to the voicemail
    orders = m.nodes[m.nodes["orders"].chance[0][0]]
    assert (orders.kind, orders.queue, orders.max_wait, orders.on_max_wait) == (
        "agent", "Orders", 300.0, "voicemail")
    assert m.nodes["voicemail"].kind == "voicemail"
    assert not [f for f in lint(m) if f.rule == "UNREACHABLE"]
