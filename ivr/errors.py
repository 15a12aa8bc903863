"""The one exception family of ivr.

Every error a user can cause is an :class:`IvrError` that knows where it happened, so the
CLI can print exactly one line ``file:line:col: node 'x': what is wrong (hint)`` and exit 2.
"""

from __future__ import annotations


class IvrError(Exception):
    """Base of every error ivr raises on purpose.

    Examples
    --------
    >>> e = LoadError("no such node 'bilin'", file="bank.yaml", line=12, column=7,
    ...               node="main", hint="did you mean 'billing'?")
    >>> str(e)
    "bank.yaml:12:7: node 'main': no such node 'bilin' (did you mean 'billing'?)"
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
        node: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.node = node
        self.hint = hint

    def __str__(self) -> str:
        parts = []
        if self.file is not None:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            parts.append(where)
        if self.node is not None:
            parts.append(f"node {self.node!r}")
        text = self.message if not self.hint else f"{self.message} ({self.hint})"
        parts.append(text)
        return one_line(": ".join(parts))


#: Characters that end a line for ``str.splitlines`` (and for terminals and log readers).
_BREAKS = {ord(c): repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def one_line(text: str) -> str:
    """``text`` with every line break written as its escape, so a message naming a file or
    a value with a break in it still reads as one line.

    Examples
    --------
    >>> one_line("menu 'a\\nb'")
    "menu 'a\\\\nb'"
    """
    return text.translate(_BREAKS)


class InputError(IvrError):
    """The file cannot be read as text of the expected kind (missing, too big, binary)."""


class SyntaxProblem(IvrError):
    """The text is not well-formed YAML (or JSON/XML for imports)."""


class LoadError(IvrError):
    """Well-formed text that is not a valid menu or population."""


class ConfigError(IvrError):
    """A bad lint configuration, rule name or command-line value."""
