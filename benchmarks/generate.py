"""Generate large realistic-shaped menus for benchmarks (a tree of menus with cross-links)."""

from __future__ import annotations

import random


def big_menu_yaml(n_nodes: int, seed: int = 7) -> str:
    """A menu of about ``n_nodes`` nodes as YAML text, one node per line (as generators write).

    Menus have 1-5 options, a 0 to the nearest agent desk, * back to their parent; leaves are
    self-service, agents, voicemail and messages that return to a menu.
    """
    rng = random.Random(seed)
    lines = [
        "name: Generated benchmark line",
        "start: m0",
        "defaults: {timeout: 5, retries: 3, on_fail: desk0}",
        "nodes:",
    ]
    n_menus = max(1, n_nodes // 4)
    n_desks = max(1, n_nodes // 200)
    leaves = n_nodes - n_menus - n_desks
    leaf_ids = [f"l{i}" for i in range(leaves)]
    children: list[list[str]] = [[] for _ in range(n_menus)]
    for i in range(1, n_menus):  # menus form a binary tree
        children[(i - 1) // 2].append(f"m{i}")
    for j, leaf in enumerate(leaf_ids):  # about three leaves a menu
        children[j % n_menus].append(leaf)
    for i in range(n_menus):
        opts = children[i][:5] or [leaf_ids[rng.randrange(leaves)]]
        parts = [f'"{k + 1}": {t}' for k, t in enumerate(opts)]
        parts.append(f'"0": desk{i % n_desks}')
        if i:
            parts.append(f'"*": m{(i - 1) // 2}')
        say = " ".join(f"For option {k + 1} press {k + 1}." for k in range(len(opts)))
        lines.append(f"  m{i}: {{kind: menu, say: \"{say}\", options: {{{', '.join(parts)}}}}}")
    for j, leaf in enumerate(leaf_ids):
        r = j % 4
        if r == 0:
            lines.append(f"  {leaf}: {{kind: self_service, say: Here is what you asked for.}}")
        elif r == 1:
            lines.append(f"  {leaf}: {{kind: message, say: One moment please., "
                         f"next: m{rng.randrange(n_menus)}}}")
        elif r == 2:
            lines.append(f"  {leaf}: {{kind: voicemail, say: Leave a message after the tone.}}")
        else:
            lines.append(f"  {leaf}: {{kind: agent, queue: q{j % 50}}}")
    for d in range(n_desks):
        lines.append(f"  desk{d}: {{kind: agent, queue: desk}}")
    return "\n".join(lines) + "\n"
