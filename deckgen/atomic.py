"""Write several files so that either all of them change or none does.

Each file is written in full to a temporary file beside its target; only when every one is
written are they renamed over their targets. A failure (bad input, full disk, Ctrl-C) before
that leaves every target byte-for-byte as it was.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from deckgen.errors import DeckgenError
from deckgen.sources import display_path


class Staged:
    """Temporary files waiting to replace their targets together."""

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path, bool]] = []

    def __enter__(self) -> Staged:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                self._commit()
        finally:
            for tmp, _, _ in self._pending:
                tmp.unlink(missing_ok=True)
            self._pending.clear()

    def path_for(self, target: Path, last: bool = False) -> Path:
        """Reserve a temporary path beside `target` for the caller to write.

        `last` targets are renamed after all others: stage the package so, and should a rename
        fail half-way the lock already describes it and the next build writes it again.
        """
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        except OSError as exc:
            raise DeckgenError(f"{display_path(target)}: error: cannot write: {exc.strerror or exc}") from exc
        os.close(fd)
        tmp = Path(name)
        self._pending.append((tmp, target, last))
        return tmp

    def write_text(self, target: Path, text: str) -> None:
        """Stage `text` as the new content of `target`."""
        tmp = self.path_for(target)
        try:
            tmp.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise DeckgenError(f"{display_path(target)}: error: cannot write: {exc.strerror or exc}") from exc

    def _commit(self) -> None:
        for tmp, target, _ in sorted(self._pending, key=lambda item: item[2]):
            try:
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
            except OSError as exc:
                raise DeckgenError(
                    f"{display_path(target)}: error: cannot write: {exc.strerror or exc}"
                ) from exc
