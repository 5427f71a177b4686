"""The one family of exceptions a user can cause, and how problems are collected."""

from __future__ import annotations

import signal

from deckgen.model import Diagnostic, SourceLocation


def ignore_interrupts() -> None:
    """Start a worker process deaf to Ctrl-C: the main process reports it and ends the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def count(n: int, word: str) -> str:
    """Say how many of a thing: "1 file", "2 files"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


class DeckgenError(Exception):
    """A problem the user can fix; the CLI prints it without a traceback and exits 1.

    `message` is printed as it is, in compiler style: `path:line: error: ...` or `error: ...`.
    """

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()):
        super().__init__(message)
        self.message = message
        self.diagnostics = diagnostics


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
