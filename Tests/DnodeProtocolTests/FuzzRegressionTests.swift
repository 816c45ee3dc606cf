import DnodeProtocol
import Testing

/// Inputs found by the libFuzzer target (Fuzz/DnodeLineFuzzer, run with Fuzz/run.sh) and
/// hand-made hostile lines in the same spirit, replayed through the checks the fuzz target makes:
/// nothing traps, every decodable line re-encodes to a fixed point, our own lines decode,
/// and the callback table stays bounded. Pure tier: no sockets, no clocks.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    /// The fuzz target's body, as a function of one input stream (see Fuzz/DnodeLineFuzzer/main.swift).
    static func replay(_ bytes: [UInt8], limits: DnodeSession.Limits = .init()) {
        var session = DnodeSession(
            sessionID: 1,
            instance: .object(["echo": .function { _ in }, "ping": .function { _ in }]),
            limits: limits)
        _ = try? session.start()
        var peer = DnodeSession(sessionID: 2, instance: .object([:]))
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast() {
            if let message = try? DnodeMessage(decoding: line, maxDepth: limits.maxDepth) {
                expectFixedPoint(message)
            }
            for action in session.receive(line: line) {
                switch action {
                case .send(let message):
                    expectFixedPoint(message)
                    _ = peer.receive(line: message.encode())
                case .remoteReady(let remote, let methods, _):
                    #expect(methods.count <= 1024)
                    for method in methods.prefix(4) {
                        if let message = try? session.call(method, [remote, .int(1)]) {
                            expectFixedPoint(message)
                            _ = peer.receive(line: message.encode())
                        }
                    }
                case .invoke, .error:
                    break
                }
            }
            #expect(session.callbackCount <= limits.maxCallbacks)
        }
        session.close()
        #expect(session.callbackCount == 0)
    }

    static func expectFixedPoint(_ message: DnodeMessage) {
        let first = message.encode()
        #expect(first.allSatisfy { $0 < 0x80 && $0 != 0x0A })
        let again = try? DnodeMessage(decoding: first, maxDepth: 1 << 16)
        #expect(
            again != nil,
            "our own line does not decode: \(String(decoding: first.prefix(200), as: UTF8.self))")
        #expect(again?.encode() == first)
    }

    /// Crash inputs saved by libFuzzer (`.build-fuzz/artifacts/crash-*`), as text lines.
    /// The 2-minute and longer runs so far found none; add each new one here.
    static let crashes: [String] = []

    @Test("saved fuzz crash inputs replay without trapping", arguments: crashes)
    func savedCrash(input: String) {
        Self.replay(Array(input.utf8))
    }

    @Test("hostile lines: garbage, deep nesting, huge numbers, bad paths, unknown ids")
    func hostileLines() {
        let lines = [
            "", "\r", " ", "null", "[1,2]", "\"x\"", "1e999999", "-", "{", "}", "{\"method\":",
            "\u{0}\u{1}{[[[",
            String(repeating: "[", count: 100_000),
            String(repeating: "{\"a\":", count: 300) + "1" + String(repeating: "}", count: 300),
            #"{"method":1e400,"arguments":[]}"#,
            #"{"method":-0,"arguments":[]}"#,
            #"{"method":9223372036854775807,"arguments":[]}"#,
            #"{"method":18446744073709551616,"arguments":[]}"#,
            #"{"method":"methods","arguments":[{"f":"[Function]"}],"callbacks":{"99999999999999999999":["0","f"]}}"#,
            #"{"method":"methods","arguments":[{"f":"[Function]"}],"callbacks":{"-1":["0","f"]}}"#,
            #"{"method":"methods","arguments":[1],"callbacks":{"0":["0","x","y"]}}"#,
            #"{"method":"methods","arguments":[[]],"callbacks":{"0":["0","5"]}}"#,
            #"{"method":"methods","arguments":[{}],"callbacks":{"0":["1"]},"links":[{"from":["0"],"to":["0","self"]},{"from":["0","self"],"to":["1"]}]}"#,
            #"{"method":"methods","arguments":[{"a":{}}],"links":[{"from":["0","a"],"to":["0","a","b","c"]},{"from":["0"],"to":["0"]}]}"#,
            #"{"method":"methods","arguments":[{"a":1}],"links":[{"from":["0"],"to":["1"]},{"from":["1"],"to":["0","b"]}]}"#,
            #"{"method":"cull","arguments":[0,1,2,-5,1e300,"x",null]}"#,
            #"{"method":12345,"arguments":[],"callbacks":{},"links":[]}"#,
            #"{"method":"echo","arguments":["\ud800","\udc00\ud800\u0000"],"callbacks":{"0":["2"]}}"#,
            #"{"method":"nope","arguments":[]}"#,
            #"{"method":"methods","arguments":[{"ping":"[Function]"}],"callbacks":{"0":["0","ping"]}}"#,
            #"{"method":"methods","arguments":[{"ping":"[Function]"}],"callbacks":{"0":["0","ping"]}}"#,
        ]
        Self.replay(Array((lines.joined(separator: "\n") + "\n").utf8))
    }

    @Test("links that copy a subtree into another argument cannot grow a tree without bound")
    func linkChainDepth() {
        // Each link copies the previous argument under a 255-key path: the tree grows 255 levels
        // per link while the copy budget (maxLinkedValues) pays for every copied node.
        let chain =
            String(repeating: #"{"a":"#, count: 250) + "1" + String(repeating: "}", count: 250)
        var links: [String] = []
        // 26 links plus a last copy back into argument 0 fit the default 100 000-value copy
        // budget and leave argument 0 (the exported object) about 6 900 levels deep.
        for k in 1...26 {
            let to = ([String(k)] + Array(repeating: "a", count: 255)).map { "\"\($0)\"" }.joined(
                separator: ",")
            links.append(#"{"from":["\#(k - 1)"],"to":[\#(to)]}"#)
        }
        links.append(#"{"from":["26"],"to":["0","b"]}"#)
        let line =
            #"{"method":"methods","arguments":["# + chain + #"],"callbacks":{},"links":["#
            + links.joined(separator: ",") + "]}"
        var session = DnodeSession(sessionID: 1, instance: .object([:]))
        let actions = session.receive(line: Array(line.utf8))
        // Before the fix this was accepted (argument 0 ~6 900 levels deep) and re-sending it
        // (what `echo` does) overflowed the stack of a NIO event loop thread: SIGSEGV, server gone.
        #expect(!actions.contains { if case .remoteReady = $0 { true } else { false } })
        guard case .error(.invalidPath(_, let problem))? = actions.first else {
            Issue.record("expected the deep copy to be refused, got \(actions)")
            return
        }
        #expect(problem.contains("deeper than 256"))

        // Shallow non-ancestor copies still work, and re-send as plain copies.
        let ok =
            #"{"method":"methods","arguments":[{"x":{"s":1}},{}],"links":[{"from":["0","x"],"to":["1","y"]}]}"#
        let accepted = session.receive(line: Array(ok.utf8))
        guard case .remoteReady(let remote, _, _)? = accepted.first else {
            Issue.record("shallow copy refused: \(accepted)")
            return
        }
        #expect(remote.json == .object(["x": .object(["s": .int(1)])]))
        let message = try? session.message(.name("echo"), [remote])
        #expect(message != nil)
        if let message { Self.expectFixedPoint(message) }
    }
}
