"""The HTML report: self-contained, escaped, complete, and good-looking in a real browser."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image

from ivr import load_menu
from ivr.cli import main
from ivr.present.report import report_html

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "report"
DESK = DATA / "desk.yaml"
BANK = ROOT / "menus" / "bank.yaml"
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def desk_page() -> str:
    return report_html([load_menu(DESK)], files=["desk.yaml"], n=3000, seed=5)


def test_page_is_self_contained(desk_page: str) -> None:
    assert desk_page.startswith("<!DOCTYPE html>")
    assert "<script" not in desk_page.lower()
    assert "http" not in desk_page  # no link, image, font or stylesheet from anywhere
    assert not re.search(r"<link|@import|url\(", desk_page)
    sources = re.findall(r'src="([^"]*)"', desk_page)
    assert len(sources) == 5
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:4] == b"\x89PNG"
    assert all(h.startswith("#") for h in re.findall(r'href="([^"]*)"', desk_page))


def test_page_has_every_section(desk_page: str) -> None:
    for heading in ("Lint findings", "Cheat sheet", "How calls end", "By intent",
                    "Per-node funnel", "Plots"):
        assert re.search(f"<h3[^>]*>{heading}", desk_page), heading
    assert "Reached a person" in desk_page and "Gave up" in desk_page
    assert "DISCONNECT_ON_FAIL" in desk_page  # a lint finding of desk.yaml
    assert re.search(r"<h3[^>]*>Agent queues</h3>.*<td>desk</td><td class=\"num\">3</td>",
                     desk_page, re.S)  # desk is staffed
    assert "<td class=\"keys\">2, 1</td>" in desk_page  # the cheat sheet: tracking
    assert "Comparison" not in desk_page  # one menu: no comparison
    # exponential patience: the exact column is there
    assert "<th class=\"num\">exact</th>" in desk_page


def test_key_figures_are_the_simulated_ones(desk_page: str) -> None:
    from ivr.callers.chain import compile_chain
    from ivr.callers.metrics import summarize
    from ivr.callers.simulate import simulate
    s = summarize(simulate(compile_chain(load_menu(DESK)), 3000, seed=5))
    human = s.outcomes["human"]
    card = re.search(r"Reached a person</div><div class=\"value\">([^<]*)</div>"
                     r"<div class=\"ci\">([^<]*)</div>", desk_page)
    assert card is not None
    assert card.group(1) == f"{100 * human.value:.1f}%"
    assert card.group(2) == f"95% CI {100 * human.low:.1f}% – {100 * human.high:.1f}%"


def test_every_text_from_the_menu_is_escaped() -> None:
    files = [str(DATA / "hostile.yaml"), str(DATA / "hostile_b.yaml")]
    page = report_html([load_menu(f) for f in files], files=files, n=500)
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "<b>bold" not in page and "<i>person" not in page
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    assert "&lt;i&gt;person&lt;/i&gt;" in page  # the intent
    assert "alert(&#x27;changed&#x27;)" in page  # the prompt, quoted in what changed
    assert "<h2>Comparison</h2>" in page


def test_several_variants_get_the_comparison(tmp_path: Path) -> None:
    other = tmp_path / "desk_zero.yaml"
    other.write_text(DESK.read_text().replace("options: {1: hours, 2: orders, \"0\": desk}",
                                              "options: {1: hours, 2: orders}"))
    page = report_html([load_menu(DESK), load_menu(other)], n=2000,
                       files=["desk.yaml", "desk_zero.yaml"])
    assert page.index("<h2>Comparison</h2>") < page.index("id=\"menu-1\"")
    assert "reached a person" in page and "What changed in desk_zero.yaml" in page
    assert "option removed" in page or "- main: option 0" in page
    assert re.search(r'class="delta bad">-\d', page)  # fewer reach a person: worse
    assert page.count("<section class=\"menu\"") == 2


def test_menus_with_other_callers_are_shown_side_by_side() -> None:
    page = report_html([load_menu(DESK), load_menu(DATA / "hostile.yaml")], n=500)
    assert "not compared as variants" in page and "Phone menu report: 2 menus" in page
    assert "class=\"delta" not in page


# --------------------------------------------------------------------------- command

def test_report_command_writes_the_file(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(DESK), "-n", "1000", "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.rstrip().endswith("</html>") and "Help desk" in page
    assert "report.html" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left


def test_report_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(DESK), "-n", "500", "-o", "-"]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def test_report_bad_input_is_one_line_and_keeps_the_old_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    out.write_text("the previous report")
    missing = tmp_path / "nope.yaml"
    assert main(["report", str(DESK), str(missing), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.yaml" in err[0] and "Traceback" not in err[0]
    assert out.read_text() == "the previous report"
    assert main(["report", str(DESK), "-n", "500", "-o", str(tmp_path / "no" / "r.html")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot write" in err[0]


def test_report_callers_that_do_not_fit_are_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pop = tmp_path / "callers.yaml"
    pop.write_text("intents:\n  x: {share: 1, goal: desk}\n")
    out = tmp_path / "r.html"
    assert main(["report", str(DESK), str(BANK), "--callers", str(pop), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "desk" in err[0]
    assert not out.exists()


# --------------------------------------------------------------------------- browser

def browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(browser() is None, reason="no Chromium or Chrome binary on PATH "
                    "(`apt-get install chromium`; .ci/run installs it): the report is not "
                    "rendered in a browser here")
def test_report_renders_in_a_real_browser(tmp_path: Path) -> None:
    """Render the bank report in headless Chromium and check the screenshot is a page with
    content all the way down, not a blank or error page."""
    page = tmp_path / "bank.html"
    assert main(["report", str(BANK), "-n", "20000", "-o", str(page)]) == 0
    shot = tmp_path / "bank.png"
    cmd = [str(browser()), "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-dev-shm-usage", "--hide-scrollbars", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2000",
           f"--screenshot={shot}", page.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180,
                          env={**os.environ, "HOME": str(tmp_path)})
    assert shot.exists(), f"no screenshot: exit {done.returncode}\n{done.stderr[-2000:]}"
    pixels = image.imread(str(shot))[:, :, :3]
    assert pixels.shape[:2] == (2000, 1280)
    # Not blank: a white page on a grey background, with text and coloured cards.
    assert pixels.std() > 0.1
    ink = (pixels.mean(axis=2) < 0.5).mean(axis=1)  # share of dark pixels per row
    bands = np.array_split(ink, 8)
    assert all(b.max() > 0.01 for b in bands), "a blank stretch of the page"
    green = (pixels[:, :, 1] > pixels[:, :, 0] + 0.15) & (pixels[:, :, 1] > pixels[:, :, 2])
    red = (pixels[:, :, 0] > pixels[:, :, 1] + 0.25) & (pixels[:, :, 0] > pixels[:, :, 2] + 0.2)
    assert green.sum() > 500 and red.sum() > 500  # the person and gave-up colours show
    if os.environ.get("IVR_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["IVR_KEEP_SCREENSHOT"])
