"""Amazon Connect import: both export formats (flow language and legacy ``modules``), the
DescribeContactFlow wrapper, loops (folded into retries, unrolled, or approximated), names for
cross-flow links, notes, origins, and bad input as one-line IvrErrors.

Fixtures in tests/data/import/connect/ were written for these tests; the corpus test reads
the real exports in /work/shared/corpus/amazon-connect when present.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.errors import IvrError, LoadError, SyntaxProblem
from ivr.formats import connect
from ivr.formats.imported import ERRORS, UNANSWERED, Imported, to_menu
from ivr.formats.registry import detect, read_any
from ivr.model import Menu, Node
from ivr.structure.graph import to_graph
from ivr.structure.lint import Finding, lint

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "import" / "connect"
ROOT = HERE.parent
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
FIXTURES = sorted(p.name for p in DATA.glob("*.json"))


def load(name: str) -> tuple[Imported, Menu]:
    path = DATA / name
    text = path.read_text()
    return connect.read(text, str(path)), read_any(text, str(path))


def found(findings: list[Finding]) -> set[tuple[str, str | None]]:
    return {(f.rule, f.node) for f in findings}


def end(menu: Menu, nid: str) -> Node:
    """The transfer or agent a block stands for, past the branch to its live error exits."""
    return menu.nodes.get(f"{nid}.ok", menu.nodes[nid])


def line_of(name: str, needle: str) -> int:
    lines = (DATA / name).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if needle in text)


# -- the flow language ---------------------------------------------------------------------

def test_flow_language_menu_with_retry_loop() -> None:
    imported, menu = load("actions_menu.json")
    assert menu.format == "connect"
    assert menu.name == "Sample bakery line"
    assert menu.description == "Flow-language fixture: a menu with a retry loop"
    assert menu.start == "Welcome"
    nodes = menu.nodes
    assert nodes["Welcome"].say == "Thanks for calling the bakery."  # SSML tags dropped
    main = nodes["Main_menu"]
    assert main.kind == "menu" and main.timeout == 6.0
    assert {o.key: o.target for o in main.options} == {
        "1": "Set_sales_queue", "2": "To_billing", "3": "To_the_shop", "0": "Set_sales_queue"}
    # Loop(2) around the menu: the first try plus two replays, then Complete -> Goodbye.
    assert (main.retries, main.on_fail) == (3, "Goodbye")
    assert main.on_timeout == main.on_invalid == "Main_menu"
    assert "Retry" not in nodes  # folded into the menu
    assert "Loop Retry (LoopCount 2)" in imported.data["nodes"]["Main_menu"]["note"]
    # Error exits are live: the queue at capacity (UNANSWERED), technical errors (ERRORS).
    assert dict(nodes["Queue"].chance) == {"Queue.ok": 1 - UNANSWERED, "Goodbye": UNANSWERED}
    assert nodes["Queue.ok"].kind == "agent" and nodes["Queue.ok"].queue == "Sales"
    assert (nodes["To_billing.ok"].kind, nodes["To_billing.ok"].flow) == (
        "transfer", "billing-line")
    assert nodes["To_the_shop.ok"].queue == "phone +15550100"  # forwarded: a person
    assert dict(nodes["Set_sales_queue"].chance) == {"Queue": 1 - ERRORS, "Goodbye": ERRORS}
    assert nodes["Hang_up"].kind == "hangup"
    # The one finding: running out of retries plays Goodbye and the system hangs up.
    assert found(lint(menu)) == {("DROPPED_CALLS", "Goodbye")}


def test_origins_point_at_the_identifier_line() -> None:
    imported, menu = load("actions_menu.json")
    src = menu.nodes["Main_menu"].source
    assert (src.line, src.column, src.ref) == (19, 7, "Main menu")
    assert src.line == line_of("actions_menu.json", '"Identifier": "Main menu"')
    assert set(imported.origins) == set(imported.data["nodes"])


def test_unknowns_become_notes() -> None:
    imported, menu = load("actions_unknowns.json")
    assert menu.name == "actions_unknowns"  # no name in the export: the file stem
    assert found(lint(menu)) == {
        ("MISSING_TARGET", "missing_vanished"),
        ("UNRESOLVED_TARGET", "check-hours"),
        ("UNKNOWN_BLOCK", "hologram"),
        ("NO_MATCHING_KEY", "menu"),
        ("NO_ZERO_OUT", "menu"),
        ("UNRESOLVED_TARGET", "lookup"),
        ("UNRESOLVED_TARGET", "compare"),
        # hang-ups: outside the hours a message then Disconnect; an unknown result ends
        ("DROPPED_CALLS", "closed"),
        ("DROPPED_CALLS", "compare"),
        ("UNRESOLVED_TARGET", "queue"),
    }
    nodes = menu.nodes
    hours = nodes["check-hours"]
    assert hours.kind == "branch" and dict(hours.chance) == {"closed": 0.5, "split": 0.5}
    # DistributeByPercentage draws 1..100; "< 31" is 30 of them: exact, no note.
    assert dict(nodes["split"].chance) == pytest.approx({"menu": 0.3, "hologram": 0.7})
    assert nodes["hologram"].kind == "message" and nodes["hologram"].next == "menu"
    assert [o.key for o in nodes["menu"].options] == ["1"]  # "cake" is no key press
    assert nodes["menu"].retries == 100  # no match replays the menu without limit
    assert nodes["missing_vanished"].kind == "hangup"
    closed = nodes["closed"]
    assert (closed.say, closed.seconds, closed.next) == ("(audio: closed-notice.wav)", 5.0,
                                                         "closed.end")
    assert nodes["closed.end"].kind == "hangup"  # an unconnected exit ends the call
    assert nodes["transfer"].queue == "$.External.queueArn"
    missing = next(f for f in lint(menu) if f.rule == "MISSING_TARGET")
    assert missing.severity == "error"
    assert missing.source is not None and missing.source.line == line_of(
        "actions_unknowns.json", '"Identifier": "compare"')


def test_trap_without_any_way_out() -> None:
    _, menu = load("actions_trap.json")
    assert {"TRAP", "SAME_OPTION_LOOP", "NO_PATH_TO_HUMAN"} <= {f.rule for f in lint(menu)}
    # NoMatchingError catches the timeout and no-match cases too.
    m = menu.nodes["menu"]
    assert m.on_timeout == m.on_invalid == m.on_fail == "sorry"


# -- the DescribeContactFlow wrapper -------------------------------------------------------

def test_wrapped_content_string() -> None:
    imported, menu = load("wrapped_content.json")
    assert menu.name == "bakery_front_door"
    nodes = menu.nodes
    # $.FlowAttributes.orders_flow -> an ARN ending in ${F:bakery_orders:F}: a flow name.
    assert end(menu, "Orders").flow == "bakery_orders"
    assert end(menu, "Enqueue").kind == "agent" and end(menu, "Enqueue").queue == "helpdesk"
    assert nodes["Greeting"].say == "Hello, caf\u00e9 customer."
    # Failed transfers (queue at capacity, flow not found) end in the flow's Disconnect.
    assert found(lint(menu)) == {("UNRESOLVED_TARGET", "Dynamic_flow"),
                                 ("DISCONNECT_ON_FAIL", "Pick"), ("NO_ZERO_OUT", "Pick"),
                                 ("DROPPED_CALLS", "Dynamic_flow"), ("DROPPED_CALLS", "Enqueue"),
                                 ("DROPPED_CALLS", "Orders")}
    assert end(menu, "Dynamic_flow").flow == "${FALLBACK_FLOW_ARN}"


def test_wrapped_positions_point_inside_the_content_string() -> None:
    text = (DATA / "wrapped_content.json").read_text()
    _, menu = load("wrapped_content.json")
    content_line = line_of("wrapped_content.json", '"Content"')
    raw = text.splitlines()[content_line - 1]
    for nid, ident in (("Pick", "Pick"), ("Bye", "Bye"), ("Helpdesk_queue", "Helpdesk queue")):
        src = menu.nodes[nid].source
        assert src.line == content_line
        assert src.column is not None
        assert raw[src.column - 1:].startswith(f'\\"Identifier\\": \\"{ident}\\"')


@pytest.mark.parametrize("shape", ["ContactFlow", "object"])
def test_other_wrappers(shape: str) -> None:
    outer = json.loads((DATA / "wrapped_content.json").read_text())
    if shape == "ContactFlow":  # aws connect describe-contact-flow prints this
        doc: dict[str, Any] = {"ContactFlow": outer}
    else:  # Content kept as an object by some tools
        doc = dict(outer, Content=json.loads(outer["Content"]))
    text = json.dumps(doc, indent=1)
    menu = to_menu(connect.read(text, "wrapped.json"))
    assert menu.name == "bakery_front_door"
    assert end(menu, "Orders").flow == "bakery_orders"
    assert all(n.source.line is not None for n in menu.nodes.values())


# -- the legacy modules export -------------------------------------------------------------

def test_legacy_menu() -> None:
    _, menu = load("legacy_menu.json")
    assert menu.name == "Bakery legacy line"
    nodes = menu.nodes
    hours = nodes[menu.start]
    assert hours.kind == "branch" and len(hours.chance) == 3  # True, False, unconnected Error
    assert nodes["CheckHoursOfOperation_d0a3cb7f.end"].kind == "hangup"
    main = nodes["GetUserInput_ee7860d9"]
    assert [o.key for o in main.options] == ["1", "2", "3"]  # 9 goes to the Loop: folded
    assert (main.retries, main.on_fail) == (3, "PlayPrompt_6492c6be")
    store = nodes["StoreUserInput_4ea03294"]
    assert (store.kind, store.digits, store.timeout) == ("input", 6, 7.0)
    assert end(menu, "Transfer_3e0587cd").queue == "Support"
    assert end(menu, "Transfer_8fa4ca4e").flow == "CHANGE TO ORDER FLOW"
    assert end(menu, "Transfer_c1b5b428").queue == "phone +15550199"
    assert nodes["PlayPrompt_8b92b9f1"].say == "(audio: Closed.wav)"
    assert found(lint(menu)) == {
        ("UNRESOLVED_TARGET", "CheckHoursOfOperation_d0a3cb7f"),
        ("NO_ZERO_OUT", "GetUserInput_ee7860d9"),
        ("UNRESOLVED_TARGET", "Transfer_8fa4ca4e"),
        # the check's error exit and the closed message end the call, and so do retries
        ("DROPPED_CALLS", "CheckHoursOfOperation_d0a3cb7f"),
        ("DROPPED_CALLS", "PlayPrompt_8b92b9f1"),
        ("DROPPED_CALLS", "PlayPrompt_6492c6be"),
    }
    src = main.source
    assert (src.line, src.ref) == (4, "ee7860d9-1fbb-5034-b771-49c9e92def57")


def test_legacy_loop_region_is_unrolled_exactly() -> None:
    imported, menu = load("legacy_loops.json")
    nodes = menu.nodes
    # Loop(2) whose Looping branch plays "sorry" before the menu: that region is copied per
    # pass, so the third timeout (not a chance) leads to Complete.
    walk, nid = [], "menu"
    while nodes[nid].kind != "hangup":
        walk.append(nid)
        node = nodes[nid]
        nid = str(node.on_timeout if node.kind == "menu" else node.next)
    assert walk == ["menu", "retry", "sorry.loop1", "menu.loop1", "retry.loop1", "sorry.loop2",
                    "menu.loop2", "retry.loop2"]
    assert nid == "bye"
    assert "sorry" not in nodes  # only ever entered through the loop: pass 1 holds it
    assert nodes["sorry.loop1"].source.ref == "sorry (loop pass 1)"
    # A loop count read from an attribute cannot be unrolled: an even chance and a note.
    hold = nodes["hold-loop"]
    assert dict(hold.chance) == {"hold-music": 0.5, "set-queue": 0.5}
    assert ("UNRESOLVED_TARGET", "hold-loop") in found(lint(menu))
    assert end(menu, "to-queue").queue == "Counter"
    assert imported.data["nodes"]["retry.loop2"]["label"] == "Loop pass 3 of 3: done"


# -- detection ------------------------------------------------------------------------------

def corpus_files(folder: str) -> list[Path]:
    return sorted((CORPUS / folder).glob("*")) if (CORPUS / folder).is_dir() else []


@pytest.mark.parametrize("name", FIXTURES)
def test_sniff_claims_fixtures(name: str) -> None:
    text = (DATA / name).read_text()
    assert connect.sniff(text)
    assert detect(text) == "connect"


def test_sniff_claims_corpus_connect_files() -> None:
    files = corpus_files("amazon-connect")
    if not files:
        pytest.skip("corpus not present")
    assert all(connect.sniff(p.read_text()) for p in files)


def test_sniff_leaves_other_formats_alone() -> None:
    others = [p for d in ("twilio-studio", "freeswitch", "asterisk", "voicexml", "other")
              for p in corpus_files(d)]
    others += sorted((ROOT / "menus").glob("*.yaml"))
    others += [p for p in (HERE / "data" / "import").glob("*/*")
               if p.is_file() and p.parent.name != "connect"]
    assert others
    for path in others:
        assert not connect.sniff(path.read_text(errors="replace")), path


# -- the real exports -----------------------------------------------------------------------

def corpus(name: str) -> Menu:
    (path,) = [p for p in corpus_files("amazon-connect") if name in p.name]
    return read_any(path.read_text(), str(path))


def agents(menu: Menu) -> list[str]:
    return [nid for nid, n in menu.nodes.items() if n.kind == "agent"]


def reached_person(menu: Menu) -> bool:
    return "NO_PATH_TO_HUMAN" not in {f.rule for f in lint(menu) if f.node == menu.start}


def cycles(menu: Menu) -> list[set[str]]:
    g = to_graph(menu)
    return [c for c in nx.strongly_connected_components(g) if len(c) > 1]


@pytest.fixture(scope="module")
def have_corpus() -> None:
    if not corpus_files("amazon-connect"):
        pytest.skip("corpus not present")


def test_corpus_every_file_imports(have_corpus: None) -> None:
    for path in corpus_files("amazon-connect"):
        imported = connect.read(path.read_text(), str(path))
        menu = to_menu(imported)
        lint(menu)
        assert set(imported.origins) == set(menu.nodes)
        assert all(n.source.line is not None for n in menu.nodes.values())


def test_corpus_voicemail_has_no_person(have_corpus: None) -> None:
    menu = corpus("__voicemail.json")
    assert not agents(menu) and not reached_person(menu)
    # every way, including all three input errors, ends on the one DisconnectParticipant
    assert [n for n in menu.nodes.values() if n.kind == "hangup"] == \
        [menu.nodes["DisconnectParticipant_73432ebc"]]
    assert menu.start == "Set_the_voicemail_attributes"  # a friendly StartAction


def test_corpus_context_tracking_main(have_corpus: None) -> None:
    menu = corpus("Context_Tracking_-_Main")
    assert reached_person(menu)
    main = menu.nodes["GetUserInput_47f73541"]
    zero = main.option("0")
    assert zero is not None and zero.target == "PlayPrompt_55de1be6"
    assert end(menu, "Transfer_79af9bbc").queue == "BasicQueue"
    # Loop(3): timeouts, no match and 9 replay the menu 3 times, then the agent prompt.
    assert (main.retries, main.on_fail) == (4, "PlayPrompt_55de1be6")
    assert main.option("9") is None
    unresolved = {str(f.node) for f in lint(menu) if f.rule == "UNRESOLVED_TARGET"}
    flows = {end(menu, n).flow for n in unresolved if end(menu, n).kind == "transfer"}
    assert flows == {"CHANGE TO MAKE PAYMENT FLOW", "CHANGE TO CHANGE PIN FLOW"}


def test_corpus_make_payment_links_back_to_main(have_corpus: None) -> None:
    menu = corpus("Make_Payment")
    assert reached_person(menu)
    assert end(menu, "Transfer_8340187a").flow == "001 Context Tracking - Main"
    assert corpus("Context_Tracking_-_Main").name == "001 Context Tracking - Main"
    assert menu.nodes["GetUserInput_ad4a8d21"].retries == 4  # its Loop(3), folded


def test_corpus_live_audio_streaming_has_no_person(have_corpus: None) -> None:
    menu = corpus("LiveAudioStreamingFlow")
    assert not agents(menu) and not reached_person(menu)
    window = menu.nodes["GetUserInput_e8175392"]  # no choices: a timed recording window
    assert window.kind == "message" and window.next == "StopMediaStreaming_542e7837"


def test_corpus_voicemail_routing_reaches_a_queue(have_corpus: None) -> None:
    menu = corpus("voicemail-notifications-routing")
    assert reached_person(menu) and len(agents(menu)) == 1
    assert ("UNRESOLVED_TARGET", "UpdateContactTargetQueue_ed4d68e4") in found(lint(menu))


def test_corpus_zendesk_one_queue_and_retry_cycles(have_corpus: None) -> None:
    menu = corpus("Zendesk")
    assert reached_person(menu) and len(agents(menu)) == 1
    loops = cycles(menu)
    assert loops and any("GetUserInput_25443325" in c and "PlayPrompt_d5efa9e1" in c
                         for c in loops)


def test_corpus_main_flow_and_did_routing(have_corpus: None) -> None:
    main = corpus("100_MainFlow")
    assert reached_person(main) and not cycles(main)
    assert [n.kind for n in main.nodes.values()].count("menu") == 0
    did = corpus("VM-Greeting-DID")
    assert reached_person(did) and len(agents(did)) == 2 and not cycles(did)


def test_corpus_acme_main_links_to_queue_transfer(have_corpus: None) -> None:
    main = corpus("acme_main_AUTO")
    target = corpus("acme_queue_transfer_AUTO")
    assert not agents(main)  # a person only through the other flow
    (transfer,) = [n for n in main.nodes.values() if n.kind == "transfer"]
    assert transfer.flow == target.name == "acme_queue_transfer_AUTO"
    lex = main.nodes["ConnectParticipantWithLexBot_f713e89c"]
    assert lex.kind == "branch" and len(lex.chance) == 3  # Sales, Finance, no match
    note = next(f for f in lint(main) if f.node == lex.id)
    assert "acme-lexbot" in note.message and "never sets" in note.message
    assert reached_person(target) and target.start == "FLOW_OBJECT_MAPS"


# -- bad input ------------------------------------------------------------------------------

def error(text: str) -> IvrError:
    with pytest.raises(IvrError) as info:
        connect.read(text, "bad.json")
    exc = info.value
    assert "\n" not in str(exc)
    return exc


def test_truncated_file() -> None:
    text = (DATA / "actions_menu.json").read_text()
    exc = error(text[: len(text) // 2])
    assert isinstance(exc, SyntaxProblem) and exc.line is not None


def test_garbage() -> None:
    exc = error("\x01\x02{garbage ]] \u2603")
    assert isinstance(exc, SyntaxProblem) and exc.line == 1


@pytest.mark.parametrize(("text", "line"), [
    ("[1, 2]", 1),
    ('{"Version": "2019-10-30", "StartAction": "a"}', 1),
    ('{"StartAction": "a",\n "Actions": [{"Type": "MessageParticipant"}]}', 1),
    ('{"StartAction": "a",\n "Actions": [\n{"Identifier": "a", "Type": 5}]}', 3),
    ('{"StartAction": "a", "Actions": [\n{"Identifier": "a", "Type": "X",\n'
     '"Transitions": {"NextAction": 7}}]}', 2),
    ('{"StartAction": "a", "Actions": [\n{"Identifier": "a", "Type": "X",\n'
     '"Transitions": {"Conditions": {}}}]}', 2),
    ('{"StartAction": "a", "Actions": [\n{"Identifier": "a", "Type": "X"},\n'
     '{"Identifier": "a", "Type": "Y"}]}', 2),
    ('{"modules": [{"type": "PlayPrompt"}], "start": "x"}', 1),
    ('{"modules": [\n{"id": "x", "type": "PlayPrompt", "branches": [{"transition": "y"}]}],'
     ' "start": "x"}', 2),
])
def test_wrong_shape(text: str, line: int) -> None:
    exc = error(text)
    assert isinstance(exc, LoadError)
    assert exc.line == line


def test_broken_content_string_points_into_the_wrapper() -> None:
    inner = '{"StartAction": "a",\n "Actions": [,]}'
    text = '{\n  "Name": "x",\n  "Content": ' + json.dumps(inner) + "\n}"
    exc = error(text)
    assert isinstance(exc, SyntaxProblem) and exc.line == 3
    assert exc.column is not None and text.splitlines()[2][exc.column - 1] == ","


# -- only IvrError escapes ------------------------------------------------------------------

def must_load_or_refuse(text: str) -> None:
    """Either a one-line IvrError, or a mapping the native reader accepts and lint reads."""
    try:
        imported = connect.read(text, "fuzz.json")
    except IvrError as exc:
        assert "\n" not in str(exc)
        return
    lint(to_menu(imported))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 200) | st.text(max_size=6)
    | st.sampled_from(["", "Equals", "Timeout", "Loop", "3", "$.Attributes.x", "arn:a/b"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=6)


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, (*prefix, i))
    return out


def put(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    obj[path[0]] = put(obj[path[0]], path[1:], value)
    return obj


def ids_in(obj: Any) -> list[str]:
    found_ids = [v for p in paths(obj) if p and p[-1] in ("Identifier", "id")
                 for v in [_get(obj, p)] if isinstance(v, str)]
    return found_ids or ["x"]


def _get(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_fixtures_only_raise_ivr_errors(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(FIXTURES))
    obj = json.loads((DATA / name).read_text())
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.sampled_from(paths(obj)))
        value = data.draw(JSON | st.sampled_from(ids_in(obj)))  # rewire transitions too
        obj = put(obj, where, value)
    must_load_or_refuse(json.dumps(obj))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_cut_and_spliced_text_only_raises_ivr_errors(data: st.DataObject) -> None:
    text = (DATA / data.draw(st.sampled_from(FIXTURES))).read_text()
    i = data.draw(st.integers(0, len(text)))
    j = data.draw(st.integers(i, min(len(text), i + 40)))
    must_load_or_refuse(text[:i] + data.draw(st.text(max_size=5)) + text[j:])


@given(st.text(max_size=200))
def test_random_text_only_raises_ivr_errors(text: str) -> None:
    must_load_or_refuse(text)


TYPES = ["MessageParticipant", "GetParticipantInput", "Loop", "Compare", "TransferToFlow",
         "TransferContactToQueue", "UpdateContactTargetQueue", "DisconnectParticipant",
         "DistributeByPercentage", "InvokeFlowModule", "Mystery"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_flows_translate_consistently(data: st.DataObject) -> None:
    """Random graphs of actions (loops inside loops, self-jumps, missing targets)."""
    n = data.draw(st.integers(1, 8))
    names = [f"a{i}" for i in range(n)]
    target = st.sampled_from([*names, "nowhere"]) | st.none()
    actions = []
    for bid in names:
        typ = data.draw(st.sampled_from(TYPES))
        params: dict[str, Any] = {"Text": "Hello there"}
        if typ == "Loop":
            params["LoopCount"] = data.draw(st.sampled_from(["0", "1", "3", "$.x", "250"]))
        conds = [{"NextAction": data.draw(target),
                  "Condition": {"Operator": data.draw(st.sampled_from(
                      ["Equals", "NumberLessThan"])), "Operands": [data.draw(st.sampled_from(
                          ["1", "0", "50", "ContinueLooping", "DoneLooping", "x"]))]}}
                 for _ in range(data.draw(st.integers(0, 3)))]
        errors = [{"NextAction": data.draw(target), "ErrorType": data.draw(st.sampled_from(
            ["InputTimeLimitExceeded", "NoMatchingCondition", "NoMatchingError"]))}
            for _ in range(data.draw(st.integers(0, 3)))]
        trans: dict[str, Any] = {"Conditions": conds, "Errors": errors}
        if data.draw(st.booleans()):
            trans["NextAction"] = data.draw(target)
        actions.append({"Identifier": bid, "Type": typ, "Parameters": params,
                        "Transitions": trans})
    flow = {"StartAction": data.draw(st.sampled_from([*names, "nowhere"])), "Actions": actions}
    menu = to_menu(connect.read(json.dumps(flow, indent=1), "random.json"))
    lint(menu)
    assert all(note.node in menu.nodes for note in menu.notes)


# -- as Connect runs them ----------------------------------------------------------------------

def test_channel_checks_resolve_to_voice_and_error_exits_are_live() -> None:
    _, menu = load("callback_channel.json")
    nodes = menu.nodes
    assert nodes[menu.start].kind == "message" and nodes[menu.start].next == "Menu"  # VOICE
    save = dict(nodes["Save_number"].chance)  # InvalidCallbackNumber: a caller's mistake
    assert save == {"Set_callback_queue": 0.5, "Not_valid": 0.5}
    # the retry cycle: not valid -> Loop(3) -> ask again, pass by pass, then the phone queue
    walk, nid = [], "Ask_number"
    while nid is not None and nodes[nid].kind != "agent" and len(walk) < 30:
        walk.append(nid)
        node = nodes[nid]  # at each check of the number, take "not valid"
        nid = node.next if node.kind != "branch" else next(
            (t for t, _ in node.chance if t.startswith("Not_valid")), node.chance[0][0])
    assert "Ask_number.loop3" in walk
    got = found(lint(menu))
    assert ("UNREACHABLE", "Chat_queue") in got  # a chat-only queue: no phone call gets there
    assert not any(".loop" in str(n) for _, n in got)  # loop copies manufacture no findings
    assert ("UNRESOLVED_TARGET", "Save_number") in got
    assert not {r for r, _ in got} & {"NO_PATH_TO_HUMAN", "MISSING_TARGET"}


def test_a_legacy_channel_check_is_voice() -> None:
    doc = {"modules": [
        {"id": "check", "type": "CheckAttribute", "branches": [
            {"condition": "Evaluate", "conditionType": "Equals", "conditionValue": "CHAT",
             "transition": "chat"},
            {"condition": "NoMatch", "transition": "phone"}],
         "parameters": [{"name": "Attribute", "value": "Channel"},
                        {"name": "Namespace", "value": "System"}]},
        {"id": "chat", "type": "Transfer", "target": "Queue", "branches": [],
         "parameters": []},
        {"id": "phone", "type": "Disconnect", "branches": [], "parameters": []}],
        "start": "check", "version": "1", "type": "contactFlow"}
    menu = to_menu(connect.read(json.dumps(doc), "legacy_channel.json"))
    assert menu.nodes["check"].kind == "message" and menu.nodes["check"].next == "phone"


def test_customer_queue_flow_loop_prompts_interrupted_every_60_s() -> None:
    # MessageParticipantIteratively with InterruptFrequencySeconds: callers wait in the
    # queue; after 60 s the flow goes on at MessagesInterrupted (an offer to keep holding).
    _, m = load("queue_flow.json")
    hold = m.nodes[m.start]
    assert (hold.kind, hold.max_wait, hold.on_max_wait) == ("agent", 60.0, "Offer")
    offer = m.nodes["Offer"]
    assert offer.kind == "menu" and offer.option("1").target == hold.id
