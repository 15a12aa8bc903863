"""``ivr schema``: the schemas copied into a repository and the VS Code setting for them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ivr.cli import main
from ivr.cli.editor import SCHEMAS, schema_text

ROOT = Path(__file__).resolve().parent.parent


def test_write_copies_the_schemas_and_the_setting_maps_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    settings = tmp_path / ".vscode" / "settings.json"
    settings.parent.mkdir()
    settings.write_text(json.dumps({"editor.tabSize": 2,
                                    "yaml.schemas": {"other.json": ["x.yaml"]}}))
    assert main(["schema", "--write", ".vscode/ivr", "--settings", str(settings),
                 "--menus", "flows/*.yaml"]) == 0
    out = capsys.readouterr().out
    for name, _, _ in SCHEMAS:
        copy = tmp_path / ".vscode" / "ivr" / f"{name}.schema.json"
        assert copy.read_text(encoding="utf-8") == schema_text(name)
        assert copy.read_text(encoding="utf-8") == \
            (ROOT / "ivr" / "schema" / f"{name}.schema.json").read_text(encoding="utf-8")
    written = json.loads(settings.read_text(encoding="utf-8"))
    assert written["editor.tabSize"] == 2
    assert written["yaml.schemas"] == {
        "other.json": ["x.yaml"],
        "./.vscode/ivr/menu.schema.json": ["flows/*.yaml"],
        "./.vscode/ivr/journeys.schema.json": ["journeys/**/*.yaml", "journeys/**/*.yml"],
        "./.vscode/ivr/policy.schema.json": ["policies/**/*.yaml", "policies/**/*.yml"],
    }
    assert "# yaml-language-server: $schema=../.vscode/ivr/menu.schema.json" in out


def test_without_write_it_names_the_shipped_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    for name, what, _ in SCHEMAS:
        path = out.split(f"{what}: ", 1)[1].split("\n", 1)[0]
        assert Path(path).read_text(encoding="utf-8") == schema_text(name)


def test_settings_with_comments_are_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    settings = tmp_path / "settings.json"
    settings.write_text('{\n  // mine\n  "a": 1\n}\n')
    assert main(["schema", "--write", "s", "--settings", str(settings)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "settings.json" in err[0] and "by hand" in err[0]
    assert settings.read_text() == '{\n  // mine\n  "a": 1\n}\n'
    assert main(["schema", "--settings", str(settings)]) == 2  # needs --write


def test_every_shipped_file_validates_against_its_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    import yaml_rs

    for name, folder, _ in SCHEMAS:
        files = sorted((ROOT / folder).glob("*.yaml")) if folder != "policies" else sorted(
            (ROOT / "ivr" / "audit" / "policies").glob("*.yaml"))
        assert files, folder
        validator = jsonschema.Draft202012Validator(json.loads(schema_text(name)))
        for f in files:
            validator.validate(yaml_rs.loads(f.read_text(encoding="utf-8"),
                                             parse_datetime=False))
