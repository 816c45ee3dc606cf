import ArgumentParser
import NIOCore
import NIOPosix
import ServiceLifecycle
import UpmonApp
import Upnode
import UpnodeServe

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `upmon serve`: a ready upnode server (the contract of ServeMethods).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Run a upnode server with echo, add, slow, fail, time, subscribe, mark (and auth).",
        discussion: """
            Results are plain callback arguments, except fail and auth (error-first).
            echo(...args, cb) → cb(...args)          add(a, b, cb) → cb(a + b)
            slow(ms, cb) → cb(ms) after ms           fail(cb) → cb({"message": "boom"})
            time(cb) → cb(ms since the epoch)        mark(tag, cb) → cb(tag, times seen)
            subscribe(fn, everyMs = 100, times = 0) → fn(1), fn(2), …
            With --auth USER:PASS: auth(user, pass, cb) → cb(null, session) or cb("ACCESS DENIED").
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "TCP port (0 picks a free one; the bound port is printed).") var port = 7000
    @Option(help: "Listen on this unix socket path instead of TCP.", completion: .file())
    var unix: String?
    @Option(help: "Require auth with these credentials (USER:PASS).") var auth: String?
    @Flag(help: "Expose only auth at the top level (needs --auth).") var authOnly = false
    @Option(help: "TLS certificate chain (PEM).", completion: .file(extensions: ["pem", "crt"]))
    var tlsCert: String?
    @Option(help: "TLS private key (PEM).", completion: .file(extensions: ["pem", "key"]))
    var tlsKey: String?
    @Flag(help: "Do not print a line per connect/disconnect.") var quiet = false
    @Option(
        help: ArgumentHelp(
            "The longest line (one dnode message) accepted from a client (default: 16MiB).",
            valueName: "size"),
        transform: ByteSizeArgument.parse)
    var maxLine: ByteSizeArgument?
    @Flag(
        help: ArgumentHelp(
            "Serve one link over stdin/stdout (inetd style; for exec: endpoints), then exit.",
            discussion: "Nothing but dnode goes to stdout; notices go to stderr."))
    var stdio = false

    func validate() throws {
        if let auth, auth.split(separator: ":", maxSplits: 1).count != 2 {
            throw ValidationError("--auth must be USER:PASS, got '\(auth)'")
        }
        if authOnly && auth == nil { throw ValidationError("--auth-only needs --auth USER:PASS") }
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        if !(0...65535).contains(port) { throw ValidationError("--port must be 0-65535") }
        if stdio && unix != nil { throw ValidationError("--stdio and --unix exclude each other") }
    }

    func run() async throws {
        var options = ServeMethods.Options()
        if let auth {
            let parts = auth.split(separator: ":", maxSplits: 1).map(String.init)
            options.credentials = (parts[0], parts[1])
            options.authOnly = authOnly
        }
        var serverOptions = UpnodeServer.Options()
        if let maxLine { serverOptions.maxLineBytes = maxLine.bytes }
        if let tlsCert, let tlsKey {
            serverOptions.tls = ServerTLSOptions(certificateFile: tlsCert, privateKeyFile: tlsKey)
        }
        if stdio {
            return try await serveStdio(serverOptions, methods: ServeMethods(options: options))
        }
        let endpoint: Endpoint = unix.map { .unix(path: $0) } ?? .tcp(host: host, port: port)
        let quiet = self.quiet
        let server: UpnodeServer
        do {
            server = try await UpnodeServer.listen(
                endpoint, options: serverOptions,
                onNotice: { notice in
                    guard !quiet else { return }
                    switch notice {
                    case .connected(let id, let peer):
                        StandardOutput.write("connect #\(id) from \(peer)\n")
                    case .disconnected(let id, let reason):
                        StandardOutput.write("disconnect #\(id) (\(Self.text(of: reason)))\n")
                    case .warning(let id, let text):
                        StandardOutput.write("warning #\(id): \(text)\n")
                    }
                }, methods: ServeMethods(options: options).factory)
        } catch {
            // A runtime failure, not a usage error: no usage text, exit 2 like a bad config.
            let message = ListenFailure.message(
                error, address: unix ?? "\(host):\(port)", port: unix == nil ? port : nil,
                otherPort: unix == nil
                    ? "pick another port with --port (0 picks a free one)"
                    : "remove the stale socket file or pick another path with --unix")
            exitWith(message, code: 2)
        }
        StandardOutput.write("listening on \(server.boundEndpoint)\n")
        // Serve until SIGINT/SIGTERM: graceful shutdown stops listening and ends every
        // connection with FIN, then the group returns.
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: server)], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: UpnodeTelemetry.loggingDisabled))
        try await group.run()
        StandardOutput.write("stopped\n")
    }

    /// A reason as `upmon serve` prints it: an oversize line names `--max-line`.
    static func text(of reason: LinkReason) -> String {
        guard case .frameTooLong(let limit) = reason else { return reason.description }
        return "\(reason.code): "
            + LinkReason.lineTooLongText(limit: limit, setting: "--max-line")
    }

    /// One link over stdin/stdout until it ends (or SIGINT/SIGTERM). Stdout carries dnode only.
    func serveStdio(_ serverOptions: UpnodeServer.Options, methods: ServeMethods) async throws {
        let quiet = self.quiet
        let channel: any Channel
        do {
            channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .takingOwnershipOfDescriptors(input: STDIN_FILENO, output: STDOUT_FILENO).get()
            try await UpnodeServer.serve(
                channel: channel, options: serverOptions,
                onNotice: { notice in
                    guard !quiet else { return }
                    switch notice {
                    case .connected: Serve.notice("serving stdin/stdout\n")
                    case .disconnected(_, let reason):
                        Serve.notice("disconnect (\(Serve.text(of: reason)))\n")
                    case .warning(_, let text): Serve.notice("warning: \(text)\n")
                    }
                }, methods: methods.factory)
        } catch {
            exitWith(
                "cannot serve stdin/stdout (they must be pipes, sockets or a terminal): \(error)",
                code: 1)
        }
        let signals = SignalWaiter.sources(for: [SIGINT, SIGTERM]) { channel.close(promise: nil) }
        try? await channel.closeFuture.get()
        for source in signals { source.cancel() }
    }

    static func notice(_ text: String) {
        Platform.writeAll(STDERR_FILENO, Array(("upmon serve: " + text).utf8))
    }
}
