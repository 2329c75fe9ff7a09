# Ledgerwise: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PROD_CHECK_ENV := DEBUG=false SECRET_KEY=check-deploy-$$(date +%s)-7f3c9a1e5b2d4c6f8a0e1b3d5f7a9c2e4b6d8f0a ALLOWED_HOSTS=books.example.com

.PHONY: run test install install-dev lint check migrate demo benchmarks clean chromium

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, migrate, load demo data, then web + worker + beat together (http://127.0.0.1:8000)
run: install migrate
	$(PY) manage.py seed_demo --if-empty
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py metrics_reset -v 0
	@echo "Ledgerwise: open http://127.0.0.1:8000/ — log in as admin/admin (staff) or demo/demo"
	$(BIN)/honcho start

## migrate: the database schema, then the periodic ML schedules in django-celery-beat's tables (idempotent)
migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_schedules

## lint: ruff, the import-linter contracts (pyproject.toml) and Django's own checks (development and production settings)
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	$(PROD_CHECK_ENV) $(PY) manage.py check --deploy --fail-level WARNING

## chromium: Debian's Chromium for the browser tests (tests/e2e), installed when it is missing
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

## test: install everything, lint, then the whole suite (slow, integration and e2e included)
test: lint chromium
	$(BIN)/pytest

benchmarks: install-dev
	$(PY) benchmarks/import_csv/bench_import.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
