"""The ``ivr`` command: exit codes, one-line errors, output formats, config files."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ivr.cli import build_parser, main
from ivr.structure.lint import RULES

ROOT = Path(__file__).resolve().parent.parent
LINT_DATA = Path(__file__).resolve().parent / "data" / "lint"
CLEAN = LINT_DATA / "clean.yaml"
BROKEN = ROOT / "menus" / "broken_dead_end.yaml"
BANK = ROOT / "menus" / "bank.yaml"


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    for action in parser._actions:  # argparse keeps sub-commands in a private action
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("build_parser() has no sub-commands")


def subcommand_help() -> dict[str, str | None]:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {a.dest: a.help for a in action._choices_actions}
    raise AssertionError("build_parser() has no sub-commands")


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def bad_menu(tmp_path: Path) -> Path:
    f = tmp_path / "bad.yaml"
    f.write_text("name: T\nstart: main\nnodes:\n  main:\n    kind: menu\n    options:\n"
                 "      \"1\": bilin\n  billing: {kind: agent}\n")
    return f


# --------------------------------------------------------------------------- commands

def test_the_expected_commands_exist() -> None:
    assert {"lint", "paths", "graph", "rules"} <= set(subcommands())


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    text = subcommand_help()[name]
    assert text and len(text) > 10
    with pytest.raises(SystemExit) as info:
        main([name, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and f"ivr {name}" in out


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_is_in_the_readme(name: str) -> None:
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet")
    assert re.search(rf"\bivr {re.escape(name)}\b", readme.read_text(encoding="utf-8")), (
        f"README.md never shows `ivr {name}`")


def test_top_level_help_and_no_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for name in subcommands():
        assert name in out
    assert main([]) == 2


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("ivr ")


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    for rid, rule in RULES.items():
        assert re.search(rf"^{rid}\s+{rule.severity}\s", out, re.M), rid
    assert "max=3" in out  # parameters are shown


# --------------------------------------------------------------------------- lint

def test_lint_clean_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(CLEAN)]) == 0
    cap = capsys.readouterr()
    assert "0 errors, 0 warnings" in cap.out and cap.err == ""


def test_lint_warnings_only_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(BANK)]) == 0
    assert "LONG_PROMPT" in capsys.readouterr().out


def test_lint_broken_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(BROKEN)]) == 1
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "DEAD_END" in x)
    assert line.startswith(f"{BROKEN}:27:3: error DEAD_END [store_hours]")
    assert "[keys: 2]" in line


def test_lint_bad_file_exits_2(bad_menu: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(bad_menu)]) == 2
    cap = capsys.readouterr()
    line = one_error_line(cap.err)
    assert line.startswith(f"{bad_menu}:7:7: node 'main':")
    assert "did you mean 'billing'?" in line
    assert "unreadable" in cap.out


def test_lint_bad_file_among_good_ones_still_exits_2(
        bad_menu: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(CLEAN), str(bad_menu), str(BROKEN)]) == 2
    cap = capsys.readouterr()
    one_error_line(cap.err)
    assert "DEAD_END" in cap.out  # the other files were still linted
    assert "3 files" in cap.out


@pytest.mark.parametrize("args", [
    ["lint", "no-such-file.yaml"],
    ["paths", "no-such-file.yaml"],
    ["graph", "no-such-file.yaml"],
])
def test_missing_file_is_one_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("no-such-file.yaml:") and "no such file" in line


def test_binary_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "x.yaml"
    f.write_bytes(b"\x00\x01\x02")
    assert main(["paths", str(f)]) == 2
    assert "binary" in one_error_line(capsys.readouterr().err)


def test_max_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    size = CLEAN.stat().st_size
    assert main(["lint", "--max-bytes", "100", str(CLEAN)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"{size:,}" in line or str(size) in line
    assert main(["lint", "--max-bytes", str(size), str(CLEAN)]) == 0
    with pytest.raises(SystemExit) as info:
        main(["lint", "--max-bytes", "0", str(CLEAN)])
    assert info.value.code == 2


def test_lint_folder(capsys: pytest.CaptureFixture[str]) -> None:
    n = len(list(LINT_DATA.glob("*.yaml")))
    assert main(["lint", str(LINT_DATA)]) == 1
    out = capsys.readouterr().out
    assert f"{n} files:" in out
    for rule in RULES:
        if not RULES[rule].summary.startswith("imported:"):  # native menus cannot have them
            assert f" {rule} [" in out, rule


def test_lint_folder_without_menus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / ".hidden.yaml").write_text("x")
    assert main(["lint", str(tmp_path)]) == 2
    assert "no menu or flow files" in one_error_line(capsys.readouterr().err)


def test_lint_folder_skips_hidden_and_other_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "good.yml").write_text(CLEAN.read_text())
    (tmp_path / ".ivr-lint.yaml").write_text("disable: [nonsense]\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "bad.yaml").write_text("{")
    (tmp_path / "README.txt").write_text("{")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "dead.yaml").write_text(BROKEN.read_text())
    assert main(["lint", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "2 files:" in out and "DEAD_END" in out


def test_lint_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--format", "json", str(BROKEN), str(CLEAN)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert [f["file"] for f in data["files"]] == [str(BROKEN), str(CLEAN)]
    findings = data["files"][0]["findings"]
    assert data["files"][1]["findings"] == []
    dead = [f for f in findings if f["rule"] == "DEAD_END"]
    assert len(dead) == 1
    d = dead[0]
    assert (d["node"], d["severity"], d["line"], d["column"], d["keys"]) == (
        "store_hours", "error", 27, 3, "2")
    assert d["file"] == str(BROKEN) and d["message"]
    assert isinstance(d["path"], list) and d["path"][-1]["target"] == "store_hours"
    assert all(isinstance(f["line"], int) and isinstance(f["column"], int) for f in findings)
    assert data["counts"]["error"] == 1 and data["unreadable"] == 0


def test_lint_json_with_a_bad_file(bad_menu: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--format", "json", str(bad_menu)]) == 2
    cap = capsys.readouterr()
    data = json.loads(cap.out)
    assert data["unreadable"] == 1 and "bilin" in data["files"][0]["error"]
    one_error_line(cap.err)


def test_disable_and_set(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--disable", "DEAD_END", str(BROKEN)]) == 0
    assert "DEAD_END" not in capsys.readouterr().out
    assert main(["lint", "--set", "DEAD_END.severity=warning", str(BROKEN)]) == 0
    assert "warning DEAD_END" in capsys.readouterr().out
    assert main(["lint", "--set", "LONG_PROMPT.severity=info", "--set",
                 "LONG_PROMPT.max_seconds=15", str(BANK)]) == 0
    out = capsys.readouterr().out
    assert "info LONG_PROMPT [main] the prompt lasts 15.8 s" in out
    assert "1 info" in out
    assert main(["lint", "--set", "LONG_PROMPT.max_seconds=16", str(BANK)]) == 0
    assert "LONG_PROMPT" not in capsys.readouterr().out


@pytest.mark.parametrize(("args", "needle"), [
    (["--disable", "DEAD_ENDS"], "did you mean 'DEAD_END'?"),
    (["--set", "HUMAN_DEPTH.maxx=4"], "'maxx'"),
    (["--set", "HUMAN_DEPTH=4"], "HUMAN_DEPTH.max=4"),
])
def test_bad_disable_or_set_is_one_line(args: list[str], needle: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", *args, str(CLEAN)]) == 2
    assert needle in one_error_line(capsys.readouterr().err)


def test_config_file_in_the_cwd_is_picked_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["lint", str(BROKEN)]) == 1
    capsys.readouterr()
    (tmp_path / ".ivr-lint.yaml").write_text(
        "disable: [DEAD_END]\nrules:\n  NO_ZERO_OUT: {severity: info}\n")
    assert main(["lint", str(BROKEN)]) == 0
    assert "DEAD_END" not in capsys.readouterr().out
    # the command line still wins over the file
    assert main(["lint", "--set", "DEAD_END.enabled=true", str(BROKEN)]) == 1
    capsys.readouterr()
    (tmp_path / ".ivr-lint.yaml").write_text("rules:\n  DEAD_END: {severity: warning}\n")
    assert main(["lint", "--set", "DEAD_END.severity=info", str(BROKEN)]) == 0
    assert "info DEAD_END" in capsys.readouterr().out


def test_explicit_config_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "lint.yaml"
    cfg.write_text("disable: [dead_end]\n")
    assert main(["lint", "--config", str(cfg), str(BROKEN)]) == 0
    capsys.readouterr()


@pytest.mark.parametrize("text", [
    "disable: [DEAD_ENDS]\n",
    "rules:\n  HUMAN_DEPTH: {maxx: 4}\n",
    "colour: red\n",
    "rules: [1, 2\n",
])
def test_bad_config_file_is_one_line(text: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".ivr-lint.yaml").write_text(text)
    assert main(["lint", str(CLEAN)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith(".ivr-lint.yaml")


def test_internal_errors_are_one_line_with_exit_3(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import ivr.cli.check

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(ivr.cli.check, "paths", boom)
    assert main(["paths", str(CLEAN)]) == 3
    line = one_error_line(capsys.readouterr().err)
    assert "internal error" in line and "kaboom" in line
    with pytest.raises(RuntimeError):
        main(["--debug", "paths", str(CLEAN)])


# --------------------------------------------------------------------------- paths

def test_paths(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", str(BANK)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Harbor Federal Bank customer service: how to reach each ending")
    assert re.search(r"^To reach a person: 0 \(\d+ s\)$", out, re.M), out


def test_paths_without_a_person(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", str(ROOT / "menus" / "broken_no_human.yaml")]) == 0
    out = capsys.readouterr().out
    assert "To reach a person" not in out and "No person can be reached" in out


def test_paths_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", "--format", "json", str(CLEAN)]) == 0
    routes = json.loads(capsys.readouterr().out)
    assert routes[0]["kind"] == "agent"
    assert {r["node"] for r in routes} >= {"operator", "pay", "billing_agent"}
    for r in routes:
        assert {"node", "kind", "keys", "seconds", "steps"} <= set(r)


def test_paths_bad_input(bad_menu: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["paths", str(bad_menu)]) == 2
    cap = capsys.readouterr()
    one_error_line(cap.err)
    assert cap.out == ""


# --------------------------------------------------------------------------- graph

def test_graph_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(CLEAN)]) == 0
    assert capsys.readouterr().out.startswith("digraph ")
    assert main(["graph", "--format", "mermaid", str(CLEAN)]) == 0
    assert capsys.readouterr().out.startswith("flowchart LR")


@pytest.mark.parametrize(("fmt", "start"), [("dot", "digraph "), ("mermaid", "flowchart LR")])
def test_graph_output_file(fmt: str, start: str, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / f"menu.{fmt}"
    assert main(["graph", "--format", fmt, "-o", str(out), str(CLEAN)]) == 0
    assert capsys.readouterr().out == ""
    text = out.read_text(encoding="utf-8")
    assert text.startswith(start) and "operator" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary left


def test_graph_output_replaces_an_old_file(tmp_path: Path) -> None:
    out = tmp_path / "menu.dot"
    out.write_text("old")
    assert main(["graph", "-o", str(out), str(CLEAN)]) == 0
    assert out.read_text().startswith("digraph ")


def test_graph_bad_input_leaves_no_file(bad_menu: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "menu.dot"
    assert main(["graph", "-o", str(out), str(bad_menu)]) == 2
    one_error_line(capsys.readouterr().err)
    assert list(folder.iterdir()) == []


def test_graph_bad_input_keeps_an_old_file(bad_menu: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "menu.dot"
    out.write_text("old")
    assert main(["graph", "-o", str(out), str(bad_menu)]) == 2
    capsys.readouterr()
    assert out.read_text() == "old"


def test_graph_unwritable_output_is_one_line(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "missing-folder" / "menu.dot"
    assert main(["graph", "-o", str(out), str(CLEAN)]) == 2
    one_error_line(capsys.readouterr().err)
    assert not out.exists()


# --------------------------------------------------------------------------- as a program

def test_console_entry_point_on_deeply_nested_input(tmp_path: Path) -> None:
    f = tmp_path / "deep.yaml"
    f.write_text("[" * 100000 + "]" * 100000)
    env = dict(os.environ, NO_COLOR="1")
    proc = subprocess.run([sys.executable, "-m", "ivr.cli", "lint", str(f)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert one_error_line(proc.stderr).startswith(f"{f}:1:")
