"""What a learner's own changes in Anki survive when the next version of the deck is imported
(Anki's default options), measured in the official backend. The README's "What survives a
rebuild" section says the same; each claim there is a test here."""

from __future__ import annotations

import time
from pathlib import Path

from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS as ALWAYS

from deckgen.build import build
from deckgen.model import BuildConfig

_V1 = ("# 자료구조\n\n"
       "## 스택이란?\n\n나중에 넣은 것을 먼저 꺼낸다.\n\n"
       "## 큐란?\n\n먼저 넣은 것을 먼저 꺼낸다.\n\n"
       "## 힙이란?\n\n가장 작은 값이 맨 위에 있는 트리이다.\n\n"
       "## 덱이란?\n\n양쪽 끝에서 넣고 꺼낼 수 있다.\n")


def _deck(tmp_path: Path, text: str = _V1) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir(exist_ok=True)
    (notes / "deckgen.toml").write_text('title = "자료구조"\nslug = "ds"\n', encoding="utf-8")
    (notes / "01-ds.md").write_text(text, encoding="utf-8")
    return notes


def _build(run_cli, notes: Path, dist: Path) -> Path:
    result = run_cli("build", str(notes), "-o", str(dist))
    assert result.exit_code == 0, result.output + result.stderr
    return max(dist.glob("*.apkg"), key=lambda p: p.stat().st_mtime_ns)


def _card(anki, question: str):
    return anki.note_by_question(question).cards()[0]


def test_edits_and_tags_made_in_anki_last_until_the_question_changes_upstream(run_cli, tmp_path, anki):
    notes, dist = _deck(tmp_path), tmp_path / "dist"
    anki.import_package(_build(run_cli, notes, dist))
    for question in ("스택이란", "큐란"):
        note = anki.note_by_question(question)
        note["Answer"] += "<p>내 메모</p>"
        note.tags.append("내태그")
        anki.col.update_note(note)

    # Upstream edits the answer of 큐 only, and the deck is rebuilt later than the edits in Anki.
    (notes / "01-ds.md").write_text(_V1.replace("먼저 넣은 것을 먼저 꺼낸다.", "먼저 넣은 것을 먼저 꺼낸다 (FIFO)."),
                                    encoding="utf-8")
    later = build(BuildConfig(sources=(notes,), outdir=dist, timestamp=time.time() + 5)).package
    log = anki.import_package(later).log
    assert len(log.updated) == 1
    stack, queue = anki.note_by_question("스택이란"), anki.note_by_question("큐란")
    assert "내 메모" in stack["Answer"] and "내태그" in stack.tags  # unchanged upstream: the user's own
    assert "내 메모" not in queue["Answer"] and "FIFO" in queue["Answer"]  # changed: the package's
    assert "내태그" not in queue.tags


def test_a_note_deleted_in_anki_comes_back_new_on_the_next_import(run_cli, tmp_path, anki):
    notes, dist = _deck(tmp_path), tmp_path / "dist"
    package = _build(run_cli, notes, dist)
    anki.import_package(package)
    heap = anki.note_by_question("힙이란")
    card = heap.cards()[0]
    card.start_timer()
    anki.col.sched.answerCard(card, 3)
    anki.col.remove_notes([heap.id])
    assert len(anki.notes()) == 3
    anki.import_package(package)  # the same version again, or any later one
    back = anki.note_by_question("힙이란")
    assert back.cards()[0].reps == 0 and len(anki.notes()) == 4


def test_flags_suspension_deck_moves_and_scheduling_survive_every_import(run_cli, tmp_path, anki):
    notes, dist = _deck(tmp_path), tmp_path / "dist"
    anki.import_package(_build(run_cli, notes, dist))
    stack, queue, heap = (_card(anki, q) for q in ("스택이란", "큐란", "힙이란"))
    anki.col.set_user_flag_for_cards(3, [stack.id])
    anki.col.sched.suspend_cards([queue.id])
    elsewhere = anki.col.decks.id("내 덱")
    anki.col.set_deck([heap.id], elsewhere)
    heap = anki.col.get_card(heap.id)
    heap.start_timer()
    anki.col.sched.answerCard(heap, 3)
    scheduled = anki.col.get_card(heap.id)

    # Every question changes upstream: every note is updated, no card is touched.
    (notes / "01-ds.md").write_text(_V1.replace("다.\n", "다 (고침).\n"), encoding="utf-8")
    log = anki.import_package(_build(run_cli, notes, dist)).log
    assert len(log.updated) == 4
    assert anki.col.get_card(stack.id).user_flag() == 3
    assert anki.col.get_card(queue.id).queue == -1  # suspended
    after = anki.col.get_card(heap.id)
    assert after.did == elsewhere and (after.due, after.ivl, after.reps) == (scheduled.due, scheduled.ivl, 1)
    assert "고침" in anki.note_by_question("힙이란")["Answer"]


def test_the_root_deck_description_is_replaced_by_each_version(run_cli, tmp_path, anki):
    notes, dist = _deck(tmp_path), tmp_path / "dist"
    anki.import_package(_build(run_cli, notes, dist))
    root = anki.col.decks.by_name("자료구조")
    root["desc"] = "내 설명"
    anki.col.decks.save(root)
    (notes / "01-ds.md").write_text(_V1 + "\n## 트라이란?\n\n문자열을 한 글자씩 나누어 담는 트리이다.\n", encoding="utf-8")
    anki.import_package(_build(run_cli, notes, dist))
    desc = anki.col.decks.by_name("자료구조")["desc"]
    assert "내 설명" not in desc and "version 1.1.0" in desc


def test_the_import_options_are_remembered_and_always_overwrites_the_users_edits(tmp_path, anki):
    notes = _deck(tmp_path)
    package = build(BuildConfig(sources=(notes,), outdir=tmp_path / "dist", timestamp=time.time() - 3600)).package
    anki.import_package(package)
    note = anki.note_by_question("스택이란")
    note["Answer"] += "<p>내 메모</p>"
    anki.col.update_note(note)
    anki.import_package(package)  # the defaults: the edit is kept
    assert "내 메모" in anki.note_by_question("스택이란")["Answer"]

    options = ImportAnkiPackageOptions(update_notes=ALWAYS, update_notetypes=ALWAYS)
    log = anki.col.import_anki_package(ImportAnkiPackageRequest(package_path=str(package), options=options)).log
    # Nothing changed upstream, yet the note edited in Anki is overwritten with the package's.
    assert len(log.updated) == 1 and len(log.duplicate) == 3
    assert "내 메모" not in anki.note_by_question("스택이란")["Answer"]
    # And the next import offers the same options again.
    assert anki.col._backend.get_import_anki_package_presets().update_notes == ALWAYS


def test_font_files_of_earlier_versions_stay_in_the_collection_media(run_cli, tmp_path, anki):
    notes, dist = _deck(tmp_path), tmp_path / "dist"
    anki.import_package(_build(run_cli, notes, dist))
    media = Path(anki.col.media.dir())
    first = {p.name for p in media.iterdir() if p.name.startswith("_")}
    assert first  # the font blocks this deck uses
    # A character from a block the first version did not need: one more font file, none removed.
    (notes / "01-ds.md").write_text(_V1 + "\n## 그리스 문자 σ는 무엇을 나타내나요?\n\n표준편차를 나타낸다.\n", encoding="utf-8")
    anki.import_package(_build(run_cli, notes, dist))
    second = {p.name for p in media.iterdir() if p.name.startswith("_")}
    assert first < second
    # A version that no longer needs it leaves it there too: Anki never deletes media on import.
    (notes / "01-ds.md").write_text(_V1, encoding="utf-8")
    anki.import_package(_build(run_cli, notes, dist))
    assert {p.name for p in media.iterdir() if p.name.startswith("_")} == second
