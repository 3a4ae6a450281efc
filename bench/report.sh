#!/usr/bin/env bash
# Report and export benchmark (not part of `cargo test`): examples/make_history.rs builds, through
# the real vault writer, a window shaped like a real one: 180 days, 5 collectors (host-baseline
# hourly, GitHub PRs, AWS IAM, TLS endpoints, scan reports), ~2% failed runs, a few gap days,
# findings, population CSVs, ARTIFACTS small artifacts in all. Then, under /usr/bin/time (wall
# time and peak RSS), side by side with references that read the same data:
#   - `evidence-agent report` over the window, next to `cat` of every run.json (the floor for
#     reading the records), Python json-loading every run.json, and `sha256sum -c` in every run
#     folder (reading every artifact);
#   - `evidence-agent export` of the whole window, next to `tar -czf` of the same files (the
#     unpacked bundle), and `verify` of the unpacked bundle.
# Writes bench/RESULTS-report.md. Knobs (environment): ARTIFACTS (100000), DAYS (180), REPS (3),
# WORK (target/bench), PROFILE (release or debug).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

ARTIFACTS=${ARTIFACTS:-100000} DAYS=${DAYS:-180} REPS=${REPS:-3}
WORK=${WORK:-target/bench} PROFILE=${PROFILE:-release}
OUT=bench/RESULTS-report.md
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

if [ ! -x /usr/bin/time ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time
fi

bench_build --example make_history
WINDOW=bench
START=2026-01-01
END=$(date -u -d "$START + $((DAYS - 1)) days" +%F)

# The run folder: bench_config's window narrowed to the generated one, so the calendar spans it.
RUN=$WORK/report-$ARTIFACTS-$DAYS
if [ ! -f "$RUN/made" ]; then
    bench_config "$RUN"
    sed -i "s/^start = .*/start = \"$START\"/; s/^end = .*/end = \"$END\"/" "$RUN/config.toml"
    echo "== building a $DAYS-day window with $ARTIFACTS artifacts" >&2
    "target/$PROFILE/examples/make_history" "$RUN/vault" --artifacts "$ARTIFACTS" --days "$DAYS" \
        --window "$WINDOW" --start "$START" >"$RUN/made.tmp"
    mv "$RUN/made.tmp" "$RUN/made"
fi
MADE=$(cat "$RUN/made")
field() { echo "$MADE" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'; }
WIN=$RUN/vault/$WINDOW
NRUNS=$(find "$WIN" -name run.json -not -path '*/derived/*' | wc -l)
NFILES=$(find "$WIN" -path '*/artifacts/*' -type f | wc -l)
BYTES=$(du -sb "$WIN" | cut -f1)

# timed CMD...: "<wall s> <peak RSS kB>" of one run of CMD; fails (showing its stderr) if it fails.
timed() {
    local t
    t=$(mktemp)
    if ! /usr/bin/time -f '%e %M' -o "$t" "$@" >/dev/null 2>"$WORK/last.err"; then
        cat "$WORK/last.err" >&2
        rm -f "$t"
        return 1
    fi
    tail -n1 "$t"
    rm -f "$t"
}
# best_of CMD...: the fastest of REPS runs, with its peak RSS (the highest seen).
best_of() {
    local best="" rss=0 s kb
    for _ in $(seq "$REPS"); do
        read -r s kb < <(timed "$@") || return 1
        if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$s; fi
        ((kb > rss)) && rss=$kb
    done
    echo "$best $rss"
}
mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }

CAT_RUNS=(sh -c 'find "$1" -name run.json -not -path "*/derived/*" -exec cat {} + >/dev/null' _ "$WIN")
PY_RUNS=(python3 -c '
import json, os, sys
n = 0
for root, dirs, files in os.walk(sys.argv[1]):
    dirs[:] = [d for d in dirs if d != "derived"]
    if "run.json" in files:
        with open(os.path.join(root, "run.json")) as f:
            json.load(f)
        n += 1
print(n)' "$WIN")
SHA_RUNS=(sh -c 'find "$1" -name SHA256SUMS -not -path "*/derived/*" -execdir sha256sum --quiet -c SHA256SUMS \; ' _ "$WIN")

# Warm the page cache so every contender reads from memory.
"${CAT_RUNS[@]}"
find "$WIN" -path '*/artifacts/*' -type f -exec cat {} + >/dev/null

echo "== report (best of $REPS)" >&2
read -r REP_S REP_KB < <(best_of "$BIN" --config "$RUN/config.toml" report --window "$WINDOW" --out "$RUN/site")
REPORT_LINE=$("$BIN" --config "$RUN/config.toml" report --window "$WINDOW" --out "$RUN/site")
SITE_FILES=$(find "$RUN/site" -type f | wc -l)
SITE_BYTES=$(du -sb "$RUN/site" | cut -f1)
echo "== references (best of $REPS)" >&2
read -r CAT_S CAT_KB < <(best_of "${CAT_RUNS[@]}")
read -r PY_S PY_KB < <(best_of "${PY_RUNS[@]}")
read -r SHA_S SHA_KB < <(best_of "${SHA_RUNS[@]}")

echo "== export and tar (best of $REPS)" >&2
BUNDLE=$RUN/bundle.tar.gz
export_once() { rm -f "$BUNDLE"; "$BIN" --config "$RUN/config.toml" export --window "$WINDOW" --out "$BUNDLE"; }
# The reference packs the very files of the bundle (evidence, ledger, report), unpacked once.
tar_once() { tar -czf "$RUN/same.tar.gz" -C "$RUN/unpacked" .; }
export -f export_once tar_once
export BIN RUN WINDOW BUNDLE
if read -r EXP_S EXP_KB < <(best_of bash -c export_once); then
    EXPORT_ROW="| \`evidence-agent export --window $WINDOW\` | **$EXP_S s** | **$(mb "$EXP_KB") MB** | bundle $(( $(stat -c %s "$BUNDLE") / 1048576 )) MB |"
else
    EXPORT_ROW="| \`evidence-agent export --window $WINDOW\` | failed: $(tail -n1 "$WORK/last.err") | | |"
fi
rm -rf "$RUN/unpacked" && mkdir -p "$RUN/unpacked" && tar -xzf "$BUNDLE" -C "$RUN/unpacked"
read -r TAR_S TAR_KB < <(best_of bash -c tar_once)
TOP=$(find "$RUN/unpacked" -mindepth 1 -maxdepth 1 -type d)
read -r VER_S VER_KB < <(best_of "$BIN" verify --vault "$TOP")

NOTE=""
if [ "$PROFILE" != release ]; then
    NOTE="A $PROFILE build (unoptimized: hashing, gzip and HTML writing run far slower than in release); run with PROFILE=release for the real figures."
fi

cat >"$OUT" <<EOM
# Report and export benchmark

Written by \`bench/report.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ) at commit $(git rev-parse --short HEAD);
re-run it to refresh this file. Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),
$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo), $PROFILE build. Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine).

The window: $DAYS days ($START to $END), $NRUNS runs, $NFILES artifacts, $(( BYTES / 1048576 )) MB, built by
\`examples/make_history.rs\` through the real vault writer ($(field runs) runs, $(field failed) failed,
$(field gap_days) gap days, $(field findings) findings; writer: $(field seconds) s). Five collectors:
host-baseline hourly, github-pull-requests daily (population.csv and a JSON per PR),
aws-iam daily (users.csv), tls-endpoints every six hours (endpoints.csv), scan-reports daily
(reports.csv). Page cache warm; each figure is the best of $REPS runs (peak RSS: the highest).

The report: \`$REPORT_LINE\` ($SITE_FILES files, $(( SITE_BYTES / 1048576 )) MB).

| what | wall time | peak RSS | notes |
|---|---|---|---|
| \`evidence-agent report --window $WINDOW\` | **$REP_S s** | **$(mb "$REP_KB") MB** | the whole site |
| \`cat\` of every run.json (find -exec cat) | $CAT_S s | $(mb "$CAT_KB") MB | reading the records, nothing else |
| python3 \`json.load\` of every run.json | $PY_S s | $(mb "$PY_KB") MB | parsing the records |
| \`sha256sum -c\` in every run folder | $SHA_S s | $(mb "$SHA_KB") MB | reading and hashing every artifact |
$EXPORT_ROW
| \`tar -czf\` of the same files (the unpacked bundle) | $TAR_S s | $(mb "$TAR_KB") MB | $(( $(stat -c %s "$RUN/same.tar.gz") / 1048576 )) MB |
| \`evidence-agent verify\` of the unpacked bundle | $VER_S s | $(mb "$VER_KB") MB | chain, every run and artifact |

$NOTE
EOM
cat "$OUT"
