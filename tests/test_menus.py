"""The shipped example menus: the good ones lint without errors, the broken ones fail as
their ``# expect: RULE node`` comments say, and nothing else."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ivr import load_menu
from ivr.structure.lint import RULES, lint
from ivr.structure.paths import paths

MENUS = Path(__file__).resolve().parent.parent / "menus"
ALL = sorted(MENUS.glob("*.yaml"))
GOOD = [p for p in ALL if not p.name.startswith("broken_")]
BROKEN = [p for p in ALL if p.name.startswith("broken_")]
EXPECT = re.compile(r"^#\s*expect:\s*(\S+)\s+(\S+)\s*$", re.M)


def expectations(path: Path) -> set[tuple[str, str]]:
    return set(EXPECT.findall(path.read_text(encoding="utf-8")))


def test_there_are_good_and_broken_menus() -> None:
    assert len(GOOD) >= 3
    assert len(BROKEN) >= 3


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_menu_loads(path: Path) -> None:
    m = load_menu(path)
    assert m.name and m.start in m.nodes
    assert all(n.source.file == str(path) and n.source.line for n in m.nodes.values())


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_menu_has_no_error_finding(path: Path) -> None:
    errors = [f for f in lint(load_menu(path)) if f.severity == "error"]
    assert errors == []


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.name)
def test_good_menu_reaches_a_person(path: Path) -> None:
    routes = paths(load_menu(path))
    assert routes and routes[0].kind == "agent"


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_menu_states_its_expectations(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no '# expect: RULE node' line"
    m = load_menu(path)
    for rule, node in expected:
        assert rule in RULES, f"{path.name}: unknown rule {rule}"
        assert node in m.nodes, f"{path.name}: unknown node {node}"


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_menu_fails_as_expected(path: Path) -> None:
    expected = expectations(path)
    findings = lint(load_menu(path))
    got = {(f.rule, f.node) for f in findings}
    missing = expected - got
    assert not missing, f"expected but not found: {sorted(missing)}"
    stray_errors = {(f.rule, f.node) for f in findings if f.severity == "error"} - expected
    assert not stray_errors, f"unexpected errors: {sorted(stray_errors)}"
    stated = {rule for rule, _ in expected}
    elsewhere = {(f.rule, f.node) for f in findings if f.rule in stated} - expected
    assert not elsewhere, f"stated rules also fire on: {sorted(elsewhere)}"
