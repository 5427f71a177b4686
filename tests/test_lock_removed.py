"""The lock lists the notes a deck removed (what `deckgen push --prune` may delete), and only those."""

from __future__ import annotations

import json

from tests.conftest import format_1, read_lock
from tests.test_regenerate import _use_state


def _state(notes):
    return read_lock(notes)


def test_a_removed_note_stays_listed_until_its_question_comes_back(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    _use_state(notes, "v1")
    assert run_cli("build", "notes").exit_code == 0
    v1 = _state(notes)
    assert "removed" not in v1  # a deck that removed nothing has a lock as before
    guid_of = {e["question"]: e["guid"] for e in v1["notes"]}

    _use_state(notes, "v2")
    assert run_cli("build", "notes").exit_code == 0
    v2 = _state(notes)
    assert v2["removed"] == [{"guid": guid_of["학습률이 너무 크면 어떻게 되나요?"], "question": "학습률이 너무 크면 어떻게 되나요?",
                              "file": "b.md", "version": "1.1.0"}]
    # Every other note keeps its GUID (reworded ones too): only the question gone is listed.
    assert set(guid_of.values()) - {e["guid"] for e in v2["notes"]} == {guid_of["학습률이 너무 크면 어떻게 되나요?"]}

    (notes / "a.md").write_text((notes / "a.md").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (notes / "b.md").write_text((notes / "b.md").read_text(encoding="utf-8").replace(
        "일반화 성능", "일반화 성능이 더 좋다고 알려져"), encoding="utf-8")
    assert run_cli("build", "notes").exit_code == 0
    assert _state(notes)["removed"] == v2["removed"]  # kept by later builds

    _use_state(notes, "v1")  # the removed question is back, and the one v2 added goes
    assert run_cli("build", "notes").exit_code == 0
    back = _state(notes)
    assert guid_of["학습률이 너무 크면 어떻게 되나요?"] in {e["guid"] for e in back["notes"]}
    assert [(e["question"], e["version"]) for e in back["removed"]] == [("학습률 스케줄링은 왜 하나요?", "1.2.0")]


def test_a_broken_removed_list_is_an_error_at_its_line(run_cli, tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    _use_state(notes, "v1")
    assert run_cli("build", "notes").exit_code == 0
    state = format_1(notes)  # one object a note: each value on a line of its own
    lock = notes / "deckgen.lock"

    state["removed"] = "b.md"
    lock.write_text(json.dumps(state, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    line = lock.read_text(encoding="utf-8").splitlines().index(' "removed": "b.md"') + 1
    result = run_cli("build", "notes")
    assert result.exit_code == 1
    assert f'notes/deckgen.lock:{line}: error: "removed" must be a list of notes, not a string' in result.output

    state["removed"] = [{"guid": "has space", "question": "q", "file": "b.md"}]
    lock.write_text(json.dumps(state, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    text = lock.read_text(encoding="utf-8").splitlines()
    start = text.index(' "removed": [') + 2
    result = run_cli("build", "notes")
    assert result.exit_code == 1
    assert (f"notes/deckgen.lock:{start}: error: the lock file's removed note 1 is malformed: "
            '"version" is missing') in result.output
    assert (f"notes/deckgen.lock:{start + 1}: error: the lock file's removed note 1 is malformed: "
            'the GUID "has space" is not one deckgen writes') in result.output
    assert "Traceback" not in result.output
