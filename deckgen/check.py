"""`deckgen check`: parse everything a build would and report it, writing nothing."""

from __future__ import annotations

from dataclasses import dataclass

from deckgen import lock as deck_lock
from deckgen.atomic import JOURNAL_NAME
from deckgen.build import collect, unread_lock_warnings
from deckgen.errors import DeckgenError, Problems, count
from deckgen.model import BuildConfig, Diagnostic, NoteFile, SourceLocation
from deckgen.sources import display_path


@dataclass(frozen=True, slots=True)
class CheckReport:
    """What `check` found: every problem, a line per file, and how it ends."""

    diagnostics: tuple[Diagnostic, ...]
    lines: tuple[str, ...]
    exit_code: int


def file_line(f: NoteFile) -> str:
    """`notes/os.md (headings): 5 questions, 2 sub-questions, 1 skipped`."""
    subs = sum(1 for n in f.notes if n.parent_key)
    return (f"{f.source.display} ({f.shape or 'no shape'}): {count(len(f.notes) - subs, 'question')}, "
            f"{count(subs, 'sub-question')}, {f.skipped} skipped")


def question_lines(f: NoteFile) -> list[str]:
    """Every question of a file at its line, and what could have been one and why it is not."""
    found = [(n.location.line, f"{'sub-question' if n.parent_key else 'question'}: {n.question_text}")
             for n in f.notes]
    found += [(line, f"not a question: {text} ({why})") for line, text, why in f.passed]
    return [f"  {f.source.display}:{line}: {what}" for line, what in sorted(found, key=lambda x: x[0])]


def run_check(config: BuildConfig, verbose: bool = False) -> CheckReport:
    """Read the settings and parse every note file like a build, then summarise (with every
    question, and every near miss, when verbose)."""
    problems = Problems()
    deck, files, _media = collect(config, problems)
    advice = ""
    try:  # the lock as a build reads it: a broken one stops a build, so it fails the check too
        deck_lock.read(deck, problems)
    except DeckgenError as exc:
        problems.extend(exc.diagnostics)
        advice = exc.message
    problems.extend(unread_lock_warnings(config, deck.root))
    journal = deck.root / JOURNAL_NAME
    if journal.exists():
        problems.warn(SourceLocation(display_path(journal), 0),
                      "a build was interrupted while it wrote its files; the next build finishes or undoes it")
    lines = []
    for f in files:
        lines.append(file_line(f))
        if verbose:
            lines.extend(question_lines(f))
    notes = [n for f in files for n in f.notes]
    subs = sum(1 for n in notes if n.parent_key)
    errors, warnings = len(problems.errors), len(problems.warnings)
    lines.append(
        f"{count(len(files), 'file')}: {count(len(notes) - subs, 'question')}, "
        f"{count(subs, 'sub-question')}, {sum(f.skipped for f in files)} skipped; "
        f"{count(errors, 'error')}, {count(warnings, 'warning')}"
    )
    if advice:
        lines.append(advice)
    if errors:
        lines.append(f"check failed: {count(errors, 'error')}")
    elif warnings and config.strict:
        lines.append(f"check failed: {count(warnings, 'warning')} (--strict)")
    else:
        lines.append(f'ok: deck "{deck.title}" from {display_path(deck.root)}; nothing was written')
    failed = bool(errors or (warnings and config.strict))
    return CheckReport(tuple(problems.items), tuple(lines), 1 if failed else 0)
