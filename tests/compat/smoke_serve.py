"""Start `venvkeeper serve` on a given interpreter, ask for the demo's interpreter, exit cleanly.

Usage: python tests/compat/smoke_serve.py /path/to/python   (used by `make compat39`)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.rawlsp import RawLspClient

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def main() -> int:
    python = sys.argv[1]
    client = RawLspClient([python, "-m", "venvkeeper", "serve"])
    try:
        client.initialize(DEMO)
        answer = client.request("venvkeeper/interpreter", {"uri": (DEMO / "webapp" / "app.py").as_uri()})
        assert answer and answer["envPath"] == str(DEMO / "webapp" / ".venv"), answer
        assert client.request("venvkeeper/interpreter", {"uri": (DEMO / "cli-tool").as_uri()}) is None
    finally:
        code = client.close()
    assert code == 0, f"server exited with {code}"
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
