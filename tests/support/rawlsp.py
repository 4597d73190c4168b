"""A minimal stdlib-only LSP client over a subprocess's stdio, for benchmarks and smoke tests.

pytest-lsp is the client for the test-suite; this one has no dependencies so it can drive a server
running on another interpreter (the Python 3.9 compatibility check) and time raw round trips.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from queue import Empty, Queue
from typing import Any, Optional


class RawLspClient:
    def __init__(self, cmd: Sequence[str], env: Optional[dict[str, str]] = None) -> None:
        self.proc = subprocess.Popen(
            list(cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        self._next_id = 0
        self._responses: dict[int, Queue[dict[str, Any]]] = {}
        self.notifications: Queue[dict[str, Any]] = Queue()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode()
        assert self.proc.stdin is not None
        with self._lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _read_loop(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            msg = json.loads(out.read(length))
            if "id" in msg and "method" not in msg:
                self._responses.setdefault(msg["id"], Queue()).put(msg)
            elif "id" in msg:  # a server → client request: answer null so the server never waits
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": None})
                self.notifications.put(msg)
            else:
                self.notifications.put(msg)

    def send_request(self, method: str, params: Any) -> int:
        """Send a request without waiting for its answer (``request`` waits); return its id."""
        with self._lock:
            self._next_id += 1
            rid = self._next_id
            self._responses.setdefault(rid, Queue())
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return rid

    def request(self, method: str, params: Any, timeout: float = 10.0) -> Any:
        rid = self.send_request(method, params)
        try:
            msg = self._responses[rid].get(timeout=timeout)
        except Empty:
            raise TimeoutError(f"{method}: no answer in {timeout}s") from None
        if "error" in msg:
            raise RuntimeError(f"{method}: {msg['error']}")
        return msg.get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def initialize(self, root: Path, init_options: Optional[dict[str, Any]] = None) -> Any:
        result = self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
                "capabilities": {"window": {"workDoneProgress": True}},
                "initializationOptions": init_options or {},
            },
        )
        self.notify("initialized", {})
        return result

    def wait_notification(self, method: str, timeout: float = 10.0) -> dict[str, Any]:
        while True:
            msg = self.notifications.get(timeout=timeout)
            if msg.get("method") == method:
                return msg

    def close(self) -> int:
        try:
            self.request("shutdown", None, timeout=5)
            self.notify("exit", None)
            return self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()
            return self.proc.wait()
