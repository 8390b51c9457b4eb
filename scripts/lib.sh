# Shared by run.sh and test.sh: install what is missing, skip what is there, build the site.
# shellcheck shell=bash
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WASM_BINDGEN_VERSION="0.2.130" # must equal the wasm-bindgen pin in Cargo.toml
OUTPUT_NAME="waitingroom"      # must equal LEPTOS_OUTPUT_NAME in .cargo/config.toml
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt packages, installed only when one of the given commands is missing.
ensure_apt() {
  local missing=()
  while [ $# -gt 0 ]; do
    command -v "$1" >/dev/null 2>&1 || missing+=("$2")
    shift 2
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Japanese fonts, so screens (and screenshots of them) show text instead of empty boxes.
ensure_japanese_fonts() {
  if ! fc-list :lang=ja 2>/dev/null | grep -q .; then
    say "installing Japanese fonts (fonts-noto-cjk)"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq fonts-noto-cjk fontconfig >/dev/null
  fi
}

ensure_toolchain() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 3 minutes, once)"
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
  fi
}

# Builds the browser half into target/site: three bundles (size-optimised WASM without name
# section, and its JS glue), the stylesheet and public/. Each is the app's `hydrate` with some of
# its page features (they add pages; the table in app/src/pages/mod.rs says which page is whose):
# `$OUTPUT_NAME` every page (the staff console needs it), `$OUTPUT_NAME-phone` only the customer's,
# `$OUTPUT_NAME-screens` only the kiosk and the board; the server hands each page its own
# (`app::pages::bundle_of`, whose test reads the build_bundle lines below). Never runs wasm-opt
# (Debian's breaks hydration; npm binaryen's -Oz made the brotli copy larger).
# With nothing changed it changes nothing and takes about a second: each bundle has a cargo target
# dir of its own (a feature switch in a shared one rebuilds the `app` crate every time), and
# wasm-bindgen and the compressed copies run only when their input changed.
build_site() {
  local site="$ROOT/target/site"
  mkdir -p "$site/pkg"
  build_bundle hydrate "$OUTPUT_NAME" hydrate,phone,screens,console
  build_bundle phone "$OUTPUT_NAME-phone" hydrate,phone
  build_bundle screens "$OUTPUT_NAME-screens" hydrate,screens
  cmp -s "$ROOT/style/main.css" "$site/pkg/$OUTPUT_NAME.css" || cp "$ROOT/style/main.css" "$site/pkg/$OUTPUT_NAME.css"
  cp -R "$ROOT/public/." "$site/"
  # precompressed copies, served when the browser accepts brotli (every current one) or gzip
  ensure_apt brotli brotli
  local name file
  for file in "$site/pkg/$OUTPUT_NAME.css" "$site/pkg/"{"$OUTPUT_NAME","$OUTPUT_NAME-phone","$OUTPUT_NAME-screens"}.{wasm,js}; do
    compress "$file"
  done
  for name in "$OUTPUT_NAME" "$OUTPUT_NAME-phone" "$OUTPUT_NAME-screens"; do
    say "$name.wasm: $(stat -c %s "$site/pkg/$name.wasm") bytes, gzip $(stat -c %s "$site/pkg/$name.wasm.gz"), brotli $(stat -c %s "$site/pkg/$name.wasm.br")"
  done
}

# One bundle: $1 the name of its cargo target dir (target/front-$1), $2 its name in
# target/site/pkg, $3 the app's features it is built with (cargo's own fingerprints decide what to
# compile); wasm-bindgen runs again only when the stamp (the tool's version and arguments, this
# script, its input and output files) changed.
build_bundle() {
  local front="$ROOT/target/front-$1" name="$2" features="$3" pkg="$ROOT/target/site/pkg"
  seed_front "$front"
  say "building the browser bundle $name (WASM)"
  (cd "$ROOT" && cargo build -p app --lib --features "$features" \
    --target wasm32-unknown-unknown --profile wasm-release --target-dir "$front")
  local wasm="$front/wasm32-unknown-unknown/wasm-release/app.wasm"
  local args=(--target web --out-name "$name" --out-dir "$pkg" --no-typescript --remove-name-section)
  local files=("$wasm" "$ROOT/scripts/lib.sh" "$pkg/$name.wasm" "$pkg/$name.js")
  local stamp="$front/site.stamp"
  if [ -f "$stamp" ] && [ "$(bundle_stamp "${args[*]}" "${files[@]}")" = "$(cat "$stamp")" ]; then
    return 0
  fi
  rm -f "$stamp"
  wasm-bindgen "${args[@]}" "$wasm"
  mv -f "$pkg/${name}_bg.wasm" "$pkg/$name.wasm"
  bundle_stamp "${args[*]}" "${files[@]}" >"$stamp"
}

# What wasm-bindgen made a bundle from, and what it made: $1 its arguments, then the files.
bundle_stamp() {
  printf 'wasm-bindgen %s %s\n' "$WASM_BINDGEN_VERSION" "$1"
  shift
  sha256sum "$@" 2>&1 || true
}

# A bundle's target dir, when it has none yet, starts as a copy of another bundle's: the
# dependencies are the same, and copying them takes seconds where compiling them takes minutes.
# The single target/front of earlier versions of this script becomes the first one.
seed_front() {
  local front="$1" from
  [ -d "$front" ] && return 0
  rm -rf "$front.part"
  for from in "$ROOT"/target/front-{hydrate,phone,screens}; do
    [ -d "$from" ] || continue
    say "copying the WASM build cache ${from#"$ROOT/"} to ${front#"$ROOT/"} (once)"
    cp -a "$from" "$front.part"
    rm -f "$front.part/site.stamp"
    mv "$front.part" "$front"
    return 0
  done
  if [ -d "$ROOT/target/front" ]; then mv "$ROOT/target/front" "$front"; fi
}

# Writes $1.gz and $1.br unless both are newer than $1 (each written whole, then renamed: an
# interrupted run leaves no truncated copy that looks new).
compress() {
  local file="$1"
  [ "$file.gz" -nt "$file" ] && [ "$file.br" -nt "$file" ] && return 0
  gzip -9 -n -c "$file" >"$file.gz.part"
  mv -f "$file.gz.part" "$file.gz"
  brotli -q 11 -c "$file" >"$file.br.part"
  mv -f "$file.br.part" "$file.br"
}

# Starts a redis-server of our own: $1 data dir, $2 port (0: unix socket only), more args appended.
# Prints its URL; the caller stops it with stop_redis <dir>.
start_redis() {
  local dir="$1" port="$2"
  shift 2
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --unixsocket "$dir/redis.sock" --unixsocketperm 700 \
    --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
    --protected-mode yes "$@" >/dev/null
  for _ in $(seq 1 100); do
    [ -S "$dir/redis.sock" ] && redis-cli -s "$dir/redis.sock" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  echo "redis+unix://$dir/redis.sock"
}

stop_redis() {
  local dir="$1"
  [ -S "$dir/redis.sock" ] && redis-cli -s "$dir/redis.sock" shutdown >/dev/null 2>&1 || true
}
