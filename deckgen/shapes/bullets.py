"""Bold-bullets shape: `- **question?**` items with the answer nested below -> Questions."""

from __future__ import annotations

from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import bold_span, inline_text_of, paragraph
from deckgen.shapes.paragraphs import lead_question
from deckgen.tree import Node


def bold_bullet_questions(nodes: list[Node], reading: Reading, paths: list, warnings: list) -> list[Question]:
    """`- **question?**` items with the answer nested below."""
    questions = []
    for i, node in enumerate(nodes):
        if node.type not in ("bullet_list", "ordered_list"):
            continue
        for item in node.children:
            bold = item.remembered(_bold_only)
            lead = item.remembered(_bold_lead) if bold is None else None
            if bold is None and lead is None:
                continue
            inline, text = list((bold or lead)[0]), (bold or lead)[1]
            blocks = list(item.children[1:])
            if lead is not None and lead[2]:  # its answer begins on the lines after it, in its paragraph
                blocks.insert(0, paragraph(list(lead[2]), item.map[0] + 1))
            if not blocks and not text.rstrip().endswith(("?", "？")):
                continue  # a bold label with nothing under it is not a question
            questions.append(
                Question(inline=inline, line=item.map[0], blocks=blocks, key=text, sections=paths[i])
            )
    return questions


def _bold_lead(item: Node) -> tuple[tuple, str, tuple] | None:
    """The question, its text and the rest of an item whose first paragraph begins with a bold
    question line (see lead_question)."""
    if not item.children or item.children[0].type != "paragraph":
        return None
    lead = lead_question(item.children[0].children[0].token.children or [])
    return None if lead is None else (tuple(lead[0]), inline_text_of(lead[0]), tuple(lead[1]))


def _bold_only(item: Node) -> tuple[tuple, str] | None:
    """Return the inner tokens and their text if the item's first paragraph is entirely bold."""
    if not item.children or item.children[0].type != "paragraph":
        return None
    children = [
        c
        for c in (item.children[0].children[0].token.children or [])
        if not (c.type == "text" and not c.content.strip())
        and not (c.type == "html_inline" and c.content.startswith("<!--"))
    ]
    inner = bold_span(children)
    if inner is None:
        return None  # not bold as a whole (`**a** and **b**` are bold words, not a bold question)
    pinned = [
        c
        for c in (item.children[0].children[0].token.children or [])
        if c.type == "html_inline" and c.content.startswith("<!--")
    ]
    return (*inner, *pinned), inline_text_of(inner + pinned)
