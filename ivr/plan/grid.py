"""What-if grids: the fields a sweep varies, their values, and each combination's menu.

``--vary PATH=VALUES`` names a numeric field and its values: ``8,10,12``, a range
``8..16`` (step 1) or ``60..300:60``, or several joined by commas (``1..3,10``). The
fields:

===============================  ==========================================================
``staff.AGENT.agents``           agents answering at an agent node (whole, >= 1)
``staff.AGENT.handle_time``      mean seconds a call takes there (> 0)
``callers.calls_per_hour``       calls per hour over the week (> 0)
``callers.patience.mean``        the callers' mean patience, seconds (> 0)
``callers.mistake_rate`` ...     ``mistake_rate``, ``confusion``, ``zero_out``, ``silence``
``defaults.timeout``             seconds menus and inputs wait for a key, where they take
                                 the default (their timeout is the menu's default)
``defaults.retries``             tries, likewise (whole, >= 1)
``nodes.NODE.FIELD``             a node's ``timeout``, ``retries``, ``seconds``,
                                 ``max_wait``, ``callback.offer_after``, ``callback.accept``
===============================  ==========================================================

The first three change only the lines (the *queue* fields); the others change the
caller model's chain. Combinations are ordered menu, ``--at`` time, then the fields in
the order given, the last varying fastest.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ivr.errors import ConfigError
from ivr.formats.checks import did_you_mean
from ivr.limits import (
    MAX_AGENTS,
    MAX_CALLS_PER_HOUR,
    MAX_RETRIES,
    MAX_SECONDS,
    MIN_CALLS_PER_HOUR,
    MIN_SECONDS,
)
from ivr.model import Callback, Menu, Node, Staff
from ivr.week import parse_at

#: Fields that change only the lines (staff and call volume), never the chain.
QUEUE_FIELDS = ("agents", "handle_time", "calls_per_hour")
_RATES = ("mistake_rate", "confusion", "zero_out", "silence")
_NODE_FIELDS = ("timeout", "retries", "seconds", "max_wait", "callback.offer_after",
                "callback.accept")
#: Most combinations one sweep may have.
MAX_COMBINATIONS = 10_000_000
_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"({_NUMBER})\.\.({_NUMBER})(?::({_NUMBER}))?")


@dataclass(frozen=True)
class Vary:
    """One varied field: its path and values (whole numbers for whole fields)."""

    path: str
    values: tuple[float, ...]

    @property
    def queue_only(self) -> bool:
        """Whether the field changes only the lines (staff, call volume)."""
        return self.path.split(".")[-1] in QUEUE_FIELDS and (
            self.path.startswith("staff.") or self.path == "callers.calls_per_hour")

    @property
    def whole(self) -> bool:
        return self.path.endswith((".agents", ".retries"))


def parse_vary(text: str) -> Vary:
    """``PATH=VALUES`` -> :class:`Vary`.

    Examples
    --------
    >>> parse_vary("staff.desk.agents=8..12:2").values
    (8, 10, 12)
    >>> parse_vary("callers.patience.mean=60,90..150:30").values
    (60.0, 90.0, 120.0, 150.0)
    """
    path, sep, spec = text.partition("=")
    path = path.strip()
    if not sep or not path or not spec.strip():
        raise ConfigError(f"--vary {text!r}: give PATH=VALUES",
                          hint="e.g. --vary staff.service_agent.agents=8..16 or "
                          "--vary callers.calls_per_hour=100,200,400")
    _check_path(path)
    values: list[float] = []
    for part in spec.split(","):
        part = part.strip()
        m = _RANGE.fullmatch(part)
        if m:
            lo, hi = float(m[1]), float(m[2])
            step = float(m[3]) if m[3] else 1.0
            if step <= 0 or hi < lo or not all(map(math.isfinite, (lo, hi, step))):
                raise ConfigError(f"--vary {path}: {part!r} is not a range from low to high "
                                  "with a positive step", hint="e.g. 60..300:60")
            count = math.floor((hi - lo) / step + 1e-9) + 1
            if count > MAX_COMBINATIONS:
                raise ConfigError(f"--vary {path}: {part!r} has {count:,} values")
            values += [lo + k * step for k in range(count)]
        elif re.fullmatch(_NUMBER, part):
            values.append(float(part))
        else:
            raise ConfigError(f"--vary {path}: {part!r} is not a number or a range",
                              hint="values are numbers, ranges LOW..HIGH or LOW..HIGH:STEP, "
                              "joined by commas")
    for x in values:
        _check_value(path, x)
    vary = Vary(path, tuple(values))
    if vary.whole:
        if any(v != round(v) for v in values):
            raise ConfigError(f"--vary {path}: takes whole numbers, not {values}")
        vary = Vary(path, tuple(int(round(v)) for v in values))
    if len(set(vary.values)) != len(vary.values):
        raise ConfigError(f"--vary {path}: a value is given twice")
    return vary


def _check_value(path: str, x: float) -> None:
    """A value the menu format would refuse for the field: one line."""
    field = path.split(".", 2)[-1] if path.startswith("nodes.") else path.split(".")[-1]
    if field in ("accept", "callback.accept"):
        if not 0 < x <= 1:
            raise ConfigError(f"--vary {path}: {x:g} is not a share in (0, 1]")
    elif field in _RATES:
        if not 0 <= x <= 1:
            raise ConfigError(f"--vary {path}: {x:g} is not a share from 0 to 1")
    elif field in ("agents", "retries"):
        _at_least(path, x, 1)
        _at_most(path, x, MAX_AGENTS if field == "agents" else MAX_RETRIES)
    elif field == "calls_per_hour":
        _at_least(path, x, 0)
        _at_most(path, x, MAX_CALLS_PER_HOUR)
        if 0 < x < MIN_CALLS_PER_HOUR:
            raise ConfigError(f"--vary {path}: {x:g} must be 0 or at least "
                              f"{MIN_CALLS_PER_HOUR:g}")
    else:  # seconds of some kind: the menu format's limits (ivr.limits)
        zero = field in ("seconds", "offer_after", "callback.offer_after")
        _at_least(path, x, 0) if zero else _positive(path, x)
        _at_most(path, x, MAX_SECONDS)
        if 0 < x < MIN_SECONDS:
            raise ConfigError(f"--vary {path}: {x:g} must be {'0 or ' if zero else ''}"
                              f"at least {MIN_SECONDS:g} s")


def _check_path(path: str) -> None:
    parts = path.split(".")
    ok = (len(parts) == 3 and parts[0] == "staff" and parts[2] in ("agents", "handle_time")) \
        or path in ("callers.calls_per_hour", "callers.patience.mean",
                    "defaults.timeout", "defaults.retries") \
        or (len(parts) == 2 and parts[0] == "callers" and parts[1] in _RATES) \
        or (len(parts) >= 3 and parts[0] == "nodes" and ".".join(parts[2:]) in _NODE_FIELDS)
    if not ok:
        known = ["staff.AGENT.agents", "staff.AGENT.handle_time", "callers.calls_per_hour",
                 "callers.patience.mean", *(f"callers.{r}" for r in _RATES),
                 "defaults.timeout", "defaults.retries",
                 *(f"nodes.NODE.{f}" for f in _NODE_FIELDS)]
        raise ConfigError(f"--vary: {path!r} is not a field a sweep can vary",
                          hint=did_you_mean(path, known) or "one of: " + ", ".join(known))


@dataclass(frozen=True)
class Grid:
    """Menus, ``--at`` times (as written, each read in each menu's clock unless it names
    a zone; None: calls over the whole week) and varied fields."""

    menus: tuple[Menu, ...]
    labels: tuple[str, ...]
    at: tuple[str | None, ...] = (None,)
    varies: tuple[Vary, ...] = ()

    def __post_init__(self) -> None:
        paths = [v.path for v in self.varies]
        if len(set(paths)) != len(paths):
            raise ConfigError("--vary: a field is varied twice")
        if len(self) > MAX_COMBINATIONS:
            raise ConfigError(f"the grid has {len(self):,} combinations (at most "
                              f"{MAX_COMBINATIONS:,})")
        for k, menu in enumerate(self.menus):
            for v in self.varies:
                check_applies(menu, v.path, self.labels[k])
            for t in range(len(self.at)):
                self.minute(k, t)

    def minute(self, menu: int, at: int) -> int | None:
        """The UTC minute of the week of the ``at``-th time for the ``menu``-th menu."""
        text = self.at[at]
        if text is None:
            return None
        from ivr.callers.calendar import clock

        try:
            return parse_at(text, clock(self.menus[menu].schedules))
        except ValueError as exc:
            raise ConfigError(f"--at: {exc}") from None

    def __len__(self) -> int:
        return len(self.menus) * len(self.at) * math.prod(len(v.values) for v in self.varies)

    def combination(self, index: int) -> Combination:
        """The ``index``-th combination (menus outermost, the last field fastest)."""
        rest = index
        values = []
        for v in reversed(self.varies):
            rest, k = divmod(rest, len(v.values))
            values.append(v.values[k])
        rest, t = divmod(rest, len(self.at))
        return Combination(index, rest, t, tuple(reversed(values)))

    def __iter__(self) -> Iterator[Combination]:
        return (self.combination(i) for i in range(len(self)))

    def chain_key(self, c: Combination) -> tuple[object, ...]:
        """What decides the combination's chain: the menu, the time, the values of the
        fields that are not queue fields, and whether calls arrive at all."""
        chain_values = tuple(x for v, x in zip(self.varies, c.values, strict=True)
                             if not v.queue_only)
        cph = next((x for v, x in zip(self.varies, c.values, strict=True)
                    if v.path == "callers.calls_per_hour"), None)
        menu = self.menus[c.menu]
        base = menu.callers.calls_per_hour if menu.callers is not None else 0.0
        return (c.menu, c.at, chain_values, (base if cph is None else cph) > 0)


@dataclass(frozen=True)
class Combination:
    """One point of a grid: its index, menu, time (indices) and the fields' values."""

    index: int
    menu: int
    at: int
    values: tuple[float, ...]

    def seed(self, base: int) -> int:
        """The seed of a simulated combination: from the combination itself (menu, time,
        values), never from where or with what else it runs."""
        text = f"{base}|{self.menu}|{self.at}|" + "|".join(repr(float(v)) for v in self.values)
        return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def check_applies(menu: Menu, path: str, label: str) -> None:
    """A one-line error when ``path`` names a node the menu lacks (or of the wrong
    kind)."""
    parts = path.split(".")
    if parts[0] in ("staff", "nodes"):
        nid = parts[1]
        node = menu.nodes.get(nid)
        if node is None:
            raise ConfigError(f"--vary {path}: {label} has no node {nid!r}",
                              hint=did_you_mean(nid, list(menu.nodes)) or
                              "name a node of the menu")
        if parts[0] == "staff" and (node.kind != "agent" or node.staff is None):
            staffed = [n.id for n in menu.nodes.values() if n.staff is not None]
            raise ConfigError(f"--vary {path}: {nid!r} in {label} is not a staffed agent",
                              hint="staffed agents: " + (", ".join(staffed) or "none"))
    if parts[0] == "callers" and menu.callers is None:
        raise ConfigError(f"--vary {path}: {label} has no callers section")


def apply(menu: Menu, varies: Sequence[Vary], values: Sequence[float]) -> Menu:
    """The menu with each field set to its value (checked as the menu format checks it).

    Examples
    --------
    >>> from ivr.formats import parse_menu
    >>> m = parse_menu("name: T\\nstart: a\\nnodes:\\n  a: {kind: menu, options: {1: b}}\\n"
    ...                "  b: {kind: agent, staff: {agents: 2, handle_time: 60}}\\n")
    >>> apply(m, [parse_vary("staff.b.agents=5")], [5]).nodes["b"].staff.agents
    5
    """
    nodes = dict(menu.nodes)
    pop = menu.callers
    defaults = menu.defaults
    for v, x in zip(varies, values, strict=True):
        parts = v.path.split(".")
        if parts[0] == "staff":
            node = nodes[parts[1]]
            assert node.staff is not None
            nodes[parts[1]] = replace(node, staff=apply_staff(node.staff, v.path, x))
        elif parts[0] == "callers":
            assert pop is not None
            if parts[1] == "calls_per_hour":
                pop = replace(pop, calls_per_hour=_at_least(v.path, x, 0))
            elif parts[1] == "patience":
                if pop.patience.distribution == "none":
                    raise ConfigError(f"--vary {v.path}: the callers' patience is none")
                pop = replace(pop, patience=replace(pop.patience, mean=_positive(v.path, x)))
            else:
                if not 0 <= x <= 1:
                    raise ConfigError(f"--vary {v.path}: {x:g} is not a share from 0 to 1")
                rate: dict[str, Any] = {parts[1]: float(x)}
                pop = replace(pop, **rate)
        elif parts[0] == "defaults":
            field = parts[1]
            old = getattr(defaults, field)
            new: dict[str, Any] = {field: int(_at_least(v.path, x, 1, whole=True))
                                   if field == "retries" else _positive(v.path, x)}
            for nid, node in nodes.items():
                if node.kind in ("menu", "input") and getattr(node, field) == old:
                    nodes[nid] = replace(node, **new)
            defaults = replace(defaults, **new)
        else:
            nodes[parts[1]] = _node_field(nodes[parts[1]], ".".join(parts[2:]), v.path, x)
    return replace(menu, nodes=nodes, callers=pop, defaults=defaults)


def apply_staff(staff: Staff, path: str, x: float) -> Staff:
    """``staff.AGENT.agents`` (every hour: an hourly staffing is replaced) or
    ``staff.AGENT.handle_time`` set to ``x``."""
    if path.endswith(".agents"):
        return replace(staff, agents=int(_at_least(path, x, 1, whole=True)), hourly=None)
    return replace(staff, handle_time=_positive(path, x))


def _node_field(node: Node, field: str, path: str, x: float) -> Node:
    if field in ("timeout", "retries"):
        if node.kind not in ("menu", "input"):
            raise ConfigError(f"--vary {path}: {node.id!r} is a {node.kind}, which has no "
                              f"{field}")
        value: dict[str, Any] = {field: int(_at_least(path, x, 1, whole=True))
                                 if field == "retries" else _positive(path, x)}
        return replace(node, **value)
    if field == "seconds":
        return replace(node, seconds=_at_least(path, x, 0))
    if field == "max_wait":
        if node.max_wait is None:
            raise ConfigError(f"--vary {path}: {node.id!r} has no max_wait (and so no "
                              "on_max_wait to send callers to)")
        return replace(node, max_wait=_positive(path, x))
    if node.callback is None:
        raise ConfigError(f"--vary {path}: {node.id!r} offers no callback")
    if field == "callback.accept":
        if not 0 < x <= 1:
            raise ConfigError(f"--vary {path}: {x:g} is not a share in (0, 1]")
        return replace(node, callback=Callback(node.callback.offer_after, float(x)))
    return replace(node, callback=Callback(_at_least(path, x, 0), node.callback.accept))


def _positive(path: str, x: float) -> float:
    if not x > 0 or not math.isfinite(x):
        raise ConfigError(f"--vary {path}: {x:g} must be above 0")
    return float(x)


def _at_most(path: str, x: float, high: float) -> None:
    if x > high:
        raise ConfigError(f"--vary {path}: {x:g} is past ivr's limit of {high:g} "
                          "(docs/menu-format.md#limits)")


def _at_least(path: str, x: float, low: float, *, whole: bool = False) -> float:
    if not x >= low or not math.isfinite(x):
        raise ConfigError(f"--vary {path}: {x:g} must be at least {low:g}")
    return float(int(x)) if whole else float(x)


__all__ = ["MAX_COMBINATIONS", "QUEUE_FIELDS", "Combination", "Grid", "Vary", "apply",
           "apply_staff",
           "check_applies", "parse_vary"]
