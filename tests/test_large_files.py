"""Files over MARKS_BYTES get positions from a line scan: node lines must still be right."""

from __future__ import annotations

import pytest

from ivr import LoadError, parse_menu
from ivr.formats.yamltext import MARKS_BYTES
from ivr.structure.lint import lint

N = 30_000


def big_menu(target_of_last: str = "agent") -> str:
    lines = ["name: Big", "start: n0", "defaults: {on_fail: agent}", "nodes:"]
    for i in range(N - 1):
        lines.append(f"  n{i}: {{kind: menu, say: Press one to go on., "
                     f"options: {{\"1\": n{i + 1}, \"0\": agent}}}}")
    lines.append(f"  n{N - 1}: {{kind: message, say: Bye., next: {target_of_last}}}")
    lines.append("  agent: {kind: agent}")
    text = "\n".join(lines) + "\n"
    assert len(text) > MARKS_BYTES, "the fixture must take the large-file path"
    return text


def test_large_file_nodes_keep_their_lines() -> None:
    menu = parse_menu(big_menu(), "big.yaml")
    assert menu.nodes["n0"].source.line == 5
    assert menu.nodes["n12345"].source.line == 5 + 12345
    assert menu.nodes["agent"].source.line == 5 + N
    assert not [f for f in lint(menu) if f.severity == "error"]


def test_large_file_error_points_at_the_node_line() -> None:
    with pytest.raises(LoadError) as info:
        parse_menu(big_menu(target_of_last="agnet"), "big.yaml")
    err = info.value
    assert err.node == f"n{N - 1}" and err.line == 4 + N
    assert "did you mean 'agent'?" in str(err)
