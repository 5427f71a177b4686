"""Upgrading deckgen never re-identifies a note: locks written by earlier releases still hold.

`fixtures/upgrade/notes/` holds notes in every shape an earlier release read, with the
`deckgen.lock` (format 1) that release wrote for them (the lock is the only record of each note's
GUID); `fixtures/upgrade/latest/` holds notes in the shapes whose reading changed since the
previous release (topic headings worded like questions, toggles, labels, quotes; toggles in list
items, a question after a toggle, numbered prompts marked `Q:`, topic labels glued to their first
question, parts of an answer under quoted questions, bold-italic prompts and questions, a quoted
request to explain), with the lock that release wrote. Building them with this deckgen must keep every GUID, each on the same
question, and import into Anki as updates of those notes, never as new ones beside them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deckgen.ids import fold
from tests.conftest import read_lock

UPGRADE = Path(__file__).resolve().parent / "fixtures" / "upgrade"


@pytest.mark.parametrize("release", ["notes", "latest"])
def test_a_lock_from_an_earlier_release_keeps_every_note(run_cli, tmp_path, anki, release):
    notes = tmp_path / "notes"
    shutil.copytree(UPGRADE / release, notes)
    old = read_lock(notes)
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output + result.stderr
    assert "removed" not in result.output
    assert "re-identified" not in result.output
    new = read_lock(notes)
    by_guid = {e["guid"]: e for e in new["notes"]}
    for entry in old["notes"]:
        assert entry["guid"] in by_guid, f"{entry['file']}: {entry['question']} got a new GUID"
        again = by_guid[entry["guid"]]
        assert fold(again["question"]) == fold(entry["question"]), (entry["question"], again["question"])
        assert again["file"] == entry["file"]

    package = next((tmp_path / "dist").glob("*.apkg"))
    anki.import_package(package)
    in_anki = {n.guid for n in anki.notes()}
    assert {e["guid"] for e in old["notes"]} <= in_anki
    assert len(in_anki) == len(new["notes"])
