import DnodeProtocol
import Testing

/// The "bad input everywhere" matrix for lines from a peer (pure tier): every bad line gives
/// one typed, non-fatal error whose description names the problem, and the same session then
/// still runs a good incoming call and makes a good outgoing one.
@Suite("Bad input matrix: remote lines")
struct BadInputMatrixTests {
    /// One hostile line and the description its error must have (`exact`) or contain.
    struct BadLine: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]
        let expected: String
        var exact = true
        var testDescription: String { name }

        init(_ name: String, _ text: String, _ expected: String, exact: Bool = true) {
            self.init(name, Array(text.utf8), expected, exact: exact)
        }

        init(_ name: String, _ bytes: [UInt8], _ expected: String, exact: Bool = true) {
            self.name = name
            self.bytes = bytes
            self.expected = expected
            self.exact = exact
        }
    }

    static let remoteMethods =
        #"{"method":"methods","arguments":[{"add":"[Function]","ping":"[Function]"}],"callbacks":{"0":["0","add"],"1":["0","ping"]},"links":[]}"#

    /// A session that exports `ping` (recording its calls in `log`) and has the peer's `add` and `ping`.
    static func readySession(log: CallLog) -> DnodeSession {
        var session = DnodeSession(
            sessionID: 3, instance: .object(["ping": .function { log.record($0) }]))
        _ = try? session.start()
        _ = session.receive(line: Array(remoteMethods.utf8))
        return session
    }

    /// Runs whatever the session asks to invoke.
    static func run(_ actions: [DnodeSession.Action]) {
        for case .invoke(let callback, let arguments) in actions { callback.invoke(arguments) }
    }

    /// A good incoming call still runs the local function, and a good outgoing call still encodes.
    static func expectStillWorks(_ session: inout DnodeSession, log: CallLog, after name: String) {
        let before = log.count
        let actions = session.receive(line: Array(#"{"method":"ping","arguments":["ok"]}"#.utf8))
        run(actions)
        #expect(log.count == before + 1, "an incoming call after '\(name)' did not run: \(actions)")
        let call = try? session.call("add", [.int(1), .int(2)])
        #expect(
            call.map { String(decoding: $0.encode(), as: UTF8.self) }?.hasPrefix(
                #"{"method":0,"arguments":[1,2]"#) == true,
            "an outgoing call after '\(name)' failed")
    }

    static let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)

    static let lines: [BadLine] = [
        BadLine("garbage text", "hello world", "malformed JSON line: unexpected 'h' at byte 0"),
        BadLine(
            "half a message", #"{"method":"ping","argu"#,
            "malformed JSON line: unexpected end of input at byte 22"),
        BadLine(
            "invalid UTF-8 in a string",
            Array(#"{"method":"p"#.utf8) + [0xFF] + Array(#"ng","arguments":[]}"#.utf8),
            "malformed JSON line: invalid UTF-8 in string at byte 11"),
        BadLine(
            "overlong UTF-8 in a string",
            Array(#"{"method":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8),
            "malformed JSON line: invalid UTF-8 in string at byte 11"),
        BadLine(
            "invalid UTF-8 outside strings", [0xC3, 0x28],
            "malformed JSON line: unexpected byte 0xc3 at byte 0"),
        BadLine("a lone NUL byte", [0x00], "malformed JSON line: unexpected byte 0x00 at byte 0"),
        BadLine(
            "a raw NUL inside a string",
            Array(#"{"method":"ping"#.utf8) + [0x00] + Array(#""}"#.utf8),
            "malformed JSON line: unescaped control character byte 0x00 in string at byte 15"),
        BadLine(
            "a NUL after a good message", Array(#"{"method":"ping","arguments":[]}"#.utf8) + [0x00],
            "malformed JSON line: unexpected data after the JSON value at byte 32"),
        BadLine(
            "an escaped NUL in a method name", #"{"method":"ping\u0000","arguments":[]}"#,
            #"no method named 'ping\u{0}'"#),
        BadLine(
            "1e400 as the method", #"{"method":1e400,"arguments":[]}"#,
            "message field 'method': callback id Infinity (a number beyond a double's range) is not a non-negative integer"
        ),
        BadLine(
            "-1e400 as the method", #"{"method":-1e400,"arguments":[]}"#,
            "message field 'method': callback id -Infinity (a number beyond a double's range) is not a non-negative integer"
        ),
        BadLine(
            "a 30-digit method id", #"{"method":123456789012345678901234567890,"arguments":[]}"#,
            "message field 'method': callback id 1.2345678901234568e+29 is not a non-negative integer"
        ),
        BadLine(
            "a fractional method id", #"{"method":1.5,"arguments":[]}"#,
            "message field 'method': callback id 1.5 is not a non-negative integer"),
        BadLine(
            "2^53+1 as the method (unknown callback)",
            #"{"method":9007199254740993,"arguments":[]}"#,
            "no callback with id 9007199254740993 (never sent, or released)"),
        BadLine(
            "a negative method id", #"{"method":-1,"arguments":[]}"#,
            "message field 'method': callback id -1 is not a non-negative integer"),
        BadLine(
            "a negative callback id in callbacks",
            #"{"method":"ping","arguments":[null],"callbacks":{"-1":["0"]}}"#,
            #"message field 'callbacks': key "-1" is not a callback id"#),
        BadLine(
            "a 30-digit callback id in callbacks",
            #"{"method":"ping","arguments":[null],"callbacks":{"123456789012345678901234567890":["0"]}}"#,
            #"message field 'callbacks': key "123456789012345678901234567890" is not a callback id"#
        ),
        BadLine(
            "an unknown callback id", #"{"method":42,"arguments":[]}"#,
            "no callback with id 42 (never sent, or released)"),
        BadLine(
            "a call to a missing method", #"{"method":"nope","arguments":[1]}"#,
            "no method named 'nope'"),
        BadLine(
            "a call to a method of the peer's own", #"{"method":"add","arguments":[1]}"#,
            "no method named 'add'"),
        BadLine(
            "nesting past the limit", #"{"method":"ping","arguments":"# + deep + "}",
            "malformed JSON line: nesting deeper than 256 levels at byte", exact: false),
        BadLine("an empty line", "", "malformed JSON line: empty line (no JSON value) at byte 0"),
        BadLine(
            "a whitespace-only line", " \t  \r",
            "malformed JSON line: empty line (no JSON value) at byte 0"),
        BadLine("a bare number", "1e400", "message is a JSON number, expected an object"),
        BadLine(
            "a 1 MB method name",
            #"{"method":""# + String(repeating: "x", count: 1 << 20) + #"","arguments":[]}"#,
            "no method named '" + String(repeating: "x", count: 80) + "…'"),
    ]

    @Test(
        "each bad remote line is one named, non-fatal error and the session goes on",
        arguments: lines)
    func badLine(_ line: BadLine) {
        let log = CallLog()
        var session = Self.readySession(log: log)
        let actions = session.receive(line: line.bytes)
        guard actions.count == 1, case .error(let error) = actions[0] else {
            Issue.record("\(line.name): expected one error, got \(actions)")
            return
        }
        if line.exact {
            #expect(error.description == line.expected, "\(line.name)")
        } else {
            #expect(error.description.contains(line.expected), "\(line.name): \(error.description)")
        }
        #expect(!error.isFatal)
        #expect(error.description.utf8.count < 300, "the warning stays short")
        #expect(
            !error.description.unicodeScalars.contains { $0.value < 0x20 },
            "no raw control characters in a warning")
        Self.expectStillWorks(&session, log: log, after: line.name)
    }

    @Test(
        "random binary lines (fixed seed) never trap; each gives one error and the session goes on")
    func binaryJunk() {
        var generator = SeededGenerator(seed: 0xBAD_1A7E)
        let log = CallLog()
        var session = Self.readySession(log: log)
        for round in 0..<300 {
            let count = Int.random(in: 0..<200, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.removeAll { $0 == 0x0A }
            // Reach past the first byte.
            if round % 3 == 0 { bytes.insert(UInt8(ascii: "{"), at: 0) }
            let actions = session.receive(line: bytes)
            let errors = actions.compactMap { action -> DnodeProtocolError? in
                if case .error(let error) = action { return error }
                return nil
            }
            #expect(errors.count == 1 && actions.count == 1, "round \(round): \(actions)")
            #expect(errors.allSatisfy { !$0.isFatal && !$0.description.isEmpty })
        }
        Self.expectStillWorks(&session, log: log, after: "300 random binary lines")
    }

    @Test("methods sent twice: the second replaces the remote and is reported as a repeat")
    func methodsTwice() throws {
        let log = CallLog()
        var session = Self.readySession(log: log)
        let again = session.receive(
            line: Array(
                #"{"method":"methods","arguments":[{"echo":"[Function]"}],"callbacks":{"7":["0","echo"]},"links":[]}"#
                    .utf8))
        guard again.count == 1, case .remoteReady(_, let methods, let isRepeat) = again[0] else {
            Issue.record("expected remoteReady, got \(again)")
            return
        }
        #expect(isRepeat)
        #expect(methods == ["echo"])
        #expect(throws: DnodeProtocolError.unknownMethod("add")) { try session.call("add", []) }
        let echo = try session.call("echo", [.string("hi")])
        #expect(
            String(decoding: echo.encode(), as: UTF8.self)
                == #"{"method":7,"arguments":["hi"],"callbacks":{},"links":[]}"#)
        // A third `methods` that is not an object still leaves a usable (empty) remote.
        let third = session.receive(line: Array(#"{"method":"methods","arguments":[42]}"#.utf8))
        guard case .remoteReady(_, let none, true)? = third.first else {
            Issue.record("expected a repeat remoteReady, got \(third)")
            return
        }
        #expect(none.isEmpty)
        #expect(throws: DnodeProtocolError.unknownMethod("echo")) { try session.call("echo", []) }
        Self.run(session.receive(line: Array(#"{"method":"ping","arguments":[]}"#.utf8)))
        #expect(log.count == 1, "incoming calls still run")
    }

    @Test(
        "huge numbers as arguments and callback ids: kept exactly where they fit, re-sent as Node would"
    )
    func hugeNumbers() throws {
        let log = CallLog()
        var session = Self.readySession(log: log)
        let line =
            #"{"method":"ping","arguments":[1e400,-1e400,123456789012345678901234567890,9007199254740993,"[Function]"],"callbacks":{"9007199254740993":["4"]}}"#
        Self.run(session.receive(line: Array(line.utf8)))
        let arguments = try #require(log.calls.withLock { $0.last })
        #expect(arguments.count == 5)
        guard case .double(let inf) = arguments[0], case .double(let minusInf) = arguments[1],
            case .int(let exact) = arguments[3],
            case .function(.remote(let callback)) = arguments[4]
        else {
            Issue.record("unexpected arguments \(arguments.map(\.json))")
            return
        }
        #expect(inf == .infinity && minusInf == -.infinity)
        #expect(exact == 9_007_199_254_740_993, "2^53+1 keeps every digit")
        #expect(callback.id == 9_007_199_254_740_993)
        // Calling that callback back addresses exactly that id; non-finite numbers go out as null.
        let reply = try session.invoke(.remote(callback), Array(arguments.prefix(4)))
        #expect(
            String(decoding: reply.encode(), as: UTF8.self)
                == #"{"method":9007199254740993,"arguments":[null,null,1.2345678901234568e+29,9007199254740993],"callbacks":{},"links":[]}"#
        )
        Self.expectStillWorks(&session, log: log, after: "huge numbers")
    }

    @Test("every bad line in a row on one session: one error each, then good calls work")
    func allInARow() {
        let log = CallLog()
        var session = Self.readySession(log: log)
        for line in Self.lines {
            let actions = session.receive(line: line.bytes)
            #expect(actions.count == 1, "\(line.name)")
            if case .error(let error)? = actions.first {
                #expect(!error.isFatal)
            } else {
                Issue.record("\(line.name): \(actions)")
            }
        }
        Self.expectStillWorks(&session, log: log, after: "every bad line")
        #expect(session.callbackCount <= 2, "bad lines allocate no callbacks")
    }
}
