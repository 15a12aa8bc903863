"""Journeys: the file format, its one-line errors, running them, and `ivr test`.

Every shipped example menu (but the deliberately broken ones) has a journeys file under
journeys/ whose journeys all pass; the JSON Schema accepts them and names the same fields
as the reader; a journeys file for a broken menu fails where the menu is broken.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from ivr import load_menu, parse_menu
from ivr.callers.chain import OUTCOMES
from ivr.cli import main
from ivr.errors import LoadError
from ivr.formats.journeys import (
    EXPECT_FIELDS,
    FILE_FIELDS,
    JOURNEY_FIELDS,
    WALK_OUTCOMES,
    Expect,
    check_against,
    is_journeys,
    load_journeys,
    parse_journeys,
    parse_keys,
)
from ivr.walk.journeys import run_file, run_journeys, verdict
from ivr.walk.walker import Walker

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "journeys"
JOURNEYS = sorted((ROOT / "journeys").glob("*.yaml"))
SCHEMA = json.loads((ROOT / "ivr" / "schema" / "journeys.schema.json").read_text())
GOOD_MENUS = sorted(m for m in (ROOT / "menus").glob("*.yaml") if not m.stem.startswith("broken"))
BROKEN = DATA / "broken_retries.yaml"

MENU = parse_menu("""\
name: T
start: main
nodes:
  main: {kind: menu, seconds: 4, options: {1: sub, 0: desk}, on_fail: desk}
  sub: {kind: menu, seconds: 2, options: {1: info, 2: bye}}
  info: {kind: self_service}
  bye: {kind: hangup}
  desk: {kind: agent}
""", "t.yaml")


def journeys(text: str) -> Any:
    return parse_journeys(text, "j.yaml")


def one(keys: str, **expect: Any) -> tuple[str, ...]:
    jf = journeys(f"journeys:\n  - name: x\n    keys: {keys!r}\n    expect: {json.dumps(expect)}\n")
    return run_journeys(MENU, jf.journeys)[0].failures


# ------------------------------------------------------------ the shipped journeys

def test_every_good_example_menu_has_journeys() -> None:
    assert [j.stem for j in JOURNEYS] == [m.stem for m in GOOD_MENUS]


@pytest.mark.parametrize("path", JOURNEYS, ids=lambda p: p.stem)
def test_shipped_journeys_pass(path: Path) -> None:
    jf = load_journeys(path)
    assert jf.menu is not None
    report = run_file(jf, load_menu(jf.menu), menu_file=jf.menu)
    assert [(r.journey.name, r.failures) for r in report.results if not r.passed] == []
    assert len(report.results) >= 6
    # Each file tests a person, a self-service ending and a closed or chance branch.
    outcomes = {r.walk.outcome for r in report.results}
    assert "human" in outcomes and len(outcomes) >= 3


def test_a_journey_for_a_broken_menu_fails_where_it_is_broken(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["test", str(BROKEN)]) == 1
    out = capsys.readouterr().out
    assert "  PASS  zero reaches customer service  [human at customer_service, 6.1 s]" in out
    assert "  FAIL  three wrong keys in billing reach a person  [disconnected at (hangup), " \
           "26.1 s]" in out
    assert "main -> 1 -> billing -> 7 (invalid 1/3) -> billing -> 7 (invalid 2/3) -> billing " \
           "-> 7 (invalid 3/3) -> (hangup)" in out
    assert "        ended as disconnected at (hangup), expected human" in out
    assert out.rstrip().endswith("3 journeys: 2 passed, 1 failed")


# ------------------------------------------------------------ the schema

def _schema_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    return jsonschema.Draft202012Validator(SCHEMA)


@pytest.mark.parametrize("path", [*JOURNEYS, BROKEN], ids=lambda p: p.stem)
def test_shipped_journeys_match_the_schema(path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    errors = list(_schema_validator().iter_errors(yaml.safe_load(path.read_text())))
    assert not errors, errors[0].message


def test_schema_names_the_fields_the_reader_knows() -> None:
    defs = SCHEMA["$defs"]
    assert set(SCHEMA["properties"]) == set(FILE_FIELDS)
    assert set(defs["journey"]["properties"]) == set(JOURNEY_FIELDS)
    assert set(defs["expect"]["properties"]) == set(EXPECT_FIELDS)
    assert defs["expect"]["properties"]["outcome"]["oneOf"][0]["enum"] == list(WALK_OUTCOMES)
    assert set(WALK_OUTCOMES) <= set(OUTCOMES)


@pytest.mark.parametrize("name", ["unknown_field", "wrong_type", "bad_outcome", "empty_expect",
                                  "float_keys", "bad_key"])
def test_schema_refuses_what_the_reader_refuses(name: str) -> None:
    yaml = pytest.importorskip("yaml")
    data = yaml.safe_load((DATA / "bad" / f"{name}.yaml").read_text())
    assert list(_schema_validator().iter_errors(data))
    with pytest.raises(LoadError):
        load_journeys(DATA / "bad" / f"{name}.yaml")


# ------------------------------------------------------------ reading

def test_keys_in_every_form() -> None:
    assert parse_keys("2, 1,,1000,wait, -") == ("2", "1", "-", "1000", "-", "-")
    jf = journeys("""\
journeys:
  - {name: a, keys: [2, "1", "*", "#", "", "-", 1000, "0012"], expect: {node: main}}
  - name: b
    keys: 2,1
    expect: {node: main}
  - {name: c, keys: 0, expect: {node: main}}
  - {name: d, keys: , expect: {node: main}}
  - {name: e, expect: {node: main}, then: silence, seed: 4, branch: {x: y}, at: sun 03:00}
""")
    assert [j.keys for j in jf.journeys] == [
        ("2", "1", "*", "#", "-", "-", "1000", "0012"), ("2", "1"), ("0",), (), ()]
    e = jf.journeys[4]
    assert (e.then, e.seed, e.branch, e.at) == ("silence", 4, (("x", "y"),), "sun 03:00")
    assert jf.menu is None and jf.at is None


def test_menu_path_is_relative_to_the_journeys_file(tmp_path: Path) -> None:
    f = tmp_path / "sub" / "j.yaml"
    f.parent.mkdir()
    f.write_text("menu: ../m.yaml\nat: mon 09:00\njourneys: [{name: a, expect: {node: x}}]\n")
    jf = load_journeys(f)
    assert jf.menu == str(tmp_path / "m.yaml") and jf.at == "mon 09:00"
    assert jf.menu_source is not None and jf.menu_source.line == 1
    assert is_journeys(f) and not is_journeys(ROOT / "menus" / "bank.yaml")


BAD = {
    "bad_at": "5:5: cannot read 'someday 25:00' as a time of the week",
    "bad_key": "5:5: keys: '2 1' is not a key (separate keys with commas: 2,1)",
    "bad_outcome": "6:14: expect.outcome 'humen' is not one of: served, human, voicemail, "
                   "transferred, disconnected, stuck (did you mean 'human'?)",
    "bad_yaml": "bad_yaml.yaml:6:11: invalid YAML",
    "duplicate_name": "7:5: two journeys are named 'zero' (the other is at line 4",
    "empty_expect": "6:5: expect is empty",
    "float_keys": "5:5: keys: 2.1 is not a key (write several keys as text",
    "leading_zero": "5:15: keys: 0012345678 would be read as the number 12345678 "
                    "(quote it: \"0012345678\")",
    "missing_menu": "missing_menu.yaml:2:1: menu menus/bnak.yaml: no such file",
    "no_menu": "no_menu.yaml:1:1: the journeys file names no menu",
    "unknown_field": "6:14: unknown field 'nodes' in expect (did you mean 'node'?)",
    "wrong_type": "6:38: expect.within must be a number, not the text 'soon'",
}


def test_every_bad_file_is_tested() -> None:
    assert sorted(p.stem for p in (DATA / "bad").glob("*.yaml")) == sorted(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_journeys_files_are_one_line_errors(name: str, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    file = f"tests/data/journeys/bad/{name}.yaml"
    assert main(["test", file]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in captured.err
    assert BAD[name] in err[0], err[0]
    assert err[0].startswith(file + ":")
    assert "1 unreadable" in captured.out


def test_unknown_nodes_anywhere_fail_their_journey_only() -> None:
    for field, text in [("expect.ending", "expect: {ending: desc}"),
                        ("expect.not_node", "expect: {not_node: [main, dsk]}"),
                        ("branch", "branch: {mian: x}\n    expect: {node: main}"),
                        ("not a chance branch", "branch: {main: sub}\n    expect: {node: main}")]:
        jf = journeys(f"journeys:\n  - name: a\n    {text}\n"
                      "  - name: b\n    keys: [1]\n    expect: {node: sub}\n")
        report = run_file(jf, MENU, menu_file="t.yaml")
        stale, fine = report.results
        assert fine.passed and not stale.passed and report.failed == 1
        (reason,) = stale.failures
        assert field in reason and reason.startswith("j.yaml:") and "\n" not in reason
        assert not stale.walk.steps
        if field.startswith("expect"):
            assert "did you mean" in reason
    with pytest.raises(LoadError, match="expect.ending names"):
        check_against(journeys("journeys:\n  - name: a\n    expect: {ending: desc}\n"), MENU)


STALE = {
    "unknown_node": "7:14: expect.node names 'lost_card_notic', which is not a node of "
                    "menus/bank.yaml (did you mean 'lost_card_notice'?)",
    "bad_branch": "6:14: branch 'account_lookup' cannot lead to 'account_not_fund' "
                  "(did you mean 'account_not_found'?)",
}


@pytest.mark.parametrize("name", sorted(STALE))
def test_a_stale_node_name_fails_that_journey_not_the_file(
        name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    file = f"tests/data/journeys/stale/{name}.yaml"
    assert main(["test", file]) == 1
    captured = capsys.readouterr()
    assert not captured.err
    assert f"{file}:{STALE[name]}" in captured.out
    assert "PASS  zero out" in captured.out and "2 journeys: 1 passed, 1 failed" in captured.out
    assert main(["test", file, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    stale, fine = doc["files"][0]["journeys"]
    assert not stale["passed"] and fine["passed"] and stale["failures"][0].startswith(file)


# ------------------------------------------------------------ expectations

def test_expectations_pass_and_fail_with_reasons() -> None:
    assert one("1,1", node="sub", within=4, outcome="served", ending="info", max_steps=2,
               not_node="desk") == ()
    assert one("1,1", node="sub", within=3.9) == ("reached sub after 4.0 s, not within 3.9 s",)
    assert one("1,1", node="desk") == ("never reached desk",)
    assert one("1,1", outcome=["human", "voicemail"]) == (
        "ended as served at info, expected human or voicemail",)
    assert one("1,2", ending="info") == ("ended at bye (disconnected), expected info",)
    assert one("1,1", not_node=["sub"]) == ("passed through sub (at 4.0 s)",)
    assert one("1,1", max_steps=1) == ("took 2 steps, more than 1",)
    assert one("1,1", within=5) == ("the call ended after 6.0 s, not within 5 s",)


def test_keys_that_run_out_or_are_left_over() -> None:
    assert one("1", node="sub") == ()
    assert one("1", outcome="served") == (
        "expected served, but the call had not ended: keys ran out at sub",)
    assert one("1", within=10) == (
        "expected the call to end within 10 s, but the call had not ended: keys ran out at sub",)
    assert one("0,1", outcome="human") == (
        "the call ended at desk (human) with keys left: 1",)
    assert one("-,-,-", outcome="human") == ()


def test_verdict_reads_the_walk_only() -> None:
    w = Walker(MENU).run(["0"])
    assert verdict(w, Expect(ending="desk", within=4)) == ()
    assert verdict(w, Expect(ending="desk", within=3)) == (
        "the call ended after 4.0 s, not within 3 s",)


def test_times_follow_the_menu_clock_journey_over_file_over_command_line() -> None:
    bank = load_menu(ROOT / "menus" / "bank.yaml")
    text = """\
{head}journeys:
  - {{name: own, at: sun 03:00, keys: "0", expect: {{outcome: voicemail}}}}
  - {{name: theirs, keys: "0", expect: {{outcome: human}}}}
"""
    jf = journeys(text.format(head=""))
    report = run_file(jf, bank, menu_file="bank.yaml")
    assert report.when == "mon 08:30 America/Chicago" and report.passed == 2
    report = run_file(jf, bank, menu_file="bank.yaml", at="sat 20:00")
    assert report.when == "sat 20:00 America/Chicago"
    assert [r.walk.outcome for r in report.results] == ["voicemail", "voicemail"]
    jf = journeys(text.format(head="at: mon 12:00\n"))
    report = run_file(jf, bank, menu_file="bank.yaml", at="sat 20:00")
    assert [r.walk.outcome for r in report.results] == ["voicemail", "human"]
    assert report.results[0].walk.when == "sun 03:00 America/Chicago"
    jf = journeys('journeys:\n  - {name: z, at: "sun 09:00 UTC", keys: "0", '
                  'expect: {outcome: voicemail}}\n')  # 03:00 in Chicago
    assert run_file(jf, bank, menu_file="bank.yaml").passed == 1


# ------------------------------------------------------------ ivr test

def test_ivr_test_forms_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    bank_j = str(ROOT / "journeys" / "bank.yaml")
    assert main(["test", bank_j]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("(Harbor Federal Bank customer service) at mon 08:30 "
                                        "America/Chicago")
    assert "  PASS  report a lost card  [human at fraud_agent, 34.7 s]" in out
    assert "  PASS  after hours, zero leaves a voicemail  [at sun 03:00 America/Chicago; " \
           "voicemail at general_voicemail, 31.1 s]" in out
    # The menu named first overrides the file's: the bank's journeys fail on another menu,
    # those naming its nodes each with the reason, and the file is still run.
    assert main(["test", str(ROOT / "menus" / "utility.yaml"), bank_j]) == 1
    captured = capsys.readouterr()
    assert "not a node of" in captured.out and not captured.err
    assert main(["test", str(ROOT / "menus" / "bank.yaml"), bank_j]) == 0
    capsys.readouterr()
    assert main(["test", str(ROOT / "menus" / "bank.yaml")]) == 2
    assert "give the journeys to run too" in capsys.readouterr().err
    assert main(["test", "no/such.yaml"]) == 2
    assert capsys.readouterr().err.strip() == "no/such.yaml: no such file"
    assert main(["test", str(ROOT / "journeys")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^8 files, \d+ journeys: \d+ passed$", out, re.M)


def test_ivr_test_json_junit_and_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junit = tmp_path / "out" / "junit.xml"
    junit.parent.mkdir()
    bad = DATA / "bad" / "bad_key.yaml"
    assert main(["test", str(BROKEN), str(bad), "--format", "json", "--junit", str(junit)]) == 2
    captured = capsys.readouterr()
    d = json.loads(captured.out)
    assert (d["passed"], d["failed"]) == (2, 1)
    assert d["unreadable"][0]["file"] == str(bad)
    first = d["files"][0]
    assert first["menu_file"].endswith("broken_retries_hangup.yaml") and first["at"] is None
    failed = [j for j in first["journeys"] if not j["passed"]][0]
    assert failed["failures"] == ["ended as disconnected at (hangup), expected human"]
    assert failed["keys"] == ["1", "7", "7", "7"] and failed["line"] == 9
    assert [s["event"] for s in failed["steps"]] == ["option", "invalid", "invalid", "fail"]
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("4", "1", "1")
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases][:3] == [
        "zero reaches customer service", "three wrong keys in billing reach a person",
        "billing balance"]
    fail = cases[1].find("failure")
    assert fail is not None and "expected human" in (fail.get("message") or "")
    assert cases[3].find("error") is not None
    assert main(["test", str(BROKEN), "--steps"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"billing\s+7 \(invalid 3/3\)\s+-> \(hangup\)\s+6\.7 s\s+26\.1 s", out)


def test_ivr_test_bad_at_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["test", str(BROKEN), "--at", "someday"])
    assert exc.value.code == 2


SHOWN = [("README.md", "ivr test journeys/bank.yaml"),
         ("README.md", "ivr call menus/bank.yaml --keys 2,1"),
         ("docs/journeys.md", "ivr test tests/data/journeys/broken_retries.yaml"),
         ("docs/journeys.md", "ivr call menus/bank.yaml --keys 2,1")]


@pytest.mark.parametrize("doc, command", SHOWN)
def test_the_docs_show_the_real_output(doc: str, command: str,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    text = (ROOT / doc).read_text(encoding="utf-8")
    marker = f"$ {command}\n"
    assert marker in text, f"{doc} shows `{command}`"
    block = text.split(marker, 1)[1].split("```")[0]
    assert main(command.split()[1:]) in (0, 1)
    out = capsys.readouterr().out.splitlines()
    for line in block.splitlines():
        if line.strip() and line.strip() != "...":
            assert line in out, line
