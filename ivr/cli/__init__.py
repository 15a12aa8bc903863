"""The ``ivr`` command: parses arguments, calls the library, formats its answers.

The only package that prints or exits. Each module registers its commands; ``main`` runs
one. Exit codes: 0 fine, 1 a failed check (an error finding, a failed gate or journey),
2 bad input or usage (one line naming file, line, column and node), 3 an internal error (a
bug: please report it with ``--debug`` output).

Start-up is part of the interface: a linter runs on every save and every commit. So the
parser is built for the command that runs, and only its module is imported (each imports
the library it needs when it runs); ``ivr --help`` builds them all.
"""

from __future__ import annotations

import os
import signal
import sys

INTERRUPTED = "ivr: interrupted"


def _interrupted_at_start(signum: int, frame: object) -> None:  # pragma: no cover
    """Ctrl-C while ivr itself is imported: one line and 130, not a traceback."""
    sys.stderr.write(INTERRUPTED + "\n")
    os._exit(130)


_DEFAULT_SIGINT = signal.getsignal(signal.SIGINT)
if _DEFAULT_SIGINT is signal.SIG_IGN:  # a caller that ignores Ctrl-C: keep ignoring it
    _DEFAULT_SIGINT = None
else:
    try:  # until the imports below are done (only the main thread may set a handler)
        signal.signal(signal.SIGINT, _interrupted_at_start)
    except ValueError:  # pragma: no cover
        _DEFAULT_SIGINT = None

import argparse  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from importlib import import_module  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from ivr import __version__  # noqa: E402
from ivr.errors import IvrError  # noqa: E402

if _DEFAULT_SIGINT is not None:
    signal.signal(signal.SIGINT, _DEFAULT_SIGINT)

if TYPE_CHECKING:
    from ivr.cli.common import Out

#: Command modules (``ivr.cli.NAME``) and the commands each registers, in the order of
#: ``ivr --help`` (``tests/test_startup.py`` checks the table against ``register``).
MODULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("check", ("lint", "paths", "graph", "import", "rules")),
    ("run", ("simulate", "solve")),
    ("compare", ("compare",)),
    ("show", ("plot", "report")),
    ("audit", ("audit",)),
    ("plan", ("staff", "sweep")),
    ("walk", ("test", "call")),
    ("editor", ("schema",)),
)


def _modules(argv: Sequence[str] | None) -> list[ModuleType]:
    """The command modules to register for ``argv``: the one holding its command; none
    when there is no command and no help is asked for (``ivr --version``); else all."""
    args = list(sys.argv[1:] if argv is None else argv)
    word = next((a for a in args if not a.startswith("-")), None)
    names = [m for m, commands in MODULES if word in commands]
    if not names and word is None and args and not {"-h", "--help"} & set(args):
        return []
    return [import_module(f"ivr.cli.{m}") for m in (names or [m for m, _ in MODULES])]


def build_parser(argv: Sequence[str] | None = None, *,
                 every: bool = True) -> argparse.ArgumentParser:
    """The ``ivr`` parser: with every command, or (``every=False``) only those ``argv``
    needs."""
    parser = argparse.ArgumentParser(
        prog="ivr",
        description="Simulate, lint and audit telephone menus (IVRs).",
        epilog="Exit codes: 0 fine, 1 a failed check, 2 bad input. See README.md.",
    )
    parser.add_argument("--version", action="version", version=f"ivr {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, func: Callable[[argparse.Namespace, Out], int],
                help_text: str) -> argparse.ArgumentParser:
        # ``help`` is %-formatted by argparse, ``description`` is not.
        p = sub.add_parser(name, help=help_text, description=help_text.replace("%%", "%"))
        p.set_defaults(func=func)
        return p

    modules = [import_module(f"ivr.cli.{m}") for m, _ in MODULES] if every else _modules(argv)
    for module in modules:
        module.register(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.Namespace(debug=False)
    for stream in (sys.stdout, sys.stderr):  # a terminal that is not UTF-8 gets escapes
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower() not in (
                "utf-8", "utf8"):
            stream.reconfigure(errors="backslashreplace")
    try:
        # The command's module is imported here, inside the handlers: Ctrl-C while it
        # loads is one line too.
        parser = build_parser(argv, every=False)
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            build_parser().print_help()
            return 2
        from ivr.cli.common import Out

        return int(args.func(args, Out(sys.stdout)))
    except IvrError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # whatever was being written is left whole or not at all
        print(INTERRUPTED, file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug; keep the promise of one line unless --debug
        if args.debug:
            raise
        print(f"ivr: internal error: {type(exc).__name__}: {exc} (rerun with --debug and "
              "report it)", file=sys.stderr)
        return 3


