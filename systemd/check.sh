#!/usr/bin/env bash
# Checks systemd/: the unit passes `systemd-analyze verify`, its sandbox rates an exposure of at
# most 2.0 in `systemd-analyze security --offline=true`, its stop timeout leaves the agent its
# shutdown grace period, and the sysusers file parses. tests/run.sh calls it after the build.
# Usage: systemd/check.sh [UNIT [SYSUSERS]] (default: the files in systemd/).
# Exits 0 when all hold, 1 (with what is wrong) otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXPOSURE=2.0
unit=$(realpath "${1:-systemd/evidence-agent.service}")
sysusers=$(realpath "${2:-systemd/evidence-agent.sysusers}")
bin=${EVIDENCE_AGENT_BIN:-target/debug/evidence-agent}
failed=0
fail() {
  echo "systemd/check.sh: FAIL: $*" >&2
  failed=1
}

for tool in systemd-analyze systemd-sysusers; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "systemd/check.sh: $tool is missing: install the systemd package (tests/run.sh does)" >&2
    exit 1
  fi
done
for file in "$unit" "$sysusers"; do
  [ -f "$file" ] || { echo "systemd/check.sh: $file does not exist" >&2; exit 1; }
done
if [ ! -x "$bin" ]; then
  echo "systemd/check.sh: $bin is missing: run \`cargo build\` first, or set EVIDENCE_AGENT_BIN" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# verify checks that ExecStart exists: point it at the binary just built, nothing else changes.
installed=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$unit")
[ "$installed" = /usr/local/bin/evidence-agent ] || fail "$unit: ExecStart should start /usr/local/bin/evidence-agent, found '$installed'"
grep -Eq '^ExecStart=.* run$' "$unit" || fail "$unit: ExecStart should run the daemon with the \`run\` command"
sed "s|^ExecStart=$installed |ExecStart=$(realpath "$bin") |" "$unit" >"$tmp/evidence-agent.service"
if ! out=$(systemd-analyze verify "$tmp/evidence-agent.service" 2>&1) || [ -n "$out" ]; then
  fail "systemd-analyze verify $unit:"$'\n'"$out"
else
  echo "ok: systemd-analyze verify $unit"
fi

report=$(systemd-analyze security --offline=true "$unit" 2>&1) || true
exposure=$(printf '%s\n' "$report" | sed -n 's/^→ Overall exposure level for [^:]*: \([0-9.]*\) .*/\1/p')
if [ -z "$exposure" ]; then
  fail "systemd-analyze security --offline=true $unit gave no exposure level:"$'\n'"$report"
elif awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e > m) }'; then
  fail "$unit: exposure $exposure is over $MAX_EXPOSURE; what weakens it:"$'\n'"$(printf '%s\n' "$report" | grep '✗')"
else
  echo "ok: $unit exposure $exposure (at most $MAX_EXPOSURE)"
fi

# Stop: SIGTERM to the agent alone (KillMode=mixed), which gives runs in flight the grace period,
# then 2 s to collectors' process groups, then commits; TimeoutStopSec must cover all that.
grace=$(awk '/fn default_shutdown_grace_secs\(\)/ { getline; gsub(/[^0-9]/, ""); print; exit }' src/config/mod.rs)
stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)s\{0,1\}$/\1/p' "$unit")
grep -qx 'KillMode=mixed' "$unit" || fail "$unit: KillMode=mixed is needed so that only the agent gets SIGTERM and stops its collectors itself"
if [ -z "$grace" ] || [ -z "$stop" ]; then
  fail "cannot compare TimeoutStopSec ('$stop', in seconds) with the default shutdown_grace_secs ('$grace') of src/config/mod.rs"
elif [ "$stop" -lt $((grace + 2 + 10)) ]; then
  fail "$unit: TimeoutStopSec=${stop}s is shorter than shutdown_grace_secs ($grace) + 2 s collector kill + 10 s to commit"
else
  echo "ok: TimeoutStopSec=${stop}s covers shutdown_grace_secs=${grace}s"
fi

if out=$(systemd-sysusers --dry-run --root="$tmp" "$sysusers" 2>&1); then
  echo "ok: systemd-sysusers $sysusers"
else
  fail "systemd-sysusers --dry-run $sysusers:"$'\n'"$out"
fi

if [ "$failed" != 0 ]; then
  echo "systemd/check.sh: the unit or its files need fixing (see above)" >&2
  exit 1
fi
