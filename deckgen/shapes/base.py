"""What every finder produces and what it may read: `Question`, and the file being read.

Finders propose questions; `parse.py` turns them into notes. Neither needs the other's module:
the finders see the file only through `Reading`, which `parse.Parser` satisfies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from markdown_it.token import Token

from deckgen.errors import Problems
from deckgen.model import SourceFile, SourceLocation
from deckgen.tree import Node


class Reading(Protocol):
    """The file a finder reads: its text, markdown env, title, and where to report."""

    source: SourceFile
    env: dict
    title: str
    problems: Problems
    passed: list[tuple[int, str, str]]
    """Where a finder notes what could have been a question and why it is not: (line, text, why)."""
    looked: int
    """Counts what a question's notes were made from besides its blocks' tokens: a finder that
    reads the file's text adds one."""

    def at(self, line: int) -> SourceLocation: ...


@dataclass(slots=True)
class Question:
    """A question found by a finder, before its answer is made into notes."""

    inline: list[Token]
    """The question's inline tokens (what the reader sees as the question)."""
    line: int
    """0-based line of the question (where the Source field points)."""
    blocks: list[Node]
    """The answer: block nodes as they stand in the file."""
    anchor: str = ""
    parent: Question | None = None
    key: str = ""
    """Identity key within the file: the anchor, else the question text."""
    children: list[Question] = field(default_factory=list)
    """Sub-questions the finder found (nested index links, headings or details blocks)."""
    sections: tuple[str, ...] = ()
    """Section headings a top-level question stands under (shown as Context, made a tag)."""
    extra: list[Node] = field(default_factory=list)
    """Blocks that belong to the question itself (code inside a `<summary>`), shown under it."""
    group: str = ""
    """A label that groups this question with others (a table-of-contents entry with no link of
    its own): shown as its context, like a parent question's."""
