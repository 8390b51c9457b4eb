#!/usr/bin/env bash
# Builds the release to install: target/release-pkg/waitingroom-<version>/ and its .tar.gz — the
# server binary (bin/waitingroom), the built site (site/), the deploy/ files (systemd units, the
# Caddyfile, Redis's settings, a sample environment file) and docs/. It runs on a Debian machine
# with only redis-server installed (docs/deployment.md). `target/release-pkg/latest` names the
# newest. Installs what is missing first, like run.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

ensure_toolchain
build_site
# the version the server prints at start and on /healthz: Cargo's, and the commit it was built from
commit="$(git rev-parse --short=10 HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit-modified"; fi
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
say "building the server (release) $version ($commit)"
WAITINGROOM_BUILD_VERSION="$version ($commit)" cargo build -p server --release --bin server

name="waitingroom-$version-$commit"
out="$ROOT/target/release-pkg"
dir="$out/$name"
rm -rf "$dir" "$dir.part"
mkdir -p "$dir.part/bin"
cp target/release/server "$dir.part/bin/waitingroom"
cp -R target/site "$dir.part/site"
cp -R deploy "$dir.part/deploy"
cp -R docs "$dir.part/docs"
cp README.md "$dir.part/"
printf '%s (%s)\n' "$version" "$commit" >"$dir.part/VERSION"
mv "$dir.part" "$dir"

# self-contained: nothing but the C library (no OpenSSL: TLS is rustls)
libs="$(ldd "$dir/bin/waitingroom" | awk '{print $1}' | grep -Ev '^(linux-vdso\.so|/lib64/ld-linux|libc\.so|libm\.so|libgcc_s\.so|libpthread\.so|libdl\.so|librt\.so)' || true)"
if [ -n "$libs" ]; then
  echo "the server needs libraries a bare Debian may not have: $libs" >&2
  exit 1
fi
"$dir/bin/waitingroom" --version

# every entry root's (0/0) and writable by its owner only: unpacked by root on the shop's machine,
# nothing in it belongs to the builder's uid (deploy/install.sh copies it root's anyway)
tar -C "$out" --owner=0 --group=0 --numeric-owner --mode=go-w -czf "$out/$name.tar.gz" "$name"
ln -sfn "$name" "$out/latest"
# the three newest releases are kept (each test run builds one)
ls -1dt "$out"/waitingroom-*/ | tail -n +4 | while read -r old; do rm -rf "${old%/}" "${old%/}.tar.gz"; done
say "release: ${dir#"$ROOT/"} and ${out#"$ROOT/"}/$name.tar.gz ($(du -h "$out/$name.tar.gz" | cut -f1))"
(cd "$dir" && find . -maxdepth 2 -not -path './site/pkg/*' -not -path './docs/screens/*' | sort)
