import DnodeProtocol
import Synchronization
import Testing

/// Collects what local functions were called with.
final class CallLog: Sendable {
    let calls = Mutex<[[DnodeValue]]>([])
    func record(_ arguments: [DnodeValue]) { calls.withLock { $0.append(arguments) } }
    var count: Int { calls.withLock { $0.count } }
}

@Suite("DnodeSession")
struct DnodeSessionTests {
    let serverMethods =
        #"{"method":"methods","arguments":[{"add":"[Function]","ping":"[Function]","nested":{"fn":"[Function]"},"version":"1.2"}],"callbacks":{"0":["0","add"],"1":["0","ping"],"2":["0","nested","fn"]},"links":[]}"#

    func readySession() -> DnodeSession {
        var session = DnodeSession(sessionID: 7, instance: .object(["ping": .function { _ in }]))
        _ = try? session.start()
        _ = session.receive(line: Array(serverMethods.utf8))
        return session
    }

    @Test("methods message exports functions in key order with ids from 0")
    func methodsMessage() throws {
        var session = DnodeSession(
            sessionID: 1,
            instance: .object(["a": .function { _ in }, "data": .int(3), "b": .function { _ in }]))
        let message = try #require(try session.start())
        #expect(
            String(decoding: message.encode(), as: UTF8.self)
                == #"{"method":"methods","arguments":[{"a":"[Function]","data":3,"b":"[Function]"}],"callbacks":{"0":["0","a"],"1":["0","b"]},"links":[]}"#
        )
        #expect(
            try session.start() == nil,
            "methods is sent once (docs/PROTOCOL.md, The methods handshake)")
    }

    @Test("remote ready lists dotted method paths and calls go by callback id")
    func callByName() throws {
        var session = DnodeSession(sessionID: 7, instance: .object([:]))
        let actions = session.receive(line: Array(serverMethods.utf8))
        guard case .remoteReady(_, let methods, let isRepeat)? = actions.first else {
            Issue.record("expected remoteReady, got \(actions)")
            return
        }
        #expect(methods == ["add", "ping", "nested.fn"])
        #expect(!isRepeat)
        let call = try session.call("nested.fn", [.int(1), .function { _ in }])
        #expect(
            String(decoding: call.encode(), as: UTF8.self)
                == #"{"method":2,"arguments":[1,"[Function]"],"callbacks":{"0":["1"]},"links":[]}"#)
        #expect(throws: DnodeProtocolError.unknownMethod("nope")) { try session.call("nope", []) }
    }

    @Test("calling before methods arrive is a clear error")
    func notReady() {
        var session = DnodeSession(sessionID: 1, instance: .object([:]))
        #expect(throws: DnodeProtocolError.remoteNotReady) { try session.call("add", []) }
        #expect(
            DnodeProtocolError.remoteNotReady.description
                == "the remote has not sent its methods yet")
    }

    @Test("an incoming call invokes the local callback with remote handles in place")
    func incomingCallback() throws {
        let log = CallLog()
        var session = readySession()
        let callback = LocalCallback { log.record($0) }
        _ = try session.call("add", [.int(2), .int(3), .function(.local(callback))])
        let actions = session.receive(
            line: Array(
                #"{"method":1,"arguments":[5,{"cb":"[Function]"}],"callbacks":{"4":["1","cb"]}}"#
                    .utf8))
        guard case .invoke(let invoked, let arguments)? = actions.first else {
            Issue.record("expected invoke, got \(actions)")
            return
        }
        #expect(invoked === callback)
        guard case .int(5) = arguments[0], case .function(.remote(let remote))? = arguments[1]["cb"]
        else {
            Issue.record("bad arguments \(arguments)")
            return
        }
        #expect(remote == RemoteCallback(id: 4, sessionID: 7))
    }

    @Test("one-shot callbacks are released after they fire; others stay")
    func oneShot() throws {
        var session = readySession()
        let before = session.callbackCount
        _ = try session.call("add", [.function(.local(LocalCallback(isOneShot: true) { _ in }))])
        _ = try session.call("add", [.function { _ in }])
        #expect(session.callbackCount == before + 2)
        _ = session.receive(line: Array(#"{"method":1,"arguments":[]}"#.utf8))
        _ = session.receive(line: Array(#"{"method":2,"arguments":[]}"#.utf8))
        #expect(session.callbackCount == before + 1)
        let again = session.receive(line: Array(#"{"method":1,"arguments":[]}"#.utf8))
        guard case .error(.unknownCallback(1))? = again.first else {
            Issue.record("expected unknownCallback, got \(again)")
            return
        }
    }

    @Test("cull removes callbacks; later calls are reported, not run")
    func cull() throws {
        var session = readySession()
        _ = try session.call("add", [.function { _ in }])
        _ = session.receive(line: Array(#"{"method":"cull","arguments":[1, 0]}"#.utf8))
        guard
            case .error(.unknownCallback(1))? = session.receive(
                line: Array(#"{"method":1,"arguments":[]}"#.utf8)
            ).first
        else {
            Issue.record("expected unknownCallback")
            return
        }
        #expect(
            String(decoding: session.cull([3, 4]).encode(), as: UTF8.self)
                == #"{"method":"cull","arguments":[3,4]}"#)
    }

    @Test("cycles become links and come back as cycles")
    func cycles() throws {
        var session = readySession()
        let tree = DnodeValue.object([
            "name": .string("root"), "list": .array([.int(1), .cycle(levelsUp: 1)]),
            "self": .cycle(levelsUp: 1),
        ])
        let message = try session.call("add", [tree])
        #expect(
            message.links == [
                .init(from: ["0", "list"], to: ["0", "list", "1"]),
                .init(from: ["0"], to: ["0", "self"]),
            ])
        let back = try session.unscrub(message)
        guard case .cycle(1)? = back.first?["self"] else {
            Issue.record("cycle lost: \(back)")
            return
        }
        #expect(throws: DnodeProtocolError.invalidCycle(levelsUp: 3, depth: 1)) {
            try session.call("add", [.object(["x": .cycle(levelsUp: 3)])])
        }
    }

    @Test("a remote callback passed back is re-exported once and forwarded when called")
    func reexport() throws {
        var session = readySession()
        let incoming = session.receive(line: Array(#"{"method":"add","arguments":[]}"#.utf8))
        #expect(incoming.count == 1)  // add is the remote's; we export nothing named add → error
        let remote = DnodeValue.function(.remote(RemoteCallback(id: 9, sessionID: 7)))
        let first = try session.call("add", [remote, remote])
        #expect(Array(first.callbacks.keys) == [1, 2], "ping holds id 0")
        let second = try session.call("add", [remote])
        #expect(Array(second.callbacks.keys) == [1])
        let forwarded = session.receive(line: Array(#"{"method":1,"arguments":[42]}"#.utf8))
        guard case .send(let message)? = forwarded.first else {
            Issue.record("expected a forward, got \(forwarded)")
            return
        }
        #expect(
            String(decoding: message.encode(), as: UTF8.self)
                == #"{"method":9,"arguments":[42],"callbacks":{},"links":[]}"#)
        #expect(throws: DnodeProtocolError.staleCallback(RemoteCallback(id: 9, sessionID: 8))) {
            try session.call("add", [.function(.remote(RemoteCallback(id: 9, sessionID: 8)))])
        }
    }

    @Test("a full callback table refuses the call and assigns nothing")
    func tableLimit() throws {
        var session = DnodeSession(
            sessionID: 7, instance: .object([:]), limits: .init(maxCallbacks: 2))
        _ = session.receive(line: Array(serverMethods.utf8))
        _ = try session.call("add", [.function { _ in }])
        #expect(throws: DnodeProtocolError.callbackTableFull(limit: 1)) {
            try session.call("add", [.function { _ in }, .function { _ in }])
        }
        let next = try session.call("add", [.function { _ in }])
        #expect(Array(next.callbacks.keys) == [1], "ids of the refused message were not used")
    }

    @Test(
        "bad lines give typed errors and the session goes on",
        arguments: [
            ("{\"method\":1,oops}", "malformed JSON line: unexpected 'o' at byte 12"),
            ("", "malformed JSON line: empty line (no JSON value) at byte 0"),
            ("null", "message is a JSON null, expected an object"),
            ("[1,2]", "message is a JSON array, expected an object"),
            ("{\"arguments\":[]}", "message field 'method': missing"),
            (
                "{\"method\":true}",
                "message field 'method': expected a string or a callback id, found boolean"
            ),
            (
                "{\"method\":-1}",
                "message field 'method': callback id -1 is not a non-negative integer"
            ),
            (
                "{\"method\":1,\"arguments\":{}}",
                "message field 'arguments': expected an array, found object"
            ),
            (
                "{\"method\":1,\"callbacks\":{\"x\":[\"0\"]}}",
                "message field 'callbacks': key \"x\" is not a callback id"
            ),
            (
                "{\"method\":1,\"callbacks\":{\"3\":[]}}",
                "message field 'callbacks.3': expected a non-empty array of keys"
            ),
            (
                "{\"method\":99,\"arguments\":[]}",
                "no callback with id 99 (never sent, or released)"
            ),
            ("{\"method\":\"nope\",\"arguments\":[]}", "no method named 'nope'"),
            (
                "{\"method\":\"ping\",\"arguments\":[\"s\"],\"callbacks\":{\"1\":[\"0\",\"x\"]}}",
                "callback path [\"0\", \"x\"] goes through a string, not an object or array"
            ),
            (
                "{\"method\":\"ping\",\"arguments\":[],\"callbacks\":{\"1\":[\"5\"]}}",
                "callback path [\"5\"] has key '5' that is not an index of an array of 0"
            ),
        ])
    func badLines(line: String, message: String) {
        var session = readySession()
        let actions = session.receive(line: Array(line.utf8))
        guard case .error(let error)? = actions.first, actions.count == 1 else {
            Issue.record("expected one error, got \(actions)")
            return
        }
        #expect(error.description == message)
        #expect(!error.isFatal)
        // The session still works afterwards.
        #expect((try? session.call("add", [])) != nil)
    }

    @Test("numeric path keys, missing callbacks/links, CR and spaces are accepted")
    func lenientInput() {
        let log = CallLog()
        var session = DnodeSession(
            sessionID: 1, instance: .object(["add": .function { log.record($0) }]))
        _ = try? session.start()
        _ = session.receive(
            line: Array(
                "  {\"method\":0,\"arguments\":[2,3,\"[Function]\"],\"callbacks\":{\"0\":[2]}} \r"
                    .utf8))
        for action in session.receive(line: Array("{\"method\":\"add\"}".utf8)) {
            if case .invoke(let callback, let arguments) = action { callback.invoke(arguments) }
        }
        #expect(log.count == 1)
    }

    @Test("links that copy data are bounded")
    func linkCopyBudget() {
        var session = DnodeSession(
            sessionID: 1, instance: .object(["f": .function { _ in }]),
            limits: .init(maxLinkedValues: 10))
        _ = try? session.start()
        let big = "[" + (0..<20).map(String.init).joined(separator: ",") + "]"
        let line = #"{"method":0,"arguments":[\#(big),null],"links":[{"from":["0"],"to":["1"]}]}"#
        guard case .error(.argumentsTooLarge(10))? = session.receive(line: Array(line.utf8)).first
        else {
            Issue.record("expected argumentsTooLarge")
            return
        }
    }

    @Test(
        "random argument trees with functions round-trip through scrub and unscrub",
        arguments: 0..<10)
    func scrubRoundTrip(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var sender = DnodeSession(sessionID: 1, instance: .object([:]))
        var receiver = DnodeSession(sessionID: 2, instance: .object(["f": .function { _ in }]))
        _ = sender.receive(try #require(try receiver.start()))
        for _ in 0..<30 {
            let tree = randomArgument(depth: 0, using: &generator)
            let message = try sender.call("f", [tree])
            let wire = try DnodeMessage(decoding: message.encode())
            let back = try receiver.unscrub(wire)
            #expect(back.count == 1)
            #expect(shape(back[0]) == shape(tree), "seed \(seed)")
        }
    }
}

func randomArgument(depth: Int, using generator: inout SeededGenerator) -> DnodeValue {
    switch Int.random(in: 0..<(depth > 3 ? 4 : 7), using: &generator) {
    case 0: return DnodeValue(randomJSON(depth: 5, using: &generator))
    case 1: return .function { _ in }
    case 2: return .string("s\(depth)")
    case 3:
        return depth > 0 && Bool.random(using: &generator)
            ? .cycle(levelsUp: Int.random(in: 1...depth, using: &generator)) : .int(1)
    case 4, 5:
        return .array(
            (0..<Int.random(in: 0..<4, using: &generator)).map { _ in
                randomArgument(depth: depth + 1, using: &generator)
            })
    default:
        var members: [(String, DnodeValue)] = []
        for index in 0..<Int.random(in: 0..<4, using: &generator) {
            members.append(("k\(index)", randomArgument(depth: depth + 1, using: &generator)))
        }
        return .object(.init(uniqueKeysWithValues: members))
    }
}

/// A comparable rendering: functions as "ƒ", cycles as "↑n", data as JSON.
func shape(_ value: DnodeValue) -> String {
    switch value {
    case .function: return "ƒ"
    case .cycle(let levels): return "↑\(levels)"
    case .array(let elements): return "[" + elements.map(shape).joined(separator: ",") + "]"
    case .object(let members):
        return "{" + members.map { "\($0.key):\(shape($0.value))" }.joined(separator: ",") + "}"
    default: return DnodeValue.array([value]).json.jsonText
    }
}
