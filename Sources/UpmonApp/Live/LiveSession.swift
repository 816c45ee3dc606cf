import DnodeProtocol
import OrderedCollections
import Synchronization
import Upnode
import UpnodeMonitor
import UpnodeMonitorEndpoint

/// The live links of one upmon run: a client per connection spec, their merged monitor
/// feed, and manual calls (the call dialog and `upmon call`).
public final class LiveSession: Sendable {
    /// The links the session started with (`c1` … `cN`); later ones join with `add`.
    public let specs: [ConnectionSpec]
    /// The links the session started with, as a recording header lists them.
    public let infos: [ConnectionInfo]
    public let feed: MonitorFeed
    /// The running clients; links join (`add`) and leave (`remove`) while the session runs.
    let table: Mutex<ClientTable>
    /// Keep call arguments and results in recordings and `--json` (default: shapes only).
    public let recordsArguments: Bool
    let calls = ManualCallRegistry()
    let callCounter = Mutex(0)
    /// Set for `upmon attach`: another app's links, read from its endpoint, instead of clients.
    public let attachment: AttachSession?
    /// How fast `start` dials the links (see `ConnectPacing`).
    public let pacing: ConnectPacing
    /// Starts the batches after the first; cancelled by `close`.
    let pacer = Mutex<Task<Void, Never>?>(nil)
    let environment: [String: String]

    /// The clients by id, in the order they joined.
    struct ClientTable {
        var order: [ConnectionID] = []
        var clients: [ConnectionID: UpnodeClient] = [:]
        var isStarted = false
        var isClosed = false
    }
    /// Run by `close()` before the feed ends (a tap stops listening there).
    let closeHooks = Mutex<[@Sendable () async -> Void]>([])

    /// `extraLinks` are rows that no client of this session dials (a tap's own rows); their
    /// events come into `feed` from whoever owns them.
    public init(
        specs: [ConnectionSpec], recordsArguments: Bool = false,
        environment: [String: String] = [:],
        pacing: ConnectPacing = .standard,
        extraLinks: [ConnectionInfo] = []
    ) {
        self.specs = specs
        self.recordsArguments = recordsArguments
        self.pacing = pacing
        self.environment = environment
        feed = MonitorFeed()
        var infos: [ConnectionInfo] = []
        var initial = ClientTable()
        for (index, spec) in specs.enumerated() {
            let id = ConnectionID(index: index)
            infos.append(Self.info(of: spec, id: id))
            initial.order.append(id)
            initial.clients[id] = Self.makeClient(spec, environment: environment)
        }
        self.infos = infos + extraLinks
        table = Mutex(initial)
        attachment = nil
    }

    /// The links of other apps (`upmon attach`): no clients, so calls, reconnect and hold
    /// are not available; everything else (dashboard, `--json`, `record`) works the same.
    public init(attached: AttachSession) {
        specs = []
        recordsArguments = false
        environment = [:]
        infos = attached.infos
        feed = attached.feed
        table = Mutex(ClientTable())
        attachment = attached
        pacing = .standard
    }

    /// How link `id` with `spec` is listed (recording header, `link_added`).
    public static func info(of spec: ConnectionSpec, id: ConnectionID) -> ConnectionInfo {
        ConnectionInfo(
            id: id, name: spec.name, endpoint: spec.endpoint.normalized,
            options: ConnectionOptions(
                pingMilliseconds: Int(spec.link.pingInterval.milliseconds),
                timeoutMilliseconds: Int(spec.link.pingTimeout.milliseconds),
                reconnect: spec.link.reconnect.description))
    }

    static func makeClient(_ spec: ConnectionSpec, environment: [String: String]) -> UpnodeClient {
        UpnodeClient(
            endpoint: spec.endpoint, configuration: spec.link, tls: spec.tls,
            onConnect: spec.auth.map { Self.authHook($0, environment: environment) })
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
    public func client(_ id: ConnectionID) -> UpnodeClient? {
        table.withLock { $0.clients[id] }
    }

    /// The ids of the running links, in the order they joined.
    public var runningIDs: [ConnectionID] { table.withLock { $0.order } }

    /// Starts the feed and every link, paced per endpoint (`pacing`): the first `window`
    /// links of each endpoint at once, the next as soon as a dial before it finishes (from
    /// the link's event handler), and a task that frees the places of dials older than
    /// `maxWait` until every link has started.
    public func start() {
        if let attachment { return attachment.start() }
        let running = table.withLock { table -> [(ConnectionID, UpnodeClient)] in
            guard !table.isStarted else { return [] }
            table.isStarted = true
            return table.order.compactMap { id in table.clients[id].map { (id, $0) } }
        }
        let endpoints = Dictionary(infos.map { ($0.id, $0.endpoint) }) { first, _ in first }
        let window = SharedDialWindow(
            DialWindow(
                pacing: pacing, endpoints: running.map { endpoints[$0.0] ?? "\($0.0)" }))
        let origin = ContinuousClock.now
        let startDue: @Sendable () -> Bool = {
            let now = (ContinuousClock.now - origin).inSeconds
            let (due, isDone) = window.value.withLock { ($0.due(now: now), $0.isDone) }
            for index in due { running[index].1.start() }
            return isDone
        }
        for (index, (id, client)) in running.enumerated() {
            feed.watch(client, as: id)
            watchLink(client, id: id) {
                window.value.withLock { $0.dialed(index) }
                _ = startDue()
            }
        }
        guard !startDue() else { return }
        let tick = Duration.seconds(max(0.01, pacing.maxWait / 4))
        pacer.withLock { pacer in
            pacer = Task {
                while !startDue() {
                    do { try await Task.sleep(for: tick) } catch { return }
                }
            }
        }
    }

    private func begin(_ client: UpnodeClient, as id: ConnectionID) {
        feed.watch(client, as: id)
        watchLink(client, id: id) {}
        client.start()
    }

    /// Adds link `id` while the session runs: `link_added` goes into the feed before any
    /// event of the new client. Nothing happens when `id` is taken or the session closed.
    @discardableResult
    public func add(_ spec: ConnectionSpec, as id: ConnectionID) -> ConnectionInfo? {
        let info = Self.info(of: spec, id: id)
        let client = Self.makeClient(spec, environment: environment)
        let isStarted = table.withLock { table -> Bool? in
            guard !table.isClosed, table.clients[id] == nil else { return nil }
            table.order.append(id)
            table.clients[id] = client
            return table.isStarted
        }
        guard let isStarted else { return nil }
        feed.emit(
            .linkAdded(name: info.name, endpoint: info.endpoint, options: info.options), conn: id)
        if isStarted { begin(client, as: id) }
        return info
    }

    /// Closes link `id` and lets it leave: its last events (`closed`, queued transactions
    /// failing with `closed`) come first, then `link_removed` with `reason`. Returns false
    /// when there is no such link.
    @discardableResult
    public func remove(_ id: ConnectionID, reason: String) async -> Bool {
        let client = table.withLock { table -> UpnodeClient? in
            table.order.removeAll { $0 == id }
            return table.clients.removeValue(forKey: id)
        }
        guard let client else { return false }
        client.close()
        _ = await client.state
        feed.emit(.linkRemoved(reason: reason), conn: id)
        return true
    }

    /// Closes every link and ends the feed.
    public func close() async {
        if let attachment { return await attachment.close() }
        pacer.withLock { $0?.cancel() }
        let clients = table.withLock { table in
            table.isClosed = true
            return Array(table.clients.values)
        }
        for client in clients { client.close() }
        for client in clients { _ = await client.state }
        for hook in closeHooks.withLock({ $0 }) { await hook() }
        calls.failAll("closed")
        feed.finish()
    }

    /// What actions that need the link say on an attached one.
    public static let notForAttachedLinks = "not available for attached links"

    /// Runs `body` when the session closes, before its feed ends.
    public func onClose(_ body: @escaping @Sendable () async -> Void) {
        closeHooks.withLock { $0.append(body) }
    }

    public func reconnect(_ id: ConnectionID) { client(id)?.reconnectNow() }
    public func hold(_ id: ConnectionID) { client(id)?.hold() }

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
        guard let client = client(conn) else {
            if attachment != nil {
                update(.failed(code: "not_available", message: Self.notForAttachedLinks))
                return callID
            }
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

    /// Calls already sent on a link that goes down before their result fail with `link_down`;
    /// `dialed` runs each time a connection attempt ends (up, or failed), for pacing.
    func watchLink(_ client: UpnodeClient, id: ConnectionID, dialed: @escaping @Sendable () -> Void)
    {
        let calls = self.calls
        client.addEventHandler { event in
            guard case .state(let from, let to, _) = event else { return }
            if from == .up, to != .up { calls.failSent(on: id) }
            // Up or failed: the server has answered (a unix-socket connect completes while
            // the connection still waits in the server's backlog, so the dial phase is not it).
            if case .connecting = from {
                if case .connecting = to {} else { dialed() }
            }
        }
    }
}

struct AuthFailure: Error, CustomStringConvertible {
    let text: String
    var description: String { text }
}
