"""What every command shares: output, safe writing, finding files, loading, arguments.

The command modules import the library where a command runs, not at the top: ``ivr
--version`` or ``ivr lint`` on every save must not pay for scipy or matplotlib
(``tests/test_startup.py``). What they import at the top is only what building the
parser needs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, TextIO

from ivr.callers import DEFAULT_SEED
from ivr.errors import ConfigError, InputError
from ivr.formats.registry import NAMES, is_flow_file, load_any
from ivr.formats.text import MAX_BYTES

if TYPE_CHECKING:
    from ivr.callers.chain import Chain
    from ivr.model import Menu
    from ivr.structure.lint import LintConfig

_COLOURS = {"error": "31", "warning": "33", "info": "36", "ok": "32", "dim": "2"}


class Out:
    """Writes to stdout, colouring only on a terminal (and never with NO_COLOR)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.colour = stream.isatty() and "NO_COLOR" not in os.environ

    def paint(self, text: str, style: str) -> str:
        return f"\033[{_COLOURS[style]}m{text}\033[0m" if self.colour else text

    def line(self, text: str = "") -> None:
        self.stream.write(text + "\n")


def write_atomically(path: str, data: str | bytes) -> None:
    """Write a whole file or nothing: a temporary file renamed over the target, with the
    permissions a plain write would give (``mkstemp`` makes 0600; outputs are to share)."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=".ivr-", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException as exc:  # an OS error, or Ctrl-C: never leave the hidden file
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(f"cannot write: {exc.strerror or exc}", file=path) from None
        raise


def write_folder(folder: str, files: Mapping[str, str | bytes]) -> list[str]:
    """Write several files into ``folder`` whole or not at all: they are written to a
    hidden temporary folder beside it, which becomes the folder (or whose files are moved
    into it when it exists) only once every file is written. Returns the paths written."""
    parent = os.path.dirname(os.path.abspath(folder))
    tmp = None
    try:
        tmp = tempfile.mkdtemp(prefix=".ivr-", dir=parent)
        mask = os.umask(0)
        os.umask(mask)
        for name, data in files.items():
            raw = data.encode("utf-8") if isinstance(data, str) else data
            with open(os.path.join(tmp, name), "wb") as fh:
                fh.write(raw)
            os.chmod(os.path.join(tmp, name), 0o666 & ~mask)
        if not os.path.exists(folder):
            os.chmod(tmp, 0o777 & ~mask)
            os.rename(tmp, folder)
            tmp = None
        else:
            for name in files:
                os.replace(os.path.join(tmp, name), os.path.join(folder, name))
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", file=folder) from None
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return [os.path.join(folder, name) for name in files]


def menu_files(targets: Sequence[str]) -> Iterator[str]:
    """Files named, and menu or flow files under folders named, in sorted order."""
    for target in targets:
        if os.path.isdir(target):
            found: list[str] = []
            for root, dirs, files in os.walk(target):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, f) for f in files if is_flow_file(f))
            if not found:
                raise InputError("no menu or flow files in this folder", file=target,
                                 hint="menus are *.yaml or *.yml; exported flows *.json, "
                                      "*.xml, *.vxml or *.conf")
            yield from sorted(found)
        else:
            yield target


def repo_root(start: str | None = None) -> str:
    """The nearest folder at or above ``start`` (default: the current one) holding .git,
    else the current folder: SARIF paths are written relative to it."""
    here = os.path.abspath(start or os.getcwd())
    folder = here
    while True:
        if os.path.exists(os.path.join(folder, ".git")):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return here
        folder = parent


def load_file(args: argparse.Namespace, path: str, *, follow: bool = True) -> Menu:
    """One menu or flow file with the shared loading options (--from, --entry, --max-bytes);
    with ``follow``, the flows it hands calls to in its folder are inlined."""
    return load_any(path, args.from_format, max_bytes=args.max_bytes, follow=follow,
                    entry=getattr(args, "entry", None))


def load(args: argparse.Namespace) -> Menu:
    return load_file(args, args.file)


def load_chain(args: argparse.Namespace) -> Chain:
    """The chain of ``args.file`` with ``--callers``, every call at ``--at`` when the
    command has it (read in the menu's clock unless a zone is named)."""
    from ivr.callers.calendar import clock
    from ivr.callers.chain import compile_chain
    from ivr.formats.native import load_population
    from ivr.week import parse_at

    menu = load(args)
    population = None
    if args.callers:
        population = load_population(args.callers, menu, max_bytes=args.max_bytes)
    at = None
    if getattr(args, "at", None):
        try:
            at = parse_at(args.at, clock(menu.schedules))
        except ValueError as exc:
            raise ConfigError(f"--at: {exc}") from None
    return compile_chain(menu, population, at=at)


class Progress:
    """A progress bar on stderr, only on a terminal."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.last = -1

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        tenth = 40 * done // max(total, 1)
        if tenth != self.last:
            self.last = tenth
            sys.stderr.write(f"\r  [{'#' * tenth}{'.' * (40 - tenth)}] {done:,}/{total:,}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.last >= 0:
            sys.stderr.write("\r" + " " * 70 + "\r")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value



def count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def from_format(p: argparse.ArgumentParser) -> None:
    """--from and --entry: how every command that reads menus reads an exported flow."""
    p.add_argument("--from", dest="from_format", choices=NAMES, metavar="FORMAT",
                   help="read input as this format instead of detecting it: "
                   + ", ".join(NAMES))
    p.add_argument("--entry", metavar="WHERE",
                   help="where calls enter the flow, instead of its own start: an Asterisk "
                   "CONTEXT[,EXTEN], a FreeSWITCH menu name, a VoiceXML form or menu id, a "
                   "Connect block identifier, a Twilio Studio widget name, a Genesys menu or "
                   "task refId or name, or a native node id")


def max_bytes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-bytes", type=positive_int, default=MAX_BYTES, metavar="N",
                   help=f"refuse input files over N bytes (default {MAX_BYTES:,})")


CONFIG_NAME = ".ivr-lint.yaml"


def lint_options(p: argparse.ArgumentParser) -> None:
    """The lint settings every command that reports findings takes."""
    p.add_argument("--config", metavar="FILE",
                   help=f"lint config (YAML: disable, rules); default ./{CONFIG_NAME} if present")
    p.add_argument("--disable", action="append", metavar="RULE", help="turn a lint rule off")
    p.add_argument("--set", action="append", metavar="RULE.NAME=VALUE",
                   help="change a lint rule setting, e.g. HUMAN_DEPTH.max=4 or "
                   "LONG_PROMPT.severity=info")


def lint_config(args: argparse.Namespace) -> LintConfig:
    """The lint settings of ``lint_options`` (and ./.ivr-lint.yaml when present)."""
    from ivr.formats.text import read_text
    from ivr.formats.yamltext import parse_yaml
    from ivr.structure.lint import LintConfig

    config = LintConfig()
    path = args.config or (CONFIG_NAME if os.path.exists(CONFIG_NAME) else None)
    if path:
        doc = parse_yaml(read_text(path), path)
        config = config.merged(doc.data or {}, path, doc)
    return config.changed(getattr(args, "disable", None) or (), getattr(args, "set", None) or ())


def sampling(p: argparse.ArgumentParser, callers: str) -> None:
    """``-n`` and ``--seed`` of every command that simulates; ``callers`` says what
    ``-n`` counts ("callers per variant", ...)."""
    p.add_argument("-n", type=positive_int, default=100_000, metavar="N",
                   help=f"{callers} (default 100,000)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"random seed; the same seed gives the same numbers (default "
                   f"{DEFAULT_SEED})")


def population(p: argparse.ArgumentParser) -> None:
    """The arguments of every command that walks callers: a menu and who calls."""
    p.add_argument("file", metavar="FILE", help="a menu file (YAML or an exported flow)")
    p.add_argument("--callers", metavar="POP",
                   help="a callers file (default: the menu's callers section)")
    from_format(p)


#: ``command(name, func, help)`` adds a sub-command and returns its parser; each command
#: module's ``register(command)`` receives it.
Command = Callable[[str, Callable[[argparse.Namespace, Out], int], str], argparse.ArgumentParser]
