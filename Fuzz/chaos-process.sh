#!/usr/bin/env bash
# Process-level chaos: kill -9 / restart a real `upmon serve` N times while clients keep calling
# `mark` through the queue, then check that no call was run twice and none was lost.
#
# Usage (from the repository root or anywhere):
#   swift build --product upmon                       # the binary this uses (.build/debug/upmon)
#   Fuzz/chaos-process.sh                             # 100 cycles, 2 concurrent callers
#   CYCLES=20 CALLERS=3 UPMON_BIN=.build-chaos/debug/upmon Fuzz/chaos-process.sh
#
# Each call is `upmon call 127.0.0.1:PORT mark TAG --timeout 20s` with a unique TAG (one process
# per call; the call waits in the client's queue while the server is down). Outcomes:
#   ok        exit 0, exactly one line {"n":1,…,"args":["TAG",1]}  (mark count 1: not run twice)
#   linkLost  exit 1 and "failed (link_down)": the call was in flight at the kill (allowed:
#             it may or may not have run; nothing is retried, calls need not be idempotent)
#   anything else (timeout = a lost queued call, a count > 1 = a duplicate, a crash) fails the run.
# Bounded: the killer does CYCLES cycles of 0.1–0.4 s uptime each; every call has a 20 s timeout.
# Exit status 0 when there are no failures and no duplicates. A summary line starts "CHAOS-PROCESS:".
# Per-call outputs stay in a /tmp/upmon-chaos.* directory when the run fails (or with KEEP=1).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN="${UPMON_BIN:-.build/debug/upmon}"
CYCLES="${CYCLES:-100}"
CALLERS="${CALLERS:-2}"
[ -x "$BIN" ] || { echo "no upmon binary at $BIN (swift build --product upmon, or set UPMON_BIN)" >&2; exit 2; }
WORK="$(mktemp -d /tmp/upmon-chaos.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')"
SERVER_PID=""
CALLER_PIDS=()

cleanup() {
    touch "$WORK/stop" 2>/dev/null
    [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null
    for pid in "${CALLER_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
}
trap cleanup EXIT

start_server() {
    "$BIN" serve --port "$PORT" --quiet >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    # Wait (bounded) until it accepts connections.
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then return 0; fi
        sleep 0.025
    done
    echo "server did not come up on $PORT" >&2
    return 1
}

caller() {  # $1 = caller number; one call at a time until the stop file appears
    local id="$1" seq=0
    while [ ! -e "$WORK/stop" ]; do
        local tag="c${id}-${seq}"
        "$BIN" call "127.0.0.1:$PORT" mark "\"$tag\"" --timeout 20s >"$WORK/$tag.out" 2>"$WORK/$tag.err"
        echo $? >"$WORK/$tag.rc"
        seq=$((seq + 1))
    done
}

start_server || exit 1
for c in $(seq 1 "$CALLERS"); do caller "$c" & CALLER_PIDS+=($!); done

cycle=0
while [ "$cycle" -lt "$CYCLES" ]; do
    sleep "0.$((RANDOM % 4 + 1))"
    kill -9 "$SERVER_PID" 2>/dev/null
    { wait "$SERVER_PID"; } 2>/dev/null
    start_server || exit 1
    cycle=$((cycle + 1))
done
# Let the callers finish their current call against the last server, then stop it.
touch "$WORK/stop"
for pid in "${CALLER_PIDS[@]}"; do wait "$pid"; done
CALLER_PIDS=()
kill -9 "$SERVER_PID" 2>/dev/null
{ wait "$SERVER_PID"; } 2>/dev/null
SERVER_PID=""

python3 - "$WORK" "$cycle" <<'PY'
import glob, json, os, sys
work, cycles = sys.argv[1], int(sys.argv[2])
ok = lost_link = dup = fail = 0
problems = []
for rc_path in sorted(glob.glob(os.path.join(work, "*.rc"))):
    tag = os.path.basename(rc_path)[:-3]
    rc = open(rc_path).read().strip()
    out = [l for l in open(os.path.join(work, tag + ".out")).read().splitlines() if l.strip()]
    err = open(os.path.join(work, tag + ".err")).read()
    if rc == "0":
        lines = [json.loads(l) for l in out]
        if len(lines) == 1 and lines[0].get("n") == 1 and lines[0].get("args") == [tag, 1]:
            ok += 1
        elif any(isinstance(l.get("args"), list) and len(l["args"]) == 2 and l["args"][1] != 1 for l in lines):
            dup += 1; problems.append(f"{tag}: duplicate {out}")
        else:
            fail += 1; problems.append(f"{tag}: unexpected output {out}")
    elif "link_down" in err:
        lost_link += 1
    else:
        fail += 1; problems.append(f"{tag}: rc={rc} {err.strip()[:200]}")
total = ok + lost_link + dup + fail
print(f"CHAOS-PROCESS: cycles={cycles} calls={total} ok={ok} linkLost={lost_link} duplicates={dup} failed(lost or other)={fail} workdir={work}")
for p in problems[:20]:
    print("  " + p)
sys.exit(0 if dup == 0 and fail == 0 and total > 0 else 1)
PY
status=$?
# The per-call outputs are kept only when something failed (or KEEP=1).
if [ "$status" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; fi
exit "$status"
