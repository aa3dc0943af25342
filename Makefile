# Switchboard developer commands. `make help` lists them.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
APP ?= examples/demo.py
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck bench check-uv

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

check-uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

.venv: pyproject.toml uv.lock | check-uv
	$(UV) sync --frozen
	@touch .venv

install: .venv ## Install every workspace package and dev tool into .venv

run: .venv ## Start the whole stack with the demo app (SQLite, local disk, a local Redis)
	$(UV) run --frozen switchboard run $(APP) --port $(PORT)

test: .venv ## Run the test suite (needs PostgreSQL and Redis; see README)
	$(UV) run --frozen pytest

lint: .venv ## ruff
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck: .venv ## mypy --strict over shared/ and services/
	$(UV) run --frozen mypy shared/src services/*/src

bench: .venv ## Message latency and throughput at 1 and 50 sessions
	$(UV) run --frozen python bench/latency.py --sessions 1 --sessions 50
