#!/usr/bin/env bash
# Fuzz upmon's parsers of untrusted input with libFuzzer.
#
# Usage (from anywhere):
#   Fuzz/run.sh [TARGET] [libFuzzer arguments…]
#   Fuzz/run.sh                             # the dnode target, 120 s (the bounded CI-style run)
#   Fuzz/run.sh recording -max_total_time=300
#   FUZZ_JOBS=2 Fuzz/run.sh theme           # libFuzzer -fork=N (default: one process)
#   Fuzz/run.sh config crash-<sha1>         # reproduce one saved input (a file path)
#   Fuzz/run.sh all -max_total_time=300     # every target in turn
#
# Targets (each a main.swift under Fuzz/<Name>Fuzzer/; the invariants it checks are in its
# top comment):
#   dnode      the dnode line decoder + session (Sources/DnodeProtocol)
#   recording  recording lines and the seek index built from them: LineScanner against
#              JSONParser, the event/snap line decoders against the full decoders, SeekIndex,
#              seeking (Sources/UpnodeMonitor, without MonitorFeed.swift, which needs Upnode)
#   config     the config file parser (Sources/UpmonApp/Config; see ConfigFuzzer/main.swift for
#              how it builds without NIO)
#   theme      the theme file parser and inheritance (Sources/TerminalUI)
#
# How it builds (no SwiftPM, no Package.swift changes): swiftc directly into .build-fuzz/
# (ignored by git through the `.build-*/` pattern), everything instrumented with
# -sanitize=fuzzer,address and optimised with checks kept (-O: overflow and bounds traps fire):
#   1. swift-collections' OrderedCollections and DequeModule (each with
#      InternalCollectionsUtilities, and for DequeModule ContainersPreview, folded in with -DCOLLECTIONS_SINGLE_MODULE, the package's own
#      single-module switch) as modules of those names. Its sources come from the SwiftPM checkout (.build/checkouts/…, or
#      .build-*/checkouts/…); if there is none, `swift package resolve` fetches it.
#   2. Library modules the target needs (DnodeProtocol, TerminalUI, a NIO-free Upnode subset),
#      each a static library in .build-fuzz/modules, with `-package-name upmon` as SwiftPM uses.
#   3. The target's module (its sources + Fuzz/<Name>Fuzzer/*.swift) as one executable with
#      -parse-as-library (libFuzzer supplies main()).
# Corpora: .build-fuzz/corpus-TARGET, seeded from real files (see `seed_*` below) and
# Fuzz/seeds/TARGET/. Crashes land in .build-fuzz/artifacts-TARGET/; each one found must become
# a regression test (Swift Testing) in the matching test target: DnodeProtocolTests
# (FuzzRegressionTests.swift), UpnodeMonitorTests, UpmonIntegrationTests (config) or
# TerminalUITests (theme).
# Requires: swiftc (Swift 6.x on Linux, with the clang runtime's libFuzzer), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="$ROOT/.build-fuzz"
MODULES="$OUT/modules"
mkdir -p "$OUT/collections" "$MODULES"

target=dnode
case "${1:-}" in
    dnode|recording|config|theme|all) target="$1"; shift ;;
esac

if [ "$target" = all ]; then
    for each in dnode recording config theme; do "$0" "$each" "$@"; done
    exit 0
fi

SAN=(-sanitize=fuzzer,address)
OPT=(-O -g)
NOISE="Cannot export local symbol"  # ld.gold noise from the ASan runtime

collections=""
for candidate in "$ROOT/.build/checkouts/swift-collections" "$ROOT"/.build-*/checkouts/swift-collections; do
    if [ -d "$candidate/Sources/OrderedCollections" ]; then collections="$candidate"; break; fi
done
if [ -z "$collections" ]; then
    swift package resolve >/dev/null
    collections="$ROOT/.build/checkouts/swift-collections"
fi

# 1. OrderedCollections and DequeModule, each a module of its own with the shared utilities
#    folded in (rebuilt only when missing; their symbols carry their module's name, so the two
#    copies of the utilities do not clash).
collections_module() {
    local name="$1"; shift  # then the other swift-collections modules it needs
    if [ -f "$OUT/collections/$name.swiftmodule" ] && [ -f "$OUT/collections/lib$name.a" ]; then return; fi
    echo "building $name from $collections"
    local features=() v f sources
    for f in BuiltinModule Lifetimes InoutLifetimeDependence AddressableParameters AddressableTypes; do
        features+=(-enable-experimental-feature "$f")
    done
    features+=(-enable-upcoming-feature MemberImportVisibility)
    # The package's availability macros (Package.swift's `availabilityMacros`; Linux ignores the values).
    for v in 5.0 5.1 5.6 5.7 5.8 5.9 5.10 6.0 6.1 6.2 6.3 6.4 6.5; do
        features+=(-enable-experimental-feature "AvailabilityMacro=SwiftStdlib $v:macOS 9999, iOS 9999, watchOS 9999, tvOS 9999, visionOS 9999")
    done
    mapfile -d '' sources < <(find "$collections/Sources/InternalCollectionsUtilities" "${@/#/$collections/Sources/}" "$collections/Sources/$name" -name '*.swift' -print0 | sort -z)
    (cd "$OUT/collections" && swiftc -module-name "$name" -package-name swift_collections -parse-as-library -swift-version 5 \
        -DCOLLECTIONS_SINGLE_MODULE "${features[@]}" "${OPT[@]}" "${SAN[@]}" \
        -emit-module -emit-module-path "$name.swiftmodule" -emit-library -static \
        -o "lib$name.a" "${sources[@]}" 2>"build-$name.log") \
        || { cat "$OUT/collections/build-$name.log" >&2; rm -f "$OUT/collections/lib$name.a"; exit 1; }
}
collections_module OrderedCollections
collections_module DequeModule ContainersPreview

SEARCH=(-I "$OUT/collections" -L "$OUT/collections" -I "$MODULES" -L "$MODULES")

# 2. A library module: library NAME FILE… (rebuilt every run: sources change).
library() {
    local name="$1"; shift
    echo "building module $name"
    swiftc -module-name "$name" -package-name upmon -parse-as-library -swift-version 6 "${OPT[@]}" "${SAN[@]}" \
        "${SEARCH[@]}" -emit-module -emit-module-path "$MODULES/$name.swiftmodule" \
        -emit-library -static -o "$MODULES/lib$name.a" "$@" 2> >(grep -v "$NOISE" >&2)
}

# 3. The fuzzer: executable NAME MODULE FILE… (linked against the given -l libraries).
executable() {
    local name="$1" module="$2"; shift 2
    echo "building $name"
    swiftc -module-name "$module" -package-name upmon -parse-as-library -swift-version 6 "${OPT[@]}" "${SAN[@]}" \
        "${SEARCH[@]}" "$@" -o "$OUT/$name" 2> >(grep -v "$NOISE" >&2)
}

# The UpnodeMonitor sources that do not need Upnode (and so NIO).
monitor_sources() {
    local file
    # Subfolders too (Tap/): the target is every .swift file below the folder.
    while IFS= read -r -d '' file; do
        grep -q '^import Upnode$' "$file" || printf '%s\0' "$file"
    done < <(find Sources/UpnodeMonitor -name '*.swift' -print0 | sort -z)
}

CORPUS="$OUT/corpus-$target"
ARTIFACTS="$OUT/artifacts-$target"
mkdir -p "$CORPUS" "$ARTIFACTS"

# Seeds: one file per input, named by content.
seed_file() {  # seed_file FILE…
    local file
    for file in "$@"; do
        [ -f "$file" ] && cp "$file" "$CORPUS/seed-$(sha1sum "$file" | cut -c1-40)"
    done
    return 0
}

case "$target" in
dnode)
    executable DnodeLineFuzzer DnodeLineFuzzer -lOrderedCollections \
        Sources/DnodeProtocol/*.swift Fuzz/DnodeLineFuzzer/main.swift
    binary="$OUT/DnodeLineFuzzer"
    # Every "line" of the golden transcripts, one file each.
    python3 - "$CORPUS" Tests/Fixtures/wire/*.jsonl <<'PY'
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
    ;;
recording)
    library DnodeProtocol Sources/DnodeProtocol/*.swift
    mapfile -d '' sources < <(monitor_sources)
    executable RecordingFuzzer UpnodeMonitor -lDnodeProtocol -lOrderedCollections -lDequeModule \
        "${sources[@]}" Fuzz/RecordingFuzzer/main.swift
    binary="$OUT/RecordingFuzzer"
    # The fixture recordings (whole files, header included) and their lines one by one.
    seed_file Tests/Fixtures/recordings/*
    python3 - "$CORPUS" Tests/Fixtures/recordings/* <<'PY'
import hashlib, os, sys
out, files = sys.argv[1], sys.argv[2:]
for path in files:
    with open(path, "rb") as f:
        for line in f.read().split(b"\n")[1:]:
            if line:
                data = line + b"\n"
                with open(os.path.join(out, "seed-" + hashlib.sha1(data).hexdigest()), "wb") as g:
                    g.write(data)
PY
    ;;
config)
    library DnodeProtocol Sources/DnodeProtocol/*.swift
    library TerminalUI Sources/TerminalUI/*.swift
    library Upnode -lDnodeProtocol Sources/Upnode/{Endpoint,ReconnectPolicy,LinkConfiguration,SplitMix64,UpnodeError,UpnodeEvent}.swift \
        Fuzz/ConfigFuzzer/TLSOptions.swift
    executable ConfigFuzzer UpmonApp -lUpnode -lTerminalUI -lDnodeProtocol -lOrderedCollections \
        Sources/UpmonApp/Config/*.swift Fuzz/ConfigFuzzer/main.swift Fuzz/ConfigFuzzer/Stubs.swift
    binary="$OUT/ConfigFuzzer"
    ;;
theme)
    executable ThemeFuzzer TerminalUI Sources/TerminalUI/*.swift Fuzz/ThemeFuzzer/main.swift
    binary="$OUT/ThemeFuzzer"
    seed_file themes/*.theme
    ;;
esac

# Hand-written seeds for what the real files lack.
seed_file Fuzz/seeds/"$target"/*

# Reproduce mode: a single existing file as the only argument.
if [ $# -eq 1 ] && [ -f "$1" ]; then
    exec "$binary" "$1"
fi

args=(-max_total_time=120 -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$ARTIFACTS/")
if [ -n "${FUZZ_JOBS:-}" ]; then args+=(-fork="$FUZZ_JOBS" -ignore_crashes=1); fi
# Later arguments override earlier ones (e.g. -max_total_time=600).
"$binary" "${args[@]}" "$@" "$CORPUS"
