"""Per-user state kept outside every repository: selections, declined prompts, sync records.

One JSON file in the user state dir (``platformdirs.user_state_dir``). Keys are the projects'
resolved absolute paths, so nothing here is ever written into a file the user commits. Writes are
atomic (temp file + ``os.replace``) so a crash never leaves a truncated file; an unreadable file is
treated as empty rather than crashing the daemon.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Optional

from venvkeeper import fsread

STATE_FILE = "state.json"


class StateStore:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / STATE_FILE
        self._lock = threading.Lock()

    # -- raw access ------------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        raw = fsread.read_bytes(self.path, fsread.STATE)
        if isinstance(raw, fsread.Unreadable):
            fsread.note(raw)
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=str(self.path.parent))
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _project(self, data: dict[str, Any], project: Path) -> dict[str, Any]:
        projects = data.setdefault("projects", {})
        entry = projects.setdefault(str(project), {})
        assert isinstance(entry, dict)
        return entry

    def _get(self, project: Path, key: str) -> Any:
        with self._lock:
            entry = self._load().get("projects", {}).get(str(project), {})
            return entry.get(key) if isinstance(entry, dict) else None

    def _set(self, project: Path, key: str, value: Any) -> None:
        with self._lock:
            data = self._load()
            entry = self._project(data, project)
            if value is None:
                entry.pop(key, None)
            else:
                entry[key] = value
            self._save(data)

    # -- explicit interpreter selection ------------------------------------------------------------
    def selection(self, project: Path) -> Optional[Path]:
        value = self._get(project, "selected")
        return Path(value) if isinstance(value, str) else None

    def set_selection(self, project: Path, env: Optional[Path]) -> None:
        self._set(project, "selected", str(env) if env is not None else None)

    # -- "Never for this project" ------------------------------------------------------------------
    def declined(self, project: Path, prompt: str) -> bool:
        value = self._get(project, "declined")
        return isinstance(value, list) and prompt in value

    def decline(self, project: Path, prompt: str) -> None:
        current = self._get(project, "declined")
        names = set(current) if isinstance(current, list) else set()
        names.add(prompt)
        self._set(project, "declined", sorted(names))

    # -- sync records: which requirement-file digest an env was last synced with ------------------
    def sync_record(self, project: Path) -> dict[str, str]:
        value = self._get(project, "synced")
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}

    def set_sync_record(self, project: Path, record: dict[str, str]) -> None:
        self._set(project, "synced", record)
