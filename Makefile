# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test demo install install-dev clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: migrate the embedded SQLite database, create the first admin, serve on http://$(HOST):$(PORT)
run: $(VENV)/.installed
	APP_ENV=development $(BIN)/flask --app wsgi db upgrade
	APP_ENV=development $(BIN)/flask --app wsgi users bootstrap-admin
	APP_ENV=development HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## test: the whole suite (SQLite, or TEST_DATABASE_URL when set)
test: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

## demo: the app on a local fake upstream, seeded, printing commands to paste (Ctrl-C stops it all)
demo: $(VENV)/.installed-dev
	$(BIN)/python bench/demo.py --host $(HOST) --port $(PORT)

clean:
	rm -rf $(VENV) .pytest_cache
