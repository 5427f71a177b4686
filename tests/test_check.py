"""`deckgen check`: every problem at file:line and per-file counts, with nothing written."""

from __future__ import annotations

import shutil

from tests.conftest import FIXTURES


def notes_folder(tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    for name in ("headings.md", "qa.md"):
        shutil.copy(FIXTURES / "shapes" / name, folder / name)
    return folder


def listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_check_reports_counts_and_warnings_and_writes_nothing(run_cli, tmp_path):
    folder = notes_folder(tmp_path)
    before = listing(tmp_path)
    result = run_cli("check", "notes")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "notes/headings.md (headings): 4 questions, 2 sub-questions, 1 skipped",
        "notes/qa.md (qa): 4 questions, 1 sub-question, 1 skipped",
        "2 files: 8 questions, 3 sub-questions, 2 skipped; 0 errors, 2 warnings",
        'ok: deck "notes" from notes; nothing was written',
    ]
    assert result.stderr.splitlines() == [
        'notes/headings.md:36: warning: question has no answer (empty or a placeholder); '
        'skipped: "좀비 프로세스는 어떻게 생기나요"',
        'notes/qa.md:39: warning: question has no answer (empty or a placeholder); '
        'skipped: "데드락을 어떻게 해결하나요?"',
    ]
    assert listing(tmp_path) == before
    assert not (folder / "deckgen.lock").exists()


def test_strict_fails_on_a_warning(run_cli, tmp_path):
    notes_folder(tmp_path)
    result = run_cli("check", "notes", "--strict")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "check failed: 2 warnings (--strict)"


def test_duplicates_across_files_are_reported(run_cli, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("## 스택이란?\n\n후입선출 구조다.\n", encoding="utf-8")
    (folder / "b.md").write_text("Q. 스택이란?\n\nA. 나중에 넣은 것을 먼저 꺼낸다.\n", encoding="utf-8")
    result = run_cli("check", "notes", "--strict")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'notes/b.md:1: warning: duplicate question "스택이란?" (also at notes/a.md:1)'
    ]
    assert "notes/a.md (headings): 1 question, 0 sub-questions, 0 skipped" in result.stdout
    assert "notes/b.md (qa): 1 question, 0 sub-questions, 0 skipped" in result.stdout


def test_errors_fail_the_check_with_their_lines(run_cli, tmp_path):
    folder = notes_folder(tmp_path)
    (folder / "deckgen.toml").write_text('title = "면접"\ntitel = "오타"\n', encoding="utf-8")
    result = run_cli("check", "notes")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == 'notes/deckgen.toml:2: error: unknown setting "titel" (did you mean "title"?)'
    assert result.stdout.splitlines()[-2:] == [
        "2 files: 8 questions, 3 sub-questions, 2 skipped; 1 error, 2 warnings",
        "check failed: 1 error",
    ]


def test_files_without_questions_and_missing_paths(run_cli, tmp_path):
    folder = notes_folder(tmp_path)
    (folder / "memo.md").write_text("# 메모\n\n그냥 메모다.\n", encoding="utf-8")
    result = run_cli("check", "notes")
    assert result.exit_code == 0
    assert "notes/memo.md: warning: no questions found in this file" in result.stderr
    assert "notes/memo.md (no shape): 0 questions, 0 sub-questions, 0 skipped" in result.stdout
    missing = run_cli("check", "nowhere")
    assert missing.exit_code == 2
    assert "nowhere: error: no such file or folder" in missing.stderr
