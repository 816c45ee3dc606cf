#!/usr/bin/env bash
# Fuzz the dnode line decoder + session (Sources/DnodeProtocol) with libFuzzer.
#
# Usage (from anywhere):
#   Fuzz/run.sh                          # build, seed, run for 120 s (the bounded CI-style run)
#   Fuzz/run.sh -max_total_time=3600     # a long run; any extra arguments go to libFuzzer
#   FUZZ_JOBS=2 Fuzz/run.sh              # libFuzzer -fork=N (default: one process)
#   Fuzz/run.sh crash-<sha1>             # reproduce one saved input (a file path as the argument)
#
# How it builds (no SwiftPM, no Package.swift changes): swiftc directly, in two steps, into
# .build-fuzz/ (ignored by git through the `.build-*/` pattern):
#   1. swift-collections' OrderedCollections (plus InternalCollectionsUtilities, folded in with
#      -DCOLLECTIONS_SINGLE_MODULE, the package's own single-module switch) as a module named
#      OrderedCollections, instrumented like the rest. Its sources come from the SwiftPM checkout
#      (.build/checkouts/swift-collections, or .build-*/checkouts/...); if there is none,
#      `swift package resolve` fetches it.
#   2. Sources/DnodeProtocol/*.swift + Fuzz/DnodeLineFuzzer/main.swift as one executable with
#      -sanitize=fuzzer,address -parse-as-library (libFuzzer supplies main()).
# The corpus (.build-fuzz/corpus) is seeded from the "line" field of every record in
# Tests/Fixtures/wire/*.jsonl (one file per line) plus the hand-written Fuzz/seeds/*.
# Crashes land in .build-fuzz/artifacts/; each one found must become a test in
# Tests/DnodeProtocolTests/FuzzRegressionTests.swift (the `crashes` list there).
# Requires: swiftc (Swift 6.x on Linux, with the clang runtime's libFuzzer), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="$ROOT/.build-fuzz"
mkdir -p "$OUT/collections" "$OUT/corpus" "$OUT/artifacts"

collections=""
for candidate in "$ROOT/.build/checkouts/swift-collections" "$ROOT"/.build-*/checkouts/swift-collections; do
    if [ -d "$candidate/Sources/OrderedCollections" ]; then collections="$candidate"; break; fi
done
if [ -z "$collections" ]; then
    swift package resolve >/dev/null
    collections="$ROOT/.build/checkouts/swift-collections"
fi

SAN=(-sanitize=fuzzer,address)
OPT=(-O -g)   # optimised (fast) but with checks kept: traps on overflow/bounds still fire

# 1. OrderedCollections as its own module (rebuilt only when missing).
if [ ! -f "$OUT/collections/OrderedCollections.swiftmodule" ] || [ ! -f "$OUT/collections/libOrderedCollections.a" ]; then
    echo "building OrderedCollections from $collections"
    features=()
    for f in BuiltinModule Lifetimes InoutLifetimeDependence AddressableParameters AddressableTypes; do
        features+=(-enable-experimental-feature "$f")
    done
    features+=(-enable-upcoming-feature MemberImportVisibility)
    # The package's availability macros (Package.swift's `availabilityMacros`; Linux ignores the values).
    for v in 5.0 5.1 5.6 5.7 5.8 5.9 5.10 6.0 6.1 6.2 6.3 6.4 6.5; do
        features+=(-enable-experimental-feature "AvailabilityMacro=SwiftStdlib $v:macOS 9999, iOS 9999, watchOS 9999, tvOS 9999, visionOS 9999")
    done
    mapfile -d '' sources < <(find "$collections/Sources/InternalCollectionsUtilities" "$collections/Sources/OrderedCollections" -name '*.swift' -print0 | sort -z)
    (cd "$OUT/collections" && swiftc -module-name OrderedCollections -package-name swift_collections -parse-as-library -swift-version 5 \
        -DCOLLECTIONS_SINGLE_MODULE "${features[@]}" "${OPT[@]}" -sanitize=fuzzer,address \
        -emit-module -emit-module-path OrderedCollections.swiftmodule -emit-library -static \
        -o libOrderedCollections.a "${sources[@]}" 2>build.log) \
        || { cat "$OUT/collections/build.log" >&2; rm -f "$OUT/collections/libOrderedCollections.a"; exit 1; }
fi

# 2. The fuzzer executable.
echo "building DnodeLineFuzzer"
swiftc -module-name DnodeLineFuzzer -parse-as-library -swift-version 6 "${OPT[@]}" "${SAN[@]}" \
    -I "$OUT/collections" -L "$OUT/collections" -lOrderedCollections \
    Sources/DnodeProtocol/*.swift Fuzz/DnodeLineFuzzer/main.swift -o "$OUT/DnodeLineFuzzer" \
    2> >(grep -v "Cannot export local symbol" >&2)  # ld.gold noise from the ASan runtime

# Seed corpus: every "line" of the golden transcripts, one file each.
python3 - "$OUT/corpus" Tests/Fixtures/wire/*.jsonl <<'PY'
import hashlib, json, os, sys
out, files = sys.argv[1], sys.argv[2:]
n = 0
for path in files:
    with open(path, encoding="utf-8") as f:
        for raw in f:
            raw = raw.strip()
            if not raw:
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            line = record.get("line") if isinstance(record, dict) else None
            if not isinstance(line, str):
                continue
            data = line.encode("utf-8", "surrogatepass") + b"\n"
            name = hashlib.sha1(data).hexdigest()
            with open(os.path.join(out, "seed-" + name), "wb") as g:
                g.write(data)
            n += 1
print(f"seeded {n} transcript lines into {out}")
PY

# Hand-written seeds for what the transcripts lack (non-ancestor link copies, several lines).
cp Fuzz/seeds/* "$OUT/corpus/" 2>/dev/null || true

# Reproduce mode: a single existing file as the only argument.
if [ $# -eq 1 ] && [ -f "$1" ]; then
    exec "$OUT/DnodeLineFuzzer" "$1"
fi

args=(-max_total_time=120 -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$OUT/artifacts/")
if [ -n "${FUZZ_JOBS:-}" ]; then args+=(-fork="$FUZZ_JOBS" -ignore_crashes=1); fi
# Later arguments override earlier ones (e.g. -max_total_time=600).
exec "$OUT/DnodeLineFuzzer" "${args[@]}" "$@" "$OUT/corpus"
