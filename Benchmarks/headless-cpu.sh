#!/usr/bin/env bash
# Headless CPU with many links: LINKS links (default 2,500) to one `upmon serve` over a unix
# socket, each pinging every second, one headless upmon (`MODE` = metrics or json) watching
# them; CPU time of the upmon and serve processes (utime + stime from /proc) over
# SECONDS_MEASURED after a warm-up. The open-files limit is raised to the hard limit first.
#
# Usage:  swift build -c release --product upmon && Benchmarks/headless-cpu.sh [metrics|json]
#         LINKS=1000 UPMON_BIN=/path/to/upmon Benchmarks/headless-cpu.sh json
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${UPMON_BIN:-.build/release/upmon}"
MODE="${1:-metrics}"
LINKS="${LINKS:-2500}"
WARMUP="${WARMUP:-12}"
SECONDS_MEASURED="${SECONDS_MEASURED:-15}"
PORT="${PORT:-19464}"
[ -x "$BIN" ] || { echo "no upmon binary at $BIN (swift build -c release --product upmon)" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
WORK="$(mktemp -d /tmp/upmon-headless.XXXXXX)"
SOCK="$WORK/s.sock"
for i in $(seq 1 "$LINKS"); do printf '[l%05d]\nendpoint = unix:%s\nping = 1s\n' "$i" "$SOCK"; done >"$WORK/links.conf"
"$BIN" serve --unix "$SOCK" --quiet >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
cleanup() {
    kill "${UPMON_PID:-}" "$SERVER_PID" 2>/dev/null || true
    wait 2>/dev/null || true  # the port and the socket are free when the next run starts
    rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
case "$MODE" in
metrics) "$BIN" --metrics "127.0.0.1:$PORT" --config "$WORK/links.conf" >/dev/null 2>"$WORK/upmon.err" & ;;
json) "$BIN" --json --config "$WORK/links.conf" >/dev/null 2>"$WORK/upmon.err" & ;;
*) echo "mode is metrics or json" >&2; exit 64 ;;
esac
UPMON_PID=$!
sleep "$WARMUP"
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
a=$(cpu "$UPMON_PID"); sa=$(cpu "$SERVER_PID")
sleep "$SECONDS_MEASURED"
b=$(cpu "$UPMON_PID"); sb=$(cpu "$SERVER_PID")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$UPMON_PID/status")
awk -v a="$a" -v b="$b" -v sa="$sa" -v sb="$sb" -v hz="$(getconf CLK_TCK)" -v s="$SECONDS_MEASURED" \
    -v n="$LINKS" -v m="$MODE" -v rss="$rss" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { printf "HEADLESS-CPU: --%s, %d links at 1 Hz: upmon %.1f %% of one core (%.1f µs per ping), serve %.1f %%, upmon RSS %.1f MB (load average %s)\n", m, n, (b - a) * 100 / hz / s, (b - a) / hz / s / n * 1e6, (sb - sa) * 100 / hz / s, rss / 1024, load }'
