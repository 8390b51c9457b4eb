#!/usr/bin/env bash
# The benchmark (separate from the tests): builds the release, starts a Redis and the server of
# its own on loopback, measures (server/examples/bench.rs, then Lighthouse on the ticket page) and
# prints one table, also written as JSON to target/bench/report.json, then the replay of the wait
# estimate (examples/replay.rs; `./scripts/bench.sh replay` runs only that). The live fan-out is
# measured beside a bare broadcaster (server/examples/bare_broadcaster.rs) with the same client;
# `./scripts/bench.sh live` runs only that part (no site, no Lighthouse; written to
# target/bench/live/). BENCH_PROFILE picks the cargo profile (release; bench-quick rebuilds
# faster, for exploring), BENCH_CALLS the calls per fan-out run (50), BENCH_SCREENS the screen
# counts (1000,5000,10000). Stops everything it started.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

mode="${1:-all}"
profile="${BENCH_PROFILE:-release}"
if [ "$mode" != "live" ]; then
  ensure_toolchain
fi
# the replay of the wait estimate: simulated days, pure computation (examples/replay.rs)
replay() {
  say "the wait estimate, replayed (today's estimator against the learning one)"
  mkdir -p "$ROOT/target/bench"
  cargo run -q -p waitingroom --release --example replay | tee "$ROOT/target/bench/replay.txt"
}
if [ "${1:-}" = "replay" ]; then
  replay
  exit 0
fi
ensure_apt redis-server redis-server redis-cli redis-tools redis-benchmark redis-tools curl curl
if [ "$mode" != "live" ]; then
  ensure_apt chromium chromium
  build_site
fi
say "building the server, the benchmark and the bare broadcaster ($profile)"
cargo build -p server --profile "$profile" --bin server --example bench --example bare_broadcaster --features bench
# cargo's target dir (CARGO_TARGET_DIR or the workspace's), and the profile's folder in it
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/$profile"

out="$ROOT/target/bench"
if [ "$mode" = "live" ]; then
  out="$ROOT/target/bench/live"
fi
rm -rf "$out"
mkdir -p "$out"
# 10,000 screens need 10,000 sockets, on both ends
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

# the same Redis settings as run.sh: every acknowledged write in the append-only file first
redis_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$out" --save "" --appendonly yes \
  --appendfsync always --maxmemory-policy noeviction --maxclients 20000 --daemonize yes \
  --pidfile "$out/redis.pid" --logfile "$out/redis.log" >/dev/null
for _ in $(seq 1 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
redis_url="redis://127.0.0.1:$redis_port/"

token="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
REDIS_URL="$redis_url" PORT="$port" SITE_ROOT="${SITE_ROOT:-$ROOT/target/site}" STAFF_API_TOKEN="$token" \
  ADMIN_PASSWORD="bench-password-123" RUST_LOG=warn \
  QUEUES="default,b1,b16,b64,b256,live0,live1,live2,live3" \
  LIVE_MAX_CONNECTIONS=20000 LIVE_MAX_PER_ADDRESS=20000 MAX_TICKETS_PER_DAY=0 \
  "$bin/server" >"$out/server.log" 2>&1 &
server_pid=$!
bare_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$bin/examples/bare_broadcaster" "$bare_port" >"$out/bare.log" 2>&1 &
bare_pid=$!
cleanup() {
  kill -TERM "$server_pid" 2>/dev/null || true
  kill -TERM "$bare_pid" 2>/dev/null || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$bare_port") 2>/dev/null && break; sleep 0.05; done

measure() {
  say "measuring (load: $(uptime | sed 's/.*load average: //'))"
  BENCH_URL="http://127.0.0.1:$port" BENCH_SERVER_PID="$server_pid" STAFF_API_TOKEN="$token" \
    BENCH_BARE_URL="http://127.0.0.1:$bare_port" BENCH_BARE_PID="$bare_pid" \
    BENCH_REDIS_PID="$(cat "$out/redis.pid")" \
    BENCH_SERVER_BIN="$bin/server" BENCH_REDIS_URL="$redis_url" \
    BENCH_REDIS_PORT="$redis_port" BENCH_OUT="$out/measured.json" \
    "$bin/examples/bench" | tee "$out/table.txt"
}
if [ "$mode" = "live" ]; then
  BENCH_ONLY=live measure
  cp "$out/measured.json" "$out/report.json"
  echo "report: $out/report.json"
  exit 0
fi

say "Lighthouse as the day starts: the ticket page, /join and a kiosk, mobile preset (simulated slow 4G, a mid-range phone)"
(cd "$ROOT/end2end" && npm install --no-audit --no-fund --silent >/dev/null)
if [ ! -x "$out/node/node_modules/.bin/lighthouse" ]; then
  npm install --prefix "$out/node" --no-audit --no-fund --silent lighthouse@13.5.0 >/dev/null
fi
ticket_url="$(curl -s -X POST -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/queues/default/tickets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')"
# the kiosk page is a kiosk's only on a device staff set up: sign in and make one
base="http://127.0.0.1:$port"
curl -s -c "$out/jar" -b "$out/jar" -o /dev/null -H "Origin: $base" -d "password=bench-password-123" "$base/api/admin/login"
curl -s -c "$out/jar" -b "$out/jar" -o /dev/null -H "Origin: $base" -d "name=bench" "$base/api/admin/make_kiosk"
kiosk_cookie="$(awk '$6 == "wr_kiosk" { print $7 }' "$out/jar")"
for page in ticket join kiosk; do
  headers='{}'
  case "$page" in
    ticket) url="$ticket_url" ;;
    kiosk) url="$base/kiosk"; headers="{\"Cookie\": \"wr_kiosk=$kiosk_cookie\"}" ;;
    *) url="$base/$page" ;;
  esac
  CHROME_PATH=/usr/bin/chromium "$out/node/node_modules/.bin/lighthouse" "$url" --quiet --extra-headers="$headers" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" --only-categories=performance,accessibility \
    --output=json --output-path="$out/lighthouse-$page.json" >/dev/null 2>&1 || say "Lighthouse failed on $page"
done
measure

python3 - "$out" <<'PY' | tee -a "$out/table.txt"
import json, sys
out = sys.argv[1]
report = json.load(open(f"{out}/measured.json"))
report["lighthouse"] = {}
for page in ["ticket", "join", "kiosk"]:
    try:
        lh = json.load(open(f"{out}/lighthouse-{page}.json"))
        audits = lh["audits"]
        l = report["lighthouse"][page] = {
            "performance": round(lh["categories"]["performance"]["score"] * 100),
            "accessibility": round(lh["categories"]["accessibility"]["score"] * 100),
            "time_to_interactive_ms": audits["interactive"]["numericValue"],
            "largest_contentful_paint_ms": audits["largest-contentful-paint"]["numericValue"],
            "total_blocking_time_ms": audits["total-blocking-time"]["numericValue"],
            "transferred_bytes": audits["total-byte-weight"]["numericValue"],
        }
        print(f"Lighthouse (mobile) {page:>6}: performance {l['performance']}, accessibility {l['accessibility']}, "
              f"time to interactive {l['time_to_interactive_ms']:.0f} ms, LCP {l['largest_contentful_paint_ms']:.0f} ms, "
              f"TBT {l['total_blocking_time_ms']:.0f} ms, {l['transferred_bytes']:.0f} bytes")
    except (OSError, KeyError, TypeError) as e:
        print(f"Lighthouse {page}: no result ({e})")
json.dump(report, open(f"{out}/report.json", "w"), indent=2)
print(f"report: {out}/report.json")
PY

replay
