#!/usr/bin/env bash
# Dashboard CPU with many links: LINKS links (default 1,000) to one `upmon serve` over a unix
# socket, each pinging every second, the real `upmon` dashboard in a 200×50 tmux pane; CPU time
# of the dashboard process (utime + stime from /proc) over SECONDS_MEASURED after a warm-up.
#
# Usage:  swift build -c release --product upmon && Benchmarks/dashboard-cpu.sh
#         LINKS=50 UPMON_BIN=.build/debug/upmon Benchmarks/dashboard-cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${UPMON_BIN:-.build/release/upmon}"
LINKS="${LINKS:-1000}"
WARMUP="${WARMUP:-15}"
SECONDS_MEASURED="${SECONDS_MEASURED:-30}"
[ -x "$BIN" ] || { echo "no upmon binary at $BIN (swift build -c release --product upmon)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/upmon-dashcpu.XXXXXX)"
cp "$BIN" "$WORK/upmon"
SOCK="$WORK/s.sock"
TMUX_SOCKET="upmon-dashcpu-$$"
for i in $(seq 1 "$LINKS"); do printf '[l%05d]\nendpoint = unix:%s\nping = 1s\n' "$i" "$SOCK"; done >"$WORK/links.conf"
"$WORK/upmon" serve --unix "$SOCK" --quiet >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
cleanup() { tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true; kill "$SERVER_PID" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
tmux -f /dev/null -L "$TMUX_SOCKET" new-session -d -x 200 -y 50 \
    "TERM=xterm-256color exec $WORK/upmon --config $WORK/links.conf"
sleep "$WARMUP"
PANE_PID=$(tmux -L "$TMUX_SOCKET" display -p '#{pane_pid}')
tmux -L "$TMUX_SOCKET" capture-pane -p | head -1
hz=$(getconf CLK_TCK)
a=$(awk '{print $14 + $15}' "/proc/$PANE_PID/stat")
sleep "$SECONDS_MEASURED"
b=$(awk '{print $14 + $15}' "/proc/$PANE_PID/stat")
rss=$(awk '/VmRSS/ {print $2}' "/proc/$PANE_PID/status")
awk -v a="$a" -v b="$b" -v hz="$hz" -v s="$SECONDS_MEASURED" -v n="$LINKS" -v rss="$rss" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
    'BEGIN { printf "DASHBOARD-CPU: %d links at 1 Hz: %.2f %% of one core over %d s, RSS %.1f MB (load average %s)\n", n, (b - a) * 100 / hz / s, s, rss / 1024, load }'
