# venvkeeper — two commands on a fresh machine: `make run` and `make test`.
# Everything else here is what those two call.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
PY_SRC := server tests bench
EXT    := vscode-extension

.PHONY: run test setup lint typecheck unit e2e pytest compat39 ext ext-test vsix ext-e2e bench demo clean

## make run: set everything up, then show what venvkeeper sees in examples/demo
run: setup demo
	@echo "== venvkeeper check examples/demo =="
	@$(BIN)/venvkeeper check examples/demo
	@echo
	@echo "== venvkeeper which examples/demo/webapp/app.py =="
	@$(BIN)/venvkeeper which examples/demo/webapp/app.py

## make test: set everything up, then every check and test (what CI runs)
test: setup lint typecheck pytest compat39 ext-test ext-e2e
	@echo "make test: all checks passed"

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/system-deps.sh
	@PYTHON=$(PYTHON) scripts/system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

demo: setup
	@# The demo's webapp has a .venv (made here: envs are machine-specific, never committed);
	@# cli-tool deliberately has none.
	@test -f examples/demo/webapp/.venv/pyvenv.cfg || $(BIN)/python -m venv --without-pip examples/demo/webapp/.venv

lint: setup
	$(BIN)/ruff check $(PY_SRC)
	$(BIN)/ruff format --check $(PY_SRC)

typecheck: setup
	$(BIN)/mypy --strict server/

pytest: setup
	@scripts/system-deps.sh --neovim
	$(BIN)/python -m pytest -q

unit: setup
	$(BIN)/python -m pytest -q tests/unit

e2e: setup
	@scripts/system-deps.sh --neovim
	$(BIN)/python -m pytest -q tests/e2e

## The package must install, pass its unit tests and serve on the oldest supported Python (3.9) when
## one is present (pytest-lsp has no 3.9 release that fits lsprotocol 2025, so e2e runs on the dev Python).
## The unit tests marked slow (real pip installs and pip-as-oracle runs: pip's behaviour, not ours, and
## already run on the dev Python) are left out here; they were half of make test's time.
compat39: setup demo
	@PY39=$$(scripts/find-python.sh 3.9); \
	if [ -z "$$PY39" ]; then echo "compat39: no python3.9 on this machine, skipped"; exit 0; fi; \
	set -e; rm -rf .venv-py39; "$$PY39" -m venv .venv-py39; \
	.venv-py39/bin/python -m pip install -q . pytest pytest-asyncio hypothesis; \
	.venv-py39/bin/python -m pip check; \
	.venv-py39/bin/venvkeeper check examples/demo > /dev/null; \
	$(BIN)/python tests/compat/smoke_serve.py .venv-py39/bin/python; \
	.venv-py39/bin/python -m pytest -q -p no:cacheprovider -m "not slow" tests/unit; \
	echo "compat39: venvkeeper installs, passes its fast unit tests, checks and serves on $$($$PY39 -V)"

## The VS Code extension: build + lint + unit tests, the .vsix, and the real-VS-Code end-to-end test.
ext-test: setup
	@scripts/system-deps.sh --node
	$(EXT)/scripts/build.sh

vsix: ext-test
	$(EXT)/scripts/vsix.sh

## Builds the .vsix itself, installs code-server once per machine (~/.cache/code-server-e2e), drives it.
## The fixtures are built with the dev env's Python: they use tests/support (which needs pytest).
ext-e2e: ext-test
	E2E_PYTHON=$(abspath $(BIN)/python) $(EXT)/scripts/e2e.sh

bench: setup demo
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .venv-py39 .mypy_cache .ruff_cache .pytest_cache test-output bench/results
