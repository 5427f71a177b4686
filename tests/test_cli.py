"""The command line: exit codes, messages and options."""

from __future__ import annotations

import shutil

from tests.conftest import FIXTURES


def _notes(tmp_path):
    shutil.copytree(FIXTURES / "regen" / "v1", tmp_path / "notes")
    return tmp_path / "notes"


def test_usage_error_exits_2(run_cli):
    result = run_cli("build", "--version", "one")
    assert result.exit_code == 2
    assert "expected MAJOR.MINOR.PATCH" in result.stderr


def test_missing_source_is_an_error_not_a_traceback(run_cli):
    result = run_cli("build", "nowhere")
    assert result.exit_code == 1
    assert result.stderr.strip() == "nowhere: error: no such file or folder"


def test_deck_name_option_overrides_the_title(run_cli, tmp_path, anki):
    _notes(tmp_path)
    (tmp_path / "notes" / "deckgen.toml").write_text('title = "설정 제목"\nslug = "my-deck"\n', encoding="utf-8")
    result = run_cli("build", "notes", "--deck-name", "명령줄 제목")
    assert result.exit_code == 0, result.output
    package = tmp_path / "dist" / "my-deck-v1.0.0.apkg"
    anki.import_package(package)
    assert {anki.deck_of(n) for n in anki.notes()} == {"명령줄 제목::신경망 기초", "명령줄 제목::최적화"}


def test_folder_name_is_the_default_title_and_slug(run_cli, tmp_path):
    _notes(tmp_path)
    result = run_cli("build", "notes", "-o", "out")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "notes-v1.0.0.apkg").is_file()
    assert "wrote out/notes-v1.0.0.apkg" in result.output
    assert "10 notes (2 sub-questions) from 2 files, 0 skipped" in result.output


def test_explicit_version(run_cli, tmp_path):
    _notes(tmp_path)
    assert run_cli("build", "notes", "--version", "2.0.0").exit_code == 0
    assert (tmp_path / "dist" / "notes-v2.0.0.apkg").is_file()
    older = run_cli("build", "notes", "--version", "1.5.0")
    assert older.exit_code == 1
    assert "error: version 1.5.0 is older than the current 2.0.0" in older.stderr


def test_single_file_source(run_cli, tmp_path):
    notes = _notes(tmp_path)
    result = run_cli("build", str(notes / "b.md"))
    assert result.exit_code == 0, result.output
    assert "4 notes (0 sub-questions) from 1 files" in result.output
