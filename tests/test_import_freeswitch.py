"""FreeSWITCH IVR menu importer: own fixtures with known findings, the corpus, bad input,
and the property that nothing but an IvrError ever escapes ``read``."""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr import IvrError
from ivr.errors import LoadError, SyntaxProblem
from ivr.formats import freeswitch
from ivr.formats.freeswitch import read, sniff
from ivr.formats.imported import to_menu
from ivr.formats.registry import read_any
from ivr.model import Menu
from ivr.structure.lint import lint

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "import" / "freeswitch"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MENUS = HERE.parent / "menus"
MEDIUM = settings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def load(name: str) -> Menu:
    return read_any((DATA / name).read_text(encoding="utf-8"), name, "freeswitch")


def found(menu: Menu) -> set[tuple[str, str | None]]:
    return {(f.rule, f.node) for f in lint(menu)}


def to(menu: Menu, node: str, key: str) -> str:
    """Where ``key`` leads from ``node`` ("" when it has no such option)."""
    opt = menu.nodes[node].option(key)
    return opt.target if opt else ""


def rules(menu: Menu) -> set[str]:
    return {f.rule for f in lint(menu)}


def xml(menus: str, wrap: str = "include") -> str:
    return f"<{wrap}>\n{menus}\n</{wrap}>\n"


# --------------------------------------------------------------------------- fixtures


def test_bank_kinds_targets_and_keys() -> None:
    m = load("bank_ivr.xml")
    assert m.format == "freeswitch" and m.name == "bank_main" and m.start == "bank_main"
    main = m.nodes["bank_main"]
    assert (main.kind, main.timeout, main.retries) == ("menu", 8.0, 2)  # min(2 failures, 4)
    assert (main.say or "").startswith("Welcome to the bank.")
    target = {o.key: o.target for o in main.options}
    assert target["1"] == "accounts" and target["7"] == "nowhere"
    kinds = {k: m.nodes[t].kind for k, t in target.items()}
    assert kinds["2"] == kinds["0"] == kinds["4"] == "agent"
    assert m.nodes[target["0"]].queue == "user/1010@$${domain}"
    assert m.nodes[target["4"]].queue == "support@default"
    assert kinds["3"] == "voicemail" and kinds["7"] == "hangup"
    assert m.nodes[target["5"]].kind == "message" and m.nodes[target["5"]].next == "bank_main"
    assert m.nodes[target["8"]].kind == "transfer"
    assert m.nodes[target["8"]].flow == "route_call.lua"
    # /^(2[0-4][0-9])$/ -> 200..249, each with its own $1: transfers to that extension
    assert {k for k in target if len(k) == 3} == {str(n) for n in range(200, 250)}
    assert m.nodes[target["231"]].kind == "transfer" and m.nodes[target["231"]].to == "231"
    # /^(10[01][0-9])$/ -> users 1000..1019 -> a person each
    assert all(m.nodes[target[str(n)]].queue == str(n) for n in range(1000, 1020))
    assert "1020" not in target
    assert target["#"] == main.on_fail == "bank_main.exit"
    assert m.nodes["bank_main.exit"].kind == "hangup"
    assert m.nodes["bank_main.exit"].say == "Goodbye."
    acc = m.nodes["accounts"]
    assert (acc.timeout, acc.retries, acc.on_fail) == (6.0, 3, "bank_main")
    assert {o.key: o.target for o in acc.options} == {"1": "accounts.1", "*": "bank_main",
                                                      "0": "bank_main"}
    assert m.nodes["accounts.1"].next == "accounts"


def test_bank_findings_and_origins() -> None:
    m = load("bank_ivr.xml")
    f = found(m)
    assert ("MISSING_TARGET", "nowhere") in f
    assert ("UNRESOLVED_TARGET", "bank_main.8") in f
    assert ("DISCONNECT_ON_FAIL", "bank_main") in f
    assert "NO_PATH_TO_HUMAN" not in rules(m) and "NO_MATCHING_KEY" not in rules(m)
    src = m.nodes["bank_main.2"].source
    assert (src.file, src.line, src.ref) == ("bank_ivr.xml", 15, "bank_main/2")
    assert m.nodes["bank_main"].source.line == 5 and m.nodes["accounts"].source.line == 27
    assert m.nodes["bank_main.1005"].source.ref == "bank_main//^(10[01][0-9])$/"
    missing = next(x for x in lint(m) if x.rule == "MISSING_TARGET")
    assert missing.severity == "error" and missing.source == m.notes[0].source
    assert m.notes[0].source is not None and m.notes[0].source.line == 20


def test_odd_conf_notes_and_modelling() -> None:
    m = load("odd_conf.xml")
    notes = [(n.rule, n.node, n.source.line if n.source else None) for n in m.notes]
    assert notes.count(("NO_MATCHING_KEY", "front", 15)) == 1  # 6 digits, digit-len 4
    assert ("NO_MATCHING_KEY", "front", 16) in notes  # 'A'
    assert ("NO_MATCHING_KEY", "front", 17) in notes  # no digits
    assert ("UNKNOWN_BLOCK", "front.6", 18) in notes  # menu-say-text
    assert ("UNKNOWN_BLOCK", "front.7", 19) in notes  # frobnicate
    assert ("UNRESOLVED_TARGET", "front.8", 20) in notes  # ${target_ext}
    front = m.nodes["front"]
    assert front.retries == 2 and front.timeout == 10.0
    # max-timeouts (2) runs out before max-failures (5): its exec-on app decides
    assert front.on_fail == "front.max-timeouts" and m.nodes[front.on_fail].kind == "agent"
    target = {o.key: o.target for o in front.options}
    assert target["*"] == "front.exit"  # menu-back at the top ends the IVR
    assert target["1"] == "help_menu"  # the ivr application into a menu of this file
    assert m.nodes[target["2"]].flow == "partner_menu"  # ... or another file's
    assert m.nodes["help_menu"].timeout == 10.0  # timeout="0" -> FreeSWITCH's 10 s
    assert m.nodes["help_menu"].on_fail == "front"
    # 'shared' is entered from two menus: menu-back and failures go to the start
    assert m.nodes["shared"].on_fail == "front"
    assert to(m, "shared", "*") == "front"
    assert m.nodes["shared.9"].kind == "self_service"
    r = rules(m)
    assert "NO_PATH_TO_HUMAN" not in r and "DISCONNECT_ON_FAIL" not in r


def test_no_human_fixture() -> None:
    m = load("no_human.xml")
    f = found(m)
    assert ("NO_PATH_TO_HUMAN", "info_main") in f
    assert ("SAME_OPTION_LOOP", "info_news") in f
    assert m.nodes["info_main.2"].kind == "self_service"
    assert m.nodes["info_news"].on_fail == "info_main"


def test_user_extension_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(freeswitch, "USER_EXTENSION", re.compile(r"2[0-4][0-9]"))
    m = load("bank_ivr.xml")
    assert m.nodes[to(m, "bank_main", "231")].kind == "agent"
    assert m.nodes[to(m, "bank_main", "1005")].kind == "transfer"


def test_start_is_the_menu_named_like_the_file() -> None:
    text = (DATA / "bank_ivr.xml").read_text(encoding="utf-8")
    assert read(text, "conf/ivr_menus/accounts.xml").data["start"] == "accounts"
    assert read(text, "bank.xml").data["start"] == "bank_main"


def test_pattern_expansion_limits() -> None:
    text = xml('<menu name="m" greet-long="say:hi" digit-len="3">'
               '<entry action="menu-exec-app" digits="/^([0-9]{3})$/" param="transfer $1"/>'
               '<entry action="menu-top" digits="/^(9|7)$/"/></menu>')
    imp = read(text, "t.xml")
    assert [n.rule for n in imp.notes] == ["NO_MATCHING_KEY", "UNRESOLVED_TARGET"]
    assert "only the first 100" in imp.notes[0].message
    options = imp.data["nodes"]["m"]["options"]
    assert options["7"] == options["9"] == "m" and len(options) == 102
    # without digit-len FreeSWITCH collects as many digits as the longest literal key
    short = xml('<menu name="m"><entry action="menu-top" digits="1"/>'
                '<entry action="menu-exec-app" digits="/^(10[01][0-9])$/" param="x"/>'
                '<entry action="menu-top" digits="/^(1[/"/></menu>')
    notes = read(short, "t.xml").notes
    assert [n.rule for n in notes] == ["NO_MATCHING_KEY", "NO_MATCHING_KEY"]
    assert "at most 1 digits" in notes[0].message and "regular expression" in notes[1].message


def test_applications() -> None:
    entries = [("1", "bridge sofia/internal/1005%$${domain}"),
               ("2", "bridge sofia/gateway/gw/155"),
               ("3", "bridge ${dest}"), ("4", "fifo sales in"), ("5", "voicemail check default"),
               ("6", "set foo=bar"), ("7", "sleep 1500"), ("8", "speak flite|kal|Hello there"),
               ("9", "hangup"), ("0", "ivr m")]
    body = "".join(f'<entry action="menu-exec-app" digits="{d}" param={quoteattr(p)}/>'
                   for d, p in entries)
    imp = read(xml(f'<menu name="m" greet-long="say:x">{body}</menu>'), "t.xml")
    nodes = imp.data["nodes"]
    kinds = {d: nodes[nodes["m"]["options"][d]]["kind"] for d, _ in entries}
    assert kinds == {"1": "agent", "2": "agent", "3": "transfer", "4": "agent",
                     "5": "self_service", "6": "message", "7": "message", "8": "message",
                     "9": "hangup", "0": "menu"}
    assert nodes["m.7"]["seconds"] == 1.5 and nodes["m.8"]["say"] == "Hello there"
    assert nodes["m.2"]["queue"] == "phone 155"  # a number through a gateway: forwarded
    assert [(n.rule, n.node) for n in imp.notes] == [("UNRESOLVED_TARGET", "m.3")]
    to_menu(imp)


# --------------------------------------------------------------------------- sniffing


def test_sniff_fixtures_and_native_menus() -> None:
    for path in DATA.iterdir():
        assert sniff(path.read_text(encoding="utf-8")), path.name
    for path in MENUS.glob("*.yaml"):
        assert not sniff(path.read_text(encoding="utf-8")), path.name


def test_sniff_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("no corpus at " + str(CORPUS))
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.name != "SOURCES.md":
            text = path.read_text(encoding="utf-8", errors="replace")
            assert sniff(text) == (path.parent.name == "freeswitch"), path.name


# --------------------------------------------------------------------------- corpus


def corpus(name: str) -> Menu:
    path = CORPUS / "freeswitch" / name
    if not path.is_file():
        pytest.skip("no corpus file " + name)
    return read_any(path.read_text(encoding="utf-8"), path.name, "freeswitch")


def test_corpus_demo_ivr() -> None:
    m = corpus("signalwire__freeswitch__demo_ivr.xml")
    agents = sorted(n.id for n in m.nodes.values() if n.kind == "agent")
    assert agents == [f"demo_ivr.{n}" for n in range(1000, 1020)]  # only via the regex
    assert all(m.nodes[a].source.ref == "demo_ivr//^(10[01][0-9])$/" for a in agents)
    sub = m.nodes["demo_ivr_submenu"]
    assert [(o.key, o.target) for o in sub.options] == [("*", "demo_ivr")]  # menu-top
    assert to(m, "demo_ivr", "6") == "demo_ivr_submenu"  # the cycle
    assert m.nodes["demo_ivr"].on_fail == "demo_ivr.exit"
    r = rules(m)
    assert "NO_PATH_TO_HUMAN" not in r and "TRAP" not in r and "MISSING_TARGET" not in r
    assert ("DISCONNECT_ON_FAIL", "demo_ivr") in found(m)


def test_corpus_new_demo_ivr() -> None:
    m = corpus("signalwire__freeswitch__new_demo_ivr.xml")
    assert ("NO_PATH_TO_HUMAN", "new_demo_ivr") in found(m)
    assert not any(n.kind == "agent" for n in m.nodes.values())
    for sub in ("freeswitch_ivr_submenu", "freeswitch_solutions_ivr_submenu",
                "cluecon_ivr_submenu"):
        assert to(m, sub, "9") == sub and to(m, sub, "*") == "new_demo_ivr"
    unknown = [n for n in m.notes if n.rule == "UNKNOWN_BLOCK"]
    assert [n.node for n in unknown] == ["new_demo_ivr.4"] and "'5000'" in unknown[0].message
    assert ("UNKNOWN_BLOCK", "new_demo_ivr.4") in found(m)


def test_corpus_curl_configuration_wrapper() -> None:
    m = corpus("signalwire__freeswitch__curl_ivr.conf.xml")
    assert m.start == "demo_ivr" and to(m, "demo_ivr", "4") == "demo_ivr_submenu"
    assert [m.nodes[to(m, "demo_ivr", k)].to for k in "23"] == ["9996", "9999"]
    assert "NO_PATH_TO_HUMAN" not in rules(m)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("text", "line"), [
    ('<include>\n  <menu name="m" greet-long="say:hi">\n    <entry action="menu-top"', 3),
    ("\x00\x01binary\xff", 1),
    ("name: x\nstart: a\n", 1),
    ("", 1),
    ('<vxml version="2.1">\n<form/></vxml>', 1),
    ('<include>\n<menu greet-long="x.wav"><entry action="menu-top" digits="1"/></menu>'
     "</include>", 2),
    ('<include>\n<menu name="a"/>\n<menu name="a"/>\n</include>', 3),
    ('<!DOCTYPE include [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;">\n]>\n'
     '<include><menu name="&b;"/></include>', 2),
    ('<!DOCTYPE include [\n<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
     '<include><menu name="&x;"/></include>', 2),
    ('<!DOCTYPE include SYSTEM "http://example.com/ivr.dtd">\n<include/>', 1),
])
def test_bad_input_is_one_line_with_a_line(text: str, line: int) -> None:
    with pytest.raises((SyntaxProblem, LoadError)) as info:
        read(text, "bad.xml")
    assert "\n" not in str(info.value) and info.value.line == line, str(info.value)


def test_truncated_fixture() -> None:
    text = (DATA / "bank_ivr.xml").read_text(encoding="utf-8")
    with pytest.raises(SyntaxProblem, match="truncated"):
        read(text[: len(text) // 2], "bank_ivr.xml")


def test_included_menus_hint() -> None:
    text = ('<configuration name="ivr.conf"><menus>'
            '<X-PRE-PROCESS cmd="include" data="../ivr_menus/*.xml"/></menus></configuration>')
    assert sniff(text)
    with pytest.raises(LoadError, match="ivr_menus"):
        read(text, "ivr.conf.xml")


# --------------------------------------------------------------------------- properties


def only_ivr_errors(text: str) -> None:
    try:
        imp = read(text, "gen.xml")
    except IvrError as exc:
        assert "\n" not in str(exc)
        return
    to_menu(imp)  # whatever read accepts, the native reader accepts too


@MEDIUM
@given(st.text(max_size=400))
def test_any_text(text: str) -> None:
    sniff(text)
    only_ivr_errors(text)


FIXTURE = (DATA / "odd_conf.xml").read_text(encoding="utf-8")


@MEDIUM
@given(st.lists(st.tuples(st.integers(0, len(FIXTURE)), st.integers(0, 40),
                          st.sampled_from(["", "<", ">", '"', "/", "&", "menu", "entry",
                                           "<menu name=\"x\">", "</menu>", "\x00", "é"])),
                max_size=4))
def test_mutated_fixture(edits: list[tuple[int, int, str]]) -> None:
    text = FIXTURE
    for at, cut, insert in edits:
        text = text[:at] + insert + text[at + cut:]
    only_ivr_errors(text)


VALUES = {
    "action": ["menu-exit", "menu-sub", "menu-exec-app", "menu-play-sound", "menu-back",
               "menu-top", "menu-say-text", ""],
    "digits": ["1", "2", "0", "*", "#", "10", "A", "", " 1", "/^(1[0-2])$/", "/^(\\d)$/",
               "/[/", "/^$/", "/^(9)(9)?$/", "1234567890123", "/^(1)/i"],
    "param": ["m0", "m1", "m 2", "nowhere", "", "transfer $1 XML default", "transfer 1001",
              "transfer -bleg", "bridge user/1000", "bridge sofia/gateway/g/5", "bridge ${x}",
              "voicemail default", "playback a.wav", "speak a|b|Hi", "sleep -5", "5000 XML",
              "ivr m1", "ivr other", "lua x.lua", "callcenter q", "fifo q in", "hangup", "echo",
              "set a=b", "$2 $9 $$", "say:hi", "phrase:x", "ivr"],
    "number": ["", "0", "-5", "abc", "99999999999999", "1500", "3"],
}


@st.composite
def menus_xml(draw: st.DrawFn) -> str:
    names = draw(st.lists(st.sampled_from(["m0", "m1", "m 2", "*", "m0"]), min_size=1,
                          max_size=4))
    parts = []
    for name in names:
        attrs = {"name": name}
        for attr in ("timeout", "max-failures", "max-timeouts", "digit-len"):
            if draw(st.booleans()):
                attrs[attr] = draw(st.sampled_from(VALUES["number"]))
        for attr in ("greet-long", "exit-sound", "exec-on-max-failures"):
            if draw(st.booleans()):
                attrs[attr] = draw(st.sampled_from(VALUES["param"]))
        entries = []
        for _ in range(draw(st.integers(0, 5))):
            entry = {k: draw(st.sampled_from(VALUES[k])) for k in ("action", "digits", "param")}
            entries.append("<entry " + " ".join(f"{k}={quoteattr(v)}" for k, v in entry.items()
                                                if draw(st.integers(0, 5)) > 0) + "/>")
        head = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
        parts.append(f"<menu {head}>" + "".join(entries) + "</menu>")
    wrap = draw(st.sampled_from(["include", "configuration"]))
    body = "\n".join(parts)
    return xml(f"<menus>{body}</menus>", wrap) if wrap == "configuration" else xml(body)


@MEDIUM
@given(menus_xml())
def test_generated_menus(text: str) -> None:
    try:
        imp = read(text, "gen.xml")
    except LoadError as exc:  # nameless or twice-defined menus only
        assert "without a name" in str(exc) or "defined twice" in str(exc), str(exc)
        return
    lint(to_menu(imp))


def test_a_bare_ampersand_is_read_as_freeswitch_reads_it() -> None:
    m = to_menu(read((DATA / "ampersand.xml").read_text(encoding="utf-8"), "amp.xml"))
    assert (m.nodes["garden"].say or "").startswith("Plants & Trees. For opening hours")
    assert m.nodes[m.nodes["garden"].option("0").target].kind == "agent"
    assert [(n.rule, n.source.line) for n in m.notes if n.source] == [
        ("LENIENT_READ", 5), ("LENIENT_READ", 11)]


def test_entities_stay_refused_after_ampersands_are_read() -> None:
    bomb = ('<!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>\n'
            '<include><menu name="m" greet-long="say:&b; & more"/></include>')
    with pytest.raises(SyntaxProblem, match="entities"):
        read(bomb, "bomb.xml")
