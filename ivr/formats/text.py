"""Reading an input file as text, refusing what is not (too big, binary, not UTF-8).

Every reader goes through :func:`read_text`, so every format gets the same guards and the
same one-line messages.
"""

from __future__ import annotations

import os
import re

from ivr.errors import InputError

#: An XML declaration naming its encoding, at the very start of the bytes.
_XML_ENCODING = re.compile(rb"""\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z][\w.\-]{0,39})["']""")
#: Default bound on an input file's size; ``max_bytes`` raises it.
MAX_BYTES = 10 * 1024 * 1024


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset.

    Examples
    --------
    >>> line_col("ab\\ncd", 4)
    (2, 2)
    """
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def decode(data: bytes, file: str) -> str:
    """Bytes -> text, or a precise InputError for binary or non-UTF-8 content. XML that is
    not UTF-8 is read in the encoding its declaration names (``encoding="ISO-8859-1"``).

    Examples
    --------
    >>> decode('<?xml version="1.0" encoding="ISO-8859-1"?><vxml>café</vxml>'
    ...        .encode("latin-1"), "a.vxml")[-11:]
    'café</vxml>'
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            "the file is UTF-16 text", file=file, line=1, column=1, hint="save it as UTF-8"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise InputError(
            f"binary file (a NUL byte at offset {nul})",
            file=file,
            hint="give a text file: a YAML menu or an exported flow",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        declared = _XML_ENCODING.match(data[:256])
        if declared is not None:  # XML that says what it is in (encoding="ISO-8859-1")
            try:
                return data.decode(declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
        good = data[: exc.start].decode("utf-8", errors="replace")
        line, col = line_col(good, len(good))
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x})",
            file=file,
            line=line,
            column=col,
            hint="save the file as UTF-8",
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_text(path: str | os.PathLike[str], max_bytes: int = MAX_BYTES) -> str:
    """Read a file as UTF-8 text, refusing files over ``max_bytes``."""
    file = os.fspath(path)
    try:
        size = os.path.getsize(file)
        if os.path.isdir(file):
            raise InputError("is a folder, not a file", file=file)
        if size > max_bytes:
            raise InputError(
                f"file is {size:,} bytes, over the limit of {max_bytes:,}",
                file=file,
                hint="raise the limit with --max-bytes if the file is really a menu",
            )
        with open(file, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError("no such file", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=file) from None
    if len(data) > max_bytes:  # grew while we read it, or a device file
        raise InputError(f"file is over the limit of {max_bytes:,} bytes", file=file)
    return decode(data, file)
