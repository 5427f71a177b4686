"""build(config) -> BuildReport: the pipeline, stage by stage."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from deckgen import inputs
from deckgen.atomic import JOURNAL_NAME, BuildLock, InterruptGuard, Staged, recover
from deckgen.cache import BuildRecords, CodeMemo, Entry, ParseCache, Record, stamp, store_at_once
from deckgen.errors import DeckgenError, Problems, count, ignore_interrupts
from deckgen.ids import fold
from deckgen.model import (
    BuildConfig,
    BuildReport,
    DeckConfig,
    Diagnostic,
    NoteFile,
    Prepared,
    SourceFile,
    SourceLocation,
    Unchanged,
)
from deckgen.sources import (
    LOCK_NAME,
    display_path,
    find_note_files,
    read_source,
    sources_root,
    summary_titles,
    unread_locks,
)

# A rebuild with nothing changed stops in build() before it needs the settings, the lock, the
# parser or the card style: those modules (markdown-it-py and Pygments among what they import)
# are imported where a build reads the notes.


Progress = Callable[[str], None]
"""Told what a build is doing now ("parsing 120/500 files"); the CLI draws it on a terminal."""


def _silent(_: str) -> None:
    pass


def collect(config: BuildConfig, problems: Problems, progress: Progress = _silent,
            meanwhile: Callable[[DeckConfig], None] | None = None,
            workers: _Workers | None = None) -> tuple[DeckConfig, list[NoteFile], Media]:
    """Read the settings and parse every note file (stages 1-2), collecting all problems.

    Files parsed in other processes are under way while the parses of the files that did not
    change are read here, and while `meanwhile` (given the deck's settings) does what the caller
    needs next; it is not called when every file is parsed here. `workers`: those the caller
    started (see _Workers), ended here; else they are started here."""
    root = sources_root(config.sources)
    with workers if workers is not None else _Workers.warm(root) as started:
        return _collect(config, root, problems, progress, meanwhile, started)


def _collect(config: BuildConfig, root: Path, problems: Problems, progress: Progress,
             meanwhile: Callable[[DeckConfig], None] | None, workers: _Workers) -> tuple[DeckConfig, list[NoteFile], Media]:
    from deckgen import config as deck_config
    from deckgen.media import Media

    deck = deck_config.load(root, config, problems)
    media = Media(root, problems, media_root=deck.media_root)
    shapes = dict(deck.files)
    titles = summary_titles(root)
    cache = ParseCache()
    jobs: list[_Job] = []
    paths = find_note_files(config.sources, root, deck.exclude, problems)
    if not paths:
        _no_note_files(config, root, deck, problems)
    for n, path in enumerate(paths, 1):
        progress(f"reading {n}/{count(len(paths), 'file')}")
        source = read_source(path, root, problems)
        if source is None:
            continue
        shape = shapes.get(source.rel, {}).get("shape")
        jobs.append((path, source, shape, cache.key(source, shape, media.repo)))
    if _keeping_tokens():
        _ahead[:] = _to_read_ahead(jobs, root, deck, titles, media.repo)
    stored = {key for *_, key in jobs if cache.holds(key)}
    kept = sum(len(source.text) for _path, source, _shape, key in jobs if key in stored)
    parsing = _Parsing([_parse_job(job, deck, titles) for job in jobs if job[3] not in stored], progress, kept,
                       workers)
    hits: dict[str, Entry] = {}
    for _path, source, _shape, key in jobs:
        if key in stored and (hit := cache.get(key, source)) is not None:
            hits[key] = hit
    # Their text is needed no more (the whole collection's text is a large part of a build's
    # memory): that of a file parsed elsewhere is only in the job handed out, until it is; only
    # a file whose stored parse cannot be used is parsed from the text here.
    jobs = [(path, source if key in stored and key not in hits else replace(source, text=""), shape, key)
            for path, source, shape, key in jobs]
    if meanwhile is not None and parsing.elsewhere:
        meanwhile(deck)
    files = _gather(jobs, hits, stored, parsing, deck, cache, media, titles, problems)
    files.sort(key=lambda f: f.order)
    if not any(f.notes for f in files) and not problems.errors:
        where = ", ".join(str(p) for p in config.sources)
        if any(f.skipped for f in files):  # questions without answers yet: nothing to review, no error
            problems.warn(None, f"no answered questions in {where}: every question found has no answer yet")
        else:
            read = ", ".join(f.source.display for f in files[:5]) + (", …" if len(files) > 5 else "")
            problems.error(None, f"no questions found in {where}\n"
                           f"note: read {count(len(files), 'note file')}{': ' + read if files else ''}\n"
                           f"note: {NO_QUESTIONS_HINT}")
    _warn_duplicates(files, problems)
    _check_pinned_ids(files, problems)
    return deck, files, media


def _gather(jobs: list[_Job], hits: dict[str, Entry], stored: set[str], parsing: _Parsing, deck: DeckConfig,
            cache: ParseCache, media: Media, titles: dict[Path, str], problems: Problems) -> list[NoteFile]:
    """Each file's notes in the order the files were found, from the cache or parsed now, with
    the problems they reported, the images they use, and their table-of-contents titles."""
    files: list[NoteFile] = []
    for job in jobs:
        path, source, _shape, key = job
        hit = hits.get(key)
        if hit is None:
            # Parsed elsewhere, or here if its stored parse could not be used (unreadable, or its
            # images changed).
            parsed, diagnostics, used = _parse_one(_parse_job(job, deck, titles)) if key in stored else next(parsing)
            if not any(d.severity == "error" for d in diagnostics):
                cache.remember(key, parsed, diagnostics, used)  # stored on disk where it was parsed
        else:
            parsed, diagnostics = hit.file, hit.diagnostics
            used = {name: Path(p) for name, p, *_ in hit.media}
        problems.extend(diagnostics)
        media.files.update(used)
        if not parsed.notes and not parsed.skipped and not _is_index(source):
            problems.warn(SourceLocation(source.display, 0), "no questions found in this file")
        if path.resolve() in titles:  # a collection's table of contents names its files best
            parsed = replace(parsed, title=titles[path.resolve()])
        # Read and parsed: its text is not kept (the whole collection's text is a large part of a
        # build's memory), nor a copy of it from a worker process.
        files.append(replace(parsed, source=replace(source, text="") if source.text else source))
    return files


def unread_lock_warnings(config: BuildConfig, root: Path) -> list[Diagnostic]:
    """Warn about a lock near these notes that the build does not read: the GUIDs in it are not kept.

    Looked for at every build, a rebuild with nothing changed too: whether the notes' own lock
    exists yet changes what the warning says."""
    problems = Problems()
    lock = root / LOCK_NAME
    for other in unread_locks(config.sources, root, LOCK_NAME):
        problems.warn(SourceLocation(display_path(other), 0),
                      f"this lock is not read (this build's lock is {display_path(lock)}): its GUIDs are used "
                      f"only by a build of {display_path(other.parent)}"
                      + ("" if lock.exists() else "; the notes it holds get new GUIDs here, so Anki would add "
                         "them again"))
    return problems.items


def _no_note_files(config: BuildConfig, root: Path, deck: DeckConfig, problems: Problems) -> None:
    """Say that the folders named hold no note file, and why when their files are all excluded."""
    where = ", ".join(str(p) for p in config.sources)
    excluded = len(find_note_files(config.sources, root, ())) if deck.exclude else 0
    why = f" (`exclude` in deckgen.toml leaves out the {count(excluded, 'file')} there)" if excluded else ""
    problems.error(None, f"no .md files in {where}{why}")


NO_QUESTIONS_HINT = (
    "deckgen finds questions written as headings that ask (`## 스택이란?`), numbered answer sections "
    "linked from an index (`[q](#1)` + `### #1`), `- **question?**` bullets, `<details><summary>`, "
    "`Q.`/`A.` lines, question lists, and bold or quoted questions; to force a reading, set "
    "`shape = \"...\"` for the file in deckgen.toml or `deckgen: {shape: ...}` in its front matter "
    "(anchored, bold-bullets, headings, details, qa, lists)"
)


def _is_index(source: SourceFile) -> bool:
    """A README: a collection's front page, often only a table of contents."""
    return source.path.name.lower() == "readme.md"


# Files that changed, this long together or longer (a few hundred questions), are parsed in other
# processes (one for each core, a file in each) when that pays: see _Parsing.
_ELSEWHERE_CHARS = 50_000

ParseJob = tuple[SourceFile, "str | None", DeckConfig, "str | None", str]
"""A file to parse: its source, its shape setting, the deck's settings, its table of contents'
title and its key in the parse cache."""
ParseResult = tuple[NoteFile, tuple[Diagnostic, ...], dict[str, Path]]
_Job = tuple[Path, SourceFile, "str | None", str]
"""A note file found: its path, source, shape setting and parse-cache key."""


def _parse_one(job: ParseJob, stored: bool = False) -> ParseResult:
    """Parse one file with its own problem list and media (so it can run in another process),
    and store the parse, and the code blocks it highlighted, in the cache; `stored`: the parse
    is there already."""
    from deckgen import parse  # only a file that changed needs the markdown machinery
    from deckgen.fonts import file_chars
    from deckgen.markdown import highlighted_before
    from deckgen.media import Media

    source, shape, deck, title, key = job
    problems = Problems()
    media = Media(deck.root, problems, media_root=deck.media_root)
    memo = CodeMemo(source.path)
    known = memo.get()
    with highlighted_before(known) as highlighted:
        parsed = parse.parse_file(source, problems, shape=shape, media=media)
    # Here, on the worker's core, and cached: what the font subsets, the lock and the package need of it.
    chars_kept = {} if _keeping_tokens() else None
    chars = file_chars(parsed, _chars.pop(source.rel, None), chars_kept)
    if chars_kept is not None:
        _chars[source.rel] = chars_kept
    parsed = replace(parsed, chars=chars, source=replace(source, text=""))  # its text is the caller's
    result = (prepare(parsed, deck, title), tuple(problems.items), media.files)
    if not any(d.severity == "error" for d in problems.items):
        if not stored:
            ParseCache().store(key, *result)
        if _keeping_tokens():
            # Notes taken from the last parse highlighted nothing now: their blocks are kept too.
            highlighted = {**known, **highlighted}
        if highlighted != known:  # the same blocks as last time: nothing to write
            memo.put(highlighted)
    return result


def prepare(file: NoteFile, deck: DeckConfig, title: str | None = None) -> NoteFile:
    """Find what the lock and the package need of each of a file's notes (see model.Prepared),
    for the file's subdeck under `title` (the table of contents' name for it), else its own."""
    from deckgen import lock as deck_lock
    from deckgen.ids import sketch
    from deckgen.notetype import plain
    from deckgen.package import packaged_fields

    name = deck_lock.deck_name(deck, replace(file, title=title) if title else file)
    before = _prepared.pop(file.source.rel, {}) if _keeping_tokens() else None
    kept: dict[tuple, Prepared] = {}
    prepared = []
    for note in file.notes:
        fields = deck_lock.note_fields(note, file)
        tags = deck_lock.note_tags(deck, file, note)
        key = (*fields[:4], tags, name, note.answer_text)  # all it depends on but the Source field's line
        made = before.get(key) if before else None
        if made is not None and made.fields[4] != fields[4]:  # moved: its Source field names another line
            made = made._replace(fields=fields, values=(*made.values[:4], fields[4])) if (
                plain(fields[4]) and plain(made.fields[4])) else None
        if made is None:
            values, findings = packaged_fields(fields)
            made = Prepared(fields, values, findings, deck_lock.content_hash(fields, tags, name),
                            sketch(note.answer_text))
        prepared.append(made)
        kept[key] = made
    if before is not None:
        _prepared[file.source.rel] = kept
    # Its sketch is what a rebuild compares an answer by: the text itself is not kept.
    notes = tuple(replace(note, answer_text="") for note in file.notes)
    return replace(file, notes=notes, prepared=tuple(prepared), prepared_for=(name, deck.tags))


_prepared: dict[str, dict[tuple, Prepared]] = {}
"""In a process that keeps the files' tokens (see reparse.keep), what `prepare` found of each
note of each file the last time, by all it was found from but the line its Source field names:
a note an edit did not reach is found again only where it moved."""
_chars: dict[str, dict[tuple, frozenset[str]]] = {}
"""The same for the characters of each note (see fonts.file_chars)."""


class _Parsing:
    """The files that changed, parsed in the order given: in other processes when that pays (see
    `_wanted`), under way from the start while the caller reads the parses it has; else here,
    each when it is asked for (`next`).

    Each job is taken out of `jobs` as it is handed out: a text is not kept once it is parsed
    (nor, sent to a worker, the UTF-8 copy of it that pickling it leaves beside it)."""

    def __init__(self, jobs: list[ParseJob], progress: Progress, kept: int, workers: _Workers) -> None:
        """`kept`: how long the files are whose parses the caller reads from the cache meanwhile;
        `workers`: the processes to parse in, which the caller ends (see _Workers)."""
        self.jobs, self.progress, self.done = jobs, progress, 0
        wanted = self._wanted(sum(len(job[0].text) for job in jobs), kept, workers.ready)
        self.elsewhere = wanted > 0
        self._results = None
        if not self.elsewhere:
            workers.close()  # a worker started for nothing takes no core from the parse here
        else:
            progress(f"parsing 0/{count(len(jobs), 'file')}")
            self._results = workers.pool(wanted).imap(_parse_one, _handed_out(jobs), chunksize=1)  # in order

    def _wanted(self, changed: int, kept: int, warm: bool) -> int:
        """How many other processes parse the files that changed, sooner than this one would (0:
        none, they are parsed here).

        A worker started now costs about 0.1 s (its start, and the parse sent back). That pays
        when the files are shared by two cores or more, or when this process has as much to do
        meanwhile: reading the other files' parses and the lock, about 0.15 s a million
        characters of notes. One 500-question file edited among 20 (10,000 questions): 2.7 s
        against 2.8 s here (medians of 9); among 2: 1.5 s against 1.4 s. A worker started
        with the rebuild (see _Workers) is ready by the time the files are known: only sending
        the parse back is left, which pays for a file shorter than a few hundred questions, or
        beside four times its length of other notes. One file edited among 23 real ones (337
        questions): 0.67 s against 0.76 s without a worker started with the rebuild (medians of
        15); one of the 20 files above: 2.09 s against 2.35 s (medians of 11); one of two
        500-question files, sent to it: 1.22 s against 1.06 s, so that one is parsed here. A
        process that keeps the files' tokens (`deckgen watch`) rereads one edited file faster
        than another process reads it whole."""
        if not self.jobs or (len(self.jobs) == 1 and _keeping_tokens()):
            return 0
        shared = len(self.jobs) > 1 and _cores() > 1 and changed >= 4 * _ELSEWHERE_CHARS
        if shared or (changed >= _ELSEWHERE_CHARS and kept >= 20 * _ELSEWHERE_CHARS):
            return min(len(self.jobs), _cores())
        return 1 if warm and (changed < _ELSEWHERE_CHARS or kept >= 4 * changed) else 0

    def __next__(self) -> ParseResult:
        self.done += 1
        if self._results is None:
            self.progress(f"parsing {self.done}/{count(len(self.jobs), 'file')}")
            job, self.jobs[self.done - 1] = self.jobs[self.done - 1], None
            return _parse_one(job)
        result = next(self._results)
        self.progress(f"parsing {self.done}/{count(len(self.jobs), 'file')}")
        return result


class _Workers:
    """The processes files are parsed in, ended when the files are read.

    A rebuild starts one at once (`warm`), which imports the markdown machinery while this
    process reads the settings and the files and finds which of them changed; those that did
    are then parsed there while this process reads the parses of the others and the lock, when
    that pays (see _Parsing._wanted); it is ended at once when it does not."""

    def __init__(self) -> None:
        self._pool = None
        self._size = 0

    @classmethod
    def warm(cls, root: Path) -> _Workers:
        """One worker, started now, for a rebuild (a lock and parses kept from a build before);
        none for a first build, on one core, or in a process that rereads files itself."""
        workers = cls()
        if _cores() > 1 and not _keeping_tokens() and (root / LOCK_NAME).is_file() and os.path.isdir(
                os.path.join(inputs.cache_dir(), "parse")):
            workers._start(1, _ready_worker)
        return workers

    @property
    def ready(self) -> bool:
        """Whether a worker is started already."""
        return self._pool is not None

    def pool(self, size: int):
        """A pool of `size` workers: those started, if there are as many."""
        if self._size != size:
            self.close()
            self._start(size, _start_worker)
        return self._pool

    def _start(self, size: int, ready: Callable[[], None]) -> None:
        import multiprocessing

        self._pool = multiprocessing.get_context("fork").Pool(size, initializer=ready)
        self._size = size

    def close(self) -> None:
        # Ctrl-C reaches the whole process group: the workers ignore it and are ended here, so
        # only one message is printed.
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool, self._size = None, 0

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _handed_out(jobs: list[ParseJob]) -> Iterator[ParseJob]:
    """Each job in turn, taken out of the list as it is given."""
    for i in range(len(jobs)):
        job, jobs[i] = jobs[i], None
        yield job


def keep_in_memory() -> None:
    """For a process that builds again and again (`deckgen server`, `deckgen watch`): keep each
    file's tokens, its parse and what was made of its notes, and the lock it writes, so that each
    build reads and makes again only what changed since the one before."""
    from deckgen import lock as deck_lock
    from deckgen import reparse

    reparse.keep()  # an edited file is reread only where the edit reached
    ParseCache.keep_in_memory()
    deck_lock.keep_written()  # the lock it wrote is not read again


_READ_AHEAD_MOST = 250_000
"""The most characters of notes a keeping process reads ahead (see read_ahead): what it then
holds of them is some 100 bytes a character (a 500-question file of the benchmark's, 160,000
characters, is 15 MiB of tokens and what was made of them), so about 25 MiB at most."""
_ahead: list[tuple] = []
"""The note files of the last build, to read ahead (see read_ahead)."""


def _to_read_ahead(jobs: list[_Job], root: Path, deck: DeckConfig, titles: dict[Path, str],
                   repo: Path | None) -> list[tuple]:
    """What read_ahead reads after a build of `jobs`: the files changed last first (the file a
    user edits next is most often one they edited just before), as many as are short enough
    together; a file too long for what is left is passed over for shorter ones. A file whose
    tokens are held already counts too (it is not read again): what is held of the newest files
    stays within the budget."""
    def changed(job: _Job) -> int:
        try:
            return os.stat(job[0]).st_mtime_ns
        except OSError:
            return 0

    chosen, left = [], _READ_AHEAD_MOST
    for path, source, shape, key in sorted(jobs, key=changed, reverse=True):
        if len(source.text) <= left:
            left -= len(source.text)
            chosen.append((path, root, shape, key, deck, titles.get(path.resolve()), repo))
    return chosen


def read_ahead(pending: Callable[[], bool]) -> int:
    """In a process that keeps the files' tokens (see keep_in_memory), between builds: parse the
    files of the last build whose tokens it does not hold (their parses came from the cache, or
    from other processes), so that even their first edit is reread only where it reached. Each
    is parsed as a build parses it; one that changed since is left to the next build. Stops
    before the next file when `pending()` (a build waits); reads no more than it may hold (see
    _to_read_ahead). Returns how many files it read."""
    from deckgen import reparse

    done = 0
    while _ahead:
        if reparse.kept(str(_ahead[0][0])) is not None:
            del _ahead[0]  # its tokens are held already
            continue
        if pending():
            break
        path, root, shape, key, deck, title, repo = _ahead.pop(0)
        source = read_source(path, root, Problems())
        if source is None or ParseCache().key(source, shape, repo) != key:
            continue
        _parse_one((source, shape, deck, title, key), stored=True)  # as the build stored it
        done += 1
    return done


def _keeping_tokens() -> bool:
    """Whether this process keeps the tokens of the files it parsed (see reparse.keep)."""
    reparse = sys.modules.get("deckgen.reparse")  # not imported: none kept, and none imported here for it
    return reparse is not None and reparse.keeping()


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _parse_job(job: _Job, deck: DeckConfig, titles: dict[Path, str]) -> ParseJob:
    path, source, shape, key = job
    return (source, shape, deck, titles.get(path.resolve()), key)


def _start_worker() -> None:
    """A worker parses file after file and holds none of them after: it collects as usual.

    It writes to the process's own output, never to streams it was forked with: a build server
    sends its builds' output to their clients (see resident.py)."""
    ignore_interrupts()
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    gc.set_threshold(*_COLLECTING)
    gc.enable()  # forked from a build server, which collects only while it waits
    store_at_once()  # its parses are stored by it, at once: the build's process never writes them


def _ready_worker() -> None:
    """Start a worker with what parsing a file needs imported (see _Workers)."""
    _start_worker()
    try:
        from deckgen import package, parse  # noqa: F401 (what _parse_one needs)
        from deckgen.fonts import file_chars  # noqa: F401
        from deckgen.markdown import markdown
        from deckgen.media import Media  # noqa: F401

        markdown()
    except Exception:  # noqa: BLE001 (a parse that needs it says what is wrong, in the build)
        pass


_COLLECTING = gc.get_threshold()


@contextmanager
def _no_full_collections() -> Iterator[None]:
    """Keep Python's collector from sweeping the whole heap while a build runs.

    What a build reads stays until it ends (a rebuild holds every cached parse and lock entry), and
    each full collection walks all of it: three of them were a tenth of a rebuild of 10,000 notes.
    The young generations are still collected as usual. A parse leaves few cycles (a question and
    its sub-questions); those of the files parsed here wait for the first full collection after
    the build."""
    before = gc.get_threshold()
    gc.set_threshold(before[0], before[1], 1 << 30)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _warn_duplicates(files: list[NoteFile], problems: Problems) -> None:
    """Warn about a question asked twice; both notes are kept, each with its own GUID."""
    first: dict[tuple[str, str], SourceLocation] = {}
    for f in files:
        for note in f.notes:
            key = (fold(note.question_text), note.context)
            if key in first:
                problems.warn(note.location, f'duplicate question "{note.question_text}" (also at {first[key]})')
            else:
                first[key] = note.location


def _check_pinned_ids(files: list[NoteFile], problems: Problems) -> None:
    """An id pinned in the markdown (`<!-- id: x -->`) names one note: pinned twice is an error."""
    first: dict[str, str] = {}
    for f in files:
        for note in f.notes:
            if not note.pinned_id:
                continue
            if note.pinned_id in first:
                problems.error(note.location, f'the id "{note.pinned_id}" is pinned to two questions (also at '
                               f"{first[note.pinned_id]}); give each question an id of its own")
            else:
                first[note.pinned_id] = str(note.location)


def build(config: BuildConfig, progress: Progress = _silent) -> BuildReport:
    """Build one versioned package from the sources, or fail having changed nothing.

    One build of the same notes at a time (see BuildLock); a commit that an earlier build left
    half-done is finished or undone first (see atomic.recover). `progress` is told each step.
    """
    root = sources_root(config.sources)
    guard = InterruptGuard()
    try:
        with BuildLock(root, config.outdir) as held, _no_full_collections():
            notes = [*held.diagnostics, *_recover(root), *unread_lock_warnings(config, root)]
            records = BuildRecords(root, config.outdir)
            last = records.get(_fingerprint(config))
            if last is not None:  # nothing changed since the last build: say so, and stop here
                report = _again(last)
            else:
                report, media, linked = _build(config, guard, progress)
                if report.package is not None:
                    from deckgen import lock as deck_lock

                    # The images packaged, and the note files outside the sources whose questions
                    # the cards name (the notes' links): inputs too, that the fingerprint misses.
                    stamps = (*((str(p), *stamp(p)) for p in media.values()), *linked)
                    # A rebuild with nothing changed says again what this build said, but for what
                    # only a first build says.
                    again = tuple(d for d in report.diagnostics if not deck_lock.said_once(d))
                    # Its changes are not kept: a rebuild with nothing changed has none to report.
                    records.put(Record(fingerprint=_fingerprint(config),
                                       report=replace(report, diagnostics=again, changes=()),
                                       media=stamps))
    finally:
        interrupted = guard.release()
    if interrupted:  # it came while the files were replaced: too late to stop, so they all were
        notes.append(Diagnostic("warning", "interrupted while the package was being written; it was finished first"))
    return replace(report, diagnostics=(*notes, *report.diagnostics)) if notes else report


def _recover(root: Path) -> list[Diagnostic]:
    """Finish or undo what a killed build left half-written, without stopping half-way itself."""
    guard = InterruptGuard()
    guard.hold()
    try:
        done = recover(root / JOURNAL_NAME)
    finally:
        interrupted = guard.release()
    if interrupted:
        if done is None:
            raise KeyboardInterrupt
        raise DeckgenError(f"interrupted: {done.location}: {done.message}; nothing else was changed")
    return [done] if done else []


def _again(last: Record) -> BuildReport:
    """What a rebuild with nothing changed since the build `last` records reports."""
    return replace(last.report, changes=(), up_to_date=True, lock_state="unchanged")


def _inputs(config: BuildConfig) -> tuple[Path, tuple[Path, ...], str, Path]:
    """What the fingerprint of a build is taken over: its root, its sources, its other settings
    (as text; the working folder too, from which its messages name files) and the templates."""
    from deckgen.notetype import SCHEMA, templates_dir

    options = (config.deck_name, config.version, config.strict, config.migrate_notetype, SCHEMA.fingerprint(),
               [str(p.resolve()) for p in config.sources], str(config.outdir), os.getcwd())
    return sources_root(config.sources), config.sources, repr(options), templates_dir()


def _fingerprint(config: BuildConfig) -> str:
    return inputs.fingerprint(*_inputs(config))


def unchanged_since(config: BuildConfig) -> tuple[BuildReport, Unchanged] | None:
    """What a rebuild of `config` would report now if it changed nothing, and what tells that it
    would; None if it would build."""
    root, sources, options, templates = _inputs(config)
    fingerprint = inputs.fingerprint(root, sources, options, templates)
    records = BuildRecords(root, config.outdir)
    try:
        seen = inputs.stamp(records.path)  # before it is read: a record written since is another one
    except OSError:
        return None
    last = records.get(fingerprint)
    if last is None:
        return None
    return _again(last), Unchanged(
        sources=tuple(map(str, sources)), root=str(root), outdir=str(config.outdir), options=options,
        templates=str(templates), fingerprint=fingerprint, record=(str(records.path), *seen),
        package=str(last.report.package), media=last.media)


class _LockRead:
    """The lock, read while files are parsed in other processes (see collect), else after them;
    what it reports comes after what they do either way."""

    def __init__(self) -> None:
        self._read: tuple[dict | None, Problems, DeckgenError | None] | None = None

    def read(self, deck: DeckConfig) -> None:
        import genanki  # noqa: F401 (what the build needs next, imported while it waits)

        from deckgen import lock as deck_lock

        problems = Problems()
        try:
            self._read = (deck_lock.read(deck, problems), problems, None)
        except DeckgenError as exc:
            self._read = (None, problems, exc)

    def state(self, deck: DeckConfig, problems: Problems) -> dict | None:
        """The lock's state, its problems added to `problems`."""
        if self._read is None:
            self.read(deck)
        state, own, failed = self._read
        problems.extend(own.items)
        if failed is not None:  # reported with every other problem, the lock's advice last
            raise DeckgenError(failed.message, (*problems.items, *failed.diagnostics)) from failed
        return state


def _build(config: BuildConfig, guard: InterruptGuard | None = None,
           progress: Progress = _silent) -> tuple[BuildReport, dict[str, Path], tuple[tuple, ...]]:
    with _Workers.warm(sources_root(config.sources)) as workers:  # first: it imports while this process does
        from deckgen import config as deck_config
        from deckgen import lock as deck_lock
        from deckgen.style import card_css

        problems = Problems()
        lock = _LockRead()
        deck, files, images = collect(config, problems, progress, meanwhile=lock.read, workers=workers)
    state = lock.state(deck, problems)
    problems.raise_if_failed(config.strict)
    had_lock = state is not None

    css, fonts = card_css(files, deck.font)
    media = {p.name: p for p in fonts} | images.files
    if config.version is None and deck.version != "semver":
        config = replace(config, version=deck.version)  # deckgen.toml pins the version
    if state is None:  # no lock: rebuilt from the newest package, if there is one
        state = deck_lock.recover(deck, config.outdir, files, css, problems)
        problems.raise_if_failed(config.strict)
    progress(f"matching {count(sum(len(f.notes) for f in files), 'note')} with the lock")
    plan = deck_lock.plan(state, deck, files, css, config)
    report_args = dict(
        version=plan.version,
        notes=len(plan.cards),
        subquestions=sum(1 for c in plan.cards if c.note.parent_key),
        skipped=sum(f.skipped for f in files),
        files=len(files),
        changes=plan.changes,
        steps=plan.steps,
    )
    target = config.outdir / f"{deck.slug}-v{plan.version}.apkg"
    up_to_date = plan.up_to_date and target.exists()
    if target.exists() and not plan.up_to_date:
        raise DeckgenError(
            f"{target}: error: version {plan.version} was already written with other content; "
            "versions are never overwritten (pass --version to choose a new one)"
        )
    # Read before anything is written: a changelog that cannot be kept stops the build here.
    changelog = None if plan.up_to_date else deck_lock.changelog_text(config.outdir)
    settings = deck_config.retitled(deck.root, deck.title) if config.deck_name else None
    # The package and changelog are replaced first and the lock last: the lock records the build.
    zipping = None
    with Staged(journal=deck.root / JOURNAL_NAME, guard=guard) as staged:
        try:
            if not up_to_date:
                progress(f"writing {display_path(target)}")
                from deckgen.package import write_package  # genanki: only when writing

                written, zipping = write_package(staged, target, list(plan.cards), css, plan.notetype_mtime,
                                                 deck.title, plan.description, media, plan.packaged)
                problems.extend(written)  # what the package writer warns about, at each note
                problems.raise_if_failed(config.strict)  # before anything is replaced
            if changelog is not None:
                deck_lock.append_changelog(staged, plan, config.outdir, target, changelog)
            if settings is not None:  # a rename is kept, so that the next build does not undo it
                staged.write_text(deck.root / deck_config.CONFIG_NAME, settings)
            # Written when it changed (e.g. an id pinned without any change to the cards), and when
            # there was none: one recovered from the package is the same, but not on disk yet.
            lock_written = plan.state != state or not had_lock
            if lock_written:
                deck_lock.write_lock(staged, deck.root, plan)
        except BaseException:
            if zipping is not None:  # done with its file before the staged files are removed
                zipping.wait(quiet=True)
            raise
        if zipping is not None:  # zipped meanwhile (see package.Zipping)
            zipping.wait()
    lock_state = "unchanged" if not lock_written else "updated" if had_lock else "new"
    report = BuildReport(package=target, up_to_date=up_to_date, diagnostics=tuple(problems.items),
                         lock=deck.root / deck_lock.LOCK_NAME, lock_state=lock_state, **report_args)
    return report, media, tuple(sorted({seen for f in files for seen in f.depends}))
