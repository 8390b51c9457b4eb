#!/bin/sh
# Installs this release on a Debian machine, or upgrades the one installed (docs/deployment.md).
# Run as root from the unpacked release folder: `sudo ./deploy/install.sh`. With WR_DOMAIN set
# (e.g. WR_DOMAIN=queue.example.jp) Caddy is given the shop's domain.
#
# - the release goes to /opt/waitingroom/releases/<its folder name> (root's, writable by root
#   only), /opt/waitingroom/current points at it; the settings file
#   /etc/waitingroom/waitingroom.env (root:waitingroom, 0640) is made from the sample once (its
#   secrets generated), never overwritten;
# - the systemd units, Redis's settings (included from /etc/redis/redis.conf) and the Caddyfile
#   are put in place;
# - a first install starts waitingroom@3000 and the nightly backup; an upgrade starts the new
#   release on the other port (3001 or 3000) beside the running one, waits until it answers
#   /healthz, then stops the old one (Caddy sends every request to whichever answers).
#
# WR_ROOT=/some/dir puts the files under that directory instead of / and touches nothing else
# (no packages, users or services): the test suite checks the result with systemd-analyze.
set -eu

release="$(cd "$(dirname "$0")/.." && pwd)"
name="$(basename "$release")"
root="${WR_ROOT:-}"
live() { [ -z "$root" ]; }
say() { printf '==> %s\n' "$*"; }

if live; then
  [ "$(id -u)" -eq 0 ] || { echo "run as root: sudo $0" >&2; exit 1; }
  missing=""
  command -v redis-server >/dev/null 2>&1 || missing="$missing redis-server"
  command -v caddy >/dev/null 2>&1 || missing="$missing caddy"
  command -v curl >/dev/null 2>&1 || missing="$missing curl"
  if [ -n "$missing" ]; then
    say "installing$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
  fi
  if ! id waitingroom >/dev/null 2>&1; then
    say "adding the system user waitingroom"
    adduser --system --group --home /var/lib/waitingroom --no-create-home waitingroom
  fi
  # Redis's unix socket belongs to the redis group
  adduser waitingroom redis >/dev/null
fi

say "installing $name in $root/opt/waitingroom/releases"
mkdir -p "$root/opt/waitingroom/releases"
if [ "$release" != "$root/opt/waitingroom/releases/$name" ]; then
  rm -rf "$root/opt/waitingroom/releases/$name.part"
  # the modes and times, not the owner: a release unpacked by root keeps the archive's owner
  # (its builder's uid), who could then replace the binary or the site's JavaScript
  cp -RP --preserve=mode,timestamps "$release" "$root/opt/waitingroom/releases/$name.part"
  rm -rf "$root/opt/waitingroom/releases/$name"
  mv "$root/opt/waitingroom/releases/$name.part" "$root/opt/waitingroom/releases/$name"
fi
# root's, and writable by its owner only (as root, also when it was unpacked in place)
if [ "$(id -u)" -eq 0 ]; then chown -R root:root "$root/opt/waitingroom/releases/$name"; fi
chmod -R go-w "$root/opt/waitingroom/releases/$name"
previous="$(readlink "$root/opt/waitingroom/current" 2>/dev/null || true)"
ln -sfn "releases/$name" "$root/opt/waitingroom/current.new"
mv -T "$root/opt/waitingroom/current.new" "$root/opt/waitingroom/current"

# the settings: made once from the sample, with secrets of its own
env_file="$root/etc/waitingroom/waitingroom.env"
mkdir -p "$root/etc/waitingroom"
if [ ! -f "$env_file" ]; then
  say "writing $env_file (edit PUBLIC_URL, QUEUES and the rest, then run this again)"
  secret() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }
  # created readable by its owner only: its secrets are never readable by others, not for a moment
  rm -f "$env_file.part"
  (
    umask 077
    sed -e "s/^STAFF_API_TOKEN=$/STAFF_API_TOKEN=$(secret)/" \
      -e "s/^PHONE_HASH_SECRET=$/PHONE_HASH_SECRET=$(secret)/" \
      ${WR_DOMAIN:+-e "s#^PUBLIC_URL=.*#PUBLIC_URL=https://$WR_DOMAIN#"} \
      "$release/deploy/waitingroom.env.sample" >"$env_file.part"
  )
  chmod 0640 "$env_file.part"
  mv "$env_file.part" "$env_file"
fi
if live; then chgrp waitingroom "$root/etc/waitingroom" "$env_file"; chmod 0750 "$root/etc/waitingroom"; fi

say "installing the systemd units, Redis's settings and the Caddyfile"
mkdir -p "$root/etc/systemd/system" "$root/etc/redis" "$root/etc/caddy"
for unit in waitingroom@.service waitingroom-backup.service waitingroom-backup.timer; do
  cp "$release/deploy/$unit" "$root/etc/systemd/system/$unit"
done
cp "$release/deploy/redis-waitingroom.conf" "$root/etc/redis/waitingroom.conf"
if [ -f "$root/etc/redis/redis.conf" ] && ! grep -qx 'include /etc/redis/waitingroom.conf' "$root/etc/redis/redis.conf"; then
  printf '\n# Waiting Room (later lines win)\ninclude /etc/redis/waitingroom.conf\n' >>"$root/etc/redis/redis.conf"
  redis_changed=1
fi
if [ -f "$root/etc/caddy/Caddyfile" ] && ! cmp -s "$release/deploy/Caddyfile" "$root/etc/caddy/Caddyfile"; then
  cp "$root/etc/caddy/Caddyfile" "$root/etc/caddy/Caddyfile.before-waitingroom"
fi
cp "$release/deploy/Caddyfile" "$root/etc/caddy/Caddyfile"
if [ -n "${WR_DOMAIN:-}" ]; then
  mkdir -p "$root/etc/systemd/system/caddy.service.d"
  printf '[Service]\nEnvironment=WR_DOMAIN=%s\n' "$WR_DOMAIN" >"$root/etc/systemd/system/caddy.service.d/waitingroom.conf"
fi
live || exit 0

systemctl daemon-reload
if [ "${redis_changed:-0}" = 1 ]; then
  say "restarting Redis with the new settings"
  mkdir -p /run/redis
  systemctl restart redis-server
fi
# a restart, not a reload: WR_DOMAIN is in its environment, read when it starts
systemctl restart caddy
systemctl enable --now waitingroom-backup.timer

# which port runs now: the new release starts on the other one
old=""
for port in 3000 3001; do
  if systemctl is-active --quiet "waitingroom@$port"; then old="$port"; fi
done
new=3000
[ "$old" = 3000 ] && new=3001
say "starting $name on port $new${old:+ beside the running one on $old}"
systemctl enable --now "waitingroom@$new"
if [ -n "$old" ]; then
  # the old one keeps serving until the new one answers
  tries=0
  until curl -sf "http://127.0.0.1:$new/healthz" >/dev/null; do
    tries=$((tries + 1))
    if [ $tries -ge 60 ]; then
      echo "the new release does not answer on port $new; the old one ($previous) keeps serving" >&2
      systemctl disable --now "waitingroom@$new"
      ln -sfn "$previous" /opt/waitingroom/current
      exit 1
    fi
    sleep 1
  done
  say "stopping the old one on port $old"
  systemctl disable --now "waitingroom@$old"
fi
say "done: $(curl -s "http://127.0.0.1:$new/healthz")"
