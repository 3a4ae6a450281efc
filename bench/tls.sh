#!/usr/bin/env bash
# TLS endpoint collector benchmark (not part of `cargo test`): ENDPOINTS `openssl s_server -www`
# processes (the system's OpenSSL) on loopback, each serving a leaf signed by a CA made here
# (trusted through `ca_file`); one in five also accepts TLS 1.0 so the legacy probes are real.
# `collect tls-endpoints` runs once under /usr/bin/time. Reports wall time, peak RSS and TLS
# handshakes per endpoint (run.json `summary.handshakes`) against the design's four per endpoint.
# Writes bench/RESULTS-tls.md. Knobs (environment): ENDPOINTS (50), WORK (target/bench),
# PROFILE (release; `debug` measures the binary `cargo build` made, without a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

ENDPOINTS=${ENDPOINTS:-50} WORK=${WORK:-target/bench} PROFILE=${PROFILE:-release}
OUT=bench/RESULTS-tls.md
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
command -v openssl >/dev/null || { echo "the openssl command is needed (Debian package openssl)" >&2; exit 1; }

bench_build

RUN=$WORK/tls-run
bench_config "$RUN"
mkdir -p "$RUN/pki"
PKI=$RUN/pki
echo "== certificates" >&2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=bench CA" -keyout "$PKI/ca.key" -out "$PKI/ca.pem" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=bench.test" \
    -keyout "$PKI/leaf.key" -out "$PKI/leaf.csr" 2>/dev/null
openssl x509 -req -in "$PKI/leaf.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 90 -extfile <(printf 'subjectAltName=DNS:bench.test,IP:127.0.0.1\n') -out "$PKI/leaf.pem" 2>/dev/null

free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

echo "== starting $ENDPOINTS s_server" >&2
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
read -r -a PORTS <<<"$(free_ports "$ENDPOINTS")"
LEGACY=0
for i in "${!PORTS[@]}"; do
    # At security level 0 s_server takes TLS 1.0 and 1.1 unless told otherwise.
    extra=(-min_protocol TLSv1.2)
    if (( i % 5 == 0 )); then extra=(-min_protocol TLSv1); LEGACY=$((LEGACY + 1)); fi
    openssl s_server -www -quiet -accept "${PORTS[$i]}" -cert "$PKI/leaf.pem" -key "$PKI/leaf.key" \
        -cipher 'DEFAULT:@SECLEVEL=0' "${extra[@]}" </dev/null >/dev/null 2>&1 &
    PIDS+=($!)
done
for port in "${PORTS[@]}"; do
    for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
done

{
    printf '[tls]\nca_file = "pki/ca.pem"\n\n'
    for port in "${PORTS[@]}"; do
        printf '[[tls.endpoints]]\nhost = "127.0.0.1"\nport = %s\nsni = "bench.test"\n\n' "$port"
    done
} >>"$RUN/config.toml"

echo "== collect tls-endpoints" >&2
T=$(mktemp)
if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%e %M' -o "$T" "$BIN" --config "$RUN/config.toml" collect tls-endpoints \
        >/dev/null 2>"$RUN/collect.err" || { cat "$RUN/collect.err" >&2; exit 1; }
    read -r WALL RSS_KB <"$T"
else
    START=$(date +%s.%N)
    "$BIN" --config "$RUN/config.toml" collect tls-endpoints >/dev/null 2>"$RUN/collect.err" &
    P=$!
    RSS_KB=0
    while kill -0 "$P" 2>/dev/null; do
        r=$(awk '/VmHWM/ {print $2}' /proc/$P/status 2>/dev/null || echo 0)
        [ "${r:-0}" -gt "$RSS_KB" ] && RSS_KB=$r
        sleep 0.01
    done
    wait "$P" || { cat "$RUN/collect.err" >&2; exit 1; }
    WALL=$(echo "$(date +%s.%N) - $START" | bc)
fi
rm -f "$T"
REC=$(ls "$RUN"/vault/bench/*/tls-endpoints/*/run.json | head -n1)
read -r PROBED HANDSHAKES PER FINDINGS RULES < <(python3 - "$REC" "$ENDPOINTS" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
assert run["status"] == "succeeded", run.get("error")
s = run["summary"]
assert s["probed"] == int(sys.argv[2]) and s["unreachable"] == 0, s
rules = {}
for f in run["findings"]:
    rules[f["rule"]] = rules.get(f["rule"], 0) + 1
print(s["probed"], s["handshakes"], s["handshakes_per_endpoint"], len(run["findings"]),
      ",".join(f"{r}:{n}" for r, n in sorted(rules.items())) or "none")
PY
)
"$BIN" --config "$RUN/config.toml" verify >/dev/null 2>&1 || { echo "verify failed" >&2; exit 1; }
cleanup
trap - EXIT

RSS_MB=$(( RSS_KB / 1024 ))
NOTE=""
[ "$PROFILE" = release ] || NOTE=" Measured on the **$PROFILE** build (\`PROFILE=$PROFILE\`); release figures: \`bash bench/tls.sh\`."
cat >"$OUT" <<EOF
# TLS endpoint collector benchmark

Written by \`bench/tls.sh\` on $(date -u +%Y-%m-%dT%H:%M:%SZ); re-run it to refresh this file.
Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'),
$PROFILE build. Load average after the run: $(cut -d' ' -f1-3 /proc/loadavg) (a shared machine).

$ENDPOINTS \`openssl s_server -www\` processes ($(openssl version | cut -d' ' -f1-2)) on loopback, each
serving an EC P-256 leaf for \`bench.test\` signed by a CA made for the run (trusted through
\`ca_file\`); $LEGACY of them also accept TLS 1.0 and 1.1. The agent ran \`collect tls-endpoints\`
once (default \`max_concurrent = 8\`, \`timeout_secs = 10\`) into a fresh vault.

| measure | result | target |
|---|---|---|
| endpoints probed | $PROBED | $ENDPOINTS |
| TLS handshakes (run.json \`summary.handshakes\`) | $HANDSHAKES | 4 per endpoint |
| handshakes per endpoint | $PER | 4 (one per version; chain and HSTS over the best one) |
| wall time | $WALL s | |
| peak RSS | $RSS_MB MB ($RSS_KB kB) | |
| findings | $FINDINGS (${RULES//,/, }) | 2 per legacy endpoint (TLS 1.0, TLS 1.1) |

The vault verified afterwards.$NOTE \`s_server\` serves one connection at a time, so the four
handshakes of an endpoint are sequential by design; endpoints run eight at a time.
EOF
cat "$OUT"
