# One command to set up and run the demo, one to set up and run the tests.
PY ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run local test lint format bench lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==25.3"
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

run: setup  ## the whole path on the embedded default, with the shipped sample receipts
	$(BIN)/receiptsnap demo

local: setup  ## the whole stack in the foreground (set TELEGRAM_BOT_TOKEN to poll Telegram)
	$(BIN)/receiptsnap local

test: setup  ## the whole suite (PostgreSQL when TEST_DATABASE_URL is set, SQLite otherwise)
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup  ## benchmarks that print figures
	$(BIN)/python bench/pipeline.py

lock:  ## re-pin every transitive dependency after changing pyproject.toml
	$(BIN)/python -m pip freeze --exclude-editable | grep -v "^-e" > requirements.lock

clean:
	rm -rf $(VENV) .receiptsnap .pytest_cache .mypy_cache .ruff_cache
