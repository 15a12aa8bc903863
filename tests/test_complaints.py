"""The complaints ivr exists for, each written as a small menu in tests/data/complaints/:
from the command line, ``ivr lint`` gives the finding it deserves and ``ivr audit`` the
verdict it deserves, and the fixed variant gets neither."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ivr.callers.chain import compile_chain
from ivr.callers.exact import solve
from ivr.cli import main
from ivr.formats.registry import load_any

DATA = Path(__file__).resolve().parent / "data" / "complaints"
N = "3000"


def lint_json(name: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["lint", str(DATA / name), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["files"][0]


def verdicts(name: str, capsys: pytest.CaptureFixture[str],
             *policies: str) -> tuple[int, dict[str, dict[str, Any]]]:
    args = [a for p in policies for a in ("--policy", p)]
    code = main(["audit", *args, str(DATA / name), "--format", "json", "-n", N])
    doc = json.loads(capsys.readouterr().out)
    return code, {v["id"]: v for v in doc["files"][0]["verdicts"]}


def findings(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == rule]


#: complaint -> (broken file, fixed file, lint rule, its node, severity, the audit rule
#: that must fail on the broken file and not on the fixed one, the policies to run)
CASES = {
    "agent loops back": ("agent_loops_back.yaml", "agent_loops_back_fixed.yaml",
                         "FALSE_PERSON_OPTION", "main", "error", "gethuman/zero-out",
                         ("gethuman",)),
    "ping-pong": ("ping_pong.yaml", "ping_pong_fixed.yaml", "REDIRECT_LOOP", "sales",
                  "error", "iowa-hf2448/no-ping-pong", ("iowa-hf2448",)),
    "line drops when closed": ("line_drops.yaml", "line_drops_fixed.yaml", "DROPPED_CALLS",
                               "closed_message", "error", "gethuman/callback",
                               ("gethuman",)),
    "line rings out": ("line_drops_ringing.yaml", "line_drops_fixed.yaml", "DROPPED_CALLS",
                       "ring", "error", "spain-2025/three-minutes", ("spain-2025",)),
    "audits assumed open lines": ("small_business.yaml", "small_business_fixed.yaml",
                                  "DROPPED_CALLS", "closed_message", "error",
                                  "california-ab1609/human-available",
                                  ("california-ab1609",)),
    "no person, no menu": ("no_person_flow.yaml", "no_person_flow_fixed.yaml",
                           "NO_PATH_TO_HUMAN", "greeting", "error", "gethuman/zero-out",
                           ("gethuman",)),
    "the promised person": ("promised_person.yaml", "promised_person_fixed.yaml",
                            "FALSE_PERSON_OPTION", "main", "error",
                            "spain-2025/person-on-request", ("spain-2025",)),
    "unreachable goal": ("goal_unreachable.yaml", "goal_unreachable_fixed.yaml",
                         "UNREACHABLE_GOAL", "billing_desk", "error",
                         "spain-2025/three-minutes", ("spain-2025",)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_complaint_gets_its_finding_and_verdict(case: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    broken, fixed, rule, node, severity, verdict, policies = CASES[case]
    code, report = lint_json(broken, capsys)
    found = findings(report, rule)
    assert found and found[0]["node"] == node and found[0]["severity"] == severity, report
    assert code == 1
    code, got = verdicts(broken, capsys, *policies)
    assert code == 1 and got[verdict]["status"] == "failed", got[verdict]
    assert got[verdict]["evidence"] and all(e["line"] for e in got[verdict]["evidence"])
    # The fixed variant: neither the finding nor the failed verdict.
    code, report = lint_json(fixed, capsys)
    assert not findings(report, rule), report
    assert not [f for f in report["findings"] if f["severity"] == "error"]
    assert code == 0
    _, got = verdicts(fixed, capsys, *policies)
    assert got[verdict]["status"] != "failed", got[verdict]


def test_a_person_option_that_loops_back(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = lint_json("agent_loops_back.yaml", capsys)
    found = findings(report, "FALSE_PERSON_OPTION")
    assert [f["keys"] for f in found] == ["9", "0"]
    assert "offers as a person ('talk to')" in found[0]["message"]
    assert "leads back to this menu through 'first_choose'" in found[1]["message"]
    assert [s["node"] for s in found[1]["path"]] == ["main", "first_choose"]
    _, got = verdicts("agent_loops_back.yaml", capsys, "gethuman")
    evidence = got["gethuman/zero-out"]["evidence"][0]["message"]
    assert "0 leads back to this menu (through 'first_choose'): no person is behind it" \
        in evidence
    assert "more key presses away" not in evidence


def test_ping_pong_names_the_cycle_and_its_keys(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = lint_json("ping_pong.yaml", capsys)
    (f,) = findings(report, "REDIRECT_LOOP")
    assert "sales -> tech -> sales" in f["message"]
    assert "'to_tech', 'to_sales'" in f["message"]
    assert f["keys"] == "1, 2, 2"
    # The keys go round: pressed in ivr call, they bring the caller back to sales.
    assert main(["call", str(DATA / "ping_pong.yaml"), "--keys", "1,2,2"]) == 0
    out = capsys.readouterr().out
    assert out.count("] sales (menu)") == 2 and out.count("] tech (menu)") == 1


def test_dropped_calls_carry_the_exact_share(capsys: pytest.CaptureFixture[str]) -> None:
    _, report = lint_json("line_drops.yaml", capsys)
    (f,) = findings(report, "DROPPED_CALLS")
    menu = load_any(DATA / "line_drops.yaml")
    exact = solve(compile_chain(menu))
    assert f["share"] == pytest.approx(exact.outcomes["disconnected"], abs=1e-12)
    assert 0.85 < f["share"] < 0.915  # 91.1% of calls come when closed; a few hang up first
    assert f"dropping {f['share']:.1%} of callers, over the 50% limit" in f["message"]
    assert f["keys"] == "(if closed)"
    assert report["person"]["hours"] == 15.0
    assert report["person"]["calls"] == pytest.approx(15 / 168)
    code = main(["lint", str(DATA / "line_drops.yaml")])
    out = capsys.readouterr().out
    assert code == 1
    assert "a person can be reached 15 h of the 168 h of the week, for 8.9% of the calls" in out
    # A looser limit makes it a warning, with the same share.
    assert main(["lint", str(DATA / "line_drops.yaml"), "--set",
                 "DROPPED_CALLS.max_share=0.95"]) == 0
    assert "warning DROPPED_CALLS" in capsys.readouterr().out


def test_solve_prints_the_headline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(DATA / "line_drops.yaml")]) == 0
    out = capsys.readouterr().out
    assert "  a person can be reached 15 h of the 168 h of the week, for 8.9% of the calls" \
        in out.splitlines()
    assert main(["solve", str(DATA / "line_drops.yaml"), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["person"]["hours"] == 15.0


def test_audits_judge_the_hours_they_apply_to(capsys: pytest.CaptureFixture[str]) -> None:
    code, got = verdicts("small_business.yaml", capsys, "california-ab1609", "dc-3106",
                         "iowa-hf2448")
    assert code == 1
    for rule in ("california-ab1609/human-available", "dc-3106/representative-option",
                 "iowa-hf2448/two-minutes"):
        assert got[rule]["status"] == "failed", got[rule]
    ca = got["california-ab1609/human-available"]["message"]
    assert "in 15 h of the 50 h of business hours (mon-fri 08:00-18:00 America/Chicago)" in ca
    assert "a person can be reached 15 h of the 168 h of the week, for 8.9% of the calls" in ca
    assert "15 h of the 168 h of the week" in got["iowa-hf2448/two-minutes"]["message"]
    # Iowa's representative rule applies in the line's own (customer-service) hours.
    assert got["iowa-hf2448/representative"]["status"] == "passed"
    _, fixed = verdicts("small_business_fixed.yaml", capsys, "california-ab1609", "dc-3106",
                        "iowa-hf2448")
    assert all(v["status"] != "failed" for v in fixed.values()), fixed


def test_a_person_purpose_policy_fails_a_flow_without_a_person(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, got = verdicts("no_person_flow.yaml", capsys, "all")
    assert code == 1
    for policy in ("gethuman", "spain-2025", "iowa-hf2448", "dc-3106", "fcc-cable",
                   "california-ab1609"):
        assert any(v["status"] == "failed" for k, v in got.items()
                   if k.startswith(policy + "/")), policy
    assert main(["audit", "--policy", "gethuman", str(DATA / "no_person_flow.yaml"),
                 "-n", N]) == 1
    capsys.readouterr()


def test_person_on_request_names_the_promised_option(capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    _, got = verdicts("promised_person.yaml", capsys, "spain-2025")
    v = got["spain-2025/person-on-request"]
    message = v["evidence"][0]["message"]
    assert "the prompt offers a person on key 0 ('speak to')" in message
    assert "0 leads back to this menu (through 'busy')" in message
    assert "key 3 reaches 'sales_agent'" in message
    _, got = verdicts("promised_person_fixed.yaml", capsys, "spain-2025")
    v = got["spain-2025/person-on-request"]
    assert v["status"] == "passed"
    assert "main: 0 -> 'service_agent' (the prompt: 'speak to')" in v["message"]


def test_three_prompts_counts_menus_not_digit_entries(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    code, report = lint_json("digit_entry_first.yaml", capsys)
    assert code == 0
    _, got = verdicts("digit_entry_first.yaml", capsys, "iowa-hf2448")
    v = got["iowa-hf2448/three-prompts"]
    assert v["status"] == "passed", v
    assert "1 menu prompt up to 'main', whose key 0 leads to a person" in v["message"]


def test_an_unreachable_goal_is_not_served_by_another_person() -> None:
    menu = load_any(DATA / "goal_unreachable.yaml")
    exact = solve(compile_chain(menu))
    billing = exact.by_intent["billing"]
    assert billing["human"] == 0.0 and billing["misrouted"] > 0.8
    fixed = solve(compile_chain(load_any(DATA / "goal_unreachable_fixed.yaml")))
    assert fixed.by_intent["billing"]["human"] > 0.8


@pytest.mark.parametrize("language, say", [
    ("ja", "料金のお問い合わせは1を、担当者とお話しになりたい方は2を押してください。"),
    ("ru", "Оплата — 1. Связаться с оператором — 2."),
    ("hu", "Számlázás: 1. Ügyintézővel szeretne beszélni? Nyomja meg a 2-t."),
    ("it", "Per le fatture premere 1. Per parlare con un operatore premere 2."),
    ("et", "Arved: vajutage 1. Klienditeenindajaga rääkimiseks vajutage 2."),
])
def test_a_person_option_that_loops_back_in_every_language(language: str, say: str) -> None:
    """The person the prompt offers on 2, in its own language, leads back to the menu."""
    from ivr.formats import parse_menu
    from ivr.structure.lint import lint

    menu = parse_menu(json.dumps({
        "name": "T", "start": "main", "language": language,
        "defaults": {"on_fail": "desk"},
        "nodes": {
            "main": {"kind": "menu", "say": say,
                     "options": {"1": "bills", "2": "busy", "0": "desk"}},
            "busy": {"kind": "message", "say": "...", "next": "main"},
            "bills": {"kind": "self_service"}, "desk": {"kind": "agent"}}}), "t.json")
    found = [f for f in lint(menu) if f.rule == "FALSE_PERSON_OPTION"]
    assert [(f.node, f.keys, f.severity) for f in found] == [("main", "2", "error")], found


def test_phrases_of_the_config_reach_the_lint_rules(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    menu = tmp_path / "m.yaml"
    menu.write_text(
        "name: T\nstart: main\nlanguage: ru\ndefaults: {on_fail: desk}\nnodes:\n"
        "  main: {kind: menu, say: 'Оплата — 1. Дежурный администратор — 2.',"
        " options: {'1': bills, '2': busy, '0': desk}}\n"
        "  busy: {kind: message, say: Занято., next: main}\n"
        "  bills: {kind: self_service}\n  desk: {kind: agent}\n", encoding="utf-8")
    config = tmp_path / "lint.yaml"
    config.write_text("phrases: {ru: {person: [дежурн*]}}\n", encoding="utf-8")
    assert main(["lint", str(menu)]) == 0  # "дежурный" is no person phrase of ivr's
    capsys.readouterr()
    assert main(["lint", str(menu), "--config", str(config)]) == 1
    assert "FALSE_PERSON_OPTION [main] key 2" in capsys.readouterr().out
