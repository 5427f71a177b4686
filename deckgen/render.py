"""Stage 3: markdown tokens -> safe HTML for Anki fields.

Math arrives as \\(...\\)/\\[...\\] (see markdown.py), code as Pygments classes; raw HTML that users
write is kept but cleaned with an allowlist, because a card runs in a web view with JavaScript.
"""

from __future__ import annotations

import html

import nh3
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from deckgen.markdown import markdown

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


def sanitize(fragment: str) -> str:
    """Keep what notes legitimately use; drop scripts, frames, handlers and unsafe URLs."""
    return nh3.clean(
        fragment,
        tags=_TAGS,
        attributes=_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )


def inline(tokens: list[Token], env: dict) -> str:
    """Render a question's inline tokens to HTML."""
    md = markdown()
    kept = [t for t in tokens if not (t.type == "html_inline" and t.content.startswith("<!--"))]
    return sanitize(md.renderer.renderInline(kept, md.options, env).strip())


def blocks(nodes: list[SyntaxTreeNode], env: dict) -> str:
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
    return sanitize(md.renderer.render(tokens, md.options, env).strip())


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
