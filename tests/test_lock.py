"""The lock file: a broken or newer one stops the build; it never silently starts over."""

from __future__ import annotations

import json
import shutil

import pytest

from deckgen.ids import fold
from tests.conftest import FIXTURES, format_1, read_lock


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
    text = built.read_text(encoding="utf-8")
    state = json.loads(text)
    assert state["version"] == "1.0.0" and state["format"] == 2
    assert state["columns"] == ["guid", "file", "question", "hash", "mtime", "added", "sketch"]
    assert state["decks"] == {"a.md": "notes::신경망 기초", "b.md": "notes::최적화"}
    assert len(state["notes"]) == 10
    # One line for each note, so a review shows the notes that changed, and nothing else.
    rows = [line for line in text.splitlines() if line.startswith('  ["')]
    assert [json.loads(line.rstrip(",")) for line in rows] == state["notes"]
    assert state["notes"][0][:3] == [state["notes"][0][0], "a.md", "퍼셉트론은 무엇인가요?"]
    assert state["notes"][0][7] == {"key": "a.md#1"}  # a key that is not the file and question is written
    entry = read_lock(built.parent)["notes"][0]
    assert {"guid", "key", "file", "question", "hash", "mtime", "deck", "sketch"} <= set(entry)
    assert entry["key"] == "a.md#1" and entry["question"] == "퍼셉트론은 무엇인가요?"
    assert entry["deck"] == "notes::신경망 기초" and len(entry["sketch"]) == 42
    assert len({e["guid"] for e in read_lock(built.parent)["notes"]}) == 10


def test_a_derived_key_is_not_written_and_reads_back(built):
    entries = read_lock(built.parent)["notes"]
    plain = [e for e in entries if e["file"] == "b.md"]
    assert plain[0]["key"] == "b.md::sgd와adam의차이는"  # the file, and the question folded
    assert all(e["key"] == f"b.md::{fold(e['question'])}" for e in plain)
    assert '"key"' not in "".join(line for line in built.read_text(encoding="utf-8").splitlines() if '"b.md"' in line
                                  and line.startswith("  ["))


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


def test_hand_broken_note_row_is_named(run_cli, built):
    text = built.read_text(encoding="utf-8")
    state = json.loads(text)
    line = text.splitlines().index(f"  {json.dumps(state['notes'][3], ensure_ascii=False, separators=(', ', ': '))},") + 1
    built.write_text(text.replace(f'["{state["notes"][3][0]}", ', "[", 1), encoding="utf-8")
    _rebuild_fails(
        run_cli, built, f"notes/deckgen.lock:{line}: error: the lock file's note 4 is malformed: it holds 6 values and "
        'an object, not the 7 values of "columns" (then an object with the rest)'
    )


def test_hand_broken_note_entry_of_a_format_1_lock_is_named(run_cli, built):
    state = format_1(built.parent)
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
    before = read_lock(built.parent)
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
    state = read_lock(built.parent)
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
    state = read_lock(built.parent)
    entry = next(e for e in state["notes"] if e.get("pinned") == "momentum")
    assert entry["guid"] == guid and entry["question"] == "관성을 이용하는 최적화 기법은?"


def test_a_sub_question_key_is_written_as_under_the_row_above(run_cli, tmp_path):
    notes = tmp_path / "subs"
    notes.mkdir()
    (notes / "dl").mkdir()
    (notes / "dl" / "a.md").write_text(
        "- **배치 정규화는 무엇인가요?**\n  - 층의 입력을 정규화합니다.\n"
        "  - 그렇다면 배치가 작으면 어떻게 되나요?\n    - 통계가 불안정해집니다.\n", encoding="utf-8")
    assert run_cli("build", "subs").exit_code == 0
    text = (notes / "deckgen.lock").read_text(encoding="utf-8")
    rows = json.loads(text)["notes"]
    assert len(rows) == 2 and len(rows[0]) == 7 and rows[1][7] == {"key": "^"}, text
    entries = read_lock(notes)["notes"]
    assert entries[1]["key"] == "dl/a.md::배치정규화는무엇인가요/그렇다면배치가작으면어떻게되나요"
    assert run_cli("build", "subs").exit_code == 0  # read back as it was written: nothing to do
    assert (notes / "deckgen.lock").read_text(encoding="utf-8") == text
