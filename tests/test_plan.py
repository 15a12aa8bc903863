"""What it takes and what if: hourly staffing, the open-queue solve, staffing searches and
sweeps (``ivr staff``, ``ivr sweep``)."""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_behaviour import LINE  # a menu whose lines take rules (sales, support)

from ivr.callers.chain import compile_chain
from ivr.callers.exact import solve
from ivr.callers.metrics import agreement, summarize, summarize_exact
from ivr.callers.ports import Ports
from ivr.callers.simulate import simulate
from ivr.cli import main
from ivr.errors import ConfigError, IvrError
from ivr.formats import parse_menu
from ivr.formats.registry import load_any
from ivr.formats.yamlout import to_yaml
from ivr.model import Staff
from ivr.plan.grid import parse_vary
from ivr.plan.staffing import _fewest, parse_target, staff
from ivr.plan.sweep import grid_of, run
from ivr.queueing.erlang import offered_wait

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "menus" / "bank.yaml"


def menu(text: str):  # noqa: ANN201
    return parse_menu(textwrap.dedent(text))


def desk(agents: int, handle: float, patience: str, calls: float):  # noqa: ANN201
    """One staffed agent and nothing before it."""
    return menu(f"""\
        name: T
        start: desk
        nodes:
          desk: {{kind: agent, staff: {{agents: {agents}, handle_time: {handle}}}}}
        callers:
          intents: {{talk: {{share: 1, goal: desk}}}}
          patience: {patience}
          calls_per_hour: {calls}
        """)


# -- hourly staffing ----------------------------------------------------------------------

SHIFTS = """\
name: T
start: main
schedules: {office: {mon-fri: "08:00-18:00", tz: Europe/Madrid}}
nodes:
  main: {kind: menu, say: For sales press 1., options: {1: sales, 0: sales}}
  sales:
    kind: agent
    schedule: office
    closed: vm
    staff:
      handle_time: 240
      hourly:
        mon-fri: [0,0,0,0,0,0,0,0,3,5,6,6,5,4,5,6,5,3,0,0,0,0,0,0]
        sat-sun: [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]
  vm: {kind: voicemail}
callers:
  intents: {buy: {share: 1, goal: sales}}
  patience: {mean: 150}
  calls_per_hour: 25
  arrivals: {hourly: [0,0,0,0,0,0,0,1,3,5,6,6,5,4,5,6,5,3,2,1,1,0,0,0]}
"""


def test_hourly_staff_is_read_written_and_solved_hour_by_hour() -> None:
    m = menu(SHIFTS)
    st_ = m.nodes["sales"].staff
    assert st_ is not None and st_.agents == 6 and st_.hourly is not None
    assert st_.week()[8] == 3 and st_.week()[10] == 6 and st_.week()[24 * 5 + 10] == 0
    again = parse_menu(to_yaml(m))
    assert again.nodes["sales"].staff == st_
    chain = compile_chain(m)
    q = solve(chain).queues
    assert q is not None
    # One segment per number of agents: the queue's agents follow the hours.
    assert {3, 4, 5, 6} <= set(q.seg_agents[0][q.calls[0] > 0].tolist())
    # The engines agree with the agents changing over the day.
    rows = agreement(summarize(simulate(chain, 200_000, seed=5)),
                     summarize_exact(chain, solve(chain)))
    assert max(abs(r.z) for r in rows) < 4.5


def test_more_agents_in_the_busy_hours_lose_fewer_callers() -> None:
    flat = menu(SHIFTS.replace("hourly:\n        mon-fri: [0,0,0,0,0,0,0,0,3,5,6,6,5,4,5,6,5,"
                               "3,0,0,0,0,0,0]\n        sat-sun: [0,0,0,0,0,0,0,0,0,0,0,0,0,"
                               "0,0,0,0,0,0,0,0,0,0,0]", "agents: 3"))
    assert flat.nodes["sales"].staff == Staff(3, 240.0)
    lost = [solve(compile_chain(m)).outcomes["abandoned"] for m in (flat, menu(SHIFTS))]
    assert lost[1] < lost[0]


@pytest.mark.parametrize(("change", "message"), [
    ("mon-fri: [0,0,0,0,0,0,0,0,3,5,6,6,5,4,5,6,5,3,0,0,0,0,0,0]\n"
     "        sat-sun: [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]",
     None),
    ("mon-fri: [0,0,0,0,0,0,0,0,3,5,6,6,5,4,5,6,5,3,0,0,0,0,0,0]",
     "staff.hourly does not give sat"),
    ("mon-fri: [1,2]\n        sat-sun: [0]", "staff for mon-fri need 24 hourly agent counts"),
    ("mon-fri: [0,0,0,0,0,0,0,0,3,5,6,6,5,4,5,6,5,3,0,0,0,0,0,0]\n"
     "        sat-sun: [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,-1]",
     "agents at 23:00 must be at least 0"),
])
def test_hourly_staff_mistakes_are_one_line(change: str, message: str | None) -> None:
    text = SHIFTS.replace(
        "mon-fri: [0,0,0,0,0,0,0,0,3,5,6,6,5,4,5,6,5,3,0,0,0,0,0,0]\n"
        "        sat-sun: [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]", change)
    if message is None:
        parse_menu(text)
        return
    with pytest.raises(IvrError) as info:
        parse_menu(text)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert "<string>:" in str(info.value)


def test_nobody_answering_while_calls_arrive_is_one_line() -> None:
    # The office opens at 08:00 but the staff starts at 09:00.
    text = SHIFTS.replace("[0,0,0,0,0,0,0,0,3,5", "[0,0,0,0,0,0,0,0,0,5")
    with pytest.raises(ConfigError) as info:
        solve(compile_chain(parse_menu(text)))
    assert "nobody answers the calls that reach 'sales' on mon 08:00" in str(info.value)


# -- the open-queue solve equals the full solve -------------------------------------------

EXAMPLES = sorted((ROOT / "menus").glob("*.yaml")) + \
    sorted((ROOT / "menus" / "behaviour").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_ports_give_the_full_solution_on_every_example(path: Path) -> None:
    chain = compile_chain(load_any(path))
    try:
        full = solve(chain)
    except IvrError:
        pytest.skip("the exact solution does not apply")
    f = Ports(chain).evaluate()
    for o, p in full.outcomes.items():
        assert f.outcomes[o] == pytest.approx(p, abs=1e-12)
    for name in ("human_seconds", "human_seconds_sd", "human_steps", "seconds", "steps"):
        a, b = getattr(f, name), getattr(full, name)
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9, abs=1e-9)
    for i, row in full.by_intent.items():
        for o, p in row.items():
            assert f.by_intent[i][o] == pytest.approx(p, abs=1e-12)
    figs = {q.node: q for q in full.queues.figures()} if full.queues else {}
    for k, name in enumerate(f.queues):
        if name in figs:
            assert f.asa[k] == pytest.approx(figs[name].asa, rel=1e-9, abs=1e-12)
            assert f.service_level[k] == pytest.approx(figs[name].service_level, abs=1e-12)
            assert f.occupancy[k] == pytest.approx(figs[name].occupancy, abs=1e-12)




@settings(max_examples=25, deadline=None)
@given(rules=st.sampled_from(["max_wait: 60, on_max_wait: vm",
                              "callback: {offer_after: 45, accept: 0.6}",
                              "announce_wait: estimate",
                              "max_wait: 40, on_max_wait: hold"]),
       sales=st.integers(1, 6), support=st.integers(1, 6),
       volume=st.floats(5, 60))
# Found on a fresh draw: callback takers never leave a 1-agent line at 15 calls/h.
@example(rules="callback: {offer_after: 45, accept: 0.6}", sales=1, support=1, volume=57.0)
def test_any_staffing_and_volume_equal_the_full_solve(rules: str, sales: int, support: int,
                                                      volume: float) -> None:
    m = parse_menu(LINE % rules)
    ports = Ports(compile_chain(m))
    nodes = dict(m.nodes)
    nodes["sales"] = replace(nodes["sales"], staff=Staff(sales, 240.0))
    nodes["support"] = replace(nodes["support"], staff=Staff(support, 300.0))
    assert m.callers is not None
    other = replace(m, nodes=nodes, callers=replace(m.callers, calls_per_hour=volume))
    try:
        full = solve(compile_chain(other))
    except ConfigError as exc:  # a line that can never empty (callback takers stay)
        assert "overloaded" in str(exc)
        with pytest.raises(ConfigError, match="overloaded"):
            ports.evaluate({"sales": Staff(sales, 240.0), "support": Staff(support, 300.0)},
                           volume)
        return
    f = ports.evaluate({"sales": Staff(sales, 240.0), "support": Staff(support, 300.0)},
                       volume)
    for o, p in full.outcomes.items():
        assert f.outcomes[o] == pytest.approx(p, abs=1e-9)
    assert f.human_seconds == pytest.approx(full.human_seconds, rel=1e-7)
    assert f.seconds == pytest.approx(full.seconds, rel=1e-7)
    assert ports.fast == ("hold" not in rules)


# -- staffing ---------------------------------------------------------------------------

def test_fewest_is_the_smallest_that_holds() -> None:
    for need in range(1, 60):
        for guess in (1, 5, need, 40, 70):
            assert _fewest(lambda n, need=need: n >= need, guess, 80) == (True, need)
    assert _fewest(lambda n: False, 3, 10) == (False, 10)


@settings(max_examples=40, deadline=None)
@given(calls=st.floats(5, 400), handle=st.floats(30, 900), patience=st.sampled_from(
    [None, 60.0, 300.0]), share=st.sampled_from([0.8, 0.9, 0.95]),
    seconds=st.sampled_from([10.0, 20.0, 60.0, 180.0]))
def test_staffing_matches_brute_force(calls: float, handle: float, patience: float | None,
                                      share: float, seconds: float) -> None:
    pat = "{distribution: none}" if patience is None else f"{{mean: {patience}}}"
    # Erlang C: give enough agents that the menu's own line is not overloaded.
    m = desk(math.floor(calls * handle / 3600) + 1, handle, pat, calls)
    plan = staff(m, [parse_target(f"{share:.0%} within {seconds:g} s")], n=1000, seed=1)
    theta = 0.0 if patience is None else 1.0 / patience
    brute = next(n for n in range(1, 500)
                 if (n > calls * handle / 3600 or theta > 0)
                 and offered_wait(calls / 3600, n, 1 / handle, theta)
                 .answered_within(seconds) >= share)
    assert {h.needed for h in plan.hours} == {brute}


def test_published_erlang_c_staffing() -> None:
    # 100 calls in 30 minutes, 3-minute calls, 80% answered within 20 s: 14 agents
    # (service level 0.88835, P(wait) 0.17413), as pyworkforce's ErlangC example and the
    # CRAN ErlangC package's calculate_agents give.
    m = desk(20, 180, "{distribution: none}", 200)
    plan = staff(m, [parse_target("80% within 20 s")], n=1000, seed=1)
    (hour, *_) = plan.hours
    assert hour.needed == 14 and hour.now == 20
    assert hour.level == pytest.approx(0.88835, abs=5e-6)
    w = offered_wait(200 / 3600, 14, 1 / 180, 0.0)
    assert w.p_wait == pytest.approx(0.1741319, abs=1e-7)


def test_staff_then_audit_passes_the_three_minutes_rule(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "helpdesk_staffed.yaml"
    menu_file = ROOT / "tests" / "data" / "plan" / "helpdesk.yaml"
    assert main(["audit", "--policy", "spain-2025", str(menu_file)]) == 1  # too few agents
    capsys.readouterr()
    assert main(["staff", str(menu_file), "--policy", "spain-2025", "--write", str(out)]) == 0
    assert "three-minutes PASS" in capsys.readouterr().out
    assert main(["audit", "--policy", "spain-2025", "--format", "json", str(out)]) == 0
    verdicts = json.loads(capsys.readouterr().out)
    rules = {v["rule"]: v["status"] for f in verdicts["files"] for v in f["verdicts"]}
    assert rules["three-minutes"] == "passed"
    staffed = load_any(out)
    assert staffed.nodes["desk"].staff.hourly is not None  # type: ignore[union-attr]
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads((ROOT / "ivr" / "schema" / "menu.schema.json").read_text())
    jsonschema.validate(yaml.safe_load(out.read_text()), schema)


def test_staffing_says_when_a_rule_cannot_pass_by_staffing(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    # The bank's service line is closed at night and Spain's rule counts every call:
    # callers who want a person at night reach a voicemail whatever the staffing.
    out = tmp_path / "bank_staffed.yaml"
    code = main(["staff", str(BANK), "--policy", "spain-2025", "--write", str(out)])
    text = capsys.readouterr().out
    assert code == 1
    assert "cannot be met by staffing: spain-2025/three-minutes: even with every line " \
        "answering at once, 60.4% of callers who want a person reach one within 180 s" in text
    assert "three-minutes FAIL" in text
    assert main(["audit", "--policy", "spain-2025", str(out)]) == 1
    capsys.readouterr()
    # The FCC's answer time is judged at the queue: staffing alone meets it.
    assert main(["staff", str(BANK), "--policy", "fcc-cable", "--write", str(out)]) == 0
    assert "fcc-cable answer-30s PASS" in capsys.readouterr().out
    assert main(["audit", "--policy", "fcc-cable", str(out)]) == 0


def test_staff_json_csv_and_plot(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["staff", str(BANK), "--policy", "fcc-cable", "--format", "json",
                 "--plot", str(tmp_path / "a.png")]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["agent_hours_needed"] > 0 and d["hours"][0]["agents_needed"] >= 1
    assert (tmp_path / "a.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["staff", str(BANK), "--target", "80% within 20 s", "--format", "csv"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert head.startswith("agent,hour,when,calls_per_hour,agents_now,agents_needed")


def test_staff_mistakes(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    assert main(["staff", str(BANK)]) == 2
    assert main(["staff", str(BANK), "--target", "fast please"]) == 2
    err = capsys.readouterr().err
    assert "--target 'fast please': say it as SHARE% within SECONDS s" in err


# -- sweeps --------------------------------------------------------------------------------

def test_vary_values_and_mistakes() -> None:
    assert parse_vary("staff.a.agents=8..16:4").values == (8, 12, 16)
    assert parse_vary("callers.patience.mean=60..300:60").values == (60, 120, 180, 240, 300)
    assert parse_vary("defaults.timeout=3,5").values == (3.0, 5.0)
    for bad, says in [("staff.a.agents=1.5", "whole numbers"), ("callers.pace=1", "not a field"),
                      ("staff.a.agents", "PATH=VALUES"), ("callers.calls_per_hour=9..1",
                                                          "not a range"),
                      ("staff.a.agents=0,4", "must be at least 1"),
                      ("callers.zero_out=1.5", "not a share"),
                      ("defaults.timeout=0", "must be above 0"),
                      # ivr.limits apply to swept values as to the menu's own
                      ("staff.a.agents=10000000000", "past ivr's limit of 100000"),
                      ("defaults.retries=5000000", "past ivr's limit of 100"),
                      ("callers.calls_per_hour=1e-300", "0 or at least 0.001"),
                      ("callers.patience.mean=1e9", "past ivr's limit of 86400"),
                      ("defaults.timeout=1e-300", "at least 0.001 s")]:
        with pytest.raises(ConfigError) as info:
            parse_vary(bad)
        assert says in str(info.value)


def _bank_grid():  # noqa: ANN202
    m = load_any(BANK)
    return grid_of([("bank", m)], [parse_vary("staff.service_agent.agents=14..22:4"),
                                   parse_vary("callers.calls_per_hour=400,600"),
                                   parse_vary("callers.patience.mean=90,150")])


def test_sweep_rows_equal_the_full_solve() -> None:
    grid = _bank_grid()
    table = run(grid, executor="serial")
    assert len(table.rows) == 12 and table.tasks >= 2  # one task per chain at least
    k = table.columns.index("abandoned")
    for c, row in zip(grid, table.rows, strict=True):
        from ivr.plan.grid import apply
        m = apply(grid.menus[0], grid.varies, c.values)
        assert row[k] == pytest.approx(solve(compile_chain(m)).outcomes["abandoned"],
                                       abs=1e-12)


def test_sweep_rows_are_the_same_on_one_process_and_on_many() -> None:
    grid = _bank_grid()
    one = run(grid, executor="serial", size=5)
    many = run(grid, executor="processes", workers=2, size=2)
    assert repr(one.rows) == repr(many.rows)  # bit for bit (NaN too)


def test_simulated_combinations_are_seeded_by_themselves() -> None:
    m = load_any(ROOT / "menus" / "telecom.yaml")  # Weibull patience: simulated
    grid = grid_of([("telecom", m)], [parse_vary("callers.calls_per_hour=50,100,150")])
    a = run(grid, executor="serial", n=2000, size=1)
    b = run(grid, executor="processes", workers=2, n=2000, size=3)
    assert repr(a.rows) == repr(b.rows) and {r[a.columns.index("method")] for r in a.rows} == \
        {"simulated"}
    # The same combination in another grid: the same row.
    alone = run(grid_of([("telecom", m)], [parse_vary("callers.calls_per_hour=100")]),
                executor="serial", n=2000)
    assert repr(alone.rows[0]) == repr(a.rows[1])


def test_sweep_on_a_dask_local_cluster_gives_the_same_rows() -> None:
    distributed = pytest.importorskip("distributed")
    grid = _bank_grid()
    one = run(grid, executor="serial")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = run(grid, executor="dask", scheduler=cluster.scheduler_address, size=3)
    assert repr(on_dask.rows) == repr(one.rows) and on_dask.workers == 2


def test_sweep_cli_writes_tables_and_plots(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    args = ["sweep", str(BANK), "--vary", "staff.service_agent.agents=14,18",
            "--vary", "callers.calls_per_hour=400,600", "--executor", "serial"]
    assert main([*args, "--plot", str(tmp_path / "h.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("menu,staff.service_agent.agents,callers.calls_per_hour,method")
    assert len(lines) == 5
    assert (tmp_path / "h.png").read_bytes()[:4] == b"\x89PNG"
    assert main([*args, "-o", str(tmp_path / "t.json")]) == 0
    rows = json.loads((tmp_path / "t.json").read_text())
    assert rows[0]["method"] == "exact" and 0 < rows[0]["abandoned"] < 1
    assert main([*args, "--figure", "abandonned"]) == 2
    assert "did you mean 'abandoned'" in capsys.readouterr().err
    assert main(["sweep", str(BANK), "--vary", "staff.nobody.agents=3"]) == 2
    assert "has no node 'nobody'" in capsys.readouterr().err


def test_an_overloaded_combination_is_a_row_that_says_why() -> None:
    m = desk(20, 180, "{distribution: none}", 200)
    table = run(grid_of([("m", m)], [parse_vary("staff.desk.agents=5,20")]),
                executor="serial")
    (low, high) = table.records()
    assert low["method"] == "none" and "overloaded" in low["note"]
    assert np.isnan(low["human"]) and high["human"] == pytest.approx(1.0)


@pytest.mark.parametrize("policy", ["fcc-cable", "spain-2025"])
def test_readme_staff_examples_are_the_real_output(policy: str, tmp_path: Path,
                                                   capsys, monkeypatch) -> None:  # noqa: ANN001
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = f"$ ivr staff menus/bank.yaml --policy {policy} --write bank_staffed.yaml\n"
    block = readme.split(command, 1)[1].split("\n$ ")[0]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "menus").mkdir()
    (tmp_path / "menus" / "bank.yaml").write_text(BANK.read_text(encoding="utf-8"))
    main(["staff", "menus/bank.yaml", "--policy", policy, "--write", "bank_staffed.yaml"])
    real = capsys.readouterr().out.splitlines()
    for line in block.splitlines():
        if line.strip() and "..." not in line:
            assert line in real
