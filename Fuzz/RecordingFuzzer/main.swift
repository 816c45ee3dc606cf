// libFuzzer entry point for recording files (Sources/UpnodeMonitor): the line scanner, the
// opening scan (SeekIndex), the event and snap line decoders, and seeking.
//
// Build and run with `Fuzz/run.sh recording` (it compiles this file into the UpnodeMonitor
// module, without MonitorFeed.swift, against a DnodeProtocol module; see Fuzz/run.sh).
//
// One input is the body of a recording: a fixed header (three connections) is put in front of
// it, unless the input starts with its own header line (`{"upmon"`), which is then fuzzed too.
// Beyond "does not crash", it checks:
//  * every line: `LineScanner` calls it valid JSON exactly when `JSONParser` parses it (or
//    fails only on UTF-8, which the scanner leaves to the decoders);
//  * every indexed event line: where `EventLineDecoder` decodes it, the event is the one
//    `RecordingDecoder` gives; every snap line: where `SnapLineDecoder` decodes it, the state
//    is the one `MonitorState(json:connections:)` gives;
//  * the index is sane (entries inside the file, times in order) and seeking anywhere works.
// No `import UpnodeMonitor`: run.sh compiles this file into that module.
import DnodeProtocol

/// Stops the run with a message libFuzzer records as a crash (an invariant broke).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

let fixedHeader = Array(
    (#"{"upmon":"recording","version":1,"started":"2026-03-14T09:26:53.120Z","host":"h","#
        + #""upmon_version":"0.1.0","settings":{"snap_every_s":30,"args_recorded":true,"#
        + #""latency_warn_ms":100,"latency_bad_ms":300,"queue_stuck_after_ms":10000},"#
        + #""connections":[{"id":"c1","name":"api","endpoint":"127.0.0.1:7000"},"#
        + #"{"id":"c2","name":"jobs","endpoint":"unix:/run/jobs.sock"},"#
        + #"{"id":"c3","name":"x","endpoint":"tls://x:1"}]}"# + "\n").utf8)

/// The line scanner against the full parser, on one line (without its `\n`).
func checkScanner(_ line: ArraySlice<UInt8>) {
    let parsed: Result<JSONValue, JSONError> = Result { () throws(JSONError) in
        try JSONParser.parse(line)
    }
    let valid: Bool
    if case .invalid = LineScanner.scan(line) { valid = false } else { valid = true }
    switch parsed {
    case .success:
        check(valid, "the parser accepts a line the scanner rejects: \(text(line))")
    case .failure(let error):
        check(
            !valid || error.problem == .invalidUTF8,
            "the scanner accepts a line the parser rejects (\(error)): \(text(line))")
    }
}

func text(_ bytes: some Collection<UInt8>) -> String {
    String(decoding: bytes.prefix(400), as: UTF8.self)
}

/// The fast decoders against the slow ones, on every indexed line.
func checkDecoders(_ bytes: [UInt8], _ index: SeekIndex, _ header: RecordingHeader) {
    let decoder = RecordingDecoder(header: header)
    let lineDecoder = EventLineDecoder(header: header)
    let snapDecoder = SnapLineDecoder(header: header)
    var previousT = -Double.infinity
    bytes.withUnsafeBufferPointer { buffer in
        for entry in index.entries {
            let range = entry.offset..<(entry.offset + Int(entry.length))
            check(range.lowerBound >= 0 && range.upperBound <= buffer.count, "entry outside file")
            check(entry.t >= previousT, "entry times go backwards")
            previousT = entry.t
            let line = UnsafeBufferPointer(rebasing: buffer[range])
            let slow = try? decoder.decode(line)
            switch entry.kind {
            case .event:
                guard let fast = lineDecoder.decode(buffer, range, t: entry.t) else { continue }
                guard case .event(var event)? = slow else {
                    fatalError("invariant violated: fast decoder decodes a bad line: \(text(line))")
                }
                event.t = entry.t
                check(fast == event, "fast and full decoders differ on \(text(line))")
            case .snap:
                guard let fast = snapDecoder.decode(buffer, range) else { continue }
                guard case .snap(_, let json)? = slow,
                    let state = try? MonitorState(json: json, connections: header.connections)
                else {
                    fatalError("invariant violated: snap decoder decodes a bad line: \(text(line))")
                }
                check(fast == state, "snap decoders differ on \(text(line))")
            }
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let ownHeader = input.starts(with: Array(#"{"upmon""#.utf8))
    let bytes = ownHeader ? input : fixedHeader + input
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).prefix(256) {
        checkScanner(line)
    }
    guard var replayer = try? Replayer(bytes: bytes, file: "fuzz") else {
        check(ownHeader, "the fixed header was refused")
        return 0
    }
    checkDecoders(bytes, replayer.index, replayer.header)
    let lastT = replayer.lastT
    for target in [lastT, 0, lastT / 2, -1, lastT + 1, lastT / 3] {
        replayer.seek(to: target)
        check(replayer.time >= 0 && replayer.time <= Swift.max(0, lastT), "cursor out of range")
    }
    _ = replayer.state(at: lastT / 4)
    while replayer.stepForward() != nil {}
    return 0
}
