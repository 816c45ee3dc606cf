import DnodeProtocol
import Foundation
import ProcessTestSupport
import Testing
import UpnodeServe

@testable import Upnode

/// The Swift `UpnodeServer` running `upmon serve`'s methods answers Node's client lines with
/// the same messages Node's reference server sent (ids, paths, links; numbers compared as
/// JavaScript numbers; the clock value of `time` is whatever time it is).
@Suite("Golden transcripts against UpnodeServer", .timeLimit(.minutes(1)))
struct ServerGoldenTests {
    static let transcripts = [
        "simple-call", "error-callback", "callbacks-both-ways", "nested-functions", "cyclic-links",
        "auth-accepted", "auth-denied", "unicode-emoji", "numbers", "null-bool-undefined",
        "reconnect-queue",
        "large-payload", "quirk-string-method-name", "quirk-minimal-message",
        "quirk-crlf-and-spaces",
        "quirk-callback-path-string-vs-int", "quirk-cull-server-method",
        "quirk-coalesced-and-fragmented",
        "quirk-unknown-method-and-callback", "quirk-array-line", "quirk-no-methods-from-client",
    ]

    @Test("server lines match Node's", arguments: transcripts)
    func serverMatchesNode(name: String) async throws {
        let lines = try loadTranscript(name)
        var options = ServeMethods.Options()
        options.credentials = ("moo", "hax")
        options.authOnly = name.hasPrefix("auth-")
        var serverOptions = UpnodeServer.Options()
        serverOptions.maxLineBytes = 4 << 20
        // Node's server pings every 10 s; none of the transcripts lasts that long, but a test
        // run on a loaded machine can, and the extra ping line is not in the transcript.
        serverOptions.pingInterval = .zero
        let server = try await serve(options: options, serverOptions: serverOptions)
        defer { Task { await server.close() } }
        guard case .tcp(_, let port) = server.boundEndpoint else { return }
        var compared = 0
        for conn in Set(lines.map(\.conn)).sorted() {
            let (client, collector) = try await RawClient.connect(port: port)
            var expectedCount = 0
            for entry in lines where entry.conn == conn {
                if entry.isClientToServer {
                    try await client.send(entry.line + "\n")
                    continue
                }
                expectedCount += 1
                let count = expectedCount
                let arrived = await eventually(timeout: .seconds(15)) {
                    collector.lines.count >= count
                }
                #expect(
                    arrived, "\(name): server did not send line \(count): \(entry.line.prefix(200))"
                )
                guard arrived else { break }
                let ours = try JSONValue(parsing: Array(collector.lines[count - 1].utf8))
                let node = try JSONValue(parsing: Array(entry.line.utf8))
                #expect(
                    goldenEquivalent(ours, node),
                    "\(name):\n node:  \(entry.line.prefix(400))\n swift: \(collector.lines[count - 1].prefix(400))"
                )
                compared += 1
            }
            try await client.channel.close()
        }
        #expect(compared > 0)
    }
}

/// JavaScript-number equality, with any two epoch-millisecond values (time()) treated as equal.
func goldenEquivalent(_ ours: JSONValue, _ node: JSONValue) -> Bool {
    switch (ours, node) {
    case (.array(let a), .array(let b)):
        return a.count == b.count && zip(a, b).allSatisfy { goldenEquivalent($0, $1) }
    case (.object(let a), .object(let b)):
        return a.count == b.count
            && a.allSatisfy { key, value in b[key].map { goldenEquivalent(value, $0) } ?? false }
    default:
        if let x = ours.doubleValue, let y = node.doubleValue, x > 1e12, y > 1e12 { return true }
        return ours.isEquivalent(to: node)
    }
}

struct GoldenLine {
    let conn: Int
    let isClientToServer: Bool
    let line: String
}

func loadTranscript(_ name: String) throws -> [GoldenLine] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/wire/\(name).jsonl")
    let data = try Data(contentsOf: url)
    return try data.split(separator: 0x0A).filter { !$0.isEmpty }.map { raw in
        let record = try JSONValue(parsing: Array(raw))
        return GoldenLine(
            conn: record["conn"]?.intValue ?? 0,
            isClientToServer: record["dir"]?.stringValue == "c2s",
            line: record["line"]?.stringValue ?? "")
    }
}

extension Collector {
    /// Complete lines received so far.
    var lines: [String] {
        let bytes = self.bytes.value
        return bytes.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
    }
}
