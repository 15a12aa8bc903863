"""The JSON Schema of the native menu format (ivr/schema/menu.schema.json).

The schema is what editors use (through yaml-language-server) to check a menu while it is
typed, so it must accept every menu the loader accepts and reject what it can see is wrong:
unknown fields, a field of another kind, bad keys, values out of range. Cross-references
(unknown node ids) and shares summing to 1 are beyond JSON Schema; the loader checks those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

jsonschema = pytest.importorskip("jsonschema")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "ivr" / "schema" / "menu.schema.json"
DATA = Path(__file__).resolve().parent / "data"
VALID = sorted((DATA / "valid").glob("*.yaml"))
INVALID = sorted((DATA / "invalid").glob("*.yaml"))
# Every shipped example menu must pass the schema, the broken_* ones included: their
# defects are semantic (lint findings), not syntactic.
MENUS = sorted((ROOT / "menus").glob("*.yaml"))


# --- reading YAML the way the format defines it (YAML 1.2 core schema) -------------------


class _Yaml12Loader(yaml.SafeLoader):
    """PyYAML's safe loader restricted to the YAML 1.2 core schema.

    PyYAML implements YAML 1.1, where ``on``/``yes`` are booleans and ``18:00`` is the
    sexagesimal integer 1080; the menu format is YAML 1.2, where both are strings.
    """


_Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
]:
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_pattern), _first)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)  # YAML 1.2: "010" is ten, not octal


_Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _parse(text: str) -> Any:
    """Parse with the project's YAML 1.2 parser when it is installed, else with PyYAML."""
    try:
        import yaml_rs  # type: ignore[import-not-found]
    except ImportError:
        return yaml.load(text, Loader=_Yaml12Loader)
    return yaml_rs.loads(text)


def _key(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


def _string_keys(value: Any) -> Any:
    """Every mapping key in its string form, as the loader does before validating.

    ``1: balance`` loads with the integer key 1; the schema only ever sees ``"1"``.
    """
    if isinstance(value, dict):
        return {_key(k): _string_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_string_keys(v) for v in value]
    return value


def read_menu(path: Path) -> Any:
    return _string_keys(_parse(path.read_text(encoding="utf-8")))


# --- the schema ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Any:
    return jsonschema.Draft202012Validator(schema)


def _errors(validator: Any, instance: Any) -> list[str]:
    found = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    return ["/".join(str(p) for p in e.absolute_path) + f": {e.message}" for e in found]


def _label(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def _properties(node: Any, where: str = "#") -> Iterator[tuple[str, Any]]:
    """Every subschema that describes a named property, anywhere in the schema.

    Conditions (``if``) are left out: they select a node kind, they document nothing.
    """
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{where}/properties/{name}", sub
        for key, sub in node.items():
            if key != "if":
                yield from _properties(sub, f"{where}/{key}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            yield from _properties(sub, f"{where}/{i}")


def test_every_property_has_title_and_description(schema: dict[str, Any]) -> None:
    # Editors show these as hover help. `true` only marks a field its node kind allows.
    missing = [
        where
        for where, sub in _properties(schema)
        if not isinstance(sub, bool) and not (sub.get("title") and sub.get("description"))
    ]
    assert missing == []


def test_schema_sticks_to_keywords_editors_understand(schema: dict[str, Any]) -> None:
    # yaml-language-server validates with draft-7 semantics and silently ignores these
    # (redhat-developer/vscode-yaml#1122), so unknown fields would go unflagged in editors.
    text = json.dumps(schema)
    for keyword in (
        "unevaluatedProperties",
        "unevaluatedItems",
        "dependentRequired",
        "dependentSchemas",
        "prefixItems",
        "$dynamicRef",
    ):
        assert f'"{keyword}"' not in text, keyword


@pytest.mark.parametrize("path", VALID + MENUS, ids=_label)
def test_valid_menu_passes(path: Path, validator: Any) -> None:
    assert _errors(validator, read_menu(path)) == []


@pytest.mark.parametrize("path", INVALID, ids=_label)
def test_invalid_fixture_fails(path: Path, validator: Any) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# invalid: "), "first line must say what is wrong"
    errors = _errors(validator, read_menu(path))
    assert errors, f"schema accepted it ({first[2:]})"
    # One defect per fixture, reported once: no follow-on errors that would bury it.
    assert len(errors) == 1, errors


def test_there_are_enough_fixtures() -> None:
    assert len(VALID) >= 3
    assert len(INVALID) >= 15


def test_unquoted_digit_keys_and_quoted_star_hash(validator: Any) -> None:
    menu = _string_keys(
        _parse(
            "name: t\nstart: m\nnodes:\n  m:\n    kind: menu\n"
            '    options: {1: m, 0: m, "*": m, "#": {to: m, label: Back}}\n'
        )
    )
    assert set(menu["nodes"]["m"]["options"]) == {"1", "0", "*", "#"}
    assert _errors(validator, menu) == []


def test_yaml_1_2_scalars() -> None:
    # The reasons the fixtures are read as YAML 1.2 and not with plain yaml.safe_load.
    data = _parse("a: on\nb: yes\nc: 18:00\nd: 010\ne: true\n")
    assert data == {"a": "on", "b": "yes", "c": "18:00", "d": 10, "e": True}


def test_the_documented_schedules_pass(validator: Any) -> None:
    menu = {
        "name": "t",
        "start": "m",
        "schedules": {
            "office": {"mon-fri": "08:00-18:00", "sat": "09:00-12:00", "tz": "Europe/Tallinn"},
            "support": {"daily": "07:00-12:00, 13:00-22:00", "tz": "America/New_York"},
        },
        "nodes": {"m": {"kind": "hangup"}},
    }
    assert _errors(validator, menu) == []


# --- the schema and the loader agree -------------------------------------------------------


def _loader() -> tuple[Any, type[Exception]]:
    try:
        from ivr import IvrError, load_menu  # type: ignore[attr-defined]
    except ImportError:
        pytest.skip("ivr.load_menu is not available yet")
    return load_menu, IvrError


@pytest.mark.parametrize("path", VALID, ids=_label)
def test_loader_accepts_valid_fixture(path: Path) -> None:
    load_menu, _ = _loader()
    load_menu(path)


@pytest.mark.parametrize("path", INVALID, ids=_label)
def test_loader_rejects_invalid_fixture(path: Path) -> None:
    load_menu, error = _loader()
    with pytest.raises(error):
        load_menu(path)
