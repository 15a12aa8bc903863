"""The README's promises: its example menu loads and lints clean, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

from ivr import parse_menu
from ivr.structure.lint import lint
from ivr.structure.paths import paths

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_example_menu_loads_and_has_no_errors() -> None:
    block = re.search(r"```yaml\n(# yaml-language-server.*?)```", README, re.S)
    assert block, "the README shows an example menu"
    menu = parse_menu(block.group(1), "README.md")
    assert not [f for f in lint(menu) if f.severity == "error"]
    assert paths(menu)[0].kind == "agent"


def test_quick_start_targets_exist_in_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"^make (\w+)", README, re.M):
        assert re.search(rf"^{target}:", makefile, re.M), f"make {target} is in the README"


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in README


def test_library_example_in_readme_is_true(monkeypatch, capsys) -> None:
    """The README's library example runs as written (with fewer callers)."""
    block = README.split("## As a library", 1)[1].split("```python\n", 1)[1].split("```")[0]
    monkeypatch.chdir(ROOT)
    exec(block.replace("100_000", "2_000"), {})
    lines = capsys.readouterr().out.splitlines()
    assert "0" in lines and float(lines[-2]) > 0


def test_simulate_example_in_readme_is_the_real_output() -> None:
    import subprocess
    import sys

    block = README.split("$ ivr simulate menus/bank.yaml --trace 1\n", 1)[1].split("```")[0]
    out = subprocess.run([sys.executable, "-m", "ivr.cli", "simulate", "menus/bank.yaml",
                          "--trace", "1"], capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.splitlines()
    for line in block.splitlines():
        if line.strip() and line.strip() != "...":
            assert line in out, line


def test_lint_example_in_readme_is_the_real_output() -> None:
    import subprocess
    import sys

    command = "ivr lint menus/broken_trap.yaml menus/broken_retries_hangup.yaml menus/bank.yaml"
    block = README.split(f"$ {command}\n", 1)[1].split("$ echo $?")[0]
    run = subprocess.run([sys.executable, "-m", "ivr.cli", *command.split()[1:]],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1
    assert block.splitlines() == run.stdout.splitlines()
