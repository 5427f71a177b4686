"""Stage 3: markdown tokens -> safe HTML for Anki fields.

Math arrives as \\(...\\)/\\[...\\] (see markdown.py), code as Pygments classes; raw HTML that users
write is kept but cleaned with an allowlist, because a card runs in a web view with JavaScript.
Every field leaves here with the math commands Anki's MathJax must not run taken out (mathsafe.py),
and every image, written in markdown or in HTML, packaged or turned into a link.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import parse_qs, unquote, urlparse

import nh3
from markdown_it.token import Token

from deckgen import mathsafe
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


# nh3 writes every attribute in double quotes, so this sees each URL it kept.
_URL_ATTR = re.compile(r'\s(href|src)="([^"]*)"')
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_URL_TRIM = "".join(map(chr, range(0x21)))  # what a browser strips from both ends of a URL
_URL_DROPPED = re.compile(r"[\t\n\r]")  # and removes anywhere in it


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
    # nh3 lets `data:` through for inline images, and reads `" data:…"` or `"da&#9;ta:…"` as no
    # scheme at all, where a browser strips the space and the tab and opens the page. Every URL is
    # read here the way a browser reads it (no Python callback runs inside nh3).
    return _URL_ATTR.sub(_safe_url, clean) if ("href=" in clean or "src=" in clean) else clean


def _safe_url(m: re.Match) -> str:
    return m.group(0) if url_allowed(m.group(1), html.unescape(m.group(2))) else ""


def url_allowed(attribute: str, url: str) -> bool:
    """Tell whether a link (`href`) or an image (`src`) may keep this URL on a card.

    Links: the web and mail, or a place with no scheme; images: also inline image data.
    """
    url = _URL_DROPPED.sub("", url.strip(_URL_TRIM))
    m = _SCHEME.match(url)
    if m is None:
        return True
    scheme = m.group(1).lower()
    if scheme in ("http", "https"):
        return True
    if attribute == "href":
        return scheme == "mailto"
    return url[:11].lower() == "data:image/"


ImageResolver = Callable[[str, int], "str | None"]
"""(src, 0-based line) -> packaged media name, the remote URL unchanged, or None to drop."""

Warn = Callable[[int, str], None]
"""(0-based line, message): record a warning about the notes at that line."""


class _Placed:
    """An image resolver that remembers what it gave, to tell a placed image from one it never saw."""

    def __init__(self, resolve: ImageResolver):
        self.resolve = resolve
        self.names: set[str] = set()

    def __call__(self, src: str, line: int) -> str | None:
        placed = self.resolve(src, line)
        if placed is not None and not _is_remote(placed):
            self.names.add(placed)
        return placed


def inline(tokens: list[Token], env: dict, images: ImageResolver | None = None, line: int = 0,
           warn: Warn | None = None) -> str:
    """Render a question's inline tokens to HTML (its images packaged like an answer's)."""
    md = markdown()
    kept = [t for t in tokens if not (t.type == "html_inline" and t.content.startswith("<!--"))]
    placed = _Placed(images) if images is not None else None
    if placed is not None and any(t.type in ("image", "html_inline") for t in kept):
        holder = _copy(Token("inline", "", 0, map=[line, line + 1], children=kept))
        _place_images([holder], placed)
        kept = holder.children or []
    html_out = md.renderer.renderInline(kept, md.options, env).strip()
    if any(t.type == "html_inline" for t in kept):
        html_out = sanitize(html_out)
        if placed is not None:
            html_out = _unplaced_images(html_out, placed, line)
    holder = Token("inline", "", 0, map=[line, line + 1], children=kept)
    return _safe_math(break_urls(html_out), [holder], warn, line)




LinkResolver = Callable[[str, str], "str | None"]
"""(href, link text) -> the text to show instead of a link that leads nowhere on a card, or None
to keep the link (a web address)."""


def blocks(
    nodes: list[Node],
    env: dict,
    images: ImageResolver | None = None,
    links: LinkResolver | None = None,
    warn: Warn | None = None,
) -> str:
    """Render answer blocks to HTML; a paragraph lifted out of a tight list gets its <p> back.

    `warn` hears about math commands that were taken out (see mathsafe.py), at their line.
    """
    if not nodes:
        return ""
    md = markdown()
    tokens: list[Token] = []
    rewritten = False  # whether any token holds what is rewritten (see _copy): else none changes
    for node in nodes:
        node_tokens = node.to_tokens()
        copies = [_copy(t) for t in node_tokens]
        rewritten = rewritten or any(c is not t for c, t in zip(copies, node_tokens, strict=True))
        if node.type == "paragraph" and copies[0].hidden:
            copies = [_shown(t) if t.type.startswith("paragraph_") else t for t in copies]
        tokens.extend(copies)
    placed = _Placed(images) if images is not None else None
    if rewritten:
        _unlink_local(tokens, links)
        _math_images(tokens)
        if placed is not None:
            _place_images(tokens, placed)
    html_out = md.renderer.render(tokens, md.options, env).strip()
    first = next((t.map[0] for t in tokens if t.map), 0)
    if rewritten and _has_raw_html(tokens):
        html_out = sanitize(html_out)
        if placed is not None:
            html_out = _unplaced_images(html_out, placed, first)
    return _safe_math(break_urls(html_out), tokens, warn, first)


# A link whose text is a web address: on a phone its text is often wider than the line. The CSS
# lets a link break anywhere, which a browser does only where the text offers no other place: a
# <wbr> after each run of / . ? & = # _ ~ - (and before each %XX) offers the places a reader
# expects, so an address breaks at its parts and only a part too long for a line breaks inside.
_LINK_TEXT = re.compile(r"(<a\b[^>]*>)([^<]+)(</a>)")
_URL_LIKE = re.compile(r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.)\S+")
_URL_PARTS = re.compile(r"(?<=[/.?&=#_~-])(?=[^/.?&=#_~-])|(?<=[^/.?&=#_~%-])(?=%)")


def break_urls(fragment: str) -> str:
    """Let the web addresses shown as link text break at their parts (a <wbr> after each)."""
    if "</a>" not in fragment:
        return fragment
    return _LINK_TEXT.sub(_break_link_text, fragment)


def _break_link_text(m: re.Match) -> str:
    text = html.unescape(m.group(2))
    if not _URL_LIKE.fullmatch(text):
        return m.group(0)
    parts = [html.escape(part, quote=False) for part in _URL_PARTS.split(text)]
    return m.group(1) + "<wbr>".join(parts) + m.group(3)


def _safe_math(fragment: str, tokens: list[Token], warn: Warn | None, line: int) -> str:
    """Take out the math commands MathJax must not run on a card, warning at the line of each."""
    cleaned = mathsafe.neutralise_html(fragment)
    if warn is not None:
        for name in cleaned.refused:
            warn(_line_naming(tokens, name, line), mathsafe.message(name))
    return cleaned.text


def _line_naming(tokens: list[Token], name: str, default: int) -> int:
    """The first line whose source names `\\name` (the source as written, entities decoded)."""
    line = default
    for token in tokens:
        if token.map:
            line = token.map[0]
        texts = [token.content, *(c.content for c in token.children or ())]
        if any(_names(text, name) for text in texts):
            return line
    return default


def _names(text: str, name: str) -> bool:
    if "&" in text:
        text = html.unescape(text)
    return re.search(rf"\\{name}(?![A-Za-z])", text) is not None


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


_IMG_START = re.compile(r"<img(?=[\t\n\f\r />])", re.I)
_HTML_WS = "\t\n\f\r "


def _start_tag(text: str, pos: int) -> tuple[int, list[tuple[str, str]]] | None:
    """Read the start tag at `pos` as a browser does: (where it ends, its attributes in order).

    Values may be double-, single- or unquoted, attributes separated by spaces or `/`; None if the
    tag never ends (a browser then drops it).
    """
    n = len(text)
    i = pos + 1
    while i < n and text[i] not in _HTML_WS + "/>":
        i += 1
    attrs: list[tuple[str, str]] = []
    while i < n:
        c = text[i]
        if c in _HTML_WS or c == "/":
            i += 1
            continue
        if c == ">":
            return i + 1, attrs
        j = i + 1
        while j < n and text[j] not in _HTML_WS + "/>=":
            j += 1
        name = text[i:j].lower()
        i = j
        while i < n and text[i] in _HTML_WS:
            i += 1
        value = ""
        if i < n and text[i] == "=":
            i += 1
            while i < n and text[i] in _HTML_WS:
                i += 1
            if i < n and text[i] in "\"'":
                close = text.find(text[i], i + 1)
                if close < 0:
                    return None
                value, i = text[i + 1:close], close + 1
            else:
                j = i
                while j < n and text[j] not in _HTML_WS + ">":
                    j += 1
                value, i = text[i:j], j
        attrs.append((name, html.unescape(value)))
    return None


def _attr(attrs: list[tuple[str, str]], name: str) -> str | None:
    """An attribute's value; the first one counts, as in a browser."""
    return next((v for k, v in attrs if k == name), None)


def _img_src(tag: str) -> str | None:
    """The src of an `<img>` tag, as a browser reads it."""
    read = _start_tag(tag, 0)
    return _attr(read[1], "src") if read is not None else None


_ATTR_NAME = re.compile(r"[A-Za-z_:][-A-Za-z0-9_:.]*")


def _img_tag(attrs: list[tuple[str, str]]) -> str:
    """Write an `<img>` tag back (the sanitiser then keeps only what it allows)."""
    parts = "".join(f' {k}="{html.escape(v)}"' for k, v in attrs if _ATTR_NAME.fullmatch(k))
    return f"<img{parts}>"

# Older notes put TeX in a comment beside an image of it rendered by a web service; the TeX is
# typeset and the image dropped. A service image with no comment beside it gives its TeX from the URL.
_MATH_SERVICE = re.compile(
    r"render/math\?math=|latex\.codecogs\.com/|chart\.apis\.google\.com/chart\?cht=tx|"
    r"math\.now\.sh/?\?|latex\.vercel\.app/?\?",
    re.I,
)
_HTML_PIECE = re.compile(
    r"(?P<tex><!--\s*(?P<d>\$\$?)(?P<body>.+?)(?P=d)\s*-->)"
    r"|(?P<img><img(?=[\t\n\f\r />])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)"
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
            block = not _IMG_START.search(token.content) or bool(
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
            src = _img_src(m.group("img"))
            if src is None or not _math_src(src):
                state.reset()
                out.append(m.group(0))
                continue
            if state.pending == "tex":
                state.reset()
                continue
            tex = _tex_from_url(src)
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
    """Point images at packaged media; remote ones become links (a phone may be offline).

    An image written in HTML is treated as one written in markdown, whatever its quoting.
    """
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
            elif _is_remote(placed):
                alt = child.content or placed
                token.children[i] = Token("html_inline", "", 0, content=_remote_link(placed, alt))
            else:
                child.attrSet("src", placed)


def _is_remote(placed: str) -> bool:
    return ("://" in placed or placed.startswith("//")) and not placed.startswith("data:")


def _remote_link(url: str, label: str) -> str:
    return f'<a class="remote-image" href="{html.escape(url)}">{html.escape(label)}</a>'


_HTML_IMAGE_OR_COMMENT = re.compile(r"<!--.*?(?:-->|$)|<img(?=[\t\n\f\r />])", re.I | re.S)


def _html_images(fragment: str, line: int, images: ImageResolver) -> str:
    """Place the `<img>` tags of raw HTML (those in comments stay as they are, unread)."""
    if "<" not in fragment:
        return fragment
    out: list[str] = []
    at = 0
    for m in _HTML_IMAGE_OR_COMMENT.finditer(fragment):
        if m.start() < at or m.group().startswith("<!--"):
            continue
        read = _start_tag(fragment, m.start())
        if read is None:
            break
        end, attrs = read
        src = _attr(attrs, "src")
        if src is None:
            continue
        out.append(fragment[at:m.start()])
        at = end
        placed = images(src, line + fragment.count("\n", 0, m.start()))
        if placed is None:
            continue
        if _is_remote(placed):
            out.append(_remote_link(placed, _attr(attrs, "alt") or placed))
            continue
        attrs = [(k, placed if k == "src" else v) for k, v in attrs]
        out.append(_img_tag(attrs))
    if not out:
        return fragment
    out.append(fragment[at:])
    return _EMPTY_BOX.sub("", "".join(out))


_CLEAN_IMG = re.compile(r'<img(?:\s[^\s=>]+(?:="[^"]*")?)*\s*/?>')
_CLEAN_SRC = re.compile(r'\ssrc="([^"]*)"')


def _unplaced_images(clean: str, placed: _Placed, line: int) -> str:
    """Place any image the sanitised HTML still holds that was never placed (written in a way
    only a browser reads as an image): each is packaged, reported or made a link like any other."""
    if "<img" not in clean:
        return clean

    def img(m: re.Match) -> str:
        src = _CLEAN_SRC.search(m.group())
        if src is None:
            return m.group()
        url = html.unescape(src.group(1))
        if url in placed.names or url[:11].lower() == "data:image/":
            return m.group()
        where = placed(url, line)
        if where is None:
            return ""
        if _is_remote(where):
            alt = re.search(r'\salt="([^"]*)"', m.group())
            return _remote_link(where, html.unescape(alt.group(1)) if alt else where)
        return m.group().replace(src.group(0), f' src="{html.escape(where)}"', 1)

    return _CLEAN_IMG.sub(img, clean)


def _shown(token: Token) -> Token:
    copy = token.copy()
    copy.hidden = False
    return copy


def is_local_href(href: str) -> bool:
    """Tell whether a link leads into the notes (an anchor or a relative path), not to the web."""
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
