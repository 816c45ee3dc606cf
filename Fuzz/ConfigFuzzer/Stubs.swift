// Fuzz build only (see ConfigFuzzer/main.swift): the one UpmonApp type the config files use
// from outside Sources/UpmonApp/Config, as declared in Sources/UpmonApp/AppModel.swift (which
// itself needs all of UpmonApp). Keep in step with that declaration.

/// Latency/queue thresholds (AppModel.swift).
public struct Thresholds: Sendable, Equatable {
    public var latencyWarnMs = 100.0
    public var latencyBadMs = 300.0
    public var queueStuckAfterMs = 10_000.0
    public init() {}
}
