import DnodeProtocol

/// A fast first look at a recording line for the opening scan: checks that it is valid JSON
/// without building any values, and picks out the top-level `t`, `kind` and `conn`.
///
/// Building a full `JSONValue` for each of a million lines costs seconds; this does the checks
/// RECORDING.md §7 asks of the scan (invalid JSON, missing or non-numeric `t`, missing `kind`,
/// unknown `conn`) with no allocation beyond short strings.
struct LineScanner {
    /// What the scan found in a line that is a valid JSON object.
    struct Fields {
        var t: Double?
        /// `nil` when missing or not a string.
        var kind: String?
        /// The raw `conn` value: absent (`nil`), `null` (`.some(nil)`) or a string.
        var conn: String??
    }

    enum Outcome {
        case object(Fields)
        case notAnObject
        case invalid
    }

    /// Nesting limit, as for the full parser's default.
    static let maxDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    static func scan(_ line: ArraySlice<UInt8>) -> Outcome {
        line.withUnsafeBufferPointer { buffer in
            var scanner = LineScanner(bytes: buffer)
            return scanner.scanLine()
        }
    }

    private mutating func scanLine() -> Outcome {
        skipWhitespace()
        guard position < bytes.count else { return .invalid }
        if bytes[position] != UInt8(ascii: "{") {
            guard skipValue(depth: 0) else { return .invalid }
            skipWhitespace()
            return position == bytes.count ? .notAnObject : .invalid
        }
        position += 1
        var fields = Fields()
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            position += 1
        } else {
            while true {
                skipWhitespace()
                let keyStart = position
                guard skipString() else { return .invalid }
                let key = bytes[(keyStart + 1)..<(position - 1)]
                skipWhitespace()
                guard peek(UInt8(ascii: ":")) else { return .invalid }
                position += 1
                skipWhitespace()
                let valueStart = position
                guard skipValue(depth: 1) else { return .invalid }
                let value = bytes[valueStart..<position]
                if key.elementsEqual("t".utf8) {
                    fields.t = Self.number(value)
                } else if key.elementsEqual("kind".utf8) {
                    fields.kind = Self.string(value)
                } else if key.elementsEqual("conn".utf8) {
                    fields.conn =
                        value.elementsEqual("null".utf8)
                        ? .some(nil) : .some(Self.string(value) ?? "")
                }
                skipWhitespace()
                if peek(UInt8(ascii: ",")) {
                    position += 1
                    continue
                }
                guard peek(UInt8(ascii: "}")) else { return .invalid }
                position += 1
                break
            }
        }
        skipWhitespace()
        return position == bytes.count ? .object(fields) : .invalid
    }

    /// A number value as a `Double`, `nil` if the value is not a number.
    private static func number(_ value: Slice<UnsafeBufferPointer<UInt8>>) -> Double? {
        guard let first = value.first,
            first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39)
        else { return nil }
        guard let number = Double(String(decoding: value, as: UTF8.self)), number.isFinite else {
            return nil
        }
        return number
    }

    /// A string value without escapes, or with escapes decoded by the full parser.
    private static func string(_ value: Slice<UnsafeBufferPointer<UInt8>>) -> String? {
        guard value.count >= 2, value.first == UInt8(ascii: "\"") else { return nil }
        let content = value.dropFirst().dropLast()
        if !content.contains(UInt8(ascii: "\\")) { return String(decoding: content, as: UTF8.self) }
        return (try? JSONValue(parsing: Array(value)))?.stringValue
    }

    private func peek(_ byte: UInt8) -> Bool { position < bytes.count && bytes[position] == byte }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func skipValue(depth: Int) -> Bool {
        guard position < bytes.count, depth <= Self.maxDepth else { return false }
        switch bytes[position] {
        case UInt8(ascii: "\""): return skipString()
        case UInt8(ascii: "{"):
            return skipContainer(close: UInt8(ascii: "}"), hasKeys: true, depth: depth)
        case UInt8(ascii: "["):
            return skipContainer(close: UInt8(ascii: "]"), hasKeys: false, depth: depth)
        case UInt8(ascii: "t"): return skipLiteral("true")
        case UInt8(ascii: "f"): return skipLiteral("false")
        case UInt8(ascii: "n"): return skipLiteral("null")
        default: return skipNumber()
        }
    }

    private mutating func skipContainer(close: UInt8, hasKeys: Bool, depth: Int) -> Bool {
        position += 1
        skipWhitespace()
        if peek(close) {
            position += 1
            return true
        }
        while true {
            skipWhitespace()
            if hasKeys {
                guard skipString() else { return false }
                skipWhitespace()
                guard peek(UInt8(ascii: ":")) else { return false }
                position += 1
                skipWhitespace()
            }
            guard skipValue(depth: depth + 1) else { return false }
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                position += 1
            } else if peek(close) {
                position += 1
                return true
            } else {
                return false
            }
        }
    }

    private mutating func skipString() -> Bool {
        guard peek(UInt8(ascii: "\"")) else { return false }
        position += 1
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") { return true }
            if byte < 0x20 { return false }
            if byte == UInt8(ascii: "\\") {
                guard position < bytes.count else { return false }
                let escaped = bytes[position]
                position += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                        bytes[position..<(position + 4)].allSatisfy({ Self.isHexDigit($0) })
                    else { return false }
                    position += 4
                default:
                    return false
                }
            }
        }
        return false
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46)
            || (byte >= 0x61 && byte <= 0x66)
    }

    private mutating func skipLiteral(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
        guard bytes[position..<(position + count)].elementsEqual(expected) else { return false }
        position += count
        return true
    }

    /// JSON number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func skipNumber() -> Bool {
        func digits() -> Int {
            let start = position
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                position += 1
            }
            return position - start
        }
        if peek(UInt8(ascii: "-")) { position += 1 }
        if peek(UInt8(ascii: "0")) {
            position += 1
        } else if digits() == 0 {
            return false
        }
        if peek(UInt8(ascii: ".")) {
            position += 1
            guard digits() > 0 else { return false }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            position += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { position += 1 }
            guard digits() > 0 else { return false }
        }
        return true
    }
}
