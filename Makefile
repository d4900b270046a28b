# Two set-up commands: `make run` and `make test`. Needs only Python 3.11+.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Xietong needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## run: create ./data/xietong.db with the demo organisation and serve on 127.0.0.1:8080,
## with the SMS gateway simulator on 127.0.0.1:8081 (its page shows what each phone got)
run: $(STAMP)
	$(BIN)/xietong demo
	@token=$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(16))'); \
	XIETONG_SMS_AUTH_TOKEN=$$token $(BIN)/python -m bots.twilio_sim --port 8081 \
		--inbound-url http://127.0.0.1:8080/hooks/twilio/sms & sim=$$!; \
	trap 'kill $$sim 2>/dev/null' EXIT INT TERM; \
	XIETONG_CONFIG=config/demo.toml XIETONG_SMS_AUTH_TOKEN=$$token $(BIN)/xietong serve

## test: the whole suite (unit, service, web, browser), one worker per core
test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist worksteal

## bench: install the bench extra (python-socketio, the peer of bench/fanout.py) and run every
## benchmark in bench/ with its defaults, one after the other, one line of figures each (logs in
## data/bench/; 9-12 minutes on 2 cores); `make bench BENCH_SIZE=quick` runs small sizes
## (about 4 minutes)
BENCH_SIZE ?= full
BENCH_STAMP := $(VENV)/.bench-installed
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run_all.py --size $(BENCH_SIZE)

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet ruff mypy
	$(BIN)/ruff check hub webapp bots tests
	$(BIN)/mypy hub

clean:
	rm -rf $(VENV) .pytest_cache
