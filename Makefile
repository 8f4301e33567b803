# Set-up is a fresh .venv with the project and its test extras, from the package registries.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint type fmt bench fuzz clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gradcheck run

test: $(STAMP) lint type
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check gradcheck tests benchmarks
	$(BIN)/ruff format --check gradcheck tests benchmarks
	$(BIN)/codespell gradcheck tests README.md configs

type: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python benchmarks/bench.py

fmt: $(STAMP)
	$(BIN)/ruff format gradcheck tests
	$(BIN)/ruff check --fix gradcheck tests

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet atheris
	mkdir -p fuzz/corpus
	$(BIN)/python fuzz/fuzz_config.py -atheris_runs=100000 -max_len=12000 fuzz/corpus fuzz/seeds tests/fuzz_regressions
