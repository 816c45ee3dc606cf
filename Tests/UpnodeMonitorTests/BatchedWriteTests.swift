import Foundation
import Testing

@testable import UpnodeMonitor

/// `upmon record` hands the writer what gathered in the feed as one batch; the file must be
/// the one that writing event by event gives.
@Suite("Batched recording writes")
struct BatchedWriteTests {
    @Test(
        "events written in random batches give the same file as one at a time",
        arguments: [1, 2, 3, 4, 5] as [UInt64])
    func batchesEqualSingles(seed: UInt64) throws {
        let header = Fixtures.header(connections: 3)
        var script = EventScript(seed: seed, connections: 3)
        let events = script.events(count: 400)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let single = try RecordingWriter(
            path: directory + "/single.upmon", header: header, initialState: header.initialState)
        for event in events { try single.record(event) }
        try single.finish(reason: .quit, t: 10_000)

        let batched = try RecordingWriter(
            path: directory + "/batched.upmon", header: header, initialState: header.initialState)
        var generator = SeededGenerator(seed: seed &* 7919)
        var rest = events[...]
        while !rest.isEmpty {
            let size = Int.random(in: 0...40, using: &generator)  // empty batches too
            try batched.record(contentsOf: Array(rest.prefix(size)))
            rest = rest.dropFirst(size)
        }
        try batched.finish(reason: .quit, t: 10_000)
        #expect(batched.lineCount == single.lineCount)

        let singleBytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/single.upmon"))
        let batchedBytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/batched.upmon"))
        #expect(batchedBytes == singleBytes)
    }
}
