#!/usr/bin/env bash
# The benchmark harness (not part of `cargo test`). Builds a large vault through the real vault
# writer, then measures, on this machine and in one run:
#   1. `evidence-agent verify` against `find … -name SHA256SUMS -execdir sha256sum -c`, side by
#      side, alternating, warm page cache; reports medians and the ratio (target: verify ≥ 2x).
#   2. the idle daemon: resident memory and CPU time over IDLE_SECS seconds (targets: < 20 MB, ~0).
#   3. `collect` overhead: wall time and peak memory of `collect` with a trivial custom collector,
#      next to running the collector's script alone.
# Writes bench/RESULTS.md. Knobs (environment): MB (2048), FILES (20000), BIG (8), BIG_MB (128),
# REPS (5), IDLE_SECS (60), WORK (target/bench).
set -euo pipefail
cd "$(dirname "$0")/.."

MB=${MB:-2048} FILES=${FILES:-20000} BIG=${BIG:-8} BIG_MB=${BIG_MB:-128}
REPS=${REPS:-5} IDLE_SECS=${IDLE_SECS:-60} WORK=${WORK:-target/bench}
OUT=bench/RESULTS.md
mkdir -p "$WORK"

echo "== building (release)" >&2
cargo build --release --quiet --bin evidence-agent --example make_vault
BIN=$PWD/target/release/evidence-agent

VAULT=$WORK/vault-$MB-$FILES-$BIG-$BIG_MB
if [ ! -f "$VAULT.done" ]; then
    echo "== building the vault $VAULT" >&2
    rm -rf "$VAULT"
    target/release/examples/make_vault "$VAULT" --mb "$MB" --files "$FILES" --big "$BIG" --big-mb "$BIG_MB" >"$VAULT.done.tmp"
    mv "$VAULT.done.tmp" "$VAULT.done"
fi
MADE=$(cat "$VAULT.done")
WRITER=$(echo "$MADE" | tr ' ' '\n' | awk -F= '$1 ~ /runs_per_sec|mib_per_sec|seconds/ {printf "%s %s, ", $1, $2}')
RUNS_PER_SEC=$(echo "$MADE" | tr ' ' '\n' | awk -F= '$1 == "runs_per_sec" {print $2}')
NFILES=$(find "$VAULT" -type f | wc -l)
NRUNS=$(find "$VAULT" -name SHA256SUMS | wc -l)
BYTES=$(du -sb "$VAULT" | cut -f1)

# Runs a command under /usr/bin/time; prints "wall_s user_s sys_s maxrss_kb"; fails if it fails.
timed() {
    local t; t=$(mktemp)
    if ! /usr/bin/time -f '%e %U %S %M' -o "$t" "$@" >/dev/null 2>"$t.err"; then
        echo "command failed: $*" >&2; cat "$t.err" >&2; exit 1
    fi
    cat "$t"; rm -f "$t" "$t.err"
}
verify_all() { timed "$BIN" verify --vault "$VAULT"; }
verify_one() { timed "$BIN" verify --vault "$VAULT" --threads 1; }
sha256sum_all() { timed find "$VAULT" -name SHA256SUMS -execdir sha256sum -c --quiet '{}' +; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "== warm-up (fills the page cache; not counted)" >&2
verify_all >/dev/null; sha256sum_all >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$WORK/times"
for i in $(seq 1 "$REPS"); do
    # Alternate which goes first, so neither always follows the other.
    if [ $((i % 2)) -eq 1 ]; then order="verify sha256sum verify1"; else order="sha256sum verify1 verify"; fi
    for what in $order; do
        case $what in
            verify) r=$(verify_all) ;;
            verify1) r=$(verify_one) ;;
            sha256sum) r=$(sha256sum_all) ;;
        esac
        echo "$what $i $r" >>"$WORK/times"
        echo "   rep $i $what: $r" >&2
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
col() { awk -v w="$1" -v c="$2" '$1 == w {print $c}' "$WORK/times"; }
V=$(col verify 3 | median) V1=$(col verify1 3 | median) S=$(col sha256sum 3 | median)
VRSS=$(col verify 6 | median) SRSS=$(col sha256sum 6 | median)
VCPU=$(awk '$1 == "verify" {print $4 + $5}' "$WORK/times" | median)
SCPU=$(awk '$1 == "sha256sum" {print $4 + $5}' "$WORK/times" | median)
RATIO=$(awk -v s="$S" -v v="$V" 'BEGIN {printf "%.2f", s / v}')
RATIO1=$(awk -v s="$S" -v v="$V1" 'BEGIN {printf "%.2f", s / v}')
GBS=$(awk -v b="$BYTES" -v v="$V" 'BEGIN {printf "%.2f", b / v / 1e9}')
ROWS=$(awk '{printf "| %s | %s | %s | %s | %s | %s |\n", $2, $1, $3, $4, $5, $6}' "$WORK/times" | sort -t'|' -k2n -k3)

echo "== idle daemon (${IDLE_SECS} s)" >&2
IDLE=$WORK/idle
rm -rf "$IDLE"; mkdir -p "$IDLE/collectors"
PORT=$((20000 + RANDOM % 20000))
cat >"$IDLE/config.toml" <<TOML
[agent]
vault_dir = "vault"
collectors_dir = "collectors"

[http]
enabled = true
listen = "127.0.0.1:$PORT"

[[windows]]
name = "bench"
start = "2000-01-01"
end = "2099-12-31"
TOML
"$BIN" --config "$IDLE/config.toml" run >"$IDLE/daemon.log" 2>&1 &
PID=$!
sleep 5
if ! kill -0 "$PID" 2>/dev/null; then echo "the daemon did not stay up:" >&2; cat "$IDLE/daemon.log" >&2; exit 1; fi
TICK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
C0=$(cpu_ticks)
sleep "$IDLE_SECS"
C1=$(cpu_ticks)
RSS_KB=$(awk '/^VmRSS/ {print $2}' "/proc/$PID/status")
HWM_KB=$(awk '/^VmHWM/ {print $2}' "/proc/$PID/status")
THREADS=$(awk '/^Threads/ {print $2}' "/proc/$PID/status")
HEALTH=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/healthz" || echo "no answer")
kill -TERM "$PID"; wait "$PID" || true
IDLE_CPU_MS=$(awk -v a="$C0" -v b="$C1" -v t="$TICK" 'BEGIN {printf "%d", (b - a) * 1000 / t}')

echo "== collect overhead" >&2
C=$WORK/collect
rm -rf "$C"; mkdir -p "$C/collectors/noop"
sed -e '/^\[http\]/,/^listen/d' "$IDLE/config.toml" >"$C/config.toml"
printf '[http]\nenabled = false\n' >>"$C/config.toml"
cat >"$C/collectors/noop/collector.toml" <<TOML
name = "noop"
description = "Writes one small file: measures the agent's own cost per run."
version = "1.0.0"
criteria = ["CC6.1"]
command = ["./collect.sh"]
schedule = "0 0 3 * * *"
TOML
printf '#!/bin/sh\necho ok > "${EVIDENCE_OUT_DIR:-/tmp}/ok.txt"\n' >"$C/collectors/noop/collect.sh"
chmod 755 "$C/collectors/noop/collect.sh"
if "$BIN" --config "$C/config.toml" collect >"$C/first.log" 2>&1; then
    : >"$C/times"
    for i in $(seq 1 "$REPS"); do
        echo "collect $(timed "$BIN" --config "$C/config.toml" collect)" >>"$C/times"
        echo "script $(EVIDENCE_OUT_DIR=$(mktemp -d) timed "$C/collectors/noop/collect.sh")" >>"$C/times"
    done
    CW=$(awk '$1 == "collect" {print $2}' "$C/times" | median)
    CR=$(awk '$1 == "collect" {print $5}' "$C/times" | median)
    SW=$(awk '$1 == "script" {print $2}' "$C/times" | median)
    COLLECT="| \`collect\` (one run of \`noop\`, committed, fsynced) | $CW s | $CR KB |
| the collector's script alone | $SW s | |"
    "$BIN" verify --vault "$C/vault" >/dev/null 2>&1 && COLLECT_OK="and the resulting vault verifies" || COLLECT_OK="but the resulting vault does NOT verify"
else
    COLLECT="| \`collect\` | not measured: it exited $? with \`$(head -c 300 "$C/first.log" | tr '\n' ' ' | sed 's/ *$//')\` | |"
    COLLECT_OK="(this build could not run the \`noop\` custom collector, see below; the vault writer's own cost per
run is in the writer figures above: $RUNS_PER_SEC runs of 100 files per second, fsync included)"
fi

CPU_MODEL=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
SHA_NI=$(grep -qw sha_ni /proc/cpuinfo && echo yes || echo no)
cat >"$OUT" <<MD
# Benchmark results

Written by \`bench/run.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ). Re-run it to refresh this file; figures
from another machine are not comparable.

## Machine

| | |
|---|---|
| CPU | $CPU_MODEL, $(nproc) cores visible, SHA extensions (sha_ni): $SHA_NI |
| memory | $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) |
| kernel | $(uname -sr) |
| file system | $(stat -f -c %T "$WORK") |
| tools | $($BIN --version), $(sha256sum --version | head -1), $(rustc --version) |
| load average | $LOAD_BEFORE before the timed runs, $LOAD_AFTER after (a shared machine: other jobs ran) |

## verify vs \`sha256sum -c\`

The vault: $NRUNS runs, $NFILES files, $BYTES bytes, built by \`examples/make_vault.rs\` through the
real vault writer ($BIG artifacts of $BIG_MB MiB, $FILES small ones of varying size; writer:
${WRITER%, }). Both tools read every artifact and check its SHA-256; the page cache is warm (one
untimed run of each first), $REPS alternating repetitions. \`verify\` also checks run records, the
ledger chain and extra files, which \`sha256sum\` does not.

| | median wall time | median CPU (user+sys) | median peak RSS |
|---|---|---|---|
| \`evidence-agent verify\` (both cores) | $V s | $VCPU s | $VRSS KB |
| \`evidence-agent verify --threads 1\` | $V1 s | | |
| \`find … -name SHA256SUMS -execdir sha256sum -c --quiet {} +\` | $S s | $SCPU s | $SRSS KB |

**Ratio: verify is ${RATIO}x faster than sha256sum -c** (target ≥ 2x); on one thread ${RATIO1}x.
verify throughput: $GBS GB/s. The gap is mostly per core: \`sha256sum\` needs $SCPU s of CPU for what
verify hashes in $VCPU s (sha2 uses the CPU's SHA extensions; this coreutils build does not), and
the second core adds the rest. Wall times vary between repetitions because other jobs share the
two cores; medians are reported.

Every repetition (seconds, KB):

| rep | tool | wall | user | sys | max RSS |
|---|---|---|---|---|---|
$ROWS

## Idle daemon

\`evidence-agent run\` with the HTTP endpoint on, no collector due, measured after 5 s of start-up
over $IDLE_SECS s: resident memory **$((RSS_KB / 1024)) MB** ($RSS_KB KB; peak $HWM_KB KB; target < 20 MB),
CPU time **$IDLE_CPU_MS ms** over $IDLE_SECS s (target ~0), $THREADS threads, \`/healthz\` answered $HEALTH.

## collect overhead

Median of $REPS, each a complete \`collect\` (load config, recovery check, run, commit with fsync,
ledger append) $COLLECT_OK.

| | wall | peak RSS |
|---|---|---|
$COLLECT
MD
echo "== wrote $OUT" >&2
cat "$OUT"
