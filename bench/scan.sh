#!/usr/bin/env bash
# Scan report import benchmark (not part of `cargo test`): bench/gen_scan_report.py writes one
# large Trivy (schema 2) and one large SARIF 2.1.0 report (SIZE_MB each, 100+ by default);
# `collect scan-reports` imports each from a drop folder into a fresh vault under /usr/bin/time.
# Reports throughput (MB/s) and peak RSS, side by side with two references over the same file on
# the same machine in the same minute: `sha256sum` (the floor: one read and hash of the file) and
# Python's `json.load` (a parser that holds the whole document). Checks the imported counts against
# the counts the generator wrote. Writes bench/RESULTS-scan.md.
# Knobs (environment): SIZE_MB (110), WORK (target/bench), PROFILE (release or debug).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

SIZE_MB=${SIZE_MB:-110} WORK=${WORK:-target/bench} PROFILE=${PROFILE:-release}
OUT=bench/RESULTS-scan.md
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

bench_build

# time_of CMD...: "<wall seconds> <peak RSS kB>" of one run of CMD.
time_of() {
    local t
    t=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>"$WORK/last.err" || { cat "$WORK/last.err" >&2; rm -f "$t"; return 1; }
    cat "$t"
    rm -f "$t"
}
mbps() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1048576 / max(float(sys.argv[2]), 0.01):.0f}')" "$1" "$2"; }
mb() { echo $(( $1 / 1024 )); }

ROWS=""
for KIND in trivy sarif; do
    RUN=$WORK/scan-$KIND
    bench_config "$RUN"
    mkdir -p "$RUN/drop"
    FILE=$RUN/drop/report-$KIND.json
    echo "== generating a $SIZE_MB MB $KIND report" >&2
    EXPECTED=$(python3 bench/gen_scan_report.py "$KIND" "$FILE" "$SIZE_MB")
    BYTES=$(stat -c %s "$FILE")
    touch -d '1 hour ago' "$FILE"
    cat >>"$RUN/config.toml" <<EOC
[scan_reports]
directories = ["drop"]
settle_secs = 0
EOC
    # Warm the page cache so every contender reads from memory.
    cat "$FILE" >/dev/null
    echo "== $KIND: sha256sum, json.load, collect scan-reports" >&2
    read -r SHA_S SHA_KB < <(time_of sha256sum "$FILE")
    read -r PY_S PY_KB < <(time_of python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$FILE")
    read -r EA_S EA_KB < <(time_of "$BIN" --config "$RUN/config.toml" collect scan-reports)
    # A second run finds the same file already imported.
    read -r EA2_S EA2_KB < <(time_of "$BIN" --config "$RUN/config.toml" collect scan-reports)
    "$BIN" --config "$RUN/config.toml" verify >/dev/null 2>&1 || { echo "verify failed" >&2; exit 1; }
    CHECK=$(python3 - "$RUN" "$EXPECTED" <<'PY'
import glob, json, sys
run_dir, expected = sys.argv[1], json.loads(sys.argv[2])
summaries = glob.glob(f"{run_dir}/vault/bench/*/scan-reports/*/artifacts/reports/*/summary.json")
assert len(summaries) == 1, summaries
s = json.load(open(summaries[0]))
counts = s.get("counts") or s.get("summary", {}).get("counts")
for sev, n in expected.items():
    assert counts.get(sev, 0) == n, f"{sev}: imported {counts.get(sev)}, generated {n}"
runs = sorted(glob.glob(f"{run_dir}/vault/bench/*/scan-reports/*/run.json"))
second = json.load(open(runs[-1]))["summary"]
assert second.get("already_imported") == 1, second
print(" ".join(f"{k}:{v}" for k, v in sorted(expected.items()) if v))
PY
)
    ROWS+="| $KIND | $(( BYTES / 1048576 )) MB | $EA_S s, **$(mbps "$BYTES" "$EA_S") MB/s**, **$(mb "$EA_KB") MB** | $SHA_S s, $(mbps "$BYTES" "$SHA_S") MB/s, $(mb "$SHA_KB") MB | $PY_S s, $(mbps "$BYTES" "$PY_S") MB/s, $(mb "$PY_KB") MB | $EA2_S s, $(mb "$EA2_KB") MB | ${CHECK// /, } |"$'\n'
done

cat >"$OUT" <<EOM
# Scan report import benchmark

Written by \`bench/scan.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ); re-run it to refresh this file.
Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),
$PROFILE build. Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine).

One synthetic report per format from \`bench/gen_scan_report.py\` (shapes of the real reports in
../shared/fixtures/scan-reports), in a drop folder, page cache warm. \`collect scan-reports\`
copies it into the vault while hashing it, fsyncs, detects the format, parses it streaming
and writes summary.json; the references read the same file: \`sha256sum\` (one read and hash, the
floor for any import) and Python's \`json.load\` (a parser that keeps the whole document).
The counts the importer wrote were checked against the counts the generator wrote; the second
run found the file already imported; the vault verified.

| report | size | import: wall, throughput, peak RSS | sha256sum | python json.load | second run (already imported) | counts checked |
|---|---|---|---|---|---|---|
$ROWS
Peak memory stays bounded because the parsers fold each finding into counts as they read and keep
only the critical and high ones (the summary lists them); the file itself is streamed, never held.
EOM
cat "$OUT"
