import DnodeProtocol
import OrderedCollections
import Synchronization
import Upnode
import UpnodeMonitor

/// The live links of one upmon run: a client per connection spec, their merged monitor
/// feed, and manual calls (the call dialog and `upmon call`).
public final class LiveSession: Sendable {
    public let specs: [ConnectionSpec]
    public let infos: [ConnectionInfo]
    public let feed: MonitorFeed
    let clients: [ConnectionID: UpnodeClient]
    /// Keep call arguments and results in recordings and `--json` (default: shapes only).
    public let recordsArguments: Bool
    let calls = ManualCallRegistry()
    let callCounter = Mutex(0)
    /// Run by `close()` before the feed ends (a tap stops listening there).
    let closeHooks = Mutex<[@Sendable () async -> Void]>([])

    /// `extraLinks` are rows that no client of this session dials (a tap's own rows); their
    /// events come into `feed` from whoever owns them.
    public init(
        specs: [ConnectionSpec], recordsArguments: Bool = false,
        environment: [String: String] = [:],
        extraLinks: [ConnectionInfo] = []
    ) {
        self.specs = specs
        self.recordsArguments = recordsArguments
        feed = MonitorFeed()
        var infos: [ConnectionInfo] = []
        var clients: [ConnectionID: UpnodeClient] = [:]
        for (index, spec) in specs.enumerated() {
            let id = ConnectionID(index: index)
            infos.append(
                ConnectionInfo(
                    id: id, name: spec.name, endpoint: spec.endpoint.normalized,
                    options: ConnectionOptions(
                        pingMilliseconds: Int(spec.link.pingInterval.milliseconds),
                        timeoutMilliseconds: Int(spec.link.pingTimeout.milliseconds),
                        reconnect: spec.link.reconnect.description)))
            clients[id] = UpnodeClient(
                endpoint: spec.endpoint, configuration: spec.link, tls: spec.tls,
                onConnect: spec.auth.map { Self.authHook($0, environment: environment) })
        }
        self.infos = infos + extraLinks
        self.clients = clients
    }

    /// The upnode auth pattern: `method(args…, cb)`; `cb(err)` refuses, `cb(null, session)`
    /// goes up with `session` when it has methods, else with the plain remote.
    static func authHook(_ auth: AuthSpec, environment: [String: String])
        -> UpnodeClient.ConnectHook
    {
        { remote in
            let arguments: [DnodeValue]
            switch auth.resolve(environment: environment) {
            case .success(let values): arguments = values
            case .failure(let missing): throw AuthFailure(text: missing.description)
            }
            let reply = try await remote.request(auth.method, arguments)
            if let error = reply.first, !error.isNull {
                throw AuthFailure(text: "\(auth.method) refused: \(error.json.jsonText)")
            }
            if let session = reply.dropFirst().first, !session.functionPaths().isEmpty {
                return remote.object(session)
            }
            return remote
        }
    }

    /// The client for a connection.
    public func client(_ id: ConnectionID) -> UpnodeClient? { clients[id] }

    /// Starts every link and the feed.
    public func start() {
        for info in infos {
            guard let client = clients[info.id] else { continue }
            feed.watch(client, as: info.id)
            watchForLinkLoss(client, id: info.id)
            client.start()
        }
    }

    /// Closes every link and ends the feed.
    public func close() async {
        for client in clients.values { client.close() }
        for client in clients.values { _ = await client.state }
        for hook in closeHooks.withLock({ $0 }) { await hook() }
        calls.failAll("closed")
        feed.finish()
    }

    /// Runs `body` when the session closes, before its feed ends.
    public func onClose(_ body: @escaping @Sendable () async -> Void) {
        closeHooks.withLock { $0.append(body) }
    }

    public func reconnect(_ id: ConnectionID) { clients[id]?.reconnectNow() }
    public func hold(_ id: ConnectionID) { clients[id]?.hold() }

    /// A call's progress, for the dialog or `upmon call`.
    public enum CallUpdate: Sendable {
        case queued
        case waiting
        /// Invocation `n` of callback `label`, `ms` after the call was sent.
        case invocation(label: String, n: Int, ms: Double, arguments: JSONValue)
        case failed(code: String, message: String)
    }

    /// Sends `method(args…)` through the link's `up` queue. In `args` (a JSON array) every
    /// `{"$cb":"label"}` becomes a callback whose invocations are streamed; with
    /// `autoCallback` and no `$cb`, a callback labelled `cb` is appended (Node's convention).
    /// The first invocation of the first callback is the result: ok, unless its first argument
    /// is an error object (`{"message": …}`, what Node sends for an Error).
    @discardableResult
    public func call(
        id: String? = nil, conn: ConnectionID, method: String, args: [JSONValue],
        autoCallback: Bool = true,
        wait: Duration, origin: MonitorEvent.CallOrigin = .manual,
        update: @escaping @Sendable (CallUpdate) -> Void
    ) -> String {
        let callID = id ?? nextCallID()
        guard let client = clients[conn] else {
            update(.failed(code: "no_such_connection", message: "no connection \(conn)"))
            return callID
        }
        let feed = self.feed
        let recordsArguments = self.recordsArguments
        let tracker = calls.register(callID, conn: conn, update: update)
        var labels: [String] = []
        var values = args.map { Self.placeCallbacks($0, tracker: tracker, labels: &labels) }
        if labels.isEmpty && autoCallback {
            labels.append("cb")
            values.append(.function(.local(tracker.callback(label: "cb"))))
        }
        tracker.setResultLabel(labels.first)
        let arguments = values
        let wire = DnodeValue.array(arguments).json
        let (recorded, redacted) = Redaction.recordedArguments(
            wire, recordArgs: recordsArguments, isAuthCall: false)
        feed.emit(
            .call(id: callID, method: method, origin: origin, args: recorded, redacted: redacted),
            conn: conn)
        tracker.onResult = { n, ok, ms, payload in
            let (value, isRedacted) = Redaction.recordedArguments(
                payload, recordArgs: recordsArguments, isAuthCall: false)
            feed.emit(
                .result(
                    id: callID, n: n, ok: ok, durMs: ms,
                    payload: ok ? value : .object(["remote": value]), redacted: isRedacted),
                conn: conn)
        }
        tracker.onFailure = { code in
            feed.emit(
                .result(
                    id: callID, n: 1, ok: false, durMs: tracker.elapsedMs(),
                    payload: .object(["code": .string(code)]), redacted: false), conn: conn)
        }
        Task {
            let isUp = await client.state == .up
            if !isUp { update(.queued) }
            client.whenUp(timeout: wait) { remote in
                tracker.markSent()
                update(.waiting)
                do {
                    try remote.call(method, arguments)
                } catch {
                    tracker.fail(code: "no_such_method", message: "\(error)")
                }
            } onFailure: { error in
                tracker.fail(code: error.code, message: error.description)
            }
        }
        return callID
    }

    /// Whether a result (the callback's arguments as a JSON array) reports a failure: Node sends
    /// an Error as `{"message": …}`, and error-first callbacks put it first.
    public static func isErrorResult(_ arguments: JSONValue) -> Bool {
        if case .object(let members)? = arguments.arrayValue?.first, members["message"] != nil {
            return true
        }
        return false
    }

    func nextCallID() -> String {
        callCounter.withLock { value in
            value += 1
            return "m\(value)"
        }
    }

    static func placeCallbacks(
        _ json: JSONValue, tracker: ManualCallTracker, labels: inout [String]
    ) -> DnodeValue {
        switch json {
        case .object(let members):
            if members.count == 1, let label = members["$cb"]?.stringValue {
                labels.append(label)
                return .function(.local(tracker.callback(label: label)))
            }
            var result = OrderedDictionary<String, DnodeValue>()
            for (key, value) in members {
                result[key] = placeCallbacks(value, tracker: tracker, labels: &labels)
            }
            return .object(result)
        case .array(let elements):
            return .array(elements.map { placeCallbacks($0, tracker: tracker, labels: &labels) })
        default:
            return DnodeValue(json)
        }
    }

    /// Calls already sent on a link that goes down before their result fail with `link_down`.
    func watchForLinkLoss(_ client: UpnodeClient, id: ConnectionID) {
        let calls = self.calls
        client.addEventHandler { event in
            if case .state(.up, let to, _) = event, to != .up { calls.failSent(on: id) }
        }
    }
}

struct AuthFailure: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}
