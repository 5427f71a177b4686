"""Bold-bullets shape: `- **question?**` items with the answer nested below -> Questions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from deckgen.shapes.common import inline_text_of
from deckgen.tree import Node

if TYPE_CHECKING:
    from deckgen.parse import Parser, Question


def bold_bullet_questions(root: Node, parser: Parser) -> list[Question]:
    """Questions of a file of `- **question?**` items with the answer nested below."""
    from deckgen.parse import Question

    questions = []
    for node in root.children:
        if node.type not in ("bullet_list", "ordered_list"):
            continue
        for item in node.children:
            inline = _bold_only(item)
            if inline is None:
                continue
            text = inline_text_of(inline)
            blocks = list(item.children[1:])
            if not blocks and not text.rstrip().endswith(("?", "？")):
                continue  # a bold label with nothing under it is not a question
            questions.append(
                Question(inline=inline, line=item.map[0], blocks=blocks, key=text)
            )
    return questions


def _bold_only(item: Node) -> list | None:
    """Return the inner tokens if the item's first paragraph is entirely bold."""
    if not item.children or item.children[0].type != "paragraph":
        return None
    children = [
        c
        for c in (item.children[0].children[0].token.children or [])
        if not (c.type == "text" and not c.content.strip())
        and not (c.type == "html_inline" and c.content.startswith("<!--"))
    ]
    if len(children) < 3 or children[0].type != "strong_open" or children[-1].type != "strong_close":
        return None
    depth = 0
    for c in children[:-1]:
        depth += {"strong_open": 1, "strong_close": -1}.get(c.type, 0)
        if depth == 0:
            return None  # `**a** and **b**`: bold words, not a bold question
    pinned = [
        c
        for c in (item.children[0].children[0].token.children or [])
        if c.type == "html_inline" and c.content.startswith("<!--")
    ]
    return children[1:-1] + pinned
