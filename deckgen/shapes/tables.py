"""Tables of questions: a column headed "Question" (or "질문"), each row one question.

With a column headed "Answer" (or "답", "답변"), a row whose answer cell is filled is a card;
a row that asks with no answer — a table of questions to study from — is reported, never a card.
"""

from __future__ import annotations

import re

from deckgen.references import fold_label
from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import asks, inline_text_of, paragraph, question_tokens
from deckgen.tree import Node

_QUESTION_HEAD = re.compile(r"^(?:questions?|q|질문|문제|면접질문)$")
_ANSWER_HEAD = re.compile(r"^(?:answers?|a|답|답변|정답|해설|설명)$")


def table_questions(nodes: list[Node], reading: Reading, paths: list, warnings: list) -> list[Question]:
    """The rows of tables whose header names a question column (and maybe an answer column)."""
    found: list[Question] = []
    for i, node in enumerate(nodes):
        if node.type != "table":
            continue
        rows = [row for part in node.children for row in part.children if row.type == "tr"]
        if len(rows) < 2:
            continue
        head = [fold_label(_cell_text(cell)) for cell in rows[0].children]
        q_col = next((k for k, h in enumerate(head) if _QUESTION_HEAD.match(h)), None)
        if q_col is None:
            continue
        a_col = next((k for k, h in enumerate(head) if _ANSWER_HEAD.match(h)), None)
        for row in rows[1:]:
            cells = row.children
            if q_col >= len(cells) or not cells[q_col].children:
                continue
            cell = list(cells[q_col].children[0].token.children or [])
            if _links_in_the_page(cell):
                continue  # a table of contents: the question is written where it leads
            tokens, marked = question_tokens(cell)
            text = inline_text_of(tokens)
            answer = cells[a_col] if a_col is not None and a_col < len(cells) else None
            answered = answer is not None and answer.children and _cell_text(answer).strip()
            if not text or not (answered or marked or asks(text)):
                continue
            line = row.map[0] if row.map else node.map[0]
            blocks = [paragraph(list(answer.children[0].token.children or []), line)] if answered else []
            found.append(Question(inline=tokens, line=line, blocks=blocks, key=text,
                                  sections=paths[i] if paths else ()))
    return found


def _cell_text(cell: Node) -> str:
    return inline_text_of(list(cell.children[0].token.children or [])) if cell.children else ""


def _links_in_the_page(tokens: list) -> bool:
    """Whether a cell is only a link to a place in the same page (`[What is X](#what-is-x)`)."""
    shown = [t for t in tokens if not (t.type == "text" and not t.content.strip())]
    return (len(shown) >= 2 and shown[0].type == "link_open" and shown[-1].type == "link_close"
            and str(shown[0].attrGet("href") or "").startswith("#")
            and sum(t.type == "link_open" for t in shown) == 1)
