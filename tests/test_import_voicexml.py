"""VoiceXML importer: fixtures with known findings, corpus ground truth, sniffing, bad input."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.errors import IvrError, LoadError, SyntaxProblem
from ivr.formats import voicexml
from ivr.formats.imported import to_menu
from ivr.formats.registry import load_any, read_any
from ivr.formats.text import read_text
from ivr.model import Menu
from ivr.structure.lint import lint

DATA = Path(__file__).resolve().parent / "data" / "import" / "voicexml"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
MENUS = Path(__file__).resolve().parents[1] / "menus"


def load(name: str) -> Menu:
    path = DATA / name
    return read_any(path.read_text(encoding="utf-8"), str(path), fmt="voicexml")


def found(menu: Menu) -> set[tuple[str, str | None]]:
    return {(f.rule, f.node) for f in lint(menu)}


# fixture -> every (rule, node) lint reports on it
EXPECTED = {
    "bank.vxml": {("UNRESOLVED_TARGET", "balance.if"), ("UNRESOLVED_TARGET", "balance.submit")},
    "topics.vxml": {("NO_PATH_TO_HUMAN", "top"), ("MISSING_TARGET", "sports"),
                    ("NO_ZERO_OUT", "top"), ("UNRESOLVED_TARGET", "top.choice"),
                    ("UNREACHABLE", "partner"),
                    ("DROPPED_CALLS", "weather")},  # <disconnect/> after the forecast
    "loop.vxml": {("NO_PATH_TO_HUMAN", "a"), ("TRAP", "a")},
    "intake.vxml": {("NO_PATH_TO_HUMAN", "intake"), ("UNKNOWN_BLOCK", "intake"),
                    ("UNRESOLVED_TARGET", "intake"), ("UNRESOLVED_TARGET", "intake.auth"),
                    ("UNRESOLVED_TARGET", "intake.pin"), ("UNKNOWN_BLOCK", "intake.widget")},
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_findings(name: str) -> None:
    menu = load(name)
    assert menu.format == "voicexml"
    assert found(menu) == EXPECTED[name]


def test_counted_handlers_operator_link_and_transfer() -> None:
    m = load("bank.vxml")
    main = m.nodes["main"]
    assert m.start == "main" and m.name == "bank"
    assert {o.key: o.target for o in main.options} == {
        "1": "balance", "2": "main.goto", "0": "operator"}
    one = main.option("1")
    assert one is not None and one.label == "balances"
    # nomatch count 1 plays "Sorry" and re-prompts; nomatch count 3 goes to the operator
    assert main.on_invalid == "main.nomatch.say" and main.on_timeout == "main"
    assert (main.retries, main.on_fail, main.timeout) == (3, "operator", 7.0)
    assert m.nodes["main.nomatch.say"].next == "main"
    assert "main.noinput.say" not in m.nodes  # the tie went to nomatch; nothing dangles
    assert (m.nodes["main.goto"].kind, m.nodes["main.goto"].flow) == ("transfer", "cards.vxml")
    acct = m.nodes["balance"]
    assert (acct.kind, acct.digits, acct.retries, acct.on_fail) == ("input", 6, 2, "operator")
    branch = m.nodes[acct.next or ""]
    assert branch.kind == "branch"
    assert {t: round(p, 3) for t, p in branch.chance} == {
        "balance.say": 0.333, "balance.submit": 0.333, "balance.say_2": 0.333}
    assert m.nodes["balance.say"].next == "operator"
    assert m.nodes["balance.say_2"].next == "balance"  # <clear> re-visits the field
    assert m.nodes["balance.submit"].flow == "/cgi-bin/balance"
    op = m.nodes["operator"]
    assert (op.kind, op.queue, op.say) == ("agent", "+18005550100", "Please hold for an operator.")
    assert "balance.end" not in m.nodes  # every branch jumps: the form's end is never reached


def test_origins_point_at_elements() -> None:
    m = load("bank.vxml")
    assert (m.nodes["main"].source.line, m.nodes["main"].source.ref) == (6, "menu#main")
    assert m.nodes["balance"].source.line == 15
    assert m.nodes["balance.if"].source.line == 18
    assert m.nodes["operator"].source.line == 32
    assert m.nodes["operator"].source.ref == "form#operator/transfer[op]"
    notes = {n.node: n.source.line for n in m.notes if n.source}
    assert notes == {"balance.if": 18, "balance.submit": 22}


def test_auto_numbered_choices_events_and_missing_dialog() -> None:
    m = load("topics.vxml")
    top = m.nodes["top"]
    assert {o.key: o.target for o in top.options} == {
        "1": "news", "2": "weather", "9": "top.say", "3": "top.choice", "4": "sports",
        "5": "news"}
    assert top.on_fail == "top"  # platform default: re-prompt without limit
    assert m.nodes["top.say"].next == "top"  # <help> handler, then the menu again
    assert m.nodes["sports"].kind == "hangup"
    assert m.nodes["top.choice"].flow == "nextUrl"
    assert "news 1" in (top.say or "")  # <enumerate/>
    assert m.nodes["news"].next == "top"
    weather = m.nodes["weather"]
    assert weather.seconds == 5.0 and m.nodes[weather.next or ""].kind == "hangup"
    assert (m.nodes["partner"].kind, m.nodes["partner"].to) == ("transfer", "+15550000")


def test_items_subdialog_record_and_catch() -> None:
    m = load("intake.vxml")
    assert dict(m.nodes["intake"].chance) == {"intake.do": 0.5, "intake.auth": 0.5}
    pin = m.nodes["intake.pin"]
    assert (pin.digits, pin.on_fail, pin.next) == (4, "intake.pin", "intake.widget")
    assert m.nodes["intake.widget"].next == "intake.msg"
    assert m.nodes["intake.msg"].kind == "voicemail"


def test_cross_document_and_exit() -> None:
    text = """<vxml version="2.1"><form id="f"><block>
      <if cond="x"><goto next="other.vxml#d"/><elseif cond="y"/><exit/>
      <else/><goto next="app.jsp?x=1"/></if></block></form></vxml>"""
    imp = voicexml.read(text, "f.vxml")
    nodes = imp.data["nodes"]
    kinds = sorted((n["kind"], n.get("flow")) for n in nodes.values())
    assert kinds == [("branch", None), ("hangup", None), ("transfer", "app.jsp?x=1"),
                     ("transfer", "other.vxml")]
    assert {n.rule for n in imp.notes} == {"UNRESOLVED_TARGET"}
    to_menu(imp)


def test_same_document_uri_and_nextitem() -> None:
    text = """<vxml><form id="f"><block><goto next="f.vxml#g"/></block></form>
      <form id="s"><block><goto next="../dir/f.vxml"/></block></form>
      <form id="g"><field name="a"><filled><goto nextitem="b"/></filled></field>
      <block name="b"><disconnect/></block></form></vxml>"""
    m = to_menu(voicexml.read(text, "dir/f.vxml"))
    assert m.nodes["f"].next == "g" and m.nodes["s"].next == "f"
    assert m.nodes["g"].next == "g.b" and m.nodes["g.b"].kind == "hangup"


# -- the corpus -------------------------------------------------------------------------

def corpus_files() -> list[Path]:
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is not here")
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "SOURCES.md")


def test_corpus_ground_truth() -> None:
    files = {p.name.split("__")[-1]: p for p in corpus_files() if p.parent.name == "voicexml"}
    assert set(files) == {"start.vxml", "voiceMenu.vxml", "dtmf.vxml"}
    menus = {name: read_any(p.read_text(encoding="utf-8"), str(p), fmt="voicexml")
             for name, p in files.items()}
    for m in menus.values():  # no transfer anywhere: nobody reaches a person
        assert not any(n.kind in ("agent", "transfer") and n.to for n in m.nodes.values())
        assert ("NO_PATH_TO_HUMAN", m.start) in found(m)
    start = menus["start.vxml"]
    main = start.nodes["mainmenu"]
    assert {o.key: o.target for o in main.options} == {"1": "hear_more", "2": "say_goodbye"}
    assert main.on_fail == "mainmenu"  # no handlers: the platform re-prompts
    assert start.nodes["hear_more"].flow == "voiceMenu.vxml"
    bye = start.nodes["say_goodbye"]
    assert bye.say == "Goodbye!" and start.nodes[bye.next or ""].kind == "hangup"
    assert found(start) == {("NO_PATH_TO_HUMAN", "mainmenu"), ("NO_ZERO_OUT", "mainmenu"),
                            ("DROPPED_CALLS", "say_goodbye")}
    vm = menus["voiceMenu.vxml"]
    field = vm.nodes["form1.answer"]
    assert field.kind == "input" and field.on_fail == "form1.answer"  # unbounded nomatch
    assert found(vm) == {("NO_PATH_TO_HUMAN", "form1"), ("UNRESOLVED_TARGET", "form1.answer"),
                         ("UNRESOLVED_TARGET", "form1.answer.if")}
    assert any("no limit" in n.message for n in vm.notes if n.node == "form1.answer")
    dtmf = menus["dtmf.vxml"]
    main = dtmf.nodes["mainmenu"]
    assert {o.key: o.target for o in main.options} == {"1": "yes", "2": "no"}
    for leaf in ("yes", "no"):
        assert dtmf.nodes[dtmf.nodes[leaf].next or ""].kind == "hangup"
    assert found(dtmf) == {("NO_PATH_TO_HUMAN", "mainmenu"), ("NO_ZERO_OUT", "mainmenu"),
                           ("DROPPED_CALLS", "yes"), ("DROPPED_CALLS", "no")}


def test_sniff() -> None:
    for p in DATA.glob("*.vxml"):
        assert voicexml.sniff(read_text(p)), p
    assert voicexml.sniff('\ufeff<!-- c --><!DOCTYPE vxml [\n]>\n<vxml:vxml xmlns:vxml="x">')
    assert not voicexml.sniff("<vxmlish/>")
    assert not voicexml.sniff('<?xml version="1.0"?><include><menu name="m"/></include>')
    for p in MENUS.glob("*.yaml"):
        assert not voicexml.sniff(p.read_text(encoding="utf-8")), p


def test_sniff_corpus() -> None:
    for p in corpus_files():
        text = p.read_text(encoding="utf-8", errors="replace")
        assert voicexml.sniff(text) == (p.parent.name == "voicexml"), p


# -- bad input --------------------------------------------------------------------------

BAD = [
    ("<vxml><form><block>Hi</block></form>", SyntaxProblem, 1),  # truncated
    ("<vxml>\n<form>\n<block>\x01</block></form></vxml>", SyntaxProblem, 3),
    ('<?xml version="1.0"?>\n<include>\n<menu name="m"/></include>', LoadError, 2),
    ("<vxml>\n  <var name='x'/>\n</vxml>", LoadError, 1),
    ('<vxml><menu id="m">\n<choice dtmf="1"/></menu></vxml>', LoadError, 2),
    ('<vxml><menu id="m"><choice dtmf="1" next="#m"/>\n<nomatch count="x"/></menu></vxml>',
     LoadError, 2),
    ('<vxml><form id="a"/>\n<form id="a"/></vxml>', LoadError, 2),
    ("<vxml><form><block>\n<goto/></block></form></vxml>", LoadError, 2),
    ("<vxml><form><block>\n<submit/></block></form></vxml>", LoadError, 2),
]


@pytest.mark.parametrize(("text", "error", "line"), BAD)
def test_bad_input_is_one_line_with_position(text: str, error: type[IvrError],
                                              line: int) -> None:
    with pytest.raises(error) as info:
        read_any(text, "bad.vxml", fmt="voicexml")
    assert isinstance(info.value, IvrError)
    assert info.value.file == "bad.vxml" and info.value.line == line
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text", [
    '<!DOCTYPE vxml [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><vxml>&b;</vxml>',
    '<!DOCTYPE vxml [<!ENTITY x SYSTEM "file:///etc/passwd">]><vxml>&x;</vxml>',
    "\x00\x01\x02garbage\xff",
    "",
])
def test_hostile_xml_refused(text: str) -> None:
    with pytest.raises(SyntaxProblem) as info:
        voicexml.read(text, "evil.vxml")
    assert "\n" not in str(info.value) and str(info.value).startswith("evil.vxml")


def survives(text: str, file: str) -> None:
    """Reading may fail only with an IvrError; what it reads must load and lint."""
    with contextlib.suppress(IvrError):
        lint(to_menu(voicexml.read(text, file)))


TOKENS = ["<vxml>", "</vxml>", "<form id='f'>", "</form>", "<menu id='m' dtmf='true'>",
          "</menu>", "<choice next='#f'/>", "<choice dtmf='1' expr='x'/>", "<block>", "</block>",
          "<field name='a' type='digits?length=3'>", "</field>", "<filled>", "</filled>",
          "<if cond='a'>", "<elseif cond='b'/>", "<else/>", "</if>", "<goto next='#m'/>",
          "<goto nextitem='a'/>", "<exit/>", "<clear/>", "<reprompt/>", "<nomatch count='2'>",
          "</nomatch>", "<catch event='x'>", "</catch>", "<throw event='x'/>", "Hello",
          "<transfer dest='tel:1'/>", "<subdialog src='s'/>", "<audio src='a'/>", "<link dtmf='0' "
          "next='#f'/>", "<prompt count='2'>Hi</prompt>", "<goto next='x.vxml'/>", "<record/>"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_only_ivr_errors_from_token_soup(parts: list[str]) -> None:
    text = "<vxml>" + "".join(parts) + "</vxml>"
    survives(text, "soup.vxml")


TAGS = ["form", "menu", "block", "field", "filled", "if", "elseif", "else", "goto", "choice",
        "nomatch", "noinput", "catch", "throw", "clear", "exit", "submit", "transfer", "link",
        "subdialog", "record", "prompt", "audio", "reprompt", "object", "property", "weird"]
ATTRS = st.dictionaries(
    st.sampled_from(["id", "name", "next", "expr", "event", "dtmf", "count", "cond", "dest",
                     "nextitem", "namelist", "type", "value", "src", "bridge"]),
    st.sampled_from(["#f", "#m", "a", "1", "2", "0", "true", "x.vxml#f", "digits?length=2",
                     "tel:operator", "nomatch", "f", "m", "3s", "", "*", "b c"]), max_size=3)


def _element(tag: str, attrs: dict[str, str], children: list[str]) -> str:
    attr = "".join(f' {k}="{v}"' for k, v in attrs.items())
    return f"<{tag}{attr}>{''.join(children)}</{tag}>"


TREES = st.recursive(
    st.builds(_element, st.sampled_from(TAGS), ATTRS, st.just([])) | st.just("Hi there"),
    lambda kids: st.builds(_element, st.sampled_from(TAGS), ATTRS, st.lists(kids, max_size=4)),
    max_leaves=25)


def vxml_text(menu: list[str], form: list[str], rest: list[str]) -> str:
    return (f"<vxml><menu id='top'>{''.join(menu)}</menu><form id='main'>{''.join(form)}"
            f"</form>{''.join(rest)}</vxml>")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TREES, max_size=4), st.lists(TREES, max_size=4), st.lists(TREES, max_size=3))
def test_only_ivr_errors_from_well_formed_trees(menu: list[str], form: list[str],
                                                 rest: list[str]) -> None:
    text = vxml_text(menu, form, rest)
    survives(text, "tree.vxml")


SEED = (DATA / "bank.vxml").read_text(encoding="utf-8")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(SEED)), st.integers(0, 40), st.text(max_size=12))
def test_only_ivr_errors_from_mutations(at: int, cut: int, insert: str) -> None:
    text = SEED[:at] + insert + SEED[at + cut:]
    survives(text, "mutant.vxml")


def test_a_declared_encoding_is_honoured() -> None:
    m = load_any(DATA / "latin1.vxml")  # ISO-8859-1 bytes, as its declaration says
    assert m.nodes["accueil"].say == ("Boulangerie Émile. Pour les horaires, tapez 1. Pour "
                                      "parler à un vendeur, tapez 0.")
    counter = m.nodes[m.nodes["accueil"].option("0").target]
    assert counter.kind == "agent"  # a transfer named "operator"
    assert "NO_PATH_TO_HUMAN" not in {r for r, _ in found(m)}


def test_an_undeclared_or_unknown_encoding_is_still_one_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.vxml"
    f.write_bytes('<vxml version="2.1"><form><block>café</block></form></vxml>'
                  .encode("latin-1"))
    with pytest.raises(IvrError, match="not UTF-8"):
        load_any(f)
    f.write_bytes('<?xml version="1.0" encoding="x-klingon"?><vxml version="2.1"><form>'
                  '<block>café</block></form></vxml>'.encode("latin-1"))
    with pytest.raises(IvrError) as info:
        load_any(f)
    assert "\n" not in str(info.value)
