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
BENCH_GENAI_VENV := .venv-bench-genai
BENCH_GENAI      := $(BENCH_GENAI_VENV)/.installed
# The framework benches' peers register `opentelemetry_instrumentor` entry points under
# the frameworks' names, which .venv-frameworks' zero-code tests must not see: a venv
# of their own.
BENCH_FRAMEWORKS_VENV := .venv-bench-frameworks
BENCH_FRAMEWORKS      := $(BENCH_FRAMEWORKS_VENV)/.installed
BENCH_FRAMEWORK_PKGS := 'llama-index-core>=0.12' llama-index-llms-openai 'openai>=1.40,<3' \
	'dspy>=3.0' 'autogen-agentchat>=0.7' 'autogen-ext[openai]>=0.7' 'ag2[openai]>=0.9,<1' \
	crewai litellm \
	'openinference-instrumentation-llama-index==4.6.1' \
	'opentelemetry-instrumentation-llamaindex==0.62.4' \
	'openinference-instrumentation-dspy==0.1.48' \
	'openinference-instrumentation-crewai==1.1.21' \
	'opentelemetry-instrumentation-crewai==0.62.4' \
	'openinference-instrumentation-autogen-agentchat==0.1.22' \
	'openinference-instrumentation-ag2==0.1.12'
# Keep the repo root off sys.path: run pytest's script, not `python -m pytest`.
PYTEST := $(VENV)/bin/pytest

# The oldest SDKs spanwise supports (openai 1.40, anthropic 0.47, mistralai 1.5, groq 0.4,
# google-genai 1.0, boto3 1.34.116, langgraph 0.3.1 with langchain-openai 0.2.0), in a venv of
# their own
# (httpx<0.28: openai 1.40 passes `proxies`, which httpx 0.28 removed).
OLDEST     := .venv-oldest
OLDEST_PIP := $(OLDEST)/.installed
OLDEST_SDKS := 'openai==1.40.0' 'anthropic==0.47.0' 'mistralai==1.5.0' 'groq==0.4.0' \
	'google-genai==1.0.0' 'httpx<0.28' 'boto3==1.34.116' 'botocore==1.34.116' \
	'langgraph==0.3.1' 'langchain-openai==0.2.0' 'langsmith<0.4' 'websockets>=13,<15' \
	'llama-index-core==0.12.0' 'llama-index-llms-openai==0.3.0' 'llama-index-embeddings-openai==0.3.0'
# Instrumentor tests that run again against the oldest SDKs.
OLDEST_TESTS := tests/instrumentations/test_contract.py tests/instrumentations/openai \
	tests/instrumentations/anthropic tests/instrumentations/mistralai tests/instrumentations/groq \
	tests/instrumentations/gemini tests/instrumentations/bedrock tests/instrumentations/langchain \
	tests/instrumentations/langgraph tests/instrumentations/llama_index

# The peers' instrumentors (OpenLLMetry, OpenInference), for the golden tests that read
# their spans, in a venv of their own: both register an `openai` instrumentor entry point
# that `opentelemetry-instrument` in .venv must not see. Those tests run their child
# processes with SPANWISE_PEERS_PYTHON (skipped when it is unset).
PEERS     := .venv-peers
PEERS_PIP := $(PEERS)/.installed

# The oldest LiteLLM (1.60) needs openai>=1.55.3, newer than .venv-oldest's 1.40: a venv of its
# own (without litellm[proxy], whose uvicorn<0.30 pin clashes with spanwise's server: the test of
# LiteLLM's own OTel logger skips there, saying why).
OLDEST_LITELLM     := .venv-oldest-litellm
OLDEST_LITELLM_PIP := $(OLDEST_LITELLM)/.installed

# Frameworks whose pins conflict with .venv's newest SDKs (LlamaIndex's OpenAI integration
# AG2's and CrewAI's pin openai<3, autogen-core protobuf~=5.29), in a venv of their own where
# `make test` runs their tests; the oldest DSPy spanwise supports is tested there too.
FRAMEWORKS     := .venv-frameworks
FRAMEWORKS_PIP := $(FRAMEWORKS)/.installed
FRAMEWORK_PKGS := 'llama-index-core>=0.12' llama-index-llms-openai llama-index-embeddings-openai \
	'openai>=1.40,<3' 'dspy==3.0.0' 'autogen-agentchat>=0.7' 'autogen-ext[openai]>=0.7' \
	'ag2[openai]>=0.9,<1' crewai litellm
# Tests that run only there, and those that run there again (the fast ones).
FRAMEWORK_TESTS := tests/instrumentations/autogen_agentchat tests/instrumentations/ag2 \
	tests/instrumentations/crewai
FRAMEWORK_AGAIN := tests/instrumentations/llama_index tests/instrumentations/dspy

.PHONY: install test test-fast test-oldest demo bench lint clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(DEV): pyproject.toml setup.py instrumentations/_registry.py | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	@# The peers' instrumentors moved to .venv-peers: drop them from an older .venv.
	$(PY) -m pip uninstall -q -y opentelemetry-instrumentation-openai openinference-instrumentation-openai 2>/dev/null || true
	touch $@

$(BENCH): pyproject.toml setup.py instrumentations/_registry.py
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[dev,bench]'
	touch $@

install: $(DEV)

test: $(DEV) $(OLDEST_PIP) $(OLDEST_LITELLM_PIP) $(PEERS_PIP) $(FRAMEWORKS_PIP)
	SPANWISE_PEERS_PYTHON=$(CURDIR)/$(PEERS)/bin/python $(PYTEST) -q
	$(OLDEST)/bin/pytest -q -p no:cacheprovider $(OLDEST_TESTS)
	$(OLDEST_LITELLM)/bin/pytest -q -p no:cacheprovider tests/instrumentations/litellm
	$(FRAMEWORKS)/bin/pytest -q -p no:cacheprovider $(FRAMEWORK_TESTS)
	$(FRAMEWORKS)/bin/pytest -q -p no:cacheprovider -m "not slow" $(FRAMEWORK_AGAIN)

test-oldest: $(OLDEST_PIP) $(OLDEST_LITELLM_PIP)
	$(OLDEST)/bin/pytest -q -p no:cacheprovider $(OLDEST_TESTS)
	$(OLDEST_LITELLM)/bin/pytest -q -p no:cacheprovider tests/instrumentations/litellm

$(OLDEST_PIP): pyproject.toml setup.py instrumentations/_registry.py Makefile
	test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install -q --upgrade pip
	$(OLDEST)/bin/python -m pip install -q -e . $(OLDEST_SDKS) pytest pytest-asyncio pytest-timeout jsonschema pyyaml
	touch $@

$(OLDEST_LITELLM_PIP): pyproject.toml setup.py instrumentations/_registry.py
	test -x $(OLDEST_LITELLM)/bin/python || $(PYTHON) -m venv $(OLDEST_LITELLM)
	$(OLDEST_LITELLM)/bin/python -m pip install -q --upgrade pip
	$(OLDEST_LITELLM)/bin/python -m pip install -q -e '.[openai]' 'litellm==1.60.0' pytest pytest-asyncio pytest-timeout jsonschema pyyaml
	touch $@

$(FRAMEWORKS_PIP): pyproject.toml setup.py instrumentations/_registry.py
	test -x $(FRAMEWORKS)/bin/python || $(PYTHON) -m venv $(FRAMEWORKS)
	$(FRAMEWORKS)/bin/python -m pip install -q --upgrade pip
	$(FRAMEWORKS)/bin/python -m pip install -q -e . $(FRAMEWORK_PKGS) pytest pytest-asyncio pytest-timeout jsonschema pyyaml
	touch $@

$(PEERS_PIP): pyproject.toml setup.py instrumentations/_registry.py
	test -x $(PEERS)/bin/python || $(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install -q --upgrade pip
	$(PEERS)/bin/python -m pip install -q -e '.[peers]' pytest
	touch $@

test-fast: $(DEV)
	$(PYTEST) -q -m "not slow"

demo: $(DEV)
	$(PY) examples/openai_agent.py

bench: $(BENCH) $(BENCH_GENAI) $(BENCH_FRAMEWORKS)
	SPANWISE_BENCH_GENAI_PYTHON=$(CURDIR)/$(BENCH_GENAI_VENV)/bin/python \
	SPANWISE_BENCH_FRAMEWORKS_PYTHON=$(CURDIR)/$(BENCH_FRAMEWORKS_VENV)/bin/python \
	$(BENCH_VENV)/bin/python benchmarks/run.py

$(BENCH_FRAMEWORKS): pyproject.toml setup.py instrumentations/_registry.py
	test -x $(BENCH_FRAMEWORKS_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_FRAMEWORKS_VENV)
	$(BENCH_FRAMEWORKS_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_FRAMEWORKS_VENV)/bin/python -m pip install -q -e . $(BENCH_FRAMEWORK_PKGS)
	$(BENCH_FRAMEWORKS_VENV)/bin/python -m pip check
	touch $@

# The official OTel Anthropic instrumentation needs opentelemetry-util-genai>=1.3b0, with
# which the official OpenAI one pinned in the bench extra does not import: a venv of its own.
$(BENCH_GENAI): pyproject.toml setup.py instrumentations/_registry.py
	test -x $(BENCH_GENAI_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_GENAI_VENV)
	$(BENCH_GENAI_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_GENAI_VENV)/bin/python -m pip install -q -e '.[anthropic,gemini]' 'opentelemetry-instrumentation-genai-anthropic==1.3b0' 'opentelemetry-instrumentation-google-genai==1.3b0'
	touch $@

# pyright cannot follow setuptools' package-dir import hook: give it a symlink tree
# laid out like the installed package.
lint: $(DEV)
	$(VENV)/bin/ruff check .
	rm -rf build/typecheck && mkdir -p build/typecheck/spanwise
	for f in spanwise/*; do ln -s ../../../$$f build/typecheck/spanwise/; done
	for d in semconv common model instrumentations store exporter viewer server; do ln -s ../../../$$d build/typecheck/spanwise/$$d; done
	$(VENV)/bin/pyright

clean:
	rm -rf $(VENV) $(OLDEST) $(OLDEST_LITELLM) $(PEERS) $(FRAMEWORKS) $(BENCH_VENV) $(BENCH_GENAI_VENV) $(BENCH_FRAMEWORKS_VENV) build dist *.egg-info .pytest_cache
