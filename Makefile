# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= data/workspace.duckdb
PORT ?= 8501
SCALE ?= M

.PHONY: run test test-fast test-future test-zones lint format bench demo clean-db install browser tools

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

# The launcher starts the daily health run's scheduler, then Streamlit, in one process.
# libfaketime for running the suite with the clock moved (no test may depend on today's date).
tools:
	@if command -v faketime >/dev/null; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; \
	else \
		echo "faketime is missing: run 'sudo apt-get install -y faketime' for make test-future"; exit 1; \
	fi

run: $(STAMP)
	@test -f $(DB) || $(BIN)/python -m cs_core demo --db $(DB)
	CS_WORKSPACE_DB=$(DB) $(BIN)/python -m ui.launch --server.port $(PORT)

# Every test: the browser tests and the rest as two processes side by side (one core each), each
# with its own log in test-logs/, printed when both are done. Browser tests keep their
# screenshots in test-results/ (ignored by git) to be looked at; pytest-playwright empties that
# folder when a browser run starts, so the logs are kept beside it.
test: $(STAMP) browser
	@mkdir -p test-logs
	@CS_E2E_ARTIFACTS=$(CURDIR)/test-results $(BIN)/python -m pytest -p no:cacheprovider tests/e2e \
		> test-logs/e2e.log 2>&1 & e2e=$$!; \
	$(BIN)/python -m pytest -p no:playwright --ignore=tests/e2e > test-logs/rest.log 2>&1; rest=$$?; \
	wait $$e2e; e2e=$$?; cat test-logs/rest.log test-logs/e2e.log; \
	echo "core, page and architecture tests: exit $$rest; browser tests: exit $$e2e"; \
	test $$rest = 0 && test $$e2e = 0

# The core and page tests with the clock a year ahead, the server in Los Angeles' zone. (Under
# faketime a timed lock wait never ends: the code sleeps in short steps instead, see daily.py.)
test-future: $(STAMP) tools
	TZ=America/Los_Angeles faketime -f '+365d' $(BIN)/python -m pytest -q -p no:cacheprovider tests/core tests/pages

# The same tests with the server in Tokyo's zone (UTC+9, no DST).
test-zones: $(STAMP)
	TZ=Asia/Tokyo $(BIN)/python -m pytest -q -p no:cacheprovider tests/core tests/pages

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
