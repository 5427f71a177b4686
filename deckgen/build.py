"""build(config) -> BuildReport: the pipeline, stage by stage."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from deckgen import config as deck_config
from deckgen import lock as deck_lock
from deckgen.atomic import Staged
from deckgen.cache import BuildRecords, ParseCache, Record
from deckgen.errors import DeckgenError, Problems
from deckgen.ids import fold
from deckgen.media import Media
from deckgen.model import BuildConfig, BuildReport, DeckConfig, NoteFile, SourceLocation
from deckgen.sources import find_note_files, read_source, sources_root, summary_titles
from deckgen.style import card_css


def collect(config: BuildConfig, problems: Problems) -> tuple[DeckConfig, list[NoteFile], Media]:
    """Read the settings and parse every note file (stages 1-2), collecting all problems."""
    root = sources_root(config.sources)
    deck = deck_config.load(root, config, problems)
    media = Media(root, problems, media_root=deck.media_root)
    shapes = dict(deck.files)
    titles = summary_titles(root)
    cache = ParseCache()
    files: list[NoteFile] = []
    for path in find_note_files(config.sources, root, deck.exclude):
        source = read_source(path, root, problems)
        if source is None:
            continue
        settings = shapes.get(source.rel, {})
        key = cache.key(source, settings.get("shape"), media.repo)
        hit = cache.get(key)
        if hit is not None:
            parsed = hit.file
            problems.extend(hit.diagnostics)
            media.files.update((name, Path(path)) for name, path, _, _ in hit.media)
        else:
            mark = len(problems.items)
            from deckgen import parse  # only a file that changed needs the markdown machinery

            parsed = parse.parse_file(source, problems, shape=settings.get("shape"), media=media)
            if not any(d.severity == "error" for d in problems.items[mark:]):
                cache.put(key, parsed, tuple(problems.items[mark:]), media.files)
        if not parsed.notes and not parsed.skipped:
            problems.warn(SourceLocation(source.display, 0), "no questions found in this file")
        if path.resolve() in titles:  # a collection's table of contents names its files best
            parsed = replace(parsed, title=titles[path.resolve()])
        files.append(parsed)
    files.sort(key=lambda f: f.order)
    if not any(f.notes for f in files) and not problems.errors:
        where = ", ".join(str(p) for p in config.sources)
        problems.error(None, f"no questions found in {where}")
    _warn_duplicates(files, problems)
    return deck, files, media


def _warn_duplicates(files: list[NoteFile], problems: Problems) -> None:
    """Warn about a question asked twice; both notes are kept, each with its own GUID."""
    first: dict[tuple[str, str], str] = {}
    for f in files:
        for note in f.notes:
            key = (fold(note.question_text), note.context)
            if key in first:
                problems.warn(note.location, f'duplicate question "{note.question_text}" (also at {first[key]})')
            else:
                first[key] = str(note.location)


def build(config: BuildConfig) -> BuildReport:
    """Build one versioned package from the sources, or fail having changed nothing."""
    records = BuildRecords(sources_root(config.sources), config.outdir)
    last = records.get(_fingerprint(config))
    if last is not None:  # nothing changed since the last build: say so, and stop here
        return BuildReport(package=Path(last.package), version=last.version, notes=last.notes,
                           subquestions=last.subquestions, skipped=last.skipped, files=last.files,
                           diagnostics=last.diagnostics, up_to_date=True)
    report, media = _build(config)
    if report.package is not None:
        records.put(Record(
            fingerprint=_fingerprint(config), package=str(report.package), version=report.version,
            notes=report.notes, subquestions=report.subquestions, skipped=report.skipped,
            files=report.files, diagnostics=report.diagnostics,
            media=tuple((str(p), *_stat(p)) for p in media.values()),
        ))
    return report


def _fingerprint(config: BuildConfig) -> str:
    from deckgen.notetype import templates_dir

    options = (config.deck_name, config.version, config.strict, [str(p.resolve()) for p in config.sources])
    return BuildRecords.fingerprint(sources_root(config.sources), config.sources, options, templates_dir())


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_mtime_ns, st.st_size


def _build(config: BuildConfig) -> tuple[BuildReport, dict[str, Path]]:
    problems = Problems()
    deck, files, images = collect(config, problems)
    problems.raise_if_failed(config.strict)

    css, fonts = card_css(files)
    media = {p.name: p for p in fonts} | images.files
    if config.version is None and deck.version != "semver":
        config = replace(config, version=deck.version)  # deckgen.toml pins the version
    state = deck_lock.load(deck.root)
    plan = deck_lock.plan(state, deck, files, css, config)
    report_args = dict(
        version=plan.version,
        notes=len(plan.cards),
        subquestions=sum(1 for c in plan.cards if c.note.parent_key),
        skipped=sum(f.skipped for f in files),
        files=len(files),
        diagnostics=tuple(problems.items),
        changes=plan.changes,
    )
    target = config.outdir / f"{deck.slug}-v{plan.version}.apkg"
    up_to_date = plan.up_to_date and target.exists()
    if target.exists() and not plan.rewrite_allowed:
        raise DeckgenError(
            f"{target}: error: version {plan.version} was already written with other content; "
            "versions are never overwritten (pass --version to choose a new one)"
        )
    with Staged() as staged:
        if not up_to_date:
            from deckgen.package import write_package  # genanki: only when writing

            write_package(staged, target, list(plan.cards), css, plan.notetype_mtime, deck.title,
                          plan.description, media)
        if plan.state != state:  # e.g. an id pinned without any change to the cards
            deck_lock.write_lock(staged, deck.root, plan)
        if not plan.up_to_date:
            deck_lock.append_changelog(staged, plan, config.outdir, target)
    return BuildReport(package=target, up_to_date=up_to_date, **report_args), media
