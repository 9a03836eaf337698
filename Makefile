# One-command set-up: every target creates .venv and installs the project if needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-test
SCENARIO ?= scenarios/baseline.toml

.PHONY: test test-unit test-thorough run app bench lint docs-schema clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

lint: $(STAMP)
	$(PY) -m ruff check sim tests benchmarks app.py
	$(PY) -m ruff format --check sim tests benchmarks app.py
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

test: lint
	$(PY) -m pytest

# The unit level alone (tests/unit: pure functions, no simulation runs), without lint: fast.
test-unit: $(STAMP)
	$(PY) -m pytest tests/unit

test-thorough: lint
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest

run: $(STAMP)
	$(PY) -m sim run $(SCENARIO) --out runs

# The Streamlit app on the default scenario, on http://127.0.0.1:8501 (see .streamlit/config.toml).
app: $(STAMP)
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --browser.gatherUsageStats false \
		-- $(SCENARIO)

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_batch.py
	$(PY) benchmarks/bench_memory.py
	$(PY) benchmarks/bench_app.py

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache .hypothesis
