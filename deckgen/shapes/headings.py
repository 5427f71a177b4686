"""Headings shape: `### question?` headings, answer up to the next heading as high -> Questions."""

from __future__ import annotations

from collections.abc import Callable

from markdown_it.token import Token

from deckgen.markdown import inline_text
from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import (
    asks,
    inline_text_of,
    is_title,
    looks_like_anchor,
    question_tokens,
    trim_rules,
)
from deckgen.tree import Node


def heading_question(node: Node) -> tuple[list[Token], str] | None:
    """Return (question tokens, text) if a heading asks, else None."""
    asked = heading_text(node)
    if asked is None:
        return None
    tokens, text, marked = asked
    return (tokens, text) if marked or asks(text) else None


def heading_text(node: Node) -> tuple[list[Token], str, bool] | None:
    """Return (question tokens, text, marked with `Q.`) of a heading that could be a question."""
    if not node.children:
        return None
    children = node.children[0].token.children or []
    tokens, marked = question_tokens(children, numbered=True)
    text = inline_text_of(tokens)
    if not text or looks_like_anchor(text):
        return None
    return tokens, text, marked


def heading_questions(
    nodes: list[Node], reading: Reading, paths: list, warnings: list,
    is_question: Callable[[int], bool] | None = None,
) -> list[Question]:
    """Questions that are headings; a question heading below a question heading is a sub-question.

    `is_question(i)` says which headings are questions (by default: those that ask).
    """
    heads = [(i, int(n.tag[1])) for i, n in enumerate(nodes) if n.type == "heading"]
    stack: list[tuple[int, str, object]] = []  # (level, "q" | "s" | "t", Question | section text)
    spans: dict[int, tuple[int, int, int]] = {}  # id(question) -> (heading index, answer start, end)
    questions: list[Question] = []
    title = getattr(reading, "title", "")
    for pos, (i, level) in enumerate(heads):
        while stack and stack[-1][0] >= level:
            stack.pop()
        node = nodes[i]
        asked = heading_text(node) if is_question is not None else heading_question(node)
        if asked is not None and is_question is not None:
            asked = asked[:2] if is_question(i) else None
        if asked is None:
            text = inline_text(node.children[0].token) if node.children else ""
            stack.append((level, "t" if is_title(node, nodes, title) else "s", text))
            continue
        tokens, text = asked
        end = next((j for j, lv in heads[pos + 1:] if lv <= level), len(nodes))
        parent = next((o for _, kind, o in reversed(stack) if kind == "q"), None)
        q = Question(inline=tokens, line=node.map[0], blocks=[], parent=parent, key=text)
        if parent is None:
            q.sections = tuple(o for _, kind, o in stack if kind == "s")
        else:
            q.key = f"{parent.key}/{text}"
            parent.children.append(q)
        spans[id(q)] = (i, i + 1, end)
        stack.append((level, "q", q))
        questions.append(q)
    for q in questions:
        _, start, end = spans[id(q)]
        taken = {k for c in q.children for k in range(spans[id(c)][0], spans[id(c)][2])}
        q.blocks = trim_rules([nodes[k] for k in range(start, end) if k not in taken])
    return questions
