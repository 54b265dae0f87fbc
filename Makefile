# Two commands on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONFIG ?= secrets/config.json
DB ?= amplitude.duckdb
# uv installs the same packages several times faster; pip when uv is not on PATH
INSTALL := $(if $(shell command -v uv 2>/dev/null),uv pip install --quiet --python $(BIN)/python,$(BIN)/python -m pip install --quiet)

.PHONY: demo test bench sync report clean

$(BIN)/source-amplitude-til: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(INSTALL) -e '.[test,local]'
	touch $@

demo: $(BIN)/source-amplitude-til
	$(BIN)/python -m integration_tests.demo

test: $(BIN)/source-amplitude-til
	$(BIN)/python -m pytest

bench: $(BIN)/source-amplitude-til
	$(BIN)/python -m benchmarks.run --timeout 1800

sync: $(BIN)/source-amplitude-til
	$(BIN)/python -m source_amplitude_til.local.sync --config $(CONFIG) --db $(DB)

report: $(BIN)/source-amplitude-til
	$(BIN)/python -m source_amplitude_til.local.report --db $(DB)

clean:
	rm -rf $(VENV) demo-output .pytest_cache *.egg-info
