"""ivr: simulate, lint and audit telephone menus (IVRs) before callers suffer them.

The rooms, lowest first; a module imports only from its own room and those before it:
the ground floor (``model``, ``errors``, ``week``, ``gcpause``, ``limits``, ``figures``),
``language``, ``formats``, ``structure``, ``queueing``, ``callers``, ``walk``, ``audit``,
``present``, ``plan``, ``cli``.

The names below are the public API; each is imported when first used, so ``import ivr``
stays cheap (a linter on every save should not pay for scipy).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_API = {
    "ConfigError": "ivr.errors", "InputError": "ivr.errors", "IvrError": "ivr.errors",
    "LoadError": "ivr.errors", "SyntaxProblem": "ivr.errors",
    "Menu": "ivr.model", "Node": "ivr.model", "Option": "ivr.model",
    "Population": "ivr.model",
    "load_menu": "ivr.formats.native", "load_population": "ivr.formats.native",
    "parse_menu": "ivr.formats.native", "load_any": "ivr.formats.registry",
    "to_graph": "ivr.structure.graph", "lint": "ivr.structure.lint",
    "paths": "ivr.structure.paths",
    "compile_chain": "ivr.callers.chain", "solve": "ivr.callers.exact",
    "simulate": "ivr.callers.simulate", "summarize": "ivr.callers.metrics",
    "lint_menu": "ivr.callers.dropped", "person_hours": "ivr.callers.reach",
}

__all__ = [
    "ConfigError", "InputError", "IvrError", "LoadError", "Menu", "Node", "Option",
    "Population", "SyntaxProblem", "compile_chain", "lint", "lint_menu", "load_any",
    "load_menu", "load_population", "parse_menu", "paths", "person_hours", "simulate",
    "solve", "summarize", "to_graph",
]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'ivr' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))


if TYPE_CHECKING:
    from ivr.callers.chain import compile_chain
    from ivr.callers.dropped import lint_menu
    from ivr.callers.exact import solve
    from ivr.callers.metrics import summarize
    from ivr.callers.reach import person_hours
    from ivr.callers.simulate import simulate
    from ivr.errors import ConfigError, InputError, IvrError, LoadError, SyntaxProblem
    from ivr.formats.native import load_menu, load_population, parse_menu
    from ivr.formats.registry import load_any
    from ivr.model import Menu, Node, Option, Population
    from ivr.structure.graph import to_graph
    from ivr.structure.lint import lint
    from ivr.structure.paths import paths
