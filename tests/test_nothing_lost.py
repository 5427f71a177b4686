"""A build that fails at any point leaves the previous package, lock and changelog as they were."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import FIXTURES, ROOT


def _snapshot(*folders: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(p.parents[1])): p.read_bytes()
        for folder in folders
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _first_build(run_cli, tmp_path: Path) -> tuple[Path, Path]:
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    assert run_cli("build", "notes", "-o", "dist").exit_code == 0
    return notes, tmp_path / "dist"


def _edit(notes: Path, n: int = 1, files: int = 1) -> None:
    for k in range(files):
        with (notes / ("b.md" if k == 0 else f"more-{k}.md")).open("a", encoding="utf-8") as f:
            for i in range(n):
                f.write(f"- **새로 추가한 질문 {k}-{i}?**\n  - 새 답 {i}: $x_{i}$ 와 `code`\n")


def test_bad_input_changes_nothing(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    before = _snapshot(notes, dist)
    _edit(notes)
    (notes / "broken.md").write_text("---\ntitle: [x\n---\n", encoding="utf-8")
    result = run_cli("build", "notes", "-o", "dist")
    assert result.exit_code == 1
    after = _snapshot(notes, dist)
    del after["notes/broken.md"], after["notes/b.md"]
    del before["notes/b.md"]
    assert after == before


def test_unwritable_output_changes_nothing(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes)
    before = _snapshot(notes, dist)
    (tmp_path / "blocked").write_text("a file where a folder should be", encoding="utf-8")
    result = run_cli("build", "notes", "-o", "blocked/out")
    assert result.exit_code == 1
    assert "error: cannot write" in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(notes, dist) == before


def _run_build(tmp_path: Path, cache: Path | None = None, **popen) -> subprocess.Popen:
    env = dict(os.environ, DECKGEN_CACHE=str(cache)) if cache else None
    return subprocess.Popen(
        [sys.executable, str(ROOT / "build_deck.py"), "build", "notes", "-o", "dist"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **popen,
    )


def test_full_disk_changes_nothing(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes, 50)
    before = _snapshot(notes, dist)

    def small_disk() -> None:
        # Writing past 20 KiB fails with EFBIG, as a full disk fails with ENOSPC.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    proc = _run_build(tmp_path, preexec_fn=small_disk)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    assert "error: cannot write" in err and "Traceback" not in err
    assert _snapshot(notes, dist) == before
    assert not [p for p in dist.iterdir() if p.name.endswith(".tmp")]


def _cpu_time(pid: int) -> float:
    """CPU seconds used by a process and its children (the build parses in worker processes)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def test_interrupted_build_changes_nothing(run_cli, tmp_path):
    notes, dist = _first_build(run_cli, tmp_path)
    _edit(notes, 1500, files=4)  # enough to be parsed by worker processes, which must stop too
    before = _snapshot(notes, dist)
    interrupted = 0
    for cpu_seconds in (0.5, 0.9, 1.4):
        # A fresh cache each time: a parse cached by an earlier run would make this one too quick.
        proc = _run_build(tmp_path, cache=tmp_path / f"cache-{cpu_seconds}")
        # Wait on the child's CPU time, not the clock, so a loaded machine interrupts it at the
        # same stage of the build (past start-up, somewhere in parsing, rendering or writing).
        while proc.poll() is None and _cpu_time(proc.pid) < cpu_seconds:
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert "Traceback" not in err
        if proc.returncode == 0:
            break  # finished before the signal: that build is complete, not interrupted
        assert proc.returncode == 130, out + err
        interrupted += 1
        assert "interrupted: nothing was changed" in err
        assert _snapshot(notes, dist) == before
        assert not [p for p in list(dist.iterdir()) + list(notes.iterdir()) if p.name.endswith(".tmp")]
    assert interrupted >= 2
