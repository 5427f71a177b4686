"""The command line: exit codes, messages and options."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from tests.conftest import FIXTURES


def _notes(tmp_path):
    shutil.copytree(FIXTURES / "regen" / "v1", tmp_path / "notes")
    return tmp_path / "notes"


def test_usage_error_exits_2(run_cli):
    result = run_cli("build", "--version", "one")
    assert result.exit_code == 2
    assert "expected MAJOR.MINOR.PATCH" in result.stderr


def test_missing_source_is_a_usage_error_in_one_line(run_cli):
    for command in ("build", "check", "preview"):
        result = run_cli(command, "nowhere")
        assert result.exit_code == 2, command
        assert result.stderr == "nowhere: error: no such file or folder\n", command
        assert not result.stdout


def test_no_sources_folder_here_says_what_to_type(run_cli, tmp_path):
    for command in ("build", "check", "preview"):
        result = run_cli(command)
        assert result.exit_code == 2, command
        assert result.stderr == (f"error: no sources/ folder here: give the folder of your notes, "
                                 f"`deckgen {command} path/to/notes`\n"), command
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written


def test_a_folder_without_note_files_says_so(run_cli, tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "a.txt").write_text("- **질문?**\n  - 답\n", encoding="utf-8")
    for folder in ("empty", "text"):
        result = run_cli("build", folder)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [f"error: no .md files in {folder}", "error: build failed: 1 error"]
        check = run_cli("check", folder)
        assert check.exit_code == 1 and check.stderr == f"error: no .md files in {folder}\n"
    notes = _notes(tmp_path)
    (notes / "deckgen.toml").write_text('exclude = ["*.md"]\n', encoding="utf-8")
    result = run_cli("build", "notes")
    assert result.stderr.splitlines()[0] == \
        "error: no .md files in notes (`exclude` in deckgen.toml leaves out the 2 files there)"
    assert not (tmp_path / "dist").exists()


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


def test_the_build_says_where_the_lock_is_and_what_it_did_to_it(run_cli, tmp_path):
    notes = _notes(tmp_path)
    first = run_cli("build", "notes")
    assert first.stdout.splitlines()[-1] == "lock: notes/deckgen.lock (new: commit it with the notes)"
    again = run_cli("build", "notes")
    assert again.stdout.splitlines() == ["dist/notes-v1.0.0.apkg is up to date (version 1.0.0); nothing to do",
                                          "lock: notes/deckgen.lock (unchanged)"]
    with (notes / "b.md").open("a", encoding="utf-8") as f:
        f.write("- **새 질문인가요?**\n  - 새 답.\n")
    edited = run_cli("build", "notes", "-o", "out")
    assert edited.stdout.splitlines()[-1] == "lock: notes/deckgen.lock (updated)"


def test_a_lock_the_build_does_not_read_is_warned_of(run_cli, tmp_path):
    notes = _notes(tmp_path)
    (notes / "part").mkdir()
    shutil.move(notes / "b.md", notes / "part" / "b.md")
    assert run_cli("build", "notes/part", "-o", "part-dist").exit_code == 0  # a deck of its own
    assert (notes / "part" / "deckgen.lock").is_file()
    whole = run_cli("build", "notes")  # the whole folder: its own lock, not part/'s
    assert whole.exit_code == 0
    assert whole.stderr.splitlines()[0] == (
        "notes/part/deckgen.lock: warning: this lock is not read (this build's lock is notes/deckgen.lock): "
        "its GUIDs are used only by a build of notes/part; the notes it holds get new GUIDs here, so Anki "
        "would add them again")
    again = run_cli("build", "notes")
    assert "is up to date" in again.stdout
    assert again.stderr.splitlines()[0] == (
        "notes/part/deckgen.lock: warning: this lock is not read (this build's lock is notes/deckgen.lock): "
        "its GUIDs are used only by a build of notes/part")
    (notes / "part" / "deckgen.lock").unlink()
    gone = run_cli("build", "notes")
    assert "is up to date" in gone.stdout and "deckgen.lock: warning" not in gone.stderr
    # A lock in the working folder, and one above the notes, are not read either.
    shutil.copy(notes / "deckgen.lock", tmp_path / "deckgen.lock")
    part = run_cli("build", "notes/part", "-o", "part-dist")
    warned = [line.split(": warning: ")[0] for line in part.stderr.splitlines() if ": warning: this lock" in line]
    assert warned == ["notes/deckgen.lock", "deckgen.lock"]
    assert part.stdout.splitlines()[-1] == "lock: notes/part/deckgen.lock (new: commit it with the notes)"


def _on_a_terminal(args: list[str], cwd, env: dict) -> tuple[int, str]:
    """Run a command with a pseudo-terminal as its standard input, output and error, as a shell
    in a terminal window does; return its exit status and everything it wrote to the terminal."""
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    finally:
        os.close(slave)
    chunks = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the command has exited and its end of the terminal is closed
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        status = proc.wait(timeout=120)
    return status, b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def _progress_env(tmp_path) -> dict:
    """Show progress from the first moment (a build this small takes less than its second), and
    parse every file (nothing from a parse cache)."""
    return dict(os.environ, DECKGEN_PROGRESS_AFTER="0", DECKGEN_CACHE=str(tmp_path / "cache"), TERM="xterm")


_BUILD = [sys.executable, "-m", "deckgen", "build", "notes"]
_ERASE = "\r\x1b[K"


def test_progress_is_shown_on_a_terminal_and_erased_before_the_report(tmp_path):
    _notes(tmp_path)
    status, screen = _on_a_terminal(_BUILD, tmp_path, _progress_env(tmp_path))
    assert status == 0, screen
    *drawn, rest = screen.split(_ERASE)
    assert drawn[0] == ""  # the first line drawn starts the output
    steps = drawn[1:]
    assert steps[0] == "reading 1/2 files"
    assert "parsing 1/2 files" in steps or "parsing 2/2 files" in steps, steps
    assert steps[-2:] == ["matching 10 notes with the lock", "writing dist/notes-v1.0.0.apkg"], steps
    # Erased, then what a build prints without a terminal, from the start of a clean line.
    assert rest.startswith("notes: warning: this deck's title")
    assert "\nwrote dist/notes-v1.0.0.apkg\n  10 notes (2 sub-questions) from 2 files, 0 skipped\n" in rest
    assert rest.endswith("\nlock: notes/deckgen.lock (new: commit it with the notes)\n")
    assert "\r" not in rest


def test_no_progress_without_a_terminal_or_with_quiet(tmp_path):
    notes = _notes(tmp_path)
    env = _progress_env(tmp_path)
    piped = subprocess.run(_BUILD, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert len(piped.stderr.splitlines()) == 1 and piped.stderr.startswith("notes: warning: this deck's title")
    assert "\r" not in piped.stderr + piped.stdout and "parsing" not in piped.stderr
    assert piped.stdout.startswith("wrote dist/notes-v1.0.0.apkg\n")

    with (notes / "b.md").open("a", encoding="utf-8") as f:
        f.write("- **새 질문인가요?**\n  - 새 답.\n\n## 빈 질문이란?\n\n...\n")
    status, screen = _on_a_terminal([*_BUILD, "--quiet"], tmp_path, env)
    assert status == 0, screen
    # Only the warning: no progress line, no report of what was written.
    assert screen == 'notes/b.md:18: warning: question has no answer (empty or a placeholder); skipped: "빈 질문이란?"\n'
    assert (tmp_path / "dist" / "notes-v1.1.0.apkg").is_file()
    status, screen = _on_a_terminal([*_BUILD, "-q", "--version", "1.0.0"], tmp_path, env)
    assert status == 1 and screen.startswith("error: version 1.0.0 is older than the current 1.1.0")
