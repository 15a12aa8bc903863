"""What is common to every importer: detection, `ivr import` round trips, following a call
into another flow, and one clear line for bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from ivr import parse_menu
from ivr.cli import main
from ivr.formats.registry import IMPORTERS, detect, load_any
from ivr.formats.text import read_text
from ivr.formats.yamlout import to_yaml
from ivr.model import Menu, Source
from ivr.structure.lint import lint
from ivr.structure.paths import paths

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(p for p in (ROOT / "tests" / "data" / "import").rglob("*")
                  if p.is_file() and p.suffix in (".json", ".xml", ".vxml", ".conf", ".yaml"))
NOWHERE = Source("x")


def bare(menu: Menu) -> dict[str, object]:
    """Nodes without sources, to compare menus read from different files."""
    return {nid: replace(n, source=NOWHERE, options=tuple(replace(o, source=None)
                                                          for o in n.options))
            for nid, n in menu.nodes.items()}


@pytest.mark.parametrize("path", sorted((ROOT / "menus").glob("*.yaml")), ids=lambda p: p.name)
def test_native_menus_round_trip_through_the_writer(path: Path) -> None:
    menu = load_any(path)
    again = parse_menu(to_yaml(menu), "again.yaml")
    assert bare(again) == bare(menu)
    assert again.start == menu.start and again.callers == replace(
        menu.callers, source=again.callers.source) if menu.callers else True
    assert again.schedules.keys() == menu.schedules.keys()
    for name, s in menu.schedules.items():
        assert again.schedules[name].hours == s.hours


@pytest.mark.parametrize("name", ["office.yaml", "by_day.yaml"])
def test_arrival_profiles_round_trip_through_the_writer(name: str) -> None:
    menu = load_any(ROOT / "tests" / "data" / "schedules" / name)
    assert menu.callers is not None and menu.callers.arrivals is not None
    again = parse_menu(to_yaml(menu), "again.yaml")
    assert again.callers is not None and again.callers.arrivals == menu.callers.arrivals


def test_there_are_fixtures_for_every_format() -> None:
    found = {detect(read_text(p)) for p in FIXTURES}
    assert found >= {f.name for f in IMPORTERS}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_imports_to_yaml_that_loads_back(path: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "menu.yaml"
    code = main(["import", str(path), "-o", str(out)])
    err = capsys.readouterr().err
    if code == 2:  # a fixture of bad input: one line, nothing written
        assert err.count("\n") == 1 and not out.exists()
        return
    assert code == 0, err
    original = load_any(path)  # ivr import inlines the flows it hands calls to
    again = parse_menu(out.read_text(encoding="utf-8"), str(out))
    assert bare(again) == bare(original)
    assert f"({original.format})" in out.read_text(encoding="utf-8")


def test_a_transfer_to_a_flow_in_the_same_folder_is_followed(tmp_path: Path) -> None:
    (tmp_path / "front.yaml").write_text(
        "name: Front\nstart: main\nnodes:\n"
        "  main: {kind: menu, options: {1: sales, 0: desk}}\n"
        "  sales: {kind: transfer, flow: Sales line}\n"
        "  desk: {kind: transfer, flow: missing_flow}\n")
    (tmp_path / "sales.yaml").write_text(
        "name: Sales line\nstart: hello\nnodes:\n"
        "  hello: {kind: message, say: Sales., next: person}\n"
        "  person: {kind: agent}\n")
    menu = load_any(tmp_path / "front.yaml")
    assert menu.nodes["sales"].kind == "message"
    assert menu.nodes["sales"].next == "sales.hello"
    assert menu.nodes["sales.person"].source.file.endswith("sales.yaml")
    assert menu.nodes["desk"].kind == "transfer"  # not found: stays a transfer
    people = [r for r in paths(menu) if r.kind == "agent"]
    assert people and people[0].keys == "1"
    assert "NO_PATH_TO_HUMAN" not in {f.rule for f in lint(menu)}
    alone = load_any(tmp_path / "front.yaml", follow=False)
    assert "NO_PATH_TO_HUMAN" in {f.rule for f in lint(alone)}


def test_flows_that_hand_calls_to_each_other_are_inlined_once(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "name: A\nstart: m\nnodes:\n  m: {kind: menu, options: {1: to_b, 0: desk}}\n"
        "  to_b: {kind: transfer, flow: b}\n  desk: {kind: agent}\n")
    (tmp_path / "b.yaml").write_text(
        "name: B\nstart: m\nnodes:\n  m: {kind: menu, options: {9: back}}\n"
        "  back: {kind: transfer, flow: a.yaml}\n")
    menu = load_any(tmp_path / "a.yaml")
    assert set(menu.nodes) == {"m", "to_b", "desk", "b.m", "b.back"}
    assert menu.nodes["b.back"].next == "m"


@pytest.mark.parametrize("text,name,message", [
    ('{"Version": "2019-10-30", "StartAction": "a", "Actions": [', "flow.json",
     "truncated"),
    ('<?xml version="1.0"?>\n<!DOCTYPE v [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;">]>\n'
     '<vxml version="2.1"><form><block>&b;</block></form></vxml>', "bomb.vxml", "entities"),
    ('<include><menu name="m">\n<entry action="menu-exit" digits="1"/>', "cut.xml",
     "not well-formed"),
    ("[general]\nstatic=yes\n[sales]\ntype=queue\n", "queues.conf", "not a dialplan line"),
])
def test_bad_flow_files_get_one_line_and_exit_2(text: str, name: str, message: str,
                                                tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / name
    f.write_text(text)
    assert main(["lint", str(f)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and name in err
    assert message in err or (message == "truncated" and "ends early" in err), err


def test_binary_flow_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "flow.json"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert main(["import", str(f)]) == 2
    assert "binary" in capsys.readouterr().err


def test_from_forces_a_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "flow.txt"
    f.write_text(json.dumps({"name": "x", "start": "a", "nodes": {"a": {"kind": "agent"}}}))
    assert main(["paths", str(f), "--from", "native"]) == 0
    capsys.readouterr()
    assert main(["import", str(f), "--from", "twilio"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_entry_is_taken_by_every_command_that_reads_a_menu(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "m.yaml"
    f.write_text("name: M\nstart: a\nnodes:\n  a: {kind: menu, options: {1: b}}\n"
                 "  b: {kind: menu, options: {0: c}}\n  c: {kind: agent}\n")
    for argv in (["lint"], ["paths"], ["graph"], ["import"], ["simulate", "-n", "200"],
                 ["solve"], ["audit", "--policy", "gethuman", "-n", "200"],
                 ["call", "--keys", "0"], ["report", "-n", "200", "-o", str(tmp_path / "r.html")]):
        assert main([*argv, str(f), "--entry", "b"]) in (0, 1), argv
        capsys.readouterr()
    assert main(["paths", str(f), "--entry", "b"]) == 0
    assert "ending" in capsys.readouterr().out and load_any(f, entry="b").start == "b"
    assert main(["lint", str(f), "--entry", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--entry 'nope'" in err
