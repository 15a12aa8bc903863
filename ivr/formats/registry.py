"""Every input format by name, told apart by content, and one entry point to load any of them.

Each importer module has ``sniff(text) -> bool`` (cheap, on the first bytes that matter)
and ``read(text, file, entry=None) -> Imported``, ``entry`` naming where calls enter when
the flow has several places they could (``--entry``). Detection goes by content, never by
extension alone: exported flows often have no extension at all.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, replace

from ivr.errors import ConfigError, IvrError, LoadError
from ivr.formats.checks import did_you_mean
from ivr.formats.flows import flow_files, link
from ivr.formats.imported import Imported, to_menu, with_language
from ivr.formats.native import parse_menu
from ivr.formats.text import MAX_BYTES, read_text
from ivr.model import Menu


@dataclass(frozen=True)
class Format:
    """An input format: its name for ``--from``, a title, and its module."""

    name: str
    title: str
    module: str

    def _mod(self):  # type: ignore[no-untyped-def]
        return importlib.import_module(self.module)

    def sniff(self, text: str) -> bool:
        return bool(self._mod().sniff(text))

    def read(self, text: str, file: str, entry: str | None = None) -> Imported:
        imported: Imported = self._mod().read(text, file, entry=entry)
        return with_language(imported, text)


#: Importers in the order they are tried; native YAML is the fallback.
IMPORTERS = (
    Format("connect", "Amazon Connect contact flow (JSON)", "ivr.formats.connect"),
    Format("twilio", "Twilio Studio flow (JSON)", "ivr.formats.twilio"),
    Format("freeswitch", "FreeSWITCH IVR menus (XML)", "ivr.formats.freeswitch"),
    Format("voicexml", "VoiceXML 2.x document", "ivr.formats.voicexml"),
    Format("asterisk", "Asterisk dialplan (extensions.conf)", "ivr.formats.asterisk"),
    Format("genesys", "Genesys Cloud Architect flow (Archy YAML)", "ivr.formats.genesys"),
)
NAMES = ("native", *(f.name for f in IMPORTERS))
_BY_NAME = {f.name: f for f in IMPORTERS}


def detect(text: str) -> str:
    """The name of the format ``text`` is in; "native" when no importer claims it.

    Examples
    --------
    >>> detect("name: x\\nstart: a\\nnodes: {a: {kind: agent}}\\n")
    'native'
    """
    for fmt in IMPORTERS:
        if fmt.sniff(text):
            return fmt.name
    return "native"


def read_any(text: str, file: str, fmt: str | None = None, entry: str | None = None) -> Menu:
    """A menu from text in any supported format (``fmt`` forces one); ``entry`` is where
    calls enter (a node id of a native menu; each importer documents its own names).

    A ``.yaml``/``.yml`` file is read as a native menu first: a valid one is no export
    (none has ``start`` and ``nodes``), and sniffing imports every importer, which takes
    longer than reading a menu people write. Only if that fails is the content sniffed.
    """
    if fmt is None and file.endswith((".yaml", ".yml")):
        try:
            menu = parse_menu(text, file)
        except IvrError:
            if detect(text) == "native":
                raise
        else:
            return menu if entry is None else _entered(menu, entry)
    name = fmt or detect(text)
    if name == "native":
        if fmt is None and not file.endswith((".yaml", ".yml")):
            try:
                menu = parse_menu(text, file)
            except IvrError as exc:
                raise LoadError(
                    "not a menu or an exported flow ivr recognizes", file=file,
                    line=exc.line or 1, column=exc.column or 1,
                    hint=f"read as a native menu: {exc.message}; ivr imports "
                    + ", ".join(f.title for f in IMPORTERS)
                    + "; force one with --from NAME") from None
        else:
            menu = parse_menu(text, file)
        return menu if entry is None else _entered(menu, entry)
    if name not in _BY_NAME:
        raise ConfigError(f"unknown format {name!r}", hint="one of " + ", ".join(NAMES))
    return to_menu(_BY_NAME[name].read(text, file, entry=entry))


def _entered(menu: Menu, entry: str) -> Menu:
    if entry not in menu.nodes:
        raise LoadError(f"--entry {entry!r} is not a node of this menu", file=menu.source.file,
                        hint=did_you_mean(entry, menu.nodes) or "give a node id")
    return replace(menu, start=entry)


def load_any(path: str | os.PathLike[str], fmt: str | None = None, *,
             max_bytes: int = MAX_BYTES, follow: bool = True,
             entry: str | None = None) -> Menu:
    """Load a menu file in any supported format; with ``follow``, flows it hands calls to
    (``transfer: flow``) that are files of the same folder are inlined (ivr.formats.flows).
    ``entry`` applies to this file only: linked flows are entered where they start."""
    file = os.fspath(path)
    menu = read_any(read_text(file, max_bytes), file, fmt, entry)
    if not follow:
        return menu
    return link(menu, lambda p: read_any(read_text(p, max_bytes), p), is_flow_file)


def linked_files(menu: Menu, max_bytes: int = MAX_BYTES) -> dict[str, str]:
    """Node id -> file, for each transfer of ``menu`` into a flow file of its folder."""
    return flow_files(menu, lambda p: read_any(read_text(p, max_bytes), p), is_flow_file)


#: File name endings a folder walk picks up.
EXTENSIONS = (".yaml", ".yml", ".json", ".xml", ".vxml", ".conf")


def is_flow_file(name: str) -> bool:
    """Whether a folder walk should load this file."""
    return name.endswith(EXTENSIONS) and not name.startswith(".")

__all__ = ["EXTENSIONS", "IMPORTERS", "NAMES", "Format", "detect", "is_flow_file",
           "linked_files", "load_any", "read_any"]
