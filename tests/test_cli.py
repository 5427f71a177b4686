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
    assert "4 notes (0 sub-questions) from 1 file" in result.output


def test_versions_are_plain_ascii_numbers_and_normalised(run_cli, tmp_path):
    _notes(tmp_path)
    for bad in ("².1.1", "١.٠.٠", "1.2"):
        result = run_cli("build", "notes", "--version", bad)
        assert result.exit_code == 2, bad
    assert run_cli("build", "notes", "--version", "01.0.0").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "dist").glob("*.apkg")) == ["notes-v1.0.0.apkg"]


def test_a_released_version_never_gets_other_content_even_when_its_file_is_gone(run_cli, tmp_path):
    notes = _notes(tmp_path)
    assert run_cli("build", "notes").exit_code == 0
    (tmp_path / "dist" / "notes-v1.0.0.apkg").unlink()
    (notes / "b.md").write_text("- **바뀐 질문?**\n  - 바뀐 답\n", encoding="utf-8")
    result = run_cli("build", "notes", "--version", "1.0.0")
    assert result.exit_code == 1
    assert result.stderr.strip().endswith(
        "error: version 1.0.0 was already released with other content; "
        "set a newer one (--version or deckgen.toml), or none to get the next one"
    )


def test_version_set_by_hand_without_changes_says_so(run_cli, tmp_path):
    _notes(tmp_path)
    assert run_cli("build", "notes").exit_code == 0
    assert run_cli("build", "notes", "--version", "2.0.0").exit_code == 0
    log = (tmp_path / "dist" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "Version set by hand; no note changed." in log
    assert "\n\n\n" not in log


def test_settings_that_are_not_utf8_are_a_located_error(run_cli, tmp_path):
    notes = _notes(tmp_path)
    (notes / "deckgen.toml").write_bytes('title = "한"\n'.encode("cp949"))
    result = run_cli("build", "notes")
    assert result.exit_code == 1
    assert "notes/deckgen.toml:1: error: cannot read the settings as UTF-8 (TOML files are UTF-8); " \
        "save it as UTF-8" in result.stderr.splitlines()


def test_exclude_takes_folders_and_globs_and_a_named_readme_is_read(run_cli, tmp_path):
    notes = _notes(tmp_path)
    (notes / "drafts").mkdir()
    (notes / "drafts" / "d.md").write_text("- **초안?**\n  - 초안\n", encoding="utf-8")
    (notes / "old-1.md").write_text("- **옛 질문?**\n  - 옛 답\n", encoding="utf-8")
    (notes / "deckgen.toml").write_text('exclude = ["drafts", "old-*.md"]\n', encoding="utf-8")
    result = run_cli("build", "notes")
    assert "10 notes (2 sub-questions) from 2 files" in result.output
    readme = tmp_path / "README.md"
    readme.write_text("- **README의 질문?**\n  - 답\n", encoding="utf-8")
    named = run_cli("build", str(readme), "-o", "readme-dist")
    assert named.exit_code == 0, named.output
    assert "1 note (0 sub-questions) from 1 file" in named.output
