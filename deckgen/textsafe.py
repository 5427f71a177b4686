"""Text from the notes that is shown somewhere other than a sanitised card field.

A question, a file name or a deck title can hold anything a file can: terminal escape sequences,
bidi overrides that reorder what is shown, markup. What the terminal prints, CHANGELOG.md records
and an HTML field or description shows goes through one of these first.
"""

from __future__ import annotations

import html
import re

# C0 and C1 controls and DEL (ESC starts a terminal escape sequence, U+009B is an 8-bit CSI), the
# bidi controls that reorder text on screen, line and paragraph separators, and lone surrogates
# (the bytes of a file name that is not UTF-8; printing them would fail).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]")
# What would start markup in CommonMark text: a tag, a comment, a declaration, an entity.
_MARKUP = re.compile(r"<(?=[A-Za-z/!?])|&(?=#?[A-Za-z0-9]+;)")


def _visible(m: re.Match) -> str:
    code = ord(m.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, as Python decodes file names
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Show control characters, bidi controls and undecodable bytes as visible escapes (`\\x1b`).

    The result is one line that a terminal prints as it is: a newline in it is shown as `\\x0a`.
    """
    return _UNSAFE.sub(_visible, text) if _UNSAFE.search(text) else text


def html_text(text: str) -> str:
    """Plain text (a file name, a deck title) as HTML that shows exactly that text."""
    return html.escape(printable(text), quote=True)


def markdown_text(text: str) -> str:
    """Plain text for a Markdown file (CHANGELOG.md): no markup, no control characters.

    Only what would start HTML is escaped (`<b`, `&amp;`), so `a < b` and `A & B` stay readable.
    """
    text = printable(text)
    return _MARKUP.sub(lambda m: "&lt;" if m.group() == "<" else "&amp;", text)


def field_text(markup: str) -> str:
    """The text of an HTML field on one line, as near as can be to what the parse calls a question's text."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]*>", " ", markup))).strip()
