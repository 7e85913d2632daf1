# Everything a developer runs: `make run` for the demo, `make test` for the whole suite.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8080

.PHONY: test lint run emulator clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstall only when a requirements file or the project metadata changed.
$(STAMP): $(BIN)/python requirements.txt requirements-dev.txt pyproject.toml
	$(BIN)/pip install -q -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest

# The demo: emulator on :8080, the example add-on on :5000, installed into room "Demo".
run: $(STAMP)
	$(BIN)/python -m addon.demo --app wsgi:app --host $(HOST) --emulator-port $(PORT)

# The emulator alone.
emulator: $(STAMP)
	$(BIN)/python -m addon.emulator --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
