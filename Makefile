# Openbook: `make run` starts everything, `make test` runs every test. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export DEBUG ?= true
export HF_HUB_OFFLINE ?= 1
export TRANSFORMERS_OFFLINE ?= 1

.DEFAULT_GOAL := help
.PHONY: help install run test lint fmt typecheck migrate seed shell worker bench clean

help: ## list the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Openbook needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip setuptools wheel

# torch comes first, from the pinned CPU build: any other spec would pull several GB of CUDA packages.
# The workers embed knowledge with sentence-transformers, so the ML stack is part of every install.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install --quiet "torch==2.13.0"
	$(PIP) install --quiet -e ".[dev,ml]"
	@touch $@

install: $(VENV)/.installed ## create the virtualenv and install everything (torch CPU first, then the app)

run: install ## start everything: embedded Postgres+pgvector and Redis, migrations, demo data, workers, beat, web
	$(PY) -m support.run

test: install ## run every test (lint, types, then pytest against real Postgres+pgvector, Redis and a Celery worker)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy support knowledge models_ft
	$(PY) -m pytest

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install ## format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install ## mypy
	$(VENV)/bin/mypy support knowledge models_ft

migrate: install ## apply database migrations
	$(PY) manage.py migrate

seed: install ## load the demo company (idempotent)
	$(PY) manage.py seed_demo

shell: install ## Django shell
	$(PY) manage.py shell

# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--only latency,edit --json"
bench: install ## benchmarks in a database of their own; prints one table (15-40 min, see README)
	$(PY) -m support.bench $(BENCH_ARGS)

worker: install ## a Celery worker for every queue (when not using make run)
	$(PY) -m celery -A support worker -Q default,embeddings,inference,training -c 2 --loglevel INFO

clean: ## remove the virtualenv (data in ./var is kept)
	rm -rf $(VENV) build *.egg-info
