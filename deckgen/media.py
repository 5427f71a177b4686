"""Images in answers: local files become packaged media with safe, content-hashed names.

Anki never replaces a media file whose name it already has (AnkiDroid never; desktop only for
mixed case), so every name is lowercase and carries a hash of the file's bytes: an edited image
gets a new name and reaches the phone. Only files inside the collection may be packaged: its git
repository (else the notes folder), or `media_root`, which must lie inside it — every path is
checked after its symlinks are resolved, so no link leads out of it.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlparse

from deckgen.errors import Problems
from deckgen.model import SourceLocation

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif"}
_MAX_BYTES = 100 * 1024 * 1024
# A file of a GitHub repository as a web page or raw bytes: (owner, name, path in the repository).
_BLOB = re.compile(
    r"^https?://(?:www\.)?github\.com/([^/]+)/([^/]+)/(?:blob|raw)/[^/]+/([^?#]+)"
    r"|^https?://raw\.githubusercontent\.com/([^/]+)/([^/]+)/[^/]+/([^?#]+)",
    re.I,
)
_REMOTE = re.compile(r"github\.com[:/]+([^/\s]+)/([^/\s]+?)(?:\.git)?/?$", re.I)


def _remotes(repo: Path) -> set[tuple[str, str]]:
    """The GitHub (owner, name) pairs the repository's remotes point at, lowercased."""
    try:
        text = (repo / ".git" / "config").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    found = set()
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "url" and (m := _REMOTE.search(value.strip())):
            found.add((m.group(1).lower(), m.group(2).lower()))
    return found


def repository_root(root: Path, configured: str | None = None) -> Path:
    """Return where `/path` images resolve: media_root, else the nearest folder with .git.

    A media_root that `media_root_problem` refuses is not used.
    """
    if configured and media_root_problem(root, configured) is None:
        return (root / configured).resolve()
    return _repository(root)


def _repository(root: Path) -> Path:
    """The git repository holding the notes (the nearest folder with .git), else the notes folder."""
    for folder in (root, *root.parents):
        if (folder / ".git").exists():
            return folder
    return root


def media_root_problem(root: Path, configured: str) -> str | None:
    """Say why `media_root` cannot be used, or None if it can.

    It must be a folder inside the git repository that holds the notes, or, with no repository,
    the notes folder or its parent (a book's `images/` beside its `answers/`): never a folder
    above that, the home folder or `/`, from which any picture on the computer could be packaged.
    """
    root = root.resolve()
    folder = root / configured
    try:
        real = folder.resolve()
        is_dir = real.is_dir()
    except (OSError, RuntimeError, ValueError):
        real, is_dir = folder, False
    if not is_dir:
        return f'"media_root" is not a folder: {configured}'
    repo = _repository(root)
    limit = repo if repo != root or (root / ".git").exists() else root.parent
    try:
        home = Path.home().resolve()
    except (OSError, RuntimeError):  # no home folder known
        home = None
    if (not real.is_relative_to(limit) or real == Path(real.anchor)
            or (home is not None and home.is_relative_to(real))):
        where = f"the repository that holds the notes ({repo})" if limit == repo else (
            f"the notes folder or its parent ({limit})")
        return (f'"media_root" = "{configured}" lies outside {where}: images from anywhere on '
                "this computer could be packaged; use a folder inside it")
    return None


class Media:
    """Collects the media files the cards use, keyed by their packaged name."""

    def __init__(self, root: Path, problems: Problems, media_root: str | None = None):
        self.root = root.resolve()
        self.repo = repository_root(self.root, media_root)
        # Where packaged files may lie: the notes' repository (or folder) and the media root.
        self.inside = tuple(dict.fromkeys((_repository(self.root), self.repo)))
        self.problems = problems
        self.files: dict[str, Path] = {}
        self._remotes: set[tuple[str, str]] | None = None

    def may_be_local(self, url: str) -> bool:
        """Whether `url` may lead to a file of this repository (see local_file): else it is a web link."""
        return _BLOB.match(url.strip()) is not None

    def local_file(self, url: str) -> Path | None:
        """Return the local file a GitHub URL into this same repository points at, if it exists.

        The repository is the one whose remotes name it (any, when no remote names GitHub).
        """
        m = _BLOB.match(url.strip())
        if m is None:
            return None
        owner, name, rel = (m.group(1), m.group(2), m.group(3)) if m.group(1) else m.group(4, 5, 6)
        if self._remotes is None:
            self._remotes = _remotes(self.repo)
        if self._remotes and (owner.lower(), name.lower().removesuffix(".git")) not in self._remotes:
            return None
        path = on_disk(self.repo / unquote(rel))
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError, ValueError):
            return None
        return real if real.is_file() and self.inside_collection(real) else None

    def inside_collection(self, real: Path) -> bool:
        """Tell whether a resolved path lies in the notes' repository (or folder) or media root."""
        return any(real.is_relative_to(folder) for folder in self.inside)

    def resolve(self, src: str, note_file: Path, where: SourceLocation) -> str | None:
        """Return the packaged name for an image `src`, or None (already warned) to drop it."""
        src = src.strip()
        if not src:
            self.problems.warn(where, "image with an empty source; dropped")
            return None
        local = self.local_file(src)
        if local is not None:
            src = "/" + local.relative_to(self.repo).as_posix()
        if src.lower().startswith("data:image/"):
            return src  # inline image data: nothing to package
        parsed = urlparse(src)
        if parsed.scheme in ("http", "https") or src.startswith("//"):
            return src  # remote: the caller keeps it as a link and warns
        if parsed.scheme:
            self.problems.error(where, f'image "{src}": only files next to the notes can be used')
            return None
        rel = unquote(parsed.path)
        path = (self.repo / rel.lstrip("/")) if rel.startswith("/") else (note_file.parent / rel)
        try:
            real = on_disk(path).resolve(strict=True)  # every symlink on the way, followed
        except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in the name
            self.problems.error(where, f'image "{src}" not found')
            return None
        # The collection: its git repository (or the notes folder), and media_root inside it.
        if not self.inside_collection(real):
            self.problems.error(where, f'image "{src}" lies outside the notes folder; copy it inside')
            return None
        if not real.is_file() or real.suffix.lower() not in IMAGE_SUFFIXES:
            self.problems.error(where, f'image "{src}" is not an image file')
            return None
        try:
            if real.stat().st_size >= _MAX_BYTES:  # before reading it: it may be gigabytes
                self.problems.error(where, f'image "{src}" is larger than 100 MiB')
                return None
            h = hashlib.sha256()
            with real.open("rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
        except OSError as exc:
            self.problems.error(where, f'image "{src}" cannot be read: {exc.strerror or exc}')
            return None
        digest = h.hexdigest()[:12]
        stem = re.sub(r"[^a-z0-9]+", "-", real.stem.lower()).strip("-")[:60] or "image"
        name = f"{stem}-{digest}{real.suffix.lower()}"
        self.files[name] = real
        return name


def on_disk(path: Path) -> Path:
    """`path` with each name spelled as on disk, NFC or NFD alike; `path` itself if none is there.

    Notes are read as NFC, but a file saved by macOS tools may be named in NFD on disk.
    """
    if os.path.lexists(path):
        return path
    current = Path(path.anchor)
    for part in path.parts[1:] if path.anchor else path.parts:
        candidate = current / part
        if part not in (".", "..") and not os.path.lexists(candidate):
            wanted = unicodedata.normalize("NFC", part)
            try:
                names = os.listdir(current)
            except OSError:
                return path
            match = next((n for n in names if unicodedata.normalize("NFC", n) == wanted), None)
            if match is None:
                return path
            candidate = current / match
        current = candidate
    return current
