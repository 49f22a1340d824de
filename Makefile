# Two commands do all set-up on a fresh machine with Python 3.11+ and make:
#   make demo   create .venv, install nerspec, apply the example projects end to end
#   make test   create .venv, install the dev extras, run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint schema bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(PIP) install -e .
	@touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(PIP) install -e '.[dev]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	@$(BIN)/python -m nerspec.demo

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

schema: $(VENV)/.installed
	$(BIN)/nerspec schema

clean:
	rm -rf $(VENV) .nerspec .pytest_cache
