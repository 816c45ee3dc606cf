import DnodeProtocol
import TerminalUI
import Upnode

/// The config file (docs/ARCHITECTURE.md, "Configuration"): global settings and one `[name]` section per link.
///
/// ```
/// theme = default
/// latency_warn_ms = 100
/// [api]
/// endpoint = 127.0.0.1:7000
/// ping = 1s
/// auth_method = auth
/// auth_args = env:API_USER env:API_TOKEN
/// ```
public struct UpmonConfig: Sendable {
    public var theme: String?
    public var thresholds = Thresholds()
    public var connections: [ConnectionSpec] = []

    public init() {}

    static let globalKeys = ["theme", "latency_warn_ms", "latency_bad_ms", "queue_stuck_after"]
    static let connectionKeys = [
        "endpoint", "tls", "tls_ca", "tls_server_name", "tls_cert", "tls_key", "ping", "timeout",
        "reconnect",
        "reconnect_max", "connect_timeout", "max_queue", "auth_method", "auth_args", "tags",
    ]

    /// Reads and parses the config file at `path`. Every failure names the file (and the line
    /// where there is one): missing, a directory, unreadable, binary, or a bad line.
    public static func load(path: String) throws(ConfigError) -> UpmonConfig {
        switch TextFile.read(path: path) {
        case .success(let text):
            return try parse(text, file: path)
        case .failure(let failure):
            let hint: String
            switch failure.problem {
            case .missing, .isDirectory, .notARegularFile:
                hint = " (give the config file's path with --config or $UPMON_CONFIG)"
            default: hint = ""
            }
            throw ConfigError(
                file: path, line: failure.line, message: "config file: \(failure)\(hint)")
        }
    }

    /// Parses config text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> UpmonConfig {
        var config = UpmonConfig()
        var current: (spec: ConnectionSpec?, name: String, line: Int, keys: [String: Int])?
        var globalsSeen: [String: Int] = [:]

        func finishSection() throws(ConfigError) {
            guard let section = current else { return }
            guard let spec = section.spec else {
                throw ConfigError(
                    file: file, line: section.line,
                    message: "[\(shownInMessage(section.name))] has no 'endpoint'")
            }
            if let auth = spec.auth, auth.method.isEmpty {
                throw ConfigError(
                    file: file, line: section.keys["auth_args"] ?? section.line,
                    message: "auth_args needs auth_method")
            }
            config.connections.append(spec)
        }

        var pending: [(key: String, value: String, line: Int)] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false)
            .enumerated()
        {
            let lineNumber = index + 1
            let line = stripComment(String(rawLine)).trimmingWhitespace()
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                try applySection(&current, pending: &pending, file: file)
                try finishSection()
                guard line.hasSuffix("]"), line.count > 2 else {
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: "bad section header '\(shownInMessage(line))' (want [name])")
                }
                let name = String(line.dropFirst().dropLast()).trimmingWhitespace()
                if config.connections.contains(where: { $0.name == name }) {
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: "connection '\(shownInMessage(name))' is defined twice")
                }
                current = (nil, name, lineNumber, [:])
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError(
                    file: file, line: lineNumber,
                    message: "expected 'key = value', got '\(shownInMessage(line))'")
            }
            let key = String(line[..<equals]).trimmingWhitespace()
            let value = String(line[line.index(after: equals)...]).trimmingWhitespace()
            guard !value.isEmpty else {
                throw ConfigError(
                    file: file, line: lineNumber, message: "'\(shownInMessage(key))' has no value")
            }
            if current == nil {
                guard globalKeys.contains(key) else {
                    let known = connectionKeys.contains(key) ? [] : globalKeys
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: unknownKeyMessage(key, known: known, inSection: false))
                }
                if let earlier = globalsSeen[key] {
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: "'\(key)' already set on line \(earlier)")
                }
                globalsSeen[key] = lineNumber
                try applyGlobal(key, value, to: &config, file: file, line: lineNumber)
            } else {
                guard connectionKeys.contains(key) else {
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: unknownKeyMessage(key, known: connectionKeys, inSection: true))
                }
                if let earlier = current?.keys[key] {
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: "'\(key)' already set on line \(earlier)")
                }
                current?.keys[key] = lineNumber
                pending.append((key, value, lineNumber))
            }
        }
        try applySection(&current, pending: &pending, file: file)
        try finishSection()
        return config
    }

    /// Applies a section's keys once all are known (`endpoint` first, whatever the order).
    static func applySection(
        _ current: inout (spec: ConnectionSpec?, name: String, line: Int, keys: [String: Int])?,
        pending: inout [(key: String, value: String, line: Int)], file: String
    ) throws(ConfigError) {
        defer { pending.removeAll() }
        guard var section = current else { return }
        guard let endpointEntry = pending.first(where: { $0.key == "endpoint" }) else { return }
        let endpoint: Endpoint
        do {
            endpoint = try Endpoint(parsing: endpointEntry.value)
        } catch {
            throw ConfigError(
                file: file, line: endpointEntry.line,
                message: "endpoint: \(shownInMessage(String(describing: error), limit: 300))")
        }
        if let problem = ConnectionSpec.problem(with: endpoint) {
            throw ConfigError(file: file, line: endpointEntry.line, message: "endpoint: \(problem)")
        }
        var spec = ConnectionSpec(name: section.name, endpoint: endpoint)
        if case .tls = endpoint { spec.tls = TLSOptions() }
        for entry in pending where entry.key != "endpoint" {
            try applyConnectionKey(entry.key, entry.value, to: &spec, file: file, line: entry.line)
        }
        if let tls = spec.tls, case .tcp(let host, let port) = spec.endpoint {
            spec.endpoint = .tls(host: host, port: port)
            spec.tls = tls
        }
        section.spec = spec
        current = section
    }

    static func applyGlobal(
        _ key: String, _ value: String, to config: inout UpmonConfig, file: String, line: Int
    ) throws(ConfigError) {
        switch key {
        case "theme": config.theme = value
        case "latency_warn_ms":
            config.thresholds.latencyWarnMs = try number(value, key: key, file: file, line: line)
        case "latency_bad_ms":
            config.thresholds.latencyBadMs = try number(value, key: key, file: file, line: line)
        case "queue_stuck_after":
            config.thresholds.queueStuckAfterMs = try duration(
                value, key: key, file: file, line: line
            ).milliseconds
        default: break
        }
    }

    static func applyConnectionKey(
        _ key: String, _ value: String, to spec: inout ConnectionSpec, file: String, line: Int
    ) throws(ConfigError) {
        switch key {
        case "tls":
            switch value {
            case "on", "true", "yes": spec.tls = spec.tls ?? TLSOptions()
            case "off", "false", "no": spec.tls = nil
            default:
                throw ConfigError(
                    file: file, line: line,
                    message: "tls: '\(shownInMessage(value))' is not on or off")
            }
        case "tls_ca": spec.tls = withTLS(spec.tls) { $0.trustRootsFile = value }
        case "tls_server_name": spec.tls = withTLS(spec.tls) { $0.serverName = value }
        case "tls_cert": spec.tls = withTLS(spec.tls) { $0.certificateFile = value }
        case "tls_key": spec.tls = withTLS(spec.tls) { $0.privateKeyFile = value }
        case "ping": spec.link.pingInterval = try duration(value, key: key, file: file, line: line)
        case "timeout":
            spec.link.pingTimeout = try duration(value, key: key, file: file, line: line)
        case "connect_timeout":
            spec.link.connectTimeout = try duration(value, key: key, file: file, line: line)
        case "reconnect":
            switch value {
            case "exponential": spec.link.reconnect.kind = ReconnectPolicy.exponential.kind
            case "never": spec.link.reconnect.kind = .never
            default:
                spec.link.reconnect.kind = .fixed(
                    try duration(value, key: key, file: file, line: line))
            }
        case "reconnect_max":
            spec.link.reconnect.maxAttempts = try count(value, key: key, file: file, line: line)
        case "max_queue":
            spec.link.maxQueuedTransactions = max(
                1, try count(value, key: key, file: file, line: line))
        case "auth_method":
            spec.auth = AuthSpec(method: value, arguments: spec.auth?.arguments ?? [])
        case "auth_args":
            let arguments = try authArguments(value, file: file, line: line)
            spec.auth = AuthSpec(method: spec.auth?.method ?? "", arguments: arguments)
        case "tags":
            spec.tags = value.split(separator: ",").map { String($0).trimmingWhitespace() }.filter {
                !$0.isEmpty
            }
        default: break
        }
    }

    static func withTLS(_ tls: TLSOptions?, _ change: (inout TLSOptions) -> Void) -> TLSOptions {
        var options = tls ?? TLSOptions()
        change(&options)
        return options
    }

    /// `env:NAME` or a JSON literal, separated by spaces (spaces inside JSON strings are fine).
    static func authArguments(_ text: String, file: String, line: Int) throws(ConfigError)
        -> [AuthSpec.Argument]
    {
        var arguments: [AuthSpec.Argument] = []
        for token in splitTokens(text) {
            if token.hasPrefix("env:") {
                let name = String(token.dropFirst(4))
                guard !name.isEmpty else {
                    throw ConfigError(
                        file: file, line: line, message: "auth_args: 'env:' needs a variable name")
                }
                arguments.append(.environment(name))
            } else {
                do {
                    arguments.append(.literal(try JSONValue(parsing: token)))
                } catch {
                    throw ConfigError(
                        file: file, line: line,
                        message:
                            "auth_args: '\(shownInMessage(token))' is neither env:NAME nor JSON (\(error)); quote strings"
                    )
                }
            }
        }
        return arguments
    }

    /// Splits on whitespace outside JSON strings, arrays and objects.
    static func splitTokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        var inString = false
        var escaped = false
        for character in text {
            if inString {
                current.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
                continue
            }
            switch character {
            case "\"":
                inString = true
                current.append(character)
            case "[", "{":
                depth += 1
                current.append(character)
            case "]", "}":
                depth -= 1
                current.append(character)
            case " " where depth == 0, "\t" where depth == 0:
                if !current.isEmpty { tokens.append(current) }
                current = ""
            default: current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    static func number(_ value: String, key: String, file: String, line: Int) throws(ConfigError)
        -> Double
    {
        guard let number = Double(value), number.isFinite, number >= 0 else {
            throw ConfigError(
                file: file, line: line,
                message: "\(key): '\(shownInMessage(value))' is not a non-negative number")
        }
        return number
    }

    /// The largest count a config key takes (`reconnect_max`, `max_queue`).
    static let maxCount = 1_000_000_000

    /// A whole, non-negative count up to `maxCount` (a bigger one would not fit an `Int` or mean anything).
    static func count(_ value: String, key: String, file: String, line: Int) throws(ConfigError)
        -> Int
    {
        let number = try number(value, key: key, file: file, line: line)
        guard number <= Double(maxCount), number == number.rounded(.down) else {
            throw ConfigError(
                file: file, line: line,
                message:
                    "\(key): '\(shownInMessage(value))' is not a whole number from 0 to \(maxCount)"
            )
        }
        return Int(number)
    }

    /// The longest duration a key takes: 30 days (longer ones would overflow timers).
    public static let maxDurationSeconds = 30.0 * 86_400

    /// `800ms`, `1s`, `1.5s`, `2m`, or a bare number of seconds.
    public static func duration(_ value: String, key: String, file: String, line: Int)
        throws(ConfigError) -> Duration
    {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var seconds: Double?
        for (suffix, scale) in units where value.hasSuffix(suffix) {
            if let number = Double(value.dropLast(suffix.count)), number.isFinite, number >= 0 {
                seconds = number * scale
                break
            }
        }
        if seconds == nil, let number = Double(value), number.isFinite, number >= 0 {
            seconds = number
        }
        guard let seconds else {
            throw ConfigError(
                file: file, line: line,
                message: "\(key): '\(shownInMessage(value))' is not a duration (like 800ms, 1s, 2m)"
            )
        }
        guard seconds <= maxDurationSeconds else {
            throw ConfigError(
                file: file, line: line,
                message: "\(key): '\(shownInMessage(value))' is longer than 30 days")
        }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    static func stripComment(_ line: String) -> String {
        // '#' starts a comment at the start of a line, or after whitespace and before whitespace/end.
        let characters = Array(line)
        for index in characters.indices where characters[index] == "#" {
            let before = index == 0 || characters[index - 1] == " " || characters[index - 1] == "\t"
            let after =
                index + 1 == characters.count || characters[index + 1] == " "
                || characters[index + 1] == "\t"
            let firstNonBlank = characters[..<index].allSatisfy { $0 == " " || $0 == "\t" }
            if firstNonBlank || (before && after) { return String(characters[..<index]) }
        }
        return line
    }

    static func unknownKeyMessage(_ key: String, known: [String], inSection: Bool) -> String {
        // A key far longer than any known one is no typo of one (and the distance is O(n·m)).
        let suggestion =
            key.count > 40 ? nil : known.min { editDistance($0, key) < editDistance($1, key) }
        let hint =
            suggestion.flatMap { editDistance($0, key) <= 2 ? " (did you mean '\($0)'?)" : nil }
            ?? ""
        let shown = shownInMessage(key)
        return inSection
            ? "unknown key '\(shown)'\(hint)"
            : "unknown setting '\(shown)'\(hint); connection keys go under a [name] section"
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}

extension String {
    func trimmingWhitespace() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" || first == "\r" {
            slice.removeFirst()
        }
        while let last = slice.last, last == " " || last == "\t" || last == "\r" {
            slice.removeLast()
        }
        return String(slice)
    }
}
