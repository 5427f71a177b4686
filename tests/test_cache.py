"""Unchanged files are not parsed again, and a cache never changes what a build writes."""

from __future__ import annotations

import shutil

from deckgen import parse as parse_module
from deckgen.model import BuildConfig
from tests.conftest import FIXTURES


def test_cached_parse_gives_the_same_package_and_warnings(run_cli, tmp_path, monkeypatch):
    from deckgen.build import build

    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "media", notes, ignore=shutil.ignore_patterns("bad_*"))
    shutil.copy(FIXTURES / "placeholders.md", notes / "placeholders.md")
    # A fixed clock: the two packages may then be compared byte for byte.
    first = build(BuildConfig(sources=(notes,), outdir=tmp_path / "one", timestamp=1_800_000_000))
    (notes / "deckgen.lock").unlink()

    calls = []
    real = parse_module.parse_file
    monkeypatch.setattr(parse_module, "parse_file", lambda *a, **k: calls.append(a[0].rel) or real(*a, **k))
    second = build(BuildConfig(sources=(notes,), outdir=tmp_path / "two", timestamp=1_800_000_000))
    assert calls == []  # every file came from the cache
    assert second.diagnostics == first.diagnostics and first.diagnostics  # the same warnings, replayed
    assert second.package.read_bytes() == first.package.read_bytes()

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


def test_rebuild_with_nothing_changed_stops_early_and_still_warns(run_cli, tmp_path, monkeypatch):
    from deckgen import build as build_module

    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    shutil.copy(FIXTURES / "placeholders.md", notes / "placeholders.md")
    first = run_cli("build", "notes")
    assert first.exit_code == 0, first.output

    calls = []
    real = build_module.collect
    monkeypatch.setattr(build_module, "collect", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = run_cli("build", "notes")
    assert again.exit_code == 0
    assert calls == []
    assert "is up to date (version 1.0.0)" in again.output
    # The same warnings, but for the one only a first build gives (the deck is named after its folder).
    named = [line for line in first.stderr.splitlines(keepends=True) if "this deck's title" in line]
    assert len(named) == 1 and again.stderr == first.stderr.replace(named[0], "")

    for change in (
        lambda: (notes / "b.md").write_text((notes / "b.md").read_text(encoding="utf-8") + "\n", encoding="utf-8"),
        lambda: (notes / "deckgen.toml").write_text('title = "새 제목"\n', encoding="utf-8"),
        lambda: (tmp_path / "dist" / "notes-v2.0.0.apkg").unlink(),  # the current package
    ):
        change()
        result = run_cli("build", "notes")
        assert result.exit_code == 0, result.output
        assert calls, "a changed input must be built again"
        calls.clear()
    assert (tmp_path / "dist" / "notes-v1.0.0.apkg").is_file()
    assert (tmp_path / "dist" / "notes-v2.0.0.apkg").is_file()  # the deck was renamed: major


def test_cached_parse_is_redone_when_a_linked_file_changes(run_cli, tmp_path, monkeypatch, anki):
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("- **스택이란?**\n  - 후입선출 구조. 관련: [여기](b.md#1)\n", encoding="utf-8")
    (notes / "b.md").write_text("* [큐란 무엇인가요?](#1)\n\n## #1\n\n선입선출 구조.\n", encoding="utf-8")
    assert run_cli("build", "notes", "-o", "one").exit_code == 0
    (notes / "b.md").write_text("* [큐는 어떤 구조인가요?](#1)\n\n## #1\n\n선입선출 구조.\n", encoding="utf-8")
    result = run_cli("build", "notes", "-o", "two")
    assert result.exit_code == 0, result.output
    anki.import_package(next((tmp_path / "two").glob("*.apkg")))
    assert "“큐는 어떤 구조인가요?”" in anki.note_by_question("스택이란?")["Answer"]


def test_files_parsed_in_worker_processes_give_the_same_package(run_cli, tmp_path, monkeypatch):
    from deckgen import build as build_module

    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    shutil.copytree(FIXTURES / "media", notes / "media", ignore=shutil.ignore_patterns("bad_*"))
    for k in range(3):
        (notes / f"many-{k}.md").write_text(
            "".join(f"- **질문 {k}-{i}?**\n  - 답 $x_{i}$ 와 `code` {i}\n" for i in range(300)), encoding="utf-8"
        )
    packages, warnings = [], []
    for name, threshold in (("one-process", 10**12), ("workers", 0)):
        monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / f"cache-{name}"))
        monkeypatch.setattr(build_module, "_ELSEWHERE_CHARS", threshold)
        (notes / "deckgen.lock").unlink(missing_ok=True)
        config = BuildConfig(sources=(notes,), outdir=tmp_path / name, timestamp=1_800_000_000)
        report = build_module.build(config)
        packages.append(report.package.read_bytes())
        warnings.append([str(d) for d in report.diagnostics])
    assert packages[0] == packages[1]
    assert warnings[0] == warnings[1] and any("remote image" in w for w in warnings[0])


def test_the_lock_read_while_files_are_parsed_elsewhere_reports_as_it_does_after_them(tmp_path, monkeypatch):
    """The lock is read while changed files are parsed in other processes: its warnings and its
    errors come out after the files' problems, as when everything is read in one process."""
    from deckgen import build as build_module
    from deckgen.errors import DeckgenError

    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    shutil.copy(FIXTURES / "placeholders.md", notes / "placeholders.md")  # warnings of its own
    (notes / "many.md").write_text(
        "".join(f"- **질문 {i}은 무엇인가요?**\n  - 답 $x_{i}$ 와 `code` {i}\n" for i in range(300)), encoding="utf-8")
    build_module.build(BuildConfig(sources=(notes,), outdir=tmp_path / "first", timestamp=1_800_000_000))
    lock = notes / "deckgen.lock"
    written = lock.read_text(encoding="utf-8")
    other = written.replace('"slug": "notes"', '"slug": "other"', 1)
    broken = written.replace('"format": 2', '"format": "two"', 1)
    assert other != written and broken != written

    def outcome(text: str, threshold: int, name: str) -> tuple:
        monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / f"cache-{name}"))  # every file parsed anew
        monkeypatch.setattr(build_module, "_ELSEWHERE_CHARS", threshold)
        lock.write_text(text, encoding="utf-8")
        config = BuildConfig(sources=(notes,), outdir=tmp_path / name, timestamp=1_800_000_000)
        try:
            report = build_module.build(config)
        except DeckgenError as exc:
            return "failed", exc.message, [str(d) for d in exc.diagnostics]
        return "built", report.package.read_bytes(), [str(d) for d in report.diagnostics]

    for kind, text in (("other", other), ("broken", broken)):
        here = outcome(text, 10**12, f"{kind}-here")
        elsewhere = outcome(text, 0, f"{kind}-elsewhere")
        assert elsewhere == here
        assert here[0] == ("built" if kind == "other" else "failed")
        assert any("placeholders.md" in d for d in here[2])  # the files' problems
        assert "deckgen.lock:" in here[2][-1]  # the lock's, last


def test_files_parsed_in_worker_processes_are_cached_there(tmp_path, monkeypatch):
    """Worker processes store their parses: the next build parses nothing, and a process that
    keeps parses in memory (`deckgen watch`) has them there too."""
    from deckgen import build as build_module
    from deckgen.cache import ParseCache

    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    for k in range(3):
        (notes / f"many-{k}.md").write_text(
            "".join(f"- **질문 {k}-{i}?**\n  - 답 $x_{i}$ 와 `code` {i}\n" for i in range(300)), encoding="utf-8"
        )
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(build_module, "_ELSEWHERE_CHARS", 0)
    monkeypatch.setattr(ParseCache, "memory", {})
    first = build_module.build(BuildConfig(sources=(notes,), outdir=tmp_path / "one", timestamp=1_800_000_000))
    names = sorted(p.name for p in notes.glob("*.md"))
    assert len(names) == 5
    kept = sorted(entry.file.source.rel for entry in ParseCache.memory.values())
    assert kept == names

    monkeypatch.setattr(ParseCache, "memory", None)  # from disk only
    monkeypatch.setattr(build_module, "_ELSEWHERE_CHARS", 10**12)  # a file parsed again would be parsed here
    (notes / "deckgen.lock").unlink()
    parsed: list[str] = []
    real = build_module._parse_one
    monkeypatch.setattr(build_module, "_parse_one", lambda job: parsed.append(job[0].rel) or real(job))
    second = build_module.build(BuildConfig(sources=(notes,), outdir=tmp_path / "two", timestamp=1_800_000_000))
    assert parsed == []
    assert second.package.read_bytes() == first.package.read_bytes()


def test_a_rebuild_parses_the_edited_file_in_a_worker_started_with_it(tmp_path, monkeypatch):
    """A rebuild starts a worker at once (it imports the markdown machinery while the build reads
    the settings and the files): the edited file is parsed there, and what the build writes and
    says is what a parse in the build's own process gives. A first build starts none."""
    import multiprocessing
    import os

    from deckgen import build as build_module

    notes = tmp_path / "notes"
    shutil.copytree(FIXTURES / "regen" / "v1", notes)
    shutil.copy(FIXTURES / "placeholders.md", notes / "placeholders.md")  # warnings of its own
    log = tmp_path / "parsed-by.log"
    real = parse_module.parse_file

    def noted(source, *args, **kwargs):  # inherited by the workers: each parse notes its process
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{source.rel} {os.getpid()}\n")
        return real(source, *args, **kwargs)

    monkeypatch.setattr(parse_module, "parse_file", noted)
    monkeypatch.setattr(build_module, "_cores", lambda: 2)
    monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / "cache"))
    build_module.build(BuildConfig(sources=(notes,), outdir=tmp_path / "dist", timestamp=1_800_000_000))
    by = {line.split()[0]: int(line.split()[1]) for line in log.read_text(encoding="utf-8").splitlines()}
    assert len(by) > 1 and set(by.values()) == {os.getpid()}  # a first build: all parsed here
    lock, b = notes / "deckgen.lock", notes / "b.md"
    lock_before, b_before = lock.read_bytes(), b.read_text(encoding="utf-8")

    def rebuild(name: str, cores: int) -> tuple:
        """b.md edited after the first build, rebuilt from its lock and parses."""
        lock.write_bytes(lock_before)
        b.write_text(b_before.replace("진동을 줄이고", "진동을 크게 줄이고"), encoding="utf-8")
        shutil.copytree(tmp_path / "cache", tmp_path / f"cache-{name}")
        monkeypatch.setenv("DECKGEN_CACHE", str(tmp_path / f"cache-{name}"))
        monkeypatch.setattr(build_module, "_cores", lambda: cores)
        log.unlink()
        report = build_module.build(BuildConfig(sources=(notes,), outdir=tmp_path / f"dist-{name}",
                                                timestamp=1_800_086_400))
        assert multiprocessing.active_children() == []  # the worker is ended with the files read
        parsed = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
        assert [rel for rel, _ in parsed] == ["b.md"]
        wrote = (report.package.read_bytes(), lock.read_bytes(), [str(d) for d in report.diagnostics], report.changes)
        return int(parsed[0][1]), wrote

    here_pid, here = rebuild("one-core", 1)  # one core: nothing to gain from a worker
    worker_pid, there = rebuild("two-cores", 2)
    assert here_pid == os.getpid() and worker_pid != os.getpid()
    assert there == here
    assert any("placeholders.md" in d for d in here[2]) and here[3]
