"""`deckgen watch`: write the preview again on every save and serve it to pages that reload themselves.

One process keeps its imports and caches (parsed files, rendered cards, the cards' data) warm,
and the tokens of each file (a file whose parse came from the cache is read ahead once no save
came for a second), so a save costs the reread of the blocks it changed and the page around
them; an open page loads only the cards it lacks and draws again only those that changed (see
preview_page.CardsData). A failed build is reported in the terminal and on the open pages,
which keep the last good cards; nothing stops the watcher but Ctrl-C. Watching writes the
preview only, never a package or the lock: every build of a package is a new version, and a
version per save would fill the changelog and Anki's imports with half-edited ones. `deckgen
build` writes the package when the cards look right.
"""

from __future__ import annotations

import gc
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from deckgen.build import keep_in_memory, read_ahead
from deckgen.cache import cache_dir, store_at_once, store_later, write_stored
from deckgen.config import CONFIG_NAME
from deckgen.errors import DeckgenError, count
from deckgen.lock import LOCK_NAME
from deckgen.media import IMAGE_SUFFIXES
from deckgen.model import BuildConfig
from deckgen.preview import Preview, mathjax_script, write_page, write_preview
from deckgen.preview_page import CardsData, page_files
from deckgen.serve import BuildState, PreviewServer
from deckgen.sources import NOTE_SUFFIXES, display_path, sources_root

Echo = Callable[..., None]
"""Prints a line: echo(text) for progress, echo(text, err=True) for problems."""


def watch(config: BuildConfig, outdir: Path, *, port: int, mathjax: Path | None = None, echo: Echo,
          stop: threading.Event | None = None) -> None:
    """Preview `config`'s sources in `outdir`, serve it, and write it again after every change until
    Ctrl-C (or `stop` is set)."""
    import watchfiles  # only this command watches files

    root = sources_root(config.sources)
    if not root.is_dir():
        raise DeckgenError(f"error: {display_path(root)}: no such folder to watch")
    outdir.mkdir(parents=True, exist_ok=True)
    keep_in_memory()
    script = mathjax_script(outdir, mathjax)
    state = BuildState()
    server = PreviewServer(outdir, port, state, script.parent if script else None)
    builds = _Builds(config, outdir, mathjax, state, echo)
    store_later()  # the parses a save made are stored once its page is written
    # As `deckgen server` does: no cycle collection during a build (each one walked every token
    # and note the watcher holds), but once no save came for a second (or a minute went by).
    gc.disable()
    collected = time.monotonic()
    try:
        builds.run()
        write_stored()
        server.start()
        echo(f"serving the preview at {server.url} (Ctrl-C stops)")
        echo(f"watching {display_path(root)}: the preview only; `deckgen build` writes the package")
        from deckgen import parse  # noqa: F401 (warm now: a first build from the cache did not need it)
        ignored = watchfiles.DefaultFilter(ignore_paths=[outdir.resolve(), cache_dir().resolve()])
        idle = False  # nothing left to do until the next save
        for changes in watchfiles.watch(root, watch_filter=lambda change, path: _relevant(ignored, change, path),
                                        stop_event=stop, debounce=800, step=30, rust_timeout=_IDLE_MS,
                                        yield_on_timeout=True):
            if not changes:  # no save for a while: what the next one needs, done now
                if not idle and not _read_ahead_a_while(stop, echo):
                    gc.collect()  # the reference cycles the builds left
                    collected, idle = time.monotonic(), True
                continue
            idle = False
            names = sorted({display_path(Path(p)) for _, p in changes})
            echo(f"{time.strftime('%H:%M:%S')} changed: {', '.join(names[:3])}"
                 + (f" and {len(names) - 3} more" if len(names) > 3 else ""))
            builds.run()
            write_stored()
            if time.monotonic() - collected > _COLLECT_SECONDS:  # a folder never quiet for a second
                gc.collect()
                collected = time.monotonic()
    except KeyboardInterrupt:
        echo("stopped")
    finally:
        server.close()
        write_stored()
        store_at_once()
        gc.enable()


_IDLE_MS = 1000
"""How long no save comes before the watcher reads ahead the files of its last build whose
tokens it does not hold (see build.read_ahead), so that even their first save is reread in part."""
_AHEAD_SECONDS = 0.2
"""How long it reads ahead at a time (and the file it began then), before it looks for a save."""
_COLLECT_SECONDS = 60
"""The longest the watcher goes without a cycle collection while saves keep coming."""


def _read_ahead_a_while(stop: threading.Event | None, echo: Echo) -> bool:
    """Read files ahead for a while (one at least); whether some may be left to read."""
    until, began = time.monotonic() + _AHEAD_SECONDS, []

    def pending() -> bool:
        if stop is not None and stop.is_set():
            return True
        if not began:
            began.append(True)
            return False
        return time.monotonic() > until

    try:
        return read_ahead(pending) > 0
    except Exception:  # noqa: BLE001 (a bug: shown here; the next save reads the file itself)
        echo(traceback.format_exc().rstrip(), err=True)
        return False


def _relevant(ignored, change, path: str) -> bool:
    """A change that can alter the cards: to a note file, the settings, the lock, an image or a
    folder (moved or removed with the notes in it); not in the preview's own folder, nor an
    editor's swap or backup file."""
    name = Path(path).name
    suffix = Path(name).suffix.lower()
    wanted = name in (CONFIG_NAME, LOCK_NAME) or suffix in (*NOTE_SUFFIXES, *IMAGE_SUFFIXES) or not suffix
    return wanted and ignored(change, path)


class _Builds:
    """Writes the preview and tells the pages, whatever goes wrong."""

    def __init__(self, config: BuildConfig, outdir: Path, mathjax: Path | None, state: BuildState,
                 echo: Echo) -> None:
        self.config, self.outdir, self.mathjax, self.state, self.echo = config, outdir, mathjax, state, echo
        self.session = f"{time.time_ns():x}"  # a page of an earlier run of the watcher reloads too
        self.serial = 0
        self.good = ""  # the last build that wrote the page
        self.data = CardsData()  # what the last build wrote, for the next

    def run(self) -> None:
        """Write the preview once; report what it shows, or why it could not be written."""
        self.serial += 1
        build = f"{self.session}-{self.serial}"
        start = time.perf_counter()
        try:
            report = write_preview(self.config, self.outdir, self.mathjax, build=build, live=True,
                                   data=self.data)
        except DeckgenError as exc:
            self._failed([*map(str, exc.diagnostics), exc.message])
            return
        except OSError as exc:
            self._failed([f"error: cannot write the preview in {display_path(self.outdir)}: {exc.strerror or exc}"])
            return
        except Exception:  # noqa: BLE001 (a bug in deckgen must not end the watcher either)
            self._failed(["error: deckgen failed on these notes (please report it):", traceback.format_exc()])
            return
        self.good = build
        for d in report.diagnostics:
            self.echo(str(d), err=True)
        self.state.publish(build=build, ok=True, problems=[str(d) for d in report.diagnostics])
        self.echo(f"{time.strftime('%H:%M:%S')} {count(report.cards, 'card')}, {report.changed} new or edited "
                  f"since the last build, in {time.perf_counter() - start:.2f} s")

    def _failed(self, lines: list[str]) -> None:
        for line in lines:
            self.echo(line.rstrip("\n"), err=True)
        if not self.good:  # no page of this run yet: one that waits for a build that works
            _write_waiting_page(self.outdir, self.session)
        self.echo(f"{time.strftime('%H:%M:%S')} not built; "
                  + ("the pages keep the last good cards" if self.good else "waiting for a save that builds"))
        self.state.publish(build=self.good, ok=False, problems=[line.rstrip("\n") for line in lines])


def _write_waiting_page(outdir: Path, session: str) -> None:
    """A page with no cards, that shows the errors and reloads when a build succeeds."""
    write_page(outdir, page_files(Preview("deckgen preview", (), (), False, "", (), ()),
                                  mathjax=None, build=f"{session}-0", live=True, waiting=True))
