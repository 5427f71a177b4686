"""Upgrading deckgen never re-identifies a note: locks written by the previous release still hold.

`fixtures/upgrade/notes/` holds notes in every shape the previous release read, with the
`deckgen.lock` that release wrote for them (the lock is the only record of each note's GUID).
Building them with this deckgen must keep every GUID, each on the same question, and import into
Anki as updates of those notes, never as new ones beside them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from deckgen.ids import fold
from tests.conftest import read_lock

NOTES = Path(__file__).resolve().parent / "fixtures" / "upgrade" / "notes"


def test_a_lock_from_the_previous_release_keeps_every_note(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    shutil.copytree(NOTES, notes)
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
