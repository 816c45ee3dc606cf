#!/usr/bin/env bash
# Scale (issue 16): the four ways to run upmon — the dashboard (tmux, 200×50), headless
# `--json` (stdout to /dev/null), `--metrics` (no UI) and `record` — each with N links at
# 1 Hz to one `upmon serve` on a unix socket, for every N in SIZES. For each run: CPU of the
# upmon process (utime + stime from /proc over SECONDS_MEASURED after WARMUP), as % of one
# core and µs per ping (CPU ÷ pings expected: links × seconds), RSS and RSS per link; the
# serve process's CPU in its own column. Every run gets a fresh serve and a fresh upmon.
#
# The open-files limit is raised to the hard limit (each link is one fd in upmon and one in
# serve); sizes that do not fit under it are skipped and named. Bounded in time: each run
# lasts WARMUP + SECONDS_MEASURED + a few seconds; the whole table about
# |MODES| × |SIZES| × (WARMUP + SECONDS_MEASURED + 3) s (4 × 3 × 30 s ≈ 6 min by default).
#
# Usage:  swift build -c release --product upmon && Benchmarks/scale.sh
#         SIZES="1000 5000" SECONDS_MEASURED=10 MODES="json metrics" Benchmarks/scale.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${UPMON_BIN:-.build/release/upmon}"
SIZES="${SIZES:-1000 5000 10000}"
MODES="${MODES:-dashboard json metrics record}"
WARMUP="${WARMUP:-12}"
SECONDS_MEASURED="${SECONDS_MEASURED:-15}"
PORT="${PORT:-19465}"
[ -x "$BIN" ] || { echo "no upmon binary at $BIN (swift build -c release --product upmon)" >&2; exit 2; }
command -v tmux >/dev/null || MODES="${MODES//dashboard/}"
before_limit=$(ulimit -n)
ulimit -n "$(ulimit -Hn)"
limit=$(ulimit -n)
[ "$before_limit" = "$limit" ] || echo "open files: raised the limit from $before_limit to $limit (the hard limit)"
WORK="$(mktemp -d /tmp/upmon-scale.XXXXXX)"
cp "$BIN" "$WORK/upmon"
TMUX_SOCKET="upmon-scale-$$"
SERVER_PID=""
UPMON_PID=""
stop_run() {
    tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true
    if [ -n "$UPMON_PID" ]; then kill -INT "$UPMON_PID" 2>/dev/null || true; fi
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    # Bounded: whatever has not exited 5 s later is killed.
    for _ in $(seq 1 50); do
        alive=0
        for pid in $UPMON_PID $SERVER_PID; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in $UPMON_PID $SERVER_PID; do kill -9 "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    UPMON_PID=""
    SERVER_PID=""
}
cleanup() { stop_run; rm -rf "$WORK"; }
trap cleanup EXIT
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
ROWS="$WORK/rows"
: >"$ROWS"

run() {  # mode links
    local mode=$1 n=$2 sock="$WORK/s.sock"
    rm -f "$sock" "$WORK/rec.upmon"
    for i in $(seq 1 "$n"); do printf '[l%05d]\nendpoint = unix:%s\nping = 1s\n' "$i" "$sock"; done >"$WORK/links.conf"
    "$WORK/upmon" serve --unix "$sock" --quiet >"$WORK/serve.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 50); do [ -S "$sock" ] && break; sleep 0.1; done
    local started=$SECONDS
    case "$mode" in
    dashboard)
        tmux -f /dev/null -L "$TMUX_SOCKET" new-session -d -x 200 -y 50 \
            "TERM=xterm-256color exec $WORK/upmon --config $WORK/links.conf"
        sleep 0.5
        UPMON_PID=$(tmux -L "$TMUX_SOCKET" display -p '#{pane_pid}')
        ;;
    json) "$WORK/upmon" --json --config "$WORK/links.conf" >/dev/null 2>"$WORK/upmon.err" & UPMON_PID=$! ;;
    metrics)
        local t0
        t0=$(date +%s.%N)
        "$WORK/upmon" --metrics "127.0.0.1:$PORT" --config "$WORK/links.conf" >/dev/null 2>"$WORK/upmon.err" &
        UPMON_PID=$!
        # Time to all up: the exporter's `/` page says "Watching N links, M up."; polled
        # every 50 ms during the warm-up (so it is measured from launch, process start included).
        local up_after="not all up within the warm-up"
        while [ "$(awk -v t0="$t0" -v t="$(date +%s.%N)" 'BEGIN { print (t - t0 < '"$WARMUP"') }')" = 1 ]; do
            if curl -s "http://127.0.0.1:$PORT/" 2>/dev/null | grep -q "Watching $n links, $n up"; then
                up_after=$(awk -v t0="$t0" -v t="$(date +%s.%N)" 'BEGIN { printf "%.2f s", t - t0 }')
                break
            fi
            sleep 0.05
        done
        echo "| bring-up | $n | all links up $up_after after launch (--metrics run) |" >>"$WORK/bringup"
        ;;
    record) "$WORK/upmon" record --config "$WORK/links.conf" "$WORK/rec.upmon" >/dev/null 2>"$WORK/upmon.err" & UPMON_PID=$! ;;
    *) echo "unknown mode $mode" >&2; exit 64 ;;
    esac
    sleep "$(awk -v w="$WARMUP" -v s="$SECONDS" -v s0="$started" 'BEGIN { d = w - (s - s0); print (d > 0 ? d : 0) }')"
    local a sa b sb rss
    a=$(cpu "$UPMON_PID"); sa=$(cpu "$SERVER_PID")
    sleep "$SECONDS_MEASURED"
    b=$(cpu "$UPMON_PID"); sb=$(cpu "$SERVER_PID")
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$UPMON_PID/status")
    stop_run
    awk -v a="$a" -v b="$b" -v sa="$sa" -v sb="$sb" -v hz="$hz" -v s="$SECONDS_MEASURED" \
        -v n="$n" -v m="$mode" -v rss="$rss" -v load="$(cut -d' ' -f1 /proc/loadavg)" \
        'BEGIN { printf "| %s | %d | %.1f %% | %.1f µs | %.1f MB | %.1f KB | %.1f %% | %s |\n", m, n, (b - a) * 100 / hz / s, (b - a) / hz / s / n * 1e6, rss / 1024, rss / n, (sb - sa) * 100 / hz / s, load }' \
        | tee -a "$ROWS"
}

echo "upmon scale: sizes $SIZES, modes $MODES, warm-up $WARMUP s, measured $SECONDS_MEASURED s"
for n in $SIZES; do
    if [ $((n + 200)) -gt "$limit" ]; then
        echo "| (skipped) | $n | open-files limit $limit is too low |" | tee -a "$ROWS"
        continue
    fi
    for mode in $MODES; do run "$mode" "$n"; done
done
echo
echo "| mode | links | upmon CPU (one core) | CPU per ping | upmon RSS | RSS per link | serve CPU | load |"
echo "|---|---|---|---|---|---|---|---|"
cat "$ROWS"
[ -f "$WORK/bringup" ] && { echo; cat "$WORK/bringup"; }
