import TerminalUI
import Upnode

/// `tap = …` in a link's section: a tap listening there and connecting every client on to
/// the link's endpoint, with the link's TLS settings toward it
/// (docs/PROTOCOL.md, "Decoding tapped traffic").
public struct TapSpec: Sendable, Equatable {
    /// Where the tap listens: `host:port`, `tls://host:port` or `unix:/path`.
    public var listen: Endpoint
    /// `tap_cert`: the certificate chain (PEM) a `tls://` tap serves.
    public var certificateFile: String?
    /// `tap_key`: the private key (PEM) of `tap_cert`.
    public var privateKeyFile: String?

    /// A tap listening on `listen`; the files only for a `tls://` one.
    public init(listen: Endpoint, certificateFile: String? = nil, privateKeyFile: String? = nil) {
        self.listen = listen
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }

    /// `host:port` (TLS or not) or `unix:/path`: two taps, or a tap and an endpoint, with the
    /// same key are the same socket.
    static func socketKey(_ endpoint: Endpoint) -> String? {
        switch endpoint {
        case .tcp(let host, let port), .tls(let host, let port):
            "\(Endpoint.tcp(host: host, port: port).normalized)"
        case .unix(let path): "unix:\(path)"
        case .exec, .channel: nil
        }
    }
}

extension UpmonConfig {
    /// The keys of a link's tap.
    static let tapKeys: Set<String> = ["tap", "tap_cert", "tap_key"]

    /// Applies a section's `tap`, `tap_cert` and `tap_key` once its endpoint is final.
    static func applyTap(
        _ entries: [(key: String, value: String, line: Int)], to spec: inout ConnectionSpec,
        file: String
    ) throws(ConfigError) {
        let cert = entries.first { $0.key == "tap_cert" }
        let key = entries.first { $0.key == "tap_key" }
        guard let tap = entries.first(where: { $0.key == "tap" }) else {
            if let stray = cert ?? key {
                throw ConfigError(
                    file: file, line: stray.line,
                    message: "\(stray.key) needs 'tap = tls://host:port' (where the tap listens)")
            }
            return
        }
        func fail(_ message: String, line: Int? = nil) -> ConfigError {
            ConfigError(file: file, line: line ?? tap.line, message: "tap: \(message)")
        }
        let listen: Endpoint
        do {
            listen = try Endpoint(parsing: tap.value)
        } catch {
            throw fail(shownInMessage(String(describing: error), limit: 300))
        }
        guard TapSpec.socketKey(listen) != nil else {
            throw fail(
                "'\(shownInMessage(tap.value))' is not an address to listen on"
                    + " (want host:port, tls://host:port or unix:/path)")
        }
        if let problem = ConnectionSpec.problem(with: listen) { throw fail(problem) }
        guard let target = TapSpec.socketKey(spec.endpoint) else {
            throw fail(
                "a tap connects on to host:port, tls://host:port or unix:/path;"
                    + " this link's endpoint is \(shownInMessage(spec.endpoint.description))")
        }
        if TapSpec.socketKey(listen) == target {
            throw fail(
                "listens where the link's endpoint is (\(spec.endpoint)): the tap would connect"
                    + " to itself; give it an address of its own")
        }
        if case .tls = listen {
            guard cert != nil, key != nil else {
                throw fail(
                    "a tls:// tap needs tap_cert and tap_key (its certificate chain and private"
                        + " key, PEM files)")
            }
        } else if let stray = cert ?? key {
            throw ConfigError(
                file: file, line: stray.line,
                message:
                    "\(stray.key) is for a tls:// tap, and 'tap = \(shownInMessage(tap.value))' is not"
            )
        }
        spec.tap = TapSpec(
            listen: listen, certificateFile: cert?.value, privateKeyFile: key?.value)
    }

    /// A tap already listening where `spec`'s does: the earlier link's name, else nil.
    static func tapOwner(of spec: ConnectionSpec, among links: [ConnectionSpec]) -> String? {
        guard let listen = spec.tap.flatMap({ TapSpec.socketKey($0.listen) }) else { return nil }
        return links.first { $0.tap.flatMap { TapSpec.socketKey($0.listen) } == listen }?.name
    }
}

extension ConnectionSpec {
    /// Whether going from `old` to this spec changes a running tap: `tap =` itself, or the
    /// endpoint or TLS settings it connects on with. `changed` is `changedSettings(from:)`.
    func tapNeedsRestart(from old: ConnectionSpec, changed: [String]) -> Bool {
        if tap != old.tap { return true }
        guard tap != nil else { return false }
        return changed.contains { $0 == "endpoint" || $0.hasPrefix("tls") }
    }
}
