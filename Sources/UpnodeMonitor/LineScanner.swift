import DnodeProtocol

/// A fast first look at a recording line for the opening scan: checks that it is valid JSON
/// without building any values, and picks out the top-level `t`, `kind` and `conn`.
///
/// Building a full `JSONValue` for each of a million lines costs seconds; this does the checks
/// docs/RECORDING.md, "Opening a recording" asks of the scan (invalid JSON, missing or non-numeric `t`, missing
/// `kind`, unknown `conn`) without allocating: `kind` and `conn` come back as byte ranges, `t`
/// as a number. The grammar is `JSONScanner`'s (DnodeProtocol), so it accepts what
/// `JSONParser` accepts, nesting limit included, except that it does not check that strings
/// are valid UTF-8 (a line with bad UTF-8 is indexed and skipped when decoded).
struct LineScanner {
    /// What the scan found in a line that is a valid JSON object; ranges index the scanned buffer.
    struct RawFields {
        /// The last `t` member as a finite number; `nil` when missing or not a number.
        var t: Double?
        /// The value of the last `kind` member, whatever its type.
        var kind: Range<Int>?
        /// Whether that value is a string with backslash escapes.
        var kindHasEscapes = false
        /// The value of the last `conn` member, whatever its type.
        var conn: Range<Int>?
        /// Whether that value is a string with backslash escapes.
        var connHasEscapes = false
    }

    /// What a line is, for `scan(_:_:into:)`.
    enum Shape {
        case object
        case notAnObject
        case invalid
    }

    /// What the scan found, with `kind` and `conn` as strings (for tests and slow paths).
    struct Fields {
        var t: Double?
        /// `nil` when missing or not a string.
        var kind: String?
        /// The raw `conn` value: absent (`nil`), `null` (`.some(nil)`) or a string (`""` when
        /// it is neither).
        var conn: String??
    }

    enum Outcome {
        case object(Fields)
        case notAnObject
        case invalid
    }

    /// A top-level member: the key's contents (between the quotes, as written) and the value.
    typealias Member = JSONScanner.Member

    private var scanner: JSONScanner

    /// Scans one line (without its `\n`).
    static func scan(_ line: ArraySlice<UInt8>) -> Outcome {
        line.withUnsafeBufferPointer { buffer in
            var raw = RawFields()
            switch scan(buffer, 0..<buffer.count, into: &raw) {
            case .invalid: return .invalid
            case .notAnObject: return .notAnObject
            case .object:
                var fields = Fields(t: raw.t)
                if let kind = raw.kind { fields.kind = string(buffer, kind) }
                if let conn = raw.conn {
                    fields.conn =
                        isNull(buffer, conn) ? .some(nil) : .some(string(buffer, conn) ?? "")
                }
                return .object(fields)
            }
        }
    }

    /// Scans the line `bytes[range]` (without its `\n`); for an object, `fields` (which should
    /// start empty) gets its `t`, `kind` and `conn`.
    @inline(__always)
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into fields: inout RawFields
    ) -> Shape {
        var line = LineScanner(scanner: JSONScanner(bytes, range: range))
        return line.scanLine(&fields)
    }

    /// Scans the line that starts at `start` in a buffer of `\n`-terminated lines, finding its
    /// end on the way: a line that is valid up to a `\n` gives its shape and the position of
    /// that `\n`. `nil` means the line is damaged or has no `\n` (the caller looks for the `\n`
    /// to tell which). No `\n` is ever taken as part of a line, so the answer is the one
    /// `scan(_:_:into:)` gives for the line up to its `\n`.
    @inline(__always)
    static func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, lineFrom start: Int, into fields: inout RawFields
    ) -> (shape: Shape, end: Int)? {
        var line = LineScanner(
            scanner: JSONScanner(bytes, range: start..<bytes.count, newlineEnds: true))
        let shape = line.scanLine(&fields)
        if case .invalid = shape { return nil }
        return (shape, line.scanner.position)
    }

    /// Whether the value `bytes[range]` is `null`.
    static func isNull(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        JSONScanner.equals(bytes, range, "null")
    }

    /// The string value `bytes[range]` decoded (escapes by the full parser); `nil` if the value
    /// is not a string.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        if let content = JSONScanner.rawString(bytes, range) {
            // `rawString` checked `content` against the buffer.
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[content]), as: UTF8.self)
        }
        guard range.count >= 2, range.lowerBound >= 0, range.upperBound <= bytes.count,
            bytes[range.lowerBound] == UInt8(ascii: "\"")
        else { return nil }
        return (try? JSONValue(parsing: UnsafeBufferPointer(rebasing: bytes[range])))?.stringValue
    }

    /// Checks that `bytes[range]` is a JSON object and stores its members in order; `nil` if it
    /// is not a valid object or has more members than `storage` holds.
    static func members(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>,
        into storage: UnsafeMutableBufferPointer<Member>
    ) -> Int? {
        JSONScanner.members(bytes, range, into: storage)
    }

    @inline(__always)
    private mutating func scanLine(_ fields: inout RawFields) -> Shape {
        scanner.skipWhitespace()
        guard let first = scanner.current else { return .invalid }
        if first != UInt8(ascii: "{") {
            guard scanner.skipValue(depth: 0) else { return .invalid }
            scanner.skipWhitespace()
            return scanner.atLineEnd ? .notAnObject : .invalid
        }
        scanner.position += 1
        scanner.skipWhitespace()
        if scanner.peek(UInt8(ascii: "}")) {
            scanner.position += 1
            scanner.skipWhitespace()
            return scanner.atLineEnd ? .object : .invalid
        }
        var inMember: Bool
        switch scanWriterLayout(&fields) {
        case .other: inMember = true
        case .consumed: inMember = false
        case .invalid: return .invalid
        }
        while true {
            if inMember {
                guard scanMember(&fields) else { return .invalid }
            }
            inMember = true
            scanner.skipWhitespace()
            guard let next = scanner.current else { return .invalid }
            scanner.position += 1
            if next == UInt8(ascii: ",") {
                scanner.skipWhitespace()
                continue
            }
            guard next == UInt8(ascii: "}") else { return .invalid }
            break
        }
        scanner.skipWhitespace()
        return scanner.atLineEnd ? .object : .invalid
    }

    /// The writer's layout first: `"t":NUMBER,"kind":"…","conn":"…"`, matched directly.
    /// Whatever it consumes is what the general member loop would have read.
    private enum Layout {
        /// Not the writer's layout: nothing consumed.
        case other
        /// Consumed at least the `t` member; the scanner is after a member's value.
        case consumed
        /// The line is damaged.
        case invalid
    }

    @inline(__always)
    private mutating func scanWriterLayout(_ fields: inout RawFields) -> Layout {
        guard scanner.matches("\"t\":"), scanner.position + 4 < scanner.end else { return .other }
        let first = scanner.byte(at: scanner.position + 4)
        guard first == UInt8(ascii: "-") || first &- 0x30 < 10 else { return .other }
        scanner.position += 4
        guard let t = scanner.scanNumber() else { return .invalid }
        fields.t = finite(t)
        guard scanner.matches(",\"kind\":\"") else { return .consumed }
        scanner.position += 8
        let kindStart = scanner.position
        guard scanner.skipString() else { return .invalid }
        fields.kind = kindStart..<scanner.position
        fields.kindHasEscapes = scanner.stringHadEscapes
        guard scanner.matches(",\"conn\":\"") else { return .consumed }
        scanner.position += 8
        let connStart = scanner.position
        guard scanner.skipString() else { return .invalid }
        fields.conn = connStart..<scanner.position
        fields.connHasEscapes = scanner.stringHadEscapes
        return .consumed
    }

    @inline(__always)
    private func finite(_ number: JSONNumber) -> Double? {
        let value = number.double(in: scanner.bytes)
        return value.isFinite ? value : nil
    }

    /// Reads one `"key": value` member at `position` (after whitespace), noting `t`, `kind`
    /// and `conn`. Keys are compared as written: an escaped key is not one of these.
    @inline(__always)
    private mutating func scanMember(_ fields: inout RawFields) -> Bool {
        let keyStart = scanner.position + 1
        guard scanner.skipString() else { return false }
        let key = keyStart..<(scanner.position - 1)
        scanner.skipWhitespace()
        guard scanner.peek(UInt8(ascii: ":")) else { return false }
        scanner.position += 1
        scanner.skipWhitespace()
        let valueStart = scanner.position
        guard let first = scanner.current else { return false }
        let isT = key.count == 1 && scanner.byte(at: keyStart) == UInt8(ascii: "t")
        // Strings and numbers directly (most members); anything else as a whole value.
        if first == UInt8(ascii: "\"") {
            guard scanner.skipString() else { return false }
        } else if first == UInt8(ascii: "-") || first &- 0x30 < 10 {
            guard let number = scanner.scanNumber() else { return false }
            if isT {
                fields.t = finite(number)
                return true
            }
        } else {
            guard scanner.skipValue(depth: 1) else { return false }
        }
        if isT {
            fields.t = nil
        } else if key.count == 4 {
            let escapes = first == UInt8(ascii: "\"") && scanner.stringHadEscapes
            if JSONScanner.equals(scanner.bytes, key, "kind") {
                fields.kind = valueStart..<scanner.position
                fields.kindHasEscapes = escapes
            } else if JSONScanner.equals(scanner.bytes, key, "conn") {
                fields.conn = valueStart..<scanner.position
                fields.connHasEscapes = escapes
            }
        }
        return true
    }
}
