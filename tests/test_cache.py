"""Unchanged files are not parsed again, and a cache never changes what a build writes."""

from __future__ import annotations

import shutil

from deckgen import parse as parse_module
from tests.conftest import FIXTURES


def test_cached_parse_gives_the_same_package_and_warnings(run_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "media", notes, ignore=shutil.ignore_patterns("bad_*"))
    shutil.copy(FIXTURES / "placeholders.md", notes / "placeholders.md")
    first = run_cli("build", "notes", "-o", "one")
    assert first.exit_code == 0, first.output
    (notes / "deckgen.lock").unlink()

    calls = []
    real = parse_module.parse_file
    monkeypatch.setattr(parse_module, "parse_file", lambda *a, **k: calls.append(a[0].rel) or real(*a, **k))
    second = run_cli("build", "notes", "-o", "two")
    assert second.exit_code == 0, second.output
    assert calls == []  # every file came from the cache
    assert second.stderr == first.stderr  # the same warnings, replayed
    assert (tmp_path / "two" / "notes-v1.0.0.apkg").read_bytes() == (tmp_path / "one" / "notes-v1.0.0.apkg").read_bytes()

    (notes / "img" / "Diagram One.PNG").write_bytes(b"\x89PNG changed")  # an image changed
    (notes / "deckgen.lock").unlink()
    third = run_cli("build", "notes", "-o", "three")
    assert third.exit_code == 0, third.output
    assert calls == ["images.md"]


def test_unusable_cache_folder_is_ignored(run_cli, tmp_path, monkeypatch):
    blocked = tmp_path / "blocked"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("DECKGEN_CACHE", str(blocked / "cache"))
    shutil.copytree(FIXTURES / "regen" / "v1", tmp_path / "notes")
    result = run_cli("build", "notes")
    assert result.exit_code == 0, result.output
