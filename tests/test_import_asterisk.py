"""The Asterisk dialplan importer: fixtures with known findings, the corpus, bad input."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.errors import IvrError, LoadError, SyntaxProblem
from ivr.formats import asterisk
from ivr.formats.imported import UNANSWERED, to_menu
from ivr.formats.registry import read_any
from ivr.model import Menu
from ivr.structure.lint import lint

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "import" / "asterisk"
CORPUS = HERE.parents[1] / "shared" / "corpus"


def load(name: str) -> Menu:
    path = DATA / name
    return read_any(path.read_text(), str(path))


def findings(menu: Menu) -> set[tuple[str, str | None]]:
    return {(f.rule, f.node) for f in lint(menu)}


def test_reception_menu_queue_and_missing_operator() -> None:
    m = load("reception.conf")
    assert m.format == "asterisk" and m.start == "reception.s.menu"
    menu = m.nodes[m.start]
    assert menu.kind == "menu" and menu.timeout == 6.0
    assert menu.say == "(audio: welcome) (audio: options)" and menu.seconds == 10.0
    assert {o.key: m.nodes[o.target].kind for o in menu.options} == {
        "1": "branch", "2": "branch", "0": "agent"}
    assert m.nodes[menu.option("0").target].queue == "PJSIP/1000"  # ${OPERATOR} from globals
    staff = dict(m.nodes[menu.option("2").target].chance)  # _10XX with ${EXTEN}: Dial, and
    rung, after = (m.nodes[t] for t in staff)  # when nobody answers, the next priority
    assert rung.queue == "PJSIP/1001" and after.kind == "voicemail"
    assert staff[rung.id] == 1 - UNANSWERED
    queue = m.nodes[menu.option("1").target]
    assert {m.nodes[t].kind for t, _ in queue.chance} == {"agent", "hangup"}
    # i: Playback(invalid\;sorry) then back to the menu; the timeout runs on to Hangup().
    invalid = m.nodes[menu.on_invalid]
    assert invalid.say == "(audio: invalid;sorry)" and invalid.next == m.start
    assert m.nodes[menu.on_timeout].kind == "hangup"
    assert menu.on_fail == m.start  # no retry counter in Asterisk: an unbounded loop
    got = findings(m)
    assert ("MISSING_TARGET", "queues.operator.1") in got
    assert ("UNRESOLVED_TARGET", queue.id) in got
    assert not {r for r, _ in got} & {"NO_PATH_TO_HUMAN", "DISCONNECT_ON_FAIL", "TRAP"}
    assert menu.source.line == 29 and menu.source.ref == "reception,s,3"
    assert m.nodes["queues.operator.1"].source.line == 24


def test_includes_patterns_hours_and_missing_handlers() -> None:
    m = load("branches.conf")
    start = m.nodes[m.start]
    assert start.kind == "branch" and start.schedule is not None
    hours = m.schedules[start.schedule]
    assert hours.tz == "Europe/Tallinn" and hours.is_open(0, 9 * 60)
    assert not hours.is_open(5, 9 * 60)
    menu = m.nodes[start.open]
    assert [o.key for o in menu.options] == ["1", "2", "3", "7"]
    assert menu.option("2").label == "_[1-3]"
    assert m.nodes[menu.on_invalid].kind == "hangup" and menu.on_invalid == "main-menu.no-i"
    assert m.nodes[menu.on_timeout].kind == "hangup" and menu.timeout == 10.0
    assert m.nodes[start.closed].next == "main-menu.closed.2"
    assert ("NO_MATCHING_KEY", menu.id) in findings(m)
    assert m.nodes[menu.option("1").target].source.line == 7


def test_subroutines_templates_dynamic_and_unknown_apps() -> None:
    m = load("subroutines.conf")
    menu = m.nodes[m.start]
    kinds = {o.key: m.nodes[o.target].kind for o in menu.options}
    assert kinds == {"1": "branch", "2": "input", "3": "message", "4": "branch",
                     "5": "agent"}
    rung, after = (m.nodes[t] for t, _ in m.nodes[menu.option("1").target].chance)
    assert rung.queue == "PJSIP/bob"  # Gosub ARG1 <- ${BOB}; unanswered: Return, Hangup
    assert after.kind == "hangup"  # Return() folds into the Hangup() after the Gosub
    assert m.nodes[menu.option("5").target].queue == "phone +3725551234"  # forwarded
    read = m.nodes[menu.option("2").target]
    assert read.digits == 6 and m.nodes[read.next].kind == "branch"
    dyn = m.nodes[menu.option("4").target]
    assert {t for t, _ in dyn.chance} == {"front.dept-sales.1", "front.dept-billing.1"}
    assert menu.on_invalid == "front.i.1" and m.nodes["front.i.1"].next == m.start  # template
    got = findings(m)
    assert ("UNKNOWN_BLOCK", "front.3.1") in got
    assert ("UNRESOLVED_TARGET", dyn.id) in got and ("UNRESOLVED_TARGET", read.next) in got


def test_no_person_include_and_switch_notes() -> None:
    m = load("no_person.conf")
    got = findings(m)
    assert ("NO_PATH_TO_HUMAN", m.start) in got
    assert ("MISSING_TARGET", "elsewhere.s.1") in got
    texts = [n.message for n in m.notes if n.node is None]
    assert any("extra-contexts.conf" in t for t in texts)
    assert any("switch" in t for t in texts)
    menu = m.nodes["announcements.s.3"]
    assert m.nodes[menu.option("1").target].next == menu.id  # Goto(s,3): numeric priority


def test_odds_and_ends() -> None:
    m = load("odds.conf")
    start = m.nodes[m.start]  # GotoIfTime without a time zone: UTC assumed, and said so
    assert m.schedules[start.schedule].tz == "UTC" and start.closed == "night.s.1"
    menu = m.nodes[start.open]
    assert menu.timeout == 4.0  # Set(TIMEOUT(response)=4) survives the jump
    target = {o.key: m.nodes[o.target] for o in menu.options}
    rung = m.nodes[target["1"].chance[0][0]]  # Macro(ring,...): Dial, then MacroExit()
    assert rung.kind == "agent" and rung.queue == "SIP/carol"
    assert {m.nodes[t].say for t, _ in target["2"].chance} == {"(audio: x)", "(audio: y)"}
    assert [target[k].kind for k in "34"] == ["hangup", "hangup"]  # Return(); Goto(4,1)
    assert target["5"].to == "Local/100@internal"
    assert target["6"].queue == "phone +3725550000"  # Transfer() to a number: forwarded
    assert target["7"].say == "(audio: beep)"  # the old App,args form
    assert target["00"].id == m.start
    got = findings(m)
    assert ("UNRESOLVED_TARGET", m.start) in got and ("UNRESOLVED_TARGET", "incoming.5.1") in got
    texts = " ".join(n.message for n in m.notes if n.node is None)
    assert "include => elsewhere" in texts and "18:00-08:00" in texts
    forced = to_menu(asterisk.read((DATA / "odds.conf").read_text(), "o.conf",
                                   entry="incoming,2565551100"))
    assert forced.start == m.start  # ${EXTEN:8} of the DID is 00: Goto(s,1)


def test_start_can_be_forced() -> None:
    text = (DATA / "reception.conf").read_text()
    imp = asterisk.read(text, "r.conf", entry="staff,1005")
    m = to_menu(imp)
    rung = m.nodes[m.nodes[m.start].chance[0][0]]
    assert rung.kind == "agent" and rung.queue == "PJSIP/1005"
    with pytest.raises(LoadError, match="no context"):
        asterisk.read(text, "r.conf", entry="nowhere")


def test_sniff_own_fixtures_and_not_others() -> None:
    for path in DATA.glob("*.conf"):
        assert asterisk.sniff(path.read_text()), path
    for path in (HERE.parent / "menus").glob("*.yaml"):
        assert not asterisk.sniff(path.read_text()), path
    assert not asterisk.sniff('{"exten => 1,1,Dial()": 1}')
    assert not asterisk.sniff("<include>\nexten => s,1,Answer()\n</include>")
    assert not asterisk.sniff("[1, 2]\n")  # a YAML flow list
    assert asterisk.sniff("; queues\n[sales]\nstrategy = ringall\n")


def test_sniff_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    for path in CORPUS.rglob("*"):
        if path.is_file() and path.name != "SOURCES.md":
            text = path.read_text(errors="replace")
            assert asterisk.sniff(text) == (path.parent.name == "asterisk"), path


def test_corpus_ground_truth() -> None:
    folder = CORPUS / "asterisk"
    if not folder.is_dir():
        pytest.skip("no corpus")
    pbx = folder / "asterisk__asterisk__basic-pbx_extensions.conf"
    m = read_any(pbx.read_text(), str(pbx))
    menu = m.nodes[m.start]
    assert menu.kind == "menu" and menu.source.ref == "Main-IVR,2565551100,3"
    got = findings(m)
    assert not any(r == "NO_PATH_TO_HUMAN" for r, _ in got)
    busy = m.nodes[menu.option("0").target]  # Dial-Users _11XX: GotoIf(BUSY) then Dial
    assert {m.nodes[t].kind for t, _ in busy.chance} == {"branch", "voicemail"}
    dial = next(m.nodes[t] for t, _ in busy.chance if m.nodes[t].kind == "branch")
    rung, after = (m.nodes[t] for t, _ in dial.chance)  # not answered: dialed-${DIALSTATUS}
    assert rung.queue == "PJSIP/1111" and {m.nodes[t].kind for t, _ in after.chance} >= {
        "voicemail"}
    for key, queue in (("1", "sales"), ("2", "customer_advocate")):
        branch = m.nodes[menu.option(key).target]
        targets = {m.nodes[t].queue or t for t, _ in branch.chance}
        assert targets == {queue, "External-Features.operator.1"}
    assert ("MISSING_TARGET", "External-Features.operator.1") in got
    assert m.nodes[menu.on_invalid].next == menu.id and menu.on_fail == menu.id  # unbounded

    sample = folder / "asterisk__asterisk__extensions.conf.sample"
    m = read_any(sample.read_text(), str(sample))
    demo = m.nodes[m.start]
    assert demo.kind == "menu" and demo.source.ref == "demo,s,5"
    invalid = m.nodes[demo.on_invalid]
    assert invalid.say == "(audio: invalid)" and m.nodes[invalid.next].kind == "hangup"
    thanks = m.nodes[demo.on_timeout]
    assert demo.option("#").target == thanks.id and m.nodes[thanks.next].kind == "hangup"
    dial = m.nodes[m.nodes[demo.option("1234").target].next]  # via Gosub: Dial, else
    assert [m.nodes[t].kind for t, _ in dial.chance][0] == "agent"  # voicemail
    console = m.nodes[demo.option("1236").target]  # Dial(Console/dsp), then the menu again
    assert m.nodes[console.chance[0][0]].kind == "agent"
    echo_end = m.nodes[m.nodes[m.nodes[demo.option("600").target].next].next]
    assert echo_end.next == "demo.s.instruct" and m.nodes["demo.s.instruct"].kind == "menu"
    assert not any(r == "NO_PATH_TO_HUMAN" for r, _ in findings(m))

    queues = folder / "asterisk__asterisk__basic-pbx_queues.conf"  # claimed, to say why not
    with pytest.raises(LoadError, match="not a dialplan line.*queues.conf"):
        read_any(queues.read_text(), str(queues))


@pytest.mark.parametrize(("text", "error", "line"), [
    ("[a]\n same => n,Answer()\n", SyntaxProblem, 2),
    ("[a]\nexten => s,one,Answer()\n", SyntaxProblem, 2),
    ("exten => s,1,Answer()\n", SyntaxProblem, 1),
    ("[a]\njust words\n", SyntaxProblem, 2),
    ("[a\nexten => s,1,Answer()\n", SyntaxProblem, 1),
    ("[a]\nexten => s,1\n", SyntaxProblem, 2),
    ("[general]\nstatic=yes\n[a]\ninclude => b\n", LoadError, 1),
    ("[sales]\nstrategy=ringall\nmember => PJSIP/1\n", LoadError, 2),
    ("[a]\nexten => s,1,Answer()\n\x00\x01\x02", SyntaxProblem, 3),
    ("[a]\nexten => _[9-1],1,Answer()\n", SyntaxProblem, 2),
    ("[a]\nexten => s,1,Answer()\n;-- never closed\n", SyntaxProblem, 3),
])
def test_malformed(text: str, error: type[IvrError], line: int) -> None:
    """Files with nothing a call can run, binary or truncated ones: one line, no menu."""
    with pytest.raises(error) as info:
        asterisk.read(text, "bad.conf")
    assert info.value.line == line and info.value.file == "bad.conf"
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("bad", "line", "what"), [
    (" same => n,Dial(PJSIP/1", 4, "never closed"),
    ("exten => 5,one,Answer()", 4, "priority 'one'"),
    ("just words", 4, "cannot read"),
    ("strategy = ringall", 4, "not a dialplan line"),
    ("exten => _[9-1],1,Answer()", 4, "pattern"),
    ("#define X", 4, "cannot read"),
])
def test_a_bad_line_is_skipped_as_asterisk_skips_it(bad: str, line: int, what: str) -> None:
    text = ("[a]\nexten => s,1,Background(menu)\n same => n,WaitExten(5)\n" + bad
            + "\nexten => 0,1,Dial(PJSIP/100)\n")
    m = to_menu(asterisk.read(text, "lenient.conf"))
    assert m.nodes[m.nodes[m.start].option("0").target].kind == "agent"
    notes = [n for n in m.notes if n.rule == "LENIENT_READ"]
    assert len(notes) == 1 and notes[0].source is not None and notes[0].source.line == line
    assert what in notes[0].message and f"line {line} skipped" in notes[0].message


_TOKENS = [*"[]()=>,;_XN.!$ {}?:#&|\\\nexnsamegoto1i", "exten => ", "same => n,", "Goto(",
           "Gosub(", "WaitExten(", "Background(x)", "[c]\n", "include => c", "GotoIf($[1]?",
           "Queue(q)", "Dial(PJSIP/1)", "\x00", ";--", "--;"]
_FIXTURES = [p.read_text() for p in sorted(DATA.glob("*.conf"))]


@st.composite
def _mutated(draw: st.DrawFn) -> str:
    """A fixture with a few characters deleted, replaced or inserted (truncations too)."""
    text = draw(st.sampled_from(_FIXTURES))
    for _ in range(draw(st.integers(1, 6))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 40)))
        text = text[:i] + draw(st.sampled_from(["", *_TOKENS])) + text[j:]
    return text


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.lists(st.sampled_from(_TOKENS), max_size=60).map("".join), _mutated()))
def test_only_ivr_errors(text: str) -> None:
    with contextlib.suppress(IvrError):
        to_menu(asterisk.read(text, "fuzz.conf"))


_LINES = st.sampled_from([
    "exten => s,1,Answer()", "same => n,Background(hello)", "same => n,WaitExten(3)",
    "exten => 1,1,Goto(b,s,1)", "exten => 2,1,Goto(s,1)", "exten => 3,1,Dial(PJSIP/7)",
    "exten => i,1,Goto(s,1)", "exten => t,n,Hangup()", "same => n(lbl),Playback(x&y)",
    "exten => _4X,1,Queue(q)", "same => n,Goto(lbl)", "exten => 5,1,Gosub(b,s,1(a))",
    "same => n,Return()", "exten => 6,1,GotoIf($[${X}]?1,1:b,s,1)", "include => b",
    "exten => 7,1,Goto(nope,1)", "exten => 8,1,Goto(d-${V},1)", "exten => d-1,1,Hangup()",
    "exten => 9,1,Read(V,x,2)", "same => n,Macro(m)", "exten => *,1,GotoIfTime(*,*,*,*?1,1)",
    "exten => #,1,AGI(x)", "[b]", "[a]", "[macro-m]", "exten => s,1,Set(X=${EXTEN})",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_LINES, min_size=1, max_size=25))
def test_generated_dialplans_load_and_lint(lines: list[str]) -> None:
    """Well-formed dialplans always translate to a menu the native reader accepts."""
    text = "[a]\n" + "\n".join(lines) + "\n"
    try:
        imp = asterisk.read(text, "gen.conf")
    except LoadError as exc:  # no priority 1 anywhere, or 'same' without exten
        assert any(w in str(exc) for w in ("priority 1", "start", "no dialplan")), exc
        return
    except SyntaxProblem as exc:
        assert "same" in str(exc), exc
        return
    lint(to_menu(imp))


# -- where calls enter, and lines Asterisk skips ----------------------------------------------

def test_calls_enter_where_the_evidence_says_never_at_a_handler() -> None:
    m = load("trunk_entry.conf")  # [default] holds only i and t
    assert m.start == "from-trunk.s.menu" and m.nodes[m.start].kind == "menu"
    assert not any(n.rule == "UNRESOLVED_TARGET" and n.node is None for n in m.notes)
    assert "NO_PATH_TO_HUMAN" not in {r for r, _ in findings(m)}


def test_a_context_named_public_is_not_taken_for_the_entry_and_the_choice_is_said() -> None:
    m = load("public_decoy.conf")
    assert m.nodes[m.start].source.ref == "from-pstn-did,3725551200,2"
    note = next(n for n in m.notes if n.node is None and n.rule == "UNRESOLVED_TARGET")
    assert "[from-pstn-did]" in note.message and "[public]" in note.message
    assert "--entry" in note.message
    forced = read_any((DATA / "public_decoy.conf").read_text(), "p.conf", entry="public")
    assert forced.nodes[forced.start].say == "(audio: we-are-closed)"


def test_lines_asterisk_skips_are_skipped_with_a_note() -> None:
    m = load("lenient_lines.conf")
    assert [(n.rule, n.source.line if n.source else None) for n in m.notes
            if n.rule == "LENIENT_READ"] == [("LENIENT_READ", 4), ("LENIENT_READ", 11)]
    menu = m.nodes[m.start]
    assert {o.key for o in menu.options} == {"1", "2"}
