# Set-up: a plain venv in .venv, filled by uv (pip-installed into it first; far faster than pip), or by pip when uv
# can't be had or USE_UV=0. Stamps in .venv skip installs already done until pyproject.toml changes.
PYTHON ?= python3
USE_UV ?= 1
VENV := .venv
BIN := $(VENV)/bin
RUN_DEPS := $(VENV)/.run-deps
TEST_DEPS := $(VENV)/.test-deps
# the venv's uv if it runs (USE_UV=0: never), else its pip; looked up as each recipe starts. Both leave compiled
# bytecode behind (pip does by default, uv when asked): where PYTHONDONTWRITEBYTECODE is set, nothing would ever be
# cached and every start would compile numpy, rich and click from source again (0.25 s -> 0.7 s for `gradcheck run`)
INSTALL = $(shell [ "$(USE_UV)" != 0 ] && $(BIN)/uv --version >/dev/null 2>&1 \
	&& echo $(BIN)/uv pip install --compile-bytecode --python $(BIN)/python || echo $(BIN)/python -m pip install) --quiet

.PHONY: run test test-fast lint type fmt bench bench-versus fuzz clean
.DELETE_ON_ERROR:

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	[ "$(USE_UV)" = 0 ] || $(BIN)/python -m pip install --quiet uv || echo "uv could not be installed: pip installs instead"

# editable_mode=compat: a plain path in a .pth, not an import hook that every start would load (20 ms)
$(RUN_DEPS): pyproject.toml | $(BIN)/python
	$(INSTALL) -e . -C editable_mode=compat
	touch $@

# torch (CPU) for the tests only: the oracle of the common LSTM and GRU is torch.nn.LSTM / torch.nn.GRU; pip takes
# torch 2.13.0 from this machine's disk
$(TEST_DEPS): pyproject.toml $(RUN_DEPS)
	$(INSTALL) -e '.[test]' -C editable_mode=compat
	$(BIN)/python -m pip install --quiet torch==2.13.0
	touch $@

# the package's own bytecode too (it is installed editable): compileall skips what is up to date
run: $(RUN_DEPS)
	$(BIN)/python -m compileall -q gradcheck
	$(BIN)/gradcheck run

test: $(TEST_DEPS) lint type
	$(BIN)/python -m pytest -n auto

# the suite less what is marked slow (tests/conftest.py says what that is), without lint and type checks: under a minute
test-fast: $(TEST_DEPS)
	$(BIN)/python -m pytest -n auto -m "not slow"

# the trees lint checks, and fmt formats
SOURCES := gradcheck tests benchmarks examples fuzz scripts

lint: $(TEST_DEPS)
	$(BIN)/ruff check $(SOURCES)
	$(BIN)/ruff format --check $(SOURCES)
	$(BIN)/codespell gradcheck tests README.md docs configs examples

type: $(TEST_DEPS)
	$(BIN)/mypy

# torch with pip: pip is the installer set up to take torch 2.13.0 from this machine's disk
bench: $(RUN_DEPS)
	$(BIN)/python -m compileall -q gradcheck
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/bench_grade.py

# this tree against an earlier commit (BASE, default HEAD~1), alternately in one run: the minchar default check and
# the classic LSTM
BASE ?= HEAD~1
bench-versus: $(RUN_DEPS)
	$(BIN)/python benchmarks/versus.py --base $(BASE)

fmt: $(TEST_DEPS)
	$(BIN)/ruff format $(SOURCES)
	$(BIN)/ruff check --fix $(SOURCES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

# the config loader (atheris, coverage-guided), then the library API's argument checks and the output writer
# (hypothesis, many more examples than the suite draws)
fuzz: $(TEST_DEPS)
	$(INSTALL) atheris
	mkdir -p fuzz/corpus
	$(BIN)/python fuzz/fuzz_config.py -atheris_runs=100000 -max_len=12000 fuzz/corpus fuzz/seeds tests/fuzz_regressions
	$(BIN)/python fuzz/fuzz_api.py
	$(BIN)/python fuzz/fuzz_writer.py
