#!/usr/bin/env bash
# Soak: a `upmon --json` client watching LINKS links that ping every 100 ms, against a real
# `upmon serve` that is killed with -9 and restarted every KILL_EVERY seconds, for DURATION
# seconds. Every SAMPLE seconds it records the client's RSS, open fds and CPU time, so a leak in
# callback tables, timers, channels or fds shows up as a trend.
#
# Usage:  swift build --product upmon && Fuzz/soak.sh                 # 30 minutes
#         DURATION=120 Fuzz/soak.sh                                   # a short run
# Output: a table of samples and a summary line starting "SOAK:" (exit 0 when fds did not grow
# and RSS after warm-up grew less than 10 %).
set -uo pipefail
cd "$(dirname "$0")/.."
SRC_BIN="${UPMON_BIN:-.build/debug/upmon}"
DURATION="${DURATION:-1800}"
LINKS="${LINKS:-20}"
KILL_EVERY="${KILL_EVERY:-60}"
SAMPLE="${SAMPLE:-30}"
[ -x "$SRC_BIN" ] || { echo "no upmon binary at $SRC_BIN (swift build --product upmon, or set UPMON_BIN)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/upmon-soak.XXXXXX)"
BIN="$WORK/upmon"
cp "$SRC_BIN" "$BIN"   # a rebuild during the soak must not change the binary under test
SOCK="$WORK/s.sock"
SERVER_PID=""
CLIENT_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
    [ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
}
trap cleanup EXIT

{
    for i in $(seq 1 "$LINKS"); do
        printf '[link%d]\nendpoint = unix:%s\nping = 100ms\ntimeout = 500ms\nreconnect = 200ms\n' "$i" "$SOCK"
    done
} >"$WORK/soak.conf"

start_server() {
    rm -f "$SOCK"
    "$BIN" serve --unix "$SOCK" --quiet >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
}
start_server
"$BIN" --json --config "$WORK/soak.conf" >"$WORK/events.jsonl" 2>"$WORK/client.err" </dev/null &
CLIENT_PID=$!

sample() {
    local status rss fds ticks lines
    status="/proc/$CLIENT_PID/status"
    [ -r "$status" ] || { echo "client died"; return 1; }
    rss=$(awk '/VmRSS/ {print $2}' "$status")
    fds=$(ls "/proc/$CLIENT_PID/fd" | wc -l)
    ticks=$(awk '{print $14 + $15}' "/proc/$CLIENT_PID/stat")
    lines=$(wc -l <"$WORK/events.jsonl")
    echo "$1 $rss $fds $ticks $lines"
}

echo "t_s rss_kb fds cpu_ticks events"
start=$(date +%s)
# Kills fall half a sample period before a sample, so every sample sees the links back up
# (with them down, the fd count would be 20 lower).
next_kill=$((start + KILL_EVERY + SAMPLE / 2))
next_sample=$((start + SAMPLE))
kills=0
: >"$WORK/samples"
while :; do
    now=$(date +%s)
    elapsed=$((now - start))
    [ "$elapsed" -ge "$DURATION" ] && break
    if [ "$now" -ge "$next_kill" ]; then
        kill -9 "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null
        sleep 1
        start_server
        kills=$((kills + 1))
        next_kill=$((next_kill + KILL_EVERY))
    fi
    if [ "$now" -ge "$next_sample" ]; then
        line=$(sample "$elapsed") || break
        echo "$line" | tee -a "$WORK/samples"
        next_sample=$((next_sample + SAMPLE))
    fi
    sleep 1
done
final=$(sample "$((($(date +%s)) - start))") && echo "$final" | tee -a "$WORK/samples"
kill "$CLIENT_PID" 2>/dev/null; wait "$CLIENT_PID" 2>/dev/null
CLIENT_PID=""
pings=$(grep -c '"kind":"ping"' "$WORK/events.jsonl")
downs=$(grep -c '"to":"down"' "$WORK/events.jsonl")
# Warm-up: compare the second sample with the last one.
read -r _ rss0 fds0 _ _ < <(sed -n 2p "$WORK/samples")
read -r t1 rss1 fds1 ticks1 _ < <(tail -n 1 "$WORK/samples")
growth=$(awk -v a="$rss0" -v b="$rss1" 'BEGIN { printf "%.1f", (b - a) * 100 / a }')
cpu=$(awk -v t="$ticks1" -v s="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz * 100 / s }')
echo "SOAK: ${t1} s, $LINKS links at 100 ms pings, $kills server kill -9/restarts, $pings pings answered, $downs down transitions; client RSS ${rss0} → ${rss1} KB (${growth} %), fds ${fds0} → ${fds1}, CPU ${cpu} % of one core; files in $WORK"
ok=$(awk -v g="$growth" -v f0="$fds0" -v f1="$fds1" 'BEGIN { print (g < 10 && f1 <= f0) ? 1 : 0 }')
[ "$ok" = 1 ]
