import ArgumentParser
import Foundation
import UpmonApp
import Upnode
import UpnodeMonitor
import UpnodeTap

/// `upmon tap`: a transparent dnode proxy that shows an application's real calls.
struct Tap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listen, connect every client on to a target, and watch the dnode calls.",
        discussion: """
            upmon tap 127.0.0.1:7001 10.0.0.5:7000   (point the app at :7001 instead of :7000)
            The bytes pass unchanged both ways; upmon decodes them on the side: calls per
            method, latency (first answer), streaming answers, error-first results, calls that
            get no answer. LISTEN and TARGET are host:port, tls://host:port or unix:/path.
            TLS: a tls:// LISTEN serves --tls-cert and --tls-key (as upmon serve); a tls://
            TARGET is verified as a link's is (the system store, or --tls-ca; --tls-server-name).
            upmon tap tls://127.0.0.1:7443 tls://db.internal:7443 --tls-cert tap.pem --tls-key tap.key
            """
    )

    @Argument(help: "Pairs of LISTEN TARGET (host:port, tls://host:port or unix:/path each).")
    var endpoints: [String] = []

    @Option(
        help: "Certificate chain (PEM) served on tls:// LISTEN addresses.",
        completion: .file(extensions: ["pem", "crt"]))
    var tlsCert: String?
    @Option(
        help: "Private key (PEM) of --tls-cert.", completion: .file(extensions: ["pem", "key"]))
    var tlsKey: String?
    @Option(
        help:
            "CA or self-signed certificate (PEM) to trust for tls:// TARGETs (default: the system store).",
        completion: .file(extensions: ["pem", "crt"]))
    var tlsCa: String?
    @Option(help: "Name to verify in a tls:// TARGET's certificate (default: its host).")
    var tlsServerName: String?

    @Option(
        help: ArgumentHelp(
            "Count a call unanswered when no answer came this long (default: 30s).",
            valueName: "duration"),
        transform: DurationArgument.parse)
    var unanswered: DurationArgument?
    @Option(
        help: ArgumentHelp(
            "What makes an answer an error: node (an Error first, or cb(err, value) with err set) or first-arg (any non-null first argument).",
            valueName: "rule"))
    var errors: String = TapDecoder.ErrorRule.node.rawValue
    @Option(
        help: ArgumentHelp(
            "The longest line decoded (default: 16MiB); longer lines still pass.",
            valueName: "size"),
        transform: ByteSizeArgument.parse)
    var maxLine: ByteSizeArgument?
    @Flag(help: "Keep call arguments and results in --json and recordings (default: shapes).")
    var recordArgs = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        if endpoints.isEmpty || endpoints.count % 2 != 0 {
            throw ValidationError(
                "give LISTEN TARGET pairs, e.g. upmon tap 127.0.0.1:7001 127.0.0.1:7000")
        }
        if TapDecoder.ErrorRule(rawValue: errors) == nil {
            throw ValidationError("--errors is node or first-arg, not '\(errors)'")
        }
        let routes = try routes()
        if (tlsCert == nil) != (tlsKey == nil) {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        let tlsListens = routes.filter { if case .tls = $0.listen { true } else { false } }
        if let route = tlsListens.first, tlsCert == nil {
            throw ValidationError(
                "LISTEN \(route.listen) needs the certificate and key to serve: "
                    + "--tls-cert FILE --tls-key FILE")
        }
        if tlsListens.isEmpty, tlsCert != nil {
            throw ValidationError(
                "--tls-cert and --tls-key are for a tls:// LISTEN, and no LISTEN is tls://")
        }
        let tlsTargets = routes.contains { if case .tls = $0.target { true } else { false } }
        if !tlsTargets, tlsCa != nil || tlsServerName != nil {
            throw ValidationError(
                "--tls-ca and --tls-server-name are for a tls:// TARGET, and no TARGET is tls://")
        }
    }

    /// The routes `c1`, `c2`, … named `tap` (or `tap1`, `tap2`, … for several).
    func routes() throws -> [TapRoute] {
        var routes: [TapRoute] = []
        let count = endpoints.count / 2
        // One value for all routes: the files are read once for all of them.
        let listenTLS = tlsCert.flatMap { cert in
            tlsKey.map { ServerTLSOptions(certificateFile: cert, privateKeyFile: $0) }
        }
        let targetTLS = TLSOptions(trustRootsFile: tlsCa, serverName: tlsServerName)
        for index in 0..<count {
            let listen = try Self.endpoint(endpoints[2 * index], role: "LISTEN")
            let target = try Self.endpoint(endpoints[2 * index + 1], role: "TARGET")
            routes.append(
                TapRoute(
                    id: ConnectionID(index: index), name: count == 1 ? "tap" : "tap\(index + 1)",
                    listen: listen, target: target,
                    listenTLS: Self.isTLS(listen) ? listenTLS : nil,
                    targetTLS: Self.isTLS(target) ? targetTLS : nil))
        }
        return routes
    }

    static func isTLS(_ endpoint: Endpoint) -> Bool {
        if case .tls = endpoint { true } else { false }
    }

    static func endpoint(_ text: String, role: String) throws -> Endpoint {
        let endpoint: Endpoint
        do {
            endpoint = try Endpoint(parsing: text)
        } catch {
            throw ValidationError("\(role) '\(text)': \(error)")
        }
        switch endpoint {
        case .tcp, .tls, .unix: return endpoint
        default:
            throw ValidationError(
                "\(role) '\(text)' must be host:port, tls://host:port or unix:/path")
        }
    }

    func run() async throws {
        let routes = try routes()
        var options = TapOptions()
        if let unanswered { options.decoder.unansweredAfter = unanswered.duration.inSeconds }
        options.decoder.errorRule = TapDecoder.ErrorRule(rawValue: errors) ?? .node
        options.decoder.recordArguments = recordArgs
        if let maxLine { options.maxLineBytes = maxLine.bytes }

        let session = LiveSession(
            specs: [], recordsArguments: recordArgs, extraLinks: routes.map(\.info))
        var files: [(String, String, TapTLSFiles.Content)] = []
        if let tlsCert, let tlsKey {
            files += [("--tls-cert", tlsCert, .certificate), ("--tls-key", tlsKey, .privateKey)]
        }
        if let tlsCa { files.append(("--tls-ca", tlsCa, .certificate)) }
        for (option, path, content) in files {
            if let problem = TapTLSFiles.problem(path, content: content) {
                exitWith("tap: \(option) \(problem)", code: 2)
            }
        }
        await Self.start(routes, options: options, session: session, role: "LISTEN")

        let label = routes.map { "\($0.listen) → \($0.target)" }.joined(separator: ", ")
        await runSession(
            session, output: output,
            plan: SessionPlan(label: "tap " + label, argsRecorded: recordArgs))
    }
}

extension Tap {
    /// Starts the taps of `routes` into `session`'s feed (stopped when it closes); a tap that
    /// cannot listen, or whose TLS files cannot be loaded, ends upmon with exit 2.
    /// `role` names the listen address in messages (`LISTEN`, or `tap` in a config file).
    static func start(
        _ routes: [TapRoute], options: TapOptions, session: LiveSession, role: String
    ) async {
        let sink = TapSink(feed: session.feed)
        for route in routes {
            do {
                let server = try await TapServer.start(route, options: options, sink: sink)
                session.onClose { await server.close() }
            } catch let error as UpnodeError {
                exitWith("\(route.name): \(TapTLSFiles.loadFailure(error))", code: 2)
            } catch let error as TapError {
                exitWith("\(route.name): \(error)", code: 2)
            } catch {
                var port: Int?
                if case .tcp(_, let number) = route.listen { port = number }
                if case .tls(_, let number) = route.listen { port = number }
                exitWith(
                    "tap: "
                        + ListenFailure.message(
                            error, address: route.listen.description, port: port,
                            otherPort: "pick another \(role) address"), code: 2)
            }
        }
    }
}

extension Tap {
    /// The taps of `config`'s `tap =` links, rows after the links; a PEM file of theirs that
    /// cannot be used ends upmon with exit 2, naming the config file, the link and the key.
    static func configured(_ config: UpmonConfig, options: ConnectionOptions) -> [ConfigTaps.Tap] {
        if let problem = ConfigTaps.fileProblem(in: config.connections) {
            let path = options.configPath(environment: ProcessInfo.processInfo.environment)
            exitWith("\(path ?? "config"): \(problem)", code: 2)
        }
        return ConfigTaps.taps(for: config.connections, recordsArguments: options.recordArgs)
    }

    /// Starts the taps of config links into `session` (before anything reads its feed).
    static func start(_ taps: [ConfigTaps.Tap], session: LiveSession) async {
        for tap in taps {
            await start([tap.route], options: tap.options, session: session, role: "tap")
        }
    }
}
