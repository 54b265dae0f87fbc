# Two commands on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/source-amplitude-til: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(BIN)/source-amplitude-til
	$(BIN)/python -m integration_tests.demo

test: $(BIN)/source-amplitude-til
	$(BIN)/python -m pytest

bench: $(BIN)/source-amplitude-til
	$(BIN)/python -m benchmarks.run --timeout 1800

clean:
	rm -rf $(VENV) demo-output .pytest_cache *.egg-info
