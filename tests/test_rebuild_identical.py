"""A rebuild writes the package a clean build of the same notes and lock writes, byte for byte.

A rebuild reuses what it can of the last build (each unchanged file's parse, its notes' fields and
content hashes, from the parse cache); what it writes must not depend on that: the same notes and
the same lock give the same package, whether every file was parsed anew or only the changed one.
"""

from __future__ import annotations

import shutil

import pytest

from deckgen import build as build_module
from deckgen import lock as deck_lock
from deckgen import parse as parse_module
from deckgen.model import BuildConfig
from tests.conftest import FIXTURES, AnkiCollection, keep_in_memory

T1, T2 = 1_800_000_000, 1_800_086_400


def _build(notes, dist, timestamp):
    report = build_module.build(BuildConfig(sources=(notes,), outdir=dist, timestamp=timestamp))
    assert report.package is not None and not report.up_to_date
    return report


class _Parsed:
    """The files a build parses (those it does not take from the parse cache), here or in the
    worker processes it starts: they inherit the patch, and note each file in one log."""

    def __init__(self, monkeypatch, log) -> None:
        self.log = log
        real = parse_module.parse_file

        def noted(source, *args, **kwargs):
            with open(log, "a", encoding="utf-8") as out:
                out.write(source.rel + "\n")
            return real(source, *args, **kwargs)

        monkeypatch.setattr(parse_module, "parse_file", noted)

    def files(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").split() if self.log.exists() else []

    def clear(self) -> None:
        self.log.unlink(missing_ok=True)


def _in_anki(package, folder):
    folder.mkdir()
    anki = AnkiCollection(folder)
    try:
        anki.import_package(package)
        return sorted((n.guid, tuple(n.fields), tuple(n.tags), n.mod, anki.deck_of(n)) for n in anki.notes())
    finally:
        anki.close()


@pytest.mark.parametrize("keeping", [False, True], ids=["one-off", "keeping"])
@pytest.mark.parametrize("edit", ["added", "edited", "removed"])
def test_a_rebuild_writes_what_a_clean_build_writes(tmp_path, monkeypatch, edit, keeping):
    """`keeping`: built by a process that keeps what it read (`deckgen server`, `deckgen watch`):
    the notes the edit did not reach, moved or not, are taken from what it made of them last time."""
    if keeping:
        keep_in_memory(monkeypatch)
    notes, dist = tmp_path / "notes", tmp_path / "dist"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    (notes / "deckgen.toml").write_text('title = "시험"\nslug = "exam"\n', encoding="utf-8")
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    _build(notes, dist, T1)
    lock_before = (notes / "deckgen.lock").read_bytes()

    b = notes / "b.md"
    text = b.read_text(encoding="utf-8")
    question = "- **모멘텀은 무엇인가요?**"
    assert question in text
    if edit == "added":
        text = text.replace(question, "- **새로 넣은 질문은 무엇인가요?**\n  - 새로 넣은 답입니다.\n" + question)
    elif edit == "edited":
        text = text.replace("진동을 줄이고", "진동을 크게 줄이고")
    else:
        start = text.index(question)
        end = text.find("\n- **", start + 1)
        text = text[:start] + (text[end + 1 :] if end >= 0 else "")
    b.write_text(text, encoding="utf-8")
    parsed = _Parsed(monkeypatch, tmp_path / "parsed.log")
    read_locks: list[bytes] = []
    real_parse = deck_lock.parse
    monkeypatch.setattr(deck_lock, "parse", lambda data, shown: read_locks.append(data) or real_parse(data, shown))
    report = _build(notes, dist, T2)
    # The lock it wrote is the state it kept, not read again; and read, it is that state.
    assert read_locks == ([] if keeping else [lock_before])
    if keeping:
        assert real_parse((notes / "deckgen.lock").read_bytes(), "deckgen.lock") == deck_lock._written[1]
    assert parsed.files() == ["b.md"]  # a.md came from the cache
    rebuilt, lock_after = report.package.read_bytes(), (notes / "deckgen.lock").read_bytes()
    assert any(c.kind == edit for c in report.changes), report.changes

    # The same notes and lock, built with an empty cache: every file parsed anew.
    (notes / "deckgen.lock").write_bytes(lock_before)
    kept = tmp_path / "rebuilt.apkg"
    report.package.rename(kept)
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cold-cache"))
    parsed.clear()
    if keeping:  # a clean build reads and makes everything
        from deckgen import reparse
        from deckgen.cache import ParseCache

        monkeypatch.setattr(reparse, "_kept", None)
        monkeypatch.setattr(ParseCache, "memory", None)
    clean = _build(notes, dist, T2)
    assert sorted(parsed.files()) == ["a.md", "b.md"]
    assert clean.package.name == report.package.name
    assert clean.package.read_bytes() == rebuilt
    assert (notes / "deckgen.lock").read_bytes() == lock_after
    assert _in_anki(kept, tmp_path / "anki-rebuilt") == _in_anki(clean.package, tmp_path / "anki-clean")
