"""AnkiConnect, the add-on that lets programs ask a running Anki to act: only on this machine.

While Anki runs it holds the collection, and nothing else may write it; the add-on's
`importPackage` asks Anki itself to import the package.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

URL = "http://127.0.0.1:8765"
ADDON_CODE = "2055492159"
API_VERSION = 6
_QUICK = 5.0  # seconds for a question Anki answers at once
_IMPORT = 600.0  # seconds for an import: Anki does it on its main thread


class Unreachable(Exception):
    """Nothing answers at AnkiConnect's address (Anki is not running, or has no AnkiConnect)."""


class AnkiConnectError(Exception):
    """AnkiConnect answered with an error (its own words), or with what is not AnkiConnect."""


# Straight to the loopback address: a proxy set in the environment is never asked.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(action: str, params: dict | None = None, timeout: float = _QUICK, url: str = URL) -> object:
    """Ask AnkiConnect for one action and return its result."""
    body = json.dumps({"action": action, "version": API_VERSION, "params": params or {}}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            data = response.read()
    except urllib.error.HTTPError as exc:
        raise AnkiConnectError(f"{url} answered HTTP {exc.code}: it is not AnkiConnect") from exc
    except (urllib.error.URLError, OSError) as exc:  # refused, timed out, reset
        raise Unreachable(str(getattr(exc, "reason", exc))) from exc
    try:
        answer = json.loads(data)
    except ValueError as exc:
        raise AnkiConnectError(f"{url} did not answer in JSON: it is not AnkiConnect") from exc
    if not isinstance(answer, dict) or "result" not in answer or "error" not in answer:
        raise AnkiConnectError(f"{url} did not answer as AnkiConnect does")
    if answer["error"] is not None:
        raise AnkiConnectError(str(answer["error"]))
    return answer["result"]


def import_package(path: str, url: str = URL) -> object:
    """Ask the running Anki to import a package (an absolute path on this machine)."""
    return call("importPackage", {"path": path}, timeout=_IMPORT, url=url)
