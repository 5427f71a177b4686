"""A build server reads the files of its last build ahead while it waits (build.read_ahead), so
that even the first edit of a file whose parse came from the cache is reread only in part."""

from __future__ import annotations

import os

import pytest

from deckgen import build as build_module
from deckgen import lock as deck_lock
from deckgen import reparse
from deckgen.cache import ParseCache
from deckgen.markdown import markdown
from deckgen.model import BuildConfig
from tests.conftest import keep_in_memory

T1, T2, T3 = 1_800_000_000, 1_800_086_400, 1_800_172_800
QUESTIONS = 40


def _questions(first: int, n: int) -> str:
    return "".join(f"- **질문 {k}은 무엇인가요?**\n  - 답 {k}입니다: $x_{{{k}}}$ 와 `코드 {k}`.\n" for k in range(first, first + n))


@pytest.fixture
def notes(tmp_path, monkeypatch):
    """Notes built once by a one-off build (their parses in the cache), then kept in memory as
    `deckgen server` keeps them; what is kept is this test's alone."""
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# 기초\n\n" + _questions(0, 5), encoding="utf-8")
    (folder / "b.md").write_text("# 심화\n\n" + _questions(100, QUESTIONS), encoding="utf-8")
    _build(folder, T1)
    keep_in_memory(monkeypatch)
    return folder


def _build(folder, timestamp):
    report = build_module.build(BuildConfig(sources=(folder,), outdir=folder.parent / "dist", timestamp=timestamp))
    assert report.package is not None and not report.up_to_date, report.diagnostics
    return report


def _edit_a(folder) -> None:
    with (folder / "a.md").open("a", encoding="utf-8") as f:
        f.write(_questions(5, 1))


def _lines_read(monkeypatch) -> list[int]:
    """How many lines each markdown-it parse from now on reads."""
    read: list[int] = []
    md = markdown()
    real = md.parse
    monkeypatch.setattr(md, "parse", lambda src, env=None: read.append(src.count("\n") + 1) or real(src, env))
    return read


def test_the_first_edit_of_a_file_read_ahead_is_reread_in_part(notes, monkeypatch, tmp_path):
    _edit_a(notes)
    _build(notes, T2)  # a.md parsed here and kept; b.md from the cache
    b = str(notes / "b.md")
    assert reparse.kept(b) is None
    assert build_module.read_ahead(lambda: True) == 0  # a build waits: nothing is read
    assert reparse.kept(b) is None
    assert build_module.read_ahead(lambda: False) == 1  # b.md only: a.md's tokens are held
    assert reparse.kept(b).tokens == markdown().parse((notes / "b.md").read_text(encoding="utf-8"), {})
    assert build_module.read_ahead(lambda: False) == 0  # done

    text = (notes / "b.md").read_text(encoding="utf-8")
    (notes / "b.md").write_text(text.replace("답 120입니다", "고친 답 120입니다"), encoding="utf-8")
    lock_before = (notes / "deckgen.lock").read_bytes()
    read = _lines_read(monkeypatch)
    report = _build(notes, T3)
    assert read and max(read) < 10, read  # about the edited question, not the file's 82 lines
    assert [c.kind for c in report.changes] == ["edited"]
    # What a one-off build of the same notes and lock, with nothing cached, writes, byte for byte.
    kept = tmp_path / "kept.apkg"
    report.package.rename(kept)
    lock_after = (notes / "deckgen.lock").read_bytes()
    (notes / "deckgen.lock").write_bytes(lock_before)
    monkeypatch.setattr(reparse, "_kept", None)
    monkeypatch.setattr(ParseCache, "memory", None)
    monkeypatch.setattr(deck_lock, "_keeping", False)
    monkeypatch.setattr(deck_lock, "_written", None)
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cold-cache"))
    clean = _build(notes, T3)
    assert clean.package.name == report.package.name
    assert clean.package.read_bytes() == kept.read_bytes()
    assert (notes / "deckgen.lock").read_bytes() == lock_after


def test_a_file_changed_since_the_build_is_left_to_the_next_build(notes):
    _edit_a(notes)
    _build(notes, T2)
    with (notes / "b.md").open("a", encoding="utf-8") as f:
        f.write(_questions(500, 1))
    assert build_module.read_ahead(lambda: False) == 0
    assert reparse.kept(str(notes / "b.md")) is None


def test_the_files_changed_last_are_read_ahead_first_as_far_as_they_may_be_held(tmp_path, monkeypatch):
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, first in (("a.md", 0), ("old.md", 100), ("new.md", 200)):
        (folder / name).write_text(f"# {name}\n\n" + _questions(first, QUESTIONS), encoding="utf-8")
    _build(folder, T1)
    keep_in_memory(monkeypatch)
    os.utime(folder / "old.md", ns=(T1 * 10**9, T1 * 10**9))
    os.utime(folder / "new.md", ns=(T2 * 10**9, T2 * 10**9))
    one = len((folder / "new.md").read_text(encoding="utf-8"))
    monkeypatch.setattr(build_module, "_READ_AHEAD_MOST", one + 10)  # one of them, not both
    with (folder / "a.md").open("a", encoding="utf-8") as f:
        f.write(_questions(5, 1))
    _build(folder, T2)
    assert build_module.read_ahead(lambda: False) == 1
    assert reparse.kept(str(folder / "new.md")) is not None
    assert reparse.kept(str(folder / "old.md")) is None


def test_notes_too_long_to_hold_are_not_read_ahead(notes, monkeypatch):
    monkeypatch.setattr(build_module, "_READ_AHEAD_MOST", 1_000)
    _edit_a(notes)
    _build(notes, T2)
    assert build_module.read_ahead(lambda: False) == 0
    assert reparse.kept(str(notes / "b.md")) is None


def test_a_watcher_reads_ahead_while_no_save_comes_and_stores_a_saves_parse_after_its_page(notes, tmp_path,
                                                                                           monkeypatch):
    import gc
    import threading
    import time

    from deckgen import cache
    from deckgen import watch as watch_module

    folder = notes  # built by a one-off build: the parses are in the cache, no tokens held
    monkeypatch.setattr(cache, "_later", None)

    def stored() -> set[str]:
        return {p.name for p in (tmp_path / "cache" / "parse").glob("*.pickle") if not p.name.startswith("code-")}

    def until(what, seconds: float = 30) -> bool:
        deadline = time.monotonic() + seconds
        while not what() and time.monotonic() < deadline:
            time.sleep(0.05)
        return what()

    lines: list[str] = []
    stop = threading.Event()
    config = BuildConfig(sources=(folder,), outdir=tmp_path / "preview")
    watcher = threading.Thread(target=watch_module.watch, args=(config, tmp_path / "preview"), daemon=True,
                               kwargs={"port": 0, "echo": lambda text, err=False: lines.append(text), "stop": stop})
    watcher.start()
    try:
        assert until(lambda: all(reparse.kept(str(folder / name)) is not None for name in ("a.md", "b.md"))), lines
        assert not gc.isenabled()  # the watcher collects while it waits, not while it builds
        before = stored()
        built = len([line for line in lines if " new or edited since the last build" in line])
        text = (folder / "b.md").read_text(encoding="utf-8")
        (folder / "b.md").write_text(text.replace("답 120입니다", "고친 답 120입니다"), encoding="utf-8")
        assert until(lambda: len([line for line in lines if " new or edited since" in line]) > built), lines
        assert until(lambda: len(stored() - before) == 1, 10), (before, stored())
    finally:
        stop.set()
        watcher.join(30)
    assert not watcher.is_alive() and gc.isenabled()


def test_a_watcher_reads_ahead_a_while_at_a_time(notes, monkeypatch):
    from deckgen import watch as watch_module

    (notes / "c.md").write_text("# 셋째\n\n" + _questions(300, 5), encoding="utf-8")
    _build(notes, T2)  # c.md parsed here and kept; a.md and b.md from the cache
    monkeypatch.setattr(watch_module, "_AHEAD_SECONDS", 0)  # one file a time, the least there is
    said: list[str] = []
    assert watch_module._read_ahead_a_while(None, said.append)
    assert sum(reparse.kept(str(notes / name)) is not None for name in ("a.md", "b.md")) == 1
    assert watch_module._read_ahead_a_while(None, said.append)
    assert not watch_module._read_ahead_a_while(None, said.append)  # nothing left
    assert all(reparse.kept(str(notes / name)) is not None for name in ("a.md", "b.md")) and not said
