"""Committing a build: package and changelog first, the lock last, all or nothing, one at a time."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT
from tests.test_nothing_lost import _edit, _first_build, _snapshot


def _leftovers(*folders: Path) -> list[str]:
    return [p.name for f in folders if f.is_dir() for p in f.iterdir()
            if p.name.endswith((".tmp", ".old")) or p.name == ".deckgen-journal.json"]


def _unchanged_after_failure(result, notes: Path, dist: Path, before: dict, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert message in result.stderr.splitlines(), result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(notes, dist) == before
    assert not _leftovers(notes, dist)


def test_changelog_that_is_a_folder_stops_the_build_before_anything_changes(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    (dist / "CHANGELOG.md").unlink()
    (dist / "CHANGELOG.md").mkdir()
    _edit(notes)
    before = _snapshot(notes, dist)
    result = run_cli("build", "notes", "-o", "dist")
    _unchanged_after_failure(result, notes, dist, before,
                             "dist/CHANGELOG.md: error: the changelog is a folder, not a file; move it away")
    assert (dist / "CHANGELOG.md").is_dir() and not list((dist / "CHANGELOG.md").iterdir())


def test_changelog_in_cp949_is_a_located_error(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    (dist / "CHANGELOG.md").write_bytes("# 변경 기록\n\n## 1.0.0\n\n- 한글\n".encode("cp949"))
    _edit(notes)
    before = _snapshot(notes, dist)
    result = run_cli("build", "notes", "-o", "dist")
    _unchanged_after_failure(
        result, notes, dist, before,
        "dist/CHANGELOG.md:1: error: the changelog is not UTF-8 (deckgen adds each version to it and keeps "
        "the rest as it is); save it as UTF-8 (e.g. `iconv -f CP949 -t UTF-8`)",
    )


def _failing_rename(monkeypatch, fail_on: str) -> list[str]:
    """Make the rename onto `fail_on` fail as a full disk would; return every rename's target name."""
    real = os.replace
    done: list[str] = []

    def replace(src, dst, *args, **kwargs):
        name = Path(dst).name
        if name == fail_on and str(src).endswith(".tmp"):
            raise OSError(28, "No space left on device")
        real(src, dst, *args, **kwargs)
        done.append(name)

    monkeypatch.setattr(os, "replace", replace)
    return done


@pytest.mark.parametrize("fail_on", ["notes-v1.1.0.apkg", "deckgen.lock"])
def test_a_rename_that_fails_puts_every_file_back(run_cli, tmp_path, monkeypatch, fail_on):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes)
    before = _snapshot(notes, dist)
    done = _failing_rename(monkeypatch, fail_on)
    result = run_cli("build", "notes", "-o", "dist")
    shown = f"notes/{fail_on}" if fail_on == "deckgen.lock" else f"dist/{fail_on}"
    _unchanged_after_failure(result, notes, dist, before, f"{shown}: error: cannot write: No space left on device")
    assert "CHANGELOG.md" in done  # it had been replaced, and was put back


def test_the_lock_is_replaced_last(run_cli, tmp_path, monkeypatch):
    notes, _dist = _first_build(run_cli, tmp_path)
    _edit(notes)
    done = _failing_rename(monkeypatch, "")
    assert run_cli("build", "notes", "-o", "dist").exit_code == 0
    commit = [name for name in done if not name.endswith(".pickle")]
    assert commit[0] == ".deckgen-journal.json", commit  # the journal, before any target is replaced
    assert sorted(commit[1:3]) == ["CHANGELOG.md", "notes-v1.1.0.apkg"] and commit[3:] == ["deckgen.lock"], commit


_KILL_AFTER = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    real = os.replace
    seen = []
    last = sys.argv[1]
    def replace(src, dst, *a, **k):
        real(src, dst, *a, **k)
        if str(src).endswith(".tmp") and not Path(dst).name.startswith(".deckgen-journal"):
            seen.append(Path(dst).name)
            if Path(dst).name == last:
                os._exit(9)  # the power goes out
    os.replace = replace
    sys.argv = ["deckgen", "build", "notes", "-o", "dist"]
    from deckgen.cli import main
    main()
    """
)


def _killed_build(tmp_path: Path, after: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DECKGEN_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", _KILL_AFTER, after], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_build_killed_before_the_lock_is_undone_by_the_next(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes)
    before = _snapshot(notes, dist)
    killed = _killed_build(tmp_path, "notes-v1.1.0.apkg")  # package and changelog replaced, lock not
    assert killed.returncode == 9, killed.stderr
    assert (notes / ".deckgen-journal.json").exists() and (dist / "notes-v1.1.0.apkg").exists()

    check = run_cli("check", "notes")
    assert "notes/.deckgen-journal.json: warning: a build was interrupted while it wrote its files" in check.stderr

    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output
    assert ("notes/deckgen.lock: warning: the previous build was interrupted while it was written; "
            "put back the files it had replaced") in result.stderr.splitlines()
    assert "wrote dist/notes-v1.1.0.apkg" in result.output
    log = (dist / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.count("## 1.1.0") == 1 and log.count("## 1.0.0") == 1
    assert not _leftovers(notes, dist)
    assert before["notes/b.md"] == _snapshot(notes, dist)["notes/b.md"]


def test_a_build_killed_after_the_lock_is_finished_by_the_next(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes)
    killed = _killed_build(tmp_path, "deckgen.lock")  # everything replaced; journal and backups left
    assert killed.returncode == 9, killed.stderr
    assert (notes / ".deckgen-journal.json").exists()
    left = set(_leftovers(notes, dist))
    written = {k: v for k, v in _snapshot(notes, dist).items() if Path(k).name not in left}

    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output
    assert ("notes/deckgen.lock: warning: the previous build was interrupted after it was written; finished it"
            in result.stderr.splitlines())
    assert "is up to date (version 1.1.0)" in result.output
    assert _snapshot(notes, dist) == written
    assert not _leftovers(notes, dist)


def test_ctrl_c_while_files_are_replaced_finishes_the_build_and_says_so(run_cli, tmp_path, monkeypatch):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes)
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == "CHANGELOG.md":
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C half-way through the renames
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output
    assert "nothing was changed" not in result.output + result.stderr
    assert "warning: interrupted while the package was being written; it was finished first" in result.stderr
    assert (dist / "notes-v1.1.0.apkg").is_file()
    assert '"version": "1.1.0"' in (notes / "deckgen.lock").read_text(encoding="utf-8")
    assert not _leftovers(notes, dist)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_symlinked_lock_is_written_through(run_cli, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    (shared / "deckgen.lock").write_text("", encoding="utf-8")
    (shared / "deckgen.lock").unlink()
    os.symlink("../shared/deckgen.lock", notes / "deckgen.lock")  # dangling until the first build
    assert run_cli("build", "notes", "-o", "dist").exit_code == 0
    assert (notes / "deckgen.lock").is_symlink() and (shared / "deckgen.lock").is_file()
    _edit(notes)
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 0, result.output
    assert (notes / "deckgen.lock").is_symlink()
    assert os.readlink(notes / "deckgen.lock") == "../shared/deckgen.lock"
    assert '"version": "1.1.0"' in (shared / "deckgen.lock").read_text(encoding="utf-8")
    assert not _leftovers(notes, shared)


def _build_process(tmp_path: Path, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build_deck.py"), "build", "notes", "-o", "dist"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, DECKGEN_CACHE=str(tmp_path / "cache"), **env),
    )


def test_two_builds_at_once_take_turns(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes, 800, files=3)  # a build of a few seconds: the two overlap
    first, second = _build_process(tmp_path), _build_process(tmp_path)
    outs = [p.communicate(timeout=300) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outs
    stdout = "".join(out for out, _ in outs)
    assert stdout.count("wrote dist/notes-v1.1.0.apkg") == 1, outs
    assert stdout.count("is up to date (version 1.1.0)") == 1, outs
    log = (dist / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.count("## 1.1.0") == 1
    assert sorted(p.name for p in dist.glob("*.apkg")) == ["notes-v1.0.0.apkg", "notes-v1.1.0.apkg"]


def _hold(folder: Path) -> int:
    fd = os.open(folder, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_a_second_build_gives_up_after_waiting(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes)
    before = _snapshot(notes, dist)
    fd = _hold(notes)  # another build is writing these notes
    try:
        proc = _build_process(tmp_path, DECKGEN_LOCK_TIMEOUT="1")
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(fd)
    assert proc.returncode == 1, out + err
    assert "notes: waiting for another deckgen build to finish…" in err.splitlines()
    assert ("notes: error: another deckgen build is writing here (waited 1 s); try again when it has finished"
            in err.splitlines())
    assert "Traceback" not in err
    assert _snapshot(notes, dist) == before


def test_a_second_build_waits_for_the_first(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes)
    fd = _hold(dist)  # the output folder is locked too: another deck may share its changelog
    try:
        proc = _build_process(tmp_path, DECKGEN_LOCK_TIMEOUT="60")
        time.sleep(1.5)
        assert proc.poll() is None  # still waiting
        assert not (dist / "notes-v1.1.0.apkg").exists()
    finally:
        os.close(fd)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    assert "dist: waiting for another deckgen build to finish…" in err.splitlines()
    assert "wrote dist/notes-v1.1.0.apkg" in out


def test_a_failed_first_build_leaves_no_output_folder(run_cli, tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "regen" / "v1", tmp_path / "notes")
    _failing_rename(monkeypatch, "deckgen.lock")
    result = run_cli("build", "notes", "-o", "out/dist")
    assert result.exit_code == 1 and "notes/deckgen.lock: error: cannot write" in result.stderr
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in (tmp_path / "notes").iterdir()) == ["a.md", "b.md"]


def test_a_commit_that_cannot_be_undone_is_undone_by_the_next_build(run_cli, tmp_path, monkeypatch):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes)
    before = _snapshot(notes, dist)
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name == "deckgen.lock" or str(src).endswith(".old"):
            raise OSError(5, "Input/output error")  # the lock cannot be replaced, nor the others put back
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert ("notes/.deckgen-journal.json: error: a file could not be replaced, and putting the others back "
            "failed too (Input/output error); the next build puts them back") in result.stderr.splitlines()
    monkeypatch.setattr(os, "replace", real)
    again = run_cli("build", "notes", "-o", "dist")
    assert again.exit_code == 0, again.output
    assert "put back the files it had replaced" in again.stderr
    assert (dist / "CHANGELOG.md").read_text(encoding="utf-8").count("## 1.1.0") == 1
    assert before["notes/b.md"] == (notes / "b.md").read_bytes()
    assert not _leftovers(notes, dist)
