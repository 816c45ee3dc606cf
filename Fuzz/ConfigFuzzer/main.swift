// libFuzzer entry point for config files (Sources/UpmonApp/Config/UpmonConfig.swift).
//
// Build and run with `Fuzz/run.sh config`. UpmonApp needs NIO, so run.sh compiles only the
// config files (Sources/UpmonApp/Config/*.swift) into a module named UpmonApp, with this file
// and Fuzz/ConfigFuzzer/Stubs.swift (the one type they take from elsewhere in UpmonApp), against
// a module named Upnode made of the NIO-free files the config uses (Endpoint, ReconnectPolicy,
// LinkStateMachine) plus Fuzz/ConfigFuzzer/TLSOptions.swift (TLSOptions' stored settings, without
// its NIOSSL context code).
//
// One input is the text of a config file (bytes decoded as UTF-8, invalid sequences replaced,
// as a file read would). Beyond "does not crash", it checks that parsing is deterministic and
// that every error names the file, has a line number inside the file (or none) and a message.
// No `import UpmonApp`: run.sh compiles this file into that module.

/// Stops the run with a message libFuzzer records as a crash (an invariant broke).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let text = String(decoding: bytes, as: UTF8.self)
    let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
    let first = Result { () throws(ConfigError) in try UpmonConfig.parse(text, file: "f.conf") }
    switch first {
    case .success(let config):
        let again = try? UpmonConfig.parse(text, file: "f.conf")
        check(again?.connections.map(\.name) == config.connections.map(\.name), "not deterministic")
        check(again?.thresholds == config.thresholds, "not deterministic")
        for spec in config.connections {
            _ = spec.endpoint.description
            _ = spec.link.reconnect.description
        }
    case .failure(let error):
        let text = error.description
        check(text.hasPrefix("f.conf"), "error does not name the file: \(text)")
        check(!error.message.isEmpty, "empty error message")
        check(error.line >= 0 && error.line <= lineCount, "error line \(error.line) outside file")
    }
    return 0
}
