#!/usr/bin/env bash
# What the suite needs beyond Python packages: Chromium for the browser tests,
# kubectl for the Kubernetes overlays, Node.js for the web UI build and its tests.
# Installs them on Debian when run as root; otherwise prints the one command that does.
set -euo pipefail

declare -A package=([chromium]=chromium [kubectl]=kubernetes-client [npm]="nodejs npm")
missing=()
for tool in chromium kubectl npm; do
  command -v "$tool" >/dev/null 2>&1 || missing+=(${package[$tool]})
done
((${#missing[@]})) || exit 0

command="apt-get update && apt-get install -y ${missing[*]}"
if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "installing what the tests need: ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
else
  echo "the tests need ${missing[*]}; install with: sudo sh -c '$command'" >&2
  exit 1
fi
