import NIOCore
import Testing

@testable import Upnode

/// The line framer alone: where lines are cut, what it costs, and when it gives up.
@Suite("LineFramer")
struct LineFramerTests {
    /// Feeds `chunks` one read each; returns the lines, or the framing error that ended it.
    static func feed(
        _ framer: inout LineFramer, _ chunks: [[UInt8]]
    ) -> (lines: [[UInt8]], error: DnodeFramingError?) {
        var lines: [[UInt8]] = []
        for chunk in chunks {
            var bytes = ByteBuffer(bytes: chunk)
            do {
                try framer.append(&bytes) { lines.append(Array($0)) }
            } catch {
                return (lines, error)
            }
        }
        return (lines, nil)
    }

    static let stream = Array("ab\n\nc\u{E9}d\nxyz\u{1F600}\n".utf8)
    static let expected = stream.split(separator: 0x0A, omittingEmptySubsequences: false)
        .dropLast().map(Array.init)

    // 1 MiB, not the 16 MiB default cap: the scan counter proves linearity at any length, and
    // a synchronous test this long holds one of the two cooperative threads (at 16 MiB, 66 s
    // in a debug build, long enough to starve the other suites' time limits).
    @Test("a 1 MiB line arriving one byte per read is scanned once: linear work")
    func trickledLongLineIsLinear() throws {
        let length = 1 << 20
        var framer = LineFramer(maxLineBytes: length)
        let letter = ByteBuffer(bytes: [UInt8(ascii: "a")])
        var lines: [Int] = []
        for index in 0...length {
            // A copy of a one-byte buffer shares its storage: no allocation per read.
            var read = index == length ? ByteBuffer(bytes: [0x0A]) : letter
            try framer.append(&read) { line in
                lines.append(line.count)
                #expect(line.allSatisfy { $0 == UInt8(ascii: "a") })
            }
        }
        #expect(lines == [length])
        #expect(framer.unfinishedBytes == 0)
        // A rescan from the line's start on every read would cost ~length² / 2 (5.5 × 10¹¹).
        #expect(framer.bytesScanned <= 2 * (length + 1))
    }

    @Test("a stream split at every position, in two or three reads, gives the same lines")
    func everySplit() {
        let stream = Self.stream
        for first in 0...stream.count {
            for second in first...stream.count {
                var framer = LineFramer(maxLineBytes: 64)
                let chunks = [
                    Array(stream[..<first]), Array(stream[first..<second]),
                    Array(stream[second...]),
                ]
                let result = Self.feed(&framer, chunks)
                #expect(result.error == nil)
                #expect(result.lines == Self.expected, "split at \(first), \(second)")
                #expect(framer.unfinishedBytes == 0)
                #expect(framer.bytesScanned == stream.count, "split at \(first), \(second)")
            }
        }
    }

    @Test("several lines in one read, then the rest of an unfinished one")
    func severalLinesPerRead() {
        var framer = LineFramer(maxLineBytes: 64)
        var result = Self.feed(&framer, [Array("a\nbb\nccc\ndd".utf8)])
        #expect(result.lines == ["a", "bb", "ccc"].map { Array($0.utf8) })
        #expect(framer.unfinishedBytes == 2)
        result = Self.feed(&framer, [Array("d\ne\nf".utf8)])
        #expect(result.lines == ["ddd", "e"].map { Array($0.utf8) })
        #expect(framer.unfinishedBytes == 1)
        #expect(framer.bytesScanned == 16)
    }

    @Test("lines already handed out do not pile up behind an unfinished one")
    func consumedBytesAreDropped() {
        var framer = LineFramer(maxLineBytes: 64)
        // Every read finishes one line and starts the next: the buffer is never empty.
        var result = Self.feed(&framer, [Array("0123".utf8)])
        for _ in 0..<10_000 {
            result = Self.feed(&framer, [Array("4567\n0123".utf8)])
            #expect(result.lines == [Array("01234567".utf8)])
        }
        #expect(framer.unfinishedBytes == 4)
        #expect((framer.buffer?.capacity ?? 0) <= 1024)
    }

    @Test("a line of exactly the limit passes; one byte more fails, at that byte")
    func limit() {
        let limit = 8
        let full = [UInt8](repeating: UInt8(ascii: "x"), count: limit)

        var framer = LineFramer(maxLineBytes: limit)
        var result = Self.feed(&framer, [full + [0x0A]])
        #expect(result.error == nil)
        #expect(result.lines == [full])

        // Trickled without LF: the error fires on the read that brings byte limit + 1.
        framer = LineFramer(maxLineBytes: limit)
        let bytes = [UInt8](repeating: UInt8(ascii: "y"), count: limit + 5)
        var failedAt: Int?
        for (index, byte) in bytes.enumerated() {
            result = Self.feed(&framer, [[byte]])
            if let error = result.error {
                failedAt = index + 1
                #expect(error.length == limit + 1)
                #expect(error.limit == limit)
                break
            }
        }
        #expect(failedAt == limit + 1)

        // Complete lines ahead of a too-long one in the same read are still handed out.
        framer = LineFramer(maxLineBytes: limit)
        result = Self.feed(&framer, [Array("ok\n".utf8) + full + [UInt8(ascii: "z"), 0x0A]])
        #expect(result.lines == [Array("ok".utf8)])
        #expect(result.error?.length == limit + 1)
    }
}
