"""A stdlib-only front for ``venvkeeper serve --stdio``: the first answers while pygls still imports.

Importing pygls + lsprotocol takes ~430 ms, most of the time from spawn to the first interpreter answer
(issue 14, goal 6; docs/PERFORMANCE.md). The front reads the LSP stream itself while a background thread
imports and builds the real server:

* ``initialize`` is answered at once with :data:`INITIALIZE_RESULT` adjusted as pygls would adjust it for
  the client's capabilities (:func:`initialize_result`; tests/unit/lsp/test_front.py compares it with
  the real server's for several clients);
* ``venvkeeper/interpreter`` is answered from the domain code exactly as lsp/interpreter.py answers it
  (the same App calls and ``to_wire`` view), as long as nothing that could change the answer came
  before it (:data:`NEUTRAL`);
* anything else waits for the real server: from the first message the front does not know, it answers
  nothing more.

Once the real server is built, it is given every byte read so far (:class:`ReplayInput`, so it sees the
whole stream in order, ``initialize`` included) and then the rest of stdin; its own replies to requests
the front already answered are dropped on the way out (:class:`FilteredOutput`). Notifications to the
client only ever come from the real server. Any exception in the front ends the front, not the stream:
the real server still gets every byte. Stdout carries only protocol frames; the front logs to stderr.

Nothing here imports pygls, lsprotocol, cattrs or attrs (tests check with ``-X importtime``); the
front only reads files, like discovery and checks, so trust semantics are the real server's.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Optional, Union
from urllib.parse import unquote, urlsplit

from venvkeeper.lsp import protocol

if TYPE_CHECKING:
    from venvkeeper.app import App
    from venvkeeper.host import Host
    from venvkeeper.lsp.server import VenvkeeperServer

log = logging.getLogger("venvkeeper")

#: What pygls answers to ``initialize`` for a client that declares no capabilities. Generated from the
#: real server; tests/unit/lsp/test_front.py fails (and prints the new value) when a feature changes it.
INITIALIZE_RESULT: dict[str, Any] = {
    "capabilities": {
        "positionEncoding": "utf-16",
        "textDocumentSync": {"openClose": True, "change": 2, "save": True},
        "codeActionProvider": {"codeActionKinds": ["quickfix"], "resolveProvider": True},
        "executeCommandProvider": {
            "commands": [
                "venvkeeper.uninstallUserSite",
                "venvkeeper.create",
                "venvkeeper.sync",
                "venvkeeper.installMissing",
                "venvkeeper.installIntoEnv",
                "venvkeeper.recreate",
                "venvkeeper.findCompatibleVersions",
                "venvkeeper.addPip",
            ]
        },
        "workspace": {
            "workspaceFolders": {"supported": True, "changeNotifications": True},
            "fileOperations": {},
        },
    },
    "serverInfo": {"name": "venvkeeper", "version": "0.1.0"},
}

#: At most this long the real server's import waits for the front's first interpreter answer.
HOLD_IMPORT_S = 0.3

#: Position encodings pygls supports; it takes the client's first one among them, else UTF-16.
_ENCODINGS = ("utf-8", "utf-16", "utf-32")

#: Notifications that cannot change an interpreter answer: after them the front may still answer.
#: (Buffers do not choose interpreters; a save re-checks, and the front checks afresh anyway.)
NEUTRAL = frozenset(
    {
        "initialized",
        "textDocument/didOpen",
        "textDocument/didChange",
        "textDocument/didClose",
        "textDocument/didSave",
        "$/setTrace",
        "$/cancelRequest",
    }
)

Json = Any


def initialize_result(params: Json) -> Optional[dict[str, Any]]:
    """What pygls answers to ``initialize`` with these params, or None when the front cannot tell
    (then the real server answers)."""
    if not isinstance(params, Mapping):
        return None
    caps = params.get("capabilities")
    if not isinstance(caps, Mapping):
        return None
    result = json.loads(json.dumps(INITIALIZE_RESULT))
    general = caps.get("general")
    encodings = general.get("positionEncodings") if isinstance(general, Mapping) else None
    if encodings is not None:
        if not isinstance(encodings, list):
            return None
        chosen = next((e for e in encodings if e in _ENCODINGS), None)
        result["capabilities"]["positionEncoding"] = chosen or "utf-16"
    text_document = caps.get("textDocument")
    sync = text_document.get("synchronization") if isinstance(text_document, Mapping) else None
    if isinstance(sync, Mapping):
        # pygls: ``client.willSave and WILL_SAVE in features`` — False (sent) when the client says
        # true or false, None (left out) when it says nothing; venvkeeper handles neither method.
        for key in ("willSave", "willSaveWaitUntil"):
            value = sync.get(key)
            if value is None:
                continue
            if not isinstance(value, bool):
                return None
            result["capabilities"]["textDocumentSync"][key] = False
    return result  # type: ignore[no-any-return]


def uri_to_path(uri: str) -> Optional[Path]:
    """A ``file:`` URI's path as pygls's ``to_fs_path`` gives it, for the plain POSIX case only;
    None for anything else (the real server answers those)."""
    if os.name != "posix" or not uri.startswith("file://"):
        return None
    parts = urlsplit(uri)
    if parts.netloc or parts.query or parts.fragment or not parts.path.startswith("/"):
        return None
    from venvkeeper.app import normalize

    return normalize(Path(unquote(parts.path)))


# -- framing ------------------------------------------------------------------------------------------
def split_frames(buf: Union[bytes, bytearray], start: int = 0) -> tuple[list[bytes], int]:
    """The complete ``Content-Length`` frames' bodies in ``buf[start:]`` and the offset after the last one.

    Raises ValueError on a header block without a valid ``Content-Length`` (the real server then
    decides what to make of it)."""
    bodies: list[bytes] = []
    pos = start
    while True:
        end = buf.find(b"\r\n\r\n", pos)
        if end < 0:
            return bodies, pos
        length: Optional[int] = None
        for line in bytes(buf[pos:end]).split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if length is None or length < 0:
            raise ValueError("LSP header without Content-Length")
        body_end = end + 4 + length
        if body_end > len(buf):
            return bodies, pos
        bodies.append(bytes(buf[end + 4 : body_end]))
        pos = body_end


def frame(message: Mapping[str, Any]) -> bytes:
    return frame_bytes(json.dumps(message, separators=(",", ":")).encode("utf-8"))


# -- the stream, shared by the front and the real server ---------------------------------------------
_Event = tuple[str, Any]  # ("data", bytes) | ("eof", None) | ("ready", server) | ("failed", exc)


class ReplayInput:
    """Stdin for pygls: the bytes the front already read, then whatever the reader thread reads next.

    pygls calls ``readline`` and ``read(n)`` one at a time from its executor; nothing else reads."""

    def __init__(self, seen: bytes, events: queue.Queue[_Event], eof: bool = False) -> None:
        self._buf = bytearray(seen)
        self._events = events
        #: The front already took the end of input off the queue.
        self._eof = eof

    def _fill(self) -> bool:
        if self._eof:
            return False
        while True:
            kind, payload = self._events.get()
            if kind == "data":
                self._buf += payload
                return True
            if kind == "eof":
                self._eof = True
                return False
            # ("ready"/"failed") cannot come after the hand-over; ignore anything else

    def readline(self) -> bytes:
        while b"\n" not in self._buf and self._fill():
            pass
        cut = self._buf.find(b"\n") + 1 or len(self._buf)
        out = bytes(self._buf[:cut])
        del self._buf[:cut]
        return out

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self._buf) < n) and self._fill():
            pass
        n = len(self._buf) if n < 0 else min(n, len(self._buf))
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out


class FilteredOutput:
    """Stdout for pygls: drops its replies to the requests the front answered, passes everything else.

    The reply to ``initialize`` is compared with the front's; a difference is logged as an error (the
    contract test should have caught it)."""

    def __init__(self, out: BinaryIO, answered: Mapping[Json, Json], init_id: Json = None) -> None:
        self._out = out
        self._drop = dict(answered)
        self._init_id = init_id
        self._buf = bytearray()

    @property
    def closed(self) -> bool:
        return self._out.closed

    def write(self, data: bytes) -> int:
        if not self._drop and not self._buf:
            self._out.write(data)
            return len(data)
        self._buf += data
        bodies, used = split_frames(self._buf)
        del self._buf[:used]
        for body in bodies:
            if not self._dropped(body):
                self._out.write(frame_bytes(body))
        return len(data)

    def _dropped(self, body: bytes) -> bool:
        try:
            msg = json.loads(body)
        except ValueError:
            return False
        if not isinstance(msg, dict) or "method" in msg or "id" not in msg:
            return False
        key = _id_key(msg["id"])
        if key not in self._drop:
            return False
        sent = self._drop.pop(key)
        if self._init_id is not None and key == _id_key(self._init_id) and msg.get("result") != sent:
            log.error(
                "the front's initialize result differs from the server's: %s != %s", sent, msg.get("result")
            )
        return True

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        self._out.close()


def frame_bytes(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _id_key(value: Json) -> Json:
    """Request ids are numbers or strings; 1 and "1" are different ids."""
    return (type(value).__name__, value)


# -- the front ----------------------------------------------------------------------------------------
class Front:
    """Answers what it can from the domain code; knows nothing of pygls."""

    def __init__(
        self, host: Host, write: Callable[[bytes], None], done: Callable[[], None] = lambda: None
    ) -> None:
        self.host = host
        self.write = write
        #: Called once the front has answered an interpreter query or stopped.
        self.done = done
        self.active = True
        #: id key → result sent, for the replies to drop later.
        self.answered: dict[Json, Json] = {}
        self.init_id: Json = None
        self._app: Optional[App] = None
        self._init_params: Json = None

    def handle(self, msg: Json) -> None:
        """Answer ``msg`` if the front can; else stop answering (everything from here on waits)."""
        if not self.active:
            return
        if not isinstance(msg, dict):
            self.stop()
            return
        method = msg.get("method")
        is_request = "id" in msg
        if not is_request and method in NEUTRAL:
            return
        result: Json
        if is_request and method == "initialize" and self._init_params is None:
            result = initialize_result(msg.get("params"))
            if result is None:
                self.stop()
                return
            self._init_params = msg.get("params")
            self.init_id = msg["id"]
        elif is_request and method == protocol.INTERPRETER and self._init_params is not None:
            answer = self._interpreter(msg.get("params"))
            if answer is None:
                self.stop()
                return
            result = answer[0]
        else:
            self.stop()
            return
        self.write(frame({"jsonrpc": "2.0", "id": msg["id"], "result": result}))
        self.answered[_id_key(msg["id"])] = result
        if method == protocol.INTERPRETER:
            self.done()

    def stop(self) -> None:
        """Answer nothing more (everything from here on waits for the real server)."""
        self.active = False
        self.done()

    def _interpreter(self, params: Json) -> Optional[tuple[Json]]:
        """lsp/interpreter.py's answer, or None when the real server must answer (e.g. its error)."""
        uri = params.get("uri") if isinstance(params, Mapping) else None
        if not isinstance(uri, str):
            return None
        path = uri_to_path(uri)
        if path is None:
            return None
        from venvkeeper.wire import to_wire

        app = self.app()
        project = app.project_for(path)
        if project is not None:
            while app.needs_check(project):  # what CheckRunner.ensure does, in this thread
                job = app.check_job(project)
                app.apply_check(job, job.run())
        return (to_wire(app.interpreter_for(path)),)

    def app(self) -> App:
        """The App as lsp/workspace.py's initialize handler sets it up."""
        if self._app is None:
            from venvkeeper.app import App
            from venvkeeper.lsp.protocol import as_plain
            from venvkeeper.settings import initialization_settings, settings_section

            params = self._init_params
            app = App(host=self.host, log=log.info)
            options = initialization_settings(as_plain(params.get("initializationOptions")))
            for problem in app.update_settings(settings_section(options)):
                log.warning(problem)
            app.set_roots(_roots(params), scan=False)
            self._app = app
        return self._app


def _roots(params: Mapping[str, Any]) -> list[Path]:
    """lsp/workspace.py's ``_roots_from_initialize`` on plain JSON."""
    from venvkeeper.app import normalize

    roots: list[Path] = []
    for folder in params.get("workspaceFolders") or []:
        uri = folder.get("uri") if isinstance(folder, Mapping) else None
        path = uri_to_path(uri) if isinstance(uri, str) else None
        if isinstance(uri, str) and path is None and uri.startswith("file:"):
            raise _Unsure(uri)
        if path is not None:
            roots.append(path)
    root_uri = params.get("rootUri")
    if not roots and isinstance(root_uri, str):
        path = uri_to_path(root_uri)
        if path is None and root_uri.startswith("file:"):
            raise _Unsure(root_uri)
        if path is not None:
            roots.append(path)
    root_path = params.get("rootPath")
    if not roots and isinstance(root_path, str) and root_path:
        roots.append(normalize(Path(root_path)))
    return roots


class _Unsure(Exception):
    """The front cannot compute this exactly; the real server will."""


# -- serve --------------------------------------------------------------------------------------------
def serve_stdio(host: Host, level: int, build: Optional[Callable[[Host], VenvkeeperServer]] = None) -> None:
    """``venvkeeper serve --stdio`` with the front; returns when the real server stops."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    # As setup_logging does: pygls logs every feature it registers at INFO, which the server built on the
    # import thread would otherwise print through this handler (editors show stderr as errors).
    logging.getLogger("pygls").setLevel(logging.WARNING)

    events: queue.Queue[_Event] = queue.Queue()
    stdin_fd = sys.stdin.fileno()
    stdout = sys.stdout.buffer

    def read_stdin() -> None:
        try:
            while True:
                chunk = os.read(stdin_fd, 65536)
                if not chunk:
                    break
                events.put(("data", chunk))
        except OSError as exc:
            log.info("stdin: %s", exc)
        events.put(("eof", None))

    def build_real() -> None:
        # Both threads need the CPU and share the GIL: let the front answer first (or give up), so the
        # import does not halve its speed; a client that asks nothing waits at most HOLD_IMPORT_S more.
        go.wait(HOLD_IMPORT_S)
        try:
            from venvkeeper.lsp.features import build_server

            events.put(("ready", (build or build_server)(host)))
        except BaseException as exc:  # reported in the main thread
            events.put(("failed", exc))

    def write(data: bytes) -> None:
        stdout.write(data)
        stdout.flush()

    go = threading.Event()
    threading.Thread(target=read_stdin, name="venvkeeper-stdin", daemon=True).start()
    threading.Thread(target=build_real, name="venvkeeper-import", daemon=True).start()

    front = Front(host, write, go.set)
    seen = bytearray()
    parsed = 0
    eof = False
    server: Optional[VenvkeeperServer] = None
    while server is None:
        kind, payload = events.get()
        if kind == "ready":
            server = payload
        elif kind == "failed":
            raise payload
        elif kind == "eof":
            eof = True
            front.stop()
        else:
            seen += payload
            if not front.active:
                continue
            try:
                bodies, parsed = split_frames(seen, parsed)
                for body in bodies:
                    front.handle(json.loads(body))
                    if not front.active:
                        break
            except Exception as exc:  # the real server gets every byte anyway
                log.warning(
                    "the start-up front stopped (%s: %s); the server answers everything",
                    type(exc).__name__,
                    exc,
                )
                front.stop()
    if front.answered:
        log.debug("the start-up front answered %d request(s) before the server was up", len(front.answered))
    # Hand over: the real server's logging replaces the front's, then it reads the whole stream.
    root.removeHandler(handler)
    from venvkeeper.lsp.logging import setup_logging

    setup_logging(level)
    server.start_io(
        ReplayInput(bytes(seen), events, eof),  # type: ignore[arg-type]
        FilteredOutput(stdout, front.answered, front.init_id),  # type: ignore[arg-type]
    )
