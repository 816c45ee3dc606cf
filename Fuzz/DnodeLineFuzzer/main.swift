// libFuzzer entry point for the dnode line decoder and session (Sources/DnodeProtocol).
//
// Build and run with Fuzz/run.sh (it compiles this file together with DnodeProtocol's
// sources and swift-collections' OrderedCollections using `swiftc -sanitize=fuzzer,address`).
//
// One input is a byte stream as it would arrive from a peer. It is cut at every LF (raw bytes
// are buffered and only complete lines decoded, like Upnode's LineFramer) and every line is fed
// to a DnodeSession that exports a few methods. Beyond "does not crash", it checks:
//  * every line that decodes re-encodes to a line that decodes again, and encoding is a fixed
//    point after one round (encode(decode(encode(m))) == encode(m));
//  * the direct decoder (straight from the bytes) gives what decoding through a JSONValue
//    gives, the same message or the same error; printing a parsed value is a fixed point;
//  * every invoked local method answers through the session (re-exporting the peer's
//    functions and cycles: the scrubber), and whatever the session sends is accepted by a
//    second "peer" session (no line we write is rejected as malformed by ourselves);
//  * the callback table stays within its limit;
//  * nothing handed to the application nests deeper than the session's maxDepth (`links` copies
//    could build trees ~27x deeper from one line; re-sending one overflowed a NIO thread's stack).
// No `import DnodeProtocol`: run.sh compiles this file into the same module as its sources.

/// Stops the run with a message libFuzzer records as a crash (an invariant broke).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant violated: \(message())") }
}

func roundTrip(_ message: DnodeMessage) {
    let first = message.encode()
    check(
        first.allSatisfy { $0 < 0x80 && $0 != 0x0A },
        "encoded line is not single-line ASCII: \(String(decoding: first, as: UTF8.self))")
    let again: DnodeMessage
    do {
        again = try DnodeMessage(decoding: first)
    } catch {
        fatalError(
            "invariant violated: our own line does not decode: \(error)\n\(String(decoding: first, as: UTF8.self))"
        )
    }
    let second = again.encode()
    check(
        first == second,
        "encoding is not a fixed point:\n\(String(decoding: first, as: UTF8.self))\n\(String(decoding: second, as: UTF8.self))"
    )
}

/// Echo-style local methods: they send their arguments back through the session, which
/// exercises the outgoing scrubber with remote functions, cycles and deep trees.
/// `@unchecked Sendable`: libFuzzer calls the target on one thread, and each call builds its
/// own session and Outbox; nothing is shared across threads.
final class Outbox: @unchecked Sendable {
    var pending: [(callback: DnodeFunction?, arguments: [DnodeValue])] = []
}

func makeInstance(_ outbox: Outbox) -> DnodeValue {
    .object([
        "echo": .function(label: "echo") { arguments in
            outbox.pending.append((arguments.last?.function, Array(arguments.dropLast())))
        },
        "ping": .function(label: "ping") { arguments in
            outbox.pending.append((arguments.last?.function, []))
        },
        "nested": .object([
            "fn": .function(label: "nested.fn") { arguments in
                outbox.pending.append((arguments.first?.function, arguments))
            }
        ]),
    ])
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let outbox = Outbox()
    let limits = DnodeSession.Limits(maxCallbacks: 256, maxDepth: 64, maxLinkedValues: 10_000)
    var session = DnodeSession(sessionID: 1, instance: makeInstance(outbox), limits: limits)
    var peer = DnodeSession(
        sessionID: 2, instance: .object([:]), limits: DnodeSession.Limits(maxCallbacks: 1 << 20))
    if let methods = try? session.start() {
        roundTrip(methods)
        _ = peer.receive(methods)
    }

    func deliver(_ message: DnodeMessage) {
        roundTrip(message)
        // The peer must at least parse what we write (it may not know the callback ids).
        let line = message.encode()
        do {
            _ = try DnodeMessage(decoding: line, maxDepth: 1 << 16)
        } catch {
            fatalError("invariant violated: peer cannot decode our line: \(error)")
        }
        _ = peer.receive(line: line)
    }

    var start = 0
    var index = 0
    var lines = 0
    while index <= bytes.count && lines < 64 {
        // A final unterminated fragment is buffered, never decoded (as LineFramer does).
        guard index < bytes.count else { break }
        if bytes[index] != 0x0A {
            index += 1
            continue
        }
        let line = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        start = index
        lines += 1

        // The decoder alone, then through the session.
        let direct = Result { () throws(DnodeProtocolError) in
            try DnodeMessage(decoding: line, maxDepth: limits.maxDepth)
        }
        if case .success(let message) = direct { roundTrip(message) }
        // Lines shaped like Node's are decoded straight from the bytes; the answer must be
        // what decoding through a `JSONValue` gives (the same message, or the same error).
        let general = Result { () throws(DnodeProtocolError) in
            try DnodeMessage(decodingViaJSON: line, maxDepth: limits.maxDepth)
        }
        check(
            direct == general,
            "direct decoding differs: \(direct) vs \(general) for \(String(decoding: line, as: UTF8.self))"
        )
        // Printing what was parsed is a fixed point after one round.
        if let value = try? JSONValue(parsing: line) {
            let printed = JSONPrinter.bytes(value)
            check(
                (try? JSONValue(parsing: printed)).map { JSONPrinter.bytes($0) } == printed,
                "printing is not a fixed point: \(String(decoding: printed, as: UTF8.self))")
        }
        let actions = session.receive(line: line)
        for action in actions {
            switch action {
            case .send(let message):
                deliver(message)
            case .invoke(let callback, let arguments):
                // What reaches the application is no deeper than a line may be (links copy subtrees).
                let depth = DnodeValue.array(arguments).nestingDepth(limit: 4 * limits.maxDepth)
                check(
                    depth <= limits.maxDepth,
                    "arguments nest \(depth) levels, limit \(limits.maxDepth)")
                callback.invoke(arguments)
            case .remoteReady(let remote, let methods, _):
                check(methods.count <= 1024, "method list not bounded")
                let depth = remote.nestingDepth(limit: 4 * limits.maxDepth)
                check(
                    depth <= limits.maxDepth,
                    "remote nests \(depth) levels, limit \(limits.maxDepth)")
                // Call every remote method once, passing its own methods object back (functions
                // and all): exercises the scrubber's forward entries.
                for method in methods.prefix(4) {
                    if let message = try? session.call(method, [remote, .int(1)]) {
                        deliver(message)
                    }
                }
            case .error:
                break
            }
        }
        // Answer what the local methods were asked.
        let work = outbox.pending
        outbox.pending.removeAll()
        for (callback, arguments) in work {
            guard let callback else { continue }
            if let message = try? session.invoke(callback, arguments) { deliver(message) }
        }
        check(
            session.callbackCount <= limits.maxCallbacks,
            "callback table over its limit: \(session.callbackCount)")
    }
    session.close()
    check(session.callbackCount == 0, "close left callbacks behind")
    return 0
}
