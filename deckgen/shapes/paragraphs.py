"""Questions written as paragraphs: a bold line that asks, or a quote whose first line asks.

- bold paragraphs: `**What is X? 👶**` or `**1)** Write a query …`, the answer below it up to the
  next such question, a heading, or a separator (`---`, a `<br>` line) after the answer;
- quoted: `> 패킷(Packet)?` with the rest of the quote as the answer.
"""

from __future__ import annotations

import re

from markdown_it.token import Token

from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import asks, bold_span, inline_text_of, paragraph, question_tokens, shown, trim_rules
from deckgen.shapes.details import reveals_answer
from deckgen.tree import Node

_NUMBER_MARK = re.compile(r"^\s*(?:Q\s*)?\d+(?:[-.]\d+)*\s*[.):]?\s*$", re.I)
_SEPARATOR = re.compile(r"^\s*(?:<br\s*/?>\s*)+$", re.I)


def bold_paragraph_questions(nodes: list[Node], reading: Reading, paths: list, warnings: list) -> list[Question]:
    """Bold paragraphs that ask (or number a prompt), each answered by the blocks below it."""
    questions: list[Question] = []
    current: Question | None = None
    prompts = _numbered_prompts(nodes)
    for i, node in enumerate(nodes):
        if node.type == "heading":
            current = None
            continue
        asked = bold_question(node) if node.type == "paragraph" else None
        if asked is None and i in prompts:
            asked = prompts[i]
        lead = lead_question(node.children[0].token.children or []) if (
            asked is None and node.type == "paragraph") else None
        if asked is not None or lead is not None:
            current = Question(inline=asked or lead[0], line=node.map[0], blocks=[],
                               key=inline_text_of(asked or lead[0]), sections=paths[i] if paths else ())
            if lead is not None and lead[1]:  # its answer begins on the lines after it, in its paragraph
                current.blocks.append(paragraph(lead[1], node.map[0] + 1))
            questions.append(current)
            continue
        if current is None:
            continue
        if starts_question(node):
            current = None  # a question of another shape: this answer ends before it
            continue
        if is_separator(node) and any(not is_separator(b) for b in current.blocks):
            current = None
            continue
        current.blocks.append(node)
        if reveals_answer(node, reading.source.text):
            current = None  # the toggle that shows the answer closes it: what follows is not
    for q in questions:
        q.blocks = trim_rules([b for b in q.blocks if not is_separator(b)])
    return [q for q in questions if q.blocks]


def _numbered_prompts(nodes: list[Node]) -> dict[int, list[Token]]:
    """The numbered bold lines of a sheet of them (`***3. C++ vs Java***` among `***1. What is
    Java?***`, `***2. Explain …***`): where three or more such lines ask, and two in three do,
    every one of them is a question, by index (the number taken off)."""
    numbered: dict[int, tuple[list[Token], bool]] = {}
    for i, node in enumerate(nodes):
        if node.type != "paragraph" or not node.children:
            continue
        children = shown(node.children[0].token.children or [])
        inner = bold_span(children)
        if inner is None or any(c.type in ("softbreak", "hardbreak") for c in children):
            continue
        tokens, marked = question_tokens(inner, numbered=True)
        if inline_text_of(tokens) and _NUMBERED_LINE.match(inline_text_of(inner)):
            numbered[i] = (tokens, marked or asks(inline_text_of(tokens)))
    asking = sum(1 for _, a in numbered.values() if a)
    if asking < 3 or asking * 3 < 2 * len(numbered):
        return {}
    return {i: tokens for i, (tokens, _) in numbered.items()}


_NUMBERED_LINE = re.compile(r"^\s*\d+(?:[-.]\d+)*[.)]\s")


def starts_question(node: Node) -> bool:
    """Tell whether a block opens a question of another shape: a toggle, or a quote that asks."""
    if node.type == "html_block":
        return "<summary" in node.content.lower()
    return node.type == "blockquote" and bool(quoted_questions([node], None, [], []))


def is_separator(node: Node) -> bool:
    """Tell whether a block only separates others: `---` or a line of `<br>`s."""
    return node.type == "hr" or (node.type == "html_block" and bool(_SEPARATOR.match(node.content)))


def bold_question(node: Node) -> list[Token] | None:
    """Return the question of a paragraph that is a bold question or a bold-numbered prompt."""
    children = shown(node.children[0].token.children or [])
    if any(c.type in ("softbreak", "hardbreak") for c in children):
        return None  # a bold lead-in to a longer paragraph, not a question line
    inner = bold_span(children)
    if inner is not None:
        tokens, marked = question_tokens(inner, numbered=True)
        text = inline_text_of(tokens)
        return tokens if text and (marked or asks(text)) else None
    # `**1)** Write a query …`: a bold number, then the prompt.
    if len(children) >= 4 and children[0].type == "strong_open" and children[2].type == "strong_close":
        if children[1].type == "text" and _NUMBER_MARK.match(children[1].content):
            rest = children[3:]
            text = inline_text_of(rest)
            return question_tokens(rest)[0] if text.strip() else None
    return None


_ASIDE = re.compile(r"^\s*(?:[(\[（][^()\[\]（）]*[)\]）]\s*)*$")
_BR = re.compile(r"^<br\s*/?>$", re.I)


def lead_question(children: list[Token]) -> tuple[list[Token], list[Token]] | None:
    """The question and the rest of a paragraph whose first line is a bold question, numbered or
    not, with at most an aside after it (`` `(A사 면접)` ``, "(기출)"), then a line break and its
    answer: ``1-2. **캐시 지역성이란?** `(A사)` <br>`` then the answer's lines. Returns (question
    tokens, the tokens after the break: the answer's start, maybe none)."""
    k = 0
    if children and children[0].type == "text" and children[0].content.strip():
        if not _NUMBER_MARK.match(children[0].content):
            return None
        k = 1
    while k < len(children) and children[k].type == "text" and not children[k].content.strip():
        k += 1
    if k >= len(children) or children[k].type != "strong_open":
        return None
    depth, end = 0, None
    for j in range(k, len(children)):
        depth += {"strong_open": 1, "strong_close": -1}.get(children[j].type, 0)
        if depth == 0:
            end = j
            break
    if end is None:
        return None
    j = end + 1
    while j < len(children) and children[j].type not in ("softbreak", "hardbreak") and not (
            children[j].type == "html_inline" and _BR.match(children[j].content.strip())):
        c = children[j]
        if not (c.type == "code_inline" or (c.type == "text" and _ASIDE.match(c.content))):
            return None  # more words on the question's line: a bold lead-in to a sentence
        j += 1
    if j == len(children) and not k:
        return None  # the whole paragraph bold, perhaps with an aside: see bold_question
    tokens, marked = question_tokens(children[k + 1:end], numbered=True)
    text = inline_text_of(tokens)
    if not text or not (marked or asks(text)):
        return None
    rest = children[j + 1:]
    while rest and (rest[0].type in ("softbreak", "hardbreak")
                    or (rest[0].type == "text" and not rest[0].content.strip())
                    or (rest[0].type == "html_inline" and _BR.match(rest[0].content.strip()))):
        rest = rest[1:]  # the line breaks and blanks between the question and its answer
    return tokens, rest


def quoted_questions(nodes: list[Node], reading: Reading, paths: list, warnings: list) -> list[Question]:
    """Blockquotes whose first line asks, answered by the rest of the quote."""
    questions: list[Question] = []
    for i, node in enumerate(nodes):
        numbered = _quoted_number(node)
        if numbered is not None:  # `> 1. …?` alone in its quote, answered below it
            blocks = _blocks_below(nodes, i)
            if blocks:
                questions.append(Question(inline=numbered, line=node.map[0], blocks=trim_rules(blocks),
                                          key=inline_text_of(numbered), sections=paths[i] if paths else ()))
            continue
        if node.type != "blockquote" or not node.children or node.children[0].type != "paragraph":
            continue
        first = node.children[0]
        children = list(first.children[0].token.children or [])
        breaks = [k for k, c in enumerate(children) if c.type in ("softbreak", "hardbreak")]
        cut = breaks[0] if breaks else len(children)
        if breaks and not _ends_asking(children[:cut]):
            # A question that wraps onto the quote's next lines: up to the line that ends it.
            cut = next((k for k in [*breaks[1:], len(children)] if _ends_asking(children[:k])), cut)
        tokens, marked = question_tokens(children[:cut])
        text = inline_text_of(tokens)
        if not text or not (marked or asks(text)):
            continue
        blocks = list(node.children[1:])
        if cut < len(children) - 1:
            blocks.insert(0, paragraph(children[cut + 1:], first.map[0] + 1))
        if not blocks and (_ends_asking(tokens) or marked):
            blocks = _blocks_below(nodes, i)  # a question quoted alone, answered below the quote
        if not blocks:
            continue  # a quoted remark that asks, with nothing under it
        questions.append(Question(inline=tokens, line=first.map[0], blocks=blocks, key=text,
                                  sections=paths[i] if paths else ()))
    return questions


def _ends_asking(tokens: list[Token]) -> bool:
    return inline_text_of(tokens).rstrip().endswith(("?", "？"))


def _quoted_number(node: Node) -> list[Token] | None:
    """The question of a quote that holds only a numbered question (`> 1. …설명해 보세요`)."""
    if node.type != "blockquote" or len(node.children) != 1 or node.children[0].type != "ordered_list":
        return None
    items = node.children[0].children
    if len(items) != 1 or len(items[0].children) != 1 or items[0].children[0].type != "paragraph":
        return None
    tokens, marked = question_tokens(list(items[0].children[0].children[0].token.children or []))
    text = inline_text_of(tokens)
    return tokens if text and (marked or asks(text)) else None


def _blocks_below(nodes: list[Node], i: int) -> list[Node]:
    """What answers a question quoted alone at `i`: the blocks after it up to the next quote,
    heading or separator."""
    blocks = []
    for after in nodes[i + 1:]:
        if after.type in ("heading", "blockquote") or is_separator(after):
            break
        blocks.append(after)
    return blocks
