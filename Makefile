# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= data/workspace.duckdb
PORT ?= 8501
SCALE ?= M

.PHONY: run test test-fast lint format bench demo clean-db install browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when requirements.txt changes.
$(STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "Chromium is missing: run 'sudo apt-get install -y chromium' (browser tests will be skipped)"; \
	fi

run: $(STAMP)
	@test -f $(DB) || $(BIN)/python -m cs_core demo --db $(DB)
	CS_WORKSPACE_DB=$(DB) $(BIN)/streamlit run streamlit_app.py --server.port $(PORT)

test: $(STAMP) browser
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/core tests/test_architecture.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench.run --scale $(SCALE)

demo: $(STAMP)
	$(BIN)/python -m cs_core demo --db $(DB) --force

clean-db:
	rm -f $(DB) $(DB).wal
