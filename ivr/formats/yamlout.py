"""Write a menu in the native YAML format (``ivr import``); it loads back to the same menu.

Defaults are written out on every node (the model keeps them resolved), and ``seconds``
only where it differs from the prompt's words at the menu's pace, so the file stays
readable. Import notes are kept under ``x-import-notes`` (ignored by the loader).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from ivr.language.speech import rate_of, seconds_of
from ivr.model import Intent, Menu, Node, Population

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _node(node: Node, menu: Menu) -> dict[str, Any]:
    d: dict[str, Any] = {"kind": node.kind}
    if node.language is not None:
        d["language"] = node.language
    if node.label is not None:
        d["label"] = node.label
    if node.note is not None:
        d["note"] = node.note
    if node.say is not None:
        d["say"] = node.say
    lang = menu.language_of(node)
    spoken = (seconds_of(node.say, lang, rate_of(lang, menu.defaults.words_per_second))
              if node.say else 0.0)
    if abs(node.seconds - spoken) > 1e-9:
        d["seconds"] = node.seconds
    if node.kind == "menu":
        d["options"] = {o.key: (o.target if o.label is None else
                                {"to": o.target, "label": o.label}) for o in node.options}
    if node.kind in ("menu", "input"):
        d["timeout"] = node.timeout
        d["retries"] = node.retries
        if node.kind == "menu":
            d["on_timeout"] = node.on_timeout
            d["on_invalid"] = node.on_invalid
        if node.on_fail is not None:
            d["on_fail"] = node.on_fail
    if node.kind == "input" and node.digits is not None:
        d["digits"] = node.digits
    for name in ("next", "schedule", "open", "closed", "queue", "to", "flow", "max_wait",
                 "on_max_wait", "announce_wait", "agent"):
        value = getattr(node, name)
        if value is not None:
            d[name] = value
    if node.chance:
        d["chance"] = dict(node.chance)
    if node.staff is not None:
        d["staff"] = {"agents": node.staff.agents, "handle_time": node.staff.handle_time}
        if node.staff.hourly is not None:
            del d["staff"]["agents"]
            d["staff"]["hourly"] = week_rows(node.staff.hourly)
    if node.callback is not None:
        d["callback"] = {"offer_after": node.callback.offer_after,
                         "accept": node.callback.accept}
    if node.resolves is not None:
        d["resolves"] = list(node.resolves)
    return d


def _intent(intent: Intent) -> dict[str, Any]:
    d: dict[str, Any] = {"share": intent.share, "goal": list(intent.goals)}
    if intent.presses:
        d["presses"] = list(intent.presses)
    if intent.barge_in:
        d["barge_in"] = intent.barge_in
    return d


def _population(pop: Population) -> dict[str, Any]:
    p = pop.patience
    patience: dict[str, Any] = {"distribution": p.distribution}
    for name in ("mean", "shape", "sd"):
        if getattr(p, name) is not None and p.distribution != "none":
            patience[name] = getattr(p, name)
    data: dict[str, Any] = {
        "intents": {i.name: _intent(i) for i in pop.intents},
        "patience": patience, "mistake_rate": pop.mistake_rate, "confusion": pop.confusion,
        "zero_out": pop.zero_out, "silence": pop.silence,
        "calls_per_hour": pop.calls_per_hour,
    }
    if pop.arrivals is not None:
        arrivals: dict[str, Any] = {"hourly": week_rows(pop.arrivals.hourly)}
        if pop.arrivals.tz is not None:
            arrivals["tz"] = pop.arrivals.tz
        data["arrivals"] = arrivals
    return data


def week_rows(hours: Sequence[Any]) -> Any:
    """168 hourly values as the format writes them: 24 when every day is alike, else
    days to 24 values, alike days joined (``mon-fri``, ``sat,sun``)."""
    days = [_Row(hours[24 * d:24 * d + 24]) for d in range(7)]
    if all(d == days[0] for d in days):
        return days[0]
    groups: list[list[int]] = []
    for d in range(7):
        same = next((g for g in groups if days[g[0]] == days[d]), None)
        if same is None:
            groups.append([d])
        else:
            same.append(d)
    return {_day_names(g): days[g[0]] for g in groups}


def _day_names(days: list[int]) -> str:
    """``[0, 1, 2, 3, 4]`` -> ``mon-fri``; ``[5, 6]`` -> ``sat-sun``; ``[0, 2]`` -> ``mon,wed``."""
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(_DAYS[r[0]] if len(r) == 1 else f"{_DAYS[r[0]]}-{_DAYS[r[-1]]}"
                    for r in runs)


def menu_data(menu: Menu) -> dict[str, Any]:
    """The menu as a native mapping."""
    data: dict[str, Any] = {"name": menu.name}
    if menu.description:
        data["description"] = menu.description
    if menu.language != "en":
        data["language"] = menu.language
    data["start"] = menu.start
    data["defaults"] = {"timeout": menu.defaults.timeout, "retries": menu.defaults.retries,
                        "words_per_second": menu.defaults.words_per_second}
    if menu.schedules:
        data["schedules"] = {}
        for name, s in menu.schedules.items():
            hours: dict[str, Any] = {"tz": s.tz}
            for day in range(7):
                ranges = [f"{_clock(a)}-{_clock(b)}" for d, a, b in s.hours if d == day]
                hours[_DAYS[day]] = ", ".join(ranges) if ranges else "closed"
            data["schedules"][name] = hours
    data["nodes"] = {nid: _node(n, menu) for nid, n in menu.nodes.items()}
    if menu.callers is not None:
        data["callers"] = _population(menu.callers)
    if menu.notes:
        data["x-import-notes"] = [
            {"rule": n.rule, "node": n.node, "message": n.message,
             "source": str(n.source) if n.source else None} for n in menu.notes]
    return data


def to_yaml(menu: Menu) -> str:
    """Native YAML text for ``menu``.

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu("name: T\\nstart: a\\nnodes: {a: {kind: menu, options: {1: b}}, "
    ...                "b: {kind: agent}}\\n")
    >>> parse_menu(to_yaml(m)).nodes["a"].options[0].target
    'b'
    """
    header = ""
    data = menu_data(menu)
    if menu.format != "native":
        header = (f"# Imported by `ivr import` from {menu.source.file} ({menu.format}).\n"
                  "# Each node's origin in that file is in x-origins.\n")
        data["x-origins"] = {nid: f"{n.source}" + (f" ({n.source.ref})" if n.source.ref else "")
                             for nid, n in menu.nodes.items()}
    return header + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                              width=100)


class _Row(list):  # type: ignore[type-arg]
    """24 hourly values, written on one line."""


# libyaml's emitter: the same text as PyYAML's, twice as fast on large menus.
class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    pass


_Dumper.add_representer(
    _Row, lambda d, row: d.represent_sequence("tag:yaml.org,2002:seq", list(row),
                                              flow_style=True))


__all__ = ["menu_data", "to_yaml"]
