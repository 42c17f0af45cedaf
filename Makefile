# Mallkit: `make run` serves the demo shop, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# loadgroup: tests marked xdist_group share one worker (tests/production/test_two_nodes.py).
PYTEST_ARGS ?= -n auto --dist loadgroup

.PHONY: venv run serve test lint fmt messages bench clean-db

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: venv
	mkdir -p var
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	@# The task worker sends e-mails, delivers sandbox webhooks and expires unpaid orders;
	@# it stops with the server.
	export DEBUG=$${DEBUG:-1} \
	  MALLKIT_SANDBOX_WEBHOOK_URL=$${MALLKIT_SANDBOX_WEBHOOK_URL:-http://$(HOST):$(PORT)/api/v1/payments/sandbox/webhook}; \
	$(BIN)/python manage.py run_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: venv
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

fmt: venv
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Extract strings into src/mallkit/locale and compile them (the .mo files are committed,
# so a fresh machine needs no gettext tools).
messages: venv
	cd src/mallkit && ../../$(BIN)/python ../../manage.py makemessages -l zh_Hans -l en --no-obsolete --ignore 'static/*'
	cd src/mallkit && ../../$(BIN)/python ../../manage.py compilemessages

bench: venv
	$(BIN)/python -m bench $(BENCH_ARGS)

# Backups: a timestamped database dump (pg_dump or SQLite's online backup) and a media archive
# in MALLKIT_BACKUP_DIR (var/backups); `make restore FILE=<either file>` puts both back.
.PHONY: backup restore

backup: venv
	$(BIN)/python manage.py backup $(BACKUP_ARGS)

restore: venv
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/mallkit-<time>.sqlite3"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)" $(RESTORE_ARGS)
