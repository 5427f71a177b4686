"""Edit the notes, rebuild, import over the old deck: every card keeps its review history."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import FIXTURES


def _use_state(notes: Path, state: str) -> None:
    for old in notes.glob("*.md"):
        old.unlink()
    for src in (FIXTURES / "regen" / state).glob("*.md"):
        shutil.copy(src, notes / src.name)


def _review_all(anki) -> dict[int, tuple]:
    """Answer every card 'Good' once; return each card's scheduling and review count."""
    col = anki.col
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)
    return _schedule(anki)


def _schedule(anki) -> dict[int, tuple]:
    col = anki.col
    out = {}
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        reviews = col.db.scalar("select count() from revlog where cid = ?", cid)
        out[cid] = (card.nid, card.type, card.queue, card.due, card.ivl, card.did, reviews)
    return out


def test_edits_keep_history_and_add_no_duplicates(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    notes.mkdir()
    dist = tmp_path / "dist"
    _use_state(notes, "v1")

    first = run_cli("build", str(notes), "-o", str(dist))
    assert first.exit_code == 0, first.output
    assert "10 notes (2 sub-questions)" in first.output
    anki.import_package(dist / "notes-v1.0.0.apkg")
    before = _review_all(anki)
    assert len(before) == 10
    guid_to_nid = {n.guid: n.id for n in anki.notes()}
    dropout = anki.note_by_question("드롭아웃은 왜 쓰나요?")
    dropout.add_tag("marked")
    anki.col.update_note(dropout)
    dropout_mod = anki.col.get_note(dropout.id).mod

    _use_state(notes, "v2")
    second = run_cli("build", str(notes), "-o", str(dist))
    assert second.exit_code == 0, second.output
    out = second.output
    assert "wrote " in out and "notes-v1.1.0.apkg" in out
    assert "re-identified: 퍼셉트론은 무엇인가요? → 퍼셉트론이란 무엇인가요?" in out
    assert "re-identified: 역전파는 어떻게 동작하나요? → 오차 역전파는 어떻게 동작하나요?" in out
    assert "re-identified: 내부 공변량 변화는 무엇인가? → 내부 공변량 변화란 무엇인가?" in out
    assert "edited: SGD와 Adam의 차이는? (b.md)" in out
    assert "added: 학습률 스케줄링은 왜 하나요? (c.md)" not in out
    assert "added: 학습률 스케줄링은 왜 하나요? (b.md)" in out
    assert "removed: 학습률이 너무 크면 어떻게 되나요? (b.md)" in out
    assert "moved: 가중치 감쇠는 무엇인가요?" in out
    changelog = (dist / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.index("## 1.1.0") < changelog.index("## 1.0.0")
    assert "- 학습률이 너무 크면 어떻게 되나요? (b.md)" in changelog

    result = anki.import_package(dist / "notes-v1.1.0.apkg")
    assert len(result.log.conflicting) == 0
    after = _schedule(anki)
    # Every card reviewed before is still there with exactly its scheduling and review log.
    for cid, state in before.items():
        assert after[cid] == state
    new_cards = set(after) - set(before)
    assert len(new_cards) == 1
    all_notes = anki.notes()
    assert len(all_notes) == 11  # Anki never deletes: the removed question stays, with its history
    questions = [n["Question"] for n in all_notes]
    assert len(questions) == len(set(questions)), "duplicate notes"
    for guid, nid in guid_to_nid.items():
        assert anki.col.get_note(nid).guid == guid
    reworded = anki.note_by_question("퍼셉트론이란 무엇인가요?")
    assert reworded.id in guid_to_nid.values()
    typo = anki.note_by_question("내부 공변량 변화란 무엇인가?")
    assert typo.id in guid_to_nid.values()
    sgd = anki.note_by_question("SGD와 Adam의 차이는?")
    assert "일반화 성능" in sgd["Answer"]
    added = anki.note_by_question("학습률 스케줄링은 왜 하나요?")
    assert added.id not in guid_to_nid.values()
    # An unchanged note is not touched: its mtime and the user's own tag survive.
    dropout = anki.col.get_note(dropout.id)
    assert dropout.mod == dropout_mod and "marked" in dropout.tags

    third = run_cli("build", str(notes), "-o", str(dist))
    assert third.exit_code == 0, third.output
    assert "is up to date (version 1.1.0)" in third.output
    assert sorted(p.name for p in dist.glob("*.apkg")) == ["notes-v1.0.0.apkg", "notes-v1.1.0.apkg"]


def _built_v1(run_cli, tmp_path: Path) -> tuple[Path, Path]:
    """Build the first state of the notes; return (notes, dist)."""
    notes, dist = tmp_path / "notes", tmp_path / "dist"
    notes.mkdir()
    _use_state(notes, "v1")
    assert run_cli("build", str(notes), "-o", str(dist)).exit_code == 0
    return notes, dist


def test_same_version_rebuilt_is_byte_identical(run_cli, tmp_path):
    notes, dist = _built_v1(run_cli, tmp_path)
    package = dist / "notes-v1.0.0.apkg"
    first = package.read_bytes()
    package.unlink()
    again = run_cli("build", str(notes), "-o", str(dist))
    assert again.exit_code == 0, again.output
    assert package.read_bytes() == first


def test_a_version_is_never_overwritten(run_cli, tmp_path):
    notes, dist = _built_v1(run_cli, tmp_path)
    old_lock = (notes / "deckgen.lock").read_bytes()
    (notes / "b.md").write_text("- **새 질문?**\n  - 새 답\n", encoding="utf-8")
    assert run_cli("build", str(notes), "-o", str(dist)).exit_code == 0  # 1.1.0
    (notes / "deckgen.lock").write_bytes(old_lock)  # an older lock, e.g. one never committed since
    (notes / "b.md").write_text("- **다른 질문?**\n  - 다른 답\n", encoding="utf-8")
    before = (dist / "notes-v1.1.0.apkg").read_bytes()
    result = run_cli("build", str(notes), "-o", str(dist))
    assert result.exit_code == 1
    assert "notes-v1.1.0.apkg: error: version 1.1.0 was already written with other content" in result.stderr
    assert (dist / "notes-v1.1.0.apkg").read_bytes() == before
    assert (notes / "deckgen.lock").read_bytes() == old_lock
