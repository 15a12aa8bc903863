"""Callers and queues as they really behave: lines with a longest wait, callbacks,
announced waits, callers' beliefs and barge-in; both engines agree on each, and every
command shows them (menus/behaviour/ holds each effect with its variant without)."""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ivr import parse_menu
from ivr.audit.checks import audit
from ivr.audit.policy import resolve
from ivr.callers.chain import compile_chain
from ivr.callers.exact import solve
from ivr.callers.hourly import by_hour
from ivr.callers.metrics import agreement, summarize, summarize_exact
from ivr.callers.simulate import simulate
from ivr.cli import main
from ivr.errors import ConfigError, IvrError, LoadError
from ivr.language.speech import seconds_of
from ivr.model import Menu
from ivr.structure.paths import paths
from ivr.structure.prompt import heard_shares, named_at, prefix_seconds, spoken_share

ROOT = Path(__file__).resolve().parent.parent
MENUS = ROOT / "menus" / "behaviour"
PAIRS = [("ringout_without", "ringout"), ("callback_without", "callback"),
         ("announce_without", "announce"), ("wording_clear", "wording"),
         ("bargein_without", "bargein")]


def menu(text: str) -> Menu:
    return parse_menu(textwrap.dedent(text), "m.yaml")


def error(text: str) -> IvrError:
    with pytest.raises(IvrError) as info:
        menu(text)
    return info.value


def agree(m: Menu, n: int = 200_000, seed: int = 3, limit: float = 4.5) -> None:
    """Simulated and exact figures within ``limit`` standard errors."""
    chain = compile_chain(m)
    rows = agreement(summarize(simulate(chain, n, seed=seed)),
                     summarize_exact(chain, solve(chain)))
    bad = [(r.metric, r.simulated, r.exact, r.z) for r in rows if abs(r.z) > limit]
    assert not bad


LINE = """\
name: T
start: main
nodes:
  main: {kind: menu, say: For sales press 1. For support press 2. For a callback press 3.,
         options: {1: sales, 2: support, 3: cb, 0: support}}
  sales: {kind: agent, staff: {agents: 2, handle_time: 240}, %s}
  support: {kind: agent, staff: {agents: 3, handle_time: 300}}
  vm: {kind: voicemail}
  cb: {kind: callback, agent: sales}
  hold: {kind: menu, say: To keep holding press 1. To leave a message press 2.,
         options: {1: sales, 2: vm}, on_fail: vm}
callers:
  intents: {buy: {share: 0.6, goal: sales}, fix: {share: 0.4, goal: support}}
  patience: {mean: 150}
  calls_per_hour: 30
"""


@pytest.mark.parametrize("rules", [
    "max_wait: 60, on_max_wait: vm",
    "callback: {offer_after: 45, accept: 0.6}",
    "announce_wait: 900",
    "announce_wait: estimate",
    "max_wait: 40, on_max_wait: hold",      # sent on, and back into the same line
    "max_wait: 40, on_max_wait: cb",        # sent on to ask for a callback from the line
    "max_wait: 40, on_max_wait: support",   # straight into another line
    "max_wait: 90, on_max_wait: hold, callback: {offer_after: 30, accept: 0.4}, "
    "announce_wait: estimate",
], ids=["ring-out", "callback", "announce", "estimate", "hold-loop", "to-callback",
        "to-line", "all"])
def test_engines_agree_on_every_line_rule(rules: str) -> None:
    agree(parse_menu(LINE % rules))


def test_engines_agree_by_segment_when_callers_are_sent_on_in_a_busy_week() -> None:
    # A caller sent on meets the next line in the segment it called in: classes are told
    # apart by arrival level, and the hours add up to the whole.
    m = menu("""\
        name: T
        start: main
        schedules: {office: {mon-fri: "08:00-18:00", tz: Europe/Madrid}}
        nodes:
          main: {kind: menu, say: For sales press 1., options: {1: sales, 0: sales}}
          sales: {kind: agent, schedule: office, closed: vm, staff: {agents: 3, handle_time: 240},
                  max_wait: 40, on_max_wait: hold}
          vm: {kind: voicemail}
          hold: {kind: menu, say: To keep holding press 1., options: {1: sales, 2: vm}, on_fail: vm}
        callers:
          intents: {buy: {share: 1, goal: sales}}
          patience: {mean: 150}
          calls_per_hour: 25
          arrivals: {hourly: [0,0,0,0,0,0,0,1,3,5,6,6,5,4,5,6,5,3,2,1,1,0,0,0]}
        """)
    chain = compile_chain(m)
    assert len({c.open_set for c in chain.classes}) > 2  # one class per segment
    agree(m)
    ex = solve(chain)
    rows = by_hour(chain, ex)
    for o, p in ex.outcomes.items():
        assert sum(r.calls * r.outcomes[o] for r in rows) == pytest.approx(p, abs=1e-12)
    busy = {r.hour: r.outcomes["voicemail"] for r in rows if r.calls > 0}
    assert busy["10:00"] > busy["08:00"]  # more callers sent to the voicemail when busy


def test_by_hour_moves_callers_sent_on_to_an_ending_with_the_hour() -> None:
    m = parse_menu((LINE % "max_wait: 30, on_max_wait: vm").replace(
        "  calls_per_hour: 30\n",
        "  calls_per_hour: 30\n  arrivals: {hourly: [1,1,1,1,1,1,1,2,4,6,6,6,5,5,5,5,4,3,"
        "2,2,1,1,1,1]}\n"))
    chain = compile_chain(m)
    ex = solve(chain)
    rows = by_hour(chain, ex)
    vm = [r.outcomes["voicemail"] for r in rows]
    assert max(vm) > 3 * min(vm)
    for o, p in ex.outcomes.items():
        assert sum(r.calls * r.outcomes[o] for r in rows) == pytest.approx(p, abs=1e-12)


def test_a_longest_wait_sends_callers_on_and_the_funnel_shows_it() -> None:
    m = parse_menu(LINE % "max_wait: 60, on_max_wait: vm")
    chain = compile_chain(m)
    s = summarize_exact(chain, solve(chain))
    q = {x.node: x for x in s.queues}["sales"]
    assert q.p_timeout > 0.05 and s.outcomes["voicemail"].value > 0.05
    flow = {f.node: f for f in s.funnel}
    assert flow["vm"].visits == pytest.approx(s.outcomes["voicemail"].value)
    exits = dict(flow["sales"].exits)
    assert exits["max wait -> vm"] == pytest.approx(s.outcomes["voicemail"].value)
    sim = summarize(simulate(chain, 50_000, seed=1))
    assert {f.node: f for f in sim.funnel}["vm"].visits == pytest.approx(
        sim.outcomes["voicemail"].value)


def test_traces_show_the_line() -> None:
    m = parse_menu(LINE % "max_wait: 20, on_max_wait: hold")
    r = simulate(compile_chain(m), 2000, seed=2, trace=40)
    waits = [step for t in r.traces for step in t.steps if step[1] == "waits"]
    assert any(step[3] == "hold" and step[4] == 20.0 for step in waits)
    sent = next(t for t in r.traces if any(s[3] == "hold" for s in t.steps))
    after = sent.steps[[s[3] for s in sent.steps].index("hold") + 1]
    assert after[0] == "hold"  # it walks on from on_max_wait


def test_callback_requests_load_their_line() -> None:
    def lines(m: Menu) -> dict[str, object]:
        chain = compile_chain(m)
        return {x.node: x for x in summarize_exact(chain, solve(chain)).queues}

    busy = lines(parse_menu(LINE % "max_wait: 600, on_max_wait: vm"))
    quiet = lines(parse_menu((LINE % "max_wait: 600, on_max_wait: vm").replace(
        "cb: {kind: callback, agent: sales}", "cb: {kind: callback}")))
    assert busy["sales"].occupancy > quiet["sales"].occupancy  # type: ignore[attr-defined]
    assert busy["sales"].p_wait > quiet["sales"].p_wait  # type: ignore[attr-defined]


def test_an_announced_wait_longer_than_patience_sends_callers_away() -> None:
    m = menu("""\
        name: T
        start: desk
        nodes:
          desk: {kind: agent, announce_wait: 300}
        callers: {intents: {x: {share: 1, goal: desk}}, patience: {mean: 100}}
        """)
    ex = solve(compile_chain(m))
    # Answered at once, but those with less than 300 s of patience leave on hearing it.
    assert ex.outcomes["abandoned"] == pytest.approx(1 - math.exp(-3.0))
    agree(m, n=100_000)


def test_estimate_announces_the_modelled_wait_of_those_it_leaves() -> None:
    m = parse_menu(LINE % "announce_wait: estimate")
    chain = compile_chain(m)
    q = solve(chain).queues
    assert q is not None
    k = q.names.index("sales")
    said, waits = q.announced[k], q.waits[k]
    for g in np.flatnonzero(q.calls[k] > 0).tolist():
        assert said[g] == pytest.approx(waits[g].expected_line(), rel=1e-6)
        assert 0 < said[g] < 600


# ------------------------------------------------------------- beliefs


BELIEF = """\
name: T
start: main
nodes:
  main: {kind: menu, say: For sales press 2. For support press 3.,
         options: {2: sales, 3: sup, 0: desk}}
  sales: {kind: menu, say: Orders 1. Returns 3., options: {1: orders, 3: returns, 0: desk}}
  sup: {kind: menu, say: Warranty 1. Help 2., options: {1: warranty, 2: help, 0: desk}}
  orders: {kind: self_service}
  returns: {kind: self_service}
  warranty: {kind: self_service}
  help: {kind: self_service}
  desk: {kind: agent}
callers:
  intents: {w: {share: 1, goal: warranty%s}}
  patience: {distribution: none}
  mistake_rate: 0
  confusion: 0
  silence: 0
"""


@pytest.mark.parametrize(("presses", "outcome"), [
    ("", "served"),                     # the model's aim: 3, 1
    (', presses: ["2", "3"]', "misrouted"),   # believes 2 then 3: returns
    (', presses: ["2", "1"]', "misrouted"),   # 2 then 1: orders
    (', presses: ["2", "9"]', "served"),  # 9 is not offered: the aim takes over (0: desk)
    (', presses: ["3"]', "served"),     # 3, then the aim: 1
])
def test_callers_press_what_they_believe_while_the_menus_offer_it(presses: str,
                                                                  outcome: str) -> None:
    m = parse_menu(BELIEF % presses)
    ex = solve(compile_chain(m))
    if presses == ', presses: ["2", "9"]':
        assert ex.outcomes["human"] == pytest.approx(1.0)  # 2, then no way back: 0
        return
    assert ex.outcomes[outcome] == pytest.approx(1.0)


def test_a_belief_at_a_menu_without_that_key_ends_there() -> None:
    # Believes "9" first: the main menu has no 9, so the aim rules from the start.
    m = parse_menu(BELIEF % ', presses: ["9", "3"]')
    assert solve(compile_chain(m)).outcomes["served"] == pytest.approx(1.0)


def test_zero_out_callers_press_0_whatever_they_believe() -> None:
    m = parse_menu((BELIEF % ', presses: ["2", "3"]').replace("  silence: 0\n",
                                                              "  silence: 0\n  zero_out: 1\n"))
    assert solve(compile_chain(m)).outcomes["human"] == pytest.approx(1.0)


def test_beliefs_agree_in_both_engines_with_mistakes() -> None:
    m = parse_menu((BELIEF % ', presses: ["2", "3"]').replace(
        "patience: {distribution: none}", "patience: {mean: 60}").replace(
        "  mistake_rate: 0\n  confusion: 0\n  silence: 0\n", ""))
    agree(m)


def test_the_cheat_sheet_ignores_beliefs() -> None:
    plain, told = parse_menu(BELIEF % ""), parse_menu(BELIEF % ', presses: ["2", "3"]')
    assert [(r.node, r.keys) for r in paths(plain)] == [(r.node, r.keys) for r in paths(told)]


# ------------------------------------------------------------- barge-in


def test_the_prompt_up_to_the_clause_naming_a_key() -> None:
    said = "For cards, press 2. For loans press 3, or 0 for someone."
    assert said[:named_at(said, "2")] == "For cards, press 2."
    assert said[:named_at(said, "3")] == "For cards, press 2. For loans press 3,"
    assert named_at(said, "0") == len(said) and named_at(said, "7") is None
    assert named_at("Press 10 for sales. Press 0 for someone.", "0") == 40  # not in 10
    assert named_at("For a person, press star.", "*") == 25  # the word for * in English
    assert named_at("Для оператора нажмите ноль.", "0", "ru") == 27
    assert named_at("料金は１を押してください。担当者は0を。", "1", "ja") == 13  # full width
    node = parse_menu("name: T\nstart: m\nnodes:\n  m: {kind: menu, say: For cards press 2. "
                      "For loans press 3., options: {2: a, 3: a, 9: a}}\n  a: {kind: agent}\n"
                      ).nodes["m"]
    assert heard_shares(node) == {"2": spoken_share(node.say or "", 18), "3": 1.0, "9": 1.0}
    assert 0.4 < heard_shares(node)["2"] < 0.6
    assert float(prefix_seconds(8.0, 0.5)) == 4.0


BARGE = """\
name: T
start: main
nodes:
  main: {kind: menu, say: For timetables press 1. For fares press 2. For a person press 0.,
         options: {1: tt, 2: fares, 0: desk}, on_fail: desk}
  tt: {kind: self_service}
  fares: {kind: self_service}
  desk: {kind: agent}
callers:
  intents: {t: {share: 0.5, goal: tt, barge_in: %s}, f: {share: 0.5, goal: fares, barge_in: %s}}
  patience: {distribution: none}
  mistake_rate: 0
  confusion: 0
  silence: %s
"""


SAID = "For timetables press 1. For fares press 2. For a person press 0."


def test_barging_callers_pay_the_prompt_up_to_their_option() -> None:
    # The prompt lasts what it takes to say; a barging caller pays up to "... press 1."
    # or "... press 2.", as long as that part takes to say.
    full = solve(compile_chain(parse_menu(BARGE % (0, 0, 0))))
    early = solve(compile_chain(parse_menu(BARGE % (1, 1, 0))))
    assert full.seconds == pytest.approx(seconds_of(SAID))
    assert early.seconds == pytest.approx(0.5 * seconds_of("For timetables press 1.")
                                          + 0.5 * seconds_of(SAID[:42]))


def test_barging_callers_who_heard_the_prompt_press_at_the_first_word() -> None:
    # After a silence the menu plays again: a barging caller knows its key by then.
    m = parse_menu((BARGE % (1, 1, 0.5)).replace("on_fail: desk}", "on_fail: desk, retries: 2}"))
    ex = solve(compile_chain(m))
    first, word = seconds_of("For"), seconds_of(SAID)
    # Half the callers are silent once (the whole prompt + 5 s timeout), then press at
    # the first word; of those, half are silent again and go to the desk.
    t = 0.5 * seconds_of("For timetables press 1.") + 0.5 * seconds_of(SAID[:42])
    expected = 0.5 * t + 0.5 * (word + 5 + 0.5 * first + 0.5 * (word + 5))
    assert ex.seconds == pytest.approx(expected)


def test_barge_in_agrees_in_both_engines_and_pairs_callers() -> None:
    m = parse_menu((BARGE % (0.4, 0.7, 0.02)).replace(
        "patience: {distribution: none}", "patience: {mean: 30}").replace(
        "  mistake_rate: 0\n  confusion: 0\n", ""))
    agree(m)


# ------------------------------------------------------------- the file format


def test_line_fields_load_and_write_back() -> None:
    from ivr.formats.yamlout import to_yaml
    m = parse_menu(LINE % "max_wait: 90, on_max_wait: hold, callback: {offer_after: 30, "
                          "accept: 0.4}, announce_wait: estimate")
    sales = m.nodes["sales"]
    assert (sales.max_wait, sales.on_max_wait, sales.announce_wait) == (90.0, "hold", "estimate")
    assert (sales.callback.offer_after, sales.callback.accept) == (30.0, 0.4)  # type: ignore
    assert m.nodes["cb"].agent == "sales"
    back = parse_menu(to_yaml(m))
    assert replace(back.nodes["sales"], source=sales.source) == sales
    told = parse_menu(BELIEF % ', presses: ["2", "3"]')
    assert parse_menu(to_yaml(told)).callers.intents == told.callers.intents  # type: ignore


@pytest.mark.parametrize(("field", "needle"), [
    ("max_wait: 60", "max_wait needs on_max_wait"),
    ("on_max_wait: vm", "on_max_wait needs max_wait"),
    ("max_wait: 0, on_max_wait: vm", "max_wait must be more than 0"),
    ("max_wait: 60, on_max_wait: sales", "on_max_wait leads back to the same agent"),
    ("max_wait: 60, on_max_wait: vmm", "did you mean 'vm'?"),
    ("announce_wait: soon", "neither 'estimate' nor a number"),
    ("announce_wait: -5", "announce_wait must be more than 0"),
    ("callback: {offer_after: 30}", "missing the required field 'accept'"),
    ("callback: {offer_after: 30, accept: 1.5}", "callback.accept must be at most 1"),
    ("announce_wait: 900, max_wait: 60, on_max_wait: hold",
     "the announced wait (900 s) is longer than max_wait (60 s)"),
])
def test_line_mistakes_are_one_line(field: str, needle: str) -> None:
    err = error(LINE % field)
    assert isinstance(err, LoadError) and err.node == "sales" and err.line
    text = str(err)
    assert "\n" not in text and needle in text, text
    assert text.startswith("m.yaml:") or text.startswith("<string>:")


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("goal: sales}", "goal: sales, presses: [1, x]}", "'x' is not a phone key"),
    ("goal: sales}", "goal: sales, presses: []}", "must be a non-empty list of keys"),
    ("goal: sales}", "goal: sales, barge_in: 2}", "barge_in of 'buy' must be at most 1"),
    ("cb: {kind: callback, agent: sales}", "cb: {kind: callback, agent: vm}",
     "agent 'vm' is not an agent node"),
    ("cb: {kind: callback, agent: sales}", "cb: {kind: callback, agent: sale}",
     "did you mean 'sales'?"),
])
def test_caller_and_callback_mistakes_are_one_line(old: str, new: str, needle: str) -> None:
    err = error((LINE % "max_wait: 60, on_max_wait: vm").replace(old, new))
    assert "\n" not in str(err) and needle in str(err), str(err)
    assert err.line is not None


def test_an_overloaded_line_of_callbacks_is_a_one_line_error_at_the_agent() -> None:
    m = parse_menu((LINE % "callback: {offer_after: 0, accept: 1}").replace(
        "calls_per_hour: 30", "calls_per_hour: 90").replace("patience: {mean: 150}",
                                                            "patience: {mean: 15}"))
    with pytest.raises(ConfigError) as info:
        solve(compile_chain(m))
    text = str(info.value)
    assert "\n" not in text and "'sales' is overloaded" in text
    assert text.startswith("<string>:6:3: ")


# ------------------------------------------------------------- every command shows it


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=[b for _, b in PAIRS])
def test_each_effect_from_the_command_line(before: str, after: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    a, b = str(MENUS / f"{before}.yaml"), str(MENUS / f"{after}.yaml")
    assert main(["solve", b, "--format", "json"]) == 0
    solved = json.loads(capsys.readouterr().out)
    assert main(["simulate", "--check", b, "-n", "100000"]) == 0
    capsys.readouterr()
    assert main(["compare", a, b, "-n", "30000", "--format", "json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    out = tmp_path / "r.html"
    assert main(["report", a, b, "-o", str(out), "-n", "5000"]) == 0
    page = out.read_text(encoding="utf-8")
    deltas = {m["metric"]: m["deltas"][1] for m in compared["metrics"]}
    if after == "ringout":
        assert solved["outcomes"]["voicemail"]["value"] > 0.05
        assert deltas["voicemail_rate"]["significant"] and deltas["voicemail_rate"]["value"] > 0
        assert "sent on at max wait" in page
    elif after == "callback":
        assert solved["outcomes"]["callback"]["value"] > 0.01
        assert deltas["callback_rate"]["significant"]
        assert "callback taken" in page
    elif after == "announce":
        assert solved["queues"][0]["p_balk"] > 0.9 and solved["queues"][0]["announced"] == 900
        assert deltas["abandoned_rate"]["value"] > 0.4
        assert "left on the announcement" in page
    elif after == "wording":
        assert deltas["misrouted_rate"]["value"] > 0.15
        assert "warranty presses 2, 3 (was 3, 1)" in page
    else:
        assert deltas["seconds"]["value"] < -1 and deltas["abandoned_rate"]["value"] < 0
        assert "barge_in 0.4 (was 0)" in page


def test_audit_flags_a_fifteen_minute_announcement_on_a_line_that_answers_in_seconds(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["audit", "--policy", "gethuman", str(MENUS / "announce.yaml"), "-n", "2000"])
    out = capsys.readouterr().out
    assert code == 1
    line = next(x for x in out.splitlines() if "announced 900 s; modelled wait" in x)
    assert "overstates it in" in line and "[agents]" in line


def test_callback_when_waiting_israel() -> None:
    policy = resolve(["israel-2012"])
    busy = parse_menu((MENUS / "callback_without.yaml").read_text(), "busy.yaml")
    offered = parse_menu((MENUS / "callback.yaml").read_text(), "offered.yaml")
    quiet = parse_menu((MENUS / "announce_without.yaml").read_text(), "quiet.yaml")
    verdict = {name: {v.rule: v for v in audit(m, policy, n=2000)}["callback-offer"]
               for name, m in (("busy", busy), ("offered", offered), ("quiet", quiet))}
    assert verdict["busy"].status == "failed"
    assert "no callback offered within 120 s" in verdict["busy"].evidence[0].message
    assert verdict["offered"].status == "failed"  # offered only 120 s into the line
    assert "the callback comes only" in verdict["offered"].evidence[0].message
    assert verdict["quiet"].status == "passed"  # the wait never exceeds 3 minutes
    early = parse_menu((MENUS / "callback.yaml").read_text().replace(
        "offer_after: 120", "offer_after: 60"), "early.yaml")
    assert {v.rule: v for v in audit(early, policy, n=2000)}["callback-offer"].status == \
        "passed"


def test_spain_no_cut_off() -> None:
    policy = resolve(["spain-2025"])
    cut = parse_menu((LINE % "max_wait: 60, on_max_wait: bye").replace(
        "  vm: {kind: voicemail}", "  vm: {kind: voicemail}\n  bye: {kind: hangup}"))
    kept = parse_menu(LINE % "max_wait: 60, on_max_wait: vm")
    status = {name: {v.rule: v.status for v in audit(m, policy, n=2000)}["no-cut-off"]
              for name, m in (("cut", cut), ("kept", kept))}
    assert status == {"cut": "failed", "kept": "passed"}
