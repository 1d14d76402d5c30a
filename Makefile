# spanwise: `make demo` shows the main job, `make test` runs every test.
# Both set up .venv (and reinstall when pyproject.toml or setup.py change).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DEV    := $(VENV)/.dev-installed
# Benchmarks get their own venv: the peers they compare with register `openai`
# instrumentor entry points that `opentelemetry-instrument` tests must not see.
BENCH_VENV := .venv-bench
BENCH      := $(BENCH_VENV)/.installed
# Keep the repo root off sys.path: run pytest's script, not `python -m pytest`.
PYTEST := $(VENV)/bin/pytest

# The oldest OpenAI SDK spanwise supports, in a venv of its own (httpx<0.28: openai
# 1.40 passes `proxies`, which httpx 0.28 removed).
OLDEST     := .venv-openai-oldest
OLDEST_PIP := $(OLDEST)/.installed

.PHONY: install test test-fast test-openai-oldest demo bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(DEV): pyproject.toml setup.py | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

$(BENCH): pyproject.toml setup.py
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[dev,bench]'
	touch $@

install: $(DEV)

test: $(DEV) $(OLDEST_PIP)
	$(PYTEST) -q
	$(OLDEST)/bin/pytest -q -p no:cacheprovider tests/instrumentations/openai

test-openai-oldest: $(OLDEST_PIP)
	$(OLDEST)/bin/pytest -q tests/instrumentations/openai

$(OLDEST_PIP): pyproject.toml setup.py
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q --upgrade pip
	$(OLDEST)/bin/python -m pip install -q -e . 'openai==1.40.0' 'httpx<0.28' pytest pytest-asyncio pytest-timeout jsonschema pyyaml
	touch $@

test-fast: $(DEV)
	$(PYTEST) -q -m "not slow"

demo: $(DEV)
	cd examples && ../$(PY) openai_agent.py

bench: $(BENCH)
	$(BENCH_VENV)/bin/python benchmarks/run.py

# pyright cannot follow setuptools' package-dir import hook: give it a symlink tree
# laid out like the installed package.
lint: $(DEV)
	$(VENV)/bin/ruff check .
	rm -rf build/typecheck && mkdir -p build/typecheck/spanwise
	for f in spanwise/*; do ln -s ../../../$$f build/typecheck/spanwise/; done
	for d in semconv instrumentations exporter; do ln -s ../../../$$d build/typecheck/spanwise/$$d; done
	$(VENV)/bin/pyright

clean:
	rm -rf $(VENV) $(OLDEST) $(BENCH_VENV) build dist *.egg-info .pytest_cache
