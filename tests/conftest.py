"""Shared test helpers: building decks and importing them into a real Anki collection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from deckgen.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = ROOT.parent / "shared" / "seeds"


def read_lock(folder: Path) -> dict:
    """The lock beside the notes in `folder` as deckgen reads it: settings and one entry per note
    (guid, key, file, question, hash, mtime, deck, sketch, pinned), whatever its format."""
    from deckgen.lock import load

    return load(Path(folder))


def format_1(folder: Path) -> dict:
    """The lock in `folder` as the format-1 JSON an earlier deckgen wrote (one object per note)."""
    state = read_lock(folder)
    for entry in state["notes"]:
        entry.pop("sketch", None)
    return {**state, "format": 1}


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Keep the parse and font caches of the test run out of the user's ~/.cache."""
    import os

    folder = tmp_path_factory.mktemp("deckgen-cache")
    old = os.environ.get("DECKGEN_CACHE")
    os.environ["DECKGEN_CACHE"] = str(folder)
    yield folder
    if old is None:
        del os.environ["DECKGEN_CACHE"]
    else:
        os.environ["DECKGEN_CACHE"] = old


@pytest.fixture
def run_cli(monkeypatch, tmp_path):
    """Run the CLI in-process from a temporary working folder; return the click Result."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return run


def keep_in_memory(monkeypatch) -> None:
    """Make this process keep what it reads, as `deckgen server` does (build.keep_in_memory),
    starting from nothing kept, and forget it all when the test ends."""
    from deckgen import build, lock, reparse
    from deckgen.cache import ParseCache

    monkeypatch.setattr(reparse, "_kept", None)
    monkeypatch.setattr(ParseCache, "memory", None)
    for name in ("_prepared", "_chars"):
        monkeypatch.setattr(build, name, {})
    monkeypatch.setattr(build, "_ahead", [])
    monkeypatch.setattr(lock, "_written", None)
    monkeypatch.setattr(lock, "_keeping", False)
    monkeypatch.setattr(lock, "_note_lines", {})
    build.keep_in_memory()


def assert_golden(golden: Path, got: dict) -> None:
    """Compare with a golden file; DECKGEN_UPDATE_GOLDEN=1 rewrites it (then read the diff)."""
    import json
    import os

    if os.environ.get("DECKGEN_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.is_file(), f"no golden file {golden.name}; run with DECKGEN_UPDATE_GOLDEN=1"
    assert json.loads(golden.read_text(encoding="utf-8")) == got


def parse_text(text: str, name: str = "note.md", shape: str | None = None):
    """Parse note text as a build parses the file `name` (kept under the fixtures folder)."""
    from deckgen.errors import Problems
    from deckgen.model import SourceFile
    from deckgen.parse import parse_file

    source = SourceFile(path=FIXTURES / name, rel=name, display=name, text=text)
    problems = Problems()
    return parse_file(source, problems, shape=shape), problems


def golden_view(parsed, problems) -> dict:
    """Return what a golden file records of a parse: the file's notes as a reader gets them."""
    return {
        "shape": parsed.shape,
        "title": parsed.title,
        "tags": list(parsed.tags),
        "skipped": parsed.skipped,
        "notes": [
            {
                "question": note.question,
                "answer": note.answer,
                "context": note.context,
                "parent": note.parent_key,
                "tags": list(note.tags),
                "keywords": list(note.keywords),
                "location": str(note.location),
                "anchor": note.anchor,
            }
            for note in parsed.notes
        ],
        "diagnostics": [str(d) for d in problems.items],
    }


def copy_fixture(name: str, dest: Path) -> Path:
    """Copy a fixture file or folder into `dest` and return the copy."""
    src = FIXTURES / name
    target = dest / src.name
    if src.is_dir():
        shutil.copytree(src, target)
    else:
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, target)
    return target


class AnkiCollection:
    """A throw-away real Anki collection (the official `anki` backend)."""

    def __init__(self, folder: Path):
        from anki.collection import Collection

        self.col = Collection(str(folder / "collection.anki2"))

    def import_package(self, path: Path):
        """Import like File › Import with Anki's defaults: update notes and notetypes if newer."""
        from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
        from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER as IF_NEWER

        options = ImportAnkiPackageOptions(
            merge_notetypes=False,
            update_notes=IF_NEWER,
            update_notetypes=IF_NEWER,
            with_scheduling=False,
            with_deck_configs=False,
        )
        return self.col.import_anki_package(ImportAnkiPackageRequest(package_path=str(path), options=options))

    def notes(self):
        """Return every note in the collection."""
        return [self.col.get_note(nid) for nid in self.col.find_notes("")]

    def note_by_question(self, text: str):
        """Return the one note whose Question contains `text`."""
        found = [n for n in self.notes() if text in n["Question"]]
        assert len(found) == 1, f"{len(found)} notes with {text!r}"
        return found[0]

    def deck_of(self, note) -> str:
        return self.col.decks.name(note.cards()[0].did)

    def close(self) -> None:
        self.col.close()


@pytest.fixture
def anki(tmp_path):
    """A fresh real Anki collection."""
    folder = tmp_path / "anki-profile"
    folder.mkdir()
    collection = AnkiCollection(folder)
    yield collection
    collection.close()
