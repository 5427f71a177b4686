"""The server of `deckgen watch`: the preview folder over HTTP on 127.0.0.1 only, and an event
stream (Server-Sent Events) that tells every open page about each build: a new one to reload to,
or the errors of one that failed.
"""

from __future__ import annotations

import json
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from deckgen.errors import DeckgenError

HOST = "127.0.0.1"
EVENTS = "/_deckgen/events"
STATE = "/_deckgen/state"
_KEEP_ALIVE = 15.0  # seconds between comments on an idle stream, so that a dead page is noticed


class BuildState:
    """The last build's outcome, shared between the watcher and the pages' streams."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._serial = 0
        self._state: dict = {"build": "", "ok": False, "problems": ["the first build has not finished yet"]}
        self.closed = False

    def publish(self, *, build: str, ok: bool, problems: list[str]) -> None:
        """Tell every page: `build` is the one to show; `ok` is false with the errors of a failed one."""
        with self._changed:
            self._serial += 1
            self._state = {"build": build, "ok": ok, "problems": problems}
            self._changed.notify_all()

    def get(self) -> tuple[int, dict]:
        """Return the state now and its serial number."""
        with self._changed:
            return self._serial, self._state

    def wait(self, seen: int, timeout: float) -> tuple[int, dict]:
        """Wait until there is a state newer than `seen` (or the timeout, or closing); return it."""
        with self._changed:
            self._changed.wait_for(lambda: self._serial != seen or self.closed, timeout)
            return self._serial, self._state

    def close(self) -> None:
        """End every page's stream."""
        with self._changed:
            self.closed = True
            self._changed.notify_all()


class _Handler(SimpleHTTPRequestHandler):
    server: _Server
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **{
        suffix: f"{kind}; charset=utf-8" for suffix, kind in (
            (".html", "text/html"), (".js", "text/javascript"), (".css", "text/css"), (".json", "application/json"))}}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path = self.path.split("?", 1)[0]
        if path == EVENTS:
            self._events()
        elif path == STATE:
            body = json.dumps(self.server.state.get()[1], ensure_ascii=False).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            super().do_GET()

    def translate_path(self, path: str) -> str:
        """Serve a MathJax that lies outside the preview folder under MATHJAX_ROUTE."""
        from deckgen.preview_page import MATHJAX_ROUTE

        if path.startswith(MATHJAX_ROUTE) and self.server.mathjax_dir is not None:
            saved, self.directory = self.directory, str(self.server.mathjax_dir)
            try:
                return super().translate_path("/" + path[len(MATHJAX_ROUTE):])
            finally:
                self.directory = saved
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # each reload shows the newest build
        super().end_headers()

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.end_headers()
        state = self.server.state
        seen, now = state.get()
        try:
            self._send(now)
            while not state.closed:
                serial, now = state.wait(seen, _KEEP_ALIVE)
                if state.closed:
                    return
                if serial == seen:
                    self.wfile.write(b": still here\n\n")
                else:
                    seen = serial
                    self._send(now)
                self.wfile.flush()
        except OSError:  # the page was closed or reloaded
            return

    def _send(self, state: dict) -> None:
        self.wfile.write(b"data: " + json.dumps(state, ensure_ascii=False).encode("utf-8") + b"\n\n")
        self.wfile.flush()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's name)
        pass  # the terminal is for the builds' messages


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a page's open stream never keeps the watcher from stopping
    state: BuildState
    mathjax_dir: Path | None


class PreviewServer:
    """Serve `folder` on 127.0.0.1:`port` (0: a free port) in a thread of its own."""

    def __init__(self, folder: Path, port: int, state: BuildState, mathjax_dir: Path | None = None) -> None:
        try:
            self._server = _Server((HOST, port), partial(_Handler, directory=str(folder)))
        except OSError as exc:
            raise DeckgenError(f"error: cannot serve the preview on {HOST}:{port} ({exc.strerror or exc}); "
                               "pass another --port (0 picks a free one)") from exc
        self._server.state = state
        self._server.mathjax_dir = mathjax_dir
        self.state = state
        self.url = f"http://{HOST}:{self._server.server_address[1]}/"
        self._thread = threading.Thread(target=self._server.serve_forever, name="deckgen-preview-server",
                                        daemon=True)

    def start(self) -> None:
        """Start answering requests."""
        self._thread.start()

    def close(self) -> None:
        """End every stream, stop the server and free its port."""
        self.state.close()
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
