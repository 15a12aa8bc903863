"""Plots: each figure shows the numbers it claims, files are reproducible, and ``ivr plot``
writes PNG and SVG or nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from ivr import load_menu
from ivr.callers.chain import HUMAN, OUTCOMES, compile_chain
from ivr.callers.exact import solve
from ivr.callers.metrics import summarize
from ivr.callers.simulate import simulate
from ivr.cli import main
from ivr.formats import parse_menu
from ivr.present import plots
from ivr.structure.topology import Topology

DATA = Path(__file__).resolve().parent / "data" / "report"
DESK = DATA / "desk.yaml"
N = 20_000


@pytest.fixture(scope="module")
def run():  # type: ignore[no-untyped-def]
    menu = load_menu(DESK)
    chain = compile_chain(menu)
    sim = simulate(chain, N, seed=7)
    return menu, chain, sim, summarize(sim)


def lines(fig: Figure) -> list:  # type: ignore[type-arg]
    return list(fig.axes[0].get_lines())


# --------------------------------------------------------------------------- figures

def test_outcome_bars_stack_to_one_per_row(run) -> None:  # type: ignore[no-untyped-def]
    _, _, _, s = run
    rows = plots.intent_rows(s)
    fig = plots.outcome_shares(rows)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    widths = np.array([[bar.get_width() for bar in c] for c in ax.containers
                       if hasattr(c, "patches")])
    assert widths.shape[1] == len(rows)
    assert np.allclose(widths.sum(axis=0), 1.0)
    labels = [c.get_label() for c in ax.containers if hasattr(c, "patches")]
    assert labels[0] == "human" and "abandoned" in labels
    top_down = sorted(zip(ax.get_yticks(), ax.get_yticklabels(), strict=True),
                      key=lambda tl: -tl[0])
    assert [t.get_text() for _, t in top_down] == [name for name, _ in rows]


def test_outcome_bars_show_the_intervals(run) -> None:  # type: ignore[no-untyped-def]
    _, _, _, s = run
    ax = plots.outcome_shares([("all", s.outcomes)]).axes[0]
    human = s.outcomes["human"]
    # The error bar of the first segment spans exactly the Wilson interval's width.
    caps = [c for c in ax.collections if c.get_segments()]
    (x0, _), (x1, _) = caps[0].get_segments()[0]
    assert x1 - x0 == pytest.approx(human.high - human.low)


def test_seconds_to_person_ends_at_the_chance_of_a_person(run) -> None:  # type: ignore[no-untyped-def]
    _, _, sim, s = run
    curve = lines(plots.seconds_to_person([("desk", sim)]))[0]
    x, y = curve.get_xdata(), curve.get_ydata()
    assert y[0] == 0 and x[0] == 0
    assert np.all(np.diff(y) >= 0) and np.all(np.diff(x) > 0)
    assert y[-1] == pytest.approx(sim.counts[:, HUMAN].sum() / N)
    assert y[-1] == pytest.approx(s.outcomes["human"].value)
    assert len(x) <= plots.MAX_POINTS + 2


def test_survival_starts_at_one_and_never_rises(run) -> None:  # type: ignore[no-untyped-def]
    _, _, sim, s = run
    still, gave_up = lines(plots.survival([("desk", sim)]))
    y = still.get_ydata()
    assert y[0] == 1.0 and np.all(np.diff(y) <= 1e-12)
    assert y[-1] == pytest.approx(0.0, abs=1e-12)  # every caller ends
    assert gave_up.get_ydata()[-1] == pytest.approx(s.outcomes["abandoned"].value)
    assert np.all(np.diff(gave_up.get_ydata()) >= 0)


def test_time_curves_overlay_one_line_per_menu(run) -> None:  # type: ignore[no-untyped-def]
    _, _, sim, _ = run
    other = simulate(compile_chain(load_menu(DESK)), 5000, seed=8)
    fig = plots.seconds_to_person([("a", sim), ("b", other)])
    curves = [ln for ln in lines(fig) if ln.get_linestyle() == "-"]
    assert [ln.get_label().split(":")[0] for ln in curves] == ["a", "b"]
    assert len(lines(plots.survival([("a", sim), ("b", other)]))) == 4


def test_long_tails_are_merged_into_few_points() -> None:
    hist = np.zeros(144_001, dtype=np.int64)
    hist[[10, 50_000, 144_000]] = 1  # the last bin is the overflow
    x, y = plots._curve(hist, 3)
    assert len(x) <= plots.MAX_POINTS + 2
    assert y[-1] == 1.0 and x[-1] == pytest.approx(144_001 * 0.1)


def test_funnel_bars_are_the_visits(run) -> None:  # type: ignore[no-untyped-def]
    _, _, _, s = run
    ax = plots.funnel_chart(s, rows=4).axes[0]
    visits, gave_up = ax.containers[:2]
    assert [b.get_width() for b in visits] == pytest.approx([f.visits for f in s.funnel[:4]])
    assert [b.get_width() for b in gave_up] == pytest.approx(
        [f.abandoned for f in s.funnel[:4]])
    assert "busiest 4 of" in ax.get_title("left")


def test_flow_simulated_matches_exact(run) -> None:  # type: ignore[no-untyped-def]
    menu, chain, sim, _ = run
    simulated, exact = plots.flow_of(sim), plots.flow_exact(chain, solve(chain))
    for node, visits in exact.visits.items():
        assert simulated.visits.get(node, 0.0) == pytest.approx(visits, abs=0.02), node
    assert exact.moves[("main", "desk")] == pytest.approx(
        simulated.moves[("main", "desk")], abs=0.02)
    assert set(exact.moves) == set(simulated.moves)
    # Callers leave main along its edges at most as often as they are there.
    out_of_main = sum(x for (a, _), x in exact.moves.items() if a == "main")
    assert out_of_main <= exact.visits["main"] + 1e-9


def _scatter(fig: Figure) -> dict[str, np.ndarray]:
    return {c.get_gid()[6:]: c.get_offsets() for c in fig.axes[0].collections
            if (c.get_gid() or "").startswith("nodes-")}


def test_heatmap_draws_every_node_by_kind_and_traffic(run) -> None:  # type: ignore[no-untyped-def]
    menu, _, sim, _ = run
    fig = plots.heatmap(menu, plots.flow_of(sim))
    drawn = _scatter(fig)
    top = Topology.of(menu)
    hangs_up = bool((top.dst == top.index["(hangup)"]).any())
    assert sum(len(v) for v in drawn.values()) == len(menu.nodes) + hangs_up
    assert len(drawn["agent"]) == 2 and len(drawn["menu"]) == 2
    # The start is leftmost; every node is one layer right of some predecessor.
    (start_x, _), = [xy for xy in drawn["menu"] if xy[0] == 0]
    assert start_x == 0
    labels = [t.get_text().split("\n")[0] for t in fig.axes[0].texts]
    assert set(menu.nodes) <= set(labels)
    assert fig.axes[1].get_ylabel() == "visits per caller"  # the colour bar


def test_heatmap_of_a_big_menu_shows_the_busiest_nodes() -> None:
    n = 40
    text = ["name: Long", "start: m0", "nodes:"]
    for i in range(n):
        text.append(f"  m{i}: {{kind: menu, say: Hi., options: {{1: m{i + 1}, '0': a{i}}}, "
                    f"on_fail: a{i}}}")
        text.append(f"  a{i}: {{kind: agent}}")
    text.append(f"  m{n}: {{kind: agent}}")
    menu = parse_menu("\n".join(text) + "\n")
    sim = simulate(compile_chain(menu), 2000, seed=1)
    fig = plots.heatmap(menu, plots.flow_of(sim), limit=12)
    assert "busiest 12 of" in fig.axes[0].get_title("left")
    assert sum(len(v) for v in _scatter(fig).values()) == 12


def test_layers_follow_the_shortest_moves_from_the_start(run) -> None:  # type: ignore[no-untyped-def]
    menu, *_ = run
    top = Topology.of(menu)
    keep = np.ones(top.n, dtype=bool)
    by_layer = plots.layers(top, menu.start, keep)
    depth = {v: d for d, vs in by_layer.items() for v in vs}
    assert by_layer[0] == [top.index["main"]]
    assert -1 not in by_layer  # every node of desk.yaml is reachable
    for s, d in zip(top.src, top.dst, strict=True):
        assert depth[int(d)] <= depth[int(s)] + 1


def test_text_from_the_menu_is_not_read_as_mathtext() -> None:
    menu = parse_menu("name: Pay $5 fee $x^2$ and $unbalanced\nstart: m\nnodes:\n"
                      "  m: {kind: menu, options: {'0': a}, on_fail: a}\n  a: {kind: agent}\n")
    sim = simulate(compile_chain(menu), 500, seed=1)
    fig = plots.heatmap(menu, plots.flow_of(sim))
    assert plots.render(fig, "png")[:4] == b"\x89PNG"
    svg = plots.render(fig, "svg")
    assert b"<svg" in svg


# --------------------------------------------------------------------------- files

def test_same_seed_gives_identical_files(run) -> None:  # type: ignore[no-untyped-def]
    menu, *_ = run

    def draw(fmt: str) -> bytes:
        sim = simulate(compile_chain(menu), 3000, seed=3)
        return plots.render(plots.heatmap(menu, plots.flow_of(sim)), fmt)

    svg = draw("svg")
    assert svg == draw("svg")
    assert b"<dc:date>" not in svg and b"matplotlib.org" not in svg
    png = draw("png")
    assert png == draw("png")
    assert b"Software" not in png


def test_no_pyplot_and_no_display_needed() -> None:
    code = ("import sys; from ivr import load_menu, compile_chain, simulate, summarize;"
            "from ivr.present import plots;"
            f"m = load_menu({str(DESK)!r}); s = simulate(compile_chain(m), 500);"
            "plots.render(plots.funnel_chart(summarize(s)));"
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["MPLBACKEND"] = "TkAgg"  # a GUI default, and no display to show it on
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)


PLOTS = ("outcomes", "seconds-to-person", "survival", "heatmap", "funnel")


def test_plot_writes_png_and_svg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figs"
    assert main(["plot", str(DESK), "-n", "2000", "-o", str(out)]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(f"desk-{p}.{fmt}" for p in PLOTS for fmt in ("png", "svg"))
    printed = capsys.readouterr().out.split()
    assert sorted(Path(p).name for p in printed) == written
    assert (out / "desk-heatmap.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (out / "desk-heatmap.svg").read_bytes()[:400]
    first = {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".svg"}
    assert main(["plot", str(DESK), "-n", "2000", "-o", str(out)]) == 0
    assert first == {p.name: p.read_bytes() for p in out.iterdir() if p.suffix == ".svg"}


def test_plot_of_several_menus_adds_the_comparison(tmp_path: Path) -> None:
    other = tmp_path / "v2" / "desk.yaml"
    other.parent.mkdir()
    other.write_text(DESK.read_text().replace("For a person press 0.", "Or press 0."))
    assert main(["plot", str(DESK), str(other), "-n", "1000", "-o", str(tmp_path / "o")]) == 0
    names = {p.name for p in (tmp_path / "o").iterdir()}
    assert {"report-desk-heatmap.png", "v2-desk-heatmap.svg", "compare-outcomes.svg",
            "compare-seconds-to-person.png", "compare-survival.png"} <= names
    assert not any(p.name.startswith(".ivr-") for p in (tmp_path / "o").iterdir())


def test_plot_bad_input_is_one_line_and_writes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: T\nstart: main\nnodes:\n  main: {kind: menu, options: {1: nowhere}}\n")
    out = tmp_path / "figs"
    assert main(["plot", str(DESK), str(bad), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.yaml" in err[0] and "nowhere" in err[0]
    assert not out.exists()


def test_plot_output_must_be_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    assert main(["plot", str(DESK), "-n", "500", "-o", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a folder" in err[0]
    assert target.read_text() == "keep me"


def test_outcome_names_cover_every_outcome() -> None:
    assert set(plots.OUTCOME_COLOURS) == set(OUTCOMES)
