#!/usr/bin/env bash
# AWS IAM collector benchmark (not part of `cargo test`): moto_server (the tests' real IAM/STS
# implementation, installed into target/moto-venv by tests/run.sh) on loopback, seeded with USERS
# users by examples/moto_seed.rs (a quarter each: console+MFA+key, console without MFA+key, two
# keys, nothing; a strong password policy); `collect aws-iam` runs once under /usr/bin/time.
# Reports API requests (as the collector recorded them in run.json and as moto logged them), wall
# time and peak memory, against the issue's targets: at most 10 requests, under 40 MB peak RSS.
# Writes bench/RESULTS-aws.md. Knobs (environment): USERS (500), WORK (target/bench),
# MOTO_SERVER (target/moto-venv/bin/moto_server).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

USERS=${USERS:-500} WORK=${WORK:-target/bench}
MOTO=${MOTO_SERVER:-target/moto-venv/bin/moto_server}
OUT=bench/RESULTS-aws.md
MAX_REQUESTS=10 MAX_RSS_MB=40
[ -x "$MOTO" ] || {
    echo "moto_server not found at $MOTO: run \`bash tests/run.sh\` once (it installs moto[server] into target/moto-venv) or set MOTO_SERVER" >&2
    exit 1
}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)

echo "== building (release)" >&2
cargo build --release --quiet --bin evidence-agent --example moto_seed
BIN=$PWD/target/release/evidence-agent

echo "== starting moto" >&2
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
MOTO_LOG=$WORK/moto.log
"$MOTO" -H 127.0.0.1 -p "$PORT" >/dev/null 2>"$MOTO_LOG" &
MOTO_PID=$!
trap 'kill $MOTO_PID 2>/dev/null || true' EXIT
for _ in $(seq 600); do curl -sf "$URL/moto-api/data.json" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/moto-api/data.json" >/dev/null || { echo "moto_server did not start: $(tail -5 "$MOTO_LOG")" >&2; exit 1; }
MOTO_VERSION=$("$(dirname "$MOTO")/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || echo unknown)

echo "== seeding $USERS users" >&2
SEED_START=$(date +%s)
target/release/examples/moto_seed --endpoint "$URL" --users "$USERS" >"$WORK/seed.out"
SEED_S=$(( $(date +%s) - SEED_START ))

RUN=$WORK/aws-run
bench_config "$RUN"
cat >>"$RUN/config.toml" <<EOF
[aws]
endpoint_url = "$URL"
EOF

# moto (werkzeug) logs one line per HTTP request it serves; the collector's are those after seeding.
served() { grep -c '"POST / HTTP' "$MOTO_LOG" || true; }
BEFORE=$(served)
echo "== collect aws-iam" >&2
T=$(mktemp)
env -u AWS_SESSION_TOKEN -u AWS_PROFILE -u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE \
    AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 \
    AWS_EC2_METADATA_DISABLED=true HOME="$RUN" \
    /usr/bin/time -f '%e %M' -o "$T" "$BIN" --config "$RUN/config.toml" collect aws-iam \
    >/dev/null 2>"$RUN/collect.err" || { cat "$RUN/collect.err" >&2; exit 1; }
read -r WALL RSS_KB <"$T"
rm -f "$T"
SERVED=$(( $(served) - BEFORE ))
REC=$(ls "$RUN"/vault/bench/*/aws-iam/*/run.json | head -n1)
read -r REQUESTS STORED FINDINGS RULES < <(python3 - "$REC" "$USERS" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
assert run["status"] == "succeeded", run.get("error")
s = run["summary"]
users = sum(a["users"] for a in s["accounts"].values())
assert users == int(sys.argv[2]), f"{users} users stored, {sys.argv[2]} seeded"
rules = {}
for f in run["findings"]:
    rules[f["rule"]] = rules.get(f["rule"], 0) + 1
print(s["requests"], users, len(run["findings"]), ",".join(f"{r}:{n}" for r, n in sorted(rules.items())))
PY
)
"$BIN" --config "$RUN/config.toml" verify >/dev/null 2>&1 || { echo "verify failed" >&2; exit 1; }
kill $MOTO_PID 2>/dev/null || true
wait $MOTO_PID 2>/dev/null || true
trap - EXIT

RSS_MB=$(( RSS_KB / 1024 ))
verdict() { if [ "$1" -le "$2" ]; then echo "met"; else echo "MISSED"; fi; }

cat >"$OUT" <<EOF
# AWS IAM collector benchmark

Written by \`bench/aws.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ); re-run it to refresh this file.
Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),
release build. Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine).

moto_server $MOTO_VERSION on loopback, seeded by \`examples/moto_seed.rs\` (in ${SEED_S} s) with
$USERS IAM users, a quarter each with console password + MFA + key, console password without MFA +
key, two keys (one inactive), and nothing, plus a strong password policy. The agent ran
\`collect aws-iam\` once (the default account) into a fresh vault.

| measure | result | target |
|---|---|---|
| API requests (run.json \`summary.requests\`) | $REQUESTS | ≤ $MAX_REQUESTS ($(verdict "$REQUESTS" "$MAX_REQUESTS")) |
| API requests moto served during the run (its request log) | $SERVED | equal to the above |
| wall time | $WALL s | |
| peak RSS | $RSS_MB MB ($RSS_KB kB) | < $MAX_RSS_MB MB ($(verdict "$RSS_MB" $((MAX_RSS_MB - 1)))) |
| users stored (users.json / users.csv) | $STORED | $USERS |
| findings | $FINDINGS (${RULES//,/, }) | |

The vault verified afterwards. The request count does not grow with the number of users (the
credential report carries the per-user facts). Against AWS, the wall time also includes AWS
generating the credential report, which it reuses for four hours.

**Reference** (quoted from issue 4, not measured by this script): Prowler 5.46 running the three
equivalent checks (\`iam_user_mfa_enabled_console_access\`, \`iam_root_mfa_enabled\`,
\`iam_rotate_access_key_90_days\`) against the same kind of moto server made about 3,500
requests, took 37.6 s and peaked at 407 MB on this machine kind.
EOF
cat "$OUT"
[ "$REQUESTS" -le "$MAX_REQUESTS" ] && [ "$RSS_MB" -lt "$MAX_RSS_MB" ] && [ "$SERVED" -eq "$REQUESTS" ]
