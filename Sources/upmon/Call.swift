import ArgumentParser
import DnodeProtocol
import Foundation
import UpmonApp
import Upnode
import UpnodeMonitor

/// `upmon call CONN METHOD [ARG…]`: one call through the queue, invocations as JSON lines.
struct Call: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Call a remote method once (through the queue, so it waits for a down link to come up).",
        discussion: """
            Each ARG is a JSON literal; a bare word that is not JSON is sent as a string (--strict-json
            turns that off). A callback is appended (Node's convention); {"$cb":"label"} places one
            yourself. Each invocation prints {"n":1,"ms":13.9,"args":[…]}.
            Exit 0 on success, 1 on error or timeout, 2 on a config error.
            """
    )

    @Argument(help: "A configured connection name, or an endpoint such as 127.0.0.1:7000.")
    var connection: String
    @Argument(help: "The method (dotted paths like session.whoami work).") var method: String
    @Argument(help: "Arguments, each a JSON literal.") var arguments: [String] = []
    @OptionGroup var connectionOptions: ConnectionOptions
    @OptionGroup var linkOptions: LinkOptions
    @Option(
        help: "Give up after this long, waiting for the link plus the answer (default: 10s).",
        transform: DurationArgument.parse)
    var timeout: DurationArgument = DurationArgument(.seconds(10))
    @Option(
        help: "Keep printing invocations for this long after the first.",
        transform: DurationArgument.parse)
    var stream: DurationArgument?
    @Flag(help: "Reject arguments that are not valid JSON.") var strictJson = false
    @Flag(help: "Do not append a callback.") var noCallback = false

    func run() async throws {
        let config = connectionOptions.loadOrExit(commandLine: [])
        var spec: ConnectionSpec
        // A short reconnect delay: the call waits for the link, not for Node's 1 s default.
        var settings = linkOptions.settings()
        settings.reconnect = settings.reconnect ?? .fixed(.milliseconds(500))
        if let named = config.connections.first(where: { $0.name == connection }) {
            spec = named
            spec.link.reconnect = .fixed(.milliseconds(500))
        } else {
            do {
                spec = try ConnectionSpec(commandLine: connection)
                settings.apply(to: &spec)
            } catch {
                exitWith(
                    "'\(connection)' is neither a configured connection nor an endpoint: \(error)",
                    code: 2)
            }
        }
        var values: [JSONValue] = []
        for (index, text) in arguments.enumerated() {
            if let value = try? JSONValue(parsing: text) {
                values.append(value)
            } else if strictJson {
                exitWith(
                    "argument \(index + 1) '\(text)' is not valid JSON (quote strings: '\"text\"')",
                    code: 2)
            } else {
                values.append(.string(text))
            }
        }
        let session = LiveSession(
            specs: [spec], recordsArguments: true, environment: ProcessInfo.processInfo.environment)
        session.start()
        let (updates, continuation) = AsyncStream.makeStream(of: Progress.self)
        let deadline = ContinuousClock.now + timeout.duration
        session.call(
            conn: session.infos[0].id, method: method, args: values, autoCallback: !noCallback,
            wait: timeout.duration, update: { continuation.yield(.call($0)) })
        let timer = Task {
            // Cancelled: answered in time.
            guard (try? await Task.sleep(until: deadline)) != nil else { return }
            continuation.yield(
                .call(
                    .failed(
                        code: "timeout",
                        message: "no answer within \(timeout.duration.shortDescription)")))
        }
        // Say so only when the link is really slow to come up, not for the usual first connect.
        let queuedNotice = Task {
            guard (try? await Task.sleep(for: .seconds(1))) != nil else { return }
            continuation.yield(.noticeDue)
        }
        // The link's state, so the notices can say why it is not up.
        let infos = session.infos
        let feed = session.feed
        let watcher = Task {
            var state = MonitorState(connections: infos)
            for await event in feed.events {
                state.apply(event)
                guard case .state = event.kind, let link = state.connections.first else { continue }
                continuation.yield(.link(link))
            }
        }
        var notices = CallNotices(name: spec.name)
        func notify(_ line: String?) {
            guard let line else { return }
            FileHandle.standardError.write(Data("upmon: \(line)\n".utf8))
        }
        var exitCode: Int32 = 1
        var streamUntil: ContinuousClock.Instant?
        var streamTimer: Task<Void, Never>?
        loop: for await progress in updates {
            switch progress {
            case .noticeDue:
                notify(notices.noticeDue())
            case .link(let link):
                notify(notices.linkChanged(link))
            case .call(.queued):
                break
            case .call(.waiting):
                notices.sent()
                queuedNotice.cancel()
            case .call(.invocation(let label, let n, let ms, let args)):
                var line: OrderedDictionaryLine = [
                    ("n", .int(Int64(n))), ("ms", .double((ms * 10).rounded() / 10)),
                    ("args", args),
                ]
                if label != "cb" { line.insert(("cb", .string(label)), at: 0) }
                // For people: UTF-8 text as it is, not \u escapes.
                StandardOutput.write(
                    JSONValue.object(.init(uniqueKeysWithValues: line)).text(.readable) + "\n")
                if exitCode == 1 {
                    exitCode = LiveSession.isErrorResult(args) ? 1 : 0
                    timer.cancel()
                    guard let stream else { break loop }
                    let until = ContinuousClock.now + stream.duration
                    streamUntil = until
                    streamTimer = Task {
                        guard (try? await Task.sleep(until: until)) != nil else { return }
                        continuation.finish()
                    }
                }
            case .call(.failed(let code, let message)):
                if streamUntil != nil { break loop }
                notify("\(method) on \(spec.name) " + notices.failure(code: code, message: message))
                break loop
            }
        }
        watcher.cancel()
        streamTimer?.cancel()
        timer.cancel()
        queuedNotice.cancel()
        await session.close()
        Platform.exit(exitCode)
    }
}

typealias OrderedDictionaryLine = [(String, JSONValue)]

/// What `upmon call` waits on: the call's progress, the link's state, the notice timer.
private enum Progress: Sendable {
    case call(LiveSession.CallUpdate)
    case link(ConnectionStats)
    case noticeDue
}
