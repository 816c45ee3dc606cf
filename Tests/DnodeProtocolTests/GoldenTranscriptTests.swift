import DnodeProtocol
import Testing

/// Golden tests against real Node exchanges: every line decodes and re-encodes equivalently,
/// and a Swift session playing either side produces the same messages Node produced
/// (callback ids, paths, links), given the other side's lines.
@Suite("Golden Node transcripts")
struct GoldenTranscriptTests {
    static let names = Transcripts.allNames
    /// Raw hand-written client lines: the client side is not a dnode peer there.
    static let dnodeClientNames = names.filter { !$0.hasPrefix("quirk-") }

    @Test("at least the 28 captured transcripts are present")
    func fixturesPresent() {
        #expect(Self.names.count >= 28)
    }

    @Test("every Node line decodes and re-encodes to an equivalent message", arguments: names)
    func decodeReencode(name: String) throws {
        var decoded = 0
        for entry in try Transcripts.load(name) {
            let bytes = Array(entry.line.utf8)
            guard let original = try? JSONValue(parsing: bytes), case .object = original else {
                continue
            }
            let message = try DnodeMessage(json: original)
            let reparsed = try JSONValue(parsing: message.encode())
            #expect(
                reparsed.isEquivalent(to: normalizedPaths(original)),
                "\(name): \(entry.line.prefix(200))")
            #expect(message.encode().allSatisfy { $0 < 0x80 })
            // The direct printer writes exactly what printing the `json` value writes.
            #expect(
                message.encode() == JSONPrinter.bytes(message.json),
                "\(name): \(entry.line.prefix(200))")
            decoded += 1
        }
        #expect(decoded > 0)
    }

    @Test("the direct encoder matches the JSON value printer for cull, several callbacks and links")
    func directEncoderMatchesPrinter() {
        let messages = [
            DnodeMessage.cull([3, 1]),
            DnodeMessage(method: .name("cull"), arguments: [.int(1)], callbacks: [2: ["0"]]),
            DnodeMessage(
                method: .callback(7),
                arguments: [
                    .string("é\n\u{1F600}"), .array([.string("[Function]")]), .double(1e21),
                ],
                callbacks: [9: ["1", "0"], 2: ["0"]],
                links: [.init(from: ["0"], to: ["1", "x"]), .init(from: [], to: ["2"])]),
            DnodeMessage(
                method: .name("methods"), arguments: [.object(["a": .string("[Function]")])],
                callbacks: [0: ["0", "a"]]),
        ]
        for message in messages {
            #expect(message.encode() == JSONPrinter.bytes(message.json))
            var line: [UInt8] = []
            message.encode(into: &line)
            #expect(line == JSONPrinter.bytes(message.json) + [0x0A])
        }
    }

    @Test("a Swift session in the server role reproduces Node's server lines", arguments: names)
    func serverRole(name: String) throws {
        try replay(name, swiftPlaysClient: false)
    }

    @Test(
        "a Swift session in the client role reproduces Node's client lines",
        arguments: dnodeClientNames)
    func clientRole(name: String) throws {
        try replay(name, swiftPlaysClient: true)
    }

    /// Drives one session per TCP connection. Lines from the other side are fed in; for each
    /// line our side must send, the application-level call that Node made is reconstructed
    /// (same function objects for re-used ids, fresh ones for new ids) and the session's
    /// output is compared with Node's line.
    func replay(_ name: String, swiftPlaysClient: Bool) throws {
        let lines = try Transcripts.load(name)
        var compared = 0
        for conn in Set(lines.map(\.conn)).sorted() {
            var harness = ReplayHarness(sessionID: UInt64(conn))
            for entry in lines where entry.conn == conn {
                let ours = entry.isClientToServer == swiftPlaysClient
                if ours {
                    if try harness.reproduce(entry.line, file: name) { compared += 1 }
                } else {
                    harness.feed(entry.line, expectErrors: name.hasPrefix("quirk-"), file: name)
                }
            }
            #expect(
                harness.pendingForwards.isEmpty,
                "\(name): session forwarded messages Node did not send")
        }
        if !name.hasPrefix("quirk-") || !swiftPlaysClient {
            #expect(compared > 0, "\(name): nothing compared")
        }
    }
}

/// Paths written with numeric keys compare equal to their string form.
func normalizedPaths(_ message: JSONValue) -> JSONValue {
    guard case .object(var object) = message else { return message }
    if case .object(let callbacks)? = object["callbacks"] {
        object["callbacks"] = .object(
            callbacks.mapValues { path in
                .array(
                    (path.arrayValue ?? []).map { $0.intValue.map { .string(String($0)) } ?? $0 })
            })
    } else if object["method"] != .string("cull") {
        object["callbacks"] = .object([:])
    }
    if object["links"] == nil && object["method"] != .string("cull") {
        object["links"] = .array([])
    }
    return .object(object)
}

struct ReplayHarness {
    var session: DnodeSession
    var functionsByNodeID: [Int: LocalCallback] = [:]
    var pendingForwards: [DnodeMessage] = []
    var started = false

    init(sessionID: UInt64) {
        session = DnodeSession(sessionID: sessionID, instance: .object([:]))
    }

    mutating func feed(_ line: String, expectErrors: Bool, file: String) {
        for action in session.receive(line: Array(line.utf8)) {
            switch action {
            case .send(let message): pendingForwards.append(message)
            case .error(let error):
                if !expectErrors {
                    Issue.record("\(file): unexpected error \(error) for \(line.prefix(200))")
                }
            case .invoke, .remoteReady: break
            }
        }
    }

    /// Makes the session produce Node's `line`; returns false when the line is not a dnode message.
    mutating func reproduce(_ line: String, file: String) throws -> Bool {
        guard let json = try? JSONValue(parsing: Array(line.utf8)),
            let nodeMessage = try? DnodeMessage(json: json)
        else {
            return false
        }
        let produced: DnodeMessage
        if !pendingForwards.isEmpty {
            produced = pendingForwards.removeFirst()
        } else if nodeMessage.method == .name("methods") && !started {
            started = true
            let instance = try arguments(of: nodeMessage).first ?? .object([:])
            session = DnodeSession(sessionID: session.sessionID, instance: instance)
            produced = try #require(try session.start())
        } else if nodeMessage.method == .name("cull") {
            produced = session.cull(nodeMessage.arguments.compactMap(\.intValue))
        } else {
            produced = try session.message(nodeMessage.method, arguments(of: nodeMessage))
        }
        let ours = try JSONValue(parsing: produced.encode())
        #expect(
            ours.isEquivalent(to: normalizedPaths(json)),
            "\(file):\n node:  \(line.prefix(300))\n swift: \(ours.jsonText.prefix(300))")
        return true
    }

    /// The application-level arguments behind a Node message: each callback id Node already
    /// used maps to the same function object, each new id to a new one.
    mutating func arguments(of message: DnodeMessage) throws -> [DnodeValue] {
        var remoteFree = message
        remoteFree.callbacks = [:]
        var values = try session.unscrub(remoteFree)
        var root = DnodeValue.array(values)
        for (id, path) in message.callbacks {
            let function = functionsByNodeID[id] ?? LocalCallback(label: "fn\(id)") { _ in }
            functionsByNodeID[id] = function
            root = setting(.function(.local(function)), at: path[...], in: root)
        }
        if case .array(let rebuilt) = root { values = rebuilt }
        return values
    }

    func setting(_ newValue: DnodeValue, at path: ArraySlice<String>, in value: DnodeValue)
        -> DnodeValue
    {
        guard let key = path.first else { return newValue }
        switch value {
        case .array(var elements):
            if let index = Int(key), elements.indices.contains(index) {
                elements[index] = setting(newValue, at: path.dropFirst(), in: elements[index])
            }
            return .array(elements)
        case .object(var members):
            members[key] = setting(newValue, at: path.dropFirst(), in: members[key] ?? .object([:]))
            return .object(members)
        default:
            return value
        }
    }
}
