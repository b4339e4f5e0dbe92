# The README's two commands:
#   make run   set up .venv and run the main job (import the seeds, poll every feed) on ./data
#   make test  set up .venv with the test tools and run the whole test suite (what CI runs)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test setup setup-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP) $@

setup: $(STAMP)
setup-test: $(TEST_STAMP)

run: $(STAMP)
	$(BIN)/newswatch import-seeds
	$(BIN)/newswatch poll || echo "newswatch poll: exit $$? (2: no feed could be reached, e.g. offline; see README, Exit codes)"
	$(BIN)/newswatch articles --all

test: $(TEST_STAMP)
	$(BIN)/python -m pytest

bench: $(TEST_STAMP)
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/dates.py
	$(BIN)/python benchmarks/language.py
	$(BIN)/python benchmarks/relevance.py
	$(BIN)/python benchmarks/dedup.py
	$(BIN)/python benchmarks/store.py

clean:
	rm -rf $(VENV) build *.egg-info
