"""Reading exported XML flows safely (defusedxml), keeping each element's line and column.

Entity declarations, external references and DTD tricks are refused by defusedxml; this
module turns that, and every syntax error, into a one-line :class:`SyntaxProblem`.
"""

from __future__ import annotations

import codecs
import re
import xml.sax
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax.handler import ContentHandler

from ivr.errors import SyntaxProblem

#: Elements deeper than this are refused (real flows are a few levels deep).
MAX_DEPTH = 200


@dataclass
class Element:
    """One XML element: tag (namespace dropped), attributes, children, text and position."""

    tag: str
    attrib: dict[str, str]
    line: int
    column: int
    children: list[Element] = field(default_factory=list)
    text: str = ""

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrib.get(name, default)

    def find(self, tag: str) -> Element | None:
        """The first child with this tag."""
        return next((c for c in self.children if c.tag == tag), None)

    def findall(self, tag: str) -> list[Element]:
        """Children with this tag, in document order."""
        return [c for c in self.children if c.tag == tag]

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        """This element and every descendant (with ``tag``), in document order."""
        stack = [self]
        while stack:
            el = stack.pop()
            if tag is None or el.tag == tag:
                yield el
            stack.extend(reversed(el.children))

    def all_text(self) -> str:
        """The text of this element and its descendants, whitespace collapsed."""
        parts = [el.text for el in self.iter()]
        return " ".join(" ".join(parts).split())


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


class _Builder(ContentHandler):
    def __init__(self, file: str) -> None:
        super().__init__()
        self.file = file
        self.stack: list[Element] = []
        self.root: Element | None = None
        self._locator: xml.sax.xmlreader.Locator | None = None

    def setDocumentLocator(self, locator: xml.sax.xmlreader.Locator) -> None:  # noqa: N802
        self._locator = locator

    def startElement(self, name: str, attrs: xml.sax.xmlreader.AttributesImpl) -> None:  # noqa: N802
        loc = self._locator
        line = (loc.getLineNumber() if loc else None) or 0
        col = ((loc.getColumnNumber() if loc else None) or 0) + 1
        if len(self.stack) >= MAX_DEPTH:
            raise SyntaxProblem(f"XML nested more than {MAX_DEPTH} levels deep",
                                file=self.file, line=line, column=col,
                                hint="an exported flow is a few levels deep")
        el = Element(_local(name), {_local(k): v for k, v in attrs.items()}, line, col)
        if self.stack:
            self.stack[-1].children.append(el)
        else:
            self.root = el
        self.stack.append(el)

    def endElement(self, name: str) -> None:  # noqa: N802
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].text += content


_DECLARED = re.compile(r"""(\s*<\?xml\s[^>]*?encoding\s*=\s*["'])([A-Za-z][\w.\-]{0,39})(["'])""")


def _as_utf8(text: str) -> str:
    """The text, its XML declaration saying UTF-8: it is decoded already (read_text honours
    the declared encoding) and is handed to the parser as UTF-8. An encoding Python does
    not know is left for the parser to refuse."""
    m = _DECLARED.match(text)
    if m is None or m.group(2).lower().replace("_", "-") in ("utf-8", "utf8"):
        return text
    try:
        codecs.lookup(m.group(2))
    except LookupError:
        return text
    return text[:m.start(2)] + "UTF-8" + text[m.end(2):]


def parse_xml(text: str, file: str) -> Element:
    """Parse XML text into :class:`Element` records, refusing entity and DTD tricks.

    Examples
    --------
    >>> root = parse_xml('<menu name="m">\\n  <entry digits="1"/>\\n</menu>', "m.xml")
    >>> root.tag, root.get("name"), [(e.get("digits"), e.line) for e in root.findall("entry")]
    ('menu', 'm', [('1', 2)])
    >>> parse_xml('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "bomb.xml")
    Traceback (most recent call last):
    ivr.errors.SyntaxProblem: bomb.xml: the XML declares entities, which ivr refuses \
(entity expansion is how XML bombs work; remove the <!ENTITY> declarations)
    """
    builder = _Builder(file)
    text = _as_utf8(text)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, from a bad decode upstream
        raise SyntaxProblem("the text holds a character UTF-8 cannot encode", file=file,
                            hint=f"at character {exc.start}") from None
    # Imported here: it brings the SAX reader and urllib, which sniffing a file does not need.
    import defusedxml.sax

    try:
        defusedxml.sax.parseString(data, builder, forbid_dtd=False,
                                   forbid_entities=True, forbid_external=True)
    except defusedxml.EntitiesForbidden:
        raise SyntaxProblem("the XML declares entities, which ivr refuses", file=file,
                            hint="entity expansion is how XML bombs work; remove the "
                                 "<!ENTITY> declarations") from None
    except defusedxml.ExternalReferenceForbidden:
        raise SyntaxProblem("the XML refers to an external resource, which ivr refuses",
                            file=file, hint="remove the SYSTEM or PUBLIC reference") from None
    except defusedxml.DTDForbidden:  # pragma: no cover - DTDs themselves are allowed
        raise SyntaxProblem("the XML has a DTD", file=file, line=1, column=1) from None
    except xml.sax.SAXParseException as exc:
        message = exc.getMessage()
        hint = "the file ends early: is it truncated?" if "no element found" in message \
            or "unclosed token" in message else None
        raise SyntaxProblem(f"not well-formed XML: {message}", file=file,
                            line=exc.getLineNumber(), column=(exc.getColumnNumber() or 0) + 1,
                            hint=hint) from None
    except LookupError as exc:  # expat: the declaration names an encoding Python lacks
        raise SyntaxProblem(f"the XML declaration names an encoding ivr cannot read ({exc})",
                            file=file, line=1, column=1,
                            hint='files are read as UTF-8; write encoding="UTF-8"') from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops it first
        raise SyntaxProblem("XML nested too deeply", file=file, line=1, column=1) from None
    if builder.root is None:
        raise SyntaxProblem("the file has no XML element", file=file, line=1, column=1)
    return builder.root


__all__ = ["Element", "parse_xml"]
