#!/usr/bin/env bash
# Builds the Go reference server (bench/go/echo-server) offline, against Debian's
# gorilla/websocket package; installs Go and the package with apt-get if missing.
set -euo pipefail
cd "$(dirname "$0")"

GORILLA=/usr/share/gocode/src/github.com/gorilla/websocket
if ! command -v go >/dev/null || [ ! -d "$GORILLA" ]; then
  echo "installing golang-go and golang-github-gorilla-websocket-dev with apt-get" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq golang-go golang-github-gorilla-websocket-dev >/dev/null
fi

# -mod=mod with the replace in go.mod resolves gorilla from the local directory;
# GOPROXY=off makes any attempt to download a module fail instead of hang.
GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go build -trimpath -o echo-server .
echo "built $(pwd)/echo-server ($(go version | cut -d' ' -f3), gorilla/websocket $(dpkg-query -W -f='${Version}' golang-github-gorilla-websocket-dev 2>/dev/null || echo '?'))"
