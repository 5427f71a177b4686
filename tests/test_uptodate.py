"""A rebuild with nothing changed is answered from the command line alone, and any change to an
input is built again: the notes, settings, lock, indexes, images, templates, deckgen's code,
the options, the files there are, the package, the working folder.

Each build is a real process running a copy of deckgen (so that its code and templates can be
edited). What a run did is read from deckgen's cache folder: a run answered from the command
line writes nothing there (nor does a build that fails); one answered by the build's own record
(uptodate.py could not tell) writes the command line's entry again; a build writes the record
again.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, ROOT

REPLAYED, RECORDED, BUILT, FAILED = ("answered from the command line", "answered by the record", "built again",
                                     "failed")


class Deck:
    """Notes in tmp/notes, a copy of deckgen in tmp/pkg, builds run from tmp into tmp/dist."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.pkg = tmp / "pkg"
        self.pkg.mkdir()
        for name in ("deckgen", "templates"):
            shutil.copytree(ROOT / name, self.pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "build_deck.py", self.pkg)
        self.notes = tmp / "notes"
        shutil.copytree(FIXTURES / "regen" / "v1", self.notes)
        shutil.copytree(FIXTURES / "media", self.notes, dirs_exist_ok=True, ignore=shutil.ignore_patterns("bad_*"))
        shutil.copy(FIXTURES / "placeholders.md", self.notes)  # it warns: warnings are said again
        self.cache = tmp / "cache"
        self.builds = self.cache / "builds"

    def run(self, *args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
        environ = dict(os.environ, DECKGEN_CACHE=str(self.cache), PYTHONPATH=str(self.pkg), **env)
        return subprocess.run([sys.executable, str(self.pkg / "build_deck.py"), *args], cwd=cwd or self.tmp,
                              env=environ, capture_output=True, text=True, timeout=120)

    def _seen(self) -> dict[str, int]:
        return {p.name: p.stat().st_ino for p in self.builds.iterdir()} if self.builds.is_dir() else {}

    def build(self, *args: str, cwd: Path | None = None, **env: str) -> tuple[str, subprocess.CompletedProcess]:
        """Run `build` with `args` (the notes into dist by default); say how it was answered."""
        before = self._seen()
        done = self.run("build", *(args or ("notes", "-o", "dist")), cwd=cwd, **env)
        assert "Traceback" not in done.stderr, done.stderr
        if done.returncode != 0:
            return FAILED, done
        after = self._seen()
        records = [name for name in after if name.endswith(".pickle")]
        if any(before.get(name) != after[name] for name in records):
            return BUILT, done
        return (REPLAYED if after == before else RECORDED), done


def same_size_and_mtime(path: Path, old: bytes, new: bytes) -> None:
    """Replace `old` by `new` (as long) in the file, and give it back its mtime."""
    assert len(old) == len(new)
    st = path.stat()
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


@pytest.fixture
def deck(tmp_path):
    return Deck(tmp_path)


def test_a_rebuild_with_nothing_changed_prints_what_the_build_would(deck):
    first, done = deck.build()
    assert first == BUILT and done.returncode == 0, done.stderr
    shown = {}
    for args in (("notes", "-o", "dist"), ("notes", "-o", "dist", "-q")):
        # The build's own command line was kept by the build; -q is another one, kept now.
        assert deck.build(*args)[0] == (RECORDED if "-q" in args else REPLAYED)
        how, quick = deck.build(*args)
        assert how == REPLAYED
        for entry in deck.builds.glob("cli-*"):
            entry.unlink()
        how, usual = deck.build(*args)
        assert how == RECORDED
        assert (quick.returncode, quick.stdout, quick.stderr) == (usual.returncode, usual.stdout, usual.stderr)
        assert "placeholders.md" in quick.stderr and "warning:" in quick.stderr  # said again
        shown[args[-1]] = quick.stdout
    assert shown == {"dist": "dist/notes-v1.0.0.apkg is up to date (version 1.0.0); nothing to do\n"
                             "lock: notes/deckgen.lock (unchanged)\n",
                     "-q": ""}


def _edit_note(deck: Deck) -> None:
    same_size_and_mtime(deck.notes / "a.md", "가중치를 곱해".encode(), "가중치로 곱해".encode())


def _edit_image(deck: Deck) -> None:
    image = deck.notes / "img" / "Diagram One.PNG"
    data = image.read_bytes()
    same_size_and_mtime(image, data[-4:], bytes(b ^ 0xFF for b in data[-4:]))


def _edit_lock(deck: Deck) -> None:
    lock = deck.notes / "deckgen.lock"
    created = next(line for line in lock.read_text(encoding="utf-8").splitlines() if '"created"' in line)
    value = created.split(":")[1].strip().rstrip(",")
    same_size_and_mtime(lock, value.encode(), str(int(value) - 1).encode())


def _new_folder(deck: Deck) -> None:
    (deck.notes / "more").mkdir()
    (deck.notes / "more" / "d.md").write_text("- **더 있나요?**\n  - 있습니다.\n", encoding="utf-8")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def _index(path: Path) -> None:
    path.write_text("# 목차\n\n* [신경망의 기본 개념](notes/a.md)\n* [정규화 이야기](a.md)\n", encoding="utf-8")


def _hold(deck: Deck):
    fd = os.open(deck.notes, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


CHANGES = {
    "a note file's bytes, same size and mtime": (_edit_note, (), "edited:"),
    "a new note file": (lambda d: (d.notes / "c.md").write_text("- **새 질문인가요?**\n  - 네.\n", encoding="utf-8"),
                        (), "added: 새 질문인가요?"),
    "a note file deleted": (lambda d: (d.notes / "b.md").unlink(), (), "removed:"),
    "a note file in a new folder": (_new_folder, (), "added: 더 있나요?"),
    "deckgen.toml": (lambda d: (d.notes / "deckgen.toml").write_text('title = "신경망"\n', encoding="utf-8"),
                     (), "wrote dist/"),
    "the lock's bytes, same size and mtime": (_edit_lock, (), ""),
    "README.md beside the notes": (lambda d: _index(d.notes / "README.md"), (), ""),
    "SUMMARY.md one folder up": (lambda d: _index(d.tmp / "SUMMARY.md"), (), ""),
    "an image's bytes, same size and mtime": (_edit_image, (), "edited:"),
    "a template": (lambda d: _append(d.pkg / "templates" / "style.css", "\n.card { letter-spacing: 0; }\n"),
                   (), "wrote dist/"),
    "deckgen's code": (lambda d: _append(d.pkg / "deckgen" / "textsafe.py", "\n# edited\n"), (), "is up to date"),
    "an option": (lambda d: None, ("notes", "-o", "dist", "--version", "1.5.0"), "wrote dist/notes-v1.5.0.apkg"),
    "the package deleted": (lambda d: next((d.tmp / "dist").glob("*.apkg")).unlink(), (), "wrote dist/notes-v1.0.0"),
    "the working folder": (lambda d: None, ("cwd:notes", ".", "-o", "../dist"), ""),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_to_an_input_is_built_again(deck, change):
    edit, args, said = CHANGES[change]
    cwd = None
    if args and args[0].startswith("cwd:"):
        cwd, args = deck.tmp / args[0][4:], args[1:]
    assert deck.build()[0] == BUILT
    assert deck.build()[0] == REPLAYED
    edit(deck)
    how, done = deck.build(*args, cwd=cwd)
    assert how == BUILT, done.stdout + done.stderr
    assert done.returncode == 0, done.stderr
    assert said in done.stdout
    assert deck.build(*args, cwd=cwd)[0] == REPLAYED  # and what this build says is kept in its turn


def test_notes_found_again_through_a_link_elsewhere_are_another_build(deck):
    shutil.move(deck.notes, deck.tmp / "one")
    (deck.tmp / "two").mkdir()
    deck.notes.symlink_to(deck.tmp / "one", target_is_directory=True)
    assert deck.build()[0] == BUILT
    assert deck.build()[0] == REPLAYED
    # The same notes, without their lock: a build of them is a deck of its own.
    shutil.copytree(deck.tmp / "one", deck.tmp / "two", dirs_exist_ok=True, symlinks=True,
                    ignore=shutil.ignore_patterns("deckgen.lock"))
    deck.notes.unlink()
    deck.notes.symlink_to(deck.tmp / "two", target_is_directory=True)  # the same bytes, another folder
    how, done = deck.build()
    assert how == BUILT and done.returncode == 0, done.stderr
    assert "lock: two/deckgen.lock (new" in done.stdout


@pytest.mark.parametrize("case", ["an unread lock among the notes", "a lock in the working folder",
                                  "a journal left by a killed build", "another build running", "output not UTF-8"])
def test_what_is_out_of_the_ordinary_goes_the_usual_way(deck, case):
    args = ("notes", "-o", "dist")
    if case == "a lock in the working folder":  # two folders above the notes: it is not one of their indexes
        (deck.tmp / "deep").mkdir()
        shutil.move(deck.notes, deck.tmp / "deep" / "notes")
        deck.notes, args = deck.tmp / "deep" / "notes", ("deep/notes", "-o", "dist")
    assert deck.build(*args)[0] == BUILT
    assert deck.build(*args)[0] == REPLAYED
    env: dict[str, str] = {}
    held = None
    if case == "an unread lock among the notes":
        (deck.notes / "old").mkdir()
        shutil.copy(deck.notes / "deckgen.lock", deck.notes / "old" / "deckgen.lock")
        said, expect = "notes/old/deckgen.lock: warning: this lock is not read", RECORDED
    elif case == "a lock in the working folder":
        shutil.copy(deck.notes / "deckgen.lock", deck.tmp / "deckgen.lock")
        said, expect = "deckgen.lock: warning: this lock is not read", RECORDED
    elif case == "a journal left by a killed build":
        (deck.notes / ".deckgen-journal.json").write_text("{", encoding="utf-8")
        said, expect = "an interrupted build left this journal, but it cannot be read", FAILED
    elif case == "another build running":
        held = _hold(deck)
        env["DECKGEN_LOCK_TIMEOUT"] = "0.2"
        said, expect = "notes: error: another deckgen build is writing here", FAILED
    else:
        env["PYTHONIOENCODING"] = "ascii:backslashreplace"
        said, expect = "", RECORDED
    try:
        how, done = deck.build(*args, **env)
    finally:
        if held is not None:
            os.close(held)
    assert how == expect, done.stdout + done.stderr
    assert said in done.stderr


def test_a_file_stamped_just_after_a_change_is_told_by_its_bytes(tmp_path):
    from deckgen.inputs import stamp, unchanged

    image = tmp_path / "a.png"
    image.write_bytes(b"first")
    first = stamp(image)
    assert len(first) == 5  # written just now: its stamp holds the hash of its bytes
    assert unchanged([(str(image), *first)])
    image.write_bytes(b"again")  # as long, at once: maybe within the same tick of the file system's clock
    assert not unchanged([(str(image), *first)])
    now = stamp(image)
    assert unchanged([(str(image), *now)])
    # Had the second write left every field of the stat as it was, the bytes still tell.
    assert not unchanged([(str(image), *now[:4], *first[4:])])


def test_a_linked_note_file_outside_the_notes_and_the_repository_are_inputs(deck):
    # A collection in a git repository: part1's cards name a question of part2 by its link.
    (deck.tmp / "c" / "part1").mkdir(parents=True)
    (deck.tmp / "c" / "part2").mkdir()
    (deck.tmp / "c" / "part1" / "a.md").write_text(
        "- **스택이란?**\n  - 후입선출 구조. 관련: [여기](../part2/b.md#1)\n", encoding="utf-8")
    linked = deck.tmp / "c" / "part2" / "b.md"
    linked.write_text("* [큐란 무엇인가요?](#1)\n\n## #1\n\n선입선출 구조.\n", encoding="utf-8")
    args = ("c/part1", "-o", "dist")
    assert deck.build(*args)[0] == BUILT
    (deck.tmp / "c" / ".git").mkdir()  # now it is one: `../part2` lies inside the collection
    how, done = deck.build(*args)
    assert how == BUILT and "edited: 스택이란?" in done.stdout, done.stdout + done.stderr
    assert deck.build(*args)[0] == REPLAYED
    same_size_and_mtime(linked, "큐란 무엇".encode(), "큐는 무엇".encode())
    how, done = deck.build(*args)
    assert how == BUILT and "edited: 스택이란?" in done.stdout, done.stdout + done.stderr
    assert deck.build(*args)[0] == REPLAYED
