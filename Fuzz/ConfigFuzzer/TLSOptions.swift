// Fuzz build only (see ConfigFuzzer/main.swift): TLSOptions' stored settings as declared in
// Sources/Upnode/TLSOptions.swift, without the NIOSSL context code, so that the config parser
// builds without NIO. Keep in step with that declaration.

/// TLS settings (Sources/Upnode/TLSOptions.swift).
public struct TLSOptions: Sendable {
    public var trustRootsFile: String?
    public var serverName: String?
    public var certificateFile: String?
    public var privateKeyFile: String?

    public init(
        trustRootsFile: String? = nil, serverName: String? = nil, certificateFile: String? = nil,
        privateKeyFile: String? = nil
    ) {
        self.trustRootsFile = trustRootsFile
        self.serverName = serverName
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }
}
