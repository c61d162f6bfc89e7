# Two entry points (README.md): `make run` (embedded default) and `make test` (the whole suite).
SHELL := /bin/bash
.DEFAULT_GOAL := run

# Python 3.12: on PATH, else pyenv's install (the pyenv shim fails when 3.12 is not selected).
PYTHON ?= $(shell for p in python3.12 /root/.pyenv/versions/3.12*/bin/python3.12 /usr/bin/python3.12; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null && { command -v $$p; break; }; done)
VENV := .venv

$(VENV)/.synced: pyproject.toml uv.lock
	@test -n "$(PYTHON)" || { echo "Python 3.12 is required (python3.12 not found)"; exit 1; }
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv
	$(VENV)/bin/uv sync --frozen --inexact --compile-bytecode --python $(VENV)/bin/python
	touch $@

.PHONY: venv run test lint bench
venv: $(VENV)/.synced

# The product on its embedded default: SQLite, local media folder, a Celery worker on kombu's
# filesystem transport (no broker server), e-mail printed here. Open http://127.0.0.1:$(PORT)
# honcho hands each process its own PORT (5000 unless told), so the port is passed here.
PORT ?= 8000
run: venv
	$(VENV)/bin/python manage.py migrate --no-input
	$(VENV)/bin/python manage.py collectstatic --no-input --verbosity 0
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/honcho start --port $(PORT)

# The whole suite against PostgreSQL, Redis, SeaweedFS (started by the tests) and Chromium.
test: venv
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

bench: venv
	$(VENV)/bin/python benchmarks/social_export.py
	$(VENV)/bin/python benchmarks/smartcrop_eval.py
	$(VENV)/bin/python benchmarks/local_ops.py
