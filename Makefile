# Switchboard developer commands. `make help` lists them.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
APP ?= examples/demo.py
PORT ?= 8000

# Python caches compiled modules unless told not to; some machines set
# PYTHONDONTWRITEBYTECODE globally, and then every one of the hundreds of
# interpreters a test run or a stack starts compiles every module it imports
# from source again (about half of an interpreter's start-up). Empty means unset.
export PYTHONDONTWRITEBYTECODE :=

.DEFAULT_GOAL := help
.PHONY: help install run test lint typecheck bench check-uv

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

check-uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

.venv: pyproject.toml uv.lock | check-uv
	$(UV) sync --frozen --compile-bytecode
	@touch .venv

install: .venv ## Install every workspace package and dev tool into .venv

WEB_DIST := services/gateway/src/switchboard_gateway/static/dist/index.html
WEB_SRC := $(shell find web/src -type f 2>/dev/null) web/index.html web/package.json web/package-lock.json web/vite.config.ts web/vite.copilot.config.ts

web/node_modules/.package-lock.json: web/package-lock.json
	cd web && npm ci --no-audit --no-fund

$(WEB_DIST): web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build

.PHONY: schema
schema: .venv ## Write web/src/schema.gen.ts, the UI's TypeScript types, from the pydantic schema
	$(UV) run --frozen python -m switchboard.schema.typescript -o web/src/schema.gen.ts

.PHONY: web web-dist
web-dist: $(WEB_DIST) ## Build the browser UI only if its sources changed

web: web/node_modules/.package-lock.json ## Build the browser UI into the gateway (npm ci + vite build)
	cd web && npm run build

run: .venv $(WEB_DIST) ## Start the whole stack with the demo app (SQLite, local disk, a local Redis)
	$(UV) run --frozen switchboard run $(APP) --port $(PORT)

TEST_WORKERS ?= 3
.PHONY: test-prereqs
test-prereqs:
	@bash tests/prereqs.sh

# Storage emulators from npm (Azurite) for the persistence tests.
EMULATORS := tests/emulators/node_modules/.package-lock.json
$(EMULATORS): tests/emulators/package-lock.json
	cd tests/emulators && npm ci --no-audit --no-fund

test: test-prereqs .venv $(WEB_DIST) $(EMULATORS) ## Run the test suite in TEST_WORKERS processes (needs PostgreSQL and Redis, or Docker; see README)
	$(UV) run --frozen pytest -n $(TEST_WORKERS) --dist worksteal --durations=25

.PHONY: test-faults test-browser test-compat
test-compat: .venv ## Only the differential suite: the same apps on Chainlit 2.12 and on Switchboard
	$(UV) run --frozen pytest tests/compat

test-faults: .venv ## Only the fault suite (Redis restart, PostgreSQL outage, killed processes)
	$(UV) run --frozen pytest tests/faults

test-browser: .venv $(WEB_DIST) ## Only the browser tests (headless Chromium)
	$(UV) run --frozen pytest tests/browser

.PHONY: screenshots bench-render
screenshots: .venv $(WEB_DIST) ## Regenerate docs/screenshots/ (first page, conversation, steps, elements, settings, login, mobile)
	$(UV) run --frozen pytest -q tests/browser/test_screenshots.py

bench-render: .venv $(WEB_DIST) ## Browser frame time (p50/p95) while the UI draws a 20,000-token stream
	$(UV) run --frozen python bench/render.py

lint: .venv ## ruff
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

.PHONY: test-web
test-web: web/node_modules/.package-lock.json ## The web UI's unit tests (vitest)
	cd web && npm test

typecheck: .venv ## mypy --strict over shared/ and services/
	$(UV) run --frozen mypy shared/src services/*/src

bench: .venv ## Message latency and throughput at 1 and 50 sessions
	$(UV) run --frozen python bench/latency.py --sessions 1 --sessions 50

.PHONY: images deploy-check compose-up
IMAGE_PREFIX ?= switchboard
IMAGE_TAG ?= latest

images: ## docker build every service image (+ the demo app's worker and gateway) from ./Dockerfile
	@for target in gateway sessions auth persistence worker worker-demo gateway-demo; do \
	  docker build --target $$target -t $(IMAGE_PREFIX)/$$target:$(IMAGE_TAG) . || exit 1; \
	done

deploy-check: .venv ## Validate deploy/: compose schema and references, kustomize overlays, images, dashboard
	$(UV) run --frozen pytest -q tests/deploy/test_compose_static.py tests/deploy/test_compose_setup.py tests/deploy/test_k8s.py tests/deploy/test_images_and_dashboards.py

COMPOSE_ENV ?= deploy/.env
.PHONY: compose-env compose-smoke
compose-env: ## Write deploy/.env from deploy/.env.example with random secrets (an existing one is kept)
	@python3 deploy/compose_env.py $(COMPOSE_ENV)

compose-up: compose-env ## docker compose up the whole stack (writes deploy/.env first if missing)
	docker compose -f deploy/compose.yaml up -d --build --wait

# The private engine's data (images, build cache) is kept here between runs; the edge
# listens on a free local port unless COMPOSE_SMOKE_PORT names one.
COMPOSE_REAL_CACHE ?= .cache/compose-real
COMPOSE_SMOKE_PORT ?= $(shell python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
compose-smoke: .venv compose-env ## Run deploy/compose.yaml on a private Docker engine: load, a killed worker, every step stored
	DK=$(COMPOSE_REAL_CACHE) SWITCHBOARD_HTTP_PORT=$(COMPOSE_SMOKE_PORT) \
	  bash deploy/compose-real/compose-real.sh deploy/compose.yaml \
	  $(UV) run --frozen python -m tests.smoke.compose_smoke

.PHONY: bench-persistence
bench-persistence: .venv ## Persistence lag (step produced -> committed) p50/p99 at 50 sessions (own PostgreSQL)
	$(UV) run --frozen python bench/persistence_lag.py --sessions 50

.PHONY: bench-scaling
bench-scaling: .venv ## Messages/s with 1 and 2 workers on a CPU-bound app, and the ratio
	$(UV) run --frozen python bench/scaling.py

.PHONY: bench-load bench-soak bench-compare
bench-load: .venv ## 200 and 1,000 concurrent sessions with 1 and 2 workers: latency, msgs/s, gateway RSS
	$(UV) run --frozen python bench/load.py --sessions 200 --sessions 1000 --workers 1 --workers 2

bench-soak: .venv ## 10 minutes at 100 sessions: no error, RSS and Redis memory flat (PASS/FAIL)
	$(UV) run --frozen python bench/soak.py --minutes 10 --sessions 100

bench-compare: .venv ## The same echo app on Chainlit 2.12 and on Switchboard at 1, 50, 200 sessions, with ratios
	$(UV) run --frozen python bench/vs_chainlit.py --sessions 1 --sessions 50 --sessions 200 --messages 5 --postgres
