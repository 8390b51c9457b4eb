#!/usr/bin/env bash
# Runs Waiting Room: installs what is missing, builds the release, starts Redis when REDIS_URL is
# unset (its own redis-server with AOF persistence, data under ./data/, stopped with the app), and
# serves on http://127.0.0.1:3000 (PORT, BIND_ADDR and the rest: see docs/configuration.md).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_toolchain
ensure_apt redis-server redis-server redis-cli redis-tools
build_site
say "building the server (release)"
cargo build -p server --release

if [ -z "${REDIS_URL:-}" ]; then
  say "starting Redis (data in ./data/redis, append-only file on)"
  REDIS_URL="$(start_redis "$ROOT/data/redis" 0 --appendonly yes --appendfsync always --maxmemory-policy noeviction)"
  export REDIS_URL
  trap 'stop_redis "$ROOT/data/redis"' EXIT
fi

export SITE_ROOT="$ROOT/target/site"
"$ROOT/target/release/server" &
server_pid=$!
trap 'kill -TERM $server_pid 2>/dev/null || true' INT TERM
wait $server_pid || status=$?
# a second wait if a signal interrupted the first
wait $server_pid 2>/dev/null || true
exit "${status:-0}"
