import DnodeProtocol
import Foundation

/// One captured line of a Node exchange (shared/wire/transcripts format).
struct TranscriptLine {
    let t: Double
    let conn: Int
    let isClientToServer: Bool
    let line: String
}

enum Transcripts {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/wire")

    static var allNames: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".jsonl") }.map { String($0.dropLast(6)) }.sorted()
    }

    static func load(_ name: String) throws -> [TranscriptLine] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name + ".jsonl"))
        var result: [TranscriptLine] = []
        for raw in data.split(separator: 0x0A) where !raw.isEmpty {
            let record = try JSONValue(parsing: Array(raw))
            guard let t = record["t"]?.doubleValue, let conn = record["conn"]?.intValue,
                let dir = record["dir"]?.stringValue, let line = record["line"]?.stringValue
            else { throw TranscriptError.badRecord(name) }
            result.append(
                TranscriptLine(t: t, conn: conn, isClientToServer: dir == "c2s", line: line))
        }
        return result
    }
}

enum TranscriptError: Error { case badRecord(String) }

/// A deterministic generator for property tests (SplitMix64); failing tests print the seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
