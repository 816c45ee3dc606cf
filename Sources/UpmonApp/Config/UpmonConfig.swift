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
    /// `mouse = off`: no mouse reports (as `--no-mouse`); nil when the file does not say.
    public var mouse: Bool?
    /// `connect_window`: dials in flight per endpoint while starting (0 = all at once).
    public var connectPacing = ConnectPacing.standard
    /// The `[alerts]` section and the links' `alert_*` keys.
    public var alerts = AlertSettings()

    public init() {}

    static let globalKeys = [
        "theme", "latency_warn_ms", "latency_bad_ms", "queue_stuck_after", "mouse",
        "connect_window",
    ]
    static let connectionKeys = [
        "endpoint", "tls", "tls_ca", "tls_server_name", "tls_cert", "tls_key", "ping", "timeout",
        "reconnect",
        "reconnect_max", "connect_timeout", "max_queue", "max_line", "auth_method", "auth_args",
        "tags", "tap", "tap_cert", "tap_key",
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
        var alertsSeen = false
        var globalsSeen: [String: Int] = [:]
        // Section names seen so far: a set, so that 10,000 sections parse in linear time.
        var sectionNames: Set<String> = []
        // Set inside `[alerts]`: the keys seen there and on which line.
        var alertsSection: [String: Int]?

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
            if let owner = tapOwner(of: spec, among: config.connections) {
                throw ConfigError(
                    file: file, line: section.keys["tap"] ?? section.line,
                    message: "tap: [\(shownInMessage(owner))] already has a tap there")
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
                alertsSection = nil
                if name == Self.alertsSection {
                    guard !alertsSeen else {
                        throw ConfigError(
                            file: file, line: lineNumber, message: "[alerts] is defined twice")
                    }
                    alertsSeen = true
                    current = nil
                    alertsSection = [:]
                    continue
                }
                guard sectionNames.insert(name).inserted else {
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
            if var seen = alertsSection {
                guard alertKeys.contains(key) else {
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: unknownKeyMessage(key, known: alertKeys, inSection: true)
                            + " in [alerts] (its keys: \(alertKeys.joined(separator: ", ")))")
                }
                if let earlier = seen[key] {
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: "'\(key)' already set on line \(earlier)")
                }
                seen[key] = lineNumber
                alertsSection = seen
                try applyAlertKey(key, value, to: &config.alerts, file: file, line: lineNumber)
            } else if current == nil {
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
                guard connectionKeys.contains(key) || linkAlertKeys.contains(key) else {
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: unknownKeyMessage(
                            key, known: connectionKeys + linkAlertKeys, inSection: true))
                }
                if let earlier = current?.keys[key] {
                    throw ConfigError(
                        file: file, line: lineNumber,
                        message: "'\(key)' already set on line \(earlier)")
                }
                current?.keys[key] = lineNumber
                if let link = current?.name, linkAlertKeys.contains(key) {
                    try applyLinkAlertKey(
                        key, value, link: link, to: &config.alerts, file: file, line: lineNumber)
                } else {
                    pending.append((key, value, lineNumber))
                }
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
        spec.origin = .configFile
        if case .tls = endpoint { spec.tls = TLSOptions() }
        for entry in pending where entry.key != "endpoint" {
            try applyConnectionKey(entry.key, entry.value, to: &spec, file: file, line: entry.line)
        }
        if let tls = spec.tls, case .tcp(let host, let port) = spec.endpoint {
            spec.endpoint = .tls(host: host, port: port)
            spec.tls = tls
        }
        try applyTap(pending.filter { tapKeys.contains($0.key) }, to: &spec, file: file)
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
        case "mouse":
            switch value {
            case "on", "true", "yes": config.mouse = true
            case "off", "false", "no": config.mouse = false
            default:
                throw ConfigError(
                    file: file, line: line,
                    message: "mouse: '\(shownInMessage(value))' is not on or off")
            }
        case "connect_window":
            config.connectPacing.window = try count(value, key: key, file: file, line: line)
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
        case "max_line":
            spec.link.maxLineBytes = try byteSize(value, key: key, file: file, line: line)
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
}
