"""The size of a deck's lock (format 2) beside the format-1 lock that deckgen wrote for the same notes.

    python bench/locksize.py SOURCES [CODE]      # prints {"format 2": bytes, "format 1": bytes}

Format 1 held one object per note, its values on lines of their own and the first 240 characters
of the answer as text; it is written here as deckgen wrote it, for the notes and GUIDs of the
lock in SOURCES (built beforehand), with each answer's text from a parse of the notes.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path


def main() -> None:
    sources = Path(sys.argv[1]).resolve()
    if len(sys.argv) > 2:
        sys.path.insert(0, str(Path(sys.argv[2]).resolve()))
    from deckgen import build, lock
    from deckgen.errors import Problems
    from deckgen.model import BuildConfig

    real = build.prepare

    def keeping_answers(file, deck, title=None):  # the build keeps each answer's sketch, not its text
        return replace(real(file, deck, title), notes=file.notes)

    build.prepare = keeping_answers
    with tempfile.TemporaryDirectory() as cache:
        os.environ["DECKGEN_CACHE"] = cache
        _deck, files, _media = build.collect(BuildConfig(sources=(sources,), outdir=sources / "unused"), Problems())
    answers = [n.answer_text for f in files for n in f.notes]
    state = lock.load(sources)
    if len(answers) != len(state["notes"]):
        raise SystemExit(f"the lock holds {len(state['notes'])} notes, the sources {len(answers)}")
    order = ("guid", "key", "file", "question", "answer", "hash", "mtime", "deck", "pinned")
    entries = []
    for entry, answer in zip(state["notes"], answers, strict=True):
        entry = {**entry, "answer": answer}
        entries.append({k: entry[k] for k in order if k in entry})
    old = {**{k: v for k, v in state.items() if k != "notes"}, "format": 1, "notes": entries}
    format_1 = json.dumps(old, ensure_ascii=False, indent=1) + "\n"
    print(json.dumps({"format 2": (sources / lock.LOCK_NAME).stat().st_size,
                      "format 1": len(format_1.encode("utf-8"))}))


if __name__ == "__main__":
    main()
