"""Fuzzing every reader and command (issue 18): any input gets exit 0, 1 or 2, one line on
2 with file:line:col, strict JSON, finite figures in range, no warning, bounded time and
memory (tests/fuzz/harness.py says exactly what is checked).

Two kinds of inputs: schema-shaped ones (menus, callers, journeys, policies, lint configs)
with values at and past the edges of ivr.limits, odd Unicode and odd escapes; and byte and
text mutations of the shipped menus, journeys and policies and of the import fixtures.

Under ``make test`` each test runs a few dozen examples (a minute or two in all); ``make
fuzz`` (tests/fuzz/run.py) runs them with many more, in rounds with fresh seeds, for as
long as it is told, and prints how many inputs each reader and command got.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from harness import check, run
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ivr.limits import MAX_AGENTS, MAX_RETRIES, MAX_SECONDS, MIN_SECONDS
from ivr.model import KINDS

ROOT = Path(__file__).resolve().parents[2]
LONG = os.environ.get("IVR_FUZZ") == "long"
EXAMPLES = int(os.environ.get("IVR_FUZZ_EXAMPLES", "300" if LONG else "12"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, print_blob=True,
                phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no slow shrinking
                suppress_health_check=list(HealthCheck))

# -- values at the edges ----------------------------------------------------------------

EDGE_NUMBERS = [0, 1, -1, 2, 3, 0.5, 1e-300, 5e-324, 1e-9, MIN_SECONDS / 2, MIN_SECONDS,
                0.999999, 1.000001, 60, 120, MAX_SECONDS, MAX_SECONDS + 1, 1e8, 1e300,
                1.7976931348623157e308, 10**12, 10**12 + 1, 10**13, 2**31 - 1, 2**63,
                MAX_RETRIES, MAX_RETRIES + 1, MAX_AGENTS, MAX_AGENTS + 1, -0.0, 10**40]
#: Placeholders written into the text after dumping (JSON cannot say them).
SPECIAL = {"@@NAN@@": ".nan", "@@INF@@": ".inf", "@@NINF@@": "-.inf",
           "@@HUGE@@": "9" * 4400, "@@BIGF@@": "1e999"}
numbers = st.one_of(st.sampled_from(EDGE_NUMBERS), st.sampled_from(sorted(SPECIAL)),
                    st.integers(-10, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                    st.floats(0, 1))
ODD = ["\udfff", "\ud83d", "\ud83d\ude00", "\u2028", "\x85", "\t", "\r", "\ufeff", "é",
       "名前", "Ünïcödé", "#", "*", "&a", "<<", ": ", "- ", "{", "}", "'", '"', "\\"]
texts = st.one_of(st.sampled_from(ODD), st.text(max_size=12),
                  st.text(alphabet="abc_019", min_size=1, max_size=6))
scalars = st.one_of(numbers, texts, st.booleans(), st.none())
IDS = ["main", "desk", "a", "b", "c", "vm", "bye", "nowhere", "1", "main.x", "(hangup)"]
ids = st.one_of(st.sampled_from(IDS), texts)


def good_or_bad(good: st.SearchStrategy[Any], bad: bool) -> st.SearchStrategy[Any]:
    """A value within the limits (often at their edges); for a "bad" input, sometimes
    anything (so most inputs load and reach the caller model, and some do not)."""
    return st.one_of(good, good, good, scalars) if bad else good


def seconds(bad: bool) -> st.SearchStrategy[Any]:
    return good_or_bad(st.one_of(st.sampled_from([MIN_SECONDS, 0.01, 1, 5, 60, 3600,
                                                  MAX_SECONDS]),
                                 st.floats(MIN_SECONDS, MAX_SECONDS)), bad)


def retries(bad: bool) -> st.SearchStrategy[Any]:
    return good_or_bad(st.one_of(st.sampled_from([1, 2, 3, MAX_RETRIES]),
                                 st.integers(1, MAX_RETRIES)), bad)


def agents(bad: bool) -> st.SearchStrategy[Any]:
    return good_or_bad(st.one_of(st.sampled_from([1, 2, 50, MAX_AGENTS]),
                                 st.integers(1, MAX_AGENTS)), bad)


def rate(bad: bool) -> st.SearchStrategy[Any]:
    return good_or_bad(st.one_of(st.sampled_from([0, 1, 1e-300, 1e-9, 0.5, 1 - 1e-16]),
                                 st.floats(0, 1)), bad)


def calls(bad: bool) -> st.SearchStrategy[Any]:
    return good_or_bad(st.one_of(st.sampled_from([0, 1e-300, 1, 100, 5000, 1_000_000]),
                                 st.floats(0, 1_000_000)), bad)


@st.composite
def shares(draw: st.DrawFn, n: int) -> list[float]:
    """``n`` positive shares summing to 1 (some tiny, some nearly all)."""
    if n == 1:
        return [1.0]
    raw = [draw(st.sampled_from([1e-300, 1e-9, 1e-6, 1.0, 1e6])) for _ in range(n)]
    total = sum(raw)
    out = [r / total for r in raw]
    out[-1] = 1.0 - sum(out[:-1])
    return out if all(x > 0 for x in out) else [1.0 / n] * n


@st.composite
def nodes(draw: st.DrawFn, names: list[str], bad: bool) -> dict[str, Any]:
    ref = good_or_bad(st.sampled_from(names), bad)
    kind = draw(st.sampled_from([*KINDS, *KINDS, "menu", "menu", *(["bogus"] if bad else [])]))
    node: dict[str, Any] = {"kind": kind}
    if draw(st.booleans()):
        node["say"] = draw(st.one_of(texts, st.just("Press 1 for sales. " * 3)))
    if draw(st.integers(0, 3)) == 0:
        node["seconds"] = draw(st.one_of(st.just(0), seconds(bad)))
    if kind == "menu":
        keys = draw(st.lists(st.sampled_from(["0", "1", "2", "9", "*", "#", "1000",
                                              *(["x", 1, 0] if bad else [])]),
                             max_size=5, unique=True))
        node["options"] = {k: draw(st.one_of(ref, st.fixed_dictionaries(
            {"to": ref}, optional={"label": texts}))) for k in keys}
    if kind in ("menu", "input"):
        if draw(st.booleans()):
            node["timeout"] = draw(seconds(bad))
        if draw(st.booleans()):
            node["retries"] = draw(retries(bad))
        for name in ("on_fail", "on_timeout", "on_invalid"):
            if draw(st.integers(0, 2)) == 0:
                node[name] = draw(ref)
    if kind in ("message", "input") and draw(st.integers(0, 4)):
        node["next"] = draw(ref)
    if kind == "input" and draw(st.booleans()):
        node["digits"] = draw(good_or_bad(st.integers(1, 100), bad))
    if kind == "branch":
        if draw(st.integers(0, 2)):
            targets = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3,
                                    unique=True))
            node["chance"] = dict(zip(targets, draw(shares(len(targets))), strict=True))
            if bad and draw(st.integers(0, 3)) == 0:
                node["chance"][targets[0]] = draw(scalars)
        else:
            node.update(schedule=draw(good_or_bad(st.just("office"), bad)), open=draw(ref),
                        closed=draw(ref))
    if kind == "agent":
        if draw(st.booleans()):
            node["staff"] = {"agents": draw(agents(bad)), "handle_time": draw(seconds(bad))}
        if draw(st.integers(0, 3)) == 0:
            node.update(schedule="office", closed=draw(ref))
    if kind == "transfer":
        node["to"] = draw(good_or_bad(st.just("+15551234"), bad))
    if bad and draw(st.integers(0, 9)) == 0:
        node[draw(texts)] = draw(scalars)
    return node


@st.composite
def populations(draw: st.DrawFn, goals: list[str] | None = None,
                bad: bool | None = None) -> dict[str, Any]:
    if bad is None:
        bad = draw(st.integers(0, 3)) == 0
    goal = good_or_bad(st.sampled_from(goals or ["service_agent"]), bad)
    n = draw(st.integers(1, 4))
    weights = draw(shares(n))
    intents = {f"i{k}": {"share": draw(good_or_bad(st.just(weights[k]), bad)),
                         "goal": draw(st.one_of(goal, st.lists(goal, min_size=1,
                                                               max_size=3)))}
               for k in range(n)}
    pop: dict[str, Any] = {"intents": intents}
    if draw(st.booleans()):
        dist = draw(st.sampled_from(["exponential", "exponential", "weibull", "lognormal",
                                     "fixed", "none", "gamma"]))
        pop["patience"] = {"distribution": dist}
        if dist != "none":
            pop["patience"]["mean"] = draw(seconds(bad))
        if dist == "weibull":
            pop["patience"]["shape"] = draw(good_or_bad(st.floats(0.05, 50), bad))
        if dist == "lognormal":
            pop["patience"]["sd"] = draw(seconds(bad))
    for name in ("mistake_rate", "confusion", "zero_out", "silence"):
        if draw(st.integers(0, 2)) == 0:
            pop[name] = draw(rate(bad))
    if draw(st.booleans()):
        pop["calls_per_hour"] = draw(calls(bad))
    if draw(st.integers(0, 4)) == 0:
        hours = draw(st.lists(st.sampled_from([0, 1e-9, 1, 100, 1e9]), min_size=24,
                              max_size=24))
        pop["arrivals"] = {"hourly": draw(good_or_bad(st.just(hours), bad))}
    return pop


@st.composite
def menus(draw: st.DrawFn) -> dict[str, Any]:
    bad = draw(st.integers(0, 3)) == 0  # one input in four has values past the limits
    names = draw(st.lists(st.sampled_from(IDS[:7]), min_size=1, max_size=6, unique=True))
    if draw(st.integers(0, 3)):  # usually a way to a person, so the caller model runs
        names = list(dict.fromkeys(["main", "desk", *names]))
    table = {n: draw(nodes(names, bad)) for n in names}
    if "desk" in table and draw(st.integers(0, 3)):
        table["desk"] = {"kind": "agent"}
        if draw(st.booleans()):
            table["desk"]["staff"] = {"agents": draw(agents(bad)),
                                      "handle_time": draw(seconds(bad))}
    if "main" in table and draw(st.integers(0, 3)):
        table["main"] = {"kind": "menu", "say": "Press 0.",
                         "options": {"0": "desk" if "desk" in table else names[0],
                                     "1": draw(st.sampled_from(names))}}
    menu: dict[str, Any] = {"name": draw(texts if bad else st.text(max_size=12)),
                            "start": draw(good_or_bad(st.sampled_from(list(table)), bad))}
    if draw(st.integers(0, 2)) == 0:
        menu["defaults"] = {k: draw(v) for k, v in draw(st.lists(st.sampled_from(
            [("timeout", seconds(bad)), ("retries", retries(bad)),
             ("words_per_second", good_or_bad(st.floats(0.1, 100), bad))]), unique=True))}
    if draw(st.integers(0, 3)) or any("schedule" in n for n in table.values()):
        menu["schedules"] = {"office": draw(st.one_of(
            st.just({"mon-fri": "08:00-18:00", "tz": "Europe/Tallinn"}),
            st.just({"daily": "00:00-24:00", "tz": "UTC"}),
            st.just({"sun": "closed", "tz": "Asia/Tokyo"}),
            *([st.fixed_dictionaries({"mon": texts, "tz": texts})] if bad else [])))}
    menu["nodes"] = table
    if draw(st.integers(0, 3)):
        menu["callers"] = draw(populations(list(table), bad))
    return menu


def dump(data: Any, block: bool) -> str:
    """YAML text of ``data``: block style, or JSON (a YAML 1.2 subset, with escapes)."""
    text = None
    if block:
        try:
            text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        except (yaml.YAMLError, UnicodeEncodeError):
            text = None
    if text is None:
        text = json.dumps(data, ensure_ascii=not block, indent=1)
    for mark, value in SPECIAL.items():
        text = text.replace(f'"{mark}"', value).replace(f"'{mark}'", value).replace(mark, value)
    return text


def write(tmp: Path, name: str, text: str | bytes) -> str:
    path = tmp / name
    path.write_bytes(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    return str(path)


MENU_COMMANDS = [
    ["lint", "FILE"], ["paths", "FILE"], ["graph", "FILE"],
    ["graph", "--format", "mermaid", "FILE"],
    ["solve", "FILE", "--format", "json"], ["solve", "FILE"],
    ["simulate", "FILE", "-n", "300", "--format", "json"], ["simulate", "FILE", "-n", "50"],
    ["simulate", "--check", "FILE", "-n", "3000"],
    ["audit", "--policy", "all", "FILE", "-n", "100", "--format", "json"],
    ["audit", "--policy", "gethuman", "FILE", "-n", "100"],
    ["compare", "FILE", "FILE", "-n", "200", "--format", "json"],
    ["import", "FILE", "-o", "OUT"],
]
if LONG:
    MENU_COMMANDS += [["report", "FILE", "-n", "200", "-o", "OUT.html"],
                      ["simulate", "FILE", "-n", "300", "--format", "csv"]]


def run_menu_command(tmp: Path, reader: str, path: str, argv: list[str]) -> None:
    args = [path if a == "FILE" else str(tmp / ("out" + a[3:])) if a.startswith("OUT")
            else a for a in argv]
    if argv[0] == "import":
        args = [a for a in args if a != "-o" and a != str(tmp / "out")]
        args += ["-o", str(tmp / "imported.yaml")]
    r = run(args)
    check(r, reader, [path], text_output=argv[0] not in ("graph", "import"),
          json_output="--format" in argv and "json" in argv)
    if argv[0] == "simulate" and "--check" in argv and r.code == 1:
        assert "step cap decided" in r.out, f"simulate --check disagrees:\n{r.out}"
    if argv[0] == "import" and r.code == 0:  # what import writes loads back
        back = run(["lint", str(tmp / "imported.yaml")])
        check(back, "native", [str(tmp / "imported.yaml")])
        assert back.code in (0, 1), back.err
    if r.code == 2:
        leftovers = [p.name for p in tmp.iterdir() if p.name.startswith(".ivr-")]
        assert not leftovers, leftovers


@FUZZ
@given(menu=menus(), block=st.booleans(), command=st.sampled_from(MENU_COMMANDS))
def test_schema_shaped_menus(tmp_path_factory: pytest.TempPathFactory, menu: dict[str, Any],
                             block: bool, command: list[str]) -> None:
    tmp = tmp_path_factory.mktemp("m")
    path = write(tmp, "menu.yaml", dump(menu, block))
    run_menu_command(tmp, "native", path, command)


BANK = str(ROOT / "menus" / "bank.yaml")


@FUZZ
@given(pop=populations(["service_agent", "balance", "main_menu", "nope"]), block=st.booleans(),
       command=st.sampled_from([["solve", "--format", "json"],
                                ["simulate", "-n", "300", "--format", "json"],
                                ["simulate", "--check", "-n", "3000"]]))
def test_callers_files(tmp_path_factory: pytest.TempPathFactory, pop: dict[str, Any],
                       block: bool, command: list[str]) -> None:
    tmp = tmp_path_factory.mktemp("c")
    path = write(tmp, "callers.yaml", dump(pop, block))
    r = run([command[0], BANK, "--callers", path, *command[1:]])
    check(r, "callers", [path])
    if "--check" in command and r.code == 1:
        assert "step cap decided" in r.out, r.out


@st.composite
def journeys(draw: st.DrawFn) -> dict[str, Any]:
    keys = st.one_of(texts, st.lists(st.one_of(texts, numbers), max_size=6),
                     st.sampled_from(["0", "1,2", "2, 1", "wait", "1 wait 2"]), numbers)
    expect = st.fixed_dictionaries({}, optional={
        "node": st.one_of(st.sampled_from(["service_agent", "main_menu", "nope"]), scalars),
        "outcome": st.one_of(st.sampled_from(["human", "served", "abandoned", "x"]),
                             scalars),
        "within": numbers, "max_steps": numbers, "ending": scalars, "not_node": scalars})
    one = st.fixed_dictionaries({"name": texts, "expect": expect}, optional={
        "keys": keys, "at": st.one_of(texts, st.sampled_from(["mon 09:00", "sun 23:59"])),
        "seed": numbers, "then": texts,
        "branch": st.dictionaries(texts, texts, max_size=2)})
    return {"journeys": draw(st.lists(one, min_size=1, max_size=3))}


@FUZZ
@given(data=journeys(), block=st.booleans())
def test_journeys(tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any],
                  block: bool) -> None:
    tmp = tmp_path_factory.mktemp("j")
    path = write(tmp, "journeys.yaml", dump(data, block))
    check(run(["test", BANK, path, "--format", "json"]), "journeys", [path])
    junit = tmp / "junit.xml"
    r = run(["test", BANK, path, "--junit", str(junit)])
    check(r, "journeys", [path])
    assert (r.code == 2) != junit.exists() or r.code != 2


@st.composite
def policies(draw: st.DrawFn) -> dict[str, Any]:
    checks = ["zero_reaches_person", "time_to_person", "share_within", "lint_rule",
              "max_menu_depth", "wait_announced", "bogus"]
    rules = {}
    for k in range(draw(st.integers(1, 3))):
        rule: dict[str, Any] = {"check": draw(st.sampled_from(checks)), "requires": "x",
                                "interpretation": "y"}
        if draw(st.booleans()):
            rule["params"] = draw(st.dictionaries(
                st.sampled_from(["within", "seconds", "share", "max", "rule", "clock",
                                 "statistic", "max_options"]), scalars, max_size=3))
        if draw(st.integers(0, 3)) == 0:
            rule["level"] = draw(texts)
        rules[f"r{k}"] = rule
    return {"policy": draw(st.one_of(st.just("p"), texts)), "title": "T", "rules": rules}


@FUZZ
@given(data=policies(), block=st.booleans())
def test_policies(tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any],
                  block: bool) -> None:
    tmp = tmp_path_factory.mktemp("p")
    path = write(tmp, "policy.yaml", dump(data, block))
    check(run(["audit", "--policy", path, BANK, "-n", "100", "--format", "json"]), "policy",
          [path])


@FUZZ
@given(data=st.fixed_dictionaries({}, optional={
    "disable": st.one_of(st.lists(st.one_of(st.sampled_from(["LONG_PROMPT", "X"]), scalars)),
                         scalars),
    "rules": st.one_of(scalars, st.dictionaries(
        st.one_of(st.sampled_from(["HUMAN_DEPTH", "TOO_MANY_OPTIONS", "LONG_PROMPT", "NOPE"]),
                  scalars),
        st.one_of(scalars, st.dictionaries(st.sampled_from(
            ["max", "max_seconds", "severity", "enabled", "x"]), scalars)), max_size=3)),
    "x": scalars}), block=st.booleans(),
    setting=st.one_of(st.none(), st.sampled_from(
        ["TOO_MANY_OPTIONS.max=-inf", "HUMAN_DEPTH.max=nan", "HUMAN_DEPTH.max=1e400",
         "LONG_PROMPT.severity=info", "X.y=1", "HUMAN_DEPTH.max=3", "HUMAN_DEPTH=3"])))
def test_lint_configs(tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any],
                      block: bool, setting: str | None) -> None:
    tmp = tmp_path_factory.mktemp("l")
    path = write(tmp, "lint.yaml", dump(data, block))
    extra = ["--set", setting] if setting else []
    check(run(["lint", "--config", path, *extra, BANK]), "lint-config", [path])


# -- mutations of the shipped files ------------------------------------------------------

def _fixtures() -> list[Path]:
    found = [*sorted((ROOT / "menus").glob("*.yaml")),
             *sorted((ROOT / "journeys").glob("*.yaml")),
             *sorted((ROOT / "ivr" / "audit" / "policies").glob("*.yaml")),
             *sorted((ROOT / "tests" / "data" / "import").glob("*/*")),
             *sorted((ROOT / "tests" / "data" / "valid").glob("*.yaml"))]
    return [p for p in found if p.is_file()]


FIXTURES = _fixtures()
SNIPPETS = [b'"\\ud83d\\ude00"', b'"\\udfff"', b"\\ud83d", b"Infinity", b"NaN", b"-Infinity",
            b"1e999", b"9" * 4400, b"&#xD800;", b"<!ENTITY x 'y'>", b"\t", b"\r", b"\r\n",
            "\u2028".encode(), b"\xc3", b"\xff", b"\x00", b": ", b"- ", b"*a", b"&a ",
            b"<<: *a", b"{", b"[", b'"', b"'", b",", b"}", b"]", b"<", b">", b"</form>",
            b"exten => s,1,Goto(x,1)", b"---\n", b"%YAML 1.1\n", b"\xef\xbb\xbf",
            b"retries: 1000000000000", b"seconds: 1e-300", b"agents: 10000000000"]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Path, bytes]:
    src = draw(st.sampled_from(FIXTURES))
    data = bytearray(src.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "dup", "truncate", "snippet"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 200))]
        elif op == "dup":
            data[at:at] = data[at:at + draw(st.integers(1, 400))]
        elif op == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from(SNIPPETS))
    return src, bytes(data)


def reader_of(src: Path) -> str:
    if src.parent.name in ("connect", "twilio", "freeswitch", "voicexml", "asterisk", "genesys"):
        return src.parent.name
    return {"journeys": "journeys", "policies": "policy"}.get(src.parent.name, "native")


@FUZZ
@given(case=mutated(), pick=st.integers(0, 10**6))
def test_mutated_fixtures(tmp_path_factory: pytest.TempPathFactory,
                          case: tuple[Path, bytes], pick: int) -> None:
    src, data = case
    tmp = tmp_path_factory.mktemp("x")
    path = write(tmp, src.name, data)
    reader = reader_of(src)
    if reader == "journeys":
        r = run(["test", BANK, path, "--format", "json"])
        check(r, reader, [path])
    elif reader == "policy":
        check(run(["audit", "--policy", path, BANK, "-n", "100", "--format", "json"]),
              reader, [path])
    else:
        run_menu_command(tmp, reader, path, MENU_COMMANDS[pick % len(MENU_COMMANDS)])
