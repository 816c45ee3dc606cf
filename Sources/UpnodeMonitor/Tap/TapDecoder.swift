import DequeModule
import DnodeProtocol

/// The two ends of a tapped connection: the client that dialled the tap and the target.
public enum TapSide: String, Sendable, CaseIterable {
    case client, server

    /// The other end.
    public var peer: TapSide { self == .client ? .server : .client }
}

/// Which way bytes travel through the tap.
public enum TapDirection: String, Sendable, CaseIterable {
    /// Client to server (target).
    case c2s
    /// Server (target) to client.
    case s2c

    /// The side that wrote the bytes.
    public var sender: TapSide { self == .c2s ? .client : .server }
}

/// Watches one dnode connection from the middle and pairs requests with their answers,
/// without taking part (docs/PROTOCOL.md, "Decoding tapped traffic").
///
/// Pure: complete lines go in with their direction and time, observations come out. Every
/// call travels as the invocation of a callback id the receiver exported, either in its
/// `methods` message (a named method) or in an earlier message (a reply callback, or a
/// function passed inside a result). The decoder keeps one id table per side and follows
/// the `callbacks` field of every message. Memory is bounded by `Options.maxPending` reply
/// callbacks and `Options.maxNamed` named functions; the oldest reply callback is evicted
/// (and its call reported unanswered) when the table is full.
public struct TapDecoder: Sendable {
    /// How a callback's first argument decides success.
    public enum ErrorRule: String, Sendable, CaseIterable {
        /// Node's habit: an error is an `Error` (`{"message": …}`) in first place, or any
        /// non-null first argument followed by more (`cb(err, value)`). `cb(5)` is a result.
        case node
        /// Strict error-first: any non-null first argument is an error.
        case firstArgument = "first-arg"
    }

    /// Limits and conventions.
    public struct Options: Sendable, Equatable {
        /// Seconds without a first answer after which a call counts as unanswered.
        public var unansweredAfter: Double = 30
        /// Reply callbacks remembered across both sides; beyond it the oldest is evicted.
        public var maxPending = 10_000
        /// Named functions (methods, functions passed in results) remembered per side.
        public var maxNamed = 65_536
        /// How errors are recognised.
        public var errorRule: ErrorRule = .node
        /// Keep argument and result values in observations (otherwise only their shape).
        public var recordArguments = false
        /// Defaults: 30 s, 10,000 pending, Node's error convention, shapes only.
        public init() {}
    }

    /// Something the decoder learnt from the traffic.
    public enum Observation: Sendable, Equatable {
        /// `side` sent its `methods` message with these function names (dotted paths).
        case methods(side: TapSide, names: [String])
        /// `caller` called `method`; `id` numbers the call within the connection. `awaits`
        /// is false when the call carried no callback (no answer can come).
        case call(id: Int, method: String, caller: TapSide, args: JSONValue, awaits: Bool)
        /// Answer `n` (1 = first) to call `id`, `durMs` after the call. `late` is set when
        /// the call had already been reported unanswered.
        case result(
            id: Int, method: String, caller: TapSide, n: Int, ok: Bool, durMs: Double,
            payload: JSONValue, late: Bool)
        /// Call `id` got no first answer: `reason` is `timeout` (after `unansweredAfter`),
        /// `culled`, `evicted` or `closed`.
        case unanswered(id: Int, method: String, caller: TapSide, afterMs: Double, reason: String)
        /// A line that could not be decoded, or a message that could not be paired.
        case problem(TapProblem)
    }

    /// A line the decoder could not use; the bytes were forwarded as they came anyway.
    public struct TapProblem: Sendable, Equatable {
        /// `malformed` (not JSON, not a dnode message) or `unpaired` (an id nobody exported).
        public var code: String
        public var direction: TapDirection
        /// A short description, bounded.
        public var text: String
        /// A problem of `code` on `direction`.
        public init(code: String, direction: TapDirection, text: String) {
            self.code = code
            self.direction = direction
            self.text = text
        }
    }

    /// Running totals of what could not be followed.
    public struct Counters: Sendable, Equatable {
        public var malformed = 0
        public var unpaired = 0
        public var evicted = 0
        public var namedRefused = 0
        public init() {}
    }

    /// What one exported callback id stands for.
    enum Export: Sendable, Equatable {
        /// A function with a name: from `methods`, or passed inside an answer.
        case named(String)
        /// A callback passed with call `id`: invoking it answers that call.
        case reply(call: Int, seq: Int)
    }

    struct Call: Sendable {
        var method: String
        var caller: TapSide
        var start: Double
        var answers = 0
        var reportedUnanswered = false
        /// Reply callbacks still pointing at the call.
        var references: Int
    }

    struct SideTable: Sendable {
        var exports: [Int: Export] = [:]
        var namedCount = 0
    }

    public let options: Options
    public private(set) var counters = Counters()
    var sides: [TapSide: SideTable] = [.client: SideTable(), .server: SideTable()]
    var calls: [Int: Call] = [:]
    /// Reply callbacks in the order they were declared, for eviction (stale entries skipped).
    var replyOrder = Deque<(side: TapSide, id: Int, seq: Int)>()
    var replyCount = 0
    /// Calls awaiting a first answer, oldest first (answered ones skipped lazily).
    var waiting = Deque<Int>()
    var nextCallID = 1
    var nextSeq = 0

    /// A decoder that has seen nothing.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// Calls awaiting a first answer and not yet reported unanswered.
    public var inFlight: Int {
        calls.values.count { $0.answers == 0 && !$0.reportedUnanswered }
    }

    /// Reply callbacks held (bounded by `Options.maxPending`).
    public var pendingReplies: Int { replyCount }

    /// Decodes one complete line (without its LF) sent in `direction` at time `t` (seconds).
    public mutating func feed(
        line: some Collection<UInt8>, direction: TapDirection, t: Double
    ) -> [Observation] {
        var out: [Observation] = []
        let message: DnodeMessage
        do {
            message = try DnodeMessage(decoding: line)
        } catch {
            counters.malformed += 1
            out.append(
                .problem(
                    TapProblem(
                        code: "malformed", direction: direction,
                        text: MonitorText.bounded("\(error)", toBytes: 120))))
            return out
        }
        feed(message, direction: direction, t: t, into: &out)
        return out
    }

    /// Decodes one message.
    public mutating func feed(_ message: DnodeMessage, direction: TapDirection, t: Double)
        -> [Observation]
    {
        var out: [Observation] = []
        feed(message, direction: direction, t: t, into: &out)
        return out
    }

    private mutating func feed(
        _ message: DnodeMessage, direction: TapDirection, t: Double, into out: inout [Observation]
    ) {
        let sender = direction.sender
        let receiver = sender.peer
        switch message.method {
        case .name("methods"):
            var names: [String] = []
            for (id, path) in message.callbacks {
                let name = path.dropFirst().joined(separator: ".")
                names.append(name)
                declareNamed(side: sender, id: id, name: name)
            }
            out.append(.methods(side: sender, names: names.sorted()))
        case .name("cull"):
            for argument in message.arguments {
                guard let id = argument.intValue else { continue }
                forget(side: receiver, id: id, reason: "culled", t: t, into: &out)
            }
        case .name(let name):
            // Older peers call top-level methods by name.
            startCall(method: name, message, caller: sender, t: t, into: &out)
        case .callback(let id):
            switch sides[receiver]?.exports[id] {
            case .named(let name)?:
                startCall(method: name, message, caller: sender, t: t, into: &out)
            case .reply(let callID, _)?:
                answer(callID, message, t: t, into: &out)
            case nil:
                counters.unpaired += 1
                out.append(
                    .problem(
                        TapProblem(
                            code: "unpaired", direction: direction,
                            text: "call of \(receiver.rawValue) callback \(id), never exported")))
                declareNamedFromPaths(message, side: sender)
            }
        }
        expire(now: t, into: &out)
    }

    /// Reports calls that have waited `unansweredAfter` seconds without an answer.
    public mutating func expire(now t: Double) -> [Observation] {
        var out: [Observation] = []
        expire(now: t, into: &out)
        return out
    }

    /// The connection ended: every call still waiting is unanswered (`closed`).
    public mutating func close(at t: Double) -> [Observation] {
        var out: [Observation] = []
        while let callID = waiting.popFirst() {
            guard var call = calls[callID], call.answers == 0, !call.reportedUnanswered else {
                continue
            }
            call.reportedUnanswered = true
            calls[callID] = call
            out.append(unanswered(callID, call, t: t, reason: "closed"))
        }
        calls.removeAll()
        sides = [.client: SideTable(), .server: SideTable()]
        replyOrder.removeAll()
        replyCount = 0
        return out
    }

    private mutating func expire(now t: Double, into out: inout [Observation]) {
        while let callID = waiting.first {
            guard var call = calls[callID], call.answers == 0, !call.reportedUnanswered else {
                waiting.removeFirst()
                continue
            }
            guard t - call.start >= options.unansweredAfter else { return }
            waiting.removeFirst()
            call.reportedUnanswered = true
            calls[callID] = call
            out.append(unanswered(callID, call, t: t, reason: "timeout"))
        }
    }

    private func unanswered(_ callID: Int, _ call: Call, t: Double, reason: String)
        -> Observation
    {
        .unanswered(
            id: callID, method: call.method, caller: call.caller,
            afterMs: max(0, (t - call.start) * 1000), reason: reason)
    }

    private mutating func startCall(
        method: String, _ message: DnodeMessage, caller: TapSide, t: Double,
        into out: inout [Observation]
    ) {
        let callID = nextCallID
        nextCallID += 1
        let awaits = !message.callbacks.isEmpty
        out.append(
            .call(
                id: callID, method: method, caller: caller,
                args: recorded(.array(message.arguments)), awaits: awaits))
        guard awaits else { return }
        calls[callID] = Call(
            method: method, caller: caller, start: t, references: message.callbacks.count)
        waiting.append(callID)
        for id in message.callbacks.keys {
            declareReply(side: caller, id: id, call: callID, t: t, into: &out)
        }
    }

    private mutating func answer(
        _ callID: Int, _ message: DnodeMessage, t: Double, into out: inout [Observation]
    ) {
        guard var call = calls[callID] else { return }
        call.answers += 1
        let late = call.answers == 1 && call.reportedUnanswered
        calls[callID] = call
        let ok = !isError(message.arguments)
        let payload: JSONValue
        if ok {
            payload = recorded(.array(message.arguments))
        } else {
            payload = recorded(message.arguments.first ?? .null)
        }
        out.append(
            .result(
                id: callID, method: call.method, caller: call.caller, n: call.answers, ok: ok,
                durMs: max(0, (t - call.start) * 1000), payload: payload, late: late))
        // Functions inside an answer (an auth session's methods) become named functions of
        // the side that answered.
        declareNamedFromPaths(message, side: call.caller.peer)
    }

    /// Functions passed in a message that is not a call: named by their path.
    private mutating func declareNamedFromPaths(_ message: DnodeMessage, side: TapSide) {
        for (id, path) in message.callbacks {
            let rest = path.dropFirst().joined(separator: ".")
            declareNamed(side: side, id: id, name: rest.isEmpty ? "callback" : rest)
        }
    }

    private func isError(_ arguments: [JSONValue]) -> Bool {
        guard let first = arguments.first, !first.isNull else { return false }
        switch options.errorRule {
        case .firstArgument: return true
        case .node:
            if arguments.count >= 2 { return true }
            return first["message"] != nil
        }
    }

    private func recorded(_ value: JSONValue) -> JSONValue {
        options.recordArguments ? value : Redaction.shape(of: value)
    }

    private mutating func declareNamed(side: TapSide, id: Int, name: String) {
        if case .reply? = sides[side]?.exports[id] { dropReply(side: side, id: id) }
        guard sides[side]?.exports[id] == nil else {
            sides[side]?.exports[id] = .named(MonitorText.bounded(name))
            return
        }
        guard (sides[side]?.namedCount ?? 0) < options.maxNamed else {
            counters.namedRefused += 1
            return
        }
        sides[side]?.exports[id] = .named(MonitorText.bounded(name))
        sides[side]?.namedCount += 1
    }

    private mutating func declareReply(
        side: TapSide, id: Int, call callID: Int, t: Double, into out: inout [Observation]
    ) {
        switch sides[side]?.exports[id] {
        case .named?: sides[side]?.namedCount -= 1
        case .reply?: dropReply(side: side, id: id)
        case nil: break
        }
        let seq = nextSeq
        nextSeq += 1
        sides[side]?.exports[id] = .reply(call: callID, seq: seq)
        replyOrder.append((side, id, seq))
        replyCount += 1
        while replyCount > options.maxPending, let oldest = replyOrder.popFirst() {
            guard case .reply(_, let victimSeq)? = sides[oldest.side]?.exports[oldest.id],
                victimSeq == oldest.seq
            else { continue }
            counters.evicted += 1
            forget(side: oldest.side, id: oldest.id, reason: "evicted", t: t, into: &out)
        }
        // Stale order entries (culled replies) are dropped once they outnumber live ones.
        if replyOrder.count > 2 * options.maxPending + 64 { compactOrder() }
    }

    /// Forgets `side`'s callback `id`; a call left with no way to be answered is unanswered.
    private mutating func forget(
        side: TapSide, id: Int, reason: String, t: Double, into out: inout [Observation]
    ) {
        switch sides[side]?.exports[id] {
        case .named?:
            sides[side]?.exports[id] = nil
            sides[side]?.namedCount -= 1
        case .reply(let callID, _)?:
            dropReply(side: side, id: id)
            guard var call = calls[callID] else { return }
            if call.references <= 0 {
                if call.answers == 0 && !call.reportedUnanswered {
                    call.reportedUnanswered = true
                    out.append(unanswered(callID, call, t: t, reason: reason))
                }
                calls[callID] = nil
            }
        case nil:
            break
        }
    }

    /// Removes a reply entry and its reference on the call (the call record stays for the
    /// caller to finish).
    private mutating func dropReply(side: TapSide, id: Int) {
        guard case .reply(let callID, _)? = sides[side]?.exports[id] else { return }
        sides[side]?.exports[id] = nil
        replyCount -= 1
        calls[callID]?.references -= 1
    }

    private mutating func compactOrder() {
        replyOrder = Deque(
            replyOrder.filter { entry in
                if case .reply(_, let seq)? = sides[entry.side]?.exports[entry.id] {
                    return seq == entry.seq
                }
                return false
            })
    }
}
