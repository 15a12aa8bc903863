"""The ``ivr`` command: parses arguments, calls the library, formats its answers.

The only package that prints or exits. Each module registers its commands; ``main`` runs
one. Exit codes: 0 fine, 1 a failed check (an error finding, a failed gate or journey),
2 bad input or usage (one line naming file, line, column and node), 3 an internal error (a
bug: please report it with ``--debug`` output).
"""

from __future__ import annotations

import os
import signal
import sys

INTERRUPTED = "ivr: interrupted"


def _interrupted_at_start(signum: int, frame: object) -> None:  # pragma: no cover
    """Ctrl-C while the commands are imported: one line and 130, not a traceback."""
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

from ivr import __version__  # noqa: E402
from ivr.cli import audit, check, compare, run, show, walk  # noqa: E402
from ivr.cli.common import Out  # noqa: E402
from ivr.errors import IvrError  # noqa: E402

if _DEFAULT_SIGINT is not None:
    signal.signal(signal.SIGINT, _DEFAULT_SIGINT)

#: Command modules, in the order their commands appear in ``ivr --help``.
MODULES = (check, run, compare, show, audit, walk)


def build_parser() -> argparse.ArgumentParser:
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

    for module in MODULES:
        module.register(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = argparse.Namespace(debug=False)
    for stream in (sys.stdout, sys.stderr):  # a terminal that is not UTF-8 gets escapes
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower() not in (
                "utf-8", "utf8"):
            stream.reconfigure(errors="backslashreplace")
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
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


