# spanwise: `make demo` shows the main job, `make test` runs every test.
# Both set up .venv (and reinstall when pyproject.toml or setup.py change).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DEV    := $(VENV)/.dev-installed
BENCH  := $(VENV)/.bench-installed
# Keep the repo root off sys.path: run pytest's script, not `python -m pytest`.
PYTEST := $(VENV)/bin/pytest

.PHONY: install test test-fast demo bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(DEV): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(BENCH): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install -q -e '.[dev,bench]'
	touch $@

install: $(DEV)

test: $(DEV)
	$(PYTEST) -q

test-fast: $(DEV)
	$(PYTEST) -q -m "not slow"

demo: $(DEV)
	cd examples && ../$(PY) openai_agent.py

bench: $(BENCH)
	$(PY) benchmarks/run.py

# pyright cannot follow setuptools' package-dir import hook: give it a symlink tree
# laid out like the installed package.
lint: $(DEV)
	$(VENV)/bin/ruff check .
	rm -rf build/typecheck && mkdir -p build/typecheck/spanwise
	for f in spanwise/*; do ln -s ../../../$$f build/typecheck/spanwise/; done
	for d in semconv instrumentations exporter; do ln -s ../../../$$d build/typecheck/spanwise/$$d; done
	$(VENV)/bin/pyright

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
