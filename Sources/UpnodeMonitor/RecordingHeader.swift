import DnodeProtocol

/// Settings a recording carries so that replay colours match the original session.
public struct RecordingSettings: Hashable, Sendable {
    /// Seconds between `snap` keyframes.
    public var snapEverySeconds: Double
    /// Whether call arguments and results were written as values rather than shapes.
    public var argsRecorded: Bool
    public var latencyWarnMs: Double
    public var latencyBadMs: Double
    public var queueStuckAfterMs: Double

    public init(
        snapEverySeconds: Double = 30, argsRecorded: Bool = false, latencyWarnMs: Double = 100,
        latencyBadMs: Double = 300, queueStuckAfterMs: Double = 10_000
    ) {
        self.snapEverySeconds = snapEverySeconds
        self.argsRecorded = argsRecorded
        self.latencyWarnMs = latencyWarnMs
        self.latencyBadMs = latencyBadMs
        self.queueStuckAfterMs = queueStuckAfterMs
    }
}

/// Line 1 of a recording (docs/RECORDING.md, "Header").
public struct RecordingHeader: Hashable, Sendable {
    /// The format version this upmon writes. Version 2 stores snapshot log entries as fields
    /// rather than text (docs/RECORDING.md, "Keyframes").
    public static let formatVersion = 2
    /// The versions this upmon reads: 1 (log entries as text) up to `formatVersion`.
    public static let readableVersions = 1...formatVersion

    public var version: Int
    /// ISO-8601 UTC with milliseconds, e.g. `2026-03-14T09:26:53.120Z`.
    public var started: String
    public var host: String
    public var upmonVersion: String
    public var settings: RecordingSettings
    /// The links at the start; events refer to them by `id`.
    public var connections: [ConnectionInfo]
    /// Links that join later (`link_added` lines), found when a replay opens the file; never
    /// written in the header line.
    public var joined: [ConnectionInfo] = []

    public init(
        version: Int = RecordingHeader.formatVersion, started: String, host: String,
        upmonVersion: String,
        settings: RecordingSettings = RecordingSettings(), connections: [ConnectionInfo]
    ) {
        self.version = version
        self.started = started
        self.host = host
        self.upmonVersion = upmonVersion
        self.settings = settings
        self.connections = connections
    }

    /// The state a replay starts from when a file has no `snap`: every link `idle`.
    public var initialState: MonitorState { MonitorState(connections: connections) }

    /// Formats a wall-clock time (milliseconds since 1970, UTC) the way `started` is written.
    public static func timestamp(epochMilliseconds: Int64) -> String {
        let date = UTCDateTime(epochMilliseconds: epochMilliseconds)
        func pad(_ value: Int, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return
            "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))T\(pad(date.hour, 2)):"
            + "\(pad(date.minute, 2)):\(pad(date.second, 2)).\(pad(date.millisecond, 3))Z"
    }
}

extension RecordingHeader {
    /// The header as a JSON object, fields in the documented order.
    public func toJSON() -> JSONValue {
        let links = connections.map { info -> JSONValue in
            .makeObject([
                ("id", .string(info.id.rawValue)), ("name", .string(info.name)),
                ("endpoint", .string(info.endpoint)),
                (
                    "options",
                    .makeObject([
                        ("ping_ms", .int(Int64(info.options.pingMilliseconds))),
                        ("timeout_ms", .int(Int64(info.options.timeoutMilliseconds))),
                        ("reconnect", .string(info.options.reconnect)),
                    ])
                ),
            ])
        }
        return .makeObject([
            ("upmon", "recording"), ("version", .int(Int64(version))),
            ("started", .string(started)),
            ("host", .string(host)), ("upmon_version", .string(upmonVersion)),
            (
                "settings",
                .makeObject([
                    ("snap_every_s", .milliseconds(settings.snapEverySeconds)),
                    ("args_recorded", .bool(settings.argsRecorded)),
                    ("latency_warn_ms", .milliseconds(settings.latencyWarnMs)),
                    ("latency_bad_ms", .milliseconds(settings.latencyBadMs)),
                    ("queue_stuck_after_ms", .milliseconds(settings.queueStuckAfterMs)),
                ])
            ),
            ("connections", .array(links)),
        ])
    }

    /// Reads a header line, checking the magic value and the version first.
    ///
    /// `terminated` says whether a `\n` followed the line in the file. When it did not, the line
    /// is the whole file, and two cases get their own message instead of "not an upmon
    /// recording": an empty file (`.emptyFile`), and the start of a recording header cut off
    /// mid-line (`.truncatedHeader`): JSON that ends too soon (a value, string or number running
    /// into the end) and starts like the header upmon writes (a prefix of `{"upmon":"recording"`,
    /// or a line with an `"upmon"` key in it). Any other line that is not a header, ended or
    /// not, is `.notARecording`.
    public init(line: some Collection<UInt8>, file: String, terminated: Bool = true)
        throws(RecordingError)
    {
        if !terminated, line.isEmpty {
            throw RecordingError(file: file, problem: .emptyFile)
        }
        if line.starts(with: [0x1F, 0x8B]) {
            throw RecordingError(file: file, line: 1, problem: .compressed)
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: line)
        } catch {
            if !terminated, Self.isCutShort(line, error), Self.startsLikeHeader(line) {
                throw RecordingError(
                    file: file, line: 1, problem: .truncatedHeader(bytes: line.count))
            }
            throw RecordingError(file: file, line: 1, problem: .notARecording)
        }
        guard json.string("upmon") == "recording" else {
            throw RecordingError(file: file, line: 1, problem: .notARecording)
        }
        guard let version = json.integer("version") else {
            throw RecordingError(
                file: file, line: 1, problem: .badHeader("'version' is missing or not an integer"))
        }
        guard Self.readableVersions.contains(version) else {
            throw RecordingError(file: file, line: 1, problem: .unsupportedVersion(version))
        }
        let defaults = RecordingSettings()
        let settings = json["settings"] ?? .null
        var links: [ConnectionInfo] = []
        for (position, link) in (json["connections"]?.arrayValue ?? []).enumerated() {
            guard let id = link.string("id"), !id.isEmpty else {
                throw RecordingError(
                    file: file, line: 1, problem: .badHeader("connections[\(position)] has no 'id'")
                )
            }
            let options = link["options"] ?? .null
            links.append(
                ConnectionInfo(
                    id: ConnectionID(id), name: link.string("name") ?? id,
                    endpoint: link.string("endpoint") ?? "",
                    options: ConnectionOptions(
                        pingMilliseconds: options.integer("ping_ms") ?? 0,
                        timeoutMilliseconds: options.integer("timeout_ms") ?? 0,
                        reconnect: options.string("reconnect") ?? "")))
        }
        self.init(
            version: version, started: json.string("started") ?? "",
            host: json.string("host") ?? "",
            upmonVersion: json.string("upmon_version") ?? "",
            settings: RecordingSettings(
                snapEverySeconds: settings.number("snap_every_s") ?? defaults.snapEverySeconds,
                argsRecorded: settings.boolean("args_recorded") ?? defaults.argsRecorded,
                latencyWarnMs: settings.number("latency_warn_ms") ?? defaults.latencyWarnMs,
                latencyBadMs: settings.number("latency_bad_ms") ?? defaults.latencyBadMs,
                queueStuckAfterMs: settings.number("queue_stuck_after_ms")
                    ?? defaults.queueStuckAfterMs),
            connections: links)
    }

    /// Whether `error` says the JSON text `line` stopped before it was complete: input ended
    /// inside a value, or a number ran into the end unfinished (`1.`, `-`, `2e`).
    private static func isCutShort(_ line: some Collection<UInt8>, _ error: JSONError) -> Bool {
        switch error.problem {
        case .unexpectedEnd:
            return true
        case .invalidNumber:
            return line.dropFirst(error.offset).allSatisfy { byte in
                byte &- 0x30 < 10 || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                    || byte == UInt8(ascii: ".") || byte | 0x20 == UInt8(ascii: "e")
            }
        default:
            return false
        }
    }

    /// Whether `line` (after leading whitespace) begins as upmon's header does, or is a shorter
    /// piece of that beginning, or has an `"upmon"` key somewhere in it.
    private static func startsLikeHeader(_ line: some Collection<UInt8>) -> Bool {
        let text = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
        let magic = Array(#"{"upmon":"recording""#.utf8)
        if text.starts(with: magic) || (!text.isEmpty && magic.starts(with: text)) { return true }
        let key = Array(#""upmon""#.utf8)
        let bytes = Array(text)
        guard bytes.count >= key.count else { return false }
        return (0...(bytes.count - key.count)).contains { start in
            bytes[start..<(start + key.count)].elementsEqual(key)
        }
    }
}
