# Two commands on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= secrets/config.json
DB ?= amplitude.duckdb
# uv resolves PyAirbyte's many dependencies in seconds where pip takes minutes: the one on PATH,
# else one pip puts in the venv (within PyAirbyte's own `uv<0.9` bound, so nothing is replaced later).
# Unlike pip, uv does not compile bytecode unless asked: without it every run of the connector
# (each `make sync`, each benchmark run) compiles the CDK again, about a second.
UV := $(or $(shell command -v uv 2>/dev/null),$(BIN)/uv)

.PHONY: demo test bench bench-local sync report clean

$(BIN)/source-amplitude-til: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(BIN)/python -m pip install --quiet 'uv<0.9'
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[test,local]'
	touch $@

demo: $(BIN)/source-amplitude-til
	$(BIN)/python -m demo

test: $(BIN)/source-amplitude-til
	$(BIN)/python -m pytest

bench: $(BIN)/source-amplitude-til
	$(BIN)/python -m benchmarks.run --timeout 1800

bench-local: $(BIN)/source-amplitude-til
	$(BIN)/python -m benchmarks.local_sync

sync: $(BIN)/source-amplitude-til
	$(BIN)/python -m source_amplitude_til.local.sync --config $(CONFIG) --db $(DB) $(SYNC_ARGS)

report: $(BIN)/source-amplitude-til
	$(BIN)/python -m source_amplitude_til.local.report --db $(DB)

clean:
	rm -rf $(VENV) demo-output .pytest_cache *.egg-info
