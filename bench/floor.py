"""The floor of deckgen's stack: the least work that turns the same files into the same notes.

Reads the bold-bullet files, cuts them into questions with a line scan (a top-level
`- **question**` item; a nested `- ...?` item with an indented answer is a sub-question and
becomes its own note, as in deckgen), renders each answer with markdown-it-py and writes
one note per question with genanki: one model, one deck, one .apkg. No sanitising, no code
highlighting, no lock file: what any tool on markdown-it-py + genanki must at least spend.

    python bench/floor.py CORPUS_DIR OUT.apkg
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import genanki
from markdown_it import MarkdownIt

_QUESTION = re.compile(r"^- \*\*(.+)\*\*\s*$")
_SUB = re.compile(r"^  - (.+[?？])\s*$")


def questions(text: str):
    """Yield (question, answer markdown) for every question and sub-question of a file."""
    q: str | None = None
    answer: list[str] = []
    sub: str | None = None
    sub_answer: list[str] = []
    for line in text.split("\n"):
        m = _QUESTION.match(line)
        if m or (line and not line.startswith(" ")):
            if sub is not None:
                yield sub, "\n".join(sub_answer)
                sub = None
            if q is not None:
                yield q, "\n".join(answer)
                q = None
            if m:
                q, answer = m.group(1), []
            continue
        if q is None:
            continue
        s = _SUB.match(line)
        if s:
            if sub is not None:
                yield sub, "\n".join(sub_answer)
            sub, sub_answer = s.group(1), []
        elif sub is not None and line.startswith("    "):
            sub_answer.append(line[4:])
        elif sub is not None and line.strip():
            yield sub, "\n".join(sub_answer)
            sub = None
        answer.append(line[2:])
    if sub is not None:
        yield sub, "\n".join(sub_answer)
    if q is not None:
        yield q, "\n".join(answer)


def main() -> None:
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    md = MarkdownIt("commonmark")
    model = genanki.Model(
        1_607_392_319, "floor", fields=[{"name": "Question"}, {"name": "Answer"}],
        templates=[{"name": "Card", "qfmt": "{{Question}}", "afmt": "{{FrontSide}}<hr>{{Answer}}"}],
    )
    deck = genanki.Deck(2_059_400_110, "floor")
    count = 0
    for path in sorted(src.glob("*.md")):
        for q, a in questions(path.read_text(encoding="utf-8")):
            deck.add_note(genanki.Note(model=model, fields=[md.renderInline(q), md.render(a)]))
            count += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    genanki.Package(deck).write_to_file(out)
    print(f"wrote {out}: {count} notes")


if __name__ == "__main__":
    main()
