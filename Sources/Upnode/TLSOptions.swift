import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// TLS settings. Peer verification is always on: a self-signed server is trusted by passing
/// its certificate (or CA) as `trustRoots`, never by switching verification off.
public struct TLSOptions: Sendable {
    /// PEM file(s) of the CA or self-signed certificate to trust; nil = the system store.
    public var trustRootsFile: String?
    /// Name to verify in the server certificate (default: the endpoint's host).
    public var serverName: String?
    /// Client certificate and key (PEM files) for mutual TLS.
    public var certificateFile: String?
    /// PEM file of the private key for `certificateFile` (mutual TLS).
    public var privateKeyFile: String?
    /// The context built from these files, shared by every copy of these options (all the
    /// links of one configuration), so a reconnect costs no PEM parsing.
    let contextCache = TLSContextCache()

    /// TLS settings; all nil trusts the system store and presents no client certificate.
    public init(
        trustRootsFile: String? = nil, serverName: String? = nil, certificateFile: String? = nil,
        privateKeyFile: String? = nil
    ) {
        self.trustRootsFile = trustRootsFile
        self.serverName = serverName
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }

    /// The client context, built on the shared thread pool (never on `eventLoop`): once, and
    /// again only when a file changed (see `TLSContextCache`). Completes on `eventLoop`.
    /// Public for `upmon tap`, whose `tls://` targets trust what a link's would.
    public func clientContext(on eventLoop: any EventLoop) -> EventLoopFuture<NIOSSLContext> {
        let files = [trustRootsFile, certificateFile, privateKeyFile]
        return NIOThreadPool.singleton.runIfActive(eventLoop: eventLoop) {
            try contextCache.context(key: files) { () throws(UpnodeError) in
                try makeClientContext()
            }
        }
    }

    func makeClientContext() throws(UpnodeError) -> NIOSSLContext {
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
    /// PEM file of the server's certificate chain, leaf first.
    public var certificateFile: String
    /// PEM file of the certificate's private key.
    public var privateKeyFile: String
    let contextCache = TLSContextCache()

    /// Server TLS from a certificate chain and its key (PEM files), read when the server starts.
    public init(certificateFile: String, privateKeyFile: String) {
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
    }

    /// The server context, built on the shared thread pool (off every event loop). Public for
    /// `upmon tap`'s `tls://` listen addresses.
    public func serverContext() async throws -> NIOSSLContext {
        let files: [String?] = [certificateFile, privateKeyFile]
        return try await NIOThreadPool.singleton.runIfActive {
            try contextCache.context(key: files) { () throws(UpnodeError) in
                try makeServerContext()
            }
        }
    }

    func makeServerContext() throws(UpnodeError) -> NIOSSLContext {
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

/// One TLS context and the state of the files it was built from. Blocking (it stats and reads
/// files): call it off the event loops. A context is rebuilt when the options name other files
/// or a file's inode, size, modification or status change time changed (a certificate renewed in place or
/// replaced by rename), so a renewal is picked up at the next connection attempt.
final class TLSContextCache: Sendable {
    struct Entry: Sendable {
        let stamps: [FileStamp?]
        let context: NIOSSLContext
    }

    /// By file names: copies of one options value changed to name other files keep theirs.
    let entries = Mutex<[[String?]: Entry]>([:])
    /// Contexts built so far (a test hook).
    let builds = Atomic(0)

    func context(
        key: [String?], build: () throws(UpnodeError) -> NIOSSLContext
    ) throws(UpnodeError) -> NIOSSLContext {
        let stamps = key.map { $0.flatMap(FileStamp.init(path:)) }
        if let cached = entries.withLock({ $0[key] }), cached.stamps == stamps {
            return cached.context
        }
        // Stamped before reading: a file changed in between is seen as changed next time.
        let context = try build()
        builds.add(1, ordering: .relaxed)
        entries.withLock { $0[key] = Entry(stamps: stamps, context: context) }
        return context
    }
}

/// What tells a file's content changed without reading it.
struct FileStamp: Sendable, Equatable {
    let device: UInt64
    let inode: UInt64
    let size: Int64
    let modifiedSeconds: Int64
    let modifiedNanoseconds: Int64
    /// Status change time: set by every write or rename, and unlike the modification time
    /// never copied from another file.
    let changedSeconds: Int64
    let changedNanoseconds: Int64

    /// Nil when there is no such file (the build then fails and reports it).
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
            modifiedSeconds = Int64(info.st_mtimespec.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtimespec.tv_nsec)
            changedSeconds = Int64(info.st_ctimespec.tv_sec)
            changedNanoseconds = Int64(info.st_ctimespec.tv_nsec)
        #else
            modifiedSeconds = Int64(info.st_mtim.tv_sec)
            modifiedNanoseconds = Int64(info.st_mtim.tv_nsec)
            changedSeconds = Int64(info.st_ctim.tv_sec)
            changedNanoseconds = Int64(info.st_ctim.tv_nsec)
        #endif
    }
}
