import UpnodeMonitor

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wall-clock facts the pure code takes as parameters (read only here, at the edge).
public enum SystemFacts {
    /// Milliseconds since the Unix epoch.
    public static func epochMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    public static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(
            decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static let upmonVersion = "0.1.0"

    /// The recording/JSONL header for a live session started at `epochMilliseconds`.
    public static func header(
        connections: [ConnectionInfo], thresholds: Thresholds, argsRecorded: Bool,
        snapEvery: Double = 30,
        epochMilliseconds: Int64
    ) -> RecordingHeader {
        RecordingHeader(
            started: RecordingHeader.timestamp(epochMilliseconds: epochMilliseconds),
            host: hostname(),
            upmonVersion: upmonVersion,
            settings: RecordingSettings(
                snapEverySeconds: snapEvery, argsRecorded: argsRecorded,
                latencyWarnMs: thresholds.latencyWarnMs,
                latencyBadMs: thresholds.latencyBadMs,
                queueStuckAfterMs: thresholds.queueStuckAfterMs),
            connections: connections)
    }
}

/// Writes bytes to standard output unbuffered (each JSON line leaves at once, also in pipes).
public enum StandardOutput {
    public static func write(_ bytes: [UInt8]) { Platform.writeAll(STDOUT_FILENO, bytes) }

    public static func write(_ text: String) { write(Array(text.utf8)) }
}
