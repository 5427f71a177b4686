"""`deckgen server` takes the builds `deckgen build` hands it in its folder, and a build handed
off is the build made without it: the same output, exit status and files (the package byte for
byte, given the same clock), an error reported the same way, Ctrl-C taken as a build here takes
it. Where the server cannot take a build (another environment, its code changed, it was
killed), the build is made here.

Every server and build is a real process running a copy of deckgen (so that its code can be
edited), with a cache folder of its own, short enough for a socket's path.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from deckgen.build import _cores
from tests.conftest import FIXTURES, ROOT

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets only")


class Project:
    """Notes in tmp/project/notes, built from tmp/project with a copy of deckgen in tmp/pkg."""

    def __init__(self, tmp: Path, cache: Path):
        self.tmp, self.cache = tmp, cache
        self.pkg = tmp / "pkg"
        for name in ("deckgen", "templates"):
            shutil.copytree(ROOT / name, self.pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "build_deck.py", self.pkg)
        self.dir = tmp / "project"
        shutil.copytree(FIXTURES / "regen" / "v1", self.dir / "notes")
        self.server: subprocess.Popen | None = None
        self.said: queue.Queue[str] = queue.Queue()

    def env(self, **extra: str) -> dict:
        return dict(os.environ, DECKGEN_CACHE=str(self.cache), PYTHONPATH=str(self.pkg), **extra)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, str(self.pkg / "build_deck.py"), *args]

    def run(self, *args: str, cwd: Path | None = None, umask: int = -1, **env: str) -> subprocess.CompletedProcess:
        done = subprocess.run(self.command(*args), cwd=cwd or self.dir, env=self.env(**env),
                              capture_output=True, text=True, timeout=120, umask=umask)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def start(self) -> subprocess.Popen:
        """Start `deckgen server` in the project; return once it serves."""
        self.server = server = subprocess.Popen(self.command("server"), cwd=self.dir, env=self.env(),
                                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        said: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [said.put(line) for line in server.stdout], daemon=True).start()
        self.said = said
        first = self.next_line()
        assert first.startswith(f"serving builds in {self.dir}"), first
        return server

    def next_line(self, timeout: float = 60) -> str:
        try:
            return self.said.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("the server said nothing") from None

    def served(self) -> list[str]:
        """The lines the server printed since last asked."""
        lines = []
        while True:
            try:
                lines.append(self.said.get(timeout=0.5))
            except queue.Empty:
                return lines

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGINT)
            try:
                self.server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
        if self.server is not None:
            self.server.stdout.close()


@pytest.fixture
def project(tmp_path):
    cache = Path(tempfile.mkdtemp(prefix="dg"))  # a socket's path is at most about 100 bytes
    made = Project(tmp_path, cache)
    yield made
    made.stop()
    shutil.rmtree(cache, ignore_errors=True)


def _package(folder: Path, output: str) -> Path:
    """The package a build's output says it wrote."""
    (line,) = [line for line in output.splitlines() if line.startswith("wrote ")]
    return folder / line.removeprefix("wrote ")


def _clock(folder: Path) -> int:
    """The time the last build of `folder` ran at, as its lock tells."""
    return json.loads((folder / "notes" / "deckgen.lock").read_text(encoding="utf-8"))["created"]


def _built_here(folder: Path, at: int) -> tuple[bytes, bytes]:
    """Package and lock of a build of `folder` run in this process, at the time `at`."""
    from deckgen.build import build
    from deckgen.model import BuildConfig

    old = os.getcwd()
    os.chdir(folder)
    try:
        report = build(BuildConfig(sources=(Path("notes"),), outdir=Path("dist"), timestamp=at))
    finally:
        os.chdir(old)
    return (folder / report.package).read_bytes(), (folder / "notes" / "deckgen.lock").read_bytes()


def _parent(proc: Path) -> int:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


def _edit(notes: Path, step: int) -> None:
    if step == 0:
        shutil.copytree(FIXTURES / "regen" / "v2", notes, dirs_exist_ok=True)
    else:
        with (notes / "b.md").open("a", encoding="utf-8") as f:
            f.write(f"\n## 추가 질문 {step}: 학습률을 줄이면 무엇이 달라지나요?\n\n수렴이 느려지지만 안정됩니다.\n")


def test_a_build_handed_off_is_the_build_made_here(project, tmp_path):
    first = project.run("build", "notes")
    assert first.returncode == 0, first.stderr
    project.start()
    for step in range(3):  # v2 (two files edited, read whole), then two edits of one (reread in part)
        before = tmp_path / f"before{step}"
        shutil.copytree(project.dir, before)
        _edit(project.dir / "notes", step)
        served = project.run("build", "notes")
        assert served.returncode == 0, served.stderr
        (line,) = project.served()
        assert line.split(" ", 1)[1].startswith("deckgen build notes: exit 0 in "), line
        # The same edit built by the CLI without a server: the same output.
        here = tmp_path / f"here{step}"
        shutil.copytree(before, here)
        _edit(here / "notes", step)
        local = project.run("build", "notes", cwd=here)
        assert (local.returncode, local.stdout, local.stderr) == (0, served.stdout, served.stderr)
        assert served.stdout.startswith("wrote dist/notes-v1.")
        assert not project.served()  # that one was not handed off: another folder
        # And the same files, byte for byte, at the clock the server's build ran at.
        same = tmp_path / f"same{step}"
        shutil.copytree(before, same)
        _edit(same / "notes", step)
        wrote = _package(project.dir, served.stdout)
        package, lock = _built_here(same, _clock(project.dir))
        assert wrote.read_bytes() == package
        assert (project.dir / "notes" / "deckgen.lock").read_bytes() == lock


def test_a_rebuild_with_nothing_changed_is_told_by_the_server_as_here(project):
    assert project.run("build", "notes").returncode == 0
    here = project.run("build", "notes")  # answered by this process (uptodate.replay)
    assert here.returncode == 0 and "is up to date" in here.stdout, here.stdout
    project.start()
    served = project.run("build", "notes")
    assert (served.returncode, served.stdout, served.stderr) == (0, here.stdout, here.stderr)
    (line,) = project.served()
    assert ": exit 0 in " in line


def test_bad_input_is_reported_as_here_and_loses_nothing(project, tmp_path):
    assert project.run("build", "notes").returncode == 0
    project.start()
    notes = project.dir / "notes"
    kept = {p: p.read_bytes() for p in [notes / "deckgen.lock", *sorted((project.dir / "dist").iterdir())]}
    (notes / "deckgen.toml").write_text('title = "시험"\nversion = 3\n', encoding="utf-8")
    here = tmp_path / "here"
    shutil.copytree(project.dir, here)
    served = project.run("build", "notes")
    (line,) = project.served()
    assert ": exit 1 in " in line, line
    local = project.run("build", "notes", cwd=here)
    assert (served.returncode, served.stdout, served.stderr) == (local.returncode, local.stdout, local.stderr)
    assert served.returncode == 1 and served.stderr.startswith("notes/deckgen.toml:2: error:"), served.stderr
    assert {p: p.read_bytes() for p in kept} == kept
    assert sorted((project.dir / "dist").iterdir()) == sorted(p for p in kept if p.parent.name == "dist")


def _many_questions(path: Path, n: int) -> None:
    """A file of `n` questions: long enough that its first parse takes a while."""
    items = [f"- **질문 {i}: $x_{{{i}}}$의 역할은 무엇인가요?**\n  - 답 {i}: $\\sum_j w_j x_j$ 를 계산합니다.\n"
             f"  - 하위 질문 {i}은 무엇인가요?\n    - 그 답입니다.\n" for i in range(n)]
    path.write_text("# 많은 질문\n\n" + "".join(items), encoding="utf-8")


def test_ctrl_c_in_the_client_interrupts_the_build_as_here(project):
    from deckgen import resident

    _many_questions(project.dir / "notes" / "many.md", 3000)
    project.start()
    (path,) = (project.cache / "servers").iterdir()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(path))
        here = os.stat(project.dir)
        resident._send(sock, ("build", ["build", "notes"], False, False, 0, (here.st_dev, here.st_ino)))
        assert resident._receive(sock) == ("taken",)
        time.sleep(0.3)  # into the build: reading 3,000 questions takes seconds
        resident._send(sock, ("interrupt",))  # what the client sends on Ctrl-C
        said = []
        while (message := resident._receive(sock))[0] != "exit":
            said.append(message)
    assert message == ("exit", 130)
    assert "".join(text for kind, text in said if kind == "err") == "interrupted: nothing was changed\n", said
    assert all(kind == "err" for kind, _ in said)
    assert not (project.dir / "dist").exists() and not (project.dir / "notes" / "deckgen.lock").exists()
    (line,) = project.served()
    assert line.endswith("(interrupted)\n"), line
    # The server goes on, and the next build is made there.
    done = project.run("build", "notes")
    assert done.returncode == 0 and done.stdout.startswith("wrote dist/notes-v1.0.0.apkg"), done.stderr
    (line,) = project.served()
    assert ": exit 0 in " in line


@pytest.mark.parametrize("changed", ["deckgen/shape_names.py", "templates/style.css"])
def test_a_build_the_server_cannot_take_is_made_here(project, changed):
    project.start()
    # Another environment: another server's builds.
    done = project.run("build", "notes", DECKGEN_LOCK_TIMEOUT="5")
    assert done.returncode == 0, done.stderr
    assert not project.served()
    # Another umask: the files would be written with other permissions.
    mask = os.umask(0o022)
    os.umask(mask)
    _edit(project.dir / "notes", 2)
    done = project.run("build", "notes", umask=mask ^ 0o007)
    assert done.returncode == 0 and done.stdout.startswith("wrote dist/notes-v"), done.stderr
    assert not project.served()
    # deckgen's code or templates changed on disk since the server started: built here, and the
    # server stops.
    os.utime(project.pkg / changed, ns=(0, 0))
    _edit(project.dir / "notes", 1)
    done = project.run("build", "notes")
    assert done.returncode == 0 and done.stdout.startswith("wrote dist/notes-v"), done.stderr
    assert project.next_line().startswith("deckgen changed on disk since this server started: stopping")
    assert project.server.wait(timeout=30) == 0
    assert not list((project.cache / "servers").iterdir())  # its socket went with it


def test_a_folder_made_in_the_checkout_deckgen_runs_from_is_no_change_of_deckgen(project):
    # Run from its checkout (`python build_deck.py server` there): the checkout is on the path,
    # and a build writing its output there (`make deck` makes dist/) changes that folder only.
    shutil.copy(ROOT / "pyproject.toml", project.pkg)
    project.start()
    (project.pkg / "dist").mkdir()
    _edit(project.dir / "notes", 1)
    done = project.run("build", "notes")
    assert done.returncode == 0, done.stderr
    (line,) = project.served()
    assert line.split(" ", 1)[1].startswith("deckgen build notes: exit 0 in "), line


def test_one_server_a_folder_and_a_killed_one_is_replaced(project):
    first = project.start()
    second = project.run("server")
    assert second.returncode == 1
    assert second.stderr == f"error: a build server already serves builds in {project.dir}\n"
    first.kill()
    first.wait()
    # Its socket is left behind: a build is made here, and the next server takes its place.
    assert list((project.cache / "servers").iterdir())
    done = project.run("build", "notes")
    assert done.returncode == 0 and done.stdout.startswith("wrote dist/notes-v1.0.0.apkg"), done.stderr
    project.server.stdout.close()
    project.start()
    _edit(project.dir / "notes", 1)
    done = project.run("build", "notes")
    assert done.returncode == 0, done.stderr
    (line,) = project.served()
    assert ": exit 0 in " in line


def test_the_socket_lives_only_in_a_folder_of_this_user_alone(project):
    (project.cache / "servers").mkdir(mode=0o755)
    os.chmod(project.cache / "servers", 0o755)
    done = project.run("server")
    assert done.returncode == 1
    assert done.stderr.startswith(f"{project.cache / 'servers'}: error: others may open this folder"), done.stderr


@pytest.mark.skipif(_cores() < 2, reason="files are parsed in other processes on 2 cores or more")
def test_a_build_that_parses_in_worker_processes_ends(project):
    # Two long files: a build shares them among parse workers forked from the server, which
    # must end when the build ends them (and write nothing into the client's stream).
    _many_questions(project.dir / "notes" / "many.md", 1500)
    _many_questions(project.dir / "notes" / "more.md", 1500)
    project.start()
    done = project.run("build", "notes")
    assert done.returncode == 0 and done.stdout.startswith("wrote dist/notes-v1.0.0.apkg"), done.stderr
    (line,) = project.served()
    assert ": exit 0 in " in line
    workers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _parent(p) == project.server.pid]
    assert workers == []
    assert len(_stored_parses(project, 4)) == 4  # by the workers themselves


def _stored_parses(project: Project, wanted: int) -> list[Path]:
    """The parses stored in the cache, once there are `wanted` of them (or 10 s have passed)."""
    deadline = time.monotonic() + 10
    while len(stored := [p for p in (project.cache / "parse").glob("*.pickle")
                         if not p.name.startswith("code-")]) < wanted and time.monotonic() < deadline:
        time.sleep(0.1)
    return stored


def test_the_parses_a_server_makes_are_stored_once_it_answered(project):
    project.start()
    done = project.run("build", "notes")  # both files parsed in the server itself
    assert done.returncode == 0, done.stderr
    assert len(_stored_parses(project, 2)) == 2
    assert project.server.poll() is None


def test_sigterm_ends_the_server(project):
    # As it ends the parse workers a build forks from it: a handler of the server's own would be
    # theirs too, and a pool could no longer end them.
    server = project.start()
    server.terminate()
    assert server.wait(timeout=30) == -signal.SIGTERM
    done = project.run("build", "notes")  # its socket is left: the build is made here
    assert done.returncode == 0 and done.stdout.startswith("wrote dist/notes-v1.0.0.apkg"), done.stderr


def test_a_server_stopped_or_busy_leaves_the_build_here(project):
    server = project.start()
    server.send_signal(signal.SIGSTOP)  # Ctrl-Z in its terminal
    try:
        done = project.run("build", "notes")
    finally:
        server.send_signal(signal.SIGCONT)
    assert done.returncode == 0 and done.stdout.startswith("wrote dist/notes-v1.0.0.apkg"), done.stderr
    # Woken, it finds the client gone and builds nothing; it serves the next build.
    assert not project.served()
    _edit(project.dir / "notes", 1)
    done = project.run("build", "notes")
    assert done.returncode == 0 and done.stdout.startswith("wrote dist/notes-v1.1.0.apkg"), done.stderr
    (line,) = project.served()
    assert ": exit 0 in " in line


def test_a_server_whose_folder_was_made_again_stops(project, tmp_path):
    project.start()
    shutil.move(project.dir, tmp_path / "aside")
    shutil.copytree(tmp_path / "aside", project.dir)
    _edit(project.dir / "notes", 1)
    done = project.run("build", "notes")
    assert done.returncode == 0 and done.stdout.startswith("wrote dist/notes-v1.0.0.apkg"), done.stderr
    assert (project.dir / "dist").is_dir() and not (tmp_path / "aside" / "dist").exists()
    assert project.next_line().startswith("this folder is not the one the server started in")
    assert project.server.wait(timeout=30) == 0
