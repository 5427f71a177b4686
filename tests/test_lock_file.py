"""The lock read strictly (every problem at its line), and rebuilt from the newest package when lost."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from deckgen.build import build
from deckgen.lock import parse
from deckgen.model import BuildConfig
from tests.conftest import FIXTURES, format_1, read_lock
from tests.test_lock import _rebuild_fails
from tests.test_regenerate import _review_all, _schedule


@pytest.fixture
def built(run_cli, tmp_path):
    shutil.copytree(FIXTURES / "regen" / "v1", tmp_path / "notes")
    assert run_cli("build", "notes").exit_code == 0
    return tmp_path / "notes" / "deckgen.lock"


def _line_of(text: str, needle: str, start: int = 0) -> int:
    return text.count("\n", 0, text.index(needle, start)) + 1


def test_merge_conflict_is_refused_by_build_and_check(run_cli, built):
    text = built.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = next(n for n, row in enumerate(lines) if '"version"' in row)
    conflicted = "".join(
        lines[:at] + ["<<<<<<< HEAD\n", lines[at], "=======\n", ' "version": "1.1.0",\n', ">>>>>>> other\n"]
        + lines[at + 1 :]
    )
    built.write_text(conflicted, encoding="utf-8")
    marker = f"notes/deckgen.lock:{at + 1}: error: the lock file has a merge conflict marker (<<<<<<<)"
    _rebuild_fails(run_cli, built, marker)
    check = run_cli("check", "notes")
    assert check.exit_code == 1
    assert marker in check.stderr.splitlines()
    assert "error: notes/deckgen.lock has unresolved merge conflicts; keep one side whole" in check.stdout
    assert "check failed: 1 error" in check.stdout


def test_a_guid_given_to_two_notes_is_refused_with_both_lines(run_cli, built):
    text = built.read_text(encoding="utf-8")
    rows = json.loads(text)["notes"]
    guid = rows[1][0]
    built.write_text(text.replace(json.dumps(rows[6][0]), json.dumps(guid)), encoding="utf-8")
    first, second = (_line_of(text, f'["{row[0]}"') for row in (rows[1], rows[6]))
    _rebuild_fails(
        run_cli, built,
        f'notes/deckgen.lock:{second}: error: note 7 has the GUID "{guid}" of note 2 (line {first}); '
        "two notes cannot share one: remove the copy, or restore the lock",
    )


def test_a_guid_given_to_two_notes_of_a_format_1_lock_is_refused_with_both_lines(run_cli, built):
    state = format_1(built.parent)
    state["notes"][6]["guid"] = state["notes"][1]["guid"]
    text = json.dumps(state, ensure_ascii=False, indent=1)
    built.write_text(text, encoding="utf-8")
    guid = state["notes"][1]["guid"]
    first = _line_of(text, f'"guid": {json.dumps(guid)}')
    second = _line_of(text, f'"guid": {json.dumps(guid)}', text.index(f'"guid": {json.dumps(guid)}') + 1)
    _rebuild_fails(
        run_cli, built,
        f'notes/deckgen.lock:{second}: error: note 7 has the GUID "{guid}" of note 2 (line {first}); '
        "two notes cannot share one: remove the copy, or restore the lock",
    )
    check = run_cli("check", "notes")
    assert check.exit_code == 1 and "Traceback" not in check.stderr


def _set(path: tuple, value):
    def change(state):
        target = state
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return json.dumps(state, ensure_ascii=False, indent=1)

    return change


@pytest.mark.parametrize(
    ("change", "needle", "message"),
    [
        (_set(("notes", 2, "mtime"), 2**63), '"mtime": 9223372036854775808',
         '''the lock file's note 3 is malformed: "mtime" is out of range (9223372036854775808): '''
         "a time in seconds from 0 to 253402300799"),
        (_set(("notes", 2, "mtime"), -5), '"mtime": -5',
         '''the lock file's note 3 is malformed: "mtime" is out of range (-5): a time in seconds from 0 to 253402300799'''),
        (_set(("notes", 0, "mtime"), True), '"mtime": true',
         '''the lock file's note 1 is malformed: "mtime" must be a whole number, not true/false'''),
        (_set(("notetype",), "deckgen"), '"notetype": "deckgen"',
         '"notetype" must be an object with "hash" and "mtime", not a string'),
        (_set(("notes", 4, "pinned"), 7), '"pinned": 7',
         '''the lock file's note 5 is malformed: "pinned" must be a string, not a number'''),
        (_set(("notes", 4, "guid"), "has space"), '"guid": "has space"',
         '''the lock file's note 5 is malformed: the GUID "has space" is not one deckgen writes'''),
        (_set(("notes",), {"a": 1}), '"notes": {', '"notes" must be a list of notes, not an object'),
        (_set(("version",), "1.0"), '"version": "1.0"', '"version" must be a version like "1.2.0", not "1.0"'),
        (lambda state: json.dumps(state, indent=1).replace('"created": ', '"created": NaN, "x": ', 1), '"created"',
         "the lock file has NaN, which is not a number JSON allows"),
        (lambda state: json.dumps(state, indent=1).replace('"format": 1,', '"format": 1, "format": 1,', 1),
         '"format"', 'the lock file has the key "format" twice in one object'),
        (lambda state: "[" * 100_000, "[", "the lock file is nested too deeply (more than 32 levels); "
         "it is not a deckgen lock"),
        (lambda state: '{"notes": [' + "1" * 5000 + "]}", "{", "the lock file has a number too long to be one deckgen writes"),
        (lambda state: json.dumps([state]), "[", "the lock file is not a deckgen lock (it holds a list, not an object)"),
    ],
    ids=["mtime-2**63", "mtime-negative", "mtime-bool", "notetype-string", "pinned-number", "guid-space",
         "notes-object", "version", "nan", "duplicate-key", "deep", "long-number", "not-object"],
)
def test_a_lock_of_wrong_shape_is_refused_at_its_line(run_cli, built, change, needle, message):
    state = format_1(built.parent)  # one object a note: each value on a line of its own
    text = change(state)
    built.write_text(text, encoding="utf-8")
    _rebuild_fails(run_cli, built, f"notes/deckgen.lock:{_line_of(text, needle)}: error: {message}")
    check = run_cli("check", "notes")
    assert check.exit_code == 1 and "Traceback" not in check.stderr
    assert f"notes/deckgen.lock:{_line_of(text, needle)}: error: {message}" in check.stderr.splitlines()


def test_a_lock_that_is_a_folder_is_refused(run_cli, built):
    built.unlink()
    built.mkdir()
    result = run_cli("build", "notes")
    assert result.exit_code == 1
    assert "notes/deckgen.lock: error: the lock file is a folder, not a file; move it away" in result.stderr


def test_a_lock_from_another_deck_is_used_with_a_warning_naming_both(run_cli, built):
    state = json.loads(built.read_text(encoding="utf-8"))
    state["slug"], state["title"] = "os-notes", "운영체제"
    text = json.dumps(state, ensure_ascii=False, indent=1)
    built.write_text(text, encoding="utf-8")
    guids = [e["guid"] for e in read_lock(built.parent)["notes"]]
    (built.parent / "b.md").write_text(
        (built.parent / "b.md").read_text(encoding="utf-8") + "- **새 질문?**\n  - 새 답\n", encoding="utf-8"
    )
    warning = (
        f'notes/deckgen.lock:{_line_of(text, chr(34) + "slug" + chr(34))}: warning: this lock was written for the deck '
        '"운영체제" (slug "os-notes"), not for this deck "notes" (slug "notes"); its GUIDs are used, so importing '
        'updates the notes of "운영체제" in Anki (move the lock away to make this a deck of its own)'
    )
    strict = run_cli("build", "notes", "--strict")
    assert strict.exit_code == 1 and warning in strict.stderr.splitlines()
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output
    assert warning in result.stderr.splitlines()
    after = read_lock(built.parent)
    assert [e["guid"] for e in after["notes"]][: len(guids)] == guids


def test_a_renamed_deck_is_said_to_be_in_one_line(run_cli, built):
    (built.parent / "deckgen.toml").write_text('title = "딥러닝"\n', encoding="utf-8")
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output
    assert "notes-v2.0.0.apkg" in result.output
    said = [line for line in result.output.splitlines() if "renamed" in line or "moved" in line]
    assert said == ['  renamed: "notes" → "딥러닝", the title in deckgen.toml; rename the deck in Anki too, '
                    'before importing this version (Anki finds decks by name: the cards you have would stay in '
                    '"notes")']
    assert "warning" not in result.stderr


# -- A lost lock ------------------------------------------------------------------------------


def _edit_one_answer(notes: Path) -> None:
    b = notes / "b.md"
    b.write_text(b.read_text(encoding="utf-8").replace("발산할 수 있습니다", "발산하거나 진동할 수 있습니다"),
                 encoding="utf-8")


def test_a_deleted_lock_is_rebuilt_from_the_newest_package(run_cli, tmp_path, anki):
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    assert run_cli("build", "notes", "-o", "dist").exit_code == 0
    anki.import_package(tmp_path / "dist" / "notes-v1.0.0.apkg")
    before = _review_all(anki)
    ids_before = {n.guid: n.id for n in anki.notes()}
    dropout = anki.note_by_question("드롭아웃은 왜 쓰나요?")
    dropout.add_tag("marked")
    anki.col.update_note(dropout)
    dropout_mod = anki.col.get_note(dropout.id).mod

    (notes / "deckgen.lock").unlink()
    _edit_one_answer(notes)
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output
    assert ("notes/deckgen.lock: warning: no lock file: recovered the GUIDs and times of 10 notes from "
            "dist/notes-v1.0.0.apkg, the newest package; commit the new deckgen.lock with the notes"
            in result.stderr.splitlines())
    assert "wrote dist/notes-v1.0.1.apkg" in result.output
    assert "edited: 학습률이 너무 크면 어떻게 되나요? (b.md)" in result.output
    assert not any(word in result.output for word in ("added:", "removed:", "re-identified:", "moved:"))

    imported = anki.import_package(tmp_path / "dist" / "notes-v1.0.1.apkg")
    assert len(imported.log.conflicting) == 0
    assert {n.guid: n.id for n in anki.notes()} == ids_before  # no note added
    assert _schedule(anki) == before  # every card's history kept
    assert "진동할 수 있습니다" in anki.note_by_question("학습률이 너무 크면 어떻게 되나요?")["Answer"]
    dropout = anki.col.get_note(dropout.id)  # an unchanged note is not touched: its time and tag stay
    assert dropout.mod == dropout_mod and "marked" in dropout.tags


def test_the_recovered_lock_is_the_lost_one(tmp_path):
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    (notes / "extra.md").write_text(
        "- **고정한 질문?** <!-- id: pinned-one -->\n  - 답입니다.\n- **하위 질문이 있는 질문?**\n"
        "  - 본문\n  - 하위 질문은 무엇인가요?\n    - 하위 답\n"
        # A field the package holds otherwise than the build made it (a sound tag is shown, not played).
        "- **소리 태그는 재생되나요?**\n  - 아니요: [sound:x.mp3] 는 글자로 보입니다.\n", encoding="utf-8")

    def run(outdir: str, at: int):
        return build(BuildConfig(sources=(notes,), outdir=tmp_path / outdir, timestamp=at))

    run("dist", 1_800_000_000)
    kept = (notes / "deckgen.lock").read_bytes()
    _edit_one_answer(notes)
    run("dist", 1_800_000_100)
    with_lock = (notes / "deckgen.lock").read_bytes()
    package = (tmp_path / "dist" / "notes-v1.0.1.apkg").read_bytes()

    (notes / "deckgen.lock").write_bytes(kept)
    (tmp_path / "dist" / "notes-v1.0.1.apkg").unlink()
    (notes / "deckgen.lock").unlink()  # lost after 1.0.0 was built
    (tmp_path / "dist" / "CHANGELOG.md").unlink()
    report = run("dist", 1_800_000_100)
    assert any("recovered the GUIDs" in d.message for d in report.diagnostics)
    assert (notes / "deckgen.lock").read_bytes() == with_lock
    assert (tmp_path / "dist" / "notes-v1.0.1.apkg").read_bytes() == package


def test_the_newest_package_is_the_one_recovered_from(run_cli, tmp_path):
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    assert run_cli("build", "notes").exit_code == 0
    (notes / "b.md").write_text((notes / "b.md").read_text(encoding="utf-8") + "- **새 질문?**\n  - 새 답\n",
                                encoding="utf-8")
    assert run_cli("build", "notes").exit_code == 0
    lock = (notes / "deckgen.lock").read_bytes()
    (notes / "deckgen.lock").unlink()
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output
    assert "recovered the GUIDs and times of 11 notes from dist/notes-v1.1.0.apkg" in result.stderr
    assert "is up to date (version 1.1.0)" in result.output
    assert read_lock(notes)["notes"] == parse(lock, "deckgen.lock")["notes"]


def test_a_first_build_needs_no_package(run_cli, tmp_path):
    shutil.copytree(FIXTURES / "regen" / "v1", tmp_path / "notes")
    result = run_cli("build", "notes")
    # Its only warning: the deck is named after its folder (a first build says so, once).
    assert result.exit_code == 0 and result.stderr.startswith("notes: warning: this deck's title"), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def test_no_lock_and_an_unreadable_package_stops_the_build(run_cli, tmp_path):
    shutil.copytree(FIXTURES / "regen" / "v1", tmp_path / "notes")
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "notes-v1.0.0.apkg").write_bytes(b"not a zip")
    result = run_cli("build", "notes")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert ("notes/deckgen.lock: error: no lock file, and the GUIDs cannot be recovered from the packages in dist: "
            "dist/notes-v1.0.0.apkg (File is not a zip file); restore the lock from version control, or move the "
            "packages away to start the deck anew (every card then becomes a new note in Anki)") in result.stderr
    assert not (tmp_path / "notes" / "deckgen.lock").exists()
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == ["notes-v1.0.0.apkg"]


def test_no_lock_and_only_a_changelog_left_stops_the_build(run_cli, tmp_path):
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    assert run_cli("build", "notes").exit_code == 0
    (notes / "deckgen.lock").unlink()
    (tmp_path / "dist" / "notes-v1.0.0.apkg").unlink()
    log = (tmp_path / "dist" / "CHANGELOG.md").read_bytes()
    result = run_cli("build", "notes")
    assert result.exit_code == 1
    assert ("notes/deckgen.lock: error: no lock file, and no package is left in dist to recover the GUIDs from, "
            "but dist/CHANGELOG.md lists earlier versions of this deck") in result.stderr
    assert (tmp_path / "dist" / "CHANGELOG.md").read_bytes() == log
    assert not (notes / "deckgen.lock").exists()


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (4, -5, '''the lock file's note 3 is malformed: "mtime" is out of range (-5): a time in seconds from 0 to 253402300799'''),
        (0, "has space", '''the lock file's note 3 is malformed: the GUID "has space" is not one deckgen writes'''),
        (3, 7, '''the lock file's note 3 is malformed: "hash" must be a string, not a number'''),
        (5, -1, '''the lock file's note 3 is malformed: "added" is out of range (-1): a time in seconds from 0 to 253402300799'''),
        (7, {"pinned": 7}, '''the lock file's note 3 is malformed: "pinned" must be a string, not a number'''),
    ],
    ids=["mtime", "guid", "hash", "added", "pinned"],
)
def test_a_bad_value_in_a_note_row_is_refused_at_its_line(run_cli, built, column, value, message):
    text = built.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = [n for n, line in enumerate(lines) if line.startswith('  ["')][2]
    row = json.loads(lines[at].rstrip().rstrip(","))
    row[column:column + 1] = [value]
    lines[at] = "  " + json.dumps(row, ensure_ascii=False) + (",\n" if lines[at].rstrip().endswith(",") else "\n")
    built.write_text("".join(lines), encoding="utf-8")
    _rebuild_fails(run_cli, built, f"notes/deckgen.lock:{at + 1}: error: {message}")


def test_half_a_character_in_a_lock_is_refused_at_its_line(run_cli, built):
    """A lone surrogate escape (`\\udbb3`) is valid JSON, but no UTF-8 file can hold the string
    it makes: read as it is, the lock could never be written again."""
    text = built.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = [n for n, line in enumerate(lines) if line.startswith('  ["')][2]
    row = json.loads(lines[at].rstrip().rstrip(","))
    lines[at] = lines[at].replace(json.dumps(row[2], ensure_ascii=False), json.dumps(row[2][:1] + "\udbb3"), 1)
    built.write_text("".join(lines), encoding="utf-8")
    _rebuild_fails(run_cli, built, f"notes/deckgen.lock:{at + 1}: error: the lock file is corrupt (a string holds "
                                   "half of a character: a lone surrogate escape such as \\ud800)")


def test_a_format_1_lock_is_read_and_written_again_in_format_2_with_every_guid(run_cli, built):
    before = read_lock(built.parent)
    old = format_1(built.parent)
    for entry, kept in zip(old["notes"], before["notes"], strict=True):
        entry["answer"] = "이 답의 처음 240자"  # what format 1 kept of each answer
        assert entry["guid"] == kept["guid"]
    built.write_text(json.dumps(old, ensure_ascii=False, indent=1), encoding="utf-8")
    (built.parent / "b.md").write_text((built.parent / "b.md").read_text(encoding="utf-8") + "- **새 질문?**\n  - 새 답\n",
                                       encoding="utf-8")
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output
    assert "re-identified" not in result.output and "removed" not in result.output
    assert json.loads(built.read_text(encoding="utf-8"))["format"] == 2
    after = read_lock(built.parent)
    assert [(e["guid"], e["key"]) for e in after["notes"][: len(before["notes"])]] == [
        (e["guid"], e["key"]) for e in before["notes"]]
