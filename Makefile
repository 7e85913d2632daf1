# Everything a developer runs: `make run` for the demo, `make test` for the whole suite.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
HOST    ?= 127.0.0.1
PORT    ?= 8080

.PHONY: test lint run emulator clean browser-deps screenshot bench

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

test: lint browser-deps
	$(BIN)/pytest

# The browser tests drive Debian's chromium + chromium-driver; apt-get runs only when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "installing chromium and chromium-driver for the browser tests"; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q chromium chromium-driver; \
	fi

# The README's screenshot of the Demo room (1280x800) -> docs/room.png.
screenshot: $(STAMP) browser-deps
	$(BIN)/python tests/browser/screenshot.py docs/room.png

# The demo: emulator on :8080, the example add-on on :5000, installed into room "Demo".
run: $(STAMP)
	$(BIN)/python -m addon.demo --app wsgi:app --host $(HOST) --emulator-port $(PORT)

# Benchmarks (a few minutes; never part of `make test`): figures printed and kept in
# bench/RESULTS.md. wrk comes from Debian's packages when missing.
bench: $(STAMP)
	command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/pip install -q -r bench/requirements.txt
	$(BIN)/python bench/emulator.py
	$(BIN)/python bench/webhook.py
	$(BIN)/python bench/profile_webhook.py
	$(BIN)/python bench/replies.py
	$(BIN)/python bench/scale.py

# The emulator alone.
emulator: $(STAMP)
	$(BIN)/python -m addon.emulator --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
	find . -name __pycache__ -prune -exec rm -rf {} +
