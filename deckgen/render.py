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

from deckgen.markdown import escape_math, markdown
from deckgen.tree import Node

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
        filter_style_properties={"text-align"},  # tables align cells; nothing may move or cover the card
    )
    # `data:` only as an inline image: a data: link could carry a page with a script. (nh3 writes
    # every attribute in double quotes, so this sees each one; no Python callback runs inside nh3.)
    return _DATA_URL.sub("", clean) if "data:" in clean else clean


ImageResolver = Callable[[str, int], "str | None"]
"""(src, 0-based line) -> packaged media name, the remote URL unchanged, or None to drop."""


def inline(tokens: list[Token], env: dict, images: ImageResolver | None = None, line: int = 0) -> str:
    """Render a question's inline tokens to HTML (its images packaged like an answer's)."""
    md = markdown()
    kept = [t for t in tokens if not (t.type == "html_inline" and t.content.startswith("<!--"))]
    if images is not None and any(t.type in ("image", "html_inline") for t in kept):
        holder = _copy(Token("inline", "", 0, map=[line, line + 1], children=kept))
        _place_images([holder], images)
        kept = holder.children or []
    html_out = md.renderer.renderInline(kept, md.options, env).strip()
    return sanitize(html_out) if any(t.type == "html_inline" for t in kept) else html_out




LinkResolver = Callable[[str, str], "str | None"]
"""(href, link text) -> the text to show instead of a link that leads nowhere on a card, or None
to keep the link (a web address)."""


def blocks(
    nodes: list[Node],
    env: dict,
    images: ImageResolver | None = None,
    links: LinkResolver | None = None,
) -> str:
    """Render answer blocks to HTML; a paragraph lifted out of a tight list gets its <p> back."""
    if not nodes:
        return ""
    md = markdown()
    tokens: list[Token] = []
    for node in nodes:
        node_tokens = [_copy(t) for t in node.to_tokens()]
        if node.type == "paragraph" and node_tokens[0].hidden:
            node_tokens = [_shown(t) if t.type.startswith("paragraph_") else t for t in node_tokens]
        tokens.extend(node_tokens)
    _unlink_local(tokens, links)
    _math_images(tokens)
    if images is not None:
        _place_images(tokens, images)
    html_out = md.renderer.render(tokens, md.options, env).strip()
    return sanitize(html_out) if _has_raw_html(tokens) else html_out


def _has_raw_html(tokens: list[Token]) -> bool:
    """Tell whether the user wrote HTML here: markdown-it escapes everything else and refuses
    unsafe link schemes itself, so only raw HTML needs the sanitiser."""
    return any(
        t.type == "html_block" or (t.children and any(c.type == "html_inline" for c in t.children))
        for t in tokens
    )


_REWRITTEN = frozenset({"html_inline", "image", "link_open", "link_close"})


def _copy(token: Token) -> Token:
    """Copy what rewriting links, math and images changes, so the parsed tree stays as it was.

    Only raw HTML and inline runs holding links, images or HTML are ever rewritten; every other
    token is shared (copying all of them was a fifth of a large build).
    """
    if token.type in ("html_block", "math_block"):
        return token.copy()
    if token.children and any(c.type in _REWRITTEN for c in token.children):
        children = [c.copy(attrs=dict(c.attrs)) if c.type in _REWRITTEN else c for c in token.children]
        return token.copy(children=children)
    return token


def references(fragment: str) -> str:
    """Set an answer's References apart: kept with the answer, in small print."""
    return f'<div class="dg-refs">{fragment}</div>' if fragment.strip() else ""


_HTML_IMG = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*(["'])(.*?)\1[^>]*>""", re.I | re.S)

# Older notes put TeX in a comment beside an image of it rendered by a web service; the TeX is
# typeset and the image dropped. A service image with no comment beside it gives its TeX from the URL.
_MATH_SERVICE = re.compile(
    r"render/math\?math=|latex\.codecogs\.com/|chart\.apis\.google\.com/chart\?cht=tx|"
    r"math\.now\.sh/?\?|latex\.vercel\.app/?\?",
    re.I,
)
_HTML_PIECE = re.compile(
    r"(?P<tex><!--\s*(?P<d>\$\$?)(?P<body>.+?)(?P=d)\s*-->)"
    r"|(?P<img><img\b[^>]*>)"
    r"|(?P<comment><!--.*?-->)"
    r"|(?P<tag></?[a-zA-Z][^>]*>)"
    r"|(?P<text>[^<]+|<)",
    re.S,
)
_BLOCK_CONTAINER = re.compile(r"<(?:div|p|center|figure)\b", re.I)


def _math_src(src: str) -> bool:
    return bool(_MATH_SERVICE.search(src))


def _tex_from_url(src: str) -> str | None:
    """Recover the TeX a math-rendering service was asked to draw, from its URL."""
    from urllib.parse import parse_qs, unquote, urlparse

    url = urlparse(html.unescape(src))
    params = parse_qs(url.query, keep_blank_values=True)
    for name in ("math", "chl", "tex", "from"):
        if name in params and params[name][0].strip():
            raw = re.search(rf"(?:^|&){name}=([^&]*)", url.query)
            return unquote(raw.group(1)).strip() if raw else params[name][0].strip()
    if "codecogs" in url.netloc.lower() or url.netloc.lower().startswith(("math.now", "latex.vercel")):
        query = url.query or ""
        query = re.sub(r"^\\(?:dpi|bg|fn|inline)\{?[^ &}]*\}?\s*", "", query.replace("&space;", " "))
        return unquote(query).strip() or None
    return None


def _tex_html(tex: str, display: bool) -> str:
    body = escape_math(tex.strip())
    if display:
        return f'<div class="math block">\\[{body}\\]</div>'
    return f'<span class="math inline">\\({body}\\)</span>'


class _TexPairs:
    """Pairs a TeX comment with the math image beside it, across the tokens of one answer."""

    def __init__(self) -> None:
        self.pending = ""  # "tex": a comment's TeX was just typeset; "img": a math image was

    def reset(self) -> None:
        self.pending = ""


def _math_images(tokens: list[Token]) -> None:
    """Typeset TeX from `<!-- $x$ -->` comments and math-service images; never show both."""
    state = _TexPairs()
    for token in tokens:
        if token.type == "html_block":
            block = not _HTML_IMG.search(token.content) or bool(
                re.match(r"\s*(?:<!--.*?-->\s*)*<(?:div|p|center|figure|img)\b", token.content, re.S | re.I)
            )
            token.content = _math_in_html(token.content, state, block)
        elif token.type == "inline" and token.children:
            only = [c for c in token.children
                    if not (c.type in ("text", "softbreak", "hardbreak") and not c.content.strip())
                    and not (c.type == "html_inline" and c.content.lstrip().startswith("<!--"))]
            alone = len(only) == 1 and only[0].type == "image"
            kept: list[Token] = []
            for child in token.children:
                if child.type == "html_inline":
                    child.content = _math_in_html(child.content, state, alone)
                    kept.append(child)
                elif child.type == "image" and _math_src(str(child.attrGet("src") or "")):
                    if state.pending == "tex":
                        state.reset()
                        continue
                    tex = _tex_from_url(str(child.attrGet("src") or ""))
                    if tex is None:
                        state.reset()
                        kept.append(child)
                        continue
                    kept.append(_math_token(tex, alone))
                    state.pending = "img"
                else:
                    if child.type not in ("softbreak", "hardbreak") and (
                        child.type != "text" or child.content.strip()
                    ):
                        state.reset()
                    kept.append(child)
            token.children = kept
        elif token.type not in ("paragraph_open", "paragraph_close"):
            state.reset()


def _math_token(tex: str, display: bool) -> Token:
    return Token("html_inline", "", 0, content=_tex_html(tex, display))


def _math_in_html(fragment: str, state: _TexPairs, block: bool) -> str:
    out: list[str] = []
    for m in _HTML_PIECE.finditer(fragment):
        if m.group("tex") is not None:
            if state.pending == "img":
                state.reset()  # the image beside it already gave this TeX
                continue
            display = m.group("d") == "$$"
            out.append(_tex_html(m.group("body"), display))
            state.pending = "tex"
        elif m.group("img") is not None:
            src = _HTML_IMG.match(m.group("img"))
            if src is None or not _math_src(src.group(2)):
                state.reset()
                out.append(m.group(0))
                continue
            if state.pending == "tex":
                state.reset()
                continue
            tex = _tex_from_url(src.group(2))
            if tex is None:
                state.reset()
                out.append(m.group(0))
                continue
            out.append(_tex_html(tex, block))
            state.pending = "img"
        elif m.group("text") is not None and m.group(0).strip():
            state.reset()
            out.append(m.group(0))
        else:
            out.append(m.group(0))
    return _EMPTY_BOX.sub("", "".join(out))


# `<p align="center"><img ...></p>` whose image gave way to its TeX, or was dropped.
_EMPTY_BOX = re.compile(r"<(p|div|center|figure)\b[^>]*>\s*</\1\s*>", re.I)


def _place_images(tokens: list[Token], images: ImageResolver) -> None:
    """Point images at packaged media; remote ones become links (a phone may be offline)."""
    line = 0
    for token in tokens:
        if token.map:
            line = token.map[0]
        if token.type in ("html_block", "html_inline"):
            token.content = _html_images(token.content, line, images)
        for i, child in enumerate(token.children or ()):
            if child.type == "html_inline":
                child.content = _html_images(child.content, line, images)
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


def _html_images(fragment: str, line: int, images: ImageResolver) -> str:
    def img(m: re.Match) -> str:
        placed = images(html.unescape(m.group(2)), line)
        if placed is None:
            return ""
        if ("://" in placed or placed.startswith("//")) and not placed.startswith("data:"):
            return _remote_link(placed, placed)
        return m.group(0).replace(m.group(2), html.escape(placed), 1)

    placed = _HTML_IMG.sub(img, fragment)
    return _EMPTY_BOX.sub("", placed) if placed != fragment else placed


def _shown(token: Token) -> Token:
    copy = token.copy()
    copy.hidden = False
    return copy


def is_local_href(href: str) -> bool:
    """Tell whether a link leads into the notes (an anchor or a relative path), not to the web."""
    from urllib.parse import urlparse

    href = href.strip()
    if not href or href.startswith("//"):
        return False
    return not urlparse(href).scheme


def _unlink_local(tokens: list[Token], links: LinkResolver | None) -> None:
    """Turn links that lead nowhere on a card (`#17-3`, `other.md#2`) into plain text.

    The resolver may name what a link points at (a question) for link text like `여기` or `12`.
    """
    resolve = links or _keep_label
    for token in tokens:
        if token.type != "inline" or not token.children:
            continue
        if not any(c.type == "link_open" for c in token.children):
            continue
        kept: list[Token] = []
        stack: list[tuple[str, int]] = []  # (href, index of its link_open in kept)
        for child in token.children:
            if child.type == "link_open":
                stack.append((str(child.attrGet("href") or ""), len(kept)))
                kept.append(child)
                continue
            if child.type == "link_close" and stack:
                href, start = stack.pop()
                label = _plain(kept[start + 1:])
                shown = resolve(href, label)
                if shown is None:
                    kept.append(child)
                elif shown == label:
                    del kept[start]
                else:
                    kept[start:] = [Token("text", "", 0, content=shown)]
                continue
            kept.append(child)
        token.children = kept


def _keep_label(href: str, label: str) -> str | None:
    return label if is_local_href(href) else None


def _plain(tokens: list[Token]) -> str:
    return "".join(t.content for t in tokens if t.type in ("text", "code_inline")).strip()


def subquestions(parts: list[tuple[str, str]]) -> str:
    """Render a question's sub-questions with their answers, as the parent's answer shows them."""
    if not parts:
        return ""
    items = "".join(
        f'<dt class="subq-q">{q}</dt><dd class="subq-a">{a}</dd>' for q, a in parts
    )
    return f'<dl class="subqs">{items}</dl>'
