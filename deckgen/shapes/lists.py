"""Lists shape: plain or numbered `1. question?` items with the answer nested below -> Questions."""

from __future__ import annotations

from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import asks, inline_text_of, question_tokens, trim_rules
from deckgen.tree import Node


def list_questions(nodes: list[Node], reading: Reading, paths: list, warnings: list) -> list[Question]:
    """`1. question?` items with the answer nested below (or, for a lone item, the blocks after it)."""
    questions: list[Question] = []
    trailing: Question | None = None
    for i, node in enumerate(nodes):
        if node.type not in ("bullet_list", "ordered_list"):
            if node.type == "heading":
                trailing = None
            elif trailing is not None:
                trailing.blocks.append(node)
            continue
        made = []
        for item in node.children:
            if not item.children or item.children[0].type != "paragraph":
                continue
            tokens, marked = question_tokens(item.children[0].children[0].token.children or [])
            text = inline_text_of(tokens)
            if not text or not (marked or asks(text)):
                continue
            q = Question(inline=tokens, line=item.map[0], blocks=list(item.children[1:]), key=text,
                         sections=paths[i])
            if len(item.children) < 2:
                if len(node.children) != 1:
                    continue  # a list of bare questions: no answers to make cards of
                made.append(q)
                break
            made.append(q)
        if not made:
            if trailing is not None:
                trailing.blocks.append(node)  # `1. question?`, a blank line, then the answer
            continue
        questions.extend(made)
        trailing = made[-1] if not made[-1].blocks else None
    for q in questions:
        q.blocks = trim_rules(q.blocks)
    return questions
