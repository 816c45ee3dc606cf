#!/usr/bin/env python3
"""Backpressure, server role: a client that writes echo requests and never reads, against a
running `upmon serve`, while a well-behaved client keeps calling echo and reading replies.

Prints the server's RSS (sampled from /proc every 0.25 s) before, at peak, and after the
misbehaving client closed, and what the well-behaved client saw. Standard library only.

Usage: backpressure.py --port 7000 --pid SERVER_PID [--requests 60000] [--size 4096]
       [--seconds 20] [--drain] [--after 5]
"""
import argparse
import json
import select
import socket
import sys
import threading
import time


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_line(sock, buf):
    """Returns (line, rest); blocks until a full line (socket timeout applies)."""
    while b"\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    line, _, rest = buf.partition(b"\n")
    return line, rest


def echo_id(methods_line):
    message = json.loads(methods_line)
    for key, path in message["callbacks"].items():
        if path == ["0", "echo"]:
            return int(key)
    raise SystemExit("the server exports no echo")


def request(method, i, padding):
    # echo(i, padding, cb): the callback id is i + 1 (0 is never used by this client).
    return (
        json.dumps(
            {
                "method": method,
                "arguments": [i, padding, "[Function]"],
                "callbacks": {str(i + 1): ["2"]},
                "links": [],
            },
            separators=(",", ":"),
        )
        + "\n"
    ).encode()


def good_client(port, stop, stats):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(5)
    buf = b""
    try:
        line, buf = read_line(sock, buf)
        method = echo_id(line)
        i = 0
        while not stop.is_set():
            started = time.monotonic()
            sock.sendall(request(method, i, "ok"))
            line, buf = read_line(sock, buf)
            reply = json.loads(line)
            if reply.get("arguments", [None])[0] != i:
                stats["wrong"] += 1
            latency = time.monotonic() - started
            stats["answered"] += 1
            stats["max_latency"] = max(stats["max_latency"], latency)
            i += 1
            time.sleep(0.05)
    except Exception as error:  # a timeout is a failure to answer
        stats["error"] = repr(error)
    finally:
        sock.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--requests", type=int, default=60000)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--after", type=float, default=5, help="seconds to wait after close")
    parser.add_argument("--drain", action="store_true", help="read every reply before closing")
    args = parser.parse_args()

    base = rss_kb(args.pid)
    peak = base
    stats = {"answered": 0, "wrong": 0, "max_latency": 0.0, "error": None}
    stop = threading.Event()
    good = threading.Thread(target=good_client, args=(args.port, stop, stats))
    good.start()

    bad = socket.create_connection(("127.0.0.1", args.port))
    buf = b""
    line, buf = read_line(bad, buf)
    method = echo_id(line)
    padding = "x" * (args.size - 80)
    bad.setblocking(False)
    sent_requests = 0
    pending = b""
    deadline = time.monotonic() + args.seconds
    next_sample = 0.0
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_sample:
            peak = max(peak, rss_kb(args.pid))
            next_sample = now + 0.25
        if not pending and sent_requests < args.requests:
            pending = b"".join(
                request(method, sent_requests + k, padding)
                for k in range(min(64, args.requests - sent_requests))
            )
            batch = min(64, args.requests - sent_requests)
        if not pending:
            time.sleep(0.05)
            continue
        _, writable, _ = select.select([], [bad], [], 0.1)
        if writable:
            try:
                n = bad.send(pending)
            except BlockingIOError:
                continue
            pending = pending[n:]
            if not pending:
                sent_requests += batch
    written_mb = (sent_requests * args.size) / 1e6
    print(
        f"misbehaving client: {sent_requests:,} of {args.requests:,} requests of {args.size} B "
        f"written in {args.seconds:.0f} s (~{written_mb:.0f} MB), none read"
    )
    print(f"server RSS: {base / 1024:.1f} MB before, peak {peak / 1024:.1f} MB while it wrote")

    if args.drain:
        bad.setblocking(True)
        bad.settimeout(30)
        expected = 0
        in_order = True
        try:
            while expected < sent_requests:
                line, buf = read_line(bad, buf)
                reply = json.loads(line)
                if reply.get("method") == "methods":
                    continue
                if reply["arguments"][0] != expected:
                    in_order = False
                expected += 1
        except Exception as error:
            print(f"draining stopped: {error!r}")
        peak = max(peak, rss_kb(args.pid))
        print(
            f"misbehaving client then read {expected:,} replies"
            f" ({'in order' if in_order else 'OUT OF ORDER'})"
        )
    bad.close()
    closed_at = time.monotonic()
    while time.monotonic() < closed_at + args.after:
        time.sleep(0.25)
    after = rss_kb(args.pid)
    stop.set()
    good.join()
    print(f"server RSS {args.after:.0f} s after the misbehaving client closed: {after / 1024:.1f} MB")
    print(
        f"well-behaved client meanwhile: {stats['answered']:,} echoes answered, "
        f"{stats['wrong']} wrong, slowest {stats['max_latency'] * 1000:.1f} ms, "
        f"error: {stats['error']}"
    )
    ok = stats["error"] is None and stats["wrong"] == 0 and stats["answered"] > 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
