"""Audit policy files: every shipped policy loads, cites its source, matches its schema; bad
policy files are one-line errors with file, line and column."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from ivr.audit.checks import CHECK_FUNCTIONS
from ivr.audit.policy import (
    CHECKS,
    POLICY_DIR,
    load_policy,
    parse_policy,
    policy_schema,
    resolve,
    shipped_names,
)
from ivr.errors import ConfigError, IvrError
from ivr.formats.yamltext import parse_yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data" / "audit"
SCHEMA = ROOT / "ivr" / "schema" / "policy.schema.json"
EXPECTED = {"gethuman", "spain-2025", "iowa-hf2448", "dc-3106", "fcc-cable",
            "california-ab1609", "iso-13714"}


def test_the_promised_policies_ship() -> None:
    assert set(shipped_names()) >= EXPECTED


@pytest.mark.parametrize("name", shipped_names())
def test_every_shipped_policy_loads_and_cites_its_source(name: str) -> None:
    policy = load_policy(POLICY_DIR / f"{name}.yaml")
    assert policy.id == name, "the id matches the file name, so --policy NAME finds it"
    assert policy.citation.url.startswith(("http://", "https://"))
    assert policy.citation.title and policy.citation.status
    assert policy.rules
    text = (POLICY_DIR / f"{name}.yaml").read_text(encoding="utf-8").splitlines()
    for rule in policy.rules:
        assert rule.check in CHECKS
        assert len(rule.requires) > 20 and len(rule.interpretation) > 20, rule.id
        assert rule.section, f"{name}/{rule.id} names the section it comes from"
        # The rule's source points at its own line, for SARIF and the text report.
        assert rule.source.line is not None
        assert text[rule.source.line - 1].strip().startswith(f"{rule.id}:")


@pytest.mark.parametrize("name", shipped_names())
def test_shipped_policies_are_valid_against_the_schema(name: str) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    doc = parse_yaml((POLICY_DIR / f"{name}.yaml").read_text(encoding="utf-8"), name)
    jsonschema.Draft202012Validator(schema).validate(doc.data)


def test_schema_file_is_the_generated_schema() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == json.loads(json.dumps(policy_schema())), (
        "regenerate ivr/schema/policy.schema.json from ivr.audit.policy.policy_schema()")


def test_schema_refuses_what_the_loader_refuses() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    for name in ("unknown_check", "bad_threshold", "unknown_param", "missing_seconds"):
        doc = parse_yaml((DATA / f"{name}.yaml").read_text(encoding="utf-8"), name)
        assert list(validator.iter_errors(doc.data)), name


def test_every_check_is_implemented() -> None:
    assert set(CHECK_FUNCTIONS) == set(CHECKS)


def test_policies_ship_with_the_package(tmp_path: Path) -> None:
    """The build copies the YAML policies and their schema (package data) beside the code."""
    out = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q",
                          "build_py", "--build-lib", str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    for name in EXPECTED:
        assert (tmp_path / "ivr" / "audit" / "policies" / f"{name}.yaml").is_file()
    assert (tmp_path / "ivr" / "schema" / "policy.schema.json").is_file()
    assert (tmp_path / "ivr" / "present" / "report.css").is_file()


@pytest.mark.parametrize("file, where, words", [
    ("unknown_check.yaml", "unknown_check.yaml:6:5", "did you mean 'zero_reaches_person'?"),
    ("bad_threshold.yaml", "bad_threshold.yaml:9:27", "share must be at most 1, not 1.5"),
    ("bad_yaml.yaml", "bad_yaml.yaml:4:1", "invalid YAML"),
    ("missing_seconds.yaml", "missing_seconds.yaml:9:5", "missing the required field 'seconds'"),
    ("unknown_param.yaml", "unknown_param.yaml:9:14", "did you mean 'max'?"),
    ("lint_rule_typo.yaml", "lint_rule_typo.yaml:9:14", "did you mean 'LONG_PROMPT'?"),
])
def test_bad_policy_files_are_one_line_errors(file: str, where: str, words: str) -> None:
    with pytest.raises(IvrError) as info:
        load_policy(DATA / file)
    text = str(info.value)
    assert "\n" not in text
    assert text.startswith(str(DATA / where) + ":"), text
    assert words in text


def _policy(rules: str) -> str:
    return ("policy: t\ntitle: T\nsource: {title: S, url: 'https://example.org/'}\n"
            "rules:\n" + rules)


@pytest.mark.parametrize("rules, words", [
    ("  r:\n    check: person_within\n    requires: x\n    interpretation: y\n"
     "    params: {seconds: 60, clock: request, statistic: mean}\n",
     "statistic mean works with clock: call only"),
    ("  r:\n    check: person_within\n    requires: x\n    interpretation: y\n"
     "    params: {seconds: -5}\n", "must be more than 0"),
    ("  r:\n    check: person_within\n    requires: x\n    interpretation: y\n"
     "    params: {seconds: '60'}\n", "must be a number"),
    ("  r:\n    check: zero_reaches_person\n    requires: x\n    interpretation: y\n"
     "    params: {within: 1.5}\n", "must be a whole number"),
    ("  r:\n    check: person_on_request\n    requires: x\n    interpretation: y\n"
     "    params: {stated: yes}\n", "must be true or false"),
    ("  r:\n    check: keypad_conventions\n    requires: x\n    interpretation: y\n"
     "    params: {aspect: stars}\n", "did you mean 'star'?"),
    ("  r:\n    check: person_reachable\n    requires: x\n    interpretation: y\n"
     "    level: fatal\n", "level 'fatal' is not one of"),
    ("  r:\n    check: person_reachable\n    interpretation: y\n", "missing the required "
     "field 'requires'"),
    ("  Bad Id:\n    check: person_reachable\n    requires: x\n    interpretation: y\n",
     "is not a plain lower-case name"),
    ("  r:\n    check: person_reachable\n    requires: x\n    interpretation: y\n"
     "    param: {from: start}\n", "did you mean 'params'?"),
])
def test_bad_rules_name_the_line(rules: str, words: str) -> None:
    with pytest.raises(IvrError) as info:
        parse_policy(_policy(rules), "p.yaml")
    assert words in str(info.value)
    assert re.match(r"p\.yaml:\d+:\d+: ", str(info.value)), str(info.value)


def test_a_policy_needs_a_web_address() -> None:
    text = _policy("  r: {check: person_reachable, requires: x, interpretation: y}\n")
    with pytest.raises(IvrError, match="not a web address"):
        parse_policy(text.replace("https://example.org/", "example.org"), "p.yaml")


def test_resolve_by_name_file_and_all() -> None:
    assert [p.id for p in resolve(["gethuman"])] == ["gethuman"]
    assert [p.id for p in resolve([str(DATA / "custom.yaml")])] == ["house-rules"]
    every = resolve(["all", "gethuman"])
    assert [p.id for p in every] == shipped_names()
    with pytest.raises(ConfigError, match="did you mean 'gethuman'"):
        resolve(["gethumn"])


def test_two_policies_with_one_id_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "gethuman-copy.yaml"
    copy.write_text((POLICY_DIR / "gethuman.yaml").read_text(encoding="utf-8"))
    with pytest.raises(ConfigError, match="two policies are named 'gethuman'"):
        resolve(["gethuman", str(copy)])


def test_defaults_fill_the_parameters() -> None:
    p = parse_policy(_policy("  r: {check: share_within, requires: x, interpretation: y, "
                             "params: {seconds: 180, share: 0.95}}\n"), "p.yaml")
    assert dict(p.rules[0].params) == {"seconds": 180.0, "share": 0.95, "clock": "call",
                                       "hours": "every",
                                       "business_hours": "mon-fri 09:00-17:00"}
    assert p.rules[0].level == "error"
    assert p.rules[0].title == CHECKS["share_within"].summary


def test_hours_and_purpose_are_checked() -> None:
    p = parse_policy(_policy("  r: {check: person_reachable, requires: x, interpretation: y, "
                             "params: {hours: business, business_hours: "
                             "'mon-fri 08:00-18:00; sat 09:00-12:00'}}\n"), "p.yaml")
    assert p.rules[0].params["hours"] == "business"
    assert p.purpose is None
    with pytest.raises(IvrError, match="cannot read 'weekdays' as hours of the week"):
        parse_policy(_policy("  r: {check: person_reachable, requires: x, interpretation: "
                             "y, params: {business_hours: weekdays}}\n"), "p.yaml")
    with pytest.raises(IvrError, match="'always' is not one of: every, open, business"):
        parse_policy(_policy("  r: {check: person_reachable, requires: x, interpretation: "
                             "y, params: {hours: always}}\n"), "p.yaml")
    text = _policy("  r: {check: lint_rule, requires: x, interpretation: y, "
                   "params: {rule: TRAP}}\n")
    with pytest.raises(IvrError, match="purpose: person, but no rule checks a person"):
        parse_policy(text.replace("rules:", "purpose: person\nrules:"), "p.yaml")
    with pytest.raises(IvrError, match="purpose 'people' is not one of: person"):
        parse_policy(text.replace("rules:", "purpose: people\nrules:"), "p.yaml")
