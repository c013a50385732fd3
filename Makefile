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
.PHONY: help install frontend browser run test lint fmt typecheck migrate seed shell worker bench soak clean

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

# The web console: npm packages from the lock file, TypeScript types from the API's OpenAPI schema, a Vite build
# into frontend/dist that Django serves.
frontend/node_modules/.installed: frontend/package-lock.json
	@command -v npm >/dev/null || { echo "The web console needs Node.js 20.19 or newer with npm (https://nodejs.org)." >&2; exit 1; }
	@node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)' || \
	  { echo "The web console needs Node.js 20.19 or newer; this is $$(node --version)." >&2; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

frontend: install frontend/node_modules/.installed ## build the web console (schema -> TypeScript types -> Vite build)
	$(PY) manage.py spectacular --file frontend/openapi.json
	cd frontend && npm run --silent build

# The browser tests drive Debian's chromium; install it when it is missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null || { echo "Installing Debian's chromium for the browser tests…"; \
	  $(SUDO) apt-get install -y --no-install-recommends chromium || \
	  { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium; }; }

run: frontend ## start everything: embedded Postgres+pgvector and Redis, migrations, demo data, workers, beat, web
	$(PY) -m support.run

test: frontend browser ## every test: lint, import contracts, types, Vitest, then pytest (real Postgres+pgvector, Redis, Celery, Chromium)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy support assist knowledge models_ft demo bench
	cd frontend && npx vitest run
	$(PY) -m pytest
	$(PY) -m pytest -m browser tests/e2e

lint: install ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install ## format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: install ## mypy
	$(VENV)/bin/mypy support assist knowledge models_ft demo bench

migrate: install ## apply database migrations
	$(PY) manage.py migrate

seed: install ## load the demo company (idempotent)
	$(PY) manage.py seed_demo

shell: install ## Django shell
	$(PY) manage.py shell

# BENCH_ARGS passes options through, e.g. make bench BENCH_ARGS="--only latency,edit --json"
bench: install ## benchmarks in a database of their own; prints one table (15-40 min, see README)
	$(PY) -m bench $(BENCH_ARGS)

soak: install ## the security gates at their long sizes (isolation 500x50, faults 10k chunks x 20); prints a table
	$(PY) -m bench --only security --soak $(BENCH_ARGS)

worker: install ## a Celery worker for every queue (when not using make run)
	$(PY) -m celery -A support worker -Q default,embeddings,inference,training -c 2 --loglevel INFO

clean: ## remove the virtualenv (data in ./var is kept)
	rm -rf $(VENV) build *.egg-info
