"""Where a note file keeps its questions: one finder per shape of notes people write.

Each finder (one module per shape, helpers in `common.py`) takes the file's block tree and returns
`Question`s (question tokens + answer blocks); `parse.py` then applies the rules all shapes share.
`find_questions` picks the shape:

- anchored:     an index of `[question](#n)` links and `### #n` answer sections;
- bold-bullets: `- **question?**` items with the answer nested below;
- headings:     `### question?` headings, the answer up to the next heading of that level or above;
- details:      `<details><summary>question</summary>` with a markdown answer inside;
- qa:           `Q. question` paragraphs, each followed by its `A. answer`;
- lists:        plain or numbered `1. question?` items with the answer nested below.

Detection (no shape given) takes the anchored index when there is one, else the shape that finds
the most questions (earlier in the list above on a tie). Every finder is one pass over the tree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deckgen.shapes.anchored import anchored_questions
from deckgen.shapes.bullets import bold_bullet_questions
from deckgen.shapes.common import (
    A_MARKER,
    Q_MARKER,
    asks,
    inline_text_of,
    looks_like_anchor,
    paragraph,
    question_tokens,
    strip_marker,
    trim_rules,
    unwrap_bold,
)
from deckgen.shapes.details import details_questions
from deckgen.shapes.headings import heading_questions
from deckgen.shapes.lists import list_questions
from deckgen.shapes.qa import qa_questions
from deckgen.tree import Node

if TYPE_CHECKING:
    from deckgen.parse import Parser, Question

__all__ = [
    "A_MARKER", "Q_MARKER", "SHAPES", "anchored_questions", "asks", "bold_bullet_questions", "canonical",
    "details_questions", "find_questions", "heading_questions", "inline_text_of", "list_questions",
    "looks_like_anchor", "paragraph", "qa_questions", "question_tokens", "strip_marker", "trim_rules",
    "unwrap_bold",
]

SHAPES = ("anchored", "bold-bullets", "headings", "details", "qa", "lists")
_ALIASES = {
    "auto": "auto", "bullets": "bold-bullets", "bold": "bold-bullets", "heading": "headings",
    "list": "lists", "numbered": "lists", "q&a": "qa", "q/a": "qa",
}


def canonical(shape: str | None) -> str | None:
    """Return the shape's canonical name, "auto" for none, None if unknown."""
    name = (shape or "auto").strip().lower()
    name = _ALIASES.get(name, name)
    return name if name == "auto" or name in SHAPES else None


def find_questions(root: Node, parser: Parser, shape: str | None) -> tuple[str, list[Question]]:
    """Find the questions of a file in its shape (detected unless given); return (shape, questions)."""
    name = canonical(shape) or "auto"
    if name == "anchored":
        return name, anchored_questions(root, parser, warn=True)
    if name == "auto" and anchored_questions(root, parser, warn=False):
        return "anchored", anchored_questions(root, parser, warn=True)
    names = SHAPES[1:] if name == "auto" else (name,)
    best: tuple[str, list[Question], list] | None = None
    for candidate in names:
        if best is not None and len(best[1]) >= _most_possible(candidate, root):
            continue  # it could at best tie, and ties go to the shape tried first
        warnings: list = []
        found = _FINDERS[candidate](root, parser, warnings)
        if best is None or len(found) > len(best[1]):
            best = (candidate, found, warnings)
    chosen, questions, warnings = best
    for line, message in warnings:
        parser.problems.warn(parser.at(line), message)
    if chosen != "bold-bullets":
        _keep_sections_only_if_they_tell_apart(questions)
    return (chosen if questions or name != "auto" else ""), questions


def _most_possible(shape: str, root: Node) -> float:
    """Bound how many questions a shape can find here, cheaply (detection runs on every file)."""
    if shape == "lists":
        return sum(len(n.children) for n in root.children if n.type in ("bullet_list", "ordered_list"))
    if shape == "headings":
        return sum(1 for n in root.children if n.type == "heading")
    if shape == "details":
        return sum(n.content.count("<details") for n in root.children if n.type == "html_block")
    return float("inf")


def _keep_sections_only_if_they_tell_apart(questions: list[Question]) -> None:
    """A section path shown on every card of the file tells nothing: drop it then."""
    paths = {q.sections for q in questions if q.parent is None}
    if len(paths) < 2:
        for q in questions:
            q.sections = ()


# Anchored and bold-bullets finders predate the shared (root, parser, warnings) signature.

def _anchored(root: Node, parser: Parser, warnings: list) -> list[Question]:
    return anchored_questions(root, parser, warn=True)


def _bold(root: Node, parser: Parser, warnings: list) -> list[Question]:
    return bold_bullet_questions(root, parser)


_FINDERS = {
    "anchored": _anchored,
    "bold-bullets": _bold,
    "headings": heading_questions,
    "details": details_questions,
    "qa": qa_questions,
    "lists": list_questions,
}
