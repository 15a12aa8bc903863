"""ivr: simulate, lint and audit telephone menus (IVRs) before callers suffer them."""

from ivr.errors import ConfigError, InputError, IvrError, LoadError, SyntaxProblem
from ivr.formats import load_menu, load_population, parse_menu
from ivr.model import Menu, Node, Option, Population

__all__ = [
    "ConfigError",
    "InputError",
    "IvrError",
    "LoadError",
    "Menu",
    "Node",
    "Option",
    "Population",
    "SyntaxProblem",
    "load_menu",
    "load_population",
    "parse_menu",
]
__version__ = "0.1.0"
