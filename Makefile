# Two set-up commands: `make run` and `make test`. Needs only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Xietong needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## run: create ./data/xietong.db with the demo organisation and serve on 127.0.0.1:8080
run: $(STAMP)
	$(BIN)/xietong demo
	$(BIN)/xietong serve

## test: the whole suite (unit, service, web, browser)
test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff mypy
	$(BIN)/ruff check hub webapp bots tests
	$(BIN)/mypy hub

clean:
	rm -rf $(VENV) .pytest_cache
