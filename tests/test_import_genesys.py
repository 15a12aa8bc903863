"""Genesys Cloud Architect flows in Archy YAML: menus, tasks, schedule groups, transfers,
links between flows, and one line for what is not a call flow."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.audit.checks import audit
from ivr.audit.policy import resolve
from ivr.cli import main
from ivr.errors import IvrError, LoadError
from ivr.formats import genesys
from ivr.formats.imported import ERRORS, to_menu
from ivr.formats.registry import detect, load_any, read_any
from ivr.model import Menu
from ivr.structure.lint import lint

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "import" / "genesys"
FIXTURES = sorted(DATA.rglob("*.yaml"))


def load(name: str, **kw: str) -> Menu:
    return load_any(DATA / name, **kw)  # type: ignore[arg-type]


def found(menu: Menu) -> set[tuple[str, str | None]]:
    return {(f.rule, f.node) for f in lint(menu)}


def test_sniff_claims_archy_flows_only() -> None:
    for path in FIXTURES:
        assert genesys.sniff(path.read_text(encoding="utf-8")), path
        assert detect(path.read_text(encoding="utf-8")) == "genesys"
    for path in (HERE.parent / "menus").glob("*.yaml"):
        assert not genesys.sniff(path.read_text(encoding="utf-8")), path
    for path in (HERE / "data" / "import").rglob("*"):
        if path.is_file() and path.parent.name != "genesys" and "genesys" not in path.parts:
            assert not genesys.sniff(path.read_text(encoding="utf-8", errors="replace")), path


def test_a_city_line_reads_as_architect_runs_it() -> None:
    m = load("city_water.yaml")
    assert m.format == "genesys" and m.name == "Riverside Water main line"
    greeting = m.nodes[m.start]
    assert greeting.say == "Thank you for calling Riverside Water."
    hours = m.nodes[m.nodes[greeting.next or ""].next or ""]  # the Check hours task
    outcomes = {m.nodes[t].kind for t, _ in hours.chance}
    assert hours.kind == "branch" and outcomes == {"menu", "message"}  # open; closed, holiday
    main_menu = m.nodes["Main_menu"]
    assert (main_menu.timeout, main_menu.retries) == (6.0, 2)  # the flow's menu settings
    assert m.nodes[main_menu.on_fail or ""].kind == "hangup"  # no choice: Architect hangs up
    keys = {o.key: m.nodes[o.target] for o in main_menu.options}
    assert set(keys) == {"1", "2", "3", "0", "9"}
    assert keys["1"].kind == "menu" and keys["1"].id == "Billing_menu"
    assert keys["2"].label == "task Outage report"
    crew = m.nodes[keys["3"].chance[0][0]]
    assert crew.kind == "agent" and crew.queue == "phone +15035550119"  # forwarded
    service = dict(keys["0"].chance)
    assert m.nodes[next(iter(service))].queue == "Customer Service"
    assert service[main_menu.id] == ERRORS  # a failed transfer: the menu again
    billing = m.nodes["Billing_menu"]
    assert billing.option("*") is not None and billing.option("*").target == "Main_menu"
    got = found(m)
    assert ("UNRESOLVED_TARGET", "Check_hours.Office_hours") in got
    assert ("UNRESOLVED_TARGET", "Outage_report.Known_outage") in got
    assert ("DISCONNECT_ON_FAIL", "Main_menu") in got
    assert not {r for r, _ in got} & {"NO_PATH_TO_HUMAN", "UNREACHABLE", "MISSING_TARGET",
                                      "UNKNOWN_BLOCK", "DEAD_END", "TRAP"}


def test_origins_point_at_the_yaml_lines() -> None:
    m = load("city_water.yaml")
    text = (DATA / "city_water.yaml").read_text(encoding="utf-8").splitlines()
    assert "name: Main menu" in text[(m.nodes["Main_menu"].source.line or 0)]
    assert "evaluateScheduleGroup" in text[(m.nodes["Check_hours.Office_hours"].source.line
                                            or 0) - 1]


def test_no_person_fails_lint_and_the_gethuman_audit() -> None:
    m = load("no_person.yaml")
    got = found(m)
    assert ("NO_PATH_TO_HUMAN", "Information") in got
    assert ("NO_MATCHING_KEY", "Information") in got  # a speech-only choice
    hours = m.nodes[m.nodes["Information"].option("1").target]
    assert hours.next == "Information"  # the task jumps back to the menu
    assert any(v.status == "failed" for v in audit(m, resolve(["gethuman"]), n=500))


def test_a_messaging_flow_has_no_voice_entry() -> None:
    assert ("NO_VOICE_ENTRY", "start") in found(load("sms_line.yaml"))


def test_a_transfer_to_another_flow_of_the_folder_is_followed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = load("linked/front_desk.yaml")
    after = m.nodes[m.nodes["Front_desk"].option("2").target]
    assert after.kind == "message" and "Clinic after hours" in (after.label or "")
    assert any(n.kind == "voicemail" for n in m.nodes.values())
    assert main(["import", str(DATA / "linked"), "-o", str(tmp_path)]) == 0
    capsys.readouterr()
    again = load_any(tmp_path / "front_desk.yaml")
    assert found(again) == found(m)


def test_entry_starts_at_a_menu_or_task(capsys: pytest.CaptureFixture[str]) -> None:
    m = load("city_water.yaml", entry="outage_1")
    assert m.start == "Outage_report"
    assert main(["paths", str(DATA / "city_water.yaml"), "--entry", "Billing menu"]) == 0
    assert "Billing_menu" in capsys.readouterr().out
    with pytest.raises(LoadError, match="no menu or task"):
        load("city_water.yaml", entry="nowhere")


@pytest.mark.parametrize(("text", "message"), [
    ("inboundCall: [1, 2]\n", "must be a mapping"),
    ("inboundCall:\n  name: x\n  startUpRef: ./menus/menu[gone]\n", "names no menu"),
    ("workflow:\n  name: x\n", "callers do not dial"),
    ("inboundCall:\n  name: x\n  initialGreeting:\n    tts: {{greeting}}\n", ""),
    ("inboundCall:\n  name: x\n  menus: 3\n", "must be a list"),
])
def test_bad_flows_get_one_line(text: str, message: str) -> None:
    with pytest.raises(IvrError) as info:
        read_any(text, "bad.yaml")
    assert "\n" not in str(info.value) and message in str(info.value)


def test_a_jump_to_a_missing_menu_is_reported() -> None:
    text = ("inboundCall:\n  name: x\n  startUpRef: /inboundCall/tasks/task[t]\n  tasks:\n"
            "    - task:\n        name: T\n        refId: t\n        actions:\n"
            "          - jumpToMenu:\n              name: Go\n"
            "              targetMenuRef: /inboundCall/menus/menu[gone]\n")
    m = to_menu(genesys.read(text, "j.yaml"))
    assert ("MISSING_TARGET", "T.Go") in found(m)


_SEED = (DATA / "city_water.yaml").read_text(encoding="utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(_SEED)), st.integers(0, 60),
       st.sampled_from(["", ":", "- ", "  ", "\n", "{", "lit: ", "digit_", "[", "&a", "*a"]))
def test_cut_and_spliced_flows_only_raise_ivr_errors(at: int, cut: int, insert: str) -> None:
    text = _SEED[:at] + insert + _SEED[at + cut:]
    with contextlib.suppress(IvrError):
        lint(read_any(text, "fuzz.yaml", "genesys"))
