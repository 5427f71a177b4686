"""Input built to crash or hang a build: every one ends quickly with a located message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT


@pytest.fixture
def notes(tmp_path) -> Path:
    folder = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", folder)
    return folder


def _fails_at(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_exclude_everything_is_a_located_error(run_cli, notes):
    (notes / "deckgen.toml").write_text('title = "x"\nexclude = ["drafts", "/"]\n', encoding="utf-8")
    _fails_at(
        run_cli("build", "notes"),
        'notes/deckgen.toml:2: error: "exclude" pattern "/" names no file: patterns are relative to the notes '
        'folder (e.g. "drafts/*.md", or "drafts" for a whole folder)',
    )


@pytest.mark.parametrize(
    "text",
    ["deep = " + "[" * 5000 + "]" * 5000, "deep = " + "{ a = " * 3000 + "1" + " }" * 3000],
    ids=["arrays", "tables"],
)
def test_settings_nested_thousands_deep(run_cli, notes, text):
    (notes / "deckgen.toml").write_text(text + "\n", encoding="utf-8")
    _fails_at(run_cli("build", "notes"), "notes/deckgen.toml: error: invalid TOML: nested too deeply")


def test_settings_with_impossible_values(run_cli, notes):
    (notes / "deckgen.toml").write_text(
        'version = "' + "1" * 5000 + '.0.0"\nmedia_root = "' + "a" * 5000 + '"\n', encoding="utf-8"
    )
    result = run_cli("build", "notes")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert any(line.startswith('notes/deckgen.toml:1: error: "version" must be') for line in result.stderr.splitlines())
    assert any(line.startswith('notes/deckgen.toml:2: error: "media_root" is not a folder')
               for line in result.stderr.splitlines())


def test_front_matter_nested_thousands_deep(run_cli, notes):
    (notes / "deep.md").write_text(
        "---\ntitle: " + "[" * 5000 + "]" * 5000 + "\n---\n\n- **질문?**\n  - 답\n", encoding="utf-8"
    )
    _fails_at(run_cli("build", "notes"), "notes/deep.md:1: error: front matter: nested too deeply")


def test_yaml_alias_bomb_in_tags_is_refused_unbuilt(run_cli, notes):
    rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        rows.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    (notes / "bomb.md").write_text(
        "---\n" + "\n".join(rows) + "\ntags: *i\n---\n\n- **폭탄?**\n  - 답\n", encoding="utf-8"
    )
    _fails_at(
        run_cli("build", "notes"),
        "notes/bomb.md:1: error: front matter: more than 10,000 values once its aliases (*name) are expanded",
    )


def test_a_few_aliases_are_fine(run_cli, notes):
    (notes / "alias.md").write_text(
        "---\nbase: &t [면접, 기초]\ntags: *t\n---\n\n- **별칭 질문?**\n  - 답\n", encoding="utf-8"
    )
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output


def test_alias_inside_itself_is_refused(run_cli, notes):
    (notes / "loop.md").write_text("---\ntags: &x [a, *x]\n---\n\n- **고리?**\n  - 답\n", encoding="utf-8")
    _fails_at(
        run_cli("build", "notes"),
        "notes/loop.md:1: error: front matter: more than 10,000 values once its aliases (*name) are expanded",
    )


def _build_process(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DECKGEN_CACHE=str(cwd / "cache"))
    return subprocess.run(
        [sys.executable, str(ROOT / "build_deck.py"), *args], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )


def test_named_pipe_among_the_notes_does_not_hang(tmp_path, notes):
    os.mkfifo(notes / "p.md")
    done = _build_process(tmp_path, "build", "notes", "-o", "dist")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    again = _build_process(tmp_path, "build", "notes", "-o", "dist")  # the records' fingerprint reads the notes
    assert again.returncode == 0 and "is up to date" in again.stdout, again.stdout + again.stderr


def test_read_source_skips_a_named_pipe(tmp_path):
    from deckgen.errors import Problems
    from deckgen.sources import read_source

    os.mkfifo(tmp_path / "p.md")
    problems = Problems()
    assert read_source(tmp_path / "p.md", tmp_path, problems) is None
    assert [d.severity for d in problems.items] == ["warning"]
    assert "not a regular file" in problems.items[0].message


def test_fingerprint_never_reads_a_pipe(tmp_path):
    from deckgen.cache import BuildRecords

    os.mkfifo(tmp_path / "p.md")
    os.mkfifo(tmp_path / "deckgen.toml")
    first = BuildRecords.fingerprint(tmp_path, (tmp_path,), (), tmp_path)
    assert first == BuildRecords.fingerprint(tmp_path, (tmp_path,), (), tmp_path)


def test_a_huge_image_is_refused_before_it_is_read(run_cli, tmp_path):
    import resource

    notes = tmp_path / "notes"
    notes.mkdir()
    with open(notes / "huge.png", "wb") as f:  # sparse: 3 GB on paper, nothing on disk
        f.truncate(3 * 1024 ** 3)
    (notes / "q.md").write_text("## 그림이란?\n\n![그림](huge.png)\n", encoding="utf-8")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run_cli("build", "notes", "-o", "dist")
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert result.exit_code == 1
    assert 'notes/q.md:3: error: image "huge.png" is larger than 100 MiB' in result.stderr.splitlines()
    assert grown_kib < 512 * 1024  # the 3 GB were never read into memory


def test_a_note_file_linking_outside_the_notes_is_skipped_and_outside_headings_stay_out(run_cli, tmp_path, anki):
    outside = tmp_path / "private"
    outside.mkdir()
    (outside / "secret.md").write_text("# 비밀 제목\n\n## 비밀 질문이란?\n\n비밀 답.\n", encoding="utf-8")
    notes = tmp_path / "repo" / "notes"
    notes.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()  # the notes' repository ends here
    (notes / "leak.md").symlink_to(outside / "secret.md")
    (notes / "q.md").write_text("## 스택이란?\n\n후입선출. [여기](../../private/secret.md)\n", encoding="utf-8")
    result = run_cli("build", "repo/notes", "-o", "dist")
    assert result.exit_code == 0, result.output + result.stderr
    assert "repo/notes/leak.md: warning: a link to a file outside the notes folder; skipped" in result.stderr.splitlines()
    anki.import_package(next((tmp_path / "dist").glob("*.apkg")))
    notes_in_anki = anki.notes()
    assert [n["Question"] for n in notes_in_anki] == ["스택이란?"]
    assert "비밀" not in notes_in_anki[0]["Answer"]
