"""Start-up: what each command imports, so the gain cannot silently erode.

A linter runs on every save and every commit: ``ivr --version`` and ``ivr lint`` must not
import scipy or matplotlib (a third of a second and more), and ``ivr solve`` of a menu
people write must not import what only large chains or other commands need. Each command
runs in a fresh interpreter, which reports the modules it ended with. (The times
themselves are measured by ``make bench``: tests make no timed assertions.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.cli import MODULES, build_parser

ROOT = Path(__file__).resolve().parent.parent
BANK = str(ROOT / "menus" / "bank.yaml")

#: Runs ``ivr ARGS`` as the console script does, then writes the loaded modules to a file
#: (at exit, so ``--version``, which exits inside argparse, reports too).
DRIVER = """
import atexit, json, sys
def report():
    with open(sys.argv[1], "w") as fh:
        json.dump(sorted(sys.modules), fh)
atexit.register(report)
from ivr.cli import main
sys.exit(main(sys.argv[2:]))
"""


def modules_after(tmp_path: Path, *args: str) -> set[str]:
    out = tmp_path / "modules.json"
    done = subprocess.run([sys.executable, "-c", DRIVER, str(out), *args], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode in (0, 1), done.stderr
    loaded: list[str] = json.loads(out.read_text())
    return set(loaded)


def under(loaded: set[str], *packages: str) -> list[str]:
    return sorted(m for m in loaded if m.split(".")[0] in packages or m in packages
                  or any(m.startswith(p + ".") for p in packages))


@pytest.mark.parametrize("args", [("--version",), ("lint", BANK), ("paths", BANK)],
                         ids=["version", "lint", "paths"])
def test_version_lint_and_paths_import_neither_scipy_nor_matplotlib(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    loaded = modules_after(tmp_path, *args)
    assert under(loaded, "scipy", "matplotlib") == []
    assert under(loaded, "networkx") == []
    assert under(loaded, "wcwidth") == []  # an English menu pads without it


def test_version_imports_no_command(tmp_path: Path) -> None:
    loaded = modules_after(tmp_path, "--version")
    assert under(loaded, "numpy", "yaml") == []
    assert [m for m in loaded if m.startswith("ivr.") and m != "ivr.errors"] == ["ivr.cli"]


def test_solve_of_a_small_menu_imports_only_scipy_sparse(tmp_path: Path) -> None:
    loaded = modules_after(tmp_path, "solve", BANK)
    assert "scipy.sparse" in loaded
    assert under(loaded, "scipy.stats", "scipy.sparse.linalg", "scipy.sparse.csgraph",
                 "scipy.special", "matplotlib", "networkx") == []


def test_the_command_table_names_what_each_module_registers() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if hasattr(a, "choices") and a.choices)
    assert list(sub.choices) == [c for _, commands in MODULES for c in commands]
    for module, commands in MODULES:
        for command in commands:
            func = sub.choices[command].get_default("func")
            assert func.__module__ == f"ivr.cli.{module}", command
