"""The one family of exceptions a user can cause, and how problems are collected."""

from __future__ import annotations

import difflib
import signal

from deckgen.model import Diagnostic, SourceLocation


def ignore_interrupts() -> None:
    """Start a worker process deaf to Ctrl-C: the main process reports it and ends the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def count(n: int, word: str) -> str:
    """Say how many of a thing: "1 file", "2 files"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def did_you_mean(word: str, choices) -> str:
    """Name the closest of `choices` to a mistyped `word`: ' (did you mean "shape"?)', or ''."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


class DeckgenError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback and exits `exit_code`.

    `message` is printed as it is, in compiler style: `path:line: error: ...` or `error: ...`.
    The exit status is 1 for bad input, 2 for a command line naming what is not there.
    """

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = (), exit_code: int = 1):
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics
        self.exit_code = exit_code


class Problems:
    """Collects every warning and error of a run so they are all reported at once."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def warn(self, location: SourceLocation | None, message: str) -> None:
        """Record a warning."""
        self.items.append(Diagnostic("warning", message, location))

    def error(self, location: SourceLocation | None, message: str) -> None:
        """Record an error; the build fails once everything is reported."""
        self.items.append(Diagnostic("error", message, location))

    def extend(self, diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> None:
        """Record diagnostics produced elsewhere."""
        self.items.extend(diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def raise_if_failed(self, strict: bool = False) -> None:
        """Fail once, with every problem, if there was an error (or a warning under --strict)."""
        failing = self.errors or (self.warnings if strict else [])
        if failing:
            n = len(failing)
            kind = "error" if self.errors else "warning (--strict)"
            raise DeckgenError(
                f"error: build failed: {n} {kind}{'s' if n > 1 and kind == 'error' else ''}",
                tuple(self.items),
            )
