"""Q&A shape: `Q. question` paragraphs, each followed by its `A. answer` -> Questions."""

from __future__ import annotations

from markdown_it.token import Token

from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import (
    Q_MARKER,
    QUESTION_WORD,
    asks,
    inline_text_of,
    labelled_answer,
    paragraph,
    strip_answer_label,
    strip_marker,
    trim_rules,
    unwrap_bold,
)
from deckgen.shapes.details import after_the_toggle, reveals_answer
from deckgen.shapes.paragraphs import bold_question
from deckgen.tree import Node


def qa_questions(nodes: list[Node], reading: Reading, paths: list, warnings: list) -> list[Question]:
    """`Q. question` (or `Question:`) paragraphs; the answer is what follows up to the next
    question or heading."""
    questions: list[Question] = []
    current: Question | None = None
    taken = -1  # a block read as the question of the label above it
    text = reading.source.text
    for i, node in enumerate(nodes):
        if i == taken:
            continue
        if node.type == "heading":
            current = None
            continue
        asked = _asked(node, i, nodes, paths)
        if asked is not None:
            current, taken = asked
            questions.append(current)
            continue
        if current is not None:
            current.blocks.append(node)
            if reveals_answer(node, text):
                current = None  # the toggle that shows the answer closes it: what follows is not
        # `</details>` then `Q. …` on the next line: markdown reads the question into the toggle's
        # HTML block, the page shows it as a line of text.
        tail = after_the_toggle(node, text) if node.type == "html_block" and node.map else None
        if tail is not None and (asked := _asked(tail, i, nodes, paths)) is not None:
            current, taken = asked
            questions.append(current)
    for q in questions:
        q.blocks = trim_rules(q.blocks)
        # `Q. 아래 코드의 출력은?`, the code, then `A. …`: what stands before the answer's label
        # belongs to the question.
        start = next((k for k, b in enumerate(q.blocks) if labelled_answer(b)), 0)
        if start and all(b.type in _PART_OF_A_QUESTION for b in q.blocks[:start]):
            q.extra, q.blocks = q.blocks[:start], q.blocks[start:]
    return questions


_PART_OF_A_QUESTION = ("fence", "code_block", "table", "blockquote", "math_block", "math_block_label")
"""What may stand between a question and its labelled answer as part of the question: code, a
table, a quote, math (a paragraph or a list there is more likely an answer of its own)."""


def _asked(node: Node, i: int, nodes: list[Node], paths: list) -> tuple[Question, int] | None:
    """The question a `Q.` paragraph at `i` asks, with its answer's start where the paragraph
    holds it, and the index of the block read as its question (a `**Question:**` label's quote
    below it), else -1; None for any other block."""
    if node.type != "paragraph":
        return None
    children = node.children[0].token.children or []
    stripped = strip_marker(children, Q_MARKER)
    if stripped is None and bold_question(node) is None:  # a bold question: see bold_question
        stripped = strip_marker(children, QUESTION_WORD)
    if stripped is None:
        # A line that asks, with no label of its own, answered by a labelled one below it
        # (`What is a pod?` then `Ans: …`).
        if (i + 1 < len(nodes) and not any(c.type in ("softbreak", "hardbreak") for c in children)
                and asks(inline_text_of(children)) and labelled_answer(nodes[i + 1])):
            stripped = list(children)
        else:
            return None
    asked, answer = _split_at_answer(stripped)
    tokens = unwrap_bold(asked)
    text = inline_text_of(tokens)
    line, taken = node.map[0], -1
    if not text.strip() and not answer and i + 1 < len(nodes) and (quoted := _quoted_line(nodes[i + 1])):
        # `**Question:**` alone, the question quoted under it
        tokens, text, line, taken = quoted, inline_text_of(quoted), nodes[i + 1].map[0], i + 1
    question = Question(inline=tokens, line=line, blocks=[], key=text, sections=paths[i])
    if answer:
        question.blocks.append(paragraph(answer, node.map[0] + _breaks(asked)))
    return question, taken


def _breaks(tokens: list[Token]) -> int:
    return sum(1 for t in tokens if t.type in ("softbreak", "hardbreak")) + 1


def _split_at_answer(children: list[Token]) -> tuple[list[Token], list[Token]]:
    """Split `Q. question⏎A. answer` written as one paragraph at the line that starts `A.`."""
    for k, c in enumerate(children):
        if c.type not in ("softbreak", "hardbreak"):
            continue
        rest = children[k + 1:]
        if strip_answer_label(rest) is not None:
            return children[:k], rest
    return children, []


def _quoted_line(node: Node) -> list[Token] | None:
    """The text of a quote, or a paragraph, that holds one paragraph: a question written under
    its label."""
    if node.type == "blockquote" and len(node.children) == 1:
        node = node.children[0]
    if node.type != "paragraph":
        return None
    tokens = unwrap_bold(list(node.children[0].token.children or []))
    return tokens if inline_text_of(tokens).strip() else None
