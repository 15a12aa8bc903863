"""Opening hours and arrivals: --at puts every call at one time (the closed route outside
hours), an hourly profile spreads calls over the week (validated, one-line errors), the
queues follow each hour's arrival rate, and solve --by-hour adds up to the whole."""

from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ivr import IvrError, load_menu, parse_menu
from ivr.callers.calendar import clock
from ivr.callers.chain import OUTCOMES, compile_chain
from ivr.callers.exact import solve
from ivr.callers.hourly import by_hour
from ivr.callers.metrics import agreement, summarize, summarize_exact
from ivr.callers.simulate import simulate
from ivr.cli import main
from ivr.week import WEEK_MINUTES, parse_at

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "schedules"
OFFICE = DATA / "office.yaml"
BY_DAY = DATA / "by_day.yaml"


# ------------------------------------------------------------------ --at


def at(menu_file: Path, when: str) -> dict[str, float]:
    m = load_menu(menu_file)
    return dict(solve(compile_chain(m, at=parse_at(when, clock(m.schedules)))).outcomes)


def test_at_outside_hours_takes_the_closed_route() -> None:
    night, day = at(OFFICE, "mon 19:30"), at(OFFICE, "mon 10:00")
    assert night["human"] == 0.0 and night["voicemail"] > 0.6
    assert day["human"] > 0.3 and day["voicemail"] == 0.0


def test_at_is_in_the_menus_clock_unless_a_zone_is_named() -> None:
    # The office is in Madrid (UTC+1 in the reference week), open until 17:00 there.
    assert at(OFFICE, "mon 16:30")["human"] > 0.3
    assert at(OFFICE, "mon 16:30") == at(OFFICE, "mon 16:30 Europe/Madrid")
    assert at(OFFICE, "mon 17:30")["human"] == 0.0
    assert at(OFFICE, "mon 15:30 UTC")["human"] > 0.3
    assert at(OFFICE, "mon 16:30 UTC")["human"] == 0.0
    assert parse_at("mon 00:30 Asia/Tokyo") == WEEK_MINUTES - 9 * 60 + 30


def test_shipped_bank_at_night_has_only_the_24_7_desk(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    assert main(["solve", "menus/bank.yaml", "--at", "sun 03:00", "--format", "json"]) == 0
    night = json.loads(capsys.readouterr().out)
    assert night["at"] == "sun 03:00 America/Chicago"
    assert [q["node"] for q in night["queues"]] == ["fraud_agent"]
    assert main(["solve", "menus/bank.yaml", "--at", "tue 11:00", "--format", "json"]) == 0
    day = json.loads(capsys.readouterr().out)
    assert len(day["queues"]) == 4
    assert night["outcomes"]["voicemail"]["value"] > day["outcomes"]["voicemail"]["value"]
    assert main(["simulate", "menus/bank.yaml", "-n", "3000", "--at", "sun 03:00"]) == 0
    assert "calls at sun 03:00 America/Chicago" in capsys.readouterr().out


@pytest.mark.parametrize("when", ["monday", "mon 7pm", "mon 24:00", "xyz 10:00",
                                  "mon 10:00 Mars/Base", "mon 10:00 UTC extra"])
def test_a_bad_at_is_one_line(when: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(OFFICE), "--at", when]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("--at: ")


# ------------------------------------------------------------------ arrival profiles


def test_the_profile_puts_calls_in_office_hours() -> None:
    m = load_menu(OFFICE)
    assert m.callers is not None and m.callers.arrivals is not None
    profiled = solve(compile_chain(m))
    flat = solve(compile_chain(m, profile=np.ones(WEEK_MINUTES)))
    assert profiled.outcomes["human"] > 2 * flat.outcomes["human"]
    wk = compile_chain(m).week
    assert wk.arrival.sum() == pytest.approx(1.0) and wk.level.mean() == pytest.approx(1.0)
    # 09:00-10:00 Madrid is 08:00-09:00 UTC; its weight 6 of a daily 62.
    assert wk.arrival[8 * 60:9 * 60].sum() == pytest.approx(6 / 62 / 7)


def test_a_by_day_profile_in_its_own_zone() -> None:
    m = load_menu(BY_DAY)
    wk = compile_chain(m).week
    assert m.callers is not None and m.callers.arrivals is not None
    assert m.callers.arrivals.tz == "UTC"
    monday_8_utc = wk.arrival[8 * 60:9 * 60].sum()
    saturday_8_utc = wk.arrival[(5 * 24 + 8) * 60:(5 * 24 + 9) * 60].sum()
    assert monday_8_utc == pytest.approx(9 * saturday_8_utc)


def test_each_hour_queues_at_its_own_arrival_rate() -> None:
    m = load_menu(OFFICE)
    chain = compile_chain(m)
    r = solve(chain)
    assert r.queues is not None
    rows = {row.hour: row for row in by_hour(chain, r)}
    busy, quiet = rows["10:00"], rows["13:00"]     # weights 9 and 5
    assert busy.asa is not None and quiet.asa is not None and busy.asa > 2 * quiet.asa
    assert busy.outcomes["abandoned"] > quiet.outcomes["abandoned"]
    rates = r.queues.calls[0][r.queues.calls[0] > 0]
    assert rates.max() / rates.min() == pytest.approx(9 / 5)   # open hours: 10:00 vs 13:00
    (fig,) = summarize_exact(chain, r).queues
    assert rates.min() < fig.calls_per_hour < rates.max()


@pytest.mark.parametrize("span", ["day", "week"])
@pytest.mark.parametrize("menu_file", [OFFICE, BY_DAY, ROOT / "menus" / "bank.yaml"])
def test_by_hour_adds_up_to_the_whole(menu_file: Path, span: str) -> None:
    chain = compile_chain(load_menu(menu_file))
    r = solve(chain)
    rows = by_hour(chain, r, span)
    assert len(rows) == (24 if span == "day" else 168)
    assert sum(row.calls for row in rows) == pytest.approx(1.0)
    for o in OUTCOMES:
        total = sum(row.calls * row.outcomes[o] for row in rows)
        assert total == pytest.approx(r.outcomes[o], abs=1e-12), o
    for row in rows:
        if row.calls > 0:
            assert sum(row.outcomes.values()) == pytest.approx(1.0)


def test_simulated_profile_and_queues_agree_with_exact() -> None:
    chain = compile_chain(load_menu(OFFICE))
    sim = summarize(simulate(chain, 200_000, seed=9))
    exact = summarize_exact(chain, solve(chain))
    for row in agreement(sim, exact):
        assert abs(row.z) < 4.5, row


def test_by_hour_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["solve", str(OFFICE), "--by-hour"]) == 0
    out = capsys.readouterr().out
    assert "by hour (Europe/Madrid)" in out and "\n  10:00 " in out
    assert main(["solve", str(OFFICE), "--by-hour", "week", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["by_hour"]
    assert data["span"] == "week" and data["tz"] == "Europe/Madrid"
    assert len(data["hours"]) == 168 and data["hours"][9]["hour"] == "mon 09:00"
    assert main(["solve", str(OFFICE), "--by-hour", "--format", "csv"]) == 0
    assert ",exact,10:00,human," in capsys.readouterr().out


BAD_PROFILES = [
    ("hourly: [1, 2, 3]", "need 24 hourly weights"),
    ("hourly: " + str([1] * 23 + [-1]), "must be at least 0"),
    ("hourly: " + str([0] * 24), "all zeros"),
    ("hourly: {mon-fri: " + str([1] * 24) + "}", "does not give sat, sun"),
    ("hourly: {daily: " + str([1] * 24) + ", sun: " + str([1] * 24) + "}", "sun is given twice"),
    ("hourly: {weekdays: " + str([1] * 24) + "}", "'weekdays' is not a day"),
    ("hourly: " + str([1] * 24) + "\n    tz: Europe/Madird", "unknown time zone"),
    ("hourly: " + str([1] * 24) + "\n    peak: 9", "unknown field 'peak'"),
    ("tz: UTC", "missing the required field 'hourly'"),
    ("hourly: " + str([1] * 23 + ["x"]), "must be a number"),
]


@pytest.mark.parametrize(("profile", "message"), BAD_PROFILES)
def test_a_bad_profile_is_one_line(profile: str, message: str, tmp_path: Any,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    text = textwrap.dedent("""\
        name: T
        start: desk
        nodes: {desk: {kind: agent}}
        callers:
          intents: {x: {share: 1, goal: desk}}
          arrivals:
            PROFILE
        """).replace("PROFILE", profile)
    f = tmp_path / "m.yaml"
    f.write_text(text)
    assert main(["solve", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith(f"{f}:"), err
    with pytest.raises(IvrError):
        parse_menu(text, "m.yaml")


def test_the_schema_knows_arrivals() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    yaml = pytest.importorskip("yaml")
    schema = json.loads((ROOT / "ivr" / "schema" / "menu.schema.json").read_text())
    check = jsonschema.Draft202012Validator(schema)
    for f in (OFFICE, BY_DAY):
        assert list(check.iter_errors(yaml.safe_load(f.read_text()))) == []
    bad = yaml.safe_load(OFFICE.read_text())
    bad["callers"]["arrivals"]["hourly"] = [1] * 23
    assert list(check.iter_errors(bad))
    bad["callers"]["arrivals"] = {"hourly": {"mon-fri": [1] * 24, "noon": [1] * 24}}
    assert list(check.iter_errors(bad))


def test_a_profile_without_calls_at_the_hour_asked_has_no_queue() -> None:
    m = load_menu(OFFICE)
    r = solve(compile_chain(m, at=parse_at("mon 03:00", clock(m.schedules))))
    assert r.queues is None or r.queues.figures() == ()
    assert not math.isnan(r.outcomes["voicemail"])


@pytest.mark.parametrize("columns", [1, 2, 5, 70])
def test_open_sets_and_segments_are_numbered_as_numpy_unique_numbers_them(columns: int) -> None:
    from ivr.callers.calendar import distinct_rows

    rng = np.random.default_rng(columns)
    grids = [rng.random((WEEK_MINUTES, columns)) < density for density in (0.05, 0.5, 0.95)]
    grids.append(np.round(rng.random((WEEK_MINUTES, columns)) * 3) / 2)  # floats, ties
    for grid in grids:
        rows, of = np.unique(grid, axis=0, return_inverse=True)
        ours, our_of = distinct_rows(grid)
        assert ours.dtype == rows.dtype and ours.tolist() == rows.tolist()
        assert our_of.tolist() == of.reshape(-1).tolist()
