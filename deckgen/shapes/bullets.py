"""Bold-bullets shape: `- **question?**` items with the answer nested below -> Questions."""

from __future__ import annotations

from deckgen.shapes.base import Question, Reading
from deckgen.shapes.common import bold_span, inline_text_of
from deckgen.tree import Node


def bold_bullet_questions(nodes: list[Node], reading: Reading, paths: list, warnings: list) -> list[Question]:
    """`- **question?**` items with the answer nested below."""
    questions = []
    for i, node in enumerate(nodes):
        if node.type not in ("bullet_list", "ordered_list"):
            continue
        for item in node.children:
            bold = item.remembered(_bold_only)
            if bold is None:
                continue
            inline, text = list(bold[0]), bold[1]
            blocks = list(item.children[1:])
            if not blocks and not text.rstrip().endswith(("?", "？")):
                continue  # a bold label with nothing under it is not a question
            questions.append(
                Question(inline=inline, line=item.map[0], blocks=blocks, key=text, sections=paths[i])
            )
    return questions


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
