import OrderedCollections

/// The dnode protocol for one connection, without I/O: feed it lines, it returns actions.
///
/// It owns the local callback table (ids 0, 1, 2, … in order of first transmission, never
/// reused), turns outgoing functions into placeholders and incoming placeholders into
/// `RemoteCallback` handles, applies `links` and `cull`, and reports every problem as a
/// typed error instead of trapping. Timers, sockets and threads belong to its owner.
public struct DnodeSession: Sendable {
    /// Size limits that keep a hostile peer from exhausting memory.
    public struct Limits: Sendable, Equatable {
        /// Local callbacks held at once (methods, pending callbacks, re-exported proxies).
        public var maxCallbacks: Int
        /// JSON nesting limit for incoming lines.
        public var maxDepth: Int
        /// Values that `links` may copy into one incoming message (non-ancestor links copy).
        public var maxLinkedValues: Int

        /// Limits for one session; the defaults leave room for any well-behaved peer.
        public init(
            maxCallbacks: Int = 65_536, maxDepth: Int = JSONParser.defaultMaxDepth,
            maxLinkedValues: Int = 100_000
        ) {
            self.maxCallbacks = maxCallbacks
            self.maxDepth = maxDepth
            self.maxLinkedValues = maxLinkedValues
        }
    }

    /// What the owner must do after feeding the session.
    public enum Action: Sendable {
        /// Write this message to the peer.
        case send(DnodeMessage)
        /// The peer's `methods` arrived (`isRepeat` when it sent them again).
        case remoteReady(remote: DnodeValue, methods: [String], isRepeat: Bool)
        /// Run a local function with arguments from the peer.
        case invoke(LocalCallback, [DnodeValue])
        /// Something was wrong; the session goes on unless `error.isFatal`.
        case error(DnodeProtocolError)
    }

    enum LocalEntry: Sendable {
        case function(LocalCallback)
        /// A proxy for the peer's own callback that we passed back to it: invoking it
        /// makes us call the peer's callback (docs/PROTOCOL.md, "Callbacks": passing functions through).
        case forward(remoteID: Int)
    }

    /// Identifies this connection's callbacks; remote handles from other sessions are refused.
    public let sessionID: UInt64
    /// The size limits this session enforces.
    public let limits: Limits
    private(set) var instance: DnodeValue
    var table: [Int: LocalEntry] = [:]
    var firstIDOfCallback: [ObjectIdentifier: Int] = [:]
    var firstIDOfForward: [Int: Int] = [:]
    var nextID = 0
    var hasSentMethods = false

    /// The peer's exported object, once its `methods` message arrived.
    public private(set) var remote: DnodeValue?

    /// Creates a session that exports `instance` (an object whose functions become methods).
    public init(sessionID: UInt64, instance: DnodeValue, limits: Limits = Limits()) {
        self.sessionID = sessionID
        if case .object = instance {
            self.instance = instance
        } else {
            self.instance = .object([:])
        }
        self.limits = limits
    }

    /// Local callbacks currently held (for memory accounting and tests).
    public var callbackCount: Int { table.count }

    /// The `methods` message: send it first thing, once. `nil` if it was already produced.
    public mutating func start() throws(DnodeProtocolError) -> DnodeMessage? {
        guard !hasSentMethods else { return nil }
        hasSentMethods = true
        return try message(.name("methods"), [instance])
    }

    // MARK: Outgoing

    /// A call of the remote method at a dotted path (`add`, `session.whoami`).
    public mutating func call(_ method: String, _ arguments: [DnodeValue])
        throws(DnodeProtocolError) -> DnodeMessage
    {
        guard let remote else { throw .remoteNotReady }
        guard case .function(let function)? = remote.value(atDottedPath: method) else {
            throw .unknownMethod(method)
        }
        return try invoke(function, arguments)
    }

    /// A call of a function handle (usually a remote callback received in arguments).
    public mutating func invoke(_ function: DnodeFunction, _ arguments: [DnodeValue])
        throws(DnodeProtocolError) -> DnodeMessage
    {
        switch function {
        case .remote(let callback):
            guard callback.sessionID == sessionID else { throw .staleCallback(callback) }
            return try message(.callback(callback.id), arguments)
        case .local(let callback):
            // A local function is run by its owner, never sent to the peer.
            throw .unknownMethod("local function '\(callback.label)' cannot be called on the peer")
        }
    }

    /// Any outgoing message: functions in `arguments` get callback ids, cycles become links.
    public mutating func message(_ method: DnodeMessage.Method, _ arguments: [DnodeValue])
        throws(DnodeProtocolError) -> DnodeMessage
    {
        var scrubber = Scrubber(session: self)
        var json: [JSONValue] = []
        json.reserveCapacity(arguments.count)
        for (index, argument) in arguments.enumerated() {
            scrubber.path = [String(index)]
            json.append(try scrubber.scrub(argument))
        }
        scrubber.commit(into: &self)
        return DnodeMessage(
            method: method, arguments: json, callbacks: scrubber.callbacks, links: scrubber.links)
    }

    /// Tell the peer we no longer hold its callbacks `ids`.
    public func cull(_ ids: [Int]) -> DnodeMessage { .cull(ids) }

    /// Drops a local callback from the table; later calls to it from the peer are reported
    /// as `unknownCallback`.
    public mutating func release(_ callback: LocalCallback) {
        let key = ObjectIdentifier(callback)
        table = table.filter { _, entry in
            if case .function(let held) = entry { return held !== callback }
            return true
        }
        firstIDOfCallback[key] = nil
    }

    /// Forgets every callback (the connection ended).
    public mutating func close() {
        // The exported functions usually capture the connection that owns this session:
        // dropping them here breaks that cycle, or every closed connection would stay in memory.
        instance = .object([:])
        table.removeAll()
        firstIDOfCallback.removeAll()
        firstIDOfForward.removeAll()
        remote = nil
    }

    // MARK: Incoming

    /// Handles one received line (without its LF).
    public mutating func receive(line: some Collection<UInt8>) -> [Action] {
        let message: DnodeMessage
        do {
            message = try DnodeMessage(decoding: line, maxDepth: limits.maxDepth)
        } catch {
            return [.error(error)]
        }
        return receive(message)
    }

    /// Handles one received message.
    public mutating func receive(_ message: DnodeMessage) -> [Action] {
        do {
            return try dispatch(message)
        } catch {
            return [.error(error)]
        }
    }

    mutating func dispatch(_ message: DnodeMessage) throws(DnodeProtocolError) -> [Action] {
        switch message.method {
        case .name("methods"):
            let arguments = try unscrub(message)
            var exported = arguments.first ?? .object([:])
            if case .object = exported {} else { exported = .object([:]) }
            let isRepeat = remote != nil
            remote = exported
            return [
                .remoteReady(
                    remote: exported, methods: exported.functionPaths(), isRepeat: isRepeat)
            ]
        case .name("cull"):
            for argument in message.arguments {
                guard let id = argument.intValue else { continue }
                removeEntry(id)
            }
            return []
        case .name(let name):
            guard case .function(.local(let callback))? = instance[name] else {
                throw .unknownMethod(name)
            }
            return [.invoke(callback, try unscrub(message))]
        case .callback(let id):
            switch table[id] {
            case .function(let callback)?:
                let arguments = try unscrub(message)
                if callback.isOneShot { removeEntry(id) }
                return [.invoke(callback, arguments)]
            case .forward(let remoteID)?:
                let arguments = try unscrub(message)
                return [.send(try self.message(.callback(remoteID), arguments))]
            case nil:
                throw .unknownCallback(id)
            }
        }
    }

    mutating func removeEntry(_ id: Int) {
        switch table.removeValue(forKey: id) {
        case .function(let callback)?:
            let key = ObjectIdentifier(callback)
            if firstIDOfCallback[key] == id { firstIDOfCallback[key] = nil }
        case .forward(let remoteID)?:
            if firstIDOfForward[remoteID] == id { firstIDOfForward[remoteID] = nil }
        case nil:
            break
        }
    }

    /// Rebuilds the argument list: placeholders become remote handles, links become cycles.
    public func unscrub(_ message: DnodeMessage) throws(DnodeProtocolError) -> [DnodeValue] {
        var root = DnodeValue.array(message.arguments.map(DnodeValue.init))
        for (id, path) in message.callbacks {
            guard path.count <= limits.maxDepth else {
                throw .invalidPath(path, problem: "is deeper than \(limits.maxDepth) levels")
            }
            try DnodePath.set(
                .function(.remote(RemoteCallback(id: id, sessionID: sessionID))), at: path[...],
                in: &root)
        }
        var copyBudget = limits.maxLinkedValues
        for link in message.links {
            guard link.to.count <= limits.maxDepth, link.from.count <= limits.maxDepth else {
                throw .invalidPath(link.to, problem: "is deeper than \(limits.maxDepth) levels")
            }
            if link.from.count < link.to.count
                && Array(link.to.prefix(link.from.count)) == link.from
            {
                try DnodePath.set(
                    .cycle(levelsUp: link.to.count - link.from.count), at: link.to[...], in: &root)
            } else if link.from != link.to {
                // Not an ancestor: Node would share the object; a value copy is the closest we have.
                guard let source = DnodePath.get(link.from[...], in: root) else {
                    throw .invalidPath(link.from, problem: "does not exist (link source)")
                }
                copyBudget -= source.nodeCount(limit: copyBudget + 1)
                guard copyBudget >= 0 else {
                    throw .argumentsTooLarge(limit: limits.maxLinkedValues)
                }
                // A copy must not nest deeper than a line may (`maxDepth`): chained copies would
                // otherwise build trees ~27× deeper than the parser allows from a 36 KB line, and
                // re-sending one (echo) overflowed the event loop's stack: FuzzRegressionTests.linkChainDepth.
                guard
                    link.to.count + source.nestingDepth(limit: limits.maxDepth + 1)
                        <= limits.maxDepth
                else {
                    throw .invalidPath(
                        link.to,
                        problem: "would nest the linked value deeper than \(limits.maxDepth) levels"
                    )
                }
                try DnodePath.set(source, at: link.to[...], in: &root)
            }
        }
        guard case .array(let arguments) = root else { return [] }
        return arguments
    }
}

/// Walks outgoing arguments, assigning callback ids the way dnode-protocol's scrubber does.
struct Scrubber {
    var path: [String] = []
    var callbacks: OrderedDictionary<Int, [String]> = [:]
    var links: [DnodeMessage.Link] = []
    var nextID: Int
    var newEntries: [(Int, DnodeSession.LocalEntry)] = []
    var newFirstIDs: [ObjectIdentifier: Int] = [:]
    var newFirstForwards: [Int: Int] = [:]
    let sessionID: UInt64
    var firstIDOfCallback: [ObjectIdentifier: Int]
    var firstIDOfForward: [Int: Int]
    let capacity: Int

    init(session: DnodeSession) {
        nextID = session.nextID
        sessionID = session.sessionID
        firstIDOfCallback = session.firstIDOfCallback
        firstIDOfForward = session.firstIDOfForward
        capacity = session.limits.maxCallbacks - session.table.count
    }

    mutating func scrub(_ value: DnodeValue) throws(DnodeProtocolError) -> JSONValue {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(number)
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        case .array(let elements):
            var result: [JSONValue] = []
            result.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                path.append(String(index))
                result.append(try scrub(element))
                path.removeLast()
            }
            return .array(result)
        case .object(let members):
            var result = JSONObject()
            result.reserveCapacity(members.count)
            for (key, member) in members {
                path.append(key)
                result[key] = try scrub(member)
                path.removeLast()
            }
            return .object(result)
        case .function(.local(let callback)):
            let key = ObjectIdentifier(callback)
            // Node keeps an old id only for a function's first appearance in a message.
            if let known = newFirstIDs[key] ?? firstIDOfCallback[key], callbacks[known] == nil {
                callbacks[known] = path
            } else {
                let id = try allocate(.function(callback))
                if newFirstIDs[key] == nil && firstIDOfCallback[key] == nil {
                    newFirstIDs[key] = id
                }
            }
            return .string("[Function]")
        case .function(.remote(let callback)):
            guard callback.sessionID == sessionID else { throw .staleCallback(callback) }
            if let known = newFirstForwards[callback.id] ?? firstIDOfForward[callback.id],
                callbacks[known] == nil
            {
                callbacks[known] = path
            } else {
                let id = try allocate(.forward(remoteID: callback.id))
                if newFirstForwards[callback.id] == nil && firstIDOfForward[callback.id] == nil {
                    newFirstForwards[callback.id] = id
                }
            }
            return .string("[Function]")
        case .cycle(let levelsUp):
            guard levelsUp >= 1 && levelsUp < path.count else {
                throw .invalidCycle(levelsUp: levelsUp, depth: path.count - 1)
            }
            links.append(DnodeMessage.Link(from: Array(path.dropLast(levelsUp)), to: path))
            return .string("[Circular]")
        }
    }

    mutating func allocate(_ entry: DnodeSession.LocalEntry) throws(DnodeProtocolError) -> Int {
        guard newEntries.count < capacity else { throw .callbackTableFull(limit: capacity) }
        let id = nextID
        nextID += 1
        newEntries.append((id, entry))
        callbacks[id] = path
        return id
    }

    /// Applies the new ids to the session only once the whole message scrubbed without error.
    mutating func commit(into session: inout DnodeSession) {
        // Our snapshots go first: while they share the session's tables, every merge copied
        // them whole (per message, in the number of callbacks held: 100 pending calls).
        firstIDOfCallback = [:]
        firstIDOfForward = [:]
        session.nextID = nextID
        for (id, entry) in newEntries { session.table[id] = entry }
        if !newFirstIDs.isEmpty {
            session.firstIDOfCallback.merge(newFirstIDs) { old, _ in old }
        }
        if !newFirstForwards.isEmpty {
            session.firstIDOfForward.merge(newFirstForwards) { old, _ in old }
        }
    }
}
