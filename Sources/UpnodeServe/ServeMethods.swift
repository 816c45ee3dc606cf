import DnodeProtocol
import NIOCore
import OrderedCollections
import Synchronization
import Upnode

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The methods of `upmon serve`: a ready server for trying things out, the demo and tests.
/// Not part of the `Upnode` library: a non-product target of this package.
///
/// Results are plain callback arguments (not error-first), except `fail` and `auth`:
/// `echo(...args, cb)`, `add(a, b, cb)` (JavaScript `+`), `slow(ms, cb)`, `fail(cb)`,
/// `time(cb)`, `subscribe(fn, everyMs = 100, times = 0)`, `mark(tag, cb)` and, with
/// credentials, `auth(user, pass, cb)` → `cb(null, session)` or `cb("ACCESS DENIED")`.
public final class ServeMethods: Sendable {
    /// What the server exports and how it behaves (the demo's personalities).
    public struct Options: Sendable {
        /// `user:pass` accepted by `auth`; nil = no auth method.
        public var credentials: (user: String, password: String)?
        /// Expose only `auth` at the top level (the upnode README's auth example).
        public var authOnly = false
        /// Extra delay before every reply, milliseconds (demo personalities).
        public var replyDelayMs: ClosedRange<Double>?
        /// Fraction of pings left unanswered (demo: a lossy link).
        public var dropPingFraction = 0.0
        /// Also export `countdown(n, cb)`: n invocations of cb, 300 ms apart (the demo's
        /// streaming example; not part of `upmon serve`'s contract, which matches Node's server).
        public var includeCountdown = false
        /// `upmon serve`'s defaults: no auth, no delays, every ping answered.
        public init() {}
    }

    let options: Options
    let marks = Mutex<[String: Int]>([:])
    let random = Mutex(SplitMix64(seed: 42))

    /// Methods with `options`; one instance's `mark` counts are shared by all its peers.
    public init(options: Options = Options()) {
        self.options = options
    }

    /// The factory to pass to `UpnodeServer.listen`.
    public var factory: UpnodeServer.MethodsFactory {
        { [self] peer in self.methods(for: peer) }
    }

    /// Exported in the order Node's reference server uses, so callback ids match its transcripts.
    func methods(for peer: Remote) -> OrderedDictionary<String, DnodeValue> {
        var all = standardMethods(peer)
        let ping = all.removeValue(forKey: "ping")
        if options.includeCountdown { all["countdown"] = countdown(peer) }
        guard let credentials = options.credentials else {
            all["ping"] = ping
            return all
        }
        var session: OrderedDictionary<String, DnodeValue> = [
            "beep": .function(label: "beep") { [self] arguments in
                reply(peer, arguments.first, [.string("boop")])
            },
            "whoami": .function(label: "whoami") { [self] arguments in
                reply(peer, arguments.last, [.string(credentials.user)])
            },
        ]
        session.merge(all) { current, _ in current }
        let sessionObject = DnodeValue.object(session)
        let auth = DnodeValue.function(label: "auth") { [self] arguments in
            let user = arguments.first?.stringValue
            let password = arguments.count > 1 ? arguments[1].stringValue : nil
            if user == credentials.user && password == credentials.password {
                reply(peer, arguments.last, [.null, sessionObject])
            } else {
                reply(peer, arguments.last, [.string("ACCESS DENIED")])
            }
        }
        if options.authOnly { return ["auth": auth, "ping": ping ?? .null] }
        all["auth"] = auth
        all["ping"] = ping
        return all
    }

    func standardMethods(_ peer: Remote) -> OrderedDictionary<String, DnodeValue> {
        [
            "echo": .function(label: "echo") { [self] arguments in
                guard case .function? = arguments.last else { return }
                reply(peer, arguments.last, Array(arguments.dropLast()))
            },
            "add": .function(label: "add") { [self] arguments in
                guard arguments.count >= 3 else { return }
                reply(peer, arguments.last, [javaScriptPlus(arguments[0], arguments[1])])
            },
            "slow": .function(label: "slow") { [self] arguments in
                let ms = arguments.first?.doubleValue ?? 0
                let delay = max(0, min(ms, 3_600_000))
                peer.eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1_000_000))) {
                    self.reply(peer, arguments.last, [arguments.first ?? .null])
                }
            },
            "fail": .function(label: "fail") { [self] arguments in
                reply(peer, arguments.last, [.object(["message": .string("boom")])])
            },
            "time": .function(label: "time") { [self] arguments in
                reply(peer, arguments.last, [.int(Self.epochMilliseconds())])
            },
            "subscribe": .function(label: "subscribe") { arguments in
                guard case .function(let function)? = arguments.first else { return }
                let every = max(
                    1, min(arguments.count > 1 ? arguments[1].doubleValue ?? 100 : 100, 3_600_000))
                let times = arguments.count > 2 ? Int(arguments[2].doubleValue ?? 0) : 0
                let period = TimeAmount.nanoseconds(Int64(every * 1_000_000))
                let count = Mutex(0)
                peer.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { task in
                    let n = count.withLock { value in
                        value += 1
                        return value
                    }
                    peer.invokeWhileOpen(function, [.int(Int64(n))]) { task.cancel() }
                    if times > 0 && n >= times { task.cancel() }
                }
            },
            "mark": .function(label: "mark") { [self] arguments in
                let tag = arguments.first.map { javaScriptString($0) } ?? "undefined"
                let seen = marks.withLock { table in
                    table[tag, default: 0] += 1
                    return table[tag] ?? 1
                }
                reply(peer, arguments.last, [arguments.first ?? .null, .int(Int64(seen))])
            },
            "ping": .function(label: "ping") { [self] arguments in
                let drop =
                    options.dropPingFraction > 0
                    && random.withLock { Double.random(in: 0..<1, using: &$0) }
                        < options.dropPingFraction
                if !drop { reply(peer, arguments.last, []) }
            },
        ]
    }

    func countdown(_ peer: Remote) -> DnodeValue {
        .function(label: "countdown") { arguments in
            let total = max(0, min(Int(arguments.first?.doubleValue ?? 3), 1000))
            guard case .function(let function)? = arguments.last, total > 0 else { return }
            let count = Mutex(0)
            peer.eventLoop.scheduleRepeatedTask(
                initialDelay: .milliseconds(300), delay: .milliseconds(300)
            ) { task in
                let remaining = count.withLock { value in
                    value += 1
                    return total - value
                }
                peer.invokeWhileOpen(function, [.int(Int64(remaining))]) { task.cancel() }
                if remaining <= 0 { task.cancel() }
            }
        }
    }

    /// Invokes `callback` (if it is a function) with `arguments`, after the configured delay.
    func reply(_ peer: Remote, _ callback: DnodeValue?, _ arguments: [DnodeValue]) {
        guard case .function(let function)? = callback else { return }
        if let range = options.replyDelayMs {
            let ms = random.withLock { Double.random(in: range, using: &$0) }
            peer.eventLoop.scheduleTask(in: .nanoseconds(Int64(ms * 1_000_000))) {
                peer.invoke(function, arguments)
            }
        } else {
            peer.invoke(function, arguments)
        }
    }

    static func epochMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// JavaScript's binary `+`: numbers add; if either side is a string (or an object/array,
/// which JavaScript turns into a string), the two are concatenated as strings.
public func javaScriptPlus(_ lhs: DnodeValue, _ rhs: DnodeValue) -> DnodeValue {
    func isNumeric(_ value: DnodeValue) -> Bool {
        switch value {
        case .int, .double, .bool, .null: true
        default: false
        }
    }
    func number(_ value: DnodeValue) -> Double {
        switch value {
        case .int(let n): Double(n)
        case .double(let n): n
        case .bool(let b): b ? 1 : 0
        default: 0
        }
    }
    if isNumeric(lhs) && isNumeric(rhs) {
        if case .int(let a) = lhs, case .int(let b) = rhs {
            let (sum, overflow) = a.addingReportingOverflow(b)
            if !overflow { return .int(sum) }
        }
        return .double(number(lhs) + number(rhs))
    }
    return .string(javaScriptString(lhs) + javaScriptString(rhs))
}

/// JavaScript's `String(value)` for values that came over the wire.
public func javaScriptString(_ value: DnodeValue) -> String {
    switch value {
    case .null: "null"
    case .bool(let b): b ? "true" : "false"
    case .int, .double: value.json.jsonText
    case .string(let s): s
    case .array(let elements):
        elements.map { $0.isNull ? "" : javaScriptString($0) }.joined(separator: ",")
    case .object, .cycle: "[object Object]"
    case .function: "function () { [native code] }"
    }
}
