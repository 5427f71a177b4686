"""Composed (NFC) or decomposed (NFD, as macOS tools write Korean): the same text, the same notes."""

from __future__ import annotations

import os
import shutil
import unicodedata
from pathlib import Path

from tests.conftest import FIXTURES, read_lock
from tests.test_regenerate import _review_all, _schedule


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _notes(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    shutil.copy(FIXTURES / "regen" / "v1" / "a.md", notes / "신경망.md")
    # No title and no heading: the file's name names its subdeck.
    (notes / "활성화 함수.md").write_text(
        "- **렐루는 왜 쓰나요?**\n  - 기울기 소실을 줄이고 계산이 간단합니다.\n"
        "- **시그모이드의 단점은?**\n  - 큰 입력에서 기울기가 사라집니다.\n",
        encoding="utf-8",
    )
    (notes / "deckgen.toml").write_text('[files."최적화.md"]\ndeck = "최적화 기법"\n', encoding="utf-8")
    shutil.copy(FIXTURES / "regen" / "v1" / "b.md", notes / "최적화.md")
    return notes


def _to_nfd(notes: Path, name: str) -> Path:
    """Rewrite a file in NFD and rename it to its NFD name, as a macOS editor and Finder may."""
    old = notes / name
    text = old.read_text(encoding="utf-8")
    new = notes / nfd(name)
    assert new.name != old.name  # two different names on this file system
    old.unlink()
    new.write_bytes(nfd(text).encode("utf-8"))
    return new


def test_nfd_rewrite_and_rename_keep_every_note(run_cli, tmp_path, anki):
    notes = _notes(tmp_path)
    first = run_cli("build", "notes", "-o", "dist")
    assert first.exit_code == 0, first.output
    anki.import_package(tmp_path / "dist" / "notes-v1.0.0.apkg")
    before = _review_all(anki)
    ids_before = {n.guid: n.id for n in anki.notes()}
    decks_before = {n.id: anki.deck_of(n) for n in anki.notes()}
    assert "notes::활성화 함수" in decks_before.values() and "notes::최적화 기법" in decks_before.values()
    lock_before = (notes / "deckgen.lock").read_bytes()

    for name in ("신경망.md", "활성화 함수.md", "최적화.md"):
        _to_nfd(notes, name)
    same = run_cli("build", "notes", "-o", "dist")
    assert same.exit_code == 0, same.output
    assert "is up to date (version 1.0.0)" in same.output, same.output
    assert (notes / "deckgen.lock").read_bytes() == lock_before

    # And an edit, saved in NFD too: only that note changes.
    b = notes / nfd("최적화.md")
    b.write_bytes(b.read_bytes().replace(nfd("진동을 줄이고").encode(), nfd("진동을 크게 줄이고").encode()))
    second = run_cli("build", "notes", "-o", "dist")
    assert second.exit_code == 0, second.output
    out = second.output
    assert "notes-v1.0.1.apkg" in out and "edited: 모멘텀은 무엇인가요? (최적화.md)" in out, out
    assert not any(word in out for word in ("added:", "removed:", "re-identified:", "moved:")), out
    assert unicodedata.is_normalized("NFC", (notes / "deckgen.lock").read_text(encoding="utf-8"))
    state = read_lock(notes)
    assert state["notes"] and all(e["file"] and e["question"] and e["deck"] for e in state["notes"])

    result = anki.import_package(tmp_path / "dist" / "notes-v1.0.1.apkg")
    assert len(result.log.conflicting) == 0
    assert {n.guid: n.id for n in anki.notes()} == ids_before  # no note added, none lost
    assert {n.id: anki.deck_of(n) for n in anki.notes()} == decks_before
    after = _schedule(anki)
    assert after == before  # every card with its scheduling and review log
    momentum = anki.note_by_question("모멘텀은 무엇인가요?")
    assert "진동을 크게 줄이고" in momentum["Answer"]
    assert unicodedata.is_normalized("NFC", momentum["Answer"])
    assert momentum["Source"].startswith("최적화.md:") and unicodedata.is_normalized("NFC", momentum["Source"])


def test_a_lock_written_from_nfd_files_still_matches(run_cli, tmp_path):
    notes = _notes(tmp_path)
    assert run_cli("build", "notes", "-o", "dist").exit_code == 0
    lock = notes / "deckgen.lock"
    before = read_lock(notes)
    lock.write_text(nfd(lock.read_text(encoding="utf-8")), encoding="utf-8")  # as an older build wrote it
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output
    assert "is up to date" in result.output, result.output  # nothing to write: the lock stays as it is
    (notes / "활성화 함수.md").write_text("- **렐루는 왜 쓰나요?**\n  - 계산이 간단합니다.\n", encoding="utf-8")
    edited = run_cli("build", "notes", "-o", "dist")
    assert edited.exit_code == 0, edited.output
    assert "edited: 렐루는 왜 쓰나요?" in edited.output and "added:" not in edited.output, edited.output
    after = read_lock(notes)
    assert unicodedata.is_normalized("NFC", lock.read_text(encoding="utf-8"))
    guids = {e["question"]: e["guid"] for e in before["notes"]}
    assert {e["question"]: e["guid"] for e in after["notes"] if e["question"] in guids} == {
        q: g for q, g in guids.items() if q != "시그모이드의 단점은?"
    }


def test_nfd_folder_names_the_same_deck(run_cli, tmp_path):
    folder = tmp_path / nfd("면접")
    shutil.copytree(FIXTURES / "regen" / "v1", folder)
    result = run_cli("build", folder.name, "-o", "dist")
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(tmp_path / "dist")) == ["CHANGELOG.md", "면접-v1.0.0.apkg"]
    state = read_lock(folder)
    assert state["title"] == "면접" and state["slug"] == "면접"


# A 1×1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_nfc_names_find_nfd_files(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    (notes / nfd("그림")).mkdir(parents=True)
    (notes / nfd("그림") / nfd("도표.png")).write_bytes(PNG)
    (notes / nfd("큐.md")).write_text("* [큐란 무엇인가요?](#1)\n\n## #1\n\n선입선출 구조.\n", encoding="utf-8")
    (notes / "스택.md").write_text(
        "- **스택이란?**\n  - 후입선출 구조. ![도표](그림/도표.png) 관련: [여기](큐.md#1)\n", encoding="utf-8")
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output + result.stderr
    assert "error" not in result.stderr
    anki.import_package(next((tmp_path / "dist").glob("*.apkg")))
    answer = anki.note_by_question("스택이란?")["Answer"]
    assert '<img src="' in answer
    assert "“큐란 무엇인가요?”" in answer
