"""What in an answer is not the answer: page chrome, empty blocks, unanswered follow-ups, and the
sub-questions a quote holds. Used by `parse.py` on every question's answer blocks.
"""

from __future__ import annotations

import html
import re

from markdown_it.token import Token

from deckgen.shapes.base import Question
from deckgen.shapes.common import Q_MARKER, asks, inline_text_of, question_tokens, strip_marker
from deckgen.tree import Node

# Link texts and lines that only move the reader around the page.
_NAV = re.compile(
    r"^\W*(?:back\s*to\s*(?:the\s*)?top|to\s*top|top|go\s*to\s*top|home|up|index|contents|"
    r"table\s*of\s*contents|목차|목차로|위로|맨\s*위로|처음으로|뒤로|뒤로\s*가기|홈|이전|다음|"
    r"previous|next|prev)\W*$",
    re.I,
)
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")
_TAG = re.compile(r"<[^>]+>")
_NOT_TEXT = re.compile(r"[\W_]+")


def is_chrome(node: Node) -> bool:
    """Tell whether a block only navigates: `[Top](#x)`, `↥ back to top`, `📌 관련: [a](#a), [b](#b)`."""
    if node.type == "html_block":
        text = _visible(node.content)
        return bool(text) and bool(_NAV.match(_SHORTCODE.sub("", text))) and "<img" not in node.content.lower()
    if node.type != "paragraph":
        return False
    links: list[tuple[str, str]] = []  # (href, text)
    rest: list[str] = []
    inside = False
    for c in node.children[0].token.children or []:
        if c.type == "link_open":
            inside = True
            links.append((str(c.attrGet("href") or ""), ""))
        elif c.type == "link_close":
            inside = False
        elif c.type == "image" or (c.type == "html_inline" and "<img" in c.content.lower()):
            return False
        elif c.type in ("text", "code_inline"):
            if inside:
                links[-1] = (links[-1][0], links[-1][1] + c.content)
            else:
                rest.append(c.content)
    if not links:
        return False
    leftover = _NOT_TEXT.sub("", _SHORTCODE.sub("", "".join(rest)))
    if len(leftover) > 12:
        return False
    navigating = all(_NAV.match(_SHORTCODE.sub("", t)) or not _NOT_TEXT.sub("", _SHORTCODE.sub("", t))
                     for _, t in links)
    return navigating or all(href.startswith("#") for href, _ in links)


def _visible(markup: str) -> str:
    return html.unescape(_TAG.sub("", markup)).strip()


def has_content(rendered: str) -> bool:
    """Tell whether an answer's HTML shows the reader anything: text, math, an image or media.

    An empty code block, `<p></p>` or a lone `</br>` shows nothing.
    """
    if re.search(r"<(?:img|svg|video|audio|iframe)\b", rendered, re.I):
        return True
    return bool(_visible(rendered))


def is_follow_up_list(node: Node) -> bool:
    """Tell whether a list only asks more questions (`- 그렇다면 …?`), none of them answered."""
    if node.type not in ("bullet_list", "ordered_list") or not node.children:
        return False
    for item in node.children:
        if len(item.children) != 1 or item.children[0].type != "paragraph":
            return False
        tokens, marked = question_tokens(item.children[0].children[0].token.children or [])
        if not (marked or asks(inline_text_of(tokens))):
            return False
    return True


def quoted_sub_questions(node: Node, parent: Question) -> tuple[Node | None, list[Question]]:
    """Split a quote at the questions it asks (`> ##### …?`, `> Q. …?`), each answered by the
    quote's blocks after it; return what stays in the parent's answer and the sub-questions."""
    if node.type != "blockquote":
        return node, []
    children = node.children
    starts = [k for k, c in enumerate(children) if _asks_in_quote(c) is not None]
    starts = [k for k in starts if k + 1 < len(children)]
    if not starts:
        return node, []
    subs = []
    for n, k in enumerate(starts):
        stop = starts[n + 1] if n + 1 < len(starts) else len(children)
        tokens = _asks_in_quote(children[k])
        text = inline_text_of(tokens)
        subs.append(Question(inline=tokens, line=children[k].map[0], blocks=list(children[k + 1:stop]),
                             parent=parent, key=f"{parent.key}/{text}"))
    kept = children[:starts[0]]
    return (_with_children(node, kept) if kept else None), subs


def _asks_in_quote(node: Node) -> list[Token] | None:
    """The question of a quoted heading that asks, or of a quoted `Q.` line; None otherwise."""
    if node.type == "heading" and node.children:
        tokens, marked = question_tokens(node.children[0].token.children or [], numbered=True)
        return tokens if inline_text_of(tokens) and (marked or asks(inline_text_of(tokens))) else None
    if node.type == "paragraph":
        stripped = strip_marker(node.children[0].token.children or [], Q_MARKER)
        if stripped is not None and not any(c.type in ("softbreak", "hardbreak") for c in stripped):
            return stripped if inline_text_of(stripped) else None
    return None


def _with_children(container: Node, children: list[Node]) -> Node:
    """Return a copy of a container node (list, quote) holding only some of its children."""
    opening, closing = container.nester_tokens
    tokens = [opening]
    for child in children:
        tokens.extend(child.to_tokens())
    tokens.append(closing)
    return Node(tokens).children[0]
