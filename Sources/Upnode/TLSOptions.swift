import NIOSSL

/// TLS settings. Peer verification is always on: a self-signed server is trusted by passing
/// its certificate (or CA) as `trustRoots`, never by switching verification off.
public struct TLSOptions: Sendable {
    /// PEM file(s) of the CA or self-signed certificate to trust; nil = the system store.
    public var trustRootsFile: String?
    /// Name to verify in the server certificate (default: the endpoint's host).
    public var serverName: String?
    /// Client certificate and key (PEM files) for mutual TLS.
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

    func clientContext() throws(UpnodeError) -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        do {
            if let trustRootsFile {
                configuration.trustRoots = .certificates(
                    try NIOSSLCertificate.fromPEMFile(trustRootsFile))
            }
            if let certificateFile, let privateKeyFile {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile)
                    .map { .certificate($0) }
                configuration.privateKey = .privateKey(
                    try NIOSSLPrivateKey(file: privateKeyFile, format: .pem))
            }
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tls(
                "cannot load TLS files (\(trustRootsFile ?? "system trust store")): \(error)")
        }
    }
}

/// Server TLS: certificate chain and key as PEM files.
public struct ServerTLSOptions: Sendable {
    public var certificateFile: String
    public var privateKeyFile: String

    public init(certificateFile: String, privateKeyFile: String) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }

    func serverContext() throws(UpnodeError) -> NIOSSLContext {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile).map {
                NIOSSLCertificateSource.certificate($0)
            }
            let key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)
            return try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: chain, privateKey: .privateKey(key)))
        } catch {
            throw .tls(
                "cannot load certificate \(certificateFile) / key \(privateKeyFile): \(error)")
        }
    }
}
