# One command per job. `make run` and `make test` install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.PHONY: install run test chromium lint format bench soak screenshots clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: install
	$(BIN)/switchboard serve

test: install chromium
	$(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

# The dashboard's browser tests drive Debian's Chromium; install it where it is missing and apt is at hand.
chromium:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null; then \
	  as_root=""; [ "$$(id -u)" = 0 ] || as_root="sudo"; \
	  $$as_root apt-get update -qq && $$as_root apt-get install -y -qq chromium; \
	fi

lint: install
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests bench examples
	$(BIN)/ruff format src tests bench examples

# Retake the README's screenshots of the dashboard (docs/screenshots/).
screenshots: install chromium
	SWITCHBOARD_SCREENSHOTS=docs $(BIN)/pytest -p no:cacheprovider tests/dashboard/test_screenshots.py

bench: install chromium
	$(BIN)/python -m bench

# Simulated agents over MCP against a hub process, reading /metrics as they go: `make soak SOAK_MINUTES=10
# SOAK_AGENTS=200 SOAK_BACKEND=postgres SOAK_WORKERS=2`. Exits non-zero when the run counted any error.
SOAK_MINUTES ?= 10
SOAK_AGENTS ?= 200
SOAK_BACKEND ?= sqlite
SOAK_WORKERS ?= 1

soak: install
	$(BIN)/python -m bench.soak --minutes $(SOAK_MINUTES) --agents $(SOAK_AGENTS) --backend $(SOAK_BACKEND) \
	  --workers $(SOAK_WORKERS)

clean:
	rm -rf $(VENV) .data
