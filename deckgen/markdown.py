"""The markdown dialect of note files: GFM plus dollar math, with helpers to read tokens.

Math is parsed as its own tokens (mdit-py-plugins' dollarmath) so markdown never touches it,
and is written out in the only delimiters Anki's MathJax reads: \\(...\\) and \\[...\\].
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors.index import slugify as _slugify
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.gfm import gfm_plugin

from deckgen.cjk import cjk_friendly_plugin

MAX_NESTING = 100
"""Deeper blocks are not parsed (markdown-it recurses per level); parse_file warns when it is hit."""


def escape_math(tex: str) -> str:
    """Escape only what HTML needs; MathJax must see every backslash and brace as written."""
    return tex.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _math(content: str, options: dict) -> str:
    if options.get("display_mode"):
        return "\\[" + escape_math(content.strip()) + "\\]"
    return "\\(" + escape_math(content.strip()) + "\\)"


Blocks = dict[tuple[str, str], str]
"""(language, code) -> the HTML of a fenced code block."""

_known: Blocks = {}
_used: Blocks | None = None


@contextmanager
def highlighted_before(known: Blocks) -> Iterator[Blocks]:
    """Reuse the HTML of the code blocks in `known` while one file is parsed; give the blocks
    that parse highlighted, to keep for its next one (see cache.CodeMemo).

    Pygments compiles a lexer's rules the first time a process uses it (python 0.05 s, sql
    0.03 s), and the first unknown language makes it look through every installed package for
    a plugin (0.06 s): a rebuild after an edit parses the file in a new process, and would pay
    for all of that again though its code blocks did not change."""
    global _known, _used
    before = _known, _used
    _known, _used = known, {}
    try:
        yield _used
    finally:
        _known, _used = before


def _highlight(code: str, lang: str, _attrs: str) -> str:
    """Highlight a fenced block with Pygments CSS classes (the card CSS holds both palettes)."""
    name = lang.strip().split()[0].lower() if lang.strip() else ""
    html = _highlighted(code, name)
    if name and _used is not None:  # a block with no language is only escaped: nothing to keep
        _used[(name, code)] = html
    return html


@lru_cache(maxsize=256)
def _highlighted(code: str, name: str) -> str:
    """A block highlighted once: `deckgen watch` renders every block of a file again on each save."""
    if name and (known := _known.get((name, code))) is not None:
        return known
    body = None
    lexer = _lexer(name) if name else None
    if lexer is not None:
        from pygments import highlight  # imported only when a block is highlighted anew

        body = highlight(code, lexer, _formatter())
    if body is None:
        body = code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    cls = f' class="language-{name}"' if name and re.fullmatch(r"[\w+#-]+", name) else ""
    return f'<pre class="code"><code{cls}>{body}</code></pre>'


@lru_cache(maxsize=1)
def _formatter():
    """Make Pygments' HTML formatter when a block is first highlighted anew (it loads a style)."""
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


@lru_cache(maxsize=64)
def _lexer(name: str):
    """Look a lexer up once per language (Pygments' lookup scans its registry each time)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(name)
    except ClassNotFound:
        return None


@lru_cache(maxsize=1)
def markdown() -> MarkdownIt:
    """Return the shared parser: CommonMark + GFM (tables, autolinks, footnotes) + math.

    Emphasis follows the CJK-friendly flanking rules (deckgen.cjk), so `**용어(term)**는`
    is bold; text without CJK characters parses exactly as CommonMark says.
    """
    md = MarkdownIt("commonmark", {"html": True, "xhtmlOut": False, "highlight": _highlight,
                                   "maxNesting": MAX_NESTING})
    md.use(gfm_plugin, front_matter=False)
    md.use(front_matter_plugin)
    md.use(
        dollarmath_plugin,
        allow_space=True,
        allow_digits=False,  # "$5 and $6" is money, not math
        allow_blank_lines=False,
        double_inline=True,
        renderer=_math,
    )
    md.use(cjk_friendly_plugin)
    return md


def slug(title: str) -> str:
    """Slug a heading the way GitHub does, so `[q](#slug)` links resolve."""
    return _slugify(title.strip())


def inline_text(token: Token) -> str:
    """Plain text of an inline token: what a reader sees, math as its TeX."""
    parts: list[str] = []
    for child in token.children or ():
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("math_inline", "math_inline_double"):
            parts.append(f"${child.content}$")
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def tokens_text(tokens: list[Token]) -> str:
    """Plain text of a run of block tokens, one line per block."""
    lines = []
    for token in tokens:
        if token.type == "inline":
            lines.append(inline_text(token))
        elif token.type in ("fence", "code_block", "math_block", "math_block_label"):
            lines.append(token.content.strip())
    return "\n".join(line for line in lines if line)
