#!/usr/bin/env bash
# GitHub collector benchmark (not part of `cargo test`): the tests' fake GitHub
# (examples/fake_github.rs, every GraphQL query validated against GitHub's schema) serves REPOS
# repositories with PRS merged pull requests; `collect github-pull-requests` runs twice, the
# second time with nothing new. Reports HTTP requests (as the collector recorded them in run.json
# and as the server counted them), wall time and peak memory of each run, against the targets:
#   first run  <= ceil(PRS / 100) + 2 x REPOS + 5 requests
#   second run <= REPOS + 5 requests
# Writes bench/RESULTS-github.md. Knobs (environment): REPOS (20), PRS (2000), WORK (target/bench).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

REPOS=${REPOS:-20} PRS=${PRS:-2000} WORK=${WORK:-target/bench}
OUT=bench/RESULTS-github.md
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

echo "== building (release)" >&2
cargo build --release --quiet --bin evidence-agent --example fake_github
BIN=$PWD/target/release/evidence-agent
TODAY=$(date -u +%Y-%m-%d)

# The server serves until its stdin closes, then prints its request counts.
SERVER_OUT=$WORK/fake-github.out
FIFO=$WORK/fake-github.in
rm -f "$FIFO" "$SERVER_OUT"
mkfifo "$FIFO"
target/release/examples/fake_github --repos "$REPOS" --prs "$PRS" --since 2026-07-01 --until "$TODAY" \
    <"$FIFO" >"$SERVER_OUT" 2>"$WORK/fake-github.err" &
SERVER=$!
exec 9>"$FIFO"
trap 'exec 9>&-; kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$SERVER_OUT" ] && break; sleep 0.1; done
URL=$(head -n1 "$SERVER_OUT")
[ -n "$URL" ] || { echo "fake_github did not start: $(cat "$WORK/fake-github.err")" >&2; exit 1; }

RUN=$WORK/github-run
bench_config "$RUN"
cat >>"$RUN/config.toml" <<EOF
[collectors.github-pull-requests.secrets]
GITHUB_TOKEN = "env:BENCH_GITHUB_TOKEN"

[github]
api_url = "$URL"
organizations = ["acme"]
index_lag_secs = 0
EOF
export BENCH_GITHUB_TOKEN=ghp_fake_token_0123456789

# Runs one collect under /usr/bin/time; prints "wall_s maxrss_kb requests prs".
collect() {
    local t; t=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$t" "$BIN" --config "$RUN/config.toml" collect github-pull-requests \
        >/dev/null 2>"$RUN/collect.err" || { cat "$RUN/collect.err" >&2; exit 1; }
    local rec
    rec=$(ls -t "$RUN"/vault/bench/*/github-pull-requests/*/run.json | head -n1)
    python3 - "$rec" "$(cat "$t")" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
assert run["status"] == "succeeded", run.get("error")
s = run["summary"]
print(sys.argv[2], s["api"]["requests"], s["pull_requests"])
PY
    rm -f "$t"
}

echo "== first run (backfill)" >&2
read -r W1 M1 R1 P1 < <(collect)
echo "== second run (unchanged)" >&2
read -r W2 M2 R2 P2 < <(collect)
"$BIN" --config "$RUN/config.toml" verify >/dev/null 2>&1 || { echo "verify failed" >&2; exit 1; }

exec 9>&-
wait $SERVER || true
trap - EXIT
SERVED=$(tail -n1 "$SERVER_OUT")
SERVED_TOTAL=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["total"])' "$SERVED")

T1=$(( (PRS + 99) / 100 + 2 * REPOS + 5 ))
T2=$(( REPOS + 5 ))
verdict() { if [ "$1" -le "$2" ]; then echo "met"; else echo "MISSED"; fi; }

cat >"$OUT" <<EOF
# GitHub collector benchmark

Written by \`bench/github.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ); re-run it to refresh this file.
Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),
release build. Load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine).

The tests' fake GitHub (\`examples/fake_github.rs\`: every GraphQL query validated against GitHub's
public schema, GitHub's 1,000-result search cap and page-size limits emulated) served $REPOS
repositories with $PRS pull requests merged since 2026-07-01, on loopback. The agent ran
\`collect github-pull-requests\` twice into a fresh vault; the second run found nothing new.

| run | HTTP requests | target | PRs stored | wall time | peak RSS |
|---|---|---|---|---|---|
| first (backfill of the window) | $R1 | ≤ $T1 ($(verdict "$R1" "$T1")) | $P1 | $W1 s | $((M1 / 1024)) MB |
| second (unchanged) | $R2 | ≤ $T2 ($(verdict "$R2" "$T2")) | $P2 | $W2 s | $((M2 / 1024)) MB |

Requests are as recorded in each run's \`run.json\` (\`summary.api.requests\`); the server counted
$SERVED_TOTAL in all (\`$SERVED\`) against $((R1 + R2)) recorded by the two runs. The vault
verified afterwards.
Wall time on loopback is mostly the fake server's GraphQL execution and the vault's fsyncs; against
github.com, GitHub's own response time (often 1-3 s for a 100-PR search page) dominates.
EOF
cat "$OUT"
[ "$R1" -le "$T1" ] && [ "$R2" -le "$T2" ] && [ "$SERVED_TOTAL" -eq $((R1 + R2)) ]
