# Every Switchboard image, one target per service, from the one uv workspace.
# Build from the repository root:
#   docker build --target gateway -t switchboard/gateway .
# Targets: gateway (with the web UI), sessions, auth, persistence, worker (the base an
# app extends, see deploy/examples/worker-app.Dockerfile), worker-demo (examples/demo.py
# baked in) and gateway-demo (the examples' public/ folder baked in); compose runs the
# two demo targets. An app's gateway image adds its public/ folder the same way
# (deploy/examples/gateway-app.Dockerfile).
ARG PYTHON_IMAGE=python:3.11-slim
ARG NODE_IMAGE=node:20-slim

# --- the web UI: vite writes into the gateway package's static/dist ---------
FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/ ./
RUN mkdir -p /src/services/gateway/src/switchboard_gateway/static/dist \
 && if [ -f package.json ]; then npm ci --no-audit --no-fund && npm run build; \
    else echo "web/package.json missing: the image serves no web UI" >&2; fi

# --- the workspace: uv, the lock, every package's sources and the built UI --
FROM ${PYTHON_IMAGE} AS workspace
ARG UV_VERSION=0.13.9
RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
# UV_SYSTEM_CERTS: trust the OS certificate store too (proxies with their own CA).
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_SYSTEM_CERTS=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
COPY shared/ shared/
COPY services/ services/
COPY --from=web /src/services/gateway/src/switchboard_gateway/static/dist/ \
     services/gateway/src/switchboard_gateway/static/dist/

# --- one virtualenv per service: its package and locked dependencies only ----
# (the uv cache mount makes the five installs share every downloaded wheel)
FROM workspace AS venv-gateway
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable --package switchboard-gateway
FROM workspace AS venv-sessions
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable --package switchboard-sessions
FROM workspace AS venv-auth
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable --package switchboard-auth
FROM workspace AS venv-persistence
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable --package switchboard-persistence
FROM workspace AS venv-worker
RUN --mount=type=cache,target=/root/.cache/uv uv sync --frozen --no-dev --no-editable --package switchboard-worker

# --- runtime: a virtualenv only; no uv, no compiler, not root ----------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 switchboard \
 && useradd --system --uid 10001 --gid switchboard --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin switchboard \
 && mkdir -p /app/.switchboard && chown switchboard:switchboard /app/.switchboard
# SWITCHBOARD_HEALTH_URL: what the image's HEALTHCHECK asks; each service sets its own
# (change it with the service's port).
ENV PATH=/app/.venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['SWITCHBOARD_HEALTH_URL'], timeout=4)"]

# Socket.IO, the REST facade and the web UI (public, port 8000); readiness, metrics and
# the OpenAPI document on the operations port (8090), which no proxy may route to.
# The app's public/ folder (served at /public/...) goes to /app/public.
FROM runtime AS gateway
COPY --from=venv-gateway /app/.venv /app/.venv
ENV SWITCHBOARD_GATEWAY_HOST=0.0.0.0 SWITCHBOARD_GATEWAY_PORT=8000 \
    SWITCHBOARD_GATEWAY_OPS_PORT=8090 SWITCHBOARD_PUBLIC_DIR=/app/public \
    SWITCHBOARD_HEALTH_URL=http://127.0.0.1:8000/healthz
EXPOSE 8000
EXPOSE 8090
CMD ["python", "-m", "switchboard_gateway"]

# Session state and lifecycle in Redis (internal, port 8001); also `switchboard exporter`.
FROM runtime AS sessions
COPY --from=venv-sessions /app/.venv /app/.venv
ENV SWITCHBOARD_SESSIONS_HOST=0.0.0.0 SWITCHBOARD_SESSIONS_PORT=8001 \
    SWITCHBOARD_HEALTH_URL=http://127.0.0.1:8001/healthz
EXPOSE 8001
CMD ["python", "-m", "switchboard_sessions"]

# Password and OAuth login, users (internal, port 8002). `serve` migrates its
# database first; deployments run `migrate` once and `serve --no-migrate`.
FROM runtime AS auth
COPY --from=venv-auth /app/.venv /app/.venv
ENV SWITCHBOARD_AUTH_HOST=0.0.0.0 SWITCHBOARD_AUTH_PORT=8002 \
    SWITCHBOARD_HEALTH_URL=http://127.0.0.1:8002/healthz
EXPOSE 8002
CMD ["python", "-m", "switchboard_auth", "serve"]

# Threads, steps, elements, feedback and files (internal, port 8003). Without
# SWITCHBOARD_DATABASE_URL the embedded SQLite file lives in /app/.switchboard
# (mount a volume there); compose and Kubernetes point it at PostgreSQL.
FROM runtime AS persistence
COPY --from=venv-persistence /app/.venv /app/.venv
ENV SWITCHBOARD_PERSISTENCE_HOST=0.0.0.0 SWITCHBOARD_PERSISTENCE_PORT=8003 \
    SWITCHBOARD_HEALTH_URL=http://127.0.0.1:8003/healthz
EXPOSE 8003
CMD ["python", "-m", "switchboard_persistence", "serve"]

# An arq worker, no port: healthy while its own heartbeat key exists (it beats every 10 s).
# Apps extend it with `COPY app.py /app/app.py`.
FROM runtime AS worker
COPY --from=venv-worker /app/.venv /app/.venv
ENV SWITCHBOARD_APP=/app/app.py
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-m", "switchboard_worker", "--ready"]
CMD ["python", "-m", "switchboard_worker", "/app/app.py"]

FROM worker AS worker-demo
COPY examples/demo.py /app/app.py

FROM gateway AS gateway-demo
COPY examples/public /app/public
