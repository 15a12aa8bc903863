"""The rooms of ``ivr/`` and the one direction their imports point.

A module may import from its own room and from the rooms listed before it, never from a
room above (the order is the one in ``ivr/__init__.py`` and the README's layout). The
package's ``__init__`` is the facade that names the public API of every room, lazily.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ivr"

#: Lowest first. The ground floor is the top-level modules of ``ivr``.
ROOMS = ("", "language", "formats", "structure", "queueing", "callers", "walk", "audit",
         "present", "plan", "cli")


def room_of(module: str) -> str:
    """``ivr.callers.chain`` -> ``callers``; ``ivr.model`` -> the ground floor ``""``."""
    parts = module.split(".")
    if len(parts) > 2 and parts[1] in ROOMS:
        return parts[1]
    if len(parts) == 2 and parts[1] in ROOMS:  # ``from ivr import <room>``-style package
        return parts[1]
    return ""


def imports(path: Path) -> list[tuple[int, str]]:
    """Every ``ivr`` module a file imports, with its line (``from ivr import x`` counts
    as ``ivr.x``, since x may be a room)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "ivr"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "ivr":
                out += [(node.lineno, f"ivr.{a.name}") for a in node.names]
            elif node.module.startswith("ivr."):
                out.append((node.lineno, node.module))
    return out


def violations(root: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        if module == "ivr":
            continue  # the facade: it names the public API of every room, lazily
        own = ROOMS.index(room_of(module))
        for line, target in imports(path):
            other = room_of(target)
            if ROOMS.index(other) > own:
                found.append(f"{path.relative_to(root.parent)}:{line}: room "
                             f"'{ROOMS[own] or 'ground floor'}' imports {target} from the "
                             f"room above it, '{other}'")
    return found


def test_rooms_exist():
    for room in ROOMS[1:]:
        assert (PACKAGE / room / "__init__.py").is_file(), room


def test_no_module_imports_from_a_room_above_its_own():
    assert violations() == []


def test_the_check_catches_a_wrong_import(tmp_path: Path):
    """A deliberately wrong import (structure reaching up into callers) is reported."""
    pkg = tmp_path / "ivr"
    for room in ROOMS[1:]:
        (pkg / room).mkdir(parents=True)
        (pkg / room / "__init__.py").write_text("")
    (pkg / "model.py").write_text("from ivr.errors import IvrError\n")
    (pkg / "structure" / "lint.py").write_text(
        "from ivr.model import Menu\nfrom ivr.callers.exact import solve\n")
    (pkg / "cli" / "run.py").write_text("from ivr import audit\nfrom ivr.present import report\n")
    assert violations(pkg) == [
        "ivr/structure/lint.py:2: room 'structure' imports ivr.callers.exact from the room "
        "above it, 'callers'"]


@pytest.mark.parametrize("module", ["ivr.model", "ivr.week", "ivr.errors"])
def test_the_ground_floor_imports_no_room(module: str):
    path = PACKAGE / (module.split(".")[1] + ".py")
    assert all(room_of(t) == "" for _, t in imports(path))
