#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 60) each, seeded from the real reports in
# ../shared/fixtures/scan-reports, and writes executions and crashes per target to fuzz/RESULTS.md.
# Needs `cargo install cargo-fuzz --locked`. Corpora stay in fuzz/corpus/ (not committed).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-60}
FIX=../../shared/fixtures/scan-reports
[ -d "$FIX" ] || { echo "fixtures not found at fuzz/$FIX" >&2; exit 1; }
# Plain cargo-fuzz needs nightly for its sanitizer flags; on stable, no sanitizer.
SAN=(--sanitizer none)
cargo fuzz build "${SAN[@]}" >&2

seeds() {
    case $1 in
        trivy) echo "$FIX/trivy" ;;
        grype) echo "$FIX/anchore_grype" ;;
        sarif) echo "$FIX/sarif" ;;
        prowler) echo "$FIX/prowler" ;;
        zap_xml | zap_json) echo "$FIX/zap" ;;
        nessus) echo "$FIX/tenable/nessus" ;;
        testssl_csv | testssl_json) echo "$FIX/testssl" ;;
        sslyze) echo "$FIX/sslyze" ;;
        detect) echo "$FIX/trivy $FIX/anchore_grype $FIX/sarif $FIX/prowler $FIX/zap $FIX/tenable/nessus $FIX/testssl $FIX/sslyze" ;;
    esac
}

ROWS=""
TOTAL=0
CRASHES=0
for t in $(cargo fuzz list); do
    mkdir -p "corpus/$t"
    LOG=$(mktemp)
    # shellcheck disable=SC2046
    if cargo fuzz run "${SAN[@]}" "$t" "corpus/$t" $(seeds "$t") -- \
        -max_total_time="$SECONDS_EACH" -max_len=1048576 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$LOG" 2>&1; then
        RESULT=none
    else
        RESULT="CRASH: $(grep -m1 -E 'panicked|ERROR|Test unit written' "$LOG" | tr '|' '/')"
        CRASHES=$((CRASHES + 1))
        cp "$LOG" "artifacts/$t.log" 2>/dev/null || true
    fi
    EXECS=$(grep -m1 'stat::number_of_executed_units' "$LOG" | awk '{print $2}')
    EXECS=${EXECS:-0}
    TOTAL=$((TOTAL + EXECS))
    CORPUS=$(find "corpus/$t" -type f | wc -l)
    ROWS+="| $t | $EXECS | $CORPUS | $RESULT |"$'\n'
    echo "$t: $EXECS executions, $RESULT" >&2
    rm -f "$LOG"
done

cat >RESULTS.md <<EOM
# Fuzzing results

Written by \`fuzz/run.sh $SECONDS_EACH\` on $(date -u +%Y-%m-%dT%H:%M:%SZ): each target ran for
$SECONDS_EACH s (libFuzzer, no sanitizer: stable toolchain; Rust's own checks still turn overflow
in debug assertions, out-of-bounds and unwrap failures into crashes), seeded from
../shared/fixtures/scan-reports. $(nproc) cores, shared machine.

| target | executions | corpus files | crashes |
|---|---|---|---|
$ROWS
Total: $TOTAL executions, $CRASHES target(s) crashed.
EOM
cat RESULTS.md
[ "$CRASHES" -eq 0 ]
