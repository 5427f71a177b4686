"""The command line: options -> BuildConfig -> build(); printing, nothing else."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

from deckgen import __version__
from deckgen.errors import DeckgenError, count
from deckgen.model import BuildConfig, BuildReport, Diagnostic
from deckgen.textsafe import printable

_SOURCES = click.argument("sources", nargs=-1, type=click.Path(path_type=Path))


def _shown(text: str) -> str:
    """What comes from the notes (a question, a file name) may hold escape sequences or bidi
    controls: they are shown, never sent to the terminal as they are."""
    return "\n".join(map(printable, text.split("\n")))


def _echo(text: str, err: bool = False) -> None:
    """Print output (see _shown)."""
    click.echo(_shown(text), err=err)


def _print_diagnostics(diagnostics: tuple[Diagnostic, ...]) -> None:
    for d in diagnostics:
        _echo(str(d), err=True)


def _run(action, interrupted: str = "interrupted: nothing was changed"):
    try:
        return action()
    except DeckgenError as exc:
        _print_diagnostics(exc.diagnostics)
        _echo(exc.message, err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo(interrupted, err=True)
        sys.exit(130)


def _given(sources: tuple[Path, ...], command: str) -> tuple[Path, ...]:
    """The files and folders to read: those named, else sources/ (and, with none, what to type)."""
    if sources:
        return sources
    if not Path("sources").is_dir():
        _echo(f"error: no sources/ folder here: give the folder of your notes, "
              f"`deckgen {command} path/to/notes`", err=True)
        sys.exit(2)
    return (Path("sources"),)


def _build_options(command):
    """The options `build` and `push` share: where the package goes and what it is called."""
    for option in reversed((
        click.option("-o", "--outdir", type=click.Path(path_type=Path), default=Path("dist"), show_default=True,
                     help="Folder for the .apkg files and CHANGELOG.md."),
        click.option("--deck-name", help="Rename the root deck (kept as the title in deckgen.toml)."),
        click.option("--version", "version", metavar="X.Y.Z", help="Set the package version explicitly."),
        click.option("--strict", is_flag=True, help="Fail on any warning."),
    )):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deckgen")
def cli() -> None:
    """Turn markdown study notes into versioned Anki decks."""


@cli.command()
@_SOURCES
@_build_options
@click.option("--migrate-notetype", is_flag=True,
              help="Accept a notetype whose fields or card types changed (a major version; says how to import it).")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors: no progress line, no report.")
def build(sources: tuple[Path, ...], outdir: Path, deck_name: str | None, version: str | None,
          strict: bool, migrate_notetype: bool, quiet: bool) -> None:
    """Build SOURCES (files or folders; default: sources/) into one .apkg."""
    if version is not None:
        if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", version):
            raise click.BadParameter("expected MAJOR.MINOR.PATCH, e.g. 1.2.0", param_hint="--version")
        version = ".".join(str(int(part)) for part in version.split("."))  # 01.0.0 is 1.0.0
    config = BuildConfig(sources=_given(sources, "build"), outdir=outdir, deck_name=deck_name,
                         version=version, strict=strict, migrate_notetype=migrate_notetype)
    report = _run(lambda: _build(config, show_progress=not quiet))
    try:
        _print_diagnostics(report.diagnostics)
        if not quiet:
            _print_report(report)
        if _command_line and _command_line[0] == "build":
            _remember(_command_line, config, quiet)
    except KeyboardInterrupt:  # the build is already written: only its report was cut short
        click.echo("interrupted: the build was already written", err=True)
        sys.exit(130)
    return report  # for `push`, which builds first


_command_line: list[str] | None = None
"""The arguments main() was started with (None when the CLI is invoked otherwise)."""


def _remember(argv: list[str], config: BuildConfig, quiet: bool) -> None:
    """Keep what a rebuild with nothing changed would print for these arguments (see uptodate.py)."""
    from deckgen.build import unchanged_since
    from deckgen.uptodate import remember

    found = unchanged_since(config)
    if found is None:
        return
    report, unchanged = found
    err = "".join(_shown(str(d)) + "\n" for d in report.diagnostics)
    out = "" if quiet else "".join(_shown(line) + "\n" for line in _up_to_date_lines(report))
    remember(argv, unchanged, click=click.__file__, err=err, out=out)


@cli.command()
@_SOURCES
@click.option("-o", "--outdir", type=click.Path(path_type=Path), default=Path("preview"), show_default=True,
              help="Folder for index.html and the files it uses.")
@click.option("--mathjax", type=click.Path(path_type=Path, exists=True),
              help="A local MathJax 3 (tex-chtml.js or its folder) to typeset math with.")
@click.option("--changed", "changed_only", is_flag=True,
              help="Only the notes new or edited since the last build (deckgen.lock).")
def preview(sources: tuple[Path, ...], outdir: Path, mathjax: Path | None, changed_only: bool) -> None:
    """Render every card of SOURCES into OUTDIR/index.html to look at in a browser."""
    from deckgen.preview import write_preview

    config = BuildConfig(sources=_given(sources, "preview"), outdir=outdir)
    report = _run(lambda: write_preview(config, outdir, mathjax, changed_only=changed_only))
    _print_diagnostics(report.diagnostics)
    _echo(f"wrote {report.index} ({count(report.cards, 'card')}, {report.changed} new or edited since the last build; "
          + (f"math by {report.mathjax})" if report.mathjax else "math as TeX: no MathJax found)"))


@cli.command()
@_SOURCES
@click.option("-o", "--outdir", type=click.Path(path_type=Path), default=Path("preview"), show_default=True,
              help="Folder for the preview it serves.")
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--mathjax", type=click.Path(path_type=Path, exists=True),
              help="A local MathJax 3 (tex-chtml.js or its folder) to typeset math with.")
def watch(sources: tuple[Path, ...], outdir: Path, port: int, mathjax: Path | None) -> None:
    """Preview SOURCES in a browser and update it on every save (the preview only: `build` writes the package)."""
    from deckgen.watch import watch as run_watch

    config = BuildConfig(sources=_given(sources, "watch"), outdir=outdir)
    _run(lambda: run_watch(config, outdir, port=port, mathjax=mathjax, echo=_echo))


@cli.command()
def server() -> None:
    """Keep a build process ready: `deckgen build` run in this folder hands it its work (Ctrl-C stops it)."""
    from deckgen.resident import serve

    _run(lambda: serve(echo=_echo))


@cli.command()
@_SOURCES
@click.option("--strict", is_flag=True, help="Fail on any warning.")
@click.option("-v", "--verbose", is_flag=True,
              help="List every question at its line, and what looks like one but is not, with why.")
def check(sources: tuple[Path, ...], strict: bool, verbose: bool) -> None:
    """Parse SOURCES and report problems and per-file counts; write nothing."""
    from deckgen.check import run_check

    report = _run(lambda: run_check(BuildConfig(sources=_given(sources, "check"), outdir=Path("dist"),
                                                strict=strict), verbose=verbose))
    _print_diagnostics(report.diagnostics)
    for line in report.lines:
        _echo(line)
    sys.exit(report.exit_code)


def _build(config: BuildConfig, show_progress: bool = False) -> BuildReport:
    from deckgen.build import build as run_build  # imported here: `--help` stays instant
    from deckgen.progress import Progress, on_terminal

    if not (show_progress and on_terminal()):
        return run_build(config)
    with Progress() as progress:  # erased before anything else is printed, an error too
        return run_build(config, progress)


_MOST_SHOWN = 25  # added or edited notes listed on the terminal; CHANGELOG.md has them all


def _up_to_date_lines(report: BuildReport) -> list[str]:
    return [f"{report.package} is up to date (version {report.version}); nothing to do", *_lock_lines(report)]


def _print_report(report: BuildReport) -> None:
    if report.up_to_date:
        for line in _up_to_date_lines(report):
            _echo(line)
        return
    _echo(f"wrote {report.package}")
    _echo(
        f"  {count(report.notes, 'note')} ({count(report.subquestions, 'sub-question')}) "
        f"from {count(report.files, 'file')}, "
        f"{report.skipped} skipped"
    )
    shown: dict[str, int] = {}
    for change in report.changes:
        shown[change.kind] = shown.get(change.kind, 0) + 1
        if shown[change.kind] > _MOST_SHOWN and change.kind in ("added", "edited"):
            continue  # removed and re-identified notes are always listed: they may need a hand
        if change.kind == "re-identified":
            _echo(f"  re-identified: {change.detail} → {change.question}")
        elif change.kind == "renamed":
            from deckgen.lock import RENAME_ADVICE

            _echo(f'  renamed: "{change.detail}" → "{change.question}", {RENAME_ADVICE.format(old=change.detail)}')
        else:
            _echo(f"  {change.kind}: {change.question}" + (f" ({change.detail})" if change.detail else ""))
    for kind, n in shown.items():
        if n > _MOST_SHOWN and kind in ("added", "edited"):
            _echo(f"  … and {n - _MOST_SHOWN} more {kind} (all in CHANGELOG.md)")
    for line in _lock_lines(report):
        _echo(line)
    if report.steps:
        _echo("in Anki:")
        for n, step in enumerate(report.steps, 1):
            _echo(f"  {n}. {step}")


_LOCK_STATES = {"new": "new: commit it with the notes", "updated": "updated", "unchanged": "unchanged"}


def _lock_lines(report: BuildReport) -> list[str]:
    if report.lock is None:
        return []
    from deckgen.sources import display_path

    return [f"lock: {display_path(report.lock)} ({_LOCK_STATES[report.lock_state or 'unchanged']})"]


@cli.command()
@_SOURCES
@_build_options
@click.option("--profile", metavar="NAME", help="The Anki profile to import into (needed when there are several).")
@click.option("--collection", type=click.Path(path_type=Path), metavar="PATH",
              help="The collection file to import into (collection.anki2), instead of a profile's.")
@click.option("--prune", is_flag=True, help="Delete from the collection the notes this deck removed (asks first).")
@click.option("-y", "--yes", is_flag=True, help="With --prune: delete without asking.")
@click.pass_context
def push(ctx: click.Context, sources: tuple[Path, ...], outdir: Path, deck_name: str | None, version: str | None,
         strict: bool, profile: str | None, collection: Path | None, prune: bool, yes: bool) -> None:
    """Build SOURCES as `build` does, then import the package into Anki (File › Import's defaults)."""
    from deckgen import push as pushing

    target = _run(lambda: pushing.prepare(profile, collection))
    report = ctx.invoke(build, sources=sources, outdir=outdir, deck_name=deck_name, version=version, strict=strict)
    result = _run(lambda: pushing.push(report.package, _given(sources, "push"), target, prune,
                                       lambda notes: _confirm_prune(notes, yes)),
                  interrupted="interrupted: the package was built; nothing was imported")
    _print_diagnostics(result.diagnostics)
    _print_push(result, pushing.summary)


def _confirm_prune(notes, yes: bool) -> bool:
    one = len(notes) == 1
    _echo(f"{count(len(notes), 'note')} in the collection {'was' if one else 'were'} removed from "
          f"this deck's notes (deckgen.lock lists {'it' if one else 'them'}):")
    for note in notes:
        _echo(f"  {note.question} ({note.file}, removed in {note.version}; {count(note.reviews, 'review')})")
    if yes:
        return True
    what = "it" if one else f"these {len(notes)} notes"
    lost = "Its cards and their review history are" if one else "Their cards and review history are"
    try:
        return click.confirm(f"Delete {what} from the collection? {lost} lost (the backup made before the "
                             "import keeps a copy)", default=False)
    except click.Abort:  # no answer (end of input): nothing is deleted
        click.echo("", err=True)
        return False


def _print_push(result, summary) -> None:
    if result.via == "AnkiConnect":
        _echo(f"imported {result.package.name} into {result.target} through AnkiConnect, while Anki runs; "
              "AnkiConnect reports nothing of what Anki did (see Browse), and deckgen made no backup "
              "(Anki makes its own)")
        return
    if result.backup is not None:
        _echo(f"backed up the collection: {result.backup}" if result.backup_made
              else f"backup: the collection is unchanged since {result.backup}")
    _echo(f"imported {result.package.name} into {result.target}: {summary(result.log)}")
    for question in result.log.conflicting:
        _echo(f"  conflicting (left as it is: its GUID is a note of another notetype): {question}")
    for why, question in result.log.skipped:
        _echo(f"  not imported ({why}): {question}")
    if result.pruned:
        _echo(f"deleted {len(result.pruned)} note{'s' if len(result.pruned) != 1 else ''} this deck removed")
    elif result.prune and not result.kept:
        n = result.removed_listed
        _echo("nothing to prune: " + ("this deck has removed no note" if not n else
                                      "the note this deck removed is not in the collection" if n == 1 else
                                      f"none of the {n} notes this deck removed is in the collection"))
    elif result.kept:
        _echo(f"kept {len(result.kept)} note{'s' if len(result.kept) != 1 else ''} this deck removed"
              + (": nothing was deleted" if result.declined else " (`deckgen push --prune` deletes them)"))


def main() -> None:
    """Run the CLI."""
    global _command_line
    _command_line = sys.argv[1:]
    try:
        cli(prog_name="deckgen")
    finally:
        _command_line = None
