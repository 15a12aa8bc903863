"""Readers and writers: every input format becomes an :class:`ivr.model.Menu`."""

from ivr.formats.native import load_menu, load_population, parse_menu

__all__ = ["load_menu", "load_population", "parse_menu"]
