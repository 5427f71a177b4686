"""The lock file: a broken or newer one stops the build; it never silently starts over."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.conftest import FIXTURES


@pytest.fixture
def built(run_cli, tmp_path):
    shutil.copytree(FIXTURES / "regen" / "v1", tmp_path / "notes")
    assert run_cli("build", "notes").exit_code == 0
    return tmp_path / "notes" / "deckgen.lock"


def _rebuild_fails(run_cli, lock, message):
    (lock.parent / "b.md").write_text("- **바뀐 질문?**\n  - 바뀐 답\n", encoding="utf-8")
    before = lock.read_bytes()
    result = run_cli("build", "notes")
    assert result.exit_code == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert lock.read_bytes() == before
    assert sorted(p.name for p in (lock.parent.parent / "dist").glob("*.apkg")) == ["notes-v1.0.0.apkg"]


def test_lock_is_readable_json_with_every_note(built):
    state = json.loads(built.read_text(encoding="utf-8"))
    assert state["version"] == "1.0.0" and state["format"] == 1
    assert len(state["notes"]) == 10
    entry = state["notes"][0]
    assert {"guid", "key", "file", "question", "hash", "mtime", "deck"} <= set(entry)
    assert entry["key"] == "a.md#1" and entry["question"] == "퍼셉트론은 무엇인가요?"
    assert len({e["guid"] for e in state["notes"]}) == 10


def test_corrupt_lock_is_an_error_with_a_way_out(run_cli, built):
    built.write_text(built.read_text(encoding="utf-8")[:200], encoding="utf-8")
    _rebuild_fails(
        run_cli,
        built,
        "notes/deckgen.lock:",
    )
    result = run_cli("build", "notes")
    assert "error: the lock file is corrupt" in result.stderr
    assert "restore it from version control (e.g. `git checkout -- notes/deckgen.lock`)" in result.stderr


def test_hand_broken_note_entry_is_named(run_cli, built):
    state = json.loads(built.read_text(encoding="utf-8"))
    del state["notes"][3]["guid"]
    text = json.dumps(state, ensure_ascii=False, indent=1)
    built.write_text(text, encoding="utf-8")
    starts = [n for n, row in enumerate(text.splitlines(), 1) if row == "  {"]
    _rebuild_fails(
        run_cli, built, f'notes/deckgen.lock:{starts[3]}: error: the lock file\'s note 4 is malformed: "guid" is missing'
    )


def test_lock_from_a_newer_deckgen_is_refused(run_cli, built):
    state = json.loads(built.read_text(encoding="utf-8"))
    state["format"] = 99
    built.write_text(json.dumps(state, indent=1), encoding="utf-8")
    _rebuild_fails(run_cli, built, "notes/deckgen.lock:2: error: the lock file was written by a newer deckgen (format 99)")
    result = run_cli("build", "notes")
    assert "error: notes/deckgen.lock cannot be used: upgrade deckgen to build this deck" in result.stderr


def test_pinned_id_keeps_the_note_through_a_full_rewrite(run_cli, built, tmp_path):
    before = json.loads(built.read_text(encoding="utf-8"))
    original = next(e["guid"] for e in before["notes"] if e["question"] == "모멘텀은 무엇인가요?")
    b = built.parent / "b.md"
    b.write_text(
        b.read_text(encoding="utf-8").replace(
            "- **모멘텀은 무엇인가요?**", "- **모멘텀은 무엇인가요?** <!-- id: momentum -->"
        ),
        encoding="utf-8",
    )
    pinned = run_cli("build", "notes")
    assert pinned.exit_code == 0, pinned.output
    state = json.loads(built.read_text(encoding="utf-8"))
    guid = next(e["guid"] for e in state["notes"] if e.get("pinned") == "momentum")
    assert guid == original  # pinning an existing question keeps its note
    b.write_text(
        b.read_text(encoding="utf-8").replace(
            "- **모멘텀은 무엇인가요?** <!-- id: momentum -->\n"
            "  - 이전 업데이트 방향을 일정 비율로 더해 진동을 줄이고 수렴을 빠르게 합니다.",
            "- **관성을 이용하는 최적화 기법은?** <!-- id: momentum -->\n  - 완전히 새로 쓴 답입니다.",
        ),
        encoding="utf-8",
    )
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output
    state = json.loads(built.read_text(encoding="utf-8"))
    entry = next(e for e in state["notes"] if e.get("pinned") == "momentum")
    assert entry["guid"] == guid and entry["question"] == "관성을 이용하는 최적화 기법은?"
