# PropDesk — the newcomer's whole set-up is `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
# Three workers on two cores: the browser tests wait on Chromium and their servers most of the time.
# The demo users' password for `make run` (the admin's is generated and printed once by `propdesk init`).
PROPDESK_DEMO_PASSWORD ?= propdesk-demo
export PROPDESK_DEMO_PASSWORD

.PHONY: install init demo run test lint unit e2e bench soak clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

init: install
	$(BIN)/propdesk init

demo: init
	$(BIN)/propdesk demo

run: demo
	$(BIN)/streamlit run app.py --server.port $(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# three workers on two cores: the browser tests spend most of their time waiting on Chromium and their servers
test: lint
	$(BIN)/pytest -q -n 3 --dist loadfile --durations=15

unit: install
	$(BIN)/pytest -q -m "not e2e"

e2e: install
	$(BIN)/pytest -q -m e2e

bench: install
	$(BIN)/python -m bench.run

# 20 browser sessions of mixed work against one server for SOAK_SECONDS (default 600); not part of `make test`
soak: install
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
