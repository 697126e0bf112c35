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

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .ruff_cache
