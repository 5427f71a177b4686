"""The notetype's mtime is fixed with the notetype, not set by each build: every deck one deckgen
builds gives Anki the same notetype at the same mtime, and a later deckgen's notetype replaces it."""

from __future__ import annotations

import json
import sqlite3
import time
import zipfile
from pathlib import Path

from deckgen.notetype import NOTETYPE_HASH, NOTETYPE_MTIME, SCHEMA, notetype_hash, notetype_mtime
from deckgen.style import notetype_css
from tests.conftest import read_lock


def _write_deck(folder: Path, title: str, slug: str, question: str, answer: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deckgen.toml").write_text(f'title = "{title}"\nslug = "{slug}"\n', encoding="utf-8")
    (folder / "01-basics.md").write_text(f"# 기초\n\n- **{question}**\n  - {answer}\n", encoding="utf-8")
    return folder


def _notetype(anki) -> dict:
    """The shared notetype as the collection now holds it (an import leaves anki's cache stale)."""
    anki.col.models._clear_cache()
    return anki.col.models.by_name("deckgen Q&A")


def test_the_notetype_mtime_is_fixed_with_the_notetype(run_cli, tmp_path):
    current = notetype_hash(notetype_css())
    assert current == NOTETYPE_HASH, (
        "the notetype (templates, CSS or font blocks) changed: set NOTETYPE_MTIME = "
        f'{int(time.time())} and NOTETYPE_HASH = "{current}" in deckgen/notetype.py, so that every deck '
        "built from now on updates the notetype in Anki, and all of them alike")
    # Decks built at different times give their packages the one notetype mtime.
    mtimes = set()
    for n, place in enumerate(("a", "b")):
        deck = _write_deck(tmp_path / place, f"덱 {n}", f"deck-{n}", f"질문 {n}?", f"답 {n}")
        result = run_cli("build", str(deck), "-o", str(tmp_path / place / "dist"))
        assert result.exit_code == 0, result.output + result.stderr
        with zipfile.ZipFile(tmp_path / place / "dist" / f"deck-{n}-v1.0.0.apkg") as z:
            (tmp_path / f"{place}.db").write_bytes(z.read("collection.anki2"))
        conn = sqlite3.connect(tmp_path / f"{place}.db")
        try:
            models = json.loads(conn.execute("select models from col").fetchone()[0])
        finally:
            conn.close()
        mtimes |= {m["mod"] for m in models.values()}
        lock = read_lock(deck)
        assert lock["notetype"] == {"hash": current, "mtime": NOTETYPE_MTIME, "schema": SCHEMA.fingerprint()}
    assert mtimes == {NOTETYPE_MTIME}


def test_a_lock_with_a_later_notetype_mtime_still_updates_the_notetype():
    assert notetype_mtime("new", "old", 1_000) == NOTETYPE_MTIME
    assert notetype_mtime("new", None, 0) == NOTETYPE_MTIME
    assert notetype_mtime("new", "old", NOTETYPE_MTIME + 50) == NOTETYPE_MTIME + 51
    assert notetype_mtime("same", "same", NOTETYPE_MTIME + 50) == NOTETYPE_MTIME + 50


def test_a_later_notetype_replaces_the_shared_one_and_an_earlier_one_never_does(run_cli, tmp_path, anki, monkeypatch):
    from deckgen import notetype, style

    alpha = _write_deck(tmp_path / "alpha", "알파", "alpha", "스택이란?", "나중에 넣은 것을 먼저 꺼낸다.")
    assert run_cli("build", str(alpha), "-o", str(tmp_path / "dist")).exit_code == 0
    anki.import_package(tmp_path / "dist" / "alpha-v1.0.0.apkg")
    assert _notetype(anki)["mod"] == NOTETYPE_MTIME

    # A later deckgen, whose CSS changed: its notetype mtime is later, and Anki takes its notetype.
    front, back, css = style.template_files()
    monkeypatch.setattr(style, "template_files", lambda: (front, back, css + "\n.dg-later { color: red; }\n"))
    monkeypatch.setattr(notetype, "NOTETYPE_MTIME", NOTETYPE_MTIME + 100)
    (alpha / "01-basics.md").write_text("# 기초\n\n- **스택이란?**\n  - 나중에 넣은 것부터 꺼낸다.\n", encoding="utf-8")
    assert run_cli("build", str(alpha), "-o", str(tmp_path / "dist")).exit_code == 0
    anki.import_package(tmp_path / "dist" / "alpha-v1.0.1.apkg")
    shared = _notetype(anki)
    assert ".dg-later" in shared["css"] and shared["mod"] == NOTETYPE_MTIME + 100

    # A deck built afterwards by the earlier deckgen leaves the later notetype in place.
    monkeypatch.undo()
    beta = _write_deck(tmp_path / "beta", "베타", "beta", "큐란?", "먼저 넣은 것을 먼저 꺼낸다.")
    assert run_cli("build", str(beta), "-o", str(tmp_path / "dist")).exit_code == 0
    anki.import_package(tmp_path / "dist" / "beta-v1.0.0.apkg")
    assert _notetype(anki)["css"] == shared["css"]
    assert len(anki.notes()) == 2
