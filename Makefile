# bilateral-monitor: `make demo` runs the main job, `make test` runs every test tier.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test unit lint format schemas bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed  ## the main job on the bundled example story (embedded, no broker)
	$(BIN)/bilateral-monitor demo

test: $(VENV)/.installed  ## all tests: unit, integration (starts a local Kafka broker), e2e
	scripts/test

unit: $(VENV)/.installed  ## the tiers that need no broker
	$(BIN)/pytest -m "not kafka" -q

lint: $(VENV)/.installed
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

schemas: $(VENV)/.installed  ## regenerate JSON Schema files and the AsyncAPI document
	$(BIN)/python -m schemas.generate

bench: $(VENV)/.installed  ## benchmarks that print numbers
	$(BIN)/python scripts/bench_replay.py

clean:
	rm -rf $(VENV) .bilateral-monitor .kafka-local test-output .pytest_cache
