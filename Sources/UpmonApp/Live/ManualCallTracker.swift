import DnodeProtocol
import Synchronization
import UpnodeMonitor

/// One manual call's callbacks and outcome: counts invocations per callback, decides the
/// result (first invocation of the result callback) and fails at most once.
final class ManualCallTracker: Sendable {
    typealias ResultHandler =
        @Sendable (_ n: Int, _ ok: Bool, _ ms: Double, _ payload: JSONValue) -> Void

    struct State {
        var sentAt: ContinuousClock.Instant?
        var resultLabel: String?
        var invocations: [String: Int] = [:]
        var hasResult = false
        var isFailed = false
        var onResult: ResultHandler?
        var onFailure: (@Sendable (String) -> Void)?
    }

    let id: String
    let conn: ConnectionID
    let createdAt = ContinuousClock.now
    let update: @Sendable (LiveSession.CallUpdate) -> Void
    let state = Mutex(State())
    let onSettled: @Sendable () -> Void

    init(
        id: String, conn: ConnectionID,
        update: @escaping @Sendable (LiveSession.CallUpdate) -> Void,
        onSettled: @escaping @Sendable () -> Void
    ) {
        self.id = id
        self.conn = conn
        self.update = update
        self.onSettled = onSettled
    }

    var onResult: ResultHandler? {
        get { state.withLock { $0.onResult } }
        set { state.withLock { $0.onResult = newValue } }
    }

    var onFailure: (@Sendable (String) -> Void)? {
        get { state.withLock { $0.onFailure } }
        set { state.withLock { $0.onFailure = newValue } }
    }

    func setResultLabel(_ label: String?) { state.withLock { $0.resultLabel = label } }
    func markSent() { state.withLock { $0.sentAt = .now } }

    var isAwaitingResult: Bool {
        state.withLock { $0.sentAt != nil && !$0.hasResult && !$0.isFailed }
    }

    func elapsedMs() -> Double {
        let start = state.withLock { $0.sentAt } ?? createdAt
        return (ContinuousClock.now - start).milliseconds
    }

    func callback(label: String) -> LocalCallback {
        LocalCallback(label: label) { [self] arguments in
            invoked(label: label, arguments: arguments)
        }
    }

    func invoked(label: String, arguments: [DnodeValue]) {
        let ms = elapsedMs()
        let payload = JSONValue.array(arguments.map(\.json))
        let (n, isResult, handler) = state.withLock { state -> (Int, Bool, ResultHandler?) in
            state.invocations[label, default: 0] += 1
            let n = state.invocations[label] ?? 1
            let isResult = label == state.resultLabel && !state.isFailed
            if isResult && n == 1 { state.hasResult = true }
            return (n, isResult, isResult ? state.onResult : nil)
        }
        update(.invocation(label: label, n: n, ms: ms, arguments: payload))
        if isResult {
            handler?(n, !LiveSession.isErrorResult(payload), ms, payload)
            if n == 1 { onSettled() }
        }
    }

    func fail(code: String, message: String) {
        let handler = state.withLock { state -> (@Sendable (String) -> Void)?? in
            guard !state.hasResult && !state.isFailed else { return nil }
            state.isFailed = true
            return .some(state.onFailure)
        }
        guard let handler else { return }
        update(.failed(code: code, message: message))
        handler?(code)
        onSettled()
    }
}

/// Calls whose result has not arrived yet (so a link loss can fail them).
final class ManualCallRegistry: Sendable {
    let pending = Mutex<[String: ManualCallTracker]>([:])

    func register(
        _ id: String, conn: ConnectionID,
        update: @escaping @Sendable (LiveSession.CallUpdate) -> Void
    ) -> ManualCallTracker {
        let tracker = ManualCallTracker(id: id, conn: conn, update: update) { [weak self] in
            self?.pending.withLock { _ = $0.removeValue(forKey: id) }
        }
        pending.withLock { $0[id] = tracker }
        return tracker
    }

    func failSent(on conn: ConnectionID) {
        let lost = pending.withLock { $0.values.filter { $0.conn == conn && $0.isAwaitingResult } }
        for tracker in lost {
            tracker.fail(
                code: "link_down",
                message: "the link went down before the result; the call may or may not have run")
        }
    }

    func failAll(_ code: String) {
        let all = pending.withLock { Array($0.values) }
        for tracker in all { tracker.fail(code: code, message: "upmon is shutting down") }
    }
}
