"""Stage 3: markdown tokens -> safe HTML for Anki fields.

Math arrives as \\(...\\)/\\[...\\] (see markdown.py), code as Pygments classes; raw HTML that users
write is kept but cleaned with an allowlist, because a card runs in a web view with JavaScript.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import nh3
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from deckgen.markdown import escape_math, markdown

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "s", "section", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "u", "ul", "input", "figure", "figcaption", "center",
}
_ATTRS = {
    "*": {"class", "title", "align"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style"},
    "input": {"type", "checked", "disabled"},
}


_DATA_URL = re.compile(r'\s(?:href="data:[^"]*"|src="data:(?!image/)[^"]*")', re.I)


def sanitize(fragment: str) -> str:
    """Keep what notes legitimately use; drop scripts, frames, handlers and unsafe URLs."""
    clean = nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRS,
        url_schemes={"http", "https", "mailto", "data"},
        link_rel=None,
        strip_comments=True,
    )
    # `data:` only as an inline image: a data: link could carry a page with a script. (nh3 writes
    # every attribute in double quotes, so this sees each one; no Python callback runs inside nh3.)
    return _DATA_URL.sub("", clean) if "data:" in clean else clean


def inline(tokens: list[Token], env: dict) -> str:
    """Render a question's inline tokens to HTML."""
    md = markdown()
    kept = [t for t in tokens if not (t.type == "html_inline" and t.content.startswith("<!--"))]
    return sanitize(md.renderer.renderInline(kept, md.options, env).strip())


ImageResolver = Callable[[str, int], "str | None"]
"""(src, 0-based line) -> packaged media name, the remote URL unchanged, or None to drop."""


def blocks(nodes: list[SyntaxTreeNode], env: dict, images: ImageResolver | None = None) -> str:
    """Render answer blocks to HTML; a paragraph lifted out of a tight list gets its <p> back."""
    if not nodes:
        return ""
    md = markdown()
    tokens: list[Token] = []
    for node in nodes:
        node_tokens = node.to_tokens()
        if node.type == "paragraph" and node_tokens[0].hidden:
            node_tokens = [_shown(t) if t.type.startswith("paragraph_") else t for t in node_tokens]
        tokens.extend(node_tokens)
    _unlink_local_anchors(tokens)
    if images is not None:
        _place_images(tokens, images)
    return sanitize(md.renderer.render(tokens, md.options, env).strip())


_HTML_IMG = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(["'])(.*?)\1[^>]*>""", re.I | re.S)
# Older notes put TeX in a comment beside an image of it rendered by a web service.
_TEX_IMAGE = re.compile(r"<!--\s*(\$\$?)(.+?)\1\s*-->\s*(<img\b[^>]*>)?", re.S)


_MATH_SERVICE = re.compile(r"render/math\?math=|latex\.codecogs\.com|chart\.apis\.google\.com/chart\?cht=tx", re.I)


def _place_images(tokens: list[Token], images: ImageResolver) -> None:
    """Point images at packaged media; remote ones become links (a phone may be offline)."""
    line = 0
    for token in tokens:
        if token.map:
            line = token.map[0]
        has_tex = "<!--" in token.content and "$" in token.content
        if token.type in ("html_block", "html_inline"):
            token.content = _html_images(token.content, line, images, has_tex)
        for i, child in enumerate(token.children or ()):
            if child.type == "html_inline":
                child.content = _html_images(child.content, line, images, has_tex)
            if child.type != "image":
                continue
            src = str(child.attrGet("src") or "")
            placed = images(src, line)
            if placed is None:
                token.children[i] = Token("text", "", 0, content="")
            elif placed.startswith("data:"):
                child.attrSet("src", placed)
            elif "://" in placed or placed.startswith("//"):
                alt = child.content or placed
                token.children[i] = Token("html_inline", "", 0, content=_remote_link(placed, alt))
            else:
                child.attrSet("src", placed)


def _remote_link(url: str, label: str) -> str:
    return f'<a class="remote-image" href="{html.escape(url)}">{html.escape(label)}</a>'


def _html_images(fragment: str, line: int, images: ImageResolver, has_tex: bool) -> str:
    def tex(m: re.Match) -> str:
        tex_src = escape_math(m.group(2).strip())
        return f"\\[{tex_src}\\]" if m.group(1) == "$$" else f"\\({tex_src}\\)"

    fragment = _TEX_IMAGE.sub(tex, fragment)

    def img(m: re.Match) -> str:
        if has_tex and _MATH_SERVICE.search(m.group(2)):
            return ""  # the TeX beside it is typeset instead
        placed = images(html.unescape(m.group(2)), line)
        if placed is None:
            return ""
        if ("://" in placed or placed.startswith("//")) and not placed.startswith("data:"):
            return _remote_link(placed, placed)
        return m.group(0).replace(m.group(2), html.escape(placed), 1)

    return _HTML_IMG.sub(img, fragment)


def _shown(token: Token) -> Token:
    copy = token.copy()
    copy.hidden = False
    return copy


def _unlink_local_anchors(tokens: list[Token]) -> None:
    """Turn links to anchors (`#17-3`) into plain text: on a card they lead nowhere."""
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        if not any(c.type == "link_open" and str(c.attrGet("href") or "").startswith("#")
                   for c in token.children):
            continue
        kept, skipping = [], 0
        for child in token.children:
            if child.type == "link_open" and str(child.attrGet("href") or "").startswith("#"):
                skipping += 1
                continue
            if child.type == "link_close" and skipping:
                skipping -= 1
                continue
            kept.append(child)
        token.children = kept


def subquestions(parts: list[tuple[str, str]]) -> str:
    """Render a question's sub-questions with their answers, as the parent's answer shows them."""
    if not parts:
        return ""
    items = "".join(
        f'<dt class="subq-q">{q}</dt><dd class="subq-a">{a}</dd>' for q, a in parts
    )
    return f'<dl class="subqs">{items}</dl>'


def keywords(words: tuple[str, ...]) -> str:
    """Render keywords as chips."""
    return "".join(f'<span class="kw">{html.escape(w)}</span>' for w in words)
