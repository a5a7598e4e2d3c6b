# Dư Luận — every target bootstraps .venv (and the Debian packages it needs) itself.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml scripts/system-deps.sh 2>/dev/null | cksum | cut -d' ' -f1)
export DULUAN_DATA_DIR ?= $(CURDIR)/data
export DULUAN_CONFIG_DIR ?= $(CURDIR)/config

.PHONY: venv system-deps run serve demo test test-fast test-es lint typecheck bench clean

$(STAMP): pyproject.toml scripts/system-deps.sh
	bash scripts/system-deps.sh
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	bash scripts/system-deps.sh

## make run: set up and run the service (scheduler + web UI) on the embedded SQLite index
run: venv
	bash scripts/run.sh

## make serve: the web server only
serve: venv
	bash scripts/run.sh serve

## make demo: the local "press" server, a crawl of it, and the service with demo data
demo: venv
	bash scripts/demo.sh

## make test: set up and run the whole test suite (unit, integration, e2e, conformance)
test: venv
	bash scripts/test.sh

test-fast: venv
	$(BIN)/python -m pytest -x -q -m "not slow and not e2e"

## make test-es: the conformance suite against a real Elasticsearch (DULUAN_ES_URL=…)
test-es: venv
	@test -n "$$DULUAN_ES_URL" || (echo "set DULUAN_ES_URL=http(s)://host:9200 (see deploy/README.md)"; exit 2)
	$(BIN)/python -m pytest -q tests/conformance

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy

## make bench: run every benchmark in bench/ and write bench/RESULTS.md
bench: venv
	bash scripts/bench.sh

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
