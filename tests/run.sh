#!/usr/bin/env bash
# The whole test suite, exactly as the README gives it: installs what the tests need on a fresh
# machine (Debian), then runs every test. CI (.ci/run) calls this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tools the tests drive for real: coreutils' sha256sum (auditor's check), systemd-analyze (unit
# sandboxing score), pgrep (no orphaned collector processes), dash (host-baseline under a plain sh),
# openssl (s_server as a real TLS peer and the fingerprint check of the tls-endpoints tests).
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need sha256sum coreutils
need systemd-analyze systemd
need pgrep procps
need dash dash
need ss iproute2
need python3 python3
need openssl openssl
if ((${#missing[@]})); then
  echo "Installing test dependencies: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

# Headless Chromium for the real-browser test of the HTML report (tests/browser.rs drives it over
# the DevTools protocol); the test fails, never skips, without it.
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing chromium (headless browser for the report test)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi

# Third-party fixtures are read from ../shared; a missing folder is a failure, never a skip.
if [ ! -d ../shared/fixtures ]; then
  echo "error: ../shared/fixtures is missing: the tests read third-party fixtures from there" >&2
  exit 1
fi

# moto_server, the real AWS IAM/STS implementation the aws-iam tests and benchmark run against, in
# a venv under target/ (pinned; skipped when that version is already there). The tests fail, never
# skip, without it.
MOTO_VERSION=5.2.5
venv=target/moto-venv
if ! "$venv/bin/python" -c "import importlib.metadata as m; assert m.version('moto') == '$MOTO_VERSION'" 2>/dev/null \
  || [ ! -x "$venv/bin/moto_server" ]; then
  echo "Installing moto[server]==$MOTO_VERSION into $venv"
  if ! python3 -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    python3 -m venv "$venv"
  fi
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi
export MOTO_SERVER="$PWD/$venv/bin/moto_server"

cargo test --locked --all-targets
bash systemd/check.sh
