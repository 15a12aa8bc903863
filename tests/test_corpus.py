"""The shared corpus of real exported flows (``../shared/corpus``, next to the repository):
every flow gets the verdict people read from it (``expected.yaml``), its gethuman audit
fails when no person can be reached, ``ivr import`` keeps its findings, and files that
are not call flows are refused with one line.

"person" is decided as ``ivr lint`` and ``ivr audit`` decide it: an error NO_PATH_TO_HUMAN
finding means "no"; "unknown" (depends on files that are not here) must not be answered
"no" and must say what is unknown (an UNRESOLVED_TARGET finding).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from ivr.audit.checks import audit
from ivr.audit.policy import resolve
from ivr.cli import main
from ivr.errors import IvrError
from ivr.formats.native import parse_menu
from ivr.formats.registry import load_any
from ivr.formats.yamlout import to_yaml
from ivr.model import Menu
from ivr.structure.lint import lint

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
EXPECTED = CORPUS / "expected.yaml"
FIXTURES = sorted(p for p in (ROOT / "tests" / "data" / "import").rglob("*")
                  if p.is_file() and p.suffix in (".json", ".xml", ".vxml", ".conf", ".yaml"))


def _expected() -> list[tuple[str, dict[str, Any]]]:
    if not EXPECTED.is_file():
        return []
    with EXPECTED.open(encoding="utf-8") as fh:
        return sorted((yaml.safe_load(fh) or {}).items())


CASES = _expected()
needs_corpus = pytest.mark.skipif(not CASES, reason=f"no shared corpus at {EXPECTED} (it "
                                  "lives next to the repository, outside it)")


def _person(value: Any) -> str:
    return {True: "yes", False: "no"}.get(value, str(value).lower())


def findings(menu: Menu) -> set[tuple[str, str, str | None]]:
    return {(f.rule, f.severity, f.node) for f in lint(menu)}


def no_person(menu: Menu) -> bool:
    return any(f.rule == "NO_PATH_TO_HUMAN" and f.severity == "error" for f in lint(menu))


def round_trip(menu: Menu, tmp: Path) -> Menu:
    """What ``ivr import FLOW -o menu.yaml`` writes, read back from another folder."""
    out = tmp / "menu.yaml"
    out.write_text(to_yaml(menu), encoding="utf-8")
    return load_any(out)


@needs_corpus
@pytest.mark.parametrize(("name", "want"), CASES, ids=[n for n, _ in CASES])
def test_corpus_flow_gets_its_verdict(name: str, want: dict[str, Any], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = CORPUS / name
    if want.get("not_a_flow"):
        with pytest.raises(IvrError) as info:
            load_any(path)
        assert "\n" not in str(info.value)
        assert main(["lint", str(path)]) == 2
        assert capsys.readouterr().err.count("\n") == 1
        return
    menu = load_any(path)
    got = findings(menu)
    person = _person(want.get("person"))
    if person == "yes":
        assert not no_person(menu), sorted(got)
    elif person == "no":
        assert no_person(menu), sorted(got)
        verdicts = audit(menu, resolve(["gethuman"]), n=2000)
        assert any(v.status == "failed" for v in verdicts), [
            (v.rule, v.status) for v in verdicts]
    else:
        assert person == "unknown"
        assert not no_person(menu) and "UNRESOLVED_TARGET" in {r for r, _, _ in got}
    if want.get("voice") is False:
        assert "NO_VOICE_ENTRY" in {r for r, _, _ in got}
    if "link" in want:  # the flow it hands calls to is read with it
        linked = str(CORPUS / want["link"])
        assert any(n.source.file == linked for n in menu.nodes.values())
    assert findings(round_trip(menu, tmp_path)) == got


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_fixture_keeps_its_findings_through_import(path: Path, tmp_path: Path) -> None:
    try:
        menu = load_any(path)
    except IvrError:
        return  # fixtures of refused input: test_import checks the one line
    again = round_trip(menu, tmp_path)
    assert findings(again) == findings(menu)
    twice = parse_menu(to_yaml(again), "twice.yaml")  # writing it again changes nothing
    assert [(n.rule, n.node, n.message) for n in twice.notes] == [
        (n.rule, n.node, n.message) for n in again.notes]


@needs_corpus
def test_a_folder_imports_to_linked_menus_that_keep_their_findings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = CORPUS / "amazon-connect"
    assert main(["import", str(folder), "-o", str(tmp_path)]) == 0
    assert "linked" in capsys.readouterr().err
    for flow in sorted(folder.glob("*.json")):
        written = tmp_path / (flow.stem + ".yaml")
        assert findings(load_any(written)) == findings(load_any(flow)), flow.name
