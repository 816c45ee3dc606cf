/// Finds a header connection from the bytes of a `conn` value without making a `String` in the
/// usual case.
///
/// Ids written by upmon are `c1`, `c2`, … (ASCII `c` and a decimal number); those are looked
/// up in a table by number. Any other id goes through a `[String: Int]`, which compares the
/// way `Set<String>` and `ConnectionID` do (Unicode canonical equivalence), so the answers
/// are the same as looking the decoded string up in the header's ids.
struct ConnectionLookup: Sendable {
    /// The header's ids, in header order.
    let ids: [ConnectionID]
    /// For `cN` ids with a small `N`: `table[N]` is the header position, or -1.
    private let table: [Int32]
    /// Every id, by text (first position wins).
    private let byText: [String: Int]
    /// Whether some id is not in `table`, so a `cN` missing from it may still be known.
    private let hasUntabled: Bool

    /// The largest `N` kept in the table.
    private static let tableLimit = 1 << 16

    init(connections: [ConnectionInfo]) {
        ids = connections.map(\.id)
        var table: [Int32] = []
        var byText: [String: Int] = [:]
        var hasUntabled = false
        for (position, id) in ids.enumerated() {
            if byText[id.rawValue] == nil { byText[id.rawValue] = position }
            let number = Array(id.rawValue.utf8).withUnsafeBufferPointer { buffer in
                Self.number(buffer, 0..<buffer.count)
            }
            guard let number, number <= Self.tableLimit else {
                hasUntabled = true
                continue
            }
            if table.count <= number { table += repeatElement(-1, count: number + 1 - table.count) }
            if table[number] < 0 { table[number] = Int32(position) }
        }
        self.table = table
        self.byText = byText
        self.hasUntabled = hasUntabled
    }

    /// The header position of the id whose raw (escape-free) text is `bytes[range]`.
    @inline(__always)
    func position(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        if let number = Self.number(bytes, range) {
            if number < table.count, table[number] >= 0 { return Int(table[number]) }
            if !hasUntabled { return nil }
        }
        return positionByText(bytes, range)
    }

    @inline(never)
    private func positionByText(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        byText[String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)]
    }

    /// The header position of `id`.
    func position(of id: String) -> Int? { byText[id] }

    /// `N` when `bytes[range]` is `c` and 1 to 9 decimal digits without a leading zero (or just
    /// `c0`).
    @inline(__always)
    private static func number(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        let count = range.count
        guard count >= 2, count <= 10, range.upperBound <= bytes.count,
            bytes[range.lowerBound] == UInt8(ascii: "c")
        else { return nil }
        if bytes[range.lowerBound + 1] == UInt8(ascii: "0") && count > 2 { return nil }
        var value = 0
        for position in (range.lowerBound + 1)..<range.upperBound {
            let digit = bytes[position] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }
}
