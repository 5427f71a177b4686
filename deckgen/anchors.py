"""What a note file's anchors point at (anchor -> question or heading text), for links to them."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from deckgen.ids import nfc
from deckgen.markdown import inline_text, markdown, slug
from deckgen.shapes.anchored import anchored_questions
from deckgen.shapes.base import Question
from deckgen.shapes.common import inline_text_of, looks_like_anchor
from deckgen.tree import Node


def anchor_names(root: Node, found: list[Question], title: str) -> dict[str, str]:
    """Map this file's anchors to what they name: its questions, else its headings' text."""
    names: dict[str, str] = {"": title} if title else {}
    seen: set[str] = set()
    for node in root.children:
        if node.type != "heading" or not node.children:
            continue
        text = inline_text(node.children[0].token)
        base = slug(text)
        unique, n = base, 1
        while unique in seen:
            unique, n = f"{base}-{n}", n + 1
        seen.add(unique)
        if text and not looks_like_anchor(text):
            names[unique] = text
    for q in found:
        text = inline_text_of(q.inline)
        if q.anchor and text:
            names[q.anchor] = text
    return names


@lru_cache(maxsize=256)
def names_of_file(path: Path, _stamp: tuple[int, int]) -> dict[str, str]:
    """The anchors of another note file (cached while its size and mtime stay the same)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return {}
    root = Node(markdown().parse(text, {}))
    found = anchored_questions(root, None, warn=False)
    title = ""
    for node in root.children:
        if node.type == "heading" and node.tag == "h1" and node.children:
            title = inline_text(node.children[0].token)
            break
    stem = nfc(path.stem)
    return anchor_names(root, found, title or re.sub(r"^\d+[-_. ]+", "", stem) or stem)
