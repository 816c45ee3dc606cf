#!/usr/bin/env bash
# Backpressure, server role: one `upmon serve` (release build); a client writes REQUESTS
# (default 60,000) echo requests of SIZE (4 KB) for SECONDS (20) without reading a reply,
# while a well-behaved client keeps calling echo every 50 ms. Prints the server's RSS before,
# at peak and AFTER seconds after the misbehaving client closed, and whether the other client
# was answered throughout (exit 1 if not). DRAIN=1 has the misbehaving client read all its
# replies (checking their order) before it closes.
#
# Usage:  swift build -c release --product upmon && Benchmarks/backpressure.sh
#         DRAIN=1 UPMON_BIN=/path/to/upmon Benchmarks/backpressure.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${UPMON_BIN:-.build/release/upmon}"
PORT="${PORT:-19471}"
[ -x "$BIN" ] || { echo "no upmon binary at $BIN (swift build -c release --product upmon)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/upmon-backpressure.XXXXXX)"
"$BIN" serve --port "$PORT" --quiet >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
cleanup() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 50); do grep -q listening "$WORK/serve.log" 2>/dev/null && break; sleep 0.1; done
args=(--port "$PORT" --pid "$SERVER_PID" --requests "${REQUESTS:-60000}" --size "${SIZE:-4096}"
    --seconds "${SECONDS_WRITING:-20}" --after "${AFTER:-5}")
[ "${DRAIN:-0}" = 1 ] && args+=(--drain)
python3 Benchmarks/backpressure.py "${args[@]}"
