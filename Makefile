# The two commands: `make demo` and `make test`. Both create .venv and install on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock
TOOLS := .venv-tools

.PHONY: demo test lint lock clean

# Dependencies come from the lock file (exact versions and hashes), the project itself without
# dependencies; `pip check` fails when pyproject.toml asks for something the lock lacks.
$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "reminderbot needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@$(BIN)/python -m pip check || { echo "$(LOCK) does not satisfy pyproject.toml: run 'make lock'" >&2; exit 1; }
	@touch $(STAMP)

# Refresh the lock from pyproject.toml (main dependencies and the test extra). Pins already in
# the lock are kept when they still fit; `make lock LOCK_ARGS=--upgrade` moves all to the newest.
lock:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet pip-tools
	CUSTOM_COMPILE_COMMAND="make lock" $(TOOLS)/bin/pip-compile --quiet --extra test \
		--generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links \
		$(LOCK_ARGS) --output-file $(LOCK) pyproject.toml

demo: $(STAMP)
	$(BIN)/reminderbot demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff, mypy (strict, configured in pyproject.toml) and the layer contract (lint-imports, the
# [tool.importlinter] contracts). All three run so one pass shows every problem; any failure
# fails the target.
lint: $(STAMP)
	@status=0; \
	echo '$(BIN)/ruff check .'; $(BIN)/ruff check . || status=1; \
	echo '$(BIN)/mypy'; $(BIN)/mypy || status=1; \
	echo '$(BIN)/lint-imports'; $(BIN)/lint-imports || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
