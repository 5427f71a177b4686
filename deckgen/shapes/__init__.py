"""Where a note file keeps its questions: small finders, and one step that reads the file.

Each finder (one module per way of writing a question, helpers in `common.py`) proposes
`Question`s (question tokens + answer blocks); `parse.py` then applies the rules all of them
share. The ways people write questions:

- anchored:     an index of `[question](#n)` links and `### #n` answer sections;
- headings:     `### question?` headings, the answer up to the next heading of that level or above;
- bold-bullets: `- **question?**` items with the answer nested below;
- details:      `<details><summary>question</summary>` with the answer inside;
- qa:           `Q. question` paragraphs, each followed by its `A. answer`;
- lists:        plain or numbered `1. question?` items with the answer nested below;
- paragraphs:   a bold paragraph that asks, or a quote whose first line asks;
- tables:       a table with a "Question" column (and maybe an "Answer" one), a row each.

A file is read the way a reader reads it (`reading.py`): numbered answer sections first, then
the headings (which ask, or stand as the items of a Q&A sheet, or are named by its table of
contents), then each stretch of text outside those questions with the finder that explains it
best. A shape forced in `deckgen.toml` or front matter reads the whole file with that finder.
"""

from __future__ import annotations

from deckgen.shape_names import SHAPES, canonical
from deckgen.shapes.anchored import anchored_questions
from deckgen.shapes.base import Question, Reading
from deckgen.shapes.bullets import bold_bullet_questions
from deckgen.shapes.common import (
    A_MARKER,
    Q_MARKER,
    asks,
    bold_span,
    bold_whole,
    inline_text_of,
    looks_like_anchor,
    paragraph,
    question_tokens,
    section_paths,
    shown,
    strip_answer_label,
    strip_marker,
    trim_rules,
    unwrap_bold,
)
from deckgen.shapes.details import details_questions
from deckgen.shapes.headings import heading_questions
from deckgen.shapes.lists import list_questions
from deckgen.shapes.qa import qa_questions
from deckgen.tree import Node

__all__ = [
    "A_MARKER", "Q_MARKER", "SHAPES", "Question", "Reading", "anchored_questions", "asks",
    "bold_bullet_questions", "bold_span", "bold_whole", "canonical", "details_questions", "find_questions", "heading_questions",
    "inline_text_of", "list_questions", "looks_like_anchor", "paragraph", "qa_questions",
    "question_tokens", "shown", "strip_answer_label", "strip_marker", "trim_rules", "unwrap_bold",
]

def find_questions(root: Node, reading: Reading, shape: str | None,
                   sections: dict[str, str] | None = None) -> tuple[str, list[Question]]:
    """Find the questions of a file (read as a reader does unless a shape is given): (shape, questions).

    `sections` forces the shape of what stands under some section headings (heading text ->
    shape). The shape returned names the ways the questions were written, e.g. "headings+details".
    """
    from deckgen.shapes.reading import read_file

    name = canonical(shape) or "auto"
    warnings: list[tuple[int, str]] = []
    if name == "auto":
        label, questions = read_file(root, reading, warnings, sections or {})
    elif name == "anchored":
        label, questions = name, anchored_questions(root, reading, warn=True)
    else:
        paths = section_paths(root.children, getattr(reading, "title", ""))
        label, questions = name, FINDERS[name](root.children, reading, paths, warnings)
    for line, message in warnings:
        reading.problems.warn(reading.at(line), message)
    if label == "bold-bullets":  # a cheat sheet of bullets: its headings are decoration
        for q in questions:
            q.sections = ()
    else:
        _keep_sections_only_if_they_tell_apart(questions)
    return label, questions


def _keep_sections_only_if_they_tell_apart(questions: list[Question]) -> None:
    """A section path shown on every card of the file tells nothing: drop it then."""
    paths = {q.sections for q in questions if q.parent is None}
    if len(paths) < 2:
        for q in questions:
            q.sections = ()


FINDERS = {
    "bold-bullets": bold_bullet_questions,
    "headings": heading_questions,
    "details": details_questions,
    "qa": qa_questions,
    "lists": list_questions,
}
"""Finders of questions in a run of blocks: (nodes, reading, section paths, warnings) -> questions."""
