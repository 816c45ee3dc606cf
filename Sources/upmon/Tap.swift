import ArgumentParser
import DnodeProtocol
import Foundation
import UpmonApp
import Upnode
import UpnodeMonitor
import UpnodeTap

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `upmon tap`: a transparent dnode proxy that shows an application's real calls.
struct Tap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listen, connect every client on to a target, and watch the dnode calls.",
        discussion: """
            upmon tap 127.0.0.1:7001 10.0.0.5:7000   (point the app at :7001 instead of :7000)
            The bytes pass unchanged both ways; upmon decodes them on the side: calls per
            method, latency (first answer), streaming answers, error-first results, calls that
            get no answer. LISTEN is host:port or unix:/path; TARGET is host:port or unix:/path.
            """
    )

    @Argument(help: "Pairs of LISTEN TARGET (host:port or unix:/path each).")
    var endpoints: [String] = []

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

    @Flag(help: "Stream JSON Lines (the recording format) to stdout, no terminal UI.")
    var json = false
    @Option(help: "Serve Prometheus metrics at [HOST]:PORT/metrics (':9464' binds 127.0.0.1).")
    var metrics: String?
    @Option(
        help: "Record the session to FILE (JSON Lines; the format is in docs/RECORDING.md).",
        completion: .file(extensions: ["upmon"]))
    var record: String?
    @Flag(help: "Overwrite an existing recording file.")
    var force = false
    @OptionGroup var display: DisplayOptions
    @Option(
        help: "Log file while the dashboard runs (default: $XDG_STATE_HOME/upmon/upmon.log).",
        completion: .file())
    var logFile: String?

    func validate() throws {
        if endpoints.isEmpty || endpoints.count % 2 != 0 {
            throw ValidationError(
                "give LISTEN TARGET pairs, e.g. upmon tap 127.0.0.1:7001 127.0.0.1:7000")
        }
        if TapDecoder.ErrorRule(rawValue: errors) == nil {
            throw ValidationError("--errors is node or first-arg, not '\(errors)'")
        }
        _ = try routes()
    }

    /// The routes `c1`, `c2`, … named `tap` (or `tap1`, `tap2`, … for several).
    func routes() throws -> [TapRoute] {
        var routes: [TapRoute] = []
        let count = endpoints.count / 2
        for index in 0..<count {
            let listen = try Self.endpoint(endpoints[2 * index], role: "LISTEN")
            let target = try Self.endpoint(endpoints[2 * index + 1], role: "TARGET")
            routes.append(
                TapRoute(
                    id: ConnectionID(index: index), name: count == 1 ? "tap" : "tap\(index + 1)",
                    listen: listen, target: target))
        }
        return routes
    }

    static func endpoint(_ text: String, role: String) throws -> Endpoint {
        let endpoint: Endpoint
        do {
            endpoint = try Endpoint(parsing: text)
        } catch {
            throw ValidationError("\(role) '\(text)': \(error)")
        }
        switch endpoint {
        case .tcp, .unix: return endpoint
        default:
            throw ValidationError("\(role) '\(text)' must be host:port or unix:/path")
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
        let sink = TapSink(feed: session.feed)
        for route in routes {
            do {
                let server = try await TapServer.start(route, options: options, sink: sink)
                session.onClose { await server.close() }
            } catch {
                var port: Int?
                if case .tcp(_, let number) = route.listen { port = number }
                exitWith(
                    "tap: "
                        + ListenFailure.message(
                            error, address: route.listen.description, port: port,
                            otherPort: "pick another LISTEN address"), code: 2)
            }
        }

        let snapshot = StateSnapshot(MonitorState(connections: session.infos))
        let metricsServer = await startMetricsServer(metrics, snapshot: snapshot)
        let config = UpmonConfig()
        let header = SystemFacts.header(
            connections: session.infos, thresholds: config.thresholds, argsRecorded: recordArgs,
            epochMilliseconds: SystemFacts.epochMilliseconds())
        if json || (metrics != nil && !isatty(STDOUT_FILENO).asBool && record == nil) {
            let stop = signalStream()
            if json {
                await Headless.stream(
                    session: session, header: header, snaps: false, snapshot: snapshot, stop: stop
                ) { StandardOutput.write(JSONPrinter.readable($0)) }
            } else {
                await Headless.serveMetricsOnly(session: session, snapshot: snapshot, stop: stop)
            }
            await metricsServer?.close()
            return
        }
        let label = routes.map { "\($0.listen) → \($0.target)" }.joined(separator: ", ")
        let dashboard = DashboardOptions(
            sessionLabel: "tap " + label, thresholds: config.thresholds,
            theme: display.theme ?? config.theme, themesDir: display.themesDir,
            color: display.color, ascii: display.ascii, logFile: logFile,
            recordPath: record, overwriteRecording: force, header: header)
        let code = await Dashboard.runLive(
            session: session, options: dashboard, snapshot: metrics == nil ? nil : snapshot)
        await metricsServer?.close()
        Platform.exit(code)
    }
}
