"""Every field the format docs name is explained in the JSON Schema editors read.

VS Code's YAML extension (yaml-language-server) shows a field's ``description`` on hover
and offers its ``examples``; a field the docs define but the schema does not explain is a
field a designer has to look up. So, for each format doc and its schema: every field in a
``| field |`` table of the doc is a property of the schema, and every field the doc names
(in backticks, or as a key of its examples that declare the schema) that is a property of
the schema has, wherever the schema defines it, a description and examples. A definition
counts once per place: a node's ``timeout`` defined for menus and for inputs is one place
(the kind-specific ``then`` branches of one object), an option's ``label`` and a node's
``label`` are two.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml_rs

ROOT = Path(__file__).resolve().parent.parent
FORMATS = [
    ("docs/menu-format.md", "menu"),
    ("docs/journeys.md", "journeys"),
    ("docs/audit.md", "policy"),
]
#: Markdown table rows: the first cell, when it is one backticked name.
_ROW = re.compile(r"^\|\s*`([A-Za-z_][\w-]*)`\s*\|", re.M)
_NAMED = re.compile(r"`([a-z][a-z_]*)`")


def schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (ROOT / "ivr" / "schema" / f"{name}.schema.json").read_text(encoding="utf-8"))
    return data


def definitions(node: Any, place: str = "") -> Iterator[tuple[str, str, Any]]:
    """(place, field, definition) for every property the schema defines. Conditions
    (``if``) define nothing; ``allOf``/``then``/``else`` branches define fields of the
    object they belong to, so they keep its place."""
    if isinstance(node, list):
        for item in node:
            yield from definitions(item, place)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "if":
            continue
        if key == "properties" and isinstance(value, dict):
            for field, sub in value.items():
                yield place, field, sub
                yield from definitions(sub, f"{place}/{field}")
        elif key in ("allOf", "anyOf", "oneOf", "then", "else"):
            yield from definitions(value, place)
        else:
            yield from definitions(value, f"{place}/{key}")


def explained(name: str) -> dict[tuple[str, str], dict[str, bool]]:
    """Per (place, field): whether some definition there has a description, examples."""
    out: dict[tuple[str, str], dict[str, bool]] = {}
    for place, field, sub in definitions(schema(name)):
        seen = out.setdefault((place, field), {"description": False, "examples": False})
        if isinstance(sub, dict):
            seen["description"] |= bool(sub.get("description"))
            seen["examples"] |= bool(sub.get("examples"))
    return out


def example_keys(doc: str, name: str) -> set[str]:
    """Every mapping key of the doc's YAML examples that declare this schema."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    keys: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            keys.update(str(k) for k in value)
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        if "$schema=" in block and f"{name}.schema.json" in block:
            walk(yaml_rs.loads(block))
    return keys


def table_fields(doc: str) -> set[str]:
    """Names in the first column of the doc's tables whose header says ``field``."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    names: set[str] = set()
    for table in re.split(r"\n(?!\|)", text):
        if table.lstrip().startswith("| field |"):
            names |= set(_ROW.findall(table))
    return names


@pytest.mark.parametrize(("doc", "name"), FORMATS, ids=[n for _, n in FORMATS])
def test_every_field_in_the_docs_tables_is_in_the_schema(doc: str, name: str) -> None:
    fields = {f for _, f in explained(name)}
    missing = sorted(table_fields(doc) - fields)
    assert not missing, f"{doc} documents fields {name}.schema.json does not have: {missing}"


@pytest.mark.parametrize(("doc", "name"), FORMATS, ids=[n for _, n in FORMATS])
def test_every_documented_field_has_a_description_and_examples(doc: str, name: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    named = set(_NAMED.findall(text)) | table_fields(doc) | example_keys(doc, name)
    lacking = [f"{place or '/'}: {field} has no {what}"
               for (place, field), has in sorted(explained(name).items()) if field in named
               for what in ("description", "examples") if not has[what]]
    assert not lacking, "\n".join(lacking)


def test_the_tables_are_found() -> None:
    assert {"name", "start", "timeout", "intents", "arrivals"} <= table_fields(FORMATS[0][0])
    assert {"menu", "keys", "expect", "within", "max_steps"} <= table_fields(FORMATS[1][0])
    assert {"policy", "source", "url", "rules", "check", "params", "not_covered", "why"} <= \
        example_keys(*FORMATS[2])


@pytest.mark.parametrize("name", [n for _, n in FORMATS])
def test_every_example_is_valid_where_it_stands(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    root = schema(name)
    validator = jsonschema.Draft202012Validator(root)
    count = 0
    for place, field, sub in definitions(root):
        for example in sub.get("examples", []) if isinstance(sub, dict) else []:
            errors = list(validator.evolve(schema=sub).iter_errors(example))
            assert not errors, f"{place}/{field}: {example!r}: {errors[0].message}"
            count += 1
    assert count >= 10
