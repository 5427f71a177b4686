"""Where Anki keeps its profiles: the base folder, the profile names in prefs21.db, each collection.

Anki desktop keeps one folder per profile in its base folder (`<base>/<profile>/collection.anki2`,
with the profile's backups in `<base>/<profile>/backups/`) and the profile names in
`<base>/prefs21.db`. The base folder is `ANKI_BASE` when set (as Anki reads it), else:
Linux `$XDG_DATA_HOME/Anki2` (`~/.local/share/Anki2`), macOS `~/Library/Application Support/Anki2`,
Windows `%APPDATA%\\Anki2`.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from deckgen.errors import DeckgenError

COLLECTION_NAME = "collection.anki2"
PREFS_NAME = "prefs21.db"
_SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class Target:
    """The collection a push imports into."""

    collection: Path
    backups: Path
    """The folder Anki keeps this collection's backups in."""
    profile: str | None = None
    """The Anki profile's name; None for a collection named by its path."""

    def __str__(self) -> str:
        return f'profile "{self.profile}" ({self.collection})' if self.profile else str(self.collection)


def anki_base(env: Mapping[str, str] | None = None, platform: str | None = None) -> tuple[Path, str]:
    """Return Anki's base folder on this system, and where that comes from (for messages)."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if env.get("ANKI_BASE"):
        return Path(env["ANKI_BASE"]).expanduser().absolute(), "ANKI_BASE"
    if platform == "win32":
        appdata = env.get("APPDATA") or str(Path.home() / "AppData" / "Roaming")
        return Path(appdata) / "Anki2", "where Anki keeps them on Windows"
    if platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Anki2", "where Anki keeps them on macOS"
    data = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "Anki2", "where Anki keeps them on Linux"


def profile_names(base: Path) -> tuple[str, ...]:
    """List the profiles of an Anki base folder: as prefs21.db names them, else by their folders."""
    prefs = base / PREFS_NAME
    if not prefs.is_file():  # an old or copied layout: every folder that holds a collection
        try:
            return tuple(sorted((p.name for p in base.iterdir() if (p / COLLECTION_NAME).is_file()), key=str.casefold))
        except OSError:
            return ()
    try:
        conn = sqlite3.connect(f"{prefs.absolute().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            rows = conn.execute("select name from profiles where name != '_global'").fetchall()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise DeckgenError(f"{prefs}: error: cannot read Anki's profile list ({exc}); "
                           "name the collection with --collection PATH") from exc
    return tuple(sorted((str(name) for (name,) in rows), key=str.casefold))


def find_target(profile: str | None = None, collection: Path | None = None,
                env: Mapping[str, str] | None = None, platform: str | None = None) -> Target:
    """Find the collection to push into: the one named, the profile named, or the only profile."""
    if profile is not None and collection is not None:
        raise DeckgenError("error: give --profile or --collection, not both")
    if collection is not None:
        path = collection.expanduser().absolute()
        check_collection(path)
        return Target(collection=path, backups=path.parent / "backups")
    base, where = anki_base(env, platform)
    names = profile_names(base) if base.is_dir() else ()
    if not names:
        raise DeckgenError(f"error: no Anki profile found in {base} ({where}); start Anki once, "
                           "or name the collection with --collection PATH")
    listed = ", ".join(f'"{n}"' for n in names)
    if profile is None:
        if len(names) > 1:
            raise DeckgenError(f"error: Anki has {len(names)} profiles in {base}: {listed}; "
                               "choose one with --profile NAME")
        profile = names[0]
    else:
        # Anki compares profile names without regard to case (prefs21.db's names are `collate nocase`).
        matching = [n for n in names if n == profile] or [n for n in names if n.casefold() == profile.casefold()]
        if not matching:
            raise DeckgenError(f'error: no Anki profile named "{profile}" in {base}; its profiles: {listed}')
        profile = matching[0]
    folder = base / profile
    path = folder / COLLECTION_NAME
    if not path.exists():
        raise DeckgenError(f'{path}: error: the profile "{profile}" has no collection yet; '
                           "open the profile in Anki once")
    check_collection(path)
    return Target(collection=path, backups=folder / "backups", profile=profile)


def check_collection(path: Path) -> None:
    """Fail unless `path` is an Anki collection file (Anki's backend would create a new one there)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(_SQLITE_MAGIC))
    except FileNotFoundError as exc:
        raise DeckgenError(f"{path}: error: no Anki collection here (Anki keeps it as "
                           f"<profile>/{COLLECTION_NAME})") from exc
    except IsADirectoryError as exc:
        raise DeckgenError(f"{path}: error: this is a folder; name the collection file in it "
                           f"({COLLECTION_NAME})") from exc
    except OSError as exc:
        raise DeckgenError(f"{path}: error: cannot read the collection: {exc.strerror or exc}") from exc
    if head != _SQLITE_MAGIC:
        raise DeckgenError(f"{path}: error: this is not an Anki collection (not an SQLite database)")
