"""Whether this Python can run deckgen: its version and the libraries deckgen imports.

`python build_deck.py` and `python -m deckgen` can be started with any Python, such as the
system's, outside the virtual environment that `make deck` sets up; they ask here first, so that
such a Python gets one line saying what to do, not a traceback from the first import that fails.
Kept importable by old Pythons: no syntax newer than 3.6.
"""

from __future__ import annotations

import sys

PYTHON = (3, 11)
REQUIRES = {
    "genanki": ("genanki",),
    "markdown-it-py": ("markdown_it",),
    "mdit-py-plugins": ("mdit_py_plugins",),
    "click": ("click",),
    "PyYAML": ("yaml",),
    "Pygments": ("pygments",),
    "nh3": ("nh3",),
    "fonttools[woff]": ("fontTools", "brotli"),
    "tomlkit": ("tomlkit",),
    "watchfiles": ("watchfiles",),
}
"""Each requirement of pyproject.toml, and the modules that show it is installed."""


def missing() -> list[str]:
    """The requirements whose modules this Python cannot import."""
    import importlib.util

    return [name for name, modules in REQUIRES.items()
            if any(importlib.util.find_spec(module) is None for module in modules)]


def old_python() -> str | None:
    """Say why this Python is too old for deckgen, or None."""
    if sys.version_info < PYTHON:
        return ("deckgen needs Python {}.{} or newer, and this is {}.{}: run it with a newer one "
                "(e.g. `make deck PYTHON=python3.12`)".format(*PYTHON, *sys.version_info[:2]))
    return None


def lacking() -> str | None:
    """Say which libraries deckgen needs this Python lacks, or None."""
    lacking = missing()
    if not lacking:
        return None
    shown = ", ".join(lacking[:3]) + (", and {} more".format(len(lacking) - 3) if len(lacking) > 3 else "")
    return ("deckgen needs its dependencies, and this Python lacks {}: run `make deck`, or "
            "`pip install -e .` in a virtual environment".format(shown))


def main() -> None:
    """Run the CLI, or say in one line what this Python lacks (exit status 1)."""
    _stop_if(old_python())
    from deckgen.resident import hand_off

    # A build server started in this folder (`deckgen server`) first: an edit's build is spared
    # taking the fingerprint of every input here, and a free server tells a rebuild with nothing
    # changed as quickly as this process would (a busy one, with another build or a file read
    # ahead, keeps it waiting for that, 2 s at most, as it keeps an edit's build).
    served = hand_off(sys.argv[1:])
    if served is not None:
        sys.exit(served)
    from deckgen.uptodate import replay

    if replay(sys.argv[1:]):  # a rebuild with nothing changed: answered without the CLI's imports
        return
    # Only now: neither of those imports a library (a server runs with its own), and looking for
    # them all (importlib.util) would cost each of them some 5 ms.
    _stop_if(lacking())
    from deckgen.cli import main as cli

    cli()


def _stop_if(why: str | None) -> None:
    if why:
        sys.stderr.write("error: {}\n".format(why))
        sys.exit(1)
