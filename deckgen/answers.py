"""What in an answer is not the answer: page chrome, empty blocks, unanswered follow-ups, and the
sub-questions a quote holds. Used by `parse.py` on every question's answer blocks.
"""

from __future__ import annotations

import html
import re

from markdown_it.token import Token

from deckgen.shapes.base import Question
from deckgen.shapes.common import (
    Q_MARKER,
    asks,
    asks_by_its_ending,
    bold_whole,
    inline_text_of,
    lines_of,
    question_lines,
    question_tokens,
    strip_marker,
)
from deckgen.shapes.details import details_questions, reveals_answer
from deckgen.shapes.paragraphs import bold_paragraph_questions, bold_question, lead_question
from deckgen.tree import Node

# Link texts and lines that only move the reader around the page.
_NAV = re.compile(
    r"^\W*(?:back\s*to\s*(?:the\s*)?top|to\s*top|top|go\s*to\s*top|home|up|index|contents|"
    r"table\s*of\s*contents|목차|목차로|위로|맨\s*위로|처음으로|뒤로|뒤로\s*가기|홈|이전|다음|"
    r"previous|next|prev)\W*$",
    re.I,
)
_ENDS_ASKING = re.compile(r"[?？][\W_]*$")
# A request to explain, the way a bold follow-up inside an answer ends without a question mark.
_ENDS_REQUESTING = re.compile(r"(?:주세요|주십시오|하시오|하세요|보세요|말해\s?봐)[.!]?$")
_NUMBERED = re.compile(r"^\s*(?:\d+(?:[-.]\d+)*[.)]?|\(\d+\)|[①-⑳])\s")
_SHORTCODE = re.compile(r":[a-z0-9_+-]+:")
# A line that advertises rather than answers: "Explore all 100 answers here 👉 [site](…)".
_PROMO = re.compile(
    r"(?:👉|➡️|⇒)\s*$|\b(?:all|more|\d+)\s+(?:\w+\s+){0,2}(?:answers|questions)\b.*\bhere\b|"
    r"\b(?:subscribe|sponsor(?:ed)?|star\s+(?:this|the)\s+repo)\b",
    re.I,
)
# A page's closing line: `_Network.end_`, `끝`.
_FOOTER = re.compile(r"^(?:[\w .-]+\.end|the\s+end|끝|fin)\.?$", re.I)
_TAG = re.compile(r"<[^>]+>")
_NOT_TEXT = re.compile(r"[\W_]+")


def asks_in_answer(children: list[Token]) -> bool:
    """Whether a line inside an answer asks a follow-up question: it ends with a question mark,
    or it is bold as a whole and requests an explanation ("**단점을 설명해 주세요.**")."""
    text = inline_text_of(children)
    if _ENDS_ASKING.search(text):
        return True
    return bold_whole(children) is not None and _bold_asks(text)


def _bold_asks(text: str) -> bool:
    """Whether a bold line inside an answer asks: it ends with a question mark, or with a
    request to explain ("**… 그리고 둘의 관계를 설명하시오.**")."""
    return bool(_ENDS_ASKING.search(text) or _ENDS_REQUESTING.search(text.strip()))


def is_chrome(node: Node) -> bool:
    """Tell whether a block is the page's, not the answer's: navigation (`[Top](#x)`, `↥ back to
    top`, `📌 관련: [a](#a), [b](#b)`), an advertising line, or a closing footer."""
    if node.type in ("heading", "paragraph") and node.children and _promotes(node.children[0].token):
        return True
    if node.type == "paragraph" and _FOOTER.match(inline_text_of(node.children[0].token.children or [])) \
            and any(c.type in ("em_open", "strong_open") for c in node.children[0].token.children or ()):
        return True
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


def _promotes(inline: Token) -> bool:
    """Tell whether a line links out of the page to advertise (`… answers here 👉 [site](url)`)."""
    children = inline.children or []
    external = [c for c in children if c.type == "link_open" and "://" in str(c.attrGet("href") or "")]
    if not external:
        return False
    outside, inside = [], False
    for c in children:
        if c.type == "link_open":
            inside = True
        elif c.type == "link_close":
            inside = False
        elif c.type == "text" and not inside:
            outside.append(c.content)
    text = " ".join(outside).strip()
    return bool(text) and len(text.split()) <= 12 and bool(_PROMO.search(text))


_SHOWN = re.compile(r"<(?:img|svg|video|audio|iframe|picture)\b", re.I)  # what an answer shows besides text
_ANCHOR = re.compile(r"<a\b[^>]*>.*?</a\s*>", re.I | re.S)
_BARE_URLS = re.compile(r"^(?:[\[(<]?https?://\S+?[\])>]?\s*)+$")


def only_links(nodes: list[Node]) -> bool:
    """Tell whether an answer is nothing but one link elsewhere (a reader learns nothing here),
    written as a link, or addresses alone (`[https://…]`, which the page links; several of them
    teach no more), or HTML that shows only links (`<ul><li><a href="./tcp.md">TCP</a></li></ul>`
    in a toggle: the way to other pages, not an answer)."""
    if (len(nodes) == 1 and nodes[0].type == "paragraph"
            and _BARE_URLS.match(inline_text_of(list(nodes[0].children[0].token.children or [])).strip())):
        return True
    if nodes and all(node.type == "html_block" for node in nodes):
        markup = "".join(node.content for node in nodes)
        return (bool(_ANCHOR.search(markup)) and not _SHOWN.search(markup)
                and not _NOT_TEXT.sub("", _visible(_ANCHOR.sub("", markup))))
    if len(nodes) != 1 or sum(1 for t in nodes[0].to_tokens() if t.type == "inline"
                              for c in t.children or () if c.type == "link_open") != 1:
        return False
    for node in nodes:
        if node.type != "paragraph":
            return False
        children = node.children[0].token.children or []
        if not any(c.type == "link_open" for c in children):
            return False
        inside, outside = False, []
        for c in children:
            if c.type == "link_open":
                inside = True
            elif c.type == "link_close":
                inside = False
            elif c.type in ("text", "code_inline") and not inside:
                outside.append(c.content)
            elif c.type == "image":
                return False
        if len(_NOT_TEXT.sub("", "".join(outside))) > 3:
            return False
    return True


def _visible(markup: str) -> str:
    return html.unescape(_TAG.sub("", markup)).strip()


def has_content(rendered: str) -> bool:
    """Tell whether an answer's HTML shows the reader anything: text, math, an image or media.

    An empty code block, `<p></p>` or a lone `</br>` shows nothing.
    """
    return bool(_SHOWN.search(rendered) or _visible(rendered))


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


def only_follow_ups(blocks: list[Node]) -> list[tuple[int, str]]:
    """The questions an answer only asks, at their lines: when every block of it but the page's
    chrome is a paragraph each line of which asks (`1-2. 풀링은 왜 하나요?`, `(1) 단점을
    설명하시오.`), or a list of such questions (see is_follow_up_list). None of them is answered,
    and neither is the question they follow. [] when any block says something else."""
    asked: list[tuple[int, str]] = []
    listed = False  # asked in a list of them, or numbered: a line that asks alone may be the answer
    for node in blocks:
        if is_chrome(node):
            continue
        if is_follow_up_list(node):
            asked.extend((item.map[0], inline_text_of(item.children[0].children[0].token.children or []))
                         for item in node.children)
            listed = True
            continue
        if node.type != "paragraph" or not node.map:
            return []
        for below, line in lines_of(node.children[0].token.children or []):
            text = inline_text_of(line).strip()
            tokens, marked = question_tokens(line)
            if not (marked or asks_in_answer(line) or asks_by_its_ending(inline_text_of(tokens))):
                return []
            asked.append((node.map[0] + below, text))
            listed = listed or bool(_NUMBERED.match(text))
    return asked if listed or len(asked) > 1 else []


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
    return (with_children(node, kept) if kept else None), subs


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


def _lone_question(node: Node) -> list[Token] | None:
    """The question of a one-item list that asks and holds nothing else (`1. …?` then its answer
    as paragraphs below, not indented)."""
    if node.type not in ("bullet_list", "ordered_list") or len(node.children) != 1:
        return None
    item = node.children[0]
    if len(item.children) != 1 or item.children[0].type != "paragraph":
        return None
    children = item.children[0].children[0].token.children or []
    tokens, marked = question_tokens(children)
    return tokens if marked or asks_in_answer(children) else None


def _lone_quote(node: Node) -> list[Token] | None:
    """The question of a quote that only asks, in one line (`> 캐시 히트율이 낮으면 어떻게 하나요?`),
    answered by the blocks after it."""
    if node.type != "blockquote" or len(node.children) != 1 or node.children[0].type != "paragraph":
        return None
    children = node.children[0].children[0].token.children or []
    if any(c.type in ("softbreak", "hardbreak") for c in children):
        return None
    tokens, marked = question_tokens(children)
    text = inline_text_of(tokens)
    return tokens if text and (marked or asks_in_answer(children) or _REQUESTS_EXPLAINING.search(text)) else None


# A request to explain, which a quoted follow-up makes without a question mark ("> 장단점을 설명해 주세요.").
_REQUESTS_EXPLAINING = re.compile(
    r"(?:설명|서술|비교|정의|말씀|말|이야기|얘기)\s*(?:해|하여|해\s?)?\s?(?:주세요|주십시오|주시겠어요|보세요|하시오|하세요)[.!]?$")


def _numbered_paragraph_questions(blocks: list[Node], first: int = 0) -> list[Question]:
    """`1. …?` one-item lists and quotes that only ask, from block `first` on, each answered by
    the blocks after it up to the next one, or to the next part of the answer (see _next_section)."""
    starts = [(k, tokens) for k, b in enumerate(blocks) if k >= first
              and ((tokens := _lone_question(b)) is not None or (tokens := _lone_quote(b)) is not None)]
    found = []
    for n, (k, tokens) in enumerate(starts):
        stop = starts[n + 1][0] if n + 1 < len(starts) else len(blocks)
        stop = _next_section(blocks, k, stop)
        answer = [b for b in blocks[k + 1:stop] if not is_chrome(b)]
        if answer:
            found.append(Question(inline=tokens, line=blocks[k].map[0], blocks=answer, key=inline_text_of(tokens)))
    return found


def _next_section(blocks: list[Node], k: int, stop: int) -> int:
    """Where the answer of a question at `k` in an answer ends, at `stop` at the latest: at the
    next heading of the part of the answer it stands in (as high as the heading above it, or
    any heading where none is above it)."""
    above = next((b for b in reversed(blocks[:k]) if b.type == "heading"), None)
    level = int(above.tag[1]) if above is not None else 6
    return next((j for j in range(k + 1, stop) if blocks[j].type == "heading" and int(blocks[j].tag[1]) <= level),
                stop)


def with_children(container: Node, children: list[Node]) -> Node:
    """Return a copy of a container node (list, quote) holding only some of its children."""
    opening, closing = container.nester_tokens
    tokens = [opening]
    for child in children:
        tokens.extend(child.to_tokens())
    tokens.append(closing)
    return Node(tokens).children[0]


def inner_questions(blocks: list[Node], parent: Question, reading) -> tuple[list[Node], list[Question]]:
    """Split off the questions an answer goes on to ask in other shapes: a bold paragraph that
    asks, or a toggle whose summary asks, each with its own answer. Return the parent's own
    blocks and those sub-questions."""

    def asking_toggle(node: Node) -> bool:
        return node.type == "html_block" and "<summary" in node.content.lower()

    def plain_question(node: Node) -> bool:  # inside an answer, a bold label is only a label
        asked = bold_question(node) if node.type == "paragraph" else None
        if asked is None and node.type == "paragraph":
            asked = (lead_question(node.children[0].token.children or []) or (None,))[0]
        return asked is not None and _bold_asks(inline_text_of(asked))

    start = next((k for k, b in enumerate(blocks) if plain_question(b) or asking_toggle(b)
                  or _lone_question(b) is not None or _lone_quote(b) is not None), None)
    if start is None:
        return blocks, []
    if start and blocks[start - 1].type == "paragraph" and reveals_answer(blocks[start], reading.source.text):
        start -= 1  # a toggle that shows an answer answers the paragraph above it
    rest = blocks[start:]
    found = [q for q in bold_paragraph_questions(rest, reading, [], []) if _bold_asks(inline_text_of(q.inline))]
    found += _numbered_paragraph_questions(blocks, start)
    spans: list[tuple[int, int]] = []  # the lines of each toggle, its `<details>` to its `</details>`
    toggles = [q for q in details_questions(rest, reading, [], [], spans=spans) if q.parent is None
               and asks(inline_text_of(q.inline))]
    answered = {q.line for q in found + toggles}
    # A numbered question line with no answer after it: a sub-question that says so (warned, no card).
    unanswered = []
    for b in rest:
        lead = lead_question(b.children[0].token.children or []) if b.type == "paragraph" and b.map else None
        if lead is not None and not lead[1] and b.map[0] not in answered and plain_question(b):
            unanswered.append(Question(inline=lead[0], line=b.map[0], blocks=[], key=inline_text_of(lead[0])))
    taken: set[int] = set()
    subs: list[Question] = []
    for q in sorted(found + toggles + unanswered, key=lambda q: q.line):
        lines = question_lines(q)
        if lines & taken:
            continue
        taken |= lines
        q.parent = parent
        q.key = f"{parent.key}/{inline_text_of(q.inline)}"
        subs.append(q)
    if not subs:
        return blocks, []
    for a, b in spans:  # a toggle a sub-question was read from goes with it, tags and all
        if set(range(a, b)) & taken:
            taken |= set(range(a, b))
    kept = blocks[:start] + [b for b in rest if b.map and not set(range(b.map[0], b.map[1])) & taken]
    return kept, subs
