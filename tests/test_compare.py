"""ivr compare: paired differences with common random numbers, the structural diff, the
--fail-if gate, and the command's outputs and exit codes."""

from __future__ import annotations

import copy
import json
import math
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import valid_menus

from ivr import parse_menu
from ivr.callers.chain import OUTCOMES, compile_chain
from ivr.callers.exact import solve
from ivr.callers.metrics import Z95, summarize_exact
from ivr.callers.simulate import simulate
from ivr.cli import main
from ivr.errors import ConfigError
from ivr.formats.native import load_population
from ivr.formats.registry import load_any
from ivr.model import Menu
from ivr.present.compare import METRICS, Comparison, compare, holm, paired_delta, populations
from ivr.present.gate import evaluate, parse, parse_condition
from ivr.structure.diff import diff_menus

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "compare"
BANK = str(ROOT / "menus" / "bank.yaml")
BANK_SHORT = str(DATA / "bank_short.yaml")
DESK, DESK_ZERO = str(DATA / "desk.yaml"), str(DATA / "desk_zero.yaml")
RENAMED, IMPATIENT = str(DATA / "desk_renamed.yaml"), str(DATA / "desk_impatient.yaml")
CALLERS = str(DATA / "callers.yaml")


def load(*files: str) -> list[Menu]:
    return [load_any(f) for f in files]


def menu(text: str, file: str = "m.yaml") -> Menu:
    return parse_menu(textwrap.dedent(text), file)


@pytest.fixture(scope="module")
def bank() -> Comparison:
    return compare(load(BANK, BANK_SHORT), n=20_000)


@pytest.fixture(scope="module")
def desk() -> Comparison:
    return compare(load(DESK, DESK_ZERO), n=10_000)


# ------------------------------------------------------------------ paired differences

def test_a_menu_compared_with_itself_differs_in_nothing() -> None:
    c = compare(load(BANK, BANK), n=5_000)
    for m in c.metrics:
        assert m.values[0] == m.values[1]
        d = m.deltas[1]
        assert d is not None and m.deltas[0] is None
        assert d.value == 0 and d.low == 0 and d.high == 0, m.metric
        assert not d.significant
        assert d.exact == pytest.approx(0, abs=1e-12)
    assert not c.changes[0] and c.changes[0].lines() == []


def test_paired_interval_is_narrower_than_unpaired_on_a_real_change(bank: Comparison) -> None:
    for name in ("human_rate", "served_rate", "abandoned_rate", "seconds", "steps",
                 "human_seconds"):
        d = bank.metric(name).deltas[1]
        assert d is not None
        assert d.half < d.unpaired, name
    human = bank.metric("human_rate").deltas[1]
    assert human is not None and human.unpaired / human.half > 1.5


def test_a_shorter_menu_loses_fewer_callers(bank: Comparison) -> None:
    abandoned = bank.metric("abandoned_rate").deltas[1]
    seconds = bank.metric("seconds").deltas[1]
    assert abandoned is not None and seconds is not None
    assert abandoned.significant and abandoned.high < 0
    assert seconds.significant and seconds.high < 0


def test_adding_a_zero_to_a_person_raises_the_human_rate(desk: Comparison) -> None:
    human = desk.metric("human_rate").deltas[1]
    steps = desk.metric("human_steps").deltas[1]
    assert human is not None and steps is not None
    assert human.value > 0 and human.significant and human.exact is not None
    assert human.exact > 0
    assert steps.value < 0 and steps.significant


def _within(value: float, exact: float, half: float) -> bool:
    se = half / Z95
    return abs(value - exact) <= 4.5 * se or abs(value - exact) < 2e-3


def test_exact_differences_agree_with_the_simulated_ones(bank: Comparison,
                                                         desk: Comparison) -> None:
    for c in (bank, desk):
        for m in c.metrics:
            d = m.deltas[1]
            assert d is not None and d.exact is not None
            assert _within(d.value, d.exact, d.half), (m.metric, d)


def test_rate_differences_add_up_to_zero(bank: Comparison) -> None:
    rates = [bank.metric(f"{o}_rate").deltas[1] for o in OUTCOMES]
    assert sum(d.value for d in rates if d) == pytest.approx(0, abs=1e-12)
    assert sum(d.exact for d in rates if d and d.exact is not None) == pytest.approx(0, abs=1e-9)


def test_values_are_those_of_each_variants_summary(bank: Comparison) -> None:
    for k, v in enumerate(bank.variants):
        for o in OUTCOMES:
            assert bank.metric(f"{o}_rate").values[k] == pytest.approx(
                v.summary.outcomes[o].value, abs=1e-12)
        for name in ("seconds", "steps", "human_seconds", "human_steps"):
            assert bank.metric(name).values[k] == pytest.approx(
                getattr(v.summary, name).mean, rel=1e-9)


def test_the_paired_interval_covers_the_exact_difference_about_95_percent() -> None:
    a, b = load(BANK, BANK_SHORT)
    ca, cb = compile_chain(a), compile_chain(b)
    ea, eb = summarize_exact(ca, solve(ca)), summarize_exact(cb, solve(cb))
    truth = {"human_rate": eb.outcomes["human"].value - ea.outcomes["human"].value,
             "human_seconds": eb.human_seconds.mean - ea.human_seconds.mean,
             "seconds": eb.seconds.mean - ea.seconds.mean}
    covered = dict.fromkeys(truth, 0)
    seeds = range(40)
    for seed in seeds:
        ra = simulate(ca, 2_000, seed=seed, record=True).callers
        rb = simulate(cb, 2_000, seed=seed, record=True).callers
        assert ra is not None and rb is not None
        for name, x in truth.items():
            d = paired_delta(ra, rb, name)
            covered[name] += d.low <= x <= d.high
    for name, hits in covered.items():
        assert hits >= 0.85 * len(seeds), (name, hits)


def test_same_seed_same_numbers_other_seed_other_numbers() -> None:
    menus = load(DESK, DESK_ZERO)
    a = compare(menus, n=3_000, seed=5)
    b = compare(menus, n=3_000, seed=5)
    c = compare(menus, n=3_000, seed=6)
    assert [m.values for m in a.metrics] == [m.values for m in b.metrics]
    assert [m.deltas for m in a.metrics] == [m.deltas for m in b.metrics]
    assert [m.values for m in a.metrics] != [m.values for m in c.metrics]


def test_holm_marks_a_subset_of_the_uncorrected_differences() -> None:
    menus = load(BANK, BANK_SHORT)
    plain = compare(menus, n=5_000)
    strict = compare(menus, n=5_000, holm_correction=True)
    assert strict.holm
    flags = [(d.significant, e.significant) for m, n in zip(plain.metrics, strict.metrics,
                                                            strict=True)
             for d, e in zip(m.deltas[1:], n.deltas[1:], strict=True) if d and e]
    assert all(a or not b for a, b in flags)
    assert any(b for _, b in flags)
    assert holm([0.2, math.nan, 0.001]) == [False, False, True]


def _exponential(raw: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(raw)
    ids = list(raw["nodes"])
    callers = raw.get("callers") or {"intents": {"i0": {"share": 1.0, "goal": ids[-1]}}}
    callers["patience"] = {"distribution": "exponential", "mean": 40}
    callers.update(mistake_rate=0.1, confusion=0.2, silence=0.1, zero_out=0.3)
    raw["callers"] = callers
    return raw


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(valid_menus(), st.data())
def test_exact_and_paired_differences_agree_on_generated_variants(raw: dict[str, Any],
                                                                  data: st.DataObject) -> None:
    raw = _exponential(raw)
    variant = copy.deepcopy(raw)
    nid = data.draw(st.sampled_from(list(variant["nodes"])))
    variant["nodes"][nid]["seconds"] = data.draw(st.sampled_from([0, 3, 25]))
    a, b = parse_menu(json.dumps(raw), "a.json"), parse_menu(json.dumps(variant), "b.json")
    c = compare([a, b], n=4_000, seed=3)
    if max(c.metric("stuck_rate").values) > 1e-3:
        return  # the simulation's step cap ends loops the exact chain lets finish
    for m in c.metrics:
        d = m.deltas[1]
        assert d is not None and d.exact is not None
        if math.isfinite(d.value) and math.isfinite(d.exact):
            assert _within(d.value, d.exact, d.half), (m.metric, d)
    same = compare([a, a], n=500, seed=3)
    assert all(d.value == 0 or math.isnan(d.value)
               for m in same.metrics for d in m.deltas[1:] if d is not None)


# ------------------------------------------------------------------ the same callers

def test_a_redesign_with_other_node_ids_keeps_the_same_callers() -> None:
    c = compare(load(DESK, RENAMED), n=4_000)
    a, b = (v.summary.by_intent for v in c.variants)
    for intent in a:  # the same callers have the same intent in both variants
        assert sum(r.count or 0 for r in a[intent].values()) == \
            sum(r.count or 0 for r in b[intent].values())
    pops = populations(load(DESK, RENAMED))
    assert [i.name for i in pops[1].intents] == [i.name for i in pops[0].intents]


def test_different_callers_are_a_one_line_error() -> None:
    with pytest.raises(ConfigError, match="patience is exponential mean 20, not "
                                          "exponential mean 60") as exc:
        compare(load(DESK, IMPATIENT), n=100)
    assert "desk_impatient.yaml" in str(exc.value) and "\n" not in str(exc.value)
    a = load_any(DESK)
    assert a.callers is not None
    shares = menu("""\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"1": hours, "2": desk}}
          hours: {kind: self_service}
          desk: {kind: agent}
        callers:
          intents:
            hours: {share: 0.5, goal: hours}
            tracking: {share: 0.2, goal: hours}
            person: {share: 0.3, goal: desk}
          patience: {distribution: exponential, mean: 60}
          zero_out: 0.2
        """, "shares.yaml")
    with pytest.raises(ConfigError, match="intent 'hours' has share 0.5, not 0.4"):
        compare([a, shares], n=100)


def test_a_callers_file_serves_every_variant() -> None:
    menus = load(DESK, DESK_ZERO)
    pop = load_population(CALLERS, menus[0])
    c = compare(menus, pop, n=3_000)
    assert all(v.exact is None for v in c.variants)  # Weibull patience: simulated only
    human = c.metric("human_rate").deltas[1]
    assert human is not None and human.exact is None and human.value > 0
    with pytest.raises(ConfigError) as exc:
        compare(load(DESK, RENAMED), pop, n=100)
    text = str(exc.value)
    assert "desk_renamed.yaml" in text and "'hours'" in text and "callers.yaml" in text


def test_menus_without_callers_share_the_default_callers_when_they_fit() -> None:
    plain = """\
        name: T
        start: main
        nodes:
          main: {kind: menu, options: {"1": pay, "0": desk}}
          pay: {kind: self_service}
          desk: {kind: agent}
        """
    a = menu(plain, "a.yaml")
    b = menu(plain.replace('"0": desk', '"0": desk, "2": desk'), "b.yaml")
    c = compare([a, b], n=2_000)
    assert c.metric("human_rate").deltas[1] is not None
    other = menu(plain.replace("pay", "bill"), "c.yaml")
    with pytest.raises(ConfigError, match="goal 'pay'.*default callers of a.yaml") as exc:
        compare([a, other], n=100)
    assert "--callers" in str(exc.value) and str(exc.value).startswith("c.yaml: ")


def test_compare_needs_two_menus() -> None:
    with pytest.raises(ConfigError, match="at least two"):
        compare(load(DESK), n=100)


# ------------------------------------------------------------------ structural diff

BASE = textwrap.dedent("""\
    name: Base
    start: main
    defaults: {timeout: 5, retries: 3}
    schedules:
      office: {mon-fri: "08:00-18:00", tz: UTC}
    nodes:
      main:
        kind: menu
        say: For billing press 1. For cards press 2. To hear this again press 9.
        options: {"1": billing, "2": cards, "9": main, "0": desk}
        on_fail: desk
      billing: {kind: self_service}
      cards: {kind: message, say: Cards., next: desk}
      desk: {kind: agent, schedule: office, closed: mail}
      mail: {kind: voicemail}
    """)


def _diff(edit: str, *, replace: tuple[str, str] | None = None) -> list[str]:
    a = menu(BASE, "a.yaml")
    text = BASE if replace is None else BASE.replace(*replace)
    b = menu(text + "  " + edit if edit else text, "b.yaml")
    return diff_menus(a, b).lines()


def test_diff_detects_each_kind_of_change() -> None:
    assert _diff("") == []
    assert "+ node extra (hangup)" in _diff("extra: {kind: hangup}\n")
    assert "- node mail (voicemail)" in _diff(
        "", replace=("closed: mail}\n  mail: {kind: voicemail}", "closed: desk2}\n"
                     "  desk2: {kind: agent}"))
    assert "~ cards: kind self_service (was message)" in _diff(
        "", replace=("cards: {kind: message, say: Cards., next: desk}",
                     "cards: {kind: self_service, say: Cards.}"))
    assert "+ main: option 3 -> 'desk'" in _diff("", replace=('"0": desk}', '"0": desk, '
                                                             '"3": desk}'))
    assert "- main: option 9 (was -> 'main')" in _diff("", replace=('"9": main, ', ""))
    assert "~ main: option 2 leads to 'desk' (was 'cards')" in _diff(
        "", replace=('"2": cards', '"2": desk'))
    lines = _diff("", replace=(" To hear this again press 9.", ""))
    assert any(x.startswith("~ main: prompt 2.5 s (was 4.4 s): [-To hear this again")
               for x in lines), lines
    assert "~ main: timeout 3 (was 5)" in _diff("", replace=("on_fail: desk",
                                                             "on_fail: desk\n    timeout: 3"))
    assert "~ main: on_fail mail (was desk)" in _diff("", replace=("on_fail: desk",
                                                                   "on_fail: mail"))
    assert "~ main: retries 2 (was 3)" in _diff("", replace=("on_fail: desk",
                                                             "on_fail: desk\n    retries: 2"))
    assert _diff("", replace=("retries: 3", "retries: 2")) == ["~ defaults: retries 2 (was 3)"]
    assert "~ calls now start at 'cards' (was 'main')" in _diff(
        "", replace=("start: main", "start: cards"))
    assert any(x.startswith("~ schedule office: open") for x in _diff(
        "", replace=('"08:00-18:00"', '"08:00-20:00"')))


def test_diff_reports_new_and_fixed_findings() -> None:
    a = menu(BASE, "a.yaml")
    b = menu(BASE.replace(', "0": desk}', "}"), "b.yaml")
    d = diff_menus(a, b)
    assert [(f.rule, f.node) for f in d.findings_new] == [("NO_ZERO_OUT", "main")]
    assert not d.findings_fixed
    back = diff_menus(b, a)
    assert [(f.rule, f.node) for f in back.findings_fixed] == [("NO_ZERO_OUT", "main")]
    assert back.lines()[-1] == "- finding warning NO_ZERO_OUT [main] fixed"
    assert [c.kind for c in d.changes] == ["option removed"]


def test_the_bank_variant_diff(bank: Comparison) -> None:
    d = bank.changes[0]
    assert [(c.kind, c.node) for c in d.changes] == [
        ("option removed", "main"), ("prompt changed", "greeting"), ("prompt changed", "main")]
    assert [(f.rule, f.node) for f in d.findings_fixed] == [("LONG_PROMPT", "main")]


# ------------------------------------------------------------------ the gate

def test_gate_grammar_parses_every_form() -> None:
    c = parse_condition("human_rate < -0.02")
    assert (c.metric, c.part, c.op, c.number) == ("human_rate", "delta", "<", -0.02)
    c = parse_condition("  abandoned_rate.low>=1.5% ")
    assert (c.metric, c.part, c.op, c.number, c.percent) == ("abandoned_rate", "low", ">=",
                                                             0.015, True)
    assert parse_condition("seconds.high <= +2").part == "high"
    c = parse_condition("value( human_seconds ) > 30")
    assert (c.metric, c.part, c.number) == ("human_seconds", "value", 30.0)
    assert parse_condition("steps > .5").number == 0.5
    assert parse_condition("steps > 1e-3").number == 0.001


@pytest.mark.parametrize(("text", "says"), [
    ("human_rate", "no comparison"),
    ("human_rate = 0", "'=' is not a comparison"),
    ("human_rate == 0", "'==' is not a comparison"),
    ("0 < human_rate < 1", "more than one comparison"),
    ("humane_rate < 0", "did you mean 'human_rate'?"),
    ("human < 0", "did you mean 'human_rate'?"),
    ("human_rate.mean < 0", "unknown part 'mean'"),
    ("human_rate < lots", "'lots' is not a number"),
    ("human_rate <", "no number after '<'"),
    ("< 0.1", "no metric"),
    ("seconds > 10%", "a % is for rates"),
    ("value(secs) > 1", "unknown metric 'secs'"),
    ("human rate < 0", "'human rate' is not a metric"),
])
def test_bad_conditions_are_one_line_errors(text: str, says: str) -> None:
    with pytest.raises(ConfigError) as exc:
        parse_condition(text)
    msg = str(exc.value)
    assert says in msg and "\n" not in msg and msg.startswith("--fail-if ")


def test_gate_evaluates_differences_bounds_and_values(desk: Comparison) -> None:
    human = desk.metric("human_rate").deltas[1]
    assert human is not None and human.exact is not None
    results = evaluate(parse([
        "human_rate > 0.05",            # the exact difference is about +0.16
        "human_rate < 0",
        "human_rate.low > 0.1",
        "human_rate.high < 0.1",
        "value(human_rate) >= 35%",
        "value(stuck_rate) > 0",
    ]), desk)
    assert [r.held for r in results] == [True, False, True, False, True, False]
    first = results[0]
    assert first.observations[0].value == human.exact
    assert first.observations[0].source == "exact difference"
    assert first.line().startswith("FAIL human_rate > 0.05: ")
    assert results[1].line().startswith("pass human_rate < 0: ")
    assert results[2].observations[0].value == human.low


def test_a_figure_that_does_not_exist_never_holds() -> None:
    text = """\
        name: T
        start: main
        nodes:
          main: {kind: menu, say: Press 1., options: {"1": pay}}
          pay: {kind: self_service}
        """
    c = compare([menu(text, "a.yaml"), menu(text.replace("Press 1.", "Press one."),
                                            "b.yaml")], n=1_000)
    d = c.metric("human_seconds").deltas[1]
    assert d is not None and math.isnan(d.value) and not d.significant
    results = evaluate(parse(["human_seconds > -1000", "value(human_seconds) < 1e9"]), c)
    assert not any(r.held for r in results)


def test_json_has_null_for_figures_that_do_not_exist(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    text = ("name: T\nstart: main\nnodes:\n  main: {kind: menu, say: Press 1., options: "
            "{'1': pay}}\n  pay: {kind: self_service}\n")
    a.write_text(text)
    b.write_text(text.replace("Press 1.", "Press one now."))
    assert main(["compare", str(a), str(b), "-n", "500", "--format", "json"]) == 0

    def no_nan(word: str) -> None:
        raise AssertionError(f"{word} in JSON")
    data = json.loads(capsys.readouterr().out, parse_constant=no_nan)
    row = next(m for m in data["metrics"] if m["metric"] == "human_seconds")
    assert row["values"] == [None, None] and row["deltas"][1]["value"] is None


# ------------------------------------------------------------------ the command

def test_compare_text_output_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", DESK, DESK_ZERO, "-n", "3000"]) == 0
    out = capsys.readouterr().out
    assert "The same 3,000 simulated callers through 2 menus" in out
    assert "reached a person" in out
    assert "B - A  95% CI" in out and "Changes B vs A" in out
    assert "+ main: option 0 -> 'desk'" in out and " *" in out
    assert main(["compare", DESK, DESK_ZERO, "-n", "3000", "--fail-if",
                 "human_rate < 0", "--fail-if", "human_rate > 10%"]) == 1
    out = capsys.readouterr().out
    assert "pass human_rate < 0" in out and "FAIL human_rate > 10%" in out
    # The figure is in the unit of the table (pp) however the threshold was written.
    shown = {line.split(":")[0].split(None, 1)[1]: line for line in out.splitlines()
             if line.strip().startswith(("pass", "FAIL"))}
    assert shown["human_rate < 0"].endswith("pp (exact difference)")
    assert shown["human_rate > 10%"].endswith("pp (exact difference)")
    assert shown["human_rate < 0"].split(": ")[1] == shown["human_rate > 10%"].split(": ")[1]


def test_compare_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", DESK, DESK_ZERO, "--fail-if", "humn_rate < 0"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'human_rate'?" in err
    assert main(["compare", DESK]) == 2
    assert "at least two" in capsys.readouterr().err
    assert main(["compare", DESK, IMPATIENT, "-n", "100"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "patience" in err
    assert main(["compare", DESK, RENAMED, "--callers", CALLERS, "-n", "100"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "desk_renamed.yaml" in err and "'hours'" in err
    assert main(["compare", DESK, str(DATA / "missing.yaml")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_compare_json_and_csv(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", DESK, DESK_ZERO, RENAMED, "-n", "2000", "--format", "json",
                 "--fail-if", "value(human_rate) < 40%"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert [v["file"] for v in data["variants"]] == [DESK, DESK_ZERO, RENAMED]
    assert [m["metric"] for m in data["metrics"]] == list(METRICS)
    human = next(m for m in data["metrics"] if m["metric"] == "human_rate")
    assert human["deltas"][0] is None and human["deltas"][1]["significant"] is True
    assert len(data["changes"]) == 2 and data["failed"] is True
    assert data["gate"][0]["held"] and "FAIL value(human_rate) < 40%" in captured.err
    assert main(["compare", DESK, DESK_ZERO, "-n", "2000", "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("metric,variant,file,value,exact_value,delta,low,high")
    assert len(rows) == 1 + 2 * len(METRICS)


def test_compare_with_callers_file_and_holm(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", DESK, DESK_ZERO, "--callers", CALLERS, "-n", "2000",
                 "--holm"]) == 0
    out = capsys.readouterr().out
    assert "Holm-corrected" in out and "exact" not in out.split("Changes")[0]


def test_compare_same_seed_same_output(capsys: pytest.CaptureFixture[str]) -> None:
    main(["compare", DESK, DESK_ZERO, "-n", "2000", "--seed", "9", "--format", "json"])
    a = capsys.readouterr().out
    main(["compare", DESK, DESK_ZERO, "-n", "2000", "--seed", "9", "--format", "json"])
    assert capsys.readouterr().out == a


def test_a_callers_file_whose_goal_the_first_menu_lacks(capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    assert main(["compare", RENAMED, DESK, "--callers", CALLERS, "-n", "100"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(CALLERS) and "'hours'" in err


def test_readme_and_docs_examples_are_the_real_output(capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    command = ('ivr compare menus/bank.yaml tests/data/compare/bank_short.yaml --fail-if '
               '"human_rate < -2%"')
    monkeypatch.chdir(ROOT)
    assert main(["compare", "menus/bank.yaml", "tests/data/compare/bank_short.yaml",
                 "--fail-if", "human_rate < -2%"]) == 0
    out = capsys.readouterr().out.splitlines()
    for page in ("README.md", "docs/compare.md"):
        text = (ROOT / page).read_text(encoding="utf-8")
        block = text.split(f"$ {command}\n", 1)[1].split("```")[0]
        for line in block.splitlines():
            if line.strip() and line.strip() != "...":
                assert line in out, (page, line)
