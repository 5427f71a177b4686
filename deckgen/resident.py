"""`deckgen server`: a build process that stays ready, and `deckgen build` handing its work to it.

A one-off `deckgen build` spends a good part of a rebuild before and besides the work the edit
needs: starting Python, importing the markdown and packaging libraries, and reading the edited
file whole, since a new process has no tokens to reuse (see reparse.py). A server started in a
terminal (`deckgen server`, stopped by Ctrl-C) keeps all of that: its imports, every file's
parse (cache.ParseCache.memory) and the tokens of every file it has parsed, so the second edit
of a file rereads only the blocks the edit touched. `deckgen build` run in the same folder, with
the same Python, deckgen and settings from the environment, connects to it and the server runs
the command as the CLI would run it there: the same output (sent back line by line, a progress
line too), the same exit status, the same files written. Ctrl-C in the client interrupts the
build in the server as it would interrupt it here (see atomic.InterruptGuard).

Where there is no server, or it cannot take the build (deckgen's code changed on disk since it
started, another Python), the build runs here as always; a server whose code changed stops.

Only the user who started the server can reach it: its socket is in a folder of the cache that
only that user may open, and on Linux the server checks the caller's user id too.

Kept importable without the pipeline: the client runs before the CLI imports anything.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import struct
import sys

from deckgen import inputs
from deckgen.uptodate import _utf8

_FORMAT = 1
_HEADER = struct.Struct(">I")
_MOST = 64 << 20
"""The longest message either side accepts."""


def _key() -> str:
    """What a build's outcome depends on besides its arguments and inputs: where and how it runs
    (the files it writes get the permissions the umask leaves)."""
    return repr((_FORMAT, sys.version, sys.executable, sys.path, inputs.PACKAGE, os.getcwd(),
                 sorted((k, v) for k, v in os.environ.items() if k.startswith("DECKGEN_")), _umask()))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def address() -> str:
    """The socket of the server for builds started here, in this way (see _key)."""
    digest = hashlib.sha256(_key().encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return os.path.join(inputs.cache_dir(), "servers", f"{digest}.sock")


def _send(sock, message: tuple) -> None:
    data = marshal.dumps(message)
    sock.sendall(_HEADER.pack(len(data)) + data)


def _receive(sock) -> tuple | None:
    """The next message, or None when the other side has gone."""
    head = _exactly(sock, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    if size > _MOST:
        return None
    data = _exactly(sock, size)
    if data is None:
        return None
    try:
        message = marshal.loads(data)
    except (EOFError, ValueError, TypeError):
        return None
    return message if isinstance(message, tuple) and message else None


def _exactly(sock, size: int) -> bytes | None:
    parts, left = [], size
    while left:
        part = sock.recv(min(left, 1 << 16))
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


# --- the client: `deckgen build` --------------------------------------------------------------


def hand_off(argv: list[str]) -> int | None:
    """Run `deckgen build` with `argv` in the server for this folder, if one is there and takes
    it: its exit status; None to build here."""
    if not argv or argv[0] != "build" or not hasattr(os, "getuid"):
        return None
    if not (_utf8(sys.stdout) and _utf8(sys.stderr)):
        return None  # the server writes UTF-8
    path = address()
    if not os.path.exists(path):
        return None
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        _send(sock, ("build", list(argv), _terminal(sys.stdout), _terminal(sys.stderr)))
        answer = _receive(sock)
        if answer is None or answer[0] != "taken":
            return None
        return _follow(sock)
    except OSError:
        return None  # a socket left by a server that is gone, or one that went: built here
    finally:
        sock.close()


def _follow(sock) -> int:
    """Print what the server's build prints until it ends; pass Ctrl-C on to it."""
    interrupted = False
    while True:
        try:
            message = _receive(sock)
        except KeyboardInterrupt:
            if interrupted:  # a second Ctrl-C: stop waiting (the server still ends the build safely)
                sys.stderr.write("interrupted\n")
                return 130
            interrupted = True
            try:
                _send(sock, ("interrupt",))
            except OSError:
                pass
            continue
        if message is None:
            sys.stderr.write("error: the build server stopped during the build: "
                             "run `deckgen build` again (nothing is lost: a build that did not finish changes nothing)\n")
            return 1
        kind = message[0]
        if kind == "exit":
            return int(message[1])
        stream = sys.stdout if kind == "out" else sys.stderr
        try:
            stream.write(message[1])
            stream.flush()
        except BrokenPipeError:  # whoever read the output has gone
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (so that the exit flushes nothing)
            return 1


def _terminal(stream) -> bool:
    """Whether `stream` is a terminal that can redraw a line (progress.on_terminal's test, which
    imports more than a client needs)."""
    try:
        return stream.isatty() and os.environ.get("TERM") != "dumb"
    except (AttributeError, ValueError):
        return False


# --- the server: `deckgen server` ------------------------------------------------------------


class ServerError(Exception):
    """Why a server cannot start here."""


def code_stamps() -> list[tuple]:
    """What tells that deckgen or a library on its path changed on disk: the stamps of deckgen's
    code and templates (which a process reads once) and of every folder on the path (installing a
    package changes its folder)."""
    from deckgen.notetype import templates_dir

    found = []
    for _, path in inputs._code_files(inputs.PACKAGE, ""):
        found.append((path, *_stat(path)))
    for folder, _, files in os.walk(templates_dir()):
        found.extend((os.path.join(folder, name), *_stat(os.path.join(folder, name))) for name in files)
    for folder in sys.path:
        if folder and os.path.isdir(folder):
            found.append((folder, *_stat(folder)))
    return sorted(found)


def _stat(path: str) -> tuple:
    st = os.stat(path)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _private_folder(folder: str) -> None:
    """Make `folder` (for the socket) if need be, and check that only this user can open it."""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    st = os.stat(folder)
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise ServerError(f"{folder}: error: others may open this folder: the build server keeps its socket only "
                          "in a folder of yours alone (chmod 700 it)")


def listen(path: str):
    """The listening socket at `path`, replacing one a server that is gone left there."""
    import socket

    _private_folder(os.path.dirname(path))
    if len(os.fsencode(path)) > 100:
        raise ServerError(f"{path}: error: this path is too long for a socket: set DECKGEN_CACHE to a shorter folder")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        pass  # none listening: a socket left by a server that was killed is replaced
    else:
        raise ServerError(f"error: a build server already serves builds in {os.getcwd()}")
    finally:
        probe.close()
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(8)
    return sock


def peer_is_me(conn) -> bool:
    """Whether the process at the other end runs as this user (Linux tells; elsewhere the
    socket's folder is the only way in)."""
    import socket

    if not hasattr(socket, "SO_PEERCRED"):
        return True
    _, uid, _ = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    return uid == os.getuid()


def serve(echo) -> None:
    """Take the builds `deckgen build` hands off in this folder until Ctrl-C.

    No handler of its own for SIGTERM: the parse workers a build forks would inherit it, and
    they must end when their pool ends them. A server killed so leaves its socket behind, which
    the next one replaces (see listen)."""
    import socket

    from deckgen import reparse
    from deckgen.cache import ParseCache

    if not hasattr(socket, "AF_UNIX") or not hasattr(os, "getuid"):
        raise ServerError("error: the build server needs Unix sockets (Linux, macOS): build with `deckgen build`")
    _warm_imports()
    reparse.keep()  # an edited file is reread only where the edit reached
    ParseCache.keep_in_memory()
    started = code_stamps()
    path = address()
    sock = listen(path)
    bound = os.stat(path).st_ino
    echo(f"serving builds in {os.getcwd()}: `deckgen build` run here hands its work to this process "
         "(Ctrl-C stops it)")
    try:
        while True:
            conn, _ = sock.accept()
            try:
                if not _Request(conn, echo).serve(started):
                    return
            finally:
                conn.close()
    finally:
        sock.close()
        try:
            if os.stat(path).st_ino == bound:
                os.unlink(path)
        except OSError:
            pass


def _warm_imports() -> None:
    """Import what every build needs, so that the first one handed off does not."""
    import genanki  # noqa: F401

    import deckgen.build  # noqa: F401
    import deckgen.cli  # noqa: F401
    import deckgen.package  # noqa: F401
    import deckgen.parse  # noqa: F401


class _Request:
    """One `deckgen build` handed off: run here, its output sent back as it is printed."""

    def __init__(self, conn, echo) -> None:
        import threading

        self.conn, self.echo = conn, echo
        self.lock = threading.Lock()
        self.running = False
        self.interrupted = False
        self.gone = False

    def serve(self, started: list[tuple]) -> bool:
        """Run the request; False when the server should stop (its code changed)."""
        import time

        if not peer_is_me(self.conn):
            return True
        try:
            request = _receive(self.conn)
        except OSError:
            return True
        if request is None or request[0] != "build" or len(request) != 4:
            return True
        _, argv, out_tty, err_tty = request
        if code_stamps() != started:
            self._say(("declined",))
            self.echo("deckgen changed on disk since this server started: stopping (start `deckgen server` again)")
            return False
        self._say(("taken",))
        began = time.perf_counter()
        code = self._run([str(a) for a in argv], out_tty, err_tty)
        took = time.perf_counter() - began
        from deckgen.cli import _shown

        self.echo(_shown(f"{time.strftime('%H:%M:%S')} deckgen {_joined(argv)}: exit {code} in {took:.2f} s"
                         + (" (interrupted)" if self.interrupted else "")))
        self._say(("exit", code))
        return True

    def _run(self, argv: list[str], out_tty: bool, err_tty: bool) -> int:
        import contextlib
        import socket
        import threading

        listener = threading.Thread(target=self._listen, daemon=True)
        code = None
        try:
            with contextlib.redirect_stdout(_Stream(self, "out", out_tty)), \
                    contextlib.redirect_stderr(_Stream(self, "err", err_tty)):
                try:
                    with self.lock:
                        self.running = True
                    listener.start()
                    code = _cli(argv)
                finally:
                    with self.lock:
                        self.running = False
        except KeyboardInterrupt:  # the client's Ctrl-C, come before the command began or as it ended
            if not self.interrupted:
                raise
            if code is None:
                self._say(("err", "interrupted: nothing was changed\n"))
                code = 130
        try:
            self.conn.shutdown(socket.SHUT_RD)  # the listener stops
        except OSError:
            pass
        return code

    def _listen(self) -> None:
        """Pass the client's Ctrl-C (or its going away) on to the build as a Ctrl-C here."""
        import _thread
        import signal

        while True:
            try:
                message = _receive(self.conn)
            except OSError:
                message = None
            with self.lock:
                if not self.running:
                    return
                if message is None or message[0] == "interrupt":
                    self.interrupted = True
                    _thread.interrupt_main(signal.SIGINT)
                if message is None:
                    return

    def _say(self, message: tuple) -> None:
        with self.lock:
            if self.gone:
                return
            try:
                _send(self.conn, message)
            except OSError:
                self.gone = True  # the client went: the build goes on to its end


class _Stream:
    """sys.stdout or sys.stderr of a build handed off: text sent to the client as it is written."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, request: _Request, kind: str, tty: bool) -> None:
        self.request, self.kind, self.tty = request, kind, tty

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError("a text stream")  # click tells a text stream from a binary one so
        if text:
            self.request._say((self.kind, text))
        return len(text)

    def isatty(self) -> bool:
        return self.tty

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        pass


def _cli(argv: list[str]) -> int:
    """Run the command line `deckgen ARGV` here, as main() does: its exit status."""
    import traceback

    from deckgen import cli

    cli._command_line = list(argv)
    try:
        cli.cli.main(args=list(argv), prog_name="deckgen", standalone_mode=True)
    except SystemExit as exc:
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    except Exception:  # noqa: BLE001 (a bug shows its traceback, as it would in the client; the server goes on)
        traceback.print_exc()
        return 1
    finally:
        cli._command_line = None
    return 0


def _joined(argv: list[str]) -> str:
    import shlex

    return shlex.join(argv)
