#!/usr/bin/env bash
# Runs every test: unit and integration (against real throwaway Redis servers, the integration
# tests a second time against a three-master Redis Cluster, and Twilio's spec through Stoplight
# Prism) and end-to-end in headless Debian chromium, the release (scripts/release.sh) among them
# behind Debian's caddy. Installs what is missing first. Exits non-zero on any failure.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_toolchain
ensure_apt redis-server redis-server redis-cli redis-tools chromium chromium
# the release behind a TLS proxy: caddy, NSS's certutil (chromium's trust store), systemd-analyze
ensure_apt caddy caddy certutil libnss3-tools systemd-analyze systemd
ensure_japanese_fonts
if [ ! -d end2end/node_modules/playwright-core ] || [ ! -d end2end/node_modules/@stoplight/prism-cli ] || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing the end-to-end test packages (npm)"
  (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
fi

build_site
summary=()
status=0

say "the release (scripts/release.sh), for the deployment test"
if "$ROOT/scripts/release.sh" 2>&1 | tee target/release.log; then :; else status=1; fi

say "unit and integration tests"
# a hung test fails the run instead of stalling it
if timeout 30m cargo test --workspace 2>&1 | tee target/cargo-test.log; then :; else status=1; fi
while IFS= read -r line; do summary+=("cargo: $line"); done < <(grep -E '^test result:' target/cargo-test.log)

say "integration tests again, against a Redis Cluster of three masters"
if WR_TEST_REDIS=cluster timeout 20m cargo test --workspace --test it 2>&1 | tee target/cargo-test-cluster.log; then :; else status=1; fi
while IFS= read -r line; do summary+=("cluster: $line"); done < <(grep -E '^test result:' target/cargo-test-cluster.log)

say "end-to-end tests (chromium)"
# the server binary the integration tests built (same features: no second build of everything)
if (cd end2end && SERVER_BIN="$ROOT/target/debug/server" SITE_ROOT="$ROOT/target/site" RELEASE_DIR="$ROOT/target/release-pkg/latest" timeout 20m npm test 2>&1) | tee target/e2e.log; then :; else status=1; fi
while IFS= read -r line; do summary+=("e2e: $line"); done < <(grep -E '^(ℹ|#) (tests|pass|fail|cancelled|skipped) ' target/e2e.log)

echo
say "summary"
printf '%s\n' "${summary[@]}"
if [ $status -ne 0 ]; then echo "FAILED"; else echo "ALL PASSED"; fi
exit $status
