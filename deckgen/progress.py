"""What a long build is doing, on the last line of a terminal: `parsing 120/500 files`.

The pipeline only calls a function with a short text at each step (see build.build); this module
is the one that draws it. The line appears once a build has run for a second (a quicker one
prints nothing), is redrawn in place at most ten times a second, and is erased before anything
else is printed. Only a terminal gets it: a pipe, a file or CI's log never does.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
import unicodedata
from typing import TextIO

from deckgen.textsafe import printable

AFTER_SECONDS = 1.0
"""A build shorter than this shows no progress line ($DECKGEN_PROGRESS_AFTER changes it)."""
_INTERVAL = 0.1  # seconds between two redraws of the same step
_ERASE = "\r\x1b[K"  # back to the start of the line, and clear it


def on_terminal(stream: TextIO | None = None) -> bool:
    """Tell whether `stream` (stderr) is a terminal that can redraw a line in place."""
    stream = stream or sys.stderr
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):  # a stream without isatty, or a closed one
        return False


def _after() -> float:
    try:
        return max(0.0, float(os.environ.get("DECKGEN_PROGRESS_AFTER", AFTER_SECONDS)))
    except ValueError:
        return AFTER_SECONDS


class Progress:
    """A status line on `stream`, redrawn in place; call it with what the build is doing now.

    Use it as a context manager, or call close(): the line is erased then, so that what is
    printed next starts on a clean line.
    """

    def __init__(self, stream: TextIO | None = None, after: float | None = None):
        self.stream = stream or sys.stderr
        self.after = _after() if after is None else after
        self.start = time.monotonic()
        self.text = ""
        self.shown = ""
        self.drawn_at = 0.0
        self.closed = False
        self.lock = threading.Lock()
        # A step that takes long on its own (writing a big package) still shows once the time is up.
        self.timer = threading.Timer(self.after, self._draw_late)
        self.timer.daemon = True
        self.timer.start()

    def __call__(self, text: str) -> None:
        with self.lock:
            self.text = text
            now = time.monotonic()
            if self.closed or now - self.start < self.after:
                return
            if now - self.drawn_at >= _INTERVAL or _step(text) != _step(self.shown):
                self._draw(now)

    def _draw_late(self) -> None:
        with self.lock:
            if not self.closed and self.text and not self.shown:
                self._draw(time.monotonic())

    def _draw(self, now: float) -> None:
        try:
            self.stream.write(_ERASE + _fit(printable(self.text), _columns(self.stream)))
            self.stream.flush()
        except (OSError, ValueError):  # the terminal went away: no progress, the build goes on
            self.closed = True
            return
        self.shown, self.drawn_at = self.text, now

    def close(self) -> None:
        """Erase the line and draw no more."""
        self.timer.cancel()
        with self.lock:
            if self.shown and not self.closed:
                try:
                    self.stream.write(_ERASE)
                    self.stream.flush()
                except (OSError, ValueError):
                    pass
            self.closed = True

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _step(text: str) -> str:
    """What a text says without its counts: a new step is drawn at once, a new count at most every 0.1 s."""
    return re.sub(r"\d+", "", text)


def _columns(stream: TextIO) -> int:
    """The width of the terminal `stream` writes to (80 where it does not say). A stream that
    writes to a terminal elsewhere (a build handed to a server, resident.py) says its width."""
    if getattr(stream, "columns", 0):
        return stream.columns
    try:
        columns = os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, OSError, ValueError):
        columns = 0
    return columns or shutil.get_terminal_size().columns


def _fit(line: str, columns: int) -> str:
    """Cut a line to fit the terminal, its last column left free (a line that wraps cannot be
    redrawn in place); Hangul and other wide characters take two columns."""
    widths = [2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in line]
    if sum(widths) <= columns - 1:
        return line
    used = 0
    for i, width in enumerate(widths):
        used += width
        if used > columns - 2:
            return line[:i] + "…"
    return line
